"""Turns the stages' raw outputs (bench/out/*) into the tables: printed, and
written to bench/RESULTS.md.

    python bench/report.py --dir bench/out [--results bench/RESULTS.md]

Inputs (each optional; a missing stage is said to be missing):
  meta.json        machine, versions, settings (written by run.sh)
  quality.jsonl    one line per (sampler, problem, seed) run (quality.py)
  latency.json     Suggest+Report / ask+tell latencies (latency.py)
  load-*.json      throughput runs (bench/loadgen)
  memory.json      server resident memory (memory.py)
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
from collections import defaultdict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import problems as P  # noqa: E402
from quality import GP_SAMPLERS, SAMPLERS  # noqa: E402

RANDOM_BASELINES = ("hyperopt_rand", "parzen_random")


def fmt(x: Optional[float]) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e4 or a < 1e-3:
        return f"{x:.2e}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def table(header: Sequence[str], rows: List[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def ranks(values: Dict[str, float]) -> Dict[str, float]:
    """Average ranks (1 = best = lowest), ties share their mean rank."""
    items = sorted(values.items(), key=lambda kv: kv[1])
    out: Dict[str, float] = {}
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1][1] == items[i][1]:
            j += 1
        for k in range(i, j + 1):
            out[items[k][0]] = (i + j) / 2 + 1
        i = j + 1
    return out


# ------------------------------------------------------------------ quality


def best_at(run: Dict[str, Any], k: int, noisy: bool) -> Optional[float]:
    true, obs = run["true"], run["obs"]
    if len(true) < k or k <= 0:
        return None
    if noisy:
        i = int(np.argmin(obs[:k]))
        return true[i]
    return min(true[:k])


def regret(p: P.Problem, best: float) -> float:
    return max(best - p.optimum, 0.0)


def load_quality(path: str) -> Tuple[Dict[Tuple[str, str], List[Dict[str, Any]]], List[Dict[str, Any]]]:
    runs: Dict[Tuple[str, str], Dict[int, Dict[str, Any]]] = defaultdict(dict)
    errors = []
    with open(path) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("error"):
                errors.append(r)  # its trials before the error still count at the checkpoints they reach
            runs[(r["sampler"], r["problem"])][r["seed"]] = r  # the last run of a seed wins
    return {k: list(v.values()) for k, v in runs.items()}, errors


def stats(values: List[float]) -> Tuple[float, float, float]:
    a = np.asarray(values)
    return float(np.median(a)), float(np.percentile(a, 25)), float(np.percentile(a, 75))


def regret_rows(
    p: P.Problem, samplers: Sequence[str], ks: Sequence[int], runs: Dict[Tuple[str, str], List[Dict[str, Any]]], final: Dict[str, float]
) -> List[Tuple[str, List[str], int]]:
    """Per sampler with runs on p: median regret [quartiles] after each of ks trials, and how many
    runs reached the last; records each sampler's median at the last k in `final`."""
    rows = []
    for s in samplers:
        rs = runs.get((s, p.name), [])
        if not rs:
            continue
        cells = []
        for k in ks:
            vals = [regret(p, b) for b in (best_at(r, k, p.noise_sd > 0) for r in rs) if b is not None]
            if vals:
                m, lo, hi = stats(vals)
                cells.append(f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]")
                if k == ks[-1]:
                    final[s] = m
            else:
                cells.append("–")
        rows.append((s, cells, sum(1 for r in rs if len(r["true"]) >= ks[-1])))
    return rows


