#!/usr/bin/env bash
# `make images`: builds every image the charts use (defaults and every ci/ values file) with the engine that is there
# (tools/images/engine.sh: docker when a Docker engine answers, podman otherwise), then loads them into the kind
# cluster's nodes when that cluster runs (KIND_CLUSTER, default observatory: kind-config.yaml's name).
#   - the services' images from services/<name>/Dockerfile (their Python packages from the locks, hashes checked);
#   - every other image pulled from its registry when that works, else a stand-in from tools/images/standins/
#     (Debian packages or binaries the setup builds), said in one line each.
# The stand-in base python:3.11.14-slim-bookworm is a debootstrapped Debian when it cannot be pulled.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tools/images/engine.sh
source tools/images/engine.sh
PY=${PY:-.venv/bin/python}
BASE=docker.io/library/python:3.11.14-slim-bookworm
KIND_CLUSTER=${KIND_CLUSTER:-observatory}
started=$(date +%s)
echo "images: building with $ENGINE${DOCKER_HOST:+ (DOCKER_HOST=$DOCKER_HOST)}"

try_pull() { image_exists "$1" || timeout 60 "$ENGINE_CLI" pull --quiet "$1" >/dev/null 2>&1; }

# 1. the base of every image
if try_pull "$BASE"; then
  [ -n "$(image_label "$BASE" standin.key)" ] \
    && echo "images: $BASE is a stand-in (debootstrapped Debian bookworm), not Docker Hub's image" \
    || echo "images: $BASE pulled"
else
  tools/images/standin-base.sh "$BASE" .tools/images
fi

build() {  # build IMAGE CONTEXT CONTAINERFILE [build args...]
  local image=$1 context=$2 file=$3; shift 3
  echo "images: building $image"
  engine_build "$image" "$context" "$file" "$@" || { echo "images: building $image from $file failed" >&2; exit 1; }
}

standin() {  # standin IMAGE RECIPE WHAT [file to copy into the context]
  local image=$1 recipe=tools/images/standins/$2 what=$3 extra=${4:-} context
  if try_pull "$image" && [ -z "$(image_label "$image" standin.of)" ]; then
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
  # not Google Cloud SDK's kubectl "dispatcher" (/usr/bin/kubectl on some machines): it only picks a sibling binary
  for candidate in .tools/controlplane/bin/kubectl .tools/bin/kubectl /usr/bin/kubectl "$(command -v kubectl || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    "$candidate" version --client 2>/dev/null | grep -q dispatcher && continue
    echo "$candidate"; return
  done
  echo "images: no kubectl binary for the kubectl stand-in (apt-get install kubectl or the controlplane build)" >&2
  exit 1
}

kind_binary() {
  for candidate in "${KIND:-}" .tools/bin/kind "$(command -v kind || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
}

# 2. every image the charts name
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
echo "images: $(echo "$images" | wc -w) images ready in $ENGINE in $(( $(date +%s) - started )) s"

# 3. into the kind cluster's nodes, when it runs (the nodes pull nothing: every image is loaded, pullPolicy IfNotPresent)
kind=$(kind_binary)
if [ -z "$kind" ] || ! PATH=$(dirname "${DOCKER:-/usr/bin/docker}"):$PATH "$kind" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
  echo "images: no kind cluster $KIND_CLUSTER runs; not loaded (make cluster, then make images again loads them)"
  exit 0
fi
loaded=$(date +%s)
# kind runs `docker`: the engine's own CLI first on PATH (a newer client may speak an API version the engine lacks)
if [ "$ENGINE" = docker ]; then
  # shellcheck disable=SC2086
  PATH=$(dirname "$DOCKER"):$PATH "$kind" load docker-image --name "$KIND_CLUSTER" $images >/dev/null
else
  archive=$(mktemp /tmp/images-archive.XXXXXX.tar)
  trap 'rm -f "$archive"' EXIT
  # shellcheck disable=SC2086
  podman save --quiet --multi-image-archive --format docker-archive -o "$archive" $images
  PATH=$(dirname "${DOCKER:-/usr/bin/docker}"):$PATH "$kind" load image-archive --name "$KIND_CLUSTER" "$archive" >/dev/null
fi
echo "images: loaded into every node of kind cluster $KIND_CLUSTER in $(( $(date +%s) - loaded )) s"
