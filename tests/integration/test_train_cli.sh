#!/usr/bin/env bash
# classifyd-train from the outside: exit codes and messages for bad input
# files and bad options (each error must name file:line where one applies),
# then a small end-to-end run -- train, eval (text and --json), cv --json,
# predict, inspect --data -- on a generated dataset in a temporary directory.
#
# usage: test_train_cli.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=${1:?build dir}
TOOL="$BUILD/bin/classifyd-train"
[ -x "$TOOL" ] || { echo "missing $TOOL"; exit 1; }
TMP=$(mktemp -d /tmp/cfd-train-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# expect STATUS FRAGMENT -- command...: runs it, checks exit status and that
# stderr contains FRAGMENT.
expect() {
  local want=$1 frag=$2
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    fail "$* -> exit $got, expected $want; stderr: $(cat "$TMP/err")"
  elif [ -n "$frag" ] && ! grep -qF -- "$frag" "$TMP/err"; then
    fail "$* -> stderr lacks '$frag': $(cat "$TMP/err")"
  fi
}

# ---- a generated dataset: three topics, Korean and English words ----------
python3 - "$TMP" <<'EOF'
import json, random, sys
d = sys.argv[1]
rnd = random.Random(7)
vocab = {
    "정치": "국회 대통령 선거 여당 야당 장관 의원 정부 president vote".split(),
    "경제": "주가 금리 환율 증시 투자 은행 기업 수출 market stock".split(),
    "스포츠": "축구 야구 골프 선수 경기 우승 감독 리그 football goal".split(),
}
def line(lab):
    return " ".join(rnd.choice(vocab[lab]) for _ in range(5))
with open(f"{d}/train.tsv", "w") as f:
    for i in range(150):
        for lab in vocab:
            f.write(f"{lab}\t{line(lab)}\n")
with open(f"{d}/dev.jsonl", "w") as f:
    for i in range(30):
        for lab in vocab:
            f.write(json.dumps({"label": lab, "title": line(lab), "body": line(lab)},
                               ensure_ascii=False) + "\n")
with open(f"{d}/input.txt", "w") as f:
    f.write("대통령 선거 국회\n")
    f.write("경제\t주가 금리 증시\n")
    f.write(json.dumps({"title": "축구 우승", "body": "선수 감독"}, ensure_ascii=False) + "\n")
EOF
printf '' >"$TMP/empty.tsv"
printf '정치\t국회\n이 줄에는 탭이 없다\n' >"$TMP/notab.tsv"
printf '정치\t국회\n경제\t주가 \xff 금리\n' >"$TMP/badutf8.tsv"
printf '{"label":"정치","body":"국회"}\n{"label":"정치","body":\n' >"$TMP/bad.jsonl"
printf '정치\t국회\n정치\t정부\n' >"$TMP/onelabel.tsv"
printf '축구팀\t골\n' >"$TMP/unknown-label.tsv"

# ---- usage errors: exit 2 ----------------------------------------------------
expect 2 "unknown command" -- "$TOOL" frobnicate
expect 2 "unknown option --bogus" -- "$TOOL" train --bogus --data x
expect 2 "--c: expected a number" -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/m" --name t --c abc
expect 2 "--c: expected a number" -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/m" --name t --c -1
expect 2 "--c: expected a number" -- "$TOOL" cv --data "$TMP/train.tsv" --c 1e400
expect 2 "missing --name" -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/m"
expect 2 "needs a value" -- "$TOOL" train --data
expect 2 "--solver: unknown solver" -- "$TOOL" train --data a --out b --name c --solver magic
expect 2 "--buckets" -- "$TOOL" train --data a --out b --name c --buckets 30
expect 2 "--char-min 4 --char-max 2" -- "$TOOL" cv --data a --char-min 4 --char-max 2
expect 2 "--c-grid" -- "$TOOL" cv --data a --c-grid 1,,x
expect 2 "--quantize" -- "$TOOL" train --data a --out b --name c --quantize q4
expect 2 "--folds" -- "$TOOL" cv --data a --folds 1
expect 2 "--lead-copies" -- "$TOOL" cv --data a --lead-copies 0
expect 2 "--lead-copies" -- "$TOOL" train --data a --out b --name c --lead-copies x
expect 2 "--model and --data are required" -- "$TOOL" eval --data a
expect 2 "which model" -- "$TOOL" inspect

# ---- bad input files: exit 1, message names file and line ------------------
expect 1 "$TMP/missing.tsv: cannot open" -- "$TOOL" train --data "$TMP/missing.tsv" --out "$TMP/m" --name t
expect 1 "$TMP/empty.tsv: the file is empty" -- "$TOOL" train --data "$TMP/empty.tsv" --out "$TMP/m" --name t
expect 1 "$TMP/notab.tsv:2: no TAB" -- "$TOOL" train --data "$TMP/notab.tsv" --out "$TMP/m" --name t
expect 1 "$TMP/badutf8.tsv:2: invalid UTF-8 at byte 28 (column 15" -- "$TOOL" train --data "$TMP/badutf8.tsv" --out "$TMP/m" --name t
# the two encodings Korean files from Windows and Excel come in: the error
# says which it looks like and how to convert it
python3 -c 'import sys; t = "정치\t국회 본회의\n경제\t주가 금리\n"
open(sys.argv[1], "wb").write(t.encode("cp949")); open(sys.argv[2], "wb").write(t.encode("utf-16"))' \
  "$TMP/cp949.tsv" "$TMP/utf16.tsv"
expect 1 "$TMP/cp949.tsv:1: invalid UTF-8 at byte 0 (column 1 of the line); the file must be UTF-8: the bytes there look like EUC-KR/CP949 (Korean Windows, Excel); convert the file, e.g. iconv -f CP949 -t UTF-8" \
  -- "$TOOL" train --data "$TMP/cp949.tsv" --out "$TMP/m" --name t
expect 1 "$TMP/utf16.tsv:1: invalid UTF-8 at byte 0 (column 1 of the line); the file must be UTF-8: it starts with a UTF-16 byte order mark" \
  -- "$TOOL" train --data "$TMP/utf16.tsv" --out "$TMP/m" --name t
grep -q "look like" "$TMP/err" && fail "UTF-16 taken for CP949: $(cat "$TMP/err")"
expect 1 "$TMP/bad.jsonl:2: invalid JSON" -- "$TOOL" cv --data "$TMP/bad.jsonl"
expect 1 "at least 2 labels" -- "$TOOL" train --data "$TMP/onelabel.tsv" --out "$TMP/m" --name t
expect 1 "$TMP/notab.tsv:2: no TAB" -- "$TOOL" train --data "$TMP/train.tsv" --dev "$TMP/notab.tsv" --out "$TMP/m" --name t
[ -e "$TMP/m" ] && fail "a failed train left a model file behind"

# ---- end to end --------------------------------------------------------------
expect 0 "" -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/topic.cfdm" --name topic \
  --buckets 16 --version v-test --notes "generated test data" --jobs 2
grep -q "cv         5 folds: macro-F1 1.0000" "$TMP/out" || fail "train (CV) output: $(cat "$TMP/out")"
grep -q "reproduces the trained scores" "$TMP/out" || fail "train self-check missing"

expect 0 "" -- "$TOOL" train --data "$TMP/train.tsv" --dev "$TMP/dev.jsonl" \
  --out "$TMP/topic-q8.cfdm" --name topic --buckets 16 --quantize q8 --prune 0.001
grep -q "^dev .*accuracy 1.0000, macro-F1 1.0000" "$TMP/out" || fail "train --dev output: $(cat "$TMP/out")"

# A dev set from another source that lacks a label: 정치 and 경제 only, and one
# 정치 line in sports words, so the model predicts the absent 스포츠 once.
# macro-F1 (labels true or predicted) then counts 스포츠 as 0: (0.947 + 1 + 0) / 3;
# eval and inspect also give it over the two labels that occur.
{ for i in 1 2 3 4 5 6 7 8 9; do printf '정치\t국회 대통령 선거 여당 장관\n경제\t주가 금리 환율 증시 은행\n'; done
  printf '정치\t축구 야구 골프 선수 우승\n'; } >"$TMP/dev2.tsv"
expect 0 "" -- "$TOOL" train --data "$TMP/train.tsv" --dev "$TMP/dev2.tsv" \
  --out "$TMP/topic-dev2.cfdm" --name topic --buckets 16
expect 0 "" -- "$TOOL" inspect "$TMP/topic-dev2.cfdm"
grep -q "^metrics     dev set (19 examples): accuracy 0.9474, macro-F1 0.6491" "$TMP/out" ||
  fail "inspect dev metrics: $(grep metrics "$TMP/out")"
grep -q "macro-F1 0.9737 over the 2 labels that occur in the dev set" "$TMP/out" ||
  fail "inspect macro-F1 over true labels: $(cat "$TMP/out")"
expect 0 "" -- "$TOOL" eval --model "$TMP/topic-dev2.cfdm" --data "$TMP/dev2.tsv"
grep -q "^macro-F1  0.9737 over the labels that occur in the data" "$TMP/out" ||
  fail "eval macro-F1 over true labels: $(cat "$TMP/out")"

# --lead-copies: every 5-word line is longer than 12 characters, so each gets a
# copy; CV keeps the pairs in one fold, scores both (900) and still separates
# the topics.
expect 0 "" -- "$TOOL" cv --data "$TMP/train.tsv" --folds 3 --buckets 14 --lead-copies 12 --json
python3 - "$TMP/out" <<'PY' || fail "cv --lead-copies: $(cat "$TMP/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["n"] == 900, r["n"]
g = r["grid"][0]
assert g["pooled"]["n"] == 900 and g["mean_macro_f1"] > 0.95, g
PY
expect 0 "" -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/lead.cfdm" --name topic \
  --buckets 14 --lead-copies 12
grep -q "^data .*900 examples" "$TMP/out" || fail "train --lead-copies count: $(cat "$TMP/out")"

# reproducible: same data, options and SOURCE_DATE_EPOCH -> same bytes, any --jobs
SOURCE_DATE_EPOCH=1700000000 "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/r1.cfdm" \
  --name topic --buckets 14 --jobs 1 --quiet || fail "reproducible train 1"
SOURCE_DATE_EPOCH=1700000000 "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/r2.cfdm" \
  --name topic --buckets 14 --jobs 3 --quiet || fail "reproducible train 2"
cmp -s "$TMP/r1.cfdm" "$TMP/r2.cfdm" || fail "two trainings with SOURCE_DATE_EPOCH differ"
expect 1 "SOURCE_DATE_EPOCH" -- env SOURCE_DATE_EPOCH=soon "$TOOL" train --data "$TMP/train.tsv" \
  --out "$TMP/r3.cfdm" --name topic

expect 1 "$TMP/unknown-label.tsv:1: label \"축구팀\" is not one of the 3 known labels" -- \
  "$TOOL" eval --model "$TMP/topic.cfdm" --data "$TMP/unknown-label.tsv"

expect 0 "" -- "$TOOL" eval --model "$TMP/topic.cfdm" --data "$TMP/dev.jsonl"
grep -q "macro-F1  1.0000" "$TMP/out" || fail "eval text output: $(cat "$TMP/out")"

printf '스포츠\t축구 야구 골프\n경제\t국회 대통령 선거 여당\n' >"$TMP/mislabeled.tsv"
expect 0 "$(printf "$TMP/mislabeled.tsv:2\t경제\t정치\t")" -- "$TOOL" eval --model "$TMP/topic.cfdm" \
  --data "$TMP/mislabeled.tsv" --errors 5
grep -q "^1 mistakes; the 1 most confident" "$TMP/err" || fail "eval --errors: $(cat "$TMP/err")"

expect 0 "" -- "$TOOL" eval --model "$TMP/topic-q8.cfdm" --data "$TMP/dev.jsonl" --json
python3 - "$TMP/out" <<'EOF' || fail "eval --json: $(cat "$TMP/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "one JSON object on one line"
j = json.loads(lines[0])
for k in ("n", "accuracy", "macro_f1", "per_class", "confusion"):
    assert k in j, k
assert j["n"] == 90 and j["accuracy"] == 1 and j["macro_f1"] == 1
assert set(j["per_class"]) == {"정치", "경제", "스포츠"}
assert sum(map(sum, j["confusion"])) == 90
EOF

expect 0 "" -- "$TOOL" cv --data "$TMP/train.tsv" --folds 3 --c-grid 0.1,1 --buckets 14 --json
python3 - "$TMP/out" <<'EOF' || fail "cv --json: $(cat "$TMP/out")"
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["folds"] == 3 and j["n"] == 450
assert [g["c"] for g in j["grid"]] == [0.1, 1]
assert all(len(g["fold_macro_f1"]) == 3 for g in j["grid"])
assert j["best_c"] in (0.1, 1) and j["best_mean_macro_f1"] == 1
EOF
expect 0 "" -- "$TOOL" cv --data "$TMP/train.tsv" --folds 3 --buckets 14
grep -q "best C 1: mean macro-F1 1.0000" "$TMP/out" || fail "cv text: $(cat "$TMP/out")"
grep -q "^note: C" "$TMP/out" && fail "cv: edge note on a tie: $(cat "$TMP/out")"

# cv: a best C at the end of the grid, ahead of the others, gets a note that
# the best may lie beyond it (a small C underfits: every fold predicts 정치)
python3 - "$TMP" <<'EOF'
import random, sys
r = random.Random(7)
labs = ["정치"] * 60 + ["경제"] * 30 + ["스포츠"] * 10
cue = {"정치": "국회", "경제": "주가", "스포츠": "축구"}
common = "오늘 발표 관련 지난 올해 정부 회의 결과 예정 이번".split()
with open(sys.argv[1] + "/edge.tsv", "w") as f:
    for i in range(300):
        lab = labs[i % 100]
        w = [r.choice(common) for _ in range(6)] + [cue[lab]]
        r.shuffle(w)
        f.write(lab + "\t" + " ".join(w) + "\n")
EOF
expect 0 "" -- "$TOOL" cv --data "$TMP/edge.tsv" --folds 3 --c-grid 0.001,0.01,1 --buckets 14
grep -q "^note: C 1 is the largest value in the grid and better than the others: try larger ones too" \
  "$TMP/out" || fail "cv: no note for a best C at the top of the grid: $(cat "$TMP/out")"
expect 0 "" -- "$TOOL" cv --data "$TMP/edge.tsv" --folds 3 --c-grid 1,0.01,0.001 --buckets 14
grep -q "^note: C 1 is the largest" "$TMP/out" ||
  fail "cv: the grid's order should not matter: $(cat "$TMP/out")"

# progress goes to stderr only with --progress when stderr is not a terminal
expect 0 "featurizing 450/450 done" -- "$TOOL" cv --data "$TMP/train.tsv" --folds 2 --buckets 14 --progress
grep -q "fold 2/2 (C=1): macro-F1" "$TMP/err" || fail "cv --progress: $(cat "$TMP/err")"
expect 0 "" -- "$TOOL" cv --data "$TMP/train.tsv" --folds 2 --buckets 14
[ -s "$TMP/err" ] && fail "progress without --progress on a pipe: $(cat "$TMP/err")"

expect 0 "" -- "$TOOL" predict --model "$TMP/topic.cfdm" "$TMP/input.txt"
python3 - "$TMP/out" <<'EOF' || fail "predict: $(cat "$TMP/out")"
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
assert [r[0] for r in rows] == ["정치", "경제", "스포츠"], rows
assert all(len(r) == 2 and 1/3 < float(r[1]) <= 1 for r in rows), rows
EOF
cp "$TMP/out" "$TMP/predict.out"
# --explain N: the same results, each followed by its margin over the runner-up
# (whose parts add up) and at most N features for each side, strongest first,
# named by the words of that line: the first line's case for 정치 is its words
expect 0 "" -- "$TOOL" predict --model "$TMP/topic.cfdm" --explain 3 "$TMP/input.txt"
python3 - "$TMP/out" "$TMP/predict.out" <<'EOF' || fail "predict --explain: $(cat "$TMP/out")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert [l for l in lines if not l.startswith("#")] == open(sys.argv[2]).read().splitlines(), lines
blocks = []
for l in lines:
    if l.startswith("#"):
        blocks[-1].append(l.split("\t")[1:])
    else:
        blocks.append([l.split("\t")[0]])
assert len(blocks) == 3, lines
for k, (best, head, *feats) in enumerate(blocks):
    m = re.fullmatch(r"(\S+) over (\S+)", head[0])
    assert m and m.group(1) == best and m.group(2) != best, head
    rival = m.group(2)
    M, B, F = map(float, re.fullmatch(r"margin (\S+) = bias (\S+) \+ features (\S+)", head[1]).groups())
    assert M >= 0 and abs(M - (B + F)) < 2e-4, head
    pro = [(float(t), n) for lab, t, n in feats if lab == "for " + best]
    con = [(float(t), n) for lab, t, n in feats if lab == "for " + rival]
    assert len(pro) + len(con) == len(feats) and 1 <= len(pro) <= 3 and len(con) <= 3, feats
    assert all(t > 0 for t, _ in pro) and all(t < 0 for t, _ in con), feats
    assert pro == sorted(pro, key=lambda x: -x[0]) and con == sorted(con, key=lambda x: x[0]), feats
    if k == 0:
        assert best == "정치" and any(w in n for _, n in pro for w in ("대통령", "선거", "국회")), feats
EOF
expect 2 "--explain" -- "$TOOL" predict --model "$TMP/topic.cfdm" --explain 0 "$TMP/input.txt"
printf '주가 \xfe\n' | "$TOOL" predict --model "$TMP/topic.cfdm" - >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -qF "<stdin>:1:" "$TMP/err" || fail "predict bad UTF-8: $(cat "$TMP/err")"
# predict names the byte of the input and the column of the line, as train
# and eval do for the same file
expect 1 "$TMP/badutf8.tsv:2: invalid UTF-8 at byte 28 (column 15" -- "$TOOL" predict --model "$TMP/topic.cfdm" "$TMP/badutf8.tsv"
# predict reads no line past 128 MiB (twice the featurizer's limit): a file
# without line breaks is refused, naming its line and byte, instead of being
# read into memory whole; the lines before it are still answered
{ printf '주가\n'; head -c 140000000 /dev/zero | tr '\0' a; } > "$TMP/oneline.txt"
expect 1 "$TMP/oneline.txt:2: line longer than 128 MiB (it starts at byte 7)" -- \
  "$TOOL" predict --model "$TMP/topic.cfdm" "$TMP/oneline.txt"
[ "$(wc -l < "$TMP/out")" = 1 ] || fail "predict: the line before the long one: $(head -c 200 "$TMP/out")"
rm -f "$TMP/oneline.txt"

expect 0 "" -- "$TOOL" inspect "$TMP/topic.cfdm" --data "$TMP/train.tsv" --top 5
grep -q "^version     v-test" "$TMP/out" || fail "inspect version: $(cat "$TMP/out")"
grep -q "^notes       generated test data" "$TMP/out" || fail "inspect notes"
grep -q "data sha256 $(sha256sum "$TMP/train.tsv" | cut -c1-64)" "$TMP/out" || fail "inspect sha256"
grep -q "^label 정치" "$TMP/out" || fail "inspect labels"
grep -qE "word +(국회|대통령|선거|여당|야당|장관|의원|정부|president|vote)" "$TMP/out" ||
  fail "inspect names no political word: $(cat "$TMP/out")"

# liblinear's own predict on the exported model and features agrees with ours
expect 0 "" -- "$TOOL" export "$TMP/topic.cfdm" --liblinear "$TMP/ll.model" \
  --data "$TMP/dev.jsonl" --features "$TMP/dev.feat"
command -v liblinear-predict >/dev/null || fail "liblinear-predict (Debian liblinear-tools) is missing"
liblinear-predict "$TMP/dev.feat" "$TMP/ll.model" "$TMP/ll.out" >/dev/null || fail "liblinear-predict failed"
"$TOOL" predict --model "$TMP/topic.cfdm" "$TMP/dev.jsonl" | cut -f1 >"$TMP/ours.out"
python3 - "$TMP" <<'EOF2' || fail "liblinear and classifyd-train disagree"
import sys
d = sys.argv[1]
labels = ["경제", "스포츠", "정치"]  # the model's (sorted) label order
ours = [labels.index(l.strip()) for l in open(f"{d}/ours.out")]
theirs = [int(float(l)) for l in open(f"{d}/ll.out")]
assert len(ours) == len(theirs) == 90 and ours == theirs, (ours, theirs)
EOF2

# export --features to a full disk fails, also when the one failing write
# is the last: 4097 bytes of features are a full 4 KiB stdio buffer and a
# final newline whose flush fails and is dropped, so fclose() then has
# nothing left to write and succeeds (only ferror() tells). Lines of digit
# texts (one feature each) are combined to exactly that size.
for i in $(seq 1 40); do printf '정치\t%d\n' "$i"; done >"$TMP/digits.tsv"
expect 0 "" -- "$TOOL" export "$TMP/topic.cfdm" --liblinear "$TMP/ll2.model" \
  --data "$TMP/digits.tsv" --features "$TMP/digits.feat"
python3 - "$TMP" <<'EOF2' || fail "cannot make 4097 bytes of features"
import sys
d = sys.argv[1]
texts = [l.rstrip("\n").split("\t")[1] for l in open(f"{d}/digits.tsv", encoding="utf-8")]
size = {}
for t, l in zip(texts, open(f"{d}/digits.feat")):
    size.setdefault(len(l), t)
for l1 in size:
    for l2 in size:
        for b in range(0, 4097 // l2 + 1):
            if (4097 - b * l2) % l1 == 0:
                a = (4097 - b * l2) // l1
                with open(f"{d}/4097.tsv", "w", encoding="utf-8") as f:
                    f.write(f"정치\t{size[l1]}\n" * a + f"정치\t{size[l2]}\n" * b)
                sys.exit(0)
sys.exit(1)
EOF2
expect 0 "" -- "$TOOL" export "$TMP/topic.cfdm" --liblinear "$TMP/ll2.model" \
  --data "$TMP/4097.tsv" --features "$TMP/4097.feat"
[ "$(stat -c %s "$TMP/4097.feat")" = 4097 ] || fail "4097.feat is $(stat -c %s "$TMP/4097.feat") bytes"
expect 1 "/dev/full: write failed: No space left on device" -- "$TOOL" export "$TMP/topic.cfdm" \
  --liblinear "$TMP/ll2.model" --data "$TMP/4097.tsv" --features /dev/full

# eval: bad input files and a damaged model are named in the error
expect 1 "$TMP/notab.tsv:2: no TAB" -- "$TOOL" eval --model "$TMP/topic.cfdm" --data "$TMP/notab.tsv"
expect 1 "$TMP/badutf8.tsv:2: invalid UTF-8 at byte 28" -- "$TOOL" eval --model "$TMP/topic.cfdm" --data "$TMP/badutf8.tsv"
expect 1 "$TMP/empty.tsv: the file is empty" -- "$TOOL" eval --model "$TMP/topic.cfdm" --data "$TMP/empty.tsv"
expect 1 "$TMP/missing.cfdm" -- "$TOOL" eval --model "$TMP/missing.cfdm" --data "$TMP/dev.jsonl"
head -c 2000 "$TMP/topic.cfdm" >"$TMP/truncated.cfdm"
expect 1 "truncated.cfdm" -- "$TOOL" eval --model "$TMP/truncated.cfdm" --data "$TMP/dev.jsonl"

# an output that names an input is refused before anything is written
cp "$TMP/train.tsv" "$TMP/keep.tsv"
expect 2 "--out $TMP/keep.tsv is the same file as --data" -- "$TOOL" train --data "$TMP/keep.tsv" \
  --out "$TMP/keep.tsv" --name topic --buckets 14
ln -s keep.tsv "$TMP/keep-link.tsv"
expect 2 "is the same file as --dev" -- "$TOOL" train --data "$TMP/train.tsv" \
  --dev "$TMP/keep.tsv" --out "$TMP/keep-link.tsv" --name topic --buckets 14
cmp -s "$TMP/train.tsv" "$TMP/keep.tsv" || fail "train --out overwrote its input"
cp "$TMP/topic.cfdm" "$TMP/keep.cfdm"
expect 2 "--liblinear $TMP/keep.cfdm is the same file as MODEL" -- "$TOOL" export "$TMP/keep.cfdm" \
  --liblinear "$TMP/keep.cfdm"
expect 2 "--features $TMP/keep.tsv is the same file as --data" -- "$TOOL" export "$TMP/keep.cfdm" \
  --liblinear "$TMP/keep.ll" --data "$TMP/keep.tsv" --features "$TMP/keep.tsv"
cmp -s "$TMP/topic.cfdm" "$TMP/keep.cfdm" || fail "export --liblinear overwrote the model"
cmp -s "$TMP/train.tsv" "$TMP/keep.tsv" || fail "export --features overwrote the data"

# --out is checked before training: a path that is not a regular file (as
# /dev/null is: a model is saved by rename, which would replace it) and a
# directory it cannot be written in are refused, and the pipe stays a pipe
mkfifo "$TMP/pipe.cfdm"
expect 1 "--out: '$TMP/pipe.cfdm' is a pipe: a model is saved by renaming a new file over the path" \
  -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/pipe.cfdm" --name topic --buckets 14
[ -p "$TMP/pipe.cfdm" ] || fail "train --out replaced a pipe with a file"
expect 1 "--out $TMP/no/such/m.cfdm: cannot write the model in directory '$TMP/no/such' (No such file or directory)" \
  -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/no/such/m.cfdm" --name topic --buckets 14

# name, version and notes follow the model file's rules, checked before training
expect 2 "--name: model name contains control character 0x09" -- "$TOOL" train \
  --data "$TMP/train.tsv" --out "$TMP/m" --name "$(printf 'to\tpic')"
expect 2 "--notes: meta.notes is not valid UTF-8" -- "$TOOL" train \
  --data "$TMP/train.tsv" --out "$TMP/m" --name topic --notes "$(printf 'x \xff')"

# a SOURCE_DATE_EPOCH gmtime cannot convert is refused, not turned into a
# version made of uninitialised struct tm fields
expect 1 "SOURCE_DATE_EPOCH=\"99999999999999999\": expected seconds since 1970" -- \
  env SOURCE_DATE_EPOCH=99999999999999999 "$TOOL" train --data "$TMP/train.tsv" \
  --out "$TMP/r4.cfdm" --name topic --buckets 14
expect 1 "SOURCE_DATE_EPOCH" -- env SOURCE_DATE_EPOCH=" 5" "$TOOL" train --data "$TMP/train.tsv" \
  --out "$TMP/r4.cfdm" --name topic --buckets 14
[ -e "$TMP/r4.cfdm" ] && fail "a bad SOURCE_DATE_EPOCH still wrote a model"

# integer labels only where a double is exact
printf '{"label":9007199254740993,"body":"x"}\n{"label":2,"body":"y"}\n' >"$TMP/biglabel.jsonl"
expect 1 "$TMP/biglabel.jsonl:1: \"label\" is neither a string nor an integer below 2^53" -- \
  "$TOOL" train --data "$TMP/biglabel.jsonl" --out "$TMP/m" --name topic --buckets 14

# a report that cannot be written is an error, not exit 0
if [ -w /dev/full ]; then
  for args in "eval --model $TMP/topic.cfdm --data $TMP/dev.jsonl --json" "inspect $TMP/topic.cfdm" \
              "cv --data $TMP/train.tsv --folds 2 --buckets 12 --json"; do
    # shellcheck disable=SC2086
    "$TOOL" $args >/dev/full 2>"$TMP/err"
    st=$?
    [ "$st" = 1 ] && grep -q "writing standard output failed" "$TMP/err" ||
      fail "$args >/dev/full -> exit $st: $(cat "$TMP/err")"
  done
fi

# a full disk under --out: the message says so, what the model takes and what
# to do, and the model already at --out is left as it was, with no temporary
# file beside it (a full tmpfs in a private mount namespace, where one can
# be made, e.g. as root)
mkdir -p "$TMP/full"
if unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' sh "$TMP/full" 2>/dev/null; then
  unshare -m sh -c '
    mount -t tmpfs -o size=64k tmpfs "$1" || exit 9
    printf old >"$1/m.cfdm"; cat /dev/zero >"$1/fill" 2>/dev/null
    "$2" train --data "$3" --out "$1/m.cfdm" --name topic --buckets 14 --quiet 2>"$4"
    echo "exit $? $(cat "$1/m.cfdm") $(ls "$1" | wc -l)"' \
    sh "$TMP/full" "$TOOL" "$TMP/train.tsv" "$TMP/err" >"$TMP/full.out"
  [ "$(cat "$TMP/full.out")" = "exit 1 old 2" ] || fail "train on a full disk: $(cat "$TMP/full.out")"
  grep -q "cannot write model file '$TMP/full/m.cfdm': no space left on device (it takes [0-9]* bytes); free some space or give another path (nothing was changed)" "$TMP/err" ||
    fail "train on a full disk: $(cat "$TMP/err")"
fi

mkdir -p "$TMP/adir"
expect 1 "$TMP/adir: not a regular file (a directory)" -- "$TOOL" predict --model "$TMP/topic.cfdm" "$TMP/adir"

# a header line is data (the formats have none), but a label found only on
# line 1 is almost always one: train and cv say so
{ printf 'label\ttext\n'; cat "$TMP/train.tsv"; } >"$TMP/header.tsv"
expect 0 "header.tsv:1: the label \"label\" occurs on no other line; if line 1 is a header" -- \
  "$TOOL" train --data "$TMP/header.tsv" --out "$TMP/h.cfdm" --name topic --buckets 14 --quiet
expect 0 "if line 1 is a header" -- "$TOOL" cv --data "$TMP/header.tsv" --folds 2 --buckets 12
expect 0 "" -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/h.cfdm" --name topic --buckets 14 --quiet
grep -q "header" "$TMP/err" && fail "train warned about a header in a file without one: $(cat "$TMP/err")"

# labels that differ only in case, width or Unicode normalisation (a CMS
# export with "IT" and "it"; 정치 decomposed into jamo, as a Mac saves it) are
# two labels to the model: train and cv say which, and where
python3 - "$TMP" <<'PY'
import sys, unicodedata
d = sys.argv[1]
lines = open(f"{d}/train.tsv", encoding="utf-8").read().splitlines()
out = []
for i, l in enumerate(lines):
    lab, text = l.split("\t", 1)
    if lab == "경제" and i % 2:
        lab = "ECON"
    elif lab == "경제":
        lab = "econ"
    elif lab == "정치" and i % 2 == 0:
        lab = unicodedata.normalize("NFD", lab)
    out.append(f"{lab}\t{text}")
open(f"{d}/labels.tsv", "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
expect 0 "warning: labels \"ECON\" ($TMP/labels.tsv:2) and \"econ\" ($TMP/labels.tsv:5) differ only in letter case" -- \
  "$TOOL" train --data "$TMP/labels.tsv" --out "$TMP/l.cfdm" --name topic --buckets 14 --quiet
grep -q "labels.tsv:1) and \".*\" (.*labels.tsv:4) differ only in letter case, width or Unicode normalisation" "$TMP/err" ||
  fail "train did not name 정치 in NFC and NFD: $(cat "$TMP/err")"
expect 0 "differ only in letter case" -- "$TOOL" cv --data "$TMP/labels.tsv" --folds 2 --buckets 12
expect 0 "" -- "$TOOL" train --data "$TMP/train.tsv" --out "$TMP/h.cfdm" --name topic --buckets 14 --quiet
grep -q "differ only" "$TMP/err" && fail "train warned about labels that do not differ: $(cat "$TMP/err")"

# a long tail (a newsroom's small desks): labels with fewer examples than the
# folds are named with their counts, by cv and by train's internal CV
{ cat "$TMP/train.tsv"; printf '반려동물\t강아지 고양이 산책\n반려동물\t고양이 사료\n마켓워치\t주가 매각\n'; } >"$TMP/tail.tsv"
expect 0 "warning: 2 labels have fewer examples than the 3 folds, so some folds cannot test them and the model will seldom predict them: 마켓워치 (1), 반려동물 (2); merge each" -- \
  "$TOOL" cv --data "$TMP/tail.tsv" --folds 3 --buckets 12
expect 0 "2 labels have fewer examples than the 5 folds" -- \
  "$TOOL" train --data "$TMP/tail.tsv" --out "$TMP/t.cfdm" --name topic --buckets 14 --quiet
expect 0 "" -- "$TOOL" cv --data "$TMP/train.tsv" --folds 3 --buckets 12
grep -q "fewer examples than" "$TMP/err" && fail "cv warned about labels that have enough: $(cat "$TMP/err")"

for c in train eval cv predict inspect export; do
  expect 0 "" -- "$TOOL" $c --help
  grep -q "^usage: classifyd-train $c" "$TMP/out" || fail "$c --help"
done

if [ "$FAILS" -ne 0 ]; then
  echo "$FAILS check(s) failed"
  exit 1
fi
echo "all classifyd-train CLI checks passed"
