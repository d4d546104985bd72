#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Programs attached without a link, by tools nobody here wrote, compared
# with bpftool's own view (the oracle): XDP in driver and generic mode
# and tc cls_bpf filters (clsact ingress/egress, htb) attached by ip, tc
# and bpftool, on veth ends in the host namespace, a named namespace (ip
# netns) and a namespace only a process holds (bpftool net); cgroup
# programs attached by bpftool cgroup attach, multi and override, one in
# a Kubernetes-style pod cgroup (bpftool cgroup tree); the cost of the
# cgroup walk over a few thousand cgroups; a veth whose peer is in a
# Kubernetes-style pod's namespace, its rows labelled with the pod as the
# owners name it; a flow dissector attached with BPF_PROG_ATTACH in a
# named namespace (bpftool net); kprobes, uprobes and
# tracepoints attached through perf events, by bpftrace (ioctl) and by
# libbpf (perf_event links, tests/integration/perf_link.c), against
# bpftool perf; xdp-filter's program (xdp-tools, libxdp) against bpftool
# net; libbpf-tools' opensnoop, execsnoop and runqlat against bpftool
# perf; kprobe_multi and uprobe_multi links where the kernel allows them
# (refused: nothing reported), against bpftool link.
#
#   attach.sh BIN ATTACH_PROGS_OBJ     (as root)
#
# Prints "ok - ..." / "not ok - ..." per case, then "N passed, N failed";
# exits non-zero if any case failed.

set -u

