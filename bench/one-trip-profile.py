"""One form of a lone Python worker's cycle, repeated, for profiling the
server (run it under `node --cpu-prof dist/cli/main.js serve`) and timing
the client's own share: 6-D TPE (hartmann6) over N imported trials, as
bench/one-trip.py, but only one form at a time.

    python bench/one-trip-profile.py --address 127.0.0.1:PORT --form one|two [--n 1000 --cycles 2000]

Prints the cycle's p50/p95 and, for the one trip, the client's time outside
the gRPC call (building the request, wrapping the answer) per cycle.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
import warnings
from typing import Any, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from latency import SPACES, TAG, history, quantiles  # noqa: E402

import problems as P  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--form", choices=["one", "two"], required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--cycles", type=int, default=2000)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import parzen
    from parzen.trial import svc

    client = parzen.Client(args.address, timeout=600)
    p = SPACES["hartmann6"]
    exp = client.create_experiment(f"prof-{args.form}-{TAG}", P.parzen_space(p), algorithm="tpe", seed=1)
    exp.add_trials([{"params": v, "loss": p.f(v)} for v in history(p, args.n)])
    f = p.f
    cycle: List[float] = []
    rpc: List[float] = []
    conn = client.connection
    trial = exp.suggest()
    for i in range(args.cycles):
        t0 = time.perf_counter()
        if args.form == "one":
            loss = f(trial.flat_params)
            req = svc.ReportRequest(
                trial_id=trial.id,
                status=svc.REPORT_STATUS_OK,
                request_id=uuid.uuid4().hex,
                suggest_next=True,
                worker_id=client.worker_id,
                loss=loss,
            )
            r0 = time.perf_counter()
            resp = conn.call("Report", req)
            r1 = time.perf_counter()
            trial = parzen.Trial(exp, resp.next.trials[0])
        else:
            trial.report(f(trial.flat_params))
            r0 = time.perf_counter()
            r1 = r0
            trial = exp.suggest()
        t1 = time.perf_counter()
        if i >= 50:
            cycle.append((t1 - t0) * 1e3)
            rpc.append((r1 - r0) * 1e3)
    q = quantiles(cycle)
    line = f"{args.form}: N={args.n}..{args.n + args.cycles} cycle p50 {q['p50_ms']:.3f} ms p95 {q['p95_ms']:.3f} ms"
    if args.form == "one":
        outside = [c - r for c, r in zip(cycle, rpc)]
        line += f"; in the Report call p50 {quantiles(rpc)['p50_ms']:.3f} ms, client outside it p50 {quantiles(outside)['p50_ms']:.3f} ms"
    print(line, flush=True)
    trial.fail("benchmark over")
    exp.delete()


if __name__ == "__main__":
    main()
