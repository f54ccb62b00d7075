#!/usr/bin/env bash
# The static-call example end to end:
#   gcc -O2 -> ld -r (one object, the shape of kbuild's vmlinux.o) -> patchsites emit (writes
#   .static_call_sites into it) -> patchsites stubs (aliases + table placement as an ld script)
#   -> final link with gcc -Wl,-T,<script> -> run (the runtime patches the sites it finds).
#
# usage: build.sh OUTDIR [CALLS]     CALLS: calls per call-cost measurement (default 50000000)
#
# Needs gcc and binutils on x86-64, and a built patchsites (mvn -q -DskipTests package).
# PATCHSITES_CLASSPATH, when set, runs the CLI from that class path (with PATCHSITES_JAVA, default
# java) instead of ./patchsites: the JUnit test does, since it runs before the jar is packaged.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 OUTDIR [CALLS]" >&2
    exit 2
fi
if [[ $(uname -m) != x86_64 ]]; then
    echo "$0: the example's runtime patches x86-64 code; this machine is $(uname -m)" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
calls=${2:-50000000}

patchsites() {
    if [[ -n ${PATCHSITES_CLASSPATH:-} ]]; then
        "${PATCHSITES_JAVA:-java}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$PATCHSITES_CLASSPATH" patchsites.collector.cli.Main "$@"
    else
        "$root/patchsites" "$@"
    fi
}
step() { printf '\n== %s\n' "$*"; }
show() {  # prints a command as one could type it
    local a line='$'
    for a; do [[ $a =~ [^][A-Za-z0-9_./=:,+-] ]] && a="'$a'"; line+=" $a"; done
    printf '%s\n' "$line"
}

# -fno-pic/-no-pie: calls to __SCT__* are plain `call`/`jmp` rel32 (R_X86_64_PLT32), resolved
# by the final link to the default, never through a PLT. -fcf-protection=none: no endbr64, and
# -mindirect-branch needs it off. -O2 turns `return f(x)` into `jmp f` (sibling calls).
cflags=(-O2 -fno-pic -fcf-protection=none -Wall -Wextra)
objs=()
step "compile (gcc ${cflags[*]})"
for src in impl.c process.c route.c route_cond.S runtime.c main.c bench.c bench_retpoline.c retpoline.S; do
    c=${src%.*} extra=()
    # The retpoline benchmark only: indirect calls become calls to __x86_indirect_thunk_<reg>.
    [[ $c == bench_retpoline ]] && extra=(-mindirect-branch=thunk-extern)
    show gcc "${cflags[@]}" "${extra[@]}" -c "$src" -o "$c.o"
    gcc "${cflags[@]}" "${extra[@]}" -c "$here/$src" -o "$out/$c.o"
    objs+=("$out/$c.o")
done

step "ld -r: one relocatable object, like vmlinux.o"
show ld -r -o static-calls.o "${objs[@]##*/}"
ld -r -o "$out/static-calls.o" "${objs[@]}"
cp "$out/static-calls.o" "$out/static-calls.pre-emit.o"

step "patchsites scan: the call sites of the wrappers (the taken address is a ref, not a site)"
show patchsites scan '--target=__SCT__*' --include-refs static-calls.o
(cd "$out" && patchsites scan --target='__SCT__*' --include-refs static-calls.o)

step "patchsites emit: write .static_call_sites into static-calls.o"
emit=(emit --target='__SCT__*' --section=.static_call_sites --layout=site-key --key-prefix=__SCT__=__SCK__
      --key-fallback=error --verbose --in-place)
show patchsites "${emit[@]}" static-calls.o
patchsites "${emit[@]}" "$out/static-calls.o"
readelf -W -r "$out/static-calls.o" | sed -n '/\.rela\.static_call_sites/,/^$/p' | sed '/^$/d'

step "patchsites stubs: aliases and the table's placement for the final link"
stubs=(stubs --alias=__SCT__filter=filter_default --alias=__SCT__account=account_default
       --alias=__SCT__op=op_default --place=.static_call_sites)
show patchsites "${stubs[@]}" --lds=static-calls.lds
patchsites "${stubs[@]}" --lds="$out/static-calls.lds"
cat "$out/static-calls.lds"

step "final link: gcc -no-pie static-calls.o -Wl,-T,static-calls.lds"
gcc -no-pie -o "$out/static-calls" "$out/static-calls.o" -Wl,-T,"$out/static-calls.lds"
nm "$out/static-calls" | grep -E ' (__start_|__stop_)static_call_sites$| __SCT__' | sed 's/^/  /'

step "the measured loops' calls (objdump -d static-calls)"
objdump -d --no-show-raw-insn "$out/static-calls" |
    awk -F'\t' '/^[0-9a-f]+ <bench_(direct|pointer|retpoline)>:/ { f = $0; sub(/^[0-9a-f]+ /, "", f) }
                 /^$/ { f = "" }
                 f && $2 ~ /^call/ { printf "  %-20s %s %s\n", f, $1, $2 }'

step "run: static-calls $calls"
# stderr joins stdout so that the runtime's refusals appear where they happen.
"$out/static-calls" "$calls" 2>&1
