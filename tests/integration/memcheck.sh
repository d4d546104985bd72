#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The exporter under valgrind memcheck: start-up, scrapes of every kind,
# a config reload and shutdown must leave no leak and no invalid access.
#
#   memcheck.sh BIN FIXTURE    (as root; BIN a dynamically linked build)

set -u
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
suite_setup "$@"

main() {
	local real=$BIN vg=$TMP/valgrind.log log=$TMP/exporter.log out=$TMP/out i
	command -v valgrind >/dev/null || {
		fail "setup" "valgrind is not installed"
		return
	}
	start_fixture || {
		fail "setup" "fixture did not start: $(cat "$TMP/fixture.err")"
		return
	}
	# start_exporter runs $BIN: point it at valgrind wrapping the real binary.
	BIN=$TMP/exporter-under-valgrind
	printf '#!/bin/sh\nexec valgrind --quiet --leak-check=full --show-leak-kinds=all \\\n' >"$BIN"
	printf ' --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \\\n' >>"$BIN"
	printf ' --suppressions=%s \\\n' "$HERE/valgrind.supp" >>"$BIN"
	printf ' --log-file=%s %s "$@"\n' "$vg" "$real" >>"$BIN"
	chmod +x "$BIN"
	printf 'labels:\n  maps: [id, name]\n' >"$TMP/cfg.yaml"

	case_begin
	# Start-up under valgrind is slow: loading BTF and the iterators, the probe scrapes.
	if ! HEALTH_WAIT=90 start_exporter "$log" --config.file="$TMP/cfg.yaml"; then
		case_err "exporter under valgrind not healthy"
	else
		for ((i = 0; i < 10; i++)); do
			expect_eq "$(scrape "$EXP_PORT" "$out")" 200 "scrape $i"
		done
		expect_line "$out" "ebpf_map_entries{id=\"${MAP_ID[hash]}\",name=\"${PREFIX}_hash\"} 37"
		curl -s --compressed -o /dev/null "http://127.0.0.1:$EXP_PORT/metrics"
		curl -s -I -o /dev/null "http://127.0.0.1:$EXP_PORT/metrics"
		curl -s -o /dev/null "http://127.0.0.1:$EXP_PORT/"
		curl -s -o /dev/null "http://127.0.0.1:$EXP_PORT/nope"
		curl -s -o /dev/null -X POST "http://127.0.0.1:$EXP_PORT/metrics"
		printf 'labels:\n  maps: [id]\n' >"$TMP/cfg.yaml"
		kill -HUP "$EXP_PID"
		wait_for_line "$EXP_PORT" "ebpf_map_entries{id=\"${MAP_ID[hash]}\"} 37" "$out" ||
			case_err "reload not in effect"
		printf 'labels: [broken\n' >"$TMP/cfg.yaml"
		kill -HUP "$EXP_PID"
		for ((i = 0; i < 50; i++)); do
			grep -q 'reload failed' "$log" && break
			sleep 0.1
		done
		expect_grep_i "$log" "reload failed" "bad reload logged"
		expect_eq "$(scrape "$EXP_PORT" "$out")" 200 "scrape after a bad reload"
		stop_exporter "$EXP_PID"
		expect_eq "$STOP_RC" 0 "exit code under valgrind (99: memcheck errors)"
		grep -q 'ERROR SUMMARY: [1-9]' "$vg" && case_err "memcheck errors"
	fi
	case_end "memcheck: scrapes, reloads and shutdown without leaks or errors" "$vg"
	[[ -s $vg ]] && sed 's/^/  | /' "$vg" | head -40
}

main
stop_fixture
SUMMARY_DONE=1
summary
