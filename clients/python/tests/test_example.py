"""The scikit-learn example runs end to end with a tiny budget."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

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


def _sidecar_trainer() -> ModuleType:
    """examples/python/sidecar_trainer.py as a module (its main() does not run on import)."""
    path = REPO / "examples" / "python" / "sidecar_trainer.py"
    spec = importlib.util.spec_from_file_location("sidecar_trainer", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sidecar_trainer_runs_from_the_environment(client: parzen.Client) -> None:
    """The Kubernetes sidecar Job's trainer, configured only by the variables its manifest sets."""
    pytest.importorskip("numpy")
    name = f"sidecar-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PARZEN_ADDRESS": client.address,
        "PARZEN_EXPERIMENT": name,
        "PARZEN_TRIALS": "3",
        "PARZEN_EPOCHS": "2",
        "OPENBLAS_NUM_THREADS": "1",
    }
    script = REPO / "examples" / "python" / "sidecar_trainer.py"
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("best: trial ")
    assert len(client.get_experiment(name).trials()) == 3


def _subscripts(fn: ast.FunctionDef, names: set[str]) -> set[str]:
    """The string keys `fn` reads from the variables `names` (p["lr"], opt["momentum"])."""
    return {
        node.slice.value
        for node in ast.walk(fn)
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in names
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    }


def test_sidecar_trainer_torch_and_numpy_paths_read_the_same_parameters() -> None:
    """
    PyTorch is too large for CI, so its training path never runs here: it is checked to read every parameter of
    the space and nothing else, exactly as the numpy path (which does run) does, and to import only torch.
    """
    pytest.importorskip("numpy")
    source = (REPO / "examples" / "python" / "sidecar_trainer.py").read_text()
    functions = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    trainer = _sidecar_trainer()
    space_keys = set(trainer.SPACE)
    # The optimizer choice's options: {"name": "sgd", "momentum": ...} and {"name": "adam"}.
    branch_keys = {"name", "momentum"}
    for fn in ("train_numpy", "train_torch"):
        assert _subscripts(functions[fn], {"p"}) == space_keys, fn
        assert _subscripts(functions[fn], {"opt"}) == branch_keys, fn
    imports = {
        alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
        for node in ast.walk(functions["train_torch"])
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imports == {"torch", "torch.nn"}


def test_sidecar_trainer_uses_torch_exactly_when_it_can_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numpy")
    trainer = _sidecar_trainer()
    installed = importlib.util.find_spec("torch") is not None
    assert trainer.pick_trainer() is (trainer.train_torch if installed else trainer.train_numpy)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    assert trainer.pick_trainer() is trainer.train_numpy
    monkeypatch.setitem(sys.modules, "torch", ModuleType("torch"))
    assert trainer.pick_trainer() is trainer.train_torch
