"""Every hp primitive against the real server: the space round-trips, the
server's prior samples stay inside the domain with the right type, and an
enqueued value comes back unchanged."""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest

import parzen
from parzen import hp
from parzen.space import Categorical, Float, Int


def on_grid(x: float, anchor: float, q: float) -> bool:
    r = (x - anchor) / q
    return abs(r - round(r)) < 1e-6


Check = Callable[[Any], bool]

CASES: tuple[tuple[str, Any, Check, Any], ...] = (
    ("uniform", hp.uniform("p", -2, 3), lambda x: isinstance(x, float) and -2 <= x <= 3, 0.5),
    (
        "quniform",
        hp.quniform("p", 0, 10, 2.5),
        lambda x: isinstance(x, float) and 0 <= x <= 10 and on_grid(x, 0, 2.5),
        7.5,
    ),
    (
        "loguniform",
        hp.loguniform("p", math.log(1e-3), math.log(10)),
        lambda x: isinstance(x, float) and 1e-3 <= x <= 10,
        0.01,
    ),
    (
        "qloguniform",
        hp.qloguniform("p", 0, math.log(100), 5),
        lambda x: isinstance(x, float) and 1 <= x <= 100 and on_grid(x, 1, 5),
        51.0,
    ),
    ("normal", hp.normal("p", 1, 2), lambda x: isinstance(x, float) and math.isfinite(x), -3.25),
    ("qnormal", hp.qnormal("p", 0, 5, 0.5), lambda x: isinstance(x, float) and on_grid(x, 0, 0.5), 2.5),
    ("lognormal", hp.lognormal("p", 0, 1), lambda x: isinstance(x, float) and x > 0, 2.0),
    ("qlognormal", hp.qlognormal("p", 1, 0.5, 1), lambda x: isinstance(x, float) and x >= 0 and on_grid(x, 0, 1), 3.0),
    ("randint_upper", hp.randint("p", 10), lambda x: type(x) is int and 0 <= x <= 9, 9),
    ("randint_low_high", hp.randint("p", 5, 8), lambda x: type(x) is int and 5 <= x <= 7, 5),
    ("uniformint", hp.uniformint("p", 2, 6), lambda x: type(x) is int and 2 <= x <= 6, 6),
    ("choice", hp.choice("p", ["a", 2, 0.5, True]), lambda x: x in ("a", 2, 0.5, True), True),
    ("pchoice", hp.pchoice("p", [(0.9, "a"), (0.1, "b")]), lambda x: x in ("a", "b"), "b"),
    ("Float_log", Float(1e-4, 1, log=True), lambda x: isinstance(x, float) and 1e-4 <= x <= 1, 0.5),
    ("Int_log", Int(1, 64, log=True), lambda x: type(x) is int and 1 <= x <= 64, 64),
    ("Int_step", Int(0, 100, step=10), lambda x: type(x) is int and x % 10 == 0 and 0 <= x <= 100, 30),
    ("Categorical", Categorical(["x", "y"]), lambda x: x in ("x", "y"), "y"),
)


@pytest.mark.parametrize(("label", "node", "inside", "example"), CASES, ids=[c[0] for c in CASES])
def test_primitive_round_trips_and_samples_inside_its_domain(
    client: parzen.Client, server_address: str, name: str, label: str, node: Any, inside: Check, example: Any
) -> None:
    space = {"p": node}
    exp = client.create_experiment(name, space, algorithm="random", seed=7)
    assert exp.created

    # The server stored exactly the space we sent.
    with parzen.Client(server_address) as other:
        again = other.get_experiment(name)
    assert again.proto.space == parzen.compile_space(space).proto

    trials = exp.suggest(count=40)
    values = [t.params["p"] for t in trials]
    bad = [v for v in values if not inside(v)]
    assert not bad, f"{label}: values outside the domain: {bad}"
    if label == "pchoice":
        assert values.count("a") > values.count("b")
    for t in trials:
        t.report(0.0)

    # An enqueued actual value is served back unchanged (and keeps its type).
    queued = exp.enqueue({"p": example})
    assert queued is not None and queued.state == parzen.TrialState.WAITING
    got = exp.suggest()
    assert got.id == queued.id
    assert got.params == {"p": example} and type(got.params["p"]) is type(example)
