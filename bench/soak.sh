#!/usr/bin/env bash
# Soak test (not in CI): does the daemon stay flat under long mixed load?
#
#   bench/soak.sh [BUILD_DIR] [SECONDS]          (defaults: build, 600)
#
# Starts BUILD_DIR/bin/classifyd on a temporary socket and, for SECONDS:
#   - classifyd-bench, 8 connections x 4 pipelined, full articles
#     (../shared/data/news8/train.tsv) with 25% bad requests on purpose
#     (invalid JSON, wrong shape, empty text, invalid UTF-8, unknown plugin,
#     wrong content type);
#   - a second classifyd-bench sending NDJSON batches of 16 headlines
#     (../shared/data/ynat/dev.tsv), 10% bad;
#   - model swaps every 5 s through classifyctl: section <-> section-v2,
#     topic <-> topic-v2, a rollback, a full reload (SIGHUP's path), a
#     refused swap (a broken model file), in turn;
# and every SOAK_INTERVAL seconds (default 10) samples the daemon's resident
# memory (VmRSS from /proc/PID/status), open file descriptors
# (/proc/PID/fd) and threads into bench/soak.csv. At the end it writes
# bench/soak.png (python3-matplotlib from Debian, /usr/bin/python3; gnuplot
# if matplotlib is missing) and bench/SOAK.md with the series, the load
# generators' reports and a verdict: after a warm-up of two samples, the median
# RSS of the second half of the load may exceed the first half's by at most
# 10% + 4 MiB (a sample caught mid-swap jumps by one model's tables, so peaks
# are reported, not judged), peak fds may grow by at most 4, and the idle fd count after the
# load must be within 4 of the one before. Exits 1 when the verdict fails or
# a load generator saw an unexpected reply.
#
# Models: models/{topic,section,sentiment}.cfdm when the repository has
# them, else small ones trained here with classifyd-train (about a minute);
# the -v2 models are trained here on other slices of the data.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || exit 2
secs=${2:-600}
interval=${SOAK_INTERVAL:-10}
data=$root/../shared/data
bin=$build/bin
plugins=$build/lib/classifyd/plugins
out_csv=$root/bench/soak.csv
out_png=$root/bench/soak.png
out_md=$root/bench/SOAK.md
tmp=$(mktemp -d /tmp/cfd-soak.XXXXXX)
sock=$tmp/d.sock
pid=
bg=()
cleanup() {
  [ -n "${SOAK_KEEP:-}" ] && { echo "soak: kept $tmp" >&2; tmp=/nonexistent; }
  for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

for f in classifyd classifyd-bench classifyctl classifyd-train; do
  [ -x "$bin/$f" ] || { echo "soak: $bin/$f not built (cmake --build $build)" >&2; exit 1; }
done

# ---- models --------------------------------------------------------------
models=$tmp/models
mkdir -p "$models"
train() { # name data out
  echo "soak: training $1 -> $(basename "$3")" >&2
  nice "$bin/classifyd-train" train --name "$1" --data "$2" --out "$3" --calib-folds 0 \
    --buckets 18 --quiet >"$tmp/train-$1.log" 2>&1 ||
    { echo "soak: training $1 failed:" >&2; tail -5 "$tmp/train-$1.log" >&2; exit 1; }
}
if [ -f "$root/models/topic.cfdm" ] && [ -f "$root/models/section.cfdm" ] &&
   [ -f "$root/models/sentiment.cfdm" ]; then
  cp "$root"/models/* "$models"/
  model_src="the repository's models/"
else
  awk 'NR % 8 == 0' "$data/ynat/train.tsv" >"$tmp/topic.tsv"
  train section "$data/news8/train.tsv" "$models/section.cfdm"
  train topic "$tmp/topic.tsv" "$models/topic.cfdm"
  train sentiment "$data/finance-sentiment/train.tsv" "$models/sentiment.cfdm"
  model_src="small models trained by this script (the repository has no default models yet)"
fi
awk 'NR % 2 == 0' "$data/news8/train.tsv" >"$tmp/section-v2.tsv"
awk 'NR % 8 == 4' "$data/ynat/train.tsv" >"$tmp/topic-v2.tsv"
train section "$tmp/section-v2.tsv" "$models/section-v2.cfdm"
train topic "$tmp/topic-v2.tsv" "$models/topic-v2.cfdm"
for f in rules.txt aggregate.conf; do   # the rules plugin's file and the decision rules
  [ -f "$root/models/$f" ] && cp "$root/models/$f" "$models/"
done
head -c 200 "$models/section.cfdm" >"$models/broken.cfdm"   # a truncated model: refused

# ---- daemon --------------------------------------------------------------
cfd_start_daemon "$bin" "$sock" "$models" "$plugins" "$tmp/daemon.log" || exit 1
ctl() { "$bin/classifyctl" --socket "$sock" --timeout 30 "$@" >>"$tmp/swaps.log" 2>&1; }

# ---- load ----------------------------------------------------------------
nice "$bin/classifyd-bench" --socket "$sock" --data "$data/news8/train.tsv" \
  -c 8 -p 4 -t "$secs" --bad 0.25 >"$tmp/bench-articles.json" 2>"$tmp/bench-articles.err" &
b1=$!
nice "$bin/classifyd-bench" --socket "$sock" --data "$data/ynat/dev.tsv" \
  -c 2 -p 2 --ndjson 16 -t "$secs" --bad 0.1 >"$tmp/bench-ndjson.json" 2>"$tmp/bench-ndjson.err" &
b2=$!
bg+=("$b1" "$b2")

(
  i=0
  while kill -0 "$b1" 2>/dev/null; do
    sleep 5
    case $((i % 8)) in
    0) ctl reload section section-v2.cfdm ;;
    1) ctl reload topic topic-v2.cfdm ;;
    2) ctl rollback section ;;
    3) ctl reload section broken.cfdm ;;   # refused; the old model keeps serving
    4) ctl reload ;;                        # every configured model + rules
    5) ctl reload topic topic.cfdm ;;
    6) kill -HUP "$pid" ;;
    7) ctl reload section section.cfdm ;;
    esac
    echo "swap $i rc=$?" >>"$tmp/swaps.log"
    i=$((i + 1))
  done
) &
bg+=("$!")

echo "t_s,rss_kb,fds,threads" >"$out_csv"
sample() {
  local t=$1 rss threads fds
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
  echo "$t,$rss,$fds,$threads" >>"$out_csv"
  echo "soak: t=${t}s rss=${rss} KiB fds=$fds threads=$threads" >&2
}
start=$SECONDS
sample 0
while kill -0 "$b1" 2>/dev/null || kill -0 "$b2" 2>/dev/null; do
  sleep "$interval"
  kill -0 "$pid" 2>/dev/null || { echo "soak: the daemon died" >&2; cat "$tmp/daemon.log" >&2; exit 1; }
  sample $((SECONDS - start))
done
wait "$b1"; rc1=$?
wait "$b2"; rc2=$?
swaps=$(grep -c '^swap' "$tmp/swaps.log")
refused=$(grep -c ' rc=[1-9]' "$tmp/swaps.log")   # classifyctl exit status != 0: refused
alive=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" http://x/readyz)

# ---- plot ----------------------------------------------------------------
plotter=none
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 - "$out_csv" "$out_png" <<'PY' && plotter="python3-matplotlib (Debian)"
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = list(csv.DictReader(open(sys.argv[1])))
t = [int(r["t_s"]) for r in rows]
rss = [int(r["rss_kb"]) / 1024 for r in rows]
fds = [int(r["fds"]) for r in rows]
fig, ax = plt.subplots(figsize=(9, 4.5))
ax.plot(t, rss, "b-o", ms=3, label="RSS (MiB)")
ax.set_xlabel("seconds of load")
ax.set_ylabel("resident memory, MiB", color="b")
ax.set_ylim(0, max(rss) * 1.3)
ax2 = ax.twinx()
ax2.plot(t, fds, "r-s", ms=3, label="open fds")
ax2.set_ylabel("open file descriptors", color="r")
ax2.set_ylim(0, max(fds) * 1.5)
ax.set_title("classifyd soak: mixed good/bad load, NDJSON batches, model swaps")
ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
PY
elif command -v gnuplot >/dev/null; then
  gnuplot <<GP && plotter=gnuplot
set terminal png size 900,450
set output "$out_png"
set datafile separator ","
set key autotitle columnhead
set xlabel "seconds of load"
set ylabel "RSS (KiB)"
set y2label "open fds"
set y2tics
plot "$out_csv" using 1:2 with linespoints title "RSS (KiB)", "" using 1:3 axes x1y2 with linespoints title "open fds"
GP
fi

# ---- verdict and SOAK.md -------------------------------------------------
verdict=$(python3 - "$out_csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
if len(rows) < 6:
    print("FAIL too few samples (%d)" % len(rows)); sys.exit()
load = rows[2:-1]            # after warm-up, while the load ran
half = len(load) // 2
a, b = load[:half], load[half:]
def median(v):
    v = sorted(v)
    return v[len(v) // 2]
med_a = median([int(r["rss_kb"]) for r in a])
med_b = median([int(r["rss_kb"]) for r in b])
peak_a = max(int(r["rss_kb"]) for r in a)
peak_b = max(int(r["rss_kb"]) for r in b)
fd_a = max(int(r["fds"]) for r in a)
fd_b = max(int(r["fds"]) for r in b)
fd_idle0, fd_idle1 = int(rows[0]["fds"]), int(rows[-1]["fds"])
ok = med_b <= med_a * 1.10 + 4096 and fd_b <= fd_a + 4 and fd_idle1 <= fd_idle0 + 4
print("%s median RSS %d KiB in the first half of the load, %d KiB in the second (%+.1f%%), "
      "peaks %d and %d KiB; peak fds %d then %d; idle fds %d before the load, %d after"
      % ("PASS" if ok else "FAIL", med_a, med_b, 100.0 * (med_b - med_a) / med_a, peak_a, peak_b,
         fd_a, fd_b, fd_idle0, fd_idle1))
PY
)
summary() { # bench json -> one line
  python3 -c 'import json,sys
try: d=json.load(open(sys.argv[1]))
except Exception as e: print("no report (%s)" % e); sys.exit()
print(json.dumps(d, ensure_ascii=False))' "$1"
}
{
  echo "# Soak test"
  echo
  echo "Generated by \`bench/soak.sh $(basename "$build") $secs\` on $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "($(nproc) cores, shared with other work while it ran). Not part of CI."
  echo
  echo "Load for ${secs} s against one daemon serving $model_src:"
  echo
  echo "- \`classifyd-bench -c 8 -p 4 --bad 0.25\` on news8 full articles (a quarter of the"
  echo "  requests bad on purpose: invalid JSON, wrong shape, empty text, invalid UTF-8,"
  echo "  unknown plugin, wrong content type);"
  echo "- \`classifyd-bench -c 2 -p 2 --ndjson 16 --bad 0.1\` on ynat headlines;"
  echo "- a model swap every 5 s with \`classifyctl reload/rollback\` and SIGHUP ($swaps swaps,"
  echo "  $refused of them refused, as they must be: each offer of the truncated model file)."
  echo
  echo "Sampled every ${interval} s from /proc/PID/status (VmRSS, Threads) and /proc/PID/fd."
  echo "Plot: \`bench/soak.png\` (drawn with $plotter)."
  echo
  echo "**Verdict: $verdict.**"
  echo "Rule: after two warm-up samples, the median RSS of the second half of the load may"
  echo "exceed that of the first half by at most 10% + 4 MiB. Medians, because a sample taken"
  echo "during a swap sees up to three versions of a model for a moment (a jump of one model's"
  echo "tables, gone by the next sample); a leak or fragmentation moves the median. Peaks are"
  echo "reported. Peak fds may grow by at most 4, and once the load has stopped the fd count"
  echo "must be back within 4 of the start."
  echo "Daemon ready at the end: HTTP $alive. Load generators' exit status: $rc1 (articles), $rc2 (NDJSON)."
  echo
  echo "| t (s) | RSS (KiB) | open fds | threads |"
  echo "|------:|----------:|---------:|--------:|"
  tail -n +2 "$out_csv" | awk -F, '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}'
  echo
  echo "Load generator reports (JSON):"
  echo
  echo '```'
  echo "articles: $(summary "$tmp/bench-articles.json")"
  echo "ndjson:   $(summary "$tmp/bench-ndjson.json")"
  echo '```'
} >"$out_md"
cat "$out_md"
case $verdict in PASS*) ;; *) exit 1 ;; esac
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] && [ "$alive" = 200 ] || exit 1
