package parzen

// Experiments: create or open one by name, then Suggest trials from it,
// seed it with Enqueue or Import, and read its Best trial and history.

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// Direction says whether the loss is minimised (the default) or maximised.
type Direction int

const (
	Minimize Direction = iota
	Maximize
)

func (d Direction) proto() parzenv1.Direction {
	if d == Maximize {
		return parzenv1.Direction_DIRECTION_MAXIMIZE
	}
	return parzenv1.Direction_DIRECTION_MINIMIZE
}

// Objective is one objective of a multi-objective experiment.
type Objective struct {
	// Unique within the experiment; "objective_<i>" when empty.
	Name      string
	Direction Direction
}

// ExperimentSpec defines an experiment for CreateExperiment. Only Name and
// Space are required.
type ExperimentSpec struct {
	// Unique, 1-200 characters of [A-Za-z0-9._:/-].
	Name      string
	Space     []Param
	Direction Direction
	// "tpe" (the server's default when empty), "random", "gp", "cmaes", "qmc", "grid" or "nsga2"
	// (several objectives: "tpe", "nsga2" or "random"). The server checks the name and options.
	Algorithm string
	// Algorithm-specific options; values are strings, bools, integers or floats.
	AlgorithmOptions map[string]any
	// Which trials ReportIntermediate says to stop: MedianPruner(...),
	// PercentilePruner(...), SuccessiveHalvingPruner(...), HyperbandPruner(...),
	// ThresholdPruner(...). The zero value: no pruning.
	Pruner PrunerConfig
	// Seed of the experiment's random streams; chosen by the server when nil.
	Seed *uint64
	// How long a suggested trial may go without a heartbeat before it is
	// marked LOST; the server's default when zero.
	LeaseDuration time.Duration
	// Re-enqueue the configuration of a trial whose lease lapsed, so it is
	// evaluated again (the new trial's user_attrs carry "parzen.retry_of").
	RetryLost bool
	UserAttrs map[string]string
	// Stop conditions (see the README's "Budgets and stop conditions"): the
	// experiment is COMPLETED once COMPLETE + PRUNED trials reach MaxTrials
	// (FAIL and LOST trials do not use it up), once FAIL trials reach
	// MaxFailedTrials, or once a COMPLETE loss reaches Goal (at or below it
	// when minimising). Zero / nil: no limit. Then Suggest returns an error
	// matching ErrExperimentDone.
	MaxTrials       int64
	MaxFailedTrials int64
	Goal            *float64
	// The experiment is COMPLETED once the server's clock passes it (zero: no deadline).
	Deadline time.Time
	// Several objectives, in order (then leave Direction at its zero value):
	// trials report with ReportValues and the experiment's ParetoFront
	// replaces Best. Empty: one objective, the loss, in Direction.
	Objectives []Objective
}

// SeedOf is a convenience for ExperimentSpec.Seed.
func SeedOf(seed uint64) *uint64 { return &seed }

// GoalOf is a convenience for ExperimentSpec.Goal.
func GoalOf(loss float64) *float64 { return &loss }

