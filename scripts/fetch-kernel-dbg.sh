#!/usr/bin/env bash
# Fetch the kernel Debian ships, for the tests that audit a linked vmlinux (upper-half addresses,
# --emit-relocs) and a whole kernel package: the cloud flavour's -dbg package (only its vmlinux is
# kept: a 588 MB ET_EXEC with symbols and relocations), its modules, and its bzImage.
#
# Usage: scripts/fetch-kernel-dbg.sh [DEST]
#   DEST defaults to $PATCHSITES_KERNEL_DBG, else ~/.cache/patchsites/kernel-dbg.
# Prints DEST on its last line. Idempotent: a finished DEST is reused as is.
#
# Version: the ABI (6.1.0-N) of the corpus modules (scripts/fetch-corpus.sh, VERSION in
# $PATCHSITES_CORPUS) when linux-image-6.1.0-N-cloud-amd64-dbg is listed, else the newest
# 6.1.0-*-cloud-amd64-dbg; the modules and bzImage come from the matching
# linux-image-6.1.0-N-cloud-amd64-unsigned.
#
# Layout of DEST:
#   vmlinux             usr/lib/debug/boot/vmlinux-<version> of the -dbg package
#   vmlinuz             the bzImage of the -unsigned package (LZ4-compressed payload)
#   vmlinux.extracted   what scripts/extract-vmlinux makes of vmlinuz: the payload decompressed,
#                       an ELF without symbols (the script's method, for the one compressor used)
#   modules/            lib/modules/<version>/ of the -unsigned package (every .ko)
#   VERSION             package names and versions, and the kernel release
set -euo pipefail

dest="${1:-${PATCHSITES_KERNEL_DBG:-$HOME/.cache/patchsites/kernel-dbg}}"
if [[ -f "$dest/.complete" ]]; then
  echo "$dest"
  exit 0
fi
corpus="${PATCHSITES_CORPUS:-$HOME/.cache/patchsites/corpus}"

list() { apt-cache search --names-only "$1" 2>/dev/null | awk '{print $1}' | sort -V; }
if [[ -z "$(list '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-dbg$')" ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "fetch-kernel-dbg: needs root for apt-get update" >&2; exit 1; }
  apt-get update -qq >/dev/null
fi
abi=""
if [[ -f "$corpus/VERSION" ]]; then
  abi=$(grep -o 'linux-image-6\.1\.0-[0-9]*-' "$corpus/VERSION" | head -n 1 | grep -o '6\.1\.0-[0-9]*' || true)
fi
dbg=""
if [[ -n "$abi" ]] && list "^linux-image-${abi//./\\.}-cloud-amd64-dbg\$" | grep -q .; then
  dbg="linux-image-$abi-cloud-amd64-dbg"
else
  dbg=$(list '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-dbg$' | tail -n 1)
fi
if [[ -z "$dbg" ]]; then
  echo "fetch-kernel-dbg: no linux-image-6.1.0-*-cloud-amd64-dbg package is listed" >&2
  exit 1
fi
release=${dbg#linux-image-}
release=${release%-dbg}
image="linux-image-$release-unsigned"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq "$dbg" "$image" 2>/dev/null) || {
  echo "fetch-kernel-dbg: apt-get download $dbg $image failed" >&2
  exit 1
}

rm -rf "$dest.partial"
mkdir -p "$dest.partial" "$work/x"
# Only vmlinux from the 283 MB -dbg package (the rest is module debug info).
dpkg-deb --fsys-tarfile "$work/${dbg}"_*.deb | tar -x -C "$work/x" "./usr/lib/debug/boot/vmlinux-$release"
mv "$work/x/usr/lib/debug/boot/vmlinux-$release" "$dest.partial/vmlinux"
dpkg -x "$work/${image}"_*.deb "$work/x"
mv "$work/x/lib/modules/$release" "$dest.partial/modules"
mv "$work/x/boot/vmlinuz-$release" "$dest.partial/vmlinuz"

# scripts/extract-vmlinux: find the compressor's magic in the bzImage, decompress from there,
# keep the result if it is an ELF. Debian's cloud kernel is LZ4 (CONFIG_KERNEL_LZ4).
extracted=""
for pos in $(LC_ALL=C grep -obUaP '\x02\x21\x4c\x18' "$dest.partial/vmlinuz" | cut -d: -f1); do
  if tail -c+$((pos + 1)) "$dest.partial/vmlinuz" | lz4 -dc > "$work/vmlinux.try" 2>/dev/null \
      || [[ -s "$work/vmlinux.try" ]]; then
    if readelf -h "$work/vmlinux.try" >/dev/null 2>&1; then
      mv "$work/vmlinux.try" "$dest.partial/vmlinux.extracted"
      extracted=yes
      break
    fi
  fi
done
[[ -n "$extracted" ]] || { echo "fetch-kernel-dbg: no LZ4 payload with an ELF in $image's vmlinuz" >&2; exit 1; }

{ for deb in "$work"/*.deb; do dpkg-deb -f "$deb" Package Version | paste -sd' '; done
  echo "Release: $release"; } > "$dest.partial/VERSION"
touch "$dest.partial/.complete"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$dest.partial" "$dest"
echo "$dest"
