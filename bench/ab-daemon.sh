#!/usr/bin/env bash
# A/B comparison of two daemon builds on this machine, alternating.
#
#   bench/ab-daemon.sh OLD_BUILD NEW_BUILD [ROUNDS] [SECONDS]   (defaults: 5 rounds, 5 s)
#
# Why: on this shared 2-core VM the same binary's throughput moves by 10-20%
# from one minute to the next (bench/RESULTS.md runs minutes apart disagree
# more than most optimisations change), so a change is judged by running
# both builds in turns, several times, and comparing medians. Each round
# starts OLD then NEW (each on its own temporary socket, the repository's
# models, its own build's plugins) and measures, with NEW's classifyd-bench:
#   - full news8 articles, 4 connections x 8 pipelined: articles/s
#   - full news8 articles, one request at a time: p50 latency (µs)
# and prints one line per run and the medians per build at the end.
#
# A build of an older commit, for OLD_BUILD:
#   git worktree add /tmp/old REV
#   cmake -S /tmp/old -B /tmp/old/build -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/old/build -j2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old=$(cd "${1:?usage: bench/ab-daemon.sh OLD_BUILD NEW_BUILD [ROUNDS] [SECONDS]}" && pwd)
new=$(cd "${2:?usage: bench/ab-daemon.sh OLD_BUILD NEW_BUILD [ROUNDS] [SECONDS]}" && pwd)
rounds=${3:-5}
secs=${4:-5}
data=$root/../shared/data/news8/train.tsv
bench=$new/bin/classifyd-bench
for b in "$old" "$new"; do
  [ -x "$b/bin/classifyd" ] || { echo "ab-daemon: $b/bin/classifyd not built" >&2; exit 1; }
done
[ -x "$bench" ] || { echo "ab-daemon: $bench not built" >&2; exit 1; }
[ -f "$data" ] || { echo "ab-daemon: $data missing (../shared/data)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/cfd-ab.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

field() { # JSON report on stdin -> one figure
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(eval(sys.argv[1])))' "$1"
}

for r in $(seq 1 "$rounds"); do
  for v in old new; do
    b=$old
    [ "$v" = new ] && b=$new
    sock=$tmp/$v.sock
    cfd_start_daemon "$b/bin" "$sock" "$root/models" "$b/lib/classifyd/plugins" \
      "$tmp/daemon-$v.log" || exit 1
    tp=$("$bench" --socket "$sock" --warmup 1 --data "$data" -c 4 -p 8 -t "$secs" |
      field 'd["articles_per_s"]')
    p50=$("$bench" --socket "$sock" --warmup 1 --data "$data" -c 1 -p 1 -t "$secs" |
      field 'd["latency_us"]["p50"]')
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
    printf 'round %d %s: %s articles/s pipelined, single-request p50 %s us\n' "$r" "$v" "$tp" "$p50"
    printf '%s\t%s\t%s\n' "$v" "$tp" "$p50" >> "$tmp/runs.tsv"
  done
done
python3 - "$tmp/runs.tsv" "$old" "$new" <<'EOF'
import statistics, sys
runs = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
for v, path in (("old", sys.argv[2]), ("new", sys.argv[3])):
    tp = [float(r[1]) for r in runs if r[0] == v]
    p50 = [float(r[2]) for r in runs if r[0] == v]
    print("%s (%s): median %.0f articles/s (%.0f..%.0f), median single-request p50 %.0f us (%.0f..%.0f)"
          % (v, path, statistics.median(tp), min(tp), max(tp), statistics.median(p50), min(p50), max(p50)))
EOF
