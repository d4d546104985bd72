#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# --web.config.file (TLS, client certificates, basic auth) and the least
# capabilities, end to end: a CA, server and client certificates made
# here with openssl, bcrypt hashes made with htpasswd, curl as the client.
#
#   web_config.sh BIN FIXTURE     (as root; BIN may be an ASan/UBSan build)

set -u

HERE=$(cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
suite_setup "$@"

PASSWORD=s3cret-Pa55
# Under a sanitizer every scrape is slower; curl's limit stays generous.
CURL=(curl -sS --max-time 20)

# --- certificates and hashes ---------------------------------------------------------

# ec_cert NAME SUBJECT [openssl x509 -req args...]: NAME.key and NAME.crt signed by ca.
ec_cert() {
	local name=$1 subj=$2
	shift 2
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subj" \
		-keyout "$TMP/$name.key" -out "$TMP/$name.csr" 2>>"$TMP/openssl.err" &&
		openssl x509 -req -in "$TMP/$name.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" \
			-CAcreateserial -days 2 -out "$TMP/$name.crt" "$@" 2>>"$TMP/openssl.err"
}

make_material() {
	local ext=$TMP/ext
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=bpfmap test CA" -keyout "$TMP/ca.key" -out "$TMP/ca.crt" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign" 2>>"$TMP/openssl.err" || return 1
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$ext.server"
	printf 'extendedKeyUsage=clientAuth\n' >"$ext.client"
	ec_cert server "/CN=127.0.0.1" -extfile "$ext.server" || return 1
	ec_cert client "/CN=scraper" -extfile "$ext.client" || return 1
	# A client certificate no configured CA signed.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=rogue" -keyout "$TMP/rogue.key" -out "$TMP/rogue.crt" \
		-addext "extendedKeyUsage=clientAuth" 2>>"$TMP/openssl.err" || return 1
	# Cost 5 keeps the test quick; the exporter accepts 4-31.
	HASH=$(htpasswd -nbB -C 5 alice "$PASSWORD" | cut -d: -f2-) || return 1
	[[ $HASH == \$2y\$05\$* ]]
}

# --- helpers -------------------------------------------------------------------------

# start_web LOG WEBCONFIG: the exporter with a web config on a free port.
# Sets EXP_PID, EXP_PORT; ready once anything answers over TLS.
start_web() {
	local log=$1 cfg=$2 i try code
	shift 2
	for ((try = 0; try < 5; try++)); do
		EXP_PORT=$(pick_port)
		"$BIN" --web.listen-address="127.0.0.1:$EXP_PORT" --web.config.file="$cfg" "$@" \
			>"$log.stdout" 2>"$log" &
		EXP_PID=$!
		PIDS+=("$EXP_PID")
		for ((i = 0; i < 100; i++)); do
			kill -0 "$EXP_PID" 2>/dev/null || break
			grep -q "listening on" "$log" && return 0
			sleep 0.1
		done
		stop_exporter "$EXP_PID"
		grep -qi "address already in use" "$log" || return 1
	done
	return 1
}

# https PATH OUT [curl args...]: the HTTP code, "000" if no HTTP answer came.
https() {
	local path=$1 out=$2
	shift 2
	rm -f "$out"
	"${CURL[@]}" -o "$out" -w '%{http_code}' --cacert "$TMP/ca.crt" "$@" \
		"https://127.0.0.1:$EXP_PORT$path" 2>>"$TMP/curl.err"
}

# The fixture's hash map, as the default labels print it.
fixture_line() {
	echo "ebpf_map_max_entries{$(map_labels hash hash "${PREFIX}_prog")} 100"
}

# caps_zero PID WHAT: every thread has no capability at all, and no_new_privs.
caps_zero() {
	local t f
	for t in /proc/"$1"/task/*; do
		for f in CapInh CapPrm CapEff CapAmb; do
			expect_eq "$(awk -v f="$f:" '$1 == f { print $2 }' "$t/status")" \
				0000000000000000 "$2: $f of thread ${t##*/}"
		done
		expect_eq "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$t/status")" 1 \
			"$2: NoNewPrivs of thread ${t##*/}"
	done
}

# --- cases ---------------------------------------------------------------------------

