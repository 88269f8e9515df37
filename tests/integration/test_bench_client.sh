#!/usr/bin/env bash
# classifyd-bench (client/bench*.c) against servers that misbehave: its
# figures must not count what was not classified. A small Python server
# answers in one of several wrong ways; for each, the report must show the
# failure, leave articles_per_s at what was really classified, and exit
# non-zero, so bench/run-daemon-bench.sh cannot call a target met on it.
#   - every request answered 500;
#   - NDJSON answered with one line per request instead of one per article;
#   - 200 with an empty body;
#   - never answering: SIGINT ends the run (with a report) within seconds;
#   - slow replies, SIGINT twice 0.1 s apart (timeout(1) signals its child
#     and then its whole process group, so the child can get it twice): the
#     replies in flight are still awaited, none is lost.
. "$(dirname "$0")/lib.sh"
it_init "$@"

cat >"$IT_TMP/fake.py" <<'PY'
import os, socket, sys, threading, time
path, mode = sys.argv[1], sys.argv[2]
try: os.unlink(path)
except FileNotFoundError: pass
srv = socket.socket(socket.AF_UNIX); srv.bind(path); srv.listen(64)
def serve(c):
    buf = b""
    try:
        while True:
            d = c.recv(65536)
            if not d: return
            buf += d
            while b"\r\n\r\n" in buf:
                head, _, rest = buf.partition(b"\r\n\r\n")
                n = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length": n = int(v)
                if len(rest) < n: break
                buf = rest[n:]
                if mode == "silent": continue
                if mode == "slow": time.sleep(0.3)
                if mode == "500": body, st = b'{"error":{"code":"x","message":"y"}}', b"500 Internal Server Error"
                elif mode == "oneline": body, st = b'{"results":{}}\n', b"200 OK"
                elif mode == "slow": body, st = b'{"results":{}}', b"200 OK"
                else: body, st = b"", b"200 OK"
                c.sendall(b"HTTP/1.1 " + st + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    except OSError: return
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

bench_against() { # mode, classifyd-bench args...: prints the JSON report; sets rc
  local mode=$1; shift
  local sock="$IT_TMP/fake-$mode.sock"
  python3 "$IT_TMP/fake.py" "$sock" "$mode" & local fpid=$!
  it_bg $fpid
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  out=$(timeout 30 "$BIN/classifyd-bench" --socket "$sock" --data "$DATA/news8/train.tsv" "$@" 2>/dev/null); rc=$?
  kill $fpid 2>/dev/null; wait $fpid 2>/dev/null || true
}

bench_against 500 -c 2 -p 4 -t 1
it_eq "all 500s: exit non-zero" 1 "$((rc != 0))"
it_eq "all 500s: ok 0, failed > 0, articles/s 0" "0 true 0.0" \
  "$(it_json 'd["ok"], d["failed"] > 0, d["articles_per_s"]' <<<"$out" | tr -d '[],')"

bench_against oneline -c 1 -p 2 --ndjson 8 -t 1
it_eq "NDJSON lines dropped: exit non-zero" 1 "$((rc != 0))"
it_eq "NDJSON lines dropped: 7 of 8 articles per request counted as line errors" "true true" \
  "$(it_json 'd["failed"] > 0, d["line_errors"] == 7 * d["failed"]' <<<"$out" | tr -d '[],')"

bench_against empty -c 1 -p 1 -t 1
it_eq "empty 200s: exit non-zero" 1 "$((rc != 0))"
it_eq "empty 200s: none ok" "0 true" "$(it_json 'd["ok"], d["failed"] > 0' <<<"$out" | tr -d '[],')"

# A server that never answers: SIGINT ends the run, with a report.
sock="$IT_TMP/fake-silent.sock"
python3 "$IT_TMP/fake.py" "$sock" silent & fpid=$!
it_bg $fpid
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
"$BIN/classifyd-bench" --socket "$sock" --data "$DATA/news8/train.tsv" -n 1 -t 5 --drain 1 \
  > "$IT_TMP/silent.json" 2>/dev/null & bpid=$!
sleep 0.5
kill -INT $bpid
if it_wait_pid $bpid 5; then it_ok "never answered: SIGINT ends classifyd-bench"
else kill -KILL $bpid; it_fail "never answered: classifyd-bench still running 5 s after SIGINT"; fi
it_eq "never answered: the report says so" "true" "$(it_json 'd["unanswered"] + d["unanswered_unserved"] > 0' < "$IT_TMP/silent.json")"
kill $fpid 2>/dev/null; wait $fpid 2>/dev/null || true

sock="$IT_TMP/fake-slow.sock"
python3 "$IT_TMP/fake.py" "$sock" slow & fpid=$!
it_bg $fpid
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
"$BIN/classifyd-bench" --socket "$sock" --data "$DATA/news8/train.tsv" -c 2 -p 2 -t 20 \
  > "$IT_TMP/slow.json" 2>/dev/null & tpid=$!
sleep 1
kill -INT $tpid; sleep 0.1; kill -INT $tpid
it_wait_pid $tpid 10 || it_fail "slow replies: classifyd-bench still running after SIGINT"
it_eq "slow replies, SIGINT twice 0.1 s apart: replies in flight awaited, none lost" "true 0" \
  "$(it_json 'd["ok"] > 0, d["unanswered"] + d["truncated"] + d["failed"]' < "$IT_TMP/slow.json" | tr -d '[],')"
kill $fpid 2>/dev/null; wait $fpid 2>/dev/null || true

# no daemon at all: exit 1, and stderr says so (the JSON alone did before)
err=$(timeout 30 "$BIN/classifyd-bench" --socket "$IT_TMP/none.sock" --data "$DATA/ynat/dev.tsv" \
      -t 1 2>&1 >/dev/null); rc=$?
it_eq "no daemon: exit 1" 1 "$rc"
it_match "no daemon: stderr says no connection succeeded" \
  "no connection to .*none.sock succeeded .*is classifyd running" "$err"
