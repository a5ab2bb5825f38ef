#!/usr/bin/env bash
# Builds, from their Go module sources at the pins in tools/versions.mk, what a kind node image holds, for machines
# where no registry answers (make cluster calls it then; tools/kind/build-node-image.sh assembles the image).
set -euo pipefail

usage() {
  cat <<'EOF_USAGE'
usage: tools/kind/build-components.sh [--force] [PART...]

Builds with go, each part cached under a stamp named after its pin (a second run is a no-op until a pin changes):
  .tools/bin/kind                      sigs.k8s.io/kind (go install)                           KIND_VERSION
  .tools/kind/bin/kubeadm, kubelet, kube-proxy
                                       k8s.io/kubernetes, from the same source tree and flags as
                                       tools/build-controlplane.sh (which builds kube-apiserver,
                                       controller-manager, scheduler, kubectl and etcd; run first
                                       if they are missing), so Go's build cache serves what they share
                                                                                               KUBERNETES_VERSION
  .tools/kind/bin/containerd, ctr, containerd-shim-runc-v2                                     CONTAINERD_VERSION
  .tools/kind/bin/crictl               sigs.k8s.io/cri-tools                                   CRICTL_VERSION
  .tools/kind/cni/host-local, loopback, ptp, portmap, bridge                                   CNI_PLUGINS_VERSION
  .tools/kind/bin/coredns                                                                      COREDNS_VERSION
  .tools/kind/bin/local-path-provisioner                                                       LOCAL_PATH_PROVISIONER_VERSION
  .tools/kind/bin/pause, kindnetd      our own (tools/kind/src): stand-ins for images no module serves

  PART      build only these: kind kubernetes containerd crictl cni coredns local-path-provisioner standins
  --force   rebuild even if the stamps say the pinned versions are there
EOF_USAGE
}

force=0
parts=""
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --force) force=1 ;;
    kind|kubernetes|containerd|crictl|cni|coredns|local-path-provisioner|standins) parts="$parts $arg" ;;
    *) echo "build-components: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# .tools resolved (it may be a symlink shared by worktrees): the Kubernetes tree must sit at the very path
# tools/build-controlplane.sh used, or Go's build cache, keyed by source directories, serves nothing.
mkdir -p "$root/.tools"
tools="$(cd "$root/.tools" && pwd -P)"
pin() {  # the value of NAME in tools/versions.mk (the environment wins)
  local name="$1" value="${!1:-}"
  [ -n "$value" ] || value="$(sed -n "s/^$name[[:space:]]*:\?=[[:space:]]*//p" "$root/tools/versions.mk" | tail -1)"
  [ -n "$value" ] || { echo "build-components: $name is not pinned in tools/versions.mk" >&2; exit 1; }
  printf '%s' "$value"
}
KIND_VERSION="$(pin KIND_VERSION)"
KUBERNETES_VERSION="$(pin KUBERNETES_VERSION)"
CONTAINERD_VERSION="$(pin CONTAINERD_VERSION)"
CRICTL_VERSION="$(pin CRICTL_VERSION)"
CNI_PLUGINS_VERSION="$(pin CNI_PLUGINS_VERSION)"
COREDNS_VERSION="$(pin COREDNS_VERSION)"
LOCAL_PATH_PROVISIONER_VERSION="$(pin LOCAL_PATH_PROVISIONER_VERSION)"

command -v go >/dev/null 2>&1 || { echo "build-components: go is needed (install Go >= 1.24, e.g. apt-get install golang)" >&2; exit 1; }
bin="$tools/kind/bin"
cni="$tools/kind/cni"
src="$tools/src"
mkdir -p "$tools/bin" "$bin" "$cni" "$src"
export GOWORK=off GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
build="nice -n 10"
jobs="-p=${GO_BUILD_JOBS:-2}"

start_all=$SECONDS
built=""
elapsed() { printf '%dm%02ds' $(( (SECONDS - $1) / 60 )) $(( (SECONDS - $1) % 60 )); }
stale() {  # stale PART STAMP FILE...: true when PART is wanted and the stamp or a file is missing (or --force)
  local part="$1" stamp="$2"; shift 2
  [ -z "$parts" ] || [[ " $parts " == *" $part "* ]] || return 1
  [ $force = 1 ] && return 0
  [ -e "$stamp" ] || return 0
  local f; for f in "$@"; do [ -x "$f" ] || return 0; done
  return 1
}
stamp() {  # stamp DIR PREFIX VERSION: one stamp per part, named after its pin
  rm -f "$1/.$2"-*; touch "$1/.$2-$3"
}
done_step() {
  echo "build-components: $1 built in $(elapsed "$2")"
  built="$built $1"
}
module_dir() {
  local dir
  dir="$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || { echo "build-components: could not download $1" >&2; return 1; }
  echo "$dir"
}

# --- kind itself
if stale kind "$tools/bin/.kind-$KIND_VERSION" "$tools/bin/kind"; then
  t=$SECONDS; echo "build-components: building kind $KIND_VERSION ..."
  GOBIN="$tools/bin" CGO_ENABLED=0 $build go install $jobs "sigs.k8s.io/kind@$KIND_VERSION"
  stamp "$tools/bin" kind "$KIND_VERSION"; done_step "kind $KIND_VERSION" $t
fi

