#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time and reports what it did.
#
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR is a tree configured with CC=clang -DCFD_FUZZ=ON (the fuzzers are
# in BUILD_DIR/fuzz). Each target runs for SECONDS (-max_total_time) with
# -rss_limit_mb=2048 on a copy of its seed corpus (fuzz/corpus/<target>) in a
# temporary working directory, so the repository is never written. Prints
# per target the executions and the final coverage (libFuzzer's cov: = code
# edges reached, ft: = features), and exits non-zero if any target crashed,
# leaked, hung or ran out of memory; the input that did it is copied to
# BUILD_DIR/fuzz/crashes/<target>/ and its path printed. Reproduce with
#   BUILD_DIR/fuzz/<target> BUILD_DIR/fuzz/crashes/<target>/<file>
# Longer runs and corpus merging: fuzz/README.md.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}" && pwd) || exit 2
secs=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
  targets=(fuzz_http fuzz_article fuzz_featurize fuzz_model_load fuzz_config fuzz_rules)

# Per-target options: inputs large enough to reach fuzz_http's limits
# (max_body 4K, max_header 1K, pipelining), a dictionary where one helps.
# Sets the array opts (an array: the dictionary's path may hold spaces).
opts_for() {
  case $1 in
  fuzz_http) opts=(-max_len=16384 "-dict=$here/http.dict") ;;
  fuzz_model_load) opts=(-max_len=16384) ;;
  fuzz_article | fuzz_featurize | fuzz_rules) opts=(-max_len=8192) ;;
  *) opts=(-max_len=4096) ;;
  esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/cfd-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=()
printf '%-16s %10s %8s %8s %8s  %s\n' target executions exec/s cov ft result
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  if [ ! -x "$bin" ]; then
    echo "$t: $bin not built" >&2
    failed+=("$t")
    continue
  fi
  dir=$work/$t
  mkdir -p "$dir/corpus" "$dir/tmp"
  [ -d "$here/corpus/$t" ] && cp -r "$here/corpus/$t/." "$dir/corpus/"
  opts_for "$t"
  (cd "$dir" && TMPDIR=$dir/tmp \
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    nice "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=60 \
      -print_final_stats=1 -artifact_prefix="$dir/" "${opts[@]}" corpus \
      >"$dir/log" 2>&1)
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$dir/log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if [ $rc -ne 0 ]; then
    result="FAILED (exit $rc)"
    failed+=("$t")
    mkdir -p "$build/fuzz/crashes/$t"
    found=0
    for f in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-*; do
      [ -e "$f" ] || continue
      cp "$f" "$build/fuzz/crashes/$t/"
      echo "$t: input saved to $build/fuzz/crashes/$t/$(basename "$f")"
      found=1
    done
    [ $found -eq 1 ] || echo "$t: no crash input written (see the log below)"
    cp "$dir/log" "$build/fuzz/crashes/$t/log"
    echo "---- $t: last lines of libFuzzer's output (all of it: $build/fuzz/crashes/$t/log)"
    grep -vE '^#[0-9]+ +(NEW|REDUCE|pulse)' "$dir/log" | tail -40
    echo "----"
  fi
  printf '%-16s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${secs} s each, no crash"
