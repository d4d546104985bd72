# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# Test reporting, sourced by the suites (bash) and by the kernel VMs' guest
# (busybox sh), so it is POSIX sh: "ok - DESC" or "not ok - DESC: DETAIL"
# per check, counted, and "N passed, N failed" at the end. A check never
# exits the script, so one failure does not hide the next.

PASSED=0
FAILED=0

pass() {
	echo "ok - $1"
	PASSED=$((PASSED + 1))
}

# fail DESC DETAIL [LOG]: the log's last REPORT_LOG_LINES (30) lines help the reader.
fail() {
	echo "not ok - $1: $2"
	FAILED=$((FAILED + 1))
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		echo "  --- $3 (last ${REPORT_LOG_LINES:-30} lines):"
		tail -n "${REPORT_LOG_LINES:-30}" "$3" | sed 's/^/  | /'
	fi
}

# summary: the counts; true when nothing failed.
summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