func (s *ExperimentSpec) proto(op string) (*parzenv1.Experiment, error) {
	space, err := spaceProto(op, s.Space)
	if err != nil {
		return nil, err
	}
	algOpts, err := toValueMap(op+": algorithm option", s.AlgorithmOptions)
	if err != nil {
		return nil, err
	}
	pruner, err := s.Pruner.proto(op)
	if err != nil {
		return nil, err
	}
	e := &parzenv1.Experiment{
		Name:      s.Name,
		Space:     space,
		Direction: s.Direction.proto(),
		Algorithm: &parzenv1.AlgorithmConfig{Name: s.Algorithm, Options: algOpts},
		Pruner:    pruner,
		Seed:      s.Seed,
		RetryLost: s.RetryLost,
		UserAttrs: s.UserAttrs,
	}
	if s.LeaseDuration > 0 {
		e.LeaseDuration = durationpb.New(s.LeaseDuration)
	}
	if s.MaxTrials != 0 {
		e.MaxTrials = proto.Int64(s.MaxTrials)
	}
	if s.MaxFailedTrials != 0 {
		e.MaxFailedTrials = proto.Int64(s.MaxFailedTrials)
	}
	e.Goal = s.Goal
	if !s.Deadline.IsZero() {
		e.Deadline = timestamppb.New(s.Deadline)
	}
	if len(s.Objectives) > 0 {
		if s.Direction != Minimize {
			return nil, invalid(op, "set Direction or Objectives, not both")
		}
		e.Direction = parzenv1.Direction_DIRECTION_UNSPECIFIED
		for _, o := range s.Objectives {
			e.Objectives = append(e.Objectives, &parzenv1.Objective{Name: o.Name, Direction: o.Direction.proto()})
		}
	}
	return e, nil
}

// Experiment is a handle on a stored experiment plus a snapshot of its
// definition and trial counts (see Refresh). It is safe for concurrent use.
type Experiment struct {
	c       *Client
	name    string
	created bool

	mu sync.Mutex
	pb *parzenv1.Experiment
	// Choice labels of pb's space, computed once per snapshot.
	labels      map[string]map[string]string
	labelsSpace *parzenv1.SearchSpace
}

// choiceLabels is the labels of the snapshot's choice parameters.
func (e *Experiment) choiceLabels() map[string]map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.labels == nil || e.labelsSpace != e.pb.GetSpace() {
		e.labels, e.labelsSpace = choiceLabels(e.pb.GetSpace()), e.pb.GetSpace()
	}
	return e.labels
}

// CreateExperiment creates an experiment, or returns the stored one when an
// experiment of that name exists with an identical definition (Created then
// reports false). A different definition under the same name fails with
// ALREADY_EXISTS.
func (c *Client) CreateExperiment(ctx context.Context, spec ExperimentSpec) (*Experiment, error) {
	op := "CreateExperiment " + spec.Name
	e, err := spec.proto(op)
	if err != nil {
		return nil, err
	}
	resp, err := c.rpc.CreateExperiment(ctx, &parzenv1.CreateExperimentRequest{Experiment: e})
	if err != nil {
		return nil, wrap(op, err)
	}
	return &Experiment{c: c, name: resp.GetExperiment().GetName(), created: resp.GetCreated(), pb: resp.GetExperiment()}, nil
}

// Experiment opens an existing experiment by name (NOT_FOUND if absent).
func (c *Client) Experiment(ctx context.Context, name string) (*Experiment, error) {
	resp, err := c.rpc.GetExperiment(ctx, &parzenv1.GetExperimentRequest{Name: name})
	if err != nil {
		return nil, wrap("GetExperiment "+name, err)
	}
	return &Experiment{c: c, name: name, pb: resp.GetExperiment()}, nil
}

// DeleteExperiment deletes an experiment and its whole history.
func (c *Client) DeleteExperiment(ctx context.Context, name string) error {
	_, err := c.rpc.DeleteExperiment(ctx, &parzenv1.DeleteExperimentRequest{Name: name})
	return wrap("DeleteExperiment "+name, err)
}

// Name is the experiment's unique name.
func (e *Experiment) Name() string { return e.name }

// Created reports whether CreateExperiment made this experiment (false when
// it already existed with the same definition, or when opened by name).
func (e *Experiment) Created() bool { return e.created }

// Proto returns a copy of the experiment snapshot as its protobuf message.
func (e *Experiment) Proto() *parzenv1.Experiment {
	e.mu.Lock()
	defer e.mu.Unlock()
	return proto.Clone(e.pb).(*parzenv1.Experiment)
}

// Seed is the experiment's seed (chosen by the server unless given).
func (e *Experiment) Seed() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pb.GetSeed()
}

