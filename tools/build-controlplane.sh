#!/usr/bin/env bash
# Builds a Kubernetes control plane from the Go module proxy into .tools/bin: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl and kwok, at the versions pinned in tools/versions.mk.
# tests/controlplane runs the charts on it (envtest-style: a real API server, kwok nodes instead of kubelets).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: tools/build-controlplane.sh [--force]

Builds, from source through the Go module proxy, into .tools/bin:
  etcd                      (a small wrapper module around go.etcd.io/etcd/server/v3/etcdmain)
  kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
                            (k8s.io/kubernetes with its staging modules filled from the proxy)
  kwok                      (go install), and its stages into .tools/share/kwok/stages
and copies the ServiceMonitor and TestRun CRDs from prometheus-operator's and k6-operator's module sources
into .tools/share/crds.

Versions come from tools/versions.mk (ETCD_VERSION, KUBERNETES_VERSION, KWOK_VERSION,
PROMETHEUS_OPERATOR_VERSION, K6_OPERATOR_VERSION). A stamp file per
pin (.tools/bin/.etcd-vX etc.) makes a second run a no-op until a pin changes. A cold build takes about
10 minutes on 2 cores and 6.5 GB of disk (4.3 GB of it Go's build cache, which can be deleted afterwards).

  --force   rebuild even if the stamps say the pinned versions are there
EOF
}

force=0
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --force) force=1 ;;
    *) echo "build-controlplane: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

pin() {  # the value of NAME in tools/versions.mk (the environment wins, so `make` can pass it)
  local name="$1" value="${!1:-}"
  if [ -z "$value" ]; then
    value="$(sed -n "s/^$name[[:space:]]*:\?=[[:space:]]*//p" "$root/tools/versions.mk" | tail -1)"
  fi
  [ -n "$value" ] || { echo "build-controlplane: $name is not pinned in tools/versions.mk" >&2; exit 1; }
  printf '%s' "$value"
}
ETCD_VERSION="$(pin ETCD_VERSION)"
KUBERNETES_VERSION="$(pin KUBERNETES_VERSION)"
KWOK_VERSION="$(pin KWOK_VERSION)"
PROMETHEUS_OPERATOR_VERSION="$(pin PROMETHEUS_OPERATOR_VERSION)"
K6_OPERATOR_VERSION="$(pin K6_OPERATOR_VERSION)"

bin="$root/.tools/bin"
src="$root/.tools/src"
share="$root/.tools/share"
mkdir -p "$bin" "$src" "$share"
export GOWORK=off GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
build="nice -n 10"

# go's checksum database is consulted when it can be reached; if it cannot, the module proxy alone is used.
sumdb_checked=0
check_sumdb() {  # called before anything is built: go must be there, and the checksum database is probed once
  command -v go >/dev/null 2>&1 || {
    echo "build-controlplane: go is needed to build the control plane (install Go >= 1.24, e.g. apt-get install golang)" >&2
    exit 1
  }
  [ $sumdb_checked = 0 ] || return 0
  sumdb_checked=1
  if [ "$(go env GOSUMDB)" != off ] && [ -z "${GONOSUMDB:-}" ]; then
    if ! timeout 60 go mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>"$src/.sumdb-check.err"; then
      if grep -qi 'sum.golang.org\|verifying' "$src/.sumdb-check.err"; then
        echo "build-controlplane: the checksum database is unreachable; using the module proxy without it (GOSUMDB=off)"
        export GOSUMDB=off
      fi
    fi
  fi
}

start_all=$SECONDS
built=0
elapsed() { printf '%dm%02ds' $(( ($SECONDS - $1) / 60 )) $(( ($SECONDS - $1) % 60 )); }
# The folder of MODULE@VERSION in Go's module cache (downloaded through the proxy if needed), or one error line.
module_dir() {
  local dir
  dir="$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || { echo "build-controlplane: could not download $1" >&2; return 1; }
  echo "$dir"
}

# --- etcd: `go install go.etcd.io/etcd/v3` is refused (its go.mod has replace directives), a wrapper is not.
if [ $force = 1 ] || [ ! -e "$bin/.etcd-$ETCD_VERSION" ] || [ ! -x "$bin/etcd" ]; then
  t=$SECONDS; check_sumdb
  echo "build-controlplane: building etcd $ETCD_VERSION ..."
  wrap="$src/etcd-$ETCD_VERSION"
  rm -rf "$wrap"; mkdir -p "$wrap"
  cat >"$wrap/main.go" <<'EOF'
