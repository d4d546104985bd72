#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# What the map_errors collector costs each map update: nanoseconds per
# successful update of an existing key, with the collector off, on (the
# exporter running with --collector.map_errors) and off again, for each
# traced map type, from a user space loop (one bpf() call per update) and
# from BPF (BPF_PROG_TEST_RUN of a program doing one update per run).
# POSIX sh: it runs in the test VMs too.
#
#   map_errors.sh BIN MAP_ERRORS_FIXTURE [UPDATES] [PORT]   (as root)
#
# Where the kernel refuses fexit trampolines there is nothing to measure:
# it says "refused" and exits 0.

set -u
if [ $# -lt 2 ]; then
	echo "usage: $0 BIN MAP_ERRORS_FIXTURE [UPDATES] [PORT]" >&2
	exit 2
fi
BIN=$1
FIXTURE=$2
N=${3:-200000}
PORT=${4:-$((20000 + $$ % 20000))}
T=$(mktemp -d /tmp/bpfmap-meb.XXXXXX)
SRV_PID=''
FIX_PID=''
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	[ -n "$FIX_PID" ] && kill "$FIX_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

if ! probe=$("$FIXTURE" probe 2>&1); then
	echo "map_errors overhead: refused ($probe): this kernel refuses fexit trampolines, so" \
		"the collector cannot run here and there is nothing to measure; run this on a" \
		"kernel that allows them (make test-kernels prints the VMs' figures)"
	exit 0
fi

mkfifo $T/fix.in
"$FIXTURE" run <$T/fix.in >$T/fix.out 2>$T/fix.err &
FIX_PID=$!
exec 3>$T/fix.in
for _ in $(seq 100); do
	grep -qx ready $T/fix.out && break
	sleep 0.1
done

# run NAME: one pass of every map and path, into $T/NAME.
run() {
	n=$(grep -cx benched $T/fix.out)
	echo "bench $N" >&3
	for _ in $(seq 600); do
		[ "$(grep -cx benched $T/fix.out)" -gt "$n" ] && break
		sleep 0.1
	done
	awk -v skip="$n" '$1 == "benched" { b++ } $1 == "bench" && b == skip { print $2, $3, $4 }' \
		$T/fix.out >$T/$1
}

run off1
"$BIN" --web.listen-address=127.0.0.1:$PORT --collector.map_errors \
	--no-collector.owners >$T/srv.out 2>$T/srv.log &
SRV_PID=$!
for _ in $(seq 300); do
	grep -q 'collector map_errors' $T/srv.log && break
	sleep 0.1
done
if ! grep -q 'collector map_errors: failed updates counted' $T/srv.log; then
	echo "map_errors overhead: the collector did not start: $(cat $T/srv.log)"
	exit 1
fi
run on
kill -TERM $SRV_PID
wait $SRV_PID
SRV_PID=''
run off2

echo "map_errors overhead: ns per successful update, $N updates each (off = mean of the runs before and after)"
printf '%-6s %-5s %8s %8s %8s\n' map path off on added
while read -r map path on; do
	off1=$(awk -v m=$map -v p=$path '$1 == m && $2 == p { print $3 }' $T/off1)
	off2=$(awk -v m=$map -v p=$path '$1 == m && $2 == p { print $3 }' $T/off2)
	awk -v m=$map -v p=$path -v a="$off1" -v b="$off2" -v on="$on" \
		'BEGIN { off = (a + b) / 2; printf "%-6s %-5s %8.0f %8.0f %+8.0f\n", m, p, off, on, on - off }'
done <$T/on
echo exit >&3
exec 3>&-
wait $FIX_PID
FIX_PID=''