// Counts is the number of trials in each state as of the last snapshot.
func (e *Experiment) Counts() *parzenv1.TrialCounts {
	e.mu.Lock()
	defer e.mu.Unlock()
	return proto.Clone(e.pb.GetTrialCounts()).(*parzenv1.TrialCounts)
}

// State is the experiment's lifecycle state (ACTIVE, PAUSED, COMPLETED) as
// of the last snapshot, and why it is COMPLETED (UNSPECIFIED otherwise).
func (e *Experiment) State() (parzenv1.ExperimentState, parzenv1.CompletionReason) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pb.GetState(), e.pb.GetCompletionReason()
}

// MaxTrials is the experiment's budget of COMPLETE + PRUNED trials, and
// whether it has one.
func (e *Experiment) MaxTrials() (int64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pb.GetMaxTrials(), e.pb.MaxTrials != nil
}

// Refresh reloads the snapshot (definition and trial counts).
func (e *Experiment) Refresh(ctx context.Context) error {
	resp, err := e.c.rpc.GetExperiment(ctx, &parzenv1.GetExperimentRequest{Name: e.name})
	if err != nil {
		return wrap("GetExperiment "+e.name, err)
	}
	e.mu.Lock()
	e.pb = resp.GetExperiment()
	e.mu.Unlock()
	return nil
}

// Delete deletes the experiment and its whole history.
func (e *Experiment) Delete(ctx context.Context) error { return e.c.DeleteExperiment(ctx, e.name) }

// Suggest returns one new RUNNING trial to evaluate. Once the experiment is
// COMPLETED it returns an error matching ErrExperimentDone (see
// ExperimentDoneError for the reason). While the rest of the budget is all
// RUNNING on other workers, or the experiment is PAUSED, it waits as the
// server's retry_after says and asks again, so that if a running trial fails
// or its lease lapses this worker runs the replacement; the wait ends with
// ctx (or, when ctx has no deadline, after the client's call timeout).
func (e *Experiment) Suggest(ctx context.Context) (*Trial, error) {
	ts, err := e.SuggestN(ctx, 1)
	if err != nil {
		return nil, err
	}
	return ts[0], nil
}

// SuggestN returns up to n new RUNNING trials (1 <= n <= 1000), e.g. for a
// batch of parallel evaluations: fewer when the experiment's MaxTrials
// leaves fewer. Enqueued configurations come first. Done and waiting as for
// Suggest.
func (e *Experiment) SuggestN(ctx context.Context, n int) ([]*Trial, error) {
	op := "Suggest " + e.name
	if n < 1 || n > 1000 {
		return nil, invalid(op, "count must be in 1..1000, got %d", n)
	}
	pbs, err := e.c.untilTrials(ctx, op, e.name, func(ctx context.Context) (trialsAnswer, error) {
		return e.c.rpc.Suggest(ctx, &parzenv1.SuggestRequest{
			Experiment: e.name,
			Count:      int32(n),
			WorkerId:   e.c.workerID,
			RequestId:  newRequestID(),
		})
	})
	if err != nil {
		return nil, err
	}
	if len(pbs) > n {
		return nil, wrap(op, errUnexpected("asked for %d trials, got %d", n, len(pbs)))
	}
	return e.trials(pbs), nil
}

// trialsAnswer is what Suggest (and Report's next trial) answers.
type trialsAnswer interface {
	GetTrials() []*parzenv1.Trial
	GetDone() bool
	GetDoneReason() parzenv1.CompletionReason
	GetRetryAfter() *durationpb.Duration
}

