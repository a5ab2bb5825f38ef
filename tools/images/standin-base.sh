#!/usr/bin/env bash
# A stand-in for a Debian-based image that cannot be pulled here (no Docker Hub): a bookworm root file system made
# with debootstrap from the mirror apt already uses, imported under the real image's name into the engine that is
# there (tools/images/engine.sh: docker when an engine answers, podman otherwise).
#   tools/images/standin-base.sh IMAGE CACHE_DIR [EXTRA_DEBIAN_PACKAGES...]
# The root file system is cached as a tarball in CACHE_DIR; the image is imported once (label standin.key).
set -euo pipefail
# shellcheck source=tools/images/engine.sh
source "$(dirname "$0")/engine.sh"
usage="usage: standin-base.sh IMAGE CACHE_DIR [debian-packages...]"
image=${1:?$usage}
cache=${2:?$usage}
shift 2
packages="python3,python3-venv,python3-pip,ca-certificates${*:+,$(IFS=,; echo "$*")}"
command -v debootstrap >/dev/null || { echo "images: debootstrap is missing: run make system-packages" >&2; exit 1; }
# The mirror apt's own sources use (deb822 or one-line format).
mirror=$( (cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true) \
  | grep -oE '^URIs: *http[^ ]+/debian/?$|^deb +http[^ ]+/debian/? +bookworm' | head -1 \
  | sed -E 's/^URIs: *//; s/^deb +//; s/ +bookworm.*//')
mirror=${mirror:-http://deb.debian.org/debian}
key=$(echo "$packages $mirror" | sha256sum | cut -c1-12)
if [ "$(image_label "$image" standin.key)" = "$key" ]; then
  echo "images: $image is the stand-in already imported into $ENGINE (debootstrap bookworm: $packages)"
  exit 0
fi
tarball="$cache/rootfs-$key.tar"
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  rootfs=$(mktemp -d /tmp/standin-rootfs.XXXXXX)
  # debootstrap mounts proc/sys inside while it configures packages: unmount before removing anything
  cleanup() { umount -R "$rootfs/proc" "$rootfs/sys" 2>/dev/null || true; rm -rf --one-file-system "$rootfs"; }
  trap cleanup EXIT
  echo "images: debootstrap bookworm ($packages) from $mirror (about 45 s)"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { echo "images: debootstrap failed, see $cache/debootstrap.log" >&2; exit 1; }
  ln -sf python3 "$rootfs/usr/bin/python"
  rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
fi
engine_import "$image" "$tarball" --change "LABEL standin.key=$key" --change 'CMD ["python3"]'
echo "images: $image is a stand-in (debootstrap bookworm: $packages) imported into $ENGINE, not the registry's image"
