"""The experiment handle's contract against the real server, where the
ask-tell tests leave it open: delete, enqueue's default (no skipping), a
fresh request id on every AddTrials (what makes retrying an import safe),
import defaults, ``get_trial`` and ``importance``, ``iter_trials``' paging
and worker filter, and ``trials_dataframe``'s columns (README "Python
client")."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

import parzen
from parzen import errors, hp

SPACE = {"x": hp.uniform("x", -5, 5)}


def recording(client: parzen.Client, monkeypatch: pytest.MonkeyPatch, method: str) -> list[Any]:
    """The requests of `method` the client sends from now on."""
    sent: list[Any] = []
    call = client.connection.call

    def record(m: str, request: Any, **kwargs: Any) -> Any:
        if m == method:
            sent.append(request)
        return call(m, request, **kwargs)

    monkeypatch.setattr(client.connection, "call", record)
    return sent


def test_delete_removes_the_experiment(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    exp.delete()
    with pytest.raises(errors.NotFound):
        client.get_experiment(name)


def test_enqueue_does_not_skip_duplicates_unless_asked(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    assert len(exp.enqueue_many([{"x": 1.0}, {"x": 1.0}])) == 2
    assert exp.enqueue({"x": 1.0}) is not None
    assert exp.enqueue({"x": 1.0}, skip_if_exists=True) is None
    assert exp.refresh().trial_counts["WAITING"] == 3


def test_add_trials_sends_a_fresh_request_id_and_binds_the_trials(
    client: parzen.Client, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    sent = recording(client, monkeypatch, "AddTrials")
    first = exp.add_trials([{"params": {"x": 1.0}, "loss": 1.0}])
    exp.add_trials([{"params": {"x": 2.0}, "loss": 2.0}])
    ids = [r.request_id for r in sent]
    assert len(ids) == 2 and all(re.fullmatch("[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]
    assert first[0].experiment is exp and first[0].refresh().loss == 1.0


def test_import_defaults_complete_no_reason(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    done, failed = exp.add_trials([{"params": {"x": 1.0}, "loss": 0.5}, {"params": {"x": 2.0}, "state": "fail"}])
    assert done.state == "COMPLETE" and done.fail_reason == "" and done.loss == 0.5
    assert failed.state == "FAIL" and failed.refresh().fail_reason == "" and failed.loss is None
    with pytest.raises(ValueError, match=r"^add_trials: unknown record keys \['bogus', 'extra'\]$"):
        exp.add_trials([{"params": {"x": 1.0}, "loss": 1.0, "extra": 1, "bogus": 2}])


def test_get_trial_and_importance(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, {"x": hp.uniform("x", 0, 1), "y": hp.uniform("y", 0, 1)}, algorithm="random")
    made = exp.add_trials([{"params": {"x": i / 30, "y": (i * 7 % 30) / 30}, "loss": (i / 30) ** 2} for i in range(30)])
    got = exp.get_trial(made[3].id)
    assert got.id == made[3].id and got.experiment is exp and got.params == made[3].params and got.loss == made[3].loss
    with pytest.raises(errors.NotFound):
        exp.get_trial(10**12)
    imp = exp.importance()
    assert set(imp) == {"x", "y"} and imp["x"] > imp["y"] and sum(imp.values()) == pytest.approx(1.0)


def test_iter_trials_pages_by_page_size_and_filters_by_worker(
    client: parzen.Client, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    a = exp.suggest(3, worker_id="w-a")
    b = exp.suggest(2, worker_id="w-b")
    sent = recording(client, monkeypatch, "ListTrials")
    assert [t.id for t in exp.iter_trials(page_size=2)] == [t.id for t in a + b]
    assert [r.page_size for r in sent] == [2, 2, 2]
    assert [r.page_token == "" for r in sent] == [True, False, False]
    assert [t.id for t in exp.trials(worker_id="w-b")] == [t.id for t in b]
    assert [t.id for t in exp.iter_trials(["RUNNING"], worker_id="w-a")] == [t.id for t in a]
    assert exp.trials(worker_id="nobody") == []


def test_trials_dataframe_columns(client: parzen.Client, name: str) -> None:
    pd = pytest.importorskip("pandas")  # the dev extra installs it; CI fails on skips (PARZEN_REQUIRE_ALL=1)
    exp = client.create_experiment(name, SPACE, algorithm="random")
    t0, t1 = exp.suggest(2, worker_id="w")
    t0.report_intermediate(10, 3.0)
    t0.report_intermediate(2, 5.0)
    t0.prune()
    t1.report(0.25, acc=0.9)
    df = exp.trials_dataframe()
    assert list(df.columns) == [
        "number",
        "id",
        "state",
        "loss",
        "last_step",
        "worker_id",
        "source",
        "proposed_by",
        "create_time",
        "start_time",
        "end_time",
        "params.x",
        "intermediate",
        "metrics.acc",  # only the second trial has it: columns come in order of first appearance
    ]
    assert list(df["id"]) == [t0.id, t1.id] and list(df["number"]) == [0, 1]
    assert list(df["state"]) == ["PRUNED", "COMPLETE"] and df["loss"][1] == 0.25
    assert str(df["last_step"].dtype) == "Int64" and df["last_step"][0] == 10 and df["last_step"].isna()[1]
    assert list(df["worker_id"]) == ["w", "w"] and list(df["source"]) == [t0.source, t1.source]
    assert list(df["proposed_by"]) == ["random", "random"] == [t0.proposed_by, t1.proposed_by]
    assert all(isinstance(v, datetime) for v in [df["create_time"][0], df["start_time"][0], df["end_time"][1]])
    assert df["intermediate"][0] == {2: 5.0, 10: 3.0} and list(df["intermediate"][0]) == [2, 10]
    assert df["intermediate"][1] == {} and df["metrics.acc"][1] == 0.9
    wide = exp.trials_dataframe(intermediate_columns=True)
    # Curve columns last, in step order (10 after 2, not before it as text would sort).
    assert list(wide.columns)[-2:] == ["intermediate.2", "intermediate.10"]
    assert "intermediate" not in wide.columns and "last_step" in wide.columns
    assert wide["intermediate.10"][0] == 3.0 and pd.isna(wide["intermediate.2"][1])
    empty = client.create_experiment(f"{name}-empty", SPACE, algorithm="random").trials_dataframe()
    assert len(empty) == 0


def test_suggest_makes_exactly_the_trials_asked_for_each_with_a_fresh_request_id(
    client: parzen.Client, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    assert exp.created and not client.get_experiment(name).created
    sent = recording(client, monkeypatch, "Suggest")
    one = exp.suggest()
    assert isinstance(one, parzen.Trial) and exp.refresh().trial_counts["RUNNING"] == 1
    assert len(exp.suggest(1)) == 1 and len(exp.suggest(3)) == 3
    assert exp.refresh().trial_counts["RUNNING"] == 5
    assert [r.count for r in sent] == [1, 1, 3]
    ids = [r.request_id for r in sent]
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 3
