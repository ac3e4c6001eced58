"""Unit tests of error mapping, retries, fmin's result contract, algorithm
aliases and heartbeat timing (no server)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import Any, List

import grpc
import pytest

import parzen
from parzen import errors
from parzen.algorithms import algorithm_name
from parzen.fmin import interpret_result
from parzen.heartbeat import interval_for
from parzen.rpc import RetryPolicy, call_with_retry, normalize_target


class FakeRpcError(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    # grpc.Call's other abstract methods, unused here
    def initial_metadata(self) -> Any: ...
    def trailing_metadata(self) -> Any: ...
    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> Any: ...
    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


@pytest.mark.parametrize(
    "code, cls",
    [
        (grpc.StatusCode.INVALID_ARGUMENT, errors.InvalidArgument),
        (grpc.StatusCode.NOT_FOUND, errors.NotFound),
        (grpc.StatusCode.ALREADY_EXISTS, errors.AlreadyExists),
        (grpc.StatusCode.FAILED_PRECONDITION, errors.FailedPrecondition),
        (grpc.StatusCode.UNAVAILABLE, errors.Unavailable),
        (grpc.StatusCode.DEADLINE_EXCEEDED, errors.DeadlineExceeded),
        (grpc.StatusCode.INTERNAL, errors.Internal),
    ],
)
def test_status_codes_map_to_exceptions_with_the_servers_message(code: grpc.StatusCode, cls: type) -> None:
    e = errors.from_rpc_error(FakeRpcError(code, 'parameter "x": low (1) must be less than high (0)'))
    assert type(e) is cls
    assert str(e) == 'parameter "x": low (1) must be less than high (0)'
    assert e.code == code.name
    assert isinstance(e, errors.ParzenError)


def test_unmapped_codes_give_a_plain_parzen_error() -> None:
    e = errors.from_rpc_error(FakeRpcError(grpc.StatusCode.UNIMPLEMENTED, "nope"))
    assert type(e) is errors.ParzenError and e.code == "UNIMPLEMENTED"


def test_invalid_argument_is_a_value_error_and_not_found_a_lookup_error() -> None:
    assert issubclass(errors.InvalidArgument, ValueError)
    assert issubclass(errors.NotFound, LookupError)


def flaky(failures: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE) -> Any:
    calls: List[int] = []

    def attempt() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise FakeRpcError(code, "connection refused")
        return "ok"

    return attempt, calls


def test_unavailable_is_retried_with_growing_backoff() -> None:
    attempt, calls = flaky(3)
    sleeps: List[float] = []
    assert call_with_retry(attempt, RetryPolicy(attempts=5, initial_backoff=0.1), sleeps.append) == "ok"
    assert len(calls) == 4 and len(sleeps) == 3
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2 and 0.2 <= sleeps[2] <= 0.4


def test_retries_give_up_after_the_policys_attempts() -> None:
    attempt, calls = flaky(10)
    with pytest.raises(errors.Unavailable):
        call_with_retry(attempt, RetryPolicy(attempts=3), lambda _: None)
    assert len(calls) == 3


def test_non_idempotent_calls_and_other_codes_are_not_retried() -> None:
    attempt, calls = flaky(1)
    with pytest.raises(errors.Unavailable):
        call_with_retry(attempt, RetryPolicy(attempts=1), lambda _: None)
    assert len(calls) == 1
    attempt, calls = flaky(1, grpc.StatusCode.INVALID_ARGUMENT)
    with pytest.raises(errors.InvalidArgument):
        call_with_retry(attempt, RetryPolicy(attempts=5), lambda _: None)
    assert len(calls) == 1


def test_unix_socket_paths_become_grpc_targets() -> None:
    assert normalize_target("/tmp/p.sock") == "unix:///tmp/p.sock"
    assert normalize_target("unix:///tmp/p.sock") == "unix:///tmp/p.sock"
    assert normalize_target("127.0.0.1:50051") == "127.0.0.1:50051"


@pytest.mark.parametrize(
    "result, expected",
    [
        (0.5, ("ok", 0.5, {}, "")),
        (3, ("ok", 3.0, {}, "")),
        ({"loss": 0.25, "status": "ok", "accuracy": 0.9, "note": "x"}, ("ok", 0.25, {"accuracy": 0.9}, "")),
        ({"loss": 0.25}, ("ok", 0.25, {}, "")),
        ({"status": "fail", "failure": "diverged"}, ("fail", None, {}, "diverged")),
    ],
)
def test_fn_results_follow_hyperopts_contract(result: Any, expected: Any) -> None:
    assert interpret_result(result) == expected


@pytest.mark.parametrize("bad", [None, "0.5", {"status": "ok"}, {"status": "new", "loss": 1}, True])
def test_bad_fn_results_raise(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        interpret_result(bad)


def test_algorithm_aliases() -> None:
    assert algorithm_name(None) is None
    assert algorithm_name("gp") == "gp"
    assert algorithm_name(parzen.tpe.suggest) == "tpe"
    assert algorithm_name(parzen.rand) == "random"

    def suggest() -> None: ...

    suggest.__module__ = "hyperopt.rand"
    assert algorithm_name(suggest) == "random"
    assert algorithm_name(functools.partial(suggest)) == "random"
    with pytest.raises(ValueError):
        algorithm_name(object())


def test_heartbeat_interval_is_a_third_of_the_lease() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert interval_for(now + timedelta(minutes=30), now) == pytest.approx(600)
    assert interval_for(now + timedelta(seconds=0.3), now) == 0.5
    assert interval_for(None, now) is None


def test_local_server_command_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from parzen.local_server import find_repo, server_command

    monkeypatch.setenv("PARZEN_SERVER_CMD", "parzen --log-level warn")
    assert server_command() == (["parzen", "--log-level", "warn"], None)
    monkeypatch.delenv("PARZEN_SERVER_CMD")
    monkeypatch.setenv("PARZEN_REPO", str(tmp_path))
    cmd, cwd = server_command()
    assert cmd[-1] == "src/cli/main.ts" and cwd == str(tmp_path)
    assert server_command(["my-parzen"]) == (["my-parzen"], None)
    repo = find_repo()
    assert repo is not None and (repo / "proto" / "parzen").is_dir()


def test_local_server_reports_a_failed_start(tmp_path: Any) -> None:
    script = tmp_path / "fake-parzen"
    script.write_text("#!/bin/sh\necho 'cannot open database' >&2\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(errors.ServerStartError, match="status 3(.|\\n)*cannot open database"):
        parzen.LocalServer(command=[str(script)]).start()


def test_local_server_parses_the_listening_line(tmp_path: Any) -> None:
    script = tmp_path / "fake-parzen"
    script.write_text(
        "#!/bin/sh\necho 'not json'\n"
        'echo \'{"level":30,"msg":"listening","address":"127.0.0.1:45678"}\'\n'
        "trap 'exit 0' TERM\nwhile true; do sleep 0.1; done\n"
    )
    script.chmod(0o755)
    with parzen.LocalServer(command=[str(script)]) as srv:
        assert srv.address == "127.0.0.1:45678" and srv.running
    assert not srv.running
