"""The scikit-learn example runs end to end with a tiny budget."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import parzen
from parzen.local_server import find_repo

# The checkout these tests sit in (found upwards: mutmut runs a copy of them one directory deeper).
REPO = find_repo(Path(__file__)) or Path(__file__).resolve().parents[3]


def test_tune_sklearn_example_runs(client: parzen.Client) -> None:
    pytest.importorskip("sklearn")
    name = f"example-{uuid.uuid4().hex[:8]}"
    script = REPO / "examples" / "python" / "tune_sklearn.py"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            str(script),
            "--address",
            client.address,
            "--max-evals",
            "3",
            "--folds",
            "2",
            "--experiment",
            name,
            "--algo",
            "random",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "best params: {'model': {'type': " in proc.stdout
    exp = client.get_experiment(name)
    trials = exp.trials()
    assert len(trials) == 3 and all(t.state == "COMPLETE" for t in trials)
    assert all(t.params["model"]["type"] in ("svm", "random_forest", "knn") for t in trials)
    assert all(0 < t.metrics["accuracy"] <= 1 for t in trials)
