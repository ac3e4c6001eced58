"""Optuna-style space helpers with natural-unit bounds.

These nodes carry no label: each is named after where it sits in the space,
e.g. ``{"lr": Float(1e-5, 1e-1, log=True)}`` declares the parameter ``lr``;
inside a choice option the path includes the option, as in
``model.1.C`` (see ``parzen.compile``). They mix freely with ``parzen.hp``.

    space = {
        "lr": Float(1e-5, 1e-1, log=True),   # log-uniform on [1e-5, 0.1]
        "layers": Int(1, 4),                 # 1, 2, 3 or 4
        "dropout": Float(0.0, 0.5, step=0.1),
        "opt": Categorical(["adam", "sgd"]),
    }
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .expr import Choice, Param, as_float, as_int, make_choice, make_param

__all__ = ["Categorical", "Float", "Int"]


def Float(low: float, high: float, *, log: bool = False, step: float | None = None, label: str | None = None) -> Param:
    """A float in ``[low, high]`` (natural units); log-scaled and/or on a grid
    ``low, low+step, ...`` when asked."""
    lo, hi = as_float("low", low), as_float("high", high)
    if step is None:
        return make_param(label, "log_uniform" if log else "uniform", low=lo, high=hi)
    q = as_float("step", step)
    return make_param(label, "q_log_uniform" if log else "q_uniform", low=lo, high=hi, q=q)


def Int(low: int, high: int, *, log: bool = False, step: int = 1, label: str | None = None) -> Param:
    """An integer in ``low .. high`` (both inclusive), step ``step``;
    ``log=True`` gives a log-uniform prior (needs ``low >= 1``, ``step == 1``)."""
    return make_param(
        label, "int_range", low=as_int("low", low), high=as_int("high", high), step=as_int("step", step), log=bool(log)
    )


def Categorical(choices: Sequence[Any], *, weights: Sequence[float] | None = None, label: str | None = None) -> Choice:
    """One of ``choices`` (constants or nested sub-spaces), optionally weighted."""
    return make_choice(label, choices, weights)