case_tls_auth() {
	local cfg=$TMP/web.yml log=$TMP/tls.log out=$TMP/out code p
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$cfg"
	printf 'basic_auth_users:\n  alice: %s\n' "$HASH" >>"$cfg"
	# Map memory and the attachment collectors (on by default) keep
	# CAP_SYS_ADMIN: off here, so nothing stays.
	printf 'memory:\n  reads_per_scrape: 0\ncollectors:\n  attach_netlink: false\n  attach_cgroup: false\n  attach_perf_event: false\n' >"$TMP/nomem.yaml"
	case_begin
	if ! start_web "$log" "$cfg" --config.file="$TMP/nomem.yaml"; then
		case_err "exporter with TLS and basic auth did not start"
		case_end "a. TLS + basic auth: 200 with the CA and the password" "$log"
		return 1
	fi
	TLS_PID=$EXP_PID
	TLS_PORT=$EXP_PORT
	code=$(https /metrics "$out" -u "alice:$PASSWORD")
	expect_eq "$code" 200 "https with CA and password"
	expect_line "$out" "$(fixture_line)"
	# The second scrape is served from the cache of good credentials.
	expect_eq "$(https /metrics "$out" -u "alice:$PASSWORD")" 200 "second scrape"
	case_end "a. TLS + basic auth: 200 with the CA and the password" "$log"

	case_begin
	rm -f "$out"
	code=$("${CURL[@]}" -o "$out" -w '%{http_code}' -u "alice:$PASSWORD" \
		"http://127.0.0.1:$EXP_PORT/metrics" 2>>"$TMP/curl.err")
	[[ $? != 0 && $code != 200 ]] || case_err "plain HTTP got $code"
	[[ -s $out ]] && case_err "plain HTTP got a body: $(head -c 100 "$out")"
	code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$EXP_PORT/metrics" \
		2>>"$TMP/curl.err")
	[[ $code == 000 ]] || case_err "https without trusting the CA got $code"
	case_end "a. plain HTTP and an untrusted server certificate fail"

	case_begin
	for p in "-u alice:wrong" "-u bob:$PASSWORD" "-u alice:" "-u :$PASSWORD" ""; do
		# shellcheck disable=SC2086 # p is split on purpose
		code=$(https /metrics "$out" -D "$out.h" $p)
		expect_eq "$code" 401 "credentials '$p'"
		expect_eq "$(cat "$out")" unauthorized "401 body for '$p'"
		[[ $(header "$out.h" WWW-Authenticate) == 'Basic realm="bpfmap_exporter"' ]] ||
			case_err "no Basic challenge for '$p': $(header "$out.h" WWW-Authenticate)"
	done
	for p in / /healthz /nope; do
		expect_eq "$(https "$p" "$out")" 401 "$p without credentials"
	done
	expect_eq "$(https /metrics "$out" -I)" 401 "HEAD without credentials"
	expect_eq "$(https /metrics "$out" -X POST -u alice:wrong)" 401 "POST, wrong password"
	expect_eq "$(https /healthz "$out" -u "alice:$PASSWORD")" 200 "/healthz with the password"
	case_end "a. wrong or missing credentials: 401 with a challenge and nothing else" "$log"

	# Root at start-up, nothing at all once serving, in every thread.
	case_begin
	caps_zero "$TLS_PID" "exporter started as root"
	expect_eq "$(https /metrics "$out" -u "alice:$PASSWORD")" 200 "scrape without capabilities"
	expect_line "$out" "$(fixture_line)"
	expect_grep_i "$log" "dropped every capability scrapes do not need (kept: none)" \
		"log of the drop"
	stop_exporter "$TLS_PID"
	expect_eq "$STOP_RC" 0 "exit code"
	case_end "a. capabilities after start-up: none left, scrapes work" "$log"
}

# A response larger than one chunk streams over TLS too, plain and gzip'ed:
# a long static label spreads the fixture's series over several chunks.
case_tls_stream() {
	local cfg=$TMP/web.yml log=$TMP/tls_stream.log out=$TMP/big pad code
	pad=$(printf 'y%.0s' {1..3000})
	printf 'memory:\n  reads_per_scrape: 0\nstatic_labels:\n  pad: "%s"\n' "$pad" \
		>"$TMP/pad.yaml"
	case_begin
	if ! start_web "$log" "$cfg" --config.file="$TMP/pad.yaml"; then
		case_err "did not start"
		case_end "a. TLS: a large response streams whole, plain and gzip" "$log"
		return
	fi
	code=$(https /metrics "$out" -u "alice:$PASSWORD" -D "$out.h")
	expect_eq "$code" 200 "plain"
	expect_eq "$(header "$out.h" Transfer-Encoding)" chunked "Transfer-Encoding"
	[[ $(wc -c <"$out") -gt $((4 * 65536)) ]] || case_err "only $(wc -c <"$out") bytes"
	expect_line "$out" "$(fixture_line | sed "s/} 100\$/,pad=\"$pad\"} 100/")"
	expect_promtool "$out" "the TLS body"
	code=$(https /metrics "$out.gz" -u "alice:$PASSWORD" -H 'Accept-Encoding: gzip')
	expect_eq "$code" 200 "gzip"
	if gunzip -c "$out.gz" >"$out.gunzip" 2>>"$TMP/curl.err"; then
		expect_line "$out.gunzip" "$(fixture_line | sed "s/} 100\$/,pad=\"$pad\"} 100/")"
		expect_promtool "$out.gunzip" "the gunzipped TLS body"
	else
		case_err "gunzip failed"
	fi
	stop_exporter "$EXP_PID"
	case_end "a. TLS: a large response streams whole, plain and gzip" "$log"
}

