#!/usr/bin/env bash
# Daemon throughput and latency, with fastText side by side, in one run.
#
#   bench/run-daemon-bench.sh [BUILD_DIR] [SECONDS]     (defaults: build, 10)
#
# Starts build/bin/classifyd on a temporary socket with the repository's
# models (models/*.cfdm; CFD_BENCH_MODELS=DIR serves another directory) and
# the built plugins, runs bench_featurize and bench_engine (in-process, one
# core: the featurizer's figure and the engine's per-article breakdown), then
# measures the daemon with build/bin/classifyd-bench:
#   1. full articles (../shared/data/news8/train.tsv, ~2.6 KB), all default
#      plugins, many connections with pipelining: articles/s and latency
#   2. the same as NDJSON batches of 32 articles
#   3. one request at a time on one connection: a single request's latency
#   3b. full articles one at a time and as NDJSON again, asking only for the
#      three plugins issue 3's targets name ("three default plugins": topic,
#      sentiment, section; the request's "plugins" list), without rules
#   4. headlines (../shared/data/ynat/dev.tsv), pipelined and as NDJSON
#   5. the daemon's resident memory (VmRSS, and the peak VmHWM)
#   6. one request at a time again with the daemon restarted with
#      --busy-poll 300 (its loops poll instead of sleeping between requests;
#      README "Benchmarks"): full articles, then full articles and headlines
#      with classifyd-bench --busy-poll too (the client's own wake-up left
#      out, so the figure is the daemon's and the socket's part)
# and, on the same machine in the same run, fastText: a supervised model is
# trained on the same news8 articles and `fasttext predict` is timed on the
# same articles (one model, its own single prediction thread).
# Prints every figure and rewrites bench/RESULTS.md with them.
# Run it on an otherwise idle machine; it takes about 14 x SECONDS + 60 s.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
secs=${2:-10}
data=$root/../shared/data
bin=$build/bin
tmp=$(mktemp -d /tmp/cfd-bench.XXXXXX)
sock=$tmp/d.sock
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 0.5 && kill -9 "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

for f in "$bin/classifyd" "$bin/classifyd-bench"; do
  [ -x "$f" ] || { echo "run-daemon-bench: $f not built (cmake --build $build)" >&2; exit 1; }
done
models=${CFD_BENCH_MODELS:-$root/models}   # another models dir, e.g. before defaults exist
for m in topic section sentiment; do
  [ -f "$models/$m.cfdm" ] || { echo "run-daemon-bench: $models/$m.cfdm missing" >&2; exit 1; }
done

cfd_start_daemon "$bin" "$sock" "$models" "$build/lib/classifyd/plugins" "$tmp/daemon.log" || exit 1
plugins=$(curl -s --unix-socket "$sock" http://x/v1/plugins |
  python3 -c 'import json,sys; print(", ".join("%s (%s)" % (p["name"], (p.get("model") or {}).get("version")) for p in json.load(sys.stdin)["plugins"]))')

run() { # name, bench args...
  local name=$1; shift
  echo "== $name: classifyd-bench $*" >&2
  local out
  out=$("$bin/classifyd-bench" --socket "$sock" --warmup 1 "$@" || true)
  echo "$out" >&2
  local args="$*"
  printf '%s\t%s\t%s\n' "$name" "classifyd-bench --socket SOCK --warmup 1 ${args//$data/../shared/data}" \
    "${out//$data/../shared/data}" \
    >> "$tmp/results.tsv"
}
: > "$tmp/results.tsv"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# In-process figures first (one core, the daemon idle): the featurizer
# against its 40 us budget, and the engine's per-article breakdown.
inproc=$tmp/inproc.txt
: > "$inproc"
if [ -x "$bin/bench_featurize" ]; then
  # Five runs: on the 2 shared vCPUs one run takes ~28 us or, when the other
  # vCPU is busy, ~45 us (seen here, same binary, minutes apart). The run
  # with the middle cfd_featurize median is shown whole, and all five.
  echo "== bench_featurize x5" >&2
  fz=$tmp/featurize
  for i in 1 2 3 4 5; do
    (cd "$root" && "$bin/bench_featurize" "$data/news8/train.tsv" 200) > "$fz.$i" 2>&1 || true
  done
  for i in 1 2 3 4 5; do
    printf '%s %s\n' "$(awk '/cfd_featurize \(default/ {for (k = 1; k <= NF; k++) if ($k == "median") print $(k + 1)}' "$fz.$i")" "$i"
  done | sort -n > "$fz.sorted"
  mid=$(sed -n 3p "$fz.sorted" | cut -d' ' -f2)
  echo "bench_featurize, 5 runs, cfd_featurize median per run: $(cut -d' ' -f1 "$fz.sorted" | tr '\n' ' ')us; the middle run:" >> "$inproc"
  [ -n "$mid" ] && cat "$fz.$mid" >> "$inproc"
