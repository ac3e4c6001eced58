"""Turns a user's space (dicts, lists, tuples, constants and ``hp`` /
``parzen.space`` nodes) into the proto ``SearchSpace`` and its template.

Naming: a labelled node (``hp.uniform("lr", ...)``) keeps its label; an
unlabelled one (``parzen.space.Float(...)``) is named by its path, joining
dict keys, list positions and choice option indices with ``.``, e.g.
``{"model": Categorical([{"C": Float(...)}])}`` names ``C`` ``model.0.C``
(a bare node as the whole space is named ``value``).

Choice options: a scalar constant (str, int, float, bool) is sent as itself,
so the server, the dashboards and other clients see ``"adam"``; any other
option (a dict, list, tuple, ``None``, an object, a nested node) is sent as
its index ``i``. When that would make two options equal (``[1, {...}]``, or
a repeated constant) every option is sent as its index instead.

Labels: an option sent as its index carries a label for every other client,
the CLI and the dashboard: a dict's ``"name"`` (or its first string value),
a list's first string, a class's or function's ``__name__``.

Validation of bounds, steps, weights and names is the server's: its messages
name the parameter and the problem. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import template as tpl
from .expr import Choice, Param
from .v1 import space_pb2
from .values import is_scalar, scalar_key, to_value

_DOMAIN_MESSAGES = {
    "uniform": space_pb2.Uniform,
    "log_uniform": space_pb2.LogUniform,
    "q_uniform": space_pb2.QUniform,
    "q_log_uniform": space_pb2.QLogUniform,
    "normal": space_pb2.Normal,
    "log_normal": space_pb2.LogNormal,
    "q_normal": space_pb2.QNormal,
    "q_log_normal": space_pb2.QLogNormal,
    "int_range": space_pb2.IntRange,
}

_BOUNDED = ("uniform", "log_uniform", "q_uniform", "q_log_uniform", "int_range")


@dataclass(frozen=True)
class CompiledSpace:
    """A space as the server sees it, and how to shape its values."""

    proto: space_pb2.SearchSpace
    template: tpl.Node

    @property
    def template_json(self) -> str:
        return tpl.to_json(self.template)


def compile_space(space: Any) -> CompiledSpace:
    """Compiles a space; raises ``TypeError`` for things that cannot be in one."""
    node, params = _compile(space, [])
    return CompiledSpace(space_pb2.SearchSpace(parameters=params), node)


def _compile(x: Any, path: list[str]) -> tuple[tpl.Node, list[space_pb2.Parameter]]:
    if isinstance(x, Param):
        return _param(x, _name(x.label, path))
    if isinstance(x, Choice):
        return _choice(x, _name(x.label, path), path)
    if isinstance(x, Mapping):
        items: list[list[Any]] = []
        params: list[space_pb2.Parameter] = []
        for k, v in x.items():
            node, ps = _compile(v, [*path, str(k)])
            items.append([k, node])
            params.extend(ps)
        return {"t": "dict", "items": items}, params
    if isinstance(x, (list, tuple)):
        nodes: list[tpl.Node] = []
        params = []
        for i, v in enumerate(x):
            node, ps = _compile(v, [*path, str(i)])
            nodes.append(node)
            params.extend(ps)
        return {"t": "tuple" if isinstance(x, tuple) else "list", "items": nodes}, params
    if _looks_like_hyperopt(x):
        raise TypeError(
            f"{type(x).__module__}.{type(x).__name__} at {'.'.join(path) or 'the root'} is a hyperopt expression: "
            "build the space with parzen.hp (same functions, same arguments)"
        )
    return {"t": "const", "v": x}, []


def _name(label: str | None, path: list[str]) -> str:
    return label if label is not None else (".".join(path) or "value")


def _param(p: Param, name: str) -> tuple[tpl.Node, list[space_pb2.Parameter]]:
    args = p.args
    msg = _DOMAIN_MESSAGES[p.domain](**args)
    param = space_pb2.Parameter(name=name, **{p.domain: msg})
    bounds = None
    if p.domain in _BOUNDED:
        lo, hi = float(args["low"]), float(args["high"])
        if math.isfinite(lo) and math.isfinite(hi):
            bounds = [lo, hi]
    return {"t": "param", "name": name, "int": p.is_int, "bounds": bounds}, [param]


def _choice(c: Choice, name: str, path: list[str]) -> tuple[tpl.Node, list[space_pb2.Parameter]]:
    values = _option_values(c.options)
    labels = _option_labels(c.options, values)
    options: list[space_pb2.ChoiceOption] = []
    nodes: list[tpl.Node] = []
    for i, (option, value, label) in enumerate(zip(c.options, values, labels)):
        node, children = _compile(option, [*path, str(i)])
        nodes.append(node)
        option_proto = space_pb2.ChoiceOption(value=to_value(value), children=children)
        if label is not None:
            option_proto.label = label
        options.append(option_proto)
    choice = space_pb2.Choice(options=options, weights=list(c.weights or ()))
    return {"t": "choice", "name": name, "values": values, "options": nodes}, [
        space_pb2.Parameter(name=name, choice=choice)
    ]


def _option_values(options: tuple[Any, ...]) -> list[Any]:
    values = [o if is_scalar(o) and not isinstance(o, (Param, Choice)) else i for i, o in enumerate(options)]
    keys = [scalar_key(v) for v in values]
    if len(set(keys)) != len(keys):
        # An index collides with a constant, or constants repeat (hyperopt
        # allows that): send every option as its index.
        return list(range(len(options)))
    return values


def _option_labels(options: tuple[Any, ...], values: list[Any]) -> list[str | None]:
    """What other clients and the CLI call each option sent as an index: a
    dict's ``"name"`` (or its first string value), a list's first string, a
    class's or function's ``__name__``. None where there is none, or where two
    options would share one (labels are unique within a choice)."""
    labels: list[str | None] = [
        None if is_scalar(o) and not isinstance(o, (Param, Choice)) and v is o else _label_of(o)
        for o, v in zip(options, values)
    ]
    given = [lb for lb in labels if lb is not None]
    repeated = {lb for lb in given if given.count(lb) > 1}
    return [None if lb in repeated else lb for lb in labels]


def _label_of(option: Any) -> str | None:
    if isinstance(option, Mapping):
        name = option.get("name")
        if isinstance(name, str) and name:
            return name
        return next((v for v in option.values() if isinstance(v, str) and v), None)
    if isinstance(option, (list, tuple)):
        return next((v for v in option if isinstance(v, str) and v), None)
    if is_scalar(option):
        return str(option) if isinstance(option, str) else None
    name = getattr(option, "__name__", None)
    return name if isinstance(name, str) and name else None


def _looks_like_hyperopt(x: Any) -> bool:
    return type(x).__module__.startswith("hyperopt") and hasattr(x, "name") and hasattr(x, "pos_args")


def space_eval(space_: Any, point: Any) -> Any:
    """hyperopt's ``space_eval``: the shaped values of a ``{label: value}``
    point whose choices hold option *indices* (as hyperopt's ``fmin`` and
    ``parzen.Trials.argmin`` give them). ``fmin`` and ``trial.params`` already
    return shaped values: given one of those, it is returned unchanged, so
    ``space_eval(space, fmin(...))`` keeps working after switching from hyperopt."""
    t = compile_space(space_).template
    if isinstance(point, tpl.ShapedDict) or not isinstance(point, Mapping):
        tpl.encode(t, point)  # raises ShapeError if it does not fit
        return point
    return tpl.decode(t, tpl.from_hyperopt_point(t, point))
