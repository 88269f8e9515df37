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
