#!/usr/bin/env bash
# Installs the Debian packages classifyd needs to build, test and benchmark.
# Idempotent: skips apt entirely when every package is already installed.
# Usage: scripts/deps.sh [build|test|bench]   (default: test)
set -euo pipefail

# curl is not needed to build, but the README's first request after
# scripts/run.sh uses it, and a fresh Debian 12 does not have it.
build_pkgs=(build-essential cmake pkg-config libuv1-dev liblinear-dev libutf8proc-dev
            libcjson-dev libhttp-parser-dev libxxhash-dev libssl-dev libinih-dev libsystemd-dev curl)
test_pkgs=(libcmocka-dev curl socat valgrind clang libclang-rt-14-dev python3 procps util-linux
           bsdutils systemd)  # script(1); systemd-analyze and systemd-sysusers check the unit
bench_pkgs=(fasttext liblinear-tools python3-sklearn python3-numpy)

case "${1:-test}" in
  build) want=("${build_pkgs[@]}") ;;
  test)  want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: installing them needs root and sudo is not installed: run this script as" \
         "root, or have root run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  SUDO="sudo"
fi
echo "deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
