#!/bin/sh
# fastText peer: `fasttext supervised` (Debian package) with character
# n-grams, trained on one split and used to predict its test file, so that
# training/compare-peers.sh can score it with the same scorer as the others.
#
# usage: fasttext_peer.sh TRAIN.tsv TEST.tsv PRED_OUT WORKDIR [fasttext options...]
# Options after WORKDIR are passed to `fasttext supervised` verbatim (the
# settings used are listed in training/compare-peers.sh and RESULTS.md).
# Prints "fit_seconds N" (wall time of `fasttext supervised`) on stderr.
set -eu
[ $# -ge 4 ] || { echo "usage: $0 TRAIN.tsv TEST.tsv PRED_OUT WORKDIR [options]" >&2; exit 2; }
train=$1 test=$2 pred=$3 work=$4
shift 4
mkdir -p "$work"
# label<TAB>text -> "__label__label text"; fastText splits on whitespace only.
awk -F'\t' '{ print "__label__" $1 " " $2 }' "$train" > "$work/train.ft"
cut -f2- "$test" > "$work/test.txt"
t0=$(date +%s.%N)
fasttext supervised -input "$work/train.ft" -output "$work/model" -verbose 0 "$@"
t1=$(date +%s.%N)
fasttext predict "$work/model.bin" "$work/test.txt" 1 | sed 's/^__label__//' > "$pred"
rm -f "$work/model.bin" "$work/model.vec" "$work/train.ft" "$work/test.txt"
echo "fit_seconds $(echo "$t1 - $t0" | bc)" >&2
