"""Background heartbeats that keep a RUNNING trial's lease alive while user
code evaluates it (inside ``with exp.suggest() as trial:`` and ``fmin``).

A trial whose lease lapses is marked LOST by the server and its late report
is refused, so a long evaluation must heartbeat. The interval is a third of
the lease the server granted, so two consecutive heartbeats may fail (e.g.
while the server restarts) before the lease is lost.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Callable


def interval_for(lease_deadline: datetime | None, now: datetime | None = None) -> float | None:
    """Seconds between heartbeats for a lease ending at ``lease_deadline``
    (``None``: no lease, nothing to keep alive)."""
    if lease_deadline is None:
        return None
    now = now or datetime.now(timezone.utc)
    remaining = (lease_deadline - now).total_seconds()
    return max(0.5, remaining / 3)


class Heartbeater:
    """Calls ``beat`` every ``interval`` seconds on a daemon thread until
    stopped or until ``beat`` raises (e.g. the trial is no longer RUNNING)."""

    def __init__(self, beat: Callable[[], object], interval: float) -> None:
        self._beat = beat
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="parzen-heartbeat", daemon=True)

    def start(self) -> Heartbeater:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
            except Exception:
                return

    def __enter__(self) -> Heartbeater:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
