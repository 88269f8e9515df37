#!/usr/bin/env bash
# classifyd from the shell with curl: every public endpoint once.
#   examples/curl.sh [SOCKET]     (default: $CLASSIFYD_SOCKET, else run/classifyd.sock)
# curl talks HTTP over the Unix socket with --unix-socket; the host name in
# the URL is ignored. Exits non-zero if any call fails (curl --fail-with-body).
set -euo pipefail
sock=${1:-${CLASSIFYD_SOCKET:-run/classifyd.sock}}
c() { curl -sS --fail-with-body --max-time 30 --unix-socket "$sock" "$@"; echo; }

echo "== liveness and readiness"
c http://localhost/healthz
c http://localhost/readyz

echo "== plugins and their models"
c http://localhost/v1/plugins

echo "== one article as JSON"
c -H 'Content-Type: application/json' \
  --data-binary '{"id":"ex-1","title":"한국은행, 기준금리 동결","body":"한국은행 금융통화위원회는 물가와 환율 흐름을 지켜보며 기준금리를 연 3.5%로 동결했다."}' \
  http://localhost/v1/classify

echo "== plain text (the whole body is the article body)"
printf '손흥민이 결승골을 넣으며 토트넘이 리그 경기에서 승리했다.' |
  c -H 'Content-Type: text/plain; charset=utf-8' --data-binary @- http://localhost/v1/classify

echo "== several articles as NDJSON (one reply line per article, streamed)"
printf '%s\n' \
  '{"id":"ex-2","body":"새 스마트폰이 인공지능 반도체를 탑재해 출시됐다."}' \
  '{"id":"ex-3","body":"국회 본회의에서 예산안이 통과됐다."}' |
  curl -sS --fail-with-body --max-time 30 --unix-socket "$sock" -N \
    -H 'Content-Type: application/x-ndjson' --data-binary @- http://localhost/v1/classify

echo "== an error: invalid JSON gives 400 with the byte offset"
curl -sS --max-time 30 --unix-socket "$sock" -w ' (HTTP %{http_code})\n' \
  -H 'Content-Type: application/json' --data-binary '{"body": "no end' http://localhost/v1/classify

echo "== metrics (first lines)"
metrics=$(c http://localhost/metrics)
awk '/^classifyd_/ && n++ < 8' <<<"$metrics"
