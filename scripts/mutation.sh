#!/usr/bin/env bash
# Mutation testing in all three languages (npm run mutation; not part of CI: it takes hours on 2 cores).
#   bash scripts/mutation.sh                         everything: ts, python, go
#   bash scripts/mutation.sh src/pruners src/space   StrykerJS on those files or folders (anything under src/)
#   bash scripts/mutation.sh ts [src/...]            StrykerJS (all of src/ by default, incremental)
#   bash scripts/mutation.sh python [rpc trial ...]  mutmut on those modules of clients/python/src/parzen
#                                                    (default: rpc trial experiment fmin)
#   bash scripts/mutation.sh go [REGEX ...]          gremlins on clients/go, only files matching (default: all)
# Reports: reports/mutation/ (Stryker html/json, gremlins json), clients/python/mutants/ (mutmut's state;
# `cd clients/python && ../../.venv/bin/mutmut results` lists survivors). docs/testing.md records the scores.
# $PARZEN_MUTATION_STRYKER_ARGS: extra StrykerJS options for one run (none by default), e.g. "--force".
# PARZEN_MUTATION_STATIC=run (stryker.config.mjs; default: ignored): code run outside any test, e.g. in a beforeAll
# that starts a file's server once, is "static" coverage, credited to no test. With ignoreStatic (the default) a
# mutant only reached there is ignored, and one also reached by another test runs against that test alone (the
# contract tests calling the server are never run for it); with `run`, both run against every file of the selection.
#   PARZEN_MUTATION_STATIC=run bash scripts/mutation.sh src/server/handlers.ts
# The Python and Go runs share one Parzen server ($PARZEN_TEST_ADDRESS / $PARZEN_TEST_ADDR) so each mutant's
# test run does not start its own.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

mutmut_version=3.8.1
gremlins_version=v0.6.0 # the newest; builds with the installed Go (1.26)
mkdir -p reports/mutation

server_pid=""
server_dir=""
stop_server() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -n "$server_dir" ]]; then rm -rf "$server_dir"; fi
  server_pid=""
  server_dir=""
}
trap stop_server EXIT
trap "exit 130" INT TERM

