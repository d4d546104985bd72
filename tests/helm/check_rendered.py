#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the objects `helm template` rendered from the chart.

    check_rendered.py MODE RENDERED.yaml OUTDIR

MODE is "default" (the chart's own values) or "full" (tests/helm/
values-full.yaml, every optional feature on). Prints "ok - ..." or
"not ok - ...: why" per check. Writes what other tests feed to real tools:
OUTDIR/config.yaml (the ConfigMap's exporter config, for --config.check),
and in full mode OUTDIR/rules.yaml (the PrometheusRule's groups, for
promtool) and OUTDIR/dashboard.json.
Exits 1 if any check failed.

Uses Debian's python3-yaml only: no other modules.
"""
import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CHART = os.path.join(HERE, "..", "..", "helm", "bpfmap-exporter")
# Host paths the owner resolution reads; each must be mounted read-only.
HOST_PATHS = {"/sys/fs/bpf", "/sys/fs/cgroup", "/var/log/pods", "/run/containerd",
              "/var/lib/docker/containers", "/run/containers/storage"}
ALERTS = {"BpfMapPressureHigh", "BpfMapFullWithinHour", "BpfMapUpdatesFailing",
          "BpfmapExporterDown", "BpfmapExporterCollectorFailing"}

failed = 0


def check(desc, cond, why=""):
    global failed
    if cond:
        print(f"ok - {desc}")
    else:
        failed += 1
        print(f"not ok - {desc}: {why}")
    return cond


def get(obj, *path, default=None):
    """obj[path[0]][path[1]]..., or default where any step is missing."""
    for p in path:
        if isinstance(obj, dict) and p in obj:
            obj = obj[p]
        elif isinstance(obj, list) and isinstance(p, int) and -len(obj) <= p < len(obj):
            obj = obj[p]
        else:
            return default
    return obj


def by_name(items, name):
    return next((i for i in items or [] if i.get("name") == name), None)


def subset(small, big):
    return all(big.get(k) == v for k, v in (small or {}).items())


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("default", "full"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    mode, rendered, outdir = sys.argv[1:]
    full = mode == "full"
    with open(os.path.join(CHART, "Chart.yaml")) as f:
        chart = yaml.safe_load(f)
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]

    objs = {}
    for d in docs:
        objs.setdefault(d.get("kind"), []).append(d)
    want = {"ServiceAccount": 1, "ConfigMap": 2 if full else 1, "Service": 1, "DaemonSet": 1,
            "ServiceMonitor": 1 if full else 0, "PrometheusRule": 1 if full else 0}
    got = {k: len(objs.get(k, [])) for k in want}
    check(f"{mode}: objects {sorted(k for k, n in want.items() if n)}", got == want,
          f"got {got}, want {want}; all kinds: {sorted(objs)}")
    extra = set(objs) - set(want)
    check(f"{mode}: no unexpected kinds", not extra, f"{sorted(extra)}")

    ns = "monitoring"
    common = {"app.kubernetes.io/name": "bpfmap-exporter"}
    if full:
        common["team"] = "observability"
    bad = [f"{d['kind']}/{get(d, 'metadata', 'name')}" for d in docs
           if not subset(common, get(d, "metadata", "labels", default={}))]
    check(f"{mode}: every object has the chart's labels {common}", not bad, f"missing on {bad}")

    ds = objs["DaemonSet"][0]
    pod = ds["spec"]["template"]
    spec = pod["spec"]
    ctr = by_name(spec["containers"], "exporter") or {}
    sel = get(ds, "spec", "selector", "matchLabels", default={})
    check(f"{mode}: DaemonSet selector matches its pod labels",
          sel and subset(sel, get(pod, "metadata", "labels", default={})), f"selector {sel}")
    check(f"{mode}: hostPID", spec.get("hostPID") is True, f"hostPID={spec.get('hostPID')}")

    tag = "1.2.3" if full else chart["appVersion"]
    repo = "registry.example/bpfmap-exporter" if full else "bpfmap-exporter"
    check(f"{mode}: image {repo}:{tag}", ctr.get("image") == f"{repo}:{tag}", f"{ctr.get('image')}")

    # Flags <-> ports <-> mounts <-> ConfigMap must agree.
    args = ctr.get("args", [])
    port = by_name(ctr.get("ports"), "metrics") or {}
    want_port = 9435 if full else 2112
    want_path = "/bpf-metrics" if full else "/metrics"
    check(f"{mode}: container port metrics {want_port} = --web.listen-address",
          port.get("containerPort") == want_port and f"--web.listen-address=:{want_port}" in args,
          f"port {port}, args {args}")
    check(f"{mode}: --web.telemetry-path={want_path}", f"--web.telemetry-path={want_path}" in args,
          f"args {args}")
    cfg_mount = by_name(ctr.get("volumeMounts"), "config") or {}
    cfg_vol = by_name(spec.get("volumes"), "config") or {}
    cms = {get(c, "metadata", "name"): c for c in objs.get("ConfigMap", [])}
    cm = cms.get(get(cfg_vol, "configMap", "name"))
    check(f"{mode}: --config.file is the ConfigMap's config.yaml, mounted read-only",
          cm is not None and cfg_mount.get("readOnly") is True
          and f"--config.file={cfg_mount.get('mountPath')}/config.yaml" in args
          and "config.yaml" in (cm or {}).get("data", {}),
          f"args {args}, mount {cfg_mount}, volume {cfg_vol}")
    config = yaml.safe_load(get(cm, "data", "config.yaml", default="")) if cm else None
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "config.yaml"), "w") as f:
        f.write(get(cm, "data", "config.yaml", default=""))
    # Owner names are read from host files under hostRoot, pins from its bpffs.
    bpffs_mount = get(by_name(ctr.get("volumeMounts"), "bpffs") or {}, "mountPath")
    check(f"{mode}: --path.rootfs=/host and paths.bpffs is the mounted host bpffs",
          "--path.rootfs=/host" in args and get(config, "paths", "bpffs") == [bpffs_mount]
          and bpffs_mount == "/host/sys/fs/bpf",
          f"args {args}, paths {get(config, 'paths')}, bpffs mount {bpffs_mount}")
    env = by_name(ctr.get("env"), "NODE_NAME") or {}
    check(f"{mode}: NODE_NAME from the downward API is the static label node",
          get(env, "valueFrom", "fieldRef", "fieldPath") == "spec.nodeName"
          and get(config, "static_labels", "node") == "${NODE_NAME}",
          f"env {env}, config static_labels {get(config, 'static_labels')}")
    if full:
        check("full: config from values rendered as given",
              get(config, "labels", "programs") == ["id", "name", "prog_type", "tag"]
              and get(config, "compat", "seed_metrics") is True
              and get(config, "filters", "maps", "exclude", "map_type") == "array|percpu_array",
              f"{config}")
        check("full: extraArgs after the chart's flags, extraEnv",
              args[-1:] == ["--log.level=debug"] and by_name(ctr.get("env"), "EXTRA") is not None,
              f"args {args}")
    ann = get(pod, "metadata", "annotations", default={})
    check(f"{mode}: pods roll on config change (checksum/config)",
          re.fullmatch(r"[0-9a-f]{64}", str(ann.get("checksum/config"))) is not None, f"{ann}")

    sc = ctr.get("securityContext", {})
    if full:
        check("full: privileged", sc.get("privileged") is True, f"{sc}")
    else:
        check("default: not privileged; capabilities: drop ALL, add BPF and PERFMON",
              not sc.get("privileged")
              and get(sc, "capabilities", "drop") == ["ALL"]
              and sorted(get(sc, "capabilities", "add", default=[])) == ["BPF", "PERFMON"],
              f"{sc}")
    check(f"{mode}: read-only root filesystem", sc.get("readOnlyRootFilesystem") is True, f"{sc}")

    host_vols = {v["name"]: v["hostPath"]["path"] for v in spec.get("volumes", []) if "hostPath" in v}
    mounts = {m["name"]: m for m in ctr.get("volumeMounts", [])}
    missing = HOST_PATHS - set(host_vols.values())
    check(f"{mode}: host paths {sorted(HOST_PATHS)}", not missing, f"missing {sorted(missing)}")
    bad = [n for n, p in host_vols.items()
           if get(mounts, n, "readOnly") is not True or get(mounts, n, "mountPath") != "/host" + p]
    check(f"{mode}: every host path mounted read-only at /host<path>", not bad,
          f"{[(n, mounts.get(n)) for n in bad]}")
    for n in ("bpffs", "cgroupfs"):
        check(f"{mode}: {n} mount sees later host mounts (HostToContainer)",
              get(mounts, n, "mountPropagation") == "HostToContainer", f"{mounts.get(n)}")
    if full:
        check("full: hostPath type from values",
              get(by_name(spec["volumes"], "bpffs"), "hostPath", "type") == "Directory",
              f"{by_name(spec['volumes'], 'bpffs')}")

    tol = spec.get("tolerations", [])
    if full:
        effects = {t.get("effect") for t in tol if t.get("operator") == "Exists" and "key" not in t}
        check("full: tolerations NoSchedule and NoExecute", effects >= {"NoSchedule", "NoExecute"},
              f"{tol}")
    else:
        check("default: tolerates every taint (operator Exists, no key, no effect)",
              {"operator": "Exists"} in tol, f"{tol}")
    res = ctr.get("resources", {})
    check(f"{mode}: resources requests cpu/memory and a memory limit",
          get(res, "requests", "cpu") and get(res, "requests", "memory")
          and get(res, "limits", "memory"), f"{res}")
    if full:
        check("full: priority class", spec.get("priorityClassName") == "system-node-critical",
              f"{spec.get('priorityClassName')}")
    else:
        check("default: no priority class", "priorityClassName" not in spec, "")
    us = get(ds, "spec", "updateStrategy", default={})
    check(f"{mode}: rolling update",
          us.get("type") == "RollingUpdate"
          and get(us, "rollingUpdate", "maxUnavailable") == ("10%" if full else 1), f"{us}")
    for probe in ("livenessProbe", "readinessProbe"):
        check(f"{mode}: {probe} GET /healthz on port metrics",
              get(ctr, probe, "httpGet", "path") == "/healthz"
              and get(ctr, probe, "httpGet", "port") == "metrics", f"{ctr.get(probe)}")
    sa = objs["ServiceAccount"][0]
    check(f"{mode}: ServiceAccount used, no API token mounted",
          spec.get("serviceAccountName") == get(sa, "metadata", "name")
          and spec.get("automountServiceAccountToken") is False
          and sa.get("automountServiceAccountToken") is False, f"{spec.get('serviceAccountName')}")
    if full:
        names = [c["name"] for c in spec["containers"]]
        check("full: sidecar, pull secrets, extra volume, pod labels/annotations, affinity",
              names == ["exporter", "tls-proxy"]
              and spec.get("imagePullSecrets") == [{"name": "pull-secret"}]
              and by_name(spec["volumes"], "proxy-tls") is not None
              and "proxy-tls" in mounts
              and get(pod, "metadata", "labels", "example.com/tier") == "node-agent"
              and ann.get("example.com/pod") == "annotated"
              and get(spec, "affinity", "nodeAffinity") is not None,
              f"containers {names}")

    svc = objs["Service"][0]
    sp = by_name(get(svc, "spec", "ports"), "metrics") or {}
    ctr_ports = {p.get("name") for c in spec["containers"] for p in c.get("ports", [])}
    check(f"{mode}: Service selects the pods, targets a named container port",
          get(svc, "spec", "selector") == sel and sp.get("targetPort") in ctr_ports
          and sp.get("port") == (9443 if full else 2112),
          f"selector {get(svc, 'spec', 'selector')}, port {sp}, container ports {ctr_ports}")
    if full:
        check("full: headless Service", get(svc, "spec", "clusterIP") == "None", f"{svc['spec']}")

    if not full:
        return
    sm = objs["ServiceMonitor"][0]
    ep = get(sm, "spec", "endpoints", 0, default={})
    check("full: ServiceMonitor namespace and selector labels",
          get(sm, "metadata", "namespace") == "monitoring"
          and get(sm, "metadata", "labels", "release") == "prometheus"
          and subset(get(sm, "spec", "selector", "matchLabels"), get(svc, "metadata", "labels"))
          and get(sm, "spec", "namespaceSelector", "matchNames") == [ns],
          f"{sm.get('metadata')}, {get(sm, 'spec', 'selector')}")
    check("full: ServiceMonitor endpoint port, path, interval, timeout, scheme",
          ep.get("port") == "metrics" and ep.get("path") == "/bpf-metrics"
          and ep.get("interval") == "15s" and ep.get("scrapeTimeout") == "5s"
          and ep.get("scheme") == "https" and ep.get("honorLabels") is True, f"{ep}")
    check("full: ServiceMonitor TLS and auth fields",
          get(ep, "tlsConfig", "serverName") == "bpfmap-exporter"
          and get(ep, "tlsConfig", "ca", "secret", "name") == "bpfmap-exporter-ca"
          and get(ep, "basicAuth", "username", "key") == "username"
          and get(ep, "bearerTokenSecret", "key") == "token"
          and get(ep, "authorization", "type") == "Bearer", f"{ep}")
    check("full: ServiceMonitor relabelings and metric relabelings",
          get(ep, "relabelings", 0, "targetLabel") == "kubernetes_node"
          and get(ep, "metricRelabelings", 0, "action") == "drop", f"{ep}")
    check("full: ServiceMonitor jobLabel, targetLabels, podTargetLabels, sampleLimit",
          get(sm, "spec", "jobLabel") == "app.kubernetes.io/name"
          and get(sm, "spec", "targetLabels") == ["example.com/svc"]
          and get(sm, "spec", "podTargetLabels") == ["example.com/tier"]
          and get(sm, "spec", "sampleLimit") == 100000, f"{sm.get('spec')}")

    pr = objs["PrometheusRule"][0]
    groups = get(pr, "spec", "groups", default=[])
    rules = {r.get("alert"): r for g in groups for r in g.get("rules", [])}
    check("full: PrometheusRule alerts",
          set(rules) >= ALERTS | {"BpfMapTooMany"} and get(pr, "metadata", "namespace") == "monitoring",
          f"{sorted(rules)}")
    p = rules.get("BpfMapPressureHigh", {})
    check("full: map pressure alert uses the threshold and duration from values",
          p.get("expr", "").endswith("> 0.8") and p.get("for") == "10m", f"{p}")
    f = rules.get("BpfMapUpdatesFailing", {})
    check("full: failed updates alert: reasons, window and duration from values",
          'reason=~"full|no_memory"' in f.get("expr", "") and "[10m]" in f.get("expr", "")
          and f.get("for") == "15m", f"{f}")
    s = rules.get("BpfMapFullWithinHour", {})
    check("full: map full soon alert: lookback and horizon from values",
          "[30m], 7200) >= 1" in s.get("expr", "") and s.get("for") == "20m", f"{s}")
    check("full: exporter down alert uses the job from values",
          'up{job="bpfmap"}' in rules.get("BpfmapExporterDown", {}).get("expr", ""),
          f"{rules.get('BpfmapExporterDown')}")
    with open(os.path.join(outdir, "rules.yaml"), "w") as f:
        yaml.safe_dump({"groups": groups}, f, sort_keys=False)

    dcm = cms.get("bpfmap-exporter-dashboard") or {}
    text = get(dcm, "data", "bpfmap-exporter.json", default="")
    try:
        dash = json.loads(text)
    except ValueError as e:
        dash, why = None, str(e)
    else:
        why = ""
    with open(os.path.join(CHART, "dashboards", "bpfmap-exporter.json")) as f:
        same = dash == json.load(f)
    check("full: dashboard ConfigMap holds the chart's dashboard JSON, for Grafana's sidecar",
          dash is not None and same
          and get(dcm, "metadata", "labels", "grafana_dashboard") == "1"
          and get(dcm, "metadata", "namespace") == "grafana", why or f"same={same}")
    if dash:
        with open(os.path.join(outdir, "dashboard.json"), "w") as f:
            json.dump(dash, f)


if __name__ == "__main__":
    rc = main()
    sys.exit(rc if rc else (1 if failed else 0))
