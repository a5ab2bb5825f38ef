# Sourced by tools/build-images.sh and tools/images/standin-base.sh: the container engine that is there.
#   docker when a Docker engine answers (DOCKER, else the docker 20.10 CLI of Debian's docker.io, else `docker`; at
#   DOCKER_HOST, else at the socket of `make cluster`'s own dockerd, else the default socket);
#   podman otherwise (tools/images/podman.sh: runc and limits this machine accepts).
# ENGINE_FORCE=podman|docker picks one. Defines: engine, image_exists IMAGE, image_label IMAGE KEY,
# engine_build IMAGE CONTEXT FILE [args...], engine_import IMAGE TARBALL [--change ...]; ENGINE_CLI is the binary.
docker_cli() {
  if [ -n "${DOCKER:-}" ]; then echo "$DOCKER"; return; fi
  # Debian's docker.io ships a 20.10 CLI in /usr/bin; a newer client earlier on PATH may speak an API the engine lacks
  if [ -x /usr/bin/docker ]; then echo /usr/bin/docker; else command -v docker || true; fi
}

# `make cluster`'s own dockerd (observatory/kind/dockerd.py: its socket under .tools/docker) when DOCKER_HOST names none
own_socket=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)/.tools/docker/docker.sock
if [ -z "${DOCKER_HOST:-}" ] && [ -S "$(readlink -f "$own_socket")" ]; then
  export DOCKER_HOST="unix://$(readlink -f "$own_socket")"
fi

if [ -z "${ENGINE:-}" ]; then
  DOCKER=$(docker_cli)
  case "${ENGINE_FORCE:-}" in
    docker) ENGINE=docker ;;
    podman) ENGINE=podman ;;
    "") if [ -n "$DOCKER" ] && timeout 10 "$DOCKER" info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi ;;
    *) echo "images: ENGINE_FORCE must be docker or podman, not $ENGINE_FORCE" >&2; exit 1 ;;
  esac
  export ENGINE DOCKER
fi
if [ "$ENGINE" = podman ]; then
  # shellcheck source=tools/images/podman.sh
  source "$(dirname "${BASH_SOURCE[0]}")/podman.sh"
else
  [ -n "$DOCKER" ] && timeout 10 "$DOCKER" info >/dev/null 2>&1 \
    || { echo "images: no Docker engine answers ($DOCKER info failed; DOCKER_HOST=${DOCKER_HOST:-unset})" >&2; exit 1; }
fi

if [ "$ENGINE" = docker ]; then ENGINE_CLI=$DOCKER; else ENGINE_CLI=podman; fi
engine() { "$ENGINE_CLI" "$@"; }

image_exists() { engine image inspect "$1" >/dev/null 2>&1; }

image_label() {  # image_label IMAGE KEY: the label's value, empty when the image or the label is missing
  engine image inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null | sed 's/<no value>//' || true
}

engine_build() {  # engine_build IMAGE CONTEXT FILE [build args...]
  local image=$1 context=$2 file=$3; shift 3
  if [ "$ENGINE" = docker ]; then
    # the classic builder (no BuildKit frontend to pull); host network: this dockerd masquerades nothing, so a
    # bridged build container could not reach the package mirrors (PyPI, Debian)
    DOCKER_BUILDKIT=0 "$DOCKER" build --quiet --network host -f "$file" -t "$image" "$@" "$context" >/dev/null
  else
    podman build --quiet --pull=never --layers --format docker --ulimit "nofile=$NOFILE:$NOFILE" \
      --ulimit "nproc=$NPROC:$NPROC" -f "$file" -t "$image" "$@" "$context" >/dev/null
  fi
}

engine_import() {  # engine_import IMAGE TARBALL [--change INSTRUCTION...]
  local image=$1 tarball=$2; shift 2
  if [ "$ENGINE" = docker ]; then
    "$DOCKER" import "$@" - "$image" <"$tarball" >/dev/null
  else
    podman import --quiet "$@" - "$image" <"$tarball" >/dev/null
  fi
}
