#!/usr/bin/env bash
# Builds the cluster's operators from their Go module source (the Go module proxy serves them; no image registry is
# needed) into .tools/operators/bin, and with --images their container images with docker:
#   prometheus-operator, prometheus-config-reloader  github.com/prometheus-operator/prometheus-operator
#                                                    at PROMETHEUS_OPERATOR_VERSION (what kube-prometheus-stack ships)
#   k6-operator (its manager)                        github.com/grafana/k6-operator at K6_OPERATOR_VERSION
# and copies the manifests they install from (CRDs, RBAC) out of the same module sources into .tools/operators/share.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: tools/build-operators.sh [--images] [--force]

Builds into .tools/operators/bin, from the Go module proxy, at the pins of tools/versions.mk:
  prometheus-operator, prometheus-config-reloader   (PROMETHEUS_OPERATOR_VERSION)
  k6-operator                                       (K6_OPERATOR_VERSION)
  kube-router (the NetworkPolicy controller)        (KUBE_ROUTER_VERSION)
  prometheus (Kubernetes service discovery only)    (PROMETHEUS_VERSION; Debian's 2.42 has no Kubernetes discovery)
and copies their CRDs and RBAC manifests into .tools/operators/share/<module>@<version>/.
A stamp per pin makes a second run a no-op until a pin changes (about 4 min cold per operator on 2 cores).

  --images  also build their images with docker (tools/operators/images/*) on the stand-in base
            python:3.11.14-slim-bookworm that `make images` imports (no registry is reachable here)
  --force   rebuild even if the stamps say the pinned versions are there
EOF
}

images=0 force=0
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --images) images=1 ;;
    --force) force=1 ;;
    *) echo "build-operators: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pin() {  # NAME's value in tools/versions.mk (the environment wins, so make can pass it)
  local name="$1" value="${!1:-}"
  [ -n "$value" ] || value="$(sed -n "s/^$name[[:space:]]*:\?=[[:space:]]*//p" "$root/tools/versions.mk" | tail -1)"
  [ -n "$value" ] || { echo "build-operators: $name is not pinned in tools/versions.mk" >&2; exit 1; }
  printf '%s' "$value"
}
PROMETHEUS_OPERATOR_VERSION="$(pin PROMETHEUS_OPERATOR_VERSION)"
K6_OPERATOR_VERSION="$(pin K6_OPERATOR_VERSION)"
KUBE_ROUTER_VERSION="$(pin KUBE_ROUTER_VERSION)"
PROMETHEUS_VERSION="$(pin PROMETHEUS_VERSION)"
PO_MODULE=github.com/prometheus-operator/prometheus-operator
K6_MODULE=github.com/grafana/k6-operator
KR_MODULE=github.com/cloudnativelabs/kube-router/v2

out="$root/.tools/operators"
bin="$out/bin"
share="$out/share"
src="$out/src"
mkdir -p "$bin" "$share" "$src"
export GOWORK=off GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}" CGO_ENABLED=0
elapsed() { printf '%dm%02ds' $(( (SECONDS - $1) / 60 )) $(( (SECONDS - $1) % 60 )); }

command -v go >/dev/null || { echo "build-operators: go is needed (apt-get install golang)" >&2; exit 1; }
module_dir() {  # MODULE@VERSION's folder in Go's module cache, downloaded through the proxy if needed
  local dir err
  err="$(mktemp)"
  if ! dir="$(go mod download -json "$1" 2>"$err" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" || [ ! -d "$dir" ]; then
    # a proxy-only network cannot reach the checksum database: go on with the proxy alone, and say so
    if [ "${GOSUMDB:-}" != off ]; then
      echo "build-operators: the checksum database did not answer for $1; using the module proxy alone (GOSUMDB=off)" >&2
      export GOSUMDB=off
      dir="$(go mod download -json "$1" 2>"$err" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" || true
    fi
  fi
  [ -d "$dir" ] || { echo "build-operators: could not download $1: $(tail -1 "$err")" >&2; rm -f "$err"; return 1; }
  rm -f "$err"
  echo "$dir"
}
writable_copy() {  # MODULE_DIR NAME: a writable copy of the module source under .tools/operators/src
  local tree="$src/$2"
  [ ! -d "$tree" ] || chmod -R u+w "$tree"
  rm -rf "$tree"; cp -r "$1" "$tree"; chmod -R u+w "$tree"
  echo "$tree"
}

