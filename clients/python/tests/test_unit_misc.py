"""Unit tests of addresses, fmin's result contract, algorithm aliases,
heartbeat timing and the local server's start-up (no server). Error mapping
and retries: test_behaviour.py."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import parzen
from parzen import errors
from parzen.algorithms import algorithm_name
from parzen.fmin import interpret_result
from parzen.heartbeat import interval_for
from parzen.rpc import normalize_target


def test_unix_socket_paths_become_grpc_targets() -> None:
    assert normalize_target("/tmp/p.sock") == "unix:///tmp/p.sock"
    assert normalize_target("unix:///tmp/p.sock") == "unix:///tmp/p.sock"
    assert normalize_target("127.0.0.1:50051") == "127.0.0.1:50051"


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (0.5, ("ok", 0.5, {}, "")),
        (3, ("ok", 3.0, {}, "")),
        ({"loss": 0.25, "status": "ok", "accuracy": 0.9, "note": "x"}, ("ok", 0.25, {"accuracy": 0.9}, "")),
        ({"loss": 0.25}, ("ok", 0.25, {}, "")),
        ({"status": "fail", "failure": "diverged"}, ("fail", None, {}, "diverged")),
        ({"status": "fail", "reason": "oom"}, ("fail", None, {}, "oom")),
        ({"status": "fail", "error": "nan"}, ("fail", None, {}, "nan")),
        ({"status": "fail", "failure": "first", "error": "second"}, ("fail", None, {}, "first")),
        ({"status": "fail"}, ("fail", None, {}, "")),
        ({"accuracy": 0.5, "flag": True}, ("fail", None, {"accuracy": 0.5}, "")),  # no loss, no status: FAIL
        (Decimal("0.5"), ("ok", 0.5, {}, "")),  # any number-like value, as hyperopt's float(...)
    ],
)
def test_fn_results_follow_hyperopts_contract(result: Any, expected: Any) -> None:
    assert interpret_result(result) == expected


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (None, TypeError, "fn must return a float or a dict with 'loss' and 'status', got NoneType"),
        ("0.5", TypeError, "fn must return a float or a dict with 'loss' and 'status', got str"),
        (True, TypeError, "fn must return a float or a dict with 'loss' and 'status', got bool"),
        ({"status": "ok"}, ValueError, "fn returned status 'ok' without a 'loss'"),
        ({"status": "ok", "loss": None}, ValueError, "fn returned status 'ok' without a 'loss'"),
        ({"status": "new", "loss": 1}, ValueError, "fn returned unsupported status 'new' (use 'ok' or 'fail')"),
    ],
)
def test_bad_fn_results_raise(bad: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        interpret_result(bad)
    assert str(info.value) == message


def test_algorithm_aliases() -> None:
    assert algorithm_name(None) is None
    assert algorithm_name("gp") == "gp"
    assert algorithm_name(parzen.tpe.suggest) == "tpe"
    assert algorithm_name(parzen.rand) == "random"

    def suggest() -> None: ...

    suggest.__module__ = "hyperopt.rand"
    assert algorithm_name(suggest) == "random"
    assert algorithm_name(functools.partial(suggest)) == "random"
    with pytest.raises(ValueError, match="unsupported algo"):
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


def test_local_server_says_how_to_install_a_missing_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from parzen import local_server

    for var in ("PARZEN_SERVER_CMD", "PARZEN_REPO"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `parzen` there
    # As installed outside a checkout (scripts/test-install.sh runs this for real from a fresh venv).
    monkeypatch.setattr(local_server, "find_repo", lambda start=None: None)
    with pytest.raises(errors.ServerStartError, match=r"no `parzen` command on PATH.*npm install -g"):
        local_server.server_command()
    (tmp_path / "parzen").write_text("#!/bin/sh\n")
    (tmp_path / "parzen").chmod(0o755)
    assert local_server.server_command() == ([str(tmp_path / "parzen")], None)


def test_local_server_reports_a_failed_start(tmp_path: Any) -> None:
    script = tmp_path / "fake-parzen"
    script.write_text("#!/bin/sh\necho 'cannot open database' >&2\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(errors.ServerStartError, match=r"status 3(.|\n)*cannot open database"):
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