# --- kubeadm, kubelet, kube-proxy. The tree, its path and the ldflags are tools/build-controlplane.sh's, so the
# packages they share with kube-apiserver & co. come from Go's build cache.
if stale kubernetes "$bin/.kubernetes-$KUBERNETES_VERSION" "$bin/kubeadm" "$bin/kubelet" "$bin/kube-proxy"; then
  if [ ! -x "$tools/bin/kube-apiserver" ] || [ ! -x "$tools/bin/kubectl" ] || [ ! -x "$tools/bin/etcd" ]; then
    "$root/tools/build-controlplane.sh"
  fi
  t=$SECONDS; echo "build-components: building kubeadm, kubelet, kube-proxy $KUBERNETES_VERSION ..."
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  moddir="$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")"
  tree="$src/kubernetes-$KUBERNETES_VERSION"
  [ ! -d "$tree" ] || chmod -R u+w "$tree"
  rm -rf "$tree"; cp -r "$moddir" "$tree"; chmod -R u+w "$tree"
  rm -rf "$tree/vendor"
  for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/.*#\1#p' "$tree/go.mod"); do
    name="${m#k8s.io/}"
    case "$name" in sample-cli-plugin|sample-controller) continue ;; esac
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
  (cd "$tree" && $build go build $jobs -mod=mod -ldflags "$ldflags" -o "$bin/" ./cmd/kubeadm ./cmd/kubelet ./cmd/kube-proxy)
  rm -rf "$tree"
  stamp "$bin" kubernetes "$KUBERNETES_VERSION"; done_step "kubeadm, kubelet, kube-proxy $KUBERNETES_VERSION" $t
fi

# --- containerd, ctr and the runc shim, without the snapshotters kind never selects (as kind's base image does)
if stale containerd "$bin/.containerd-$CONTAINERD_VERSION" "$bin/containerd" "$bin/ctr" "$bin/containerd-shim-runc-v2"; then
  t=$SECONDS; echo "build-components: building containerd $CONTAINERD_VERSION ..."
  m=github.com/containerd/containerd/v2
  GOBIN="$bin" CGO_ENABLED=0 $build go install $jobs -tags "no_btrfs no_devmapper no_zfs no_aufs" \
    -ldflags "-s -w -X $m/version.Version=${CONTAINERD_VERSION#v}" \
    "$m/cmd/containerd@$CONTAINERD_VERSION" "$m/cmd/ctr@$CONTAINERD_VERSION" "$m/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION"
  stamp "$bin" containerd "$CONTAINERD_VERSION"; done_step "containerd $CONTAINERD_VERSION" $t
fi

if stale crictl "$bin/.crictl-$CRICTL_VERSION" "$bin/crictl"; then
  t=$SECONDS; echo "build-components: building crictl $CRICTL_VERSION ..."
  GOBIN="$bin" CGO_ENABLED=0 $build go install $jobs -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION#v}" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  stamp "$bin" crictl "$CRICTL_VERSION"; done_step "crictl $CRICTL_VERSION" $t
fi

if stale cni "$cni/.cni-plugins-$CNI_PLUGINS_VERSION" "$cni/host-local" "$cni/loopback" "$cni/ptp" "$cni/portmap" "$cni/bridge"; then
  t=$SECONDS; echo "build-components: building CNI plugins $CNI_PLUGINS_VERSION ..."
  m=github.com/containernetworking/plugins/plugins
  GOBIN="$cni" CGO_ENABLED=0 $build go install $jobs -ldflags "-s -w" \
    "$m/ipam/host-local@$CNI_PLUGINS_VERSION" "$m/main/loopback@$CNI_PLUGINS_VERSION" "$m/main/ptp@$CNI_PLUGINS_VERSION" \
    "$m/meta/portmap@$CNI_PLUGINS_VERSION" "$m/main/bridge@$CNI_PLUGINS_VERSION"
  stamp "$cni" cni-plugins "$CNI_PLUGINS_VERSION"; done_step "CNI plugins $CNI_PLUGINS_VERSION" $t
fi

if stale coredns "$bin/.coredns-$COREDNS_VERSION" "$bin/coredns"; then
  t=$SECONDS; echo "build-components: building coredns $COREDNS_VERSION ..."
  GOBIN="$bin" CGO_ENABLED=0 $build go install $jobs -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  stamp "$bin" coredns "$COREDNS_VERSION"; done_step "coredns $COREDNS_VERSION" $t
fi

if stale local-path-provisioner "$bin/.local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION" "$bin/local-path-provisioner"; then
  t=$SECONDS; echo "build-components: building local-path-provisioner $LOCAL_PATH_PROVISIONER_VERSION ..."
  GOBIN="$bin" CGO_ENABLED=0 $build go install $jobs -ldflags "-s -w" \
    "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION"
  stamp "$bin" local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION"; done_step "local-path-provisioner $LOCAL_PATH_PROVISIONER_VERSION" $t
fi

# --- our own stand-ins: their stamp is the hash of their sources
own="$(cat "$root/tools/kind/src/go.mod" "$root"/tools/kind/src/*/main.go | sha256sum | cut -c1-12)"
if stale standins "$bin/.standins-$own" "$bin/pause" "$bin/kindnetd"; then
  t=$SECONDS; echo "build-components: building pause and the kindnetd stand-in (tools/kind/src) ..."
  (cd "$root/tools/kind/src" && CGO_ENABLED=0 $build go build $jobs -ldflags "-s -w" -o "$bin/" ./pause ./kindnetd)
  stamp "$bin" standins "$own"; done_step "pause and kindnetd" $t
fi

if [ -n "$built" ]; then
  echo "build-components: node parts built in $(elapsed $start_all):$built"
else
  echo "build-components: node parts up to date (kind $KIND_VERSION, Kubernetes $KUBERNETES_VERSION, containerd $CONTAINERD_VERSION, crictl $CRICTL_VERSION, CNI $CNI_PLUGINS_VERSION, coredns $COREDNS_VERSION, local-path-provisioner $LOCAL_PATH_PROVISIONER_VERSION)"
fi
