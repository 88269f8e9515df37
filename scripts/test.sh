#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then
#   1. release  build with -Werror, every unit and integration test (ctest)
#   2. asan     the same suite again under ASan + UBSan (-fno-sanitize-recover)
#   3. valgrind the integration tests once with the daemon under memcheck
#   4. fuzz     every libFuzzer target for a short bounded time (clang)
# Stages can be chosen: CFD_TEST_STAGES="release asan" scripts/test.sh
# Fuzz time per target: CFD_FUZZ_SECONDS (default 30).
# Exit status is non-zero if any stage fails; every stage runs regardless.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
stages=${CFD_TEST_STAGES:-release asan valgrind fuzz}
jobs=$(nproc 2>/dev/null || echo 2)
failed=()

bash scripts/deps.sh test || { echo "test: could not install dependencies" >&2; exit 1; }

build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S "$root" -B "$dir" -DCFD_WERROR=ON "$@" >/dev/null &&
    cmake --build "$dir" -j "$jobs" -- --no-print-directory >"$dir.log" 2>&1 ||
    { tail -50 "$dir.log"; return 1; }
}

stage() { echo; echo "=== $1 ==="; }

for s in $stages; do
  case $s in
  release)
    stage "release build + tests"
    if build build -DCMAKE_BUILD_TYPE=Release; then
      (cd build && ctest -j "$jobs" --output-on-failure) || failed+=(release)
    else failed+=(release-build); fi ;;
  asan)
    stage "ASan + UBSan build + tests"
    if build build-asan -DCMAKE_BUILD_TYPE=Asan; then
      (cd build-asan &&
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        CFD_SANITIZED=1 ctest -j "$jobs" --output-on-failure) || failed+=(asan)
    else failed+=(asan-build); fi ;;
  valgrind)
    stage "integration tests with the daemon under valgrind memcheck"
    if [ -x build/bin/classifyd ] || build build -DCMAKE_BUILD_TYPE=Release; then
      (cd build && CFD_VALGRIND=1 ctest -L valgrind --no-tests=error --output-on-failure) || failed+=(valgrind)
    else failed+=(valgrind-build); fi ;;
  fuzz)
    stage "fuzzers, ${CFD_FUZZ_SECONDS:-30} s each"
    if [ -f fuzz/CMakeLists.txt ]; then
      if CC=clang build build-fuzz -DCFD_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=OFF; then
        bash fuzz/run.sh build-fuzz "${CFD_FUZZ_SECONDS:-30}" || failed+=(fuzz)
      else failed+=(fuzz-build); fi
    else
      echo "fuzz: no fuzz/CMakeLists.txt"; failed+=(fuzz-missing)
    fi ;;
  *) echo "unknown stage $s" >&2; failed+=("$s") ;;
  esac
done

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "test.sh: all stages passed ($stages)"
else
  echo "test.sh: FAILED stages: ${failed[*]}"
  exit 1
fi
