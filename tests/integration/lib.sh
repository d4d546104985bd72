# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the integration suites (sourced, not executed): suite set-up
# and clean-up, the exporter and fixture lifecycle, and assertions.
#
# Every check prints "ok - DESC" or "not ok - DESC: DETAIL" and bumps a
# counter; summary prints "N passed, N failed". A check never exits the
# script, so one failure does not hide the next.

# shellcheck source=../lib/net.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../lib/net.sh"

# shellcheck source=../lib/report.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../lib/report.sh"
# shellcheck source=../lib/counting.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../lib/counting.sh"
# shellcheck source=../lib/multi_probe.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../lib/multi_probe.sh"
# Per-case failure flag: a case made of several checks reports once.
CASE_ERRS=()

# Collect errors for the current case, then report them together with
# case_end; keeps the output to one line per case.
case_begin() {
	CASE_ERRS=()
}

case_err() {
	CASE_ERRS+=("$1")
}

# case_end DESC [LOGFILE]
case_end() {
	if ((${#CASE_ERRS[@]} == 0)); then
		pass "$1"
	else
		local IFS=';'
		fail "$1" "${CASE_ERRS[*]}" "${2:-}"
	fi
}

# expect_line FILE LINE: FILE holds LINE exactly, as a whole line.
expect_line() {
	grep -qxF -- "$2" "$1" || case_err "missing line: $2"
}

# expect_no_match FILE ERE WHAT: no line of FILE matches.
expect_no_match() {
	local hit
	hit=$(grep -E -m1 -- "$2" "$1") && case_err "$3: $hit"
}

# expect_match FILE ERE WHAT: some line of FILE matches.
expect_match() {
	grep -qE -- "$2" "$1" || case_err "$3"
}

# expect_eq GOT WANT WHAT
expect_eq() {
	[[ $1 == "$2" ]] || case_err "$3: got '$1', want '$2'"
}

# expect_grep_i FILE PATTERN WHAT: case-insensitive fixed string.
expect_grep_i() {
	grep -qiF -- "$2" "$1" || case_err "$3 (no '$2' in output)"
}

# expect_promtool FILE [WHAT]: promtool check metrics exits 0 and says nothing
# (a lint warning is a failure too).
expect_promtool() {
	local out rc
	out=$(promtool check metrics <"$1" 2>&1)
	rc=$?
	((rc == 0)) && [[ -z $out ]] ||
		case_err "promtool on ${2:-$1} (exit $rc): $(head -n5 <<<"$out" | tr '\n' ' ')"
}

# --- suite set-up ----------------------------------------------------------------

# cleanup: on every exit path, kill what the suite started and remove its files.
cleanup() {
	local rc=$? pid
	# An aborted run (e.g. set -u) still ends with the summary line.
	if ((!SUMMARY_DONE)); then
		fail "$(basename "$0")" "aborted (exit $rc) before the end"
		summary
		rc=1
	fi
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	if [[ -n $FIXTURE_PID ]]; then
		kill "$FIXTURE_PID" 2>/dev/null
	fi
	wait 2>/dev/null
	rm -rf "$TMP"
	exit "$rc"
}

# suite_setup BIN FIXTURE: globals every suite uses, and clean-up on exit.
suite_setup() {
	if (($# != 2)); then
		echo "usage: $0 BIN FIXTURE" >&2
		exit 2
	fi
	BIN=$(realpath -- "$1")
	FIXTURE=$(realpath -- "$2")
	# Sanitizer builds: report leaks at exit, stop at the first UBSan error.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	IS_SAN=0
	grep -qa -e __asan_init -e __ubsan_handle "$BIN" && IS_SAN=1

	TMP=$(mktemp -d /tmp/bpfmap-it.XXXXXX)
	# BPF object names allow [A-Za-z0-9_.]; 6 chars leave room for suffixes.
	PREFIX=t$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)
	PIDS=() # every exporter started, for cleanup
	FIXTURE_PID=''
	FIX_IN=''
	FIX_OUT=''
	declare -gA MAP_ID=() MAP_NAME=()
	PROG_ID=''
	PROG_NAME=''
	SUMMARY_DONE=0
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# --- helpers -----------------------------------------------------------------


# wait_healthz PORT [PID]: up to HEALTH_WAIT seconds (10) for /healthz to answer 200.
wait_healthz() {
	wait_http "http://127.0.0.1:$1/healthz" "${2:-}" $((${HEALTH_WAIT:-10} * 10))
}

# start_exporter LOG ARGS...: runs BIN on a free port, waits until healthy.
# Sets EXP_PID and EXP_PORT. Returns non-zero if it never became healthy.
start_exporter() {
	local log=$1 try
	shift
	for ((try = 0; try < 5; try++)); do
		EXP_PORT=$(pick_port)
		"$BIN" --web.listen-address="127.0.0.1:$EXP_PORT" "$@" >"$log.stdout" 2>"$log" &
		EXP_PID=$!
		PIDS+=("$EXP_PID")
		wait_healthz "$EXP_PORT" "$EXP_PID" && return 0
		kill "$EXP_PID" 2>/dev/null
		wait "$EXP_PID" 2>/dev/null
		# Lost a race for the port: take another. Anything else is real.
		grep -qi "address already in use" "$log" || return 1
	done
	return 1
}

# stop_exporter PID: SIGTERM, then up to 5 s to exit. Sets STOP_RC to its
# exit code, or "timeout". Not for $(...): only this shell can wait for it.
stop_exporter() {
	local i pid
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		STOP_RC=timeout
	else
		wait "$1" 2>/dev/null
		STOP_RC=$?
	fi
	# Reaped: its pid may be reused, so cleanup must not kill it again.
	for i in "${!PIDS[@]}"; do
		[[ ${PIDS[i]} == "$1" ]] && unset 'PIDS[i]'
	done
}

# scrape PORT OUT [PATH]: prints the HTTP status code.
scrape() {
	curl -sS --max-time 10 -o "$2" -w '%{http_code}' "http://127.0.0.1:$1${3:-/metrics}" 2>>"$TMP/curl.err"
}

# sample FILE NAME: the value of an unlabelled sample, e.g. process_open_fds.
sample() {
	awk -v n="$2" '$1 == n { print $2; exit }' "$1"
}

# The coproc's pid and fds are copied: bash unsets FIX and FIX_PID when
# the fixture exits.
start_fixture() {
	local kind role id name
	coproc FIX { exec "$FIXTURE" "$PREFIX" 2>"$TMP/fixture.err"; }
	FIXTURE_PID=$FIX_PID
	FIX_OUT=${FIX[0]}
	FIX_IN=${FIX[1]}
	while read -r -t 10 -u "$FIX_OUT" kind role id name; do
		case $kind in
		map)
			MAP_ID[$role]=$id
			MAP_NAME[$role]=$name
			;;
		prog)
			PROG_ID=$id
			PROG_NAME=$name
			;;
		ready) return 0 ;;
		esac
	done
	return 1
}

# fixture_cmd CMD REPLY: sends a command, waits for the fixture's reply.
fixture_cmd() {
	local reply
	echo "$1" >&"$FIX_IN" || return 1
	read -r -t 5 -u "$FIX_OUT" reply || return 1
	[[ $reply == "$2" ]]
}

# stop_fixture: "exit", then reap it; cleanup kills it if this fails.
stop_fixture() {
	[[ -n $FIXTURE_PID ]] || return
	{ echo exit >&"$FIX_IN"; } 2>/dev/null
	if timeout 5 tail --pid="$FIXTURE_PID" -f /dev/null; then
		wait "$FIXTURE_PID" 2>/dev/null
		FIXTURE_PID=''
	fi
}

# map_labels ROLE TYPE [PROG]: the default label set of a fixture map.
# Empty values are omitted entirely, as the exporter does. The fixture
# holds every map itself, on the host: the owner label comm is "fixture",
# container, pod and namespace are empty.
map_labels() {
	local l="id=\"${MAP_ID[$1]}\""
	[[ -n ${MAP_NAME[$1]} ]] && l+=",name=\"${MAP_NAME[$1]}\""
	l+=",map_type=\"$2\""
	[[ -n ${3:-} ]] && l+=",prog=\"$3\""
	l+=',comm="fixture"'
	echo "$l"
}

# check_expected_maps FILE [ROLE...]: entries, pressure and max_entries of
# the fixture's hash maps (expected_maps.txt) are in FILE; only the roles
# given, if any.
check_expected_maps() {
	local m=$1 role type prog entries pressure max lbl
	shift
	while read -r role type prog entries pressure max; do
		[[ -z $role || $role == \#* ]] && continue
		(($# == 0)) || [[ " $* " == *" $role "* ]] || continue
		[[ $prog == prog ]] && prog=$PROG_NAME
		[[ $prog == - ]] && prog=''
		lbl=$(map_labels "$role" "$type" "$prog")
		expect_line "$m" "ebpf_map_entries{$lbl} $entries"
		expect_line "$m" "ebpf_map_pressure{$lbl} $pressure"
		expect_line "$m" "ebpf_map_max_entries{$lbl} $max"
	done <"$HERE/expected_maps.txt"
}

# probe_kernel: what this kernel allows for counting hash maps, asked by
# the fixture itself (fixture --probe loads its own minimal programs and
# maps), into $TMP/probe.txt; KERNEL[feature]=OK or the errno name.
probe_kernel() {
	local word feature verdict
	declare -gA KERNEL=()
	"$FIXTURE" --probe >"$TMP/probe.txt" 2>"$TMP/probe.err" || return 1
	while read -r word feature verdict; do
		[[ $word == probe ]] && KERNEL[$feature]=$verdict
	done <"$TMP/probe.txt"
	[[ -n ${KERNEL[iter_bpf_map_elem]:-} && -n ${KERNEL[map_get_next_key]:-} ]]
}

# expected_method MODE: the method counting.method MODE must pick here.
expected_method() {
	counting_expected_method "$TMP/probe.txt" "$1"
}

# kernel_feature_value FEATURE: 1 where probe_kernel found it allowed.
kernel_feature_value() {
	[[ ${KERNEL[$1]} == OK ]] && echo 1 || echo 0
}

# check_uncounted FILE ROLE...: hash maps the method could not count have
# no entries or pressure series (never a made-up 0), and keep max_entries.
check_uncounted() {
	local m=$1 role
	shift
	for role in "$@"; do
		expect_no_match "$m" "$(series_re 'ebpf_map_entries|ebpf_map_pressure' "${MAP_ID[$role]}")" \
			"uncounted map $role has a count series"
		expect_match "$m" "$(series_re ebpf_map_max_entries "${MAP_ID[$role]}")" \
			"uncounted map $role lost its max_entries"
	done
}

# count_method FILE: the counting method an exposition reports.
count_method() {
	sed -n 's/^bpfmap_exporter_map_count_method_info{method="\([a-z]*\)"} 1$/\1/p' "$1"
}

# series_re NAMES ID: a series of a family in NAMES (an ERE alternation)
# whose id label is ID.
series_re() {
	echo "^($1)\\{(.*,)?id=\"$2\"[,}]"
}

# An id label (any name ending in id) equal to ID, anywhere in a series.
id_re() {
	echo "[{,]([a-z_]*id)=\"$1\"[,}]"
}

# header FILE NAME: a response header's value, without the CR.
header() {
	grep -i "^$2:" "$1" | tail -n1 | cut -d: -f2- | sed 's/^ *//' | tr -d '\r'
}

# raw_http PORT REQUEST: the whole response to a hand-written request, so
# that a body sent after HEAD would be seen (curl would hide it).
raw_http() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "%b" "$2" >&3 && cat <&3' \
		_ "$1" "$2"
}

# wait_for_line PORT LINE OUT: up to 5 s for a scrape to contain LINE.
wait_for_line() {
	local port=$1 line=$2 out=$3 i
	for ((i = 0; i < 50; i++)); do
		if [[ $(scrape "$port" "$out") == 200 ]] && grep -qxF "$line" "$out"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
