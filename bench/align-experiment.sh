#!/usr/bin/env bash
# What would it cost to make every static-call site patchable without INT3?
#
# Builds the same code several times, once per assembler/compiler variant, and audits the
# .static_call_sites tables under the `aligned` and `cacheline` x86 policies, next to the size of
# the executable sections. Inputs:
#   example  examples/static-calls/*.c (a snapshot taken at the start of the run), compiled with
#            gcc -O2 -fno-pic -fcf-protection=none -c, linked with ld -r; `patchsites emit` writes
#            the table.
#   kernel   a handful of Linux 6.1 objects (Debian's linux-source-6.1, x86_64_defconfig); objtool
#            writes the table during the kernel build, so the audit also checks objtool's tables.
# Variants (the same flags go to the example's gcc and to the kernel's KCFLAGS):
#   default  no extra flags
#   jcc32    -Wa,-mbranches-within-32B-boundaries (the JCC-erratum default: jcc+fused+jmp, not call)
#   call32   -Wa,-malign-branch-boundary=32 -Wa,-malign-branch=call+jmp
#   call16   the same with boundary 16, the smallest that gas accepts (4 and 8 are refused)
#   call64   the same with boundary 64 (a cache line)
#   pad4     no gas option does it: a wrapper around gas (gcc -B) inserts, before each call/jmp to
#            __SCT__*, the NOPs that put its rel32 field on a 4-byte boundary (0-3 bytes), and
#            aligns each function label to 4 so the padding is exact for every placement.
#
# usage: bench/align-experiment.sh [KERNEL-OBJECT...]
# Environment: PATCHSITES_WORK (default ~/.cache/patchsites) holds the unpacked and prepared tree
# (linux-6.1/) and the results (align-experiment/). Installs what it needs with apt-get when run
# as root. Idempotent: the tree is unpacked and prepared once; objects are rebuilt per variant
# (kbuild rebuilds an object when its flags change). Prints Markdown on stdout, progress on stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${PATCHSITES_WORK:-$HOME/.cache/patchsites}
tree=$work/linux-6.1
out=$work/align-experiment
jobs=$(nproc)
default_objects=(kernel/sched/core.o kernel/sched/fair.o arch/x86/events/core.o kernel/entry/common.o
    mm/page_alloc.o kernel/time/timer.o mm/vmscan.o mm/filemap.o net/core/dev.o block/blk-mq.o
    kernel/irq/chip.o arch/x86/kernel/tsc.o)
if (($#)); then objects=("$@"); else objects=("${default_objects[@]}"); fi
variants=(default jcc32 call32 call16 call64 pad4)
log() { printf '[align-experiment] %s\n' "$*" >&2; }

mkdir -p "$work" "$out"

# --- packages -------------------------------------------------------------------------------
need=()
for p in gcc make binutils flex bison bc libelf-dev libssl-dev xz-utils python3 linux-source-6.1; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "align-experiment: missing packages: ${need[*]} (run as root, or install them)" >&2
        exit 1
    fi
    log "apt-get install ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[[ -f $root/collector/target/patchsites.jar ]] || (cd "$root" && mvn -q -B -ntp -DskipTests package >/dev/null)
# A private copy of the CLI (jar + lib/), so that a rebuild of the project during the run does not
# pull the jar from under it.
mkdir -p "$out/cli"
cp "$root/collector/target/patchsites.jar" "$out/cli/"
rm -rf "$out/cli/lib"
cp -r "$root/collector/target/lib" "$out/cli/lib"
psites() { java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -jar "$out/cli/patchsites.jar" "$@"; }
psites --version >/dev/null 2>&1 || { echo "align-experiment: the copied patchsites CLI does not start (project being rebuilt?); rebuild it and retry" >&2; exit 1; }

# --- the kernel tree: unpack and prepare once -------------------------------------------------
if [[ ! -f $tree/.patchsites-unpacked ]]; then
    log "unpacking /usr/src/linux-source-6.1.tar.xz into $tree"
    rm -rf "$tree" "$tree.tmp"
    mkdir -p "$tree.tmp"
    tar -xf /usr/src/linux-source-6.1.tar.xz -C "$tree.tmp" --strip-components=1
    mv "$tree.tmp" "$tree"
    touch "$tree/.patchsites-unpacked"
fi
if [[ ! -f $tree/.patchsites-prepared ]]; then
    log "make x86_64_defconfig && make prepare"
    (cd "$tree" && make -s x86_64_defconfig && make -s -j"$jobs" prepare) >"$out/prepare.log" 2>&1 \
        || { tail -n 30 "$out/prepare.log" >&2; exit 1; }
    touch "$tree/.patchsites-prepared"
fi

# --- the gas wrapper for pad4 -------------------------------------------------------------------
# bench/pad4/as (also used by bench/harness.sh), copied so that the run does not depend on edits
mkdir -p "$out/bin"
install -m 755 "$root/bench/pad4/as" "$out/bin/as"

flags() {
    case $1 in
        default) ;;
        jcc32) echo "-Wa,-mbranches-within-32B-boundaries" ;;
        call32) echo "-Wa,-malign-branch-boundary=32 -Wa,-malign-branch=call+jmp" ;;
        call16) echo "-Wa,-malign-branch-boundary=16 -Wa,-malign-branch=call+jmp" ;;
        call64) echo "-Wa,-malign-branch-boundary=64 -Wa,-malign-branch=call+jmp" ;;
        pad4) echo "-B$out/bin/" ;;
    esac
}

