"""A worker rides out a server restart: the server is killed (SIGKILL)
mid-loop and started again on the same address and database; the worker
sees no error, every trial it was given is finished, none is left RUNNING,
and the with-block's FAIL report sent while the server is down arrives."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import parzen
from parzen import hp

TRIALS = 120
KILL_AFTER = 40


def free_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def test_a_worker_sees_no_error_through_a_kill_and_restart(tmp_path: Path, name: str) -> None:
    address = free_address()
    db = str(tmp_path / "parzen.db")
    srv = parzen.LocalServer(db, listen=address).start()
    try:
        errors: list[BaseException] = []
        halfway = threading.Event()
        with parzen.Client(address, worker_id="rider") as client:
            exp = client.create_experiment(name, {"x": hp.uniform("x", 0, 1)}, algorithm="random")

            def work() -> None:
                try:
                    for i in range(TRIALS):
                        with exp.suggest() as trial:
                            trial.report((trial.params["x"] - 0.3) ** 2)
                        if i == KILL_AFTER:
                            halfway.set()
                except BaseException as e:  # what the worker would see
                    errors.append(e)
                    halfway.set()

            worker = threading.Thread(target=work)
            worker.start()
            assert halfway.wait(120)
            srv.kill()
            srv.start()
            worker.join(120)
            assert not worker.is_alive()
            assert errors == []
            trials = list(exp.iter_trials())
            assert [t.state for t in trials if t.state != "COMPLETE"] == []
            assert len(trials) == TRIALS
    finally:
        srv.stop()


def test_the_with_blocks_fail_report_survives_a_restart(tmp_path: Path, name: str) -> None:
    address = free_address()
    db = str(tmp_path / "parzen.db")
    srv = parzen.LocalServer(db, listen=address).start()
    try:
        with parzen.Client(address, worker_id="rider") as client:
            exp = client.create_experiment(name, {"x": hp.uniform("x", 0, 1)}, algorithm="random")
            trial = exp.suggest()
            try:
                with trial:
                    srv.kill()  # the server dies under the training loop, which then fails
                    threading.Thread(target=srv.start).start()
                    raise RuntimeError("out of memory")
            except RuntimeError:
                pass
            assert trial.state == "FAIL"
            stored = exp.get_trial(trial.id)
            assert stored.state == "FAIL"
    finally:
        srv.stop()
