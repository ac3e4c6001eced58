"""fmin's documented contract at its edges (fmin's docstring, the README, hyperopt's fmin semantics): where the
budget, the stop rules and the resumption begin and end, what a failing objective leaves behind, and which of
its arguments reach the experiment. Fast (small budgets on the session's server), so mutation runs use them."""

from __future__ import annotations

import importlib
import json
import re
import time
from typing import Any

import numpy as np
import pytest

import parzen
from parzen import errors, hp
from parzen.fmin import interpret_result
from parzen.template import ShapeError

SPACE = {"x": hp.uniform("x", 0, 1)}


def run(client: parzen.Client, name: str, fn: Any, **kw: Any) -> Any:
    kw.setdefault("algo", "random")
    return parzen.fmin(fn, kw.pop("space", SPACE), client=client, experiment=name, show_progressbar=False, **kw)


def states(client: parzen.Client, name: str) -> list[str]:
    return [t.state for t in client.get_experiment(name).trials()]


def test_needs_a_budget_or_a_timeout(client: parzen.Client, name: str) -> None:
    with pytest.raises(ValueError, match=r"^fmin needs max_evals or timeout$"):
        run(client, name, lambda p: 0.0)
    with pytest.raises(errors.NotFound):
        client.get_experiment(name)  # refused before anything was created


def test_arguments_reach_the_new_experiment(client: parzen.Client, name: str) -> None:
    run(
        client,
        name,
        lambda p: p["x"],
        max_evals=2,
        seed=11,
        options={"n_startup_trials": 5},
        algo="tpe",
        loss_threshold=-1.0,
        pruner=parzen.pruners.Median(),
    )
    exp = client.get_experiment(name)
    assert (exp.algorithm, exp.seed, exp.max_trials, exp.goal) == ("tpe", 11, 2, -1.0)
    assert exp.algorithm_options == {"n_startup_trials": 5}
    assert isinstance(exp.pruner, parzen.pruners.Median)
    # The stop conditions it was created with, so that a later call with another max_evals can resume it.
    assert json.loads(exp.user_attrs["parzen.fmin.created_with"]) == {"max_trials": 2, "goal": -1.0}


def test_rstate_seeds_like_hyperopt_and_an_explicit_seed_wins(client: parzen.Client, name: str) -> None:
    expected = int(np.random.default_rng(42).integers(0, 2**31 - 1))
    run(client, name, lambda p: p["x"], max_evals=1, rstate=np.random.default_rng(42))
    assert client.get_experiment(name).seed == expected
    run(client, name + "-s", lambda p: p["x"], max_evals=1, seed=3, rstate=np.random.default_rng(42))
    assert client.get_experiment(name + "-s").seed == 3


def test_an_unnamed_search_gets_a_fresh_name(client: parzen.Client) -> None:
    names = []
    for _ in range(2):
        trials = parzen.Trials()
        parzen.fmin(
            lambda p: p["x"], SPACE, algo="random", max_evals=1, client=client, trials=trials, show_progressbar=False
        )
        assert trials.experiment is not None
        names.append(trials.experiment.name)
    assert all(re.fullmatch(r"fmin-[0-9a-f]{12}", n) for n in names) and names[0] != names[1]


def test_trials_passed_again_resume_their_experiment(client: parzen.Client) -> None:
    trials = parzen.Trials()
    parzen.fmin(
        lambda p: p["x"], SPACE, algo="random", max_evals=1, client=client, trials=trials, show_progressbar=False
    )
    assert trials.experiment is not None
    first = trials.experiment.name
    parzen.fmin(
        lambda p: p["x"], SPACE, algo="random", max_evals=2, client=client, trials=trials, show_progressbar=False
    )
    assert trials.experiment.name == first and len(trials) == 2
    assert len(client.get_experiment(first).trials()) == 2


def test_a_named_experiment_wins_over_the_trials_one(client: parzen.Client, name: str) -> None:
    trials = parzen.Trials()
    run(client, name + "-a", lambda p: p["x"], max_evals=1, trials=trials)
    run(client, name + "-b", lambda p: p["x"], max_evals=2, trials=trials)
    assert len(states(client, name + "-a")) == 1 and len(states(client, name + "-b")) == 2
    assert trials.experiment is not None and trials.experiment.name == name + "-b" and len(trials) == 2


