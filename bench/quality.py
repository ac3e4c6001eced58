"""Optimisation-quality stage: every sampler minimises every problem for its
budget and seed; each run's per-trial values go to a JSON-lines file.

    python bench/quality.py --address 127.0.0.1:PORT --out bench/out/quality.jsonl \
        [--problems branin,hartmann6] [--seeds 20] [--samplers parzen_tpe,optuna_tpe] [--jobs 2]

Parzen samplers go through the real gRPC server and the Python client (one
experiment per run); Optuna and hyperopt run in-process. Runs are spread
over ``--jobs`` worker processes; runs already in ``--out`` are skipped, so an
interrupted stage resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
import uuid
import warnings
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import problems as P  # noqa: E402

#: samplers and what they are (the order of the tables).
SAMPLERS: Dict[str, str] = {
    "parzen_tpe": "Parzen TPE (default options, gRPC)",
    "parzen_gp": "Parzen GP (gRPC)",
    "parzen_random": "Parzen random (gRPC)",
    "optuna_tpe": "Optuna TPESampler() (multivariate, constant liar)",
    "optuna_tpe_univariate": "Optuna TPESampler(multivariate=False)",
    "optuna_gp": "Optuna GPSampler()",
    "hyperopt_tpe": "hyperopt tpe.suggest",
    "hyperopt_rand": "hyperopt rand.suggest",
}
GP_SAMPLERS = ("parzen_gp", "optuna_gp")

_ADDRESS: Optional[str] = None
_CLIENT: Any = None
_RUN_TAG = uuid.uuid4().hex[:8]


def _init(address: str) -> None:
    global _ADDRESS
    _ADDRESS = address
    warnings.filterwarnings("ignore")
    try:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
    except ImportError:
        pass
    import logging

    logging.getLogger("hyperopt").setLevel(logging.WARNING)


def _client() -> Any:
    global _CLIENT
    if _CLIENT is None:
        import parzen

        _CLIENT = parzen.Client(_ADDRESS, timeout=600)
    return _CLIENT


class Evaluator:
    """Evaluates one problem for one seed: the observed value (noisy for the
    noisy problem; the noise stream depends only on problem, seed and trial
    index, so every sampler sees the same noise sequence) and the true one."""

    def __init__(self, p: P.Problem, seed: int) -> None:
        import numpy as np

        self.p = p
        self.rng = np.random.default_rng([seed, 7919, (P.PROBLEMS + P.DECEPTIVE).index(p)])
        self.obs: List[float] = []
        self.true: List[float] = []

    def __call__(self, v: P.Values) -> float:
        y = self.p.f(v)
        o = y + self.p.noise_sd * float(self.rng.standard_normal()) if self.p.noise_sd > 0 else y
        self.obs.append(o)
        self.true.append(y)
        return o


def budget_of(sampler: str, p: P.Problem, gp_budget: int) -> int:
    return min(p.budget, gp_budget) if sampler in GP_SAMPLERS else p.budget


def run_parzen(algorithm: str, p: P.Problem, seed: int, budget: int, ev: Evaluator) -> None:
    c = _client()
    exp = c.create_experiment(f"q-{algorithm}-{p.name}-s{seed}-{_RUN_TAG}", P.parzen_space(p), algorithm=algorithm, seed=seed)
    for _ in range(budget):
        t = exp.suggest()
        t.report(ev(P.parzen_values(p, t.flat_params)))


def run_optuna(kind: str, p: P.Problem, seed: int, budget: int, ev: Evaluator) -> None:
    import optuna

    if kind == "gp":
        sampler = optuna.samplers.GPSampler(seed=seed)
    elif kind == "univariate":
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=False)
    elif int(optuna.__version__.split(".")[0]) >= 5:
        sampler = optuna.samplers.TPESampler(seed=seed)  # v5 defaults: multivariate, constant liar
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    study.optimize(lambda tr: ev(P.optuna_params(p, tr)), n_trials=budget)


def run_hyperopt(kind: str, p: P.Problem, seed: int, budget: int, ev: Evaluator) -> None:
    import numpy as np
    from hyperopt import STATUS_OK, Trials, fmin, rand, tpe

    fmin(
        lambda v: {"loss": ev(P.hyperopt_values(v)), "status": STATUS_OK},
        P.hyperopt_space(p),
        algo=tpe.suggest if kind == "tpe" else rand.suggest,
        max_evals=budget,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )


def run_one(job: Tuple[str, str, int, int]) -> Dict[str, Any]:
    sampler, problem, seed, budget = job
    p = P.BY_NAME[problem]
    ev = Evaluator(p, seed)
    t0 = time.perf_counter()
    error = None
    try:
        if sampler.startswith("parzen_"):
            run_parzen({"parzen_tpe": "tpe", "parzen_random": "random", "parzen_gp": "gp"}[sampler], p, seed, budget, ev)
        elif sampler.startswith("optuna_"):
            run_optuna({"optuna_tpe": "default", "optuna_tpe_univariate": "univariate", "optuna_gp": "gp"}[sampler], p, seed, budget, ev)
        else:
            run_hyperopt("tpe" if sampler == "hyperopt_tpe" else "rand", p, seed, budget, ev)
    except Exception as e:  # recorded, reported by the summary
        error = f"{type(e).__name__}: {e}"[:500]
    return {
        "sampler": sampler,
        "problem": problem,
        "seed": seed,
        "budget": budget,
        "obs": ev.obs,
        "true": ev.true,
        "seconds": time.perf_counter() - t0,
        "error": error,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--problems", default="")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--gp-seeds", type=int, default=None, help="seeds for the GP samplers (default: --seeds)")
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    ap.add_argument("--gp-budget", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    samplers = [s for s in args.samplers.split(",") if s]
    for s in samplers:
        if s not in SAMPLERS:
            raise SystemExit(f"unknown sampler {s!r}; known: {', '.join(SAMPLERS)}")
    gp_seeds = args.gp_seeds if args.gp_seeds is not None else args.seeds
    done = set()
    if os.path.exists(args.out):
        with open(args.out) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if not r.get("error"):
                    done.add((r["sampler"], r["problem"], r["seed"], r["budget"]))
    jobs: List[Tuple[str, str, int, int]] = []
    for s in samplers:
        for p in P.select(args.problems):
            if s in GP_SAMPLERS and not p.gp:
                continue
            for seed in range(gp_seeds if s in GP_SAMPLERS else args.seeds):
                j = (s, p.name, seed, budget_of(s, p, args.gp_budget))
                if j not in done:
                    jobs.append(j)
    # Slowest first, so the two workers finish together.
    cost = {"optuna_gp": 40.0, "parzen_gp": 20.0, "optuna_tpe_univariate": 3.0, "optuna_tpe": 2.0, "hyperopt_tpe": 2.0}
    jobs.sort(key=lambda j: -cost.get(j[0], 1.0) * j[3] ** 1.5)
    print(f"quality: {len(jobs)} runs ({len(done)} already done) on {args.jobs} processes", file=sys.stderr, flush=True)
    if not jobs:
        return
    t0 = time.time()
    ctx = mp.get_context("spawn")  # no gRPC channel crosses a fork
    n = 0
    with ctx.Pool(args.jobs, initializer=_init, initargs=(args.address,)) as pool, open(args.out, "a") as out:
        for r in pool.imap_unordered(run_one, jobs):
            out.write(json.dumps(r) + "\n")
            out.flush()
            n += 1
            if r["error"]:
                print(f"quality: ERROR {r['sampler']} {r['problem']} seed {r['seed']}: {r['error']}", file=sys.stderr, flush=True)
            if n % 20 == 0 or n == len(jobs):
                print(f"quality: {n}/{len(jobs)} runs, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
