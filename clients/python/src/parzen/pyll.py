"""``scope.int`` for hyperopt spaces written as
``scope.int(hp.quniform("n", 10, 100, 1))``: ``from parzen.pyll import scope``
replaces ``from hyperopt.pyll import scope``.

Parzen has a native integer domain, so ``scope.int`` rewrites a quantized
node with whole bounds and step into ``IntRange`` (values come back as ints).
No other pyll operations exist: a space's arithmetic belongs in ``fn``.
"""

from __future__ import annotations

from typing import Any

from .expr import Param, make_param


def _whole(x: Any) -> bool:
    return float(x).is_integer()


class _Scope:
    @staticmethod
    def int(node: Any) -> Param:
        """The integer version of ``node`` (quniform, qloguniform with q=1, or
        an already-integer node)."""
        if not isinstance(node, Param):
            raise TypeError(f"scope.int takes a numeric hp node, got {type(node).__name__}")
        if node.is_int:
            return node
        a = node.args
        if node.domain == "q_uniform" and all(_whole(a[k]) for k in ("low", "high", "q")):
            return make_param(
                node.label, "int_range", low=int(a["low"]), high=int(a["high"]), step=int(a["q"]), log=False
            )
        if node.domain == "q_log_uniform" and a["q"] == 1 and _whole(a["low"]) and _whole(a["high"]):
            return make_param(node.label, "int_range", low=int(a["low"]), high=int(a["high"]), step=1, log=True)
        raise ValueError(
            f"scope.int({node.label or node.domain}): only quniform with whole low, high and q, or qloguniform "
            "with q=1 and whole exp(low), exp(high), map to integers; use hp.uniformint or parzen.space.Int"
        )


scope = _Scope()
