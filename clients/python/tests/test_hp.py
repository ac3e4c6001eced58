"""Unit tests of the space builders and the compiler (no server)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import parzen
from parzen import hp
from parzen.space import Categorical, Float, Int


def only_param(space: Any) -> Any:
    proto = parzen.compile_space(space).proto
    assert len(proto.parameters) == 1
    return proto.parameters[0]


def fields(msg: Any) -> dict[str, Any]:
    """Every field with a value other than its zero default."""
    return {f.name: v for f, v in msg.ListFields()}


@pytest.mark.parametrize(
    ("node", "domain", "expected"),
    [
        (hp.uniform("p", -2, 3), "uniform", {"low": -2.0, "high": 3.0}),
        (hp.quniform("p", 0, 10, 2.5), "q_uniform", {"high": 10.0, "q": 2.5}),
        (hp.loguniform("p", math.log(1e-3), math.log(10)), "log_uniform", {"low": 1e-3, "high": 10.0}),
        (hp.qloguniform("p", 0, math.log(100), 5), "q_log_uniform", {"low": 1.0, "high": 100.0, "q": 5.0}),
        (hp.normal("p", 1, 2), "normal", {"mu": 1.0, "sigma": 2.0}),
        (hp.qnormal("p", 0, 5, 0.5), "q_normal", {"sigma": 5.0, "q": 0.5}),
        (hp.lognormal("p", 0.5, 1), "log_normal", {"mu": 0.5, "sigma": 1.0}),
        (hp.qlognormal("p", 1, 0.5, 2), "q_log_normal", {"mu": 1.0, "sigma": 0.5, "q": 2.0}),
        (hp.randint("p", 10), "int_range", {"high": 9, "step": 1}),
        (hp.randint("p", 5, 8), "int_range", {"low": 5, "high": 7, "step": 1}),
        (hp.uniformint("p", 2, 6), "int_range", {"low": 2, "high": 6, "step": 1}),
        (Float(0.1, 0.9), "uniform", {"low": 0.1, "high": 0.9}),
        (Float(1e-5, 1e-1, log=True), "log_uniform", {"low": 1e-5, "high": 0.1}),
        (Float(0, 1, step=0.25), "q_uniform", {"high": 1.0, "q": 0.25}),
        (Float(1, 100, log=True, step=1), "q_log_uniform", {"low": 1.0, "high": 100.0, "q": 1.0}),
        (Int(1, 64, log=True), "int_range", {"low": 1, "high": 64, "step": 1, "log": True}),
        (Int(0, 100, step=10), "int_range", {"high": 100, "step": 10}),
    ],
)
def test_primitives_compile_to_their_proto_domain(node: Any, domain: str, expected: dict[str, Any]) -> None:
    p = only_param({"p": node})
    assert p.name == "p"
    assert p.WhichOneof("domain") == domain
    assert fields(getattr(p, domain)) == expected


def test_loguniform_bounds_are_log_space_like_hyperopt() -> None:
    p = only_param(hp.loguniform("lr", -3, 2))
    assert p.log_uniform.low == pytest.approx(math.exp(-3), rel=1e-11)
    assert p.log_uniform.high == pytest.approx(math.exp(2), rel=1e-11)


def test_choice_of_constants_sends_the_constants() -> None:
    p = only_param(hp.choice("c", ["a", 2, 0.5, True]))
    values = [o.value for o in p.choice.options]
    assert [v.WhichOneof("kind") for v in values] == ["string_value", "int_value", "double_value", "bool_value"]
    assert [v.string_value or v.int_value or v.double_value or v.bool_value for v in values] == ["a", 2, 0.5, True]
    assert list(p.choice.weights) == []


def test_structured_options_are_sent_as_indices_with_children() -> None:
    p = only_param(hp.choice("m", ["none", {"kind": "svm", "C": hp.uniform("C", 0, 1)}]))
    a, b = p.choice.options
    assert a.value.string_value == "none" and not a.children
    assert b.value.int_value == 1
    assert [c.name for c in b.children] == ["C"]


def test_colliding_options_fall_back_to_indices() -> None:
    p = only_param(hp.choice("c", [1, {"x": 1}]))  # option 1 would also be sent as 1
    assert [o.value.int_value for o in p.choice.options] == [0, 1]
    p = only_param(hp.choice("d", ["a", "a"]))  # hyperopt allows repeated options
    assert [o.value.int_value for o in p.choice.options] == [0, 1]


def test_pchoice_sends_weights() -> None:
    p = only_param(hp.pchoice("c", [(0.7, "a"), (0.3, "b")]))
    assert list(p.choice.weights) == pytest.approx([0.7, 0.3])
    assert [o.value.string_value for o in p.choice.options] == ["a", "b"]


def test_unlabelled_nodes_are_named_by_their_path() -> None:
    space = {
        "lr": Float(1e-4, 1, log=True),
        "model": Categorical([{"C": Float(0, 1)}, {"C": Float(1, 2), "depth": Int(1, 5)}]),
        "layers": [Int(1, 3), hp.uniform("named", 0, 1)],
    }
    proto = parzen.compile_space(space).proto
    assert [p.name for p in proto.parameters] == ["lr", "model", "layers.0", "named"]
    opts = proto.parameters[1].choice.options
    assert [c.name for c in opts[0].children] == ["model.0.C"]
    assert [c.name for c in opts[1].children] == ["model.1.C", "model.1.depth"]
    assert only_param(Float(0, 1)).name == "value"


def test_bare_node_space() -> None:
    assert only_param(hp.uniform("x", 0, 1)).name == "x"


@pytest.mark.parametrize(
    "make",
    [
        lambda: hp.uniform(3, 0, 1),  # type: ignore[arg-type]
        lambda: hp.uniform("x", "0", 1),  # type: ignore[arg-type]
        lambda: hp.randint("x", 2.5),  # type: ignore[call-overload]
        lambda: hp.choice("x", "abc"),
        lambda: hp.pchoice("x", [0.5, 0.5]),  # type: ignore[list-item]
        lambda: Int(0, True),
    ],
)
def test_malformed_builder_calls_raise_locally(make: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        make()


def test_numpy_scalars_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    p = only_param(hp.quniform("x", np.float64(0), np.int64(10), np.float32(0.5)))
    assert fields(p.q_uniform) == {"high": 10.0, "q": 0.5}
    p = only_param(hp.randint("n", np.int64(4)))
    assert p.int_range.high == 3


def test_hyperopt_expressions_are_rejected_with_a_hint() -> None:
    class FakeApply:
        name = "float"
        pos_args = ()

    FakeApply.__module__ = "hyperopt.pyll.base"
    with pytest.raises(TypeError, match=r"parzen\.hp"):
        parzen.compile_space({"x": FakeApply()})


def test_scope_int_turns_quantized_nodes_into_int_ranges() -> None:
    from parzen.pyll import scope

    p = only_param(scope.int(hp.quniform("n", 10, 100, 5)))
    assert p.WhichOneof("domain") == "int_range" and fields(p.int_range) == {"low": 10, "high": 100, "step": 5}
    p = only_param(scope.int(hp.qloguniform("m", 0, math.log(64), 1)))
    assert fields(p.int_range) == {"low": 1, "high": 64, "step": 1, "log": True}
    assert scope.int(hp.randint("r", 4)) == hp.randint("r", 4)
    with pytest.raises(ValueError, match="map to integers"):
        scope.int(hp.quniform("n", 0, 1, 0.5))
    with pytest.raises(TypeError):
        scope.int("n")


@pytest.mark.parametrize("pairs", [[0.5, 0.5], [(0.5, "a", "b"), (0.5, "c")], [(0.5,), (0.5, "c")]])
def test_pchoice_names_what_a_pair_must_be(pairs: Any) -> None:
    with pytest.raises(TypeError, match=r"pchoice 'x': expected \(probability, option\) pairs"):
        hp.pchoice("x", pairs)
