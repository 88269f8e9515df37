#!/usr/bin/env bash
# classifyctl where the happy path ends: a daemon that closes idle
# keep-alive connections while batch waits on a slow reader, an NDJSON
# request the daemon refuses whole (also on several connections at once,
# each error printed as a whole line), error lines past the first request,
# output that cannot be written, an empty article, the progress bar on a
# terminal shared with the replies; and scripts/deps.sh as a user who cannot
# install packages.
. "$(dirname "$0")/lib.sh"
it_init "$@"
# script(1) gives classifyctl a terminal in 1b and 4: a check that quietly
# did not run would pass for one that ran.
command -v script >/dev/null || it_die "script(1) is not installed (util-linux / bsdutils)"
it_start_daemon --idle-timeout 1s
export CLASSIFYD_SOCKET=$SOCK
ctl() { timeout 120 "$BIN/classifyctl" "$@"; }

# 1. batch --jobs 2 with its output read slowly: the workers' connections sit
#    idle longer than the daemon's idle timeout and are closed under them.
head -3000 "$DATA/ynat/dev.tsv" > "$IT_TMP/dev.tsv"
ctl batch -j 2 --chunk 16 --no-progress -o - "$IT_TMP/dev.tsv" 2>"$IT_TMP/idle.err" |
  { sleep 4; wc -l > "$IT_TMP/idle.n"; }
rc=${PIPESTATUS[0]}
it_eq "batch survives the daemon closing idle connections (exit 0)" 0 "$rc"
it_eq "batch after idle closes: every reply written" 3000 "$(tr -d ' ' < "$IT_TMP/idle.n")"
[ "$rc" -eq 0 ] || cat "$IT_TMP/idle.err"

# 1b. classify with no FILE at a terminal says it is reading the terminal
#     (it sat silent); script(1) gives it a terminal with nothing typed.
out=$(script -qc "timeout 5 $BIN/classifyctl classify" /dev/null </dev/null 2>&1)
it_match "classify at a terminal: says what it is waiting for" \
  'reading the article from the terminal; end it with Ctrl-D' "$out"
out=$(printf 'text' | ctl classify 2>&1 >/dev/null)
case $out in *"from the terminal"*) it_fail "classify from a pipe talks about a terminal: $out";; esac

# 2. The daemon's error line names the line of the input file, not of the
#    request it was sent in (line 70 is in the second request of 64).
for i in $(seq 1 69); do
  printf '{"id":"a%d","body":"국회 본회의에서 예산안 %d건이 통과됐다."}\n' "$i" "$i"
done > "$IT_TMP/70.jsonl"
echo '{"id":"a70","title":5}' >> "$IT_TMP/70.jsonl"
for j in 1 2; do
  ctl batch -j $j --no-progress -o "$IT_TMP/70.out" "$IT_TMP/70.jsonl" >/dev/null 2>&1
  it_eq "batch -j $j: the error line says line 70 of the file" 70 \
    "$(tail -1 "$IT_TMP/70.out" | it_json 'd["line"]')"
done

# 3. Output that cannot be written is an error (exit 4), not a success.
ctl batch --no-progress -o /dev/full "$IT_TMP/70.jsonl" >/dev/null 2>"$IT_TMP/full.err"; rc=$?
it_eq "batch -o /dev/full: exit 4" 4 "$rc"
it_match "batch -o /dev/full: says the output is incomplete" \
  'writing --output /dev/full failed: No space left on device' "$(cat "$IT_TMP/full.err")"
ctl batch --no-progress -o - "$IT_TMP/70.jsonl" >/dev/full 2>"$IT_TMP/full.err"; rc=$?
it_eq "batch -o - to a full disk: exit 4" 4 "$rc"
echo '국회 본회의에서 예산안이 통과됐다.' > "$IT_TMP/a.txt"
ctl classify "$IT_TMP/a.txt" >/dev/full 2>"$IT_TMP/full.err"; rc=$?
it_eq "classify to a full disk: exit 4" 4 "$rc"
it_match "classify to a full disk: says so" 'writing to standard output failed' \
  "$(cat "$IT_TMP/full.err")"

# A plugin name that cannot be one is a usage error (exit 2) that says the
# rule, for rollback as for reload; nothing is sent.
for cmd in rollback reload; do
  ctl "$cmd" 'Topic!' >/dev/null 2>"$IT_TMP/name.err"; rc=$?
  it_eq "$cmd of a bad plugin name: exit 2" 2 "$rc"
  it_match "$cmd of a bad plugin name: says what a name is" \
    "'Topic!' is not a plugin name \\(at most 32 of a-z, 0-9, '-', '_'" "$(cat "$IT_TMP/name.err")"
done

# An empty article is an input problem (exit 4), said before any request.
ctl classify </dev/null >/dev/null 2>"$IT_TMP/empty.err"; rc=$?
it_eq "classify of empty stdin: exit 4" 4 "$rc"
it_match "classify of empty stdin: says so" 'standard input: empty' "$(cat "$IT_TMP/empty.err")"

