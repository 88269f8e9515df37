#!/usr/bin/env bash
# ctest-labels: valgrind
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

# ---- Content-Length counted in characters, not bytes (len() of a str in
# most languages): a Korean body is cut to about a third. Cut inside a
# character or on a boundary, the reply says the body ended early, with the
# offset of its end, instead of "send UTF-8 text" or "expected a JSON object".
check=$(python3 - "$SOCK" <<'EOF'
import json, socket, sys
def send(body_str, cl):
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
    s.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % cl + body_str.encode())
    out = b""
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
    s.close()
    head, _, rest = out.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(rest.split(b"\n", 1)[0])["error"]
inside = '{"title":"국회 예산안 통과","body":"국회는 오늘 본회의를 열었다."}'   # 47 chars: cut inside 열
st, e = send(inside, len(inside))
assert (st, e["code"], e["offset"]) == (400, "invalid_utf8", 46), (st, e)
assert "ends in the middle of a UTF-8 character" in e["message"], e
assert "Content-Length counts bytes, not characters" in e["message"], e
boundary = '{"title":"국회 예산안 통과","body":"국회는 오늘"}'                   # 37 chars: cut after 오
st, e = send(boundary, len(boundary))
assert (st, e["code"], e["offset"]) == (400, "malformed_json", 37), (st, e)
assert "the body ends (byte 37) before its JSON object does" in e["message"], e
assert "Content-Length counts bytes, not characters" in e["message"], e
print("ok")
EOF
)
it_eq "Content-Length in characters: the reply says the body ended early, where" ok "$check"

# ---- pretty-printed JSON sent as NDJSON: every line is answered, and told
# to put each article on one line (not "use application/x-ndjson").
printf '{\n  "id": "p1",\n  "title": "국회 예산안"\n}\n{"id":"p2","title":"국회 예산안"}\n' |
  curl -sS --max-time 20 --unix-socket "$SOCK" -H 'Content-Type: application/x-ndjson' \
       --data-binary @- http://localhost/v1/classify > "$IT_TMP/pretty.out"
check=$(python3 - "$IT_TMP/pretty.out" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.startswith("{")]
assert [l.get("line") for l in lines[:4]] == [1, 2, 3, 4], lines
assert lines[4].get("id") == "p2" and "decision" in lines[4], lines[4]
m = [l["error"]["message"] for l in lines[:4]]
assert "put each article on one line" in m[0], m[0]
assert all("x-ndjson" not in x for x in m), m
assert "one article object on each line" in m[1], m[1]
print("ok")
EOF
)
it_eq "pretty-printed NDJSON: each line answered, told to put each article on one line" ok "$check"

