#!/bin/sh
# Reproduces the side-by-side figures in training/RESULTS.md: classifyd-train
# (with the default models' options from training/model-options.sh), fastText
# and scikit-learn, on the same deterministic splits (training/splits.sh), all
# scored by one scorer (training/peers/score.py: macro-F1 over the gold
# labels, mean over folds).
#
# Tasks:
#   topic      ynat train -> ynat dev (ours: + the mapped BBC articles)
#   section    news8 5-fold CV
#   sentiment  finance-sentiment 5-fold CV
#   section-oos  out of time and source: trained on all of news8 (2018 Naver;
#              ours: + its capped YNAT headlines, no fnnews), tested on
#              fnnews-desks (2021 파이낸셜뉴스) mapped to news8 labels
#   section-mix  ours only: the section recipe with and without the capped
#              mapped-fnnews training folds, tested on the news8 and fnnews
#              test folds k (never trained on)
#   english    ours only: the section and topic recipes with BBC fold k held
#              out, tested on BBC fold k (English, mapped labels)
#
# usage: training/compare-peers.sh [--build DIR] [--work DIR] [--no-peers] [--tasks LIST]
#   --build DIR   build dir holding bin/classifyd-train (default build-quality,
#                 else build)
#   --work DIR    scratch dir outside the repo (default /tmp/classifyd-quality)
#   --no-peers    only run classifyd-train
#   --tasks LIST  comma-separated subset of: topic,section,sentiment,section-oos,section-mix,
#                 english
# Prints a Markdown table on stdout and leaves every prediction in WORK/runs.
# The whole run takes ~6 minutes on the 2 cores when they are idle, up to
# ~35 under a load of 6-10 (scikit-learn and fastText dominate).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=""
work=/tmp/classifyd-quality
peers=1
tasks=topic,section,sentiment,section-oos,section-mix,english
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2;;
    --work) work=$2; shift 2;;
    --no-peers) peers=0; shift;;
    --tasks) tasks=$2; shift 2;;
    *) echo "compare-peers.sh: unknown option $1 (see the header of $0)" >&2; exit 2;;
  esac
done
if [ -z "$build" ]; then
  for b in "$repo/build-quality" "$repo/build"; do
    [ -x "$b/bin/classifyd-train" ] && { build=$b; break; }
  done
fi
train_bin=${build:+$build/bin/classifyd-train}
if [ -z "$train_bin" ] || [ ! -x "$train_bin" ]; then
  echo "compare-peers.sh: classifyd-train not found; build first (cmake --build <dir>) and pass --build <dir>" >&2
  exit 2
fi
py=/usr/bin/python3
"$py" -c 'import sklearn' 2>/dev/null || { echo "compare-peers.sh: needs Debian python3-sklearn ($py)" >&2; exit 2; }
command -v fasttext >/dev/null || { echo "compare-peers.sh: needs Debian fasttext" >&2; exit 2; }

. "$here/model-options.sh"
. "$here/peers/peer-options.sh"
splits=$work/splits
runs=$work/runs
"$here/splits.sh" "$splits"
mkdir -p "$runs"
results=$runs/results.tsv
: > "$results"
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc | awk '{printf "%.1f", $1}'; }
has_task() { case ",$tasks," in *",$1,"*) return 0;; esac; return 1; }
log() { echo "[compare-peers $(date +%H:%M:%S)] $*" >&2; }

# score GOLD PRED [GOLD PRED ...] -> "macro_f1 accuracy"
score() { "$py" "$here/peers/score.py" "$@" | "$py" -c 'import json,sys; d=json.load(sys.stdin); print(d["macro_f1"], d["accuracy"])'; }

# ours TAG TRAIN TEST OPTS -> writes $runs/TAG.pred, echoes "train_seconds model_bytes"
ours() {
  tag=$1 tr=$2 te=$3 opts=$4
  t0=$(now)
  # shellcheck disable=SC2086
  nice "$train_bin" train --data "$tr" --out "$runs/$tag.cfdm" --name "$tag" --calib-folds 0 --quiet $opts
  t1=$(now)
  "$train_bin" predict --model "$runs/$tag.cfdm" "$te" | cut -f1 > "$runs/$tag.pred"
  echo "$(elapsed "$t0" "$t1") $(stat -c %s "$runs/$tag.cfdm")"
  rm -f "$runs/$tag.cfdm"
}
ft() {
  tag=$1 tr=$2 te=$3 opts=$4
  # shellcheck disable=SC2086
  nice "$here/peers/fasttext_peer.sh" "$tr" "$te" "$runs/$tag.pred" "$runs/$tag.ftwork" $FT_COMMON $opts 2>"$runs/$tag.log"
  awk '/^fit_seconds/ {printf "%.1f", $2}' "$runs/$tag.log"
}
sk() {
  tag=$1 tr=$2 te=$3 opts=$4
  # shellcheck disable=SC2086
  nice "$py" "$here/peers/sklearn_peer.py" "$tr" "$te" "$runs/$tag.pred" $opts 2>"$runs/$tag.log"
  awk '/^fit_seconds/ {printf "%.1f", $2}' "$runs/$tag.log"
}

