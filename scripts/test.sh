#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what is missing, fetches the kernel
# module corpus the conformance suites compare against (cached), then builds and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATCHSITES_CORPUS="${PATCHSITES_CORPUS:-$HOME/.cache/patchsites/corpus}"
bash scripts/fetch-corpus.sh "$PATCHSITES_CORPUS" >/dev/null
# Linux 6.12 cloud-amd64 modules: objtool's .call_sites, the oracle of scan --all-calls.
export PATCHSITES_CORPUS_612="${PATCHSITES_CORPUS_612:-$HOME/.cache/patchsites/corpus-6.12-cloud}"
bash scripts/fetch-corpus.sh --kernel=6.12-cloud "$PATCHSITES_CORPUS_612" >/dev/null
# linux-6.1 files the kbuild tests patch and run (link-vmlinux.sh, vmlinux.lds.h): linux-source-6.1.
bash scripts/fetch-kernel-files.sh "$PATCHSITES_CORPUS" >/dev/null
# The whole linux-source-6.1 tree for the kernel boot test (KernelBootTest; cached).
bash scripts/fetch-kernel-files.sh --tree >/dev/null
# The kernel Debian ships (cloud -dbg vmlinux, its modules and bzImage): the linked-kernel audit tests.
export PATCHSITES_KERNEL_DBG="${PATCHSITES_KERNEL_DBG:-$HOME/.cache/patchsites/kernel-dbg}"
bash scripts/fetch-kernel-dbg.sh "$PATCHSITES_KERNEL_DBG" >/dev/null
# The corpus is there now: a test that cannot find it must fail, not skip.
export PATCHSITES_REQUIRE_CORPUS=true
mvn -B -ntp verify
