#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine (run as root there).
# Idempotent and quiet when everything is present already.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have java    || need+=(openjdk-17-jdk-headless)
have mvn     || need+=(maven)
have gcc     || need+=(gcc)
have ld      || need+=(binutils)
have objdump || need+=(binutils)
have ar      || need+=(binutils)
have python3 || need+=(python3)
# The kbuild tests (collector/.../kbuild) run the real 6.1 Makefile.vmlinux_o and link-vmlinux.sh
# after applying linker-scripts/kbuild/*.patch: make and patch.
have make    || need+=(make)
have patch   || need+=(patch)
# /usr/bin/time -v measures peak RSS in bench/ scripts.
[[ -x /usr/bin/time ]] || need+=(time)
# The man page test (CliManPagesTest) renders each page with man -l, which needs groff's nroff.
have man     || need+=(man-db)
have nroff   || need+=(groff-base)
# recordmcount.pl (the riscv64 mcount oracle of the Cross*Test fixtures) is perl.
have perl    || need+=(perl)
# lz4 unpacks the bzImage of Debian's cloud kernel (scripts/fetch-kernel-dbg.sh, as extract-vmlinux does).
have lz4     || need+=(lz4)
# Cross toolchains (gcc + binutils + a static glibc per architecture): the cross-architecture
# tests compile, link and run their programs with them (examples/static-calls/build.sh ARCH,
# the trampoline templates of linker-scripts, collector's Cross*Test).
for pair in i686-linux-gnu:i386 aarch64-linux-gnu:arm64 arm-linux-gnueabihf:armhf \
            powerpc64le-linux-gnu:ppc64el powerpc64-linux-gnu:ppc64 powerpc-linux-gnu:powerpc \
            riscv64-linux-gnu:riscv64 s390x-linux-gnu:s390x; do
    triplet=${pair%%:*} debarch=${pair##*:}
    have "$triplet-gcc" || need+=("gcc-$triplet")
    [[ -f /usr/$triplet/lib/libc.a ]] || need+=("libc6-dev-$debarch-cross")
done
# loongarch64 has no GNU cross toolchain or C library in Debian 12: clang, lld and llvm's objdump,
# readelf and nm (package llvm-19).
have clang-19        || need+=(clang-19)
have ld.lld-19       || need+=(lld-19)
have llvm-objdump-19 || need+=(llvm-19)
# The kernel boot test (linker-scripts/kbuild/boot/kernel-boot-test) builds Linux 6.1 (flex,
# bison, bc, libelf-dev for objtool, libssl-dev for the sign-file and extract-cert tools, cpio),
# boots it under qemu-system-x86_64 with a busybox-static initramfs.
have flex    || need+=(flex)
have bison   || need+=(bison)
have bc      || need+=(bc)
have cpio    || need+=(cpio)
[[ -f /usr/include/libelf.h ]] || need+=(libelf-dev)
[[ -f /usr/include/openssl/ssl.h ]] || need+=(libssl-dev)
have qemu-system-x86_64 || need+=(qemu-system-x86)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# qemu-user runs the cross-built programs (qemu-aarch64-static, ..., qemu-loongarch64-static).
have qemu-loongarch64-static || need+=(qemu-user-static)

if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing packages: ${need[*]} (run as root, or install them)" >&2
        exit 1
    fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
