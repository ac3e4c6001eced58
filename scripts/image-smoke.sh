#!/usr/bin/env bash
# The container image's smoke test (test/container/image-smoke.ts says what it checks), on the image that
# scripts/image.sh built: `bash scripts/image-smoke.sh [image]`. Needs the Python venv (scripts/python-env.sh)
# and Go for the example trainers it runs against the sidecar.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
exec npx tsx test/container/image-smoke.ts "$@"