# run_task TASK SPLITDIR FOLDS OURS_OPTS FT_OPTS SK_OPTS [TRAIN TEST [OURS_TRAIN]]
# TRAIN/TEST replace SPLITDIR/foldK/{train,test}.tsv; OURS_TRAIN (a .tsv, or
# a dir with foldK/train.tsv) is what classifyd-train trains on instead.
run_task() {
  task=$1 dir=$2 folds=$3 oo=$4 fo=$5 so=$6 tr_all=${7:-} te_all=${8:-} ours_tr=${9:-}
  for tool in ours fasttext sklearn; do
    [ $tool != ours ] && [ $peers = 0 ] && continue
    pairs="" tsum=0 size=-
    k=0
    while [ $k -lt "$folds" ]; do
      tr=${tr_all:-$dir/fold$k/train.tsv} te=${te_all:-$dir/fold$k/test.tsv}
      otr=$tr
      case $ours_tr in
        "") ;;
        *.tsv) otr=$ours_tr;;
        *) otr=$ours_tr/fold$k/train.tsv;;
      esac
      tag=$task-$tool-$k
      log "$task $tool fold $k"
      case $tool in
        ours) r=$(ours "$tag" "$otr" "$te" "$oo"); t=${r% *} size=${r#* };;
        fasttext) t=$(ft "$tag" "$tr" "$te" "$fo");;
        sklearn) t=$(sk "$tag" "$tr" "$te" "$so");;
      esac
      tsum=$(echo "$tsum + $t" | bc)
      pairs="$pairs $te $runs/$tag.pred"
      k=$((k + 1))
    done
    # shellcheck disable=SC2086
    r=$(score $pairs)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$task" "$tool" "${r% *}" "${r#* }" \
      "$(echo "$tsum / $folds" | bc -l | awk '{printf "%.1f", $1}')" "$size" >> "$results"
  done
}

ynat_train=$repo/../shared/data/ynat/train.tsv
# Every task but sentiment trains our recipes, which include the BBC articles.
if has_task topic || has_task section || has_task section-oos || has_task section-mix ||
   has_task english; then
  [ -f "$splits/bbc-topic/all.tsv" ] || {
    echo "compare-peers.sh: no bbc-* splits: ../shared/data/bbc-en/train.tsv is missing, and the default recipes use it (model-options.sh); --tasks sentiment runs without it" >&2
    exit 2
  }
  # Our topic recipe: ynat train + the mapped BBC articles (model-options.sh
  # topic_data); the peers get ynat train. The test set is ynat dev either way.
  topic_data "$ynat_train" "$splits/bbc-topic/all.tsv" "$splits/topic-ours.tsv"
fi
has_task topic && run_task topic "$splits/ynat" 1 "$TOPIC_OPTS $TOPIC_SAVE" "$FT_YNAT" "$SK_YNAT" \
  "" "" "$splits/topic-ours.tsv"
if has_task section || has_task section-mix || has_task section-oos || has_task english; then
  # Our section recipe per fold (model-options.sh section_data): news8 fold k
  # train + capped mapped-fnnews fold k train + capped YNAT train headlines +
  # mapped BBC fold k train + lead copies; the peers get news8 fold k train as
  # is. Test folds are untouched (YNAT headlines and BBC articles are never in
  # a news8 or fnnews test set here; BBC fold k is task english's test set).
  k=0
  while [ $k -lt 5 ]; do
    mkdir -p "$splits/section-ours/fold$k" "$splits/section-ours-nofnnews/fold$k"
    section_data "$splits/news8/fold$k/train.tsv" "$splits/fnnews-mapped/fold$k/train.tsv" \
      "$ynat_train" "$splits/bbc-section/fold$k/train.tsv" "$splits/section-ours/fold$k/train.tsv"
    section_data "$splits/news8/fold$k/train.tsv" - "$ynat_train" \
      "$splits/bbc-section/fold$k/train.tsv" "$splits/section-ours-nofnnews/fold$k/train.tsv"
    k=$((k + 1))
  done
  section_data "$repo/../shared/data/news8/train.tsv" - "$ynat_train" \
    "$splits/bbc-section/all.tsv" "$splits/section-ours-nofnnews/all.tsv"