# --- prometheus-operator and its config reloader. The module's go.mod replaces its two nested modules
# (pkg/apis/monitoring, pkg/client) with ./pkg/..., which a module zip leaves out: the copy drops those replaces and
# builds against the same versions from the proxy (the require block already names them at this version).
if [ $force = 1 ] || [ ! -e "$bin/.prometheus-operator-$PROMETHEUS_OPERATOR_VERSION" ]; then
  t=$SECONDS
  echo "build-operators: building prometheus-operator and prometheus-config-reloader $PROMETHEUS_OPERATOR_VERSION ..."
  dir="$(module_dir "$PO_MODULE@$PROMETHEUS_OPERATOR_VERSION")"
  tree="$(writable_copy "$dir" "prometheus-operator-$PROMETHEUS_OPERATOR_VERSION")"
  sed -i "\#^[[:space:]]*$PO_MODULE/pkg/[a-z/]* => ./pkg/#d" "$tree/go.mod"
  # the ldflags of the project's own Makefile: `operator --version` and the build_info metric name the pin
  v="github.com/prometheus/common/version"
  ldflags="-s -X $v.Version=${PROMETHEUS_OPERATOR_VERSION#v} -X $v.Revision=$PROMETHEUS_OPERATOR_VERSION -X $v.Branch=$PROMETHEUS_OPERATOR_VERSION"
  ldflags="$ldflags -X $v.BuildUser=observatory -X $v.BuildDate=19700101-00:00:00"
  (cd "$tree" && nice -n 10 go build -p=1 -mod=mod -trimpath -ldflags "$ldflags" -o "$bin/prometheus-operator" ./cmd/operator \
     && nice -n 10 go build -p=1 -mod=mod -trimpath -ldflags "$ldflags" -o "$bin/prometheus-config-reloader" ./cmd/prometheus-config-reloader) \
    || { echo "build-operators: go build of prometheus-operator $PROMETHEUS_OPERATOR_VERSION failed (see above)" >&2; exit 1; }
  dest="$share/prometheus-operator"
  rm -rf "$dest"; mkdir -p "$dest"
  cp -r "$tree/example/prometheus-operator-crd" "$tree/example/rbac" "$dest/"
  chmod -R u+w "$dest"; rm -rf "$tree"
  rm -f "$bin"/.prometheus-operator-*; touch "$bin/.prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"
  echo "build-operators: prometheus-operator $PROMETHEUS_OPERATOR_VERSION built in $(elapsed $t)"
fi

# --- k6-operator: its main package is the module root (Dockerfile.controller builds `main.go` as the manager).
if [ $force = 1 ] || [ ! -e "$bin/.k6-operator-$K6_OPERATOR_VERSION" ]; then
  t=$SECONDS
  echo "build-operators: building k6-operator $K6_OPERATOR_VERSION ..."
  dir="$(module_dir "$K6_MODULE@$K6_OPERATOR_VERSION")"
  tree="$(writable_copy "$dir" "k6-operator-$K6_OPERATOR_VERSION")"
  (cd "$tree" && nice -n 10 go build -p=1 -mod=mod -trimpath -ldflags "-s" -o "$bin/k6-operator" .) \
    || { echo "build-operators: go build of k6-operator $K6_OPERATOR_VERSION failed (see above)" >&2; exit 1; }
  dest="$share/k6-operator"
  rm -rf "$dest"; mkdir -p "$dest"
  cp "$tree/bundle.yaml" "$dest/"
  chmod -R u+w "$dest"; rm -rf "$tree"
  rm -f "$bin"/.k6-operator-*; touch "$bin/.k6-operator-$K6_OPERATOR_VERSION"
  echo "build-operators: k6-operator $K6_OPERATOR_VERSION built in $(elapsed $t)"
fi

# --- Prometheus at the stack's version from its Go module (tagged v0.x: v2.54.1 is v0.54.1), with only the Kubernetes
# service discovery compiled in (plugins/plugins.go rewritten; file and http discovery stay, plugins/minimum.go): the
# operator's scrape configurations use only that. No web UI assets (they need npm); the HTTP API is complete.
if [ $force = 1 ] || [ ! -e "$bin/.prometheus-$PROMETHEUS_VERSION" ]; then
  t=$SECONDS
  echo "build-operators: building prometheus $PROMETHEUS_VERSION (Kubernetes service discovery only) ..."
  module_version="v0.${PROMETHEUS_VERSION#v2.}"
  dir="$(module_dir "github.com/prometheus/prometheus@$module_version")"
  tree="$(writable_copy "$dir" "prometheus-$PROMETHEUS_VERSION")"
  cat >"$tree/plugins/plugins.go" <<'EOF_PLUGINS'
package plugins

import (
	// Only the Kubernetes service discovery: prometheus-operator's scrape configurations use nothing else.
	_ "github.com/prometheus/prometheus/discovery/kubernetes"
)
EOF_PLUGINS
  v="github.com/prometheus/common/version"
  ldflags="-s -X $v.Version=${PROMETHEUS_VERSION#v} -X $v.Revision=$PROMETHEUS_VERSION -X $v.Branch=$PROMETHEUS_VERSION"
  ldflags="$ldflags -X $v.BuildUser=observatory -X $v.BuildDate=19700101-00:00:00"
  (cd "$tree" && nice -n 10 go build -p=1 -mod=mod -trimpath -ldflags "$ldflags" -o "$bin/prometheus" ./cmd/prometheus) \
    || { echo "build-operators: go build of prometheus $PROMETHEUS_VERSION failed (see above)" >&2; exit 1; }
  rm -rf "$tree"
  rm -f "$bin"/.prometheus-v*; touch "$bin/.prometheus-$PROMETHEUS_VERSION"
  echo "build-operators: prometheus $PROMETHEUS_VERSION built in $(elapsed $t)"
