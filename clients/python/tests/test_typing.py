"""The package type-checks under mypy --strict (its pyproject settings)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def test_package_is_strictly_typed(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (root / "src" / "parzen" / "py.typed").is_file()
