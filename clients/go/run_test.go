package parzen_test

// Run against the real server: one round trip per trial, no trial left
// RUNNING when the loop ends early.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	parzen "github.com/parzen-hpo/parzen/clients/go"
	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// rpcCounter counts the unary calls a client makes, by method name.
type rpcCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *rpcCounter) option() parzen.Option {
	r.n = map[string]int{}
	return parzen.WithGRPCOptions(grpc.WithChainUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			r.mu.Lock()
			r.n[method[strings.LastIndexByte(method, '/')+1:]]++
			r.mu.Unlock()
			return invoker(ctx, method, req, reply, cc, opts...)
		}))
}

func (r *rpcCounter) get(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[method]
}

func TestRunOneRoundTripPerTrialUntilDone(t *testing.T) {
	var calls rpcCounter
	c := dial(t, calls.option())
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, MaxTrials: 5})
	before := calls.get("Suggest")
	ran := 0
	err := exp.Run(ctx, func(ctx context.Context, tr *parzen.Trial) (float64, error) {
		ran++
		return tr.Float("x")
	})
	if err != nil {
		t.Fatal(err)
	}
	if ran != 5 || calls.get("Suggest")-before != 1 || calls.get("Report") != 5 {
		t.Fatalf("ran %d trials with %d Suggest and %d Report calls", ran, calls.get("Suggest")-before, calls.get("Report"))
	}
	if err := exp.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := exp.Counts(); n.GetComplete() != 5 || n.GetRunning() != 0 {
		t.Fatalf("counts %v", n)
	}
}

