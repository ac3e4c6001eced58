package parzen

// Experiments: create or open one by name, then Suggest trials from it,
// seed it with Enqueue or Import, and read its Best trial and history.

import (
	"context"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

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
	// "tpe" (the server's default when empty), "random" or "gp".
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
	// Several objectives, in order (then leave Direction at its zero value):
	// trials report with ReportValues and the experiment's ParetoFront
	// replaces Best. Empty: one objective, the loss, in Direction.
	Objectives []Objective
}

// SeedOf is a convenience for ExperimentSpec.Seed.
func SeedOf(seed uint64) *uint64 { return &seed }

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

// Suggest returns one new RUNNING trial to evaluate.
func (e *Experiment) Suggest(ctx context.Context) (*Trial, error) {
	ts, err := e.SuggestN(ctx, 1)
	if err != nil {
		return nil, err
	}
	return ts[0], nil
}

// SuggestN returns n new RUNNING trials (1 <= n <= 1000), e.g. for a
// batch of parallel evaluations. Enqueued configurations come first.
func (e *Experiment) SuggestN(ctx context.Context, n int) ([]*Trial, error) {
	op := "Suggest " + e.name
	if n < 1 || n > 1000 {
		return nil, invalid(op, "count must be in 1..1000, got %d", n)
	}
	resp, err := e.c.rpc.Suggest(ctx, &parzenv1.SuggestRequest{
		Experiment: e.name,
		Count:      int32(n),
		WorkerId:   e.c.workerID,
		RequestId:  newRequestID(),
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(resp.GetTrials()) != n {
		return nil, wrap(op, errUnexpected("asked for %d trials, got %d", n, len(resp.GetTrials())))
	}
	return e.c.trials(resp.GetTrials()), nil
}

// Best returns the best COMPLETE trial (lowest loss, or highest when
// maximising). It fails with FAILED_PRECONDITION while there is none.
func (e *Experiment) Best(ctx context.Context) (*Trial, error) {
	resp, err := e.c.rpc.GetBest(ctx, &parzenv1.GetBestRequest{Experiment: e.name})
	if err != nil {
		return nil, wrap("GetBest "+e.name, err)
	}
	return e.c.newTrial(resp.GetTrial()), nil
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
	return e.c.trials(resp.GetTrials()), nil
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