// untilTrials calls ask until its answer carries trials, waiting through
// retry_after; done becomes an *ExperimentDoneError.
func (c *Client) untilTrials(ctx context.Context, op, name string, ask func(context.Context) (trialsAnswer, error)) ([]*parzenv1.Trial, error) {
	if _, ok := ctx.Deadline(); !ok && c.callTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.callTimeout)
		defer cancel()
	}
	for {
		resp, err := ask(ctx)
		if err != nil {
			return nil, wrap(op, err)
		}
		if resp.GetDone() {
			return nil, &ExperimentDoneError{Experiment: name, Reason: resp.GetDoneReason()}
		}
		if len(resp.GetTrials()) > 0 {
			return resp.GetTrials(), nil
		}
		if resp.GetRetryAfter() == nil {
			return nil, wrap(op, errUnexpected("no trials, no done, no retry_after"))
		}
		timer := time.NewTimer(resp.GetRetryAfter().AsDuration())
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, wrap(op, status.Errorf(codes.DeadlineExceeded,
				"no trial to run before the context ended (%v): the rest of the experiment's max_trials is RUNNING on other workers, or it is paused", ctx.Err()))
		case <-timer.C:
		}
	}
}

// Best returns the best COMPLETE trial (lowest loss, or highest when
// maximising). It fails with FAILED_PRECONDITION while there is none.
func (e *Experiment) Best(ctx context.Context) (*Trial, error) {
	resp, err := e.c.rpc.GetBest(ctx, &parzenv1.GetBestRequest{Experiment: e.name})
	if err != nil {
		return nil, wrap("GetBest "+e.name, err)
	}
	return e.newTrial(resp.GetTrial()), nil
}

// ParetoFront returns the COMPLETE trials no other COMPLETE trial dominates
// (the feasible ones when trials report constraints), in number order; read
// each one's Values. With one objective: the trials tied for the best loss.
func (e *Experiment) ParetoFront(ctx context.Context) ([]*Trial, error) {
	resp, err := e.c.rpc.GetParetoFront(ctx, &parzenv1.GetParetoFrontRequest{Experiment: e.name})
	if err != nil {
		return nil, wrap("GetParetoFront "+e.name, err)
	}
	return e.c.trials(resp.GetTrials()), nil
}

// ParameterImportance is how much one parameter matters to the loss.
type ParameterImportance struct {
	Name       string
	Importance float64
}

// Importance returns how much each parameter matters to the loss, most
// important first: PED-ANOVA over the COMPLETE trials, computed by the
// server. Importances sum to 1, or are all 0 while too few trials can be
// judged.
func (e *Experiment) Importance(ctx context.Context) ([]ParameterImportance, error) {
	resp, err := e.c.rpc.GetImportance(ctx, &parzenv1.GetImportanceRequest{Experiment: e.name})
	if err != nil {
		return nil, wrap("GetImportance "+e.name, err)
	}
	out := make([]ParameterImportance, 0, len(resp.GetParameters()))
	for _, p := range resp.GetParameters() {
		out = append(out, ParameterImportance{Name: p.GetName(), Importance: p.GetImportance()})
	}
	return out, nil
}

// Enqueue adds configurations of your choosing (parameter name -> value,
// active parameters only) that Suggest serves before any algorithm's. It
// returns the WAITING trials created.
func (e *Experiment) Enqueue(ctx context.Context, configs ...map[string]any) ([]*Trial, error) {
	op := "Enqueue " + e.name
	req := &parzenv1.EnqueueRequest{Experiment: e.name}
	for _, cfg := range configs {
		params, err := toValueMap(op, cfg)
		if err != nil {
			return nil, err
		}
		req.Configurations = append(req.Configurations, &parzenv1.Configuration{Params: params})
	}
	resp, err := e.c.rpc.Enqueue(ctx, req)
	if err != nil {
		return nil, wrap(op, err)
	}
	return e.trials(resp.GetTrials()), nil
}

// Observation is an already-evaluated configuration for Import.
type Observation struct {
	Params map[string]any
	// The loss of a successful evaluation; ignored when Failed.
	Loss    float64
	Failed  bool
	Metrics map[string]float64
	// A multi-objective experiment's values (Loss is then ignored).
	Values []float64
	// Constraint values, feasible when every one is <= 0.
	Constraints []float64
}

