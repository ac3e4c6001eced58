"""Unit tests of the space template: shaping flat assignments like
hyperopt's space_eval, the inverse, JSON round trips (no server)."""

from __future__ import annotations

from typing import Any

import pytest

import parzen
from parzen import hp
from parzen import template as tpl
from parzen.space import Categorical, Float
from parzen.values import Scalar


class Model:  # a non-JSON constant, as in hp.choice("cls", [SVC, RandomForest])
    pass


SPACE = {
    "clf": hp.choice(
        "clf",
        [
            {"type": "svm", "C": hp.loguniform("C", -3, 3), "kernel": hp.choice("kernel", ["rbf", "linear"])},
            {"type": "rf", "n": hp.randint("n", 10, 100), "depth": hp.choice("depth", [None, hp.randint("d", 1, 8)])},
            "none",
        ],
    ),
    "lr": Float(1e-4, 1e-1, log=True),
    "pair": (hp.uniform("a", 0, 1), 7),
    "cls": hp.choice("cls", [Model, "plain"]),
}


def test_decode_shapes_a_flat_assignment() -> None:
    t = parzen.compile_space(SPACE).template
    flat = {"clf": 1, "n": 42, "depth": 1, "d": 3, "lr": 0.01, "a": 0.5, "cls": 0}
    assert tpl.decode(t, flat) == {
        "clf": {"type": "rf", "n": 42, "depth": 3},
        "lr": 0.01,
        "pair": (0.5, 7),
        "cls": Model,
    }
    assert tpl.decode(t, {"clf": "none", "lr": 0.1, "a": 0.0, "cls": "plain"})["clf"] == "none"


@pytest.mark.parametrize(
    "flat",
    [
        {"clf": 0, "C": 1.5, "kernel": "rbf", "lr": 0.01, "a": 0.5, "cls": 0},
        {"clf": 1, "n": 42, "depth": 0, "lr": 0.01, "a": 0.5, "cls": "plain"},
        {"clf": 1, "n": 42, "depth": 1, "d": 7, "lr": 0.01, "a": 0.5, "cls": 0},
        {"clf": "none", "lr": 0.01, "a": 0.5, "cls": "plain"},
    ],
)
def test_encode_inverts_decode(flat: Any) -> None:
    t = parzen.compile_space(SPACE).template
    assert tpl.encode(t, tpl.decode(t, flat)) == flat


def test_json_round_trip_keeps_the_shape() -> None:
    compiled = parzen.compile_space(SPACE)
    t = tpl.from_json(compiled.template_json)
    flat: dict[str, Scalar] = {"clf": 0, "C": 1.5, "kernel": "linear", "lr": 0.01, "a": 0.25, "cls": "plain"}
    assert tpl.decode(t, flat) == tpl.decode(compiled.template, flat)
    # A class cannot be stored as JSON: it comes back as a stable description.
    assert tpl.decode(t, {**flat, "cls": 0})["cls"] == f"<{__name__}.Model>"
    assert parzen.compile_space(SPACE).template_json == compiled.template_json


def test_encode_rejects_values_of_another_shape() -> None:
    t = parzen.compile_space(SPACE).template
    with pytest.raises(tpl.ShapeError):
        tpl.encode(t, {"clf": "none", "lr": 0.01})
    with pytest.raises(tpl.ShapeError):
        tpl.encode(t, {"clf": {"type": "gbm"}, "lr": 0.01, "pair": (0.5, 7), "cls": "plain"})
    with pytest.raises(ValueError, match="not one of its options"):
        tpl.decode(t, {"clf": 5, "lr": 0.01, "a": 0.5, "cls": "plain"})


def test_choice_options_told_apart_by_bounds() -> None:
    t = parzen.compile_space({"v": hp.choice("v", [hp.uniform("low", 0, 1), hp.uniform("high", 5, 6)])}).template
    assert tpl.encode(t, {"v": 5.5}) == {"v": 1, "high": 5.5}
    assert tpl.encode(t, {"v": 0.5}) == {"v": 0, "low": 0.5}


def test_hyperopt_points_use_option_indices() -> None:
    point = {"clf": 1, "n": 20, "depth": 1, "d": 2, "lr": 0.001, "a": 0.1, "cls": 1, "C": 99.0}  # C: inactive, ignored
    assert parzen.space_eval(SPACE, point) == {
        "clf": {"type": "rf", "n": 20, "depth": 2},
        "lr": 0.001,
        "pair": (0.1, 7),
        "cls": "plain",
    }
    with pytest.raises(tpl.ShapeError):
        parzen.space_eval(SPACE, {"clf": "rf"})


def test_flat_template_for_spaces_from_other_clients() -> None:
    assert tpl.decode(tpl.FLAT, {"x": 1.0, "c": "a"}) == {"x": 1.0, "c": "a"}
    assert tpl.encode(tpl.FLAT, {"x": 1.0}) == {"x": 1.0}


def test_optuna_style_nested_categorical_round_trips() -> None:
    t = parzen.compile_space({"m": Categorical([{"C": Float(0, 1)}, {"C": Float(0, 1), "k": 3}])}).template
    assert tpl.decode(t, {"m": 1, "m.1.C": 0.5}) == {"m": {"C": 0.5, "k": 3}}
    assert tpl.encode(t, {"m": {"C": 0.5, "k": 3}}) == {"m": 1, "m.1.C": 0.5}


def test_space_eval_returns_shaped_values_unchanged() -> None:
    space = {"layers": hp.choice("layers", [1, 2, 3]), "x": hp.uniform("x", 0, 1)}
    t = parzen.compile_space(space).template
    shaped = tpl.decode(t, {"layers": 2, "x": 0.5})  # what trial.params / fmin return
    assert shaped == {"layers": 2, "x": 0.5} and isinstance(shaped, dict)
    assert parzen.space_eval(space, shaped) == {"layers": 2, "x": 0.5}
    # A hyperopt point holds the option index: index 2 is the value 3.
    assert parzen.space_eval(space, {"layers": 2, "x": 0.5}) == {"layers": 3, "x": 0.5}
    assert parzen.space_eval(hp.uniform("x", 0, 1), 0.25) == 0.25
