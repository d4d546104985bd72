#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Golden tests of the collectors: every case (a config, cases/NAME.yaml)
# replayed against every recording (RECORDING/*.bin, answers.txt) must
# give exactly RECORDING/expected/NAME.prom, and pass promtool where it
# is installed. No kernel, no root.
#
#   run.sh GOLDEN            compare
#   run.sh --update GOLDEN   rewrite the expected files (read the diff)
set -u
UPDATE=0
[[ ${1:-} == --update ]] && UPDATE=1 && shift
GOLDEN=$(realpath "$1")
DATA=tests/fixtures/golden
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0 runs=0

cd "$(dirname "$0")/../.." || exit 1
LINT=1
command -v promtool >/dev/null ||
	{ LINT=0; echo "# promtool not installed: expositions compared, not linted"; }
for rec in "$DATA"/recordings/*/; do
	rec=${rec%/}
	for cfg in "$DATA"/cases/*.yaml; do
		name=$(basename "$cfg" .yaml)
		want=$rec/expected/$name.prom
		got=$TMP/$name.prom
		runs=$((runs + 1))
		# @ROOTFS@: the fixture root file system, as the config wants it absolute.
		sed "s|@ROOTFS@|$PWD/tests/fixtures/rootfs|" "$cfg" >"$TMP/$name.yaml"
		if ! "$GOLDEN" "$rec" "$TMP/$name.yaml" >"$got" 2>"$TMP/err"; then
			echo "not ok $(basename "$rec")/$name: $(head -c 400 "$TMP/err")"
			fails=$((fails + 1))
			continue
		fi
		if ((LINT)) && ! promtool check metrics <"$got" >"$TMP/lint" 2>&1; then
			echo "not ok $(basename "$rec")/$name: promtool: $(head -n3 "$TMP/lint" | tr '\n' ' ')"
			fails=$((fails + 1))
			continue
		fi
		if ((UPDATE)); then
			mkdir -p "$(dirname "$want")" && cp "$got" "$want"
			echo "updated $(basename "$rec")/$name ($(grep -vc '^#' "$want") samples)"
		elif ! diff -u "$want" "$got" >"$TMP/diff"; then
			echo "not ok $(basename "$rec")/$name: exposition differs from $want:"
			head -n 40 "$TMP/diff"
			fails=$((fails + 1))
		else
			echo "ok $(basename "$rec")/$name ($(grep -vc '^#' "$got") samples)"
		fi
	done
done
((runs > 0)) || { echo "not ok: no recordings or no cases under $DATA"; exit 1; }
exit $((fails > 0))
