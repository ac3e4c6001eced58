#!/usr/bin/env bash
# The whole test suite, as the README's test command runs it:
# TypeScript (vitest), the Python client (pytest), the Go client and the Go
# example (go test). Sets up the Python venv and Go modules itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# In CI a skipped test is a failure in every suite (a check that silently did not happen): vitest's
# test/require-all-reporter.ts, pytest's conftest hook and go_test below honour PARZEN_REQUIRE_ALL=1.
if [[ "${CI:-}" == "true" ]]; then export PARZEN_REQUIRE_ALL="${PARZEN_REQUIRE_ALL:-1}"; fi

# go test, failing under PARZEN_REQUIRE_ALL=1 on any skipped test (t.Skip anywhere, not only the helpers).
go_test() {
  if [[ "${PARZEN_REQUIRE_ALL:-}" != "1" ]]; then
    go test ./...
    return
  fi
  local log status=0
  log="$(mktemp)"
  go test -v ./... >"$log" 2>&1 || status=$?
  # -v for the SKIP lines; print the usual summary unless something failed.
  if [[ $status -ne 0 ]]; then cat "$log"; else grep -E '^(ok|FAIL|\?) ' "$log" || true; fi
  if grep -q -- '--- SKIP' "$log"; then
    echo "PARZEN_REQUIRE_ALL=1: skipped Go tests fail the run:" >&2
    grep -- '--- SKIP' "$log" >&2
    status=1
  fi
  rm -f "$log"
  return $status
}

# The venv first: a vitest test parses /metrics with Python's prometheus_client.
bash scripts/python-env.sh

echo "== TypeScript (vitest)"
npx vitest run

echo "== Python client (pytest)"
bash scripts/python-env.sh
.venv/bin/python -m pytest clients/python/tests -q

echo "== Go client (go test)"
(cd clients/go && go_test)
if [[ -f examples/go/go.mod ]]; then
  echo "== Go example (go test)"
  (cd examples/go && go_test)
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
