"""Suggest+Report latency of two Parzen servers side by side (bench/ab.sh).

The same cycles as bench/latency.py (same spaces, same imported histories,
same experiment seed), timed on two servers, e.g. the code before and after
a change, interleaved in blocks (``time_round_robin``), so that whatever
else the machine is doing hits both alike. Each repetition creates fresh
experiments on both servers (deleted afterwards) and times them again.

    python bench/ab-latency.py --server old=127.0.0.1:P1 --server new=127.0.0.1:P2 --out bench/out/ab-latency.json

Writes a JSON list of {server, algorithm, space, n, rep, p50_ms, p95_ms, mean_ms, cycles}
and prints, per case, the median over repetitions of each server's p50 and p95,
with their range.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from typing import Any, Callable, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from latency import SPACES, TAG, parzen_cycle, quantiles, time_round_robin, warm_up  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", action="append", required=True, help="NAME=ADDRESS; give it twice (or more)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ns", default="1000,5000")
    ap.add_argument("--spaces", default=",".join(SPACES))
    ap.add_argument("--algorithms", default="tpe,random", help="random (the floor: gRPC + SQLite, no model) is timed at the first N only")
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--block", type=int, default=10)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import parzen

    servers = dict(s.split("=", 1) for s in args.server)
    clients = {name: parzen.Client(address, timeout=600) for name, address in servers.items()}
    for client in clients.values():
        warm_up(client)
    ns = [int(x) for x in args.ns.split(",") if x]
    algorithms = [a for a in args.algorithms.split(",") if a]
    rows: List[Dict[str, Any]] = []
    for rep in range(args.reps):
        for space_name in args.spaces.split(","):
            for n in ns:
                algs = algorithms if n == ns[0] else [a for a in algorithms if a != "random"]
                cycles: Dict[str, Callable[[], None]] = {}
                tag = f"{TAG}-{rep}"
                for name, client in clients.items():
                    for algorithm in algs:
                        cycles[f"{name}/{algorithm}"], _ = parzen_cycle(client, algorithm, space_name, n, tag)
                # Alternate which server goes first from one repetition to the next.
                if rep % 2 == 1:
                    cycles = dict(reversed(list(cycles.items())))
                timed = time_round_robin(cycles, args.cycles, 5, args.block)
                for key, ms in timed.items():
                    name, algorithm = key.split("/")
                    row = {"server": name, "algorithm": algorithm, "space": space_name, "n": n, "rep": rep, **quantiles(ms)}
                    rows.append(row)
                    print(f"ab: rep {rep} {key:<14} {space_name:<9} N={n:<5} p50 {row['p50_ms']:6.2f} ms  p95 {row['p95_ms']:6.2f} ms", file=sys.stderr, flush=True)
                for client in clients.values():
                    for algorithm in algs:
                        client.get_experiment(f"lat-{algorithm}-{space_name}-{n}-{tag}").delete()
                with open(args.out, "w") as f:
                    json.dump(rows, f, indent=1)
    for client in clients.values():
        client.close()
    summary(rows, list(servers))


def summary(rows: List[Dict[str, Any]], names: List[str]) -> None:
    """Median over repetitions of each server's p50 and p95 (min–max of the p50s)."""
    cases = sorted({(r["algorithm"], r["space"], r["n"]) for r in rows}, key=lambda c: (c[0] != "tpe", c[1], c[2]))
    print("| algorithm | space | N | " + " | ".join(f"{n} p50 [range] / p95" for n in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for algorithm, space, n in cases:
        cells = []
        for name in names:
            mine = [r for r in rows if (r["server"], r["algorithm"], r["space"], r["n"]) == (name, algorithm, space, n)]
            p50 = [r["p50_ms"] for r in mine]
            p95 = [r["p95_ms"] for r in mine]
            cells.append(f"{np.median(p50):.2f} [{min(p50):.2f}–{max(p50):.2f}] / {np.median(p95):.2f}")
        print(f"| {algorithm} | {space} | {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
