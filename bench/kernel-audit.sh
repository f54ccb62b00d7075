#!/usr/bin/env bash
# Whole-package audit of the kernel Debian ships (scripts/fetch-kernel-dbg.sh: the cloud -dbg
# vmlinux and every module of the same release): `patchsites audit --kernel` timed with
# /usr/bin/time (wall, user+sys CPU, peak RSS) RUNS times, on the page cache kept warm by a first
# untimed run. Prints the load average before each run: the machine may be shared.
#   bench/kernel-audit.sh [RUNS]     (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
kernel=$(bash "$root/scripts/fetch-kernel-dbg.sh" | tail -n 1)
(cd "$root" && mvn -q -B -ntp -DskipTests package >/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmd=("$root/patchsites" audit --kernel "$kernel/vmlinux" "$kernel/modules")
"${cmd[@]}" > "$tmp/out" 2>&1 || true # warms the page cache; exit 1 is expected (5 vdso sites)
echo "$(grep -c . "$tmp/out") lines; summary:"
sed -n '/^kernel tables:/,$p' "$tmp/out"
echo "cpus: $(nproc)"
for ((i = 1; i <= runs; i++)); do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "${cmd[@]}" >/dev/null 2>&1 || true
    read -r wall user sys rss < <(tail -n 1 "$tmp/time") # time first notes the exit status 1
    echo "run $i: wall ${wall} s, cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') s, peak RSS $((rss / 1024)) MB (load before: $load)"
done
