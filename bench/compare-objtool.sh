#!/usr/bin/env bash
# Whole-process comparison of `patchsites emit` with Debian's objtool (corpus kbuild/) writing
# .static_call_sites on the same inputs: wall time and peak RSS from /usr/bin/time, runs
# alternating between the tools, medians and ratios. Inputs get a fresh copy of the stripped
# objects before every run (not timed).
#   bench/compare-objtool.sh [RUNS]     (default 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
work=$(bash "$root/bench/inputs.sh" | tail -n 1)
corpus=$(bash "$root/scripts/fetch-corpus.sh" | tail -n 1)
objtool="$corpus/kbuild/tools/objtool/objtool"
(cd "$root" && mvn -q -B -ntp -DskipTests package >/dev/null)
tmp=$(mktemp -d "$work/compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mapfile -t mods < <(find "$work/stripped" -name '*.ko' | sort)
largest_sc=$(ls -S "${mods[@]}" | awk "NR == 1")
smallest_sc=$(ls -Sr "${mods[@]}" | awk "NR == 1")
objcopy --remove-section=.static_call_sites --remove-section=.rela.static_call_sites "$work/combined.o" "$tmp/combined.stripped.o"

emit=("$root/patchsites" emit '--target=__SCT__*' --section=.static_call_sites --layout=site-key
      --key-prefix=__SCT__=__SCK__ --in-place)

# measure TOOL FILES... : copies FILES into a fresh dir, runs the tool on them, prints "wall_s rss_kb".
measure() {
    local tool=$1; shift
    rm -rf "$tmp/run"; mkdir -p "$tmp/run"
    cp "$@" "$tmp/run/"
    local files=("$tmp"/run/*)
    # Wall time from the clock in ns (time's %e has 10 ms steps: too coarse for one small module).
    local t0; t0=$(date +%s%N)
    if [[ $tool == objtool ]]; then
        /usr/bin/time -f '%e %M' -o "$tmp/time" bash -c \
            'for f; do "'"$objtool"'" --static-call --module --link "$f" || exit 1; done' _ "${files[@]}" >/dev/null 2>"$tmp/err" \
            || { echo "objtool failed: $(tail -n 3 "$tmp/err")" >&2; return 1; }
    else
        /usr/bin/time -f '%e %M' -o "$tmp/time" "${emit[@]}" "${files[@]}" >/dev/null 2>"$tmp/err" \
            || { echo "patchsites failed: $(tail -n 3 "$tmp/err")" >&2; return 1; }
    fi
    local t1; t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) -v rss="$(tail -n 1 "$tmp/time" | awk '{print $2}')" 'BEGIN { printf "%.6f %s\n", ns / 1e9, rss }'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

row() {
    local name=$1; shift
    local o_t=() o_m=() p_t=() p_m=()
    for ((i = 0; i < runs; i++)); do
        read -r t m < <(measure objtool "$@") || return 1; o_t+=("$t"); o_m+=("$m")
        read -r t m < <(measure patchsites "$@") || return 1; p_t+=("$t"); p_m+=("$m")
    done
    local ot om pt pm
    ot=$(printf '%s\n' "${o_t[@]}" | median); om=$(printf '%s\n' "${o_m[@]}" | median)
    pt=$(printf '%s\n' "${p_t[@]}" | median); pm=$(printf '%s\n' "${p_m[@]}" | median)
    awk -v n="$name" -v ot="$ot" -v om="$om" -v pt="$pt" -v pm="$pm" 'BEGIN {
        wr = pt > 0 ? ot/pt : 0; mr = pm > 0 ? om/pm : 0
        printf "| %s | %.3f s | %.0f MB | %.3f s | %.0f MB | " (wr < 1 ? "%.2f" : "%.1f") "× | " (mr < 1 ? "%.2f" : "%.1f") "× |\n",
            n, ot, om/1024, pt, pm/1024, wr, mr }'
}

{
    echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores;"
    echo "objtool: Debian $(head -n 2 "$corpus/VERSION" | tail -n 1 | awk '{print $2, $4}'); $runs alternating runs each, medians."
    echo
    echo "| input | objtool wall | objtool peak RSS | patchsites wall | patchsites peak RSS | wall ratio | RSS ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    row "smallest static-call module ($(basename "$smallest_sc" | cut -d- -f2-))" "$smallest_sc"
    row "largest static-call module ($(basename "$largest_sc" | cut -d- -f2-))" "$largest_sc"
    row "all ${#mods[@]} static-call modules (objtool once per module, patchsites one run)" "${mods[@]}"
    row "combined object ($(( $(stat -c %s "$tmp/combined.stripped.o") / 1048576 )) MB)" "$tmp/combined.stripped.o" \
        || echo "| combined object | failed | | | | | |"
} > "$tmp/table.md"
cat "$tmp/table.md"
python3 "$root/bench/report.py" objtool "$root" "$tmp/table.md"
