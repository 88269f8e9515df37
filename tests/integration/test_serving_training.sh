#!/usr/bin/env bash
# Serving = training: for the same model file, the label the daemon returns
# for an article equals what `classifyd-train predict --model X.cfdm` says,
# for every plugin with a linear model, on articles of every shape the
# plugins see (full articles with title and body, headlines, short reviews,
# English, the sample page's articles). Both read the same JSON lines, so
# neither side's input handling can hide a featurizer drift.
. "$(dirname "$0")/lib.sh"
it_init "$@"
it_models || it_die "no models"
[ -x "$BIN/classifyd-train" ] || it_die "$BIN/classifyd-train not built"
it_start_daemon

# ~600 articles as JSON lines {"id","title","body"}.
python3 - "$DATA" "$IT_TMP/articles.jsonl" <<'EOF'
import json, sys
data, out = sys.argv[1], sys.argv[2]
rows = []
def tsv(path, step, limit, split_title=False):
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % step or len(rows) >= limit: continue
            label, _, text = line.rstrip("\n").partition("\t")
            if split_title and ". " in text[:200]:
                t, _, b = text.partition(". ")
                rows.append({"title": t, "body": b})
            else:
                rows.append({"body": text})
tsv(data + "/news8/train.tsv", 6, 200, split_title=True)
tsv(data + "/ynat/dev.tsv", 25, 400)
tsv(data + "/finance-sentiment/train.tsv", 40, 500)
tsv(data + "/bbc-en/train.tsv", 60, 530)
for line in open(data + "/samples/articles.jsonl", encoding="utf-8"):
    a = json.loads(line); rows.append({"title": a.get("title", ""), "body": a.get("body", a.get("text", ""))})
rows.append({"title": "", "body": "<p>HTML &amp; 엔터티가 섞인 <b>기사</b> 본문 &lt;특보&gt;</p>"})
rows.append({"title": "ＦＵＬＬ ｗｉｄｔｈ 숫자 １２３", "body": "호환 자모 ㄱㄴㄷ 와 결합 자모 한글 e\u0301t\u00e9"})
with open(out, "w", encoding="utf-8") as f:
    for i, r in enumerate(rows):
        r["id"] = str(i + 1)
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(len(rows))
EOF
n=$(wc -l < "$IT_TMP/articles.jsonl")

timeout 120 "$BIN/classifyctl" --socket "$SOCK" batch --no-progress -o "$IT_TMP/replies.ndjson" \
  "$IT_TMP/articles.jsonl" > "$IT_TMP/batch.out" || it_fail "classifyctl batch failed: $(cat "$IT_TMP/batch.out")"

for plugin in section topic sentiment; do
  model=$MODELS/$plugin.cfdm
  if ! timeout 120 "$BIN/classifyd-train" predict --model "$model" "$IT_TMP/articles.jsonl" \
       > "$IT_TMP/predict-$plugin.tsv" 2> "$IT_TMP/predict-$plugin.err"; then
    it_fail "classifyd-train predict $plugin: $(tail -3 "$IT_TMP/predict-$plugin.err")"
    continue
  fi
  check=$(python3 - "$plugin" "$IT_TMP/replies.ndjson" "$IT_TMP/predict-$plugin.tsv" "$n" <<'EOF'
import json, sys
plugin, replies, preds, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
served = [json.loads(l) for l in open(replies, encoding="utf-8") if l.strip()]
trained = [l.rstrip("\n").split("\t") for l in open(preds, encoding="utf-8") if l.strip()]
assert len(served) == n, "daemon answered %d of %d" % (len(served), n)
assert len(trained) == n, "predict printed %d lines for %d" % (len(trained), n)
diff = []; pdiff = 0.0
for i, (r, t) in enumerate(zip(served, trained)):
    res = r["results"][plugin]
    if res["label"] != t[0]:
        diff.append((i + 1, res["label"], t[0]))
    if len(t) > 1:
        top = res["probs"][0]
        p = top["p"] if isinstance(top, dict) else top[1]
        pdiff = max(pdiff, abs(p - float(t[1])))
if diff:
    print("%d of %d labels differ, first: %r" % (len(diff), n, diff[:5]))
elif pdiff > 2e-3:
    print("labels agree but probabilities differ by up to %.4f" % pdiff)
else:
    print("ok")
EOF
)
  it_eq "$plugin: daemon label == classifyd-train predict label on $n articles" ok "$check"
done

# The daemon's "why" (request field "explain") is classifyd-train predict
# --explain's answer: the same rival, margin and bias, the same features in
# the same order with the same shares and names, for every linear plugin, on
# every 12th article. The daemon scores the q8 table with IDF fused into it
# and TF-only features; predict the weighted vector; both split the margin
# with core/explain.c.
python3 - "$IT_TMP/articles.jsonl" "$IT_TMP/explain.ndjson" <<'EOF'
import json, sys
rows = [json.loads(l) for i, l in enumerate(open(sys.argv[1], encoding="utf-8")) if i % 12 == 0]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for r in rows:
        r["explain"] = 4
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
EOF
m=$(wc -l < "$IT_TMP/explain.ndjson")
curl -sS --max-time 60 --unix-socket "$SOCK" -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$IT_TMP/explain.ndjson" http://localhost/v1/classify > "$IT_TMP/explain.replies" \
  || it_fail "explain batch: curl failed"
