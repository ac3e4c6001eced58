"""The gRPC connection: channel set-up, per-call deadlines, the bearer token
and error mapping.

Retries are gRPC's own, declared once for all Parzen clients in the service
config shipped with this package (``service_config.json``, a copy of
``proto/parzen/v1/service_config.json``): UNAVAILABLE is retried with capped
exponential backoff, for the calls that are safe to repeat only. Suggest,
Report and AddTrials are among them because this client sends them with a
request id the server de-duplicates (whoever calls ``Connection.stub.Suggest``
directly must set one too); DeleteExperiment and Enqueue are not.

Once a connection has reached the server, its retried calls also wait for
the channel to be ready again (gRPC's wait-for-ready) within their deadline,
and the channel tries to reconnect at least every 2 s: a server restarting
under a worker costs the worker a pause, not an error, while a wrong address
still fails fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any, Callable

import grpc

from ._version import __version__ as _version
from .errors import from_rpc_error
from .v1 import optimizer_service_pb2_grpc

#: The gRPC service config every channel of this client starts from: the
#: retry policy and which methods it covers.
SERVICE_CONFIG: str = resources.files(__package__).joinpath("service_config.json").read_text(encoding="utf-8")

#: The methods the service config retries: they also wait for a ready channel once the server was reached.
RETRIED: frozenset[str] = frozenset(
    name["method"] for config in json.loads(SERVICE_CONFIG)["methodConfig"] for name in config["name"]
)

#: Pause before sending a retried call again after gRPC's own retries gave up (see ``Connection._resend``).
RESEND_PAUSE = 0.2

#: Reconnect promptly after a server restart (gRPC's pause grows to 120 s otherwise).
RECONNECT_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
)


def normalize_target(address: str) -> str:
    """A gRPC target from a user address: ``host:port``, ``unix:///path``,
    ``unix:path`` or a bare absolute socket path ``/path.sock``."""
    if address.startswith("/"):
        return "unix://" + address
    return address


def build_channel_options(extra: Sequence[tuple[str, Any]] = ()) -> list[tuple[str, Any]]:
    """The client's channel options, then ``extra``. An ``extra``
    ``grpc.service_config`` replaces the client's (a channel takes one), and
    ``("grpc.enable_retries", 0)`` turns retries off."""
    options: list[tuple[str, Any]] = [("grpc.primary_user_agent", f"parzen-python/{_version}"), *RECONNECT_OPTIONS]
    if not any(key == "grpc.service_config" for key, _ in extra):
        options.append(("grpc.service_config", SERVICE_CONFIG))
    options.extend(extra)
    return options


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
        channel_options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        if (private_key is None) != (certificate_chain is None):
            raise ValueError("private_key and certificate_chain go together (a client certificate for mutual TLS)")
        self.address = address
        self.timeout = timeout
        # Surrounding whitespace (a token read from a file keeps its newline)
        # is never part of a token, and a newline is not valid metadata.
        token = token.strip() if token else None
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        options = build_channel_options(channel_options)
        target = normalize_target(address)
        if tls or root_certificates is not None or certificate_chain is not None:
            creds = grpc.ssl_channel_credentials(
                root_certificates=root_certificates, private_key=private_key, certificate_chain=certificate_chain
            )
            self.channel = grpc.secure_channel(target, creds, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.stub = optimizer_service_pb2_grpc.OptimizerServiceStub(self.channel)  # type: ignore[no-untyped-call]
        # Set by the first answer: from then on the server is known to exist, and retried calls wait for it.
        self._reached = False
        # Retries turned off: every failure surfaces, nothing waits or is sent again.
        self._retries = ("grpc.enable_retries", 0) not in options

    def _wait_for_ready(self, method: str) -> bool | None:
        return True if self._reached and self._retries and method in RETRIED else None

    def call(self, method: str, request: Any, *, timeout: float | None = None) -> Any:
        """Calls ``method`` on the stub; raises a ``parzen.errors`` exception.
        The deadline (``timeout``, else the connection's) covers the retries."""
        fn: Callable[..., Any] = getattr(self.stub, method)
        limit = timeout if timeout is not None else self.timeout
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                response = fn(
                    request, timeout=left, metadata=self._metadata, wait_for_ready=self._wait_for_ready(method)
                )
            except grpc.RpcError as err:
                if self._resend(method, err, deadline):
                    continue
                raise from_rpc_error(err) from None
            self._reached = True
            return response

    def _resend(self, method: str, err: grpc.RpcError, deadline: float | None) -> bool:
        """Whether to send a retried method again after gRPC gave up on it.
        gRPC does not retry a call whose answer had begun to arrive when the
        connection broke (a server killed while answering), yet these calls
        are safe to repeat (the same request, request id included), so once
        the server was reached they are sent again, waiting for it, until
        the deadline."""
        if not (self._reached and self._retries and method in RETRIED and err.code() == grpc.StatusCode.UNAVAILABLE):
            return False
        if deadline is not None and time.monotonic() + RESEND_PAUSE >= deadline:
            return False
        time.sleep(RESEND_PAUSE)
        return True

    def stream(self, method: str, request: Any) -> Iterator[Any]:
        """Iterates a server stream (no deadline: a stream may run long)."""
        fn: Callable[..., Any] = getattr(self.stub, method)
        try:
            for item in fn(request, metadata=self._metadata, wait_for_ready=self._wait_for_ready(method)):
                self._reached = True
                yield item
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None

    def close(self) -> None:
        self.channel.close()
