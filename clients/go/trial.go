package parzen

// Trials: one suggested configuration, its typed parameter accessors, and
// the calls that finish it (Report, Fail, Prune) or feed it along the way
// (ReportIntermediate, Heartbeat).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// TrialState is a trial's lifecycle state.
type TrialState = parzenv1.TrialState

// Trial states: WAITING (enqueued) -> RUNNING (suggested) -> COMPLETE,
// PRUNED, FAIL, or LOST when its lease lapses.
const (
	Waiting  = parzenv1.TrialState_TRIAL_STATE_WAITING
	Running  = parzenv1.TrialState_TRIAL_STATE_RUNNING
	Complete = parzenv1.TrialState_TRIAL_STATE_COMPLETE
	Pruned   = parzenv1.TrialState_TRIAL_STATE_PRUNED
	Failed   = parzenv1.TrialState_TRIAL_STATE_FAIL
	Lost     = parzenv1.TrialState_TRIAL_STATE_LOST
)

// Trial is one evaluation of one configuration. Its parameter values never
// change; its state, loss and lease are updated by the calls made through
// it. A Trial is safe for concurrent use (e.g. by a heartbeat goroutine).
type Trial struct {
	c      *Client
	id     int64
	params map[string]any

	mu sync.Mutex
	pb *parzenv1.Trial
	hb *Heartbeat
}

func (c *Client) newTrial(pb *parzenv1.Trial) *Trial {
	return &Trial{c: c, id: pb.GetId(), params: fromValueMap(pb.GetParams()), pb: pb}
}

func (c *Client) trials(pbs []*parzenv1.Trial) []*Trial {
	out := make([]*Trial, len(pbs))
	for i, pb := range pbs {
		out[i] = c.newTrial(pb)
	}
	return out
}

// Trial fetches a trial by its server-wide id.
func (c *Client) Trial(ctx context.Context, id int64) (*Trial, error) {
	resp, err := c.rpc.GetTrial(ctx, &parzenv1.GetTrialRequest{TrialId: id})
	if err != nil {
		return nil, wrap(fmt.Sprintf("GetTrial %d", id), err)
	}
	return c.newTrial(resp.GetTrial()), nil
}

// ID is the trial's server-wide id.
func (t *Trial) ID() int64 { return t.id }

func (t *Trial) snapshot() *parzenv1.Trial {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pb
}

// Number is the trial's 0-based position within its experiment.
func (t *Trial) Number() int64 { return t.snapshot().GetNumber() }

// Experiment is the name of the trial's experiment.
func (t *Trial) Experiment() string { return t.snapshot().GetExperiment() }

// State is the trial's state as last seen by this client.
func (t *Trial) State() TrialState { return t.snapshot().GetState() }

// Loss is the reported loss, if any (COMPLETE trials, and PRUNED trials
// that reported a value).
func (t *Trial) Loss() (float64, bool) {
	pb := t.snapshot()
	return pb.GetLoss(), pb.Loss != nil
}

// Metrics are the extra named metrics reported with the trial.
func (t *Trial) Metrics() map[string]float64 {
	out := map[string]float64{}
	for k, v := range t.snapshot().GetMetrics() {
		out[k] = v
	}
	return out
}

// LeaseDeadline is when a RUNNING trial becomes LOST unless it heartbeats
// (zero when it has no lease).
func (t *Trial) LeaseDeadline() time.Time {
	d := t.snapshot().GetLeaseDeadline()
	if d == nil {
		return time.Time{}
	}
	return d.AsTime()
}

// Proto returns a copy of the trial as its protobuf message.
func (t *Trial) Proto() *parzenv1.Trial { return proto.Clone(t.snapshot()).(*parzenv1.Trial) }

// Summary describes the trial in one line, for logs.
func (t *Trial) Summary() string {
	pb := t.snapshot()
	names := make([]string, 0, len(t.params))
	for n := range t.params {
		names = append(names, n)
	}
	sort.Strings(names)
	s := fmt.Sprintf("trial %d (#%d of %s, %s) {", t.id, pb.GetNumber(), pb.GetExperiment(), pb.GetState())
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s: %v", n, t.params[n])
	}
	return s + "}"
}

// Params returns the active parameters as name -> value, each value a
// float64, int64, string or bool. Inactive conditional parameters are absent.
func (t *Trial) Params() map[string]any {
	out := make(map[string]any, len(t.params))
	for k, v := range t.params {
		out[k] = v
	}
	return out
}

// Value returns a parameter's value (float64, int64, string or bool) and
// whether it is present.
func (t *Trial) Value(name string) (any, bool) {
	v, ok := t.params[name]
	return v, ok
}

// Has reports whether a parameter is active in this trial: always for
// top-level parameters, and for a conditional one only when its branch was
// chosen.
func (t *Trial) Has(name string) bool {
	_, ok := t.params[name]
	return ok
}

// Float returns a numeric parameter as float64 (integers convert). It is 0
// when the parameter is absent or not a number; check Has for conditional
// parameters.
func (t *Trial) Float(name string) float64 {
	switch v := t.params[name].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	default:
		return 0
	}
}

// Int returns an integer parameter (Int domains, integer choice options, or
// a float with an integral value, e.g. from QUniform). It is 0 when the
// parameter is absent or not an integer.
func (t *Trial) Int(name string) int64 {
	switch v := t.params[name].(type) {
	case int64:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return int64(v)
		}
	}
	return 0
}

// String returns a string parameter (e.g. a choice of strings); "" when
// absent or not a string.
func (t *Trial) String(name string) string {
	s, _ := t.params[name].(string)
	return s
}

// Bool returns a boolean parameter; false when absent or not a bool.
func (t *Trial) Bool(name string) bool {
	b, _ := t.params[name].(bool)
	return b
}

