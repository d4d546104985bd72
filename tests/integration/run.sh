#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# End-to-end test of bpfmap_exporter against a live kernel.
#
#   run.sh BIN FIXTURE     (as root; BIN may be an ASan/UBSan build)
#
# The fixture creates maps and a program with known contents under a
# random name prefix; the kernel is shared with other tests, so every
# assertion is about those objects (by id and name), never about totals.
# Prints "ok - ..." / "not ok - ..." per case, then "N passed, N failed";
# exits non-zero if any case failed.

set -u

if (($# != 2)); then
	echo "usage: $0 BIN FIXTURE" >&2
	exit 2
fi
BIN=$(realpath -- "$1")
FIXTURE=$(realpath -- "$2")
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
CONFIGS=$HERE/configs
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# Sanitizer builds: report leaks at exit, stop at the first UBSan error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
IS_SAN=0
grep -qa -e __asan_init -e __ubsan_handle "$BIN" && IS_SAN=1

TMP=$(mktemp -d /tmp/bpfmap-it.XXXXXX)
# BPF object names allow [A-Za-z0-9_.]; 6 chars leave room for suffixes.
PREFIX=t$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)
PIDS=()      # every exporter started, for cleanup
FIXTURE_PID=''
FIX_IN=''
FIX_OUT=''
declare -A MAP_ID MAP_NAME
PROG_ID=''
PROG_NAME=''
SUMMARY_DONE=0

cleanup() {
	local rc=$? pid
	# An aborted run (e.g. set -u) still ends with the summary line.
	if ((!SUMMARY_DONE)); then
		fail "run.sh" "aborted (exit $rc) before the end"
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
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- helpers -----------------------------------------------------------------

# A port in 20000-40000 that nothing listens on right now. Another process
# can still take it before the exporter binds; start_exporter retries.
pick_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 20001))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
}

# wait_healthz PORT PID: up to 10 s for /healthz to answer 200.
wait_healthz() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$1/healthz" && return 0
		sleep 0.1
	done
	return 1
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

# --- cases ---------------------------------------------------------------------

# a. fixture and exporter up.
case_a_start() {
	case_begin
	if ! start_fixture; then
		case_err "fixture did not print ready: $(cat "$TMP/fixture.err")"
		case_end "a. fixture and exporter start"
		return 1
	fi
	LOG=$TMP/exporter.log
	if ! start_exporter "$LOG"; then
		case_err "exporter not healthy within 10 s"
		case_end "a. fixture and exporter start" "$LOG"
		return 1
	fi
	PORT=$EXP_PORT
	MAIN_PID=$EXP_PID
	echo "# prefix $PREFIX, exporter pid $MAIN_PID on 127.0.0.1:$PORT, prog id $PROG_ID"
	case_end "a. fixture and exporter start"
}