fi
has_task section && run_task section "$splits/news8" 5 "$SECTION_OPTS $SECTION_SAVE" "$FT_NEWS8" "$SK_NEWS8" \
  "" "" "$splits/section-ours"
has_task sentiment && run_task sentiment "$splits/finance-sentiment" 5 "$SENTIMENT_OPTS $SENTIMENT_SAVE" "$FT_SENT" "$SK_SENT"
# Ours cannot use fnnews here (it is the test set): news8 + YNAT + lead copies.
has_task section-oos && run_task section-oos "$splits" 1 "$SECTION_OPTS $SECTION_SAVE" "$FT_NEWS8" "$SK_NEWS8" \
  "$repo/../shared/data/news8/train.tsv" "$splits/fnnews-mapped/all.tsv" \
  "$splits/section-ours-nofnnews/all.tsv"

if has_task section-mix; then
  # Same test folds for both training sets; every test example is unseen.
  for train in section-ours-nofnnews section-ours; do
    for test in news8 fnnews-mapped; do : > "$runs/mix-$train-$test.pairs"; done
    k=0
    while [ $k -lt 5 ]; do
      log "section-mix train=$train fold $k"
      # shellcheck disable=SC2086
      nice "$train_bin" train --data "$splits/$train/fold$k/train.tsv" --out "$runs/mix.cfdm" \
        --name section --calib-folds 0 --quiet $SECTION_OPTS $SECTION_SAVE
      for test in news8 fnnews-mapped; do
        "$train_bin" predict --model "$runs/mix.cfdm" "$splits/$test/fold$k/test.tsv" | cut -f1 \
          > "$runs/mix-$train-$test-$k.pred"
        echo "$splits/$test/fold$k/test.tsv $runs/mix-$train-$test-$k.pred" >> "$runs/mix-$train-$test.pairs"
      done
      k=$((k + 1))
    done
    for test in news8 fnnews-mapped; do
      # shellcheck disable=SC2046
      set -- $(score $(cat "$runs/mix-$train-$test.pairs"))
      printf 'section-mix train=%s test=%s\tours\t%s\t%s\t-\t-\n' "$train" "$test" "$1" "$2" >> "$results"
    done
  done
  rm -f "$runs/mix.cfdm"
fi

if has_task english; then
  # English (no peer: the peers are compared on the Korean tasks). Per fold
  # k: the section recipe of task section and the topic recipe with BBC fold
  # k held out, tested on BBC fold k (labels mapped as in training).
  : > "$runs/english-section.pairs"
  : > "$runs/english-topic.pairs"
  k=0
  while [ $k -lt 5 ]; do
    log "english fold $k"
    topic_data "$ynat_train" "$splits/bbc-topic/fold$k/train.tsv" "$runs/english-topic-train.tsv"
    for m in section topic; do
      case $m in
        section) tr=$splits/section-ours/fold$k/train.tsv opts="$SECTION_OPTS $SECTION_SAVE";;
        topic) tr=$runs/english-topic-train.tsv opts="$TOPIC_OPTS $TOPIC_SAVE";;
      esac
      # shellcheck disable=SC2086
      nice "$train_bin" train --data "$tr" --out "$runs/english.cfdm" --name "$m" \
        --calib-folds 0 --quiet $opts
      "$train_bin" predict --model "$runs/english.cfdm" "$splits/bbc-$m/fold$k/test.tsv" |
        cut -f1 > "$runs/english-$m-$k.pred"
      echo "$splits/bbc-$m/fold$k/test.tsv $runs/english-$m-$k.pred" >> "$runs/english-$m.pairs"
    done
    k=$((k + 1))
  done
  for m in section topic; do
    # shellcheck disable=SC2046
    set -- $(score $(cat "$runs/english-$m.pairs"))
    printf 'english %s (BBC 5-fold)\tours\t%s\t%s\t-\t-\n' "$m" "$1" "$2" >> "$results"
  done
  rm -f "$runs/english.cfdm" "$runs/english-topic-train.tsv"
fi

echo "| task | tool | macro-F1 | accuracy | train s (mean per fold) | model bytes |"
echo "|---|---|---|---|---|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$results"