// Report finishes the trial as COMPLETE with a finite loss and optional
// extra metrics. Reporting the same outcome again is harmless; a different
// one fails with FAILED_PRECONDITION. Stops the trial's heartbeat.
func (t *Trial) Report(ctx context.Context, loss float64, metrics map[string]float64) error {
	return t.finish(ctx, "Report", &parzenv1.ReportRequest{
		Status: parzenv1.ReportStatus_REPORT_STATUS_OK, Loss: proto.Float64(loss), Metrics: metrics,
	})
}

// ReportValues finishes a trial of a multi-objective experiment as COMPLETE
// with one finite value per objective, in the experiment's order.
func (t *Trial) ReportValues(ctx context.Context, values []float64, metrics map[string]float64) error {
	return t.finish(ctx, "Report", &parzenv1.ReportRequest{
		Status: parzenv1.ReportStatus_REPORT_STATUS_OK, Values: values, Metrics: metrics,
	})
}

// ReportConstrained finishes the trial as COMPLETE with its objective
// value(s) (one value: the loss of a single-objective experiment) and its
// constraint values, feasible when every one is <= 0.
func (t *Trial) ReportConstrained(ctx context.Context, values, constraints []float64, metrics map[string]float64) error {
	return t.finish(ctx, "Report", &parzenv1.ReportRequest{
		Status: parzenv1.ReportStatus_REPORT_STATUS_OK, Values: values, Constraints: constraints, Metrics: metrics,
	})
}

// Values returns the objective values of a COMPLETE trial, one per
// objective (a single-objective trial: its loss), or nil when it has none.
func (t *Trial) Values() []float64 {
	pb := t.snapshot()
	if v := pb.GetValues(); len(v) > 0 {
		return append([]float64(nil), v...)
	}
	if pb.Loss != nil {
		return []float64{pb.GetLoss()}
	}
	return nil
}

// Constraints returns the constraint values reported with the trial (nil when none).
func (t *Trial) Constraints() []float64 {
	if c := t.snapshot().GetConstraints(); len(c) > 0 {
		return append([]float64(nil), c...)
	}
	return nil
}

// Feasible reports whether every constraint value is <= 0 (true without constraints).
func (t *Trial) Feasible() bool {
	for _, c := range t.snapshot().GetConstraints() {
		if c > 0 {
			return false
		}
	}
	return true
}

// Fail finishes the trial as FAIL (e.g. the run crashed or diverged), with
// a reason kept in the history. Stops the trial's heartbeat.
func (t *Trial) Fail(ctx context.Context, reason string) error {
	return t.finish(ctx, "Fail", &parzenv1.ReportRequest{
		Status: parzenv1.ReportStatus_REPORT_STATUS_FAIL, FailReason: reason,
	})
}

// Prune finishes the trial as PRUNED (stopped early, typically after
// ReportIntermediate said so); its loss is the last intermediate value.
// Stops the trial's heartbeat.
func (t *Trial) Prune(ctx context.Context) error {
	return t.finish(ctx, "Prune", &parzenv1.ReportRequest{Status: parzenv1.ReportStatus_REPORT_STATUS_PRUNED})
}

func (t *Trial) finish(ctx context.Context, what string, req *parzenv1.ReportRequest) error {
	req.TrialId = t.id
	req.RequestId = newRequestID()
	resp, err := t.c.rpc.Report(ctx, req)
	if err != nil {
		return wrap(fmt.Sprintf("%s trial %d", what, t.id), err)
	}
	t.mu.Lock()
	t.pb = resp.GetTrial()
	hb := t.hb
	t.hb = nil
	t.mu.Unlock()
	if hb != nil {
		hb.Stop()
	}
	return nil
}

// ReportIntermediate records one point (step >= 0) of the trial's learning
// curve and returns whether the experiment's pruner says to stop early; if
// so, call Prune and move on.
func (t *Trial) ReportIntermediate(ctx context.Context, step int64, value float64) (prune bool, err error) {
	resp, err := t.c.rpc.ReportIntermediate(ctx, &parzenv1.ReportIntermediateRequest{TrialId: t.id, Step: step, Value: value})
	if err != nil {
		return false, wrap(fmt.Sprintf("ReportIntermediate trial %d", t.id), err)
	}
	return resp.GetShouldPrune(), nil
}

// Heartbeat extends the trial's lease once and returns the new deadline.
// For long trials, KeepAlive does this in the background.
func (t *Trial) Heartbeat(ctx context.Context) (time.Time, error) {
	resp, err := t.c.rpc.Heartbeat(ctx, &parzenv1.HeartbeatRequest{TrialId: t.id})
	if err != nil {
		return time.Time{}, wrap(fmt.Sprintf("Heartbeat trial %d", t.id), err)
	}
	d := resp.GetLeaseDeadline()
	if d == nil {
		return time.Time{}, nil
	}
	t.mu.Lock()
	if t.pb.GetState() == Running {
		t.pb = proto.Clone(t.pb).(*parzenv1.Trial)
		t.pb.LeaseDeadline = d
	}
	t.mu.Unlock()
	return d.AsTime(), nil
}

// Refresh reloads the trial's state, loss and lease from the server.
func (t *Trial) Refresh(ctx context.Context) error {
	resp, err := t.c.rpc.GetTrial(ctx, &parzenv1.GetTrialRequest{TrialId: t.id})
	if err != nil {
		return wrap(fmt.Sprintf("GetTrial %d", t.id), err)
	}
	t.mu.Lock()
	t.pb = resp.GetTrial()
	t.mu.Unlock()
	return nil
}

// newRequestID makes an idempotency key, so a retried call is applied once.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func errUnexpected(format string, args ...any) error {
	return status.Errorf(codes.Internal, "unexpected response: "+format, args...)
}
