#!/usr/bin/env bash
# The one generator of all code derived from proto/: TypeScript
# (clients/ts/src/gen, which the server imports as @parzen/client/gen/*), the
# server's reflection descriptor set (src/server/descriptor-set.binpb), Python
# (clients/python/src/parzen/v1) and Go (clients/go/gen). Output is committed;
# CI re-runs this script and fails if anything changed. Tool versions are
# pinned here and in the lockfiles.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
buf=node_modules/.bin/buf

"$buf" lint

# TypeScript, once: the client package owns the stubs and the server uses them from there.
rm -rf clients/ts/src/gen
"$buf" generate --template buf.gen.yaml
# Descriptor set served over reflection: parzen.v1 with its imports, plus the
# health service. Concatenated FileDescriptorSets are a valid FileDescriptorSet.
tmp="$(mktemp -d)"
"$buf" build --as-file-descriptor-set -o "$tmp/parzen.binpb"
(cd "$tmp" && "$root/$buf" build "$root/node_modules/grpc-health-check/proto" --as-file-descriptor-set -o "$tmp/health.binpb")
cat "$tmp/parzen.binpb" "$tmp/health.binpb" > src/server/descriptor-set.binpb
rm -rf "$tmp"

# Python.
bash scripts/python-env.sh
pyout=clients/python/src
rm -rf "$pyout/parzen/v1"
mkdir -p "$pyout/parzen/v1"
.venv/bin/python -m grpc_tools.protoc -Iproto \
  --python_out="$pyout" --pyi_out="$pyout" --grpc_python_out="$pyout" \
  proto/parzen/v1/*.proto
printf '"""Generated protobuf and gRPC stubs for parzen.v1 (do not edit)."""\n' > "$pyout/parzen/v1/__init__.py"

# Go: plugins pinned and installed into a project-local bin.
gobin="$root/.tools/bin"
mkdir -p "$gobin"
GOBIN="$gobin" go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.11
GOBIN="$gobin" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.1
rm -rf clients/go/gen
PATH="$gobin:$PATH" "$buf" generate --template buf.gen.go.yaml

# The retry policy (proto/parzen/v1/service_config.json, a gRPC service
# config) is declared once; each client package ships a byte copy, so a
# client installed from its package loads the same policy: Go embeds it,
# Python reads it as package data, TypeScript imports it.
for dest in clients/go clients/python/src/parzen clients/ts/src; do
  cp proto/parzen/v1/service_config.json "$dest/service_config.json"
done
