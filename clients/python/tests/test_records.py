"""Every field of the ask-tell records round-trips through the real server:
imported trials (add_trials), enqueued configurations, intermediate values,
explicit prune losses, fail reasons, the with-block's outcomes and
``current_trial`` (found by mutation testing: docs/testing.md)."""

from __future__ import annotations

import sys

import pytest

import parzen
from parzen import hp
from parzen.trial import TrialState
from parzen.v1 import trial_pb2

SPACE = {"x": hp.uniform("x", 0, 1)}


def test_add_trials_imports_every_field_of_a_record(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    got = exp.add_trials(
        [
            {"params": {"x": 0.25}, "loss": 0.5, "metrics": {"acc": 0.9}, "user_attrs": {"src": "old"}},
            {"params": {"x": 0.5}, "state": "fail", "fail_reason": "oom"},
            {"params": {"x": 0.75}, "state": "PRUNED", "loss": 2.0, "intermediate": {0: 3.0, 1: 2.0}},
        ]
    )
    assert [t.state for t in got] == ["COMPLETE", "FAIL", "PRUNED"]
    stored = exp.trials()
    assert [(t.params, t.state, t.loss) for t in stored] == [
        ({"x": 0.25}, "COMPLETE", 0.5),
        ({"x": 0.5}, "FAIL", None),
        ({"x": 0.75}, "PRUNED", 2.0),
    ]
    assert stored[0].metrics == {"acc": 0.9} and stored[0].user_attrs == {"src": "old"}
    assert stored[1].fail_reason == "oom" and stored[1].metrics == {} and stored[1].user_attrs == {}
    assert stored[2].intermediate == {0: 3.0, 1: 2.0} and stored[0].intermediate == {}
    assert {t.source for t in stored} == {"IMPORTED"}
    with pytest.raises(ValueError, match=r"add_trials: unknown record keys \['los', 'parms'\]"):
        exp.add_trials([{"parms": {"x": 0.1}, "los": 1.0}])
    assert len(exp.trials()) == 3


def test_enqueue_serves_configurations_in_order_with_their_attributes(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    first = exp.enqueue({"x": 0.125}, user_attrs={"why": "baseline"})
    assert first is not None and first.state == "WAITING" and first.params == {"x": 0.125}
    assert first.user_attrs == {"why": "baseline"}
    assert exp.enqueue({"x": 0.125}, skip_if_exists=True) is None
    again = exp.enqueue({"x": 0.125})  # without skip_if_exists a duplicate is queued
    assert again is not None and again.id != first.id
    more = exp.enqueue_many([{"x": 0.5}, {"x": 0.75}], user_attrs={"batch": "2"})
    assert [t.params for t in more] == [{"x": 0.5}, {"x": 0.75}]
    assert [t.user_attrs for t in more] == [{"batch": "2"}, {"batch": "2"}]
    assert exp.enqueue_many([{"x": 0.5}], skip_if_exists=True) == []
    served = exp.suggest(count=4)
    assert [t.id for t in served] == [first.id, again.id, more[0].id, more[1].id]
    assert all(t.source == "ENQUEUED" and t.state == "RUNNING" for t in served)


def test_intermediate_values_prune_and_fail_record_what_they_are_given(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", pruner="threshold", pruner_options={"upper": 1.0})
    a, b, c = exp.suggest(count=3)
    assert a.report_intermediate(0, 0.5) is False
    assert a.report_intermediate(1, 2.5) is True  # past the upper bound
    assert a.report_intermediate(1, 0.1) is True  # a repeated step keeps its first value
    assert a.intermediate == {0: 0.5, 1: 2.5}
    a.prune(0.75)  # an explicit loss, not the last value
    assert a.refresh().state == "PRUNED" and a.loss == 0.75 and a.intermediate == {0: 0.5, 1: 2.5}
    b.report_intermediate(3, 0.25)
    b.prune()
    assert b.refresh().loss == 0.25
    c.fail("diverged")
    assert c.refresh().state == "FAIL" and c.fail_reason == "diverged" and c.loss is None


def test_the_with_block_reports_what_the_block_did_not(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    with exp.suggest() as t:
        assert parzen.current_trial() is t
        t.report_intermediate(2, 0.5)
        raise parzen.TrialPruned()
    assert t.state == "PRUNED" and t.loss == 0.5
    with pytest.raises(RuntimeError, match="boom"), exp.suggest() as u:
        raise RuntimeError("boom")
    assert u.state == "FAIL" and u.fail_reason == "RuntimeError: boom"
    with exp.suggest() as v:
        v.report(0.25)
    assert v.state == "COMPLETE" and v.loss == 0.25
    assert parzen.current_trial() is None  # outside every block again


@pytest.mark.parametrize("state", list(TrialState))
def test_trial_states_convert_both_ways(state: TrialState) -> None:
    proto = state.to_proto()
    assert trial_pb2.TrialState.Name(proto) == f"TRIAL_STATE_{state.value}"
    assert TrialState.from_proto(proto) is state


def test_trials_dataframe_without_pandas_says_how_to_get_it(
    client: parzen.Client, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match=r"^trials_dataframe\(\) needs pandas: pip install 'parzen\[pandas\]'$"):
        exp.trials_dataframe()
