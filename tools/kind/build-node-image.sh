#!/usr/bin/env bash
# Assembles the kind node image kindest/node:KUBERNETES_VERSION-local where no registry answers, as kind's own
# pkg/build/nodeimage does (build container, kubeadm's images imported into its containerd, docker commit), from:
#   - a base that follows kind's images/base/Dockerfile, on a debootstrapped Debian bookworm instead of
#     debian:trixie-slim (which cannot be pulled), with kind's images/base/files from its module source;
#   - the parts tools/kind/build-components.sh built from the pins in tools/versions.mk;
#   - component images under the exact names kubeadm and kind's manifests ask for, on a small debootstrapped base.
# The image carries a label with the hash of everything it was made from; a second run is a no-op until that changes.
set -euo pipefail

usage() {
  cat <<'EOF_USAGE'
usage: tools/kind/build-node-image.sh [--force]

Builds kindest/node:KUBERNETES_VERSION-local with the docker CLI on PATH (DOCKER_HOST is honoured), from the
parts in .tools/kind (run tools/kind/build-components.sh first). Cached: the root file systems as tarballs in
.tools/kind/cache, the image by the hash of its inputs (label observatory.node-key).

  --force   rebuild even if the image's label matches
EOF_USAGE
}
force=0
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --force) force=1 ;;
    *) echo "node-image: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pin() {
  local name="$1" value="${!1:-}"
  [ -n "$value" ] || value="$(sed -n "s/^$name[[:space:]]*:\?=[[:space:]]*//p" "$root/tools/versions.mk" | tail -1)"
  [ -n "$value" ] || { echo "node-image: $name is not pinned in tools/versions.mk" >&2; exit 1; }
  printf '%s' "$value"
}
KIND_VERSION="$(pin KIND_VERSION)"
KUBERNETES_VERSION="$(pin KUBERNETES_VERSION)"
image="kindest/node:$KUBERNETES_VERSION-local"
tools="$root/.tools"
bin="$tools/kind/bin"
cni="$tools/kind/cni"
cache="$tools/kind/cache"
docker="${DOCKER:-docker}"
mkdir -p "$cache"

for f in kubeadm kubelet kube-proxy containerd ctr containerd-shim-runc-v2 crictl coredns local-path-provisioner pause kindnetd; do
  [ -x "$bin/$f" ] || { echo "node-image: $bin/$f is missing: run tools/kind/build-components.sh" >&2; exit 1; }
done
for f in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd; do
  [ -x "$tools/bin/$f" ] || { echo "node-image: .tools/bin/$f is missing: run make controlplane" >&2; exit 1; }
done
command -v debootstrap >/dev/null || { echo "node-image: debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
"$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || { echo "node-image: no docker engine answers ($docker version; DOCKER_HOST=${DOCKER_HOST:-unset})" >&2; exit 1; }
kind_src="$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$kind_src/images/base/files" ] || { echo "node-image: could not download kind $KIND_VERSION's module source" >&2; exit 1; }

# kind's images/base/Dockerfile's packages, less nfs-common and open-iscsi (network storage), plus Debian's runc
# (kind builds its own); the component images need only what kube-proxy and kindnetd call.
node_packages="systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,fuse-overlayfs,e2fsprogs,bash,ca-certificates,curl,jq,procps,runc"
slim_packages="iptables,iproute2,conntrack,ca-certificates"
rootfs="$root/tools/kind/rootfs.sh"

key="$( { cat "${BASH_SOURCE[0]}" "$rootfs"; "$rootfs" --key "$node_packages"; "$rootfs" --key "$slim_packages"; echo "$KIND_VERSION $KUBERNETES_VERSION"
          ls -1a "$bin" "$cni" "$tools/bin" | grep -E '^\.(kind|kubernetes|etcd|containerd|crictl|cni-plugins|coredns|local-path-provisioner|standins)-'; } \
        | sha256sum | cut -c1-12)"
