"""A lone Python worker's cycle, two calls (Suggest, then Report) against one
round trip (Report with suggest_next, which answers the next trial), side by
side on one server: 6-D TPE (hartmann6) over N imported trials, timed
interleaved in blocks (latency.time_round_robin) so both see the same machine.

    python bench/one-trip.py --address 127.0.0.1:PORT [--n 1000 --cycles 300 --reps 3]

Prints per repetition the p50/p95 of each and the speed-up of the p50.
With --objective-ms X the objective busy-waits X ms, as a real trainer's takes
time, and the figures are the cycle's time outside it (the worker's overhead):
a lone worker's next suggestion can then be computed while it trains.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from latency import SPACES, TAG, history, quantiles, time_round_robin, warm_up  # noqa: E402

import problems as P  # noqa: E402


def server_cpu_ns(pid: int) -> int:
    """CPU time of every thread of process `pid` so far (schedstat: ns, unlike stat's 10 ms ticks)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def cpu_round_robin(
    cycles: Dict[str, Callable[[], None]], count: int, warmup: int, block: int, pid: int
) -> Tuple[Dict[str, List[float]], Dict[str, Tuple[float, float]]]:
    """time_round_robin, and each form's server and client CPU per cycle (µs), read between blocks only."""
    names = list(cycles)
    for _ in range(warmup):
        for name in names:
            cycles[name]()
    out: Dict[str, List[float]] = {name: [] for name in names}
    cpu = {name: [0, 0.0] for name in names}
    for i in range(-(-count // block)):
        for name in names if i % 2 == 0 else reversed(names):
            s0, c0 = server_cpu_ns(pid), time.process_time()
            for _ in range(min(block, count - i * block)):
                t0 = time.perf_counter()
                cycles[name]()
                out[name].append((time.perf_counter() - t0) * 1e3)
            # The last cycle's work after its answer (the prefetch, the computation ahead) is the next block's.
            cpu[name][0] += server_cpu_ns(pid) - s0
            cpu[name][1] += time.process_time() - c0
    per = {name: (cpu[name][0] / 1e3 / count, cpu[name][1] * 1e6 / count) for name in names}
    return out, per


def experiment(client: Any, name: str, n: int) -> Any:
    p = SPACES["hartmann6"]
    exp = client.create_experiment(name, P.parzen_space(p), algorithm="tpe", seed=1)
    pts = history(p, n)
    exp.add_trials([{"params": v, "loss": p.f(v)} for v in pts])
    return exp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--cycles", type=int, default=300)
    ap.add_argument("--block", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--objective-ms", type=float, default=0.0)
    ap.add_argument("--server-pid", type=int, help="also give the server's and the client's CPU per cycle")
    ap.add_argument("--loop", action="store_true", help="also time the one trip as `for trial in exp.loop()` runs it")
    ap.add_argument(
        "--baseline-address",
        help="also time the two-call cycle on this server (another build, e.g. the one the issue measured), "
        "interleaved with the others",
    )
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import parzen

    client = parzen.Client(args.address, timeout=600)
    warm_up(client)
    baseline_client = None
    if args.baseline_address is not None:
        baseline_client = parzen.Client(args.baseline_address, timeout=600)
        warm_up(baseline_client)
    hartmann6 = SPACES["hartmann6"].f

    def f(params: Any) -> float:
        end = time.perf_counter() + args.objective_ms / 1000
        while time.perf_counter() < end:
            pass
        return float(hartmann6(params))

    for rep in range(args.reps):
        two = experiment(client, f"trip-two-{TAG}-{rep}", args.n)
        one = experiment(client, f"trip-one-{TAG}-{rep}", args.n)
        held = {"trial": one.suggest()}

        def two_calls() -> None:
            t = two.suggest()
            t.report(f(t.flat_params))

        def one_trip() -> None:
            t = held["trial"]
            resp = t._send(parzen.trial.svc.REPORT_STATUS_OK, loss=f(t.flat_params), suggest_next=True)
            held["trial"] = parzen.Trial(one, resp.next.trials[0])

        cycles: Dict[str, Callable[[], None]] = {"two calls": two_calls, "one trip": one_trip}
        if args.loop:
            looped = experiment(client, f"trip-loop-{TAG}-{rep}", args.n)
            trials = looped.loop()
            current = {"trial": next(trials)}

            def in_loop() -> None:
                # One iteration of `for trial in exp.loop(): trial.report(f(...))`: the report goes with the next ask.
                t = current["trial"]
                t.report(f(t.flat_params))
                current["trial"] = next(trials)

            cycles["exp.loop()"] = in_loop
        if baseline_client is not None:
            base = experiment(baseline_client, f"trip-base-{TAG}-{rep}", args.n)

            def baseline_two_calls() -> None:
                t = base.suggest()
                t.report(f(t.flat_params))

            cycles["baseline two calls"] = baseline_two_calls
        if args.server_pid is None:
            times = time_round_robin(cycles, args.cycles, warmup=10, block=args.block)
            cpu: Dict[str, Tuple[float, float]] = {}
        else:
            times, cpu = cpu_round_robin(cycles, args.cycles, 10, args.block, args.server_pid)
        q = {name: quantiles([t - args.objective_ms for t in ms]) for name, ms in times.items()}
        print(
            f"rep {rep}: N={args.n}..{args.n + args.cycles + 10}"
            + (f", outside a {args.objective_ms:g} ms objective " if args.objective_ms > 0 else " ")
            + "; ".join(f"{name} p50 {v['p50_ms']:.2f} ms p95 {v['p95_ms']:.2f} ms" for name, v in q.items())
            + f"; speed-up of the p50 {q['two calls']['p50_ms'] / q['one trip']['p50_ms']:.2f}x"
            + (
                f" (against the baseline's two calls {q['baseline two calls']['p50_ms'] / q['one trip']['p50_ms']:.2f}x)"
                if baseline_client is not None
                else ""
            )
            + "".join(f"; {name} CPU/cycle server {sv:.0f} us client {cl:.0f} us" for name, (sv, cl) in cpu.items()),
            flush=True,
        )
        held["trial"].fail("benchmark over")
        two.delete()
        one.delete()
        if baseline_client is not None:
            base.delete()
        if args.loop:
            trials.close()  # the pending iteration fails its trial, as a loop left by an exception does
            looped.delete()


if __name__ == "__main__":
    main()