case_b_metrics() {
	local m=$TMP/b.txt code p=$PREFIX row role type prog entries pressure max lbl
	local tag xlated json
	code=$(scrape "$PORT" "$m")
	if [[ $code != 200 ]]; then
		fail "b. scrape /metrics" "HTTP $code" "$LOG"
		return
	fi

	# role type prog entries pressure max_entries (from fixture.c)
	case_begin
	for row in \
		"hash hash ${p}_prog 37 0.37 100" \
		"lru lru_hash - 10 0.2 50" \
		"pcpu percpu_hash - 16 0.25 64" \
		"nopre hash - 50 0.25 200" \
		"noname hash - 3 0.3 10" \
		"chars hash - 4 1 4" \
		"one hash - 0 0 1" \
		"del hash - 1 0.1 10"; do
		read -r role type prog entries pressure max <<<"$row"
		[[ $prog == - ]] && prog=''
		lbl=$(map_labels "$role" "$type" "$prog")
		expect_line "$m" "ebpf_map_entries{$lbl} $entries"
		expect_line "$m" "ebpf_map_pressure{$lbl} $pressure"
		expect_line "$m" "ebpf_map_max_entries{$lbl} $max"
	done
	# The empty name must be omitted, not written as name="".
	expect_no_match "$m" "[{,]id=\"${MAP_ID[noname]}\",.*name=" "empty-name map has a name label"
	case_end "b. map entries/pressure/max_entries of every counted map type"

	case_begin
	lbl=$(map_labels arr array "${p}_prog")
	expect_line "$m" "ebpf_map_max_entries{$lbl} 8"
	expect_no_match "$m" "^ebpf_map_(entries|pressure)\{.*$(id_re "${MAP_ID[arr]}")" \
		"array has a count series"
	case_end "b. array: max_entries only, no entries/pressure"

	case_begin
	expect_line "$m" "ebpf_map_info{id=\"${MAP_ID[hash]}\",name=\"${p}_hash\",map_type=\"hash\",key_size=\"4\",value_size=\"8\",flags=\"0x0\"} 1"
	expect_line "$m" "ebpf_map_info{id=\"${MAP_ID[nopre]}\",name=\"${p}_nopre\",map_type=\"hash\",key_size=\"4\",value_size=\"8\",flags=\"0x1\"} 1"
	case_end "b. ebpf_map_info"

	case_begin
	json=$(bpftool prog show id "$PROG_ID" -j 2>&1)
	tag=$(grep -o '"tag":"[0-9a-f]*"' <<<"$json" | cut -d'"' -f4)
	xlated=$(grep -o '"bytes_xlated":[0-9]*' <<<"$json" | cut -d: -f2)
	[[ $tag =~ ^[0-9a-f]{16}$ ]] || case_err "bpftool gave no tag: $json"
	lbl="id=\"$PROG_ID\",name=\"$PROG_NAME\",prog_type=\"socket_filter\""
	expect_line "$m" "ebpf_prog_info{$lbl,tag=\"$tag\"} 1"
	expect_line "$m" "ebpf_prog_maps{$lbl,comm=\"fixture\"} 2"
	expect_line "$m" "ebpf_prog_xlated_bytes{$lbl,comm=\"fixture\"} $xlated"
	case_end "b. program info/maps/xlated_bytes (tag $tag, $xlated bytes)"

	case_begin
	for role in hash arr; do
		expect_line "$m" "ebpf_map_program_info{map_id=\"${MAP_ID[$role]}\",map_name=\"${MAP_NAME[$role]}\",prog_id=\"$PROG_ID\",prog_name=\"$PROG_NAME\"} 1"
	done
	for role in lru pcpu nopre noname chars one del; do
		expect_no_match "$m" "^ebpf_map_program_info\{map_id=\"${MAP_ID[$role]}\"" \
			"association for unused map $role"
	done
	expect_eq "$(grep -c "^ebpf_map_program_info{.*prog_id=\"$PROG_ID\"" "$m")" 2 \
		"associations of the fixture program"
	case_end "b. map/program association"

	case_begin
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="maps"} 1'
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="programs"} 1'
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="owners"} 1'
	expect_match "$m" '^bpfmap_exporter_build_info\{' "no bpfmap_exporter_build_info"
	expect_match "$m" '^process_open_fds ' "no process_open_fds"
	case_end "b. self metrics"

	case_begin
	expect_no_match "$m" '^ebpf_.* (NaN|[+-]Inf)$' "non-finite value"
	case_end "b. no NaN/Inf in ebpf_ series"
}

