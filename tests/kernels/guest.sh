#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The exporter's checks on one kernel, inside a test VM (busybox sh).
# /init runs it; tests/kernels/run.sh boots the VM and passes, through
# the kernel command line, expect_method: the counting method this
# kernel allows (kfunc from 6.6, iterator before).
#
# The same fixture as the integration suite, and the same expected
# counts (expected_maps.txt), read by the real exporter over HTTP on
# loopback and with --once. Prints "ok - ..." / "not ok - ..." and ends
# with "N passed, N failed".

BIN=/bin/bpfmap_exporter
FIXTURE=/bin/fixture
EXPECTED=/test/expected_maps.txt
T=/tmp/t
PREFIX=vmt
PORT=2112
PASSED=0
FAILED=0
ERRS=''
mkdir -p $T

pass() {
	echo "ok - $1"
	PASSED=$((PASSED + 1))
}

# fail DESC DETAIL [LOG]
fail() {
	echo "not ok - $1: $2"
	FAILED=$((FAILED + 1))
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		echo "  --- $3:"
		tail -n 20 "$3" | sed 's/^/  | /'
	fi
}

case_begin() { ERRS=''; }
case_err() { ERRS="$ERRS${ERRS:+; }$1"; }
case_end() {
	if [ -z "$ERRS" ]; then pass "$1"; else fail "$1" "$ERRS" "${2:-}"; fi
}
expect_line() { grep -qxF -- "$2" "$1" || case_err "missing line: $2"; }
expect_no_match() { grep -qE -- "$2" "$1" && case_err "$3: $(grep -E -m1 -- "$2" "$1")"; }
expect_eq() { [ "$1" = "$2" ] || case_err "$3: got '$1', want '$2'"; }

# Fixture objects, from its "map ROLE ID NAME" lines.
map_id() { awk -v r="$1" '$1 == "map" && $2 == r { print $3 }' $T/fix.out; }
map_name() { awk -v r="$1" '$1 == "map" && $2 == r { print $4 }' $T/fix.out; }
prog_field() { awk -v f="$1" '$1 == "prog" { print $f }' $T/fix.out; }

# map_labels ROLE TYPE [PROG]: the default labels; empty values omitted.
# The fixture holds its maps itself: owner comm "fixture", no container.
map_labels() {
	l="id=\"$(map_id "$1")\""
	n=$(map_name "$1")
	[ -n "$n" ] && l="$l,name=\"$n\""
	l="$l,map_type=\"$2\""
	[ -n "${3:-}" ] && l="$l,prog=\"$3\""
	echo "$l,comm=\"fixture\""
}

# series_re NAMES ID: a series of a family in NAMES whose id is ID.
series_re() { echo "^($1)\\{(.*,)?id=\"$2\"[,}]"; }

# check_expected_maps FILE [ROLE...]: as tests/integration/run.sh does.
check_expected_maps() {
	f=$1
	shift
	while read -r role type prog entries pressure max; do
		case $role in '' | \#*) continue ;; esac
		if [ $# -gt 0 ]; then
			case " $* " in *" $role "*) ;; *) continue ;; esac
		fi
		case $prog in prog) prog=$(prog_field 4) ;; -) prog='' ;; esac
		lbl=$(map_labels "$role" "$type" "$prog")
		expect_line "$f" "ebpf_map_entries{$lbl} $entries"
		expect_line "$f" "ebpf_map_pressure{$lbl} $pressure"
		expect_line "$f" "ebpf_map_max_entries{$lbl} $max"
	done <$EXPECTED
}

# A filter on every fixture map id: the budget is the fixture's alone.
fixture_id_regex() {
	awk '$1 == "map" { printf "%s%s", sep, $3; sep = "|" }' $T/fix.out
}

# once CONFIG_YAML OUT LOG: one --once run with that config.
once() {
	printf '%b' "$1" >$T/once.yaml
	$BIN --once --config.file=$T/once.yaml >"$2" 2>"$3"
}