fi
if [ -x "$bin/bench_engine" ]; then
  echo "== bench_engine --reps 3" >&2
  (cd "$root" && "$bin/bench_engine" --plugins "$build/lib/classifyd/plugins" --models "$models" \
    --data "$data/news8/train.tsv" --reps 3) >> "$inproc" 2>&1 || true
fi
sed -i "s#$data#../shared/data#g" "$inproc"
run "full articles, 2 conns (one per core)" --data "$data/news8/train.tsv" -c 2 -p 1 -t "$secs"
run "full articles, 4 conns x 8 pipelined" --data "$data/news8/train.tsv" -c 4 -p 8 -t "$secs"
run "full articles, NDJSON 32/request, 2 conns x 2" --data "$data/news8/train.tsv" -c 2 -p 2 --ndjson 32 -t "$secs"
# The daemon's own time per request (/metrics: whole request in -> whole
# reply out) around the single-request run, to split its latency into the
# daemon's part and the socket round trip + load generator's part.
dur() {
  curl -s --unix-socket "$sock" http://x/metrics |
    awk '/^classifyd_request_duration_seconds_sum /{s=$2} /^classifyd_request_duration_seconds_count /{c=$2} END {print s, c}'
}
THREE=topic,section,sentiment
# One request at a time, three rounds, four and three plugins in turns: a
# single 10 s run's p50 moves by 20-30 us from one minute to the next on
# this shared VM (the same binary, run after run), so the targets below use
# the median of the three rounds and all three are shown.
for round in 1 2 3; do
  [ "$round" = 1 ] && dur0=$(dur)
  run "full articles, one request at a time (round $round)" --data "$data/news8/train.tsv" \
    -c 1 -p 1 -t "$secs"
  [ "$round" = 1 ] && dur1=$(dur)
  run "full articles, one request at a time, 3 plugins (round $round)" \
    --data "$data/news8/train.tsv" -c 1 -p 1 -t "$secs" --plugins "$THREE"
done
run "full articles, NDJSON 32/request, 2 conns x 2, 3 plugins" --data "$data/news8/train.tsv" \
  -c 2 -p 2 --ndjson 32 -t "$secs" --plugins "$THREE"
run "headlines, 2 conns (one per core)" --data "$data/ynat/dev.tsv" -c 2 -p 1 -t "$secs"
run "headlines, 4 conns x 32 pipelined" --data "$data/ynat/dev.tsv" -c 4 -p 32 -t "$secs"
run "headlines, NDJSON 128/request, 2 conns x 2" --data "$data/ynat/dev.tsv" -c 2 -p 2 --ndjson 128 -t "$secs"
run "headlines, one request at a time" --data "$data/ynat/dev.tsv" -c 1 -p 1 -t "$secs"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
echo "== daemon resident memory: VmRSS $rss KiB, peak VmHWM $hwm KiB" >&2
kill -TERM "$pid"; wait "$pid" || true; pid=
BUSY_POLL=300
cfd_start_daemon "$bin" "$sock" "$models" "$build/lib/classifyd/plugins" "$tmp/daemon.log" \
  --busy-poll "$BUSY_POLL" || exit 1
run "full articles, one request at a time, daemon --busy-poll $BUSY_POLL" \
  --data "$data/news8/train.tsv" -c 1 -p 1 -t "$secs"
run "full articles, one request at a time, daemon --busy-poll $BUSY_POLL, client --busy-poll" \
  --data "$data/news8/train.tsv" -c 1 -p 1 -t "$secs" --busy-poll
run "headlines, one request at a time, daemon --busy-poll $BUSY_POLL, client --busy-poll" \
  --data "$data/ynat/dev.tsv" -c 1 -p 1 -t "$secs" --busy-poll
kill -TERM "$pid"; wait "$pid" || true; pid=

