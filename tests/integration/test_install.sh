#!/usr/bin/env bash
# `cmake --install` (README, "Running under systemd"), staged with DESTDIR:
# the unit's ExecStart names a binary and a config that were installed, and
# the models and plugins directories compiled into classifyd (its "installed"
# defaults, which the installed config relies on) were filled. A reinstall
# keeps an edited config. An install
# with another --prefix than the build was configured with is refused before
# anything is copied: the binaries would land under the new prefix while the
# unit and the daemon's defaults still named the configured one.
. "$(dirname "$0")/lib.sh"
it_init "$@"
command -v cmake >/dev/null || it_die "cmake is not installed"

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
[ -n "$prefix" ] || it_die "no CMAKE_INSTALL_PREFIX in $BUILD/CMakeCache.txt"
stage=$IT_TMP/stage
out=$(DESTDIR=$stage cmake --install "$BUILD" 2>&1); rc=$?
it_eq "cmake --install (DESTDIR): exit 0" 0 $rc
[ $rc = 0 ] || echo "$out" | tail -5 >&2

unit=$stage$prefix/lib/systemd/system/classifyd.service
[ -f "$unit" ] || it_die "no unit at $unit"
read -r exe _ conf <<<"$(sed -n 's/^ExecStart=//p' "$unit")"
it_check "the unit's ExecStart binary $exe is installed" test -x "$stage$exe"
it_check "the unit's config $conf is installed" test -f "$stage$conf"
it_check "the sysusers file is installed" test -f "$stage$prefix/lib/sysusers.d/classifyd.conf"

help=$("$BIN/classifyd" --help)
models=$(sed -n 's/.*--models DIR.*installed: \([^)]*\)).*/\1/p' <<<"$help")
plugins=$(sed -n 's/.*--plugins DIR.*installed: \([^)]*\)).*/\1/p' <<<"$help")
it_check "classifyd's installed models directory ($models) holds aggregate.conf and rules.txt" \
  test -f "$stage$models/aggregate.conf" -a -f "$stage$models/rules.txt"
for m in topic section sentiment; do
  [ -f "$SRC/models/$m.cfdm" ] || continue
  it_check "$m.cfdm is in classifyd's installed models directory" test -f "$stage$models/$m.cfdm"
done
for p in topic section sentiment rules; do
  it_check "$p.so is in classifyd's installed plugin directory ($plugins)" test -f "$stage$plugins/$p.so"
done

# A reinstall (an upgrade) keeps an edited config, the example goes beside it.
echo "workers = 2" >> "$stage$conf"
out=$(DESTDIR=$stage cmake --install "$BUILD" 2>&1); rc=$?
it_eq "cmake --install again: exit 0" 0 $rc
it_eq "...keeps the edited config" "workers = 2" "$(tail -n 1 "$stage$conf")"
it_check "...and puts the example beside it" cmp -s "$SRC/etc/classifyd.conf" "$stage$conf.example"

# Another prefix at install time: refused, nothing copied.
out=$(DESTDIR=$IT_TMP/other cmake --install "$BUILD" --prefix /opt/cfd-other-prefix 2>&1); rc=$?
it_check "cmake --install --prefix OTHER fails" test $rc -ne 0
it_match "...naming the prefix the build was configured for" \
  "configured for prefix $prefix, which is compiled into classifyd" "$(echo $out)"
it_check "...before copying anything" test ! -e "$IT_TMP/other"
# The configured prefix given again (with a trailing slash) is accepted.
out=$(DESTDIR=$IT_TMP/same cmake --install "$BUILD" --prefix "$prefix/" 2>&1); rc=$?
it_eq "cmake --install --prefix $prefix/ (the configured one): exit 0" 0 $rc
