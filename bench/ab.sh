#!/usr/bin/env bash
# Two versions of the server side by side, in one run: Suggest latency
# (bench/ab-latency.py, both servers up, timed interleaved) and the memory
# stage (bench/memory.py, one server at a time, alternating A B B A ...).
#
#   bash bench/ab.sh OLD_COMMIT [NEW_COMMIT|worktree]      (NEW defaults to HEAD)
#
# Settings (environment):
#   AB_STAGES=latency,memory   AB_REPS=5 (latency repetitions)   AB_MEMORY_REPS=2 (runs of each server)
#   AB_NS=1000,5000   AB_CYCLES=100
#   AB_MEMORY_EXPERIMENTS=100  AB_MEMORY_TRIALS=10000  AB_MEMORY_SETTLE=60
#   BENCH_PYTHON               a Python with numpy and the parzen client (default: bench/.venv)
# Raw data and logs go to bench/out/ab/; the summaries are printed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
old="${1:?usage: bash bench/ab.sh OLD_COMMIT [NEW_COMMIT|worktree]}"
new="${2:-HEAD}"
stages="${AB_STAGES:-latency,memory}"
out="$root/bench/out/ab"
mkdir -p "$out"
if [[ -n "${BENCH_PYTHON:-}" ]]; then py="$BENCH_PYTHON"; else bash "$root/bench/setup-venv.sh"; py="$root/bench/.venv/bin/python"; fi

source "$root/bench/server.sh"
tmp="$(mktemp -d -t parzen-ab-XXXXXX)"
server_pid=""
pids=()
cleanup() { for p in "${pids[@]}"; do stop_server "$p"; done; stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

snapshot_code "$tmp/old" "$old"
echo "bench: old = $server_code" >&2
echo "old: $server_code" > "$out/code.txt"
snapshot_code "$tmp/new" "$new"
echo "bench: new = $server_code" >&2
echo "new: $server_code" >> "$out/code.txt"

if [[ ",$stages," == *",latency,"* ]]; then
  echo "bench: == latency, old and new interleaved" >&2
  start_server "$tmp/old" "$tmp/lat-old.db" "$out/server-lat-old.log"; pids+=("$server_pid"); old_address="$address"
  start_server "$tmp/new" "$tmp/lat-new.db" "$out/server-lat-new.log"; pids+=("$server_pid"); new_address="$address"
  "$py" bench/ab-latency.py --server "old=$old_address" --server "new=$new_address" --out "$out/latency.json" \
    --reps "${AB_REPS:-5}" --ns "${AB_NS:-1000,5000}" --cycles "${AB_CYCLES:-100}" | tee "$out/latency.md"
  for p in "${pids[@]}"; do stop_server "$p"; done
  pids=()
fi

if [[ ",$stages," == *",memory,"* ]]; then
  # One server at a time (its import is CPU-bound); the order alternates, old new new old ...
  order=()
  for ((r = 0; r < ${AB_MEMORY_REPS:-2}; r++)); do
    if ((r % 2 == 0)); then order+=("old:$r" "new:$r"); else order+=("new:$r" "old:$r"); fi
  done
  for run in "${order[@]}"; do
    name="${run%%:*}" rep="${run##*:}"
    echo "bench: == memory, $name, run $rep" >&2
    db="$tmp/mem-$name-$rep.db" json="$out/memory-$name-$rep.json"
    start_server "$tmp/$name" "$db" "$out/server-mem-$name-$rep.log"
    "$py" bench/memory.py load --address "$address" --pid "$server_pid" --out "$json" --settle "${AB_MEMORY_SETTLE:-60}" \
      --experiments "${AB_MEMORY_EXPERIMENTS:-100}" --trials "${AB_MEMORY_TRIALS:-10000}"
    stop_server
    start_server "$tmp/$name" "$db" "$out/server-mem2-$name-$rep.log"
    "$py" bench/memory.py touch --address "$address" --pid "$server_pid" --out "$json" --settle "${AB_MEMORY_SETTLE:-60}"
    stop_server
    rm -f "$db" "$db"-wal "$db"-shm
  done
  "$py" - "$out" <<'PY' | tee "$out/memory.md"
import glob, json, os, re, statistics, sys
out = sys.argv[1]
runs = {os.path.basename(p)[7:-5]: json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "memory-*-*.json")))}
names = sorted({r.split("-")[0] for r in runs}, key=lambda n: n != "old")
def label(when): return re.sub(r" ?\([0-9.]+ s\)|, idle [0-9]+ s", "", when)
first = next(iter(runs.values()))
print("| when | " + " | ".join(f"{n}: VmRSS / VmHWM, median [runs]" for n in names) + " |")
print("|---|" + "---|" * len(names))
def cell(values): return f"{statistics.median(values):.0f} [{', '.join(f'{v:.0f}' for v in values)}]"
for i, s in enumerate(first["samples"]):
    row = [label(s["when"]) + (" (idle)" if "idle" in s["when"] else "")]
    for n in names:
        mine = [m["samples"][i] for r, m in runs.items() if r.startswith(n + "-")]
        row.append(cell([x["rss_mb"] for x in mine]) + " / " + cell([x["hwm_mb"] for x in mine]))
    print("| " + " | ".join(row) + " |")
for n in names:
    mine = [m for r, m in runs.items() if r.startswith(n + "-")]
    print(f"\n{n}: import {cell([m['import_seconds'] for m in mine])} s, touch after restart {cell([m['touch_seconds'] for m in mine])} s,"
          f" failed Suggests {sum(m['suggest_errors'] + m['suggest_errors_after_restart'] for m in mine)}")
PY
fi