// etcd, built from go.etcd.io/etcd/server/v3 (whose own module cannot be `go install`ed).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (cd "$wrap" && go mod init observatory.local/etcd >/dev/null 2>&1 \
     && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
     && go mod tidy \
     && $build go build -o "$bin/etcd" .)
  rm -f "$bin"/.etcd-*; touch "$bin/.etcd-$ETCD_VERSION"
  echo "build-controlplane: etcd $ETCD_VERSION built in $(elapsed $t)"
  built=1
fi

# --- Kubernetes: the k8s.io/kubernetes module zip has no staging/ (nested modules are cut out of module zips);
# its go.mod replaces every k8s.io/* staging module with ./staging/src/k8s.io/*, so those are filled from the
# matching v0.x.y modules. vendor/ is dropped so -mod=mod resolves everything through the proxy.
if [ $force = 1 ] || [ ! -e "$bin/.kubernetes-$KUBERNETES_VERSION" ] || [ ! -x "$bin/kube-apiserver" ]; then
  t=$SECONDS; check_sumdb
  echo "build-controlplane: building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBERNETES_VERSION ..."
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  moddir="$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")"
  tree="$src/kubernetes-$KUBERNETES_VERSION"
  [ ! -d "$tree" ] || chmod -R u+w "$tree"
  rm -rf "$tree"; cp -r "$moddir" "$tree"; chmod -R u+w "$tree"
  rm -rf "$tree/vendor"
  for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/.*#\1#p' "$tree/go.mod"); do
    name="${m#k8s.io/}"
    case "$name" in sample-cli-plugin|sample-controller) continue ;; esac  # refused by the proxy, not needed
    d="$(module_dir "$m@$staging_version")"
    mkdir -p "$tree/staging/src/k8s.io"; rm -rf "$tree/staging/src/k8s.io/$name"
    cp -r "$d" "$tree/staging/src/k8s.io/$name"; chmod -R u+w "$tree/staging/src/k8s.io/$name"
  done
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$tree" && $build go build -mod=mod -ldflags "$ldflags" -o "$bin/" \
     ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler ./cmd/kubectl)
  rm -rf "$tree"  # 1 GB of sources; the module cache keeps what a rebuild needs
  rm -f "$bin"/.kubernetes-*; touch "$bin/.kubernetes-$KUBERNETES_VERSION"
  echo "build-controlplane: Kubernetes $KUBERNETES_VERSION built in $(elapsed $t)"
  built=1
fi

# --- kwok: plain go install; its stages (what fake kubelets do to nodes and pods) come from its module source.
if [ $force = 1 ] || [ ! -e "$bin/.kwok-$KWOK_VERSION" ] || [ ! -x "$bin/kwok" ]; then
  t=$SECONDS; check_sumdb
  echo "build-controlplane: building kwok $KWOK_VERSION ..."
  GOBIN="$bin" $build go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  d="$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")"
  rm -rf "$share/kwok"; mkdir -p "$share/kwok"
  cp -r "$d/kustomize/stage" "$share/kwok/stages"; chmod -R u+w "$share/kwok"
  rm -f "$bin"/.kwok-*; touch "$bin/.kwok-$KWOK_VERSION"
  echo "build-controlplane: kwok $KWOK_VERSION built in $(elapsed $t)"
  built=1
fi

# --- the CRDs the charts need, from the operators' module sources: ServiceMonitor at the prometheus-operator version
# kube-prometheus-stack (Tiltfile) ships, TestRun from k6-operator.
crds="prometheus-operator-$PROMETHEUS_OPERATOR_VERSION-k6-operator-$K6_OPERATOR_VERSION"
if [ $force = 1 ] || [ ! -e "$share/crds/.$crds" ]; then
  check_sumdb
  rm -rf "$share/crds"; mkdir -p "$share/crds"
  d="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  cp "$d/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$share/crds/"
  d="$(module_dir "github.com/grafana/k6-operator@$K6_OPERATOR_VERSION")"
  cp "$d/config/crd/bases/k6.io_testruns.yaml" "$share/crds/"
  chmod u+w "$share/crds"/*; touch "$share/crds/.$crds"
  echo "build-controlplane: CRDs of prometheus-operator $PROMETHEUS_OPERATOR_VERSION and k6-operator $K6_OPERATOR_VERSION copied"
fi

if [ $built = 1 ]; then
  echo "build-controlplane: control plane built in $(elapsed $start_all) (etcd $ETCD_VERSION, Kubernetes $KUBERNETES_VERSION, kwok $KWOK_VERSION)"
else
  echo "build-controlplane: control plane up to date (etcd $ETCD_VERSION, Kubernetes $KUBERNETES_VERSION, kwok $KWOK_VERSION)"
fi
