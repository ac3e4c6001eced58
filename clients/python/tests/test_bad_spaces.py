"""Malformed spaces and values are rejected by the server with
InvalidArgument carrying its precise message (naming the parameter)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import parzen
from parzen import errors, hp
from parzen.space import Float, Int

BAD = [
    ("low_ge_high", {"x": hp.uniform("x", 1, 0)}, ['"x"', "low (1) must be less than high (0)"]),
    ("loguniform_reversed", {"lr": hp.loguniform("lr", 0, -1)}, ['"lr"', "low", "high"]),
    ("log_low_not_positive", {"lr": Float(0, 1, log=True)}, ['"lr"', "low > 0"]),
    ("q_not_positive", {"q": hp.quniform("q", 0, 10, 0)}, ['"q"', "q must be > 0"]),
    ("q_larger_than_range", {"q": hp.quniform("q", 0, 1, 5)}, ['"q"', "larger than the range"]),
    ("nan_bound", {"x": hp.uniform("x", math.nan, 1)}, ['"x"', "finite"]),
    ("sigma_not_positive", {"n": hp.normal("n", 0, 0)}, ['"n"', "sigma must be > 0"]),
    ("randint_empty", {"r": hp.randint("r", 0)}, ['"r"', "low (0) must be less than high (-1)"]),
    ("int_log_low_zero", {"i": Int(0, 10, log=True)}, ['"i"', "low >= 1"]),
    ("empty_choice", {"c": hp.choice("c", [])}, ['"c"', "no options"]),
    ("negative_weight", {"c": hp.pchoice("c", [(-1, "a"), (2, "b")])}, ['"c"', "weight 0"]),
    ("duplicate_label", {"a": hp.uniform("x", 0, 1), "b": hp.uniform("x", 0, 2)}, ['"x"', "duplicate"]),
    ("empty_space", {}, ["at least one parameter"]),
]


@pytest.mark.parametrize(("label", "space", "phrases"), BAD, ids=[b[0] for b in BAD])
def test_bad_space_raises_invalid_argument_with_the_servers_message(
    client: parzen.Client, name: str, label: str, space: Any, phrases: Any
) -> None:
    with pytest.raises(errors.InvalidArgument) as e:
        client.create_experiment(name, space, algorithm="random")
    for phrase in phrases:
        assert phrase in str(e.value), f"{label}: {phrase!r} not in {str(e.value)!r}"
    with pytest.raises(errors.NotFound):  # nothing was stored
        client.get_experiment(name)


def test_unknown_algorithm_and_out_of_domain_values(client: parzen.Client, name: str) -> None:
    with pytest.raises(errors.InvalidArgument, match="unknown algorithm"):
        client.create_experiment(name, {"x": hp.uniform("x", 0, 1)}, algorithm="simulated-annealing")
    exp = client.create_experiment(name, {"x": hp.uniform("x", 0, 1), "n": hp.randint("n", 3)}, algorithm="random")
    with pytest.raises(errors.InvalidArgument, match='"x"'):
        exp.enqueue({"x": 5.0, "n": 1})
    with pytest.raises(errors.InvalidArgument, match='"n"'):
        exp.add_trials([{"params": {"x": 0.5, "n": 7}, "loss": 1.0}])
    with pytest.raises(ValueError, match="does not fit the space"):  # not the space's shape at all: caught locally
        exp.enqueue({"y": 1})
    assert exp.trials() == []
