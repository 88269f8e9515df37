#!/usr/bin/env bash
# Signals while the daemon starts (found by review): the socket file exists
# before the models are loaded, and SIGHUP/SIGTERM used to keep their default
# action until the event loops ran, so a SIGHUP sent then (a deploy that
# copies a model and reloads, logrotate) killed the daemon and left its
# socket file behind. Now they wait until the handlers are in place:
#   - SIGHUP at start: the daemon comes up, serves, and reloads once;
#   - SIGUSR1 at start (reopen the request log): the daemon comes up;
#   - SIGTERM at start: the daemon exits 0 and removes its socket.
. "$(dirname "$0")/lib.sh"
it_init "$@"
it_models || it_die "no models"

# Starts the daemon and sends $1 as soon as its socket file appears.
start_and_signal() {
  rm -f "$SOCK"
  "$BIN/classifyd" --socket "$SOCK" --models "$MODELS" --plugins "$PLUGINS" \
      --log-level info ${CFD_IT_DAEMON_ARGS:-} >>"$DAEMON_LOG" 2>&1 &
  DAEMON_PID=$!
  local deadline=$((SECONDS + 30))
  until [ -S "$SOCK" ]; do
    kill -0 "$DAEMON_PID" 2>/dev/null || it_die "classifyd exited at start: $(tail -20 "$DAEMON_LOG")"
    [ $SECONDS -ge $deadline ] && it_die "no socket after 30 s"
    sleep 0.005
  done
  kill "-$1" "$DAEMON_PID"
}

# Sends $1 as the socket appears and waits until the daemon is ready; it
# must still be running (the signal waited for the handlers).
survives_startup_signal() {
  start_and_signal "$1"
  local deadline=$((SECONDS + 30))
  until [ "$(it_status http://localhost/readyz 2>/dev/null)" = "200" ]; do
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    [ $SECONDS -ge $deadline ] && break
    sleep 0.1
  done
  if kill -0 "$DAEMON_PID" 2>/dev/null; then
    it_ok "SIG$1 during start-up: the daemon is still running"
  else
    wait "$DAEMON_PID"; rc=$?
    DAEMON_PID=
    it_die "SIG$1 during start-up killed the daemon (exit status $rc)"
  fi
}

survives_startup_signal HUP
it_alive "after a SIGHUP during start-up"
deadline=$((SECONDS + 30))
until grep -q "SIGHUP: reload done" "$DAEMON_LOG" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
it_eq "the SIGHUP was handled as a reload" 1 "$(grep -c 'SIGHUP: reload done' "$DAEMON_LOG")"
it_stop_daemon; rc=$?
it_eq "then exits 0 on SIGTERM" 0 $rc

# SIGUSR1 (reopen the request log) at start: waits too, the daemon comes up.
survives_startup_signal USR1
it_stop_daemon; rc=$?
it_eq "then exits 0 on SIGTERM" 0 $rc

start_and_signal TERM
if it_wait_pid "$DAEMON_PID" 30; then
  rc=0; wait "$DAEMON_PID" || rc=$?
  DAEMON_PID=
  it_eq "SIGTERM during start-up: exit 0 (a clean stop)" 0 $rc
else
  it_fail "SIGTERM during start-up: still running after 30 s"
fi
it_eq "and the socket file is removed" no "$([ -e "$SOCK" ] && echo yes || echo no)"
