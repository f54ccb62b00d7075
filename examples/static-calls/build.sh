#!/usr/bin/env bash
# The static-call example end to end:
#   gcc -O2 -> ld -r (one object, the shape of kbuild's vmlinux.o) -> patchsites emit (writes
#   .static_call_sites into it) -> patchsites stubs (aliases + table placement as an ld script)
#   -> final link with gcc -Wl,-T,<script> -> run (the runtime patches the sites it finds).
#
# usage: build.sh OUTDIR [CALLS [ARCH]]
#   CALLS: calls per call-cost measurement (default 50000000)
#   ARCH:  x86_64 (default; native gcc/binutils, runs natively), or one of i386 arm64 arm
#          ppc64le ppc64 ppc32 riscv64 s390x loongarch64 (the names `patchsites scan --json`
#          prints): Debian's cross gcc/binutils (<triplet>-gcc), a static program, run under
#          qemu-<arch>-static. loongarch64 has no GNU cross toolchain or C library in Debian:
#          clang-19 -ffreestanding, ld.lld-19 and the example's own nolibc/ (raw system calls).
#   EXAMPLE_ARM_ISA=arm builds the arm example as A32 (-marm) instead of Thumb-2.
#   EXAMPLE_RISCV_RELAX=1 links riscv64 with linker relaxation (the default is --no-relax; with
#          relaxation the table's entries no longer point at the call sites: docs/example.md).
#
# Needs a built patchsites (mvn -q -DskipTests package). PATCHSITES_CLASSPATH, when set, runs
# the CLI from that class path (with PATCHSITES_JAVA, default java) instead of ./patchsites: the
# JUnit tests do, since they run before the jar is packaged.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
    echo "usage: $0 OUTDIR [CALLS [ARCH]]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
calls=${2:-50000000}
arch=${3:-x86_64}

# Per architecture: the GNU triplet (empty: the native tools), the qemu-user binary (empty: run
# natively), the hand-written conditional tail call, and extra compiler/linker flags.
triplet= qemu= cond=route_cond-$arch.S arch_cflags=() arch_ldflags=()
case $arch in
    x86_64)  cond=route_cond.S
             # -fcf-protection=none: no endbr64, and -mindirect-branch needs it off.
             arch_cflags=(-fcf-protection=none) ;;
    i386)    triplet=i686-linux-gnu qemu=qemu-i386-static arch_cflags=(-fcf-protection=none) ;;
    arm64)   triplet=aarch64-linux-gnu qemu=qemu-aarch64-static ;;
    arm)     triplet=arm-linux-gnueabihf qemu=qemu-arm-static
             [[ ${EXAMPLE_ARM_ISA:-thumb} == arm ]] && arch_cflags=(-marm) ;;
    ppc64le) triplet=powerpc64le-linux-gnu qemu=qemu-ppc64le-static ;;
    ppc64)   triplet=powerpc64-linux-gnu qemu=qemu-ppc64-static ;;
    ppc32)   triplet=powerpc-linux-gnu qemu=qemu-ppc-static ;;
    riscv64) triplet=riscv64-linux-gnu qemu=qemu-riscv64-static
             [[ ${EXAMPLE_RISCV_RELAX:-0} == 1 ]] || arch_ldflags=(-Wl,--no-relax) ;;
    s390x)   triplet=s390x-linux-gnu qemu=qemu-s390x-static ;;
    loongarch64) qemu=qemu-loongarch64-static ;;
    *) echo "$0: unknown architecture '$arch' (x86_64 i386 arm64 arm ppc64le ppc64 ppc32 riscv64 s390x loongarch64)" >&2
       exit 2 ;;
esac
if [[ $arch == x86_64 && $(uname -m) != x86_64 ]]; then
    echo "$0: the x86_64 example runs natively; this machine is $(uname -m)" >&2
    exit 2
fi

if [[ $arch == loongarch64 ]]; then
    cc=(clang-19 --target=loongarch64-linux-gnu) ld=(ld.lld-19) readelf=llvm-readelf-19 nm=llvm-nm-19
    objdump=llvm-objdump-19
    # No C library: the example's nolibc/ headers (and clang's own stdint.h, stdarg.h, ...).
    # -march=loongarch64: the base ISA. clang 19 enables the LSX vector extension by default,
    # which Debian 12's qemu-loongarch64 (7.2) does not emulate (SIGILL on the first vld).
    arch_cflags=(-march=loongarch64 -ffreestanding -fno-stack-protector -nostdinc -isystem "$here/nolibc/include"
                 -isystem "$(clang-19 -print-resource-dir)/include")
