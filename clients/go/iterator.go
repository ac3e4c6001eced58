package parzen

// Iterators over history: range-over-func sequences that fetch pages
// lazily, so a loop can stop early without reading everything.
//
//	for t, err := range exp.Trials(ctx, parzen.Complete) {
//		if err != nil { return err }
//		...
//	}

import (
	"context"
	"iter"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// Trials iterates over the experiment's trials in number order, only those
// in the given states when any are given. On failure it yields one error
// (with a nil trial) and stops.
func (e *Experiment) Trials(ctx context.Context, states ...TrialState) iter.Seq2[*Trial, error] {
	return func(yield func(*Trial, error) bool) {
		req := &parzenv1.ListTrialsRequest{Experiment: e.name, States: states}
		for {
			resp, err := e.c.rpc.ListTrials(ctx, req)
			if err != nil {
				yield(nil, wrap("ListTrials "+e.name, err))
				return
			}
			for _, pb := range resp.GetTrials() {
				if !yield(e.newTrial(pb), nil) {
					return
				}
			}
			if resp.GetNextPageToken() == "" {
				return
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
}

// AllTrials collects Trials into a slice.
func (e *Experiment) AllTrials(ctx context.Context, states ...TrialState) ([]*Trial, error) {
	var out []*Trial
	for t, err := range e.Trials(ctx, states...) {
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Experiments iterates over all experiments on the server. On failure it
// yields one error (with a nil experiment) and stops.
func (c *Client) Experiments(ctx context.Context) iter.Seq2[*Experiment, error] {
	return func(yield func(*Experiment, error) bool) {
		req := &parzenv1.ListExperimentsRequest{}
		for {
			resp, err := c.rpc.ListExperiments(ctx, req)
			if err != nil {
				yield(nil, wrap("ListExperiments", err))
				return
			}
			for _, pb := range resp.GetExperiments() {
				if !yield(&Experiment{c: c, name: pb.GetName(), pb: pb}, nil) {
					return
				}
			}
			if resp.GetNextPageToken() == "" {
				return
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
}
