"""Pruning benchmark: how much compute each pruner saves on a simulated
learning-curve problem, and what it costs in final quality.

    bench/.venv/bin/python bench/pruning.py [--address HOST:PORT] [--seeds 10] [--trials 50]
        [--epochs 60] [--pruners none,median,...] [--jobs 2] [--out bench/out/pruning.json]

Without ``--address`` (or ``$PARZEN_ADDRESS``) a local server is started
with ``parzen.LocalServer`` on a temporary SQLite file and stopped at the end.

The problem: a model with four hyperparameters (learning rate, width,
dropout, weight decay) whose validation loss per epoch is

    y_t = final(x) * (1 + a * exp(-t / tau(x))) * (1 + noise),  t = 1..epochs

``final`` is a smooth bowl (0.08 at the optimum, about 0.9 at the worst
corner); ``tau`` grows as the learning rate shrinks (slow learners look bad
early, the trap early stopping can fall into), and learning rates above
0.2 diverge (values double every epoch and become NaN past 1e6). Each run is
TPE (the server's default) with one pruner for a fixed budget of trials,
one worker, trials evaluated one after another; a trial reports every epoch
through ``report_intermediate`` and stops (PRUNED) when told to; a trial
whose last value is NaN is reported FAIL.

Reported per pruner, medians over seeds: epochs consumed (the compute),
the fraction saved against no pruning (same seeds), the best COMPLETE
trial's final value (and the noise-free value its configuration converges
to), the best value among the trials finished within a third of the
no-pruning compute (what pruning buys at equal compute), and pruned trials.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import parzen
from parzen import hp, pruners

#: The pruners compared, in table order.
PRUNERS: Dict[str, pruners.Pruner] = {
    "none": pruners.NoPruner(),
    "median": pruners.Median(),
    "percentile_25": pruners.Percentile(25.0),
    "successive_halving": pruners.SuccessiveHalving(),
    "hyperband": pruners.Hyperband(),
    "threshold": pruners.Threshold(upper=5.0),
}

SPACE = {
    "lr": hp.loguniform("lr", math.log(1e-5), math.log(1.0)),
    "width": hp.qloguniform("width", math.log(16), math.log(512), 1),
    "dropout": hp.uniform("dropout", 0.0, 0.7),
    "wd": hp.loguniform("wd", math.log(1e-6), math.log(1e-1)),
}

A = 2.0
NOISE = 0.02


def final_value(p: Dict[str, float]) -> float:
    """The loss the configuration converges to."""
    u = math.log10(p["lr"]) + 2.5
    return (
        0.08
        + 0.06 * u * u
        + 0.05 * (math.log2(p["width"]) - 8.0) ** 2 / 4
        + 0.6 * (p["dropout"] - 0.25) ** 2
        + 0.03 * (math.log10(p["wd"]) + 4.0) ** 2 / 4
    )


def time_constant(p: Dict[str, float]) -> float:
    """Epochs to converge by a factor e: slow for small learning rates."""
    return min(max(3.0 + 10.0 * math.sqrt(1e-2 / p["lr"]), 3.0), 80.0)


def curve_value(p: Dict[str, float], epoch: int, rng: np.random.Generator) -> float:
    y = final_value(p) * (1 + A * math.exp(-epoch / time_constant(p))) * (1 + NOISE * float(rng.standard_normal()))
    if p["lr"] > 0.2:
        onset = int(2 + 10 * (1 - p["lr"]))
        if epoch > onset:
            y *= 2.0 ** (epoch - onset)
            if y > 1e6:
                return math.nan
    return y


def run_one(address: str, pruner_key: str, seed: int, trials: int, epochs: int) -> Dict[str, Any]:
    client = parzen.Client(address, timeout=120, worker_id=f"bench-pruning-{os.getpid()}")
    name = f"bench-pruning-{pruner_key}-s{seed}-{uuid.uuid4().hex[:8]}"
    exp = client.create_experiment(name, SPACE, seed=seed, pruner=PRUNERS[pruner_key])
    consumed = 0
    pruned = 0
    failed = 0
    best = math.inf
    best_true = math.inf
    trace: List[Tuple[int, float]] = []  # (epochs consumed, best so far) after each trial
    start = time.monotonic()
    for _ in range(trials):
        trial = exp.suggest()
        p = trial.params
        rng = np.random.default_rng([seed, trial.number])
        value = math.nan
        stopped = False
        for epoch in range(1, epochs + 1):
            value = curve_value(p, epoch, rng)
            consumed += 1
            if trial.report_intermediate(epoch - 1, value):
                stopped = True
                break
        if stopped:
            trial.prune()
            pruned += 1
        elif not math.isfinite(value):
            trial.fail("diverged")
            failed += 1
        else:
            trial.report(value)
            if value < best:
                best = value
                best_true = final_value(p)
        trace.append((consumed, best))
    seconds = time.monotonic() - start
    exp.delete()
    client.close()
    return {
        "pruner": pruner_key,
        "seed": seed,
        "trials": trials,
        "epochs": epochs,
        "consumed": consumed,
        "pruned": pruned,
        "failed": failed,
        "best": best,
        "best_final": best_true,
        "seconds": seconds,
        "trace": trace,
    }


def _job(args: Tuple[str, str, int, int, int]) -> Dict[str, Any]:
    return run_one(*args)


def best_within(trace: List[Tuple[int, float]], budget: int) -> float:
    """The best COMPLETE value among the trials finished within ``budget`` epochs."""
    best = math.inf
    for consumed, b in trace:
        if consumed > budget:
            break
        best = b
    return best


def report(rows: List[Dict[str, Any]], keys: List[str]) -> str:
    by: Dict[str, Dict[int, Dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["pruner"], {})[r["seed"]] = r
    base = by.get("none", {})
    first = rows[0]
    budget = first["trials"] * first["epochs"] // 3
    lines = [
        f"| pruner | epochs (median) | saved vs none | median best final value | best's noise-free final | best within {budget} epochs | pruned trials (median) | s/run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k in keys:
        runs = by.get(k)
        if not runs:
            continue
        consumed = statistics.median(r["consumed"] for r in runs.values())
        saved = [1 - r["consumed"] / base[s]["consumed"] for s, r in runs.items() if s in base]
        saved_s = f"{100 * statistics.median(saved):.0f}%" if saved else "n/a"
        best = statistics.median(r["best"] for r in runs.values())
        best_final = statistics.median(r["best_final"] for r in runs.values())
        pruned = statistics.median(r["pruned"] for r in runs.values())
        secs = statistics.median(r["seconds"] for r in runs.values())
        within = statistics.median(best_within(r["trace"], budget) for r in runs.values())
        lines.append(
            f"| {k} | {consumed:.0f} | {saved_s} | {best:.4f} | {best_final:.4f} | {within:.4f} | {pruned:.0f} | {secs:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--address", default=os.environ.get("PARZEN_ADDRESS"), help="a running server (default: start a local one)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trials", type=int, default=50, help="trials per run (the fixed budget)")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--pruners", default=",".join(PRUNERS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", help="write every run as JSON lines here")
    a = ap.parse_args(argv)
    keys = [k for k in a.pruners.split(",") if k]
    unknown = set(keys) - set(PRUNERS)
    if unknown:
        ap.error(f"unknown pruners {sorted(unknown)} (known: {', '.join(PRUNERS)})")

    server: Optional[parzen.LocalServer] = None
    address = a.address
    if not address:
        server = parzen.LocalServer().start()
        address = server.address
        assert address is not None
    try:
        jobs = [(address, k, s, a.trials, a.epochs) for s in range(a.seeds) for k in keys]
        started = time.monotonic()
        rows: List[Dict[str, Any]] = []
        with mp.get_context("spawn").Pool(max(1, a.jobs)) as pool:
            for r in pool.imap_unordered(_job, jobs):
                rows.append(r)
                print(
                    f"pruning: {r['pruner']:<18} seed {r['seed']}: {r['consumed']:5d} epochs, best {r['best']:.4f}, "
                    f"{r['pruned']} pruned, {r['seconds']:.1f} s",
                    file=sys.stderr,
                )
        wall = time.monotonic() - started
    finally:
        if server is not None:
            server.stop()
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            for r in sorted(rows, key=lambda r: (keys.index(r["pruner"]), r["seed"])):
                f.write(json.dumps(r) + "\n")
    print(
        f"Pruning benchmark: TPE, {a.trials} trials x up to {a.epochs} epochs, seeds 0..{a.seeds - 1}, "
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()} {os.cpu_count()} CPUs, {wall:.0f} s wall\n"
    )
    print(report(rows, keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