case_c_http() {
	local url=http://127.0.0.1:$PORT code ct resp body_bytes
	case_begin
	code=$(curl -sS --max-time 10 -D "$TMP/c.hdr" -o "$TMP/c.txt" -w '%{http_code}' "$url/metrics")
	expect_eq "$code" 200 "GET /metrics"
	ct=$(header "$TMP/c.hdr" Content-Type)
	expect_eq "$ct" "text/plain; version=0.0.4; charset=utf-8" "Content-Type"
	case_end "c. Content-Type of /metrics"

	case_begin
	code=$(curl -sS --max-time 10 -I -o /dev/null -w '%{http_code}' "$url/metrics")
	expect_eq "$code" 200 "HEAD /metrics"
	resp=$TMP/c.head
	raw_http "$PORT" 'HEAD /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >"$resp"
	expect_match "$resp" $'^HTTP/1\\.[01] 200' "raw HEAD status: $(head -n1 "$resp")"
	expect_match "$resp" $'^\r$' "raw HEAD: no end of headers"
	# Everything after the first empty line is body.
	body_bytes=$(sed -n $'/^\r$/,$p' "$resp" | tail -n +2 | wc -c)
	expect_eq "$body_bytes" 0 "HEAD body bytes"
	case_end "c. HEAD: 200, no body"

	case_begin
	code=$(curl -sS --max-time 10 -H 'Accept-Encoding: gzip' -D "$TMP/c.gz.hdr" \
		-o "$TMP/c.gz" -w '%{http_code}' "$url/metrics")
	expect_eq "$code" 200 "gzip GET"
	expect_eq "$(header "$TMP/c.gz.hdr" Content-Encoding)" gzip "Content-Encoding"
	if gunzip -c "$TMP/c.gz" >"$TMP/c.gunzip" 2>"$TMP/c.gunzip.err"; then
		expect_line "$TMP/c.gunzip" \
			"ebpf_map_entries{$(map_labels hash hash "${PREFIX}_prog")} 37"
		promtool check metrics <"$TMP/c.gunzip" >"$TMP/c.prom" 2>&1 ||
			case_err "promtool on gunzipped body: $(head -n3 "$TMP/c.prom" | tr '\n' ' ')"
	else
		case_err "gunzip: $(cat "$TMP/c.gunzip.err")"
	fi
	case_end "c. gzip encoding"

	case_begin
	code=$(scrape "$PORT" "$TMP/c.root" /)
	expect_eq "$code" 200 "GET /"
	expect_grep_i "$TMP/c.root" "<html" "/ is not HTML"
	expect_match "$TMP/c.root" "href=[\"']?/metrics" "/ does not link to /metrics"
	case_end "c. / is HTML linking to /metrics"

	case_begin
	expect_eq "$(scrape "$PORT" /dev/null /healthz)" 200 "/healthz"
	expect_eq "$(scrape "$PORT" /dev/null /nope)" 404 "/nope"
	code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST --data '' "$url/metrics")
	expect_eq "$code" 405 "POST /metrics"
	case_end "c. /healthz 200, /nope 404, POST 405"
}

case_d_promtool() {
	local out
	case_begin
	expect_eq "$(scrape "$PORT" "$TMP/d.txt")" 200 "scrape"
	out=$(promtool check metrics <"$TMP/d.txt" 2>&1)
	expect_eq "$?" 0 "promtool exit code"
	[[ -z $out ]] || case_err "promtool says: $(head -n5 <<<"$out" | tr '\n' ' ')"
	case_end "d. promtool check metrics is silent"
}

case_e_delete() {
	case_begin
	if fixture_cmd "delete del" "deleted del"; then
		expect_eq "$(scrape "$PORT" "$TMP/e.txt")" 200 "scrape"
		expect_no_match "$TMP/e.txt" "$(id_re "${MAP_ID[del]}")" "deleted map still exported"
	else
		case_err "fixture did not confirm the delete: $(cat "$TMP/fixture.err")"
	fi
	case_end "e. deleted map disappears" "$LOG"
}

case_f_growth() {
	local i code bad=0 fds5 rss5 fds200 rss200 growth
	case_begin
	for ((i = 1; i <= 200; i++)); do
		code=$(scrape "$PORT" "$TMP/f.txt")
		[[ $code == 200 ]] || bad=$((bad + 1))
		if ((i == 5)); then
			fds5=$(sample "$TMP/f.txt" process_open_fds)
			rss5=$(sample "$TMP/f.txt" process_resident_memory_bytes)
		fi
	done
	fds200=$(sample "$TMP/f.txt" process_open_fds)
	rss200=$(sample "$TMP/f.txt" process_resident_memory_bytes)
	growth=$(awk -v a="${rss5:-0}" -v b="${rss200:-0}" 'BEGIN { printf "%d", b - a }')
	echo "# open fds: $fds5 after scrape 5, $fds200 after 200;" \
		"RSS: $rss5 -> $rss200 bytes (growth $growth)"
	expect_eq "$bad" 0 "non-200 scrapes"
	[[ -n $fds5 && -n $rss5 ]] || case_err "process_open_fds/process_resident_memory_bytes missing"
	expect_eq "$fds200" "$fds5" "open fds"
	# ASan's quarantine keeps freed memory resident by design; its leak
	# check at exit (case n) covers that build instead.
	if ((IS_SAN)); then
		echo "# sanitizer build: RSS bound not applied"
	elif ((growth >= 1048576)); then
		case_err "RSS grew by $growth bytes (limit 1 MiB)"
	fi
	case_end "f. no fd or memory growth over 200 scrapes" "$LOG"
}