# Starts a Parzen server on a free port and a temporary database; sets $server_addr.
start_server() {
  [[ -z "$server_pid" ]] || return 0
  server_dir="$(mktemp -d)"
  mkfifo "$server_dir/out"
  node_modules/.bin/tsx src/cli/main.ts serve --db "$server_dir/parzen.db" --listen 127.0.0.1:0 \
    >"$server_dir/out" 2>"$server_dir/err" &
  server_pid=$!
  exec 3<"$server_dir/out"
  local line
  while IFS= read -r -t 60 line <&3; do
    if [[ "$line" == *'"msg":"listening"'* ]]; then
      server_addr="$(sed -E 's/.*"address":"([^"]+)".*/\1/' <<<"$line")"
      # Keep draining the server's log so it never blocks on a full pipe.
      cat <&3 >/dev/null &
      echo "shared Parzen server at $server_addr"
      return 0
    fi
  done
  echo "the Parzen server did not start:" >&2
  cat "$server_dir/err" >&2
  return 1
}

# The test files written for a module of src/ (comma-separated globs): integration tests import the whole server,
# so without this every mutant would be tried against nearly the whole suite. $PARZEN_MUTATION_TESTS overrides.
tests_for() {
  case "$1" in
    # Small modules with unit tests of their own: those are enough (minutes, not an hour of integration tests).
    src/service/use-cases/request-checks.ts | src/service/use-cases/page-token.ts | src/service/use-cases/retry-lost.ts | src/server/status.ts | src/server/request-names.ts)
      echo "test/unit/service-checks.test.ts" ;;
    src/server/stream-gate.ts | src/server/turns.ts | src/server/connections.ts) echo "test/unit/server-gates.test.ts" ;;
    src/store/encoding.ts) echo "test/unit/store-encoding.test.ts" ;;
    src/store/migration-files.ts) echo "test/unit/migration-files.test.ts,test/unit/sqlite-wiring.test.ts" ;;
    src/service/state/trial-columns.ts) echo "test/unit/trial-columns.test.ts,test/unit/experiment-state.test.ts" ;;
    src/service/state/lifecycle.ts) echo "test/unit/lifecycle.test.ts" ;;
    src/service/state/serial-queue.ts) echo "test/unit/serial-queue.test.ts" ;;
    src/service/state/feed-sync.ts) echo "test/unit/feed-sync.test.ts" ;;
    src/service/state/experiments.ts)
      echo "test/unit/experiment-cache.test.ts,test/unit/experiment-changes-feed.test.ts,test/unit/mutation-path.test.ts" ;;
    src/service/runners/event-loop-slices.ts) echo "test/unit/event-loop-slices.test.ts" ;;
    # session-worker.ts runs on the thread, where Stryker neither activates mutants nor sees coverage: its test
    # drives it in process over a MessageChannel.
    src/service/runners/session-worker.ts) echo "test/unit/session-worker.test.ts" ;;
    src/service/runners/history-sync.ts) echo "test/unit/history-sync.test.ts,test/unit/session-worker.test.ts" ;;
    src/service/runners/session-thread.ts) echo "test/unit/session-thread.test.ts" ;;
    src/service/runners/worker-runner.ts | src/service/runners/algorithm-runner.ts)
      echo "test/unit/worker-runner.test.ts,test/unit/session-thread.test.ts" ;;
    src/service/use-cases/dashboard-reads.ts | src/service/use-cases/dashboard-views.ts)
      echo "test/unit/dashboard-reads.test.ts" ;;
    # Large service modules: the test files that exercise each one, no more (integration tests restart a server per
    # mutant).
    # The use-cases behind the RPCs: unit tests of the Optimizer on a real in-memory SQLite store (seconds per mutant).
    src/service/use-cases/suggest.ts | src/service/use-cases/replay.ts | src/service/use-cases/optimizer.ts | src/service/use-cases/definition.ts | src/service/use-cases/user-trials.ts | src/service/use-cases/outcome.ts | src/service/use-cases/update-experiment.ts | src/service/use-cases/release.ts | src/service/use-cases/limits.ts | src/service/use-cases/algorithm-choice.ts | src/service/use-cases/new-trial.ts)
      echo "test/unit/use-cases-*.test.ts,test/unit/mutation-path.test.ts,test/unit/definition-versions.test.ts" ;;
    src/service/use-cases/leases.ts) echo "test/integration/leases.test.ts,test/integration/report-and-next.test.ts" ;;
    src/service/state/experiment-state.ts)
      echo "test/unit/experiment-state*.test.ts,test/unit/trial-columns.test.ts,test/unit/mutation-path.test.ts" ;;
    src/pruners*) echo "test/unit/pruner*.test.ts,test/integration/pruning.test.ts" ;;
    src/space*) echo "test/unit/space-*.test.ts,test/unit/definition-versions.test.ts" ;;
    # Numerics: their unit and golden tests (seconds per mutant).
    src/math*) echo "test/unit/math-*.test.ts,test/unit/linalg.test.ts,test/unit/special.test.ts,test/unit/pareto-hypervolume.test.ts,test/unit/cma-goldens.test.ts,test/unit/gp-sobol.test.ts,test/unit/qmc.test.ts,test/unit/gp-numerics.test.ts" ;;
    # Algorithms: their unit, golden and behaviour tests; the integration tests add nothing per mutant but minutes.
    # TPE per file: the file's own unit tests and the pinned suggestions (tpe-fingerprint, 4-5 s, kills most
    # mutants of what TPE suggests); every tpe* file is 50 s a surviving mutant (docs/testing.md, mutalg5).
    src/algorithms/tpe/parzen-estimator.ts | src/algorithms/tpe/dims.ts | src/algorithms/tpe/workspace.ts | src/algorithms/tpe/float-buffers.ts)
      echo "test/unit/tpe-components.test.ts,test/unit/tpe-goldens.test.ts,test/unit/tpe-acquisition.test.ts,test/unit/tpe-best-candidate.test.ts,test/unit/tpe-cache.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    src/algorithms/tpe/sampler.ts)
      echo "test/unit/tpe.test.ts,test/unit/tpe-ahead.test.ts,test/unit/tpe-options-act.test.ts,test/unit/tpe-objectives.test.ts,test/unit/tpe-good-endpoints.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    # The options' defaults and refusals (tpe-components), and that each one acts (tpe-options-act); index.ts is
    # the Algorithm's wiring: the pinned suggestions open sessions through it.
    src/algorithms/tpe/options.ts)
      echo "test/unit/tpe-components.test.ts,test/unit/tpe-options-act.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    src/algorithms/tpe/index.ts) echo "test/unit/tpe.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    # Its own contract (tpe-sorted-order: every way of getting an order against a plain sort), not the memo tests.
    src/algorithms/tpe/sorted-order.ts)
      echo "test/unit/tpe-sorted-order.test.ts,test/unit/tpe-components.test.ts,test/unit/tpe-density.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    # Not tpe-cache (15 s of memo tests per surviving mutant, nothing of the density's own); tpe-best-of-draws checks
    # the early-abandon watch (continuousUnless) against densities scored in full; tpe-density-sum the documented
    # sum bit for bit.
    src/algorithms/tpe/continuous-density.ts)
      echo "test/unit/tpe-density.test.ts,test/unit/tpe-density-sum.test.ts,test/unit/tpe-goldens.test.ts,test/unit/tpe-best-candidate.test.ts,test/unit/tpe-best-of-draws.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    # The tree's own contract (tpe-kernel-tree), the density it serves equal to a scan's (tpe-density) and to its sum.
    src/algorithms/tpe/kernel-tree.ts)
      echo "test/unit/tpe-kernel-tree.test.ts,test/unit/tpe-density.test.ts,test/unit/tpe-density-sum.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    # The mixed density: its documented running sum bit for bit (tpe-mixed-density), the SciPy goldens and the pinned
    # suggestions; with components and best-candidate besides, a run was 4 mutants a minute (mutalg6).
    src/algorithms/tpe/mixed-density.ts)
      echo "test/unit/tpe-mixed-density.test.ts,test/unit/tpe-goldens.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    src/algorithms/tpe/discrete-kernels.ts)
      echo "test/unit/tpe-goldens.test.ts,test/unit/tpe-components.test.ts,test/unit/tpe-cache.test.ts,test/unit/tpe-best-candidate.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    src/algorithms/tpe/kernel-arrays.ts)
      echo "test/unit/tpe-kernel-arrays.test.ts,test/unit/tpe-density.test.ts,test/unit/tpe-goldens.test.ts,test/unit/tpe-cache.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    src/algorithms/tpe/estimator-memo.ts | src/algorithms/tpe/groups.ts)
      echo "test/unit/tpe-kernel-arrays.test.ts,test/unit/tpe-cache.test.ts,test/unit/tpe-components.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    src/algorithms/tpe/outcome-split.ts | src/algorithms/tpe/constraint-model.ts)
      echo "test/unit/tpe-outcome-split.test.ts,test/unit/tpe-objectives.test.ts,test/unit/tpe-fingerprint.test.ts" ;;
    src/algorithms/tpe*) echo "test/unit/tpe*.test.ts" ;;
    # The GP's optimiser, start-up design and sampler: their unit tests and the pinned suggestions (gp-fingerprint);
    # every gp-* file would cost 20-25 s per mutant on a busy machine.
    src/algorithms/gp/optimize-acqf.ts | src/algorithms/gp/startup.ts)
      echo "test/unit/gp-encode-startup.test.ts,test/unit/gp-optimize-acqf.test.ts,test/unit/gp-fingerprint.test.ts" ;;
    src/algorithms/gp/sampler.ts)
      echo "test/unit/gp-encode-startup.test.ts,test/unit/gp-sampler-units.test.ts,test/unit/gp-fingerprint.test.ts,test/unit/gp-constraints.test.ts" ;;
    src/algorithms/gp*) echo "test/unit/gp-*.test.ts" ;;
    src/algorithms/nsga2*) echo "test/unit/nsga2*.test.ts,test/unit/algorithms-*.test.ts" ;;
    src/algorithms/auto*) echo "test/unit/auto-*.test.ts,test/unit/algorithms-*.test.ts" ;;
    src/algorithms/cmaes*) echo "test/unit/cma*.test.ts" ;;
    src/algorithms/grid* | src/algorithms/qmc* | src/algorithms/random.ts | src/algorithms/registry.ts | src/algorithms/options.ts | src/algorithms/types.ts | src/algorithms/shared-memos.ts)
      echo "test/unit/grid*.test.ts,test/unit/qmc.test.ts,test/unit/option-suggestions.test.ts,test/unit/algorithms-*.test.ts" ;;
    src/algorithms*) echo "test/unit/tpe*.test.ts,test/unit/gp-*.test.ts,test/unit/cma*.test.ts,test/unit/grid.test.ts,test/unit/qmc.test.ts,test/unit/option-suggestions.test.ts,test/unit/algorithms-*.test.ts" ;;
    # The SQLite store: the contract suite on SQLite and its own unit test. Its wiring (opening, migrating,
    # storage errors, write health, the checkpointer): unit tests only (every contract test opens a database).
    src/store/sqlite/sqlite-store.ts | src/store/rows.ts) echo "test/store/sqlite.test.ts,test/unit/sqlite-store.test.ts" ;;
    src/store/sqlite/database.ts | src/store/sqlite/checkpointer.ts | src/store/sqlite/write-health.ts | src/store/sqlite/storage-errors.ts | src/store/sqlite/open.ts | src/store/open.ts)
      echo "test/unit/sqlite-wiring.test.ts,test/unit/sqlite-store.test.ts,test/unit/checkpointer.test.ts,test/unit/store-open.test.ts" ;;
    # The one-server-per-file lock: its unit test, and the wiring test's opens (db-lock.test.ts starts servers).
    src/store/sqlite/process-lock.ts) echo "test/unit/process-lock.test.ts,test/unit/sqlite-wiring.test.ts" ;;
    # Copies: the SQLite-to-SQLite unit test, and the PostgreSQL legs on one cluster without a server or the CLI
    # (copy.test.ts starts a server and CLI processes besides).
    src/store/copy.ts) echo "test/unit/sqlite-copy.test.ts,test/store/pg-copy.test.ts" ;;
    # What a --db value names and its redaction: pure functions, their unit test.
    src/store/db-url.ts) echo "test/unit/store-open.test.ts" ;;
    # PostgreSQL URLs to pools and start-up errors: unit tests without a database (the cluster's legs are slow).
    src/store/postgres/connect.ts) echo "test/unit/pg-connect.test.ts,test/unit/store-open.test.ts" ;;
    # Migrating and opening PostgreSQL: a small test on one cluster (the contract file migrates a database per test).
    src/store/postgres/migrate.ts | src/store/postgres/open.ts) echo "test/store/pg-migrate.test.ts" ;;
    # The PostgreSQL store: the Store contract with the PostgreSQL-only promises, its refusals and edges, and the
    # database's own refusals (a cluster per file, a database per test).
    src/store/postgres/postgres-store.ts | src/store/postgres/unit-statement.ts)
      echo "test/store/postgres.test.ts,test/store/pg-store-edges.test.ts,test/store/pg-store-failures.test.ts,test/store/pg-planner.test.ts,test/store/pg-pipelined-turns.test.ts" ;;
    src/store*) echo "test/store/*.test.ts,test/unit/checkpointer.test.ts,test/unit/group-commit.test.ts,test/unit/mutation-path.test.ts,test/integration/upgrade*.test.ts" ;;
    # The server's own wiring (listening, TLS, health, stopping): its edge tests, one server per file (the contract
    # file's calls add a minute a mutant and nothing on server.ts).
    src/server/server.ts) echo "test/integration/server-edges.test.ts" ;;
    # The gRPC layer: its own contract and edge tests over real servers, and the names test (invalid UTF-8 and names).
    src/server/handlers.ts | src/server/call-observer.ts | src/server/tolerant-decoding.ts | src/server/lazy-reflection.ts)
      echo "test/integration/server-contract.test.ts,test/integration/server-edges.test.ts,test/integration/names.test.ts" ;;
    # Telling a call's end: the clock rule on its own, and grpc-js's own deadline over real gRPC.
    src/server/call-end.ts) echo "test/unit/call-end.test.ts,test/integration/server-edges.test.ts" ;;
    # Tokens and their scopes: the tokens unit test and the two token files over real servers.
    src/server/auth.ts | src/server/authorization.ts)
      echo "test/unit/auth-tokens.test.ts,test/integration/scoped-tokens.test.ts,test/integration/auth.test.ts" ;;
    src/server*) echo "test/integration/auth.test.ts,test/integration/lifecycle.test.ts,test/integration/validation.test.ts,test/integration/fuzz.test.ts,test/integration/ask-tell.test.ts" ;;
    src/service*) echo "test/unit/mutation-path.test.ts,test/unit/experiment-state.test.ts,test/unit/serial-queue.test.ts,test/unit/definition-versions.test.ts,test/integration/ask-tell.test.ts,test/integration/leases.test.ts,test/integration/lifecycle.test.ts,test/integration/validation.test.ts,test/integration/cache.test.ts,test/integration/prefetch.test.ts,test/integration/pruning.test.ts,test/integration/algorithm-sessions.test.ts" ;;
    *) echo "" ;;
  esac
}

