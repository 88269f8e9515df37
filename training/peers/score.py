#!/usr/bin/python3
"""One scorer for every tool, so the peers are compared by the same arithmetic.

usage: score.py GOLD.tsv PRED.txt [GOLD2.tsv PRED2.txt ...]
GOLD.tsv is label<TAB>text; PRED.txt has one predicted label per line (the
first whitespace-free field; fastText's "__label__" prefix is stripped).
With several (gold, pred) pairs given as GOLD1 PRED1 GOLD2 PRED2 ..., the
pairs are scored separately and the mean over pairs is printed,
which is what "5-fold CV macro-F1" means here (mean of per-fold macro-F1).

Macro-F1 averages over the labels present in the gold file (a label that only
ever appears as a wrong prediction still costs recall of the true label and
precision nowhere else; this matters for the out-of-source set, which lacks
some news8 labels). Prints JSON: n, accuracy, macro_f1, folds.
"""
import json
import sys


def labels_of(path, gold):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            lab = line.split("\t", 1)[0] if gold else line.split()[0] if line.split() else ""
            if lab.startswith("__label__"):
                lab = lab[len("__label__"):]
            out.append(lab)
    return out


def score(gold, pred):
    if len(gold) != len(pred):
        sys.exit(f"score.py: {len(gold)} gold labels but {len(pred)} predictions")
    f1s = []
    for lab in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    acc = sum(1 for g, p in zip(gold, pred) if g == p) / len(gold)
    return acc, sum(f1s) / len(f1s)


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit("usage: score.py GOLD.tsv PRED.txt [GOLD2.tsv PRED2.txt ...]")
    folds = []
    n = 0
    for g, p in zip(args[0::2], args[1::2]):
        gold, pred = labels_of(g, True), labels_of(p, False)
        acc, f1 = score(gold, pred)
        n += len(gold)
        folds.append({"n": len(gold), "accuracy": round(acc, 4), "macro_f1": round(f1, 4)})
    print(json.dumps({
        "n": n,
        "accuracy": round(sum(f["accuracy"] for f in folds) / len(folds), 4),
        "macro_f1": round(sum(f["macro_f1"] for f in folds) / len(folds), 4),
        "folds": folds}, ensure_ascii=False))


if __name__ == "__main__":
    main()
