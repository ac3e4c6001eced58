"""An experiment handle: ask (``suggest``), enqueue, import history, read
trials and the best one. Every value crossing this API is an *actual value
shaped like the space*; the template (``parzen.template``) converts to and
from the server's flat parameter maps.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Union, overload

from . import pruners as _pruners
from . import template as tpl
from .errors import DeadlineExceeded, ExperimentDone, FailedPrecondition, ParzenError, TrialPruned
from .handover import release_quietly, report_and_next
from .heartbeat import SharedHeartbeats
from .trial import _CURRENT, Trial, TrialState
from .v1 import experiment_pb2, trial_pb2
from .v1 import optimizer_service_pb2 as svc
from .values import Scalar, choice_labels, from_value, to_value_map

if TYPE_CHECKING:
    import pandas

    from .client import Client

StateLike = Union[TrialState, str]


class _LoopState:
    """The report the body of ``exp.loop()`` made, deferred until the loop knows whether it goes on."""

    # (status, loss, metrics, fail_reason, values, constraints)
    pending: tuple[int, float | None, dict[str, float], str, tuple[float, ...], tuple[float, ...]] | None = None


def _left(timeout: float | None, start: float) -> float | None:
    return None if timeout is None else timeout - (time.monotonic() - start)


class _Keep:
    """The type of ``KEEP``: an argument of ``Experiment.update`` left as it is."""

    def __repr__(self) -> str:
        return "KEEP"


#: ``Experiment.update``'s default: leave this stop condition as it is.
KEEP = _Keep()


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError(
            "deadline: give a timezone-aware datetime, e.g. datetime.now(timezone.utc) + timedelta(hours=1)"
        )
    return when.astimezone(timezone.utc)


def reason_name(reason: int) -> str | None:
    """``"BUDGET"`` for COMPLETION_REASON_BUDGET; None for UNSPECIFIED."""
    if reason == experiment_pb2.COMPLETION_REASON_UNSPECIFIED:
        return None
    return experiment_pb2.CompletionReason.Name(reason).removeprefix("COMPLETION_REASON_")


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
    def algorithm_choice(self) -> tuple[str, str]:
        """(algorithm, reason): which algorithm proposes the next trial, as of the last read (``refresh()``);
        for ``auto``, its rule's choice and why, otherwise the experiment's algorithm and ``""``."""
        c = self.proto.algorithm_choice
        return c.algorithm, c.reason

    @property
    def algorithm_options(self) -> dict[str, Scalar]:
        return {k: from_value(v) for k, v in self.proto.algorithm.options.items()}

    @property
    def choice_labels(self) -> dict[str, dict[tuple[str, object], str]]:
        """Each choice parameter's option labels (see ``Trial.labels``)."""
        space = self.proto.space
        cached = self.__dict__.get("_labels")
        if cached is None or cached[0] is not space:
            cached = (space, choice_labels(space))
            self.__dict__["_labels"] = cached
        labels: dict[str, dict[tuple[str, object], str]] = cached[1]
        return labels

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

    @property
    def state(self) -> str:
        """``"ACTIVE"``, ``"PAUSED"`` or ``"COMPLETED"``, as of the last ``refresh()``."""
        return experiment_pb2.ExperimentState.Name(self.proto.state).removeprefix("EXPERIMENT_STATE_")

    @property
    def completion_reason(self) -> str | None:
        """Why the experiment is COMPLETED (``"BUDGET"``, ``"GOAL"``,
        ``"FAILURES"``, ``"DEADLINE"``, ``"STOPPED"``); None while it is not."""
        return reason_name(self.proto.completion_reason)

    @property
    def max_trials(self) -> int | None:
        """COMPLETE + PRUNED trials after which the experiment is COMPLETED (None: no limit)."""
        return self.proto.max_trials if self.proto.HasField("max_trials") else None

    @property
    def max_failed_trials(self) -> int | None:
        """FAIL trials after which the experiment is COMPLETED (None: no limit)."""
        return self.proto.max_failed_trials if self.proto.HasField("max_failed_trials") else None

    @property
    def goal(self) -> float | None:
        """A COMPLETE loss at or past which the experiment is COMPLETED (None: no goal)."""
        return self.proto.goal if self.proto.HasField("goal") else None

    @property
    def deadline(self) -> datetime | None:
        """When the experiment is COMPLETED by the clock (None: no deadline)."""
        if not self.proto.HasField("deadline"):
            return None
        out: datetime = self.proto.deadline.ToDatetime(tzinfo=timezone.utc)
        return out

    # ------------------------------------------------------------- lifecycle

    def pause(self) -> Experiment:
        """PAUSED: ``suggest`` waits (the server answers retry_after) until
        ``resume()``; trials already RUNNING may still report."""
        return self._update(svc.EXPERIMENT_ACTION_PAUSE)

    def resume(self) -> Experiment:
        """Undoes ``pause()`` and ``stop()``: ACTIVE again, unless a stop
        condition still holds."""
        return self._update(svc.EXPERIMENT_ACTION_RESUME)

    def stop(self) -> Experiment:
        """COMPLETED (reason ``"STOPPED"``): every worker's ``suggest`` raises
        ``ExperimentDone``. Only ``resume()`` re-opens it."""
        return self._update(svc.EXPERIMENT_ACTION_STOP)

    def update(
        self,
        *,
        max_trials: int | _Keep | None = KEEP,
        max_failed_trials: int | _Keep | None = KEEP,
        goal: float | _Keep | None = KEEP,
        deadline: datetime | _Keep | None = KEEP,
    ) -> Experiment:
        """Changes the stop conditions given (``None`` removes that limit);
        the others stay. Raising ``max_trials`` of an experiment COMPLETED by
        its budget re-opens it. Returns this handle, refreshed."""
        return self._update(
            svc.EXPERIMENT_ACTION_UNSPECIFIED,
            max_trials=max_trials,
            max_failed_trials=max_failed_trials,
            goal=goal,
            deadline=deadline,
        )

    def _update(self, action: int, **limits: Any) -> Experiment:
        req = svc.UpdateExperimentRequest(name=self.name, action=action)  # type: ignore[arg-type]
        for field, value in limits.items():
            if value is KEEP:
                continue
            if value is None:
                setattr(req, f"clear_{field}", True)
            elif field == "deadline":
                req.deadline.FromDatetime(_aware(value))
            elif field == "goal":
                req.goal = float(value)
            else:
                setattr(req, field, int(value))
        resp = self.client.connection.call("UpdateExperiment", req)
        self.proto = resp.experiment
        return self

    def refresh(self) -> Experiment:
        resp = self.client.connection.call("GetExperiment", svc.GetExperimentRequest(name=self.name))
        self.proto = resp.experiment
        return self

    def delete(self) -> None:
        self.client.delete_experiment(self.name)

    # ------------------------------------------------------------------- ask

    @overload
    def suggest(self, count: None = None, *, worker_id: str | None = None, timeout: float | None = None) -> Trial: ...
    @overload
    def suggest(self, count: int, *, worker_id: str | None = None, timeout: float | None = None) -> list[Trial]: ...

    def suggest(
        self, count: int | None = None, *, worker_id: str | None = None, timeout: float | None = None
    ) -> Trial | list[Trial]:
        """One new RUNNING trial, or a list of up to ``count`` of them (fewer
        when the experiment's ``max_trials`` leaves fewer).

        Raises ``parzen.ExperimentDone`` (with its ``reason``) once the
        experiment is COMPLETED. While the rest of its budget is all RUNNING
        on other workers, or the experiment is PAUSED, the server answers
        "retry after": this waits and asks again, so that if a running trial
        fails or its lease lapses this worker runs the replacement. The wait
        is bounded by ``timeout`` (seconds; the client's call timeout when
        None), after which it raises ``parzen.errors.DeadlineExceeded``.

        Retried safely: each request carries an id the server de-duplicates."""
        n = 1 if count is None else int(count)
        wid = worker_id or self.client.worker_id

        def ask(left: float | None) -> svc.SuggestResponse:
            req = svc.SuggestRequest(experiment=self.name, count=n, worker_id=wid, request_id=uuid.uuid4().hex)
            resp: svc.SuggestResponse = self.client.connection.call("Suggest", req, timeout=left)
            return resp

        resp = self._until_trials(ask, timeout)
        trials = [Trial(self, t) for t in resp.trials]
        return trials[0] if count is None else trials

    # ------------------------------------------------------------ the loops

    def loop(self, *, timeout: float | None = None) -> Iterator[Trial]:
        """Trials to evaluate, one after another, until the experiment is done
        (or until you ``break``)::

            for trial in exp.loop():
                trial.report(train(**trial.params))

        One round trip per trial: the body's ``report`` (``fail``, ``prune``)
        is sent when the loop goes on to the next trial, together with the
        request for it (Report with ``suggest_next``). A ``break`` sends it
        alone, so no trial is started that nobody runs; a body that ends
        without reporting, or raises, fails its trial. The trial heartbeats
        while the body runs and is ``parzen.current_trial()``. ``timeout``
        bounds each wait while the rest of the budget is RUNNING elsewhere
        (see ``suggest``)."""
        try:
            trial: Trial | None = self.suggest(timeout=timeout)
        except ExperimentDone:
            return
        # The trial a Report handed over and the body has not got yet: given back if the loop stops first.
        unstarted = trial
        beats = SharedHeartbeats()
        try:
            while trial is not None:
                state = _LoopState()
                trial._loop = state
                trial.start_heartbeats(beats)
                token = _CURRENT.set(trial)
                going_on = False
                try:
                    unstarted = None
                    yield trial
                    going_on = True
                finally:
                    _CURRENT.reset(token)
                    trial.stop_heartbeats()
                    trial._loop = None
                    status, loss, metrics, reason, values, constraints = state.pending or (
                        svc.REPORT_STATUS_FAIL,
                        None,
                        {},
                        "the loop body ended without a report" if going_on else "the loop stopped before a report",
                        (),
                        (),
                    )
                    report = {"loss": loss, "values": values, "constraints": constraints, "metrics": metrics}
                    if trial.state == TrialState.RUNNING and going_on:
                        resp = report_and_next(trial, status, fail_reason=reason, **report)  # type: ignore[arg-type]
                        trial = unstarted = self._next_from(resp, timeout)
                    elif trial.state == TrialState.RUNNING:
                        trial._send(status, fail_reason=reason, **report)  # type: ignore[arg-type]
                        trial = None
                    elif going_on:
                        # Reported some other way (e.g. on another handle of the trial): ask as usual.
                        try:
                            trial = unstarted = self.suggest(timeout=timeout)
                        except ExperimentDone:
                            trial = None
                    else:
                        trial = None
        except BaseException:
            release_quietly(unstarted)
            raise
        finally:
            beats.close()

    def optimize(
        self, fn: Callable[[Any], float], n_trials: int | None = None, *, timeout: float | None = None
    ) -> Trial | None:
        """Evaluates ``fn(trial.params) -> loss`` on trial after trial until the
        experiment is done, ``n_trials`` trials were run by this call, or
        ``timeout`` seconds have passed; returns the best trial. One round trip
        per trial (Report with ``suggest_next``), asking for a next trial only
        when it will run one. ``fn`` raising ``parzen.TrialPruned`` prunes its
        trial; any other exception fails the trial and propagates."""
        start = time.monotonic()
        ran = 0
        try:
            trial: Trial | None = self.suggest(timeout=_left(timeout, start))
        except ExperimentDone:
            return self.best_trial
        unstarted = trial  # as in loop(): handed over by a Report, not yet given to fn
        beats = SharedHeartbeats()
        try:
            while trial is not None:
                trial.start_heartbeats(beats)
                token = _CURRENT.set(trial)
                unstarted = None
                try:
                    loss = float(fn(trial.params))
                    outcome: tuple[int, float | None, str] = (svc.REPORT_STATUS_OK, loss, "")
                    if not math.isfinite(loss):
                        outcome = (svc.REPORT_STATUS_FAIL, None, f"loss is not finite: {loss}")
                except TrialPruned:
                    outcome = (svc.REPORT_STATUS_PRUNED, None, "")
                except BaseException as e:
                    trial.fail(f"{type(e).__name__}: {e}"[:1000])
                    raise
                finally:
                    _CURRENT.reset(token)
                    trial.stop_heartbeats()
                ran += 1
                left = _left(timeout, start)
                going_on = (n_trials is None or ran < n_trials) and (left is None or left > 0)
                status, loss_, reason = outcome
                if going_on:
                    trial = unstarted = self._next_from(
                        report_and_next(trial, status, loss=loss_, fail_reason=reason), left
                    )
                else:
                    trial._send(status, loss=loss_, fail_reason=reason)
                    trial = None
        except BaseException:
            release_quietly(unstarted)
            raise
        finally:
            beats.close()
        return self.best_trial

    def _next_from(self, resp: svc.ReportResponse, timeout: float | None) -> Trial | None:
        """The next trial a Report with suggest_next answered; None when the experiment is done. Waits through a
        retry_after as ``suggest`` does."""
        first: svc.SuggestResponse | None = resp.next

        def ask(left: float | None) -> svc.SuggestResponse:
            nonlocal first
            if first is not None:
                answer, first = first, None
                return answer
            req = svc.SuggestRequest(
                experiment=self.name, count=1, worker_id=self.client.worker_id, request_id=uuid.uuid4().hex
            )
            out: svc.SuggestResponse = self.client.connection.call("Suggest", req, timeout=left)
            return out

        try:
            answer = self._until_trials(ask, timeout)
        except ExperimentDone:
            return None
        return Trial(self, answer.trials[0])

    def _until_trials(self, ask: Any, timeout: float | None) -> Any:
        """Calls ``ask(seconds_left)`` until its answer (a SuggestResponse or
        anything with ``trials``, ``done``, ``done_reason``, ``retry_after``)
        carries trials; raises ``ExperimentDone`` when it says done, and
        ``DeadlineExceeded`` when ``retry_after`` would outlast the timeout."""
        limit = timeout if timeout is not None else self.client.connection.timeout
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            per_call = self.client.connection.timeout
            resp = ask(left if per_call is None or (left is not None and left < per_call) else per_call)
            if resp.done:
                raise ExperimentDone(self.name, reason_name(resp.done_reason) or "UNSPECIFIED")
            if len(resp.trials) > 0:
                return resp
            if not resp.HasField("retry_after"):
                raise ParzenError(f"experiment {self.name!r}: the server answered no trial, no done, no retry_after")
            wait = resp.retry_after.ToTimedelta().total_seconds()
            if deadline is not None and time.monotonic() + wait > deadline:
                raise DeadlineExceeded(
                    f"experiment {self.name!r}: no trial to run within {limit:g} s (the rest of its max_trials "
                    "is RUNNING on other workers, or it is paused); ask again later"
                )
            time.sleep(wait)

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
                "proposed_by": t.proposed_by,
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
