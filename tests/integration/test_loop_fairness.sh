#!/usr/bin/env bash
# One loop serves many connections (server.h): a big NDJSON batch must not
# hold it for the whole batch. With one worker loop, client A sends a batch
# of about 1 MiB of headlines (over a second of classifying) and reads its
# reply lines as they stream; client B, once A's first line is back, asks
# GET /healthz and POST /v1/classify. B must be answered while A's batch is
# still being classified (the batch yields the loop every few ms), and A's
# batch must still come back whole and in order, its body reserved in the
# loop's body memory while it streams and given back when it is done. No
# durations are asserted: only the order of events.
. "$(dirname "$0")/lib.sh"
it_init "$@"
[ -f "$DATA/ynat/dev.tsv" ] || it_die "needs ../shared/data/ynat/dev.tsv"
it_start_daemon --workers 1

out=$(python3 - "$SOCK" "$DATA/ynat/dev.tsv" <<'EOF'
import json, socket, sys, threading
sock, data = sys.argv[1], sys.argv[2]
heads = [l.rstrip("\n").split("\t", 1)[1] for l in open(data, encoding="utf-8")]
lines, size, i = [], 0, 0
while True:
    ln = json.dumps({"id": str(i), "body": heads[i % len(heads)]}, ensure_ascii=False).encode() + b"\n"
    if size + len(ln) > 1000000:
        break
    lines.append(ln); size += len(ln); i += 1
body = b"".join(lines)
a = socket.socket(socket.AF_UNIX); a.connect(sock); a.settimeout(120)
a.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
          b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
events, lock = [], threading.Lock()
got = bytearray()
first = threading.Event()
def read_a():
    while True:
        b = a.recv(1 << 16)
        if not b:
            break
        got.extend(b)
        if b"\"id\":\"0\"" in got:
            first.set()
    with lock:
        events.append("A done")
    first.set()
t = threading.Thread(target=read_a); t.start()
first.wait(120)
def ask(req):
    b = socket.socket(socket.AF_UNIX); b.connect(sock); b.settimeout(120)
    b.sendall(req)
    r = b.recv(1 << 16)
    b.close()
    return r.split(b" ", 2)[1].decode() if r else "none"
st1 = ask(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
art = json.dumps({"body": heads[0]}, ensure_ascii=False).encode()
st2 = ask(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(art) + art)
# The batch's body stays reserved while the batch yields (body_budget.h).
m = socket.socket(socket.AF_UNIX); m.connect(sock); m.settimeout(120)
m.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
metrics = b""
while True:
    r = m.recv(1 << 16)
    if not r:
        break
    metrics += r
m.close()
held = [int(l.split()[1]) for l in metrics.decode().splitlines()
        if l.startswith("classifyd_body_memory_bytes ")]
with lock:
    events.append("B answered %s %s" % (st1, st2))
    a_running = "A done" not in events
t.join()
text = bytes(got).decode("utf-8", "replace")
body_part = text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""
# chunked or not: the reply lines are the ones that parse as objects with an id
ids = []
for l in body_part.split("\n"):
    l = l.strip()
    if l.startswith("{"):
        try:
            ids.append(int(json.loads(l)["id"]))
        except (ValueError, KeyError):
            pass
print(" | ".join(events))
print("batch body reserved while it streams: %s" %
      ("yes" if held and held[0] >= len(body) else "A had finished" if not a_running else held))
print("lines %d of %d, in order %s" % (len(ids), len(lines), ids == list(range(len(lines)))))
EOF
)
echo "$out"
it_eq "B is answered while A's 1 MB batch is still being classified" \
  "B answered 200 200 | A done" "$(head -n 1 <<<"$out")"
it_match "A's batch comes back whole and in order" '^lines ([0-9]+) of \1, in order True$' \
  "$(tail -n 1 <<<"$out")"
it_eq "the batch's body memory is held while it streams" \
  "batch body reserved while it streams: yes" "$(sed -n 2p <<<"$out")"
it_eq "the daemon still answers" 200 "$(it_status http://localhost/healthz)"
it_eq "and, the batch done, holds no body memory" 0 \
  "$(it_curl http://localhost/metrics | awk '$1 == "classifyd_body_memory_bytes" {print $2}')"
it_stop_daemon; rc=$?
it_eq "daemon exits 0 on SIGTERM" 0 $rc
