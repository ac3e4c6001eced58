"""Handing the next trial over in the one-round-trip loops (``exp.loop()``,
``exp.optimize()``, ``fmin``): a Report with ``suggest_next`` starts the
worker's next trial on the server, so a loop interrupted between that
Report and the start of the next trial (Ctrl-C, an exception, a lost
answer) would leave a RUNNING trial nobody runs until its lease lapses.
Such a trial is given back instead (``Trial.release``: WAITING again, the
next ``suggest`` hands it to another worker), never failed: it never ran."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import DeadlineExceeded, ParzenError, Unavailable
from .trial import Trial
from .v1 import optimizer_service_pb2 as svc

if TYPE_CHECKING:
    from .experiment import Experiment


def report_and_next(
    trial: Trial,
    status: int,
    *,
    loss: float | None = None,
    values: Sequence[float] = (),
    constraints: Sequence[float] = (),
    metrics: Mapping[str, float] | None = None,
    fail_reason: str = "",
) -> svc.ReportResponse:
    """Sends the trial's report with the request for the next trial. If the
    call is cut off where the server may have applied it (an interrupt, a
    lost answer), the same request (same request_id: the server answers its
    logged result, or applies it once) is sent again and the next trial it
    started is released; then the exception propagates."""
    request_id = uuid.uuid4().hex
    report: dict[str, Any] = {
        "loss": loss,
        "values": values,
        "constraints": constraints,
        "metrics": metrics,
        "fail_reason": fail_reason,
    }
    try:
        return trial._send(status, suggest_next=True, request_id=request_id, **report)
    except BaseException as e:
        # A refusal applied nothing (the report and the next trial are one transaction).
        if not isinstance(e, ParzenError) or isinstance(e, (Unavailable, DeadlineExceeded)):
            _give_back(trial, status, request_id, report)
        raise


def _give_back(trial: Trial, status: int, request_id: str, report: Mapping[str, Any]) -> None:
    """Sends the report again under its request_id and releases the next trial the answer carries."""
    try:
        resp = trial._send(status, suggest_next=True, request_id=request_id, **report)
    except ParzenError:
        return
    release_all(trial.experiment, resp.next)


def release_all(exp: Experiment, answer: svc.SuggestResponse) -> None:
    """Releases the trials of a Suggest-like answer that nobody will run (best effort: their leases lapse otherwise)."""
    for pb in answer.trials:
        release_quietly(Trial(exp, pb))


def release_quietly(trial: Trial | None) -> None:
    """Releases an unstarted trial; a failure leaves it to its lease."""
    if trial is None:
        return
    with contextlib.suppress(ParzenError):
        trial.release()