run_ts() {
  local mutate=()
  local tests="${PARZEN_MUTATION_TESTS:-}"
  local p t
  for p in "$@"; do
    if [[ -d "$p" ]]; then mutate+=("${p%/}/**/*.ts"); else mutate+=("$p"); fi
    if [[ -z "${PARZEN_MUTATION_TESTS:-}" ]]; then
      t="$(tests_for "$p")"
      # An unknown path: the whole suite.
      if [[ -z "$t" ]]; then tests="" && break; fi
      tests="${tests:+$tests,}$t"
    fi
  done
  export PARZEN_MUTATION_TESTS="$tests"
  [[ -z "$tests" ]] || echo "tests: $tests"
  if [[ ${#mutate[@]} -gt 0 ]]; then
    local joined slug
    joined="$(IFS=,; echo "${mutate[*]}")"
    # One incremental file per selection: a run forgets the mutants outside its own --mutate.
    slug="$(tr -c 'A-Za-z0-9\n' '-' <<<"$*" | tr -s '-')"
    # Many modules make a name too long for the file system: then a digest of it.
    [[ ${#slug} -le 120 ]] || slug="$(sha1sum <<<"$slug" | cut -c1-16)"
    echo "== StrykerJS: $joined"
    # shellcheck disable=SC2086 # extra options are words
    node_modules/.bin/stryker run --mutate "$joined" --incrementalFile "reports/stryker-incremental-${slug%-}.json" \
      --concurrency "${PARZEN_MUTATION_CONCURRENCY:-1}" ${PARZEN_MUTATION_STRYKER_ARGS:-}
  else
    echo "== StrykerJS: src/"
    # shellcheck disable=SC2086
    node_modules/.bin/stryker run --concurrency "${PARZEN_MUTATION_CONCURRENCY:-1}" ${PARZEN_MUTATION_STRYKER_ARGS:-}
  fi
}

# The pytest node ids (fnmatch patterns, "!" to drop) each Python module's mutants run against
# (clients/python/tests/conftest.py reads $PARZEN_MUTATION_TESTS): the fast tests written for it, not those that
# start servers or processes of their own (a local server, a unix-socket server, four fmin processes).
python_tests_for() {
  case "$1" in
    rpc) echo "tests/test_rpc_unit.py::*,tests/test_behaviour.py::*,tests/test_unit_misc.py::test_unix_socket*" ;;
    trial | experiment)
      echo "tests/test_records.py::*,tests/test_ask_tell.py::*,tests/test_unit_misc.py::*,tests/test_rpc_unit.py::*,tests/test_trial_contract.py::*,tests/test_experiment_contract.py::*" ;;
    fmin)
      echo "tests/test_fmin*.py::*,tests/test_loops.py::*,tests/test_budgets.py::test_fmin*,tests/test_pruning.py::test_fmin*,tests/test_unit_misc.py::*" ;;
    *) echo "" ;;
  esac
}

run_python() {
  local modules=("$@")
  [[ ${#modules[@]} -gt 0 ]] || modules=(rpc trial experiment fmin)
  bash scripts/python-env.sh
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "mutmut==$mutmut_version"
  start_server
  local names=()
  local m t
  local tests="${PARZEN_MUTATION_TESTS:-}"
  for m in "${modules[@]}"; do
    names+=("parzen.$m.*")
    if [[ -z "${PARZEN_MUTATION_TESTS:-}" ]]; then
      t="$(python_tests_for "$m")"
      # A module without a selection: every test mutmut found reaching it.
      if [[ -z "$t" ]]; then tests="" && break; fi
      tests="${tests:+$tests,}$t"
    fi
  done
  # Never the tests that start servers of their own (a local server, a unix socket).
  [[ -z "$tests" ]] || tests="$tests,!*local_server*,!*unix_socket_server*"
  export PARZEN_MUTATION_TESTS="$tests"
  echo "== mutmut: ${names[*]}${tests:+ (tests: $tests)}"
  (
    cd clients/python
    PARZEN_TEST_ADDRESS="$server_addr" PARZEN_REPO="$root" ../../.venv/bin/mutmut run --max-children 2 "${names[@]}"
    ../../.venv/bin/mutmut results >"$root/reports/mutation/mutmut-survivors.txt" || true
  )
  echo "mutmut survivors: reports/mutation/mutmut-survivors.txt"
}

run_go() {
  GOBIN="$root/.tools/bin" go install "github.com/go-gremlins/gremlins/cmd/gremlins@$gremlins_version"
  start_server
  local exclude=(-E '^gen/')
  if [[ $# -gt 0 ]]; then
    # Only the files matching one of the regexes: exclude every other non-test .go file.
    local f keep r
    for f in $(cd clients/go && ls ./*.go | sed 's|^\./||' | grep -v '_test\.go$'); do
      keep=0
      for r in "$@"; do [[ "$f" =~ $r ]] && keep=1; done
      [[ $keep -eq 1 ]] || exclude+=(-E "^${f//./\\.}\$")
    done
  fi
  echo "== gremlins: clients/go"
  (
    cd clients/go
    PARZEN_TEST_ADDR="$server_addr" "$root/.tools/bin/gremlins" unleash --workers 1 --timeout-coefficient 10 \
      --invert-logical "${exclude[@]}" -o "$root/reports/mutation/gremlins.json" .
  )
}

if [[ $# -eq 0 ]]; then
  run_ts
  run_python
  run_go
  exit 0
fi
case "$1" in
  ts) shift; run_ts "$@" ;;
  python) shift; run_python "$@" ;;
  go) shift; run_go "$@" ;;
  src/*) run_ts "$@" ;;
  *)
    echo "usage: scripts/mutation.sh [ts [src/...] | src/... | python [module...] | go [file-regex...]]" >&2
    exit 2
    ;;
esac
