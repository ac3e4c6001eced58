"""Algorithm names, and hyperopt-style aliases so ``algo=tpe.suggest`` keeps
working after ``from parzen import tpe``.

Parzen's algorithms run on the server; here an algorithm is just its name.
"""

from __future__ import annotations

from typing import Any


class Algorithm:
    """A server-side algorithm by name; ``.suggest`` is the name too, so
    hyperopt's spelling ``algo=tpe.suggest`` works."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.suggest = name

    def __repr__(self) -> str:
        return f"Algorithm({self.name!r})"


tpe = Algorithm("tpe")
rand = Algorithm("random")
gp = Algorithm("gp")

_HYPEROPT_MODULES = {"hyperopt.tpe": "tpe", "hyperopt.rand": "random", "hyperopt.atpe": "tpe"}


def algorithm_name(algo: Any) -> str | None:
    """The server's name for ``algo``: None (the server's default, ``tpe``), a
    name, an ``Algorithm``, or hyperopt's ``tpe.suggest`` / ``rand.suggest``."""
    if algo is None or isinstance(algo, str):
        return algo
    if isinstance(algo, Algorithm):
        return algo.name
    module = getattr(algo, "__module__", "") or ""
    if module in _HYPEROPT_MODULES:
        return _HYPEROPT_MODULES[module]
    func = getattr(algo, "func", None)  # functools.partial(tpe.suggest, ...)
    if func is not None:
        return algorithm_name(func)
    raise ValueError(f"unsupported algo {algo!r}: use 'tpe', 'random', 'gp' or parzen.tpe.suggest")
