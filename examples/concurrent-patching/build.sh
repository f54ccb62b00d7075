#!/usr/bin/env bash
# Builds the concurrent-patching harness the way the static-call example is built (x86-64):
#   gen-sites.py (N generated call sites of h0..h3) -> gcc -O2 -> ld -r -> patchsites emit (writes
#   .static_call_sites) -> patchsites stubs (aliases + table placement) -> final link ->
#   patchsites plan (the runtime model's verdict for every site, --x86-policy, default aligned).
#
# usage: build.sh OUTDIR [SITES [POLICY [FORM]]]   (SITES default 10000, POLICY aligned, FORM asm)
#   FORM asm: sites placed by the generator (half atomic); c: sites in C functions, placed by gcc.
#   HARNESS_CFLAGS: more gcc flags (bench/harness.sh passes -B to the pad4 assembler wrapper).
# Writes OUTDIR/harness and OUTDIR/verdicts.txt ("0xADDRESS verdict" per site); then run e.g.
#   OUTDIR/harness --plan=OUTDIR/verdicts.txt --seconds=2
# Needs gcc, binutils, python3 and a built patchsites (PATCHSITES_CLASSPATH as in
# examples/static-calls/build.sh).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 4 ]]; then
    echo "usage: $0 OUTDIR [SITES [POLICY [FORM]]]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lib=$root/examples/static-calls   # patchable.h, the table walker (runtime.c) and branch.c
n=${2:-10000}
policy=${3:-aligned}
form=${4:-asm}
case $form in asm) gen=sites.S ;; c) gen=sites.c ;; *) echo "$0: FORM is asm or c" >&2; exit 2 ;; esac
[[ $(uname -m) == x86_64 ]] || { echo "$0: the harness runs natively on x86-64; this is $(uname -m)" >&2; exit 2; }
for tool in gcc ld python3; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done
mkdir -p "$1"
out=$(cd "$1" && pwd)
. "$root/examples/patchsites-cli.sh"

rm -f "$out/sites.S" "$out/sites.c"
python3 "$here/gen-sites.py" "$n" "$out/$gen"
# shellcheck disable=SC2206
cflags=(-O2 -fno-pic -fcf-protection=none -Wall -Wextra -I"$lib" -I"$here" ${HARNESS_CFLAGS:-})
objs=()
for src in "$here/targets.c" "$here/harness.c" "$lib/runtime.c" "$lib/branch.c" "$out/$gen"; do
    o=$out/$(basename "${src%.*}").o
    gcc "${cflags[@]}" -c "$src" -o "$o"
    objs+=("$o")
done
ld -r -o "$out/sites-linked.o" "${objs[@]}"
patchsites emit --target='__SCT__*' --section=.static_call_sites --layout=site-key --key-prefix=__SCT__=__SCK__ \
    --key-fallback=error --quiet --in-place "$out/sites-linked.o"
aliases=()
for k in 0 1 2 3; do aliases+=(--alias=__SCT__h$k=h${k}_a); done
patchsites stubs "${aliases[@]}" --place=.static_call_sites --lds="$out/harness.lds"
gcc -no-pie -pthread -o "$out/harness" "$out/sites-linked.o" -Wl,-T,"$out/harness.lds"

# The model's verdict per site, from the plan of re-targeting each key to its second implementation.
: > "$out/verdicts.txt"
for k in 0 1 2 3; do
    patchsites plan --section=.static_call_sites --layout=site-key --key=__SCK__h$k --to=h${k}_b \
        --x86-policy="$policy" "$out/harness" > "$out/plan-h$k.txt"
    sed -n 's/^  \(0x[0-9a-f]*\) [^]]*\] \([a-z-]*\): .*/\1 \2/p' "$out/plan-h$k.txt" >> "$out/verdicts.txt"
done
echo "built $out/harness: $n sites ($form), $(wc -l < "$out/verdicts.txt") verdicts ($policy policy)"