case_min_version() {
	local cfg=$TMP/web13.yml log=$TMP/tls13.log out=$TMP/out13 code
	printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n  min_version: TLS13\n' \
		"$TMP/server.crt" "$TMP/server.key" >"$cfg"
	case_begin
	if start_web "$log" "$cfg"; then
		expect_eq "$(https /metrics "$out")" 200 "TLS 1.3 client"
		expect_eq "$(https /metrics "$out" --tls-max 1.2)" 000 "TLS 1.2-only client"
		[[ -s $out ]] && case_err "TLS 1.2-only client got a body"
		stop_exporter "$EXP_PID"
		expect_eq "$STOP_RC" 0 "exit code"
	else
		case_err "exporter with min_version TLS13 did not start"
	fi
	case_end "b. min_version TLS13 refuses a TLS 1.2-only client" "$log"
}

# client_case MODE WANT_NONE WANT_ROGUE: codes without a certificate, with one
# from an unknown CA; a certificate from the CA always gets 200.
client_case() {
	local mode=$1 none=$2 rogue=$3 cfg=$TMP/web-$1.yml log=$TMP/$1.log out=$TMP/out-$1
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$cfg"
	printf '  client_auth_type: %s\n' "$mode" >>"$cfg"
	[[ $mode == Require*Any* || $mode == Request* ]] || printf '  client_ca_file: ca.crt\n' >>"$cfg"
	case_begin
	if start_web "$log" "$cfg"; then
		expect_eq "$(https /metrics "$out")" "$none" "no client certificate"
		expect_eq "$(https /metrics "$out" --cert "$TMP/rogue.crt" --key "$TMP/rogue.key")" \
			"$rogue" "certificate of an unknown CA"
		expect_eq "$(https /metrics "$out" --cert "$TMP/client.crt" --key "$TMP/client.key")" \
			200 "certificate of the CA"
		expect_line "$out" "$(fixture_line)"
		stop_exporter "$EXP_PID"
		expect_eq "$STOP_RC" 0 "exit code"
	else
		case_err "exporter did not start"
	fi
	case_end "c. $mode: none $none, unknown CA $rogue, the CA's 200" "$log"
}

# bad_config WANT_POS TEXT...: --config.check exits 2 naming file:WANT_POS.
bad_config() {
	local want=$1 cfg=$TMP/bad.yml rc
	shift
	printf '%s\n' "$@" >"$cfg"
	case_begin
	"$BIN" --config.check --web.config.file="$cfg" >/dev/null 2>"$TMP/bad.log"
	rc=$?
	expect_eq "$rc" 2 "exit code"
	grep -qF "$cfg:$want: " "$TMP/bad.log" ||
		case_err "no '$cfg:$want: ' in: $(head -c 300 "$TMP/bad.log")"
	case_end "d. bad web config, exit 2 at $want: $(sed -n "s|.*$cfg:$want: ||p" "$TMP/bad.log" |
		head -c 70)"
}

case_bad_configs() {
	local c='tls_server_config:' cert='  cert_file: server.crt' key='  key_file: server.key'
	bad_config 1:1 'tls_server_confg:'
	bad_config 4:18 "$c" "$cert" "$key" '  cipher_suites: [TLS_AES_128_GCM_SHA256]'
	bad_config 1:21 'http_server_config: {http2: false}'
	bad_config 4:16 "$c" "$cert" "$key" '  min_version: TLS11'
	bad_config 5:16 "$c" "$cert" "$key" '  max_version: TLS12' '  min_version: TLS13'
	bad_config 2:3 "$c" "$cert"
	bad_config 2:14 "$c" '  cert_file: missing.crt' "$key"
	bad_config 3:13 "$c" "$cert" '  key_file: rogue.key'
	bad_config 3:13 "$c" "$cert" '  key_file: ca.crt'
	bad_config 4:21 "$c" "$cert" "$key" '  client_auth_type: RequireAndVerifyClientCert'
	bad_config 4:19 "$c" "$cert" "$key" '  client_ca_file: ca.crt'
	bad_config 4:21 "$c" "$cert" "$key" '  client_auth_type: Always'
	bad_config 2:10 'basic_auth_users:' '  alice: secret'
	bad_config 2:3 'basic_auth_users:' '  "a:b": $2y$05$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234'
	bad_config 4:3 "$c" "$cert" "$key" "$cert"

	case_begin
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$TMP/ok.yml"
	printf 'basic_auth_users:\n  alice: %s\n' "$HASH" >>"$TMP/ok.yml"
	"$BIN" --config.check --web.config.file="$TMP/ok.yml" >"$TMP/ok.out" 2>&1
	expect_eq "$?" 0 "exit code"
	expect_grep_i "$TMP/ok.out" "web configuration is valid" "--config.check output"
	case_end "d. --config.check accepts a good web config" "$TMP/ok.out"
}

