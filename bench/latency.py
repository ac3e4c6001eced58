"""Speed stage: Suggest+Report latency with N completed trials of history.

For each space (Hartmann6's 6-D box and a 10-D box, Styblinski–Tang's
[-5, 5]^10) and each N, N random points with their true values are imported
(Parzen: ``exp.add_trials``, i.e. AddTrials; Optuna: ``create_trial`` +
``study.add_trials``), then 100 cycles of each sampler are timed,
interleaved in blocks of 10 so that all of them run under the same machine
conditions (see ``time_round_robin``):

* Parzen: ``exp.suggest()`` + ``trial.report(loss)`` through the real gRPC
  server and its SQLite file, from this Python client;
* Optuna: ``study.ask(distributions)`` + ``study.tell(trial, loss)``
  in-process, in-memory storage (no database).

    python bench/latency.py --address 127.0.0.1:PORT --out bench/out/latency.json

Writes a JSON list of {sampler, space, n, p50_ms, p95_ms, mean_ms, cycles,
interleaved_with}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
import warnings
from typing import Any, Callable, Dict, List, Tuple

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


def time_round_robin(cycles: Dict[str, Callable[[], None]], count: int, warmup: int, block: int) -> Dict[str, List[float]]:
    """Times `count` cycles of every sampler, interleaved in blocks of `block`.

    The machine's speed drifts by a factor of two over minutes (a shared VM),
    so samplers timed one after the other are compared under different
    conditions. Interleaving short blocks puts every sampler under the same
    conditions, while within a block each runs back to back, as in an
    optimisation loop. (Alternating single cycles would time Parzen's server
    and client always cold: every Parzen cycle would follow tens of
    milliseconds of Optuna churning the caches, which roughly doubled the
    random-search floor here.) The order alternates each round so no
    sampler always goes first."""
    names = list(cycles)
    for _ in range(warmup):
        for name in names:
            cycles[name]()
    out: Dict[str, List[float]] = {name: [] for name in names}
    for i in range(-(-count // block)):
        for name in names if i % 2 == 0 else reversed(names):
            for _ in range(min(block, count - i * block)):
                t0 = time.perf_counter()
                cycles[name]()
                out[name].append((time.perf_counter() - t0) * 1e3)
    return out


def parzen_cycle(client: Any, algorithm: str, space_name: str, n: int, tag: str = TAG) -> Tuple[Callable[[], None], Dict[str, Any]]:
    """An experiment (named lat-ALGORITHM-SPACE-N-TAG) with N completed trials imported, and its Suggest+Report cycle."""
    p = SPACES[space_name]
    exp = client.create_experiment(f"lat-{algorithm}-{space_name}-{n}-{tag}", P.parzen_space(p), algorithm=algorithm, seed=1)
    pts = history(p, n)
    t0 = time.perf_counter()
    for i in range(0, n, 2000):
        exp.add_trials([{"params": v, "loss": p.f(v)} for v in pts[i : i + 2000]])
    info = {"import_s": time.perf_counter() - t0}

    def cycle() -> None:
        t = exp.suggest()
        t.report(p.f(t.flat_params))

    return cycle, info


def warm_up(client: Any) -> None:
    """A fresh server's first calls run unoptimised code: warm it up (as a
    server in service is) so the first measured space is not penalised."""
    p = SPACES["hartmann6"]
    warm = client.create_experiment(f"lat-warmup-{TAG}", P.parzen_space(p), algorithm="tpe", seed=1)
    warm.add_trials([{"params": v, "loss": p.f(v)} for v in history(p, 1000)])
    for _ in range(300):
        t = warm.suggest()
        t.report(p.f(t.flat_params))
    warm.delete()


def optuna_cycle(kind: str, space_name: str, n: int) -> Callable[[], None]:
    """An in-memory study with the same N completed trials, and its ask+tell cycle."""
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

    return cycle


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ns", default="100,1000,5000,10000")
    ap.add_argument("--gp-ns", default="100,200,500")
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--gp-cycles", type=int, default=50)
    ap.add_argument("--block", type=int, default=10, help="cycles of one sampler in a row before the next one's turn")
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

    warm_up(client)

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

    def measure_round_robin(space_name: str, n: int, algorithms: List[str], optuna_kinds: List[str], count: int, warmup: int) -> None:
        """One round-robin of Parzen and Optuna samplers over the same history."""
        names = {"default": "optuna_tpe", "univariate": "optuna_tpe_univariate", "gp": "optuna_gp"}
        if not algorithms and not optuna_kinds:
            return
        cycles: Dict[str, Callable[[], None]] = {}
        info: Dict[str, Dict[str, Any]] = {}
        try:
            for algorithm in algorithms:
                cycles[f"parzen_{algorithm}"], info[f"parzen_{algorithm}"] = parzen_cycle(client, algorithm, space_name, n)
            for kind in optuna_kinds:
                cycles[names[kind]] = optuna_cycle(kind, space_name, n)
            timed = time_round_robin(cycles, count, warmup, args.block)
        except Exception as e:  # a failing measurement is recorded; the others go on
            for sampler in [f"parzen_{a}" for a in algorithms] + [names[k] for k in optuna_kinds]:
                emit({"sampler": sampler, "space": space_name, "n": n, "error": f"{type(e).__name__}: {e}"[:300]})
            return
        together = sorted(cycles)
        for sampler, ms in timed.items():
            emit({"sampler": sampler, "space": space_name, "n": n, "interleaved_with": [s for s in together if s != sampler], **info.get(sampler, {}), **quantiles(ms)})

    for space_name in SPACES:
        for n in ns:
            kinds = (["default"] if n <= args.optuna_max_n else []) + (["univariate"] if n <= args.univariate_max_n else [])
            # The floor, gRPC + SQLite with no model (random search), at N = 1,000.
            algorithms = ["tpe", "random"] if n == 1000 else ["tpe"]
            measure_round_robin(space_name, n, algorithms, kinds, args.cycles, 5)
    for n in gp_ns:
        measure_round_robin("10d", n, ["gp"] if args.gp else [], ["gp"] if args.optuna_gp else [], args.gp_cycles, 2)
    client.close()


if __name__ == "__main__":
    main()