# --- the example: a snapshot of the sources, so every variant compiles the same code ----------
rm -rf "$out/example"
mkdir -p "$out/example/src"
cp "$root"/examples/static-calls/*.[ch] "$out/example/src/"
for v in "${variants[@]}"; do
    d=$out/example/$v
    mkdir -p "$d"
    read -ra fl <<<"$(flags "$v")"
    objs=()
    for c in "$out"/example/src/*.c; do
        o=$d/$(basename "${c%.c}").o
        gcc -O2 -fno-pic -fcf-protection=none "${fl[@]}" -c "$c" -o "$o"
        objs+=("$o")
    done
    ld -r -o "$d/all.o" "${objs[@]}"
    psites emit --target='__SCT__*' --section=.static_call_sites --layout=site-key --key-prefix=__SCT__=__SCK__ \
        -o "$d/example.o" "$d/all.o" >/dev/null
done

# --- the kernel objects, once per variant ------------------------------------------------------
: >"$out/times.txt"
for v in "${variants[@]}"; do
    d=$out/kernel/$v
    rm -rf "$d"
    mkdir -p "$d"
    kc=$(flags "$v")
    log "kernel, $v: make KCFLAGS='$kc' ${objects[*]}"
    start=$(date +%s.%N)
    (cd "$tree" && make -s -j"$jobs" KCFLAGS="$kc" "${objects[@]}") >"$d/build.log" 2>&1 \
        || { tail -n 30 "$d/build.log" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$v $(echo "$end - $start" | bc)" >>"$out/times.txt"
    for o in "${objects[@]}"; do cp "$tree/$o" "$d/$(echo "$o" | tr / _)"; done
    # objtool gives up on some objects (it reports "unsupported relocation in alternatives
    # section" when gas has padded inside .altinstr_replacement) and then writes no table: such
    # an object gets its table from `patchsites emit`, and is listed in emitted.txt.
    : >"$d/emitted.txt"
    for f in "$d"/*.o; do
        # (grep without -q: -q would stop reading, and readelf's SIGPIPE would fail the pipe)
        if ! readelf -SW "$f" | grep -E '\] \.static_call_sites +PROGBITS' >/dev/null; then
            psites emit --target='__SCT__*' --section=.static_call_sites --layout=site-key \
                --key-prefix=__SCT__=__SCK__ --in-place "$f" >/dev/null
            basename "$f" >>"$d/emitted.txt"
        fi
    done
done

# --- audit and sizes ---------------------------------------------------------------------------
audit() {  # POLICY FILE... -> summary lines (exit 1 means problems: kept, the table shows them)
    psites audit --section=.static_call_sites --layout=site-key --key-prefix=__SCT__=__SCK__ \
        --x86-policy="$1" --json "${@:2}" | grep '^{"type":"table"' || true
}
for input in example kernel; do
    for v in "${variants[@]}"; do
        d=$out/$input/$v
        if [[ $input == example ]]; then files=("$d/example.o"); else files=("$d"/*.o); fi
        for p in aligned cacheline; do audit "$p" "${files[@]}" >"$d/audit-$p.json"; done
        for f in "${files[@]}"; do
            # executable sections: name size alignment
            readelf -SW "$f" | sed -n 's/^ *\[ *[0-9]*\] //p' |
                awk -v f="$f" '$7 ~ /X/ { print f, $1, $5, $NF }'
        done >"$d/exec-sections.txt"
    done
done

{
    echo "machine: $(nproc) cores, $(uname -m); $(gcc --version | head -n 1); $(as --version | head -n 1)"
    echo "kernel: linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1), x86_64_defconfig"
    echo "example sources: sha256 of examples/static-calls/*.c *.h (as copied) $(cat "$out"/example/src/*.c "$out"/example/src/*.h | sha256sum | cut -c1-12)"
    for n in 4 8 16; do
        m=$(echo 'call f' | as -malign-branch-boundary=$n -o "$out/probe.o" 2>&1 || true)
        [[ $m == *invalid* ]] && m=${m##*Fatal error: } || m=accepted
        echo "as -malign-branch-boundary=$n: $m"
    done
    rm -f "$out/probe.o"
} >"$out/env.txt"
python3 - "$out" "${#objects[@]}" "${variants[@]}" <<'PY'
import json, os, sys
out, nobj, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
desc = {
    "default": "none",
    "jcc32": "`-Wa,-mbranches-within-32B-boundaries` (= boundary 32, jcc+fused+jmp, the JCC-erratum default)",
    "call32": "`-Wa,-malign-branch-boundary=32 -Wa,-malign-branch=call+jmp`",
    "call16": "`-Wa,-malign-branch-boundary=16 -Wa,-malign-branch=call+jmp` (16: the smallest boundary gas accepts)",
    "call64": "`-Wa,-malign-branch-boundary=64 -Wa,-malign-branch=call+jmp`",
    "pad4": "`-B<wrapper>`: NOPs before each call/jmp to `__SCT__*` so that its rel32 is 4-byte aligned (no gas option does this)",
}
times = dict(l.split() for l in open(os.path.join(out, "times.txt")))

def load(input, v):
    d = os.path.join(out, input, v)
    r = {}
    for p in ("aligned", "cacheline"):
        s = [json.loads(l) for l in open(os.path.join(d, f"audit-{p}.json"))]
        r[p] = {
            "files": {os.path.basename(x["file"]): x for x in s},
            "entries": sum(x["entries"] for x in s),
            "atomic": sum(x["verdicts"].get("atomic", 0) for x in s),
            "breakpoint": sum(x["verdicts"].get("breakpoint", 0) for x in s),
            "dep": sum(x["placement_dependent"] for x in s),
            "bad": sum(0 if x["consistent"] else 1 for x in s),
        }
    sizes, aligns = {}, {}
    for l in open(os.path.join(d, "exec-sections.txt")):
        f, name, size, al = l.split()
        f = os.path.basename(f)
        sizes[f] = sizes.get(f, 0) + int(size, 16)
        if name == ".text":
            aligns[f] = int(al)
    r["sizes"], r["aligns"] = sizes, aligns
    r["exec"] = sum(sizes.values())
    em = os.path.join(d, "emitted.txt")
    r["emitted"] = set(open(em).read().split()) if os.path.exists(em) else set()
    bl = os.path.join(d, "build.log")
    r["warnings"] = sum(1 for l in open(bl) if "warning: objtool" in l) if os.path.exists(bl) else 0
    return r

for line in open(os.path.join(out, "env.txt")):
    print(line.rstrip() + "  ")
print()
print("| variant | flags |")
print("|---|---|")
for v in variants:
    print(f"| {v} | {desc[v]} |")
print()
for input, title in (("example", "example: examples/static-calls/*.c, `ld -r`, table written by `patchsites emit`"),
                     ("kernel", f"kernel: {nobj} Linux 6.1 objects, tables written by objtool")):
    data = {v: load(input, v) for v in variants}
    base = data["default"]
    print(f"**{title}**\n")
    k = input == "kernel"
    print("| variant | sites | aligned: atomic / breakpoint (placement-dep.) | cacheline: atomic / breakpoint (placement-dep.) "
          "| exec bytes | Δ bytes | Δ % | Δ bytes per site | `.text` align | audit problems"
          + (" | objtool warnings | objects without objtool table |" if k else " |"))
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if k else ""))
    for v in variants:
        r = data[v]; a = r["aligned"]; c = r["cacheline"]
        dlt = r["exec"] - base["exec"]
        al = sorted(set(r["aligns"].values()))
        print(f"| {v} | {a['entries']} | {a['atomic']} / {a['breakpoint']} ({a['dep']}) "
              f"| {c['atomic']} / {c['breakpoint']} ({c['dep']}) | {r['exec']} | {dlt:+d} | "
              f"{100.0 * dlt / base['exec']:+.2f}% | {dlt / a['entries']:+.1f} | {'/'.join(map(str, al))} | "
              f"{a['bad'] + c['bad']} |" + (f" {r['warnings']} | {len(r['emitted'])} |" if k else ""))
    print()
    if k:
        print("Per object: sites; then per variant the `aligned`-atomic sites and the executable bytes "
              "(Δ against default); † objtool wrote no table (the audit used one written by `patchsites emit`).\n")
        print("| object | sites | " + " | ".join(f"{v}" for v in variants) + " |")
        print("|---|---:|" + "---:|" * len(variants))
        for f in sorted(base["sizes"]):
            cells = []
            for v in variants:
                r = data[v]
                at = r["aligned"]["files"][f]["verdicts"].get("atomic", 0)
                sz = r["sizes"][f]
                mark = "†" if f in r["emitted"] else ""
                cells.append(f"{at}, {sz}{mark}" if v == "default" else f"{at}, {sz - base['sizes'][f]:+d}{mark}")
            print(f"| {f} | {base['aligned']['files'][f]['entries']} | " + " | ".join(cells) + " |")
        print()
        print("`make` wall time per variant (s): " + ", ".join(f"{v} {float(times[v]):.0f}" for v in variants) + ".\n")
PY