# fastText on the same articles, trained on the same data in this run.
ft="not run (fasttext not installed: scripts/deps.sh bench)"
if command -v fasttext >/dev/null; then
  awk -F'\t' '{print "__label__" $1 " " $2}' "$data/news8/train.tsv" > "$tmp/ft-train.txt"
  cut -f2 "$data/news8/train.tsv" > "$tmp/ft-text.txt"
  head -1 "$tmp/ft-text.txt" > "$tmp/ft-one.txt"   # times the model load alone
  # ten copies of the articles: predicting them takes a few seconds, well
  # above the ~1 s fastText spends loading its model, so the difference of
  # the two timings is the prediction alone (the daemon's figures leave its
  # model load out too)
  for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$tmp/ft-text.txt"; done > "$tmp/ft-text10.txt"
  n=$(wc -l < "$tmp/ft-text10.txt")
  echo "== fasttext supervised -input news8 -epoch 25 -wordNgrams 2 -thread 1" >&2
  fasttext supervised -input "$tmp/ft-train.txt" -output "$tmp/ft" -epoch 25 -wordNgrams 2 \
    -thread 1 -verbose 0
  best=0
  for rep in 1 2 3; do   # best of three, like a warm cache
    t0=$(date +%s.%N)
    fasttext predict "$tmp/ft.bin" "$tmp/ft-one.txt" > /dev/null
    t1=$(date +%s.%N)
    fasttext predict "$tmp/ft.bin" "$tmp/ft-text10.txt" > "$tmp/ft-pred.txt"
    t2=$(date +%s.%N)
    rate=$(python3 -c "d = ($t2 - $t1) - ($t1 - $t0); print(round(($n - 1) / d, 1) if d > 0.2 * ($t2 - $t1) else 0)")
    best=$(python3 -c "print(max($best, $rate))")
  done
  ft="$best articles/s ($n lines: news8's 1257 articles ten times, fasttext predict, 1 model, best of 3, model load subtracted)"
  echo "== fasttext: $ft" >&2
fi

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
python3 - "$tmp/results.tsv" "$rss" "$hwm" "$ft" "$commit" "$cpu" "$(nproc)" "$plugins" "$secs" "$load_before" "$load_after" \
  "$([ "$models" = "$root/models" ] && echo "the repository's default models (models/)" || echo "the models in $models")" \
  "$dur0" "$dur1" "$inproc" \
  > "$root/bench/RESULTS.md" <<'EOF'