case_g_concurrency() {
	local w gpids=() line
	line="ebpf_map_entries{$(map_labels hash hash "${PREFIX}_prog")} 37"
	case_begin
	for ((w = 1; w <= 10; w++)); do
		(
			for ((i = 1; i <= 10; i++)); do
				code=$(scrape "$PORT" "$TMP/g.$w.txt")
				if [[ $code != 200 ]] || ! grep -qxF "$line" "$TMP/g.$w.txt"; then
					echo "worker $w scrape $i: HTTP $code"
				fi
			done
		) >"$TMP/g.$w.err" &
		gpids+=($!)
	done
	wait "${gpids[@]}"
	cat "$TMP"/g.*.err >"$TMP/g.err"
	[[ -s $TMP/g.err ]] && case_err "$(wc -l <"$TMP/g.err") bad: $(head -n3 "$TMP/g.err" | tr '\n' ' ')"
	case_end "g. 10 parallel clients x 10 scrapes" "$LOG"
}

case_h_once() {
	local rc
	case_begin
	timeout 30 "$BIN" --once >"$TMP/h.txt" 2>"$TMP/h.log"
	rc=$?
	expect_eq "$rc" 0 "exit code"
	expect_line "$TMP/h.txt" "ebpf_map_entries{$(map_labels hash hash "${PREFIX}_prog")} 37"
	case_end "h. --once prints the exposition and exits 0" "$TMP/h.log"
}

# check_config FILE: runs --config.check; prints the exit code.
check_config() {
	timeout 10 "$BIN" --config.file="$1" --config.check >/dev/null 2>"$TMP/i.log"
	echo $?
}

case_i_config_errors() {
	local f want rc missing=$TMP/does-not-exist.yaml
	for f in unknown_key wrong_type bad_regex labels_without_id; do
		f=$CONFIGS/$f.yaml
		# Each file states where its error is: "# expect-error-at: LINE:COL".
		want=$(sed -n 's/^# expect-error-at: \([0-9]*:[0-9]*\).*/\1/p' "$f")
		case_begin
		rc=$(check_config "$f")
		expect_eq "$rc" 2 "exit code"
		grep -qF -- "$f:$want:" "$TMP/i.log" ||
			case_err "no '$f:$want:' in stderr: $(head -c 300 "$TMP/i.log")"
		case_end "i. --config.check rejects $(basename "$f") at $want"
	done

	case_begin
	rc=$(check_config "$CONFIGS/valid.yaml")
	expect_eq "$rc" 0 "exit code"
	case_end "i. --config.check accepts valid.yaml" "$TMP/i.log"

	case_begin
	rc=$(check_config "$missing")
	expect_eq "$rc" 2 "exit code"
	grep -qF -- "$missing" "$TMP/i.log" || case_err "stderr does not name $missing"
	case_end "i. missing config file: exit 2, names the path" "$TMP/i.log"

	case_begin
	timeout 10 "$BIN" --no-such-flag >/dev/null 2>"$TMP/i.log"
	expect_eq "$?" 2 "exit code"
	case_end "i. unknown flag: exit 2" "$TMP/i.log"
}

