#!/usr/bin/env bash
# The systemd unit and sysusers file `cmake --install` writes
# (etc/classifyd.service.in, etc/classifyd.sysusers): systemd's own checkers
# accept them without a warning, the unit runs as the user the sysusers file
# creates, the daemon accepts the command line the unit starts it with, and
# it sends the Type=notify messages the unit relies on.
# The unit names the install paths, which a test cannot use, so the checks
# run on a copy whose ExecStart points at this build's daemon and the
# repository's example config.
. "$(dirname "$0")/lib.sh"
it_init "$@"
for t in systemd-analyze systemd-sysusers; do
  command -v "$t" >/dev/null || it_die "$t is not installed (scripts/deps.sh test installs systemd)"
done

unit=$BUILD/etc/classifyd.service
[ -f "$unit" ] || it_die "$unit not generated (cmake configures it from etc/classifyd.service.in)"
grep -q '@' "$unit" && it_fail "unit has an unsubstituted @VAR@: $(grep '@' "$unit")"

exec_line=$(sed -n 's/^ExecStart=//p' "$unit")
it_match "ExecStart runs the installed daemon with the installed config" \
  '^/[^ ]*/sbin/classifyd --config /[^ ]*/classifyd/classifyd\.conf$' "$exec_line"

# systemd-analyze verify: unknown keys and bad values are warnings on stderr
# (exit 0), a missing executable an error; any output at all fails here.
mkdir -p "$IT_TMP/unit"
sed "s|^ExecStart=.*|ExecStart=$BIN/classifyd --config $SRC/etc/classifyd.conf|" "$unit" \
  > "$IT_TMP/unit/classifyd.service"
out=$(cd "$IT_TMP/unit" && systemd-analyze verify ./classifyd.service 2>&1); rc=$?
it_eq "systemd-analyze verify: exit 0" 0 $rc
it_eq "systemd-analyze verify: no warning" "" "$out"
# ...and the check itself notices a misspelt key (it would pass anything
# if systemd-analyze stopped reading the file).
sed 's/^NoNewPrivileges=/NoNewPrivilges=/' "$IT_TMP/unit/classifyd.service" > "$IT_TMP/unit/bad.service"
out=$(cd "$IT_TMP/unit" && systemd-analyze verify ./bad.service 2>&1)
it_match "systemd-analyze verify flags a misspelt key" "Unknown key 'NoNewPrivilges'" "$out"

# systemd-sysusers creates the user and group the unit runs as.
out=$(systemd-sysusers --dry-run "$SRC/etc/classifyd.sysusers" 2>&1); rc=$?
it_eq "systemd-sysusers --dry-run: exit 0" 0 $rc
user=$(sed -n 's/^User=//p' "$unit"); group=$(sed -n 's/^Group=//p' "$unit")
it_match "sysusers creates the unit's user" "Creating user '$user'" "$out"
it_match "sysusers creates the unit's group" "Creating group '$group'" "$out"

# Type=notify: the daemon tells the service manager when it is ready (only
# once it serves: /readyz answers 200 at that moment), reloading, stopping.
# A datagram socket stands in for systemd's $NOTIFY_SOCKET.
it_models || it_die "no models"
out=$(python3 - "$BIN/classifyd" "$SOCK" "$MODELS" "$PLUGINS" "$IT_TMP/notify.sock" <<'PY'
import os, signal, socket, subprocess, sys, time, http.client
daemon, sock, models, plugins, npath = sys.argv[1:6]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); n.bind(npath); n.settimeout(30)
env = dict(os.environ, NOTIFY_SOCKET=npath)
p = subprocess.Popen([daemon, "--socket", sock, "--models", models, "--plugins", plugins,
                      "--log-level", "warn"], env=env)
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sock)
def readyz():
    c = C("x"); c.request("GET", "/readyz"); return c.getresponse().status
def wait_for(word):
    while True:
        msg = n.recv(4096).decode()
        if word in msg.split("\n"):
            return msg
