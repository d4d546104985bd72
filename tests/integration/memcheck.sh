#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The exporter under valgrind memcheck: start-up, scrapes of every kind
# (links and a programs filter on an owner label included), a config
# reload and shutdown must leave no leak and no invalid access.
#
#   memcheck.sh BIN FIXTURE    (as root; BIN a dynamically linked build)

set -u
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
suite_setup "$@"

# valgrind_wrapper PATH REAL LOG: a script at PATH running REAL under memcheck.
valgrind_wrapper() {
	printf '#!/bin/sh\nexec valgrind --quiet --leak-check=full --show-leak-kinds=all \\\n' >"$1"
	printf ' --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \\\n' >>"$1"
	printf ' --suppressions=%s \\\n' "$HERE/valgrind.supp" >>"$1"
	printf ' --log-file=%s %s "$@"\n' "$3" "$2" >>"$1"
	chmod +x "$1"
}

# The counting walks from user space, each in a --once run under memcheck,
# on the fixture's maps: batched lookups and one key at a time.
check_walks() {
	local real=$1 method vg out log rc ids=()
	for role in "${!MAP_ID[@]}"; do
		ids+=("${MAP_ID[$role]}")
	done
	for method in batch keys; do
		vg=$TMP/valgrind-$method.log out=$TMP/$method.txt log=$TMP/$method.log
		valgrind_wrapper "$TMP/once-under-valgrind" "$real" "$vg"
		printf 'counting:\n  method: %s\nfilters:\n  maps:\n    include: {id: "%s"}\n' \
			"$method" "$(
				IFS='|'
				echo "${ids[*]}"
			)" >"$TMP/$method.yaml"
		case_begin
		timeout 120 "$TMP/once-under-valgrind" --once --config.file="$TMP/$method.yaml" \
			>"$out" 2>"$log"
		rc=$?
		expect_eq "$rc" 0 "exit code under valgrind (99: memcheck errors)"
		grep -q 'ERROR SUMMARY: [1-9]' "$vg" && case_err "memcheck errors"
		# Counted where the kernel allows the walk, else none: memcheck covers either.
		if grep -qxF "bpfmap_exporter_map_count_method_info{method=\"$method\"} 1" "$out"; then
			expect_line "$out" "ebpf_map_entries{id=\"${MAP_ID[pcpu]}\",name=\"${PREFIX}_pcpu\",map_type=\"percpu_hash\",comm=\"fixture\"} 16"
		else
			expect_line "$out" 'bpfmap_exporter_map_count_method_info{method="none"} 1'
			echo "# counting.method $method: refused by this kernel"
		fi
		case_end "memcheck: counting.method $method, --once" "$vg"
	done
}

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
	valgrind_wrapper "$BIN" "$real" "$vg"
	# A programs filter on an owner label: links go with their programs,
	# so the links collector evaluates it too.
	printf 'labels:\n  maps: [id, name]\nfilters:\n  programs:\n    include: {comm: "x.*"}\n' \
		>"$TMP/cfg.yaml"

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
	# valgrind warns about every bpf() command it does not model: not errors.
	[[ -s $vg ]] && grep -v 'unhandled eBPF command' "$vg" | sed 's/^/  | /' | head -40
	check_walks "$real"
}

main
stop_fixture
SUMMARY_DONE=1
summary
