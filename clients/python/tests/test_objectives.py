"""Several objectives and constraints against the real server: directions /
objectives on creation, list reports, constraints, the Pareto front as
best_trials, and the dataframe's per-objective and per-constraint columns."""

from __future__ import annotations

import pytest

import parzen
from parzen import errors, hp

SPACE = {"x": hp.uniform("x", 0, 1)}


def test_directions_report_lists_and_best_trials_is_the_front(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, directions=["minimize", "maximize"], seed=3)
    assert exp.is_multi_objective and exp.directions == ["minimize", "maximize"]
    assert exp.objective_names == ["objective_0", "objective_1"]
    reported = [[0.5, 10.0], [0.1, 1.0], [0.4, 20.0], [0.3, 14.0]]
    for v in reported:
        t = exp.suggest()
        t.report(v)
        assert t.state == parzen.TrialState.COMPLETE and t.values == v and t.loss is None
    front = exp.best_trials
    assert [t.number for t in front] == [1, 2, 3]
    assert [t.values for t in front] == [reported[1], reported[2], reported[3]]
    with pytest.raises(ValueError, match="best_trials"):
        _ = exp.best_trial
    with pytest.raises(errors.InvalidArgument, match="this experiment has 2 objectives, got 1 values"):
        exp.suggest().report([1.0])
    df = exp.trials_dataframe()
    assert "loss" not in df.columns
    assert list(df["values.objective_0"][:4]) == [0.5, 0.1, 0.4, 0.3]
    assert list(df["values.objective_1"][:4]) == [10.0, 1.0, 20.0, 14.0]


def test_named_objectives_and_constraints(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, objectives={"error": "minimize", "ms": "minimize"}, seed=3)
    assert exp.objective_names == ["error", "ms"]
    a = exp.suggest().report([0.0, 0.0], constraints=[1.0])  # dominates, but infeasible
    b = exp.suggest().report([0.5, 0.5], constraints=[-1.0])
    assert a.constraints == [1.0] and not a.feasible and b.feasible
    assert [t.id for t in exp.best_trials] == [b.id]
    df = exp.trials_dataframe()
    assert list(df["values.error"]) == [0.0, 0.5] and list(df["constraints.0"]) == [1.0, -1.0]
    imported = exp.add_trials([{"params": {"x": 0.5}, "values": [0.1, 0.1], "constraints": [0.0]}])
    assert imported[0].values == [0.1, 0.1] and imported[0].feasible
    assert {t.id for t in exp.best_trials} == {imported[0].id}


def test_single_objective_with_constraints(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, seed=3)
    assert not exp.is_multi_objective and exp.directions == ["minimize"] and exp.objective_names == ["loss"]
    infeasible = exp.suggest().report(0.1, constraints=[0.5], accuracy=0.9)
    assert infeasible.loss == 0.1 and infeasible.values == [0.1] and infeasible.metrics == {"accuracy": 0.9}
    assert exp.best_trial is None  # the only COMPLETE trial is infeasible
    feasible = exp.suggest().report([0.3], constraints=[0.0])
    assert feasible.loss == 0.3
    best = exp.best_trial
    assert best is not None and best.id == feasible.id
    assert [t.id for t in exp.best_trials] == [feasible.id]
    df = exp.trials_dataframe()
    assert list(df["loss"]) == [0.1, 0.3] and list(df["constraints.0"]) == [0.5, 0.0]


def test_bad_objective_arguments_raise_before_calling(client: parzen.Client, name: str) -> None:
    with pytest.raises(ValueError, match="not both"):
        client.create_experiment(name, SPACE, directions=["minimize"], objectives={"a": "minimize"})
    with pytest.raises(ValueError, match="'minimize' or 'maximize'"):
        client.create_experiment(name, SPACE, directions=["min", "max"])
    with pytest.raises(ValueError, match="either direction or directions"):
        client.create_experiment(name, SPACE, direction="maximize", directions=["minimize", "minimize"])
    with pytest.raises(errors.InvalidArgument, match='"gp" optimises one objective'):
        client.create_experiment(name, SPACE, algorithm="gp", directions=["minimize", "minimize"])


def test_nsga2_with_directions_and_constraints(client: parzen.Client, name: str) -> None:
    space = {"x": hp.uniform("x", 0, 1), "k": hp.choice("k", ["a", "b"])}
    exp = client.create_experiment(
        name,
        space,
        algorithm="nsga2",
        options={"population_size": 4, "crossover": "blxalpha", "alpha": 0.3},
        directions=["minimize", "maximize"],
        seed=3,
    )
    assert exp.is_multi_objective and exp.directions == ["minimize", "maximize"]
    for _ in range(16):  # four generations of four, the last three bred from the first
        t = exp.suggest()
        x, k = t.params["x"], t.params["k"]
        assert 0 <= x <= 1 and k in ("a", "b")
        t.report([x, x * (2 if k == "a" else 1)], constraints=[0.1 - x])
    front = exp.best_trials
    assert front and all(t.feasible for t in front)
    with pytest.raises(errors.InvalidArgument, match='"alpha" applies to crossover "blxalpha" only'):
        client.create_experiment(
            name + "-bad", space, algorithm="nsga2", options={"alpha": 0.3}, directions=["minimize"]
        )
