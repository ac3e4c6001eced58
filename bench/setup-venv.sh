#!/usr/bin/env bash
# Creates (once) the bench's private venv at bench/.venv with Optuna, hyperopt,
# cmaes (for Optuna's CmaEsSampler), numpy, scipy, psycopg2-binary (Optuna's RDB storage on PostgreSQL),
# torch (CPU, for Optuna's GPSampler; optional, skipped with BENCH_NO_TORCH=1) and the Parzen
# Python client installed editable. Idempotent: a stamp file records what was
# installed; delete bench/.venv to start over.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/bench/.venv"
stamp="$venv/.bench-stamp"
want="v4-${BENCH_NO_TORCH:-0}-$(sha256sum "$root/clients/python/pyproject.toml" | cut -c1-16)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then exit 0; fi
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
pip() { "$venv/bin/python" -m pip --disable-pip-version-check "$@"; }
echo "bench: installing optuna, hyperopt, numpy, scipy and the parzen client into bench/.venv" >&2
pip install --quiet --upgrade pip
pip install --quiet --upgrade optuna hyperopt numpy scipy greenlet cmaes psycopg2-binary  # greenlet: GPSampler's batched L-BFGS-B; cmaes: CmaEsSampler
pip install --quiet -e "$root/clients/python"
# torch is only needed by Optuna's GPSampler. PyPI's Linux wheel is large; if it
# cannot be installed here the bench runs without GPSampler and says so.
if [[ "${BENCH_NO_TORCH:-}" != 1 ]] && ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  echo "bench: installing torch (for Optuna's GPSampler; large download)" >&2
  if ! pip install --quiet torch; then
    echo "bench: NOTE: torch could not be installed; Optuna's GPSampler will be skipped" >&2
  fi
fi
echo "$want" > "$stamp"
