"""hyperopt-compatible space builder: ``from parzen import hp``.

Signatures and conventions follow ``hyperopt.hp``, so a hyperopt space works
unchanged. In particular, as in hyperopt:

* ``loguniform(label, low, high)`` and ``qloguniform`` take **log-space**
  bounds: the value lies in ``[exp(low), exp(high)]``. The server's
  ``LogUniform`` takes natural units, so the client sends ``exp(low)`` and
  ``exp(high)`` (rounded to 12 significant digits, so ``log(1e-3)`` becomes
  exactly ``0.001``). Use ``parzen.space.Float(..., log=True)`` for natural
  bounds.
* ``lognormal(label, mu, sigma)`` and ``qlognormal``: ``mu`` and ``sigma``
  are the mean and deviation of ``log(value)`` (sent unchanged).
* ``randint(label, upper)`` draws from ``0 .. upper-1``;
  ``randint(label, low, high)`` from ``low .. high-1``.
* ``uniformint(label, low, high)`` draws integers in ``low .. high`` (both
  inclusive).

One difference: ``qloguniform``'s grid is anchored at ``exp(low)`` (the
values are ``exp(low) + k*q``), as the server's ``QLogUniform`` specifies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, overload

from .expr import Choice, Param, as_float, as_int, make_choice, make_param

__all__ = [
    "choice",
    "lognormal",
    "loguniform",
    "normal",
    "pchoice",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "uniform",
    "uniformint",
]


def _exp(what: str, x: object) -> float:
    v = math.exp(as_float(what, x))
    return float(f"{v:.12g}") if math.isfinite(v) and v != 0 else v


def choice(label: str, options: Sequence[Any]) -> Choice:
    """One of ``options``; each may be a constant or a nested sub-space."""
    return make_choice(label, options)


def pchoice(label: str, p_options: Sequence[tuple[float, Any]]) -> Choice:
    """One of the options, with prior probabilities: ``[(p, option), ...]``."""
    pairs = list(p_options)
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"pchoice {label!r}: expected (probability, option) pairs, got {pair!r}")
    return make_choice(label, [o for _, o in pairs], [p for p, _ in pairs])


def uniform(label: str, low: float, high: float) -> Param:
    return make_param(label, "uniform", low=as_float("low", low), high=as_float("high", high))


def quniform(label: str, low: float, high: float, q: float) -> Param:
    return make_param(label, "q_uniform", low=as_float("low", low), high=as_float("high", high), q=as_float("q", q))


def loguniform(label: str, low: float, high: float) -> Param:
    """Log-uniform on ``[exp(low), exp(high)]``: bounds in log space."""
    return make_param(label, "log_uniform", low=_exp("low", low), high=_exp("high", high))


def qloguniform(label: str, low: float, high: float, q: float) -> Param:
    """Log-uniform on ``[exp(low), exp(high)]`` rounded to a step ``q`` grid."""
    return make_param(label, "q_log_uniform", low=_exp("low", low), high=_exp("high", high), q=as_float("q", q))


def normal(label: str, mu: float, sigma: float) -> Param:
    return make_param(label, "normal", mu=as_float("mu", mu), sigma=as_float("sigma", sigma))


def qnormal(label: str, mu: float, sigma: float, q: float) -> Param:
    return make_param(label, "q_normal", mu=as_float("mu", mu), sigma=as_float("sigma", sigma), q=as_float("q", q))


def lognormal(label: str, mu: float, sigma: float) -> Param:
    """``exp(Normal(mu, sigma))``: ``mu`` and ``sigma`` in log space."""
    return make_param(label, "log_normal", mu=as_float("mu", mu), sigma=as_float("sigma", sigma))


def qlognormal(label: str, mu: float, sigma: float, q: float) -> Param:
    return make_param(label, "q_log_normal", mu=as_float("mu", mu), sigma=as_float("sigma", sigma), q=as_float("q", q))


@overload
def randint(label: str, upper: int, /) -> Param: ...
@overload
def randint(label: str, low: int, high: int, /) -> Param: ...


def randint(label: str, low_or_upper: int, high: int | None = None, /) -> Param:
    """An integer in ``0 .. upper-1``, or in ``low .. high-1`` (high exclusive)."""
    if high is None:
        low, top = 0, as_int("upper", low_or_upper) - 1
    else:
        low, top = as_int("low", low_or_upper), as_int("high", high) - 1
    return make_param(label, "int_range", low=low, high=top, step=1, log=False)


def uniformint(label: str, low: int, high: int, q: int = 1) -> Param:
    """An integer in ``low .. high`` (both inclusive), on a step ``q`` grid."""
    return make_param(
        label, "int_range", low=as_int("low", low), high=as_int("high", high), step=as_int("q", q), log=False
    )