func TestRunEndingEarlyLeavesNoTrialRunning(t *testing.T) {
	c := dial(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}})
	ctx, cancel := context.WithCancel(testCtx(t))
	ran := 0
	err := exp.Run(ctx, func(ctx context.Context, tr *parzen.Trial) (float64, error) {
		ran++
		if ran == 3 {
			cancel() // e.g. SIGTERM: this trial is reported, no next one is started
		}
		return 0.5, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v", err)
	}
	boom := errors.New("out of memory")
	fails := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}})
	if err := fails.Run(testCtx(t), func(context.Context, *parzen.Trial) (float64, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("Run with a failing objective: %v", err)
	}
	pruned := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, MaxTrials: 2})
	if err := pruned.Run(testCtx(t), func(context.Context, *parzen.Trial) (float64, error) { return 0, parzen.ErrPruned }); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*parzen.Experiment{exp, fails, pruned} {
		if err := e.Refresh(testCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if n := exp.Counts(); n.GetComplete() != 3 || n.GetRunning() != 0 {
		t.Fatalf("cancelled run: %v", n)
	}
	if n := fails.Counts(); n.GetFail() != 1 || n.GetRunning() != 0 {
		t.Fatalf("failing objective: %v", n)
	}
	if n := pruned.Counts(); n.GetPruned() != 2 || n.GetRunning() != 0 {
		t.Fatalf("pruning objective: %v", n)
	}
}

// A Run whose context ends while a Report (asking for the next trial) is on its way: the report still lands, and
// the next trial the server started for this worker is released (WAITING again, not FAIL: it never ran, so it must
// not count toward MaxFailedTrials), not left RUNNING until its lease lapses; another worker gets the same trial.
func TestRunContextEndingMidReportLeavesNoTrialRunning(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	var reports sync.Mutex
	n := 0
	c := dial(t, parzen.WithGRPCOptions(grpc.WithChainUnaryInterceptor(
		func(cctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if strings.HasSuffix(method, "/Report") {
				reports.Lock()
				n++
				if n == 2 {
					cancel() // the worker is told to stop while its second report is in flight
				}
				reports.Unlock()
			}
			return invoker(cctx, method, req, reply, cc, opts...)
		})))
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, MaxFailedTrials: 1})
	ran := 0
	var last *parzen.Trial
	err := exp.Run(ctx, func(_ context.Context, tr *parzen.Trial) (float64, error) {
		ran++
		last = tr
		return 0.5, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run cancelled mid-report: %v", err)
	}
	if err := exp.Refresh(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if cnt := exp.Counts(); ran != 2 || cnt.GetComplete() != 2 || cnt.GetFail() != 0 || cnt.GetWaiting() != 1 || cnt.GetRunning() != 0 {
		t.Fatalf("ran %d; counts %v", ran, cnt)
	}
	if state, _ := exp.State(); state != parzenv1.ExperimentState_EXPERIMENT_STATE_ACTIVE {
		t.Fatalf("experiment %v after a released trial", state)
	}
	// The released trial is the next one handed out, to any worker.
	again, err := exp.Suggest(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if again.Number() != last.Number()+1 {
		t.Fatalf("handed out trial #%d, want the released #%d", again.Number(), last.Number()+1)
	}
	if err := again.Release(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if again.State() != parzen.Waiting {
		t.Fatalf("released trial is %v", again.State())
	}
	// Not RUNNING any more: a second release is refused with a precise status.
	if err := again.Release(testCtx(t)); !errors.Is(err, parzen.ErrFailedPrecondition) {
		t.Fatalf("second release: %v", err)
	}
}

// A failing objective's error becomes the trial's fail reason, cut to 1,000 bytes at a character boundary: a cut
// through a character would make the Report impossible to encode and leave the trial RUNNING.
func TestRunFailReasonIsCutAtACharacter(t *testing.T) {
	c := dial(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}})
	msg := strings.Repeat("x", 999) + "é" + strings.Repeat("y", 50) // "é" is 2 bytes: bytes 999 and 1000
	boom := errors.New(msg)
	if err := exp.Run(testCtx(t), func(context.Context, *parzen.Trial) (float64, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("Run with a failing objective: %v", err)
	}
	trials, err := exp.AllTrials(testCtx(t), parzen.Failed)
	if err != nil || len(trials) != 1 {
		t.Fatalf("FAIL trials: %v, %v", trials, err)
	}
	if got := trials[0].Proto().GetFailReason(); got != strings.Repeat("x", 999) {
		t.Errorf("fail reason: %d bytes, want the 999 before the cut character", len(got))
	}
	short := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}})
	exact := strings.Repeat("z", 1000)
	_ = short.Run(testCtx(t), func(context.Context, *parzen.Trial) (float64, error) { return 0, errors.New(exact) })
	trials, err = short.AllTrials(testCtx(t), parzen.Failed)
	if err != nil || len(trials) != 1 || trials[0].Proto().GetFailReason() != exact {
		t.Fatalf("a 1,000-byte reason is kept whole: %v, %v", trials, err)
	}
}

// Release names the worker the trial was handed to, so a late release from a stale view (here a second handle on
// the trial, fetched before the first one released it) never gives back a trial another worker runs now.
func TestReleaseFromAStaleViewLeavesAnotherWorkersTrial(t *testing.T) {
	a := dial(t, parzen.WithWorkerID("worker-a"))
	b := dial(t, parzen.WithWorkerID("worker-b"))
	ctx := testCtx(t)
	exp := create(t, a, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}})
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := a.Trial(ctx, tr.ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Release(ctx); err != nil {
		t.Fatal(err)
	}
	expB, err := b.Experiment(ctx, exp.Name())
	if err != nil {
		t.Fatal(err)
	}
	again, err := expB.Suggest(ctx)
	if err != nil || again.ID() != tr.ID() || again.Proto().GetWorkerId() != "worker-b" {
		t.Fatalf("the released trial goes to the next worker first: %v, %v", again, err)
	}
	if err := stale.Release(ctx); !errors.Is(err, parzen.ErrFailedPrecondition) {
		t.Errorf("a release from worker-a's stale view of worker-b's trial: %v", err)
	}
	if err := again.Refresh(ctx); err != nil || again.State() != parzen.Running || again.Proto().GetWorkerId() != "worker-b" {
		t.Errorf("worker-b's trial after the stale release: %v, %v", again.Proto(), err)
	}
}
