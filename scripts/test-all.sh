#!/usr/bin/env bash
# The whole test suite, as the README's test command runs it:
# TypeScript (vitest), the Python client (pytest), the Go client and the Go
# example (go test). Sets up the Python venv and Go modules itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The venv first: a vitest test parses /metrics with Python's prometheus_client.
bash scripts/python-env.sh

echo "== TypeScript (vitest)"
npx vitest run

echo "== Python client (pytest)"
bash scripts/python-env.sh
.venv/bin/python -m pytest clients/python/tests -q

echo "== Go client (go test)"
(cd clients/go && go test ./...)
if [[ -f examples/go/go.mod ]]; then
  echo "== Go example (go test)"
  (cd examples/go && go test ./...)
fi
echo "== Go load generator of the bench (go vet)"
(cd bench/loadgen && go vet ./...)
echo "== Server and clients installed outside the repository (scripts/test-install.sh)"
bash scripts/test-install.sh
if [[ "${PARZEN_SKIP_IMAGE:-}" == 1 ]]; then
  echo "== Container image: skipped (PARZEN_SKIP_IMAGE=1)"
else
  echo "== Container image: build (scripts/image.sh) and smoke test (scripts/image-smoke.sh)"
  image="$(bash scripts/image.sh)" # an assignment, so that a failed build stops the suite here
  bash scripts/image-smoke.sh "$image"
fi
