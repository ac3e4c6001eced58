"""Report of the deceptive stage (issue 21): for each deceptive or rugged
problem of problems.DECEPTIVE, each sampler's success rate (best regret below
the problem's tags["success"] within tags["at"] trials: the global basin was
found) and its median best regret [25th, 75th percentile] at the budget.

    python bench/deceptive_report.py bench/out/deceptive.jsonl
"""

from __future__ import annotations

import json
import os
import sys
from typing import Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import problems as P  # noqa: E402


def main() -> None:
    import numpy as np

    runs: Dict[Tuple[str, str], List[float]] = {}
    order: List[str] = []
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r.get("error") or r["problem"] not in {p.name for p in P.DECEPTIVE}:
            continue
        p = P.BY_NAME[r["problem"]]
        at = int(p.tags["at"])
        best = min(r["true"][:at]) - p.optimum
        runs.setdefault((r["sampler"], p.name), []).append(best)
        if r["sampler"] not in order:
            order.append(r["sampler"])
    order.sort(key=lambda s: ["parzen_tpe", "optuna_tpe", "hyperopt_tpe", "hyperopt_rand"].index(s)
               if s in ("parzen_tpe", "optuna_tpe", "hyperopt_tpe", "hyperopt_rand") else 9)
    fmt = lambda x: "0" if x == 0 else f"{x:.3g}"  # noqa: E731
    print("| problem (trials, success: regret <) | " + " | ".join(order) + " |")
    print("|---|" + "---|" * len(order))
    for p in P.DECEPTIVE:
        cells = []
        for s in order:
            xs = runs.get((s, p.name))
            if not xs:
                cells.append("–")
                continue
            ok = sum(1 for x in xs if x < p.tags["success"])
            q1, q2, q3 = np.percentile(xs, [25, 50, 75])
            cells.append(f"{ok}/{len(xs)}; {fmt(q2)} [{fmt(q1)}, {fmt(q3)}]")
        print(f"| {p.name} ({p.tags['at']}, {p.tags['success']:g}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
