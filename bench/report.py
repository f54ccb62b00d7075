#!/usr/bin/env python3
"""Turns bench results into Markdown and puts them between markers in docs/performance.md."""
import json, os, re, subprocess, sys, platform

def machine():
    cpu = ""
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip(); break
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return f"{cpu}, {os.cpu_count()} cores, {java}"

def replace(doc, name, text):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    s = open(doc).read() if os.path.exists(doc) else "# Performance\n"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in s:
        s = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: block, s, flags=re.S)
    else:
        s = s.rstrip() + "\n\n" + block + "\n"
    open(doc, "w").write(s)

def jmh(root, work):
    res = json.load(open(os.path.join(root, "bench/results/jmh.json")))
    log = open(os.path.join(root, "bench/results/jmh.log")).read()
    relocs = {m.group(1): (int(m.group(2)), int(m.group(3)))
              for m in re.finditer(r"\[input\] (\S+): (\d+) relocations on code, (\d+) bytes", log)}
    sizes = {m.group(1): int(m.group(2)) for m in re.finditer(r"\[object\] (\S+): (\d+) bytes", log)}
    out = [f"Machine: {machine()}. JMH 1 fork, 3×2 s warm-up, 5×2 s measured; ± is JMH's 99.9% error.", ""]
    out += ["| benchmark | input | time/op | throughput |", "|---|---|---:|---|"]
    for r in res:
        b = r["benchmark"].split(".")[-2] + "." + r["benchmark"].split(".")[-1]
        p = r.get("params", {})
        m = r["primaryMetric"]; score, err, unit = m["score"], m["scoreError"], m["scoreUnit"]
        inp = p.get("input") or f"{p.get('sites')} sites, {p.get('protocol')}"
        thr = ""
        if "ScanBench" in b and p.get("input") in relocs:
            n, by = relocs[p["input"]]; sec = score / 1000.0
            thr = f"{n/sec/1e6:.1f} M relocations/s, {by/sec/1e6:.0f} MB/s of relocations ({n} relocations)"
        if "EmitBench" in b and p.get("input") in sizes:
            by = sizes[p["input"]]; sec = score / 1000.0
            thr = f"{by/sec/1e6:.0f} MB/s of object read, scanned and written ({by/1e6:.0f} MB, fsync included)"
        if "PatchBench" in b:
            sites = int(p["sites"]); sec = score / 1e6
            sync = r.get("secondaryMetrics", {}).get("syncRounds", {}).get("score", 0)
            ops = r.get("secondaryMetrics", {}).get("sitesPatched", {}).get("score", 0)
            per = sync / (ops / sites) if ops else 0
            thr = f"{sites/sec/1e6:.1f} M sites/s, {per:.0f} sync rounds per transaction"
        out.append(f"| {b} | {inp} | {score:.3f} ± {err:.3f} {unit} | {thr} |")
    gc = json.load(open(os.path.join(root, "bench/results/jmh-gc.json")))
    gclog = open(os.path.join(root, "bench/results/jmh-gc.log")).read()
    sites = {(m.group(1), m.group(2)): int(m.group(3))
             for m in re.finditer(r"\[sites\] (\S+) (\S+): (\d+)", gclog)}
    alloc = {}
    for r in gc:
        a = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        p = r.get("params", {})
        if a is not None:
            alloc[p.get("target")] = a
    if "combined.o" in relocs and alloc:
        n = relocs["combined.o"][0]
        out += ["", f"Allocation (`-prof gc`, ScanBench on combined.o, {n} relocations on code):"]
        for target, a in sorted(alloc.items()):
            s = sites.get(("combined.o", target), 0)
            line = f"- target `{target}`: {s} sites, {a/1e6:.2f} MB per scan, {a/n:.3f} bytes per relocation"
            if s:
                line += (f" — objects for the sites found and the function index (one built per symbol table"
                         f" with sites, over all its function symbols): {a/s:.0f} bytes per site")
            else:
                line += " — fixed cost per object (the target index over all symbols), nothing per relocation"
            out.append(line)
    replace(os.path.join(root, "docs/performance.md"), "jmh", "\n".join(out))

