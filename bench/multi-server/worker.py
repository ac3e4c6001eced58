"""One worker of the several-servers bench (bench/multi-server/run.ts).

    python worker.py parzen ADDRESSES EXPERIMENT GO_FILE SECONDS OUT.json
    python worker.py optuna-random|optuna-tpe STORAGE_URL STUDY GO_FILE SECONDS OUT.json

Parzen: a plain ask-tell loop (Suggest, a quick objective, Report) against
the first of a comma-separated list of servers, moving to the next one when
a call fails (its server was killed): the trial in hand is abandoned, as a
training job that lost its server would. It stops when the server answers
`done` (the budget is spent) or at END (Unix seconds), and writes what it
saw: every trial it was given, every Report acknowledged (id, loss), the
errors. Optuna: the same loop with study.ask/tell on the RDB storage.

Start-up (imports, connecting, loading the study) is kept out of the
window: each worker writes OUT.json.ready once it is ready, and starts its
SECONDS-long loop when GO_FILE exists (the orchestrator creates it once
every worker is ready), so all of them run in the same window.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
import uuid


def objective(x: float, y: float) -> float:
    return (x - 0.3) ** 2 + (y + 0.2) ** 2 + 0.1 * math.sin(5 * x)


def cpu_seconds() -> float:
    """This process's CPU time so far (user + system)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def wait_for_go(out: str, go: str, seconds: float) -> float:
    """Says this worker is ready, waits for the go, and returns when its window ends."""
    with open(out + ".ready", "w", encoding="utf-8"):
        pass
    while not os.path.exists(go):
        time.sleep(0.02)
    return time.time() + seconds


def run_parzen(
    addresses: list[str], experiment: str, go: str, seconds: float, out: str
) -> dict[str, object]:
    import parzen
    from parzen.v1 import optimizer_service_pb2 as svc

    given: list[int] = []
    acked: list[list[float]] = []
    errors: list[str] = []
    in_window = 0
    server = 0
    worker = f"w{os.getpid()}"
    client = parzen.Client(addresses[server], timeout=3, worker_id=worker)
    end = wait_for_go(out, go, seconds)
    cpu = cpu_seconds()
    while time.time() < end:
        try:
            resp = client.connection.call(
                "Suggest",
                svc.SuggestRequest(
                    experiment=experiment,
                    count=1,
                    worker_id=worker,
                    request_id=uuid.uuid4().hex,
                ),
            )
            if resp.done:
                break
            if len(resp.trials) == 0:
                time.sleep(0.05)  # the rest of the budget is RUNNING on other workers
                continue
            t = resp.trials[0]
            given.append(t.id)
            x = t.params["x"].double_value
            y = t.params["y"].double_value
            loss = objective(x, y)
            client.connection.call(
                "Report",
                svc.ReportRequest(
                    trial_id=t.id,
                    status=svc.REPORT_STATUS_OK,
                    loss=loss,
                    request_id=uuid.uuid4().hex,
                ),
            )
            acked.append([t.id, loss])
            if time.time() <= end:
                in_window += 1
        except Exception as e:  # noqa: BLE001 (a killed server: move on to the next one)
            errors.append(f"{addresses[server]}: {type(e).__name__}: {str(e)[:200]}")
            client.close()
            server = (server + 1) % len(addresses)
            client = parzen.Client(addresses[server], timeout=3, worker_id=worker)
    cpu = cpu_seconds() - cpu
    client.close()
    return {
        "given": given,
        "acked": acked,
        "errors": errors,
        "in_window": in_window,
        "cpu": cpu,
    }


def run_optuna(
    sampler: str, storage: str, study_name: str, go: str, seconds: float, out: str
) -> dict[str, object]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    chosen = (
        optuna.samplers.TPESampler()
        if sampler == "tpe"
        else optuna.samplers.RandomSampler()
    )
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=chosen)
    in_window = 0
    end = wait_for_go(out, go, seconds)
    cpu = cpu_seconds()
    while time.time() < end:
        trial = study.ask()
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", -1.0, 1.0)
        study.tell(trial, objective(x, y))
        if time.time() <= end:
            in_window += 1
    cpu = cpu_seconds() - cpu
    return {"given": [], "acked": [], "errors": [], "in_window": in_window, "cpu": cpu}


def main() -> None:
    kind, target, name, go, seconds, out = sys.argv[1:7]
    if kind == "parzen":
        result = run_parzen(target.split(","), name, go, float(seconds), out)
    else:
        result = run_optuna(
            kind.removeprefix("optuna-"), target, name, go, float(seconds), out
        )
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
