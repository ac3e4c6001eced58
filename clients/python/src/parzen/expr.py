"""The nodes of a search-space description, shared by ``parzen.hp`` and
``parzen.space``.

A space is any nesting of dicts, lists and tuples whose leaves are constants
or these nodes. Nodes only record what the user declared (in natural units,
ready for the proto); ``parzen.compile`` turns a whole space into the proto
``SearchSpace`` and the template that shapes trial parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

#: The proto domains a numeric parameter may have (``Parameter.domain``).
NUMERIC_DOMAINS = (
    "uniform",
    "log_uniform",
    "q_uniform",
    "q_log_uniform",
    "normal",
    "log_normal",
    "q_normal",
    "q_log_normal",
    "int_range",
)


@dataclass(frozen=True)
class Param:
    """A numeric parameter: one proto domain and its fields.

    ``label`` is ``None`` for Optuna-style nodes (``parzen.space.Float``...),
    which are named after their position in the space.
    """

    label: str | None
    domain: str
    fields: tuple[tuple[str, int | float | bool], ...]

    @property
    def args(self) -> dict[str, int | float | bool]:
        return dict(self.fields)

    @property
    def is_int(self) -> bool:
        """Whether values are integers (``int_range``); otherwise floats."""
        return self.domain == "int_range"

    def named(self, label: str) -> Param:
        return Param(label, self.domain, self.fields)


@dataclass(frozen=True)
class Choice:
    """A categorical choice; options may be constants or nested sub-spaces."""

    label: str | None
    options: tuple[Any, ...]
    weights: tuple[float, ...] | None = field(default=None)

    def named(self, label: str) -> Choice:
        return Choice(label, self.options, self.weights)


Node = Union[Param, Choice]


def make_param(label: str | None, domain: str, **fields: int | float | bool) -> Param:
    if label is not None:
        check_label(label)
    return Param(label, domain, tuple(fields.items()))


def make_choice(label: str | None, options: Sequence[Any], weights: Sequence[float] | None = None) -> Choice:
    if label is not None:
        check_label(label)
    if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
        raise TypeError(f"choice {label!r}: options must be a list or tuple, got {type(options).__name__}")
    w = None if weights is None else tuple(as_float(f"choice {label!r} weight", x) for x in weights)
    return Choice(label, tuple(options), w)


def check_label(label: object) -> None:
    if not isinstance(label, str):
        raise TypeError(f"a parameter label must be a str, got {type(label).__name__}")


def as_float(what: str, x: object) -> float:
    """``x`` as a float (accepting ints and numpy scalars, rejecting bools)."""
    if isinstance(x, bool) or (not isinstance(x, (int, float)) and not hasattr(x, "__float__")):
        raise TypeError(f"{what} must be a number, got {type(x).__name__}")
    return float(x)


def as_int(what: str, x: object) -> int:
    """``x`` as an int; floats are accepted when they are whole (``10.0``)."""
    if isinstance(x, bool):
        raise TypeError(f"{what} must be an integer, got bool")
    if hasattr(x, "__index__"):
        return int(x.__index__())
    f = as_float(what, x)
    if not f.is_integer():
        raise ValueError(f"{what} must be a whole number, got {x!r}")
    return int(f)
