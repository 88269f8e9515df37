# Sourced by training/compare-peers.sh: the peers' settings, tuned by hand on
# the same splits (training/RESULTS.md lists what was tried and what it gave).
# fastText 0.9.2 (Debian): `fasttext supervised` options.
FT_COMMON="-thread 2 -seed 1"
FT_YNAT="-epoch 10 -lr 0.5 -wordNgrams 2 -minn 1 -maxn 3 -dim 50"
FT_NEWS8="-epoch 50 -lr 1.0 -wordNgrams 1 -minn 2 -maxn 3 -dim 30 -bucket 200000"
FT_SENT="-epoch 25 -lr 0.5 -wordNgrams 2 -minn 1 -maxn 3 -dim 50 -bucket 200000"
# scikit-learn 1.2 (Debian): TfidfVectorizer(char_wb LO..HI + word LO..HI,
# sublinear TF, IDF) + LinearSVC(C).
SK_YNAT="--char 1,4 --word 1,2 --c 0.1"
SK_NEWS8="--char 1,4 --word 1,2 --c 0.5"
SK_SENT="--char 1,4 --word 1,2 --c 0.5"
