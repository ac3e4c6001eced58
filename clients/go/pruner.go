package parzen

// Pruners: which trials the server tells to stop early, answering
// Trial.ReportIntermediate. The server validates every option (an unknown
// or out-of-range one fails CreateExperiment with INVALID_ARGUMENT);
// semantics are Optuna's, see the Parzen README, "Early stopping (pruners)".

import parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"

// PrunerConfig selects an experiment's pruner (ExperimentSpec.Pruner). The
// zero value means no pruning. Build one with MedianPruner,
// PercentilePruner, SuccessiveHalvingPruner, HyperbandPruner,
// ThresholdPruner or NoPruner, or spell out a name and raw options.
type PrunerConfig struct {
	// "none", "median", "percentile", "successive_halving", "hyperband" or
	// "threshold"; empty is the server's default ("none").
	Name string
	// Options by their server names (e.g. "n_warmup_steps"); values are
	// strings, bools, integers or floats. Absent options take the server's
	// defaults.
	Options map[string]any
}

// PrunerOption sets one pruner option; a pruner rejects options it does
// not have.
type PrunerOption func(map[string]any)

func prunerOption(name string, v any) PrunerOption {
	return func(m map[string]any) { m[name] = v }
}

// StartupTrials: median/percentile do not prune until this many trials are
// COMPLETE (default 5).
func StartupTrials(n int) PrunerOption { return prunerOption("n_startup_trials", n) }

// WarmupSteps: median/percentile/threshold do not decide before this step
// (default 0).
func WarmupSteps(n int) PrunerOption { return prunerOption("n_warmup_steps", n) }

// IntervalSteps: median/percentile/threshold decide every n steps after the
// warm-up (default 1).
func IntervalSteps(n int) PrunerOption { return prunerOption("interval_steps", n) }

// MinTrials: median/percentile need this many COMPLETE trials with a value
// at the step (default 1).
func MinTrials(n int) PrunerOption { return prunerOption("n_min_trials", n) }

// MinResource: the first rung's step for successive halving (default
// "auto": a hundredth of the longest COMPLETE curve) and hyperband
// (default 1).
func MinResource(n int) PrunerOption { return prunerOption("min_resource", n) }

// MaxResource: hyperband's longest curve (default "auto": the longest
// COMPLETE curve).
func MaxResource(n int) PrunerOption { return prunerOption("max_resource", n) }

// ReductionFactor: η, a trial goes on only within the top 1/η at a rung
// (default 4 for successive halving, 3 for hyperband).
func ReductionFactor(n int) PrunerOption { return prunerOption("reduction_factor", n) }

// MinEarlyStoppingRate: successive halving's first rung is
// min_resource·η^rate (default 0).
func MinEarlyStoppingRate(n int) PrunerOption { return prunerOption("min_early_stopping_rate", n) }

// BootstrapCount: successive halving/hyperband prune at a rung until more
// than this many trials reached it (default 0).
func BootstrapCount(n int) PrunerOption { return prunerOption("bootstrap_count", n) }

// Lower: the threshold pruner prunes values below it.
func Lower(x float64) PrunerOption { return prunerOption("lower", x) }

// Upper: the threshold pruner prunes values above it.
func Upper(x float64) PrunerOption { return prunerOption("upper", x) }

func newPruner(name string, opts []PrunerOption, preset map[string]any) PrunerConfig {
	m := preset
	if m == nil {
		m = map[string]any{}
	}
	for _, o := range opts {
		o(m)
	}
	return PrunerConfig{Name: name, Options: m}
}

// NoPruner never prunes (the server's default).
func NoPruner() PrunerConfig { return PrunerConfig{Name: "none"} }

// MedianPruner prunes a trial whose best value so far is worse than the
// median of the COMPLETE trials' values at the same step. Options:
// StartupTrials, WarmupSteps, IntervalSteps, MinTrials.
func MedianPruner(opts ...PrunerOption) PrunerConfig { return newPruner("median", opts, nil) }

// PercentilePruner is MedianPruner with the given percentile (0-100) as the
// bar: PercentilePruner(25) keeps only the best quarter.
func PercentilePruner(percentile float64, opts ...PrunerOption) PrunerConfig {
	return newPruner("percentile", opts, map[string]any{"percentile": percentile})
}

// SuccessiveHalvingPruner is asynchronous successive halving (ASHA): at each
// rung a trial goes on only within the top 1/η of the trials that reached
// it. Options: MinResource, ReductionFactor, MinEarlyStoppingRate,
// BootstrapCount.
func SuccessiveHalvingPruner(opts ...PrunerOption) PrunerConfig {
	return newPruner("successive_halving", opts, nil)
}

// HyperbandPruner runs successive halving in brackets of different
// early-stopping rates. Options: MinResource, MaxResource, ReductionFactor,
// BootstrapCount.
func HyperbandPruner(opts ...PrunerOption) PrunerConfig { return newPruner("hyperband", opts, nil) }

// ThresholdPruner prunes NaN values and values outside [Lower, Upper] (raw
// values, whatever the direction); give Lower, Upper or both. Other
// options: WarmupSteps, IntervalSteps.
func ThresholdPruner(opts ...PrunerOption) PrunerConfig { return newPruner("threshold", opts, nil) }

func (p PrunerConfig) proto(op string) (*parzenv1.PrunerConfig, error) {
	if p.Name == "" && len(p.Options) == 0 {
		return nil, nil
	}
	opts, err := toValueMap(op+": pruner option", p.Options)
	if err != nil {
		return nil, err
	}
	return &parzenv1.PrunerConfig{Name: p.Name, Options: opts}, nil
}

func prunerFromProto(pb *parzenv1.PrunerConfig) PrunerConfig {
	name := pb.GetName()
	if name == "" {
		name = "none"
	}
	return PrunerConfig{Name: name, Options: fromValueMap(pb.GetOptions())}
}

// Pruner is the experiment's pruner as stored (Name "none" when it has none).
func (e *Experiment) Pruner() PrunerConfig {
	e.mu.Lock()
	defer e.mu.Unlock()
	return prunerFromProto(e.pb.GetPruner())
}
