#!/usr/bin/env bash
# The train-to-serve workflow, step by step as the README describes it:
#   1. train a new section model from a TSV        classifyd-train train
#   2. evaluate it on held-out articles            classifyd-train eval
#   3. place it in the models directory            cp to a temp name + mv (atomic)
#   4. reload                                      classifyctl reload section FILE
#   5. see the new version in replies              classifyctl classify --format json
#   6. roll back                                   classifyctl rollback section
# Each step's command is echoed so this script doubles as a worked example.
. "$(dirname "$0")/lib.sh"
it_init "$@"
it_start_daemon
ctl() { echo "+ classifyctl $*" >&2; timeout 60 "$BIN/classifyctl" --socket "$SOCK" "$@"; }
served_section() { # checksum of the section model that classified an article
  printf '%s' "$IT_ARTICLE" | ctl classify --format json | it_json 'd["results"]["section"]["model"]["checksum"]'
}
old=$(served_section)
old_version=$(printf '%s' "$IT_ARTICLE" | ctl classify --format json | it_json 'd["results"]["section"]["model"]["version"]')

# 1. Train: the newsroom's labelled articles, minus a held-out fifth for step 2.
awk 'NR % 5 != 0' "$DATA/news8/train.tsv" > "$IT_TMP/train.tsv"
awk 'NR % 5 == 0' "$DATA/news8/train.tsv" > "$IT_TMP/heldout.tsv"
# With the README's options: the default models' counting config, IDF, q8.
echo "+ classifyd-train train --name section --data train.tsv --out section-new.cfdm --buckets 19 --word-prefix --idf --quantize q8" >&2
it_check "1. train a new section model" timeout 300 "$BIN/classifyd-train" train --name section \
  --data "$IT_TMP/train.tsv" --out "$IT_TMP/section-new.cfdm" --buckets 19 --word-prefix --idf --quantize q8

# 2. Evaluate on the held-out articles.
echo "+ classifyd-train eval --model section-new.cfdm --data heldout.tsv --json" >&2
ev=$(timeout 120 "$BIN/classifyd-train" eval --model "$IT_TMP/section-new.cfdm" --data "$IT_TMP/heldout.tsv" --json)
echo "$ev" | head -c 400; echo
acc=$(it_json 'd.get("accuracy", d.get("metrics", {}).get("accuracy"))' <<<"$ev")
it_match "2. evaluation reports accuracy" '^0\.[0-9]+$|^1(\.0+)?$' "$acc"
it_check "2. the new model is useful (held-out accuracy >= 0.6)" python3 -c "import sys; sys.exit(0 if float('$acc') >= 0.6 else 1)"

# 3. Place it atomically: copy under a temporary name, then rename.
cp "$IT_TMP/section-new.cfdm" "$MODELS/.section-new.cfdm.tmp"
mv "$MODELS/.section-new.cfdm.tmp" "$MODELS/section-new.cfdm"

# 4. Reload that plugin with the new file.
out=$(ctl reload section section-new.cfdm 2>"$IT_TMP/reload.err"); rc=$?
it_eq "4. reload exit 0" 0 $rc
it_match "4. reload says what now serves" 'section: now serving' "$out"
# the same labels and counting config as the models it serves with: no warning
it_eq "4. reload warns of nothing (labels fit the rules, one featurization)" "" \
  "$(grep 'warning' "$IT_TMP/reload.err")"

# 5. New replies name the new model.
new=$(served_section)
it_check "5. replies now come from the new model ($old -> $new)" test "$new" != "$old"
out=$(ctl plugins)
it_match "5. classifyctl plugins shows the new file and the previous version" \
  "model +[^ ]*section-new.cfdm" "$out"
it_match "5. ... and the old one as previous" "previous .*version $old_version" "$out"
out=$(ctl batch --no-progress --plugin section "$IT_TMP/heldout.tsv")
it_match "5. classifyctl batch scores the served model on the held-out set" 'accuracy 0\.[0-9]+' "$out"

# 6. Roll back.
out=$(ctl rollback section); rc=$?
it_eq "6. rollback exit 0" 0 $rc
it_eq "6. replies come from the old model again" "$old" "$(served_section)"

# Reload everything (what SIGHUP does): every plugin's configured file again.
out=$(ctl reload); rc=$?
it_eq "reload (all plugins) exit 0" 0 $rc
for p in topic section sentiment; do
  it_match "reload (all plugins) reports $p" "^$p: now serving" "$out"
done
it_eq "reload of the configured files serves the configured section model again" "$old" "$(served_section)"

# A reload of a file that is not there fails clearly and changes nothing.
out=$(ctl reload section no-such-model.cfdm 2>&1); rc=$?
it_eq "reloading a missing file: exit 1" 1 $rc
it_match "reloading a missing file: the daemon's error is shown" 'classifyctl: reload section no-such-model.cfdm: [0-9]{3} ' "$out"
it_eq "and the old model still serves" "$old" "$(served_section)"