def quality_report(path: str) -> Tuple[str, Dict[str, Any]]:
    runs, errors = load_quality(path)
    samplers = [s for s in SAMPLERS if any(k[0] == s for k in runs)]
    problems = [p for p in P.PROBLEMS if any(k[1] == p.name for k in runs)]
    full = [s for s in samplers if s not in GP_SAMPLERS]
    gps = [s for s in samplers if s in GP_SAMPLERS]
    baseline = next((b for b in RANDOM_BASELINES if b in samplers), None)
    out: List[str] = []
    summary: Dict[str, Any] = {"final": {}, "baseline": baseline}

    out.append("### Per problem: median simple regret [25th, 75th percentile] over seeds\n")
    out.append(
        "Regret = best value found − known optimum (noisy problem: the noise-free value of the trial with the best "
        "observed value). Columns: 25 %, 50 % and 100 % of the budget. Rank: by median at 100 % (1 = best; ties share).\n"
    )
    final_median: Dict[str, Dict[str, float]] = defaultdict(dict)  # problem -> sampler -> median
    rank_by: Dict[str, Dict[str, float]] = {}
    for p in problems:
        ks = [max(1, round(p.budget * f)) for f in (0.25, 0.5, 1.0)]
        rows = regret_rows(p, full, ks, runs, final_median[p.name])
        rk = ranks(final_median[p.name])
        rank_by[p.name] = rk
        out.append(f"**{p.name}** (budget {p.budget}, optimum {p.optimum})\n")
        out.append(
            table(
                ["sampler", "seeds", f"@{ks[0]}", f"@{ks[1]}", f"@{ks[2]}", "rank"],
                [[s, str(n), *c, fmt(rk.get(s))] for s, c, n in rows],
            )
        )
        out.append("")

    # Summary: final medians side by side, mean rank, geometric-mean ratio to random.
    out.append("### Summary at the full budget\n")
    header = ["problem (budget)"] + full
    rows = []
    for p in problems:
        rows.append([f"{p.name} ({p.budget})"] + [fmt(final_median[p.name].get(s)) for s in full])
    mean_rank = {s: float(np.mean([rank_by[p.name][s] for p in problems if s in rank_by[p.name]])) for s in full}
    rows.append(["**mean rank**"] + [f"{mean_rank[s]:.2f}" for s in full])
    geo: Dict[str, float] = {}
    if baseline is not None:
        for s in full:
            logs = []
            for p in problems:
                fm = final_median[p.name]
                if s in fm and baseline in fm:
                    logs.append(math.log(max(fm[s], p.regret_floor) / max(fm[baseline], p.regret_floor)))
            if logs:
                geo[s] = math.exp(sum(logs) / len(logs))
        rows.append([f"**geo-mean regret ÷ {baseline}**"] + [f"{geo[s]:.3f}" if s in geo else "–" for s in full])
    out.append(table(header, rows))
    out.append("")
    if baseline is not None:
        out.append(
            f"Random baseline for the ratio: `{baseline}` (median regret at the full budget). Regrets below a problem's "
            "floor count as the floor (1e-6; Conditional 1e-3, its resolution: the best non-optimal configuration has "
            "regret 0.0025).\n"
        )
    summary["final"] = {p: dict(v) for p, v in final_median.items()}
    summary["mean_rank"] = mean_rank
    summary["geo"] = geo

    # GP comparison at 25 and 50 trials: every sampler, smooth/mixed problems.
    if gps:
        gp_budget = max(r["budget"] for s in gps for (ss, _), rs in runs.items() if ss == s for r in rs)
        ks = sorted({min(25, gp_budget), gp_budget})
        out.append(f"### Small budgets (GP samplers): median regret [quartiles] at {' and '.join(map(str, ks))} trials\n")
        out.append(
            "All samplers on the continuous and mixed problems, read off the same runs at the first "
            f"{' and '.join(map(str, ks))} trials (the GP samplers run for {gp_budget} trials). Rank by median at {ks[-1]}.\n"
        )
        gp_rank: Dict[str, Dict[str, float]] = {}
        gp_final: Dict[str, Dict[str, float]] = defaultdict(dict)
        for p in problems:
            if not p.gp:
                continue
            rows = regret_rows(p, samplers, ks, runs, gp_final[p.name])
            rk = ranks(gp_final[p.name])
            gp_rank[p.name] = rk
            out.append(f"**{p.name}**\n")
            out.append(table(["sampler", "seeds"] + [f"@{k}" for k in ks] + ["rank"], [[s, str(n), *c, fmt(rk.get(s))] for s, c, n in rows]))
            out.append("")
        summary["gp_final"] = {p: dict(v) for p, v in gp_final.items()}
        summary["gp_budget"] = gp_budget

    # Wall time per trial (includes the objective; the Parzen samplers include gRPC and SQLite).
    out.append("### Wall time per trial in the quality runs (ms; two runs share the 2 cores, Parzen's server runs beside them)\n")
    secs: Dict[str, List[float]] = defaultdict(list)
    trials: Dict[str, int] = defaultdict(int)
    for (s, _), rs in runs.items():
        for r in rs:
            secs[s].append(r["seconds"])
            trials[s] += len(r["true"])
    out.append(table(["sampler", "runs", "ms per trial"], [[s, str(len(secs[s])), f"{1e3 * sum(secs[s]) / max(1, trials[s]):.1f}"] for s in samplers]))
    out.append("")
    if errors:
        out.append(
            f"**{len(errors)} runs failed** before their budget; each counts at the checkpoints it reached, so the "
            "seeds column (runs that reached the full budget) can be smaller than the seed count:\n"
        )
        seen = set()
        for e in errors:
            key = (e["sampler"], e["problem"])
            n = sum(1 for x in errors if (x["sampler"], x["problem"]) == key)
            if key in seen:
                continue
            seen.add(key)
            out.append(f"- {e['sampler']} on {e['problem']}: {n} runs, e.g. seed {e['seed']} after {len(e['true'])} trials: `{e['error']}`")
        out.append("")
    summary["errors"] = len(errors)
    return "\n".join(out), summary


