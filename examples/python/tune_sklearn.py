"""Tune a scikit-learn classifier on the digits dataset (shipped inside
scikit-learn, no download) with Parzen.

The space is nested, as in hyperopt: first choose the model, then that
model's own hyperparameters. ``fn`` receives actual values shaped like the
space, e.g. ``{"model": {"type": "svm", "C": 3.2, "gamma": 0.001,
"kernel": "rbf"}, "scale": True}``.

    python examples/python/tune_sklearn.py                    # starts a local server
    python examples/python/tune_sklearn.py --address 127.0.0.1:50051 --max-evals 50
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Dict

import parzen
from parzen import hp

SPACE = {
    "model": hp.choice(
        "model",
        [
            {
                "type": "svm",
                "C": hp.loguniform("svm_C", math.log(1e-2), math.log(1e3)),  # log-space bounds, as in hyperopt
                "gamma": hp.loguniform("svm_gamma", math.log(1e-5), math.log(1e-1)),
                "kernel": hp.choice("svm_kernel", ["rbf", "sigmoid"]),
            },
            {
                "type": "random_forest",
                "n_estimators": hp.uniformint("rf_n_estimators", 10, 100, q=10),
                "max_depth": hp.choice("rf_max_depth", [None, hp.randint("rf_depth", 2, 20)]),
                "criterion": hp.choice("rf_criterion", ["gini", "entropy"]),
            },
            {
                "type": "knn",
                "n_neighbors": parzen.space.Int(1, 30),  # Optuna-style: natural-unit bounds
                "weights": parzen.space.Categorical(["uniform", "distance"]),
            },
        ],
    ),
    "scale": hp.choice("scale", [True, False]),
}


def build(params: Dict[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    m = params["model"]
    if m["type"] == "svm":
        model: Any = SVC(C=m["C"], gamma=m["gamma"], kernel=m["kernel"])
    elif m["type"] == "random_forest":
        model = RandomForestClassifier(n_estimators=m["n_estimators"], max_depth=m["max_depth"], criterion=m["criterion"], random_state=0)
    else:
        model = KNeighborsClassifier(n_neighbors=m["n_neighbors"], weights=m["weights"])
    return make_pipeline(StandardScaler(), model) if params["scale"] else model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--address", help="Parzen server (default: $PARZEN_ADDRESS, else start a local one)")
    ap.add_argument("--max-evals", type=int, default=30)
    ap.add_argument("--experiment", default=None, help="experiment name (resumes when it exists)")
    ap.add_argument("--algo", default=None, help="tpe (default), random or gp")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--folds", type=int, default=3)
    args = ap.parse_args()

    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_val_score

    X, y = load_digits(return_X_y=True)

    def objective(params: Dict[str, Any]) -> Dict[str, Any]:
        accuracy = float(cross_val_score(build(params), X, y, cv=args.folds).mean())
        # The loss is minimised; extra numeric entries are stored as metrics.
        return {"loss": 1.0 - accuracy, "status": parzen.STATUS_OK, "accuracy": accuracy}

    best = parzen.fmin(
        objective,
        SPACE,
        algo=args.algo,
        max_evals=args.max_evals,
        client=args.address,
        experiment=args.experiment,
        seed=args.seed,
    )
    print(f"best params: {best}")


if __name__ == "__main__":
    main()
