#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Tests of the Helm chart, the plain manifests in deploy/ and the alert
# rules, all offline (no cluster can run here):
#
#   run.sh BIN K8S_TOOLS_DIR    (BIN: the exporter, for --config.check)
#
# helm lint --strict; schema validation (bad values must be refused);
# helm template with the defaults and with every optional feature on,
# checked object by object by check_rendered.py; the rendered exporter
# config accepted by the real binary; promtool on the rules; deploy/ in
# sync with the chart; kubectl kustomize on deploy/; NOTES.txt; the chart
# README documenting every value.
# Prints "ok - ..." / "not ok - ..." per case, then "N passed, N failed".

set -u

if (($# != 2)); then
	echo "usage: $0 BIN K8S_TOOLS_DIR" >&2
	exit 2
fi
BIN=$(realpath -- "$1")
HELM=$(realpath -- "$2")/helm
KUBECTL=$(realpath -- "$2")/kubectl
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
CHART=$ROOT/helm/bpfmap-exporter
FULL=$HERE/values-full.yaml
PY=/usr/bin/python3
# shellcheck source=../integration/lib.sh
. "$ROOT/tests/integration/lib.sh"

TMP=$(mktemp -d /tmp/bpfmap-helm.XXXXXX)
# kubectl and helm must never reach for a cluster (there is none).
export KUBECONFIG=$TMP/no-kubeconfig
SUMMARY_DONE=0
cleanup() {
	local rc=$?
	if ((!SUMMARY_DONE)); then
		fail "helm/run.sh" "aborted (exit $rc) before the end"
		summary
		rc=1
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# out FILE: the first lines of FILE on one line, for a failure message.
out() {
	head -n 5 "$1" | tr '\n' ' '
}

case_lint() {
	local f
	for f in "" "$FULL"; do
		case_begin
		"$HELM" lint --strict "$CHART" ${f:+-f "$f"} >"$TMP/lint.txt" 2>&1 ||
			case_err "$(grep -E '\[(ERROR|WARNING)\]|Error' "$TMP/lint.txt" | head -n3 | tr '\n' ' ')"
		case_end "helm lint --strict${f:+ -f $(basename "$f")}"
	done
}

# The schema must refuse what would render a broken DaemonSet.
case_schema() {
	local set want
	while IFS='|' read -r set want; do
		case_begin
		if "$HELM" template t "$CHART" --set "$set" >/dev/null 2>"$TMP/schema.err"; then
			case_err "accepted --set $set"
		else
			grep -qF -- "$want" "$TMP/schema.err" || case_err "no '$want' in: $(out "$TMP/schema.err")"
		fi
		case_end "values.schema.json refuses --set $set"
	done <<'EOF'
containerPort=http|containerPort: Invalid type
serviceMonitor.interval=30|serviceMonitor.interval: Invalid type
serviceMonitor.scrapeTimeout=ten|serviceMonitor.scrapeTimeout: Does not match pattern
prometheusRule.mapPressure.threshold=2|prometheusRule.mapPressure.threshold: Must be less than or equal to 1
hostMounts[0].hostPath=relative/path|hostMounts.0.hostPath: Does not match pattern
config.log.level=chatty|config.log.level: config.log.level must be one of
tolerations=none|tolerations: Invalid type
unknownValue=1|Additional property unknownValue is not allowed
EOF
}

# render MODE: helm template into $TMP/MODE.yaml, then the object checks.
case_render() {
	local mode=$1 args=() line
	[[ $mode == full ]] && args=(-f "$FULL")
	case_begin
	"$HELM" template bpfmap-exporter "$CHART" --namespace monitoring "${args[@]}" \
		>"$TMP/$mode.yaml" 2>"$TMP/$mode.err" || case_err "$(out "$TMP/$mode.err")"
	case_end "helm template ($mode values)"
	# check_rendered.py prints one ok/not ok line per check: count them here.
	$PY "$HERE/check_rendered.py" "$mode" "$TMP/$mode.yaml" "$TMP/$mode" >"$TMP/$mode.checks" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" "" ;;
		*) fail "check_rendered.py $mode" "$line" ;;
		esac
	done <"$TMP/$mode.checks"

	case_begin
	if [[ -s $TMP/$mode/config.yaml ]]; then
		timeout 10 "$BIN" --config.file="$TMP/$mode/config.yaml" --config.check \
			>/dev/null 2>"$TMP/$mode.check" || case_err "$(out "$TMP/$mode.check")"
	else
		case_err "no config.yaml rendered"
	fi
	case_end "$mode: the ConfigMap's config passes bpfmap_exporter --config.check"
}

case_rules() {
	case_begin
	if [[ -s $TMP/full/rules.yaml ]]; then
		promtool check rules "$TMP/full/rules.yaml" >"$TMP/rules.txt" 2>&1 ||
			case_err "$(out "$TMP/rules.txt")"
		grep -q 'SUCCESS: 6 rules found' "$TMP/rules.txt" || case_err "$(out "$TMP/rules.txt")"
	else
		case_err "no rules extracted from the PrometheusRule"
	fi
	case_end "promtool check rules on the PrometheusRule's groups (6 rules)"

	case_begin
	promtool check rules "$ROOT/deploy/prometheus-rules.yaml" >"$TMP/rules.txt" 2>&1 ||
		case_err "$(out "$TMP/rules.txt")"
	case_end "promtool check rules deploy/prometheus-rules.yaml"

	case_begin
	promtool test rules "$ROOT/tests/prometheus/alerts_test.yaml" >"$TMP/rules.txt" 2>&1 ||
		case_err "$(grep -vE '^\s*$' "$TMP/rules.txt" | head -n 8 | tr '\n' ' ')"
	case_end "promtool test rules: each alert fires when it should, and only then"
}

case_deploy_sync() {
	local kinds
	case_begin
	"$ROOT/scripts/render-deploy.sh" "$HELM" "$TMP/deploy" >"$TMP/deploy.log" 2>&1 ||
		case_err "render: $(out "$TMP/deploy.log")"
	diff -ru "$ROOT/deploy" "$TMP/deploy" >"$TMP/deploy.diff" 2>&1 ||
		case_err "deploy/ differs from the chart (run make deploy-manifests): $(head -n 12 "$TMP/deploy.diff" | tr '\n' ' ')"
	case_end "deploy/ is what make deploy-manifests renders from the chart"

	# Offline, kubectl can build a kustomization (it parses every object);
	# create/apply --dry-run=client need a cluster's API discovery.
	case_begin
	if "$KUBECTL" kustomize "$ROOT/deploy" >"$TMP/kustomize.yaml" 2>"$TMP/kustomize.err"; then
		kinds=$(grep '^kind:' "$TMP/kustomize.yaml" | sort | tr '\n' ' ')
		expect_eq "$kinds" "kind: ConfigMap kind: DaemonSet kind: Namespace kind: Service kind: ServiceAccount " \
			"kinds from kubectl kustomize deploy/"
		grep -q '^  namespace: bpfmap-exporter$' "$TMP/kustomize.yaml" ||
			case_err "objects not in namespace bpfmap-exporter"
	else
		case_err "$(out "$TMP/kustomize.err")"
	fi
	case_end "kubectl kustomize deploy/ (offline): the 5 objects"
}

# NOTES.txt is rendered only by install/upgrade, which need a cluster; a
# copy of the chart renders it through a ConfigMap instead.
render_notes() {
	local dir=$TMP/notes-$1
	shift
	rm -rf "$dir"
	cp -r "$CHART" "$dir"
	{
		echo '{{- define "notes-check" -}}'
		cat "$CHART/templates/NOTES.txt"
		echo '{{- end }}'
		echo 'apiVersion: v1'
		echo 'kind: ConfigMap'
		echo 'metadata: {name: notes-check}'
		echo 'data:'
		echo '  notes: {{ include "notes-check" . | quote }}'
	} >"$dir/templates/zz-notes-check.yaml"
	"$HELM" template bpfmap-exporter "$dir" --namespace monitoring "$@" \
		--show-only templates/zz-notes-check.yaml |
		$PY -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["data"]["notes"])'
}

case_notes() {
	local n=$TMP/notes.txt
	case_begin
	render_notes default >"$n" 2>&1 || case_err "$(out "$n")"
	expect_line "$n" "  kubectl -n monitoring port-forward daemonset/bpfmap-exporter 2112"
	expect_line "$n" "  curl -s localhost:2112/metrics | grep ^ebpf_map_pressure"
	expect_line "$n" "  kubectl label namespace monitoring pod-security.kubernetes.io/enforce=privileged"
	expect_grep_i "$n" "serviceMonitor.enabled=true" "NOTES"
	case_end "NOTES.txt (defaults): port-forward, Pod Security, ServiceMonitor hint"

	case_begin
	render_notes full -f "$FULL" >"$n" 2>&1 || case_err "$(out "$n")"
	expect_line "$n" "  curl -s localhost:9435/bpf-metrics | grep ^ebpf_map_pressure"
	grep -q "serviceMonitor.enabled" "$n" && case_err "ServiceMonitor hint although it is enabled"
	grep -q "pod-security" "$n" && case_err "capability hint although privileged"
	case_end "NOTES.txt (all features): port and path from values, no stale hints"
}

# Every value in values.yaml is named in the chart's README.
case_readme() {
	local keys missing
	keys=$($PY - "$CHART/values.yaml" <<'EOF'
import sys, yaml
def walk(v, path):
    # Values holding free-form maps (labels, config, resources...) are
    # documented as one key; the chart's own nested settings one by one.
    if isinstance(v, dict) and path.split(".")[-1] in NESTED:
        for k, sub in v.items():
            yield from walk(sub, f"{path}.{k}")
    else:
        yield path
NESTED = {"image", "serviceAccount", "service", "serviceMonitor", "prometheusRule",
          "mapPressure", "mapFullSoon", "mapUpdateFailures", "exporterDown", "collectorFailing",
          "dashboard"}
values = yaml.safe_load(open(sys.argv[1]))
for k, v in values.items():
    for p in walk(v, k):
        print(p)
EOF
	)
	case_begin
	missing=$(for k in $keys; do grep -qF -- "\`$k\`" "$CHART/README.md" || echo "$k"; done)
	[[ -z $missing ]] || case_err "not in helm/bpfmap-exporter/README.md: ${missing//$'\n'/ }"
	expect_eq "$(($(wc -w <<<"$keys") > 60))" 1 "more than 60 values found"
	case_end "chart README documents every value ($(wc -w <<<"$keys") keys)"
}

main() {
	if [[ ! -x $HELM || ! -x $KUBECTL || ! -x $BIN ]]; then
		fail "setup" "helm, kubectl or $BIN missing"
	else
		echo "# $("$HELM" version --short), kubectl $("$KUBECTL" version --client 2>/dev/null | head -n1)"
		case_lint
		case_schema
		case_render default
		case_render full
		case_rules
		case_deploy_sync
		case_notes
		case_readme
	fi
	SUMMARY_DONE=1
	summary
}

main
