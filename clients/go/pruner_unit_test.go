package parzen

import "testing"

func TestPrunerBuilders(t *testing.T) {
	cases := []struct {
		got  PrunerConfig
		name string
		opts map[string]any
	}{
		{NoPruner(), "none", nil},
		{MedianPruner(), "median", map[string]any{}},
		{MedianPruner(StartupTrials(3), WarmupSteps(2), IntervalSteps(4), MinTrials(2)), "median",
			map[string]any{"n_startup_trials": 3, "n_warmup_steps": 2, "interval_steps": 4, "n_min_trials": 2}},
		{PercentilePruner(25, WarmupSteps(1)), "percentile", map[string]any{"percentile": 25.0, "n_warmup_steps": 1}},
		{SuccessiveHalvingPruner(MinResource(2), ReductionFactor(3), MinEarlyStoppingRate(1), BootstrapCount(1)), "successive_halving",
			map[string]any{"min_resource": 2, "reduction_factor": 3, "min_early_stopping_rate": 1, "bootstrap_count": 1}},
		{HyperbandPruner(MaxResource(81)), "hyperband", map[string]any{"max_resource": 81}},
		{ThresholdPruner(Lower(0), Upper(1)), "threshold", map[string]any{"lower": 0.0, "upper": 1.0}},
	}
	for _, c := range cases {
		if c.got.Name != c.name || len(c.got.Options) != len(c.opts) {
			t.Errorf("%s: got %+v", c.name, c.got)
			continue
		}
		for k, v := range c.opts {
			if c.got.Options[k] != v {
				t.Errorf("%s: option %s = %v, want %v", c.name, k, c.got.Options[k], v)
			}
		}
	}
}

func TestSpecProtoPruner(t *testing.T) {
	spec := ExperimentSpec{Name: "e", Space: []Param{Uniform("x", 0, 1)}, Pruner: MedianPruner(WarmupSteps(2))}
	pb, err := spec.proto("CreateExperiment e")
	if err != nil {
		t.Fatal(err)
	}
	if pb.GetPruner().GetName() != "median" || pb.GetPruner().GetOptions()["n_warmup_steps"].GetIntValue() != 2 {
		t.Errorf("pruner lost: %v", pb.GetPruner())
	}
	spec.Pruner = PrunerConfig{Name: "median", Options: map[string]any{"bad": []int{1}}}
	if _, err := spec.proto("CreateExperiment e"); !IsInvalidArgument(err) {
		t.Errorf("want INVALID_ARGUMENT for a bad pruner option, got %v", err)
	}
}
