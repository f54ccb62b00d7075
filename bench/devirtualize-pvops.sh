#!/usr/bin/env bash
# devirtualize on Debian's 6.1 modules, with the pv_ops defaults of Debian's own vmlinux
# (scripts/fetch-kernel-dbg.sh: the cloud -dbg vmlinux and the modules of the same release).
# A module does not define pv_ops (vmlinux does), so `devirtualize --pointer=pv_ops` on a module
# alone rewrites nothing: no default, never a guess across objects. Here each module that has
# .parainstructions is linked (ld -r) with an object that defines pv_ops with the initializer
# read from vmlinux (readelf -r at pv_ops, names from nm), the way vmlinux.o holds both. Then:
# one devirtualize run over all of them (timed), and an independent check with readelf, objcopy
# and objdump that every .parainstructions entry's site is now `call <the slot's default>`
# (type = slot index) with R_X86_64_PLT32 default-4 at site + 1, and nothing else moved.
#   bench/devirtualize-pvops.sh [WORKDIR [MODULES]]
# MODULES: a directory of .ko files instead of the -dbg package's own (e.g. the generic amd64
# corpus of the same release, ~/.cache/patchsites/corpus/modules; its pv_ops has the same layout).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kernel=$(bash "$root/scripts/fetch-kernel-dbg.sh" | tail -n 1)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
(cd "$root" && mvn -q -B -ntp -DskipTests package >/dev/null)
vmlinux=$kernel/vmlinux

# pv_ops: address and size, its data relocations (R_X86_64_64 sym + addend), function names.
read -r pv_at pv_size < <(nm -S "$vmlinux" | awk '$4 == "pv_ops" { print $1, $2 }')
text_at=$(readelf -SW "$vmlinux" | sed -n 's/.*\] \.text  *PROGBITS  *\([0-9a-f]*\) .*/\1/p')
readelf -rW "$vmlinux" | awk '/^Relocation section .\.rela\.data. /{f=1;next} /^Relocation section/{f=0} f' > "$work/rela.data"
nm "$vmlinux" | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' > "$work/functions"
python3 - "$pv_at" "$pv_size" "$text_at" "$work" <<'PY'
import sys
pv, size, text, work = int(sys.argv[1], 16), int(sys.argv[2], 16), int(sys.argv[3], 16), sys.argv[4]
funcs = {}
for line in open(work + '/functions'):
    a, n = line.split()
    funcs.setdefault(int(a, 16), n)
slots = {}
for line in open(work + '/rela.data'):
    p = line.split()
    if len(p) >= 7 and p[2] == 'R_X86_64_64' and pv <= int(p[0], 16) < pv + size:
        off, sym, add = int(p[0], 16) - pv, p[4], int(p[6], 16)
        name = funcs.get(text + add) if sym == '.text' else (sym if add == 0 else None)
        if name:
            slots[off] = name
with open(work + '/pv_ops.s', 'w') as f:
    f.write('\t.data\n\t.globl pv_ops\n\t.type pv_ops, @object\n\t.size pv_ops, %d\n\t.p2align 5\npv_ops:\n' % size)
    for off in range(0, size, 8):
        f.write('\t.quad %s\n' % slots.get(off, '0'))
    f.write('\t.section .note.GNU-stack, "", @progbits\n')
print('pv_ops: %d bytes, %d slots with a default in vmlinux' % (size, len(slots)))
PY
as -o "$work/pv_ops.o" "$work/pv_ops.s"

rm -rf "$work/objects"; mkdir -p "$work/objects"
while read -r ko; do
    if readelf -SW "$ko" | grep ' \.parainstructions ' >/dev/null; then  # not -q: readelf must not die of SIGPIPE (pipefail)
        ld -r -o "$work/objects/$(basename "$ko" .ko).o" "$ko" "$work/pv_ops.o"
    fi
done < <(find "${2:-$kernel/modules}" -name '*.ko' | sort)
echo "modules with .parainstructions: $(ls "$work/objects" | wc -l)"
/usr/bin/time -f 'devirtualize: wall %e s, cpu %U+%S s, peak RSS %M KB' \
    "$root/patchsites" devirtualize --pointer=pv_ops --in-place "$work"/objects/*.o > "$work/devirtualize.out"
awk '{ n += $2 } / left as / { for (i = 1; i <= NF; i++) if ($(i+1) == "left") l += $i } END { print "sites devirtualized:", n, " left:", l }' "$work/devirtualize.out"

python3 - "$work" <<'PY'
import glob, re, subprocess, sys
work = sys.argv[1]
defaults = [l.split()[1] for l in open(work + '/pv_ops.s') if '.quad' in l]
insn = re.compile(r'^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t(\S+).*\t([0-9a-f]+): (R_X86_64_\w+)\t(\S+)$')
section = re.compile(r'^Disassembly of section (\S+):')
ok, bad, indirect_left = 0, [], 0
for f in sorted(glob.glob(work + '/objects/*.o')):
    entries, cur = [], None
    for l in subprocess.run(['readelf', '-rW', f], capture_output=True, text=True, check=True).stdout.splitlines():
        if l.startswith('Relocation section'):
            cur = l.split("'")[1]
            continue
        p = l.split()
        if cur == '.rela.parainstructions' and len(p) >= 7 and p[2] == 'R_X86_64_64' and int(p[0], 16) % 16 == 0:
            entries.append((int(p[0], 16), p[4], int(p[6], 16)))
    raw = subprocess.run(['objcopy', '-O', 'binary', '--only-section=.parainstructions', f, '/dev/stdout'],
                         capture_output=True, check=True).stdout
    code, sec = {}, None
    for l in subprocess.run(['objdump', '-dr', '-w', f], capture_output=True, text=True, check=True).stdout.splitlines():
        m = section.match(l)
        if m:
            sec = m.group(1)
            continue
        m = insn.match(l)
        if m:
            code[(sec, int(m.group(1), 16))] = (m.group(2).strip(), m.group(5), m.group(6), int(m.group(4), 16))
            indirect_left += m.group(2).startswith('ff 15') and 'pv_ops' in m.group(6)
    for off, sec, site in entries:   # struct paravirt_patch_site: u8 *instr; u8 type; u8 len
        typ, length = raw[off + 8], raw[off + 9]
        got = code.get((sec, site))
        want = ('e8 00 00 00 00', 'R_X86_64_PLT32', defaults[typ] + '-0x4', site + 1)
        if got == want and length == 6:
            ok += 1
        else:
            bad.append((f, sec, hex(site), want, got))
print('objdump: %d of %d .parainstructions sites are call <default> with R_X86_64_PLT32 at site+1; '
      '%d mismatches; %d ff 15 through pv_ops left' % (ok, ok + len(bad), len(bad), indirect_left))
for b in bad[:10]:
    print('  mismatch:', b)
sys.exit(1 if bad or indirect_left else 0)
PY