# run_caps CAPS OUT LOG: BIN --once as nobody with only CAPS (setpriv names).
run_caps() {
	(cd / && timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps="-all,$1" --ambient-caps="-all,$1" "$BIN" --once) >"$2" 2>"$3"
}

case_least_caps() {
	local out=$TMP/caps.out log=$TMP/caps.log rc missing have
	case_begin
	run_caps +bpf,+perfmon "$out" "$log"
	rc=$?
	expect_eq "$rc" 0 "exit code with CAP_BPF + CAP_PERFMON"
	expect_line "$out" "$(fixture_line)"
	expect_grep_i "$log" "kept: none" "log of the drop"
	# The queries of two attachment collectors need more: they do not run, and say so once.
	expect_grep_i "$log" "collector attach_perf_event not run: BPF_TASK_FD_QUERY needs CAP_SYS_ADMIN" \
		"log line for attach_perf_event"
	expect_grep_i "$log" "collector attach_cgroup not run: BPF_PROG_QUERY on cgroups needs" \
		"log line for attach_cgroup"
	expect_no_match "$out" 'collector="attach_(perf_event|cgroup)"' "a series of a collector that cannot run"
	expect_line "$out" 'bpfmap_exporter_scrape_collector_success{collector="attach_netlink"} 1'
	case_end "e. non-root with only CAP_BPF + CAP_PERFMON: the scrape works, the queries that need more are not run" "$log"

	for have in bpf perfmon; do
		missing=CAP_PERFMON
		[[ $have == perfmon ]] && missing=CAP_BPF
		case_begin
		run_caps "+$have" "$out" "$log"
		rc=$?
		expect_eq "$rc" 1 "exit code"
		expect_grep_i "$log" "missing: $missing" "message naming $missing"
		[[ -s $out ]] && case_err "printed an exposition anyway"
		case_end "e. non-root with only CAP_${have^^}: exit 1 naming $missing" "$log"
	done

	# Served (threads and all) as non-root: the same empty set once serving.
	case_begin
	(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all,+bpf,+perfmon --ambient-caps=-all,+bpf,+perfmon \
		"$BIN" --web.listen-address="127.0.0.1:$(pick_port)") >/dev/null 2>"$TMP/served.log" &
	EXP_PID=$!
	PIDS+=("$EXP_PID")
	for ((rc = 0; rc < 100; rc++)); do
		grep -q "listening on" "$TMP/served.log" && break
		sleep 0.1
	done
	EXP_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/served.log")
	if [[ -n $EXP_PORT ]]; then
		caps_zero "$EXP_PID" "exporter started with CAP_BPF + CAP_PERFMON"
		expect_eq "$(scrape "$EXP_PORT" "$out")" 200 "scrape"
		expect_line "$out" "$(fixture_line)"
	else
		case_err "did not start"
	fi
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code"
	case_end "e. served as non-root: no capability left in any thread" "$TMP/served.log"
}

# --- main ----------------------------------------------------------------------------

main() {
	local tool
	for tool in openssl htpasswd curl setpriv; do
		command -v "$tool" >/dev/null || {
			fail "setup" "$tool is not installed (scripts/deps.sh installs it)"
			return
		}
	done
	if ! make_material; then
		fail "setup" "certificates or hash: $(tail -n3 "$TMP/openssl.err")"
		return
	fi
	if ! start_fixture; then
		fail "setup" "fixture did not start: $(cat "$TMP/fixture.err")"
		return
	fi
	# Relative file names in a web config are relative to its folder: run elsewhere.
	cd / || return
	case_tls_auth
	case_tls_stream
	case_min_version
	client_case RequireAndVerifyClientCert 000 000
	client_case VerifyClientCertIfGiven 200 000
	client_case RequireAnyClientCert 000 200
	client_case RequestClientCert 200 200
	case_bad_configs
	case_least_caps
	stop_fixture
}

main
SUMMARY_DONE=1
summary
