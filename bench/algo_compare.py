"""Optuna's CmaEsSampler and QMCSampler on the continuous problems of
bench/continuous.ts (the same definitions, kept in step by hand), and the
table that puts them beside Parzen's in-process runs (bench/algo-quick.ts).

    python bench/algo_compare.py optuna SAMPLER PROBLEMS BUDGET SEEDS [FIRST_SEED] >> out.jsonl
    python bench/algo_compare.py table out.jsonl

SAMPLER: cmaes (CmaEsSampler, defaults) or qmc (QMCSampler, scrambled Sobol').
Every optimum is 0, so the best value is the regret.
"""

import json
import math
import re
import statistics
import sys
import time
import warnings

BASE = {
    "ellipsoid": (-5.0, 5.0),
    "rosenbrock": (-5.0, 10.0),
    "ackley": (-32.768, 32.768),
    "rastrigin": (-5.12, 5.12),
}


def f(base, x):
    d = len(x)
    if base == "ellipsoid":
        return sum(10 ** ((3 * i) / (d - 1)) * (t - 1) ** 2 for i, t in enumerate(x))
    if base == "rosenbrock":
        return sum(
            100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(d - 1)
        )
    if base == "ackley":
        sq = sum(t * t for t in x) / d
        cs = sum(math.cos(2 * math.pi * t) for t in x) / d
        return -20 * math.exp(-0.2 * math.sqrt(sq)) - math.exp(cs) + 20 + math.e
    if base == "rastrigin":
        return sum(t * t - 10 * math.cos(2 * math.pi * t) + 10 for t in x)
    raise ValueError(base)


def objective(base, d, lo, hi):
    return lambda t: f(base, [t.suggest_float(f"x{i}", lo, hi) for i in range(d)])


def run_optuna(sampler_name, problems, budget, seeds, first_seed=0):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    for name in problems.split(","):
        m = re.fullmatch(r"([a-z]+)(\d+)", name)
        base, d = m.group(1), int(m.group(2))
        lo, hi = BASE[base]
        for seed in range(first_seed, first_seed + seeds):
            if sampler_name == "cmaes":
                sampler = optuna.samplers.CmaEsSampler(seed=seed)
            else:
                sampler = optuna.samplers.QMCSampler(
                    seed=seed, qmc_type="sobol", scramble=True
                )
            study = optuna.create_study(sampler=sampler)
            t0 = time.perf_counter()
            study.optimize(objective(base, d, lo, hi), n_trials=budget)
            row = {
                "sampler": f"optuna_{sampler_name}",
                "problem": name,
                "seed": seed,
                "best": study.best_value,
                "seconds": time.perf_counter() - t0,
            }
            print(json.dumps(row), flush=True)


def table(path):
    with open(path) as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    problems = sorted(
        {r["problem"] for r in rows},
        key=lambda p: (re.sub(r"\d+", "", p), int(re.sub(r"\D", "", p))),
    )
    samplers = sorted({r["sampler"] for r in rows})
    print(
        "| problem | " + " | ".join(f"{s} median [q25, q75]" for s in samplers) + " |"
    )
    print("|---|" + "---|" * len(samplers))
    for p in problems:
        cells = []
        for s in samplers:
            v = sorted(
                r["best"] for r in rows if r["problem"] == p and r["sampler"] == s
            )
            if not v:
                cells.append("–")
                continue
            q = (
                statistics.quantiles(v, n=4, method="inclusive")
                if len(v) > 1
                else [v[0]] * 3
            )
            cells.append(
                f"{statistics.median(v):.4g} [{q[0]:.3g}, {q[2]:.3g}] (n={len(v)})"
            )
        print(f"| {p} | " + " | ".join(cells) + " |")
    print()
    print("| sampler | mean seconds per run |")
    print("|---|---|")
    for s in samplers:
        print(
            f"| {s} | {statistics.mean(r['seconds'] for r in rows if r['sampler'] == s):.2f} |"
        )


if __name__ == "__main__":
    if sys.argv[1] == "optuna":
        first = int(sys.argv[6]) if len(sys.argv) > 6 else 0
        run_optuna(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), first)
    elif sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        sys.exit(__doc__)
