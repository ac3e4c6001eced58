"""The shape of a space: how a trial's flat ``name -> value`` assignment
becomes values shaped like the user's space (hyperopt's ``space_eval``), and
back.

The server knows only a tree of named parameters. The client keeps the rest
(dicts, lists, tuples, constants, which choice option holds which
sub-structure) as a *template*: a small tree of JSON-able nodes. It is stored
as JSON in the experiment's ``user_attrs[TEMPLATE_ATTR]`` so that
``Client.get_experiment(name)`` on another machine shapes parameters the same
way. Node kinds (``"t"``):

* ``param``: ``{"name", "int", "bounds"}``, value ``params[name]``;
* ``choice``: ``{"name", "values", "options"}``: ``values[i]`` is what the
  server stores when option ``i`` is chosen, ``options[i]`` its template;
* ``dict`` (``items``: ``[[key, node], ...]``), ``list``, ``tuple``;
* ``const``: ``{"v"}``, a constant; in memory it holds the user's own object,
  in JSON a non-JSON constant is replaced by a stable description;
* ``flat``: no template known (a space created by another client): params are
  the flat map itself.

Pure: no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ParzenError
from .values import Scalar, scalar_key

#: ``user_attrs`` key of the JSON template.
TEMPLATE_ATTR = "parzen.python.template"
TEMPLATE_VERSION = 1

Node = dict[str, Any]
FLAT: Node = {"t": "flat"}


class ShapeError(ParzenError, ValueError):
    """Values do not fit the space's shape."""


class ShapedDict(dict[Any, Any]):
    """A plain dict, marked as already shaped like the space (``trial.params``,
    ``fmin``'s result), so ``parzen.space_eval`` returns it unchanged instead
    of reading its choice values as hyperopt's option indices."""


# ---------------------------------------------------------------- decoding


def decode(node: Node, flat: Mapping[str, Scalar]) -> Any:
    """The shaped value of a flat assignment of the active parameters."""
    t = node["t"]
    if t == "param":
        return _get(flat, node["name"])
    if t == "choice":
        got = _get(flat, node["name"])
        key = scalar_key(got)
        for value, option in zip(node["values"], node["options"]):
            if scalar_key(value) == key:
                return decode(option, flat)
        raise ShapeError(f"parameter {node['name']!r}: {got!r} is not one of its options")
    if t == "dict":
        return ShapedDict((k, decode(child, flat)) for k, child in node["items"])
    if t == "list":
        return [decode(child, flat) for child in node["items"]]
    if t == "tuple":
        return tuple(decode(child, flat) for child in node["items"])
    if t == "const":
        return node["v"]
    if t == "flat":
        return ShapedDict(flat)
    raise ShapeError(f"unknown template node {t!r}")


def _get(flat: Mapping[str, Scalar], name: str) -> Scalar:
    try:
        return flat[name]
    except KeyError:
        raise ShapeError(f"parameter {name!r} is missing from the trial's parameters") from None


# ---------------------------------------------------------------- encoding


def encode(node: Node, value: Any) -> dict[str, Scalar]:
    """The flat assignment whose shaped value is ``value`` (the inverse of
    ``decode``). A choice takes the first option whose structure and
    constants fit ``value``."""
    flat = _encode(node, value, False)
    if flat is None:
        why = _mismatch(node, value, "")
        raise ShapeError(f"{_short(value)} does not fit the space's shape" + (f": {why}" if why else ""))
    return flat


def _mismatch(node: Node, value: Any, at: str) -> str | None:
    """Where and why ``value`` does not fit ``node``, for the error message (best effort: the first problem)."""
    where = f" at {at}" if at else ""
    t = node["t"]
    if t == "dict":
        if not isinstance(value, Mapping):
            return f"expected a dict{where}, got {type(value).__name__}"
        keys = [k for k, _ in node["items"]]
        extra = [k for k in value if k not in keys]
        missing = [k for k in keys if k not in value]
        if extra:
            return f"unexpected key {extra[0]!r}{where} (the space has {', '.join(map(repr, keys))})"
        if missing:
            return f"missing key {missing[0]!r}{where}"
        for k, child in node["items"]:
            why = _mismatch(child, value[k], f"{at}[{k!r}]" if at else repr(k))
            if why:
                return why
        return None
    if t in ("list", "tuple"):
        items = node["items"]
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != len(items):
            return f"expected a {t} of {len(items)}{where}"
        for i, (child, v) in enumerate(zip(items, value)):
            why = _mismatch(child, v, f"{at}[{i}]")
            if why:
                return why
        return None
    if t == "param":
        return None if _number(value, node["int"]) is not None else f"{_short(value)}{where} is not a number"
    if t == "choice":
        if any(_encode(option, value, True) is not None for option in node["options"]):
            return None
        return f"{_short(value)}{where} fits none of the options of {node['name']!r}"
    if t == "const":
        return None if _same_constant(node["v"], value) else f"{_short(value)}{where} is not the constant"
    return None


