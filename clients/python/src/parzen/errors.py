"""Exceptions raised by the Parzen client.

Every failed RPC becomes one ``ParzenError`` subclass chosen by its gRPC status
code, carrying the server's message unchanged, so callers can catch
``parzen.errors.InvalidArgument`` instead of inspecting ``grpc.RpcError``.
This module is the only place that maps status codes to exceptions.
"""

from __future__ import annotations

import re

import grpc


class ParzenError(Exception):
    """Base class of every error the client raises for a failed call."""

    #: The gRPC status code name (e.g. ``"INVALID_ARGUMENT"``), or ``None``
    #: for errors raised by the client itself.
    code: str | None = None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgument(ParzenError, ValueError):
    """The request was malformed: a bad space, an out-of-domain value, ..."""

    code = "INVALID_ARGUMENT"


class NotFound(ParzenError, LookupError):
    """The named experiment or trial does not exist."""

    code = "NOT_FOUND"


class AlreadyExists(ParzenError):
    """An experiment with this name exists with a different definition."""

    code = "ALREADY_EXISTS"


class FailedPrecondition(ParzenError):
    """The call conflicts with stored state (e.g. a second, different report)."""

    code = "FAILED_PRECONDITION"


class Unavailable(ParzenError):
    """The server could not be reached (after the retries, for the calls that
    are retried: see ``parzen.rpc``)."""

    code = "UNAVAILABLE"


class DeadlineExceeded(ParzenError):
    """The call did not finish within its timeout."""

    code = "DEADLINE_EXCEEDED"


class ResourceExhausted(ParzenError):
    """The server refused the call for lack of resources (or a size limit)."""

    code = "RESOURCE_EXHAUSTED"


class Unauthenticated(ParzenError):
    """The server requires a valid token."""

    code = "UNAUTHENTICATED"


class PermissionDenied(ParzenError):
    """The token does not allow this call."""

    code = "PERMISSION_DENIED"


class Internal(ParzenError):
    """The server failed unexpectedly (a bug: please report it)."""

    code = "INTERNAL"


class ExperimentDone(ParzenError):
    """The experiment is COMPLETED: ``suggest`` has no trial to give, and
    never will unless its budget is raised. Not a failure: a worker catching
    it simply stops. ``reason`` says why: ``"BUDGET"`` (``max_trials``
    reached), ``"GOAL"``, ``"FAILURES"`` (``max_failed_trials`` reached),
    ``"DEADLINE"`` or ``"STOPPED"`` (a user stopped it)."""

    def __init__(self, experiment: str, reason: str) -> None:
        super().__init__(f"experiment {experiment!r} is done ({_REASON_TEXT.get(reason, reason.lower())})")
        self.experiment = experiment
        self.reason = reason


_REASON_TEXT = {
    "BUDGET": "its max_trials are used up",
    "GOAL": "a loss reached its goal",
    "FAILURES": "its max_failed_trials are used up",
    "DEADLINE": "its deadline passed",
    "STOPPED": "it was stopped",
}


class AllTrialsFailed(ParzenError):
    """``fmin`` finished without a single COMPLETE trial (as in hyperopt)."""


class ServerStartError(ParzenError):
    """A local Parzen server could not be started."""


class TrialPruned(Exception):
    """Raise inside ``with exp.suggest() as trial:`` to report the trial PRUNED.

    Not a ``ParzenError``: it is a signal from user code, not a failure.
    """


_BY_STATUS: dict[grpc.StatusCode, type[ParzenError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.INTERNAL: Internal,
}


#: gRPC's name-resolution failures may end with an empty "Resolution note:", which says nothing.
_RESOLUTION_NOTE = re.compile(r"\s*\(?Resolution note:\s*\)?(?=\s*(?:[;,)]|$))")


def from_rpc_error(err: grpc.RpcError) -> ParzenError:
    """The ``ParzenError`` for a failed call, with the server's message."""
    status = err.code() if isinstance(err, grpc.Call) else None
    details = err.details() if isinstance(err, grpc.Call) else None
    message = _RESOLUTION_NOTE.sub("", details or str(err)).strip()
    cls = _BY_STATUS.get(status) if status is not None else None
    if cls is not None:
        return cls(message)
    code = status.name if status is not None else None
    return ParzenError(message, code=code)
