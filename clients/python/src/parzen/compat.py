"""hyperopt's ``Trials`` for code that passes ``trials=Trials()`` to ``fmin``
and reads it afterwards (``trials.losses()``, ``trials.best_trial``,
``trials.argmin``, ...). The history lives on the server; this object is a
read-only view filled by ``fmin``. Passing the same ``Trials`` to another
``fmin`` call resumes the same experiment, as in hyperopt.

Dicts are shaped like hyperopt's: ``{"tid", "state", "result": {"loss",
"status", ...metrics}, "misc": {"vals": {label: [value]}}}`` where a choice's
value is the chosen option's *index* and an inactive label has ``[]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import template as tpl
from .errors import AllTrialsFailed
from .values import Scalar, scalar_key

if TYPE_CHECKING:
    from .experiment import Experiment
    from .trial import Trial

_STATE = {"WAITING": 0, "RUNNING": 1, "COMPLETE": 2, "PRUNED": 2, "FAIL": 2, "LOST": 3}


class Trials:
    """A hyperopt-style view of an experiment's trials."""

    def __init__(self) -> None:
        self.experiment: Experiment | None = None
        self._trials: list[dict[str, Any]] = []
        self._best: dict[str, Any] | None = None

    def refresh(self) -> Trials:
        """Reloads the view from the server."""
        if self.experiment is None:
            return self
        labels = _labels(self.experiment.template)
        self._trials = [_as_dict(t, labels) for t in self.experiment.iter_trials()]
        best = self.experiment.best_trial
        self._best = None if best is None else _as_dict(best, labels)
        return self

    def attach(self, experiment: Experiment) -> None:
        self.experiment = experiment
        self.refresh()

    @property
    def trials(self) -> list[dict[str, Any]]:
        return self._trials

    @property
    def results(self) -> list[dict[str, Any]]:
        return [t["result"] for t in self._trials]

    def losses(self) -> list[float | None]:
        return [t["result"].get("loss") for t in self._trials]

    def statuses(self) -> list[str]:
        return [t["result"]["status"] for t in self._trials]

    @property
    def tids(self) -> list[int]:
        return [t["tid"] for t in self._trials]

    @property
    def vals(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for t in self._trials:
            for k, v in t["misc"]["vals"].items():
                out.setdefault(k, []).extend(v)
        return out

    @property
    def best_trial(self) -> dict[str, Any]:
        if self._best is None:
            raise AllTrialsFailed("no trial has completed")
        return self._best

    @property
    def argmin(self) -> dict[str, Any]:
        """The best trial's ``{label: value}`` (choice indices), as hyperopt."""
        return {k: v[0] for k, v in self.best_trial["misc"]["vals"].items() if v}

    def __len__(self) -> int:
        return len(self._trials)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._trials)


def _labels(node: tpl.Node) -> dict[str, list[Any] | None]:
    """Every label of the template; for a choice, its option values."""
    out: dict[str, list[Any] | None] = {}

    def walk(n: tpl.Node) -> None:
        t = n["t"]
        if t == "param":
            out[n["name"]] = None
        elif t == "choice":
            out[n["name"]] = list(n["values"])
            for o in n["options"]:
                walk(o)
        else:
            for c in tpl.container_children(n):
                walk(c)

    walk(node)
    return out


def _as_dict(trial: Trial, labels: dict[str, list[Any] | None]) -> dict[str, Any]:
    vals: dict[str, list[Any]] = {}
    names = labels if labels else dict.fromkeys(trial.flat_params)
    for name, options in names.items():
        if name not in trial.flat_params:
            vals[name] = []
            continue
        v: Scalar = trial.flat_params[name]
        if options is not None:
            keys = [scalar_key(o) for o in options]
            vals[name] = [keys.index(scalar_key(v)) if scalar_key(v) in keys else v]
        else:
            vals[name] = [v]
    status = "ok" if trial.state == "COMPLETE" else "fail" if trial.state in ("FAIL", "LOST", "PRUNED") else "new"
    result: dict[str, Any] = {"status": status, **trial.metrics}
    if trial.loss is not None:
        result["loss"] = trial.loss
    return {
        "tid": trial.number,
        "state": _STATE.get(trial.state.value, 0),
        "result": result,
        "misc": {
            "tid": trial.number,
            "vals": vals,
            "idxs": {k: ([trial.number] if v else []) for k, v in vals.items()},
        },
        "params": trial.params,
        "book_time": trial.start_time,
        "refresh_time": trial.end_time,
    }
