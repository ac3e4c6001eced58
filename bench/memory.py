"""Memory stage: the server's resident memory with many experiments of long
histories loaded.

    python bench/memory.py load  --address A --pid PID --out bench/out/memory.json [--experiments 100] [--trials 10000]
    python bench/memory.py touch --address A --pid PID --out bench/out/memory.json

``load`` creates the experiments (Hartmann6's 6-D space, TPE), imports the
trials (random points, true values) with AddTrials, and samples VmRSS/VmHWM
from /proc/PID/status. ``touch`` (run after run.sh restarted the server on the
same database) makes one Suggest+Report on every experiment, so every history
is back in memory, and samples again. Each mode ends with a sample of the
idle server (see ``settle``), up to --settle seconds later.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Dict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import problems as P  # noqa: E402


def status(pid: int) -> Dict[str, float]:
    out: Dict[str, float] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = float(v.split()[0]) / 1024.0  # kB -> MB
    return out


def sample(pid: int, when: str) -> Dict[str, Any]:
    s = status(pid)
    r = {"when": when, "rss_mb": s["VmRSS"], "hwm_mb": s["VmHWM"]}
    print(f"memory: {when}: VmRSS {r['rss_mb']:.0f} MB, VmHWM {r['hwm_mb']:.0f} MB", file=sys.stderr, flush=True)
    return r


def settle(pid: int, seconds: float, when: str) -> Dict[str, Any]:
    """Samples again once the idle server has returned garbage to the OS.

    V8 keeps the heap it grew during a burst of calls (the imports, the
    loads) until it has been idle for a while; this polls every 5 s, for at
    most ``seconds``, and stops once VmRSS has fallen by a tenth and then
    held steady, so the sample shows what the loaded histories themselves
    cost.
    """
    t0 = time.perf_counter()
    start = last = status(pid)["VmRSS"]
    steady = 0
    while time.perf_counter() - t0 < seconds:
        time.sleep(5)
        rss = status(pid)["VmRSS"]
        steady = steady + 1 if abs(rss - last) <= 0.02 * last else 0
        last = rss
        if rss <= 0.9 * start and steady >= 2:
            break
    return sample(pid, f"{when}, idle {time.perf_counter() - t0:.0f} s")


def touch(client: Any, p: P.Problem, experiments: int) -> int:
    """One Suggest+Report on every experiment; returns how many failed."""
    errors = 0
    for e in range(experiments):
        try:
            exp = client.get_experiment(f"mem-{e:03d}")
            t = exp.suggest()
            t.report(p.f(t.flat_params))
        except Exception as err:  # counted and reported; memory is still measured
            errors += 1
            if errors == 1:
                print(f"memory: Suggest failed on mem-{e:03d}: {err}", file=sys.stderr, flush=True)
    return errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["load", "touch"])
    ap.add_argument("--address", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--experiments", type=int, default=100)
    ap.add_argument("--trials", type=int, default=10000)
    ap.add_argument("--settle", type=float, default=150, help="seconds to wait at most for an idle sample (0: none)")
    args = ap.parse_args()
    import parzen
    from parzen.v1 import optimizer_service_pb2 as svc
    from parzen.v1 import trial_pb2
    from parzen.values import to_value_map

    p = P.BY_NAME["hartmann6"]
    client = parzen.Client(args.address, timeout=600)
    if args.mode == "load":
        m: Dict[str, Any] = {
            "experiments": args.experiments,
            "trials_per_experiment": args.trials,
            "space": "Hartmann6 (6 floats)",
            "algorithm": "tpe",
            "samples": [sample(args.pid, "empty server")],
        }
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for e in range(args.experiments):
            exp = client.create_experiment(f"mem-{e:03d}", P.parzen_space(p), algorithm="tpe", seed=e)
            for i in range(0, args.trials, 2500):
                pts = rng.uniform(0.0, 1.0, size=(min(2500, args.trials - i), 6))
                # Built as protos directly (what exp.add_trials sends, without its
                # per-record template encoding, which would dominate the client's time).
                imports = []
                for row in pts:
                    v = {f"x{j}": float(row[j]) for j in range(6)}
                    imports.append(svc.TrialImport(params=to_value_map(v), state=trial_pb2.TRIAL_STATE_COMPLETE, loss=p.f(v)))
                client.connection.call("AddTrials", svc.AddTrialsRequest(experiment=exp.name, trials=imports))
            if (e + 1) % 10 == 0:
                print(f"memory: {e + 1}/{args.experiments} experiments imported, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        m["import_seconds"] = time.perf_counter() - t0
        m["samples"].append(sample(args.pid, "after AddTrials of all experiments"))
        # One Suggest+Report on each, as a live server would see.
        m["suggest_errors"] = touch(client, p, args.experiments)
        m["samples"].append(sample(args.pid, "after one Suggest+Report on each"))
        if args.settle > 0:
            m["samples"].append(settle(args.pid, args.settle, "after one Suggest+Report on each"))
    else:
        with open(args.out) as f:
            m = json.load(f)
        m["samples"].append(sample(args.pid, "restarted server, before any call"))
        t0 = time.perf_counter()
        m["suggest_errors_after_restart"] = touch(client, p, m["experiments"])
        m["touch_seconds"] = time.perf_counter() - t0
        m["samples"].append(sample(args.pid, f"restarted server, after one Suggest+Report on each ({m['touch_seconds']:.1f} s)"))
        if args.settle > 0:
            m["samples"].append(settle(args.pid, args.settle, "restarted server, after one Suggest+Report on each"))
    client.close()
    with open(args.out, "w") as f:
        json.dump(m, f, indent=1)


if __name__ == "__main__":
    main()
