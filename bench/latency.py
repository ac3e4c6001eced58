"""Speed stage: Suggest+Report latency with N completed trials of history.

For each space (Hartmann6's 6-D box and a 10-D box, Styblinski–Tang's
[-5, 5]^10) and each N, N random points with their true values are imported
(Parzen: ``exp.add_trials``, i.e. AddTrials; Optuna: ``create_trial`` +
``study.add_trials``), then 50 cycles are timed:

* Parzen: ``exp.suggest()`` + ``trial.report(loss)`` through the real gRPC
  server and its SQLite file, from this Python client;
* Optuna: ``study.ask(distributions)`` + ``study.tell(trial, loss)``
  in-process, in-memory storage (no database).

    python bench/latency.py --address 127.0.0.1:PORT --out bench/out/latency.json

Writes a JSON list of {sampler, space, n, p50_ms, p95_ms, mean_ms, cycles}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
import warnings
from typing import Any, Callable, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import problems as P  # noqa: E402

SPACES = {"hartmann6": P.BY_NAME["hartmann6"], "10d": P.BY_NAME["styblinski_tang10"]}
TAG = uuid.uuid4().hex[:8]


def history(p: P.Problem, n: int, seed: int = 12345) -> List[Dict[str, float]]:
    rng = np.random.default_rng(seed)
    pts = []
    for _ in range(n):
        pts.append({s[1]: float(rng.uniform(s[2], s[3])) for s in p.spec})
    return pts


def quantiles(ms: List[float]) -> Dict[str, float]:
    a = np.asarray(ms)
    return {"p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)), "mean_ms": float(a.mean()), "cycles": len(ms)}


def time_cycles(cycle: Callable[[], None], cycles: int, warmup: int) -> List[float]:
    for _ in range(warmup):
        cycle()
    out = []
    for _ in range(cycles):
        t0 = time.perf_counter()
        cycle()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def parzen_latency(client: Any, algorithm: str, space_name: str, n: int, cycles: int, warmup: int) -> Dict[str, Any]:
    p = SPACES[space_name]
    exp = client.create_experiment(f"lat-{algorithm}-{space_name}-{n}-{TAG}", P.parzen_space(p), algorithm=algorithm, seed=1)
    pts = history(p, n)
    t0 = time.perf_counter()
    for i in range(0, n, 2000):
        exp.add_trials([{"params": v, "loss": p.f(v)} for v in pts[i : i + 2000]])
    import_s = time.perf_counter() - t0

    def cycle() -> None:
        t = exp.suggest()
        t.report(p.f(t.flat_params))

    ms = time_cycles(cycle, cycles, warmup)
    return {"sampler": f"parzen_{algorithm}", "space": space_name, "n": n, "import_s": import_s, **quantiles(ms)}


def optuna_latency(kind: str, space_name: str, n: int, cycles: int, warmup: int) -> Dict[str, Any]:
    import optuna

    p = SPACES[space_name]
    dists = P.optuna_distributions(p)
    if kind == "gp":
        sampler = optuna.samplers.GPSampler(seed=1)
    elif kind == "univariate":
        sampler = optuna.samplers.TPESampler(seed=1, multivariate=False)
    elif int(optuna.__version__.split(".")[0]) >= 5:
        sampler = optuna.samplers.TPESampler(seed=1)
    else:
        sampler = optuna.samplers.TPESampler(seed=1, multivariate=True, constant_liar=True)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    study.add_trials([optuna.trial.create_trial(params=v, distributions=dists, value=p.f(v)) for v in history(p, n)])

    def cycle() -> None:
        t = study.ask(dists)
        study.tell(t, p.f(t.params))

    ms = time_cycles(cycle, cycles, warmup)
    name = {"default": "optuna_tpe", "univariate": "optuna_tpe_univariate", "gp": "optuna_gp"}[kind]
    return {"sampler": name, "space": space_name, "n": n, **quantiles(ms)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ns", default="100,1000,5000,10000")
    ap.add_argument("--gp-ns", default="100,200,500")
    ap.add_argument("--cycles", type=int, default=50)
    ap.add_argument("--gp-cycles", type=int, default=50)
    ap.add_argument("--gp", action="store_true", help="Parzen's server has algorithm gp")
    ap.add_argument("--optuna-gp", action="store_true", help="torch is installed: time Optuna's GPSampler")
    ap.add_argument("--optuna-max-n", type=int, default=10**9, help="largest N for Optuna's default TPE")
    ap.add_argument("--univariate-max-n", type=int, default=1000, help="largest N for Optuna's univariate TPE")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import optuna
    import parzen

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    client = parzen.Client(args.address, timeout=600)
    ns = [int(x) for x in args.ns.split(",") if x]
    gp_ns = [int(x) for x in args.gp_ns.split(",") if x]
    rows: List[Dict[str, Any]] = []

    # A fresh server's first calls run unoptimised code: warm it up (as a
    # server in service is) so the first measured space is not penalised.
    warm = client.create_experiment(f"lat-warmup-{TAG}", P.parzen_space(SPACES["hartmann6"]), algorithm="tpe", seed=1)
    warm.add_trials([{"params": v, "loss": SPACES["hartmann6"].f(v)} for v in history(SPACES["hartmann6"], 1000)])
    for _ in range(300):
        t = warm.suggest()
        t.report(SPACES["hartmann6"].f(t.flat_params))
    warm.delete()

    def emit(r: Dict[str, Any]) -> None:
        rows.append(r)
        if "error" in r:
            print(f"latency: {r['sampler']:<22} {r['space']:<9} N={r['n']:<6} FAILED: {r['error']}", file=sys.stderr, flush=True)
            with open(args.out, "w") as f:
                json.dump(rows, f, indent=1)
            return
        print(
            f"latency: {r['sampler']:<22} {r['space']:<9} N={r['n']:<6} p50 {r['p50_ms']:8.2f} ms  p95 {r['p95_ms']:8.2f} ms",
            file=sys.stderr,
            flush=True,
        )
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)

    def measure(sampler: str, space_name: str, n: int, fn: Callable[[], Dict[str, Any]]) -> None:
        try:
            emit(fn())
        except Exception as e:  # a failing measurement is recorded; the others go on
            emit({"sampler": sampler, "space": space_name, "n": n, "error": f"{type(e).__name__}: {e}"[:300]})

    for space_name in SPACES:
        for n in ns:
            measure("parzen_tpe", space_name, n, lambda: parzen_latency(client, "tpe", space_name, n, args.cycles, 5))
            if n <= args.optuna_max_n:
                measure("optuna_tpe", space_name, n, lambda: optuna_latency("default", space_name, n, args.cycles, 2))
            if n <= args.univariate_max_n:
                measure("optuna_tpe_univariate", space_name, n, lambda: optuna_latency("univariate", space_name, n, args.cycles, 2))
        # The floor: gRPC + SQLite with no model (random search).
        measure("parzen_random", space_name, 1000, lambda: parzen_latency(client, "random", space_name, 1000, args.cycles, 5))
    for n in gp_ns:
        if args.gp:
            measure("parzen_gp", "10d", n, lambda: parzen_latency(client, "gp", "10d", n, args.gp_cycles, 2))
        if args.optuna_gp:
            measure("optuna_gp", "10d", n, lambda: optuna_latency("gp", "10d", n, args.gp_cycles, 1))
    client.close()


if __name__ == "__main__":
    main()
