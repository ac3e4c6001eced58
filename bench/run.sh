#!/usr/bin/env bash
# npm run bench: Parzen vs Optuna vs hyperopt, quality and speed (see bench/README.md).
#
# Settings (environment):
#   BENCH_SEEDS=20            seeds 0..N-1 per problem and sampler
#   BENCH_GP_SEEDS=5          seeds for the GP samplers (Optuna's GPSampler costs ~1 s per trial here)
#   BENCH_GP_BUDGET=50        trials per run of the GP samplers
#   BENCH_PROBLEMS            comma list (default: all eight), e.g. branin,hartmann6
#   BENCH_SAMPLERS            comma list (default: all available), e.g. parzen_tpe,optuna_tpe
#   BENCH_STAGES=quality,latency,load,pruning,memory,mo  (deceptive: issue 21's deceptive and rugged
#                             problems, parzen_tpe/optuna_tpe/hyperopt_tpe/hyperopt_rand, report in deceptive.md;
#                             auto: issue 21's `auto` against tpe, gp and cmaes on every protocol problem, in
#                             process (bench/auto-quick.ts; the GP at 200 trials is slow), report in auto.md)
#   BENCH_MO_BUDGET=300       trials per multi-objective run (hypervolume read at 100, 200, 300)
#   BENCH_SKIP_MEMORY=1       leave out the memory stage (100 x 10,000 trials)
#   BENCH_JOBS=2              parallel processes for the quality runs
#   BENCH_LOAD_SECONDS=20     random-search load; BENCH_LOAD_TPE_SECONDS=10 for the TPE variant
#   BENCH_LATENCY_NS=100,1000,5000,10000   BENCH_GP_NS=100,200,500
#   BENCH_OPTUNA_MAX_N        largest N at which Optuna's TPE is timed (default: all)
#   BENCH_LATENCY_CYCLES=100  BENCH_GP_CYCLES=50   (timed Suggest+Report / ask+tell cycles)
#   BENCH_MEMORY_EXPERIMENTS=100  BENCH_MEMORY_TRIALS=10000
#   BENCH_SERVER_CODE=head    run the committed code (default) or "worktree" (uncommitted edits too)
#   BENCH_RESUME=1            keep bench/out/quality.jsonl and run only the missing runs
#   BENCH_RESULTS             where the report goes (default bench/RESULTS.md for a full
#                             run, bench/out/RESULTS.md when any subset variable is set)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

subset=0
for v in BENCH_MO_BUDGET BENCH_OPTUNA_MAX_N BENCH_GP_CYCLES BENCH_LATENCY_CYCLES BENCH_SEEDS BENCH_GP_SEEDS BENCH_PROBLEMS BENCH_SAMPLERS BENCH_STAGES BENCH_SKIP_MEMORY BENCH_GP_BUDGET BENCH_LATENCY_NS BENCH_MEMORY_EXPERIMENTS BENCH_MEMORY_TRIALS BENCH_LOAD_SECONDS; do
  [[ -n "${!v:-}" ]] && subset=1
done
SEEDS="${BENCH_SEEDS:-20}"
GP_SEEDS="${BENCH_GP_SEEDS:-5}"
GP_BUDGET="${BENCH_GP_BUDGET:-50}"
PROBLEMS="${BENCH_PROBLEMS:-}"
STAGES="${BENCH_STAGES:-quality,latency,load,pruning,memory,mo}"
[[ "${BENCH_SKIP_MEMORY:-0}" == 1 ]] && STAGES="${STAGES//memory/}"
JOBS="${BENCH_JOBS:-2}"
if [[ -n "${BENCH_RESULTS:-}" ]]; then results="$BENCH_RESULTS"
elif [[ $subset == 0 ]]; then results="$root/bench/RESULTS.md"
else results="$root/bench/out/RESULTS.md"; fi
has_stage() { [[ ",$STAGES," == *",$1,"* ]]; }

out="$root/bench/out"
mkdir -p "$out"
if [[ "${BENCH_RESUME:-0}" != 1 ]]; then
  rm -f "$out"/quality.jsonl "$out"/latency.json "$out"/load-*.json "$out"/memory.json "$out"/notes.md \
    "$out"/mo.jsonl "$out"/mo-latency.json
fi
: > "$out/notes.md"
note() { echo "bench: $*" >&2; echo "- $*" >> "$out/notes.md"; }

# ---------------------------------------------------------------- venv
bash "$root/bench/setup-venv.sh"
py="$root/bench/.venv/bin/python"

# ---------------------------------------------------------------- server
source "$root/bench/server.sh"
tmp="$(mktemp -d -t parzen-bench-XXXXXX)"
server_pid=""
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server runs from a snapshot taken now, so every server start in this
# run (the memory stage restarts it) runs the same code even if src/ is
# edited meanwhile: the committed code (HEAD) by default, or the working tree
# as it is with BENCH_SERVER_CODE=worktree. It runs compiled, as `npm start`
# and deployments run it (not under tsx).
snap="$tmp/parzen"
if [[ "${BENCH_SERVER_CODE:-head}" == worktree ]]; then snapshot_code "$snap" worktree; else snapshot_code "$snap" HEAD; fi

