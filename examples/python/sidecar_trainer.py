"""A PyTorch-style training job tuned by a Parzen sidecar.

It is the trainer container of deploy/kubernetes/sidecar/job-python.yaml: the Parzen server runs beside it in the same
pod and listens on a unix socket in a shared emptyDir. Everything comes from the environment the manifest sets:

    PARZEN_ADDRESS      where the server listens       (the manifest: unix:///run/parzen/parzen.sock)
    PARZEN_EXPERIMENT   the experiment's name          (default: mlp-sidecar)
    PARZEN_TRIALS       trials to run                  (default: 20)
    PARZEN_EPOCHS       epochs per trial               (default: 15)

Each trial trains a one-hidden-layer network on a synthetic two-class problem with mini-batch SGD (momentum) or
Adam, reports the validation loss after every epoch (the experiment's median pruner may stop it early) and
reports the final validation loss. With PyTorch installed it trains a torch.nn model; without it, the same model
in numpy, so the example runs anywhere (`pip install ./clients/python numpy`).

    PARZEN_ADDRESS=127.0.0.1:50051 python examples/python/sidecar_trainer.py
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any, Callable

import numpy as np

import parzen
from parzen import space

SPACE = {
    "lr": space.Float(1e-4, 1.0, log=True),
    "hidden": space.Int(4, 64, log=True),
    "weight_decay": space.Float(1e-6, 1e-2, log=True),
    "batch_size": space.Categorical([16, 32, 64]),
    "optimizer": space.Categorical([{"name": "sgd", "momentum": space.Float(0.0, 0.99)}, {"name": "adam"}]),
}


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two interleaved half-moons with noise: 800 training and 400 validation points."""
    rng = np.random.default_rng(seed)
    n = 1200
    t = rng.uniform(0, math.pi, n)
    label = rng.integers(0, 2, n)
    x = np.stack([np.cos(t) + label * 1.0, np.sin(t) * (1 - 2 * label) + label * 0.4], axis=1)
    x += rng.normal(0, 0.2, x.shape)
    return x[:800], label[:800].astype(np.float64), x[800:], label[800:].astype(np.float64)


class NumpyMLP:
    """Linear -> tanh -> Linear -> sigmoid, trained by hand-written backprop (what torch.nn would do)."""

    def __init__(self, hidden: int, rng: np.random.Generator) -> None:
        self.params = [
            rng.normal(0, 1 / math.sqrt(2), (2, hidden)),
            np.zeros(hidden),
            rng.normal(0, 1 / math.sqrt(hidden), (hidden, 1)),
            np.zeros(1),
        ]

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w1, b1, w2, b2 = self.params
        h = np.tanh(x @ w1 + b1)
        return h, (h @ w2 + b2)[:, 0]

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        _, z = self.forward(x)
        return float(np.mean(np.logaddexp(0, z) - y * z))  # binary cross-entropy on logits

    def grads(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        _, _, w2, _ = self.params
        h, z = self.forward(x)
        dz = (1 / (1 + np.exp(-z)) - y)[:, None] / len(y)
        dh = (dz @ w2.T) * (1 - h**2)
        return [x.T @ dh, dh.sum(0), h.T @ dz, dz.sum(0)]


def train_numpy(p: dict[str, Any], epochs: int, trial: parzen.Trial) -> float:
    x, y, xv, yv = make_data()
    rng = np.random.default_rng(trial.number)
    model = NumpyMLP(int(p["hidden"]), rng)
    opt = p["optimizer"]
    m = [np.zeros_like(w) for w in model.params]
    v = [np.zeros_like(w) for w in model.params]
    step = 0
    val = math.inf
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), int(p["batch_size"])):
            idx = order[start : start + int(p["batch_size"])]
            step += 1
            for i, (w, g) in enumerate(zip(model.params, model.grads(x[idx], y[idx]))):
                g = g + p["weight_decay"] * w
                if opt["name"] == "sgd":
                    m[i] = opt["momentum"] * m[i] + g
                    w -= p["lr"] * m[i]
                else:  # Adam, torch's defaults
                    m[i] = 0.9 * m[i] + 0.1 * g
                    v[i] = 0.999 * v[i] + 0.001 * g * g
                    w -= p["lr"] * (m[i] / (1 - 0.9**step)) / (np.sqrt(v[i] / (1 - 0.999**step)) + 1e-8)
        val = model.loss(xv, yv)
        if not math.isfinite(val) or trial.report_intermediate(epoch, val):
            raise parzen.TrialPruned
    return val


def train_torch(p: dict[str, Any], epochs: int, trial: parzen.Trial) -> float:
    import torch
    from torch import nn

    x, y, xv, yv = (torch.tensor(a, dtype=torch.float32) for a in make_data())
    torch.manual_seed(trial.number)
    model = nn.Sequential(nn.Linear(2, int(p["hidden"])), nn.Tanh(), nn.Linear(int(p["hidden"]), 1))
    opt = p["optimizer"]
    optimizer: torch.optim.Optimizer = (
        torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=opt["momentum"], weight_decay=p["weight_decay"])
        if opt["name"] == "sgd"
        else torch.optim.Adam(model.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
    )
    loss_fn = nn.BCEWithLogitsLoss()
    val = math.inf
    for epoch in range(epochs):
        model.train()
        for idx in torch.randperm(len(y)).split(int(p["batch_size"])):
            optimizer.zero_grad()
            loss_fn(model(x[idx])[:, 0], y[idx]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val = float(loss_fn(model(xv)[:, 0], yv))
        if not math.isfinite(val) or trial.report_intermediate(epoch, val):
            raise parzen.TrialPruned
    return val


Trainer = Callable[[dict[str, Any], int, parzen.Trial], float]


def pick_trainer() -> Trainer:
    """torch.nn when PyTorch is installed, else the same model in numpy."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return train_numpy
    return train_torch


def main() -> int:
    address = os.environ.get("PARZEN_ADDRESS", "127.0.0.1:50051")
    name = os.environ.get("PARZEN_EXPERIMENT", "mlp-sidecar")
    trials = int(os.environ.get("PARZEN_TRIALS", "20"))
    epochs = int(os.environ.get("PARZEN_EPOCHS", "15"))
    train = pick_trainer()
    print(f"training with {'PyTorch' if train is train_torch else 'numpy'}", flush=True)
    client = parzen.Client(address)
    exp = client.create_experiment(name, SPACE, seed=1, pruner=parzen.pruners.Median(n_warmup_steps=3))
    for _ in range(trials):
        with exp.suggest() as trial:  # reports FAIL if training raises, PRUNED on TrialPruned
            trial.report(train(trial.params, epochs, trial))
            print(f"trial {trial.number}: loss {trial.loss:.4f} {trial.params}", flush=True)
    best = exp.best_trial
    print(f"best: trial {best.number if best else None}, loss {best.loss if best else None}", flush=True)
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
