#!/usr/bin/env bash
# What Guava would cost the CLI (docs/libraries.md): the jars it would add to lib/, and the first
# use of an ImmutableRangeMap in a fresh JVM with the launcher's flags, against our Floor search
# (GuavaStartup), RUNS times each, interleaved. Then RangeLookupBench (JMH) for the lookup itself.
#   bench/guava.sh [RUNS]     (build first: mvn -q -DskipTests package)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
cp=$(cd "$root" && mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=runtime)
cp="$root/bench/target/classes:$root/collector/target/classes:$cp"
flags=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto) # ./patchsites's

echo "== jars Guava 33.5.0-jre brings to a runtime class path"
tr ':' '\n' <<<"$cp" | grep -E 'guava|failureaccess|listenablefuture|jspecify|error_prone|j2objc' | xargs ls -l | awk '{s+=$5; print $5, $9} END {print s, "bytes in all"}'
echo "== lib/ of the CLI now"
ls -l "$root/collector/target/patchsites.jar" "$root"/collector/target/lib/*.jar | awk '{s+=$5; print $5, $9} END {print s, "bytes in all"}'

echo "== classes loaded (not from the CDS archive) by the first use"
for m in floor guava; do
    printf '%s: %s classes, %s of them Guava\n' "$m" \
        "$(java "${flags[@]}" -Xlog:class+load -cp "$cp" patchsites.bench.GuavaStartup $m | grep -v 'shared objects file' | grep -c 'source:')" \
        "$(java "${flags[@]}" -Xlog:class+load -cp "$cp" patchsites.bench.GuavaStartup $m | grep -c 'com.google')"
done

echo "== wall time of the whole JVM (ms) and in-process time of the first use (ms), $runs runs each, medians"
out=$(mktemp)
for ((i = 0; i < runs; i++)); do
    for m in none floor guava; do
        t0=$(date +%s%N)
        r=$(java "${flags[@]}" -cp "$cp" patchsites.bench.GuavaStartup $m)
        t1=$(date +%s%N)
        echo "$m $(( (t1 - t0) / 1000 )) ${r:+$(awk '{print $2}' <<<"$r")}" >>"$out"
    done
done
python3 - "$out" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append((int(f[1]), int(f[2]) if len(f) > 2 else None))
for m, v in rows.items():
    wall = statistics.median(w for w, _ in v) / 1000
    inner = [n for _, n in v if n is not None]
    print(f"{m:6} wall {wall:7.1f} ms" + (f"   first use {statistics.median(inner) / 1e6:6.1f} ms" if inner else ""))
PY
rm -f "$out"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== RangeLookupBench: one lookup, Floor vs TreeMap vs ImmutableRangeMap (JMH, C2)"
java -jar "$root/bench/target/benchmarks.jar" RangeLookupBench -f 1 -wi 3 -i 5 -w 1s -r 1s -jvmArgsAppend -Xmx1g | tail -n 7
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
