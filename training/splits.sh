#!/bin/sh
# Builds the deterministic splits that classifyd-train, fastText and
# scikit-learn are all evaluated on (see training/peers/splits.py for the
# method). Writes outside the repository: data never goes into git.
#
# usage: training/splits.sh [OUT_DIR]    (default: $CFD_WORK/splits,
#                                          CFD_WORK defaults to /tmp/classifyd-quality)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
data=${CFD_DATA:-$repo/../shared/data}
out=${1:-${CFD_WORK:-/tmp/classifyd-quality}/splits}
case $(cd "$(dirname "$out")" 2>/dev/null && pwd || echo "$out") in
  "$repo"|"$repo"/*) echo "splits.sh: $out is inside the repository; choose a directory outside it" >&2; exit 2;;
esac
mkdir -p "$out"
/usr/bin/python3 "$here/peers/splits.py" "$data" "$out"
echo "splits in $out" >&2
