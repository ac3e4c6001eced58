"""An experiment handle: ask (``suggest``), enqueue, import history, read
trials and the best one. Every value crossing this API is an *actual value
shaped like the space*; the template (``parzen.template``) converts to and
from the server's flat parameter maps.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union, overload

from . import pruners as _pruners
from . import template as tpl
from .errors import FailedPrecondition
from .trial import Trial, TrialState
from .v1 import experiment_pb2, trial_pb2
from .v1 import optimizer_service_pb2 as svc
from .values import Scalar, from_value, to_value_map

if TYPE_CHECKING:
    import pandas

    from .client import Client

StateLike = Union[TrialState, str]


class Experiment:
    """A handle on one experiment of a server (a snapshot of its definition)."""

    def __init__(
        self, client: Client, proto: experiment_pb2.Experiment, template: tpl.Node, *, created: bool = False
    ) -> None:
        self.client = client
        self.proto = proto
        self.template = template
        #: True when ``create_experiment`` created it (False: it existed).
        self.created = created

    # ------------------------------------------------------------ definition

    @property
    def name(self) -> str:
        return self.proto.name

    @property
    def direction(self) -> str:
        """The direction of a single-objective experiment (see ``directions`` for several)."""
        if len(self.proto.objectives) > 1:
            raise ValueError(f"experiment {self.name!r} has several objectives: see .directions")
        return "maximize" if self.proto.direction == experiment_pb2.DIRECTION_MAXIMIZE else "minimize"

    @property
    def directions(self) -> list[str]:
        """One direction per objective (one entry for a single-objective experiment)."""
        if not self.proto.objectives:
            return [self.direction]
        maximize = experiment_pb2.DIRECTION_MAXIMIZE
        return ["maximize" if o.direction == maximize else "minimize" for o in self.proto.objectives]

    @property
    def objective_names(self) -> list[str]:
        """The objectives' names, in order (``["loss"]`` for an unnamed single objective)."""
        return [o.name for o in self.proto.objectives] or ["loss"]

    @property
    def is_multi_objective(self) -> bool:
        return len(self.proto.objectives) > 1

    @property
    def algorithm(self) -> str:
        return self.proto.algorithm.name

    @property
    def algorithm_options(self) -> dict[str, Scalar]:
        return {k: from_value(v) for k, v in self.proto.algorithm.options.items()}

    @property
    def pruner(self) -> _pruners.Pruner:
        """The experiment's pruner, e.g. ``Median(n_startup_trials=5, ...)``
        (``NoPruner()`` when it has none)."""
        return _pruners.from_proto(self.proto.pruner)

    @property
    def seed(self) -> int | None:
        return self.proto.seed if self.proto.HasField("seed") else None

    @property
    def user_attrs(self) -> dict[str, str]:
        return {k: v for k, v in self.proto.user_attrs.items() if k != tpl.TEMPLATE_ATTR}

    @property
    def trial_counts(self) -> dict[str, int]:
        """Trials per state, as of the last ``refresh()``."""
        c = self.proto.trial_counts
        return {s.name: getattr(c, s.name.lower()) for s in TrialState if s != TrialState.UNSPECIFIED}

    def refresh(self) -> Experiment:
        resp = self.client.connection.call("GetExperiment", svc.GetExperimentRequest(name=self.name))
        self.proto = resp.experiment
        return self

    def delete(self) -> None:
        self.client.delete_experiment(self.name)

    # ------------------------------------------------------------------- ask

    @overload
    def suggest(self, count: None = None, *, worker_id: str | None = None) -> Trial: ...
    @overload
    def suggest(self, count: int, *, worker_id: str | None = None) -> list[Trial]: ...

    def suggest(self, count: int | None = None, *, worker_id: str | None = None) -> Trial | list[Trial]:
        """One new RUNNING trial, or a list of ``count`` of them.

        Retried safely: the request carries an id the server de-duplicates."""
        req = svc.SuggestRequest(
            experiment=self.name,
            count=1 if count is None else int(count),
            worker_id=worker_id or self.client.worker_id,
            request_id=uuid.uuid4().hex,
        )
        resp = self.client.connection.call("Suggest", req)
        trials = [Trial(self, t) for t in resp.trials]
        return trials[0] if count is None else trials

    # --------------------------------------------------------------- enqueue

    def enqueue(
        self, params: Any, *, user_attrs: Mapping[str, str] | None = None, skip_if_exists: bool = False
    ) -> Trial | None:
        """Queues one configuration (actual values shaped like the space);
        ``suggest`` serves it before any algorithm's. Returns the WAITING
        trial, or None when ``skip_if_exists`` skipped it."""
        trials = self.enqueue_many([params], user_attrs=user_attrs, skip_if_exists=skip_if_exists)
        return trials[0] if trials else None

    def enqueue_many(
        self,
        params_list: Iterable[Any],
        *,
        user_attrs: Mapping[str, str] | None = None,
        skip_if_exists: bool = False,
    ) -> list[Trial]:
        configs = [
            svc.Configuration(params=to_value_map(tpl.encode(self.template, p)), user_attrs=dict(user_attrs or {}))
            for p in params_list
        ]
        req = svc.EnqueueRequest(experiment=self.name, configurations=configs, skip_if_exists=skip_if_exists)
        resp = self.client.connection.call("Enqueue", req)
        return [Trial(self, t) for t in resp.trials]

    def add_trials(self, records: Iterable[Mapping[str, Any]]) -> list[Trial]:
        """Imports already-evaluated trials (warm start). Each record has
        ``params`` (shaped actual values) and ``loss``; optionally ``state``
        (``"COMPLETE"`` by default, ``"FAIL"``, ``"PRUNED"``), ``metrics``,
        ``intermediate`` (``{step: value}``), ``user_attrs``, ``fail_reason``."""
        imports = [self._import(r) for r in records]
        # The request id makes a retried import safe: the server imports once.
        req = svc.AddTrialsRequest(experiment=self.name, trials=imports, request_id=uuid.uuid4().hex)
        resp = self.client.connection.call("AddTrials", req)
        return [Trial(self, t) for t in resp.trials]

    def _import(self, r: Mapping[str, Any]) -> svc.TrialImport:
        keys = {"params", "loss", "values", "constraints", "state", "metrics", "intermediate", "user_attrs"}
        unknown = set(r) - keys - {"fail_reason"}
        if unknown:
            raise ValueError(f"add_trials: unknown record keys {sorted(unknown)}")
        state = TrialState(str(r.get("state", "COMPLETE")).upper())
        imp = svc.TrialImport(
            params=to_value_map(tpl.encode(self.template, r["params"])),
            state=state.to_proto(),
            metrics={k: float(v) for k, v in dict(r.get("metrics") or {}).items()},
            intermediate_values=[
                trial_pb2.IntermediateValue(step=int(s), value=float(v))
                for s, v in dict(r.get("intermediate") or {}).items()
            ],
            user_attrs=dict(r.get("user_attrs") or {}),
            fail_reason=str(r.get("fail_reason", "")),
            values=[float(v) for v in r.get("values") or ()],
            constraints=[float(v) for v in r.get("constraints") or ()],
        )
        if r.get("loss") is not None:
            imp.loss = float(r["loss"])
        return imp

    # ------------------------------------------------------------------ read

    @property
    def best_trial(self) -> Trial | None:
        """The best feasible COMPLETE trial, or None when there is none yet.
        A multi-objective experiment has none: use ``best_trials``."""
        if self.is_multi_objective:
            raise ValueError(f"experiment {self.name!r} has several objectives: use best_trials (the Pareto front)")
        try:
            resp = self.client.connection.call("GetBest", svc.GetBestRequest(experiment=self.name))
        except FailedPrecondition:
            return None
        return Trial(self, resp.trial)

    @property
    def best_trials(self) -> list[Trial]:
        """The Pareto front: the COMPLETE trials no other one dominates (the
        feasible ones when trials report constraints), in number order, each
        with ``.values``. With one objective, the trials tied for the best loss."""
        resp = self.client.connection.call("GetParetoFront", svc.GetParetoFrontRequest(experiment=self.name))
        return [Trial(self, t) for t in resp.trials]

    def importance(self) -> dict[str, float]:
        """How much each parameter matters to the loss, most important first.

        PED-ANOVA over the COMPLETE trials, computed by the server: the
        importances sum to 1, or are all 0 while too few trials can be judged.
        """
        resp = self.client.connection.call("GetImportance", svc.GetImportanceRequest(experiment=self.name))
        return {p.name: p.importance for p in resp.parameters}

    @property
    def best_params(self) -> Any:
        best = self.best_trial
        return None if best is None else best.params

    def get_trial(self, trial_id: int) -> Trial:
        resp = self.client.connection.call("GetTrial", svc.GetTrialRequest(trial_id=int(trial_id)))
        return Trial(self, resp.trial)

    def iter_trials(
        self, states: Sequence[StateLike] | None = None, *, worker_id: str = "", page_size: int = 1000
    ) -> Iterator[Trial]:
        """Every trial in number order (optionally only some states), paging hidden."""
        wanted = [TrialState(str(s.value if isinstance(s, TrialState) else s).upper()).to_proto() for s in states or ()]
        token = ""
        while True:
            req = svc.ListTrialsRequest(
                experiment=self.name,
                states=wanted,
                page_size=page_size,
                page_token=token,
                worker_id=worker_id,
            )
            resp = self.client.connection.call("ListTrials", req)
            for t in resp.trials:
                yield Trial(self, t)
            token = resp.next_page_token
            if not token:
                return

    def trials(self, states: Sequence[StateLike] | None = None, *, worker_id: str = "") -> list[Trial]:
        """Every trial (each with ``.id``, ``.number``, ``.params``, ``.state``,
        ``.loss``, ``.metrics``, ``.intermediate``)."""
        return list(self.iter_trials(states, worker_id=worker_id))

    def trials_dataframe(self, *, intermediate_columns: bool = False) -> pandas.DataFrame:
        """All trials as a pandas DataFrame: one row per trial with ``state``
        (``COMPLETE``, ``PRUNED``, ...), ``loss``, flat ``params.<name>`` and
        ``metrics.<name>`` columns, the learning curve as ``intermediate``
        (``{step: value}``) and ``last_step`` (the last step reported, how
        far a PRUNED trial got). ``intermediate_columns=True`` adds one
        ``intermediate.<step>`` column per step instead of the dict."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("trials_dataframe() needs pandas: pip install 'parzen[pandas]'") from e
        rows = []
        steps: set[int] = set()
        names = self.objective_names if self.is_multi_objective else []
        for t in self.iter_trials():
            curve = dict(sorted(t.intermediate.items()))
            row: dict[str, Any] = {
                "number": t.number,
                "id": t.id,
                "state": t.state.value,
                "loss": t.loss,
                "last_step": max(curve) if curve else None,
                "worker_id": t.worker_id,
                "source": t.source,
                "create_time": t.create_time,
                "start_time": t.start_time,
                "end_time": t.end_time,
            }
            # Several objectives: one values.<name> column each; constraints: one constraints.<i> column each.
            row.update({f"values.{n}": v for n, v in zip(names, t.proto.values)})
            row.update({f"constraints.{i}": v for i, v in enumerate(t.constraints)})
            row.update({f"params.{k}": v for k, v in t.flat_params.items()})
            row.update({f"metrics.{k}": v for k, v in t.metrics.items()})
            if intermediate_columns:
                steps.update(curve)
                row.update({f"intermediate.{s}": v for s, v in curve.items()})
            else:
                row["intermediate"] = curve
            rows.append(row)
        df = pd.DataFrame(rows)
        if intermediate_columns and steps:
            curve_cols = [f"intermediate.{s}" for s in sorted(steps)]
            df = df[[c for c in df.columns if c not in set(curve_cols)] + curve_cols]
        if names and "loss" in df.columns:
            df = df.drop(columns=["loss"])
        if "last_step" in df.columns:
            df["last_step"] = df["last_step"].astype("Int64")
        return df

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r}, algorithm={self.algorithm!r}, direction={self.direction!r})"
