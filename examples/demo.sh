#!/usr/bin/env bash
# The main job on a small example: build patchsites, compile the example's C sources with gcc,
# link them with `ld -r` into one object (the shape of kbuild's vmlinux.o), and scan it for the
# call sites of the patchable functions. The scan is cross-checked against objdump's view.
# Then the example end to end (examples/static-calls/build.sh, docs/example.md): emit the
# call-site table, devirtualize the calls through an ops structure, write the aliases with stubs,
# link, and run the program that re-targets the call sites from the tables and measures what a
# call costs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/build/example"}
mkdir -p "$out"

(cd "$root" && mvn -q -B -ntp -DskipTests package >"$out/build.log" 2>&1) || { cat "$out/build.log" >&2; exit 1; }

cflags=(-O2 -fno-pic -fno-asynchronous-unwind-tables -mcmodel=kernel -fno-inline-functions-called-once)
for c in impl.c route.c route_cond.S process.c; do
    gcc "${cflags[@]}" -c "$root/examples/static-calls/$c" -o "$out/${c%.*}.o"
done
ld -r -o "$out/example.o" "$out/impl.o" "$out/route.o" "$out/route_cond.o" "$out/process.o"

echo "== patchsites scan --target='__SCT__*' --include-refs example.o"
"$root/patchsites" scan --target='__SCT__*' --include-refs "$out/example.o"
echo
echo "== the same as JSON (first 2 lines)"
"$root/patchsites" scan --target='__SCT__*' --json "$out/example.o" | head -n 2
echo
echo "== objdump's view of the same relocations"
objdump -dr -w "$out/example.o" | grep -E 'R_X86_64_\w+\s+__SCT__' | sed 's/^ */  /'

echo
echo "== the example end to end: examples/static-calls/build.sh (emit, stubs, link, run)"
"$root/examples/static-calls/build.sh" "$out/static-calls"
