#!/usr/bin/env bash
# Installs the server and the three clients outside the repository, as their READMEs tell a user to, and runs a
# tiny ask-tell loop with each against a server installed from the packed tarball:
#   server      npm pack; npm install -g --prefix <tmp> parzen-<version>.tgz; `parzen --version`; `parzen serve`
#   Python      a fresh venv, pip install <checkout>/clients/python: fmin without a server explains how to install
#               one when `parzen` is not on PATH, and starts the installed one when it is; the sidecar trainer
#               example runs against the server
#   TypeScript  a fresh npm project, npm install <checkout>/clients/ts (its `prepare` builds dist/)
#   Go          a fresh module with a `replace` directive to <checkout>/clients/go: go vet, then the example
#               trainer (examples/go/trainer) run with the sidecar manifest's environment variables
# better-sqlite3's native module: the tarball installs it as anywhere (prebuild-install, else node-gyp); here a
# prebuild made from this checkout's compiled module stands in for the download, which these machines cannot do.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d /tmp/parzen-install.XXXXXX)"
server_pid=""
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done # clients still waiting for a server that failed
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; wait "$server_pid" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
step() { printf '== install: %s (%ss)\n' "$1" "$SECONDS"; }
npm_quiet=(--no-audit --no-fund --loglevel=error)

server() {
  step "server: npm pack, npm install -g into a temporary prefix"
  version="$(node -p 'require(process.argv[1]).version' "$root/package.json")"
  (cd "$root" && npm pack --silent --pack-destination "$tmp" >/dev/null 2>"$tmp/pack.log") || { cat "$tmp/pack.log" >&2; exit 1; }
  mkdir -p "$tmp/prebuilds"
  sqlite_version="$(cd "$root" && node -p 'require("better-sqlite3/package.json").version')"
  tar -czf "$tmp/prebuilds/better-sqlite3-v$sqlite_version-node-v$(node -p process.versions.modules)-linux-x64.tar.gz" \
    -C "$root/node_modules/better-sqlite3" build/Release/better_sqlite3.node
  (cd "$tmp" && npm_config_better_sqlite3_local_prebuilds="$tmp/prebuilds" \
    npm install -g --prefix "$tmp/prefix" "${npm_quiet[@]}" "./parzen-$version.tgz" 2>&1 | grep -v "install-scripts" || true)
  got="$("$tmp/prefix/bin/parzen" --version)"
  [[ "$got" == "$version" ]] || { echo "parzen --version printed '$got', expected $version" >&2; exit 1; }
  echo "server: parzen --version: $got"

  "$tmp/prefix/bin/parzen" serve --db "$tmp/server.db" --listen 127.0.0.1:0 >"$tmp/server.log" 2>&1 &
  server_pid=$!
  address=""
  for _ in $(seq 300); do # the `listening` line carries the bound address; 30 s at most
    address="$(sed -n 's/.*"address":"\([^"]*\)".*"msg":"listening".*/\1/p' "$tmp/server.log")"
    [[ -n "$address" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$address" ]] || { echo "the installed server did not listen within 30 s" >&2; cat "$tmp/server.log" >&2; exit 1; }
  "$tmp/prefix/bin/parzen" health --address "$address" >/dev/null
  echo "server: serving on $address"
  echo "$address" >"$tmp/address.tmp" && mv "$tmp/address.tmp" "$tmp/address" # the clients wait for this file
}

# The three clients install while the server is packed and installed (all mostly wait on package registries),
# then each runs against it once it serves (server_address waits for that).
server_address() {
  for _ in $(seq 1800); do
    [[ -f "$tmp/address" ]] && { cat "$tmp/address"; return; }
    sleep 0.1
  done
  echo "no server to run against (see the server's messages above)" >&2
  return 1
}
python_client() {
  python3 -m venv "$tmp/venv"
  "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "$root/clients/python" numpy
  (cd "$tmp" && env -u PARZEN_ADDRESS -u PARZEN_REPO -u PARZEN_SERVER_CMD PATH="$tmp/empty-path" \
    "$tmp/venv/bin/python" "$root/test/install/fmin_local.py" missing)
  address="$(server_address)" # the prefix's `parzen` is installed once it serves
  (cd "$tmp" && env -u PARZEN_ADDRESS -u PARZEN_REPO -u PARZEN_SERVER_CMD PATH="$tmp/prefix/bin:$PATH" \
    "$tmp/venv/bin/python" "$root/test/install/fmin_local.py" present)
  PARZEN_ADDRESS="$address" PARZEN_TRIALS=3 PARZEN_EPOCHS=2 \
    "$tmp/venv/bin/python" "$root/examples/python/sidecar_trainer.py" | tail -1 | sed 's/^/python sidecar trainer: /'
}
ts_client() {
  mkdir -p "$tmp/ts" && cd "$tmp/ts"
  npm init -y >/dev/null
  npm install "${npm_quiet[@]}" "$root/clients/ts" 2>&1 | grep -v "install-scripts" || true
  cp "$root/test/install/ask-tell.mjs" .
  address="$(server_address)"
  PARZEN_ADDRESS="$address" node ask-tell.mjs
}
go_client() {
  mkdir -p "$tmp/go" && cd "$tmp/go"
  cp "$root"/examples/go/trainer/*.go . && rm -f ./*_test.go
  go mod init example.com/parzen-install-test >/dev/null 2>&1
  go mod edit -require github.com/parzen-hpo/parzen/clients/go@v0.0.0 \
    -replace "github.com/parzen-hpo/parzen/clients/go=$root/clients/go"
  go mod tidy >/dev/null 2>&1 || go mod tidy
  go vet ./...
  address="$(server_address)"
  PARZEN_ADDRESS="$address" PARZEN_EXPERIMENT=install-go PARZEN_TRIALS=4 PARZEN_WORKERS=2 go run . | tail -1 | sed 's/^/go: /'
}
for client in python_client ts_client go_client; do
  ("$client" >"$tmp/$client.log" 2>&1) &
  pids+=($!)
done
server
failed=0
for i in 0 1 2; do
  client=(python_client ts_client go_client)
  if wait "${pids[$i]}"; then status=ok; else status=FAILED failed=1; fi
  echo "-- ${client[$i]}: $status"
  grep -v "install-scripts\|^$\|^added " "$tmp/${client[$i]}.log" | sed 's/^/   /'
done
[[ $failed == 0 ]] || exit 1
step "done"
