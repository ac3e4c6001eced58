"""Early stopping end to end: each pruner's decisions, observed through the
client over gRPC on scripted learning curves whose right answer is known;
the accepted ways to configure a pruner; fmin with ``TrialPruned``; and the
PRUNED state and learning curves in ``exp.trials()`` and the DataFrame."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any, Callable

import pytest

import parzen
from parzen import errors, hp, pruners
from parzen.v1 import experiment_pb2

SPACE = {"x": hp.uniform("x", 0, 1)}
STEPS = 10


def curve(level: float) -> Callable[[int], float]:
    """A decreasing learning curve converging to ``level``: parallel curves
    keep their order at every step."""
    return lambda t: level * (1 + 1 / (t + 1))


def run(exp: parzen.Experiment, f: Callable[[int], float], steps: int = STEPS, *, obey: bool = True) -> list[bool]:
    """Evaluates one trial on the curve ``f``: reports steps 0.. and returns
    the pruner's answers. Obeying, it stops at the first "prune" and reports
    PRUNED; otherwise it reports the whole curve and COMPLETE."""
    answers: list[bool] = []
    with exp.suggest() as trial:
        for t in range(steps):
            answers.append(trial.report_intermediate(t, f(t)))
            if answers[-1] and obey:
                raise parzen.TrialPruned()
        trial.report(f(steps - 1))
    assert trial.state == ("PRUNED" if obey and any(answers) else "COMPLETE")
    return answers


def first_prune(answers: Sequence[bool]) -> int | None:
    """The step at which the pruner first said stop (None: never)."""
    return next((i for i, a in enumerate(answers) if a), None)


# ------------------------------------------------------------ configuration


def test_pruner_forms_build_the_same_config() -> None:
    dict_form = pruners.to_proto({"name": "median", "n_warmup_steps": 2})
    legacy = pruners.to_proto("median", {"n_warmup_steps": 2})
    assert dict_form == legacy
    assert dict_form is not None and dict_form.name == "median" and dict_form.options["n_warmup_steps"].int_value == 2
    # Typed objects send required options and those differing from the defaults...
    assert pruners.to_proto(pruners.Median(n_warmup_steps=2)) == dict_form
    assert pruners.to_proto(pruners.Median()) == pruners.to_proto("median") == pruners.to_proto({"name": "median"})
    full = pruners.to_proto(pruners.Median(n_startup_trials=3, n_warmup_steps=2, interval_steps=4, n_min_trials=2))
    assert full is not None and {k: v.int_value for k, v in full.options.items()} == {
        "n_startup_trials": 3,
        "n_warmup_steps": 2,
        "interval_steps": 4,
        "n_min_trials": 2,
    }
    p = pruners.to_proto(pruners.Percentile(25.0))
    assert (
        p is not None
        and dict(p.options) == {"percentile": p.options["percentile"]}
        and p.options["percentile"].double_value == 25.0
    )
    assert pruners.to_proto(None) is None
    t = pruners.to_proto(pruners.Threshold(upper=1.5))
    assert t is not None and set(t.options) == {"upper"}
    sh = pruners.to_proto(pruners.SuccessiveHalving(min_resource=3))
    assert sh is not None and set(sh.options) == {"min_resource"} and sh.options["min_resource"].int_value == 3
    assert pruners.of({"name": "percentile", "percentile": 25.0}) == pruners.Percentile(25.0)
    assert pruners.of("hyperband") == pruners.Hyperband()
    assert pruners.from_proto(experiment_pb2.PrunerConfig()) == pruners.NoPruner()
    assert pruners.of({"name": "future", "k": 1}) == pruners.Custom("future", {"k": 1})


def test_pruner_forms_reject_ambiguity() -> None:
    with pytest.raises(TypeError):
        pruners.to_proto(pruners.Median(), {"n_warmup_steps": 2})
    with pytest.raises(TypeError):
        pruners.to_proto({"name": "median"}, {"n_warmup_steps": 2})
    with pytest.raises(TypeError):
        pruners.to_proto(None, {"n_warmup_steps": 2})
    with pytest.raises(ValueError, match='needs a "name"'):
        pruners.to_proto({"n_warmup_steps": 2})
    with pytest.raises(TypeError):
        pruners.to_proto(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "pruner",
    [
        pruners.NoPruner(),
        pruners.Median(n_startup_trials=2, n_warmup_steps=1),
        pruners.Percentile(25.0, n_min_trials=2),
        pruners.SuccessiveHalving(min_resource=2, reduction_factor=3),
        pruners.Hyperband(min_resource=1, max_resource=27),
        pruners.Threshold(lower=0.0, upper=1.0, n_warmup_steps=3),
    ],
    ids=lambda p: p.name,
)
def test_every_typed_pruner_is_accepted_and_read_back(client: parzen.Client, name: str, pruner: pruners.Pruner) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", pruner=pruner)
    assert exp.proto.pruner.name == pruner.name
    assert exp.pruner == pruner
    assert client.get_experiment(name).pruner == pruner
    # the same definition again returns the existing experiment
    assert client.create_experiment(name, SPACE, algorithm="random", pruner=pruner).created is False


def test_dict_and_name_forms_over_grpc(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", pruner={"name": "median", "n_warmup_steps": 2})
    assert exp.pruner == pruners.Median(n_warmup_steps=2)
    exp2 = client.create_experiment(
        name + "-2", SPACE, algorithm="random", pruner="percentile", pruner_options={"percentile": 10}
    )
    assert exp2.pruner == pruners.Percentile(10)
    assert client.create_experiment(name + "-3", SPACE, algorithm="random").pruner == pruners.NoPruner()
    # The typed object with default options is the same definition as the bare name.
    exp4 = client.create_experiment(name + "-4", SPACE, algorithm="random", pruner="hyperband")
    assert client.create_experiment(name + "-4", SPACE, algorithm="random", pruner=pruners.Hyperband()).created is False
    assert exp4.pruner == pruners.Hyperband()


@pytest.mark.parametrize(
    ("pruner", "message"),
    [
        (pruners.Threshold(), "lower"),
        ({"name": "percentile"}, "percentile"),
        (pruners.Median(interval_steps=0), "interval_steps"),
        (pruners.SuccessiveHalving(reduction_factor=1), "reduction_factor"),
        (pruners.Hyperband(min_resource=10, max_resource=3), "max_resource"),
        ({"name": "median", "n_warmup": 2}, "n_warmup"),
        ("early", "unknown pruner"),
    ],
)
def test_bad_pruner_options_are_invalid_argument(client: parzen.Client, name: str, pruner: Any, message: str) -> None:
    with pytest.raises(errors.InvalidArgument, match=message):
        client.create_experiment(name, SPACE, algorithm="random", pruner=pruner)


# ------------------------------------------------------------------ median


def test_median_prunes_a_clearly_worse_curve_after_startup_and_warmup(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(
        name, SPACE, algorithm="random", pruner=pruners.Median(n_startup_trials=3, n_warmup_steps=2)
    )
    # Startup: nothing is pruned before 3 trials are COMPLETE, however bad.
    assert not any(run(exp, curve(10.0)))
    assert not any(run(exp, curve(1.0)))
    assert not any(run(exp, curve(1.2)))
    # The median at every step is now the 1.2 curve's: a better curve goes on...
    assert not any(run(exp, curve(0.9)))
    # ...a clearly worse one is pruned at the first step after warm-up.
    answers = run(exp, curve(5.0))
    assert first_prune(answers) == 2 and len(answers) == 3
    # Its best value so far, not its last, is compared: a curve that was good
    # early and then diverged is not pruned on its early best.
    assert not any(run(exp, lambda t: 0.5 if t < 3 else 50.0))
    # NaN is pruned at once, warm-up or not.
    with exp.suggest() as t:
        assert t.report_intermediate(0, math.nan) is True
        t.prune()
    counts = exp.refresh().trial_counts
    assert counts["PRUNED"] == 2 and counts["COMPLETE"] == 5


def test_median_interval_and_min_trials(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(
        name, SPACE, algorithm="random", pruner=pruners.Median(n_startup_trials=1, interval_steps=3, n_min_trials=2)
    )
    assert not any(run(exp, curve(1.0)))
    # One COMPLETE trial has values at every step, but n_min_trials=2 needs two.
    assert not any(run(exp, curve(5.0), obey=False))
    exp2 = client.create_experiment(
        name + "-b", SPACE, algorithm="random", pruner=pruners.Median(n_startup_trials=1, interval_steps=3)
    )
    run(exp2, curve(1.0))
    # Decisions only at steps 0, 3, 6, 9: the best value so far (1.9, from
    # step 0) beats the median 2.0 at step 0, loses to 1.5 at step 1 (no
    # decision there) and to 1.25 at step 3.
    answers = run(exp2, lambda t: 1.9 if t == 0 else 5.0)
    assert first_prune(answers) == 3


# -------------------------------------------------------------- percentile


def test_percentile_25_prunes_what_median_keeps(client: parzen.Client, name: str) -> None:
    """COMPLETE levels 1, 2, 3, 4: the 25th percentile (linear interpolation)
    is at level 1.75, the median at 2.5; a curve at level 2.2 is pruned by
    the first and kept by the second."""
    p25 = client.create_experiment(
        name + "-p25", SPACE, algorithm="random", pruner=pruners.Percentile(25, n_startup_trials=4)
    )
    med = client.create_experiment(name + "-med", SPACE, algorithm="random", pruner=pruners.Median(n_startup_trials=4))
    for exp in (p25, med):
        for level in (1.0, 2.0, 3.0, 4.0):
            assert not any(run(exp, curve(level)))
    assert first_prune(run(p25, curve(2.2))) == 0
    assert not any(run(med, curve(2.2)))
    assert not any(run(p25, curve(1.5)))


# -------------------------------------------------------------------- ASHA


def test_successive_halving_keeps_the_top_third_at_each_rung(client: parzen.Client, name: str) -> None:
    """min_resource 1, η 3: rungs at steps 1, 3, 9. Nine COMPLETE curves at
    levels 1..9 fill the rungs; a newcomer is one of 10 at each rung and goes
    on only if its value is within the best floor(10/3) - 1 + 1 = 3."""
    exp = client.create_experiment(
        name, SPACE, algorithm="random", pruner=pruners.SuccessiveHalving(min_resource=1, reduction_factor=3)
    )
    for level in range(1, 10):
        run(exp, curve(float(level)), obey=False)
    # Third best at every rung (ties go on): survives all rungs.
    assert not any(run(exp, curve(2.5)))
    # Now 11 at each rung: the best floor(11/3) = 3 are 1, 2, 2.5; 3.5 is 4th.
    answers = run(exp, curve(3.5))
    assert first_prune(answers) == 1, "pruned at the first rung (step 1), not at step 0"
    # A curve that is good until rung 3 (step 9), then worse than the top third.
    late = run(exp, lambda t: curve(0.5)(t) if t < 9 else 100.0)
    assert first_prune(late) == 9
    # Step 0 and steps between rungs are never decisions.
    assert not any(run(exp, lambda t: 100.0 if t == 0 or t == 2 else curve(0.1)(t)))


def test_successive_halving_auto_waits_for_a_complete_trial(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", pruner=pruners.SuccessiveHalving())
    trials = exp.suggest(count=2)
    # No COMPLETE trial yet: "auto" min_resource is unknown, nothing is pruned.
    assert not any(trials[0].report_intermediate(t, curve(1.0)(t)) for t in range(STEPS))
    assert not any(trials[1].report_intermediate(t, curve(9.0)(t)) for t in range(STEPS))
    trials[0].report(1.0)
    trials[1].report(9.0)
    # min_resource = ceil(9 / 100) = 1, η 4: rungs at 1, 4; 3 at a rung keep the best.
    answers = run(exp, curve(5.0))
    assert first_prune(answers) == 1


# --------------------------------------------------------------- threshold


def test_threshold_prunes_nan_and_out_of_bounds(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(
        name, SPACE, algorithm="random", pruner=pruners.Threshold(lower=0.0, upper=1.0, n_warmup_steps=2)
    )
    assert not any(run(exp, lambda t: 0.5))
    # Out of bounds during warm-up is tolerated; from step 2 on it is pruned.
    assert first_prune(run(exp, lambda t: 2.0)) == 2
    assert first_prune(run(exp, lambda t: 0.5 if t < 4 else -0.1)) == 4
    # NaN is pruned at once, even during warm-up.
    assert first_prune(run(exp, lambda t: math.nan if t == 1 else 0.5)) == 1
    # Bounds are on raw values, whatever the direction.
    mx = client.create_experiment(
        name + "-max", SPACE, algorithm="random", direction="maximize", pruner=pruners.Threshold(lower=0.8)
    )
    assert first_prune(run(mx, lambda t: 0.9 if t < 3 else 0.7)) == 3


# --------------------------------------------------------------- hyperband


def test_hyperband_prunes_clearly_worse_curves_and_keeps_the_best(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(
        name, SPACE, algorithm="random", pruner=pruners.Hyperband(min_resource=1, max_resource=9, reduction_factor=3)
    )
    levels = [float(i) for i in range(1, 31)]
    random.Random(7).shuffle(levels)
    outcome: dict[float, list[bool]] = {}
    for level in levels:
        outcome[level] = run(exp, curve(level))
    pruned = [lv for lv, a in outcome.items() if any(a)]
    assert len(pruned) >= 5, outcome
    # The best curve is best at every rung of its bracket: never pruned.
    assert not any(outcome[1.0])
    # Every pruned curve had a better one at that point in its bracket; in
    # particular the pruned ones are not the best few overall.
    assert min(pruned) > 1.0
    states = {t.state for t in exp.trials()}
    assert states == {"COMPLETE", "PRUNED"}


# ------------------------------------------------- fmin, history and export


def test_fmin_objective_raising_trial_pruned(client: parzen.Client, name: str) -> None:
    seen: list[parzen.Trial | None] = []

    def objective(params: dict[str, float]) -> float:
        trial = parzen.current_trial()
        seen.append(trial)
        assert trial is not None and trial.params == params
        x = params["x"]
        for epoch in range(4):
            if trial.report_intermediate(epoch, x + 1.0 / (epoch + 1)):
                raise parzen.TrialPruned()
        return x

    trials = parzen.Trials()
    best = parzen.fmin(
        objective,
        SPACE,
        algo="random",
        max_evals=16,
        client=client,
        experiment=name,
        seed=3,
        pruner=pruners.Threshold(upper=1.5),
        show_progressbar=False,
        trials=trials,
    )
    assert parzen.current_trial() is None
    exp = client.get_experiment(name)
    history = exp.trials()
    assert len(history) == 16 == len(seen)
    pruned = [t for t in history if t.state == "PRUNED"]
    complete = [t for t in history if t.state == "COMPLETE"]
    assert pruned and complete
    for t in pruned:
        # x + 1/(e+1) > 1.5 at epoch 0 when x > 0.5; loss = last value
        assert t.intermediate == {0: float(t.flat_params["x"]) + 1.0} and t.loss == t.intermediate[0]
    for t in complete:
        assert len(t.intermediate) == 4 and all(v <= 1.5 for v in t.intermediate.values())
    assert best["x"] == min(t.loss for t in complete if t.loss is not None)
    assert exp.best_trial is not None and exp.best_trial.state == "COMPLETE"
    assert sorted(trials.statuses()).count("fail") == len(pruned)


def test_fmin_other_exceptions_still_fail_and_raise(client: parzen.Client, name: str) -> None:
    def objective(params: dict[str, float]) -> float:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        parzen.fmin(
            objective, SPACE, algo="random", max_evals=3, client=client, experiment=name, show_progressbar=False
        )
    assert [t.state for t in client.get_experiment(name).trials()] == ["FAIL"]


def test_pruned_state_and_curves_in_trials_and_dataframe(client: parzen.Client, name: str) -> None:
    pd = pytest.importorskip("pandas")
    exp = client.create_experiment(name, SPACE, algorithm="random", pruner=pruners.Median(n_startup_trials=1))
    run(exp, curve(1.0), steps=4)
    assert first_prune(run(exp, curve(3.0), steps=4)) == 0
    with exp.suggest() as t:
        assert t.report_intermediate(0, 0.5) is False
        assert t.report_intermediate(1, 5.0) is False  # best so far 0.5 still beats the median
        t.prune()  # the worker may prune on its own; loss = last value
    assert t.state == "PRUNED" and t.loss == 5.0

    assert [tr.state for tr in exp.trials()] == ["COMPLETE", "PRUNED", "PRUNED"]
    assert [tr.number for tr in exp.trials(["PRUNED"])] == [1, 2]
    assert exp.trials(["PRUNED"])[0].intermediate == {0: 6.0}

    df = exp.trials_dataframe()
    assert list(df["state"]) == ["COMPLETE", "PRUNED", "PRUNED"]
    assert list(df["last_step"]) == [3, 0, 1]
    assert df["intermediate"][0] == {0: 2.0, 1: 1.5, 2: 1.0 + 1 / 3, 3: 1.25}
    assert df["intermediate"][2] == {0: 0.5, 1: 5.0}
    assert list(df["loss"]) == [1.25, 6.0, 5.0]

    wide = exp.trials_dataframe(intermediate_columns=True)
    assert [c for c in wide.columns if c.startswith("intermediate.")] == [f"intermediate.{s}" for s in range(4)]
    assert wide["intermediate.0"].tolist() == [2.0, 6.0, 0.5]
    assert pd.isna(wide["intermediate.3"][1])
    assert "intermediate" not in wide.columns
