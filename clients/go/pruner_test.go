package parzen_test

// Pruning against the real server: the median pruner's decisions on
// scripted learning curves, option validation, and PRUNED in the history.

import (
	"context"
	"math"
	"testing"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

// levelCurve converges to level; parallel curves keep their order at every step.
func levelCurve(level float64) func(int64) float64 {
	return func(step int64) float64 { return level * (1 + 1/float64(step+1)) }
}

// runCurve evaluates one trial on curve f over steps 0..9: it stops and
// prunes at the first "prune" answer (returning that step), or reports the
// last value as COMPLETE (returning -1).
func runCurve(ctx context.Context, t *testing.T, exp *parzen.Experiment, f func(int64) float64) int64 {
	t.Helper()
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for step := int64(0); step < 10; step++ {
		prune, err := tr.ReportIntermediate(ctx, step, f(step))
		if err != nil {
			t.Fatal(err)
		}
		if prune {
			if err := tr.Prune(ctx); err != nil {
				t.Fatal(err)
			}
			if tr.State() != parzen.Pruned {
				t.Fatalf("after Prune: %s", tr.Summary())
			}
			// The loss is the last value; a NaN last value leaves no loss.
			if l, ok := tr.Loss(); ok == math.IsNaN(f(step)) || (ok && l != f(step)) {
				t.Errorf("pruned loss %v %v, want the last value %v", l, ok, f(step))
			}
			return step
		}
	}
	if err := tr.Report(ctx, f(9), nil); err != nil {
		t.Fatal(err)
	}
	return -1
}

func TestMedianPrunerOverGRPC(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{
		Space:  []parzen.Param{parzen.Uniform("x", 0, 1)},
		Pruner: parzen.MedianPruner(parzen.StartupTrials(3), parzen.WarmupSteps(2)),
	})
	if p := exp.Pruner(); p.Name != "median" || p.Options["n_startup_trials"] != int64(3) || p.Options["n_warmup_steps"] != int64(2) {
		t.Errorf("stored pruner: %+v", p)
	}
	// Startup: nothing is pruned before three trials are COMPLETE, however bad.
	for _, level := range []float64{10, 1, 1.2} {
		if s := runCurve(ctx, t, exp, levelCurve(level)); s != -1 {
			t.Fatalf("startup trial at level %v pruned at step %d", level, s)
		}
	}
	// Better than the median: goes on.
	if s := runCurve(ctx, t, exp, levelCurve(0.9)); s != -1 {
		t.Errorf("a good curve was pruned at step %d", s)
	}
	// Clearly worse: pruned at the first step after the warm-up.
	if s := runCurve(ctx, t, exp, levelCurve(5)); s != 2 {
		t.Errorf("a clearly worse curve: pruned at step %d, want 2", s)
	}
	// NaN: pruned at once.
	if s := runCurve(ctx, t, exp, func(int64) float64 { return math.NaN() }); s != 0 {
		t.Errorf("NaN curve: pruned at step %d, want 0", s)
	}
	if err := exp.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := exp.Counts(); n.GetComplete() != 4 || n.GetPruned() != 2 {
		t.Errorf("counts: %v", n)
	}
	pruned, err := exp.AllTrials(ctx, parzen.Pruned)
	if err != nil || len(pruned) != 2 || len(pruned[0].Proto().GetIntermediateValues()) != 3 {
		t.Fatalf("PRUNED history: %v %v", pruned, err)
	}
}

func TestPrunerOptionsAreValidated(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	for _, p := range []parzen.PrunerConfig{
		parzen.ThresholdPruner(),
		parzen.MedianPruner(parzen.ReductionFactor(3)),
		parzen.SuccessiveHalvingPruner(parzen.ReductionFactor(1)),
		{Name: "early"},
		// Options without a name go to the server's default pruner ("none"), which takes none: refused, never dropped.
		{Options: map[string]any{"n_warmup_steps": 3}},
	} {
		_, err := c.CreateExperiment(ctx, parzen.ExperimentSpec{Name: uniqueName(t), Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, Algorithm: "random", Pruner: p})
		if !parzen.IsInvalidArgument(err) {
			t.Errorf("%+v: want INVALID_ARGUMENT, got %v", p, err)
		}
	}
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}})
	if p := exp.Pruner(); p.Name != "none" {
		t.Errorf("default pruner: %+v", p)
	}
}
