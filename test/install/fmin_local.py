"""Run by scripts/test-install.sh from a fresh venv outside the repository: hyperopt-style `fmin` with no server
given starts the `parzen` command it finds on PATH (argv[1] == "present") or says how to install it ("missing")."""

import sys

import parzen
from parzen import hp


def main() -> None:
    space = {"x": hp.uniform("x", -5, 5)}
    if sys.argv[1] == "missing":
        try:
            parzen.fmin(lambda p: (p["x"] - 1) ** 2, space, max_evals=3, show_progressbar=False)
        except parzen.errors.ServerStartError as e:
            if "npm install -g" not in str(e):
                raise AssertionError(f"the error does not say how to install the server: {e}") from e
            print("python: missing server explained:", str(e).split(". ")[0])
            return
        raise AssertionError("fmin ran without a parzen command on PATH")
    best = parzen.fmin(lambda p: (p["x"] - 1) ** 2, space, max_evals=8, show_progressbar=False, seed=3)
    assert -5 <= best["x"] <= 5, best
    print("python: fmin started the installed parzen and found x =", round(best["x"], 3))


main()
