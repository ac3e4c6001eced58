"""``parzen.rpc.Connection``'s own decisions, without a server: the bearer
token on every call and stream, the deadline a call gets, which calls wait
for a ready channel, and which are sent again after gRPC gave up (only the
retried methods, only UNAVAILABLE, only once the server was reached, only
within the deadline, never with retries turned off). The stub is replaced by
a scripted one that records what each call was given; what goes over the
wire is test_behaviour.py's subject."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from parzen import errors, rpc
from parzen._version import __version__
from parzen.rpc import RECONNECT_OPTIONS, RETRIED, SERVICE_CONFIG, Connection, build_channel_options


class Failure(grpc.RpcError, grpc.Call):
    """A failed call as grpc raises it: an RpcError that is also a Call."""

    def __init__(self, code: grpc.StatusCode, details: str = "scripted") -> None:
        self._code = code
        self._details = details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def initial_metadata(self) -> Any:
        return None

    def trailing_metadata(self) -> Any:
        return None

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> Any:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


class Stub:
    """Answers each call with the next scripted outcome (an exception is raised), recording its arguments."""

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def fn(request: Any, **kwargs: Any) -> Any:
            self.calls.append((method, kwargs))
            outcome = self.script.pop(0) if self.script else f"{method} answer"
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        return fn


class StreamStub(Stub):
    def __getattr__(self, method: str) -> Any:
        def fn(request: Any, **kwargs: Any) -> Iterator[Any]:
            self.calls.append((method, kwargs))
            yield from ["a", "b"]
            outcome = self.script.pop(0) if self.script else None
            if isinstance(outcome, BaseException):
                raise outcome

        return fn


def connect(stub: Stub | None = None, **kwargs: Any) -> tuple[Connection, Stub]:
    conn = Connection("127.0.0.1:1", **kwargs)
    s = stub if stub is not None else Stub()
    conn.stub = s  # type: ignore[assignment]
    return conn, s


@pytest.fixture(autouse=True)
def quick_resend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rpc, "RESEND_PAUSE", 0.01)


UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


def test_channel_options_agent_reconnect_service_config_then_extra() -> None:
    opts = build_channel_options()
    assert opts == [
        ("grpc.primary_user_agent", f"parzen-python/{__version__}"),
        *RECONNECT_OPTIONS,
        ("grpc.service_config", SERVICE_CONFIG),
    ]
    assert dict(RECONNECT_OPTIONS) == {"grpc.initial_reconnect_backoff_ms": 200, "grpc.max_reconnect_backoff_ms": 2000}
    own = build_channel_options([("grpc.service_config", "{}"), ("x", 1)])
    assert [k for k, _ in own].count("grpc.service_config") == 1
    assert own[-2:] == [("grpc.service_config", "{}"), ("x", 1)]
    assert build_channel_options([("y", 2)])[-2:] == [("grpc.service_config", SERVICE_CONFIG), ("y", 2)]


def test_retried_methods_are_the_idempotent_ones() -> None:
    assert {"Suggest", "Report", "AddTrials", "Heartbeat", "GetTrial", "StreamTrials"} <= RETRIED
    assert not {"Enqueue", "DeleteExperiment"} & RETRIED


def test_a_client_certificate_needs_its_key() -> None:
    message = r"^private_key and certificate_chain go together \(a client certificate for mutual TLS\)$"
    with pytest.raises(ValueError, match=message):
        Connection("127.0.0.1:1", private_key=b"k")
    with pytest.raises(ValueError, match=message):
        Connection("127.0.0.1:1", certificate_chain=b"c")


def test_defaults_plain_channel_and_the_behaviour_tables_60_s_deadline() -> None:
    conn = Connection("127.0.0.1:1")
    assert conn.address == "127.0.0.1:1"
    assert conn.timeout == 60.0  # clients/behaviour.json call_timeout_seconds


@pytest.mark.parametrize(
    ("kwargs", "secure"),
    [
        ({}, False),
        ({"tls": True}, True),
        ({"root_certificates": b"ca"}, True),
        ({"private_key": b"k", "certificate_chain": b"c"}, True),
        ({"root_certificates": b"ca", "private_key": b"k", "certificate_chain": b"c"}, True),
    ],
)
def test_tls_when_asked_for_or_implied_by_certificates(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any], secure: bool
) -> None:
    """The channel grpc is asked for: TLS with exactly the given certificates, to the normalised target, with the
    client's options (the real TLS handshake is test_auth.py's subject)."""
    made: list[tuple[str, str, Any, Any]] = []
    creds_asked: list[dict[str, Any]] = []
    plain = grpc.insecure_channel
    sentinel = object()

    def ssl_channel_credentials(**kw: Any) -> Any:
        creds_asked.append(kw)
        return sentinel

    def secure_channel(target: str, creds: Any, options: Any) -> grpc.Channel:
        made.append(("secure", target, creds, options))
        return plain(target, options=options)

    def insecure_channel(target: str, options: Any) -> grpc.Channel:
        made.append(("insecure", target, None, options))
        return plain(target, options=options)

    monkeypatch.setattr(grpc, "ssl_channel_credentials", ssl_channel_credentials)
    monkeypatch.setattr(grpc, "secure_channel", secure_channel)
    monkeypatch.setattr(grpc, "insecure_channel", insecure_channel)
    conn = Connection("/run/p.sock", channel_options=[("z", 1)], **kwargs)
    assert conn.channel is not None
    kind, target, creds, options = made[0]
    assert len(made) == 1 and kind == ("secure" if secure else "insecure")
    assert target == "unix:///run/p.sock"
    assert options == build_channel_options([("z", 1)])
    if secure:
        assert creds is sentinel
        assert creds_asked == [
            {
                "root_certificates": kwargs.get("root_certificates"),
                "private_key": kwargs.get("private_key"),
                "certificate_chain": kwargs.get("certificate_chain"),
            }
        ]
    else:
        assert creds_asked == []


def test_the_token_rides_on_every_call_and_stream_stripped_of_whitespace() -> None:
    conn, stub = connect(token="  s3cret\n")
    assert conn.call("GetExperiment", object()) == "GetExperiment answer"
    assert stub.calls[-1][1]["metadata"] == (("authorization", "Bearer s3cret"),)
    sconn, sstub = connect(StreamStub(), token="tok")
    assert list(sconn.stream("StreamTrials", object())) == ["a", "b"]
    assert sstub.calls[-1][1]["metadata"] == (("authorization", "Bearer tok"),)
    for none in (None, "", "  \n"):
        c, s = connect(token=none)
        c.call("GetExperiment", object())
        assert s.calls[-1][1]["metadata"] == ()


def test_deadline_is_the_calls_else_the_connections_else_none() -> None:
    conn, stub = connect(timeout=30.0)
    conn.call("GetExperiment", object())
    assert 29.0 < stub.calls[-1][1]["timeout"] <= 30.0
    conn.call("GetExperiment", object(), timeout=2.0)
    assert 1.0 < stub.calls[-1][1]["timeout"] <= 2.0
    conn.call("GetExperiment", object(), timeout=0.25)
    assert 0.0 < stub.calls[-1][1]["timeout"] <= 0.25
    conn.call("GetExperiment", object(), timeout=0.0)
    assert stub.calls[-1][1]["timeout"] == 0.0
    forever, s = connect(timeout=None)
    forever.call("GetExperiment", object())
    assert s.calls[-1][1]["timeout"] is None


def test_retried_calls_wait_for_ready_only_once_the_server_was_reached() -> None:
    conn, stub = connect()
    conn.call("Suggest", object())
    assert stub.calls[-1][1]["wait_for_ready"] is None  # a wrong address fails fast
    conn.call("Suggest", object())
    assert stub.calls[-1][1]["wait_for_ready"] is True
    conn.call("Enqueue", object())
    assert stub.calls[-1][1]["wait_for_ready"] is None  # not retried, so it does not wait either
    off, s = connect(channel_options=[("grpc.enable_retries", 0)])
    off.call("Suggest", object())
    off.call("Suggest", object())
    assert s.calls[-1][1]["wait_for_ready"] is None


def test_a_failed_first_call_does_not_count_as_reaching_the_server() -> None:
    conn, stub = connect()
    stub.script = [Failure(grpc.StatusCode.NOT_FOUND)]
    with pytest.raises(errors.NotFound):
        conn.call("GetExperiment", object())
    conn.call("Suggest", object())
    assert stub.calls[-1][1]["wait_for_ready"] is None


def test_a_stream_item_counts_as_reaching_the_server() -> None:
    conn, stub = connect(StreamStub())
    assert stub.calls == []
    assert list(conn.stream("StreamTrials", object())) == ["a", "b"]
    assert stub.calls[-1][1]["wait_for_ready"] is None
    list(conn.stream("StreamTrials", object()))
    assert stub.calls[-1][1]["wait_for_ready"] is True


def test_a_stream_failure_is_a_parzen_error() -> None:
    conn, stub = connect(StreamStub())
    stub.script = [Failure(grpc.StatusCode.PERMISSION_DENIED, "no access")]
    items = conn.stream("StreamTrials", object())
    assert [next(items), next(items)] == ["a", "b"]
    with pytest.raises(errors.PermissionDenied, match="no access"):
        next(items)


def test_unavailable_is_sent_again_for_a_retried_method_once_reached() -> None:
    conn, stub = connect(timeout=10.0)
    conn.call("GetExperiment", object())
    stub.script = [Failure(UNAVAILABLE), Failure(UNAVAILABLE), "third time"]
    assert conn.call("Report", object()) == "third time"
    assert [m for m, _ in stub.calls] == ["GetExperiment", "Report", "Report", "Report"]
    # The deadline covers the resends: each attempt gets what is left of it.
    left = [kw["timeout"] for _, kw in stub.calls[1:]]
    assert left == sorted(left, reverse=True) and left[0] <= 10.0


@pytest.mark.parametrize(
    ("reached", "method", "code", "options"),
    [
        (False, "Report", UNAVAILABLE, ()),  # never reached: a wrong address fails at once
        (True, "Enqueue", UNAVAILABLE, ()),  # not safe to repeat
        (True, "DeleteExperiment", UNAVAILABLE, ()),
        (True, "Report", grpc.StatusCode.INTERNAL, ()),  # only UNAVAILABLE
        (True, "Report", grpc.StatusCode.DEADLINE_EXCEEDED, ()),
        (True, "Report", UNAVAILABLE, (("grpc.enable_retries", 0),)),  # retries off: every failure surfaces
    ],
)
def test_other_failures_surface_at_once(
    reached: bool, method: str, code: grpc.StatusCode, options: tuple[tuple[str, Any], ...]
) -> None:
    conn, stub = connect(channel_options=options)
    if reached:
        conn.call("GetExperiment", object())
    stub.script = [Failure(code, "boom"), "should not be sent"]
    with pytest.raises(errors.ParzenError, match="boom"):
        conn.call(method, object())
    assert [m for m, _ in stub.calls].count(method) == 1


def test_no_resend_once_the_pause_would_pass_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rpc, "RESEND_PAUSE", 0.3)
    conn, stub = connect(timeout=0.5)
    conn.call("GetExperiment", object())
    stub.script = [Failure(UNAVAILABLE)] * 10
    t0 = time.monotonic()
    with pytest.raises(errors.Unavailable):
        conn.call("Report", object())
    # Sent, paused 0.3 s, sent again; a second pause would end past the 0.5 s deadline.
    assert [m for m, _ in stub.calls].count("Report") == 2
    assert time.monotonic() - t0 < 0.5
    # Without a deadline it keeps trying until an answer comes.
    monkeypatch.setattr(rpc, "RESEND_PAUSE", 0.001)
    patient, s = connect(timeout=None)
    patient.call("GetExperiment", object())
    s.script = [Failure(UNAVAILABLE)] * 5 + ["at last"]
    assert patient.call("Report", object()) == "at last"
    assert [m for m, _ in s.calls].count("Report") == 6
