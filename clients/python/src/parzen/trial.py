"""A trial: one evaluation of one configuration, and the calls that finish it.

``trial.params`` are actual values shaped like the experiment's space (as
hyperopt's ``space_eval`` gives them); ``trial.flat_params`` is the server's
flat ``name -> value`` map of the active parameters.

Used as a context manager, a trial heartbeats in the background and is
reported FAIL if the block raises (PRUNED for ``parzen.TrialPruned``), or if
the block ends without a report.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextvars import ContextVar, Token
from datetime import datetime, timezone
from enum import Enum
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from . import template as tpl
from .errors import ParzenError, TrialPruned
from .heartbeat import Beating, Heartbeater, SharedHeartbeats, interval_for
from .v1 import optimizer_service_pb2 as svc
from .v1 import trial_pb2
from .values import Scalar, from_value_map, label_text, scalar_key

if TYPE_CHECKING:
    from .experiment import Experiment


_CURRENT: ContextVar[Trial | None] = ContextVar("parzen_current_trial", default=None)


def current_trial() -> Trial | None:
    """The trial being evaluated: inside an ``fmin`` objective, or inside
    ``with exp.suggest() as trial:``; None elsewhere. An ``fmin`` objective
    uses it to report its learning curve::

        def objective(params):
            trial = parzen.current_trial()
            for epoch in range(100):
                loss = train_one_epoch(params)
                if trial.report_intermediate(epoch, loss):
                    raise parzen.TrialPruned()   # finished as PRUNED
            return loss
    """
    return _CURRENT.get()


class TrialState(str, Enum):
    """A trial's lifecycle state; compares equal to its name (``"COMPLETE"``),
    which is also what ``str()`` and f-strings show."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"
    LOST = "LOST"
    UNSPECIFIED = "UNSPECIFIED"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def from_proto(cls, state: int) -> TrialState:
        return cls(trial_pb2.TrialState.Name(state).removeprefix("TRIAL_STATE_"))

    def to_proto(self) -> trial_pb2.TrialState:
        # The generated stubs type enum values as the enum class but Value() as int.
        return cast("trial_pb2.TrialState", trial_pb2.TrialState.Value(f"TRIAL_STATE_{self.value}"))


def _time(ts: Any, present: bool) -> datetime | None:
    if not present:
        return None
    out: datetime = ts.ToDatetime(tzinfo=timezone.utc)
    return out


