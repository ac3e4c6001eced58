"""Progress display for ``fmin``: a tqdm bar when tqdm is installed, else a
single self-updating line on an interactive stderr, else nothing."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    def __init__(self, total: int | None, initial: int, enabled: bool) -> None:
        self._bar: Any = None
        self._plain = False
        self._n = initial
        self._total = total
        self._best: float | None = None
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._plain = sys.stderr.isatty()
            return
        self._bar = tqdm(total=total, initial=initial, unit="trial", dynamic_ncols=True)

    def update(self, best: float | None) -> None:
        self._n += 1
        self._best = best
        text = "best loss: -" if best is None else f"best loss: {best:.6g}"
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(1)
        elif self._plain:
            total = "?" if self._total is None else str(self._total)
            sys.stderr.write(f"\r{self._n}/{total} trials, {text}")
            sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._plain:
            sys.stderr.write("\n")
