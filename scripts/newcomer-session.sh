#!/usr/bin/env bash
# A newcomer's session (issue 13): every command (scan, emit, audit, plan, stubs) on real kernel
# modules, with each kind of bad input and bad output path — missing, directory, device, FIFO,
# symbolic link, read-only, full disk (/dev/full). Each failure must be exactly one line
# 'patchsites: FILE: error: ...' naming the file that failed, with exit status 2; each good
# case exit 0; and no input may change (sha256 of every input before and after).
#
# Usage: scripts/newcomer-session.sh [CORPUS]   (CORPUS: ~/.cache/patchsites/corpus by default)
# Runs the CLI as ./patchsites (build first), or as java -cp "$PATCHSITES_CLASSPATH" when that is
# set (the JUnit test NewcomerSessionTest does so, which runs this script in `mvn verify`).
# As root, the read-only cases run as the user nobody (setpriv): root may write anything.
# Exit status: 0 when every check held, 1 otherwise. The transcript goes to stdout.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-${PATCHSITES_CORPUS:-$HOME/.cache/patchsites/corpus}}
export LC_ALL=C

if [ -n "${PATCHSITES_CLASSPATH:-}" ]; then
    ps=("${PATCHSITES_JAVA:-java}" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData
        -cp "$PATCHSITES_CLASSPATH" patchsites.collector.cli.Main)
else
    ps=("$here/patchsites")
fi
if [ "$(id -u)" = 0 ]; then
    user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
else
    user=()
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/newcomer.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cd "$work" || exit 1

# Real modules: a small one, and one with static calls (kvm.ko) if the corpus has it.
mods=$(find "$corpus/modules" -name '*.ko' -type f 2>/dev/null | sort)
small=$(for m in $mods; do s=$(stat -c %s "$m"); if [ "$s" -gt 150000 ] && [ "$s" -lt 400000 ]; then echo "$m"; break; fi; done)
kvm=$(printf '%s\n' $mods | grep '/kvm\.ko$' | head -n 1)
if [ -z "$small" ] || [ -z "$kvm" ]; then
    echo "FAIL: no corpus modules under $corpus/modules (scripts/fetch-corpus.sh fetches them)"
    exit 1
fi
cp "$small" good.ko
cp "$kvm" kvm.ko
mkdir dir.ko
: > empty.ko
echo 'not an object' > text.ko
mkfifo fifo.ko
ln -s good.ko link.ko
ln -s missing-target.ko dangling.ko
mkdir ro-dir && cp good.ko ro-dir/in.ko && chmod 555 ro-dir
cp good.ko ro.ko && chmod 444 ro.ko
printf 'extern void __SCT__f(void);\nvoid f_impl(void) { __asm__ volatile(""); }\nvoid g_impl(void) { __asm__ volatile(""); }\nint main(void) { __SCT__f(); __SCT__f(); return 0; }\n' > prog.c
gcc -O2 -fno-pic -c prog.c -o prog.o &&
    "${ps[@]}" emit --target='__SCT__*' --section=.static_call_sites --layout=site-key --in-place prog.o &&
    gcc -no-pie -o prog prog.o -Wl,--defsym=__SCT__f=f_impl || { echo "FAIL: cannot build the linked program for plan"; exit 1; }
echo 'a=b' > aliases.txt
ln -s /nonexistent/x.ko badlink.ko
ln -s loop.ko loop.ko
mkdir user-dir && cp good.ko user-dir/ro.ko && chmod 444 user-dir/ro.ko
[ "$(id -u)" = 0 ] && chown -R nobody:nogroup user-dir
chmod -R a+rX "$work"
chmod 555 ro-dir

inputs=(good.ko kvm.ko empty.ko text.ko ro.ko ro-dir/in.ko prog aliases.txt)
sha() { for f in "${inputs[@]}"; do sha256sum "$f"; done; sha256sum "$small" "$kvm"; }
sha > before.sha

failures=0
checks=0
# check EXPECT WHO CMD...: EXPECT is 0 (success, nothing on stderr but warnings) or the file the one error line names.
check() {
    local expect=$1 who=$2; shift 2
    local prefix=()
    [ "$who" = user ] && prefix=("${user[@]}")
    checks=$((checks + 1))
    local err rc
    err=$(timeout 60 "${prefix[@]}" "${ps[@]}" "$@" 2>&1 >/dev/null)
    rc=$?
    local errors
    errors=$(printf '%s' "$err" | grep -v ': warning: ' || true)
    local verdict=ok
    if [ "$expect" = 0 ]; then
        [ "$rc" = 0 ] && [ -z "$errors" ] || verdict=FAIL
    else
        local n
        n=$(printf '%s\n' "$err" | grep -c .)
        if [ "$rc" != 2 ] || [ "$n" != 1 ] || [[ "$err" != "patchsites: $expect: error: "* ]]; then
            verdict=FAIL
        fi
    fi
    [ "$verdict" = FAIL ] && failures=$((failures + 1))
    printf '%-4s %s$ patchsites %s\n' "$verdict" "$([ "$who" = user ] && echo 'nobody ' || echo '')" "$*"
    printf '       exit %s%s\n' "$rc" "$( [ -n "$err" ] && printf '\n       %s' "${err//$'\n'/$'\n       '}")"
}
# check_stdout_full CMD...: stdout on a full disk: exit 2, one line naming standard output.
check_stdout_full() {
    checks=$((checks + 1))
    local err rc verdict=ok
    err=$(timeout 60 "${ps[@]}" "$@" 2>&1 >/dev/full)
    rc=$?
    if [ "$rc" != 2 ] || [ "$(printf '%s\n' "$err" | grep -c .)" != 1 ] || [[ "$err" != "patchsites: standard output: error: "* ]]; then
        verdict=FAIL
        failures=$((failures + 1))
    fi
    printf '%-4s $ patchsites %s > /dev/full\n       exit %s\n       %s\n' "$verdict" "$*" "$rc" "$err"
}

T=(--target=__fentry__)
AUDIT=(--section=__mcount_loc --layout=abs)
EMIT=(--target=__fentry__ --section=.newcomer_sites --layout=site)
PLAN=(--section=.static_call_sites --layout=site-key --key=__SCT__f --to=g_impl)

echo "== bad inputs: scan, audit, emit, plan, stubs"
for cmd in scan audit emit plan; do
    case $cmd in
        scan) args=("${T[@]}") ;;
        audit) args=("${AUDIT[@]}") ;;
        emit) args=("${EMIT[@]}" -o out.ko) ;;
        plan) args=("${PLAN[@]}") ;;
    esac
    for bad in missing.ko dir.ko /dev/null fifo.ko empty.ko text.ko dangling.ko; do
        check "$bad" root "$cmd" "${args[@]}" "$bad"
    done
