"""The loops' one heartbeat thread (heartbeat.SharedHeartbeats): it beats the
trial it was last given at that trial's interval, stops beating a trial once
stopped (waiting for a beat being sent), drops a trial whose beat fails, and
stays one thread for all of a loop's trials (no server: beats are plain
callables; the loops themselves are tested against the server in test_loops.py)."""

from __future__ import annotations

import threading

from parzen.heartbeat import SharedHeartbeats

WAIT = 5.0  # seconds: a bound for what should take milliseconds, never reached when the code is right


class Beats:
    """Counts calls, and sets an event once `until` calls were made."""

    def __init__(self, until: int = 2) -> None:
        self.count = 0
        self.until = until
        self.reached = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        if self.count >= self.until:
            self.reached.set()


def heartbeat_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "parzen-heartbeat"]


def test_beats_the_last_kept_trial_on_one_thread_and_none_once_stopped() -> None:
    before = len(heartbeat_threads())
    shared = SharedHeartbeats()
    a, b, c = Beats(), Beats(), Beats()
    shared.keep(a, 0.01)
    assert a.reached.wait(WAIT)
    kept_b = shared.keep(b, 0.01)
    after_switch = a.count  # at most one beat of a was under way when b took over
    assert b.reached.wait(WAIT)
    assert a.count <= after_switch + 1
    settled = a.count
    kept_b.stop()
    stopped_at = b.count
    shared.keep(c, 0.01)
    assert c.reached.wait(WAIT)
    assert (a.count, b.count) == (settled, stopped_at)
    assert len(heartbeat_threads()) == before + 1
    shared.close()
    assert len(heartbeat_threads()) == before


def test_stopping_waits_for_a_beat_being_sent() -> None:
    shared = SharedHeartbeats()
    started, release = threading.Event(), threading.Event()
    finished: list[bool] = []

    def slow() -> None:
        started.set()
        release.wait(WAIT)
        finished.append(True)

    kept = shared.keep(slow, 0.01)
    assert started.wait(WAIT)
    stopper = threading.Thread(target=kept.stop)
    stopper.start()
    stopper.join(timeout=0.2)
    assert stopper.is_alive() and not finished  # still inside the beat
    release.set()
    stopper.join(WAIT)
    assert not stopper.is_alive() and finished == [True]
    shared.close()


def test_a_failing_beat_is_not_repeated_and_the_next_trial_is_beaten() -> None:
    shared = SharedHeartbeats()
    failed = threading.Event()
    calls: list[int] = []

    def gone() -> None:
        calls.append(1)
        failed.set()
        raise RuntimeError("trial is no longer RUNNING")

    shared.keep(gone, 0.01)
    assert failed.wait(WAIT)
    nxt = Beats(3)
    shared.keep(nxt, 0.01)
    assert nxt.reached.wait(WAIT)
    assert calls == [1]
    shared.close()


def test_close_without_a_trial_starts_no_thread() -> None:
    before = len(heartbeat_threads())
    SharedHeartbeats().close()
    assert len(heartbeat_threads()) == before
