"""The ask-tell API against the real server: experiments, suggest, report,
fail, prune, intermediate values, the with-block, history and errors."""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

import parzen
from parzen import errors, hp

SPACE = {"x": hp.uniform("x", -5, 5), "opt": hp.choice("opt", ["adam", "sgd"])}


def test_create_is_idempotent_and_conflicts_raise(client: parzen.Client, name: str) -> None:
    first = client.create_experiment(name, SPACE, algorithm="random", seed=11, user_attrs={"owner": "me"})
    assert first.created and first.seed == 11 and first.algorithm == "random" and first.direction == "minimize"
    assert first.user_attrs == {"owner": "me"}  # the template attribute is hidden
    again = client.create_experiment(name, SPACE, algorithm="random", seed=11)
    assert not again.created and again.name == name
    with pytest.raises(errors.AlreadyExists) as e:
        client.create_experiment(name, {"x": hp.uniform("x", -5, 6)}, algorithm="random", seed=11)
    assert name in str(e.value)


def test_unknown_names_raise_not_found(client: parzen.Client) -> None:
    with pytest.raises(errors.NotFound):
        client.get_experiment(f"missing-{uuid.uuid4().hex}")
    with pytest.raises(errors.NotFound):
        client.delete_experiment(f"missing-{uuid.uuid4().hex}")