class Trial:
    """One trial of an experiment (a snapshot, refreshed by each call)."""

    def __init__(self, experiment: Experiment, proto: trial_pb2.Trial) -> None:
        self.experiment = experiment
        self._heartbeater: Beating | None = None
        self._current_token: Token[Trial | None] | None = None
        #: Set while the trial runs inside ``exp.loop()``, whose report it defers.
        self._loop: Any = None
        self._update(proto)

    # Decoded from the proto on first use, then cached until the next
    # _update: a training loop that reads two fields should not pay for
    # converting all of them on every call.
    _DECODED = (
        "flat_params",
        "state",
        "loss",
        "values",
        "constraints",
        "metrics",
        "intermediate",
        "worker_id",
        "user_attrs",
        "source",
        "proposed_by",
        "fail_reason",
        "create_time",
        "start_time",
        "end_time",
        "lease_deadline",
    )

    def _update(self, p: trial_pb2.Trial) -> None:
        self.proto = p
        self.id: int = p.id
        self.number: int = p.number
        for name in self._DECODED:
            self.__dict__.pop(name, None)
        self._params: Any = _UNSET

    @cached_property
    def flat_params(self) -> dict[str, Scalar]:
        return from_value_map(self.proto.params)

    @cached_property
    def state(self) -> TrialState:
        return TrialState.from_proto(self.proto.state)

    @cached_property
    def loss(self) -> float | None:
        return self.proto.loss if self.proto.HasField("loss") else None

    @cached_property
    def values(self) -> list[float] | None:
        """The objective values, one per objective (a single-objective trial: ``[loss]``); None when not reported."""
        if self.proto.values:
            return list(self.proto.values)
        return None if self.loss is None else [self.loss]

    @cached_property
    def constraints(self) -> list[float]:
        """The constraint values reported (feasible when every one is <= 0); empty when none."""
        return list(self.proto.constraints)

    @property
    def feasible(self) -> bool:
        return all(c <= 0 for c in self.constraints)

    @cached_property
    def metrics(self) -> dict[str, float]:
        return dict(self.proto.metrics)

    @cached_property
    def intermediate(self) -> dict[int, float]:
        return {iv.step: iv.value for iv in self.proto.intermediate_values}

    @cached_property
    def worker_id(self) -> str:
        return self.proto.worker_id

    @cached_property
    def user_attrs(self) -> dict[str, str]:
        return dict(self.proto.user_attrs)

    @cached_property
    def source(self) -> str:
        return trial_pb2.TrialSource.Name(self.proto.source).removeprefix("TRIAL_SOURCE_")

    @cached_property
    def proposed_by(self) -> str:
        """The algorithm that proposed this trial ("tpe", "gp", "cmaes", ...: for an ``auto`` experiment, the one
        its rule chose); empty for enqueued and imported trials."""
        return self.proto.proposed_by

    @cached_property
    def fail_reason(self) -> str:
        return self.proto.fail_reason

    @cached_property
    def create_time(self) -> datetime | None:
        return _time(self.proto.create_time, self.proto.HasField("create_time"))

    @cached_property
    def start_time(self) -> datetime | None:
        return _time(self.proto.start_time, self.proto.HasField("start_time"))

    @cached_property
    def end_time(self) -> datetime | None:
        return _time(self.proto.end_time, self.proto.HasField("end_time"))

    @cached_property
    def lease_deadline(self) -> datetime | None:
        """Set anew by heartbeat()."""
        return _time(self.proto.lease_deadline, self.proto.HasField("lease_deadline"))

    @property
    def params(self) -> Any:
        """Actual parameter values, shaped like the space."""
        if self._params is _UNSET:
            self._params = tpl.decode(self.experiment.template, self.flat_params)
        return self._params

    @property
    def labels(self) -> dict[str, str]:
        """The label of each active choice parameter's chosen option, e.g.
        ``{"optimizer": "sgd"}``: what the Go and TypeScript clients, the CLI
        and the dashboard call it, whatever the stored value (a dict option is
        stored as its index)."""
        known = self.experiment.choice_labels
        out: dict[str, str] = {}
        for name, value in self.flat_params.items():
            if name in known:
                out[name] = known[name].get(scalar_key(value), label_text(value))
        return out

    @property
    def finished(self) -> bool:
        return self.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.LOST)

    # ------------------------------------------------------------ reporting

    def report(
        self, loss: float | Sequence[float], /, *, constraints: Sequence[float] | None = None, **metrics: float
    ) -> Trial:
        """Finishes the trial as COMPLETE with a finite ``loss`` (and extra
        named metrics, e.g. ``accuracy=0.93``); for several objectives, a
        list of values in the experiment's order (``trial.report([err, ms])``).
        ``constraints``: values that are feasible when every one is <= 0."""
        cons = [float(c) for c in constraints or ()]
        if isinstance(loss, (int, float)):
            return self._report(svc.REPORT_STATUS_OK, loss=float(loss), metrics=metrics, constraints=cons)
        values = [float(v) for v in loss]
        if len(values) == 1 and not self.experiment.is_multi_objective:
            return self._report(svc.REPORT_STATUS_OK, loss=values[0], metrics=metrics, constraints=cons)
        return self._report(svc.REPORT_STATUS_OK, values=values, metrics=metrics, constraints=cons)

    def fail(self, reason: str = "") -> Trial:
        """Finishes the trial as FAIL (no loss)."""
        return self._report(svc.REPORT_STATUS_FAIL, fail_reason=reason)

    def prune(self, loss: float | None = None) -> Trial:
        """Finishes the trial as PRUNED; the loss defaults to the last
        intermediate value."""
        return self._report(svc.REPORT_STATUS_PRUNED, loss=None if loss is None else float(loss))

    def _report(
        self,
        status: int,
        *,
        loss: float | None = None,
        values: Sequence[float] = (),
        constraints: Sequence[float] = (),
        metrics: Mapping[str, float] | None = None,
        fail_reason: str = "",
    ) -> Trial:
        if self._loop is not None:
            # Inside exp.loop(): sent with the request for the next trial when the loop goes on.
            self._loop.pending = (status, loss, dict(metrics or {}), fail_reason, tuple(values), tuple(constraints))
            return self
        self._send(status, loss=loss, values=values, constraints=constraints, metrics=metrics, fail_reason=fail_reason)
        return self

    def _send(
        self,
        status: int,
        *,
        loss: float | None = None,
        values: Sequence[float] = (),
        constraints: Sequence[float] = (),
        metrics: Mapping[str, float] | None = None,
        fail_reason: str = "",
        suggest_next: bool = False,
        request_id: str | None = None,
    ) -> svc.ReportResponse:
        """Sends the report; with ``suggest_next``, the answer's ``next`` is this worker's next trial (or done,
        or retry_after), started in the same transaction as the report."""
        self.stop_heartbeats()
        req = svc.ReportRequest(
            trial_id=self.id,
            status=status,  # type: ignore[arg-type]
            metrics={k: float(v) for k, v in (metrics or {}).items()},
            fail_reason=fail_reason,
            request_id=request_id or uuid.uuid4().hex,
            suggest_next=suggest_next,
            values=list(values),
            constraints=list(constraints),
        )
        if suggest_next:
            req.worker_id = self.experiment.client.worker_id
        if loss is not None:
            req.loss = loss
        resp: svc.ReportResponse = self._call("Report", req)
        self._update(resp.trial)
        return resp

    def report_intermediate(self, step: int, value: float) -> bool:
        """Records one learning-curve point at integer ``step`` >= 0 (an epoch,
        an iteration; keywords work too: ``report_intermediate(step=3,
        value=0.41)``); returns whether to stop early (then call
        ``trial.prune()`` or raise ``parzen.TrialPruned``). A fractional step
        is refused, not truncated: Optuna's order is ``report(value, step)``."""
        step_ = _step(step)
        req = svc.ReportIntermediateRequest(trial_id=self.id, step=step_, value=float(value))
        resp = self._call("ReportIntermediate", req)
        self.intermediate.setdefault(step_, float(value))
        return bool(resp.should_prune)

    def _call(self, method: str, request: Any) -> Any:
        """A call about this trial; a refusal names the trial as the user knows it (its number in the experiment)."""
        try:
            return self.experiment.client.connection.call(method, request)
        except ParzenError as e:
            if not e.message.startswith("trial #"):
                e.message = f"trial #{self.number} of {self.experiment.name!r}: {e.message}"
                e.args = (e.message,)
            raise

    def release(self) -> Trial:
        """Gives the trial back unrun: it is WAITING again, with the same
        configuration, and the experiment's next ``suggest`` hands it out
        first (to any worker). For a trial this worker will not run after
        all; it counts as neither failed nor done. Raises
        ``FailedPrecondition`` unless the trial is RUNNING for its worker with
        no intermediate values. Safe to retry (applied once)."""
        self.stop_heartbeats()
        req = svc.ReleaseTrialRequest(trial_id=self.id, request_id=uuid.uuid4().hex, worker_id=self.worker_id)
        resp = self._call("ReleaseTrial", req)
        self._update(resp.trial)
        return self

    def heartbeat(self) -> datetime | None:
        """Extends the lease; returns the new deadline."""
        resp = self._call("Heartbeat", svc.HeartbeatRequest(trial_id=self.id))
        self.lease_deadline = _time(resp.lease_deadline, resp.HasField("lease_deadline"))
        return self.lease_deadline

    def refresh(self) -> Trial:
        resp = self.experiment.client.connection.call("GetTrial", svc.GetTrialRequest(trial_id=self.id))
        self._update(resp.trial)
        return self

    # ------------------------------------------------------- context manager

    def start_heartbeats(self, via: SharedHeartbeats | None = None) -> None:
        """Keeps the lease alive in the background until the trial is reported (on ``via``'s thread if given,
        the loops' one thread for all their trials; else on a thread of its own)."""
        interval = interval_for(self.lease_deadline)
        if interval is not None and self._heartbeater is None and self.state == TrialState.RUNNING:
            self._heartbeater = (
                Heartbeater(self.heartbeat, interval).start() if via is None else via.keep(self.heartbeat, interval)
            )

    def stop_heartbeats(self) -> None:
        if self._heartbeater is not None:
            self._heartbeater.stop()
            self._heartbeater = None

    def __enter__(self) -> Trial:
        self.start_heartbeats()
        self._current_token = _CURRENT.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        """Reports what the block did not; swallows only ``TrialPruned``."""
        self.stop_heartbeats()
        if self._current_token is not None:
            _CURRENT.reset(self._current_token)
            self._current_token = None
        pruned = isinstance(exc, TrialPruned)
        if self.state == TrialState.RUNNING and (self._loop is None or self._loop.pending is None):
            if exc is None:
                self.fail("the with-block ended without a report")
            elif pruned:
                self.prune()
            else:
                self.fail(f"{type(exc).__name__}: {exc}"[:1000])
        return pruned

    def __repr__(self) -> str:
        loss = "" if self.loss is None else f", loss={self.loss:.6g}"
        return f"Trial(number={self.number}, state={self.state.value}{loss}, params={self.params!r})"


_UNSET: Any = object()


def _step(step: Any) -> int:
    """A learning-curve step: an integer >= 0 (an integral float too); anything else is refused."""
    if not isinstance(step, bool):
        if hasattr(step, "__index__"):
            n = int(step.__index__())
        elif isinstance(step, float) and step.is_integer():
            n = int(step)
        else:
            n = -1
        if n >= 0:
            return n
    raise ValueError(
        f"report_intermediate: step must be an integer >= 0, got {step!r} "
        "(the signature is report_intermediate(step, value); Optuna's trial.report takes (value, step))"
    )
