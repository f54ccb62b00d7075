#!/usr/bin/env bash
# Prepares the benchmark inputs (cached) and prints their directory on the last line:
#   largest.ko       the largest module of the kernel-module corpus
#   combined.o       every corpus module merged: ld -r -z muldefs (~360 MB, all tables merged)
#   many-sections.o  a generated object with 70,000 code sections (> 65,535: extended numbering)
#   stripped/        every module with .static_call_sites, that table removed (for objtool/emit runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${PATCHSITES_BENCH_DIR:-$HOME/.cache/patchsites/bench}
# A fresh machine: the JDK, Maven, binutils, python3 and /usr/bin/time (idempotent, quiet).
bash "$root/scripts/setup.sh" >&2
corpus=$(bash "$root/scripts/fetch-corpus.sh" | tail -n 1)
mkdir -p "$work"
find "$corpus/modules" -name '*.ko' | sort > "$work/modules.txt"

if [[ ! -f $work/largest.ko ]]; then
    cp "$(xargs ls -S < "$work/modules.txt" | awk "NR == 1")" "$work/largest.ko.tmp"
    mv "$work/largest.ko.tmp" "$work/largest.ko"
fi
if [[ ! -f $work/combined.o ]]; then
    # One ld with a response file: xargs could split the list and keep only the last batch.
    ld -r -z muldefs -o "$work/combined.o.tmp" @"$work/modules.txt"
    mv "$work/combined.o.tmp" "$work/combined.o"
fi
if [[ ! -f $work/many-sections.o ]]; then
    python3 - "$work/many-sections.s" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(70000):
        f.write(f'\t.section .text.f{i},"ax",@progbits\n\t.globl f{i}\n\t.type f{i},@function\nf{i}:\n'
                f'\tcall __SCT__foo\n\tret\n\t.size f{i}, .-f{i}\n')
PY
    as -o "$work/many-sections.o.tmp" "$work/many-sections.s"
    rm "$work/many-sections.s"
    mv "$work/many-sections.o.tmp" "$work/many-sections.o"
fi
if [[ ! -f $work/stripped/.complete ]]; then
    rm -rf "$work/stripped"
    mkdir -p "$work/stripped"
    n=0
    while read -r ko; do
        if readelf -SW "$ko" | grep -E '\] \.static_call_sites +PROGBITS' >/dev/null; then
            n=$((n + 1))
            objcopy --remove-section=.static_call_sites --remove-section=.rela.static_call_sites \
                "$ko" "$work/stripped/$(printf '%04d' $n)-$(basename "$ko")"
        fi
    done < "$work/modules.txt"
    touch "$work/stripped/.complete"
fi
echo "$work"
