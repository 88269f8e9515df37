#!/usr/bin/env bash
# ctest-labels: valgrind
# Body memory: the bodies being received at once are bounded by
# max_body_memory, so slow or stalled uploads cannot grow the daemon until
# it is OOM-killed; the daemon keeps serving and tells the clients that do
# not fit to come back (503 body_memory_exhausted, Retry-After: 1).
#
# One loop, max_body 256K, max_body_memory 512K: two slow clients each send
# the headers of a 256 KiB article and 1000 bytes of it, and stop. Checked:
#   - both are held: all 512 KiB reserved (classifyd_body_memory_bytes);
#   - a third such request is answered 503 body_memory_exhausted with
#     Retry-After: 1 and Connection: close, from its headers alone: sent
#     raw with part of its body, sent by curl with Expect: 100-continue
#     (the 503 instead of 100 Continue), and sent chunked;
#   - /healthz still answers 200 meanwhile, and so does a small article,
#     announced or chunked: a body under 64 KiB is the connection's own
#     buffer, not counted, so clients holding the budget with large bodies
#     (from their headers alone) cannot refuse every other client's articles;
#   - once a slow client sends the rest of its body it gets its normal
#     reply, its 256 KiB are free again, and a new 256 KiB request fits;
#   - when everything is answered nothing is reserved; the refusals are
#     counted in /metrics and logged (rate-limited);
#   - max_body_memory below max_body is refused at start, naming the line;
#     a share below max_body per loop is raised to it, and logged.
# Waits poll for a condition with a bound; nothing is timed.
. "$(dirname "$0")/lib.sh"
it_init "$@"

it_start_daemon --workers 1 --max-body 256K --max-body-memory 512K --read-timeout 60s

# A JSON article of exactly 256 KiB.
python3 - "$IT_TMP/body.json" <<'PY'
import sys
n = 256 * 1024
head, tail = '{"id":"big","body":"'.encode(), '"}'.encode()
text = "한국은행 금융통화위원회는 기준금리를 동결했다. ".encode() * 5000
body = head + text[: n - len(head) - len(tail) - 200]
body = body.decode("utf-8", "ignore").encode()  # whole characters only
body += b" " * (n - len(body) - len(tail)) + tail
assert len(body) == n
open(sys.argv[1], "wb").write(body)
PY

# slow.py: commands on stdin, one result line each on stdout.
#   open NAME    a connection sends the headers (Content-Length 262144) and
#                1000 bytes of the body, then waits
#   finish NAME  it sends the rest and reads its reply: "NAME STATUS results|<body>"
#   try NAME     like open, then reads the reply at once:
#                "NAME STATUS retry=<Retry-After> close=<0|1> code=<error code>"
cat >"$IT_TMP/slow.py" <<'PY'
import json, os, re, socket, sys
path, body = os.environ["SOCK"], open(sys.argv[1], "rb").read()
head = (b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body))
conns = {}

