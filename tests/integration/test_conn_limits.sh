#!/usr/bin/env bash
# Connection limits across listeners: unauthenticated TCP clients may hold at
# most three quarters of max_connections, so they cannot lock the Unix
# socket's clients out; a Unix client running as the daemon's user (or root)
# may go 16 over the limit, so an admin call gets through however many
# connections other users hold. And refused admin calls, which anyone who
# reaches the TCP port can send by the thousand, do not flood the log.
. "$(dirname "$0")/lib.sh"
it_init "$@"
it_start_daemon --max-connections 40 --tcp 127.0.0.1:0
port=$(sed -n 's/.* and tcp 127\.0\.0\.1:\([0-9]*\) with .*/\1/p' "$DAEMON_LOG" | tail -n1)
[ -n "$port" ] || it_die "no TCP port in the log"

# 5000 pipelined admin calls over TCP: every one refused, a few log lines.
flood=$(python3 - "$port" <<'EOF'
import socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
got = []
def rd():
    while True:
        b = s.recv(1 << 20)
        if not b: break
        got.append(b)
t = threading.Thread(target=rd); t.start()
s.sendall(b"POST /v1/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" * 5000)
s.shutdown(socket.SHUT_WR); t.join()
print(b"".join(got).count(b"HTTP/1.1 403 "))
EOF
)
it_eq "5000 admin calls over TCP: all refused (403)" 5000 "$flood"
n=$(grep -c "admin call refused" "$DAEMON_LOG")
if [ "$n" -ge 1 ] && [ "$n" -le 30 ]; then it_ok "refusals logged $n times, not 5000"
else it_fail "refusals logged $n times (expected 1..30: at most one line a second)"; fi

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
nobody=0
py=/usr/bin/python3   # not a per-user shim: user nobody runs it too
if [ "$(id -u)" = 0 ] && [ -x "$py" ] && as_nobody "$py" -c "" 2>/dev/null; then
  nobody=1
  chmod 666 "$SOCK"   # user nobody must reach the socket
fi

# held.py KIND N: opens N connections (KIND unix or tcp), checks each is
# served (GET /healthz -> 200, kept alive), prints "held", and keeps them
# open until stdin closes. One more of KIND is then tried: its status is
# printed ("over <status>", 0 when the connection was closed unanswered).
cat > "$IT_TMP/held.py" <<'EOF'
import os, socket, sys, time
kind, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def conn():
    if kind == "tcp":
        return socket.create_connection(("127.0.0.1", port), timeout=10)
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(os.environ["SOCK"]); return s
def get(s):
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        b = s.recv(4096)
        return int(b.split()[1]) if b else 0
    except OSError:
        return 0
held = [conn() for _ in range(n)]
st = [get(s) for s in held]
print("held" if all(x == 200 for x in st) else "held statuses %r" % st, flush=True)
time.sleep(0.3)
print("over %d" % get(conn()), flush=True)
sys.stdin.read()
EOF
export SOCK
coproc TCP { exec python3 "$IT_TMP/held.py" tcp 30 "$port"; }
it_bg $TCP_PID
read -r -t 30 l1 <&"${TCP[0]}"; read -r -t 30 l2 <&"${TCP[0]}"
it_eq "30 TCP connections (3/4 of max_connections 40) are served" "held" "$l1"
it_eq "the 31st TCP connection is refused (503)" "over 503" "$l2"
it_eq "with TCP at its share, a Unix client is still served" 200 "$(it_status http://localhost/healthz)"

if [ $nobody = 1 ]; then
  coproc NB { exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$py" "$IT_TMP/held.py" unix 10 "$port"; }
  it_bg $NB_PID
  read -r -t 30 l1 <&"${NB[0]}"; read -r -t 30 l2 <&"${NB[0]}"
  it_eq "user nobody takes the last 10 of 40 connections" "held" "$l1"
  case $l2 in "over 503"|"over 0") it_ok "user nobody over the limit: refused ($l2)" ;;
              *) it_fail "user nobody over the limit: $l2" ;; esac
  it_eq "at the limit, the daemon's user still gets an admin reload through" 200 \
    "$(it_status -X POST http://localhost/v1/reload)"
  coproc AD { exec python3 "$IT_TMP/held.py" unix 16 "$port"; }
  it_bg $AD_PID
  read -r -t 30 l1 <&"${AD[0]}"; read -r -t 30 l2 <&"${AD[0]}"
  it_eq "the daemon's user may open 16 over the limit" "held" "$l1"
  case $l2 in "over 503"|"over 0") it_ok "but not 17 ($l2)" ;; *) it_fail "17 over the limit: $l2" ;; esac
else
  echo "skip: user nobody cases (needs root and setpriv)"
fi

# A small max_connections: three quarters of 2 or 3 rounded up was every
# slot, so TCP could still lock the Unix socket's clients out. One slot of
# 2 stays for them.
for p in "${IT_BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
IT_BG_PIDS=()
it_stop_daemon
it_start_daemon --max-connections 2 --tcp 127.0.0.1:0
port=$(sed -n 's/.* and tcp 127\.0\.0\.1:\([0-9]*\) with .*/\1/p' "$DAEMON_LOG" | tail -n1)
coproc TCP2 { exec python3 "$IT_TMP/held.py" tcp 1 "$port"; }
it_bg $TCP2_PID
read -r -t 30 l1 <&"${TCP2[0]}"; read -r -t 30 l2 <&"${TCP2[0]}"
it_eq "max_connections 2: one TCP connection is served" "held" "$l1"
it_eq "max_connections 2: the second TCP connection is refused (503)" "over 503" "$l2"
if [ $nobody = 1 ]; then
  chmod 666 "$SOCK"
  it_eq "max_connections 2, TCP at its share: user nobody is still served" 200 \
    "$(as_nobody curl -sS --max-time 20 --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' \
       http://localhost/healthz)"
fi
