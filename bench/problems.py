"""Benchmark problems of the protocol (shared/reference/benchmarks.md), with the
same formulas, spaces and optima as bench/problems.ts.

Each problem has a name, a budget, its optimum, the true objective ``f`` over
a flat ``{name: value}`` dict and, for the noisy problem, ``noise_sd`` (the
sampler observes ``f + N(0, noise_sd^2)``; the bench scores the noise-free
value of the trial with the best observed value).

The spaces are written once per library here: ``parzen_space`` (for the
Parzen Python client), ``hyperopt_space`` and ``optuna_params`` (define-by-run).
All three produce the same flat dict for the objective: continuous boxes as
``x0..x{d-1}`` (Branin: ``x1, x2``), Mixed as ``x, n, c``, Conditional as
``model`` plus the active branch's parameters ``C, gamma | depth, min_leaf | k``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

Values = Dict[str, Any]


# --------------------------------------------------------------- objectives

def branin(v: Values) -> float:
    x1, x2 = float(v["x1"]), float(v["x2"])
    b = 5.1 / (4 * math.pi * math.pi)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


H6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H6_P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]
H6_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(v: Values) -> float:
    s = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(6):
            x = float(v[f"x{j}"])
            inner += H6_A[i][j] * (x - H6_P[i][j] * 1e-4) ** 2
        s += H6_ALPHA[i] * math.exp(-inner)
    return -s


def _vec(v: Values, d: int) -> List[float]:
    return [float(v[f"x{i}"]) for i in range(d)]


def rosenbrock(v: Values) -> float:
    x = _vec(v, 10)
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(9))


def styblinski_tang(v: Values) -> float:
    return 0.5 * sum(x ** 4 - 16 * x * x + 5 * x for x in _vec(v, 10))


def ackley(v: Values) -> float:
    x = _vec(v, 10)
    d = len(x)
    sq = sum(t * t for t in x) / d
    cs = sum(math.cos(2 * math.pi * t) for t in x) / d
    return -20 * math.exp(-0.2 * math.sqrt(sq)) - math.exp(cs) + 20 + math.e


_MIXED_C = {"a": 1.0, "b": 0.0, "c": 2.0}


def mixed(v: Values) -> float:
    x, n = float(v["x"]), int(round(float(v["n"])))
    return (x - 1) ** 2 + (n - 7) ** 2 / 10 + _MIXED_C[str(v["c"])]


def conditional(v: Values) -> float:
    m = v["model"]
    if m == "svm":
        return (math.log10(float(v["C"])) - 1.5) ** 2 + (math.log10(float(v["gamma"])) + 2) ** 2 + 0.2
    if m == "tree":
        return ((int(round(float(v["depth"]))) - 12) / 5) ** 2 + ((int(round(float(v["min_leaf"]))) - 5) / 20) ** 2
    return ((int(round(float(v["k"]))) - 30) / 40) ** 2 + 0.1


# ------------------------------------------------------------------ spaces
# A space is described once as a list of ("float", name, low, high, log),
# ("int", name, low, high), ("cat", name, [options]) and, for Conditional,
# ("cond", name, {option: [children...]}). Each library's space is built
# from it.


@dataclass(frozen=True)
class Problem:
    name: str
    spec: List[tuple]
    budget: int
    optimum: float
    f: Callable[[Values], float]
    noise_sd: float = 0.0
    #: continuous or mixed (GP samplers run on these); Conditional is not.
    gp: bool = True
    #: regrets below this count as this in the geometric mean (see README).
    regret_floor: float = 1e-6
    tags: Dict[str, Any] = field(default_factory=dict)


def _box(d: int, lo: float, hi: float) -> List[tuple]:
    return [("float", f"x{i}", lo, hi, False) for i in range(d)]


PROBLEMS: List[Problem] = [
    Problem("branin", [("float", "x1", -5.0, 10.0, False), ("float", "x2", 0.0, 15.0, False)], 100, 0.397887, branin),
    Problem("hartmann6", _box(6, 0.0, 1.0), 100, -3.32237, hartmann6),
    Problem("rosenbrock10", _box(10, -5.0, 10.0), 200, 0.0, rosenbrock),
    Problem("styblinski_tang10", _box(10, -5.0, 5.0), 200, -391.66166, styblinski_tang),
    Problem("ackley10", _box(10, -32.768, 32.768), 200, 0.0, ackley),
    Problem("mixed", [("float", "x", -5.0, 5.0, False), ("int", "n", 1, 10), ("cat", "c", ["a", "b", "c"])], 100, 0.0, mixed),
    Problem(
        "conditional",
        [
            (
                "cond",
                "model",
                {
                    "svm": [("float", "C", 1e-3, 1e3, True), ("float", "gamma", 1e-4, 1.0, True)],
                    "tree": [("int", "depth", 1, 20), ("int", "min_leaf", 1, 50)],
                    "knn": [("int", "k", 1, 100)],
                },
            )
        ],
        100,
        0.0,
        conditional,
        gp=False,
        # The tree branch reaches the optimum exactly (depth 12, min_leaf 5); the
        # next-best configuration has regret 0.0025, so 1e-3 is its resolution.
        regret_floor=1e-3,
    ),
    Problem("noisy_hartmann6", _box(6, 0.0, 1.0), 100, -3.32237, hartmann6, noise_sd=0.1),
]

# ------------------------------------------------- deceptive and rugged (issue 21)
# Held out from the protocol: landscapes where a TPE that stops exploring too
# early is fooled. Each has tags["success"]: a run succeeds when its best
# regret falls below it (the global basin was found), within tags["at"] trials.


def deceptive1d(v: Values) -> float:
    # A broad plateau (best 0.1 at x = 0.3) and, far from it, a narrow basin
    # (0 at x = 0.85; below the plateau's best only for |x - 0.85| < 0.01).
    x = float(v["x"])
    return min(0.1 + 0.5 * (x - 0.3) ** 2, 1000 * (x - 0.85) ** 2)


def deceptive3d(v: Values) -> float:
    # The same in 3-D: a plateau around (0.3, 0.3, 0.3) and a basin at a far
    # corner that beats the plateau's best within a ball of radius 0.16.
    x = _vec(v, 3)
    a = sum((t - 0.3) ** 2 for t in x)
    b = sum((t - c) ** 2 for t, c in zip(x, (0.8, 0.75, 0.85)))
    return min(0.1 + 0.5 * a, 4 * b)


_WAVE_PHASE = {"a": 0.0, "b": 0.25, "c": 0.5, "d": 0.75}


def phase_wave(v: Values) -> float:
    # Eight waves over [0, 1] whose phase the category sets, on a gentle bowl
    # centred at 0.71: only category d has a trough (0.71875) at the bowl's
    # bottom; b's and the others' troughs are a little worse.
    x = float(v["x"])
    ph = _WAVE_PHASE[str(v["c"])]
    return 0.25 * (1 - math.cos(2 * math.pi * (8 * x - ph))) + 4 * (x - 0.71) ** 2


def rugged_funnel6(v: Values) -> float:
    # Rastrigin-like: a regular grid of local minima (spacing 1) on a broad
    # bowl, shifted off the box's centre; optimum 0 at x_i = 1.3.
    x = _vec(v, 6)
    return sum((t - 1.3) ** 2 + 3 * (1 - math.cos(2 * math.pi * (t - 1.3))) for t in x)


def needle_cliff(v: Values) -> float:
    # A slope falling towards a cliff at x = 0.7 (beyond it: 1), best at the
    # cliff's edge near y = 0.5 (infimum 0), and a narrow needle (width 0.03)
    # just before the cliff at y = 0.15.
    x, y = float(v["x"]), float(v["y"])
    if x > 0.7:
        return 1.0
    needle = 0.4 * math.exp(-((x - 0.68) ** 2 + (y - 0.15) ** 2) / (2 * 0.03**2))
    return 0.5 * (0.7 - x) + (y - 0.5) ** 2 - needle


DECEPTIVE: List[Problem] = [
    Problem("deceptive1d", [("float", "x", 0.0, 1.0, False)], 100, 0.0, deceptive1d, tags={"success": 0.1, "at": 100}),
    Problem("deceptive3d", _box(3, 0.0, 1.0), 100, 0.0, deceptive3d, tags={"success": 0.1, "at": 100}),
    Problem(
        "phase_wave",
        [("float", "x", 0.0, 1.0, False), ("cat", "c", ["a", "b", "c", "d"])],
        50,
        0.000302420,
        phase_wave,
        tags={"success": 0.0015, "at": 50},
    ),
    Problem("rugged_funnel6", _box(6, -5.0, 5.0), 100, 0.0, rugged_funnel6, tags={"success": 4.0, "at": 100}),
    Problem(
        "needle_cliff",
        [("float", "x", 0.0, 1.0, False), ("float", "y", 0.0, 1.0, False)],
        100,
        -0.268331,
        needle_cliff,
        tags={"success": 0.268331, "at": 100},
    ),
]

BY_NAME = {p.name: p for p in PROBLEMS + DECEPTIVE}


def select(names: Optional[str]) -> List[Problem]:
    """Problems named in a comma-separated list (all when empty)."""
    if not names:
        return list(PROBLEMS)
    out = []
    for n in names.split(","):
        n = n.strip()
        if not n:
            continue
        if n not in BY_NAME:
            raise SystemExit(f"unknown problem {n!r}; known: {', '.join(BY_NAME)}")
        out.append(BY_NAME[n])
    return out


# ---------------------------------------------------------- Parzen client


def parzen_space(p: Problem) -> Dict[str, Any]:
    """A space for ``parzen.Client.create_experiment``. Every parameter is
    labelled, so ``trial.flat_params`` is the flat dict the objective takes
    (the Conditional choice's options are dicts, so it arrives as an index)."""
    from parzen.space import Categorical, Float, Int

    def one(s: tuple) -> Any:
        kind = s[0]
        if kind == "float":
            _, name, lo, hi, log = s
            return Float(lo, hi, log=log, label=name)
        if kind == "int":
            _, name, lo, hi = s
            return Int(lo, hi, label=name)
        if kind == "cat":
            _, name, options = s
            return Categorical(list(options), label=name)
        if kind == "cond":
            _, name, branches = s
            return Categorical([{c[1]: one(c) for c in children} for children in branches.values()], label=name)
        raise ValueError(kind)

    return {s[1]: one(s) for s in p.spec}


def parzen_values(p: Problem, flat: Dict[str, Any]) -> Values:
    """The objective's flat dict from a Parzen trial's flat params."""
    out = dict(flat)
    for s in p.spec:
        if s[0] == "cond":
            idx = out[s[1]]
            out[s[1]] = list(s[2].keys())[int(idx)] if not isinstance(idx, str) else idx
    return out


def parzen_params(p: Problem, v: Values) -> Dict[str, Any]:
    """Shaped params for ``exp.add_trials`` from a flat dict (box spaces only)."""
    assert all(s[0] != "cond" for s in p.spec)
    return dict(v)


# ------------------------------------------------------------------ hyperopt


def hyperopt_space(p: Problem) -> Dict[str, Any]:
    from hyperopt import hp

    def one(s: tuple) -> Any:
        kind = s[0]
        if kind == "float":
            _, name, lo, hi, log = s
            return hp.loguniform(name, math.log(lo), math.log(hi)) if log else hp.uniform(name, lo, hi)
        if kind == "int":
            _, name, lo, hi = s
            return hp.uniformint(name, lo, hi)
        if kind == "cat":
            _, name, options = s
            return hp.choice(name, list(options))
        if kind == "cond":
            _, name, branches = s
            return hp.choice(name, [dict({name: opt}, **{c[1]: one(c) for c in children}) for opt, children in branches.items()])
        raise ValueError(kind)

    space: Dict[str, Any] = {}
    for s in p.spec:
        if s[0] == "cond":
            space["__cond__"] = one(s)
        else:
            space[s[1]] = one(s)
    return space


def hyperopt_values(v: Dict[str, Any]) -> Values:
    out = dict(v)
    cond = out.pop("__cond__", None)
    if cond is not None:
        out.update(cond)
    return out


# -------------------------------------------------------------------- Optuna


def optuna_params(p: Problem, trial: Any) -> Values:
    """Asks an Optuna trial for the problem's parameters (define-by-run)."""
    out: Values = {}

    def one(s: tuple) -> None:
        kind = s[0]
        if kind == "float":
            _, name, lo, hi, log = s
            out[name] = trial.suggest_float(name, lo, hi, log=log)
        elif kind == "int":
            _, name, lo, hi = s
            out[name] = trial.suggest_int(name, lo, hi)
        elif kind == "cat":
            _, name, options = s
            out[name] = trial.suggest_categorical(name, list(options))
        elif kind == "cond":
            _, name, branches = s
            choice = trial.suggest_categorical(name, list(branches.keys()))
            out[name] = choice
            for c in branches[choice]:
                one(c)
        else:
            raise ValueError(kind)

    for s in p.spec:
        one(s)
    return out


def optuna_distributions(p: Problem) -> Dict[str, Any]:
    """Fixed distributions of a box/mixed space (for ask() and create_trial)."""
    import optuna

    d: Dict[str, Any] = {}
    for s in p.spec:
        if s[0] == "float":
            d[s[1]] = optuna.distributions.FloatDistribution(s[2], s[3], log=s[4])
        elif s[0] == "int":
            d[s[1]] = optuna.distributions.IntDistribution(s[2], s[3])
        elif s[0] == "cat":
            d[s[1]] = optuna.distributions.CategoricalDistribution(list(s[2]))
        else:
            raise ValueError("conditional spaces have no fixed distributions")
    return d