def test_suggest_report_fail_cycle(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    assert exp.best_trial is None
    batch = exp.suggest(count=4)
    assert len({t.id for t in batch}) == 4 and [t.state for t in batch] == ["RUNNING"] * 4
    assert all(t.worker_id == "pytest" for t in batch)
    a, b, c, d = batch
    a.report(0.5, accuracy=0.8)
    assert a.state == parzen.TrialState.COMPLETE and a.loss == 0.5 and a.metrics == {"accuracy": 0.8}
    a.report(0.5, accuracy=0.8)  # an identical repeat is a no-op
    with pytest.raises(errors.FailedPrecondition):
        a.report(0.7)
    b.fail("out of memory")
    assert b.state == "FAIL" and b.fail_reason == "out of memory" and b.loss is None
    c.report(0.2)
    assert d.report_intermediate(0, 0.9) is False
    assert d.report_intermediate(1, 0.8) is False
    d.prune()
    assert d.state == "PRUNED" and d.intermediate == {0: 0.9, 1: 0.8}

    best = exp.best_trial
    assert best is not None and best.id == c.id and best.loss == 0.2
    assert exp.refresh().trial_counts == {"WAITING": 0, "RUNNING": 0, "COMPLETE": 2, "PRUNED": 1, "FAIL": 1, "LOST": 0}
    with pytest.raises(errors.InvalidArgument):
        exp.suggest().report(float("nan"))


def test_with_block_reports_fail_on_exception_and_prune_on_trial_pruned(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    with pytest.raises(ZeroDivisionError), exp.suggest() as t1:
        raise ZeroDivisionError("division by zero")
    assert t1.state == "FAIL" and "ZeroDivisionError" in t1.refresh().fail_reason

    with exp.suggest() as t2:
        t2.report_intermediate(0, 3.0)
        raise parzen.TrialPruned()
    assert t2.state == "PRUNED"

    with exp.suggest() as t3:
        t3.report(1.0)
    assert t3.state == "COMPLETE"

    with exp.suggest() as t4:
        pass
    assert t4.state == "FAIL" and "without a report" in t4.fail_reason


def test_heartbeat_extends_the_lease(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", lease_duration=60, retry_lost=True)
    assert exp.proto.retry_lost and exp.proto.lease_duration.seconds == 60
    t = exp.suggest()
    first = t.lease_deadline
    assert first is not None
    time.sleep(0.05)  # the server's clock (ms resolution) must move on for "later" to be observable
    before = datetime.now(timezone.utc)
    new = t.heartbeat()
    # The lease restarts from the heartbeat: strictly later than the first, a full lease from now.
    assert new is not None and new > first and new >= before + timedelta(seconds=59.5)


def test_trials_page_through_the_whole_history(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    for t in exp.suggest(count=7):
        t.report(float(t.number)) if t.number % 3 else t.fail("x")
    paged = list(exp.iter_trials(page_size=2))
    assert [t.number for t in paged] == list(range(7))
    assert [t.number for t in exp.trials(["FAIL"])] == [0, 3, 6]
    assert len(exp.trials(states=[parzen.TrialState.COMPLETE])) == 4
    t = paged[1]
    assert t.params == {"x": t.flat_params["x"], "opt": t.flat_params["opt"]} and t.loss == 1.0


def test_trials_dataframe(client: parzen.Client, name: str) -> None:
    pytest.importorskip("pandas")
    exp = client.create_experiment(name, SPACE, algorithm="random")
    for t in exp.suggest(count=3):
        t.report(1.0, acc=0.5)
    df = exp.trials_dataframe()
    assert list(df["number"]) == [0, 1, 2]
    assert {"loss", "state", "params.x", "params.opt", "metrics.acc"} <= set(df.columns)


def test_maximize_and_algorithm_options(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, {"x": hp.uniform("x", 0, 1)}, algorithm="random", direction="maximize")
    assert exp.direction == "maximize"
    for t in exp.suggest(count=3):
        t.report(t.params["x"])
    best = exp.best_trial
    assert best is not None and best.loss == max(t.loss for t in exp.trials() if t.loss is not None)
    with pytest.raises(ValueError, match="direction must be"):
        client.create_experiment(name + "b", {"x": hp.uniform("x", 0, 1)}, direction="up")


def test_list_and_delete_experiments(client: parzen.Client, name: str) -> None:
    client.create_experiment(name, SPACE, algorithm="random")
    assert name in {e.name for e in client.list_experiments(page_size=2)}
    client.delete_experiment(name)
    with pytest.raises(errors.NotFound):
        client.get_experiment(name)


def test_unreachable_server_raises_unavailable() -> None:
    # Without retries, which would only add their backoff (test_behaviour.py counts them).
    no_retries = [("grpc.enable_retries", 0)]
    with parzen.Client("127.0.0.1:1", channel_options=no_retries, timeout=5) as c, pytest.raises(errors.Unavailable):
        c.get_experiment("anything")


def test_unix_socket_server(tmp_path_factory: pytest.TempPathFactory) -> None:
    sock = f"/tmp/parzen-test-{os.getpid()}-{uuid.uuid4().hex[:6]}.sock"  # short: socket paths max ~100 chars
    db = tmp_path_factory.mktemp("unix") / "p.db"
    with parzen.LocalServer(str(db), listen=f"unix://{sock}") as srv:
        assert srv.address is not None and "sock" in srv.address
        with parzen.Client(sock) as c:
            exp = c.create_experiment("over-unix", SPACE, algorithm="random")
            exp.suggest().report(1.0)
            assert exp.best_trial is not None


def test_with_block_heartbeats_keep_a_short_lease_alive(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", lease_duration=1.5)
    assert (exp.proto.lease_duration.seconds, exp.proto.lease_duration.nanos) == (1, 500_000_000)
    control = exp.suggest()  # no heartbeats
    with exp.suggest() as t:
        first = t.lease_deadline
        assert first is not None
        # Wait for the event, not a duration: the control trial's lease lapses (a read notices it at once).
        give_up = time.monotonic() + 20
        while control.refresh().state != "LOST":
            assert time.monotonic() < give_up, "a trial without heartbeats never lapsed"
            time.sleep(0.05)
        t.refresh()
        # Kept alive by background heartbeats: RUNNING, its lease moved past the one it started with.
        assert t.state == "RUNNING" and t.lease_deadline is not None and t.lease_deadline > first
        t.report(1.0)
    assert t.state == "COMPLETE"


def test_pruner_answers_report_intermediate(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", pruner="threshold", pruner_options={"upper": 1.0})
    assert exp.proto.pruner.name == "threshold"
    with exp.suggest() as t:
        assert t.report_intermediate(0, 0.5) is False
        if t.report_intermediate(1, 2.0):
            raise parzen.TrialPruned()
        t.report(0.0)  # not reached
    assert t.state == "PRUNED" and t.intermediate == {0: 0.5, 1: 2.0}
    with pytest.raises(errors.InvalidArgument, match="threshold"):
        client.create_experiment(name + "-bad", SPACE, pruner="threshold", pruner_options={})