try:
    wait_for("READY=1"); print("ready", readyz())
    # systemd >= 253 pairs a reload with its message by MONOTONIC_USEC: a
    # time taken between the signal and the message (no duration bound)
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    p.send_signal(signal.SIGHUP); m = wait_for("RELOADING=1")
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    us = [l for l in m.split("\n") if l.startswith("MONOTONIC_USEC=")]
    print("monotonic", "ok" if us and before <= int(us[0].split("=")[1]) <= after else repr(m))
    wait_for("READY=1"); print("reloaded", readyz())
    p.send_signal(signal.SIGTERM); wait_for("STOPPING=1"); print("stopping")
    print("exit", p.wait(30))
except Exception as e:
    print("error", repr(e)); p.kill()
PY
)
it_eq "Type=notify: READY=1 when /readyz is 200, RELOADING=1 (with MONOTONIC_USEC) then READY=1 on SIGHUP, STOPPING=1, exit 0" \
  "ready 200 monotonic ok reloaded 200 stopping exit 0" "$(echo $out)"

# A plugin without a model: the daemon still starts (the model can be
# fixed by a reload), and its status line says classify answers 503.
mkdir -p "$IT_TMP/partial"
for f in "$MODELS"/*; do [ "$(basename "$f")" = topic.cfdm ] || cp "$f" "$IT_TMP/partial/"; done
out=$(python3 - "$BIN/classifyd" "$IT_TMP/p.sock" "$IT_TMP/partial" "$PLUGINS" "$IT_TMP/notify2.sock" <<'PY'
import os, signal, socket, subprocess, sys
daemon, sock, models, plugins, npath = sys.argv[1:6]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); n.bind(npath); n.settimeout(30)
p = subprocess.Popen([daemon, "--socket", sock, "--models", models, "--plugins", plugins,
                      "--log-level", "error"], env=dict(os.environ, NOTIFY_SOCKET=npath))
try:
    while True:
        msg = n.recv(4096).decode()
        if "READY=1" in msg.split("\n"):
            print([l for l in msg.split("\n") if l.startswith("STATUS=")]); break
finally:
    p.send_signal(signal.SIGTERM); p.wait(30)
PY
)
it_match "a plugin without a model: READY=1 with a status saying classify answers 503" \
  "a plugin has no model: classify answers 503" "$out"

# Journal-style log lines ("<N>" prefixes, no timestamps) only when
# JOURNAL_STREAM names the stream standard error really is: the variable is
# inherited by processes whose stderr is a terminal or a file.
JOURNAL_STREAM=8:1234 "$BIN/classifyd" --socket "$IT_TMP/j.sock" --models "$MODELS" \
  --plugins "$PLUGINS" --check-config >/dev/null 2>"$IT_TMP/j1.err"
it_check "an inherited JOURNAL_STREAM naming another stream: timestamps, no <N> prefix" \
  sh -c "test -s '$IT_TMP/j1.err' && ! grep -q '^<[0-7]>' '$IT_TMP/j1.err'"
: > "$IT_TMP/j2.err"
js=$(stat -c '%d:%i' "$IT_TMP/j2.err")
JOURNAL_STREAM=$js "$BIN/classifyd" --socket "$IT_TMP/j.sock" --models "$MODELS" \
  --plugins "$PLUGINS" --check-config >/dev/null 2>>"$IT_TMP/j2.err"
it_match "JOURNAL_STREAM naming standard error: <N> prefixes" '^<[0-7]>' "$(head -n 1 "$IT_TMP/j2.err")"

# The daemon accepts the unit's command line (socket moved to a temporary
# directory: /run/classifyd is the service's own). --check-config loads
# the plugins and models and exits 0 when all is well.
read -r -a argv <<<"$(sed -n 's/^ExecStart=//p' "$IT_TMP/unit/classifyd.service")"
out=$(cd "$SRC" && "${argv[@]}" --socket "$IT_TMP/c.sock" --check-config 2>&1); rc=$?
it_eq "the unit's command line passes --check-config" 0 $rc
[ $rc = 0 ] || echo "$out" | tail -5 >&2
