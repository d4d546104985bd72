#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The map_errors collector (failed map updates, LRU evictions) against a
# live kernel. POSIX sh: the same suite runs here and inside the test VMs
# (busybox).
#
#   map_errors.sh BIN MAP_ERRORS_FIXTURE [PORT]   (as root)
#
# Whether the kernel allows fexit trampolines is probed first (the
# fixture loads and attaches the smallest fexit program), and the suite
# says which branch it runs:
#   refused: the collector reports itself unavailable (feature gauge 0,
#            one log line), every other collector is unaffected;
#   allowed: the fixture fills a hash, an LRU, a per-CPU hash, an LPM
#            trie and an array past capacity from user space and from BPF,
#            and the exporter's counts per map and reason, and the LRU's
#            evictions, must equal what the fixture saw fail.
# Prints "ok - ..." / "not ok - ..." per case, then "N passed, N failed".

set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 BIN MAP_ERRORS_FIXTURE [PORT]" >&2
	exit 2
fi
BIN=$1
FIXTURE=$2
PORT=${3:-$((20000 + $$ % 20000))}
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
T=$(mktemp -d /tmp/bpfmap-me.XXXXXX)
REPORT_LOG_LINES=20
if [ -r "$HERE/../lib/report.sh" ]; then
	# shellcheck source=../lib/report.sh
	. "$HERE/../lib/report.sh"
else
	. "$HERE/report.sh" # the VMs' copy
fi
SRV_PID=''
FIX_PID=''
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	[ -n "$FIX_PID" ] && kill "$FIX_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ERRS=''
case_begin() { ERRS=''; }
case_err() { ERRS="$ERRS${ERRS:+; }$1"; }
case_end() {
	if [ -z "$ERRS" ]; then pass "$1"; else fail "$1" "$ERRS" "${2:-}"; fi
}
expect_line() { grep -qxF -- "$2" "$1" || case_err "missing line: $2"; }
expect_no_match() { grep -qE -- "$2" "$1" && case_err "$3: $(grep -E -m1 -- "$2" "$1")"; }
expect_eq() { [ "$1" = "$2" ] || case_err "$3: got '$1', want '$2'"; }

# fetch PATH OUT: GET http://127.0.0.1:PORT/PATH, the body into OUT if 200.
# Plain HTTP/1.0 through nc where there is no curl: the VMs' static
# busybox wget crashes on some runs.
fetch() {
	if command -v curl >/dev/null 2>&1; then
		curl -sf --max-time 10 -o "$2" "http://127.0.0.1:$PORT$1"
		return
	fi
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" |
		nc -w 10 127.0.0.1 "$PORT" >"$T/raw" 2>/dev/null
	head -n 1 "$T/raw" | grep -q '^HTTP/1\.[01] 200' || return 1
	sed '1,/^\r*$/d' "$T/raw" >"$2"
}

# start_exporter LOG ARGS...: on 127.0.0.1:PORT, up to 30 s to be healthy.
start_exporter() {
	log=$1
	shift
	"$BIN" --web.listen-address=127.0.0.1:$PORT "$@" >"$log.out" 2>"$log" &
	SRV_PID=$!
	for _ in $(seq 300); do
		fetch /healthz /dev/null 2>/dev/null && return 0
		kill -0 $SRV_PID 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

stop_exporter() {
	kill -TERM "$SRV_PID"
	wait "$SRV_PID"
	STOP_RC=$?
	SRV_PID=''
}

scrape() { fetch /metrics "$1" || case_err "scrape failed"; }

# wait_log FILE TEXT: up to 10 s for TEXT in FILE (a log line after a signal).
wait_log() {
	for _ in $(seq 100); do
		grep -q -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# fix CMD REPLY: a fixture command, up to 10 s for its reply line.
fix() {
	n=$(grep -cx "$2" $T/fix.out)
	echo "$1" >&3
	for _ in $(seq 100); do
		[ "$(grep -cx "$2" $T/fix.out)" -gt "$n" ] && return 0
		sleep 0.1
	done
	case_err "fixture did not answer '$1' with '$2': $(cat $T/fix.err)"
	return 1
}
map_id() { awk -v r="$1" '$1 == "map" && $2 == r { print $3 }' $T/fix.out; }

# The reason label the exporter gives an errno on a map of role ROLE.
reason_of() {
	case $2 in
	E2BIG) if [ "$1" = arr ]; then echo out_of_range; else echo full; fi ;;
	ENOSPC) echo full ;;
	ENOMEM) echo no_memory ;;
	EEXIST) echo exists ;;
	ENOENT) echo not_found ;;
	EBUSY) echo busy ;;
	*) echo other ;;
	esac
}