start_server "$snap" "$tmp/bench.db" "$out/server.log"

# ---------------------------------------------------------------- what is available
has_gp=0
if "$py" - "$address" <<'EOF'
import sys, parzen
c = parzen.Client(sys.argv[1], timeout=30)
try:
    c.create_experiment("bench-gp-probe", {"x": parzen.space.Float(0, 1, label="x")}, algorithm="gp", seed=0).delete()
except parzen.errors.InvalidArgument:
    sys.exit(1)
EOF
then has_gp=1; else note "Parzen GP: the server has no algorithm \"gp\" (src/algorithms/registry.ts does not register it), so Parzen GP is left out."; fi
has_torch=0
if "$py" -c "import torch" 2>/dev/null; then has_torch=1; else note "torch is not installed in bench/.venv, so Optuna's GPSampler is left out."; fi
optuna_version="$("$py" -c 'import optuna; print(optuna.__version__)')"
if [[ "${optuna_version%%.*}" -lt 5 ]]; then
  note "Optuna $optuna_version is older than 5: optuna_tpe is TPESampler(multivariate=True, constant_liar=True), set explicitly (the v5 defaults)."
fi

samplers="${BENCH_SAMPLERS:-parzen_tpe,parzen_gp,parzen_random,optuna_tpe,optuna_tpe_univariate,optuna_gp,hyperopt_tpe,hyperopt_rand}"
[[ $has_gp == 1 ]] || samplers="$(echo ",$samplers," | sed 's/,parzen_gp,/,/; s/^,//; s/,$//')"
[[ $has_torch == 1 ]] || samplers="$(echo ",$samplers," | sed 's/,optuna_gp,/,/; s/^,//; s/,$//')"

