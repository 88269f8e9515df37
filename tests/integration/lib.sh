# Shared helpers for the integration tests (sourced, not run).
#
# Each tests/integration/test_*.sh is run by ctest as
#     bash test_X.sh <build dir> <source dir>
# and starts with
#     . "$(dirname "$0")/lib.sh"; it_init "$@"
# which creates a private temporary directory and installs an EXIT trap that
# always stops the daemon (SIGTERM, then SIGKILL), kills every helper process
# the test registered with it_bg, and removes the directory. Every wait is
# bounded, so a hung daemon fails the test instead of hanging the suite.
#
# Models: the repository's models/*.cfdm when all three default models are
# there; otherwise small models are trained once into the temporary directory
# with build/bin/classifyd-train from ../shared/data (so the tests run before
# the default models are committed).
#
# Set CFD_VALGRIND=1 to run the daemon under valgrind memcheck (slower; the
# test then fails if valgrind reports an error). Set CFD_IT_KEEP=1 to keep the
# temporary directory for inspection. CFD_IT_DAEMON_ARGS adds flags to every
# daemon start (e.g. "--enable topic,section,sentiment").

set -uo pipefail

it_init() {
  BUILD=$(cd "${1:?usage: test.sh BUILD_DIR SOURCE_DIR}" && pwd)
  SRC=$(cd "${2:?usage: test.sh BUILD_DIR SOURCE_DIR}" && pwd)
  BIN=$BUILD/bin
  PLUGINS=$BUILD/lib/classifyd/plugins
  DATA=$SRC/../shared/data
  IT_NAME=$(basename "$0" .sh)
  IT_TMP=$(mktemp -d "/tmp/cfd-$IT_NAME.XXXXXX")
  chmod 755 "$IT_TMP"        # another user may need to reach the socket
  SOCK=$IT_TMP/d.sock
  DAEMON_PID=
  DAEMON_LOG=$IT_TMP/daemon.log
  IT_BG_PIDS=()
  IT_FAILS=0
  trap it_cleanup EXIT
  trap 'exit 130' INT TERM
  for t in curl socat python3; do
    command -v "$t" >/dev/null || { echo "SKIP-FAIL: $t is not installed (scripts/deps.sh test)"; exit 1; }
  done
  [ -x "$BIN/classifyd" ] || it_die "$BIN/classifyd not built"
  [ -x "$BIN/classifyctl" ] || it_die "$BIN/classifyctl not built"
}

it_cleanup() {
  local rc=$?
  for p in "${IT_BG_PIDS[@]}"; do
    kill "$p" 2>/dev/null
  done
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null
    it_wait_pid "$DAEMON_PID" 15 || kill -KILL "$DAEMON_PID" 2>/dev/null
  fi
  it_valgrind_check
  if [ $rc -ne 0 ] || [ "$IT_FAILS" -ne 0 ]; then
    echo "---- last lines of the daemon log ($DAEMON_LOG)"
    tail -n 30 "$DAEMON_LOG" 2>/dev/null
  fi
  if [ -z "${CFD_IT_KEEP:-}" ]; then
    rm -rf "$IT_TMP"
  else
    echo "kept $IT_TMP"
  fi
  if [ $rc -eq 0 ] && [ "$IT_FAILS" -ne 0 ]; then
    echo "FAILED: $IT_FAILS check(s) in $IT_NAME"
    exit 1
  fi
  exit $rc
}

it_die() { echo "FATAL: $*" >&2; IT_FAILS=$((IT_FAILS + 1)); exit 1; }
it_fail() { echo "FAIL: $*" >&2; IT_FAILS=$((IT_FAILS + 1)); }
it_ok() { echo "ok: $*"; }
it_bg() { IT_BG_PIDS+=("$1"); }

# it_check "description" CMD...: runs CMD, counts a failure if it fails.
it_check() {
  local what=$1; shift
  if "$@"; then it_ok "$what"; else it_fail "$what"; fi
}

# it_eq "description" EXPECTED ACTUAL
it_eq() {
  if [ "$2" == "$3" ]; then it_ok "$1"; else it_fail "$1: expected [$2], got [$3]"; fi
}

# it_match "description" REGEX TEXT (grep -E)
it_match() {
  # a here-string, not a pipe: grep -q exiting early must not fail the pipe
  if grep -Eq -- "$2" <<<"$3"; then it_ok "$1"
  else it_fail "$1: [$2] not found in: $(printf '%s' "$3" | head -c 600)"; fi
}

# Waits up to $2 seconds for process $1 to exit; 0 if it did.
it_wait_pid() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.05
  done
  return 0
}

