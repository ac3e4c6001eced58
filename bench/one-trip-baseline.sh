#!/usr/bin/env bash
# Issue 16's target side by side: this build's one round trip against the two-call cycle of the build the issue
# measured (or any other), both servers running at once and timed interleaved by bench/one-trip.py.
#
#   bash bench/one-trip-baseline.sh [BASELINE_COMMIT [NEW_COMMIT|worktree [one-trip.py options...]]]
#
# BASELINE_COMMIT defaults to 7d9182a, main just before issue 16's first commit (bd658bb). e.g.
#   bash bench/one-trip-baseline.sh 7d9182a HEAD --n 1000 --cycles 200 --reps 3
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
old="${1:-7d9182a}"
new="${2:-HEAD}"
shift $(($# >= 2 ? 2 : $#))
if [[ -n "${BENCH_PYTHON:-}" ]]; then py="$BENCH_PYTHON"; else bash "$root/scripts/python-env.sh"; py="$root/.venv/bin/python"; fi

source "$root/bench/server.sh"
tmp="$(mktemp -d -t parzen-trip-base-XXXXXX)"
pids=()
trap 'for p in "${pids[@]}"; do stop_server "$p"; done; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

snapshot_code "$tmp/old" "$old"
echo "== baseline: $server_code"
snapshot_code "$tmp/new" "$new"
echo "== this build: $server_code"
start_server "$tmp/old" "$tmp/old.db" "$tmp/old.log"
pids+=("$server_pid")
old_address="$address"
start_server "$tmp/new" "$tmp/new.db" "$tmp/new.log"
pids+=("$server_pid")
echo "== load before $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" "$root/bench/one-trip.py" --address "$address" --baseline-address "$old_address" "$@"
echo "== load after $(cut -d' ' -f1-3 /proc/loadavg)"