else
    pfx=${triplet:+$triplet-}
    cc=("${pfx}gcc") ld=("${pfx}ld") readelf=${pfx}readelf nm=${pfx}nm objdump=${pfx}objdump
fi
for tool in "${cc[0]}" "${ld[0]}" "$readelf" "$nm" "$objdump" ${qemu:+"$qemu"}; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done

mkdir -p "$1"
out=$(cd "$1" && pwd)

. "$root/examples/patchsites-cli.sh"
step() { printf '\n== %s\n' "$*"; }
show() {  # prints a command as one could type it
    local a line='$'
    for a; do [[ $a =~ [^][A-Za-z0-9_./=:,+-] ]] && a="'$a'"; line+=" $a"; done
    printf '%s\n' "$line"
}

# -fno-pic (and a non-PIE final link): calls to __SCT__* are plain direct calls/jumps resolved
# by the final link to the default, never through a PLT or GOT. -O2 turns `return f(x)` into a
# sibling call (`jmp f`, `b f`, `tail f`, ...) where the ABI allows one (not on ppc64: the TOC).
cflags=(-O2 -fno-pic -Wall -Wextra "${arch_cflags[@]}")
srcs=(impl.c process.c route.c "$cond" runtime.c branch.c main.c bench.c)
# x86-64 only: the retpoline benchmark (indirect calls become calls to __x86_indirect_thunk_<reg>),
# and the ops structure that `patchsites devirtualize` rewrites (ops.c; ops_retpoline.c retpolined;
# pointers.c, the program's half that patches through the table).
[[ $arch == x86_64 ]] && srcs+=(bench_retpoline.c retpoline.S ops.c ops_retpoline.c pointers.c)
objs=()
step "compile for $arch (${cc[*]} ${cflags[*]})"
for src in "${srcs[@]}"; do
    c=${src%.*} extra=()
    [[ $c == bench_retpoline || $c == ops_retpoline ]] && extra=(-mindirect-branch=thunk-extern)
    c=${c%-"$arch"}  # route_cond-arm64.S -> route_cond.o
    show "${cc[@]}" "${cflags[@]/#"$here"\//}" "${extra[@]}" -c "$src" -o "$c.o"
    "${cc[@]}" "${cflags[@]}" "${extra[@]}" -c "$here/$src" -o "$out/$c.o"
    objs+=("$out/$c.o")
done

# loongarch64: the C library the program links with (not part of the relocatable object).
libc=()
if [[ $arch == loongarch64 ]]; then
    show "${cc[@]}" "${cflags[@]/#"$here"\//}" -c nolibc/nolibc.c -o nolibc.o
    "${cc[@]}" "${cflags[@]}" -c "$here/nolibc/nolibc.c" -o "$out/nolibc.o"
    libc=("$out/nolibc.o")
fi
[[ -n $qemu ]] && run=("$qemu") || run=()

# Links objects into a program the way the final link does, without the table's script.
link() {
    local prog=$1; shift
    case $arch in
        x86_64) gcc -no-pie -o "$prog" "$@" ;;
        loongarch64) ld.lld-19 -static -o "$prog" "$@" "${libc[@]}" ;;
        *) "${cc[@]}" -static -no-pie "${arch_cflags[@]}" "${arch_ldflags[@]}" -o "$prog" "$@" ;;
    esac
}

step "branch.c self-test: every branch form encoded near, far and just out of reach"
"${cc[@]}" "${cflags[@]}" -c "$here/branch-selftest.c" -o "$out/branch-selftest.o"
link "$out/branch-selftest" "$out/branch-selftest.o" "$out/branch.o"
"${run[@]}" "$out/branch-selftest"

step "ld -r: one relocatable object, like vmlinux.o"
show "${ld[@]}" -r -o static-calls.o "${objs[@]##*/}"
"${ld[@]}" -r -o "$out/static-calls.o" "${objs[@]}"
cp "$out/static-calls.o" "$out/static-calls.pre-emit.o"

step "patchsites scan: the call sites of the wrappers (the taken address is a ref, not a site)"
show patchsites scan '--target=__SCT__*' --include-refs static-calls.o
(cd "$out" && patchsites scan --target='__SCT__*' --include-refs static-calls.o)

