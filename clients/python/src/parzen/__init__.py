"""Parzen: hyperparameter optimisation as a service. Python client.

import parzen
from parzen import hp

client = parzen.Client("127.0.0.1:50051")
exp = client.create_experiment("demo", {"x": hp.uniform("x", -10, 10)})
with exp.suggest() as trial:
    trial.report((trial.params["x"] - 3) ** 2)

best = parzen.fmin(lambda p: (p["x"] - 3) ** 2, {"x": hp.uniform("x", -10, 10)}, max_evals=50)
"""

from . import errors, hp, pruners, space
from ._version import __version__
from .algorithms import Algorithm, gp, rand, tpe
from .client import Client
from .compat import Trials
from .compile import compile_space, space_eval
from .errors import ExperimentDone, TrialPruned
from .experiment import Experiment
from .fmin import STATUS_FAIL, STATUS_OK, fmin
from .local_server import LocalServer
from .pyll import scope
from .trial import Trial, TrialState, current_trial

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


def __dir__() -> list[str]:
    """The public names (``__all__``), not the modules' imports."""
    return sorted(__all__)
