#!/usr/bin/env bash
# JMH benchmarks with defaults sized for a 2-core machine: 1 fork, 3 warm-up and 5 measured
# iterations of 2 s each (ScanBench, EmitBench, PatchBench), then ScanBench on combined.o once
# more with -prof gc for the allocation per relocation (with no site found) and per site. Results: bench/results/jmh.json and the
# "JMH" section of docs/performance.md. RangeLookupBench (Guava vs Floor) is bench/guava.sh's.
#   bench/run.sh [extra JMH arguments, e.g. a benchmark regex]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(bash "$root/bench/inputs.sh" | tail -n 1)
(cd "$root" && mvn -q -B -ntp -DskipTests install >/dev/null)
mkdir -p "$root/bench/results"
jar="$root/bench/target/benchmarks.jar"
jvm=(-jvmArgsAppend "-Dpatchsites.bench.dir=$work -Xmx2g")
common=(-f 1 -wi 3 -i 5 -w 2s -r 2s "${jvm[@]}")
java -jar "$jar" -e RangeLookupBench "${common[@]}" -rf json -rff "$root/bench/results/jmh.json" "$@" | tee "$root/bench/results/jmh.log"
java -jar "$jar" ScanBench -p input=combined.o -p 'target=__SCT__*,no_such_target' -prof gc "${common[@]}" -rf json -rff "$root/bench/results/jmh-gc.json" \
    | tee "$root/bench/results/jmh-gc.log"
python3 "$root/bench/report.py" jmh "$root" "$work"