# 3b. A JSON article saved with a byte order mark (Notepad) is sent as JSON,
#     scored as the same file without it (it went as text/plain: its field
#     names read as words, its title as body); --title with a file that is
#     not UTF-8 names the byte of the file, not of the JSON built around it.
printf '{"title":"반도체 수출 증가","body":"삼성전자의 반도체 수출이 늘었다"}\n' > "$IT_TMP/art.json"
{ printf '\xef\xbb\xbf'; cat "$IT_TMP/art.json"; } > "$IT_TMP/bom.json"
plain=$(ctl -f json classify "$IT_TMP/art.json" | it_json 'd["results"]["section"]["probs"]')
bom=$(ctl -f json classify "$IT_TMP/bom.json" | it_json 'd["results"]["section"]["probs"]')
it_eq "classify: a JSON article with a BOM scores as without it" "$plain" "$bom"
printf 'abc \xff def\n' > "$IT_TMP/bad.txt"
ctl classify --title "제목" "$IT_TMP/bad.txt" >/dev/null 2>"$IT_TMP/bad.err"; rc=$?
it_eq "classify --title of a non-UTF-8 file: exit 4" 4 "$rc"
it_match "classify --title of a non-UTF-8 file: the file's byte" \
  'bad.txt: invalid UTF-8 at byte 4' "$(cat "$IT_TMP/bad.err")"

# 4. The progress bar stays off when the replies go to the same terminal.
out=$(CLASSIFYD_SOCKET=$SOCK timeout 60 script -qec \
      "'$BIN/classifyctl' batch -j 1 --chunk 1 -o - '$IT_TMP/70.jsonl'" /dev/null)
if grep -q '\[#' <<<"$out"; then
  it_fail "batch -o - on a terminal: the progress bar was drawn into the replies"
else
  it_ok "batch -o - on a terminal: no progress bar among the replies"
fi
out=$(CLASSIFYD_SOCKET=$SOCK timeout 60 script -qec \
      "'$BIN/classifyctl' batch -j 1 --chunk 1 -o /dev/null '$IT_TMP/70.jsonl'" /dev/null)
it_match "batch -o FILE on a terminal: progress bar shown" '\[#+\] 70/70' "$out"

# 5. An NDJSON request refused whole (413) while replies would have been
#    streamed: the daemon's code and message are shown, each article counted once.
it_stop_daemon >/dev/null
it_start_daemon --max-body 64K
python3 -c '
import sys
for i in range(200):
    print("{\"id\":\"b%d\",\"body\":\"%s\"}" % (i, "국회 예산안 " * 60))' > "$IT_TMP/big.jsonl"
out=$(ctl batch -j 1 --chunk 200 --no-progress "$IT_TMP/big.jsonl" 2>&1); rc=$?
it_eq "batch, request refused with 413: exit 5" 5 "$rc"
it_match "batch -j 1: the 413's code and message are printed" \
  '413 body_too_large: .*max_body' "$out"
it_match "batch -j 1: every article counted once as http_413" 'error http_413 +200$' "$out"

# 5b. batch --jobs: workers refused at once print whole error lines. A
#     message is several stdio calls (code, status, message, offset); a
#     preloaded shim makes every call on stderr slow, so the lines of two
#     workers mixed unless each worker holds stderr for its whole message.
#     (Not under ASan: its runtime must be the first library loaded.)
if [ -z "${CFD_SANITIZED:-}" ] && command -v cc >/dev/null; then
  cat > "$IT_TMP/slow_stderr.c" <<'SHIM'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
static void nap(FILE *f)
{
    struct timespec ts = {0, 5000000};
    if (f == stderr)
        nanosleep(&ts, NULL);
}
int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    nap(f);
    return r;
}
int fputc(int c, FILE *f)
{
    static int (*real)(int, FILE *);
    if (real == NULL)
        real = (int (*)(int, FILE *))dlsym(RTLD_NEXT, "fputc");
    int r = real(c, f);
    nap(f);
    return r;
}
SHIM
  cc -shared -fPIC -O2 -o "$IT_TMP/slow_stderr.so" "$IT_TMP/slow_stderr.c" -ldl ||
    it_die "cannot build the stderr shim"
  for i in 1 2 3 4 5 6 7 8; do cat "$IT_TMP/big.jsonl"; done > "$IT_TMP/big8.jsonl"
  out=$(LD_PRELOAD=$IT_TMP/slow_stderr.so ctl batch -j 8 --chunk 80 --no-progress \
        -o /dev/null "$IT_TMP/big8.jsonl" 2>&1 >/dev/null)
  whole=$(grep -Ec '^classifyctl: batch \(request [0-9]+ of 20\): 413 body_too_large: request body of [0-9]+ bytes \(Content-Length\) exceeds the configured limit \(max_body, [0-9]+ bytes\): split the input or raise max_body$' <<<"$out")
  it_eq "batch -j 8, 20 requests refused at once: 20 whole error lines" 20 "$whole"
  it_eq "batch -j 8, 20 requests refused at once: nothing else on stderr" 20 "$(wc -l <<<"$out")"
fi

# 6. deps.sh as a user without root and without sudo: a clear message.
if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null && ! command -v sudo >/dev/null; then
  mkdir -p "$IT_TMP/fakebin"
  printf '#!/bin/sh\nexit 1\n' > "$IT_TMP/fakebin/dpkg-query"   # "nothing is installed"
  chmod 755 "$IT_TMP/fakebin" "$IT_TMP/fakebin/dpkg-query"
  out=$(runuser -u nobody -- env PATH="$IT_TMP/fakebin:/usr/bin:/bin" \
        bash "$SRC/scripts/deps.sh" build 2>&1); rc=$?
  it_eq "deps.sh without root or sudo: exit 1" 1 "$rc"
  it_match "deps.sh without root or sudo: says what to do" \
    'run this script as root, or have root run: apt-get install .*cmake' "$out"
fi