// Import adds already-evaluated trials to the history (warm start), e.g.
// results of an earlier study, so the algorithm learns from them.
func (e *Experiment) Import(ctx context.Context, obs ...Observation) ([]*Trial, error) {
	op := "AddTrials " + e.name
	// The request id makes a retried import safe: the server imports once.
	req := &parzenv1.AddTrialsRequest{Experiment: e.name, RequestId: newRequestID()}
	for _, o := range obs {
		params, err := toValueMap(op, o.Params)
		if err != nil {
			return nil, err
		}
		ti := &parzenv1.TrialImport{Params: params, Metrics: o.Metrics, State: parzenv1.TrialState_TRIAL_STATE_COMPLETE}
		ti.Constraints = o.Constraints
		switch {
		case o.Failed:
			ti.State = parzenv1.TrialState_TRIAL_STATE_FAIL
		case len(o.Values) > 0:
			ti.Values = o.Values
		default:
			ti.Loss = proto.Float64(o.Loss)
		}
		req.Trials = append(req.Trials, ti)
	}
	resp, err := e.c.rpc.AddTrials(ctx, req)
	if err != nil {
		return nil, wrap(op, err)
	}
	return e.c.trials(resp.GetTrials()), nil
}

// StopConditions changes an experiment's stop conditions in Update: a
// non-nil field sets that limit, a Clear flag removes it, and the others stay
// as they are.
type StopConditions struct {
	MaxTrials       *int64
	MaxFailedTrials *int64
	Goal            *float64
	Deadline        *time.Time

	ClearMaxTrials, ClearMaxFailedTrials, ClearGoal, ClearDeadline bool
}

// Pause makes Suggest wait (the server answers retry_after) until Resume;
// RUNNING trials may still report.
func (e *Experiment) Pause(ctx context.Context) error {
	return e.update(ctx, "Pause", parzenv1.ExperimentAction_EXPERIMENT_ACTION_PAUSE, StopConditions{})
}

// Resume undoes Pause and Stop: the experiment is ACTIVE again unless a stop
// condition still holds.
func (e *Experiment) Resume(ctx context.Context) error {
	return e.update(ctx, "Resume", parzenv1.ExperimentAction_EXPERIMENT_ACTION_RESUME, StopConditions{})
}

// Stop completes the experiment (reason STOPPED): every worker's Suggest
// returns ErrExperimentDone. Only Resume re-opens it.
func (e *Experiment) Stop(ctx context.Context) error {
	return e.update(ctx, "Stop", parzenv1.ExperimentAction_EXPERIMENT_ACTION_STOP, StopConditions{})
}

// Update changes the stop conditions set in s. Raising MaxTrials of an
// experiment COMPLETED by its budget re-opens it. The snapshot is updated.
func (e *Experiment) Update(ctx context.Context, s StopConditions) error {
	return e.update(ctx, "Update", parzenv1.ExperimentAction_EXPERIMENT_ACTION_UNSPECIFIED, s)
}

func (e *Experiment) update(ctx context.Context, what string, action parzenv1.ExperimentAction, s StopConditions) error {
	req := &parzenv1.UpdateExperimentRequest{
		Name: e.name, Action: action, MaxTrials: s.MaxTrials, MaxFailedTrials: s.MaxFailedTrials, Goal: s.Goal,
		ClearMaxTrials: s.ClearMaxTrials, ClearMaxFailedTrials: s.ClearMaxFailedTrials,
		ClearGoal: s.ClearGoal, ClearDeadline: s.ClearDeadline,
	}
	if s.Deadline != nil {
		req.Deadline = timestamppb.New(*s.Deadline)
	}
	resp, err := e.c.rpc.UpdateExperiment(ctx, req)
	if err != nil {
		return wrap(what+" "+e.name, err)
	}
	e.mu.Lock()
	e.pb = resp.GetExperiment()
	e.mu.Unlock()
	return nil
}
