#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine (run as root there).
# Idempotent and quiet when everything is present already.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have java    || need+=(openjdk-17-jdk-headless)
have mvn     || need+=(maven)
have gcc     || need+=(gcc)
have ld      || need+=(binutils)
have objdump || need+=(binutils)
have ar      || need+=(binutils)
have python3 || need+=(python3)
# /usr/bin/time -v measures peak RSS in bench/ scripts.
[[ -x /usr/bin/time ]] || need+=(time)

if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing packages: ${need[*]} (run as root, or install them)" >&2
        exit 1
    fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
