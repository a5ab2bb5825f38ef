#!/usr/bin/env bash
# A Debian bookworm root file system made with debootstrap from the mirror apt already uses (debian:* images cannot
# be pulled here), cached as a tarball in .tools/kind/cache under the hash of its packages and mirror.
#   tools/kind/rootfs.sh NAME PACKAGES     prints the tarball's path (made if missing, about a minute)
#   tools/kind/rootfs.sh --key PACKAGES    prints the hash only
set -euo pipefail
usage="usage: tools/kind/rootfs.sh NAME|--key PACKAGES (comma-separated Debian packages)"
name=${1:?$usage}
packages=${2:?$usage}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="$root/.tools/kind/cache"
# The mirror apt's own sources use (deb822 or one-line format), as tools/images/standin-base.sh finds it.
mirror=$( (cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true) \
  | grep -oE '^URIs: *http[^ ]+/debian/?$|^deb +http[^ ]+/debian/? +bookworm' | head -1 \
  | sed -E 's/^URIs: *//; s/^deb +//; s/ +bookworm.*//')
mirror=${mirror:-http://deb.debian.org/debian}
key="$(echo "$packages $mirror" | sha256sum | cut -c1-12)"
[ "$name" != --key ] || { echo "$key"; exit 0; }
tarball="$cache/$name-$key.tar"
[ ! -s "$tarball" ] || { echo "$tarball"; exit 0; }
command -v debootstrap >/dev/null || { echo "rootfs: debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
mkdir -p "$cache"
dir="$(mktemp -d /tmp/kind-rootfs.XXXXXX)"
# debootstrap mounts proc and sys inside while it configures packages: unmount before removing anything
cleanup() { umount -R "$dir/proc" "$dir/sys" 2>/dev/null || true; rm -rf --one-file-system "$dir" "$tarball.part"; }
trap cleanup EXIT
t=$SECONDS
echo "rootfs: debootstrap bookworm for the $name image from $mirror ..." >&2
debootstrap --variant=minbase --include="$packages" bookworm "$dir" "$mirror" >"$cache/debootstrap-$name.log" 2>&1 \
  || { echo "rootfs: debootstrap failed, see $cache/debootstrap-$name.log" >&2; exit 1; }
umount -R "$dir/proc" "$dir/sys" 2>/dev/null || true
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
tar -C "$dir" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
echo "rootfs: $name root file system in $((SECONDS - t)) s" >&2
echo "$tarball"
