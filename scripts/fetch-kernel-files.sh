#!/usr/bin/env bash
# Fetch the few Linux 6.1 source files the kbuild integration tests patch and run
# (collector/.../kbuild/, docs/kbuild.md) that Debian's linux-kbuild-6.1 (the corpus' kbuild/)
# does not ship: scripts/link-vmlinux.sh and include/asm-generic/vmlinux.lds.h, with
# scripts/Makefile.vmlinux_o and scripts/Makefile.vmlinux of the same tree for reference.
#
# Usage: scripts/fetch-kernel-files.sh [DEST]
#   DEST defaults to $PATCHSITES_CORPUS, else ~/.cache/patchsites/corpus; the files go to
#   DEST/linux-6.1/ (tree layout), the package version to DEST/linux-6.1/VERSION.
# Usage: scripts/fetch-kernel-files.sh --tree [DIR]
#   The whole tree, for the kernel boot test (linker-scripts/kbuild/boot/kernel-boot-test):
#   DIR defaults to ~/.cache/patchsites/linux-6.1-tree; prints DIR.
# Source: Debian's linux-source-6.1 — /usr/src/linux-source-6.1.tar.xz when the package is
# installed, else the package fetched with apt-get download (not installed). Idempotent.
set -euo pipefail

if [[ ${1:-} == --tree ]]; then
    dest="${2:-$HOME/.cache/patchsites/linux-6.1-tree}"
    files=()
else
    dest="${1:-${PATCHSITES_CORPUS:-$HOME/.cache/patchsites/corpus}}/linux-6.1"
    files=(scripts/link-vmlinux.sh include/asm-generic/vmlinux.lds.h scripts/Makefile.vmlinux_o scripts/Makefile.vmlinux)
fi
if [[ -f "$dest/.complete" ]]; then
  echo "$dest"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=/usr/src/linux-source-6.1.tar.xz
if [[ -f $tarball ]]; then
  version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo unknown)
else
  if ! apt-cache show linux-source-6.1 >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] || { echo "fetch-kernel-files: needs root for apt-get update" >&2; exit 1; }
    apt-get update -qq >/dev/null
  fi
  (cd "$work" && apt-get download -qq linux-source-6.1 2>/dev/null) || {
    echo "fetch-kernel-files: apt-get download linux-source-6.1 failed" >&2
    exit 1
  }
  deb=$(ls "$work"/linux-source-6.1_*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" ./usr/src/linux-source-6.1.tar.xz
  rm -f "$deb"
  tarball=$work/usr/src/linux-source-6.1.tar.xz
fi

rm -rf "$dest.partial"
mkdir -p "$dest.partial"
# (no files: the whole tree)
tar -xJf "$tarball" -C "$dest.partial" --strip-components=1 "${files[@]/#/linux-source-6.1/}"
echo "Package: linux-source-6.1 Version: $version" > "$dest.partial/VERSION"
touch "$dest.partial/.complete"
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "$dest"
