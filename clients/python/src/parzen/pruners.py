"""Pruners: which trials the server tells to stop early.

An experiment's pruner answers ``trial.report_intermediate(step, value)``
with "stop" or "go on". Give it to ``create_experiment`` (or ``fmin``) as

* a typed object: ``pruner=parzen.pruners.Median(n_warmup_steps=2)``;
* a dict with ``"name"`` plus that pruner's options:
  ``pruner={"name": "median", "n_warmup_steps": 2}``;
* a bare name: ``pruner="median"`` (server defaults; ``pruner_options=``
  still adds options to a bare name).

The server validates every option and answers a bad one with
``parzen.errors.InvalidArgument``. Semantics are Optuna's; see the Parzen
README, "Early stopping (pruners)".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Union

from .v1 import experiment_pb2
from .values import Scalar, from_value, to_value_map

Auto = Literal["auto"]


class Pruner:
    """Base of the typed pruner configurations."""

    #: The server's name for this pruner.
    name: ClassVar[str] = ""

    def options(self) -> dict[str, Scalar]:
        """The options sent to the server: required ones, and those that
        differ from the server's defaults (so ``Median()``, ``"median"`` and
        ``{"name": "median"}`` define the same experiment)."""
        out: dict[str, Scalar] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if v is None or (f.default is not dataclasses.MISSING and v == f.default and type(v) is type(f.default)):
                continue
            out[f.name] = v
        return out

    def to_proto(self) -> experiment_pb2.PrunerConfig:
        return experiment_pb2.PrunerConfig(name=self.name, options=to_value_map(self.options()))


@dataclass(frozen=True)
class NoPruner(Pruner):
    """Never prunes (the server's default)."""

    name: ClassVar[str] = "none"


@dataclass(frozen=True)
class Median(Pruner):
    """Prunes when the trial's best value so far is worse than the median of
    the COMPLETE trials' values at the same step, once ``n_startup_trials``
    trials are COMPLETE, from step ``n_warmup_steps`` on, every
    ``interval_steps`` steps, and with at least ``n_min_trials`` values at
    that step."""

    n_startup_trials: int = 5
    n_warmup_steps: int = 0
    interval_steps: int = 1
    n_min_trials: int = 1
    name: ClassVar[str] = "median"


@dataclass(frozen=True)
class Percentile(Pruner):
    """As ``Median``, with the ``percentile`` (0-100) of the COMPLETE trials'
    values as the bar: ``Percentile(25)`` keeps only the best quarter."""

    percentile: float
    n_startup_trials: int = 5
    n_warmup_steps: int = 0
    interval_steps: int = 1
    n_min_trials: int = 1
    name: ClassVar[str] = "percentile"


@dataclass(frozen=True)
class SuccessiveHalving(Pruner):
    """Asynchronous successive halving (ASHA): at each rung (step
    ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``) a
    trial goes on only if it is within the top ``1/reduction_factor`` of the
    trials that reached that rung. ``"auto"``: a hundredth of the longest
    COMPLETE curve (no pruning until one exists)."""

    min_resource: int | Auto = "auto"
    reduction_factor: int = 4
    min_early_stopping_rate: int = 0
    bootstrap_count: int = 0
    name: ClassVar[str] = "successive_halving"


@dataclass(frozen=True)
class Hyperband(Pruner):
    """Successive-halving brackets with different early-stopping rates;
    each trial competes only within its bracket. ``max_resource="auto"``:
    the longest COMPLETE curve (no pruning until one exists)."""

    min_resource: int = 1
    max_resource: int | Auto = "auto"
    reduction_factor: int = 3
    bootstrap_count: int = 0
    name: ClassVar[str] = "hyperband"


@dataclass(frozen=True)
class Threshold(Pruner):
    """Prunes a NaN value, or a value below ``lower`` or above ``upper`` (raw
    reported values, whatever the direction), from step ``n_warmup_steps``
    on, every ``interval_steps`` steps. Give ``lower``, ``upper`` or both."""

    lower: float | None = None
    upper: float | None = None
    n_warmup_steps: int = 0
    interval_steps: int = 1
    name: ClassVar[str] = "threshold"


@dataclass(frozen=True)
class Custom(Pruner):
    """A pruner this client has no class for (e.g. a newer server's): its
    name and raw options."""

    pruner_name: str
    raw_options: Mapping[str, Scalar] = dataclasses.field(default_factory=dict)

    def options(self) -> dict[str, Scalar]:
        return dict(self.raw_options)

    def to_proto(self) -> experiment_pb2.PrunerConfig:
        return experiment_pb2.PrunerConfig(name=self.pruner_name, options=to_value_map(self.options()))


_BY_NAME: dict[str, type[Pruner]] = {
    c.name: c for c in (NoPruner, Median, Percentile, SuccessiveHalving, Hyperband, Threshold)
}

PrunerLike = Union[Pruner, str, Mapping[str, Any]]


def to_proto(pruner: PrunerLike | None, options: Mapping[str, Any] | None = None) -> experiment_pb2.PrunerConfig | None:
    """The ``PrunerConfig`` of a pruner given in any accepted form (None when
    neither is given: the server's default, no pruning). ``options`` (the
    older ``pruner_options=`` keyword) only goes with a bare name."""
    if pruner is None:
        if options:
            raise TypeError("pruner_options given without a pruner name")
        return None
    if isinstance(pruner, Pruner):
        if options:
            raise TypeError("pruner_options goes only with a pruner name; set options on the pruner object")
        return pruner.to_proto()
    if isinstance(pruner, str):
        return experiment_pb2.PrunerConfig(name=pruner, options=to_value_map(dict(options or {})))
    if isinstance(pruner, Mapping):
        if options:
            raise TypeError("pruner_options goes only with a pruner name; put the options in the pruner dict")
        if not isinstance(pruner.get("name"), str):
            raise ValueError(
                f'a pruner dict needs a "name" (e.g. {{"name": "median", "n_warmup_steps": 2}}), got {dict(pruner)!r}'
            )
        rest = {k: v for k, v in pruner.items() if k != "name"}
        return experiment_pb2.PrunerConfig(name=pruner["name"], options=to_value_map(rest))
    raise TypeError(
        f"pruner must be a name, a dict with a name, or a parzen.pruners object, got {type(pruner).__name__}"
    )


def from_proto(config: experiment_pb2.PrunerConfig) -> Pruner:
    """The typed pruner of a stored experiment (``Custom`` for unknown names
    or options this client does not know)."""
    name = config.name or NoPruner.name
    options = {k: from_value(v) for k, v in config.options.items()}
    cls = _BY_NAME.get(name)
    if cls is not None:
        try:
            return cls(**options)
        except TypeError:
            pass
    return Custom(name, options)


def of(pruner: PrunerLike) -> Pruner:
    """A pruner given in any accepted form, as a typed object."""
    config = to_proto(pruner)
    assert config is not None
    return from_proto(config)


__all__ = [
    "Custom",
    "Hyperband",
    "Median",
    "NoPruner",
    "Percentile",
    "Pruner",
    "PrunerLike",
    "SuccessiveHalving",
    "Threshold",
    "from_proto",
    "of",
    "to_proto",
]