# ---------------------------------------------------------------- metadata
BENCH_SERVER_CODE_DESC="$server_code" "$py" - "$out/meta.json" "$SEEDS" "$GP_SEEDS" "$GP_BUDGET" "$samplers" "${PROBLEMS:-all}" "$JOBS" <<'EOF'
import json, os, platform, subprocess, sys, datetime
out, seeds, gp_seeds, gp_budget, samplers, problems, jobs = sys.argv[1:]
def sh(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return "?"
def ver(mod):
    try:
        m = __import__(mod); return getattr(m, "__version__", "?")
    except Exception: return "not installed"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
meta = {
    "date (UTC)": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    "machine": f"{os.cpu_count()} cores ({sh('nproc')} usable), {cpu}, {int(mem) / 1024 / 1024:.1f} GiB RAM, {platform.system()} {platform.release()}",
    "load average at start": " ".join(open("/proc/loadavg").read().split()[:3]),
    "Node": sh("node --version"),
    "Python": platform.python_version(),
    "Optuna": ver("optuna"), "hyperopt": ver("hyperopt"), "numpy": ver("numpy"), "scipy": ver("scipy"), "torch": ver("torch"),
    "Parzen server code": os.environ["BENCH_SERVER_CODE_DESC"],
    "seeds": f"0..{int(seeds) - 1} (GP samplers: 0..{int(gp_seeds) - 1}, {gp_budget} trials)",
    "problems": problems, "samplers": samplers, "parallel quality processes": jobs,
    "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
}
json.dump(meta, open(out, "w"), indent=1)
EOF

t_start=$(date +%s)
# ---------------------------------------------------------------- 1. quality
if has_stage quality; then
  echo "bench: == quality ($samplers; seeds $SEEDS)" >&2
  "$py" bench/quality.py --address "$address" --out "$out/quality.jsonl" --problems "$PROBLEMS" \
    --seeds "$SEEDS" --gp-seeds "$GP_SEEDS" --gp-budget "$GP_BUDGET" --samplers "$samplers" --jobs "$JOBS"
fi

# ---------------------------------------------------------------- 1b. deceptive and rugged problems (issue 21)
if has_stage deceptive; then
  echo "bench: == deceptive" >&2
  [[ "${BENCH_RESUME:-0}" == 1 ]] || rm -f "$out/deceptive.jsonl"
  "$py" bench/quality.py --address "$address" --out "$out/deceptive.jsonl" \
    --problems deceptive1d,deceptive3d,phase_wave,rugged_funnel6,needle_cliff --seeds "$SEEDS" \
    --samplers parzen_tpe,optuna_tpe,hyperopt_tpe,hyperopt_rand --jobs "$JOBS"
  "$py" bench/deceptive_report.py "$out/deceptive.jsonl" | tee "$out/deceptive.md"
fi

# ---------------------------------------------------------------- 1c. auto against the single algorithms (issue 21)
if has_stage auto; then
  echo "bench: == auto (in process)" >&2
  [[ "${BENCH_RESUME:-0}" == 1 ]] || rm -f "$out/auto.jsonl"
  auto_flags=(--seeds "$SEEDS")
  [[ -n "$PROBLEMS" ]] && auto_flags+=(--problems "$PROBLEMS")
  npx tsx bench/auto-quick.ts --algos tpe,gp,cmaes,auto "${auto_flags[@]}" >> "$out/auto.jsonl"
  npx tsx bench/auto-report.ts "$out/auto.jsonl" | tee "$out/auto.md"
fi

# ---------------------------------------------------------------- 2. latency
if has_stage latency; then
  echo "bench: == latency" >&2
  lat_flags=()
  [[ $has_gp == 1 ]] && lat_flags+=(--gp)
  [[ $has_torch == 1 ]] && lat_flags+=(--optuna-gp)
  "$py" bench/latency.py --address "$address" --out "$out/latency.json" \
    --ns "${BENCH_LATENCY_NS:-100,1000,5000,10000}" --gp-ns "${BENCH_GP_NS-100,200,500}" \
    --optuna-max-n "${BENCH_OPTUNA_MAX_N:-1000000000}" --cycles "${BENCH_LATENCY_CYCLES:-100}" --gp-cycles "${BENCH_GP_CYCLES:-50}" "${lat_flags[@]}"
fi

# ---------------------------------------------------------------- 3. load
if has_stage load; then
  echo "bench: == load" >&2
  # A Go load generator (bench/loadgen, through the Go client): it takes a
  # small share of the 2 cores, so the figures are the server's.
  (cd bench/loadgen && go build -o "$tmp/loadgen" .)
  "$tmp/loadgen" --address "$address" --mode health --workers 64 --seconds 5 --json "$out/load-health.json"
  "$tmp/loadgen" --address "$address" --mode health-cycles --workers 64 --seconds 5 --json "$out/load-health-cycles.json"
  "$tmp/loadgen" --address "$address" --algorithm random --workers 64 --seconds "${BENCH_LOAD_SECONDS:-20}" --json "$out/load-random.json"
  "$tmp/loadgen" --address "$address" --algorithm tpe --workers 64 --seconds "${BENCH_LOAD_TPE_SECONDS:-10}" --json "$out/load-tpe.json"
fi

# ---------------------------------------------------------------- 5. several objectives and constraints
if has_stage mo; then
  echo "bench: == several objectives and constraints (seeds $SEEDS)" >&2
  "$py" bench/multi_objective.py --address "$address" --out "$out/mo.jsonl" --seeds "$SEEDS" \
    --budget "${BENCH_MO_BUDGET:-300}" --jobs "$JOBS"
  "$py" bench/multi_objective.py --address "$address" --latency > "$out/mo-latency.json"
fi

# ---------------------------------------------------------------- 4. pruning (written to bench/PRUNING.md)
if has_stage pruning; then
  echo "bench: == pruning" >&2
  "$py" bench/pruning.py --address "$address" --seeds "${BENCH_PRUNING_SEEDS:-10}" --out "$out/pruning.json" > "$out/pruning.md"
  cat "$out/pruning.md"
fi
stop_server

# ---------------------------------------------------------------- 3b. load over a unix socket (the sidecar's transport)
if has_stage load; then
  echo "bench: == load (unix socket)" >&2
  start_server "$snap" "$tmp/load-unix.db" "$out/server-unix.log" "unix://$tmp/parzen.sock"
  "$tmp/loadgen" --address "$address" --algorithm random --workers 64 --seconds "${BENCH_LOAD_SECONDS:-20}" --json "$out/load-random-unix.json"
  stop_server
fi

# ---------------------------------------------------------------- 5. memory
if has_stage memory; then
  echo "bench: == memory" >&2
  start_server "$snap" "$tmp/memory.db" "$out/server-memory.log"
  "$py" bench/memory.py load --address "$address" --pid "$server_pid" --out "$out/memory.json" \
    --experiments "${BENCH_MEMORY_EXPERIMENTS:-100}" --trials "${BENCH_MEMORY_TRIALS:-10000}"
  stop_server
  start_server "$snap" "$tmp/memory.db" "$out/server-memory2.log"
  "$py" bench/memory.py touch --address "$address" --pid "$server_pid" --out "$out/memory.json"
  stop_server
fi

# ---------------------------------------------------------------- report
"$py" - "$out/meta.json" "$(( $(date +%s) - t_start ))" <<'EOF'
import json, sys
path, secs = sys.argv[1], int(sys.argv[2])
m = json.load(open(path))
m["load average at end"] = " ".join(open("/proc/loadavg").read().split()[:3])
m["bench wall time"] = f"{secs // 60} min {secs % 60} s"
json.dump(m, open(path, "w"), indent=1)
EOF
"$py" bench/report.py --dir "$out" --results "$results"
echo "bench: report written to ${results#$root/}" >&2
