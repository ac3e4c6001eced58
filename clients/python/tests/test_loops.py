"""The one-round-trip loops against the real server: exp.loop(), exp.optimize()
and fmin send each report together with the request for the next trial
(Report with suggest_next), and never leave a trial RUNNING that nobody runs."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

import parzen
from parzen import hp

SPACE = {"x": hp.uniform("x", 0, 1)}


@pytest.fixture
def calls(client: parzen.Client, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the RPCs the client makes (the real calls go through)."""
    seen: Counter[str] = Counter()
    real = client.connection.call

    def counting(method: str, request: Any, **kw: Any) -> Any:
        seen[method] += 1
        return real(method, request, **kw)

    monkeypatch.setattr(client.connection, "call", counting)
    return seen


def test_loop_runs_the_budget_in_one_round_trip_per_trial(
    client: parzen.Client, name: str, calls: Counter[str]
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=5)
    calls.clear()
    seen = []
    for trial in exp.loop():
        assert parzen.current_trial() is trial
        seen.append(trial.id)
        trial.report(trial.params["x"])
    assert len(seen) == 5 == len(set(seen))
    assert calls["Suggest"] == 1 and calls["Report"] == 5  # the first trial, then one Report per trial
    counts = exp.refresh().trial_counts
    assert counts["COMPLETE"] == 5 and counts["RUNNING"] == 0 and exp.state == "COMPLETED"


