#!/usr/bin/env bash
# Error replies to the mistakes a newsroom's client makes on its first day,
# sent as a CMS sends them (curl, Python's http.client, raw bytes): each gets
# the documented status and code, a message that names the cause and what to
# do, and the connection stays usable where the protocol allows it.
. "$(dirname "$0")/lib.sh"
it_init "$@"
it_start_daemon

ARTICLE='{"id":"e1","title":"국회 예산안 통과","body":"국회는 본회의를 열어 예산안을 통과시켰다."}'

# ---- a compressed body (Content-Encoding: gzip): 415 naming the coding, not
# "invalid UTF-8 at byte 1"; the connection is kept for the next request.
printf '%s' "$ARTICLE" | gzip -c > "$IT_TMP/a.json.gz"
out=$(it_curl -D "$IT_TMP/h" -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' \
      --data-binary @"$IT_TMP/a.json.gz" http://localhost/v1/classify)
it_match "gzip'd body: 415" '^HTTP 415$' "$out"
it_eq "gzip'd body: code unsupported_content_encoding" unsupported_content_encoding \
  "$(head -n1 <<<"$out" | it_json 'd["error"]["code"]')"
it_match "gzip'd body: the message names the coding and says to send it uncompressed" \
  'Content-Encoding gzip is not supported: send the body uncompressed' "$out"
it_match "gzip'd body: Accept-Encoding names what is accepted" \
  '^[Aa]ccept-[Ee]ncoding: identity' "$(tr -d '\r' < "$IT_TMP/h")"
check=$(python3 - "$SOCK" "$IT_TMP/a.json.gz" <<'EOF'
import http.client, json, socket, sys
class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path): super().__init__("localhost"); self.path_ = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.settimeout(10); self.sock.connect(self.path_)
c = UnixHTTP(sys.argv[1])
gz = open(sys.argv[2], "rb").read()
c.request("POST", "/v1/classify", gz, {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"})
r = c.getresponse(); e = json.loads(r.read())["error"]
assert (r.status, e["code"]) == (415, "unsupported_content_encoding"), (r.status, e)
sock = c.sock
c.request("POST", "/v1/classify", '{"title":"국회 예산안"}'.encode(),
          {"Content-Type": "application/json", "Content-Encoding": "identity"})
r = c.getresponse(); d = json.loads(r.read())
assert r.status == 200 and "decision" in d, (r.status, d)
assert c.sock is sock, "the connection was not kept after the 415"
print("ok")
EOF
)
it_eq "gzip'd NDJSON: 415 too; identity is accepted, on the same connection" ok "$check"

it_alive "at the end"
it_stop_daemon; rc=$?
it_eq "daemon exits 0 on SIGTERM" 0 $rc
