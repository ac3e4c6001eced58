"""Fixtures: one real Parzen server per test session, started from this
repository on an ephemeral port with a real SQLite file in a temporary
directory, and a client connected to it."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest

import parzen


@pytest.fixture(scope="session")
def server_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """$PARZEN_TEST_ADDRESS when set (a server already running: scripts/mutation.sh shares one across its many
    short pytest runs), else a server started for this session."""
    shared = os.environ.get("PARZEN_TEST_ADDRESS")
    if shared:
        yield shared
        return
    db = tmp_path_factory.mktemp("server") / "parzen.db"
    with parzen.LocalServer(str(db)) as srv:
        assert srv.address is not None
        yield srv.address


@pytest.fixture(scope="session")
def client(server_address: str) -> Iterator[parzen.Client]:
    with parzen.Client(server_address, worker_id="pytest") as c:
        yield c


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A fresh experiment name per test."""
    base = re.sub(r"[^A-Za-z0-9._:/-]", "_", request.node.name)[:120]
    return f"{base}-{uuid.uuid4().hex[:8]}"


# PARZEN_REQUIRE_ALL=1 (set by CI): a skipped test fails the run. A skip in CI
# means a missing optional dependency or an unreachable server, i.e. a check
# that silently did not happen.
REQUIRE_ALL = os.environ.get("PARZEN_REQUIRE_ALL") == "1"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not REQUIRE_ALL:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(f"PARZEN_REQUIRE_ALL=1: {len(skipped)} skipped test(s) fail the run:", red=True)
        for report in skipped:
            reporter.write_line(f"  {report.nodeid}: {report.longrepr}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
