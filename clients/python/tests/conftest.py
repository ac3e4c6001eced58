"""Fixtures: one real Parzen server per test session, started from this
repository on an ephemeral port with a real SQLite file in a temporary
directory, and a client connected to it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

import parzen
from parzen import hp


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[parzen.LocalServer]:
    db = tmp_path_factory.mktemp("server") / "parzen.db"
    with parzen.LocalServer(str(db)) as srv:
        yield srv


@pytest.fixture(scope="session")
def client(server: parzen.LocalServer) -> Iterator[parzen.Client]:
    assert server.address is not None
    with parzen.Client(server.address, worker_id="pytest") as c:
        yield c


@pytest.fixture(scope="session")
def algo(client: parzen.Client) -> str | None:
    """None (the server's default, TPE) once TPE is registered; "random" until then."""
    try:
        client.create_experiment(f"probe-tpe-{uuid.uuid4().hex[:8]}", {"x": hp.uniform("x", 0, 1)}, algorithm="tpe")
    except parzen.errors.InvalidArgument as e:
        if "unknown algorithm" in str(e):
            return "random"
        raise
    return None


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A fresh experiment name per test."""
    base = re.sub(r"[^A-Za-z0-9._:/-]", "_", request.node.name)[:120]
    return f"{base}-{uuid.uuid4().hex[:8]}"