# ------------------------------------------------------------------ latency


def latency_report(path: str) -> Tuple[str, Dict[str, Any]]:
    with open(path) as f:
        rows = json.load(f)
    out = [
        "Suggest+Report (Parzen, through gRPC from the Python client, SQLite write included) and ask()+tell() "
        "(Optuna, in-process, in-memory storage) with N completed trials imported first; p50 / p95 over the timed cycles, ms. "
        "The samplers of one N were timed interleaved, in turns of 10 cycles each, so they ran under the same machine conditions.\n"
    ]
    failed = [r for r in rows if "error" in r]
    rows = [r for r in rows if "error" not in r]
    by: Dict[Tuple[str, str, int], Dict[str, Any]] = {(r["sampler"], r["space"], r["n"]): r for r in rows}
    summary: Dict[str, Any] = {}
    for space in ("hartmann6", "10d"):
        label = "Hartmann6 space (6-D)" if space == "hartmann6" else "10-D box (Styblinski–Tang's [−5, 5]^10)"
        ns = sorted({r["n"] for r in rows if r["space"] == space and r["sampler"] in ("parzen_tpe", "optuna_tpe")})
        if not ns:
            continue
        samplers = [s for s in ("parzen_tpe", "optuna_tpe", "optuna_tpe_univariate") if any((s, space, n) in by for n in ns)]
        hdr = ["N"] + [f"{s} p50 / p95" for s in samplers] + ["Optuna TPE ÷ Parzen TPE (p50)"]
        body = []
        for n in ns:
            cells = [str(n)]
            for s in samplers:
                r = by.get((s, space, n))
                cells.append(f"{r['p50_ms']:.2f} / {r['p95_ms']:.2f}" if r else "–")
            a, b = by.get(("optuna_tpe", space, n)), by.get(("parzen_tpe", space, n))
            ratio = a["p50_ms"] / b["p50_ms"] if a and b else None
            cells.append(f"{ratio:.1f}×" if ratio else "–")
            if ratio:
                summary[f"{space}@{n}"] = {"parzen_p50": b["p50_ms"], "optuna_p50": a["p50_ms"], "ratio": ratio}
            body.append(cells)
        out.append(f"**{label}**\n")
        out.append(table(hdr, body))
        r = by.get(("parzen_random", space, 1000))
        if r:
            out.append(f"\nFloor (Parzen random search, N = 1,000: gRPC + SQLite, no model): p50 {r['p50_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms.")
        out.append("")
    gp_ns = sorted({r["n"] for r in rows if r["sampler"] in ("parzen_gp", "optuna_gp")})
    if gp_ns:
        samplers = [s for s in ("parzen_gp", "optuna_gp") if any((s, "10d", n) in by for n in gp_ns)]
        body = []
        for n in gp_ns:
            cells = [str(n)]
            for s in samplers:
                r = by.get((s, "10d", n))
                cells.append(f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f}" if r else "–")
                if r:
                    summary[f"{s}@{n}"] = r["p50_ms"]
            body.append(cells)
        out.append("**GP, 10-D box**\n")
        out.append(table(["N"] + [f"{s} p50 / p95" for s in samplers], body))
        out.append("")
    if failed:
        out.append("Failed measurements:\n")
        out += [f"- {r['sampler']} {r['space']} N = {r['n']}: `{r['error']}`" for r in failed]
        out.append("")
    return "\n".join(out), summary


# ------------------------------------------------------------- load, memory