# expected_failures ROLE: the series the fixture's "fail" lines call for, sorted.
expected_failures() {
	id=$(map_id "$1")
	awk -v r="$1" '$1 == "fail" && $2 == r { print $3, $4 }' $T/fix.out |
		while read -r err n; do
			echo "$(reason_of "$1" "$err") $n"
		done |
		awk -v id="$id" '{ s[$1] += $2 } END { for (r in s) printf "ebpf_map_update_failures_total{id=\"%s\",reason=\"%s\"} %d\n", id, r, s[r] }' |
		sort
}

# got_failures FILE ROLE: the exporter's series of that map, sorted.
got_failures() {
	grep "^ebpf_map_update_failures_total{id=\"$(map_id "$2")\"," "$1" | sort
}

# --- which kernel is this ---------------------------------------------------------

PROBE=$("$FIXTURE" probe 2>&1)
PROBE_RC=$?
echo "# kernel $(uname -r): $PROBE"

if [ $PROBE_RC = 3 ]; then
	echo "# branch: refused (this kernel refuses fexit trampolines: the collector must say so)"
	case_begin
	start_exporter $T/srv.log --collector.map_errors || case_err "exporter not healthy"
	scrape $T/m.txt
	expect_line $T/m.txt 'bpfmap_exporter_kernel_feature{feature="fexit_map_update"} 0'
	expect_line $T/m.txt 'bpfmap_exporter_kernel_feature{feature="fexit_lru_evict"} 0'
	expect_line $T/m.txt 'bpfmap_exporter_scrape_collector_success{collector="maps"} 1'
	expect_line $T/m.txt 'bpfmap_exporter_scrape_collector_success{collector="programs"} 1'
	expect_no_match $T/m.txt 'collector="map_errors"' "the unavailable collector reports a result"
	expect_no_match $T/m.txt '^(ebpf_map_update_failures_total|ebpf_map_lru_evictions_total|bpfmap_exporter_map_errors_lost_total)' \
		"a map_errors series"
	scrape $T/m2.txt
	expect_eq "$(grep -c 'collector map_errors unavailable' $T/srv.log)" 1 \
		"log lines saying the collector is unavailable, after two scrapes"
	expect_no_match $T/srv.log 'level=error' "an error logged"
	stop_exporter
	expect_eq "$STOP_RC" 0 "exit code on SIGTERM"
	case_end "a. refused: feature gauge 0, one log line, the scrape unaffected" $T/srv.log

	case_begin
	"$BIN" --once >$T/off.txt 2>$T/off.log || case_err "--once exit code $?"
	expect_no_match $T/off.txt 'feature="fexit_' "a fexit feature gauge with the collector off"
	expect_no_match $T/off.log 'map_errors' "the collector, off, is logged"
	case_end "b. off by default: not probed, not logged" $T/off.log
	summary
	exit
elif [ $PROBE_RC != 0 ]; then
	fail "probe" "the fixture's probe failed (exit $PROBE_RC): $PROBE"
	summary
	exit
fi

echo "# branch: allowed (this kernel allows fexit: failures are counted and compared)"
case_begin
mkfifo $T/fix.in
"$FIXTURE" run <$T/fix.in >$T/fix.out 2>$T/fix.err &
FIX_PID=$!
exec 3>$T/fix.in
up=0
for _ in $(seq 100); do
	grep -qx ready $T/fix.out && up=1 && break
	kill -0 $FIX_PID 2>/dev/null || break
	sleep 0.1
done
[ $up = 1 ] || case_err "fixture did not start: $(cat $T/fix.err)"
printf 'filters:\n  maps:\n    exclude: {}\n' >$T/filters.yaml
start_exporter $T/srv.log --collector.map_errors --config.file=$T/filters.yaml ||
	case_err "exporter not healthy"
