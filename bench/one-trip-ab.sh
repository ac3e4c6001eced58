#!/usr/bin/env bash
# Two versions of the server, one after the other, each timed by
# bench/one-trip.py (a lone Python worker's two-call cycle against its one
# round trip, interleaved on that server): the ratio each version reaches,
# under the same client, in alternating rounds so both see the same machine.
#
#   bash bench/one-trip-ab.sh OLD_COMMIT [NEW_COMMIT|worktree [one-trip.py options...]]
#
# e.g. bash bench/one-trip-ab.sh main py1trip --n 1000 --cycles 200 --reps 3
# Settings (environment): AB_ROUNDS=2 (rounds of old then new); BENCH_PYTHON (default: the project's .venv,
# which has the parzen client). Prints each server's lines with the load average before and after.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
old="${1:?usage: bash bench/one-trip-ab.sh OLD_COMMIT [NEW_COMMIT|worktree] [one-trip.py options...]}"
new="${2:-HEAD}"
shift $(($# >= 2 ? 2 : 1))
rounds="${AB_ROUNDS:-2}"
if [[ -n "${BENCH_PYTHON:-}" ]]; then py="$BENCH_PYTHON"; else bash "$root/scripts/python-env.sh"; py="$root/.venv/bin/python"; fi

source "$root/bench/server.sh"
tmp="$(mktemp -d -t parzen-trip-ab-XXXXXX)"
server_pid=""
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

snapshot_code "$tmp/old" "$old"
old_code="$server_code"
snapshot_code "$tmp/new" "$new"
new_code="$server_code"
load() { cut -d' ' -f1-3 /proc/loadavg; }
for round in $(seq 1 "$rounds"); do
  for side in old new; do
    code="$old_code"
    [[ "$side" == new ]] && code="$new_code"
    start_server "$tmp/$side" "$tmp/$side-$round.db" "$tmp/$side-$round.log"
    echo "== round $round, $side: $code; load before $(load)"
    "$py" "$root/bench/one-trip.py" --address "$address" --server-pid "$server_pid" "$@"
    echo "   load after $(load)"
    stop_server
  done
done
