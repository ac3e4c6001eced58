#!/usr/bin/env bash
# Creates (once) the project's Python venv at .venv with the pinned code
# generator, the test tools and the Python client installed editable.
# Prints nothing on success; idempotent and quick when already set up.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.parzen-stamp"
want="$( (cat "$root/scripts/python-requirements.txt" "$root/clients/python/pyproject.toml" 2>/dev/null || true) | sha256sum | cut -c1-16)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then exit 0; fi
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/scripts/python-requirements.txt"
if [[ -f "$root/clients/python/pyproject.toml" ]]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root/clients/python[dev]"
fi
echo "$want" > "$stamp"
