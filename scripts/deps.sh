#!/usr/bin/env bash
# Installs the Debian packages classifyd needs to build, test and benchmark.
# Idempotent: skips apt entirely when every package is already installed.
# Usage: scripts/deps.sh [build|test|bench]   (default: test)
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libuv1-dev liblinear-dev libutf8proc-dev
            libcjson-dev libhttp-parser-dev libxxhash-dev libssl-dev libinih-dev)
test_pkgs=(libcmocka-dev curl socat valgrind clang libclang-rt-14-dev python3 procps util-linux)
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
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
