#!/usr/bin/env bash
# ctest-labels: valgrind
# The examples users copy from: examples/python_client.py (standard library
# only) and examples/curl.sh, run against the real daemon, output checked.
. "$(dirname "$0")/lib.sh"
it_init "$@"
it_start_daemon
export CLASSIFYD_SOCKET=$SOCK
py() { timeout 60 python3 "$SRC/examples/python_client.py" "$@"; }

out=$(py health); rc=$?
it_eq "python_client health exit 0" 0 $rc
it_eq "python_client health" "alive=ok ready=true" "$out"

out=$(py plugins)
for p in topic section sentiment; do
  it_match "python_client plugins lists $p" "^$p	" "$out"
done

out=$(py classify --title '한국은행, 기준금리 동결' '한국은행 금융통화위원회는 기준금리를 동결했다.'); rc=$?
it_eq "python_client classify exit 0" 0 $rc
it_match "python_client classify prints every plugin and the decision" \
  'section=[^(]+\(0\.[0-9]+\).*decision=[^ ]+ review=(true|false)' "$out"

out=$(py classify --explain 2 --title '한국은행, 기준금리 동결' '한국은행 금융통화위원회는 기준금리를 동결했다.'); rc=$?
it_eq "python_client classify --explain exit 0" 0 $rc
it_match "python_client classify --explain: why per linear plugin, words of the text" \
  '^  section: [^ ]+ over [^ ]+: [^ (]+\([+]0\.[0-9]+\) [^ (]+\([+]0\.[0-9]+\) \| [^ (]+\(-0\.[0-9]+\)' "$out"
it_eq "python_client classify --explain: three plugins explain, rules not" 3 "$(grep -c '^  ' <<<"$out")"

out=$(py batch "$DATA/samples/articles.jsonl" 2>"$IT_TMP/err"); rc=$?
it_eq "python_client batch exit 0" 0 $rc
it_eq "python_client batch: one streamed reply per article" 3 "$(grep -c 'decision=' <<<"$out")"
it_match "python_client batch: a plugin with no label reads '-', not None" \
  'issuetoday-002	rules=-	section=' "$out"
grep -q None <<<"$out" && it_fail "python_client batch printed None: $out"
it_match "python_client batch keeps the ids in order" \
  "$(python3 -c 'import json,sys; print(".*".join(json.loads(l)["id"] for l in open(sys.argv[1])))' "$DATA/samples/articles.jsonl")" \
  "$(tr '\n' ' ' <<<"$out")"

# A file larger than the daemon's 1 MiB body limit goes in several requests.
for _ in $(seq 1 250); do cat "$DATA/samples/articles.jsonl"; done > "$IT_TMP/big.jsonl"
out=$(py batch "$IT_TMP/big.jsonl" 2>"$IT_TMP/err"); rc=$?
it_eq "python_client batch of a 1.4 MB file: exit 0" 0 $rc
it_eq "python_client batch of a 1.4 MB file: every article answered" 750 "$(grep -c 'decision=' <<<"$out")"
# An error line names the line of the file, also past the first request.
for i in $(seq 1 299); do echo "{\"id\":\"a$i\",\"body\":\"국회 예산안 $i\"}"; done > "$IT_TMP/300.jsonl"
echo '{"id":"a300","title":5}' >> "$IT_TMP/300.jsonl"
out=$(py batch "$IT_TMP/300.jsonl" 2>"$IT_TMP/err")
it_match "python_client batch: an error line names the file's line" '^line 300	error wrong_shape' "$out"
# Input problems are exit 4 with the file named, not "cannot talk to the daemon".
py batch "$IT_TMP/no-such.jsonl" >/dev/null 2>"$IT_TMP/err"; rc=$?
it_eq "python_client batch of a missing file: exit 4" 4 $rc
it_match "python_client batch of a missing file: names it" 'no-such.jsonl: No such file' "$(cat "$IT_TMP/err")"
printf '{"id":"x","body":"no end\n' > "$IT_TMP/bad.jsonl"
py batch "$IT_TMP/bad.jsonl" >/dev/null 2>"$IT_TMP/err"; rc=$?
it_eq "python_client batch of a malformed line: exit 4" 4 $rc
it_match "python_client batch of a malformed line: file and line" 'bad.jsonl:1: not a JSON object' "$(cat "$IT_TMP/err")"

out=$(py classify '   '); rc=$?
it_eq "python_client: empty text is a daemon error (exit 1)" 1 $rc

out=$(timeout 60 bash "$SRC/examples/curl.sh" "$SOCK" 2>&1); rc=$?
it_eq "curl.sh exit 0" 0 $rc
it_match "curl.sh: healthz" '"status": ?"ok"' "$out"
it_match "curl.sh: classify JSON echoes the id" '"id": ?"ex-1"' "$out"
it_match "curl.sh: NDJSON gives both lines" '"ex-2".*' "$out"
it_match "curl.sh: NDJSON second line" '"ex-3"' "$out"
it_match "curl.sh: invalid JSON gives an offset" '"offset": ?[0-9]+' "$out"
it_match "curl.sh: invalid JSON is a 400" '\(HTTP 400\)' "$out"
it_match "curl.sh: metrics" '^classifyd_' "$out"
