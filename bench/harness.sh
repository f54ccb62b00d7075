#!/usr/bin/env bash
# The concurrent-patching harness on this machine (examples/concurrent-patching, docs/runtime-model.md):
#   1. stress runs: every protocol on the generated program (200,000 sites, half `atomic` under the
#      aligned policy), each for HARNESS_SECONDS (default 10) with one worker per CPU;
#   2. negative controls: plain unaligned stores on 64 sites whose rel32 crosses a 4-byte, an
#      8-byte boundary or a 64-byte line, and byte-by-byte stores, with the same workers;
#   3. padding: 10,000 sites in C functions placed by gcc, built as is and with bench/pad4/as (the
#      stand-in of bench/align-experiment.sh): the aligned policy's share and the model protocol run;
#   4. JMH: PatchBench (the model) at the same sizes, then HarnessBench (sites re-targeted/s per protocol at 10^3..10^5 sites, batched or not,
#      worker calls/s with and without the patcher), 1 fork, 2 warm-up and 5 measured iterations.
# Results: bench/results/harness-*.log, harness-jmh.json. Every harness line names the CPU, the
# CPU count and the load average; `uptime` is logged before and after each step.
#   bench/harness.sh [JMH arguments, e.g. -p sites=1000]    HARNESS_SKIP_JMH=1: steps 1-3 only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${PATCHSITES_WORK:-$HOME/.cache/patchsites}/harness
results=$root/bench/results
seconds=${HARNESS_SECONDS:-10}
mkdir -p "$work" "$results"
(cd "$root" && mvn -q -B -ntp -DskipTests package -pl bench -am >/dev/null)
build=$root/examples/concurrent-patching/build.sh

# Rebuilds a harness when the sources or the options changed.
built() {  # DIR SITES FORM [CFLAGS]
    local dir=$1 stamp
    stamp=$(cat "$root"/examples/concurrent-patching/* "$root"/examples/static-calls/{runtime,branch}.[ch] \
        "$root"/bench/pad4/as | sha256sum | cut -c1-16)-$2-$3-${4:-}
    if [[ ! -x $dir/harness || $(cat "$dir/stamp" 2>/dev/null) != "$stamp" ]]; then
        HARNESS_CFLAGS=${4:-} "$build" "$dir" "$2" aligned "$3" >&2
        echo "$stamp" > "$dir/stamp"
    fi
}
run() {  # DIR ARGS...: one run, its report; a negative control may exit 1
    local dir=$1; shift
    echo "\$ harness $*"
    "$dir/harness" --plan="$dir/verdicts.txt" "$@" || true
    echo "uptime:$(uptime)"
}

big=$work/asm-200000
built "$big" 200000 asm
{
    echo "uptime:$(uptime)"
    grep -m1 'model name' /proc/cpuinfo
    run "$big" --protocol=model --batch=1 --seconds="$seconds"
    run "$big" --protocol=model --batch=256 --seconds="$seconds"
    run "$big" --protocol=atomic --select=atomic --seconds="$seconds"
    run "$big" --protocol=breakpoint --select=atomic --batch=1 --seconds="$seconds"
    run "$big" --protocol=breakpoint --select=atomic --batch=256 --seconds="$seconds"
    run "$big" --protocol=breakpoint --batch=1 --seconds="$seconds"
    run "$big" --protocol=breakpoint --batch=256 --seconds="$seconds"
    run "$big" --protocol=stop-machine --batch=1 --seconds="$seconds"
    run "$big" --protocol=stop-machine --batch=256 --seconds="$seconds"
} 2>&1 | tee "$results/harness-stress.log"
{
    for sel in cross4 cross8 cross64; do
        run "$big" --protocol=plain --select=$sel --sites=64 --seconds="$seconds"
    done
    run "$big" --protocol=bytewise --select=misaligned --sites=64 --seconds="$seconds"
    run "$big" --protocol=bytewise --select=atomic --sites=64 --seconds="$seconds"
} 2>&1 | tee "$results/harness-controls.log"
built "$work/c-default" 10000 c
built "$work/c-pad4" 10000 c "-B$root/bench/pad4/"
{
    for v in default pad4; do
        echo "== $v: $(size -A "$work/c-$v/sites.o" | awk '$1 ~ /^\.text/ { s += $2 } END { print s }') bytes of .text* in sites.o"
        run "$work/c-$v" --protocol=model --batch=1 --seconds="$seconds"
    done
} 2>&1 | tee "$results/harness-padding.log"
if [[ ${HARNESS_SKIP_JMH:-0} == 1 ]]; then python3 "$root/bench/report.py" harness "$root"; exit 0; fi
echo "uptime:$(uptime)" | tee "$results/harness-jmh.log"
# the model on this machine, at the harness's sizes, for the side-by-side table
java -jar "$root/bench/target/benchmarks.jar" PatchBench -p sites=1000,10000,100000 -f 1 -wi 2 -i 5 -w 2s -r 2s \
    -rf json -rff "$results/patchbench-here.json" > "$results/patchbench-here.log"
java -jar "$root/bench/target/benchmarks.jar" HarnessBench -f 1 -wi 2 -i 5 -w 2s -r 2s \
    -jvmArgsAppend "-Dpatchsites.harness.dir=$big" -rf json -rff "$results/harness-jmh.json" "$@" \
    | tee -a "$results/harness-jmh.log"
echo "uptime:$(uptime)" | tee -a "$results/harness-jmh.log"
python3 "$root/bench/report.py" harness "$root"
