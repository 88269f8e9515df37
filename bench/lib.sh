# Shared by the bench scripts (source it; bash).
#
# cfd_start_daemon BIN_DIR SOCK MODELS_DIR PLUGIN_DIR LOG [FLAG...]
#   Starts BIN_DIR/classifyd in the background on SOCK (log level warn,
#   stderr appended to LOG, extra daemon flags after LOG), sets $pid to it,
#   and waits up to 30 s until
#   /readyz answers 200. If the daemon exits or is not ready in time, prints
#   LOG on stderr and returns 1 (the caller's cleanup stops it).
cfd_start_daemon() {
  local bindir=$1 sock=$2 models=$3 plugins=$4 log=$5
  shift 5
  "$bindir/classifyd" --socket "$sock" --models "$models" --plugins "$plugins" \
    --log-level warn "$@" 2>>"$log" &
  pid=$!
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" http://x/readyz || true)" = 200 ] &&
      return 0
    kill -0 "$pid" 2>/dev/null || { echo "classifyd exited:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "classifyd not ready after 30 s:" >&2
  cat "$log" >&2
  return 1
}
