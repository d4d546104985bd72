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

HERE=$(cd -- "$(dirname -- "$0")" && pwd)
CONFIGS=$HERE/configs
# shellcheck source=lib.sh
. "$HERE/lib.sh"
suite_setup "$@"

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
	probe_kernel || case_err "fixture --probe: $(cat "$TMP/probe.err")"
	echo "# this kernel, asked by the fixture: $(for f in "${!KERNEL[@]}"; do printf '%s=%s ' "$f" "${KERNEL[$f]}"; done)"
	case_end "a. fixture and exporter start"
}

case_b_metrics() {
	local m=$TMP/b.txt code p=$PREFIX role lbl want
	local tag xlated json
	code=$(scrape "$PORT" "$m")
	if [[ $code != 200 ]]; then
		fail "b. scrape /metrics" "HTTP $code" "$LOG"
		return
	fi

	case_begin
	want=$(expected_method auto)
	if [[ $want == none ]]; then
		# Nothing counts hash maps here: the other types keep their own counts.
		check_expected_maps "$m" lpm queue stack dmh
		check_uncounted "$m" hash lru pcpu nopre noname chars one del inner hom
	else
		check_expected_maps "$m"
	fi
	# The empty name must be omitted, not written as name="".
	expect_no_match "$m" "[{,]id=\"${MAP_ID[noname]}\",.*name=" "empty-name map has a name label"
	case_end "b. map entries/pressure/max_entries of every counted map type ($want)"

	case_begin
	lbl=$(map_labels arr array "${p}_prog")
	expect_line "$m" "ebpf_map_max_entries{$lbl} 8"
	expect_no_match "$m" "$(series_re 'ebpf_map_entries|ebpf_map_pressure' "${MAP_ID[arr]}")" \
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
	for role in lru pcpu nopre noname chars one del inner hom; do
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

	# The kernel's own count where it has the kfunc (6.6+), else the best
	# walk this kernel allows, as the fixture's own probe found.
	case_begin
	expect_line "$m" "bpfmap_exporter_map_count_method_info{method=\"$want\"} 1"
	for f in bpf_map_sum_elem_count iter_bpf_map_elem map_lookup_batch map_get_next_key; do
		expect_line "$m" "bpfmap_exporter_kernel_feature{feature=\"$f\"} $(kernel_feature_value "$f")"
	done
	expect_eq "$(grep -c 'hash map entry counts: method=' "$LOG")" 1 "start-up lines on counting"
	expect_grep_i "$LOG" "hash map entry counts: method=$want" "start-up log line"
	if [[ $want != kfunc && ${KERNEL[iter_bpf_map_elem]} != OK ]]; then
		echo "# the kernel refuses iter/bpf_map_elem (${KERNEL[iter_bpf_map_elem]}): method $want, and the log says why"
		expect_grep_i "$LOG" "the bpf_map_elem iterator: " "the refusal in the start-up line"
	fi
	case_end "b. counting method $want, as the kernel allows, reported and logged"

	case_begin
	expect_no_match "$m" '^ebpf_.* (NaN|[+-]Inf)$' "non-finite value"
	case_end "b. no NaN/Inf in ebpf_ series"
}