# JSON field extraction with python (no jq dependency): it_json 'expr' <<< json
# where expr is evaluated with `d` bound to the parsed document.
it_json() { python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print(json.dumps(v, ensure_ascii=False) if isinstance(v,(dict,list,tuple,bool)) or v is None else v)' "$1"; }

# curl over the daemon socket, bounded; prints the body, then "\nHTTP <code>".
it_curl() { curl -sS --max-time 20 --unix-socket "$SOCK" -w '\nHTTP %{http_code}' "$@"; }
# Only the status code.
it_status() { curl -sS --max-time 20 --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' "$@"; }

# Raw bytes to the socket with socat; prints what came back. $1 = seconds to
# wait after the input ends.
it_raw() { socat -t "${1:-2}" -T 20 - "UNIX-CONNECT:$SOCK"; }

# A normal request succeeds: the daemon still serves new connections.
it_alive() {
  local out
  out=$(it_curl -H 'Content-Type: application/json' \
        --data-binary '{"id":"alive","body":"국회에서 예산안이 통과됐다."}' \
        http://localhost/v1/classify 2>&1)
  if grep -q '^HTTP 200$' <<<"$out" && grep -q '"results"' <<<"$out"; then
    it_ok "daemon still serves ${1:-}"
  else
    it_fail "daemon no longer serves ${1:-}: $out"
  fi
}

# Sets MODELS to a private copy of the repository's models directory (tests
# add and swap files there without touching the repository), training a
# small stand-in for any of the three default models not committed yet.
it_models() {
  MODELS=$IT_TMP/models
  mkdir -p "$MODELS"
  cp -R "$SRC"/models/. "$MODELS"/ 2>/dev/null
  [ -f "$MODELS/section.cfdm" ] || it_train section "$DATA/news8/train.tsv" "$MODELS/section.cfdm" || return 1
  if [ ! -f "$MODELS/topic.cfdm" ]; then
    awk 'NR % 8 == 0' "$DATA/ynat/train.tsv" > "$IT_TMP/topic.tsv"
    it_train topic "$IT_TMP/topic.tsv" "$MODELS/topic.cfdm" || return 1
  fi
  [ -f "$MODELS/sentiment.cfdm" ] ||
    it_train sentiment "$DATA/finance-sentiment/train.tsv" "$MODELS/sentiment.cfdm" || return 1
}

# it_train NAME DATA OUT [extra classifyd-train options]
it_train() {
  local name=$1 data=$2 out=$3; shift 3
  [ -x "$BIN/classifyd-train" ] || { it_fail "$BIN/classifyd-train not built"; return 1; }
  # Small and uncalibrated: fast to train, the same code paths to serve.
  if ! timeout 300 "$BIN/classifyd-train" train --name "$name" --data "$data" --out "$out" \
       --calib-folds 0 --buckets 18 --quiet "$@" \
       > "$IT_TMP/train-$name.log" 2>&1; then
    it_fail "classifyd-train train $name failed: $(tail -5 "$IT_TMP/train-$name.log")"
    return 1
  fi
}

# Starts the daemon on $SOCK with $MODELS and the built plugins, extra flags
# after; waits (bounded) until /readyz says ready. Fails the test otherwise.
it_start_daemon() {
  [ -n "${MODELS:-}" ] || it_models || it_die "no models to serve"
  local wrap=()
  if [ -n "${CFD_VALGRIND:-}" ]; then
    wrap=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
          --log-file="$IT_TMP/valgrind.%p.log")
  fi
  rm -f "$SOCK"
  "${wrap[@]}" "$BIN/classifyd" --socket "$SOCK" --models "$MODELS" --plugins "$PLUGINS" \
      --log-level info ${CFD_IT_DAEMON_ARGS:-} "$@" >>"$DAEMON_LOG" 2>&1 &
  DAEMON_PID=$!
  local limit=${CFD_IT_START_TIMEOUT:-30}
  [ -n "${CFD_VALGRIND:-}" ] && limit=${CFD_IT_START_TIMEOUT:-120}
  local deadline=$((SECONDS + limit))
  until [ "$(it_status http://localhost/readyz 2>/dev/null)" = "200" ]; do
    kill -0 "$DAEMON_PID" 2>/dev/null || it_die "classifyd exited at start: $(tail -20 "$DAEMON_LOG")"
    [ $SECONDS -ge $deadline ] && it_die "classifyd not ready after $limit s"
    sleep 0.1
  done
}

# Sends SIGTERM and waits; returns the daemon's exit status (or 124 if it
# had to be killed).
it_stop_daemon() {
  [ -n "$DAEMON_PID" ] || return 0
  kill -TERM "$DAEMON_PID" 2>/dev/null
  if ! it_wait_pid "$DAEMON_PID" 20; then
    kill -KILL "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null
    DAEMON_PID=
    return 124
  fi
  local rc=0
  wait "$DAEMON_PID" 2>/dev/null || rc=$?
  DAEMON_PID=
  it_valgrind_check
  return $rc
}

# Under CFD_VALGRIND: fails the test once for every daemon run memcheck
# found errors in (each run's log is checked once).
it_valgrind_check() {
  [ -n "${CFD_VALGRIND:-}" ] || return 0
  local f
  for f in "$IT_TMP"/valgrind.*.log; do
    [ -f "$f" ] || continue
    if grep -q "ERROR SUMMARY: [1-9]" "$f"; then
      it_fail "valgrind reported errors ($f): $(grep -m1 -A12 "Invalid\|uninitialised\|definitely lost" "$f")"
    fi
    mv "$f" "$f.checked"
  done
}

# Resident memory of the daemon in KiB.
it_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON_PID/status"; }

# A short Korean news article used by several tests.
IT_ARTICLE='{"id":"t1","title":"한국은행, 기준금리 연 3.5%로 동결","body":"한국은행 금융통화위원회는 물가 상승세 둔화와 환율 변동성을 고려해 기준금리를 동결했다. 시장에서는 연내 인하 가능성을 점치고 있다."}'
