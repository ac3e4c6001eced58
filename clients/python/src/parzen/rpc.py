"""The gRPC connection: channel set-up, per-call deadlines, the bearer token,
error mapping and retries.

Only idempotent calls are retried, and only on UNAVAILABLE (the server was
unreachable or restarting), with capped exponential backoff and jitter.
A call is idempotent when repeating it cannot change the outcome: reads,
CreateExperiment (same definition returns the stored one), Report and
ReportIntermediate (identical repeats are no-ops on the server), Heartbeat,
and Suggest, which is sent with a request id the server de-duplicates.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Callable

import grpc

from ._version import __version__ as _version
from .errors import from_rpc_error
from .v1 import optimizer_service_pb2_grpc


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent calls on UNAVAILABLE."""

    attempts: int = 6
    initial_backoff: float = 0.1
    max_backoff: float = 3.0
    multiplier: float = 2.0

    def delays(self) -> Iterator[float]:
        """The sleep before each retry (``attempts - 1`` of them), with jitter."""
        d = self.initial_backoff
        for _ in range(max(0, self.attempts - 1)):
            yield d * (0.5 + random.random() / 2)
            d = min(d * self.multiplier, self.max_backoff)


def normalize_target(address: str) -> str:
    """A gRPC target from a user address: ``host:port``, ``unix:///path``,
    ``unix:path`` or a bare absolute socket path ``/path.sock``."""
    if address.startswith("/"):
        return "unix://" + address
    return address


class Connection:
    """One channel to a Parzen server and the stub over it."""

    def __init__(
        self,
        address: str,
        *,
        token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | None = None,
        private_key: bytes | None = None,
        certificate_chain: bytes | None = None,
        timeout: float | None = 60.0,
        retry: RetryPolicy = RetryPolicy(),
        channel_options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        if (private_key is None) != (certificate_chain is None):
            raise ValueError("private_key and certificate_chain go together (a client certificate for mutual TLS)")
        self.address = address
        self.timeout = timeout
        self.retry = retry
        # Surrounding whitespace (a token read from a file keeps its newline)
        # is never part of a token, and a newline is not valid metadata.
        token = token.strip() if token else None
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        options: list[tuple[str, Any]] = [("grpc.primary_user_agent", f"parzen-python/{_version}")]
        options.extend(channel_options)
        target = normalize_target(address)
        if tls or root_certificates is not None or certificate_chain is not None:
            creds = grpc.ssl_channel_credentials(
                root_certificates=root_certificates, private_key=private_key, certificate_chain=certificate_chain
            )
            self.channel = grpc.secure_channel(target, creds, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.stub = optimizer_service_pb2_grpc.OptimizerServiceStub(self.channel)  # type: ignore[attr-defined,no-untyped-call,unused-ignore]

    def call(self, method: str, request: Any, *, idempotent: bool, timeout: float | None = None) -> Any:
        """Calls ``method`` on the stub; raises a ``parzen.errors`` exception."""
        fn: Callable[..., Any] = getattr(self.stub, method)
        return call_with_retry(
            lambda: fn(request, timeout=timeout if timeout is not None else self.timeout, metadata=self._metadata),
            self.retry if idempotent else RetryPolicy(attempts=1),
        )

    def stream(self, method: str, request: Any) -> Iterator[Any]:
        """Iterates a server stream (not retried: a retry would repeat items)."""
        fn: Callable[..., Any] = getattr(self.stub, method)
        try:
            yield from fn(request, metadata=self._metadata)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None

    def close(self) -> None:
        self.channel.close()


def call_with_retry(
    attempt: Callable[[], Any], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """Runs ``attempt``, retrying UNAVAILABLE per ``policy``; maps errors."""
    delays = policy.delays()
    while True:
        try:
            return attempt()
        except grpc.RpcError as err:
            code = err.code() if isinstance(err, grpc.Call) else None
            if code == grpc.StatusCode.UNAVAILABLE:
                delay = next(delays, None)
                if delay is not None:
                    sleep(delay)
                    continue
            raise from_rpc_error(err) from None
