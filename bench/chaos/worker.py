"""One chaos-suite worker: a plain training loop (with-block, suggest,
report) for a fixed time against a server that the suite kills and
restarts under it. Writes what it saw as JSON: the ids of trials whose
report the server acknowledged, every error that reached the loop, and
(id, x, time, loss reported) of every trial it was given.

    python bench/chaos/worker.py ADDRESS EXPERIMENT SECONDS OUT.json
"""

from __future__ import annotations

import json
import os
import sys
import time

import parzen


def main() -> None:
    address, experiment, seconds, out = (
        sys.argv[1],
        sys.argv[2],
        float(sys.argv[3]),
        sys.argv[4],
    )
    acked: list[int] = []
    given: list[tuple[int, float, float, float]] = []
    errors: list[str] = []
    with parzen.Client(address, worker_id=f"chaos-{os.getpid()}") as client:
        exp = client.get_experiment(experiment)
        # The suite starts killing once every worker has reached the server.
        print("ready", flush=True)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                with exp.suggest() as trial:
                    x = trial.params["x"]
                    loss = (x - 0.3) ** 2
                    given.append((trial.id, x, time.time(), loss))
                    trial.report(loss)
                acked.append(trial.id)
            except Exception as e:  # noqa: BLE001 (every error a training job would see is counted)
                errors.append(f"{type(e).__name__}: {e}")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"acked": acked, "errors": errors, "given": given}, f)


if __name__ == "__main__":
    main()
