"""Conversions between Python scalars and the proto ``Value``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Union

from .v1 import space_pb2

Scalar = Union[bool, int, float, str]


def is_scalar(x: object) -> bool:
    """Whether ``x`` can be a proto ``Value`` (a finite number, str or bool)."""
    if isinstance(x, (bool, str)):
        return True
    if isinstance(x, int):
        return True
    if isinstance(x, float):
        return math.isfinite(x)
    return False


def to_value(x: object) -> space_pb2.Value:
    """The proto ``Value`` of a bool, int (or numpy integer), float or str."""
    if isinstance(x, bool):
        return space_pb2.Value(bool_value=x)
    if isinstance(x, str):
        return space_pb2.Value(string_value=x)
    if isinstance(x, int) or (hasattr(x, "__index__") and not isinstance(x, float)):
        return space_pb2.Value(int_value=int(x.__index__()))
    if isinstance(x, float) or hasattr(x, "__float__"):
        return space_pb2.Value(double_value=float(x))
    raise TypeError(f"cannot send {type(x).__name__} {x!r} as a parameter value (use a number, str or bool)")


def from_value(v: space_pb2.Value) -> Scalar:
    """The Python scalar held by a proto ``Value``."""
    kind = v.WhichOneof("kind")
    if kind == "double_value":
        return v.double_value
    if kind == "int_value":
        return v.int_value
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    raise ValueError("empty parzen.v1.Value")


def scalar_key(x: object) -> tuple[str, object]:
    """Identity of a choice option as the server sees it: numbers compare by
    value whether int or float, and bools are not numbers."""
    if isinstance(x, bool):
        return ("b", x)
    if isinstance(x, str):
        return ("s", x)
    if isinstance(x, (int, float)):
        return ("n", float(x))
    return ("o", id(x))


def to_value_map(params: Mapping[str, object]) -> dict[str, space_pb2.Value]:
    return {k: to_value(v) for k, v in params.items()}


def from_value_map(values: Mapping[str, space_pb2.Value]) -> dict[str, Scalar]:
    return {k: from_value(v) for k, v in values.items()}


def label_text(x: Scalar) -> str:
    """An option's value as text, as every Parzen client and the server write
    it when the option has no label: ``true``, ``32``, ``0.5``, ``1e-7``,
    ``adam`` (JavaScript's ``String(number)``: ``1.0`` is ``1``)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (str, int)):
        return str(x)
    if x == 0:
        return "0"
    d = Decimal(repr(float(x)))  # the shortest digits that round-trip, as JavaScript prints
    if -7 < d.adjusted() < 21:
        text = format(d, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return format(d, "e")


def choice_labels(space: space_pb2.SearchSpace) -> dict[str, dict[tuple[str, object], str]]:
    """Each choice parameter's option labels by option (``scalar_key``): the
    declared label, else the value as text."""
    out: dict[str, dict[tuple[str, object], str]] = {}

    def walk(params: Iterable[space_pb2.Parameter]) -> None:
        for p in params:
            if p.WhichOneof("domain") != "choice":
                continue
            labels: dict[tuple[str, object], str] = {}
            for o in p.choice.options:
                value = from_value(o.value)
                labels[scalar_key(value)] = o.label if o.HasField("label") and o.label else label_text(value)
                walk(o.children)
            out[p.name] = labels

    walk(space.parameters)
    return out
