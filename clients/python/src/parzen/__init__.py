"""Parzen: hyperparameter optimisation as a service. Python client.

import parzen
from parzen import hp

client = parzen.Client("127.0.0.1:50051")
exp = client.create_experiment("demo", {"x": hp.uniform("x", -10, 10)})
with exp.suggest() as trial:
    trial.report((trial.params["x"] - 3) ** 2)

best = parzen.fmin(lambda p: (p["x"] - 3) ** 2, {"x": hp.uniform("x", -10, 10)}, max_evals=50)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import errors, hp, pruners, space
from ._version import __version__
from .algorithms import Algorithm, gp, rand, tpe
from .client import Client
from .compat import Trials
from .compile import compile_space
from .errors import ExperimentDone, TrialPruned
from .experiment import Experiment
from .fmin import STATUS_FAIL, STATUS_OK, fmin
from .local_server import LocalServer
from .pyll import scope
from .trial import Trial, TrialState, current_trial


def space_eval(space_: Any, point: Any) -> Any:
    """hyperopt's ``space_eval``: the shaped values of a ``{label: value}``
    point whose choices hold option *indices* (as hyperopt's ``fmin`` and
    ``parzen.Trials.argmin`` give them). ``fmin`` and ``trial.params`` already
    return shaped values: given one of those, it is returned unchanged, so
    ``space_eval(space, fmin(...))`` keeps working after switching from hyperopt."""
    from . import template as tpl

    t = compile_space(space_).template
    if isinstance(point, tpl.ShapedDict) or not isinstance(point, Mapping):
        tpl.encode(t, point)  # raises ShapeError if it does not fit
        return point
    return tpl.decode(t, tpl.from_hyperopt_point(t, point))


__all__ = [
    "STATUS_FAIL",
    "STATUS_OK",
    "Algorithm",
    "Client",
    "Experiment",
    "ExperimentDone",
    "LocalServer",
    "Trial",
    "TrialPruned",
    "TrialState",
    "Trials",
    "__version__",
    "compile_space",
    "current_trial",
    "errors",
    "fmin",
    "gp",
    "hp",
    "pruners",
    "rand",
    "scope",
    "space",
    "space_eval",
    "tpe",
]
