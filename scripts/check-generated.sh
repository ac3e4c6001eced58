#!/usr/bin/env bash
# Fails when code generated from proto/ is not what scripts/gen.sh produces.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/gen.sh
generated=(clients/ts/src/gen src/server/descriptor-set.binpb clients/python/src/parzen/v1 clients/go/gen)
# The clients' copies of the retry policy (proto/parzen/v1/service_config.json).
generated+=(clients/go/service_config.json clients/python/src/parzen/service_config.json clients/ts/src/service_config.json)
if ! git diff --exit-code --stat -- "${generated[@]}" || [[ -n "$(git status --porcelain -- "${generated[@]}")" ]]; then
  echo "generated code is out of date: run 'npm run gen' and commit the result" >&2
  git status --porcelain -- "${generated[@]}" >&2
  exit 1
fi
echo "generated code is up to date"
