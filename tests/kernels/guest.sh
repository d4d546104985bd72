#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The exporter's checks on one kernel, inside a test VM (busybox sh).
# /init runs it; tests/kernels/run.sh boots the VM and passes, through
# the kernel command line, expect_method: the counting method auto picks
# on this kernel (kfunc from 6.6, iterator before, batch where the
# iterator is refused), and policy: refuse_walks to put a BPF LSM policy
# in force first that refuses the bpf_map_elem iterator and trampolines,
# or none. The fixture asks the kernel too (fixture --probe): both must
# agree.
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
ERRS=''
mkdir -p $T
REPORT_LOG_LINES=20
# shellcheck source=../lib/report.sh
. /test/report.sh

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

# The fixture's answers (fixture --probe), and what they make of each mode.
# shellcheck source=../lib/counting.sh
. /test/counting.sh
# shellcheck source=../lib/multi_probe.sh
. /test/multi_probe.sh
probe() { probe_answer $T/probe.txt "$1"; }
expected() { counting_expected_method $T/probe.txt "$1"; }

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

# libxdp's dispatcher, as XDP daemons use it: xdp-loader (Debian's xdp-tools,
# carried by run.sh with bpftool and their libraries) loads two programs
# on a veth (a dummy device if this kernel has no veth), one after the
# other: libxdp attaches a dispatcher through netlink and runs each
# program through an freplace link to it, the first one moved to the
# second call's new dispatcher. The exporter must show the dispatcher
# as the interface's one netlink XDP attachment, and each program's
# tracing link with target_prog_id the dispatcher's id, as bpftool does.
# The refusing policy refuses freplace too (as hosts refusing trampolines
# do): there libxdp attaches the first program alone, the second load
# fails, and that is checked instead.
case_xdp_dispatcher() {
	case_begin
	xd=$T/xdp
	xld="env LD_LIBRARY_PATH=/lib/x86_64-linux-gnu"
	xif=bmx0
	# xdp-loader takes a lock file in /run.
	mkdir -p $xd /run
	if [ -f /test/xdp_missing ]; then
		case_err "$(cat /test/xdp_missing)"
		case_end "n. libxdp's dispatcher: not run"
		return
	fi
	mods=/lib/modules/$(uname -r)
	xmode=native
	if { [ -d /sys/module/veth ] || insmod "$mods/veth.ko"; } 2>$xd/mod.err &&
		ip link add $xif type veth 2>>$xd/mod.err; then
		xkind=veth
	elif { [ -d /sys/module/dummy ] || insmod "$mods/dummy.ko"; } 2>>$xd/mod.err &&
		ip link add $xif type dummy 2>>$xd/mod.err; then
		xkind=dummy
		xmode=skb
	else
		case_err "no veth or dummy device: $(tr '\n' ' ' <$xd/mod.err)"
		case_end "n. libxdp's dispatcher: not run"
		return
	fi
	ip link set $xif up
	xidx=$(cat /sys/class/net/$xif/ifindex)
	xns=$(stat -L -c %i /proc/self/ns/net)
	# jfield NAME: a field of the one-line JSON object on stdin.
	jfield() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
	prog_name_of() { $xld bpftool -j prog show id "$1" 2>/dev/null | jfield name; }
	xstart=$(date +%s)
	$xld xdp-loader load -m $xmode -n bme_xdp_first $xif /test/xdp_parts.bpf.o >$xd/load1.out 2>&1 ||
		case_err "xdp-loader load bme_xdp_first: $(tr '\n' ' ' <$xd/load1.out)"
	$xld xdp-loader load -m $xmode -n bme_xdp_second $xif /test/xdp_parts.bpf.o >$xd/load2.out 2>&1
	load2=$?
	xsecs=$(($(date +%s) - xstart))
	$xld xdp-loader status $xif 2>&1 | sed 's/^/# xdp-loader status: /'
	wget -q -O $xd/m.txt http://127.0.0.1:$PORT/metrics || case_err "scrape failed"
	expect_line $xd/m.txt 'bpfmap_exporter_scrape_collector_success{collector="attach_netlink"} 1'
	expect_line $xd/m.txt 'bpfmap_exporter_scrape_collector_success{collector="links"} 1'
	# The oracle: bpftool's XDP programs on the interface, and its freplace links.
	$xld bpftool -j net | grep -o "{\"devname\":\"$xif\",[^}]*}" >$xd/net.json
	expect_eq "$(wc -l <$xd/net.json)" 1 "XDP programs bpftool net places on $xif"
	did=$(jfield id <$xd/net.json)
	bmode=$(jfield mode <$xd/net.json)
	dname=$(prog_name_of "${did:-0}")
	# The exporter: exactly one netlink row on the interface, bpftool's program.
	grep "^ebpf_prog_attach_info{.*via=\"netlink\",attach_type=\"xdp\",target=\"$xif\"," $xd/m.txt >$xd/e.net
	sed 's/^/# exporter: /' $xd/e.net
	expect_eq "$(wc -l <$xd/e.net)" 1 "netlink XDP rows of $xif"
	expect_line $xd/e.net "ebpf_prog_attach_info{id=\"$did\",name=\"$dname\",via=\"netlink\",attach_type=\"xdp\",target=\"$xif\",ifindex=\"$xidx\",netns=\"$xns\",mode=\"$bmode\"} 1"
	if [ "$dname" = xdp_dispatcher ]; then
		xform="two programs behind the dispatcher $did"
		[ "${policy:-}" != refuse_walks ] || case_err "a dispatcher, under a policy refusing freplace"
		[ $load2 = 0 ] || case_err "xdp-loader load bme_xdp_second: $(tr '\n' ' ' <$xd/load2.out)"
		# libxdp pins each program's link as progN-link, N its slot (the
		# dispatcher's function prog<N>), under the dispatcher's id.
		xpin=/sys/fs/bpf/xdp/dispatch-$xidx-$did
		echo "# libxdp pins in $xpin: $(cd "$xpin" 2>/dev/null && echo *)"
		for f in "$xpin"/prog*-link; do
			[ -e "$f" ] || continue
			slot=${f##*/}
			slot=${slot%-link}
			$xld bpftool -j link show pinned "$f" >$xd/link.json
			lid=$(jfield id <$xd/link.json)
			pid=$(jfield prog_id <$xd/link.json)
			ltype=$(jfield type <$xd/link.json)
			pname=$(prog_name_of "$pid")
			echo "ebpf_link_info{id=\"$lid\",link_type=\"$ltype\",prog_id=\"$pid\",prog_name=\"$pname\",target=\"$slot\",target_prog_id=\"$did\"} 1"
			echo "ebpf_prog_attach_info{id=\"$pid\",name=\"$pname\",link_id=\"$lid\",link_type=\"$ltype\",target=\"$slot\",target_prog_id=\"$did\"} 1"
		done | sort >$xd/o.links
		sed 's/^/# bpftool: /' $xd/o.links
		grep -E "^ebpf_(link_info|prog_attach_info)\{.*,target_prog_id=\"$did\"[,}]" $xd/m.txt |
			sort >$xd/e.links
		sed 's/^/# exporter: /' $xd/e.links
		expect_eq "$(grep -cE '^ebpf_link_info.*link_type="tracing".*prog_name="bme_xdp_(first|second)"' $xd/o.links)" 2 \
			"freplace links of the two programs pinned by libxdp"
		cmp -s $xd/o.links $xd/e.links ||
			case_err "the exporter differs from bpftool's view of libxdp's links: $(diff $xd/o.links $xd/e.links | grep '^[-+]e' | tr '\n' ' ')"
	else
		# No dispatcher: the kernel refused freplace, libxdp fell back.
		xform="the first program alone ($dname), freplace refused"
		[ "${policy:-}" = refuse_walks ] ||
			case_err "no dispatcher without a policy: the kernel refused freplace"
		expect_eq "$dname" bme_xdp_first "the program alone on $xif"
		[ $load2 != 0 ] || case_err "a second program loaded without a dispatcher"
		expect_no_match $xd/m.txt '^ebpf_link_info\{.*prog_name="bme_xdp_' "a link of a program loaded alone"
	fi
	$xld xdp-loader unload --all $xif >$xd/unload.out 2>&1 ||
		case_err "xdp-loader unload: $(tr '\n' ' ' <$xd/unload.out)"
	ip link del $xif
	case_end "n. libxdp on a $xkind ($xmode): $xform, loaded in $xsecs s" $xd/load1.out
}

# --- cases --------------------------------------------------------------------

echo "# kernel $(uname -r), policy ${policy:-unset}, expected counting method: ${expect_method:-unset}"
case_begin
[ -n "${expect_method:-}" ] || case_err "expect_method not set on the kernel command line"
[ -r /sys/kernel/btf/vmlinux ] || case_err "no /sys/kernel/btf/vmlinux"
if [ "${policy:-}" = refuse_walks ]; then
	/bin/refuse_walks /sys/fs/bpf/refuse_walks >$T/policy.out 2>&1 ||
		case_err "policy not in force: $(cat $T/policy.out)"
fi
$FIXTURE --probe >$T/probe.txt 2>&1 || case_err "fixture --probe: $(cat $T/probe.txt)"
echo "# the kernel, asked by the fixture: $(awk '$1 == "probe" { printf "%s=%s ", $2, $3 }' $T/probe.txt)"
if [ "${policy:-}" = refuse_walks ]; then
	expect_eq "$(probe iter_bpf_map_elem)" EPERM "the policy's answer to an element iterator"
else
	expect_eq "$(probe iter_bpf_map_elem)" OK "an element iterator without a policy"
fi
expect_eq "$(expected auto)" "${expect_method:-}" "the method the kernel's answers pick"
start_fixture || case_err "fixture did not start: $(cat $T/fix.err)"
case_end "a. fixture up on $(uname -r), policy ${policy:-}"

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
for f in iter_bpf_map_elem map_lookup_batch map_get_next_key; do
	if [ "$(probe $f)" = OK ]; then v=1; else v=0; fi
	expect_line $M "bpfmap_exporter_kernel_feature{feature=\"$f\"} $v"
done
grep -qF "hash map entry counts: method=${expect_method:-}" $T/srv.log ||
	case_err "no start-up log line for method ${expect_method:-}"
# The kernels that have the kfunc (6.6+) have bpf_rdonly_cast (6.2+) too;
# 6.1 has neither, so both owner programs are loaded somewhere.
if [ $kfunc = 1 ]; then owner_read=bpf_rdonly_cast; else owner_read=bpf_probe_read_kernel; fi
grep -qF "owners: object ids read with $owner_read" $T/srv.log ||
	case_err "no start-up log line for owner ids read with $owner_read"
expect_no_match $T/srv.log 'level=(warn|error)' "a warning at start-up"
case_end "c. counting method ${expect_method:-}, owner reads with $owner_read, kernel features" $T/srv.log

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

# Each walk, forced: where the kernel allows it, the kernel's own counts
# (6.6+) or the expected ones; where it refuses it, no made-up counts.
for method in walk iterator batch keys; do
	case_begin
	want=$(expected $method)
	once "counting:\n  method: $method\nfilters:\n  maps:\n    include: {id: \"$(fixture_id_regex)\"}\n" \
		$T/it.txt $T/it.log || case_err "--once exit code $?"
	expect_line $T/it.txt "bpfmap_exporter_map_count_method_info{method=\"$want\"} 1"
	check_expected_maps $T/it.txt lpm queue stack dmh
	if [ "$want" = none ]; then
		for role in hash lru pcpu nopre noname chars one del inner hom; do
			expect_no_match $T/it.txt \
				"$(series_re 'ebpf_map_entries|ebpf_map_pressure' "$(map_id $role)")" \
				"uncounted map $role has a count series"
		done
		grep -qF "method=none (counting.method is $method" $T/it.log ||
			case_err "no warning naming the refused method"
		case_end "f. counting.method $method, refused here: no hash map counts" $T/it.log
		continue
	fi
	check_expected_maps $T/it.txt
	expect_line $T/it.txt 'bpfmap_exporter_map_count_fallback_maps{result="counted"} 10'
	expect_line $T/it.txt 'bpfmap_exporter_map_count_fallback_budget_used 447'
	case_end "f. counting.method $method ($want) gives the same counts" $T/it.log
done

case_begin
want=$(expected walk)
once "counting:\n  method: walk\n  fallback_max_entries: 151\nfilters:\n  maps:\n    include: {id: \"$(fixture_id_regex)\"}\n" \
	$T/bud.txt $T/bud.log || case_err "--once exit code $?"
expect_line $T/bud.txt "bpfmap_exporter_map_count_method_info{method=\"$want\"} 1"
check_expected_maps $T/bud.txt hash lru one
for role in pcpu nopre noname chars del inner hom; do
	expect_no_match $T/bud.txt \
		"$(series_re 'ebpf_map_entries|ebpf_map_pressure' "$(map_id $role)")" \
		"over-budget map $role has a count series"
done
expect_line $T/bud.txt 'bpfmap_exporter_map_count_fallback_maps{result="counted"} 3'
expect_line $T/bud.txt 'bpfmap_exporter_map_count_fallback_maps{result="over_budget"} 7'
case_end "g. fallback budget ($want): what does not fit gets no count" $T/bud.log

# --- links, ring buffers, run statistics (tests/integration/progs.sh's fixture) ---

PROGS=/bin/progs_fixture
# prog_id/link_id/pmap_id ROLE: from the progs fixture's lines.
prog_id() { awk -v r="$1" '$1 == "prog" && $2 == r { print $3 }' $T/pf.out; }
link_id() { awk -v r="$1" '$1 == "link" && $2 == r { print $3 }' $T/pf.out; }
pmap_id() { awk -v r="$1" '$1 == "map" && $2 == r { print $3 }' $T/pf.out; }
# pf CMD: a progs fixture command, answered by "done".
pf() {
	n=$(grep -c '^done$' $T/pf.out)
	echo "$1" >&4
	for _ in $(seq 50); do
		[ "$(grep -c '^done$' $T/pf.out)" -gt "$n" ] && return 0
		sleep 0.1
	done
	case_err "progs fixture did not do '$1': $(cat $T/pf.err)"
}
# value FILE NAME ID: a series' value by its id label.
value() { awk -v re="^$2\\\\{(.*,)?id=\"$3\"[,}]" '$0 ~ re { print $NF; exit }' "$1"; }

case_begin
CG_ROOT=$T/cgroup2
mkdir -p $CG_ROOT && mount -t cgroup2 cgroup2 $CG_ROOT || case_err "mount cgroup2"
mkdir $CG_ROOT/vmtest || case_err "mkdir a cgroup"
# A network namespace of our own, held by a process in it; its loopback gets XDP.
unshare -n sleep 600 &
NS_PID=$!
sleep 0.2
mkfifo $T/pf.in
$PROGS $CG_ROOT/vmtest /proc/$NS_PID/ns/net lo <$T/pf.in >$T/pf.out 2>$T/pf.err &
PF_PID=$!
exec 4>$T/pf.in
up=0
for _ in $(seq 100); do
	grep -qx ready $T/pf.out && up=1 && break
	kill -0 $PF_PID 2>/dev/null || break
	sleep 0.1
done
[ $up = 1 ] || case_err "progs fixture did not start: $(cat $T/pf.err)"
pf "ring 5"
LBL='labels:\n  maps: [id, name, map_type, prog]\n  programs: [id, name, prog_type]\n'
once "$LBL" $T/links.txt $T/links.log || case_err "--once exit code $?"
L=$T/links.txt
cgid=$(stat -c %i $CG_ROOT/vmtest)
netns=$(stat -L -c %i /proc/$NS_PID/ns/net)
expect_line $L 'bpfmap_exporter_kernel_feature{feature="iter_bpf_link"} 1'
expect_line $L 'bpfmap_exporter_scrape_collector_success{collector="links"} 1'
grep -qE "^ebpf_link_info\{id=\"$(link_id cgroup)\",link_type=\"cgroup\",prog_id=\"$(prog_id cgroup)\",prog_name=\"fix_cgroup\",attach_type=\"cgroup_inet_ingress\",target=\"/vmtest\",cgroup_id=\"$cgid\"\} 1$" $L ||
	case_err "no cgroup link with target /vmtest and cgroup_id $cgid"
grep -qE "^ebpf_link_info\{id=\"$(link_id xdp)\",link_type=\"xdp\",prog_id=\"$(prog_id xdp)\",prog_name=\"fix_xdp\",(attach_type=\"xdp\",)?target=\"lo\",ifindex=\"1\",netns=\"$netns\"\} 1$" $L ||
	case_err "no xdp link on lo in netns $netns"
grep -qE "^ebpf_link_info\{id=\"$(link_id tracing)\",link_type=\"(raw_tracepoint|tracing)\",prog_id=\"$(prog_id tracing)\",prog_name=\"fix_tracing\",(attach_type=\"trace_raw_tp\",)?target=\"task_rename\"\} 1$" $L ||
	case_err "no link of the BTF tracepoint program: $(grep 'fix_tracing' $L | grep link_info)"
if [ "$(link_id tcx)" != 0 ]; then
	expect_line $L "ebpf_link_info{id=\"$(link_id tcx)\",link_type=\"tcx\",prog_id=\"$(prog_id tcx)\",prog_name=\"fix_tcx\",attach_type=\"tcx_ingress\",target=\"lo\",ifindex=\"1\",netns=\"$netns\"} 1"
	tcx=", tcx"
else
	tcx=", no tcx (6.6+)"
fi
if [ "$(link_id netfilter)" != 0 ]; then
	grep -qE "^ebpf_link_info\{id=\"$(link_id netfilter)\",link_type=\"netfilter\",prog_id=\"[0-9]+\",prog_name=\"fix_nf\",(attach_type=\"netfilter\",)?target=\"ipv4/input\",netns=\"$netns\",priority=\"-128\"\} 1$" $L ||
		case_err "no netfilter link: $(grep 'fix_nf' $L | grep link_info)"
	tcx="$tcx, netfilter"
fi
if [ "$(link_id fentry)" != 0 ]; then
	grep -qE "^ebpf_link_info\{id=\"$(link_id fentry)\",link_type=\"tracing\",prog_id=\"$(prog_id fentry)\",prog_name=\"fix_fentry\",attach_type=\"trace_fentry\",target=\"__x64_sys_getpgid\"\} 1$" $L ||
		case_err "no fentry link: $(grep 'fix_fentry' $L | grep link_info)"
	tcx="$tcx, fentry"
else
	tcx="$tcx, no fentry"
fi
rlbl="id=\"$(pmap_id ring)\",name=\"fix_ring\",map_type=\"ringbuf\",prog=\"fix_ring_write\""
expect_line $L "ebpf_map_ringbuf_pending_bytes{$rlbl} 560"
expect_line $L "ebpf_map_pressure{$rlbl} 0.13671875"
case_end "i. links (cgroup, xdp in a netns$tcx, tracepoint) and 560 ring buffer bytes pending" $T/links.log

case_begin
printf "${LBL}programs:\n  run_stats: true\n" >$T/stats.yaml
$BIN --web.listen-address=127.0.0.1:2113 --config.file=$T/stats.yaml >$T/stats.out 2>$T/stats.log &
STATS_PID=$!
up=0
for _ in $(seq 300); do
	wget -q -O /dev/null http://127.0.0.1:2113/healthz 2>/dev/null && up=1 && break
	kill -0 $STATS_PID 2>/dev/null || break
	sleep 0.1
done
[ $up = 1 ] || case_err "run_stats exporter not healthy"
pf "rename 100"
pf "ring 3"
wget -q -O $T/stats.txt http://127.0.0.1:2113/metrics || case_err "scrape failed"
runs=$(value $T/stats.txt ebpf_prog_runs_total "$(prog_id tracing)")
[ "${runs:-0}" -ge 100 ] 2>/dev/null || case_err "tracing program runs '$runs', want >= 100"
expect_eq "$(value $T/stats.txt ebpf_prog_runs_total "$(prog_id ring)")" 3 "ring writer runs"
expect_eq "$(cat /proc/sys/kernel/bpf_stats_enabled)" 0 "kernel.bpf_stats_enabled"
kill -TERM $STATS_PID
wait $STATS_PID
expect_eq "$?" 0 "run_stats exporter exit code"
echo exit >&4
exec 4>&-
wait $PF_PID
expect_eq "$?" 0 "progs fixture exit code"
kill $NS_PID
case_end "j. run statistics: $runs tracepoint runs, 3 test runs, the sysctl untouched" $T/stats.log

# Failed map updates and LRU evictions (tests/integration/map_errors.sh):
# these kernels allow trampolines, so the full comparison runs here; the
# refusing policy takes them away, and the suite must see the refusal.
if [ -x /bin/map_errors_fixture ]; then
	case_begin
	sh /test/map_errors.sh $BIN /bin/map_errors_fixture 2114 >$T/me.txt 2>&1
	me_rc=$?
	sed 's/^/# map_errors: /' $T/me.txt
	if [ "${policy:-}" = refuse_walks ]; then me_branch=refused; else me_branch=allowed; fi
	grep -q "^# branch: $me_branch" $T/me.txt ||
		case_err "the fexit probe did not take the $me_branch branch under policy ${policy:-}"
	[ $me_rc = 0 ] || case_err "map_errors suite: $(tail -n 1 $T/me.txt)"
	case_end "k. map_errors ($me_branch): what the suite expects of this kernel" $T/me.txt
	[ $me_branch = allowed ] &&
		sh /test/map_errors_bench.sh $BIN /bin/map_errors_fixture 20000 2115 2>&1 | sed 's/^/# /'
fi

# Programs on kprobes, through a perf_event link (libbpf's way) and
# without one (PERF_EVENT_IOC_SET_BPF, BCC's and bpftrace's way): the
# host suite compares these with bpftool perf where the host allows
# kprobes; here the oracle is where perf_link attached them.
if [ -x /bin/perf_link ]; then
	case_begin
	# For the kretprobe event perf_link defines (case m).
	grep -q ' /sys/kernel/tracing ' /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing
	/bin/perf_link /test/perf_link.bpf.o >$T/pl.out 2>&1 &
	PL_PID=$!
	for _ in $(seq 100); do
		grep -qx ready $T/pl.out && break
		sleep 0.1
	done
	grep -qx ready $T/pl.out || case_err "perf_link did not start: $(tr '\n' ' ' <$T/pl.out)"
	sed 's/^/# perf_link: /' $T/pl.out
	wget -q -O $T/perf.txt http://127.0.0.1:$PORT/metrics || case_err "scrape failed"
	expect_line $T/perf.txt 'bpfmap_exporter_scrape_collector_success{collector="attach_perf_event"} 1'
	# placed ID TARGET: a perf_event link of program ID has that target, or a
	# via="perf_event" row of it has (libbpf falls back to the ioctl without links).
	placed() {
		{
			grep '^ebpf_link_info{' $T/perf.txt | grep "prog_id=\"$1\"" |
				grep 'link_type="perf_event"'
			grep '^ebpf_prog_attach_info{' $T/perf.txt | grep -E "[{,]id=\"$1\"" |
				grep 'via="perf_event"'
		} | grep -c "target=\"$2\""
	}
	placed_kinds=''
	for name in bme_pl_kp bme_pl_kret; do
		id=$(awk -v n=$name '$1 == "attached" && $2 == n { print $3 }' $T/pl.out)
		if [ -z "$id" ]; then
			# Refused by this kernel: nothing may be placed there.
			grep -q "^refused $name " $T/pl.out || case_err "$name neither attached nor refused"
			continue
		fi
		[ "$(placed $id do_nanosleep)" -ge 1 ] || case_err "$name (prog $id): no target do_nanosleep"
		placed_kinds="$placed_kinds $name"
	done
	id=$(awk '$1 == "attached-ioctl" { print $3 }' $T/pl.out)
	if [ -n "$id" ]; then
		n=$(grep '^ebpf_prog_attach_info{' $T/perf.txt | grep -E "[{,]id=\"$id\"" |
			grep 'via="perf_event"' | grep 'attach_type="kprobe"' | grep -c 'target="hrtimer_nanosleep"')
		expect_eq "$n" 1 "via=perf_event kprobe rows of prog $id on hrtimer_nanosleep"
		placed_kinds="$placed_kinds ioctl"
	else
		grep -q '^refused-ioctl ' $T/pl.out || case_err "the ioctl kprobe neither attached nor refused"
		expect_no_match $T/perf.txt 'target="hrtimer_nanosleep"' "a target of a refused kprobe"
	fi
	# Multi-probe links, each from a program of its own: counted targets,
	# return probes told apart, fprobe's missed count on kprobe_multi
	# links; a link the kernel refused (6.1's cloud kernel has no fprobe
	# and no uprobe_multi) leaves nothing behind.
	upath=$(awk '$1 == "uprobe-path" { print $2 }' $T/pl.out)
	for name in bme_pl_km bme_pl_kretm bme_pl_um bme_pl_uretm; do
		multi_probe_expect "$name" "$upath"
		pid=$(awk -v n=$name '$1 == "attached-multi" && $2 == n { print $3 }' $T/pl.out)
		lid=$(awk -v n=$name '$1 == "attached-multi" && $2 == n { print $4 }' $T/pl.out)
		if [ -z "$lid" ]; then
			grep -q "^refused-multi $name " $T/pl.out || case_err "$name neither attached nor refused"
			expect_no_match $T/perf.txt "prog_name=\"$name\"" "a link of the refused $name"
			continue
		fi
		expect_line $T/perf.txt "ebpf_link_info{id=\"$lid\",link_type=\"$lt\",prog_id=\"$pid\",prog_name=\"$name\",attach_type=\"$at\",target=\"$tg\"} 1"
		if [ $lt = kprobe_multi ]; then
			grep -qE "^ebpf_link_missed_total\{id=\"$lid\"\} [0-9]+$" $T/perf.txt ||
				case_err "no missed count for kprobe_multi link $lid"
		else
			expect_no_match $T/perf.txt "^ebpf_link_missed_total\{id=\"$lid\"\}" \
				"a missed count for uprobe_multi link $lid"
		fi
		placed_kinds="$placed_kinds $at"
	done
	grep -E '^ebpf_link_(info|missed_total)\{.*(link_type="[ku]probe_multi"|id="[0-9]+"\} )' $T/perf.txt |
		sed 's/^/# exporter: /'
	case_end "l. perf events and multi-probe links: placed (${placed_kinds# })" $T/srv.log

	# A kretprobe that misses for real: one instance (maxactive 1), held by
	# one sleeper while the others' returns go unprobed. The kernel's own
	# count (kprobe_profile, third column) is the oracle of both the
	# link-less row and the perf_event link, which share the kprobe event;
	# it may grow between reads, so it is read before and after the scrape.
	case_begin
	PROFILE=/sys/kernel/tracing/kprobe_profile
	oracle() { awk '$1 == "bpfmap_miss" { print $3 }' $PROFILE; }
	miss_id=$(awk '$1 == "attached-miss-ioctl" { print $3 }' $T/pl.out)
	missl_id=$(awk '$1 == "attached-miss-link" { print $3 }' $T/pl.out)
	missl_lid=$(awk '$1 == "attached-miss-link" { print $4 }' $T/pl.out)
	if [ -z "$miss_id" ] || [ -z "$missl_lid" ]; then
		grep -q '^refused-miss' $T/pl.out || case_err "the missing kretprobe neither attached nor refused"
		m_what="refused: $(grep -m1 '^refused-miss' $T/pl.out)"
	else
		sleepers=''
		for _ in 1 2 3 4; do
			sleep 0.3 &
			sleepers="$sleepers $!"
		done
		# shellcheck disable=SC2086
		wait $sleepers
		before=$(oracle)
		wget -q -O $T/miss.txt http://127.0.0.1:$PORT/metrics || case_err "scrape failed"
		after=$(oracle)
		ioctl_n=$(grep "^ebpf_prog_attach_missed_total{id=\"$miss_id\",name=\"bme_pl_miss\",via=\"perf_event\",attach_type=\"kretprobe\",target=\"do_nanosleep\"} " \
			$T/miss.txt | awk '{ print $2 }')
		link_n=$(grep "^ebpf_link_missed_total{id=\"$missl_lid\"} " $T/miss.txt | awk '{ print $2 }')
		echo "# kprobe_profile: $(grep bpfmap_miss $PROFILE | tr -s ' ')"
		echo "# missed: kernel $before..$after, exporter $ioctl_n (no link), $link_n (link $missl_lid)"
		[ "${before:-0}" -gt 0 ] || case_err "the kretprobe missed nothing (kprobe_profile: $before)"
		for n in "$ioctl_n" "$link_n"; do
			if [ -z "$n" ] || [ "$n" -lt "${before:-0}" ] || [ "$n" -gt "${after:-0}" ]; then
				case_err "missed count '$n' outside the kernel's $before..$after"
			fi
		done
		expect_match_line() { grep -qE -- "$2" "$1" || case_err "no line matching: $2"; }
		expect_match_line $T/miss.txt "^ebpf_link_info\{id=\"$missl_lid\",link_type=\"perf_event\",prog_id=\"$missl_id\",prog_name=\"bme_pl_missl\",(attach_type=\"perf_event\",)?target=\"do_nanosleep\"\} 1$"
		m_what="kernel $before..$after, exporter $ioctl_n and $link_n"
	fi
	# A kprobe cannot miss here (only on recursion): 0 where the kernel
	# keeps the count, through a link (libbpf's) and without one.
	kp_id=$(awk '$1 == "attached" && $2 == "bme_pl_kp" { print $3 }' $T/pl.out)
	kp_lid=$(grep '^ebpf_link_info{' $T/perf.txt | grep "prog_id=\"$kp_id\"" |
		grep 'link_type="perf_event"' | sed -n 's/^ebpf_link_info{id="\([0-9]*\)".*/\1/p')
	id=$(awk '$1 == "attached-ioctl" { print $3 }' $T/pl.out)
	if [ -r $PROFILE ]; then
		[ -z "$kp_lid" ] || expect_line $T/perf.txt "ebpf_link_missed_total{id=\"$kp_lid\"} 0"
		[ -z "$id" ] || expect_line $T/perf.txt \
			"ebpf_prog_attach_missed_total{id=\"$id\",name=\"bme_pl_kp\",via=\"perf_event\",attach_type=\"kprobe\",target=\"hrtimer_nanosleep\"} 0"
	fi
	# Uprobes and tracepoints keep no count.
	expect_no_match $T/perf.txt '^ebpf_prog_attach_missed_total\{.*attach_type="(uprobe|uretprobe|tracepoint)"' \
		"a missed count of a uprobe or tracepoint"
	kill -TERM $PL_PID
	wait $PL_PID
	expect_eq "$?" 0 "perf_link exit code on SIGTERM"
	grep -q bpfmap_miss /sys/kernel/tracing/kprobe_events 2>/dev/null &&
		case_err "perf_link left its kprobe event behind"
	case_end "m. a kretprobe's missed returns as kprobe_profile counts them, with and without a link ($m_what)" $T/srv.log
fi

if [ -f /test/xdp_parts.bpf.o ]; then case_xdp_dispatcher; fi

case_begin
kill -TERM $SRV_PID
wait $SRV_PID
expect_eq "$?" 0 "exporter exit code on SIGTERM"
stop_fixture
expect_eq "$?" 0 "fixture exit code"
case_end "h. clean shutdown" $T/srv.log

summary
