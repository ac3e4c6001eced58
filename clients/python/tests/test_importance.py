"""Parameter importance (GetImportance) against the real server, on a
problem whose important parameter is known."""

from __future__ import annotations

import parzen
from parzen import hp


def test_importance_ranks_the_parameter_that_decides_the_loss(client: parzen.Client, name: str) -> None:
    space = {"x": hp.uniform("x", -1, 1), "noise": hp.uniform("noise", 0, 1), "opt": hp.choice("opt", ["a", "b"])}
    exp = client.create_experiment(name, space, algorithm="random", seed=5)
    assert exp.importance() == {"x": 0.0, "noise": 0.0, "opt": 0.0}  # nothing to judge yet
    for _ in range(150):
        with exp.suggest() as t:
            t.report(10 * t.params["x"] ** 2)
    imp = exp.importance()
    assert set(imp) == {"x", "noise", "opt"}
    assert next(iter(imp)) == "x" and imp["x"] > 0.8
    assert abs(sum(imp.values()) - 1) < 1e-9