done
check 0 root scan "${T[@]}" link.ko
check 0 root audit "${AUDIT[@]}" link.ko
check 0 user scan "${T[@]}" ro.ko ro-dir/in.ko
check 0 user audit --section=.static_call_sites --layout=site-key --key-prefix=__SCT__=__SCK__ kvm.ko
check 0 root plan "${PLAN[@]}" prog
check missing.txt root stubs --aliases-file=missing.txt --lds=o.lds
check dir.ko root stubs --aliases-file=dir.ko --lds=o.lds

echo "== bad output paths: emit -o, emit --in-place, plan --apply, stubs --lds/--asm"
for out in /nonexistent/out.ko dir.ko /dev/full; do
    check "$out" root emit "${EMIT[@]}" -o "$out" good.ko
    check "$out" root plan "${PLAN[@]}" --apply="$out" prog
    check "$out" root stubs --aliases-file=aliases.txt --lds="$out"
    check "$out" root stubs --aliases-file=aliases.txt --asm="$out" --arch=x86_64
done
for out in badlink.ko loop.ko; do
    check "$out" root emit "${EMIT[@]}" -o "$out" good.ko
    check "$out" root stubs --aliases-file=aliases.txt --lds="$out"
done
check ro-dir/out.ko user emit "${EMIT[@]}" -o ro-dir/out.ko good.ko
check ro-dir/in.ko user emit "${EMIT[@]}" --in-place ro-dir/in.ko
check ro-dir/p user plan "${PLAN[@]}" --apply=ro-dir/p prog
check ro-dir/o.lds user stubs --aliases-file=aliases.txt --lds=ro-dir/o.lds
# Good outputs of each kind: the device and the link are written through and stay what they are.
check 0 root emit "${EMIT[@]}" -o /dev/null good.ko
check 0 root plan "${PLAN[@]}" --apply=/dev/null prog
check 0 root stubs --aliases-file=aliases.txt --lds=/dev/null
# A read-only (0444) file in a directory the user may write: replaced, as objcopy does, still 0444.
check 0 user emit "${EMIT[@]}" --in-place user-dir/ro.ko
checks=$((checks + 1))
if [ "$(stat -c %a user-dir/ro.ko)" = 444 ] && readelf -SW user-dir/ro.ko | grep -q newcomer_sites; then
    echo "ok   user-dir/ro.ko has the table and is still 0444"
else
    echo "FAIL user-dir/ro.ko: $(stat -c %a user-dir/ro.ko), table: $(readelf -SW user-dir/ro.ko | grep -c newcomer_sites)"
    failures=$((failures + 1))
fi
cp good.ko target.ko && ln -s target.ko outlink.ko
check 0 root emit "${EMIT[@]}" -o outlink.ko good.ko
check 0 root emit "${EMIT[@]}" -o dangling.ko good.ko
checks=$((checks + 1))
if [ "$(stat -c %F /dev/null)" = "character special file" ] && [ -L outlink.ko ] && [ -L dangling.ko ] &&
    readelf -SW target.ko | grep -q newcomer_sites && readelf -SW missing-target.ko | grep -q newcomer_sites; then
    echo "ok   /dev/null is still a character device; outlink.ko and dangling.ko are still links, their targets written"
else
    echo "FAIL /dev/null, outlink.ko or dangling.ko was replaced, or a link target not written"
    failures=$((failures + 1))
fi

echo "== a full disk on standard output"
check_stdout_full scan --json "${T[@]}" good.ko
check_stdout_full audit --json "${AUDIT[@]}" good.ko
check_stdout_full plan "${PLAN[@]}" prog

echo "== inputs unchanged (sha256 before and after)"
checks=$((checks + 1))
sha > after.sha
if cmp -s before.sha after.sha; then
    echo "ok   $(wc -l < before.sha) inputs unchanged:"
    sed 's/^/       /' after.sha
else
    echo "FAIL inputs changed:"
    diff before.sha after.sha | sed 's/^/       /'
    failures=$((failures + 1))
fi
leftover=$(find "$work" -name '*.patchsites-tmp' -o -name '*.patchsites-lock')
checks=$((checks + 1))
if [ -n "$leftover" ]; then
    echo "FAIL temporary or lock files left: $leftover"
    failures=$((failures + 1))
else
    echo "ok   no temporary or lock file left"
fi

echo "== $checks checks, $failures failed"
[ "$failures" = 0 ]