case_j_filters_labels() {
	local cfg=$TMP/j.yaml log=$TMP/j.log m=$TMP/j.txt p=$PREFIX node bad role
	export TEST_NODE="node-$PREFIX"
	node="node=\"$TEST_NODE\""
	cat >"$cfg" <<EOF
labels:
  maps: [id, name]
filters:
  maps:
    include:
      name: "${p}_.*"
static_labels:
  node: "\${TEST_NODE}"
EOF
	case_begin
	if ! start_exporter "$log" --config.file="$cfg"; then
		case_err "exporter with $cfg not healthy"
		case_end "j. filters, label selection, static labels" "$log"
		return
	fi
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	for role in hash lru pcpu nopre one; do
		expect_match "$m" "^ebpf_map_entries\{id=\"${MAP_ID[$role]}\",name=\"${MAP_NAME[$role]}\",$node\} [0-9]+$" \
			"no id,name,node series for $role"
	done
	expect_line "$m" "ebpf_map_max_entries{id=\"${MAP_ID[arr]}\",name=\"${p}_arr\",$node} 8"
	# Map series: exactly id and name (then the static label), fixture names only.
	bad=$(grep -E '^ebpf_map_(entries|pressure|max_entries)\{' "$m" |
		grep -vE "^[a-z_]+\{id=\"[0-9]+\",name=\"${p}_[^\"]*\",$node\} ")
	[[ -z $bad ]] || case_err "unexpected map series: $(head -n2 <<<"$bad" | tr '\n' ' ')"
	# Neither "<p>Az9_." nor the empty name matches "<p>_.*".
	expect_no_match "$m" "$(id_re "${MAP_ID[chars]}")" "filtered-out map exported"
	expect_no_match "$m" "$(id_re "${MAP_ID[noname]}")" "filtered-out map exported"
	bad=$(grep -v '^#' "$m" | grep -vF "$node")
	[[ -z $bad ]] || case_err "series without $node: $(head -n2 <<<"$bad" | tr '\n' ' ')"
	case_end "j. filters, label selection, static labels" "$log"
	stop_exporter "$EXP_PID"
}

case_k_port_in_use() {
	local rc start=$SECONDS
	case_begin
	timeout 10 "$BIN" --web.listen-address="127.0.0.1:$PORT" >/dev/null 2>"$TMP/k.log"
	rc=$?
	expect_eq "$rc" 1 "exit code"
	expect_grep_i "$TMP/k.log" "address already in use" "message"
	expect_grep_i "$TMP/k.log" "127.0.0.1:$PORT" "message"
	((SECONDS - start <= 5)) || case_err "took $((SECONDS - start)) s"
	case_end "k. port in use: exit 1 with a clear message" "$TMP/k.log"
}

