"""Budgets and stop conditions from the Python client, against the real
server: create_experiment's max_trials / max_failed_trials / goal,
ExperimentDone, suggest waiting through retry_after, and fmin in several
processes sharing one budget."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

import parzen
from parzen import errors, hp

SPACE = {"x": hp.uniform("x", 0, 1)}


def test_create_experiment_takes_stop_conditions(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=3, max_failed_trials=2, goal=0.01)
    assert (exp.max_trials, exp.max_failed_trials, exp.goal) == (3, 2, 0.01)
    assert exp.state == "ACTIVE" and exp.completion_reason is None
    plain = client.create_experiment(name + "-plain", SPACE)
    assert (plain.max_trials, plain.max_failed_trials, plain.goal) == (None, None, None)
    # 0 is a value, not "unset": the server refuses it rather than the client dropping it.
    with pytest.raises(errors.InvalidArgument, match="max_trials: must be a positive integer"):
        client.create_experiment(name + "-t0", SPACE, algorithm="random", max_trials=0)
    with pytest.raises(errors.InvalidArgument, match="max_failed_trials: must be a positive integer"):
        client.create_experiment(name + "-f0", SPACE, algorithm="random", max_failed_trials=0)


def test_suggest_raises_experiment_done_with_the_reason(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=2)
    batch = exp.suggest(5)
    assert len(batch) == 2  # fewer than asked: the budget leaves two
    for t in batch:
        t.report(0.5)
    with pytest.raises(parzen.ExperimentDone) as info:
        exp.suggest()
    assert info.value.reason == "BUDGET" and info.value.experiment == name
    assert "max_trials" in str(info.value)
    assert exp.refresh().state == "COMPLETED" and exp.completion_reason == "BUDGET"


def test_goal_and_failure_limit_complete_the_experiment(client: parzen.Client, name: str) -> None:
    goal = client.create_experiment(name, SPACE, algorithm="random", goal=0.1)
    goal.suggest().report(0.05)
    with pytest.raises(parzen.ExperimentDone) as info:
        goal.suggest()
    assert info.value.reason == "GOAL"

    failing = client.create_experiment(name + "-f", SPACE, algorithm="random", max_failed_trials=2)
    for _ in range(2):
        failing.suggest().fail("diverged")
    with pytest.raises(parzen.ExperimentDone) as info:
        failing.suggest()
    assert info.value.reason == "FAILURES"


def test_suggest_waits_through_retry_after_and_runs_the_replacement(
    client: parzen.Client, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=1)
    held = exp.suggest()
    waiting = threading.Event()
    real_sleep = time.sleep

    def observed_sleep(seconds: float) -> None:
        waiting.set()  # the waiter was told retry_after and is waiting
        real_sleep(seconds)

    monkeypatch.setattr("parzen.experiment.time.sleep", observed_sleep)
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(exp.suggest(timeout=30)))
    waiter.start()
    assert waiting.wait(30)
    held.fail("crashed")  # its place goes to the waiting worker
    waiter.join(30)
    assert len(got) == 1 and got[0].state == "RUNNING" and got[0].id != held.id
    got[0].report(0.3)
    with pytest.raises(parzen.ExperimentDone):
        exp.suggest()


def test_suggest_gives_up_waiting_at_its_timeout(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=1)
    held = exp.suggest()
    start = time.monotonic()
    with pytest.raises(errors.DeadlineExceeded, match="RUNNING on other workers"):
        exp.suggest(timeout=0.5)
    assert time.monotonic() - start < 5
    held.report(0.1)


def test_fmin_sets_the_budget_and_the_goal(client: parzen.Client, name: str) -> None:
    parzen.fmin(
        lambda p: p["x"], SPACE, algo="random", max_evals=5, client=client, experiment=name, show_progressbar=False
    )
    exp = client.get_experiment(name)
    assert exp.max_trials == 5 and exp.state == "COMPLETED" and exp.trial_counts["COMPLETE"] == 5

    parzen.fmin(
        lambda p: 0.0,
        SPACE,
        algo="random",
        max_evals=50,
        loss_threshold=0.5,
        client=client,
        experiment=name + "-goal",
        show_progressbar=False,
    )
    goal = client.get_experiment(name + "-goal")
    assert goal.goal == 0.5 and goal.completion_reason == "GOAL" and goal.trial_counts["COMPLETE"] == 1


def test_fmin_failures_do_not_use_up_the_budget(client: parzen.Client, name: str) -> None:
    def fn(p: Any) -> Any:
        return {"status": parzen.STATUS_FAIL} if p["x"] < 0.5 else p["x"]

    parzen.fmin(fn, SPACE, algo="random", max_evals=6, client=client, experiment=name, seed=3, show_progressbar=False)
    counts = client.get_experiment(name).trial_counts
    assert counts["COMPLETE"] == 6 and counts["FAIL"] > 0


FMIN_PROCESS = textwrap.dedent(
    """
    import sys, parzen
    from parzen import hp
    best = parzen.fmin(lambda p: (p["x"] - 0.3) ** 2, {"x": hp.uniform("x", 0, 1)}, max_evals=40,
                       client=sys.argv[1], experiment=sys.argv[2], show_progressbar=False)
    print("returned", best["x"])
    """
)


def test_four_fmin_processes_share_one_budget(server_address: str, client: parzen.Client, name: str) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", FMIN_PROCESS, server_address, name], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    assert all(o.startswith("returned") for o in outs)
    exp = client.get_experiment(name)
    assert exp.trial_counts["COMPLETE"] == 40 and exp.trial_counts["RUNNING"] == 0
    assert exp.state == "COMPLETED" and exp.completion_reason == "BUDGET"


def test_pause_resume_stop_and_update(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", max_trials=1)
    assert exp.pause().state == "PAUSED"
    with pytest.raises(errors.DeadlineExceeded, match="paused"):
        exp.suggest(timeout=0.3)  # a paused experiment answers retry_after
    assert exp.resume().state == "ACTIVE"
    exp.suggest().report(0.4)
    with pytest.raises(parzen.ExperimentDone):
        exp.suggest()
    # Raising the budget re-opens it; None removes a limit.
    assert exp.update(max_trials=2, goal=0.01).state == "ACTIVE" and exp.max_trials == 2 and exp.goal == 0.01
    assert exp.update(goal=None).goal is None and exp.max_trials == 2
    assert exp.stop().state == "COMPLETED" and exp.completion_reason == "STOPPED"
    with pytest.raises(parzen.ExperimentDone) as info:
        exp.suggest()
    assert info.value.reason == "STOPPED"
    assert exp.resume().state == "ACTIVE"


def test_deadline(client: parzen.Client, name: str) -> None:
    from datetime import datetime, timedelta, timezone

    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    exp = client.create_experiment(name, SPACE, algorithm="random", deadline=past)
    assert exp.deadline is not None and abs((exp.deadline - past).total_seconds()) < 1e-3
    with pytest.raises(parzen.ExperimentDone) as info:
        exp.suggest()
    assert info.value.reason == "DEADLINE"
    with pytest.raises(ValueError, match="timezone-aware"):
        client.create_experiment(name + "-naive", SPACE, deadline=datetime.now())
