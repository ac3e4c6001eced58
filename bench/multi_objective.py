"""Multi-objective and constrained stage (issue 20): Parzen's TPE (through
the real gRPC server and the Python client) against Optuna's multi-objective
TPE and NSGA-II (in process), same problems, seeds and budgets.

    python bench/multi_objective.py --address 127.0.0.1:PORT --out bench/out/mo.jsonl \
        [--seeds 20] [--budget 300] [--problems zdt1,bnh] [--samplers parzen_tpe,optuna_tpe] [--jobs 2]
    python bench/multi_objective.py --report bench/out/mo.jsonl [more.jsonl ...]  # markdown tables (runs combined)
    python bench/multi_objective.py --address ... --latency          # Suggest latency, N = 1,000

Each run records every trial's values and constraints; the report computes
the hypervolume of the feasible trials at 100, 200 and 300 trials against a
fixed reference point per problem (median and interquartile range over the
seeds), the median best feasible value of the single-objective constrained
problem, and the share of feasible trials after the first 10.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

Params = Dict[str, Any]


@dataclass(frozen=True)
class Problem:
    name: str
    title: str
    #: name -> ("float", low, high) | ("log", low, high) | ("int", low, high) | ("cat", options)
    space: Dict[str, tuple]
    directions: Tuple[str, ...]
    f: Callable[[Params], List[float]]
    #: constraint values (feasible when all <= 0), or None
    g: Optional[Callable[[Params], List[float]]]
    #: hypervolume reference point (minimisation) for several objectives
    ref: Optional[Tuple[float, ...]] = None
    #: best feasible value known (single objective)
    optimum: Optional[float] = None


def _x(p: Params, d: int) -> List[float]:
    return [float(p[f"x{i}"]) for i in range(d)]


def zdt(kind: int, d: int = 6) -> Callable[[Params], List[float]]:
    def f(p: Params) -> List[float]:
        x = _x(p, d)
        g = 1 + 9 * sum(x[1:]) / (d - 1)
        f1 = x[0]
        if kind == 1:
            h = 1 - math.sqrt(f1 / g)
        elif kind == 2:
            h = 1 - (f1 / g) ** 2
        else:
            h = 1 - math.sqrt(f1 / g) - (f1 / g) * math.sin(10 * math.pi * f1)
        return [f1, g * h]

    return f


def dtlz2(p: Params, d: int = 6, m: int = 3) -> List[float]:
    x = _x(p, d)
    g = sum((xi - 0.5) ** 2 for xi in x[m - 1 :])
    out = []
    for i in range(m):
        v = 1 + g
        for j in range(m - 1 - i):
            v *= math.cos(x[j] * math.pi / 2)
        if i > 0:
            v *= math.sin(x[m - 1 - i] * math.pi / 2)
        out.append(v)
    return out


_LR_BEST = {"adam": -3.0, "sgd": -1.5, "rmsprop": -2.5}
_OPT_ERR = {"adam": 0.0, "sgd": 0.05, "rmsprop": 0.02}


def mixed(p: Params) -> List[float]:
    """A model-size trade-off: error falls with depth and width, cost grows with them."""
    layers, width, opt, lr = int(p["layers"]), float(p["width"]), str(p["optimizer"]), float(p["lr"])
    err = 0.05 * (math.log10(lr) - _LR_BEST[opt]) ** 2 + 1.0 / (1 + 0.3 * layers * math.log2(width)) + _OPT_ERR[opt]
    if p["activation"] == "sigmoid":
        err += 0.1
    cost = layers * width / 8192
    return [err, cost]


def bnh(p: Params) -> List[float]:
    x1, x2 = float(p["x1"]), float(p["x2"])
    return [4 * x1 * x1 + 4 * x2 * x2, (x1 - 5) ** 2 + (x2 - 5) ** 2]


def bnh_g(p: Params) -> List[float]:
    x1, x2 = float(p["x1"]), float(p["x2"])
    return [(x1 - 5) ** 2 + x2 * x2 - 25, 7.7 - (x1 - 8) ** 2 - (x2 + 3) ** 2]


def czdt1_g(p: Params) -> List[float]:
    # Feasible only where x0 + x1 >= 0.8... and x1 <= 0.2: the unconstrained front (x1 = 0) is cut to x0 >= 0.6.
    x = _x(p, 6)
    return [0.8 - x[0] - x[1], x[1] - 0.2]


def sphere(p: Params) -> List[float]:
    return [sum(v * v for v in _x(p, 4))]


def sphere_g(p: Params) -> List[float]:
    # sum(x) >= 2: the feasible optimum is x_i = 0.5, value 1.
    return [2 - sum(_x(p, 4))]


UNIT6 = {f"x{i}": ("float", 0.0, 1.0) for i in range(6)}
PROBLEMS: List[Problem] = [
    Problem("zdt1", "ZDT1 (6-D)", UNIT6, ("minimize", "minimize"), zdt(1), None, ref=(1.1, 11.0)),
    Problem("zdt2", "ZDT2 (6-D)", UNIT6, ("minimize", "minimize"), zdt(2), None, ref=(1.1, 11.0)),
    Problem("zdt3", "ZDT3 (6-D)", UNIT6, ("minimize", "minimize"), zdt(3), None, ref=(1.1, 11.0)),
    Problem("dtlz2", "DTLZ2 (6-D, 3 objectives)", UNIT6, ("minimize",) * 3, dtlz2, None, ref=(2.2, 2.2, 2.2)),
    Problem(
        "mixed",
        "mixed bi-objective (int, log-int, 2 categorical, log-float)",
        {
            "layers": ("int", 1, 8),
            "width": ("cat", [16, 32, 64, 128, 256, 512, 1024]),
            "optimizer": ("cat", ["adam", "sgd", "rmsprop"]),
            "activation": ("cat", ["relu", "tanh", "sigmoid"]),
            "lr": ("log", 1e-5, 1.0),
        },
        ("minimize", "minimize"),
        mixed,
        None,
        ref=(3.0, 1.1),
    ),
    Problem(
        "bnh",
        "Binh-Korn (2 constraints)",
        {"x1": ("float", 0.0, 5.0), "x2": ("float", 0.0, 3.0)},
        ("minimize", "minimize"),
        bnh,
        bnh_g,
        ref=(140.0, 50.0),
    ),
    Problem("czdt1", "ZDT1 (6-D), 2 constraints", UNIT6, ("minimize", "minimize"), zdt(1), czdt1_g, ref=(1.1, 11.0)),
    Problem(
        "csphere",
        "sphere (4-D) s.t. sum(x) >= 2, optimum 1",
        {f"x{i}": ("float", -5.0, 5.0) for i in range(4)},
        ("minimize",),
        sphere,
        sphere_g,
        optimum=1.0,
    ),
]
BY_NAME = {p.name: p for p in PROBLEMS}
SAMPLERS = {
    "parzen_tpe": "Parzen TPE (default options, gRPC)",
    "parzen_tpe_split": "Parzen TPE with constraint_model=split (constrained problems only)",
    "parzen_nsga2": "Parzen NSGA-II (algorithm nsga2, default options: population 50, gRPC)",
    "parzen_gp": "Parzen GP with constraints (default options, gRPC; single-objective problems only: GP refuses several)",
    "optuna_tpe": "Optuna TPESampler(seed) (its multi-objective / constrained TPE)",
    "optuna_nsga2": "Optuna NSGAIISampler(seed) (population 50)",
}
CHECKPOINTS = (100, 200, 300)

# ---------------------------------------------------------------- runs

_ADDRESS: Optional[str] = None
_TAG = uuid.uuid4().hex[:8]


def _init(address: Optional[str]) -> None:
    global _ADDRESS
    _ADDRESS = address
    warnings.filterwarnings("ignore")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def parzen_space(p: Problem) -> Dict[str, Any]:
    from parzen import hp

    out: Dict[str, Any] = {}
    for name, spec in p.space.items():
        kind = spec[0]
        if kind == "float":
            out[name] = hp.uniform(name, spec[1], spec[2])
        elif kind == "log":
            out[name] = hp.loguniform(name, math.log(spec[1]), math.log(spec[2]))
        elif kind == "int":
            out[name] = hp.uniformint(name, spec[1], spec[2])
        else:
            out[name] = hp.choice(name, list(spec[1]))
    return out


def run_parzen(
    p: Problem, seed: int, budget: int, options: Optional[Dict[str, Any]] = None, algorithm: Optional[str] = None
) -> List[Tuple[List[float], List[float]]]:
    import parzen

    c = parzen.Client(_ADDRESS, timeout=600)
    name = f"mo-{p.name}-s{seed}-{_TAG}-{len(options or {})}{'-' + algorithm if algorithm else ''}"
    exp = c.create_experiment(
        name, parzen_space(p), directions=list(p.directions), seed=seed, options=options, algorithm=algorithm
    )
    out = []
    for _ in range(budget):
        t = exp.suggest()
        params = t.params
        v = p.f(params)
        g = p.g(params) if p.g else []
        if len(v) == 1:
            t.report(v[0], constraints=g)
        else:
            t.report(v, constraints=g)
        out.append((v, g))
    return out


def run_optuna(kind: str, p: Problem, seed: int, budget: int) -> List[Tuple[List[float], List[float]]]:
    import optuna

    key = "constraints"
    cons = (lambda t: t.user_attrs[key]) if p.g else None
    if kind == "nsga2":
        sampler: Any = optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cons)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=cons)
    study = optuna.create_study(sampler=sampler, directions=list(p.directions))
    out: List[Tuple[List[float], List[float]]] = []

    def objective(trial: Any) -> Any:
        params: Params = {}
        for name, spec in p.space.items():
            if spec[0] == "float":
                params[name] = trial.suggest_float(name, spec[1], spec[2])
            elif spec[0] == "log":
                params[name] = trial.suggest_float(name, spec[1], spec[2], log=True)
            elif spec[0] == "int":
                params[name] = trial.suggest_int(name, spec[1], spec[2])
            else:
                params[name] = trial.suggest_categorical(name, list(spec[1]))
        v = p.f(params)
        g = p.g(params) if p.g else []
        if p.g:
            trial.set_user_attr(key, g)
        out.append((v, g))
        return v[0] if len(v) == 1 else tuple(v)

    study.optimize(objective, n_trials=budget)
    return out


def run_one(job: Tuple[str, str, int, int]) -> Dict[str, Any]:
    sampler, problem, seed, budget = job
    p = BY_NAME[problem]
    t0 = time.perf_counter()
    if sampler == "parzen_tpe":
        trials = run_parzen(p, seed, budget)
    elif sampler == "parzen_tpe_split":
        trials = run_parzen(p, seed, budget, {"constraint_model": "split"})
    elif sampler == "parzen_nsga2":
        trials = run_parzen(p, seed, budget, algorithm="nsga2")
    elif sampler == "parzen_gp":
        trials = run_parzen(p, seed, budget, algorithm="gp")
    else:
        trials = run_optuna(sampler.removeprefix("optuna_"), p, seed, budget)
    return {
        "sampler": sampler,
        "problem": problem,
        "seed": seed,
        "seconds": time.perf_counter() - t0,
        "values": [v for v, _ in trials],
        "constraints": [g for _, g in trials],
    }


# ---------------------------------------------------------------- metrics


def hypervolume(points: Sequence[Sequence[float]], ref: Sequence[float]) -> float:
    """Exact hypervolume (minimisation): 2-D sweep, else WFG-style recursion (small fronts only)."""
    pts = [tuple(q) for q in points if all(a < r for a, r in zip(q, ref))]
    pts = [q for q in pts if not any(_dominates(o, q) for o in pts)]
    pts = sorted(set(pts))
    if not pts:
        return 0.0
    if len(ref) == 2:
        vol, y = 0.0, ref[1]
        for q in pts:
            if q[1] < y:
                vol += (ref[0] - q[0]) * (y - q[1])
                y = q[1]
        return vol
    pts.sort(key=lambda q: -q[-1])
    vol = 0.0
    for i, q in enumerate(pts):
        box = math.prod(r - a for a, r in zip(q, ref))
        limited = [tuple(max(a, b) for a, b in zip(q, o)) for o in pts[i + 1 :]]
        vol += box - hypervolume(limited, ref)
    return vol


def _dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def _oriented(p: Problem, v: Sequence[float]) -> List[float]:
    return [-x if d == "maximize" else x for x, d in zip(v, p.directions)]


def feasible(g: Sequence[float]) -> bool:
    return all(c <= 0 for c in g)


def quality(p: Problem, run: Dict[str, Any], n: int) -> float:
    vs, gs = run["values"][:n], run["constraints"][:n]
    ok = [_oriented(p, v) for v, g in zip(vs, gs) if feasible(g)]
    if len(p.directions) == 1:
        return min((v[0] for v in ok), default=math.inf)
    assert p.ref is not None
    return hypervolume(ok, p.ref)


def feasible_share(run: Dict[str, Any], start: int = 10, end: Optional[int] = None) -> float:
    gs = run["constraints"][start:end]
    return sum(1 for g in gs if feasible(g)) / max(1, len(gs))


def report(paths: Sequence[str]) -> str:
    runs = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    samplers = [s for s in SAMPLERS if any(r["sampler"] == s for r in runs)]
    problems = [p for p in PROBLEMS if any(r["problem"] == p.name for r in runs)]
    seeds = sorted({r["seed"] for r in runs})
    per = {s: len({(r["problem"], r["seed"]) for r in runs if r["sampler"] == s}) for s in samplers}
    runs_per = "; runs per sampler (problem × seed): " + ", ".join(f"{s} {n}" for s, n in per.items())
    lines = [
        f"Seeds {seeds[0]}..{seeds[-1]} ({len(seeds)}{runs_per}). Hypervolume of the feasible trials against a fixed reference "
        "point per problem (higher is better), median [25th–75th percentile] over the seeds; for the "
        "single-objective constrained problem, the best feasible value (lower is better). "
        "**Bold**: the best median of the row.",
        "",
    ]
    header = "| problem | trials | " + " | ".join(samplers) + " |"
    lines += [header, "|" + "---|" * (2 + len(samplers))]

    def q(xs: List[float]) -> Tuple[float, float, float]:
        xs = sorted(xs)
        qs = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
        return qs[0], statistics.median(xs), qs[2]

    for p in problems:
        for n in CHECKPOINTS:
            cells = {}
            for s in samplers:
                rs = [r for r in runs if r["sampler"] == s and r["problem"] == p.name and len(r["values"]) >= n]
                if rs:
                    cells[s] = q([quality(p, r, n) for r in rs])
            if not cells:
                continue
            single = len(p.directions) == 1
            best = (min if single else max)(m for _, m, _ in cells.values())
            row = []
            for s in samplers:
                if s not in cells:
                    row.append("–")
                    continue
                lo, m, hi = cells[s]
                txt = f"{m:.4g} [{lo:.4g}–{hi:.4g}]"
                row.append(f"**{txt}**" if m == best else txt)
            lines.append(f"| {p.name} | {n} | " + " | ".join(row) + " |")
    constrained = [p for p in problems if p.g is not None]
    if constrained:
        lines += [
            "",
            "Share of feasible trials after the first 10, median over the seeds: trials 11–100 / 11–300 "
            "(a run of 100 trials has the first only):",
            "",
        ]
        lines += ["| problem | " + " | ".join(samplers) + " |", "|" + "---|" * (1 + len(samplers))]
        for p in constrained:
            row = []
            for s in samplers:
                rs = [r for r in runs if r["sampler"] == s and r["problem"] == p.name]
                if not rs:
                    row.append("–")
                    continue
                cell = f"{statistics.median(feasible_share(r, 10, 100) for r in rs):.2f}"
                long = [r for r in rs if len(r["constraints"]) >= 300]
                if long:
                    cell += f" / {statistics.median(feasible_share(r, 10, 300) for r in long):.2f}"
                row.append(cell)
            lines.append(f"| {p.name} | " + " | ".join(row) + " |")
    lines += ["", "Mean wall time per run (s): " + ", ".join(
        f"{s} {statistics.mean(r['seconds'] for r in runs if r['sampler'] == s):.1f}" for s in samplers
    )]
    lines += ["", "Problems: " + "; ".join(f"{p.name}: {p.title}" + (f", reference point {p.ref}" if p.ref else "") for p in problems) + "."]
    return "\n".join(lines)


# ---------------------------------------------------------------- latency


def latency(address: str, n: int, cycles: int) -> Dict[str, float]:
    """Median Suggest latency (ms) after n imported trials: bi-objective TPE vs single-objective TPE (150
    cycles by default: the first few dozen of a fresh server run cold, unoptimised code)."""
    import random

    import parzen
    from parzen import hp

    c = parzen.Client(address, timeout=600)
    space = {f"x{i}": hp.uniform(f"x{i}", 0, 1) for i in range(6)}
    rng = random.Random(0)
    out = {}
    for label, kwargs in (("single", {}), ("bi-objective", {"directions": ["minimize", "minimize"]})):
        exp = c.create_experiment(f"mo-latency-{label}-{_TAG}", space, seed=1, **kwargs)
        records = []
        for _ in range(n):
            x = {f"x{i}": rng.random() for i in range(6)}
            v = zdt(1)(x)
            records.append({"params": x, **({"values": v} if kwargs else {"loss": v[0] + v[1]})})
        for i in range(0, n, 500):
            exp.add_trials(records[i : i + 500])
        times = []
        for _ in range(cycles):
            t0 = time.perf_counter()
            t = exp.suggest()
            times.append((time.perf_counter() - t0) * 1000)
            v = zdt(1)(t.params)
            t.report(v if kwargs else v[0] + v[1])
        out[label] = statistics.median(times)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address")
    ap.add_argument("--out", default="bench/out/mo.jsonl")
    ap.add_argument("--problems", default="")
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--report", nargs="+", help="run files to combine into the tables")
    ap.add_argument("--latency", action="store_true")
    ap.add_argument("--latency-n", type=int, default=1000)
    ap.add_argument("--latency-cycles", type=int, default=150)
    a = ap.parse_args()
    if a.report:
        print(report(a.report))
        return
    if a.latency:
        r = latency(a.address, a.latency_n, a.latency_cycles)
        print(json.dumps({"n": a.latency_n, "median_suggest_ms": r}))
        return
    problems = [p for p in a.problems.split(",") if p] or [p.name for p in PROBLEMS]
    samplers = [s for s in a.samplers.split(",") if s]
    done = set()
    if os.path.exists(a.out):
        for line in open(a.out):
            r = json.loads(line)
            done.add((r["sampler"], r["problem"], r["seed"]))
    jobs = [
        (s, p, seed, a.budget)
        for seed in range(a.seeds)
        for p in problems
        for s in samplers
        if (s, p, seed) not in done
        and (s != "parzen_tpe_split" or BY_NAME[p].g is not None)
        and (s != "parzen_gp" or len(BY_NAME[p].directions) == 1)
    ]
    print(f"mo bench: {len(jobs)} runs", file=sys.stderr)
    with mp.get_context("spawn").Pool(a.jobs, initializer=_init, initargs=(a.address,)) as pool, open(a.out, "a") as f:
        for i, r in enumerate(pool.imap_unordered(run_one, jobs), 1):
            f.write(json.dumps(r) + "\n")
            f.flush()
            if i % 10 == 0:
                print(f"mo bench: {i}/{len(jobs)}", file=sys.stderr)


if __name__ == "__main__":
    main()