scrape $T/m0.txt
expect_line $T/m0.txt 'bpfmap_exporter_kernel_feature{feature="fexit_map_update"} 1'
expect_line $T/m0.txt 'bpfmap_exporter_kernel_feature{feature="fexit_lru_evict"} 1'
expect_line $T/m0.txt 'bpfmap_exporter_scrape_collector_success{collector="map_errors"} 1'
expect_line $T/m0.txt 'bpfmap_exporter_map_errors_lost_total 0'
grep -q 'collector map_errors: failed updates counted at htab_map_update_elem' $T/srv.log ||
	case_err "no start-up line naming the traced functions"
for role in hash lru pcpu trie arr hom; do
	expect_no_match $T/m0.txt "^ebpf_map_update_failures_total\\{id=\"$(map_id $role)\"," \
		"a failure before the fill"
done
case_end "c. allowed: the collector is up, nothing failed yet" $T/srv.log
sed -n 's/.*\(collector map_errors: .*\)/# \1/p' $T/srv.log

case_begin
fix fill filled
grep '^# ' $T/fix.out
scrape $T/m1.txt
summary_line=''
for role in hash lru pcpu trie arr hom; do
	want=$(expected_failures $role)
	got=$(got_failures $T/m1.txt $role)
	[ -n "$want" ] || case_err "$role: the fixture saw nothing fail"
	[ "$want" = "$got" ] || case_err "$role: got [$(echo "$got" | tr '\n' ' ')], want [$(echo "$want" | tr '\n' ' ')]"
	summary_line="$summary_line $role:$(echo "$want" | sed 's/.*reason="\([a-z_]*\)"} \([0-9]*\)/\1=\2/' | tr '\n' ',' | sed 's/,$//')"
done
# The per-scrape read cost: the collector's own duration, counters of six maps.
echo "# map_errors collector: $(awk '/scrape_collector_duration_seconds\{collector="map_errors"\}/ { print $2 }' $T/m1.txt)s per scrape"
evict=$(awk '$1 == "evict" && $2 == "lru" { print $3 }' $T/fix.out)
[ "${evict:-0}" -gt 0 ] || case_err "the fixture's LRU evicted nothing"
expect_line $T/m1.txt "ebpf_map_lru_evictions_total{id=\"$(map_id lru)\"} $evict"
expect_no_match $T/m1.txt "^ebpf_map_lru_evictions_total\\{id=\"$(map_id hash)\"\\}" "evictions on a plain hash"
case_end "d. failures per map and reason equal the fixture's ($summary_line), LRU evictions $evict" $T/srv.log

case_begin
# Every map the exporter holds (its owner series name its pid) is one the
# programs skip: the start-up line lists those.
sed -n 's/.*own maps never counted: ids \([0-9,]*\).*/\1/p' $T/srv.log | tr ',' '\n' |
	sort -u >$T/own_skipped
grep '^ebpf_map_owner_info{' $T/m1.txt | grep "pid=\"$SRV_PID\"" |
	sed 's/^ebpf_map_owner_info{id="\([0-9]*\)".*/\1/' | sort -u >$T/own_held
[ -s $T/own_held ] || case_err "no ebpf_map_owner_info for the exporter's pid $SRV_PID"
not_skipped=$(grep -vxF -f $T/own_skipped $T/own_held | tr '\n' ' ')
[ -z "$not_skipped" ] || case_err "maps the exporter holds but its programs count: $not_skipped"
# The map_errs table counts into itself: never a series for it.
for name in map_errs map_errs_lost; do
	own=$(sed -n "s/^ebpf_map_max_entries{id=\"\\([0-9]*\\)\",name=\"$name\".*/\\1/p" $T/m1.txt)
	[ -n "$own" ] || case_err "the exporter's map $name is not listed"
	for id in $own; do
		expect_no_match $T/m1.txt "^ebpf_map_(update_failures|lru_evictions)_total\\{id=\"$id\"" \
			"a series of the exporter's own map $name"
	done
done
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check metrics <$T/m1.txt 2>&1) || case_err "promtool: $out"
	[ -z "$out" ] || case_err "promtool: $out"
fi
case_end "e. the exporter's own maps excluded ($(wc -l <$T/own_held) held, all skipped); the exposition lints"