if [ $force = 0 ] && [ "$("$docker" image inspect --format '{{index .Config.Labels "observatory.node-key"}}' "$image" 2>/dev/null)" = "$key" ]; then
  echo "node-image: $image is up to date (key $key)"
  exit 0
fi

start_all=$SECONDS
# the intermediate images of earlier keys (an interrupted build leaves its base behind)
"$docker" images --format '{{.Repository}}:{{.Tag}}' | grep -E '^observatory/kind-(slim|base):' | grep -v ":$key" \
  | xargs -r "$docker" rmi >/dev/null 2>&1 || true
elapsed() { printf '%dm%02ds' $(( (SECONDS - $1) / 60 )) $(( (SECONDS - $1) % 60 )); }
work="$(mktemp -d /tmp/kind-node-image.XXXXXX)"
build_container=""
cleanup() {
  [ -z "$build_container" ] || "$docker" rm -f -v "$build_container" >/dev/null 2>&1 || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the component images: the names kubeadm lists for this version, the pause image kind's containerd config names,
# and the images kind's default CNI and storage manifests name.
t=$SECONDS
slim="observatory/kind-slim:$key"
"$docker" import --change "LABEL observatory.node-key=$key" - "$slim" <"$("$rootfs" slim "$slim_packages")" >/dev/null
mapfile -t kubeadm_images < <("$bin/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION" 2>/dev/null)
[ ${#kubeadm_images[@]} -ge 6 ] || { echo "node-image: kubeadm config images list gave no images" >&2; exit 1; }
sandbox_image="$(sed -n 's/^[[:space:]]*sandbox_image = "\(.*\)"/\1/p' "$kind_src/images/base/files/etc/containerd/config.toml")"
manifest() {  # manifest FILE CONST: a Go constant of kind's nodeimage package, its `+ name +` pieces filled in
  python3 - "$kind_src/pkg/build/nodeimage/$1" "$2" <<'EOF_PY'
import re, sys
source = open(sys.argv[1]).read()
consts = dict(re.findall(r'^const (\w+) = "([^"]*)"', source, flags=re.M))
pos = source.index(f"const {sys.argv[2]} = ") + len(f"const {sys.argv[2]} = ")
text = []
while True:
    if source[pos] == "`":
        end = source.index("`", pos + 1)
        text.append(source[pos + 1:end])
        pos = end + 1
    else:
        name = re.match(r"\w+", source[pos:]).group(0)
        text.append(consts[name])
        pos += len(name)
    rest = source[pos:]
    if not rest.lstrip(" ").startswith("+"):
        break
    pos += len(rest) - len(rest.lstrip(" ")) + 1
    pos += len(source[pos:]) - len(source[pos:].lstrip(" "))
sys.stdout.write("".join(text))
EOF_PY
}
const_image() { sed -n "s/^const $2 = \"\(.*\)\"/\1/p" "$kind_src/pkg/build/nodeimage/$1"; }
kindnetd_image="$(const_image const_cni.go kindnetdImage)"
provisioner_image="$(const_image const_storage.go storageProvisionerImage)"
helper_image="$(const_image const_storage.go storageHelperImage)"
mkdir -p "$work/manifests"
manifest const_cni.go defaultCNIManifest >"$work/manifests/default-cni.yaml"
manifest const_storage.go defaultStorageManifest >"$work/manifests/default-storage.yaml"
grep -q "image: $kindnetd_image" "$work/manifests/default-cni.yaml" || { echo "node-image: could not read kind's CNI manifest" >&2; exit 1; }

component() {  # component IMAGE ENTRYPOINT FILE...: IMAGE = the slim base + FILEs in /usr/local/bin (or / for /coredns)
  local name="$1" entrypoint="$2" ctx; shift 2
  ctx="$work/ctx-${name//[\/:]/_}"; mkdir -p "$ctx/files"
  [ $# = 0 ] || cp "$@" "$ctx/files/"
  local dest=/usr/local/bin/; [ "$entrypoint" != /coredns ] || dest=/
  printf 'FROM %s\nCOPY files/ %s\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nENTRYPOINT ["%s"]\n' \
    "$slim" "$dest" "$entrypoint" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 "$docker" build --quiet -t "$name" "$ctx" >/dev/null
}
images=()
for ref in "${kubeadm_images[@]}"; do
  case "$ref" in
    */kube-apiserver:*|*/kube-controller-manager:*|*/kube-scheduler:*)
      b="${ref##*/}"; b="${b%%:*}"; component "$ref" "/usr/local/bin/$b" "$tools/bin/$b" ;;
    */kube-proxy:*) component "$ref" /usr/local/bin/kube-proxy "$bin/kube-proxy" ;;
    */etcd:*) component "$ref" /usr/local/bin/etcd "$tools/bin/etcd" ;;
    */coredns:*) component "$ref" /coredns "$bin/coredns" ;;
    */pause:*) component "$ref" /usr/local/bin/pause "$bin/pause" ;;
    *) echo "node-image: kubeadm lists an image this script does not build: $ref" >&2; exit 1 ;;
  esac
  images+=("$ref")
