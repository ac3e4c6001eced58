"""Background heartbeats that keep a RUNNING trial's lease alive while user
code evaluates it (inside ``with exp.suggest() as trial:`` and ``fmin``).

A trial whose lease lapses is marked LOST by the server and its late report
is refused, so a long evaluation must heartbeat. The interval is a third of
the lease the server granted, so two consecutive heartbeats may fail (e.g.
while the server restarts) before the lease is lost.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Protocol


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


class Beating(Protocol):
    """A trial's heartbeats in progress: ``stop()`` ends them, and waits for a beat being sent."""

    def stop(self) -> None: ...


class SharedHeartbeats:
    """One daemon thread that heartbeats one trial at a time, trial after
    trial: a loop (``exp.loop()``, ``exp.optimize()``, ``fmin``) runs its
    trials one by one, and a thread started and joined per trial (a
    ``Heartbeater``) costs a fast loop more than the rest of its own work
    per trial. ``keep`` hands it the next trial; ``close`` ends the thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        # Held while a beat is sent: stopping a trial's heartbeats waits for it, as Heartbeater.stop's join does.
        self._beating = threading.Lock()
        self._current: _Kept | None = None
        self._due = 0.0
        # When the thread wakes up next by itself (+inf: not until notified). Waking it takes a thread switch
        # (the GIL), so a trial handed over is announced only when it is due before that.
        self._wakes_at = math.inf
        self._closed = False
        self._thread: threading.Thread | None = None

    def keep(self, beat: Callable[[], object], interval: float) -> Beating:
        """Heartbeats ``beat`` every ``interval`` seconds (instead of the trial before) until stopped."""
        kept = _Kept(self, beat, interval)
        with self._cond:
            self._current = kept
            self._due = time.monotonic() + interval
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="parzen-heartbeat", daemon=True)
                self._thread.start()
            elif self._due < self._wakes_at:
                self._cond.notify()
        return kept

    def _stop(self, kept: _Kept) -> None:
        # Not announced either: the thread finds no trial when it wakes up, and then waits for one.
        with self._cond:
            if self._current is kept:
                self._current = None
        if threading.current_thread() is not self._thread:
            with self._beating:
                pass

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._current = None
            self._cond.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    left = None if self._current is None else self._due - time.monotonic()
                    if left is not None and left <= 0:
                        break
                    self._wakes_at = math.inf if left is None else self._due
                    self._cond.wait(left)
                kept = self._current
                assert kept is not None
                self._due = time.monotonic() + kept.interval
                self._beating.acquire()
            try:
                kept.beat()
            except Exception:
                # As a Heartbeater: a trial whose heartbeat fails (no longer RUNNING) is not beaten again.
                with self._cond:
                    if self._current is kept:
                        self._current = None
            finally:
                self._beating.release()


class _Kept:
    def __init__(self, owner: SharedHeartbeats, beat: Callable[[], object], interval: float) -> None:
        self.owner = owner
        self.beat = beat
        self.interval = interval

    def stop(self) -> None:
        self.owner._stop(self)
