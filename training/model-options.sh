# Sourced (POSIX sh) by training/train-defaults.sh and training/compare-peers.sh:
# the ONE place where the default models' data recipe, featurizer, solver and
# C are chosen, so the committed models and the figures in training/RESULTS.md
# cannot drift apart. Why each value was chosen: training/RESULTS.md.
# Callers set $here to the training/ directory before sourcing.
#
# Counting config shared by ALL default models. The daemon featurizes an
# article once for every group of models whose counting configs are equal
# (cfd_feat_config_counts_equal: buckets, word n-grams, char n-gram range,
# clean_news, title weight, seed); one config for all three means one counting
# pass per article instead of three. So the options below are the only place
# any of those is set: *_OPTS may add weighting switches (--idf,
# --no-sublinear, --no-l2), solver, C and class weights, never a counting
# option. train-defaults.sh checks the trained models and fails if their
# counting configs differ. Why these values: training/RESULTS.md, "One
# featurization for all three models". Tool defaults also part of it: word
# unigrams + bigrams, clean_news on, title weight 2, the fixed hash seed.
SHARED_FEAT_OPTS="--buckets 19 --char-min 1 --char-max 3"
# Per model, on top of SHARED_FEAT_OPTS (tool defaults not repeated: sublinear
# TF, no IDF, L2, liblinear L2-loss SVM (dual), C 1).
TOPIC_OPTS="$SHARED_FEAT_OPTS --c 0.5"
SECTION_OPTS="$SHARED_FEAT_OPTS --idf"
SENTIMENT_OPTS="$SHARED_FEAT_OPTS --balanced"
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