step "patchsites emit: write .static_call_sites into static-calls.o"
emit=(emit --target='__SCT__*' --section=.static_call_sites --layout=site-key --key-prefix=__SCT__=__SCK__
      --key-fallback=error --verbose --in-place)
show patchsites "${emit[@]}" static-calls.o
patchsites "${emit[@]}" "$out/static-calls.o"
"$readelf" -W -r "$out/static-calls.o" | sed -n '/\.rela*\.static_call_sites/,/^$/p' | sed '/^$/d'

lds_extra=()
if [[ $arch == x86_64 ]]; then
    step "patchsites devirtualize: calls through shape_ops become direct calls to its defaults"
    objdump_ops() {  # the instructions that call or jump through shape_ops, or did
        "$objdump" -dr -w "$1" | grep -E '(call|jmp) .*(R_X86_64_\w+\s+(shape_ops|area_default|perimeter_default|op_default)[-+])' |
            sed -E 's/^ +/  /; s/\s+# [0-9a-f]+ <[^>]*>//'
    }
    echo "before (objdump -dr static-calls.o):"
    objdump_ops "$out/static-calls.o"
    devirt=(devirtualize --pointer=shape_ops --verbose --in-place)
    show patchsites "${devirt[@]}" static-calls.o
    patchsites "${devirt[@]}" "$out/static-calls.o"
    echo "after:"
    objdump_ops "$out/static-calls.o"
    "$readelf" -W -r "$out/static-calls.o" | sed -n '/\.rela\.pointer_call_sites/,/^$/p' | sed '/^$/d'
    show patchsites stubs --place=.pointer_call_sites --lds=pointer-calls.lds
    patchsites stubs --place=.pointer_call_sites --lds="$out/pointer-calls.lds"
    lds_extra=(-Wl,-T,"$out/pointer-calls.lds")
fi

step "patchsites stubs: aliases and the table's placement for the final link"
stubs=(stubs --alias=__SCT__filter=filter_default --alias=__SCT__account=account_default
       --alias=__SCT__op=op_default --place=.static_call_sites)
show patchsites "${stubs[@]}" --lds=static-calls.lds
patchsites "${stubs[@]}" --lds="$out/static-calls.lds"
cat "$out/static-calls.lds"

case $arch in
    x86_64) step "final link: gcc -no-pie static-calls.o -Wl,-T,static-calls.lds -Wl,-T,pointer-calls.lds"
            link "$out/static-calls" "$out/static-calls.o" -Wl,-T,"$out/static-calls.lds" "${lds_extra[@]}" ;;
    loongarch64) step "final link: ld.lld-19 -static static-calls.o nolibc.o -T static-calls.lds"
            link "$out/static-calls" "$out/static-calls.o" -T "$out/static-calls.lds" ;;
    *) step "final link: ${cc[0]} -static -no-pie ${arch_cflags[*]} ${arch_ldflags[*]} static-calls.o -Wl,-T,static-calls.lds"
            link "$out/static-calls" "$out/static-calls.o" -Wl,-T,"$out/static-calls.lds" ;;
esac
"$nm" "$out/static-calls" | grep -E ' (__start_|__stop_)static_call_sites$| __SCT__' | sed 's/^/  /'

step "the measured loops' calls ($objdump -d static-calls)"
# The call instruction of each loop: call/bl/brasl/... to a function, call *%reg/blr/bctrl/...
"$objdump" -d --no-show-raw-insn "$out/static-calls" |
    awk '/^[0-9a-f]+ <\.?bench_(direct|pointer|retpoline|ops_devirt|ops_pointer|ops_retpoline)>:/ { f = $2; next }
         /^$/ { f = "" }
         f { line = $0; sub(/^[ \t]*/, "", line); split(line, w, /[ \t]+/)
             if (w[2] ~ /^(call|callq|bl|blx|blr|bctrl|brasl|basr|jal|jalr|jirl)$/) printf "  %-20s %s\n", f, line }'

if [[ -n $qemu ]]; then
    step "run: $qemu static-calls $calls (emulated: the call costs below say nothing about hardware)"
else
    step "run: static-calls $calls"
fi
# stderr joins stdout so that the runtime's refusals appear where they happen.
"${run[@]}" "$out/static-calls" "$calls" 2>&1
