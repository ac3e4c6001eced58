"""The trial handle's contract against the real server, at the edges the
ask-tell tests leave open: what a plain ``fail()`` or ``report()`` stores as
the fail reason, the with-block's exact reasons (an exception's cut at 1000
characters), a request id on every Report (what makes retrying it safe:
``parzen.rpc``), heartbeats started once and only for a RUNNING trial with a
lease, and ``repr``."""

from __future__ import annotations

import re
from typing import Any

import pytest

import parzen
from parzen import hp
from parzen.v1 import trial_pb2

SPACE = {"x": hp.uniform("x", -5, 5)}


def test_plain_fail_and_report_store_no_reason(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    a, b, c = exp.suggest(3)
    a.fail()
    assert a.state == "FAIL" and a.refresh().fail_reason == ""
    b.report(1.0)
    assert b.refresh().fail_reason == ""
    c.report_intermediate(0, 2.0)
    c.prune()
    assert c.refresh().state == "PRUNED" and c.fail_reason == ""


def test_with_block_reasons_are_exact(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    with exp.suggest() as quiet:
        pass
    assert quiet.refresh().fail_reason == "the with-block ended without a report"
    long = "x" * 2000
    with pytest.raises(ValueError, match=r"^x+$"), exp.suggest() as loud:
        raise ValueError(long)
    stored = loud.refresh().fail_reason
    assert stored == f"ValueError: {long}"[:1000] and len(stored) == 1000


def test_every_report_carries_a_fresh_request_id(
    client: parzen.Client, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    sent: list[Any] = []
    call = client.connection.call

    def recording(method: str, request: Any, **kwargs: Any) -> Any:
        if method == "Report":
            sent.append(request)
        return call(method, request, **kwargs)

    monkeypatch.setattr(client.connection, "call", recording)
    a, b, c = exp.suggest(3)
    a.report(0.5)
    b.fail("x")
    c.prune(1.0)
    ids = [r.request_id for r in sent]
    assert len(ids) == 3 and all(re.fullmatch("[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 3


def test_heartbeats_start_once_and_only_for_a_running_leased_trial(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", lease_duration=60)
    t = exp.suggest()
    t.start_heartbeats()
    first = t._heartbeater
    assert first is not None
    t.start_heartbeats()
    assert t._heartbeater is first  # a second start keeps the one heartbeater
    t.report(0.1)
    assert t._heartbeater is None  # reporting stops it
    t.start_heartbeats()
    assert t._heartbeater is None  # a finished trial has no lease to keep
    # A RUNNING trial without a lease deadline (a snapshot built by hand) has nothing to keep alive either.
    bare = parzen.Trial(exp, trial_pb2.Trial(id=t.id, state=trial_pb2.TRIAL_STATE_RUNNING))
    bare.start_heartbeats()
    assert bare._heartbeater is None


def test_repr_shows_number_state_loss_and_params(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    t = exp.suggest()
    x = t.params["x"]
    assert repr(t) == f"Trial(number=0, state=RUNNING, params={{'x': {x!r}}})"
    t.report(0.123456789)
    assert repr(t) == f"Trial(number=0, state=COMPLETE, loss=0.123457, params={{'x': {x!r}}})"