case_begin
# The maps filters decide map_errors series as they decide map series; the
# counts of a map filtered out go on, and show again when the filter goes.
reload_filters() {
	printf 'filters:\n  maps:\n    exclude: %s\n' "$1" >$T/filters.yaml
	n=$(grep -c 'configuration reloaded' $T/srv.log)
	kill -HUP $SRV_PID
	for _ in $(seq 100); do
		[ "$(grep -c 'configuration reloaded' $T/srv.log)" -gt "$n" ] && return 0
		sleep 0.1
	done
	case_err "no reload logged"
}
reload_filters '{name: "mef_hash"}'
scrape $T/m3.txt
expect_no_match $T/m3.txt "^ebpf_map_(info|update_failures_total)\\{id=\"$(map_id hash)\"" \
	"a series of the map the filter drops"
for role in lru pcpu trie arr; do
	[ "$(got_failures $T/m3.txt $role)" = "$(expected_failures $role)" ] ||
		case_err "$role: its failures changed under a filter on another map"
done
reload_filters '{}'
scrape $T/m4.txt
grep -q "^ebpf_map_info{id=\"$(map_id hash)\"" $T/m4.txt || case_err "hash: no ebpf_map_info without the filter"
[ "$(got_failures $T/m4.txt hash)" = "$(expected_failures hash)" ] ||
	case_err "hash: its failures did not come back with the filter gone"
case_end "e2. the maps filters drop a map's map_errors series, its counts kept" $T/srv.log

case_begin
fix close closed
scrape $T/m2.txt
for role in hash lru pcpu trie arr hom; do
	expect_no_match $T/m2.txt "^ebpf_map_(update_failures|lru_evictions)_total\\{id=\"$(map_id $role)\"" \
		"a series of a map that is gone"
done
expect_line $T/m2.txt 'bpfmap_exporter_scrape_collector_success{collector="map_errors"} 1'
stop_exporter
expect_eq "$STOP_RC" 0 "exit code on SIGTERM"
echo exit >&3
exec 3>&-
wait $FIX_PID
expect_eq "$?" 0 "fixture exit code"
FIX_PID=''
expect_no_match $T/srv.log 'level=(warn|error)' "a warning"
case_end "f. series of closed maps are gone; clean shutdown" $T/srv.log

case_begin
# Turned off by a reload: the programs are detached (and unloaded), no
# trampoline is left on the host's updates; turning it on needs a restart.
printf 'collectors:\n  map_errors: true\n' >$T/on.yaml
start_exporter $T/srv2.log --config.file=$T/on.yaml || case_err "exporter not healthy"
scrape $T/g0.txt
expect_line $T/g0.txt 'bpfmap_exporter_scrape_collector_success{collector="map_errors"} 1'
n0=$(grep -c '^ebpf_prog_info{id="[0-9]*",name="update_[0-9]"' $T/g0.txt)
[ "$n0" -gt 0 ] || case_err "the collector's update_N programs are not listed"
printf 'collectors:\n  map_errors: false\n' >$T/on.yaml
kill -HUP $SRV_PID
wait_log $T/srv2.log 'collector map_errors: off, its programs detached' ||
	case_err "no log line for the detach"
# The kernel frees a program once its last reference is dropped, after an RCU grace period.
for _ in $(seq 50); do
	scrape $T/g1.txt
	grep -q '^ebpf_prog_info{id="[0-9]*",name="update_[0-9]"' $T/g1.txt || break
	sleep 0.2
done
expect_no_match $T/g1.txt '^ebpf_prog_info\{id="[0-9]*",name="update_[0-9]"' \
	"an update_N program left loaded"
expect_no_match $T/g1.txt 'collector="map_errors"' "a map_errors collector series"
expect_line $T/g1.txt 'bpfmap_exporter_kernel_feature{feature="fexit_map_update"} 1'
printf 'collectors:\n  map_errors: true\n' >$T/on.yaml
kill -HUP $SRV_PID
wait_log $T/srv2.log 'restart to turn it on' ||
	case_err "no warning that turning it on needs a restart"
stop_exporter
expect_eq "$STOP_RC" 0 "exit code on SIGTERM"
case_end "g. a reload turning it off detaches its $n0 programs" $T/srv2.log

summary
