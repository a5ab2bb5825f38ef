#!/usr/bin/env bash
# `make images`: builds with podman every image the charts use (defaults and every ci/ values file).
#   - the services' images from services/<name>/Dockerfile (their Python packages from the locks, hashes checked);
#   - every other image pulled from its registry when that works, else a stand-in from tools/images/standins/
#     (Debian packages or binaries the setup builds), said in one line each.
# The stand-in base python:3.11.14-slim-bookworm is a debootstrapped Debian when it cannot be pulled.
# podman runs with runc and limits at or below this machine's hard limits (tools/images/podman.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/images/podman.sh
PY=${PY:-.venv/bin/python}
BASE=docker.io/library/python:3.11.14-slim-bookworm
TAG_PREFIX=${TAG_PREFIX:-}
started=$(date +%s)

have() { podman image exists "$1"; }
try_pull() { have "$1" || timeout 60 podman pull --quiet "$1" >/dev/null 2>&1; }

# 1. the base of every image
if try_pull "$BASE"; then
  [ -n "$(podman image inspect --format '{{index .Labels "standin.key"}}' "$BASE")" ] \
    && echo "images: $BASE is a stand-in (debootstrapped Debian bookworm), not Docker Hub's image" \
    || echo "images: $BASE pulled"
else
  tools/images/standin-base.sh "$BASE" .tools/images
fi

build() {  # build IMAGE CONTEXT CONTAINERFILE [build args...]
  local image=$1 context=$2 file=$3; shift 3
  echo "images: building $image"
  podman build --quiet --pull=never --layers --format docker --ulimit "nofile=$NOFILE:$NOFILE" --ulimit "nproc=$NPROC:$NPROC" \
    -f "$file" -t "$image" "$@" "$context" >/dev/null \
    || { echo "images: building $image from $file failed" >&2; exit 1; }
}

standin() {  # standin IMAGE RECIPE WHAT [file to copy into the context]
  local image=$1 recipe=tools/images/standins/$2 what=$3 extra=${4:-} context
  if try_pull "$image" && [ -z "$(podman image inspect --format '{{index .Labels "standin.of"}}' "$image")" ]; then
    echo "images: $image pulled"; return
  fi
  context=$(mktemp -d /tmp/standin-context.XXXXXX)
  cp -r "$recipe"/. "$context"/
  [ -z "$extra" ] || cp "$extra" "$context/"
  build "$image" "$context" "$context/Containerfile" --build-arg "BASE=$BASE" --label "standin.of=$image"
  rm -rf "$context"
  echo "images: $image cannot be pulled here; built a stand-in: $what"
}

kubectl_binary() {
  for candidate in .tools/controlplane/bin/kubectl .tools/bin/kubectl /usr/bin/kubectl "$(command -v kubectl || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  echo "images: no kubectl binary for the kubectl stand-in (apt-get install kubectl or the controlplane build)" >&2
  exit 1
}

images=$("$PY" tools/images/chart_images.py)
for image in $images; do
  case "$image" in
    docker.io/observatory/*)
      name=${image#docker.io/observatory/}; name=${name%%:*}
      [ -f "services/$name/Dockerfile" ] || { echo "images: no services/$name/Dockerfile for $image" >&2; exit 1; }
      build "$image" . "services/$name/Dockerfile" ;;
    docker.io/library/postgres:*) standin "$image" postgres "Debian's PostgreSQL 15 with the official entrypoint's contract" ;;
    docker.io/grafana/k6:*) standin "$image" k6 "the setup's k6 (.tools/bin/k6, same version)" .tools/bin/k6 ;;
    */opentelemetry-collector*) standin "$image" otel-collector "a Python OTLP/HTTP receiver (no collector pipeline)" ;;
    *kubectl*) kubectl=$(kubectl_binary); standin "$image" kubectl "kubectl from $kubectl" "$kubectl" ;;
    *) try_pull "$image" || { echo "images: $image cannot be pulled and has no stand-in recipe in tools/images/standins" >&2; exit 1; } ;;
  esac
done
echo "images: $(echo "$images" | wc -w) images ready in $(( $(date +%s) - started )) s"
