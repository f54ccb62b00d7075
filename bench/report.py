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

def compare(root, table):
    replace(os.path.join(root, "docs/performance.md"), "objtool", open(table).read())

if __name__ == "__main__":
    if sys.argv[1] == "jmh":
        jmh(sys.argv[2], sys.argv[3])
    else:
        compare(sys.argv[2], sys.argv[3])