def test_address_string_and_parzen_address(
    client: parzen.Client, server_address: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parzen.fmin(
        lambda p: p["x"],
        SPACE,
        algo="random",
        max_evals=1,
        client=server_address,
        experiment=name,
        show_progressbar=False,
    )
    assert states(client, name) == ["COMPLETE"]
    monkeypatch.setenv("PARZEN_ADDRESS", server_address)
    parzen.fmin(lambda p: p["x"], SPACE, algo="random", max_evals=1, experiment=name + "-env", show_progressbar=False)
    assert states(client, name + "-env") == ["COMPLETE"]


def test_returns_the_best_parameters(client: parzen.Client, name: str) -> None:
    best = run(client, name, lambda p: abs(p["x"] - 0.5), max_evals=6, seed=1)
    exp = client.get_experiment(name)
    trials = exp.trials()
    assert best == min(trials, key=lambda t: t.loss or 0.0).params
    assert exp.algorithm == "random"  # algo reaches the experiment (the server's default would be tpe)


def test_max_evals_failures_of_its_own_then_all_trials_failed(client: parzen.Client, name: str) -> None:
    with pytest.raises(errors.AllTrialsFailed, match=re.escape(f"experiment {name!r} has no COMPLETE trial")):
        run(client, name, lambda p: {"status": "fail"}, max_evals=3)
    assert states(client, name) == ["FAIL"] * 3


def test_fail_trials_do_not_use_up_the_servers_budget(client: parzen.Client, name: str) -> None:
    outcomes = iter([{"status": "fail"}, 0.5, {"status": "fail"}, 0.25, 0.75])
    run(client, name, lambda p: next(outcomes), max_evals=3)
    assert states(client, name) == ["FAIL", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]


def test_an_experiment_without_a_budget_runs_until_this_call_saw_max_evals(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    exp.suggest().report(0.9)
    exp.suggest().prune()
    exp.suggest().fail("x")
    outcomes = iter([{"status": "fail"}, 0.5, 0.25, 0.1])
    # Given as an Experiment, it is run as it is: this call counts, FAIL trials included, the old ones too.
    best = parzen.fmin(
        lambda p: next(outcomes), SPACE, max_evals=5, client=client, experiment=exp, show_progressbar=False
    )
    assert states(client, name) == ["COMPLETE", "PRUNED", "FAIL", "FAIL", "COMPLETE"]
    assert exp.refresh().max_trials is None
    assert best == client.get_experiment(name).best_trial.params  # type: ignore[union-attr]


def test_resuming_changes_the_budget_and_goal_only_when_given(client: parzen.Client, name: str) -> None:
    run(client, name, lambda p: p["x"], max_evals=2, loss_threshold=-5.0)
    run(client, name, lambda p: p["x"], max_evals=3, loss_threshold=-6.0)
    exp = client.get_experiment(name)
    assert (exp.max_trials, exp.goal, len(exp.trials())) == (3, -6.0, 3)
    run(client, name, lambda p: p["x"], timeout=30.0)  # no max_evals: the server's budget stays
    exp = client.get_experiment(name)
    assert (exp.max_trials, exp.goal, len(exp.trials())) == (3, -6.0, 3)


def test_resumes_an_experiment_created_elsewhere_with_other_stop_conditions(client: parzen.Client, name: str) -> None:
    client.create_experiment(name, SPACE, algorithm="random", max_trials=1, max_failed_trials=50)
    client.create_experiment(name + "-none", SPACE, algorithm="random")
    # A stop record that is not JSON is passed over, not fatal.
    client.create_experiment(
        name + "-bad", SPACE, algorithm="random", max_trials=1, user_attrs={"parzen.fmin.created_with": "{not json"}
    )
    for n in (name, name + "-none", name + "-bad"):
        run(client, n, lambda p: p["x"], max_evals=3)
        exp = client.get_experiment(n)
        assert (exp.max_trials, states(client, n)) == (3, ["COMPLETE"] * 3), n


def test_resumes_an_experiment_whose_stop_conditions_were_changed_since(client: parzen.Client, name: str) -> None:
    # Created without stop conditions, given a budget later: neither the one in force nor fmin's record is its
    # identity; the one without any is.
    client.create_experiment(name, SPACE, algorithm="random").update(max_trials=2)
    run(client, name, lambda p: p["x"], max_evals=3)
    exp = client.get_experiment(name)
    assert (exp.max_trials, states(client, name)) == (3, ["COMPLETE"] * 3)


def test_a_timeout_bounds_the_wait_for_a_place_another_worker_holds(client: parzen.Client, name: str) -> None:
    """The server answers retry_after while the rest of the budget is RUNNING elsewhere: fmin waits for it, but
    only until its timeout, and then ends as if the budget were spent (not with DeadlineExceeded). The held trial's
    lease (4 s, no heartbeats) outlasts fmin's timeout: a call that waited longer would get its place."""
    held = client.create_experiment(name, SPACE, algorithm="random", max_trials=1, lease_duration=4)
    held.suggest(worker_id="other")  # holds the only place
    t0 = time.monotonic()
    with pytest.raises(errors.AllTrialsFailed):
        run(client, name, lambda p: p["x"], max_evals=1, timeout=0.5)
    assert time.monotonic() - t0 < 10
    for early_stop in (None, lambda exp, *args: (False, args)):
        n = name + ("-next" if early_stop is None else "-early")
        exp = client.create_experiment(n, SPACE, algorithm="random", max_trials=2, lease_duration=4)
        exp.suggest(worker_id="other")  # holds the second place once fmin's first trial is done
        t0 = time.monotonic()
        best = run(client, n, lambda p: p["x"], max_evals=2, timeout=1.0, early_stop_fn=early_stop)
        assert time.monotonic() - t0 < 10
        assert sorted(states(client, n)) == ["COMPLETE", "RUNNING"] and best is not None


def test_without_a_timeout_fmin_waits_for_a_held_place_longer_than_one_call(server_address: str, name: str) -> None:
    """No ``timeout``: the wait for a place held elsewhere is not bounded by the client's per-call timeout (1 s
    here); the held trial's lease (3 s) lapses and fmin runs in its place."""
    with parzen.Client(server_address, timeout=1.0) as c:
        for places in (1, 2):  # the first Suggest waits; the report's next trial waits
            n = f"{name}-{places}"
            exp = c.create_experiment(n, SPACE, algorithm="random", max_trials=places, lease_duration=3)
            exp.suggest(worker_id="other")
            run(c, n, lambda p: p["x"], max_evals=places)
            assert [t.state for t in c.get_experiment(n).trials()] == ["LOST"] + ["COMPLETE"] * places


def test_the_progress_bar_counts_towards_max_evals(
    client: parzen.Client, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parzen.fmin(lambda p: 0.25, SPACE, algo="random", max_evals=3, client=client, experiment=name)
    err = capsys.readouterr().err
    assert "3/3" in err and "best loss: 0.25" in err


def test_another_space_under_the_same_name_is_refused(client: parzen.Client, name: str) -> None:
    run(client, name, lambda p: p["x"], max_evals=1)
    with pytest.raises(errors.AlreadyExists):
        run(client, name, lambda p: p["y"], max_evals=2, space={"y": hp.uniform("y", 0, 1)})
    assert states(client, name) == ["COMPLETE"]


def test_loss_threshold_stops_at_a_loss_equal_to_it(client: parzen.Client, name: str) -> None:
    assert run(client, name, lambda p: 0.5, max_evals=5, loss_threshold=0.5) is not None
    assert len(states(client, name)) == 1
    losses = iter([0.9, 0.6, 0.4, 0.1])
    run(client, name + "-b", lambda p: next(losses), max_evals=4, loss_threshold=0.5)
    assert len(states(client, name + "-b")) == 3  # 0.4 is the first at or below it


def test_loss_threshold_stops_an_experiment_without_that_goal(client: parzen.Client, name: str) -> None:
    # Given as an Experiment, its own goal (none here) stays: fmin's loss_threshold alone stops it, at equality.
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=5)
    parzen.fmin(
        lambda p: 0.5, SPACE, max_evals=5, loss_threshold=0.5, client=client, experiment=exp, show_progressbar=False
    )
    assert len(states(client, name)) == 1 and exp.refresh().goal is None


def test_loss_threshold_counts_the_best_trial_already_there(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    exp.suggest().report(0.1)
    best = parzen.fmin(
        lambda p: 1.0, SPACE, max_evals=5, loss_threshold=0.5, client=client, experiment=exp, show_progressbar=False
    )
    assert len(states(client, name)) == 1 and best == exp.best_params


def test_a_timeout_already_spent_evaluates_nothing(client: parzen.Client, name: str) -> None:
    calls: list[Any] = []
    with pytest.raises(errors.AllTrialsFailed):
        run(client, name, calls.append, timeout=0.0)
    assert calls == [] and states(client, name) == []


def test_early_stop_fn_gets_the_experiment_and_its_own_arguments(client: parzen.Client, name: str) -> None:
    seen: list[tuple[Any, ...]] = []

    def stop(exp: parzen.Experiment, *args: Any) -> tuple[bool, list[Any]]:
        seen.append((exp.name, exp.refresh().trial_counts["COMPLETE"], *args))
        return len(seen) >= 2, ["a", len(seen)]

    run(client, name, lambda p: p["x"], max_evals=10, early_stop_fn=stop)
    assert seen == [(name, 1), (name, 2, "a", 1)]
    assert len(states(client, name)) == 2
    # It never stretches the budget.
    run(client, name + "-b", lambda p: p["x"], max_evals=2, early_stop_fn=lambda exp, *a: (False, a))
    assert len(states(client, name + "-b")) == 2


def test_the_objective_sees_its_trial_as_current(client: parzen.Client, name: str) -> None:
    ids: list[int] = []

    def fn(p: Any) -> float:
        trial = parzen.current_trial()
        assert trial is not None and trial.params == p
        ids.append(trial.id)
        return float(p["x"])

    run(client, name, fn, max_evals=2)
    assert ids == [t.id for t in client.get_experiment(name).trials()]
    assert parzen.current_trial() is None


def test_an_exception_fails_the_trial_with_its_type_and_message_and_propagates(
    client: parzen.Client, name: str
) -> None:
    trials = parzen.Trials()
    outcomes: list[Any] = [0.5, KeyError("gone"), 0.2]

    def fn(p: Any) -> float:
        out = outcomes.pop(0)
        if isinstance(out, Exception):
            raise out
        return float(out)

    with pytest.raises(KeyError):
        run(client, name, fn, max_evals=3, trials=trials)
    exp = client.get_experiment(name)
    assert [(t.state, t.fail_reason) for t in exp.trials()] == [("COMPLETE", ""), ("FAIL", "KeyError: 'gone'")]
    # The Trials object is filled even though fmin raised.
    assert trials.experiment is not None and [t["result"]["status"] for t in trials.trials] == ["ok", "fail"]

    def long(p: Any) -> float:
        raise RuntimeError("x" * 2000)

    with pytest.raises(RuntimeError):
        run(client, name + "-long", long, max_evals=1)
    (failed,) = client.get_experiment(name + "-long").trials()
    assert failed.fail_reason == ("RuntimeError: " + "x" * 2000)[:1000]

    def interrupted(p: Any) -> float:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(client, name + "-int", interrupted, max_evals=1)
    assert states(client, name + "-int") == ["FAIL"]


@pytest.mark.parametrize("loss", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_loss_is_a_fail_with_the_value_as_reason(client: parzen.Client, name: str, loss: float) -> None:
    # max_evals 2: one FAIL of its own does not end the call, and the server's budget wants two COMPLETE.
    results = iter([{"loss": loss, "status": "ok", "acc": 0.5}, 0.5, 0.25])
    run(client, name, lambda p: next(results), max_evals=2)
    failed, *ok = client.get_experiment(name).trials()
    assert (failed.state, failed.fail_reason, failed.loss) == ("FAIL", f"loss is not finite: {loss}", None)
    assert [t.state for t in ok] == ["COMPLETE", "COMPLETE"]


def test_a_fail_result_keeps_its_metrics_and_reason(client: parzen.Client, name: str) -> None:
    results = iter([{"status": "fail", "reason": "diverged", "acc": 0.25, "epochs": 3}, {"loss": 0.5, "n": 2}, 0.25])
    run(client, name, lambda p: next(results), max_evals=2)
    failed, ok, _ = client.get_experiment(name).trials()
    assert (failed.state, failed.fail_reason, failed.metrics) == ("FAIL", "diverged", {"acc": 0.25, "epochs": 3.0})
    assert (ok.state, ok.loss, ok.metrics) == ("COMPLETE", 0.5, {"n": 2.0})


def test_points_to_evaluate_must_fit_the_space(client: parzen.Client, name: str) -> None:
    space = hp.choice("c", [1.0, 2.0])
    seen: list[float] = []

    def fn(v: float) -> float:
        seen.append(v)
        return v

    run(client, name, fn, space=space, max_evals=1, points_to_evaluate=[2.0])
    assert seen == [2.0]
    with pytest.raises(ShapeError):
        run(client, name + "-b", lambda v: v, space=space, max_evals=1, points_to_evaluate=[3.0])


class Floaty:
    def __float__(self) -> float:
        return 0.75


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (np.float32(0.5), ("ok", 0.5, {}, "")),
        (np.int64(2), ("ok", 2.0, {}, "")),
        (Floaty(), ("ok", 0.75, {}, "")),
        ({"loss": "0.5", "status": "ok"}, ("ok", 0.5, {}, "")),  # hyperopt's float(result["loss"])
        ({"loss": 1, "status": "ok", "n": 3, "ok": True, "s": "text"}, ("ok", 1.0, {"n": 3.0}, "")),
        ({"status": "fail", "failure": 12}, ("fail", None, {"failure": 12.0}, "12")),  # numeric: a metric too
        ({"status": "fail", "reason": "r", "error": "e"}, ("fail", None, {}, "r")),
    ],
)
def test_result_forms(result: Any, expected: Any) -> None:
    got = interpret_result(result)
    assert got == expected and all(type(v) is float for v in got[2].values())
    assert got[1] is None or type(got[1]) is float


@pytest.mark.parametrize("bad", [b"0.5", "1.0", object(), [0.5]])
def test_results_that_are_not_numbers_are_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match=f"got {type(bad).__name__}$"):
        interpret_result(bad)


def test_which_server_fmin_uses(client: parzen.Client, server_address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``db`` (or neither ``client`` nor ``$PARZEN_ADDRESS``) starts a local server on that file and stops it after;
    test_fmin.py starts a real one. Here a stand-in that records its file and serves the session's server."""
    module = importlib.import_module("parzen.fmin")
    started: list[Any] = []

    class Local:
        def __init__(self, db: str | None) -> None:
            started.append(db)
            self.address = server_address

        def __enter__(self) -> Local:
            return self

        def __exit__(self, *exc: object) -> None:
            started.append("stopped")

    monkeypatch.setattr(module, "LocalServer", Local)

    def fmin(**kw: Any) -> None:
        parzen.fmin(lambda p: p["x"], SPACE, algo="random", max_evals=1, show_progressbar=False, **kw)

    monkeypatch.setenv("PARZEN_ADDRESS", server_address)
    fmin(db="/nowhere/a.db")  # db wins over $PARZEN_ADDRESS
    fmin()
    fmin(client=server_address)
    assert started == ["/nowhere/a.db", "stopped"]
    monkeypatch.setenv("PARZEN_ADDRESS", "")
    fmin()
    monkeypatch.delenv("PARZEN_ADDRESS")
    fmin()
    assert started == ["/nowhere/a.db", "stopped", None, "stopped", None, "stopped"]