done
if [[ " ${images[*]} " != *" $sandbox_image "* ]]; then
  component "$sandbox_image" /usr/local/bin/pause "$bin/pause"; images+=("$sandbox_image")
fi
component "$kindnetd_image" /usr/local/bin/kindnetd "$bin/kindnetd"
component "$provisioner_image" /usr/local/bin/local-path-provisioner "$bin/local-path-provisioner"
component "$helper_image" /bin/sh
images+=("$kindnetd_image" "$provisioner_image" "$helper_image")
"$docker" save -o "$work/images.tar" "${images[@]}"
echo "node-image: ${#images[@]} component images built in $(elapsed $t): ${images[*]}"

# --- the base: kind's images/base/Dockerfile, step by step, on the debootstrapped root file system
t=$SECONDS
node_tar="$("$rootfs" node "$node_packages")"
r="$work/node/rootfs"; mkdir -p "$r"
tar -C "$r" -xf "$node_tar"
files="$kind_src/images/base/files"
install -m 0755 "$files"/usr/local/bin/* "$r/usr/local/bin/"
mkdir -p "$r/kind/bin" "$r/kind/manifests" "$r/etc/containerd" "$r/etc/default" "$r/etc/sysctl.d" \
  "$r/etc/systemd/system/kubelet.service.d" "$r/etc/kubernetes/manifests" "$r/opt/cni/bin"
find "$files/kind" -maxdepth 1 -type f -exec install -m 0644 {} "$r/kind/" \;
install -m 0755 "$files"/kind/bin/* "$r/kind/bin/"
install -m 0644 "$files"/etc/crictl.yaml "$r/etc/"
install -m 0644 "$files"/etc/default/* "$r/etc/default/"
install -m 0644 "$files"/etc/sysctl.d/* "$r/etc/sysctl.d/"
find "$files/etc/systemd/system" -maxdepth 1 -type f -exec install -m 0644 {} "$r/etc/systemd/system/" \;
install -m 0644 "$files"/etc/systemd/system/kubelet.service.d/* "$r/etc/systemd/system/kubelet.service.d/"
# Lowering a sandbox's oom_score_adj needs CAP_SYS_RESOURCE, which hosts like this one lack (see the runtime wrapper).
sed 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "$files/etc/containerd/config.toml" >"$r/etc/containerd/config.toml"
chmod 0644 "$r/etc/containerd/config.toml"
grep -q 'restrict_oom_score_adj = true' "$r/etc/containerd/config.toml" || { echo "node-image: could not set restrict_oom_score_adj" >&2; exit 1; }
find "$r/lib/systemd/system/sysinit.target.wants/" -name "systemd-tmpfiles-setup.service" -delete
rm -f "$r"/lib/systemd/system/multi-user.target.wants/* "$r"/etc/systemd/system/*.wants/* \
  "$r"/lib/systemd/system/local-fs.target.wants/* "$r"/lib/systemd/system/sockets.target.wants/*udev* \
  "$r"/lib/systemd/system/sockets.target.wants/*initctl* "$r"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$r/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$r/sbin/init"
chroot "$r" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
chroot "$r" systemctl mask systemd-binfmt.service >/dev/null 2>&1
install -m 0755 "$bin/containerd" "$bin/ctr" "$bin/containerd-shim-runc-v2" "$bin/crictl" "$r/usr/local/bin/"
install -m 0755 "$cni"/host-local "$cni"/loopback "$cni"/ptp "$cni"/portmap "$cni"/bridge "$r/opt/cni/bin/"
"$bin/ctr" oci spec | python3 -c '
import json, sys
spec = json.load(sys.stdin)
spec.setdefault("hooks", {}).setdefault("createContainer", []).append({"path": "/kind/bin/mount-product-files.sh"})
spec["process"].pop("rlimits", None)
json.dump(spec, sys.stdout, indent=2)' >"$r/etc/containerd/cri-base.json"
# What kind's build context adds: kubeadm, kubelet and kubectl in /usr/bin, the version, the CNI and storage manifests.
install -m 0755 "$bin/kubeadm" "$bin/kubelet" "$tools/bin/kubectl" "$r/usr/bin/"
printf '%s' "$KUBERNETES_VERSION" >"$r/kind/version"
install -m 0644 "$work/manifests/default-cni.yaml" "$work/manifests/default-storage.yaml" "$r/kind/manifests/"
base="observatory/kind-base:$key"
tar -C "$r" -c . | "$docker" import - "$base-rootfs" >/dev/null
# docker import and commit cannot set STOPSIGNAL: a Dockerfile adds kind's metadata (systemd exits on SIGRTMIN+3)
mkdir -p "$work/ctx-base"
printf 'FROM %s\nENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]\n' \
  "$base-rootfs" >"$work/ctx-base/Dockerfile"
DOCKER_BUILDKIT=0 "$docker" build --quiet -t "$base" "$work/ctx-base" >/dev/null
rm -rf --one-file-system "$r"
echo "node-image: base image (kind $KIND_VERSION's images/base on Debian bookworm) in $(elapsed $t)"

# --- kind's buildImage: a build container, its containerd holding every image (pinned, as kind imports them), commit
t=$SECONDS
# Named, not labelled: docker commit copies a container's labels into the image, and so onto every node.
build_container="observatory-node-build-$$"
"$docker" run -d --name "$build_container" --privileged --security-opt seccomp=unconfined \
  --entrypoint=sleep "$base" infinity >/dev/null
"$docker" exec "$build_container" bash -c 'nohup containerd >/var/log/containerd-build.log 2>&1 &'
for _ in $(seq 1 120); do
  "$docker" exec "$build_container" crictl info >/dev/null 2>&1 && break
  sleep 0.5
done
"$docker" exec "$build_container" crictl info >/dev/null 2>&1 \
  || { echo "node-image: containerd did not start in the build container" >&2; "$docker" exec "$build_container" tail -5 /var/log/containerd-build.log >&2; exit 1; }
"$docker" exec -i "$build_container" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \
  --all-platforms --no-unpack --digests - <"$work/images.tar" >/dev/null
imported="$("$docker" exec "$build_container" ctr --namespace=k8s.io images list -q | grep -vc '^sha256:' || true)"
[ "$imported" -ge ${#images[@]} ] || { echo "node-image: only $imported of ${#images[@]} images imported" >&2; exit 1; }
"$docker" exec "$build_container" pkill containerd
for _ in $(seq 1 60); do "$docker" exec "$build_container" pgrep containerd >/dev/null || break; sleep 0.5; done
"$docker" exec "$build_container" rm -f /var/log/containerd-build.log
"$docker" commit --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' \
  --change "LABEL observatory.node-key=$key" "$build_container" "$image" >/dev/null
"$docker" rm -f -v "$build_container" >/dev/null; build_container=""
"$docker" rmi "$base" "$base-rootfs" >/dev/null 2>&1 || true
echo "node-image: $image ($imported images in its containerd) in $(elapsed $t); built in $(elapsed $start_all)"
