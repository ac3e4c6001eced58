#!/usr/bin/env bash
# Every linter, format check and type check of the project, in all three
# languages; any finding, warnings included, fails. CI runs it before the
# tests (.ci/run), `npm run check` runs it locally, and the pre-commit hooks
# (.pre-commit-config.yaml) run it one language at a time:
#   bash scripts/check.sh [typescript] [proto] [python] [go]   (default: all)
# Tool versions are pinned: Biome and buf in package-lock.json, ruff and mypy
# in scripts/python-requirements.txt, staticcheck here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

staticcheck_version=v0.8.2 # the newest that supports the installed Go (1.26)
go_modules=(clients/go examples/go bench/loadgen)

check_typescript() {
  echo "== TypeScript: biome (lint and format), tsc"
  node_modules/.bin/biome check --error-on-warnings .
  npm run --silent typecheck
}

check_proto() {
  echo "== proto: buf lint"
  node_modules/.bin/buf lint
}

check_python() {
  echo "== Python client: ruff (lint and format), mypy --strict"
  bash scripts/python-env.sh
  (
    cd clients/python
    ../../.venv/bin/ruff check --quiet .
    ../../.venv/bin/ruff format --check --quiet .
    ../../.venv/bin/mypy --no-error-summary
  )
}

check_go() {
  echo "== Go: gofmt, go vet, staticcheck (${go_modules[*]})"
  # Project-local, like the protoc plugins of scripts/gen.sh; quick when already installed.
  GOBIN="$root/.tools/bin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
  local mod unformatted
  for mod in "${go_modules[@]}"; do
    unformatted="$(gofmt -l "$mod")"
    if [[ -n "$unformatted" ]]; then
      echo "not gofmt-formatted (run gofmt -w):" >&2
      echo "$unformatted" >&2
      return 1
    fi
    (cd "$mod" && go vet ./... && "$root/.tools/bin/staticcheck" ./...)
  done
}

steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(typescript proto python go)
for step in "${steps[@]}"; do
  case "$step" in
    typescript) check_typescript ;;
    proto) check_proto ;;
    python) check_python ;;
    go) check_go ;;
    *)
      echo "unknown check '$step' (typescript, proto, python, go)" >&2
      exit 2
      ;;
  esac
done
echo "all checks passed: ${steps[*]}"