HERE=$(cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
suite_setup "$@"
OBJ=$FIXTURE

NETNS=bpfmap-$PREFIX
HOST_IF=${PREFIX}h # host end of the named namespace's veth
NS_IF=${PREFIX}n   # its end inside
HOST_IF2=${PREFIX}u # host end of the process-held namespace's veth
PROC_IF=${PREFIX}p  # its end inside
PIN=/sys/fs/bpf/${PREFIX}_attach
BPFFS_MOUNTED=0
NS_PID=''
CGTOP=''    # the cgroup tree this suite makes
# A containerd container of a Kubernetes pod, as tests/fixtures/rootfs knows it.
K_ID=aaaa000000000000000000000000000000000000000000000000000000000001
K_UID=2d1c5f3b-6a7e-4f4d-8c9b-8e7f6a5d4c3b
ROOTFS=$HERE/../fixtures/rootfs
CG_MOUNT=''
XDP_IF=${PREFIX}x    # xdp-filter's veth
XDP_PEER=${PREFIX}y
XDP_STATE_MADE=0 # libxdp's state folder in bpffs was made by this suite
NR_CGROUPS=${ATTACH_CGROUPS:-3000}
# The perf_event link fixture, built next to ATTACH_PROGS_OBJ.
PERF_LINK=$(dirname -- "$OBJ")/perf_link
PERF_LINK_OBJ=$(dirname -- "$OBJ")/perf_link.bpf.o
PERF_PIDS=() # bpftrace runs and the link fixture
# A second container of the pod above (its pause container, say).
K_ID2=aaaa000000000000000000000000000000000000000000000000000000000099
POD_IF=${PREFIX}k   # host end of the pod namespace's veth
POD_PEER=${PREFIX}q # its end inside
POD_PIDS=()         # the processes holding the pod's namespace
POD_NETNS=bpfmap-${PREFIX}k # the pod's namespace bind-mounted, as CNI plugins do
FLOW_NS=bpfmap-${PREFIX}f
TRACEFS_MOUNTED=0
DEBUGFS_MOUNTED=0

attach_cleanup() {
	local rc=$? p
	for p in "${PERF_PIDS[@]}" "${POD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	# perf_link removes its kprobe event on SIGTERM: before tracefs goes.
	for p in "${PERF_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip link del "$POD_IF" 2>/dev/null
	ip netns del "$POD_NETNS" 2>/dev/null
	ip netns del "$FLOW_NS" 2>/dev/null
	((TRACEFS_MOUNTED)) && umount /sys/kernel/tracing 2>/dev/null
	((DEBUGFS_MOUNTED)) && umount /sys/kernel/debug 2>/dev/null
	ip link del "$HOST_IF" 2>/dev/null
	ip link del "$HOST_IF2" 2>/dev/null
	command -v xdp-filter >/dev/null && xdp-filter unload "$XDP_IF" >/dev/null 2>&1
	ip link del "$XDP_IF" 2>/dev/null
	((XDP_STATE_MADE)) && rmdir /sys/fs/bpf/xdp 2>/dev/null
	ip netns del "$NETNS" 2>/dev/null
	[[ -n $NS_PID ]] && kill "$NS_PID" 2>/dev/null
	((${#POD_PIDS[@]})) && sleep 0.2 # their cgroups can go once they have exited
	if [[ -n $CGTOP && -d $CGTOP ]]; then
		# Detach (a cgroup with programs can still be removed, but be tidy), deepest first.
		bpftool -j cgroup tree "$CGTOP" 2>/dev/null | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    for p in c["programs"]:
        print(c["cgroup"], p["attach_type"], p["id"])' |
			while read -r cg at id; do bpftool cgroup detach "$cg" "$at" id "$id"; done
		find "$CGTOP" -depth -type d -exec rmdir {} + 2>/dev/null
	fi
	[[ -n $CG_MOUNT ]] && umount "$CG_MOUNT" 2>/dev/null
	rm -rf "$PIN"
	((BPFFS_MOUNTED)) && umount /sys/fs/bpf 2>/dev/null
	(exit "$rc")
	cleanup
}
trap attach_cleanup EXIT

# The attachments of bpftool's JSON (bpftool -j net) on the interfaces
# named in $2 (a regex), one per line: "attach_type target ifindex id mode".
bpftool_net() {
	python3 -c '
import json, re, sys
for ns in json.load(sys.stdin):
    for x in ns.get("xdp", []):
        if re.fullmatch(sys.argv[1], x["devname"]):
            print("xdp", x["devname"], x["ifindex"], x["id"], x["mode"])
    for t in ns.get("tc", []):
        if not re.fullmatch(sys.argv[1], t["devname"]):
            continue
        kind = t["kind"]
        at = {"clsact/ingress": "tc_ingress", "clsact/egress": "tc_egress"}.get(kind, "tc")
        print(at, t["devname"], t["ifindex"], t["id"], "-")
' "$1"
}

# The exporter's netlink attachments in namespace $2 on interfaces $3 (a
# regex) from scrape $1, one per line: the labels named in $4 ("-" for a
# label the row lacks), by default in the same form as bpftool_net.
exporter_net() {
	python3 -c '
import re, sys
for line in open(sys.argv[1]):
    if not line.startswith("ebpf_prog_attach_info{") or "via=\"netlink\"" not in line:
        continue
    l = dict(re.findall(r"(\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"", line.split("}")[0]))
    if l.get("netns") != sys.argv[2] or not re.fullmatch(sys.argv[3], l.get("target", "")):
        continue
    print(*(l.get(k, "-") for k in sys.argv[4].split()))
' "$1" "$2" "$3" "${4:-attach_type target ifindex id mode}"
}

# compare WHAT ORACLE_FILE EXPORTER_FILE: every attachment bpftool places
# is placed by the exporter the same way, and nothing else.
compare() {
	local missing extra
	sort -o "$2" "$2"
	sort -o "$3" "$3"
	missing=$(comm -23 "$2" "$3" | tr '\n' ';')
	extra=$(comm -13 "$2" "$3" | tr '\n' ';')
	[[ -z $missing ]] || case_err "$1: bpftool places, exporter does not: $missing"
	[[ -z $extra ]] || case_err "$1: exporter places, bpftool does not: $extra"
	[[ -s $2 ]] || case_err "$1: bpftool shows nothing (set-up failed?)"
}

setup() {
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf && BPFFS_MOUNTED=1
	fi
	ip netns add "$NETNS" || return 1
	ip link add "$HOST_IF" type veth peer name "$NS_IF" netns "$NETNS" || return 1
	ip link set "$HOST_IF" up && ip -n "$NETNS" link set "$NS_IF" up || return 1

	# A namespace only a process holds; without capabilities, so that an
	# exporter keeping only CAP_SYS_ADMIN may enter it (ptrace rules).
	unshare --net -- setpriv --bounding-set=-all --inh-caps=-all sleep 600 &
	NS_PID=$!
	for ((i = 0; i < 50; i++)); do
		[[ $(stat -L -c %i "/proc/$NS_PID/ns/net" 2>/dev/null) != \
			"$(stat -L -c %i /proc/self/ns/net)" ]] && break
		sleep 0.1
	done
	ip link add "$HOST_IF2" type veth peer name "$PROC_IF" netns "$NS_PID" || return 1
	nsenter -t "$NS_PID" -n ip link set "$PROC_IF" up || return 1

	# XDP: generic mode by ip in the named namespace; driver mode (veth has
	# a driver hook) by bpftool on the host end, from a pinned program.
	ip -n "$NETNS" link set dev "$NS_IF" xdpgeneric obj "$OBJ" sec xdp || return 1
	bpftool prog loadall "$OBJ" "$PIN" || return 1
	if bpftool net attach xdpdrv pinned "$PIN/bme_att_xdp" dev "$HOST_IF"; then
		echo "# xdp driver mode attached on $HOST_IF"
	else
		echo "# xdp driver mode refused on $HOST_IF: generic instead"
		bpftool net attach xdpgeneric pinned "$PIN/bme_att_xdp" dev "$HOST_IF" || return 1
	fi
	# tc: clsact ingress and egress in the named namespace; htb (if the
	# kernel has it) and clsact in the process's namespace.
	ip netns exec "$NETNS" tc qdisc add dev "$NS_IF" clsact || return 1
	ip netns exec "$NETNS" tc filter add dev "$NS_IF" ingress bpf da obj "$OBJ" sec tc || return 1
	ip netns exec "$NETNS" tc filter add dev "$NS_IF" egress bpf da obj "$OBJ" sec tc || return 1
	nsenter -t "$NS_PID" -n tc qdisc add dev "$PROC_IF" clsact || return 1
	nsenter -t "$NS_PID" -n tc filter add dev "$PROC_IF" egress bpf da obj "$OBJ" sec tc ||
		return 1
	if nsenter -t "$NS_PID" -n tc qdisc add dev "$PROC_IF" root handle 1: htb 2>/dev/null; then
		echo "# htb qdisc: a filter on it too"
		nsenter -t "$NS_PID" -n tc filter add dev "$PROC_IF" parent 1: bpf da obj "$OBJ" \
			sec tc || return 1
	else
		echo "# htb qdisc refused by this kernel: clsact only"
	fi
}

case_netlink() {
	local m=$TMP/m.txt log=$TMP/exporter.log host_ns named_ns proc_ns dur
	case_begin
	if ! setup; then
		case_err "set-up failed"
		case_end "a. netlink attachments: set-up"
		return
	fi
	host_ns=$(stat -L -c %i /proc/self/ns/net)
	named_ns=$(stat -L -c %i "/run/netns/$NETNS")
	proc_ns=$(stat -L -c %i "/proc/$NS_PID/ns/net")
	start_exporter "$log" || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="attach_netlink"} 1'
	dur=$(awk -F' ' '/scrape_collector_duration_seconds\{collector="attach_netlink"\}/ { print $2 }' "$m")
	echo "# attach_netlink collector: ${dur}s per scrape"

	bpftool -j net | bpftool_net "$HOST_IF" >"$TMP/o.host"
	exporter_net "$m" "$host_ns" "$HOST_IF" >"$TMP/e.host"
	compare "host namespace" "$TMP/o.host" "$TMP/e.host"
	ip netns exec "$NETNS" bpftool -j net | bpftool_net "$NS_IF" >"$TMP/o.named"
	exporter_net "$m" "$named_ns" "$NS_IF" >"$TMP/e.named"
	compare "named namespace" "$TMP/o.named" "$TMP/e.named"
	nsenter -t "$NS_PID" -n bpftool -j net | bpftool_net "$PROC_IF" >"$TMP/o.proc"
	exporter_net "$m" "$proc_ns" "$PROC_IF" >"$TMP/e.proc"
	compare "process-held namespace" "$TMP/o.proc" "$TMP/e.proc"
	# Program names join on id, as for links.
	expect_match "$m" "^ebpf_prog_attach_info\\{id=\"[0-9]+\",name=\"bme_att_tc\",via=\"netlink\",attach_type=\"tc_ingress\",target=\"$NS_IF\",ifindex=\"[0-9]+\",netns=\"$named_ns\"\\} 1$" \
		"tc ingress filter without its program's name"
	expect_promtool "$m"
	cat "$TMP"/o.* | sed 's/^/# bpftool: /'
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code (a sanitizer build exits non-zero on a leak)"
	case_end "a. netlink: XDP (driver, generic) and tc (clsact, htb) as bpftool net places them, in the host, a named and a process-held namespace" "$log"
}

# Without CAP_SYS_PTRACE, a namespace held only by a process with more
# capabilities than the exporter keeps is refused by the kernel (ptrace
# access): the exporter skips it and says so at debug level.
case_refused() {
	local m=$TMP/r.txt log=$TMP/refused.log pid ns
	case_begin
	unshare --net sleep 600 &
	pid=$!
	sleep 0.3
	ns=$(stat -L -c %i "/proc/$pid/ns/net")
	nsenter -t "$pid" -n ip link set lo up
	start_exporter "$log" --log.level=debug || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="attach_netlink"} 1'
	if grep -q 'kept: .*CAP_SYS_PTRACE' "$log"; then
		echo "# refused branch not taken: the exporter keeps CAP_SYS_PTRACE"
	else
		echo "# refused branch: netns $ns of a fully privileged process is not entered"
		expect_match "$log" 'attach_netlink: [0-9]+ network namespaces read, [1-9][0-9]* entries refused' \
			"no refusal logged"
	fi
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code (a sanitizer build exits non-zero on a leak)"
	kill "$pid" 2>/dev/null
	case_end "b. a namespace the kernel refuses to let the exporter enter is skipped, not failed" "$log"
}

# CG_ROOT: a cgroup2 mount, the host's or one made under TMP.
cgroup2_root() {
	CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [[ -z $CG_ROOT ]]; then
		CG_MOUNT=$TMP/cgroup2
		mkdir -p "$CG_MOUNT" && mount -t cgroup2 none "$CG_MOUNT" || return 1
		CG_ROOT=$CG_MOUNT
	fi
}

# bpftool -j cgroup tree under $1, one line per program: "path attach_type id flags",
# paths below the cgroup2 root $2.
bpftool_cgroups() {
	bpftool -j cgroup tree "$1" | python3 -c '
import json, sys
root = sys.argv[1]
for c in json.load(sys.stdin):
    for p in c["programs"]:
        print(c["cgroup"][len(root):] or "/", p["attach_type"], p["id"], p["attach_flags"] or "-")
' "$2"
}

# The exporter's prog_attach series below path prefix $2, same form.
exporter_cgroups() {
	python3 -c '
import re, sys
for line in open(sys.argv[1]):
    if not line.startswith("ebpf_prog_attach_info{") or "via=\"prog_attach\"" not in line:
        continue
    l = dict(re.findall(r"(\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"", line.split("}")[0]))
    if l["target"].startswith(sys.argv[2]):
        print(l["target"], l["attach_type"], l["id"], l.get("flags", "-"))
' "$1" "$2"
}

case_cgroup() {
	local m=$TMP/c.txt log=$TMP/cgroup.log root pod cfg=$TMP/cg.yaml cgid
	case_begin
	cgroup2_root || { case_err "no cgroup2 mount"; case_end "c. cgroup"; return; }
	root=$CG_ROOT
	CGTOP=$root/${PREFIX}_attach
	pod=$CGTOP/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${K_UID//-/_}.slice/cri-containerd-$K_ID.scope
	mkdir -p "$pod" || case_err "mkdir $pod"
	bpftool cgroup attach "$pod" ingress pinned "$PIN/bme_att_cgskb" multi ||
		case_err "bpftool cgroup attach multi"
	bpftool cgroup attach "$CGTOP" egress pinned "$PIN/bme_att_cgskb" override ||
		case_err "bpftool cgroup attach override"
	start_exporter "$log" --path.rootfs="$ROOTFS" || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="attach_cgroup"} 1'
	bpftool_cgroups "$CGTOP" "$root" | sort >"$TMP/o.cg"
	exporter_cgroups "$m" "${CGTOP#"$root"}" | sort >"$TMP/e.cg"
	compare "cgroups" "$TMP/o.cg" "$TMP/e.cg"
	sed 's/^/# bpftool: /' "$TMP/o.cg"
	# The pod's cgroup resolves to its pod, as for owners and cgroup links.
	cgid=$(stat -c %i "$pod")
	expect_match "$m" "^ebpf_prog_attach_info\\{id=\"[0-9]+\",name=\"bme_att_cgskb\",via=\"prog_attach\",attach_type=\"cgroup_inet_ingress\",target=\"${pod#"$root"}\",cgroup_id=\"$cgid\",flags=\"multi\",container_id=\"$K_ID\",container=\"cilium-agent\",pod=\"cilium-x7k2p\",namespace=\"kube-system\"\\} 1$" \
		"pod cgroup attachment without its pod"
	expect_promtool "$m"
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code (a sanitizer build exits non-zero on a leak)"
	case_end "c. cgroup programs attached with BPF_PROG_ATTACH (multi, override) as bpftool cgroup tree places them, with their pod" "$log"
}

# The walk asks every cgroup about the attach types of loaded cgroup
# programs: its cost over a tree of NR_CGROUPS cgroups, beside bpftool's.
case_cgroup_cost() {
	local m=$TMP/cc.txt log=$TMP/cost.log i t0 t1 dur n
	case_begin
	[[ -n $CGTOP && -d $CGTOP ]] || { case_err "no cgroup tree"; case_end "d. cgroup walk"; return; }
	mkdir -p "$CGTOP/many" || case_err "mkdir"
	for ((i = 0; i < NR_CGROUPS / 50; i++)); do
		mkdir -p "$CGTOP/many/g$i" && (cd "$CGTOP/many/g$i" && mkdir $(seq -f 'c%g' 1 49))
	done
	n=$(find "$CGTOP" -type d | wc -l)
	start_exporter "$log" --log.level=debug || case_err "exporter did not start"
	for i in 1 2 3; do
		expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
		dur=$(awk '/scrape_collector_duration_seconds\{collector="attach_cgroup"\}/ { print $2 }' "$m")
		echo "# attach_cgroup over $n test cgroups (+ the host's): ${dur}s per scrape"
	done
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="attach_cgroup"} 1'
	expect_match "$log" "attach_cgroup: [0-9]+ cgroups, [0-9]+ attach types asked" "no walk logged"
	grep -o 'attach_cgroup: [0-9]* cgroups, [0-9]* attach types asked' "$log" | tail -1 | sed 's/^/# /'
	t0=$(date +%s%N)
	bpftool cgroup tree "$CG_ROOT" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "# bpftool cgroup tree over the same hierarchy: $(((t1 - t0) / 1000000)) ms"
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code (a sanitizer build exits non-zero on a leak)"
	case_end "d. the cgroup walk over $n cgroups answers" "$log"
}

# bpftool -j perf for the processes $1 (space-separated pids), one line per
# program: "prog_id kind target", the target spelled as the exporter does.
bpftool_perf() {
	bpftool -j perf | python3 -c '
import json, sys
pids = set(int(p) for p in sys.argv[1].split())
for x in json.load(sys.stdin):
    if x["pid"] not in pids:
        continue
    t = x["fd_type"]
    if t in ("kprobe", "kretprobe"):
        tgt = x["func"] + ("+0x%x" % x["offset"] if x.get("offset") else "") if x.get("func") else "0x%x" % x["addr"]
    elif t in ("uprobe", "uretprobe"):
        tgt = "%s:0x%x" % (x["filename"], x["offset"])
    else:
        tgt = x["tracepoint"]
    print(x["prog_id"], t, tgt)
' "$1" | sort -u
}

# The exporter's perf event attachments of the programs in $2 (ids), from
# scrape $1: via="perf_event" rows as "id attach_type target", and
# perf_event links as "prog_id link target".
exporter_perf() {
	python3 -c '
import re, sys
ids = set(sys.argv[2].split())
for line in open(sys.argv[1]):
    m = re.match(r"(ebpf_prog_attach_info|ebpf_link_info)\{(.*)\} 1$", line)
    if not m:
        continue
    l = dict(re.findall(r"(\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"", m.group(2)))
    if m.group(1) == "ebpf_prog_attach_info" and l.get("via") == "perf_event" and l["id"] in ids:
        print(l["id"], l["attach_type"], l["target"])
    elif m.group(1) == "ebpf_link_info" and l.get("link_type") == "perf_event" and l.get("prog_id") in ids:
        print(l["prog_id"], "link", l.get("target", ""))
' "$1" "$2" | sort
}

# wait_perf PID N: up to 10 s for bpftool perf to show N programs of PID.
wait_perf() {
	local i
	for ((i = 0; i < 100; i++)); do
		(($(bpftool_perf "$1" | wc -l) >= $2)) && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

case_perf() {
	local m=$TMP/p.txt log=$TMP/perf.log bt bt_k pl ids o e dur kp_refused=0 linked lid
	case_begin
	if ! command -v bpftrace >/dev/null; then
		apt-get install -y -qq --no-install-recommends bpftrace >/dev/null 2>&1 ||
			{ case_err "bpftrace cannot be installed"; case_end "e. perf events"; return; }
	fi
	if ! mountpoint -q /sys/kernel/tracing; then
		mount -t tracefs nodev /sys/kernel/tracing && TRACEFS_MOUNTED=1
	fi
	if ! mountpoint -q /sys/kernel/debug; then
		mount -t debugfs nodev /sys/kernel/debug && DEBUGFS_MOUNTED=1
	fi
	# bpftrace attaches with PERF_EVENT_IOC_SET_BPF, no link. Kprobes in a
	# run of their own: a kernel that refuses them ends only that run.
	bpftrace -e 'tracepoint:syscalls:sys_enter_openat { @o = count(); }
		uprobe:/bin/bash:readline { @u = count(); }
		uretprobe:/bin/bash:readline { @r = count(); }' >"$TMP/bt.out" 2>&1 &
	bt=$!
	PERF_PIDS+=("$bt")
	bpftrace -e 'kprobe:do_nanosleep { @k = count(); } kretprobe:do_nanosleep { @r = count(); }' \
		>"$TMP/bt_k.out" 2>&1 &
	bt_k=$!
	PERF_PIDS+=("$bt_k")
	# libbpf attaches through perf_event links.
	"$PERF_LINK" "$PERF_LINK_OBJ" >"$TMP/pl.out" 2>&1 &
	pl=$!
	PERF_PIDS+=("$pl")
	wait_perf "$bt" 3 || case_err "bpftrace attached no tracepoint/uprobes: $(tr '\n' ' ' <"$TMP/bt.out")"
	wait_perf "$pl" 3 || case_err "perf_link attached nothing: $(tr '\n' ' ' <"$TMP/pl.out")"
	if wait_perf "$bt_k" 2 || wait_perf "$bt_k" 2 || wait_perf "$bt_k" 2; then
		echo "# kprobes attached by bpftrace"
	elif kill -0 "$bt_k" 2>/dev/null; then
		# Still running (compiling, on a busy machine): not a refusal.
		case_err "bpftrace's kprobes neither attached nor refused within 30 s"
	else
		# Refused: ask again through libbpf, whose refusal the fixture prints.
		kp_refused=1
		echo "# kprobes refused by this kernel: $(grep -m1 -e 'attaching probe' -e kprobe_events "$TMP/bt_k.out")"
		grep -q '^refused bme_pl_kp ' "$TMP/pl.out" ||
			case_err "bpftrace's kprobe refused but libbpf's attached: $(tr '\n' ' ' <"$TMP/pl.out")"
	fi
	sed 's/^/# perf_link: /' "$TMP/pl.out"

	start_exporter "$log" --log.level=debug || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="attach_perf_event"} 1'
	dur=$(awk '/scrape_collector_duration_seconds\{collector="attach_perf_event"\}/ { print $2 }' "$m")
	echo "# attach_perf_event collector: ${dur}s per scrape"

	o=$TMP/o.perf
	e=$TMP/e.perf
	bpftool_perf "$bt $bt_k $pl" >"$o"
	ids=$(cut -d' ' -f1 "$o" | tr '\n' ' ')
	exporter_perf "$m" "$ids" >"$e"
	sed 's/^/# bpftool perf: /' "$o"
	sed 's/^/# exporter: /' "$e"
	# Programs of links: bpftool perf sees their events' fds too; the
	# exporter reports them once, as the link's target.
	linked=$(awk '$2 == "link" { print $1 }' "$e" | tr '\n' ' ')
	awk -v linked=" $linked " 'index(linked, " " $1 " ") { print $1, "link", $3; next } { print }' \
		"$o" | sort >"$o.placed"
	compare "perf events" "$o.placed" "$e"
	# Every link the fixture attached is among them, with its target.
	while read -r word name id; do
		[[ $word == attached ]] || continue
		[[ " $linked " == *" $id "* ]] || case_err "link of $name (prog $id) has no perf_event target"
	done <"$TMP/pl.out"
	expect_match "$m" '^ebpf_link_info\{id="[0-9]+",link_type="perf_event",prog_id="[0-9]+",prog_name="bme_pl_up",attach_type="perf_event",target="/bin/bash:0x[0-9a-f]+"\} 1$' \
		"uprobe link without its target"
	expect_match "$m" '^ebpf_prog_attach_info\{id="[0-9]+",name="[^"]*",via="perf_event",attach_type="tracepoint",target="sys_enter_openat"\} 1$' \
		"bpftrace's tracepoint not placed"
	expect_match "$m" '^ebpf_prog_attach_info\{id="[0-9]+",name="[^"]*",via="perf_event",attach_type="uretprobe",target="/bin/bash:0x[0-9a-f]+"\} 1$' \
		"bpftrace's uretprobe not placed"
	if ((kp_refused)); then
		# Nothing placed where the kernel placed nothing.
		! grep -E 'attach_type="kret?probe"' "$m" | grep -q 'do_nanosleep' ||
			case_err "a refused kprobe is reported"
	fi
	# Missed counts of kprobes: the kernel keeps them only where it has
	# kprobe events. Asked: without kprobe_events perf_link's kretprobe
	# event is refused and no count is reported (not even 0); with it,
	# both attachments of that event have one. Uprobes and tracepoints never.
	if [[ -e /sys/kernel/tracing/kprobe_events ]]; then
		local miss_id missl_lid
		miss_id=$(awk '$1 == "attached-miss-ioctl" { print $3 }' "$TMP/pl.out")
		missl_lid=$(awk '$1 == "attached-miss-link" { print $4 }' "$TMP/pl.out")
		[[ -n $miss_id && -n $missl_lid ]] ||
			case_err "kprobe events, yet the kretprobe event's attachments failed: $(grep -m1 '^refused-miss' "$TMP/pl.out")"
		expect_match "$m" "^ebpf_prog_attach_missed_total\\{id=\"$miss_id\",name=\"bme_pl_miss\",via=\"perf_event\",attach_type=\"kretprobe\",target=\"do_nanosleep\"\\} [0-9]+$" \
			"no missed count of the link-less kretprobe"
		expect_match "$m" "^ebpf_link_missed_total\\{id=\"$missl_lid\"\\} [0-9]+$" \
			"no missed count of the kretprobe's perf_event link"
		echo "# kprobe events: missed counts $(grep -E '^ebpf_(prog_attach|link)_missed_total' "$m" | tr '\n' ' ')"
	else
		grep -q '^refused-miss bpfmap_miss ' "$TMP/pl.out" ||
			case_err "no kprobe_events, yet the kretprobe event was not refused: $(tr '\n' ' ' <"$TMP/pl.out")"
		expect_no_match "$m" '^ebpf_prog_attach_missed_total' "a missed count where the kernel has no kprobe events"
		echo "# no kprobe events: $(grep -m1 '^refused-miss' "$TMP/pl.out"), no missed counts"
	fi
	expect_no_match "$m" '^ebpf_prog_attach_missed_total\{.*attach_type="(uprobe|uretprobe|tracepoint)"' \
		"a missed count of a uprobe or tracepoint"
	while read -r lid; do
		expect_no_match "$m" "^ebpf_link_missed_total\\{id=\"$lid\"\\}" "a missed count of uprobe or tracepoint link $lid"
	done < <(sed -n 's/^ebpf_link_info{id="\([0-9]*\)",link_type="perf_event",.*prog_name="bme_pl_\(tp\|up\|uret\)".*/\1/p' "$m")
	expect_match "$log" 'attach_perf_event: [0-9]+ perf events with a program, [0-9]+ of perf_event links' \
		"no perf event count logged"
	expect_promtool "$m"
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code (a sanitizer build exits non-zero on a leak)"

	# Without the owners collector the perf events are still read (its
	# iterator, once), and links keep their targets.
	start_exporter "$log.2" --no-collector.owners || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m.2")" 200 "scrape without owners"
	exporter_perf "$m.2" "$ids" >"$e.2"
	cmp -s "$e" "$e.2" || case_err "without owners: $(diff "$e" "$e.2" | tr '\n' ' ')"
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code without owners"
	# Its exit code is not asked: a sanitizer build of it exits 1 on its leaks.
	kill "$pl" 2>/dev/null
	wait "$pl" 2>/dev/null
	grep -qs bpfmap_miss /sys/kernel/tracing/kprobe_events &&
		case_err "perf_link left its kprobe event behind"
	case_end "e. perf events: tracepoint, uprobe, uretprobe (ioctl and perf_event links) as bpftool perf places them; kprobes $( ((kp_refused)) && echo refused || echo placed)" "$log"
}

# The fixture's multi-probe links as "LINK_ID PROG_ID TYPE COUNT [MISSED]" from
# bpftool -j link show (Debian's bpftool knows these types by number only
# and prints no count: "-" then).
bpftool_multi() {
	bpftool -j link show | python3 -c '
import json, sys
ids = set(sys.argv[1].split())
names = {8: "kprobe_multi", 12: "uprobe_multi"}
for l in json.load(sys.stdin):
    if str(l["id"]) not in ids:
        continue
    t = names.get(l["type"], l["type"])
    n = l.get("func_cnt", "-")
    print(l["id"], l["prog_id"], t, n, l.get("missed", ""))
' "$1"
}

# kprobe_multi and uprobe_multi links, from a copy of the fixture on a tmpfs
# of its own (the probed file's path crosses a mount point), each link
# attached or refused by this kernel.
case_multi() {
	local m=$TMP/multi.txt log=$TMP/multi.log mnt=$TMP/multi_mnt pl name lt at tg pid lid
	local upath o kinds='' ids=''
	case_begin
	mkdir -p "$mnt" && mount -t tmpfs -o size=64m tmpfs "$mnt" || case_err "tmpfs"
	cp "$PERF_LINK" "$mnt/perf_link" || case_err "copy the fixture"
	"$mnt/perf_link" "$PERF_LINK_OBJ" >"$TMP/multi_pl.out" 2>&1 &
	pl=$!
	PERF_PIDS+=("$pl")
	for _ in $(seq 100); do
		grep -qx ready "$TMP/multi_pl.out" && break
		sleep 0.1
	done
	grep -qx ready "$TMP/multi_pl.out" || case_err "perf_link did not start: $(tr '\n' ' ' <"$TMP/multi_pl.out")"
	grep -E '^(attached|refused)-multi|^uprobe-path' "$TMP/multi_pl.out" | sed 's/^/# perf_link: /'
	upath=$(awk '$1 == "uprobe-path" { print $2 }' "$TMP/multi_pl.out")
	expect_eq "$upath" "$mnt/perf_link" "the probed file"

	start_exporter "$log" || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="links"} 1'
	ids=$(awk '$1 == "attached-multi" { print $4 }' "$TMP/multi_pl.out" | tr '\n' ' ')
	o=$(bpftool_multi "$ids")
	sed 's/^/# bpftool link: /' <<<"$o"
	for name in bme_pl_km bme_pl_kretm bme_pl_um bme_pl_uretm; do
		multi_probe_expect "$name" "$upath"
		read -r pid lid < <(awk -v n=$name '$1 == "attached-multi" && $2 == n { print $3, $4 }' "$TMP/multi_pl.out")
		if [[ -z $lid ]]; then
			# Refused by this kernel: nothing may be reported for it.
			grep -q "^refused-multi $name " "$TMP/multi_pl.out" || case_err "$name neither attached nor refused"
			expect_no_match "$m" "name=\"$name\"" "a series of the refused $name"
			continue
		fi
		# bpftool's view of the link: its program, its type, and where it
		# prints them, the count and the missed hits.
		read -r _ bpid btype bcnt bmissed < <(grep "^$lid " <<<"$o")
		expect_eq "$bpid $btype" "$pid $lt" "bpftool link $lid"
		[[ $bcnt == - || $bcnt == 2 ]] || case_err "bpftool counts $bcnt probes on link $lid"
		expect_line "$m" "ebpf_link_info{id=\"$lid\",link_type=\"$lt\",prog_id=\"$pid\",prog_name=\"$name\",attach_type=\"$at\",target=\"$tg\"} 1"
		expect_line "$m" "ebpf_prog_attach_info{id=\"$pid\",name=\"$name\",link_id=\"$lid\",link_type=\"$lt\",attach_type=\"$at\",target=\"$tg\"} 1"
		if [[ $lt == kprobe_multi ]]; then
			expect_match "$m" "^ebpf_link_missed_total\\{id=\"$lid\"\\} ${bmissed:-[0-9]+}\$" \
				"no missed count for kprobe_multi link $lid (bpftool: ${bmissed:-none})"
		else
			expect_no_match "$m" "^ebpf_link_missed_total\\{id=\"$lid\"\\}" \
				"a missed count for uprobe_multi link $lid"
		fi
		kinds="$kinds $at"
	done
	grep -E '^ebpf_link_(info|missed_total)\{.*(link_type="[ku]probe_multi"|id="[0-9]+"\} )' "$m" |
		sed 's/^/# exporter: /'
	expect_promtool "$m"
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code"
	kill "$pl" 2>/dev/null
	wait "$pl" 2>/dev/null
	umount "$mnt" || case_err "umount the tmpfs"
	case_end "f. multi-probe links against bpftool link: placed:${kinds:- none}; refused:$(awk '$1 == "refused-multi" { printf " %s", $2 }' "$TMP/multi_pl.out")" "$log"
}

# The capabilities the exporter of log $1 kept after start-up, as setpriv
# names them: "-all,+net_admin,+sys_admin".
kept_caps() {
	local kept
	kept=$(sed -n 's/.*dropped every capability scrapes do not need (kept: \([^)]*\)).*/\1/p' "$1" |
		tail -n 1 | tr 'A-Z,' 'a-z ')
	printf '%s' -all
	[[ -z $kept || $kept == none ]] || printf ',+%s' ${kept//cap_/}
}

# as_exporter CAPS CMD...: CMD as root holding only CAPS, as the serving exporter does.
as_exporter() {
	local caps=$1
	shift
	setpriv --inh-caps="$caps" --ambient-caps="$caps" --bounding-set="$caps" "$@"
}

# Starts a thread that sleeps, then waits for SIGUSR1 and ends the
# process's leader thread only (pthread_exit): the process lives on.
LEADER_EXITS_ON_USR1='
import ctypes, signal, threading, time
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
threading.Thread(target=time.sleep, args=(600,)).start()
signal.sigwait({signal.SIGUSR1})
ctypes.CDLL(None).pthread_exit(None)
'
# Attaches program ID (argv 1) to the network namespace file argv 2
# through a netns link (BPF_LINK_CREATE, BPF_FLOW_DISSECTOR), prints
# "link ID" and holds it until killed. 321: bpf(2) on x86-64.
NETNS_LINK_HOLD='
import ctypes, os, signal, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(321, cmd, buf, 128)
    if r < 0:
        sys.exit("bpf %d: %s" % (cmd, os.strerror(ctypes.get_errno())))
    return r, buf
prog, _ = bpf(13, struct.pack("=I", int(sys.argv[1])))  # BPF_PROG_GET_FD_BY_ID
ns = os.open(sys.argv[2], os.O_RDONLY)
link, _ = bpf(28, struct.pack("=IIII", prog, ns, 17, 0))  # BPF_LINK_CREATE, BPF_FLOW_DISSECTOR
info = ctypes.create_string_buffer(64)
_, attr = bpf(15, struct.pack("=IIQ", link, 64, ctypes.addressof(info)))  # BPF_OBJ_GET_INFO_BY_FD
print("link", struct.unpack_from("=II", info.raw)[1], flush=True)
signal.pause()
'
# The id the caller's namespace gives the namespace of process $1, asked
# as the exporter asks (RTM_GETNSID with NETNSA_PID): "-" if it gave
# none, "error ERRNO" if refused.
NSID_BY_PID='
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
body = struct.pack("=B3x", 0) + struct.pack("=HHI", 8, 2, int(sys.argv[1]))  # NETNSA_PID
s.send(struct.pack("=IHHII", 16 + len(body), 90, 1, 1, 0) + body)  # RTM_GETNSID, NLM_F_REQUEST
data = s.recv(65536)
length, kind = struct.unpack_from("=IH", data)
if kind == 2:  # NLMSG_ERROR
    sys.exit(print("error", -struct.unpack_from("=i", data, 16)[0]))
at, nsid = 20, "-"
while at + 4 <= length:
    alen, atype = struct.unpack_from("=HH", data, at)
    if atype == 1 and struct.unpack_from("=i", data, at + 4)[0] >= 0:  # NETNSA_NSID
        nsid = str(struct.unpack_from("=i", data, at + 4)[0])
    at += (alen + 3) & ~3
print(nsid)
'

# The same with their workload: "attach_type target container_id container pod namespace".
exporter_net_owners() {
	exporter_net "$1" "$2" "$3" "attach_type target container_id container pod namespace" | sort
}

# A veth whose peer is in a pod's namespace: the host end's XDP and tc
# rows, and the peer's own, carry the pod's labels as the owners of the
# process holding that namespace get them (tests/fixtures/rootfs names
# container K_ID cilium-agent of pod kube-system/cilium-x7k2p). Then a
# second container of the pod joins the namespace: the pod stays, the
# container is no longer one. Then only that container's process, of
# another user, holds the namespace: what the exporter, without
# CAP_SYS_PTRACE, may still label, asked of the kernel.
case_pod_veth() {
	local m=$TMP/k.txt log=$TMP/pod.log pod pod2 host_ns pod_ns p q i want dur caps entered
	local link_nsid pid_nsid iter_task qt t
	case_begin
	[[ -n $CG_ROOT ]] || cgroup2_root || { case_err "no cgroup2 mount"; case_end "g. pod veth"; return; }
	[[ -n $CGTOP ]] || CGTOP=$CG_ROOT/${PREFIX}_attach
	pod=$CGTOP/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${K_UID//-/_}.slice/cri-containerd-$K_ID.scope
	pod2=${pod%/*}/cri-containerd-$K_ID2.scope
	mkdir -p "$pod" "$pod2" || case_err "mkdir $pod"
	# The pod's namespace, held by a process of its cilium-agent container
	# (without capabilities, so that the exporter may enter it).
	unshare --net -- setpriv --bounding-set=-all --inh-caps=-all sleep 600 &
	p=$!
	POD_PIDS+=("$p")
	for ((i = 0; i < 50; i++)); do
		[[ $(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null) != \
			"$(stat -L -c %i /proc/self/ns/net)" ]] && break
		sleep 0.1
	done
	echo "$p" >"$pod/cgroup.procs" || case_err "cannot move $p into the pod's cgroup"
	host_ns=$(stat -L -c %i /proc/self/ns/net)
	pod_ns=$(stat -L -c %i "/proc/$p/ns/net")
	if ! { ip link add "$POD_IF" type veth peer name "$POD_PEER" netns "$p" &&
		ip link set "$POD_IF" up && nsenter -t "$p" -n ip link set "$POD_PEER" up &&
		ip link set dev "$POD_IF" xdpgeneric obj "$OBJ" sec xdp &&
		tc qdisc add dev "$POD_IF" clsact &&
		tc filter add dev "$POD_IF" ingress bpf da obj "$OBJ" sec tc &&
		nsenter -t "$p" -n tc qdisc add dev "$POD_PEER" clsact &&
		nsenter -t "$p" -n tc filter add dev "$POD_PEER" egress bpf da obj "$OBJ" sec tc; }; then
		case_err "set-up failed"
		case_end "g. pod veth: set-up"
		return
	fi
	ip -d link show "$POD_IF" | grep -o 'link-netns[a-z]* [0-9a-z-]*' | sed 's/^/# host end: /'
	start_exporter "$log" --path.rootfs="$ROOTFS" --log.level=debug || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="attach_netlink"} 1'
	dur=$(awk '/scrape_collector_duration_seconds\{collector="attach_netlink"\}/ { print $2 }' "$m")
	echo "# attach_netlink collector: ${dur}s per scrape"
	# Placed as bpftool places them, on both ends.
	bpftool -j net | bpftool_net "$POD_IF" >"$TMP/o.pod"
	exporter_net "$m" "$host_ns" "$POD_IF" >"$TMP/e.pod"
	compare "pod veth, host end" "$TMP/o.pod" "$TMP/e.pod"
	nsenter -t "$p" -n bpftool -j net | bpftool_net "$POD_PEER" >"$TMP/o.podns"
	exporter_net "$m" "$pod_ns" "$POD_PEER" >"$TMP/e.podns"
	compare "pod veth, pod end" "$TMP/o.podns" "$TMP/e.podns"
	# The pod's workload on every row of both ends.
	want="$K_ID cilium-agent cilium-x7k2p kube-system"
	printf '%s\n' "tc_ingress $POD_IF $want" "xdp $POD_IF $want" >"$TMP/w.pod"
	exporter_net_owners "$m" "$host_ns" "$POD_IF" >"$TMP/x.pod"
	cmp -s "$TMP/w.pod" "$TMP/x.pod" || case_err "host end: want $(tr '\n' ';' <"$TMP/w.pod") got $(tr '\n' ';' <"$TMP/x.pod")"
	echo "tc_egress $POD_PEER $want" >"$TMP/w.podns"
	exporter_net_owners "$m" "$pod_ns" "$POD_PEER" >"$TMP/x.podns"
	cmp -s "$TMP/w.podns" "$TMP/x.podns" || case_err "pod end: want $(tr '\n' ';' <"$TMP/w.podns") got $(tr '\n' ';' <"$TMP/x.podns")"
	expect_match "$m" "^ebpf_prog_attach_info\\{id=\"[0-9]+\",name=\"bme_att_xdp\",via=\"netlink\",attach_type=\"xdp\",target=\"$POD_IF\",ifindex=\"[0-9]+\",netns=\"$host_ns\",mode=\"generic\",container_id=\"$K_ID\",container=\"cilium-agent\",pod=\"cilium-x7k2p\",namespace=\"kube-system\"\\} 1$" \
		"host end's XDP row without its pod"
	# Veths whose peers are in namespaces of no pod (a named one no process
	# is in, one a process of no container holds) get no workload.
	if [[ -n $NS_PID ]]; then
		exporter_net_owners "$m" "$host_ns" "$HOST_IF|$HOST_IF2" >"$TMP/x.nopod"
		[[ -s $TMP/x.nopod ]] || case_err "no rows on $HOST_IF, $HOST_IF2"
		awk '$3 != "-" || $4 != "-" || $5 != "-" || $6 != "-"' "$TMP/x.nopod" | grep -q . &&
			case_err "a veth of no pod has a workload: $(tr '\n' ';' <"$TMP/x.nopod")"
	fi
	sed 's/^/# exporter: /' "$TMP/x.pod" "$TMP/x.podns"

	# A second container of the pod joins its namespace (as app containers
	# join the pause container's): the pod and namespace stay, the
	# container is ambiguous and left out. Its process runs as another
	# user, as a pause container's does (65535): the kernel does not let
	# the exporter enter it (unless it keeps CAP_SYS_PTRACE), the pod's
	# cgroup still shows the container.
	# Later its leader thread exits while another thread lives on
	# (SIGUSR1), as a Go or Java runtime's main thread may. Debian's
	# python: another user may run it, unlike one under root's home.
	nsenter -t "$p" -n setpriv --reuid=65535 --regid=65535 --clear-groups \
		/usr/bin/python3 -c "$LEADER_EXITS_ON_USR1" &
	q=$!
	POD_PIDS+=("$q")
	sleep 0.2
	echo "$q" >"$pod2/cgroup.procs" || case_err "cannot move $q into the second container's cgroup"
	expect_eq "$(stat -L -c %i "/proc/$q/ns/net")" "$pod_ns" "second container's namespace"
	expect_eq "$(scrape "$EXP_PORT" "$m.2")" 200 "scrape with two containers"
	want="- - cilium-x7k2p kube-system"
	printf '%s\n' "tc_ingress $POD_IF $want" "xdp $POD_IF $want" >"$TMP/w.pod2"
	exporter_net_owners "$m.2" "$host_ns" "$POD_IF" >"$TMP/x.pod2"
	cmp -s "$TMP/w.pod2" "$TMP/x.pod2" || case_err "two containers: want $(tr '\n' ';' <"$TMP/w.pod2") got $(tr '\n' ';' <"$TMP/x.pod2")"
	expect_promtool "$m.2"

	# The cilium-agent process exits: only the uid 65535 one holds the
	# namespace. The exporter keeps no CAP_SYS_PTRACE; what its
	# capabilities may do there is asked of the kernel: open the
	# namespace (entering it), and name it by pid (RTM_GETNSID, no ptrace
	# access), against the id the veth's host end shows (ip -d link).
	# The other process's leader thread exits too: /proc/$q/ns/net is gone
	# (the leader's), its thread $qt still holds the namespace.
	kill "$p"
	wait "$p" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		grep -q 'populated 0' "$pod/cgroup.events" && break
		sleep 0.05
	done
	kill -USR1 "$q"
	for ((i = 0; i < 50; i++)); do
		grep -q '^State:.*Z' "/proc/$q/status" && break
		sleep 0.05
	done
	qt=
	for t in /proc/"$q"/task/*; do
		[[ ${t##*/} != "$q" ]] && qt=${t##*/} && break
	done
	expect_match "/proc/$q/status" '^State:.*Z' "leader of $q exited"
	[[ -n $qt ]] || case_err "no thread of $q lives"
	stat -L "/proc/$q/ns/net" >/dev/null 2>&1 && case_err "/proc/$q/ns/net still opens after its leader exited"
	expect_eq "$(stat -L -c %i "/proc/$qt/ns/net")" "$pod_ns" "namespace of $q's live thread"
	caps=$(kept_caps "$log")
	expect_no_match "$log" 'kept: .*(CAP_SYS_PTRACE|none)' "capabilities kept"
	entered=0
	as_exporter "$caps" stat -L -c %i "/proc/$qt/ns/net" >/dev/null 2>&1 && entered=1
	link_nsid=$(ip -j link show dev "$POD_IF" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get("link_netnsid", "-"))')
	pid_nsid=$(as_exporter "$caps" python3 -c "$NSID_BY_PID" "$qt")
	iter_task=$(awk '$1 == "bpfmap_exporter_kernel_feature{feature=\"iter_task\"}" { print $2 }' "$m")
	echo "# exporter's capabilities ($caps): /proc/$q/ns/net $( ((entered)) && echo opened || echo refused);" \
		"id by pid: $pid_nsid, host end's link-netnsid: $link_nsid; task iterator: ${iter_task:-absent}"
	expect_eq "$(scrape "$EXP_PORT" "$m.3")" 200 "scrape with a pod of another user"
	# The second container alone: its id; its runtime names nothing, the kubelet's directory the pod.
	want="- - - -"
	[[ $iter_task == 1 && $pid_nsid == "$link_nsid" ]] && want="$K_ID2 - agent-x2 kube-system"
	printf '%s\n' "tc_ingress $POD_IF $want" "xdp $POD_IF $want" >"$TMP/w.pod3"
	exporter_net_owners "$m.3" "$host_ns" "$POD_IF" >"$TMP/x.pod3"
	cmp -s "$TMP/w.pod3" "$TMP/x.pod3" || case_err "another user's pod, host end: want $(tr '\n' ';' <"$TMP/w.pod3") got $(tr '\n' ';' <"$TMP/x.pod3")"
	# The pod end is read only inside the namespace: where the kernel lets the exporter enter.
	exporter_net_owners "$m.3" "$pod_ns" "$POD_PEER" >"$TMP/x.podns3"
	if ((entered)); then
		echo "tc_egress $POD_PEER $want" | cmp -s - "$TMP/x.podns3" ||
			case_err "another user's pod, pod end (entered): got $(tr '\n' ';' <"$TMP/x.podns3")"
	else
		[[ -s $TMP/x.podns3 ]] && case_err "a namespace the kernel refuses was read: $(tr '\n' ';' <"$TMP/x.podns3")"
		((iter_task == 1)) && expect_match "$log" 'attach_netlink: .*[1-9][0-9]* known from their processes only' \
			"no namespace known from its processes only"
	fi
	sed 's/^/# exporter, another user'"'"'s pod: /' "$TMP/x.pod3" "$TMP/x.podns3"

	# Bind-mounted (as containerd's and CRI-O's CNI set-up does), the
	# namespace is opened without ptrace access: the pod end is read too,
	# as bpftool places it, with the pod.
	if ip netns attach "$POD_NETNS" "$qt"; then
		expect_eq "$(stat -L -c %i "/run/netns/$POD_NETNS")" "$pod_ns" "bind-mounted namespace"
		expect_eq "$(scrape "$EXP_PORT" "$m.4")" 200 "scrape with the namespace bind-mounted"
		nsenter -t "$qt" -n bpftool -j net | bpftool_net "$POD_PEER" >"$TMP/o.podns4"
		exporter_net "$m.4" "$pod_ns" "$POD_PEER" >"$TMP/e.podns4"
		compare "bind-mounted pod namespace" "$TMP/o.podns4" "$TMP/e.podns4"
		if [[ $iter_task == 1 ]]; then
			echo "tc_egress $POD_PEER $K_ID2 - agent-x2 kube-system" >"$TMP/w.podns4"
			exporter_net_owners "$m.4" "$pod_ns" "$POD_PEER" >"$TMP/x.podns4"
			cmp -s "$TMP/w.podns4" "$TMP/x.podns4" ||
				case_err "bind-mounted, pod end: want $(cat "$TMP/w.podns4") got $(tr '\n' ';' <"$TMP/x.podns4")"
		fi
		ip netns del "$POD_NETNS"
	else
		case_err "ip netns attach"
	fi
	expect_promtool "$m.3"
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code (a sanitizer build exits non-zero on a leak)"
	case_end "g. a veth whose peer is in a pod's namespace: both ends' rows carry the pod (one container, then two, then only another user's whose leader thread exited: host end labelled $( [[ $want == "- - - -" ]] && echo 'without' || echo 'with') its pod, pod end $( ((entered)) && echo read || echo 'not read') unless bind-mounted)" "$log"
}

# A flow dissector attached with BPF_PROG_ATTACH in a named namespace,
# as bpftool net shows it there (its text: bpftool 7.1's JSON for flow
# dissectors is not valid JSON).
case_flow_dissector() {
	local m=$TMP/fd.txt log=$TMP/flow.log ns attached=0 prog=$PIN/bme_att_flow link_pid link_id i link_refused=0
	case_begin
	ip netns add "$FLOW_NS" || { case_err "ip netns add"; case_end "h. flow dissector"; return; }
	ns=$(stat -L -c %i "/run/netns/$FLOW_NS")
	[[ -e $prog ]] || bpftool prog loadall "$OBJ" "$PIN" || case_err "bpftool prog loadall"
	# nsenter, not ip netns exec: the latter mounts a /sys without the pins.
	if nsenter --net="/run/netns/$FLOW_NS" bpftool prog attach pinned "$prog" flow_dissector; then
		attached=1
		echo "# flow dissector attached in $FLOW_NS"
	else
		echo "# flow dissector refused by this kernel in $FLOW_NS"
	fi
	start_exporter "$log" || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="attach_netlink"} 1'
	nsenter --net="/run/netns/$FLOW_NS" bpftool net |
		awk '/^[a-z_]+:/ { f = ($1 == "flow_dissector:"); next } f && $1 == "id" { print $2 }' |
		sort >"$TMP/o.flow"
	python3 -c '
import re, sys
for line in open(sys.argv[1]):
    if not line.startswith("ebpf_prog_attach_info{"):
        continue
    l = dict(re.findall(r"(\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"", line.split("}")[0]))
    if l.get("attach_type") == "flow_dissector" and l.get("netns") == sys.argv[2]:
        print(l["id"])
' "$m" "$ns" | sort >"$TMP/e.flow"
	if ((attached)); then
		compare "flow dissector" "$TMP/o.flow" "$TMP/e.flow"
		expect_match "$m" "^ebpf_prog_attach_info\\{id=\"$(head -1 "$TMP/o.flow")\",name=\"bme_att_flow\",via=\"prog_attach\",attach_type=\"flow_dissector\",target=\"$ns\",netns=\"$ns\"\\} 1$" \
			"flow dissector row not as documented"
		sed 's/^/# bpftool net: flow_dissector id /' "$TMP/o.flow"
	else
		# Refused: nothing attached, nothing reported.
		[[ ! -s $TMP/o.flow ]] || case_err "attach refused, yet bpftool shows $(cat "$TMP/o.flow")"
		[[ ! -s $TMP/e.flow ]] || case_err "attach refused, yet the exporter reports $(cat "$TMP/e.flow")"
	fi
	expect_promtool "$m"

	# The same program through a netns link (BPF_LINK_CREATE, as libbpf's
	# bpf_program__attach_netns does): the kernel's BPF_PROG_QUERY lists
	# it too, but it is the link's attachment and is reported once.
	if ((attached)); then
		nsenter --net="/run/netns/$FLOW_NS" bpftool prog detach pinned "$prog" flow_dissector ||
			case_err "bpftool prog detach"
		python3 -c "$NETNS_LINK_HOLD" "$(head -1 "$TMP/o.flow")" "/run/netns/$FLOW_NS" \
			>"$TMP/flow_link.out" 2>&1 &
		link_pid=$!
		POD_PIDS+=("$link_pid")
		for ((i = 0; i < 50; i++)); do
			[[ -s $TMP/flow_link.out ]] && break
			sleep 0.1
		done
		link_id=$(awk '$1 == "link" { print $2 }' "$TMP/flow_link.out")
		if grep -q '^bpf 28: ' "$TMP/flow_link.out"; then
			# The kernel refused the link (before 5.8, or a policy): none reported.
			link_refused=1
			expect_eq "$(scrape "$EXP_PORT" "$m.link")" 200 "scrape with the netns link refused"
			expect_no_match "$m.link" 'link_type="netns"' "a netns link the kernel refused"
		elif [[ -z $link_id ]]; then
			case_err "netns link: $(tr '\n' ' ' <"$TMP/flow_link.out")"
		else
			expect_eq "$(scrape "$EXP_PORT" "$m.link")" 200 "scrape with a netns link"
			nsenter --net="/run/netns/$FLOW_NS" bpftool net |
				awk '/^[a-z_]+:/ { f = ($1 == "flow_dissector:"); next } f && $1 == "id" { print $2 }' |
				sort >"$TMP/o.flow_link"
			compare "flow dissector via netns link" "$TMP/o.flow" "$TMP/o.flow_link"
			expect_eq "$(grep -c '^ebpf_prog_attach_info{.*attach_type="flow_dissector"' "$m.link")" 1 \
				"flow dissector rows with a netns link"
			expect_match "$m.link" "^ebpf_prog_attach_info\\{id=\"$(head -1 "$TMP/o.flow")\",name=\"bme_att_flow\",link_id=\"$link_id\",link_type=\"netns\",attach_type=\"flow_dissector\",target=\"$ns\"\\} 1$" \
				"flow dissector's netns link row"
			grep '^ebpf_prog_attach_info{.*attach_type="flow_dissector"' "$m.link" | sed 's/^/# exporter: /'
			expect_no_match "$m.link" 'via="prog_attach",attach_type="flow_dissector"' \
				"the netns link's program reported again from BPF_PROG_QUERY"
		fi
		kill "$link_pid" 2>/dev/null
		wait "$link_pid" 2>/dev/null
	fi
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code (a sanitizer build exits non-zero on a leak)"
	case_end "h. a flow dissector attached in a named namespace, as bpftool net shows it, then through a netns link, once ($( ((attached)) && echo attached || echo refused); netns link $( ((link_refused)) && echo refused || echo made))" "$log"
}

# xdp-filter (xdp-tools, on libxdp): a real loader's XDP program on a veth
# of the host namespace. libxdp runs it behind its dispatcher, through an
# freplace link, where the kernel allows that; alone where it refuses.
# Either way bpftool net places the program on the interface.
case_xdp_tools() {
	local m=$TMP/x.txt log=$TMP/xdp.log host_ns id name mode
	case_begin
	if ! command -v xdp-filter >/dev/null; then
		apt-get install -y -qq --no-install-recommends xdp-tools >/dev/null 2>&1 || {
			case_err "xdp-tools cannot be installed"
			case_end "i. xdp-filter"
			return
		}
	fi
	[[ -d /sys/fs/bpf/xdp ]] || XDP_STATE_MADE=1
	if ! ip link add "$XDP_IF" type veth peer name "$XDP_PEER" || ! ip link set "$XDP_IF" up ||
		! ip link set "$XDP_PEER" up; then
		case_err "veth set-up failed"
		case_end "i. xdp-filter"
		return
	fi
	xdp-filter load "$XDP_IF" -m native >"$TMP/xf.out" 2>&1 ||
		case_err "xdp-filter load: $(tr '\n' ' ' <"$TMP/xf.out")"
	host_ns=$(stat -L -c %i /proc/self/ns/net)
	start_exporter "$log" || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	bpftool -j net | bpftool_net "$XDP_IF" >"$TMP/o.xdp"
	exporter_net "$m" "$host_ns" "$XDP_IF" >"$TMP/e.xdp"
	compare "xdp-filter" "$TMP/o.xdp" "$TMP/e.xdp"
	sed 's/^/# bpftool: /' "$TMP/o.xdp"
	id=$(awk '{ print $4; exit }' "$TMP/o.xdp")
	name=$(bpftool -j prog show id "${id:-0}" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("name",""))' 2>/dev/null)
	if [[ $name == xdp_dispatcher ]]; then
		# The filter runs behind the dispatcher: an freplace (tracing) link to it.
		mode="behind libxdp's dispatcher"
		expect_match "$m" "^ebpf_link_info\\{.*link_type=\"tracing\".*prog_name=\"xdpfilt_[a-z_]*\".*target_prog_id=\"$id\"" \
			"no freplace link of xdp-filter to the dispatcher $id"
	else
		mode="alone (no dispatcher: $name)"
		[[ $name == xdpfilt_* ]] || case_err "program $id on $XDP_IF is '$name', not xdp-filter's"
	fi
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code"
	xdp-filter unload "$XDP_IF" >/dev/null 2>&1 || case_err "xdp-filter unload failed"
	case_end "i. xdp-filter's program as bpftool net places it, $mode" "$log"
}

# libbpf-tools (opensnoop, execsnoop: tracepoints through perf_event links;
# runqlat: BTF raw tracepoints through raw_tracepoint links), as a user
# runs them, against bpftool perf, which lists both kinds by process.
case_libbpf_tools() {
	local m=$TMP/lt.txt log=$TMP/lt.log pids='' tool o=$TMP/o.lt e=$TMP/e.lt
	case_begin
	if ! [[ -x /usr/sbin/opensnoop && -x /usr/sbin/execsnoop && -x /usr/sbin/runqlat ]]; then
		apt-get install -y -qq --no-install-recommends libbpf-tools >/dev/null 2>&1 || {
			case_err "libbpf-tools cannot be installed"
			case_end "j. libbpf-tools"
			return
		}
	fi
	for tool in opensnoop execsnoop "runqlat 30 1"; do
		# shellcheck disable=SC2086 # the tool's arguments are split on purpose
		/usr/sbin/$tool >"$TMP/lt.${tool%% *}.out" 2>&1 &
		pids+=" $!"
		PERF_PIDS+=("$!")
	done
	for tool in $pids; do
		wait_perf "$tool" 1 || case_err "pid $tool attached nothing: $(tail -n 2 "$TMP"/lt.*.out | tr '\n' ' ')"
	done
	start_exporter "$log" || case_err "exporter did not start"
	expect_eq "$(scrape "$EXP_PORT" "$m")" 200 "scrape"
	bpftool -j perf | python3 -c '
import json, sys
pids = set(int(p) for p in sys.argv[1].split())
for x in json.load(sys.stdin):
    if x["pid"] in pids and x["fd_type"] in ("tracepoint", "raw_tracepoint"):
        print(x["prog_id"], "perf_event" if x["fd_type"] == "tracepoint" else "raw_tracepoint", x["tracepoint"])
' "$pids" | sort -u >"$o"
	python3 -c '
import re, sys
ids = set(l.split()[0] for l in open(sys.argv[2]))
for line in open(sys.argv[1]):
    m = re.match(r"ebpf_link_info\{(.*)\} 1$", line)
    if not m:
        continue
    l = dict(re.findall(r"(\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"", m.group(1)))
    if l.get("prog_id") in ids and l["link_type"] in ("perf_event", "raw_tracepoint"):
        print(l["prog_id"], l["link_type"], l.get("target", ""))
' "$m" "$o" | sort -u >"$e"
	sed 's/^/# bpftool perf: /' "$o"
	compare "libbpf-tools" "$o" "$e"
	stop_exporter "$EXP_PID"
	expect_eq "$STOP_RC" 0 "exit code"
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null
	# shellcheck disable=SC2086
	wait $pids 2>/dev/null
	case_end "j. libbpf-tools' tracepoint and raw tracepoint links as bpftool perf places them ($(wc -l <"$o"))" "$log"
}

main() {
	case_netlink
	case_refused
	case_cgroup
	case_cgroup_cost
	case_perf
	case_multi
	case_pod_veth
	case_flow_dissector
	case_xdp_tools
	case_libbpf_tools
	SUMMARY_DONE=1
	summary
}

main
