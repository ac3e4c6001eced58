package parzen

// Run: the worker loop with one round trip per trial (Report with
// suggest_next), which asks for a next trial only when it will run it.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// ErrPruned, returned by a Run objective, finishes its trial as PRUNED (its
// loss is the last intermediate value) and the loop goes on.
var ErrPruned = errors.New("parzen: trial pruned")

// ObjectiveFunc evaluates one trial for Run and returns its loss. The trial
// heartbeats while it runs; ReportIntermediate works as usual.
type ObjectiveFunc func(ctx context.Context, t *Trial) (float64, error)

// Run evaluates fn on trial after trial until the experiment is done (its
// budget used up, its goal reached, stopped...), then returns nil. Each
// trial's report carries the request for the next trial (one round trip per
// trial). It asks for one only while ctx is live, so when ctx ends Run
// reports the trial at hand and returns ctx's error, and no trial is left
// RUNNING that nobody runs (a next trial handed over as ctx ended is
// released: WAITING again, for another worker; see Trial.Release). fn returning ErrPruned prunes its trial; a
// non-finite loss fails it; any other error fails the trial and ends Run
// with that error. While the rest of the budget is RUNNING on other workers,
// Run waits as Suggest does (bounded by ctx; without a deadline, by the
// client's call timeout per wait).
func (e *Experiment) Run(ctx context.Context, fn ObjectiveFunc) error {
	t, err := e.Suggest(ctx)
	if errors.Is(err, ErrExperimentDone) {
		return nil
	}
	if err != nil {
		return err
	}
	for t != nil {
		req, fnErr := evaluate(ctx, t, fn)
		// The report goes out even when ctx ended, with a context of its own, so the trial is not left RUNNING.
		next := fnErr == nil && ctx.Err() == nil
		req.SuggestNext = next
		if next {
			req.WorkerId = e.c.workerID
		}
		rctx, cancel := reportContext(ctx)
		resp, err := t.send(rctx, "Report", req)
		cancel()
		if err != nil {
			return err
		}
		if fnErr != nil {
			return fnErr
		}
		if !next {
			return ctx.Err()
		}
		if ctx.Err() != nil {
			// ctx ended while the report was on its way: the server already started the next trial for this
			// worker, which will not run it, so it is given back at once rather than left RUNNING until its lease
			// lapses (or finished as FAIL, which would count toward MaxFailedTrials for a trial that never ran).
			return e.giveBack(resp.GetNext(), ctx.Err())
		}
		t, err = e.nextFrom(ctx, resp.GetNext())
		if err != nil {
			return err
		}
	}
	return nil
}

// evaluate runs fn on t and says what to report.
func evaluate(ctx context.Context, t *Trial, fn ObjectiveFunc) (*parzenv1.ReportRequest, error) {
	hb := t.KeepAlive(ctx)
	loss, err := fn(ctx, t)
	hb.Stop()
	switch {
	case errors.Is(err, ErrPruned):
		return &parzenv1.ReportRequest{Status: parzenv1.ReportStatus_REPORT_STATUS_PRUNED}, nil
	case err != nil:
		reason := truncateUTF8(err.Error(), maxFailReasonBytes)
		return &parzenv1.ReportRequest{Status: parzenv1.ReportStatus_REPORT_STATUS_FAIL, FailReason: reason}, err
	case math.IsNaN(loss) || math.IsInf(loss, 0):
		return &parzenv1.ReportRequest{
			Status: parzenv1.ReportStatus_REPORT_STATUS_FAIL, FailReason: fmt.Sprintf("loss is not finite: %v", loss),
		}, nil
	}
	return &parzenv1.ReportRequest{Status: parzenv1.ReportStatus_REPORT_STATUS_OK, Loss: proto.Float64(loss)}, nil
}

// reportContext is ctx, or when ctx has ended a fresh one: the last report must still reach the server.
func reportContext(ctx context.Context) (context.Context, context.CancelFunc) {
	// Never cancelled with ctx, not even mid-flight: a report cut off by ctx's end could leave its trial, and the
	// next one it asked for, RUNNING with nobody to run them.
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// giveBack releases the trial a Report with suggest_next started for this worker after ctx ended (none when the
// answer carried none): WAITING again, the next Suggest hands it to another worker. Returns ctxErr.
func (e *Experiment) giveBack(next *parzenv1.SuggestResponse, ctxErr error) error {
	for _, pb := range next.GetTrials() {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := e.newTrial(pb).Release(rctx)
		cancel()
		if err != nil {
			return errors.Join(ctxErr, err)
		}
	}
	return ctxErr
}

// nextFrom is the trial a Report with suggest_next answered (nil when the experiment is done), waiting through a
// retry_after as Suggest does.
func (e *Experiment) nextFrom(ctx context.Context, first *parzenv1.SuggestResponse) (*Trial, error) {
	op := "Suggest " + e.name
	pbs, err := e.c.untilTrials(ctx, op, e.name, func(ctx context.Context) (trialsAnswer, error) {
		if first != nil {
			answer := first
			first = nil
			return answer, nil
		}
		return e.c.rpc.Suggest(ctx, &parzenv1.SuggestRequest{
			Experiment: e.name, Count: 1, WorkerId: e.c.workerID, RequestId: newRequestID(),
		})
	})
	if errors.Is(err, ErrExperimentDone) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.newTrial(pbs[0]), nil
}

// maxFailReasonBytes bounds the fail reason Run sends for an objective's error: enough for a message and the start
// of a stack, not a whole log.
const maxFailReasonBytes = 1000

// truncateUTF8 is s cut to at most n bytes at a character boundary: a string field must be valid UTF-8 or the
// Report cannot be encoded, and the trial would be left RUNNING.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
