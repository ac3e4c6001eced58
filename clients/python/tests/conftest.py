"""Fixtures: one real Parzen server per test session, started from this
repository on an ephemeral port with a real SQLite file in a temporary
directory, and a client connected to it."""

from __future__ import annotations

import fnmatch
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


# PARZEN_MUTATION_TESTS (set by scripts/mutation.sh for mutmut): comma-separated fnmatch patterns of test node
# ids to keep ("!" in front: to drop), so each mutant runs the fast tests written for its module, not the
# tests that start servers or processes of their own.
MUTATION_TESTS = [p for p in os.environ.get("PARZEN_MUTATION_TESTS", "").split(",") if p != ""]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not MUTATION_TESTS:
        return
    keep = [p for p in MUTATION_TESTS if not p.startswith("!")]
    drop = [p[1:] for p in MUTATION_TESTS if p.startswith("!")]

    def wanted(nodeid: str) -> bool:
        if keep and not any(fnmatch.fnmatch(nodeid, p) for p in keep):
            return False
        return not any(fnmatch.fnmatch(nodeid, p) for p in drop)

    deselected = [item for item in items if not wanted(item.nodeid)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if wanted(item.nodeid)]
