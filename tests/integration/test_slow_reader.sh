#!/usr/bin/env bash
# Bounded write queues: clients that pipeline many requests and never read
# their replies cannot make the daemon's memory grow without bound.
#
# 16 connections each write GET /metrics (a 40-byte request, a reply of
# several KB: the worst ratio of output to input the daemon has) and
# POST /v1/classify requests, pipelined, as fast as the socket takes them,
# and never read. conn.h's rule: once a connection has more than
# max_pending_output bytes of replies waiting, it stops reading, so the
# kernel's socket buffers fill and the client is blocked. Checked:
#   - every client is blocked within the first seconds (it could not send
#     more than a bounded amount), i.e. the daemon stopped reading;
#   - the daemon's RSS, sampled meanwhile, grows by less than a bound that
#     is far below what the clients tried to send;
#   - a well-behaved client is served meanwhile;
#   - after idle_timeout without write progress, the daemon closes the
#     stuck connections (they see EOF/reset), and open connections go back
#     to where they were.
. "$(dirname "$0")/lib.sh"
it_init "$@"

CONNS=16
IDLE=4
it_start_daemon --idle-timeout ${IDLE}s --max-pending-output 64K

rss0=$(it_rss_kb)
metrics0=$(it_curl http://localhost/metrics)
open0=$(printf '%s\n' "$metrics0" | awk '/^classifyd_open_connections /{print $2}')

# Sample RSS every 0.2 s while the clients run.
(while kill -0 "$DAEMON_PID" 2>/dev/null; do it_rss_kb; sleep 0.2; done) >"$IT_TMP/rss.txt" 2>/dev/null &
it_bg $!

cat >"$IT_TMP/flood.py" <<'PY'
import json, socket, sys, time
path, conns, flood_s, hold_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
body = json.dumps({"title": "한국은행 기준금리 동결", "body": "금융통화위원회는 물가와 수출을 고려해 금리를 동결했다. " * 8},
                  ensure_ascii=False).encode()
post = (b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)) + body
get = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
batch = (get * 20 + post) * 20
socks = []
for _ in range(conns):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    socks.append(s)
sent = [0] * conns
last_progress = [time.time()] * conns
end = time.time() + flood_s
while time.time() < end:
    for i, s in enumerate(socks):
        try:
            k = s.send(batch)
        except BlockingIOError:
            k = 0
        except OSError:
            k = 0
        if k > 0:
            sent[i] += k
            last_progress[i] = time.time()
    time.sleep(0.001)
now = time.time()
stuck_for = [now - t for t in last_progress]
# Never read during the flood; now wait past the idle timeout and see
# whether the daemon closed each connection (EOF or reset after draining).
time.sleep(hold_s)
closed = 0
for s in socks:
    try:
        while True:
            d = s.recv(1 << 16)
            if not d:
                closed += 1
                break
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print(json.dumps({"sent_min": min(sent), "sent_max": max(sent), "sent_total": sum(sent),
                  "stuck_min_s": round(min(stuck_for), 2), "closed": closed}))
PY

timeout 60 python3 "$IT_TMP/flood.py" "$SOCK" $CONNS 4 $((IDLE + 3)) >"$IT_TMP/flood.json" &
flood=$!
it_bg $flood
sleep 1.5
it_alive "while $CONNS clients do not read"
wait $flood || it_fail "flood client failed"
res=$(cat "$IT_TMP/flood.json")
echo "flood: $res"

rss_peak=$(sort -n "$IT_TMP/rss.txt" | tail -1)
growth_kb=$(( ${rss_peak:-0} - rss0 ))
sent_total=$(it_json 'd["sent_total"]' <<<"$res")
echo "daemon RSS: $rss0 KiB before, peak $rss_peak KiB (+$growth_kb KiB); clients sent $sent_total bytes in total"

# Blocked: each client stopped making progress long before the flood ended
# (it ran 4 s), having sent a bounded amount.
stuck=$(it_json 'd["stuck_min_s"]' <<<"$res")
it_check "every non-reading client was blocked (no progress for >= 1 s of 4)" \
  python3 -c "import sys; sys.exit(0 if float('$stuck') >= 1.0 else 1)"
sent_max=$(it_json 'd["sent_max"]' <<<"$res")
it_check "no client got more than 4 MB into the daemon (sent at most $sent_max bytes)" \
  test "$sent_max" -lt $((4 << 20))

# Memory: per connection at most one 64 KiB read of input plus 64 KiB of
# replies plus one reply, and the socket buffers are the kernel's. 16 such
# connections fit in a few MB; allow 24 MB (sanitizer builds keep freed
# memory in quarantine: 256 MB there).
limit_kb=$((24 << 10))
[ -n "${CFD_SANITIZED:-}" ] && limit_kb=$((256 << 10))
it_check "RSS growth ${growth_kb} KiB stays under ${limit_kb} KiB" test "$growth_kb" -lt "$limit_kb"

closed=$(it_json 'd["closed"]' <<<"$res")
it_eq "the daemon closed every stuck connection after the idle timeout" "$CONNS" "$closed"

open1=$(it_curl http://localhost/metrics | awk '/^classifyd_open_connections /{print $2}')
it_eq "open connections back to where they were" "$open0" "$open1"
it_alive "after the flood"

it_stop_daemon; rc=$?
it_eq "daemon exits 0 on SIGTERM" 0 "$rc"
