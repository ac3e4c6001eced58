# Sourced by bench/run.sh and bench/ab.sh: a snapshot of the server's code,
# compiled as `npm start` runs it, and a server started from it.
# Needs $root (the repository) set by the caller.

# snapshot_code DIR CODE: copies the server's code into DIR and compiles it
# there, so every server start runs the same code even if the tree is edited
# meanwhile. CODE is a commit (anything `git rev-parse` takes) or "worktree"
# (the working tree as it is). Sets server_code to a description of it.
snapshot_code() {
  local dir="$1" code="$2"
  local paths=(src migrations proto package.json tsconfig.json clients/ts/src clients/ts/package.json scripts/build.mjs
    scripts/build-web.mjs web)
  mkdir -p "$dir"
  if [[ "$code" == worktree ]]; then
    (cd "$root" && cp -r src migrations proto package.json tsconfig.json "$dir"/)
    mkdir -p "$dir/clients/ts" "$dir/scripts"
    cp -r "$root/clients/ts/src" "$root/clients/ts/package.json" "$dir/clients/ts/"
    cp "$root/scripts/build.mjs" "$dir/scripts/"
    # The dashboard's front end, bundled by the build (older trees lack it).
    [[ -f "$root/scripts/build-web.mjs" ]] && cp "$root/scripts/build-web.mjs" "$dir/scripts/" && cp -r "$root/web" "$dir/"
    local dirty=""
    [[ -n "$(git -C "$root" status --porcelain -- src migrations clients/ts/src)" ]] &&
      dirty=" with uncommitted changes in src/ or clients/ts/src/"
    server_code="working tree at $(git -C "$root" rev-parse --short HEAD)$dirty"
  else
    # Only the paths that exist at that commit (older commits lack some).
    local present
    mapfile -t present < <(git -C "$root" ls-tree --name-only "$code" -- "${paths[@]}")
    git -C "$root" archive "$code" "${present[@]}" | tar -x -C "$dir"
    server_code="commit $(git -C "$root" rev-parse --short "$code") ($(git -C "$root" log -1 --format=%cd --date=format:'%Y-%m-%d %H:%M' "$code"))"
  fi
  # The dependencies are the caller's: the same versions in every commit this compares so far.
  ln -s "$root/node_modules" "$dir/node_modules"
  (cd "$dir" && node scripts/build.mjs)
}

# start_server DIR DB LOG [LISTEN]: starts `parzen serve` compiled in DIR (on a
# free TCP port unless LISTEN says otherwise); sets server_pid and address.
start_server() {
  local dir="$1" db="$2" log="$3" listen="${4:-127.0.0.1:0}"
  # dist/cli/main.js since issue 14; dist/cli.js before.
  local main=dist/cli/main.js
  [[ -f "$dir/$main" ]] || main=dist/cli.js
  (cd "$dir" && exec node "$main" serve --db "$db" --listen "$listen") > "$log" 2>&1 &
  server_pid=$!
  address=""
  for _ in $(seq 1 600); do
    address="$(grep -m1 '"msg":"listening"' "$log" 2>/dev/null | sed -n 's/.*"address":"\([^"]*\)".*/\1/p' || true)"
    [[ -n "$address" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; echo "bench: the server did not start" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$address" ]] || { echo "bench: the server did not log its address within 60 s" >&2; exit 1; }
  echo "bench: Parzen server pid $server_pid listening on $address" >&2
}

# stop_server [PID]: stops the server (by default the last one started) and waits for it.
stop_server() {
  local pid="${1:-$server_pid}"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  [[ "$pid" == "$server_pid" ]] && server_pid=""
  return 0
}