start_fixture() {
	mkfifo $T/fix.in
	$FIXTURE $PREFIX <$T/fix.in >$T/fix.out 2>$T/fix.err &
	FIX_PID=$!
	exec 3>$T/fix.in
	for _ in $(seq 100); do
		grep -qx ready $T/fix.out && return 0
		kill -0 $FIX_PID 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

stop_fixture() {
	echo exit >&3
	exec 3>&-
	wait $FIX_PID
}

# --- cases --------------------------------------------------------------------

echo "# kernel $(uname -r), expected counting method: ${expect_method:-unset}"
case_begin
[ -n "${expect_method:-}" ] || case_err "expect_method not set on the kernel command line"
[ -r /sys/kernel/btf/vmlinux ] || case_err "no /sys/kernel/btf/vmlinux"
start_fixture || case_err "fixture did not start: $(cat $T/fix.err)"
case_end "a. fixture up on $(uname -r)"

# The server, scraped over loopback like Prometheus would.
case_begin
$BIN --web.listen-address=127.0.0.1:$PORT >$T/srv.out 2>$T/srv.log &
SRV_PID=$!
up=0
for _ in $(seq 300); do
	wget -q -O /dev/null http://127.0.0.1:$PORT/healthz 2>/dev/null && up=1 && break
	kill -0 $SRV_PID 2>/dev/null || break
	sleep 0.1
done
[ $up = 1 ] || case_err "exporter not healthy in 30 s"
M=$T/metrics.txt
wget -q -O $M http://127.0.0.1:$PORT/metrics || case_err "scrape failed"
expect_line $M 'bpfmap_exporter_scrape_collector_success{collector="maps"} 1'
expect_line $M 'bpfmap_exporter_scrape_collector_success{collector="programs"} 1'
case_end "b. exporter serves /metrics over loopback, both collectors succeed" $T/srv.log

case_begin
if [ "${expect_method:-}" = kfunc ]; then kfunc=1; else kfunc=0; fi
expect_line $M "bpfmap_exporter_map_count_method_info{method=\"${expect_method:-}\"} 1"
expect_line $M "bpfmap_exporter_kernel_feature{feature=\"bpf_map_sum_elem_count\"} $kfunc"
expect_line $M 'bpfmap_exporter_kernel_feature{feature="iter_bpf_map"} 1'
expect_line $M 'bpfmap_exporter_kernel_feature{feature="iter_bpf_prog"} 1'
expect_line $M 'bpfmap_exporter_kernel_feature{feature="iter_bpf_map_elem"} 1'
grep -qF "hash map entry counts: method=${expect_method:-}" $T/srv.log ||
	case_err "no start-up log line for method ${expect_method:-}"
case_end "c. counting method ${expect_method:-} and kernel features" $T/srv.log

case_begin
check_expected_maps $M
expect_no_match $M "$(series_re 'ebpf_map_entries|ebpf_map_pressure' "$(map_id arr)")" \
	"array has a count series"
expect_line $M "ebpf_map_max_entries{$(map_labels arr array "$(prog_field 4)")} 8"
case_end "d. entries, pressure, max_entries of the fixture maps (${expect_method:-})"

case_begin
PROG_ID=$(prog_field 3)
PROG_NAME=$(prog_field 4)
for role in hash arr; do
	expect_line $M "ebpf_map_program_info{map_id=\"$(map_id $role)\",map_name=\"$(map_name $role)\",prog_id=\"$PROG_ID\",prog_name=\"$PROG_NAME\"} 1"
done
expect_eq "$(grep -c "^ebpf_map_program_info{.*prog_id=\"$PROG_ID\"" $M)" 2 \
	"associations of the fixture program"
lbl="id=\"$PROG_ID\",name=\"$PROG_NAME\",prog_type=\"socket_filter\",comm=\"fixture\""
expect_line $M "ebpf_prog_maps{$lbl} 2"
grep -qE "^ebpf_prog_verified_instructions\\{$lbl\\} [1-9]" $M ||
	case_err "no verified instructions for the fixture program"
case_end "e. map/program association and program series"
# What the verifier made of the exporter's own programs on this kernel.
echo "# verified instructions: $(sed -n 's/^ebpf_prog_verified_instructions{id="[0-9]*",name="\(dump_bpf_map\|dump_map_kfunc\|dump_bpf_prog\|count_map_elems\)".*} \([0-9]*\)$/\1 \2/p' $M | tr '\n' ' ')"

# The walk, forced: on 6.6+ it must agree with the kernel's own count.
case_begin
once "counting:\n  method: iterator\nfilters:\n  maps:\n    include: {id: \"$(fixture_id_regex)\"}\n" \
	$T/it.txt $T/it.log || case_err "--once exit code $?"
check_expected_maps $T/it.txt
expect_line $T/it.txt 'bpfmap_exporter_map_count_method_info{method="iterator"} 1'
expect_line $T/it.txt 'bpfmap_exporter_map_count_fallback_maps{result="counted"} 10'
expect_line $T/it.txt 'bpfmap_exporter_map_count_fallback_budget_used 447'
case_end "f. counting.method iterator gives the same counts" $T/it.log

case_begin
once "counting:\n  method: iterator\n  fallback_max_entries: 151\nfilters:\n  maps:\n    include: {id: \"$(fixture_id_regex)\"}\n" \
	$T/bud.txt $T/bud.log || case_err "--once exit code $?"
check_expected_maps $T/bud.txt hash lru one
for role in pcpu nopre noname chars del inner hom; do
	expect_no_match $T/bud.txt \
		"$(series_re 'ebpf_map_entries|ebpf_map_pressure' "$(map_id $role)")" \
		"over-budget map $role has a count series"
done
expect_line $T/bud.txt 'bpfmap_exporter_map_count_fallback_maps{result="counted"} 3'
expect_line $T/bud.txt 'bpfmap_exporter_map_count_fallback_maps{result="over_budget"} 7'
case_end "g. fallback budget: what does not fit gets no count" $T/bud.log

case_begin
kill -TERM $SRV_PID
wait $SRV_PID
expect_eq "$?" 0 "exporter exit code on SIGTERM"
stop_fixture
expect_eq "$?" 0 "fixture exit code"
case_end "h. clean shutdown" $T/srv.log

echo "$PASSED passed, $FAILED failed"
