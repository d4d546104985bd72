#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Records what this kernel answers a scrape (replay.h) into DIR, with
# the integration fixtures loaded: maps of every kind the kernel has,
# programs attached through links to a pod's cgroup and to an interface
# in a network namespace, the fixture process inside that pod's cgroup.
# The golden tests (run.sh) replay it with no kernel and no root.
#
#   record.sh RECORD FIXTURE PROGS_FIXTURE PERF_LINK DIR     (as root)
#
# PERF_LINK (tests/integration/perf_link, its .bpf.o beside it) adds
# programs attached through perf events, with and without links, and
# multi-probe links, where the kernel allows them.
#
# Re-record after a change to bpf/records.h (the bytes are its ABI), then
# `make golden-update` and read the diff of the expected expositions.
set -u
RECORD=$1 FIXTURE=$2 PROGS_FIXTURE=$3 PERF_LINK=$4 DIR=$5

# The pod whose names tests/fixtures/rootfs holds (as in progs.sh).
K_ID=aaaa000000000000000000000000000000000000000000000000000000000001
K_UID=2d1c5f3b-6a7e-4f4d-8c9b-8e7f6a5d4c3b
NETNS=bpfmap-gold
IFNAME=goldv
TMP=$(mktemp -d)
SYSCTL=/proc/sys/kernel/bpf_stats_enabled
SYSCTL0=$(cat "$SYSCTL")
PERF_DIR='' CGTOP='' FIX_PID='' PFIX_PID='' PERF_PID='' TRACEFS_MOUNTED=0

cleanup() {
	[[ -n $FIX_PID ]] && kill "$FIX_PID" 2>/dev/null
	[[ -n $PFIX_PID ]] && kill "$PFIX_PID" 2>/dev/null
	[[ -n $PERF_PID ]] && kill "$PERF_PID" 2>/dev/null
	wait 2>/dev/null
	echo "$SYSCTL0" >"$SYSCTL"
	((TRACEFS_MOUNTED)) && umount /sys/kernel/tracing 2>/dev/null
	[[ -n $PERF_DIR ]] && rm -rf "$PERF_DIR"
	ip netns del "$NETNS" 2>/dev/null
	[[ -n $CGTOP ]] && find "$CGTOP" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
die() { echo "record.sh: $*" >&2; exit 1; }

((EUID == 0)) || die "run as root: recording loads BPF objects"
ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[[ -n $ROOT ]] || die "no cgroup2 mount"
CGTOP=$ROOT/bpfmap-gold
CGROUP=$CGTOP/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${K_UID//-/_}.slice/cri-containerd-$K_ID.scope
mkdir -p "$CGROUP" || die "mkdir $CGROUP"
ip netns add "$NETNS" || die "ip netns add $NETNS"
ip -n "$NETNS" link add "$IFNAME" type veth peer name goldp && ip -n "$NETNS" link set "$IFNAME" up ||
	die "veth in $NETNS"
echo 1 >"$SYSCTL" # run counts to record

# fixture: maps of every type and one program, held by a host process
# until its stdin (a fifo this script holds open) closes.
mkfifo "$TMP/fixture.in" && exec 7<>"$TMP/fixture.in"
"$FIXTURE" gold <&7 >"$TMP/fixture.out" 2>"$TMP/fixture.err" &
FIX_PID=$!
for _ in $(seq 50); do grep -q '^ready' "$TMP/fixture.out" && break; sleep 0.1; done
grep -q '^ready' "$TMP/fixture.out" || die "fixture: $(cat "$TMP/fixture.err")"
# progs_fixture: links and a ring buffer, run a few times, in the pod's cgroup.
coproc PFIX { exec "$PROGS_FIXTURE" "$CGROUP" "/run/netns/$NETNS" "$IFNAME" 2>"$TMP/progs.err"; }
PFIX_PID=$PFIX_PID
grep -q -m1 '^ready' <&"${PFIX[0]}" || die "progs_fixture: $(cat "$TMP/progs.err")"
echo "$PFIX_PID" >"$CGROUP/cgroup.procs" || die "moving progs_fixture into $CGROUP"
for cmd in "rename 3" "ring 5"; do
	echo "$cmd" >&"${PFIX[1]}" && read -r -t 5 -u "${PFIX[0]}" reply && [[ $reply == done ]] ||
		die "progs_fixture: $cmd"
done

# perf_link: tracepoint and uprobe programs through perf events.
if ! mountpoint -q /sys/kernel/tracing; then
	mount -t tracefs nodev /sys/kernel/tracing && TRACEFS_MOUNTED=1
fi
# From a fixed path: its uprobe_multi targets name the binary.
PERF_DIR=/run/bpfmap-golden
mkdir -p "$PERF_DIR" && cp "$PERF_LINK" "$PERF_DIR/perf_link" || die "copying perf_link to $PERF_DIR"
"$PERF_DIR/perf_link" "$PERF_LINK.bpf.o" >"$TMP/perf.out" 2>"$TMP/perf.err" &
PERF_PID=$!
for _ in $(seq 100); do grep -q '^ready' "$TMP/perf.out" && break; sleep 0.1; done
grep -q '^ready' "$TMP/perf.out" || die "perf_link: $(cat "$TMP/perf.err")"

# The iterators' bytes and the answers are replaced; expected/ stays.
mkdir -p "$DIR" && rm -f "$DIR"/*.bin "$DIR/answers.txt" || die "mkdir $DIR"
"$RECORD" "$DIR" || die "recording failed"
echo "# $(uname -r), recorded $(date -u +%F)" >"$DIR/kernel.txt"
ls -l "$DIR"

# The scrape fuzzer's seeds: this recording's bytes, one per config
# (tests/fuzz/fuzz_scrape.c: a config byte, then the parts joined by SEP).
SEEDS=$(dirname "$0")/../fuzz/corpus/scrape
rm -f "$SEEDS"/recording-* && mkdir -p "$SEEDS"
for c in 0 1 2; do
	{
		printf "\\x0$c"
		first=1
		for kind in maps progs owners links tasks; do
			((first)) || printf '\xff\xfe\xfd\xfc'
			first=0
			[[ -f $DIR/$kind.bin ]] && cat "$DIR/$kind.bin"
		done
	} >"$SEEDS/recording-$c"
done
