# Sourced (POSIX sh) by training/train-defaults.sh and training/compare-peers.sh:
# the ONE place where the default models' data recipe, featurizer, solver and
# C are chosen, so the committed models and the figures in training/RESULTS.md
# cannot drift apart. Why each value was chosen: training/RESULTS.md.
# Callers set $here to the training/ directory before sourcing.
#
# Tool defaults not repeated here: 2^20 buckets, word unigrams + bigrams,
# sublinear TF, L2, clean_news on, title weight 2, liblinear L2-loss SVM (dual).
TOPIC_OPTS="--c 0.5 --char-max 2"
SECTION_OPTS="--idf --char-max 4 --buckets 19"
SENTIMENT_OPTS="--balanced"
# On-disk encoding (budget: all three models <= 16 MB).
TOPIC_SAVE="--quantize q8"
SECTION_SAVE="--quantize q8"
SENTIMENT_SAVE="--quantize q8"

# Section training data: news8 + at most SECTION_FN_CAP examples per label of
# fnnews-desks mapped to news8 labels (training/peers/splits.py DESK_MAP; the
# cap keeps fnnews's 사회-heavy priors and its different desk boundaries from
# outweighing news8), then a lead copy (first SECTION_LEAD characters) of
# every article (training/augment-leads.py).
SECTION_FN_CAP=120
SECTION_LEAD=200

# section_data NEWS8.tsv FNNEWS_MAPPED.tsv|- OUT.tsv
section_data() {
  _sd_tmp=$3.mix
  if [ "$2" = - ]; then
    cat "$1" > "$_sd_tmp"
  else
    { cat "$1"; awk -F'\t' -v cap="$SECTION_FN_CAP" 'n[$1]++ < cap' "$2"; } > "$_sd_tmp"
  fi
  /usr/bin/python3 "$here/augment-leads.py" "$_sd_tmp" "$3" "$SECTION_LEAD"
  rm -f "$_sd_tmp"
}