def test_a_break_leaves_no_trial_running(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    for i, trial in enumerate(exp.loop()):
        trial.report(0.5)
        if i == 2:
            break
    counts = exp.refresh().trial_counts
    assert counts["COMPLETE"] == 3 and counts["RUNNING"] == 0 and sum(counts.values()) == 3


def test_a_body_that_does_not_report_fails_its_trial(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=2)
    outcomes = iter(["skip", "ok", "ok"])
    for trial in exp.loop():
        if next(outcomes) == "ok":
            trial.report(0.1)
    trials = exp.trials()
    assert [t.state for t in trials] == ["FAIL", "COMPLETE", "COMPLETE"]
    assert trials[0].fail_reason == "the loop body ended without a report"

    def body_raises() -> None:
        for trial in client.create_experiment(name + "-raise", SPACE, algorithm="random").loop():
            trial.report_intermediate(0, 1.0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        body_raises()
    raised = client.get_experiment(name + "-raise").trials()
    assert [t.state for t in raised] == ["FAIL"] and raised[0].fail_reason == "the loop stopped before a report"


def test_loop_prunes_and_fails_through_the_trial(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=1)
    for i, trial in enumerate(exp.loop()):
        if i == 0:
            trial.fail("diverged")
        elif i == 1:
            with trial:
                raise parzen.TrialPruned()
    assert [t.state for t in exp.trials()] == ["FAIL", "PRUNED"]


def test_optimize(client: parzen.Client, name: str, calls: Counter[str]) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    calls.clear()
    best = exp.optimize(lambda p: (p["x"] - 0.3) ** 2, n_trials=4)
    assert calls["Suggest"] == 1 and calls["Report"] == 4
    counts = exp.refresh().trial_counts
    assert counts["COMPLETE"] == 4 and counts["RUNNING"] == 0
    assert best is not None and best.loss == min(t.loss for t in exp.trials() if t.loss is not None)
    budget = client.create_experiment(name + "-b", SPACE, algorithm="random", max_trials=3)
    budget.optimize(lambda p: p["x"])
    assert budget.refresh().trial_counts["COMPLETE"] == 3


def test_fmin_makes_one_round_trip_per_trial(client: parzen.Client, name: str, calls: Counter[str]) -> None:
    parzen.fmin(
        lambda p: p["x"], SPACE, algo="random", max_evals=6, client=client, experiment=name, show_progressbar=False
    )
    assert calls["Suggest"] == 1 and calls["Report"] == 6
    assert client.get_experiment(name).trial_counts["RUNNING"] == 0


def test_release_gives_a_trial_back_for_the_next_suggest(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_failed_trials=1)
    trial = exp.suggest()
    assert trial.release() is trial and trial.state == parzen.TrialState.WAITING
    again = exp.suggest()
    assert again.id == trial.id and again.params == trial.params
    again.release()
    with pytest.raises(parzen.errors.FailedPrecondition, match="only a RUNNING trial can be released"):
        again.release()
    counts = exp.refresh().trial_counts
    assert counts["WAITING"] == 1 and counts["FAIL"] == 0 and exp.state == "ACTIVE"


def _interrupt_after(client: parzen.Client, monkeypatch: pytest.MonkeyPatch, reports: int) -> None:
    """Ctrl-C arriving just as the answer to the `reports`-th Report with suggest_next comes back: the server has
    applied it (and started the next trial), the loop never sees the answer."""
    real = client.connection.call
    seen = Counter[str]()

    def interrupted(method: str, request: Any, **kw: Any) -> Any:
        out = real(method, request, **kw)
        if method == "Report" and request.suggest_next:
            seen["Report"] += 1
            if seen["Report"] == reports:
                raise KeyboardInterrupt
        return out

    monkeypatch.setattr(client.connection, "call", interrupted)


@pytest.mark.parametrize("form", ["loop", "optimize", "fmin"])
def test_an_interrupt_mid_report_gives_the_next_trial_back(
    client: parzen.Client, name: str, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_failed_trials=1)
    _interrupt_after(client, monkeypatch, 2)

    def run() -> None:
        if form == "loop":
            for trial in exp.loop():
                trial.report(0.5)
        elif form == "optimize":
            exp.optimize(lambda p: 0.5)
        else:
            parzen.fmin(lambda p: 0.5, SPACE, algo="random", max_evals=50, client=client, experiment=name)

    with pytest.raises(KeyboardInterrupt):
        run()
    monkeypatch.undo()
    counts = exp.refresh().trial_counts
    # Both reports landed; the trial the interrupted one started is WAITING again, neither RUNNING nor failed.
    assert counts["COMPLETE"] == 2 and counts["RUNNING"] == 0 and counts["FAIL"] == 0 and counts["WAITING"] == 1
    assert exp.state == "ACTIVE"
    assert exp.suggest().number == 2  # handed out again first


def test_fmin_interrupted_between_handover_and_start_gives_the_trial_back(
    client: parzen.Client, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    updates = Counter[str]()

    def update(self: Any, best: Any) -> None:
        updates["n"] += 1
        if updates["n"] == 3:
            raise KeyboardInterrupt

    from parzen.progress import Progress

    monkeypatch.setattr(Progress, "update", update)
    with pytest.raises(KeyboardInterrupt):
        parzen.fmin(lambda p: 0.5, SPACE, algo="random", max_evals=50, client=client, experiment=name)
    counts = exp.refresh().trial_counts
    assert counts["COMPLETE"] == 3 and counts["RUNNING"] == 0 and counts["WAITING"] == 1


def test_the_loops_heartbeat_every_trial_on_one_thread(client: parzen.Client, name: str) -> None:
    """A thread started and joined per trial cost a fast loop more than the rest of its work per trial."""
    threads: set[threading.Thread] = set()

    def seen() -> None:
        (thread,) = [t for t in threading.enumerate() if t.name == "parzen-heartbeat" and t.is_alive()]
        threads.add(thread)

    for trial in client.create_experiment(name, SPACE, algorithm="random", max_trials=4).loop():
        assert trial._heartbeater is not None
        seen()
        trial.report(trial.params["x"])
    assert len(threads) == 1

    def fn(params: Any) -> float:
        seen()
        return float(params["x"])

    client.create_experiment(f"{name}-optimize", SPACE, algorithm="random").optimize(fn, n_trials=3)
    assert len(threads) == 2  # one per loop, ended with it
    assert not [t for t in threading.enumerate() if t.name == "parzen-heartbeat" and t.is_alive()]