case_l_unprivileged() {
	local rc
	case_begin
	(cd / && timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$BIN" --once) >/dev/null 2>"$TMP/l.log"
	rc=$?
	expect_eq "$rc" 1 "exit code"
	((rc < 128)) || case_err "killed by a signal (exit $rc)"
	grep -qiE "permission|privilege|CAP_" "$TMP/l.log" ||
		case_err "no permission/privilege/CAP_ in: $(head -c 300 "$TMP/l.log")"
	case_end "l. unprivileged: exit 1 naming the missing privilege" "$TMP/l.log"
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

case_m_sighup() {
	local cfg=$TMP/m.yaml log=$TMP/m.log out=$TMP/m.txt errs_before i pid
	local h=${MAP_ID[hash]} lineb
	printf 'labels:\n  maps: [id, name]\n' >"$cfg"
	case_begin
	if ! start_exporter "$log" --config.file="$cfg"; then
		case_err "exporter with $cfg not healthy"
		case_end "m. SIGHUP reload" "$log"
		return
	fi
	pid=$EXP_PID
	wait_for_line "$EXP_PORT" "ebpf_map_entries{id=\"$h\",name=\"${PREFIX}_hash\"} 37" "$out" ||
		case_err "config A not in effect"

	printf 'labels:\n  maps: [id]\n' >"$cfg"
	kill -HUP "$pid"
	lineb="ebpf_map_entries{id=\"$h\"} 37"
	wait_for_line "$EXP_PORT" "$lineb" "$out" || case_err "config B not in effect after HUP"
	expect_line "$out" "ebpf_map_max_entries{id=\"${MAP_ID[lru]}\"} 50"
	case_end "m. SIGHUP reloads the config" "$log"

	case_begin
	errs_before=$(grep -c 'level=error' "$log")
	# Unterminated flow sequence: a YAML syntax error.
	printf 'labels:\n  maps: [id, name\n' >"$cfg"
	kill -HUP "$pid"
	for ((i = 0; i < 50; i++)); do
		(($(grep -c 'level=error' "$log") > errs_before)) && break
		sleep 0.1
	done
	(($(grep -c 'level=error' "$log") > errs_before)) || case_err "no level=error logged"
	grep -qF "$cfg" "$log" || case_err "log does not name $cfg"
	kill -0 "$pid" 2>/dev/null || case_err "exporter died"
	expect_eq "$(scrape "$EXP_PORT" "$out")" 200 "scrape after bad reload"
	expect_line "$out" "$lineb"
	case_end "m. SIGHUP with a broken file keeps the old config" "$log"
	M_PID=$pid
}

# o. A collector failing mid-scrape, for real: the running exporter's fd
# limit is lowered until a scrape is still accepted but no iterator fd can
# be created (the exact limit depends on which fds the HTTP server holds
# at that moment, so a few limits are tried). The scrape must answer 200,
# report both collectors as failed and log it; raising the limit again
# recovers.
case_o_collector_failure() {
	local pid=$MAIN_PID out=$TMP/o.txt orig code nfds limit failed=0
	case_begin
	orig=$(prlimit --pid "$pid" --nofile --noheadings --output SOFT,HARD | awk '{print $1":"$2}')
	nfds=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
	for ((limit = nfds + 2; limit >= nfds - 2; limit--)); do
		prlimit --pid "$pid" --nofile="$limit:${orig#*:}"
		code=$(curl -sS --max-time 3 -o "$out" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics" 2>/dev/null)
		prlimit --pid "$pid" --nofile="$orig"
		if [[ $code == 200 ]] &&
			grep -qxF 'bpfmap_exporter_scrape_collector_success{collector="maps"} 0' "$out"; then
			failed=1
			break
		fi
	done
	echo "# fd limit that failed the collectors: $limit (open fds $nfds)"
	expect_eq "$failed" 1 "a scrape answered 200 with failed collectors"
	expect_line "$out" 'bpfmap_exporter_scrape_collector_success{collector="programs"} 0'
	expect_line "$out" 'bpfmap_exporter_scrape_collector_success{collector="owners"} 0'
	grep -q '^ebpf_map_entries' "$out" && case_err "map series despite a failed collector"
	expect_grep_i "$LOG" 'collector maps failed: Too many open files' "log"

	expect_eq "$(scrape "$PORT" "$out")" 200 "status after the limit is raised"
	expect_line "$out" 'bpfmap_exporter_scrape_collector_success{collector="maps"} 1'
	expect_line "$out" "ebpf_map_entries{$(map_labels hash hash "$PROG_NAME")} 37"
	expect_grep_i "$LOG" 'collector maps recovered' "log"
	expect_grep_i "$LOG" 'collector owners recovered' "log"
	case_end "o. a collector failing mid-scrape: 200, success 0, logged, recovers" "$LOG"
}

# n. Not in the brief's list: a clean SIGTERM exit, which is also when a
# sanitizer build runs its leak check.
case_n_shutdown() {
	local f
	case_begin
	stop_exporter "$MAIN_PID"
	expect_eq "$STOP_RC" 0 "main exporter exit code on SIGTERM"
	if [[ -n ${M_PID:-} ]]; then
		stop_exporter "$M_PID"
		expect_eq "$STOP_RC" 0 "SIGHUP-test exporter exit code on SIGTERM"
	fi
	for f in "$TMP"/*.log; do
		grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" &&
			case_err "sanitizer report in $(basename "$f")"
	done
	case_end "n. SIGTERM: exit 0, no sanitizer reports" "$LOG"
}

# --- main ------------------------------------------------------------------------

main() {
	if [[ ! -x $BIN || ! -x $FIXTURE ]]; then
		fail "setup" "$BIN or $FIXTURE is not executable"
		summary
		return
	fi
	if case_a_start; then
		case_b_metrics
		case_c_http
		case_d_promtool
		case_e_delete
		case_f_growth
		case_g_concurrency
		case_h_once
		case_i_config_errors
		case_j_filters_labels
		case_k_port_in_use
		case_l_unprivileged
		case_m_sighup
		case_o_collector_failure
		case_n_shutdown
	fi
	stop_fixture
	SUMMARY_DONE=1
	summary
}

main
