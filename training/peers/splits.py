#!/usr/bin/python3
"""Deterministic splits shared by classifyd-train, fastText and scikit-learn.

Why this exists: the three tools must be compared on exactly the same
held-out examples, and anyone must be able to rebuild those examples from
../shared/data without copying data into the repository. Folds are
stratified by label; inside a label, examples are ordered by
sha256("<seed>:<text>") and dealt round-robin into K folds. That order depends
only on the text and the seed (not on file order, Python version or a RNG),
so the split is stable across machines.

Output (OUT is outside the repository, e.g. /tmp/classifyd-quality/splits):
  OUT/ynat/fold0/{train,test}.tsv          official train -> dev
  OUT/news8/fold{0..4}/{train,test}.tsv    5-fold stratified CV
  OUT/finance-sentiment/fold{0..4}/...     5-fold stratified CV
  OUT/fnnews-mapped/all.tsv                fnnews desks mapped to news8 labels
  OUT/fnnews-mapped/fold{0..4}/...         5-fold CV of the mapped set
  OUT/section-mix/fold{i}/train.tsv        news8 fold i train + fnnews fold i train
  OUT/bbc-section/{all.tsv,fold{0..4}/...} bbc-en (English) mapped to news8 labels
  OUT/bbc-topic/{all.tsv,fold{0..4}/...}   bbc-en mapped to ynat labels
  OUT/MANIFEST                             sha256 of every input, seed, K

The desk mapping (fnnews 2021 desks -> news8 labels) keeps only desks whose
content clearly belongs to one news8 section; see DESK_MAP and RESULTS.md.
"""
import hashlib
import os
import sys

SEED = "classifyd-2026"
K = 5

# 파이낸셜뉴스 desk -> news8 label. Desks not listed are dropped:
#   문화 (films/TV = 연예 mixed with exhibitions = 생활문화), 의학·과학 (health,
#   science and bio-industry mixed), 블록체인 (economy vs IT), 패션·뷰티 (health
#   tips, ads), 피플/사설·칼럼/외부칼럼 (genres, not topics), 반려동물 (1 example).
DESK_MAP = {
    "사회": "사회", "교육": "사회",
    "정치": "정치",
    "국제": "세계",
    "경제": "경제", "증권": "경제", "산업": "경제", "부동산": "경제",
    "금융": "경제", "생활경제": "경제", "마켓워치": "경제",
    "IT": "IT과학",
}

# bbc-en (English, BBC 2004-2005) -> news8 and ynat labels, so the default
# section and topic models also learn English news (RESULTS.md, "English").
# Every BBC label has one clear counterpart; YNAT has no 연예 and files
# entertainment under 생활문화. BBC politics is UK politics, which a Korean
# site would often file under 세계: mapped by subject (정치), as news8 and
# YNAT label Korean politics, because an English article a Korean newsroom
# receives is mostly about Korea.
BBC_SECTION_MAP = {"business": "경제", "entertainment": "연예", "politics": "정치",
                   "sport": "스포츠", "tech": "IT과학"}
BBC_TOPIC_MAP = dict(BBC_SECTION_MAP, entertainment="생활문화")


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            label, sep, text = line.partition("\t")
            if not sep or not label:
                sys.exit(f"{path}:{no}: expected label<TAB>text")
            rows.append((label, text))
    return rows


def write_tsv(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for label, text in rows:
            f.write(f"{label}\t{text}\n")


def fold_of(rows, k):
    """Returns fold index per row: stratified, hash-ordered, round-robin."""
    by_label = {}
    for i, (label, text) in enumerate(rows):
        by_label.setdefault(label, []).append(i)
    fold = [0] * len(rows)
    for label in sorted(by_label):
        idx = sorted(by_label[label], key=lambda i: hashlib.sha256(
            f"{SEED}:{rows[i][1]}".encode("utf-8")).hexdigest())
        for rank, i in enumerate(idx):
            fold[i] = rank % k
    return fold


def kfold(rows, out, k):
    fold = fold_of(rows, k)
    for f in range(k):
        write_tsv(f"{out}/fold{f}/train.tsv", [r for r, g in zip(rows, fold) if g != f])
        write_tsv(f"{out}/fold{f}/test.tsv", [r for r, g in zip(rows, fold) if g == f])
    return fold


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: splits.py DATA_DIR OUT_DIR")
    data, out = sys.argv[1], sys.argv[2]
    inputs = ["ynat/train.tsv", "ynat/dev.tsv", "news8/train.tsv",
              "finance-sentiment/train.tsv", "fnnews-desks/train.tsv"]
    # Optional: without it there are no bbc-* splits (train-defaults.sh
    # --no-english does not need them; the default recipes do).
    if os.path.isfile(f"{data}/bbc-en/train.tsv"):
        inputs.append("bbc-en/train.tsv")
    for rel in inputs:
        if not os.path.isfile(f"{data}/{rel}"):
            sys.exit(f"{data}/{rel}: missing (expected ../shared/data layout, see its README.md)")

    write_tsv(f"{out}/ynat/fold0/train.tsv", read_tsv(f"{data}/ynat/train.tsv"))
    write_tsv(f"{out}/ynat/fold0/test.tsv", read_tsv(f"{data}/ynat/dev.tsv"))
    news8 = read_tsv(f"{data}/news8/train.tsv")
    kfold(news8, f"{out}/news8", K)
    kfold(read_tsv(f"{data}/finance-sentiment/train.tsv"), f"{out}/finance-sentiment", K)

    mapped = [(DESK_MAP[l], t) for l, t in read_tsv(f"{data}/fnnews-desks/train.tsv")
              if l in DESK_MAP]
    write_tsv(f"{out}/fnnews-mapped/all.tsv", mapped)
    kfold(mapped, f"{out}/fnnews-mapped", K)
    for f in range(K):
        mix = read_tsv(f"{out}/news8/fold{f}/train.tsv") + \
              read_tsv(f"{out}/fnnews-mapped/fold{f}/train.tsv")
        write_tsv(f"{out}/section-mix/fold{f}/train.tsv", mix)
    bbc = read_tsv(f"{data}/bbc-en/train.tsv") if "bbc-en/train.tsv" in inputs else []
    unknown = sorted({l for l, _ in bbc} - set(BBC_SECTION_MAP))
    if unknown:
        sys.exit(f"{data}/bbc-en/train.tsv: labels {', '.join(unknown)} have no mapping "
                 f"(BBC_SECTION_MAP, BBC_TOPIC_MAP in {sys.argv[0]})")
    for name, labels in (("bbc-section", BBC_SECTION_MAP), ("bbc-topic", BBC_TOPIC_MAP)):
        if not bbc:
            break
        rows = [(labels[l], t) for l, t in bbc]
        write_tsv(f"{out}/{name}/all.tsv", rows)
        kfold(rows, f"{out}/{name}", K)

    with open(f"{out}/MANIFEST", "w", encoding="utf-8") as m:
        m.write(f"seed {SEED}\nfolds {K}\n")
        for rel in inputs:
            m.write(f"sha256 {sha256_file(f'{data}/{rel}')} {rel}\n")
        counts = {}
        for l, _ in mapped:
            counts[l] = counts.get(l, 0) + 1
        m.write("fnnews-mapped " + " ".join(f"{l}={n}" for l, n in sorted(counts.items())) + "\n")


if __name__ == "__main__":
    main()
