# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers shared by the suites that run the exporter next to other
# programs (tests/prometheus, tests/image): free ports, waiting for HTTP,
# fixtures (tests/integration/fixture.c) driven through named pipes, so
# that several can run at once. Sourced, not executed; needs $TMP.

# shellcheck source=net.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/net.sh"



declare -A FIXTURE_PID FIXTURE_IN FIXTURE_OUT

# fixture_start NAME CMD...: starts a fixture, waits (10 s) for "ready".
# Its "map ROLE ID NAME" / "prog ROLE ID NAME" lines go to $TMP/NAME.ids,
# its stderr to $TMP/NAME.err.
fixture_start() {
	local n=$1 line fd_in fd_out
	shift
	rm -f "$TMP/$n.in" "$TMP/$n.out"
	mkfifo "$TMP/$n.in" "$TMP/$n.out" || return 1
	"$@" <"$TMP/$n.in" >"$TMP/$n.out" 2>"$TMP/$n.err" &
	FIXTURE_PID[$n]=$!
	# Same order as the child opens them, so neither side blocks forever.
	exec {fd_in}>"$TMP/$n.in" {fd_out}<"$TMP/$n.out"
	FIXTURE_IN[$n]=$fd_in
	FIXTURE_OUT[$n]=$fd_out
	: >"$TMP/$n.ids"
	while read -r -t 10 -u "$fd_out" line; do
		[[ $line == ready ]] && return 0
		echo "$line" >>"$TMP/$n.ids"
	done
	return 1
}

# fixture_id NAME KIND ROLE / fixture_name NAME KIND ROLE
fixture_id() {
	awk -v k="$2" -v r="$3" '$1 == k && $2 == r { print $3; exit }' "$TMP/$1.ids"
}
fixture_name() {
	awk -v k="$2" -v r="$3" '$1 == k && $2 == r { print $4; exit }' "$TMP/$1.ids"
}

# fixture_stop NAME: "exit", up to 5 s to end, then SIGKILL.
fixture_stop() {
	local n=$1 pid=${FIXTURE_PID[$1]:-} fd_in fd_out
	[[ -n $pid ]] || return 0
	fd_in=${FIXTURE_IN[$n]}
	fd_out=${FIXTURE_OUT[$n]}
	{ echo exit >&"$fd_in"; } 2>/dev/null
	timeout 5 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	exec {fd_in}>&- {fd_out}<&-
	unset "FIXTURE_PID[$n]"
}

fixture_stop_all() {
	local n
	for n in "${!FIXTURE_PID[@]}"; do
		fixture_stop "$n"
	done
}

# random_prefix: a fresh name prefix for BPF objects ([a-z0-9], 6 chars).
random_prefix() {
	echo "t$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)"
}