def harness_runs(path):
    """The runs of a bench/harness.sh log: (args, machine, table, run, verify, uptime) per run."""
    runs, cur = [], None
    for l in open(path):
        l = l.rstrip("\n")
        if l.startswith("$ harness "):
            cur = {"args": l[len("$ harness "):]}
            runs.append(cur)
        elif cur is not None and re.match(r"^(machine|table|run|verify): ", l):
            k, v = l.split(": ", 1)
            cur[k] = dict(re.findall(r'([a-z0-9/-]+)=("[^"]*"|\S+)', v))
        elif cur is not None and l.startswith("uptime:"):
            cur["load"] = l.split("load average:")[-1].strip()
    return [r for r in runs if "run" in r]

def n(x):
    return int(float(x))

def failures(r):
    run = r["run"]
    faults = sum(n(run[k]) for k in ("segv", "ill", "bus", "trap-unexpected"))
    wrong = n(run["wrong"]) + n(run["torn"]) + n(r.get("verify", {}).get("stale", 0))
    return faults, wrong

def harness(root):
    res = os.path.join(root, "bench/results")
    stress = harness_runs(os.path.join(res, "harness-stress.log"))
    controls = harness_runs(os.path.join(res, "harness-controls.log"))
    padding = harness_runs(os.path.join(res, "harness-padding.log"))
    m = stress[0]["machine"]
    head = (f"Machine: {m['cpu'].strip(chr(34))} (`/proc/cpuinfo`), {m['cpus']} CPUs, kernel {m['kernel']}, "
            f"membarrier SYNC_CORE: {m['membarrier-sync-core']}. Workers: {stress[0]['run']['workers']} "
            f"(one per CPU), each called every site once before patching began (warm-up). Other builds shared "
            f"the machine: the load average (1, 5, 15 min) after each run is in the last column, and the "
            f"throughputs are noisy accordingly. patches/s: the whole run; in brackets the median and the "
            f"range of its 100 ms slices.")
    t = stress[0]["table"]
    total = 0
    out = [head, "", f"Program: {t['sites']} generated sites (`examples/concurrent-patching`, assembly form); "
           f"`patchsites plan --x86-policy=aligned`: {t['atomic']} atomic, {t['breakpoint']} breakpoint; rel32 "
           f"crossing a 4-byte boundary only: {t['cross4']}, an 8-byte one: {t['cross8']}, a 64-byte line: {t['cross64']}.", "",
           "| protocol | sites patched | batch | s | patches | patches/s [median, min–max of slices] | sync rounds | "
           "worker calls/s | INT3 hits emulated (late) | faults | wrong | load |",
           "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in stress:
        run = r["run"]; f, w = failures(r); total += n(run["patches"])
        proto = run["protocol"] + (", on the atomic sites" if run["protocol"] == "breakpoint" and run["select"] == "atomic" else "")
        out.append(f"| {proto} | {run['sites']} {run['select']} | {run['batch']} | {float(run['seconds']):.1f} | "
                   f"{n(run['patches']):,} | {float(run['patches/s']):,.0f} [{float(run['slice-median']):,.0f}, "
                   f"{float(run['slice-min']):,.0f}–{float(run['slice-max']):,.0f}] | {n(run['sync-rounds']):,} | "
                   f"{float(run['calls/s']):,.0f} | {n(run['trap-emulated']):,} ({n(run['trap-late'])}) | {f} | {w} | {r.get('load', '')} |")
    out += ["", "Negative controls (no protocol; the workers call only the 64 control sites, whose two targets "
            "differ on both sides of the boundary, and every torn mix lands on a stub that answers \"torn\"):", "",
            "| store | sites | rel32 | s | attempts (patches) | worker calls | torn | other wrong | faults | load |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in controls:
        run = r["run"]; f, w = failures(r); total += n(run["patches"])
        store = "one unaligned 4-byte store" if run["protocol"] == "plain" else "4 byte stores, mfence after each"
        where = {"cross4": "crosses a 4-byte boundary (not 8)", "cross8": "crosses an 8-byte boundary (not a line)",
                 "cross64": "crosses a 64-byte line", "misaligned": "not 4-byte aligned",
                 "atomic": "4-byte aligned"}[run["select"]]
        out.append(f"| {store} | {run['sites']} | {where} | {float(run['seconds']):.1f} | {n(run['patches']):,} | "
                   f"{n(run['calls']):,} | {n(run['torn']):,} | {n(run['wrong']) + n(r.get('verify', {}).get('stale', 0))} | {f} | {r.get('load', '')} |")
    pad = ["| build | sites | atomic (aligned policy) | .text* of sites.o | patches/s | sync rounds | faults | wrong | load |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    log = open(os.path.join(res, "harness-padding.log")).read()
    sizes = re.findall(r"^== (\S+): (\d+) bytes", log, re.M)
    for (name, size), r in zip(sizes, padding):
        run, t = r["run"], r["table"]; f, w = failures(r); total += n(run["patches"])
        pct = 100.0 * n(t["atomic"]) / n(t["sites"])
        pad.append(f"| {name} | {t['sites']} | {t['atomic']} ({pct:.1f}%) | {int(size):,} | {float(run['patches/s']):,.0f} | "
                   f"{n(run['sync-rounds']):,} | {f} | {w} | {r.get('load', '')} |")
    out += ["", "Padding (10,000 sites in C functions placed by gcc; `pad4` = built with `-B bench/pad4/`, the "
            "assembler wrapper of `bench/align-experiment.sh`), model protocol, batch 1:", ""] + pad
    out += ["", f"Patches in these runs: {total:,}."]
    text = "\n".join(out)
    replace(os.path.join(root, "docs/runtime-model.md"), "harness", text)
    jm = os.path.join(res, "harness-jmh.json")
    if os.path.exists(jm):
        model = {}
        mj = os.path.join(res, "patchbench-here.json")
        if os.path.exists(mj):
            for r in json.load(open(mj)):
                if "PatchBench" in r["benchmark"]:
                    p = r["params"]
                    model[(p["protocol"], int(p["sites"]))] = int(p["sites"]) / (r["primaryMetric"]["score"] / 1e6)
        real = ["Real hardware: `HarnessBench` (JMH, 1 fork, 2×2 s warm-up, 5×2 s measured, 500 ms windows; ± is "
                "JMH's 99.9% error over the 5 iterations, i.e. the spread between iterations). Rates are counts "
                "over the whole iteration, which includes the JMH thread waiting for the harness's answer "
                "(scheduling latency under load), so they are somewhat below the stress runs' own rates. "
                "model/real: how many times faster the model's simulated transaction is.", "",
                "| protocol | sites | sites re-targeted/s (real) | model: PatchBench sites/s | model/real | worker calls/s | sync rounds/s |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        key = {"atomic": "atomic", "breakpoint": "breakpoint-one-by-one", "breakpoint-batched": "breakpoint-batched"}
        for r in json.load(open(jm)):
            p = r["params"]; sec = r["secondaryMetrics"]
            sites = int(p["sites"])
            mod = model.get((key.get(p["protocol"], ""), sites))
            ratio = f"{mod / sec['patches']['score']:,.0f}×" if mod and sec["patches"]["score"] else "—"
            def rate(k):
                x = sec[k]
                return f"{x['score']:,.0f} ± {x['scoreError']:,.0f}"
            real.append(f"| {p['protocol']} | {sites:,} | {rate('patches') if p['protocol'] != 'none' else '—'} | "
                        f"{f'{mod:,.0f}' if mod else '—'} | {ratio} | {rate('calls')} | {sec['syncRounds']['score']:,.0f} |")
        log = open(os.path.join(res, "harness-jmh.log")).read()
        loads = re.findall(r"load average: (.*)", log)
        real += ["", f"Load average before and after the JMH run: {loads[0] if loads else '?'}; {loads[-1] if loads else '?'}."]
        text += "\n\n" + "\n".join(real)
    replace(os.path.join(root, "docs/performance.md"), "harness", text)

def compare(root, table):
    replace(os.path.join(root, "docs/performance.md"), "objtool", open(table).read())

if __name__ == "__main__":
    if sys.argv[1] == "jmh":
        jmh(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "harness":
        harness(sys.argv[2])
    else:
        compare(sys.argv[2], sys.argv[3])
