# Sourced by scripts/image.sh and scripts/image-smoke.sh: podman as it works on these machines
# (shared/reference/containers.md): runc (crun refuses hybrid cgroups), the host's own open-files limit (root
# lacks CAP_SYS_RESOURCE to raise it), host networking (bridges would change iptables).
PODMAN_LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=32768:32768)
pm() { podman --runtime runc "$@"; }
need_podman() {
  if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v mmdebstrap >/dev/null; then
    echo "image: installing podman, runc and mmdebstrap (apt)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc mmdebstrap >/dev/null
  fi
}