def load_report(paths: List[str]) -> Tuple[str, Dict[str, Any]]:
    body = []
    summary = {}
    for path in sorted(paths):
        with open(path) as f:
            r = json.load(f)
        what = r.get("algorithm") or ("two health checks (no-op cycle)" if r.get("mode") == "health-cycles" else "health check (no-op)")
        if r.get("transport") == "unix socket":
            what += " (unix socket)"
        summary[what] = r
        per_call = (
            f"{r['suggest_p50_ms']:.1f} / {r['suggest_p99_ms']:.1f} · {r['report_p50_ms']:.1f} / {r['report_p99_ms']:.1f}"
            if "suggest_p99_ms" in r
            else "–"
        )
        body.append(
            [
                what,
                str(r["workers"]),
                f"{r['seconds']:.1f}",
                str(r["cycles"]),
                f"{r['cycles_per_s']:.0f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                f"{r['max_ms']:.1f}",
                per_call,
                str(r["errors"]),
                str(r["duplicates"]),
                f"{r['client_cpu_s'] / r['seconds']:.2f}" if "client_cpu_s" in r else "–",
            ]
        )
    txt = (
        "64 concurrent workers (goroutines of `bench/loadgen`, the Go client over 4 connections) doing "
        "Suggest → Report(OK) cycles on one experiment (Hartmann6 space), after two rounds that show the transport's own "
        "floor: no-op health checks (a row there is one call, not a cycle), and cycles of two no-op health checks (a "
        "cycle's shape with no work behind it). The load generator shares the 2 cores "
        "with the server; its CPU use is in the last column (cores). Latencies are of whole cycles; the per-call column gives "
        "p50 / p99 of the Suggest and of the Report calls on their own. TCP on 127.0.0.1 unless the row says unix socket "
        "(a fresh server, as a sidecar reaches it).\n\n"
        + table(
            ["algorithm", "workers", "seconds", "cycles", "cycles/s", "p50 ms", "p99 ms", "max ms", "per call ms: Suggest · Report", "errors", "duplicate ids", "client cores"],
            body,
        )
        + "\n"
    )
    return txt, summary


def memory_report(path: str) -> Tuple[str, Dict[str, Any]]:
    with open(path) as f:
        m = json.load(f)
    lines = [
        f"{m['experiments']} experiments × {m['trials_per_experiment']:,} completed trials ({m['space']}, {m['algorithm']}), "
        f"imported with AddTrials in {m['import_seconds']:.0f} s ({m['experiments'] * m['trials_per_experiment'] / max(m['import_seconds'], 1e-9):,.0f} trials/s).\n",
        table(
            ["when", "VmRSS (MB)", "VmHWM (MB)"],
            [[w["when"], f"{w['rss_mb']:.0f}", f"{w['hwm_mb']:.0f}"] for w in m["samples"]],
        ),
        "",
    ]
    errs = m.get("suggest_errors", 0) + m.get("suggest_errors_after_restart", 0)
    if errs:
        lines.append(f"({errs} of the one-per-experiment Suggest calls failed; see the notes.)\n")
    return "\n".join(lines), m


# --------------------------------------------------------------------- main


def mo_report(path: str) -> Tuple[str, Dict[str, Any]]:
    """The multi-objective stage's tables (bench/multi_objective.py) and its latency figure, if measured."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import multi_objective

    txt = multi_objective.report(path) + "\n"
    lat_path = os.path.join(os.path.dirname(path), "mo-latency.json")
    summary: Dict[str, Any] = {}
    if os.path.exists(lat_path):
        with open(lat_path) as f:
            lat = json.load(f)
        ms = lat["median_suggest_ms"]
        txt += (
            f"\nMedian Suggest latency through gRPC (Python client) after {lat['n']} trials, TPE, 6 parameters: "
            f"single-objective {ms['single']:.1f} ms, bi-objective {ms['bi-objective']:.1f} ms "
            f"({ms['bi-objective'] / ms['single']:.2f}x).\n"
        )
        summary["latency"] = lat
    return txt, summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="bench/out")
    ap.add_argument("--results", default="")
    args = ap.parse_args()
    d = args.dir
    meta: Dict[str, Any] = {}
    if os.path.exists(os.path.join(d, "meta.json")):
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
    parts: List[str] = ["# Parzen benchmark results\n"]
    if meta:
        parts.append(
            table(
                ["", ""],
                [[k, str(v)] for k, v in meta.items()],
            )
        )
        parts.append("")
    summary: Dict[str, Any] = {"meta": meta}
    def present(path: str) -> Optional[str]:
        return path if os.path.exists(path) else None

    stages: List[Tuple[str, str, Any, Callable[[Any], Tuple[str, Dict[str, Any]]]]] = [
        ("1. Optimisation quality", "quality", present(os.path.join(d, "quality.jsonl")), quality_report),
        ("2. Suggest latency", "latency", present(os.path.join(d, "latency.json")), latency_report),
        ("3. Throughput under load", "load", glob.glob(os.path.join(d, "load-*.json")), load_report),
        ("4. Server memory", "memory", present(os.path.join(d, "memory.json")), memory_report),
        ("5. Several objectives and constraints", "mo", present(os.path.join(d, "mo.jsonl")), mo_report),
    ]
    for title, key, source, report in stages:
        parts.append(f"## {title}\n")
        if source:
            txt, summary[key] = report(source)
            parts.append(txt)
        else:
            parts.append(f"({key} stage not run)\n")
    notes = os.path.join(d, "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            parts.append("## Notes from this run\n")
            parts.append(f.read())
    text = "\n".join(parts)
    print(text)
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    if args.results:
        with open(args.results, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