def start(name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(head + body[:1000])
    conns[name] = s

def reply(s):
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            return "0", "", b""
        data += d
    hdr, _, rest = data.partition(b"\r\n\r\n")
    m = re.search(rb"\r\nContent-Length: (\d+)", hdr)
    cl = int(m.group(1)) if m else 0
    while len(rest) < cl:
        d = s.recv(65536)
        if not d:
            break
        rest += d
    return hdr.split()[1].decode(), hdr.decode(errors="replace"), rest[:cl]

for line in sys.stdin:
    cmd, name = line.split()
    try:
        if cmd == "open":
            start(name)
            print("opened", name, flush=True)
        elif cmd == "finish":
            s = conns.pop(name)
            s.sendall(body[1000:])
            st, _, b = reply(s)
            s.close()
            print(name, st, "results" if b'"results"' in b else b[:300].decode(errors="replace"),
                  flush=True)
        elif cmd == "try":
            start(name)
            st, hdr, b = reply(conns.pop(name))
            retry = re.search(r"\r\nRetry-After: *(\S+)", hdr)
            try:
                code = json.loads(b)["error"]["code"]
            except Exception:
                code = "-"
            print(name, st, "retry=%s" % (retry.group(1) if retry else "-"),
                  "close=%d" % ("\r\nConnection: close" in hdr), "code=%s" % code, flush=True)
    except OSError as e:
        print(name, "error", e, flush=True)
PY
export SOCK
coproc SLOW { exec python3 "$IT_TMP/slow.py" "$IT_TMP/body.json"; }
it_bg $SLOW_PID
slow() {
  local line=
  echo "$1" >&"${SLOW[1]}"
  read -r -t 60 line <&"${SLOW[0]}"
  printf '%s\n' "$line"
}

metric() { it_curl http://localhost/metrics | awk -v m="$1" '$1 == m {print $2}'; }
# wait_metric NAME VALUE: polls /metrics (bounded) until NAME is VALUE.
wait_metric() {
  local v= deadline=$((SECONDS + 30))
  while :; do
    v=$(metric "$1")
    [ "$v" = "$2" ] && { it_ok "$1 is $2"; return 0; }
    [ $SECONDS -ge $deadline ] && { it_fail "$1: expected $2, still $v"; return 1; }
    sleep 0.05
  done
}

it_eq "the budget of one loop is max_body_memory" 524288 "$(metric classifyd_body_memory_limit_bytes)"
it_eq "slow client A holds its connection" "opened A" "$(slow "open A")"
it_eq "slow client B holds its connection" "opened B" "$(slow "open B")"
wait_metric classifyd_body_memory_bytes 524288

it_eq "a third 256 KiB body does not fit: 503 from its headers" \
  "C 503 retry=1 close=1 code=body_memory_exhausted" "$(slow "try C")"

out=$(curl -sS --max-time 20 --unix-socket "$SOCK" -D "$IT_TMP/expect.h" \
      -H 'Content-Type: application/json' -H 'Expect: 100-continue' \
      --data-binary @"$IT_TMP/body.json" -w '\nHTTP %{http_code}' http://localhost/v1/classify)
it_match "Expect: 100-continue gets the 503 at once" '^HTTP 503$' "$out"
it_eq "... with the code body_memory_exhausted" body_memory_exhausted \
  "$(head -n 1 <<<"$out" | it_json 'd["error"]["code"]')"
h=$(tr -d '\r' <"$IT_TMP/expect.h")
it_match "... with Retry-After: 1" '^Retry-After: 1$' "$h"
it_match "... and Connection: close" '^Connection: close$' "$h"
if grep -q '100 Continue' <<<"$h"; then it_fail "100 Continue was sent for a body that does not fit"
else it_ok "no 100 Continue"; fi

out=$(curl -sS --max-time 20 --unix-socket "$SOCK" -H 'Content-Type: application/json' \
      -H 'Transfer-Encoding: chunked' -H 'Expect:' --data-binary @"$IT_TMP/body.json" \
      -w '\nHTTP %{http_code}' http://localhost/v1/classify)
it_match "a chunked body that grows past the budget: 503" '^HTTP 503$' "$out"
it_match "... body_memory_exhausted" '"code":"body_memory_exhausted"' "$out"

it_eq "/healthz answers while the bodies are held" 200 "$(it_status http://localhost/healthz)"
small='{"id":"small","title":"국회 예산안 통과","body":"국회는 본회의를 열어 예산안을 통과시켰다."}'
out=$(it_curl -H 'Content-Type: application/json' --data-binary "$small" http://localhost/v1/classify)
it_match "a small article is classified while large bodies hold the budget" '^HTTP 200$' "$out"
it_match "... with its results" '"results"' "$out"
out=$(printf '%s' "$small" | it_curl -H 'Content-Type: application/json' \
      -H 'Transfer-Encoding: chunked' --data-binary @- http://localhost/v1/classify)
it_match "... and so is one sent chunked" '^HTTP 200$' "$out"
it_eq "nothing refused took memory" 524288 "$(metric classifyd_body_memory_bytes)"

it_eq "slow client A sends the rest of its body and gets its reply" "A 200 results" \
  "$(slow "finish A")"
wait_metric classifyd_body_memory_bytes 262144
out=$(it_curl -H 'Content-Type: application/json' -H 'Expect:' \
      --data-binary @"$IT_TMP/body.json" http://localhost/v1/classify)
it_match "with A's memory given back, a new 256 KiB request fits" '^HTTP 200$' "$out"
it_match "... and is classified" '"results"' "$out"
it_eq "slow client B finishes too" "B 200 results" "$(slow "finish B")"
wait_metric classifyd_body_memory_bytes 0
it_eq "three refusals counted" 3 "$(metric classifyd_body_memory_refused_total)"
n=$(grep -c "request refused with 503 body_memory_exhausted" "$DAEMON_LOG")
if [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then it_ok "refusals logged ($n lines)"
else it_fail "refusals logged $n times (expected 1..3)"; fi
it_alive "after the refusals"

# classifyctl batch, refused as busy, waits and sends the same request again:
# the budget is held again by A and B, a batch of 40 articles (one NDJSON
# request of ~80 KiB, counted) is refused at least once, then A and B finish
# and the batch's next try fits. Every article is answered; exit 0.
python3 - "$IT_TMP/batch.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(40):
        f.write(json.dumps({"id": "r%d" % i, "body": "한국은행 금융통화위원회는 기준금리를 동결했다. " * 30},
                           ensure_ascii=False) + "\n")
PY
it_eq "slow client A holds the budget again" "opened A" "$(slow "open A")"
it_eq "slow client B too" "opened B" "$(slow "open B")"
wait_metric classifyd_body_memory_bytes 524288
CLASSIFYD_SOCKET=$SOCK "$BIN/classifyctl" batch --chunk 40 --no-progress -o "$IT_TMP/batch.out" \
  "$IT_TMP/batch.jsonl" >"$IT_TMP/batch.stdout" 2>"$IT_TMP/batch.err" &
batch_pid=$!
wait_metric classifyd_body_memory_refused_total 4
it_eq "A finishes" "A 200 results" "$(slow "finish A")"
it_eq "B finishes" "B 200 results" "$(slow "finish B")"
wait "$batch_pid"
it_eq "batch refused as busy, then retried: exit 0" 0 "$?"
it_match "... saying it waits and retries" \
  'batch \(lines 1-40\): the daemon is busy \(503\), retrying in 1 s \(4 retries left\)' \
  "$(cat "$IT_TMP/batch.err")"
it_eq "... and every article answered" 40 "$(grep -c '"results"' "$IT_TMP/batch.out")"
wait_metric classifyd_body_memory_bytes 0

exec {SLOW[1]}>&-
it_stop_daemon || it_fail "the daemon did not stop cleanly"

# Configuration: a budget that cannot hold one body is refused, with its line.
printf '[limits]\nmax_body = 64K\nmax_body_memory = 32K\n' >"$IT_TMP/small.conf"
msg=$("$BIN/classifyd" --config "$IT_TMP/small.conf" --socket "$SOCK" 2>&1)
rc=$?
it_eq "max_body_memory below max_body: exit 2" 2 "$rc"
it_match "... naming the file and line" "small\.conf:3: max_body_memory" "$msg"

# Four loops share 128K with max_body 64K: each gets max_body, and says so.
it_start_daemon --workers 4 --max-body 64K --max-body-memory 128K
it_eq "each loop's share is at least max_body" 262144 "$(metric classifyd_body_memory_limit_bytes)"
it_match "the larger bound is logged" "is less than max_body \(65536 bytes\) per loop" \
  "$(cat "$DAEMON_LOG")"
