#!/usr/bin/python3
"""scikit-learn peer: TF-IDF (char n-grams inside word boundaries + word
n-grams, sublinear TF) + LinearSVC, the strong classical baseline that
classifyd is compared with in training/RESULTS.md.

usage: sklearn_peer.py TRAIN.tsv TEST.tsv PRED_OUT [--char LO,HI] [--word LO,HI]
                       [--c C] [--min-df N]
Writes one predicted label per line of TEST.tsv to PRED_OUT and prints the
fit time in seconds on stderr. Deterministic (LinearSVC with fixed
random_state). Runs under Debian's python3-sklearn (/usr/bin/python3).
"""
import argparse
import sys
import time

from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC


def read(path):
    y, x = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            lab, _, text = line.rstrip("\n").partition("\t")
            y.append(lab)
            x.append(text)
    return y, x


def rng(s):
    lo, hi = s.split(",")
    return int(lo), int(hi)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("pred")
    ap.add_argument("--char", default="1,4")
    ap.add_argument("--word", default="1,2")
    ap.add_argument("--c", type=float, default=0.5)
    ap.add_argument("--min-df", type=int, default=1)
    a = ap.parse_args()
    ytr, xtr = read(a.train)
    _, xte = read(a.test)
    t0 = time.time()
    vecs = []
    if a.char != "0":
        vecs.append(TfidfVectorizer(analyzer="char_wb", ngram_range=rng(a.char),
                                    sublinear_tf=True, min_df=a.min_df))
    if a.word != "0":
        vecs.append(TfidfVectorizer(analyzer="word", ngram_range=rng(a.word),
                                    token_pattern=r"(?u)\b\w+\b",
                                    sublinear_tf=True, min_df=a.min_df))
    xtr_m = hstack([v.fit_transform(xtr) for v in vecs]).tocsr()
    clf = LinearSVC(C=a.c, random_state=0).fit(xtr_m, ytr)
    fit = time.time() - t0
    xte_m = hstack([v.transform(xte) for v in vecs]).tocsr()
    with open(a.pred, "w", encoding="utf-8") as f:
        for p in clf.predict(xte_m):
            f.write(p + "\n")
    print(f"fit_seconds {fit:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
