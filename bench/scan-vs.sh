#!/usr/bin/env bash
# ScanBench of this checkout against an earlier commit, interleaved on one machine: the scan's
# time and allocation before and after a change (issue 12's "not worse", docs/performance.md).
# Each round runs both jars one after the other, so that the machine's drift hits both.
#   bench/scan-vs.sh [BASE_COMMIT [ROUNDS]]     (default d3cce9c, before issue 12's redesign; 3 rounds)
# With PROFILE=1 it also writes async-profiler CPU stacks (collapsed) of each jar on combined.o
# under ~/.cache/patchsites/scan-vs/profile-*/ (async-profiler 3.0 from Maven Central, unpacked once).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-d3cce9c}
rounds=${2:-3}
work=$(bash "$root/bench/inputs.sh" | tail -n 1)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/patchsites/scan-vs
mkdir -p "$cache"
basejar="$cache/$(git -C "$root" rev-parse --short "$base").jar"
if [ ! -f "$basejar" ]; then
    tree=$(mktemp -d)
    git -C "$root" worktree add -q --detach "$tree" "$base"
    (cd "$tree" && mvn -q -B -ntp -DskipTests package >/dev/null)
    cp "$tree/bench/target/benchmarks.jar" "$basejar"
    git -C "$root" worktree remove --force "$tree"
fi
(cd "$root" && mvn -q -B -ntp -DskipTests install >/dev/null)
headjar="$cache/head.jar"
cp "$root/bench/target/benchmarks.jar" "$headjar"
args=(-jvmArgsAppend "-Dpatchsites.bench.dir=$work" -p input=largest.ko,combined.o -f 2 -wi 4 -i 6 -w 1s -r 1s -prof gc)
for r in $(seq "$rounds"); do
    for jar in "$basejar" "$headjar"; do
        java -jar "$jar" ScanBench "${args[@]}" | grep -E '^ScanBench\.scan( |:gc\.alloc\.rate\.norm)' \
            | sed "s|^|round $r $(basename "$jar" .jar): |"
    done
done
if [ "${PROFILE:-0}" = 1 ]; then
    ap="$cache/async-profiler"
    if [ ! -f "$ap/linux-x64/libasyncProfiler.so" ]; then
        mvn -q -B -ntp dependency:get -Dartifact=tools.profiler:async-profiler:3.0 >/dev/null
        mkdir -p "$ap" && (cd "$ap" && unzip -q -o ~/.m2/repository/tools/profiler/async-profiler/3.0/async-profiler-3.0.jar 'linux-x64/*')
    fi
    for jar in "$basejar" "$headjar"; do
        out="$cache/profile-$(basename "$jar" .jar)"
        java -jar "$jar" ScanBench -jvmArgsAppend "-Dpatchsites.bench.dir=$work" -p input=combined.o -f 1 -wi 4 -i 10 -w 1s -r 1s \
            -prof "async:libPath=$ap/linux-x64/libasyncProfiler.so;output=collapsed;event=itimer;interval=1000000;dir=$out" >/dev/null
        echo "profile: $out"
    done
fi