for plugin in section topic sentiment; do
  timeout 120 "$BIN/classifyd-train" predict --model "$MODELS/$plugin.cfdm" --explain 4 \
    "$IT_TMP/explain.ndjson" > "$IT_TMP/explain-$plugin.tsv" 2>&1 \
    || it_fail "predict --explain $plugin: $(tail -3 "$IT_TMP/explain-$plugin.tsv")"
  check=$(python3 - "$plugin" "$IT_TMP/explain.replies" "$IT_TMP/explain-$plugin.tsv" "$m" <<'EOF'
import json, re, sys
plugin, replies, preds, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
served = [json.loads(l) for l in open(replies, encoding="utf-8") if l.strip()]
assert len(served) == n, "daemon answered %d of %d" % (len(served), n)
# predict's blocks: a result line, then '#' lines
blocks = []
for line in open(preds, encoding="utf-8"):
    line = line.rstrip("\n")
    if not line.startswith("#"):
        blocks.append({"label": line.split("\t")[0], "terms": [[], []]})
        continue
    f = line.split("\t")
    if " over " in f[1]:
        blocks[-1]["over"] = f[1].split(" over ", 1)[1]
        m = re.match(r"margin (\S+) = bias (\S+) \+ features (\S+)", f[2])
        blocks[-1]["margin"], blocks[-1]["bias"] = float(m.group(1)), float(m.group(2))
    else:
        name = re.sub(r"  \(\+\d+.*\)$", "", f[3])
        kind, text = name.split(None, 1) if " " in name else (name, "")
        side = 0 if f[1] == "for " + blocks[-1]["label"] else 1
        blocks[-1]["terms"][side].append((kind, text, float(f[2])))
assert len(blocks) == n, "predict printed %d results for %d" % (len(blocks), n)
bad = []
explained = 0
for i, (r, b) in enumerate(zip(served, blocks)):
    res = r["results"][plugin]
    why = res.get("why")
    if why is None:
        bad.append((i, "no why")); continue
    explained += 1
    if why["label"] != res["label"] or why["label"] != b["label"] or why["over"] != b["over"]:
        bad.append((i, "labels", why["label"], why["over"], b["label"], b["over"])); continue
    if abs(why["margin"] - b["margin"]) > 2e-4 or abs(why["bias"] - b["bias"]) > 2e-4:
        bad.append((i, "margin", why["margin"], why["bias"], b["margin"], b["bias"])); continue
    for side, key in ((0, "for"), (1, "against")):
        got = [(t.get("kind"), t.get("ngram"), t["share"]) for t in why[key]]
        want = b["terms"][side]
        if len(got) != len(want) or any(g[0] != w[0] or g[1] != w[1] or abs(g[2] - w[2]) > 2e-4
                                        for g, w in zip(got, want)):
            bad.append((i, key, got, want)); break
if bad:
    print("%d of %d explanations differ, first: %r" % (len(bad), n, bad[:2]))
elif explained != n:
    print("only %d of %d explained" % (explained, n))
else:
    print("ok")
EOF
)
  it_eq "$plugin: daemon \"why\" == classifyd-train predict --explain on $m articles" ok "$check"
done

# A plugin that cannot explain (rules) answers without "why"; a bad value
# of "explain" is a 400 naming it.
out=$(it_curl -H 'Content-Type: application/json' \
  --data '{"title":"중기부 규제자유특구","body":"중소벤처기업부는 특구 지원을 논의했다.","explain":2}' \
  http://localhost/v1/classify)
it_match "rules gives no why, the linear plugins do" 'HTTP 200' "$out"
it_eq "why per plugin" "False True True True" "$(printf '%s' "$out" | sed '$d' | it_json \
  '" ".join(str("why" in d["results"][p]) for p in ("rules","section","sentiment","topic"))')"
out=$(curl -sS --max-time 20 --unix-socket "$SOCK" http://localhost/v1/plugins)
it_eq "GET /v1/plugins says which plugins explain" "rules:False section:True sentiment:True topic:True" \
  "$(printf '%s' "$out" | it_json '" ".join("%s:%s" % (p["name"], p["explains"]) for p in sorted(d["plugins"], key=lambda p: p["name"]))')"
out=$(it_curl -H 'Content-Type: application/json' --data '{"body":"국회","explain":99}' \
  http://localhost/v1/classify)
it_match "explain 99 is refused" 'HTTP 400' "$out"
it_match "explain 99: the message says what is allowed" '"explain\\" must be how many features' "$out"