fi

# --- kube-router: the NetworkPolicy controller (only its firewall runs) beside the kind cluster's CNI.
if [ $force = 1 ] || [ ! -e "$bin/.kube-router-$KUBE_ROUTER_VERSION" ]; then
  t=$SECONDS
  echo "build-operators: building kube-router $KUBE_ROUTER_VERSION ..."
  dir="$(module_dir "$KR_MODULE@$KUBE_ROUTER_VERSION")"
  tree="$(writable_copy "$dir" "kube-router-$KUBE_ROUTER_VERSION")"
  (cd "$tree" && nice -n 10 go build -p=1 -mod=mod -trimpath \
     -ldflags "-s -X $KR_MODULE/pkg/version.Version=$KUBE_ROUTER_VERSION" -o "$bin/kube-router" ./cmd/kube-router) \
    || { echo "build-operators: go build of kube-router $KUBE_ROUTER_VERSION failed (see above)" >&2; exit 1; }
  rm -rf "$tree"
  rm -f "$bin"/.kube-router-*; touch "$bin/.kube-router-$KUBE_ROUTER_VERSION"
  echo "build-operators: kube-router $KUBE_ROUTER_VERSION built in $(elapsed $t)"
fi

echo "build-operators: prometheus-operator $PROMETHEUS_OPERATOR_VERSION, k6-operator $K6_OPERATOR_VERSION and kube-router $KUBE_ROUTER_VERSION are in $bin"
[ $images = 1 ] || exit 0

# --- images, with docker (the engine the kind cluster runs on; tools/images/engine.sh finds it, make cluster's own
# dockerd included). Every base is the stand-in that `make images` imports; each image then goes into the kind nodes
# when the cluster runs (they pull nothing).
ENGINE_FORCE=docker
cd "$root"
# shellcheck source=tools/images/engine.sh
source tools/images/engine.sh
BASE=${BASE:-docker.io/library/python:3.11.14-slim-bookworm}
image_exists "$BASE" || { echo "build-operators: the base image $BASE is missing: run make images first" >&2; exit 1; }

built=()
image() {  # image NAME RECIPE FILE...: build tools/operators/images/RECIPE with FILEs copied into its context
  local name=$1 recipe="$root/tools/operators/images/$2" context t=$SECONDS
  shift 2
  context="$(mktemp -d "${TMPDIR:-/tmp}/operator-image.XXXXXX")"
  cp -r "$recipe"/. "$context"/
  for f in "$@"; do cp "$f" "$context/"; done
  engine_build "$name" "$context" "$context/Dockerfile" --build-arg "BASE=$BASE" \
    || { rm -rf "$context"; echo "build-operators: docker build of $name failed" >&2; exit 1; }
  rm -rf "$context"
  built+=("$name")
  echo "build-operators: image $name ($(elapsed $t))"
}
PO=${PROMETHEUS_OPERATOR_VERSION}
image "quay.io/prometheus-operator/prometheus-operator:$PO" operator "$bin/prometheus-operator"
image "quay.io/prometheus-operator/prometheus-config-reloader:$PO" config-reloader "$bin/prometheus-config-reloader"
image "observatory/prometheus:$PROMETHEUS_VERSION" prometheus "$bin/prometheus"
image "ghcr.io/grafana/k6-operator:controller-$K6_OPERATOR_VERSION" k6-operator "$bin/k6-operator"
# the TestRun's starter (k6-operator's default image name): its curl stand-in; the initializer runs the runner's image
image "ghcr.io/grafana/k6-operator:latest-starter" k6-starter
image "observatory/kube-router:$KUBE_ROUTER_VERSION" kube-router "$bin/kube-router"
echo "build-operators: images built here from source (Prometheus $PROMETHEUS_VERSION with Kubernetes discovery only)"

KIND_CLUSTER=${KIND_CLUSTER:-observatory}
kind=${KIND:-$root/.tools/bin/kind}
if [ -x "$kind" ] && PATH=$(dirname "$DOCKER"):$PATH "$kind" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
  PATH=$(dirname "$DOCKER"):$PATH "$kind" load docker-image --name "$KIND_CLUSTER" "${built[@]}" >/dev/null
  echo "build-operators: loaded into every node of kind cluster $KIND_CLUSTER"
else
  echo "build-operators: no kind cluster $KIND_CLUSTER runs; not loaded (the tests load them)"
fi