# s. Idle footprint: started and scraped once (case b), the static build
# holds at most 6 MiB. Only where the host is quiet: a scrape's buffers
# are kept for the next one, and they grow with the objects on the host.
case_u_idle_rss() {
	local rss maps
	case_begin
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$MAIN_PID/status")
	maps=$(grep -c '^ebpf_map_info{' "$TMP/b.txt")
	echo "# RSS after start-up and one scrape: $rss KiB ($maps maps on the host)"
	if ((IS_SAN)) || grep -q 'ld-linux' "/proc/$MAIN_PID/maps"; then
		echo "# not the static build: RSS bound not applied"
	elif ((maps > 1000)); then
		echo "# host not quiet ($maps maps): RSS bound not applied"
	elif [[ -z $rss ]] || ((rss > 6 * 1024)); then
		case_err "RSS ${rss:-unknown} KiB (limit 6 MiB)"
	fi
	case_end "u. idle RSS after start-up and one scrape <= 6 MiB" "$LOG"
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
		expect_promtool "$TMP/c.gunzip" "the gunzipped body"
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
	case_begin
	expect_eq "$(scrape "$PORT" "$TMP/d.txt")" 200 "scrape"
	expect_promtool "$TMP/d.txt"
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

# fixture_id_regex: the ids of every fixture map, as one alternation. A
# filter on it keeps the fallback's budget to the fixture's maps: other
# tests' maps on this shared kernel must not use it up.
fixture_id_regex() {
	local role ids=()
	for role in "${!MAP_ID[@]}"; do
		ids+=("${MAP_ID[$role]}")
	done
	local IFS='|'
	echo "${ids[*]}"
}

# p. Each walk named in the config, on the fixture's maps (case e
# deleted "del"): where the kernel allows it, the same counts as the
# kernel's own (hash_of_maps, which has no element iterator, through the
# next walk); where it refuses it, method none, no made-up counts, other
# map types still counted, and a warning that names the refusal.
case_p_walks() {
	local cfg=$TMP/p.yaml out log rc method want feature
	local -A feature_of=([iterator]=iter_bpf_map_elem [batch]=map_lookup_batch [keys]=map_get_next_key)
	for method in iterator batch keys; do
		out=$TMP/p-$method.txt log=$TMP/p-$method.log feature=${feature_of[$method]}
		printf 'counting:\n  method: %s\nfilters:\n  maps:\n    include: {id: "%s"}\n' \
			"$method" "$(fixture_id_regex)" >"$cfg"
		want=$(expected_method "$method")
		echo "# counting.method $method: the kernel says ${KERNEL[$feature]} to $feature, so method $want"
		case_begin
		timeout 30 "$BIN" --once --config.file="$cfg" >"$out" 2>"$log"
		rc=$?
		expect_eq "$rc" 0 "exit code"
		expect_line "$out" "bpfmap_exporter_map_count_method_info{method=\"$want\"} 1"
		expect_no_match "$out" "$(series_re 'ebpf_map_entries|ebpf_map_pressure' "${MAP_ID[arr]}")" \
			"array has a count series"
		check_expected_maps "$out" lpm queue stack dmh
		if [[ $want == none ]]; then
			check_uncounted "$out" hash lru pcpu nopre noname chars one inner hom
			expect_grep_i "$log" "method=none (counting.method is $method" "start-up warning"
			expect_grep_i "$log" "level=warn" "start-up warning level"
			expect_no_match "$out" '^bpfmap_exporter_map_count_fallback_' "fallback series without a walk"
			case_end "p. counting.method $method, refused by this kernel (${KERNEL[$feature]}): no hash map counts, said once" "$log"
			continue
		fi
		check_expected_maps "$out" hash lru pcpu nopre noname chars one inner hom
		expect_line "$out" 'bpfmap_exporter_map_count_fallback_maps{result="counted"} 9'
		expect_line "$out" 'bpfmap_exporter_map_count_fallback_maps{result="over_budget"} 0'
		expect_line "$out" 'bpfmap_exporter_map_count_fallback_maps{result="failed"} 0'
		# 100 + 50 + 64 + 200 + 10 + 4 + 1 + 4 + 4: every walked map's max_entries.
		expect_line "$out" 'bpfmap_exporter_map_count_fallback_budget_used 437'
		expect_grep_i "$log" "method=$method (counting.method is $method" "start-up log line"
		case_end "p. counting.method $method: the same counts by walking each map" "$log"
	done
}

# q. The budget, with the best walk this kernel allows: maps walk in id
# order (the fixture's creation order) while their max_entries fit; one
# that does not is left without a count, and a later smaller one still
# fits.
case_q_budget() {
	local cfg=$TMP/q.yaml out=$TMP/q.txt log=$TMP/q.log role want
	printf 'counting:\n  method: walk\n  fallback_max_entries: 151\nfilters:\n  maps:\n    include: {id: "%s"}\n' \
		"$(fixture_id_regex)" >"$cfg"
	want=$(expected_method walk)
	case_begin
	timeout 30 "$BIN" --once --config.file="$cfg" >"$out" 2>"$log"
	expect_eq "$?" 0 "exit code"
	expect_line "$out" "bpfmap_exporter_map_count_method_info{method=\"$want\"} 1"
	if [[ $want == none ]]; then
		echo "# this kernel allows no walk at all: no budget to spend"
		check_uncounted "$out" hash lru one pcpu nopre noname chars inner hom
		case_end "q. counting.method walk on a kernel that allows none: no counts" "$log"
		return
	fi
	# hash (100) + lru (50) + one (1) = 151; the others do not fit.
	check_expected_maps "$out" hash lru one
	check_uncounted "$out" pcpu nopre noname chars inner hom
	expect_line "$out" 'bpfmap_exporter_map_count_fallback_maps{result="counted"} 3'
	expect_line "$out" 'bpfmap_exporter_map_count_fallback_maps{result="over_budget"} 6'
	expect_line "$out" 'bpfmap_exporter_map_count_fallback_budget_used 151'
	case_end "q. fallback budget ($want): maps that do not fit get no count, smaller ones still do" "$log"
}

# s. Map series do not depend on which other families are exported:
# with the programs collector off, maps keep their prog label and the
# map/program pairs, the same lines as with it on.
case_s_programs_off() {
	local cfg=$TMP/s.yaml on=$TMP/s.on off=$TMP/s.off log=$TMP/s.log role
	local re='^ebpf_map_(info|max_entries|entries|pressure|program_info)\{'
	printf 'filters:\n  maps:\n    include: {id: "%s"}\n' "$(fixture_id_regex)" >"$cfg"
	case_begin
	timeout 30 "$BIN" --once --config.file="$cfg" >"$on" 2>"$log"
	expect_eq "$?" 0 "exit code, programs on"
	timeout 30 "$BIN" --once --config.file="$cfg" --no-collector.programs >"$off" 2>>"$log"
	expect_eq "$?" 0 "exit code, programs off"
	expect_line "$off" "ebpf_map_entries{$(map_labels hash hash "$PROG_NAME")} 37"
	expect_line "$off" "ebpf_map_max_entries{$(map_labels arr array "$PROG_NAME")} 8"
	for role in hash arr; do
		expect_line "$off" "ebpf_map_program_info{map_id=\"${MAP_ID[$role]}\",map_name=\"${MAP_NAME[$role]}\",prog_id=\"$PROG_ID\",prog_name=\"$PROG_NAME\"} 1"
	done
	expect_eq "$(grep -E "$re" "$off" | sort | md5sum)" "$(grep -E "$re" "$on" | sort | md5sum)" \
		"map series with programs off vs on"
	expect_no_match "$off" '^ebpf_prog_info\{|collector="programs"' "program series while off"
	case_end "s. --no-collector.programs: map series keep prog and their program pairs" "$log"
}

# t. As many static labels as the config accepts, every scrape carries.
case_t_static_labels() {
	local cfg=$TMP/t.yaml log=$TMP/t.log out=$TMP/t.txt i want=''
	{
		printf 'filters:\n  maps:\n    include: {id: "%s"}\n' "${MAP_ID[arr]}"
		printf 'static_labels:\n'
		for ((i = 1; i <= 100; i++)); do
			printf '  s%d: "v%d"\n' "$i" "$i"
			want+=",s$i=\"v$i\""
		done
	} >"$cfg"
	case_begin
	expect_eq "$(check_config "$cfg")" 0 "--config.check exit code"
	if ! start_exporter "$log" --config.file="$cfg"; then
		case_err "exporter with $cfg not healthy"
	else
		expect_eq "$(scrape "$EXP_PORT" "$out")" 200 "scrape"
		expect_line "$out" "ebpf_map_max_entries{$(map_labels arr array "$PROG_NAME")$want} 8"
		expect_promtool "$out"
		stop_exporter "$EXP_PID"
	fi
	case_end "t. 100 static labels: valid, and on every series" "$log"
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

# r. A response larger than one chunk streams while it is written: chunked
# over HTTP/1.1, ended by closing over HTTP/1.0, gzip'ed on the fly; all
# three carry the same series, and HEAD still has no body. A long static
# label makes the fixture's few series span several chunks.
case_r_streaming() {
	local cfg=$TMP/r.yaml log=$TMP/r.log url pad v want
	pad=$(printf 'x%.0s' {1..3000})
	printf 'static_labels:\n  pad: "%s"\n' "$pad" >"$cfg"
	case_begin
	if ! start_exporter "$log" --config.file="$cfg"; then
		case_err "exporter with $cfg not healthy"
		case_end "r. a large response streams" "$log"
		return
	fi
	url=http://127.0.0.1:$EXP_PORT/metrics
	curl -sS --max-time 10 -D "$TMP/r.1.1.hdr" -o "$TMP/r.1.1" "$url" 2>>"$TMP/curl.err"
	curl -sS --max-time 10 --http1.0 -D "$TMP/r.1.0.hdr" -o "$TMP/r.1.0" "$url" 2>>"$TMP/curl.err"
	curl -sS --max-time 10 -H 'Accept-Encoding: gzip' -D "$TMP/r.gz.hdr" -o "$TMP/r.gz" \
		"$url" 2>>"$TMP/curl.err"
	gunzip -c "$TMP/r.gz" >"$TMP/r.gunzip" 2>>"$TMP/curl.err" || case_err "gunzip failed"
	expect_eq "$(header "$TMP/r.1.1.hdr" Transfer-Encoding)" chunked "HTTP/1.1 Transfer-Encoding"
	expect_eq "$(header "$TMP/r.1.0.hdr" Transfer-Encoding)" "" "HTTP/1.0 Transfer-Encoding"
	expect_eq "$(header "$TMP/r.gz.hdr" Content-Encoding)" gzip "Content-Encoding"
	want=$(grep -c '^ebpf_map_max_entries{' "$TMP/r.1.1")
	[[ $(wc -c <"$TMP/r.1.1") -gt $((4 * 65536)) ]] || case_err "only $(wc -c <"$TMP/r.1.1") bytes: not several chunks"
	for v in 1.1 1.0 gunzip; do
		expect_promtool "$TMP/r.$v" "the HTTP $v body"
		expect_line "$TMP/r.$v" \
			"ebpf_map_max_entries{$(map_labels arr array "${PREFIX}_prog"),pad=\"$pad\"} 8"
		# The fixture's maps in each, the same: their capacities do not
		# change between scrapes (other maps on this shared kernel may).
		expect_eq "$(grep "^ebpf_map_max_entries{.*name=\"$PREFIX" "$TMP/r.$v" | sort | md5sum)" \
			"$(grep "^ebpf_map_max_entries{.*name=\"$PREFIX" "$TMP/r.1.1" | sort | md5sum)" \
			"max_entries series of $v"
	done
	[[ $want -gt 0 ]] || case_err "no ebpf_map_max_entries series"
	raw_http "$EXP_PORT" 'HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$TMP/r.head"
	expect_match "$TMP/r.head" $'^HTTP/1\\.1 200' "HEAD status: $(head -n1 "$TMP/r.head")"
	expect_eq "$(sed -n $'/^\r$/,$p' "$TMP/r.head" | tail -n +2 | wc -c)" 0 "HEAD body bytes"
	case_end "r. a large response streams: chunked, HTTP/1.0, gzip, HEAD" "$log"
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
		# Iterators are read on two threads at once: with room for one
		# more fd, one of them may still get it; go lower until none does.
		if [[ $code == 200 ]] &&
			grep -qxF 'bpfmap_exporter_scrape_collector_success{collector="maps"} 0' "$out" &&
			grep -qxF 'bpfmap_exporter_scrape_collector_success{collector="owners"} 0' "$out"; then
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
		case_u_idle_rss
		case_c_http
		case_d_promtool
		case_e_delete
		case_f_growth
		case_g_concurrency
		case_h_once
		case_p_walks
		case_q_budget
		case_s_programs_off
		case_t_static_labels
		case_i_config_errors
		case_j_filters_labels
		case_r_streaming
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
