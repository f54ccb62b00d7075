#!/usr/bin/env bash
# Verdict figures for docs/runtime-model.md: audits every .static_call_sites in the kernel-module
# corpus under each x86 policy and prints Markdown tables (totals, and the 10 modules with the
# most sites). Usage: bench/model-figures.sh [CORPUS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-$(bash "$root/scripts/fetch-corpus.sh" | tail -n 1)}
[[ -f "$root/collector/target/patchsites.jar" ]] || (cd "$root" && mvn -q -B -ntp -DskipTests package >/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
find "$corpus/modules" -name '*.ko' | sort > "$tmp/all"
# Modules that have the table (the audit of the rest would only say "no section").
while read -r f; do
    if readelf -SW "$f" 2>/dev/null | grep -E '\] \.static_call_sites +PROGBITS' >/dev/null; then echo "$f"; fi
done < "$tmp/all" > "$tmp/mods"
for p in linux aligned cacheline; do
    xargs "$root/patchsites" audit --section=.static_call_sites --layout=site-key \
        --key-prefix=__SCT__=__SCK__ --x86-policy=$p --json < "$tmp/mods" \
        | grep '^{"type":"table"' > "$tmp/$p.json" || true
done
python3 - "$tmp" "$corpus" <<'PY'
import json, sys, os
tmp, corpus = sys.argv[1], sys.argv[2]
pol = ["linux", "aligned", "cacheline"]
data = {p: [json.loads(l) for l in open(os.path.join(tmp, p + ".json"))] for p in pol}
n = len(data["aligned"])
print(f"Modules with `.static_call_sites`: {n}; entries: {sum(s['entries'] for s in data['aligned'])}; "
      f"inconsistent tables: {sum(1 for p in pol for s in data[p] if not s['consistent'])}.\n")
print("| policy | sites | atomic | breakpoint | of which atomic for some placements | invalid |")
print("|---|---:|---:|---:|---:|---:|")
for p in pol:
    t = {"atomic": 0, "breakpoint": 0, "invalid": 0}
    dep = 0; tot = 0
    for s in data[p]:
        tot += s["entries"]; dep += s["placement_dependent"]
        for k, v in s["verdicts"].items(): t[k] = t.get(k, 0) + v
    pct = lambda x: f"{x} ({100.0*x/tot:.1f}%)"
    print(f"| {p} | {tot} | {pct(t['atomic'])} | {pct(t['breakpoint'])} | {dep} | {t['invalid']} |")
print()
top = sorted(data["aligned"], key=lambda s: -s["entries"])[:10]
by = {p: {s["file"]: s for s in data[p]} for p in pol}
print("| module | sites | aligned: atomic / breakpoint | cacheline: atomic / breakpoint (placement-dependent) |")
print("|---|---:|---:|---:|")
for s in top:
    f = s["file"]; a = by["aligned"][f]["verdicts"]; c = by["cacheline"][f]["verdicts"]
    name = os.path.relpath(f, os.path.join(corpus, "modules"))
    print(f"| {name} | {s['entries']} | {a.get('atomic',0)} / {a.get('breakpoint',0)} | "
          f"{c.get('atomic',0)} / {c.get('breakpoint',0)} ({by['cacheline'][f]['placement_dependent']}) |")
PY
