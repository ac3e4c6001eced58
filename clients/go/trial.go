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
	// Choice parameters' option labels (see Label); nil when unknown.
	labels map[string]map[string]string

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

// newTrial is a trial of this experiment, which knows its choice labels.
func (e *Experiment) newTrial(pb *parzenv1.Trial) *Trial {
	t := e.c.newTrial(pb)
	t.labels = e.choiceLabels()
	return t
}

func (e *Experiment) trials(pbs []*parzenv1.Trial) []*Trial {
	out := make([]*Trial, len(pbs))
	for i, pb := range pbs {
		out[i] = e.newTrial(pb)
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

// Float returns a numeric parameter as float64 (integers convert). A name
// the trial does not have (a typo, or a conditional parameter whose branch
// was not chosen: check Has) or a value that is not a number is an error
// matching ErrInvalidArgument, never a silent 0.
func (t *Trial) Float(name string) (float64, error) {
	v, err := t.param(name, "Float")
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	}
	return 0, t.wrongType(name, "Float", "a number", v)
}

// Int returns an integer parameter (Int domains, integer choice options, or
// a float with an integral value, e.g. from QUniform). Missing names and
// other values are errors, as for Float.
func (t *Trial) Int(name string) (int64, error) {
	v, err := t.param(name, "Int")
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		// int64's range exactly: -2^63 is its minimum, 2^63 is one past its maximum.
		if x == math.Trunc(x) && x >= -1<<63 && x < 1<<63 {
			return int64(x), nil
		}
	}
	return 0, t.wrongType(name, "Int", "an integer", v)
}

// String returns a string parameter (e.g. a choice of strings). Missing
// names and other values are errors, as for Float: a choice whose options
// are not strings (a Python dict option is stored as its index) has Label.
func (t *Trial) String(name string) (string, error) {
	v, err := t.param(name, "String")
	if err != nil {
		return "", err
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", t.wrongType(name, "String", "a string", v)
}

// Bool returns a boolean parameter. Missing names and other values are
// errors, as for Float.
func (t *Trial) Bool(name string) (bool, error) {
	v, err := t.param(name, "Bool")
	if err != nil {
		return false, err
	}
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, t.wrongType(name, "Bool", "a bool", v)
}

// Label returns the label of the option chosen for a choice parameter: the
// label declared with the option (a Python dict option {"name": "sgd", ...}
// is labelled "sgd"), else its value as text ("adam", "32", "true"). Every
// client and the CLI give the same label for the same option, whatever the
// stored value. Missing names are errors, as for Float, and so is a
// parameter that is not a choice.
func (t *Trial) Label(name string) (string, error) {
	v, err := t.param(name, "Label")
	if err != nil {
		return "", err
	}
	if t.labels == nil {
		return "", t.accessError(name, "Label", "this trial was not read through its Experiment, which knows the labels")
	}
	options, ok := t.labels[name]
	if !ok {
		return "", t.accessError(name, "Label", "it is not a choice")
	}
	if l, ok := options[valueKey(v)]; ok {
		return l, nil
	}
	return labelText(v), nil
}

// MustFloat is Float for code that treats a missing or mistyped parameter as
// a bug: it panics instead of returning the error.
func (t *Trial) MustFloat(name string) float64 { return must(t.Float(name)) }

// MustInt is Int, panicking on error (see MustFloat).
func (t *Trial) MustInt(name string) int64 { return must(t.Int(name)) }

// MustString is String, panicking on error (see MustFloat).
func (t *Trial) MustString(name string) string { return must(t.String(name)) }

// MustBool is Bool, panicking on error (see MustFloat).
func (t *Trial) MustBool(name string) bool { return must(t.Bool(name)) }

// MustLabel is Label, panicking on error (see MustFloat).
func (t *Trial) MustLabel(name string) string { return must(t.Label(name)) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (t *Trial) param(name, accessor string) (any, error) {
	if v, ok := t.params[name]; ok {
		return v, nil
	}
	names := make([]string, 0, len(t.params))
	for n := range t.params {
		names = append(names, n)
	}
	sort.Strings(names)
	why := fmt.Sprintf("no parameter %q (it has %v", name, names)
	if near := closest(name, names); near != "" {
		why += fmt.Sprintf("; did you mean %q?", near)
	}
	why += "; a conditional parameter is absent when its branch was not chosen: check Has)"
	return nil, t.accessErrorf(accessor, "%s", why)
}

func (t *Trial) wrongType(name, accessor, want string, v any) error {
	hint := ""
	if _, ok := t.labels[name]; ok {
		hint = "; it is a choice: Label gives its option's label"
	}
	return t.accessError(name, accessor, fmt.Sprintf("it is %T %v, not %s%s", v, v, want, hint))
}

func (t *Trial) accessError(name, accessor, why string) error {
	return t.accessErrorf(accessor, "parameter %q: %s", name, why)
}

func (t *Trial) accessErrorf(accessor, format string, args ...any) error {
	return invalid(fmt.Sprintf("%s of trial #%d of %s", accessor, t.Number(), t.Experiment()), format, args...)
}

// closest is the name within edit distance 2 of name, if any (a typo's fix).
func closest(name string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
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
	_, err := t.send(ctx, what, req)
	return err
}

// send reports the trial; with req.SuggestNext, the answer's Next is the worker's next trial (or done, or
// retry_after), started in the same transaction.
func (t *Trial) send(ctx context.Context, what string, req *parzenv1.ReportRequest) (*parzenv1.ReportResponse, error) {
	req.TrialId = t.id
	req.RequestId = newRequestID()
	resp, err := t.c.rpc.Report(ctx, req)
	if err != nil {
		return nil, wrap(fmt.Sprintf("%s trial #%d of %s", what, t.Number(), t.Experiment()), err)
	}
	t.mu.Lock()
	t.pb = resp.GetTrial()
	hb := t.hb
	t.hb = nil
	t.mu.Unlock()
	if hb != nil {
		hb.Stop()
	}
	return resp, nil
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

// Release gives the trial back unrun: it is WAITING again, with the same
// configuration, and the experiment's next Suggest hands it out first (to
// any worker). Use it for a trial this worker will not run after all; it
// counts as neither failed nor done. Refused (FAILED_PRECONDITION) unless the
// trial is RUNNING for this trial's worker and has reported no intermediate
// values; a retry of the same call is applied once.
func (t *Trial) Release(ctx context.Context) error {
	t.mu.Lock()
	worker := t.pb.GetWorkerId()
	hb := t.hb
	t.hb = nil
	t.mu.Unlock()
	if hb != nil {
		hb.Stop()
	}
	resp, err := t.c.rpc.ReleaseTrial(ctx, &parzenv1.ReleaseTrialRequest{
		TrialId: t.id, RequestId: newRequestID(), WorkerId: worker,
	})
	if err != nil {
		return wrap(fmt.Sprintf("Release trial #%d of %s", t.Number(), t.Experiment()), err)
	}
	t.mu.Lock()
	t.pb = resp.GetTrial()
	t.mu.Unlock()
	return nil
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