def _encode(node: Node, value: Any, strict: bool) -> dict[str, Scalar] | None:
    """``strict``: inside a choice option, where bounds tell options apart;
    elsewhere an out-of-bounds value is left for the server to reject with
    its precise message."""
    t = node["t"]
    if t == "param":
        x = _number(value, node["int"])
        if x is None:
            return None
        bounds = node.get("bounds")
        if strict and bounds is not None:
            lo, hi = bounds
            tol = 1e-9 * max(1.0, abs(lo), abs(hi))
            if not (lo - tol <= x <= hi + tol):
                return None
        return {node["name"]: x}
    if t == "choice":
        for v, option in zip(node["values"], node["options"]):
            sub = _encode(option, value, True)
            if sub is not None:
                sub[node["name"]] = v
                return sub
        return None
    if t == "dict":
        if not isinstance(value, Mapping) or set(value.keys()) != {k for k, _ in node["items"]}:
            return None
        return _merge([_encode(child, value[k], strict) for k, child in node["items"]])
    if t in ("list", "tuple"):
        items = node["items"]
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != len(items):
            return None
        return _merge([_encode(child, v, strict) for child, v in zip(items, value)])
    if t == "const":
        return {} if _same_constant(node["v"], value) else None
    if t == "flat":
        if not isinstance(value, Mapping):
            return None
        return dict(value)
    return None


def _merge(parts: list[dict[str, Scalar] | None]) -> dict[str, Scalar] | None:
    out: dict[str, Scalar] = {}
    for p in parts:
        if p is None:
            return None
        out.update(p)
    return out


def _number(value: Any, integer: bool) -> Scalar | None:
    if isinstance(value, (bool, str)):
        return None
    if integer:
        if hasattr(value, "__index__"):
            return int(value.__index__())
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return None
    if isinstance(value, (int, float)) or hasattr(value, "__float__"):
        x = float(value)
        return x if math.isfinite(x) else None
    return None


def _same_constant(const: Any, value: Any) -> bool:
    if const is value:
        return True
    if isinstance(const, bool) != isinstance(value, bool):
        return False
    try:
        return bool(const == value)
    except Exception:  # e.g. numpy arrays: ambiguous truth value
        return False


def _short(value: Any) -> str:
    r = repr(value)
    return r if len(r) <= 200 else r[:197] + "..."


def container_children(node: Node) -> list[Node]:
    """The nodes inside a dict, list or tuple node; none for the other kinds."""
    t = node["t"]
    if t == "dict":
        return [child for _, child in node["items"]]
    if t in ("list", "tuple"):
        return list(node["items"])
    return []


# ---------------------------------------------------- hyperopt-style points


def from_hyperopt_point(node: Node, point: Mapping[str, Any]) -> dict[str, Scalar]:
    """The flat assignment of a hyperopt-style point: ``{label: value}`` with
    the *index* of the chosen option for each choice (what hyperopt's ``fmin``
    returns and its ``points_to_evaluate`` takes). Inactive labels are ignored."""
    out: dict[str, Scalar] = {}

    def walk(n: Node) -> None:
        t = n["t"]
        if t == "param":
            x = _number(point.get(n["name"]), n["int"])
            if x is None:
                raise ShapeError(f"parameter {n['name']!r}: missing or not a number in {_short(dict(point))}")
            out[n["name"]] = x
        elif t == "choice":
            i = point.get(n["name"])
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(n["options"]):
                raise ShapeError(f"choice {n['name']!r}: expected an option index, got {i!r}")
            out[n["name"]] = n["values"][i]
            walk(n["options"][i])
        elif t == "flat":
            out.update(point)
        else:
            for child in container_children(n):
                walk(child)

    walk(node)
    return out


# -------------------------------------------------------------------- JSON


def to_json(node: Node) -> str:
    """The template as compact JSON (stable for equal spaces)."""
    return json.dumps({"version": TEMPLATE_VERSION, "root": _jsonable(node)}, separators=(",", ":"), allow_nan=True)


def from_json(text: str) -> Node:
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("version") != TEMPLATE_VERSION or not isinstance(doc.get("root"), dict):
        raise ShapeError("unsupported parzen.python.template (written by a newer client?)")
    root: Node = doc["root"]
    return root


def _jsonable(node: Node) -> Node:
    t = node["t"]
    if t == "const":
        return {"t": "const", "v": _const_json(node["v"])}
    if t == "dict":
        return {"t": "dict", "items": [[_key_json(k), _jsonable(c)] for k, c in node["items"]]}
    if t in ("list", "tuple"):
        return {"t": t, "items": [_jsonable(c) for c in node["items"]]}
    if t == "choice":
        return {**node, "options": [_jsonable(c) for c in node["options"]]}
    return node


def _const_json(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return describe(v)


def _key_json(k: Any) -> Any:
    if k is None or isinstance(k, (bool, int, float, str)):
        return k
    return describe(k)


def describe(v: Any) -> str:
    """A description of a non-JSON constant that is stable across processes
    (no memory addresses): ``<module.qualname>`` of a class or function,
    else of its type."""
    target = v if isinstance(v, type) or (callable(v) and hasattr(v, "__qualname__")) else type(v)
    module = getattr(target, "__module__", "?")
    name = getattr(target, "__qualname__", getattr(target, "__name__", "?"))
    return f"<{module}.{name}>"
