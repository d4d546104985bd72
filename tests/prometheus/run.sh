#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A real Prometheus server (Debian's package) scraping the exporter:
#
#   run.sh BIN FIXTURE HELM    (as root)
#
# Starts the fixture (known maps), the exporter and Prometheus on random
# ports of 127.0.0.1 (a long static label makes the exporter stream its
# responses, as on a large node), Prometheus loading the chart's alerts (rendered with
# "for: 0s" so they can fire within the test). Then, through Prometheus's
# HTTP API: the fixture map's pressure by PromQL; the pressure alert firing
# for the fixture's full map and not for the others; the exporter-down
# alert firing for a target nobody serves; every rule healthy; every query
# of the Grafana dashboard valid. Everything started is stopped at the end.
# Prints "ok - ..." / "not ok - ...", then "N passed, N failed".

set -u

if (($# != 3)); then
	echo "usage: $0 BIN FIXTURE HELM" >&2
	exit 2
fi
BIN=$(realpath -- "$1")
FIXTURE=$(realpath -- "$2")
HELM=$(realpath -- "$3")
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
PY=/usr/bin/python3
# shellcheck source=../integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
# shellcheck source=../lib/harness.sh
. "$ROOT/tests/lib/harness.sh"

TMP=$(mktemp -d /tmp/bpfmap-prom.XXXXXX)
PREFIX=$(random_prefix)
JOB=bpfmap-test
NODE=node-$PREFIX
PAD=$(printf "p%.0s" {1..4000})
EXP_PID=''
PROM_PID=''
SUMMARY_DONE=0

cleanup() {
	local rc=$? pid
	if ((!SUMMARY_DONE)); then
		fail "prometheus/run.sh" "aborted (exit $rc) before the end"
		summary
		rc=1
	fi
	for pid in $PROM_PID $EXP_PID; do
		kill "$pid" 2>/dev/null
	done
	fixture_stop_all
	wait 2>/dev/null
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# query PROMQL: the API's JSON answer to an instant query.
query() {
	curl -sS --max-time 10 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" 2>&1
}

# values PROMQL: one line per series of an instant query, "labels value".
values() {
	query "$1" | $PY -c '
import json, sys
r = json.load(sys.stdin)
if r.get("status") != "success":
    sys.exit("query failed: %s" % r.get("error"))
for s in r["data"]["result"]:
    m = s["metric"]
    print(",".join(f"{k}={m[k]}" for k in sorted(m)), s["value"][1])
'
}

# wait_values PROMQL: up to 30 s until the query has a result.
wait_values() {
	local i
	for ((i = 0; i < 60; i++)); do
		values "$1" >"$TMP/values" 2>&1 && [[ -s $TMP/values ]] && return 0
		sleep 0.5
	done
	return 1
}

case_start() {
	local cfg=$TMP/exporter.yaml rules try
	case_begin
	fixture_start fix "$FIXTURE" "$PREFIX" || case_err "fixture: $(cat "$TMP/fix.err")"
	export TEST_NODE=$NODE
	# pad: every series gets long enough for the response to be streamed in
	# many pieces (chunked, gzip'ed), as on a node with thousands of maps.
	# shellcheck disable=SC2016 # the exporter expands ${TEST_NODE}
	printf 'static_labels:\n  node: "${TEST_NODE}"\n  pad: "%s"\n' "$PAD" >"$cfg"
	for ((try = 0; try < 5; try++)); do
		EXP_PORT=$(pick_port)
		"$BIN" --web.listen-address="127.0.0.1:$EXP_PORT" --config.file="$cfg" \
			2>"$TMP/exporter.log" &
		EXP_PID=$!
		wait_http "http://127.0.0.1:$EXP_PORT/healthz" "$EXP_PID" && break
		kill "$EXP_PID" 2>/dev/null
		EXP_PID=''
	done
	[[ -n $EXP_PID ]] || case_err "exporter not healthy: $(tail -n3 "$TMP/exporter.log")"
	curl -sS --max-time 10 -H 'Accept-Encoding: gzip' -D "$TMP/stream.hdr" -o "$TMP/stream.gz" \
		"http://127.0.0.1:$EXP_PORT/metrics" 2>>"$TMP/curl.err"
	grep -qi '^Transfer-Encoding: chunked' "$TMP/stream.hdr" ||
		case_err "the exporter's response is not streamed: $(tr -d '\r' <"$TMP/stream.hdr" | tr '\n' ' ')"

	# The chart's alerts, with durations of 0 so that they fire at once.
	rules=$TMP/rules.yaml
	"$HELM" template t "$ROOT/helm/bpfmap-exporter" --set prometheusRule.enabled=true \
		--set prometheusRule.job="$JOB" --set prometheusRule.mapPressure.for=0s \
		--set prometheusRule.exporterDown.for=0s --set prometheusRule.collectorFailing.for=0s \
		--show-only templates/prometheusrule.yaml 2>"$TMP/helm.err" |
		$PY -c 'import sys, yaml; yaml.safe_dump({"groups": yaml.safe_load(sys.stdin)["spec"]["groups"]}, sys.stdout)' \
			>"$rules" || case_err "rendering the rules: $(head -n3 "$TMP/helm.err")"

	# A second target where nothing listens: the exporter-down alert's case.
	DEAD_PORT=$(pick_port)
	cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$rules"]
scrape_configs:
  - job_name: $JOB
    static_configs:
      - targets: ["127.0.0.1:$EXP_PORT", "127.0.0.1:$DEAD_PORT"]
EOF
	for ((try = 0; try < 5; try++)); do
		PROM_PORT=$(pick_port)
		prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
			--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
			>"$TMP/prometheus.log" 2>&1 &
		PROM_PID=$!
		wait_http "http://127.0.0.1:$PROM_PORT/-/ready" "$PROM_PID" 300 && break
		kill "$PROM_PID" 2>/dev/null
		wait "$PROM_PID" 2>/dev/null
		PROM_PID=''
	done
	[[ -n $PROM_PID ]] || case_err "prometheus not ready: $(tail -n3 "$TMP/prometheus.log")"
	echo "# prefix $PREFIX; exporter 127.0.0.1:$EXP_PORT, prometheus 127.0.0.1:$PROM_PORT;" \
		"$(prometheus --version 2>&1 | head -n1)"
	case_end "fixture, exporter and Prometheus start" "$TMP/prometheus.log"
	((${#CASE_ERRS[@]} == 0))
}

case_pressure() {
	local id name want
	id=$(fixture_id fix map hash)
	name=$(fixture_name fix map hash)
	want="__name__=ebpf_map_pressure,comm=fixture,id=$id,instance=127.0.0.1:$EXP_PORT,job=$JOB,map_type=hash,name=$name,node=$NODE,pad=$PAD,prog=${PREFIX}_prog 0.37"
	case_begin
	if wait_values "ebpf_map_pressure{id=\"$id\"}"; then
		expect_eq "$(cat "$TMP/values")" "$want" "PromQL result"
	else
		case_err "no result within 30 s: $(cat "$TMP/values")"
	fi
	case_end "PromQL through the HTTP API: the fixture map's pressure (0.37)" "$TMP/prometheus.log"

	case_begin
	wait_values "sum(ebpf_map_entries{name=~\"${PREFIX}_(hash|lru|pcpu)\"})" &&
		expect_eq "$(cat "$TMP/values")" " 63" "sum of 37 + 10 + 16 entries"
	case_end "PromQL aggregation over the fixture's maps (37 + 10 + 16 entries)"
}

case_alerts() {
	local full half
	full=$(fixture_id fix map chars)
	half=$(fixture_id fix map hash)
	case_begin
	if wait_values "ALERTS{alertname=\"BpfMapPressureHigh\",alertstate=\"firing\",id=\"$full\"}"; then
		grep -q "severity=warning" "$TMP/values" || case_err "labels: $(cat "$TMP/values")"
	else
		case_err "not firing for the full map (id $full) within 30 s"
	fi
	values "ALERTS{alertname=\"BpfMapPressureHigh\",id=~\"$half|$(fixture_id fix map lru)\"}" \
		>"$TMP/v2" 2>&1
	[[ -s $TMP/v2 ]] && case_err "fires for a map below the threshold: $(cat "$TMP/v2")"
	case_end "BpfMapPressureHigh fires for the fixture's full map (4 of 4), not at 37%"

	case_begin
	if wait_values "ALERTS{alertname=\"BpfmapExporterDown\",alertstate=\"firing\"}"; then
		expect_match "$TMP/values" "instance=127\.0\.0\.1:$DEAD_PORT,job=$JOB" "the dead target"
		expect_no_match "$TMP/values" "instance=127\.0\.0\.1:$EXP_PORT," "fires for the live exporter"
	else
		case_err "not firing for the target without a server within 30 s"
	fi
	values "ALERTS{alertname=\"BpfmapExporterCollectorFailing\"}" >"$TMP/v3" 2>&1
	[[ -s $TMP/v3 ]] && case_err "collector alert with healthy collectors: $(cat "$TMP/v3")"
	case_end "BpfmapExporterDown fires for a dead target only; no collector alert"

	case_begin
	curl -sS --max-time 10 "http://127.0.0.1:$PROM_PORT/api/v1/rules" >"$TMP/rules.json"
	$PY - "$TMP/rules.json" >"$TMP/rules.txt" 2>&1 <<'EOF' || case_err "$(cat "$TMP/rules.txt")"
import json, sys
rules = [r for g in json.load(open(sys.argv[1]))["data"]["groups"] for r in g["rules"]]
bad = [(r["name"], r.get("lastError")) for r in rules if r.get("health") != "ok"]
if len(rules) != 5 or bad:
    sys.exit(f"{len(rules)} rules, unhealthy: {bad}")
EOF
	case_end "the 5 rules evaluate without error in Prometheus"
}

# Every query of the dashboard, with its variables filled in, must be
# valid PromQL; the node variable must list this exporter's node, and the
# panels over maps and programs must have data.
case_dashboard() {
	local dash=$ROOT/helm/bpfmap-exporter/dashboards/bpfmap-exporter.json title expr n=0
	case_begin
	curl -sS --max-time 10 -G "http://127.0.0.1:$PROM_PORT/api/v1/series" \
		--data-urlencode 'match[]=bpfmap_exporter_build_info' >"$TMP/series.json"
	grep -qF "\"node\":\"$NODE\"" "$TMP/series.json" ||
		case_err "variable node: label_values(bpfmap_exporter_build_info, node) lacks $NODE"
	while IFS=$'\t' read -r title expr; do
		n=$((n + 1))
		expr=${expr//\$node/$NODE}
		expr=${expr//\$__rate_interval/1m} # what Grafana fills in for a 15 s scrape
		values "$expr" >"$TMP/dv" 2>&1 || case_err "$title: $(cat "$TMP/dv")"
		case $title in
		Maps | Programs | "Top maps by pressure" | "Programs by type" | \
			"Largest programs (JIT-compiled bytes)" | "Maps used by programs")
			[[ -s $TMP/dv ]] || case_err "$title: no data"
			;;
		esac
	done < <($PY -c '
import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p.get("targets", []):
        print(p["title"], t["expr"], sep="\t")
' "$dash")
	((n >= 10)) || case_err "only $n queries found"
	case_end "dashboard: all $n panel queries valid PromQL, data where the exporter has it"
}

main() {
	if [[ ! -x $BIN || ! -x $FIXTURE || ! -x $HELM ]]; then
		fail "setup" "$BIN, $FIXTURE or $HELM is not executable"
	elif case_start; then
		case_pressure
		case_alerts
		case_dashboard
	fi
	SUMMARY_DONE=1
	summary
}

main
