"""Nested conditional spaces give hyperopt-shaped params (a chosen option's
structure, never an index), on this client and on a fresh one that only
knows the experiment's name."""

from __future__ import annotations

from typing import Any

import parzen
from parzen import hp
from parzen.space import Categorical, Float, Int

SPACE = {
    "model": hp.choice(
        "model",
        [
            {"type": "svm", "C": hp.loguniform("svm_C", -3, 3), "kernel": hp.choice("kernel", ["rbf", "linear"])},
            {
                "type": "rf",
                "n_estimators": hp.quniform("rf_n", 10, 200, 10),
                "max_depth": hp.choice("rf_depth", [None, hp.randint("rf_depth_value", 1, 12)]),
            },
            {"type": "knn", "k": Int(1, 15), "weights": Categorical(["uniform", "distance"])},
        ],
    ),
    "preprocess": hp.choice("preprocess", ["none", "standard", "minmax"]),
    "lr_schedule": (Float(1e-4, 1e-1, log=True), "cosine"),
}


def check_shape(p: Any) -> None:
    assert set(p) == {"model", "preprocess", "lr_schedule"}
    m = p["model"]
    assert isinstance(m, dict)
    if m["type"] == "svm":
        assert set(m) == {"type", "C", "kernel"} and m["kernel"] in ("rbf", "linear")
        assert 0.04 < m["C"] < 20.1
    elif m["type"] == "rf":
        assert set(m) == {"type", "n_estimators", "max_depth"}
        assert m["max_depth"] is None or (type(m["max_depth"]) is int and 1 <= m["max_depth"] <= 11)
    else:
        assert m["type"] == "knn" and set(m) == {"type", "k", "weights"}
        assert 1 <= m["k"] <= 15
    assert p["preprocess"] in ("none", "standard", "minmax")
    lr, name = p["lr_schedule"]
    assert isinstance(p["lr_schedule"], tuple) and 1e-4 <= lr <= 0.1 and name == "cosine"


def test_nested_params_are_shaped_like_space_eval(client: parzen.Client, server_address: str, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random", seed=3)
    trials = exp.suggest(count=30)
    for t in trials:
        check_shape(t.params)
        t.report(float(t.number))
    assert {t.params["model"]["type"] for t in trials} == {"svm", "rf", "knn"}
    # Inactive parameters are absent from the server's flat map.
    for t in trials:
        if t.params["model"]["type"] != "svm":
            assert "svm_C" not in t.flat_params

    # A fresh client, knowing only the name, sees the same shaped params.
    with parzen.Client(server_address) as other:
        remote = other.get_experiment(name)
        assert [t.params for t in remote.trials()] == [t.params for t in trials]


def test_enqueue_and_add_trials_take_shaped_values(client: parzen.Client, name: str) -> None:
    exp = client.create_experiment(name, SPACE, algorithm="random")
    rf = {
        "model": {"type": "rf", "n_estimators": 50.0, "max_depth": 4},
        "preprocess": "standard",
        "lr_schedule": (0.01, "cosine"),
    }
    queued = exp.enqueue(rf)
    assert queued is not None and queued.flat_params["model"] == 1 and queued.flat_params["rf_depth"] == 1
    t = exp.suggest()
    assert t.params == rf
    t.report(0.5)

    knn = {
        "model": {"type": "knn", "k": 3, "weights": "distance"},
        "preprocess": "none",
        "lr_schedule": [0.001, "cosine"],
    }
    (imported,) = exp.add_trials([{"params": knn, "loss": 0.1, "metrics": {"accuracy": 0.9}}])
    assert imported.state == "COMPLETE" and imported.loss == 0.1 and imported.source == "IMPORTED"
    assert imported.params == {**knn, "lr_schedule": (0.001, "cosine")}
    assert imported.metrics == {"accuracy": 0.9}

    best = exp.best_trial
    assert best is not None and best.id == imported.id and best.params["model"]["type"] == "knn"


def test_experiments_of_other_clients_have_flat_params(client: parzen.Client, name: str) -> None:
    # Strip the template, as an experiment created by the Go client would be.
    compiled = parzen.compile_space({"x": hp.uniform("x", 0, 1), "c": hp.choice("c", ["a", "b"])})
    from parzen.v1 import experiment_pb2
    from parzen.v1 import optimizer_service_pb2 as svc

    req = svc.CreateExperimentRequest(
        experiment=experiment_pb2.Experiment(
            name=name, space=compiled.proto, algorithm=experiment_pb2.AlgorithmConfig(name="random")
        )
    )
    client.connection.call("CreateExperiment", req)
    exp = client.get_experiment(name)
    t = exp.suggest()
    assert set(t.params) == {"x", "c"} and t.params["c"] in ("a", "b")
    # ...and a caller who has the space can shape them anyway.
    assert (
        client.get_experiment(name, space={"c": hp.choice("c", ["a", "b"]), "x": hp.uniform("x", 0, 1)})
        .get_trial(t.id)
        .params
        == t.params
    )