import json, sys, datetime
res, rss, hwm, ft, commit, cpu, ncpu, plugins, secs, load0, load1, models_desc, dur0, dur1, inproc = sys.argv[1:16]
rows = [l.rstrip("\n").split("\t") for l in open(res, encoding="utf-8") if l.strip()]
print("# classifyd daemon benchmark\n")
print("Produced by `bench/run-daemon-bench.sh` (%s s per run, 1 s warm-up not counted) on %s x %s, commit %s, %s UTC." %
      (secs, ncpu, cpu, commit, datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M")))
print("The daemon serves %s with the built plugins: %s.\n" % (models_desc, plugins))
print("The load generator runs on the same %s cores as the daemon, so every figure includes its cost." % ncpu)
print("The machine is shared: load average %s before the daemon runs, %s after them (fastText below ran under the same load)." % (load0, load1))
print("Compare figures within one run, not across runs.\n")
print("| run | articles/s | requests/s | p50 µs | p90 µs | p99 µs | max µs | failed |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, cmd, out in rows:
    try:
        d = json.loads(out)
    except ValueError:
        print("| %s | (bench failed) | | | | | | |" % name); continue
    l = d["latency_us"]
    print("| %s | %.0f | %.0f | %d | %d | %d | %d | %d |" % (name, d["articles_per_s"], d["requests_per_s"],
          l["p50"], l["p90"], l["p99"], l["max"],
          # requests that got no good reply: a reply cut short is also an
          # unanswered request, so truncated (connections) is not added
          d["failed"] + d["unanswered"] + d["unanswered_unserved"] + d["connect_errors"]))
parsed = {}
for name, cmd, out in rows:
    try:
        d = json.loads(out)
    except ValueError:
        continue
    # a run with failures does not count towards a target
    if not (d["failed"] or d["truncated"] or d["unanswered"] or d["unanswered_unserved"]
            or d["connect_errors"]):
        parsed[name] = d
def best(prefix, three=False):
    v = [d["articles_per_s"] for n, d in parsed.items()
         if n.startswith(prefix) and (", 3 plugins" in n) == three]
    return max(v) if v else 0.0
def rounds(prefix):
    return sorted(d["latency_us"]["p50"] for n, d in parsed.items()
                  if n.startswith(prefix + " (round "))
def median(v):
    return v[len(v) // 2] if v else 0
p50s = rounds("full articles, one request at a time")
p50s3 = rounds("full articles, one request at a time, 3 plugins")
one, one3 = median(p50s), median(p50s3)
full3 = best("full articles", True)
bp = [n for n in parsed if n.startswith("full articles, one request at a time, daemon --busy-poll")]
full, heads, mb = best("full articles"), best("headlines"), int(rss) / 1024
try:
    ft_rate = float(ft.split()[0])
except ValueError:
    ft_rate = 0.0
print("\nAgainst the targets of issue 3 (set for an idle machine):\n")
print("| target | measured | |")
print("|---|---:|---|")
print("| full articles >= 15,000/s, the three default plugins (topic, sentiment, section) | %.0f/s | %s |" %
      (full3, "met" if full3 >= 15000 else "**not met**"))
print("| the same with all four plugins (rules too) | %.0f/s | %s |" % (full, "met" if full >= 15000 else "**not met**"))
print("| single request p50 <= 150 µs (full article), the three default plugins, median of the rounds (%s) | %d µs | %s |" %
      (", ".join(str(x) for x in p50s3), one3, "met" if one3 and one3 <= 150 else "**not met**"))
print("| the same with all four plugins (%s) | %d µs | %s |" %
      (", ".join(str(x) for x in p50s), one, "met" if one and one <= 150 else "**not met**"))
for n in bp:
    p50 = parsed[n]["latency_us"]["p50"]
    print("| the same (four plugins), %s | %d µs | %s |" % (n.split("time, ")[1].replace("--busy-poll", "`--busy-poll`"),
          p50, "met" if p50 <= 150 else "**not met**"))
print("| headlines >= 60,000/s | %.0f/s | %s |" % (heads, "met" if heads >= 60000 else "**not met**"))
print("| resident memory <= 80 MB | %.1f MB | %s |" % (mb, "met" if mb <= 80 else "**not met**"))
if ft_rate:
    print("| vs fastText on the same articles (1 model vs 4 plugins) | %.1fx | |" % (full / ft_rate))
try:
    (s0, c0), (s1, c1) = [tuple(float(x) for x in d.split()) for d in (dur0, dur1)]
    own = (s1 - s0) / (c1 - c0) * 1e6
except (ValueError, ZeroDivisionError):
    own = 0.0
single = parsed.get("full articles, one request at a time (round 1)", {}).get("latency_us", {})
if own and single.get("mean"):
    print("\nWhere a single request's time goes (full articles, one at a time, round 1): the daemon's own time per request")
    print("(whole request in to whole reply out, from its `/metrics` histogram sum and count around that run) has a")
    print("**mean of %.0f µs**; the load generator measured a mean of %.0f µs, so about %.0f µs of each request is the Unix-socket" %
          (own, single["mean"], single["mean"] - own))
    print("round trip, waking the daemon's and the client's threads, and the client itself.")
print("\nLatency is per request (an NDJSON request carries many articles), from writing it to the last byte of its reply,")
print("so pipelined figures include queueing behind the requests ahead.\n")
print("Resident memory of the daemon after all runs: **%.1f MB** (VmRSS), peak %.1f MB (VmHWM).\n" % (int(rss) / 1024, int(hwm) / 1024))
print("fastText, same machine, same run, trained on the same news8 articles (`fasttext supervised -epoch 25 -wordNgrams 2`), `fasttext predict` on the same articles: **%s**.\n" % ft)
inproc_text = open(inproc, encoding="utf-8").read().strip()
if inproc_text:
    print("## In-process, one core (the daemon idle)\n")
    print("`bench_featurize` (the featurizer alone, default config, scaled to a 2.6 KB article; issue 2's budget")
    print("is 40 µs) and `bench_engine --reps 3` (what one article costs the engine, by part):\n")
    print("```")
    print(inproc_text)
    print("```\n")
print("## Commands\n")
for name, cmd, out in rows:
    print("- %s: `%s`" % (name, cmd))
print("\nThe `--busy-poll` runs restart the daemon with that flag (and pass it to the client where named);")
print("every other run uses the default daemon and client.")
print("\nRaw reports:\n\n```")
for name, cmd, out in rows:
    print(out)
print("```")
EOF
echo "run-daemon-bench: wrote $root/bench/RESULTS.md" >&2
cat "$root/bench/RESULTS.md"