# ---- an array of articles as one JSON body: pointed to NDJSON.
out=$(it_curl -H 'Content-Type: application/json' \
      --data-binary '[{"title":"국회 예산안"},{"title":"야구 경기"}]' http://localhost/v1/classify)
it_match "JSON array of articles: 400 wrong_shape" '^HTTP 400$' "$out"
it_match "JSON array of articles: the message points to application/x-ndjson" \
  'got an array: send one article per request, or many as Content-Type: application/x-ndjson' "$out"

# ---- EUC-KR text (the legacy Korean encoding) declared as such: 400
# invalid_utf8 whose message names the declared charset and how to convert;
# the same bytes labelled UTF-8 keep the plain message. UTF-8 text with any
# charset label is classified.
printf '{"title":"%s"}' "$(printf '국회 예산안 통과' | iconv -f UTF-8 -t EUC-KR)" > "$IT_TMP/euckr.json"
out=$(it_curl -H 'Content-Type: application/json; charset=euc-kr' --data-binary @"$IT_TMP/euckr.json" \
      http://localhost/v1/classify)
it_match "EUC-KR body: 400" '^HTTP 400$' "$out"
it_eq "EUC-KR body: invalid_utf8 at the first Hangul byte" "invalid_utf8 10" \
  "$(head -n1 <<<"$out" | it_json '"%s %s" % (d["error"]["code"], d["error"]["offset"])')"
it_match "EUC-KR body: the message names the declared charset and the conversion" \
  'the request says charset=euc-kr, but classifyd reads UTF-8 only: convert the text to UTF-8 \(e\.g\. iconv -f euc-kr -t UTF-8\)' "$out"
out=$(it_curl -H 'Content-Type: application/x-ndjson; charset=EUC-KR' --data-binary @"$IT_TMP/euckr.json" \
      http://localhost/v1/classify)
it_match "EUC-KR NDJSON line: named too, with the line" \
  '"line":1,.*invalid UTF-8 at byte 10 of line 1: the request says charset=EUC-KR' "$out"
out=$(it_curl -H 'Content-Type: application/json; charset=utf-8' --data-binary @"$IT_TMP/euckr.json" \
      http://localhost/v1/classify)
it_match "EUC-KR bytes labelled UTF-8: the plain message" 'invalid UTF-8 at byte 10 of the body: send UTF-8 text' "$out"
out=$(it_curl -H 'Content-Type: text/plain; charset=euc-kr' --data-binary '국회 예산안 통과' \
      http://localhost/v1/classify)
it_match "UTF-8 text labelled euc-kr: classified" '^HTTP 200$' "$out"
# UTF-8 text labelled euc-kr but cut inside its last character: the
# precise "cut short" message, not the charset advice
printf '{"title":"국회 예산안 통과"}' | head -c 31 > "$IT_TMP/cut.json"
out=$(it_curl -H 'Content-Type: application/json; charset=euc-kr' --data-binary @"$IT_TMP/cut.json" \
      http://localhost/v1/classify)
it_match "UTF-8 cut short, labelled euc-kr: said to be cut short" \
  'ends in the middle of a UTF-8 character \(byte 30 of 31\): the body was cut short' "$out"

# ---- a Content-Length larger than the body (the client closes its side
# after sending): the reply says how many of the announced bytes arrived.
# A body over max_body: the reply gives its size and the limit.
check=$(python3 - "$SOCK" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
body = '{"title":"국회"}'.encode()
s.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % (len(body) + 10) + body)
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b: break
    out += b
e = json.loads(out.partition(b"\r\n\r\n")[2])["error"]
assert e["code"] == "incomplete_request", e
assert "18 of the 28 body bytes that Content-Length announced arrived" in e["message"], e
print("ok")
EOF
)
it_eq "Content-Length larger than the body: the reply says how much arrived" ok "$check"
head -c 1048577 /dev/zero | tr '\0' 'a' > "$IT_TMP/big.txt"
out=$(it_curl -H 'Content-Type: text/plain' --data-binary @"$IT_TMP/big.txt" http://localhost/v1/classify)
it_match "body over max_body: 413 with its size and the limit" \
  'request body of 1048577 bytes \(Content-Length\) exceeds the configured limit \(max_body, 1048576 bytes\)' "$out"

# ---- JSON sent with curl -d and no Content-Type header: curl labels it a
# form; the 415 names the type received and the missing -H.
out=$(it_curl -d '{"title":"국회 예산안"}' http://localhost/v1/classify)
it_match "curl -d without a Content-Type: 415" '^HTTP 415$' "$out"
it_match "curl -d without a Content-Type: the message names the form type and the -H to add" \
  "Content-Type application/x-www-form-urlencoded is not accepted: .*curl -d sends application/x-www-form-urlencoded unless given -H 'Content-Type: application/json'" "$out"
out=$(it_curl -H 'Content-Type: text/html' --data-binary '<p>국회</p>' http://localhost/v1/classify)
it_match "text/html: 415 names it" 'Content-Type text/html is not accepted' "$out"

# ---- a path with a trailing slash: 404 naming the path and the slash;
# query strings are ignored.
out=$(it_curl -H 'Content-Type: application/json' -d '{"title":"국회"}' http://localhost/v1/classify/)
it_match "trailing slash: 404" '^HTTP 404$' "$out"
it_match "trailing slash: the message names the path and the slash" \
  'no such endpoint /v1/classify/ \(the paths have no trailing slash\)' "$out"
it_match "an unknown path is named" 'no such endpoint /v2/classify: use POST /v1/classify' \
  "$(it_curl http://localhost/v2/classify)"
it_eq "query string ignored" 200 "$(it_status 'http://localhost/healthz?probe=lb')"

# ---- a form-encoded body sent as curl sends a large one, with "Expect:
# 100-continue": the 415 comes at once, instead of a 100 Continue, and the
# body is never sent (curl reports what it uploaded).
head -c 300000 /dev/zero | tr '\0' 'a' > "$IT_TMP/form.txt"
out=$(curl -sS --max-time 20 --unix-socket "$SOCK" -D "$IT_TMP/form.h" --expect100-timeout 5 \
      -H 'Expect: 100-continue' --data-binary @"$IT_TMP/form.txt" \
      -w '\nHTTP %{http_code} sent %{size_upload}' http://localhost/v1/classify)
it_match "Expect: 100-continue with a form body: 415 at once" '^HTTP 415 sent 0$' "$out"
it_match "... naming the type and curl -d" 'application/x-www-form-urlencoded is not accepted.*curl -d' "$out"
if grep -q '100 Continue' "$IT_TMP/form.h"; then it_fail "100 Continue was sent for a body that is refused"
else it_ok "no 100 Continue for a refused body"; fi
# the same request with an accepted type still gets its 100 and its reply
out=$(printf '%s' "$ARTICLE" | curl -sS --max-time 20 --unix-socket "$SOCK" -D "$IT_TMP/ok.h" \
      --expect100-timeout 5 -H 'Expect: 100-continue' -H 'Content-Type: application/json' \
      --data-binary @- -w '\nHTTP %{http_code}' http://localhost/v1/classify)
it_match "Expect: 100-continue with JSON: 200" '^HTTP 200$' "$out"
it_match "... after a 100 Continue" '100 Continue' "$(cat "$IT_TMP/ok.h")"

it_alive "at the end"
it_stop_daemon; rc=$?
it_eq "daemon exits 0 on SIGTERM" 0 $rc
