# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Assertion helpers for run.sh (sourced, not executed).
#
# Every check prints "ok - DESC" or "not ok - DESC: DETAIL" and bumps a
# counter; summary prints "N passed, N failed". A check never exits the
# script, so one failure does not hide the next.

PASSED=0
FAILED=0
# Per-case failure flag: a case made of several checks reports once.
CASE_ERRS=()

pass() {
	echo "ok - $1"
	PASSED=$((PASSED + 1))
}

# fail DESC DETAIL [LOGFILE]: the log (exporter stderr) helps the reader.
fail() {
	echo "not ok - $1: $2"
	FAILED=$((FAILED + 1))
	if [[ -n ${3:-} && -s $3 ]]; then
		echo "  --- log $3 (last 30 lines):"
		tail -n 30 "$3" | sed 's/^/  | /'
	fi
}

# Collect errors for the current case, then report them together with
# case_end; keeps the output to one line per case.
case_begin() {
	CASE_ERRS=()
}

case_err() {
	CASE_ERRS+=("$1")
}

# case_end DESC [LOGFILE]
case_end() {
	if ((${#CASE_ERRS[@]} == 0)); then
		pass "$1"
	else
		local IFS=';'
		fail "$1" "${CASE_ERRS[*]}" "${2:-}"
	fi
}

# expect_line FILE LINE: FILE holds LINE exactly, as a whole line.
expect_line() {
	grep -qxF -- "$2" "$1" || case_err "missing line: $2"
}

# expect_no_match FILE ERE WHAT: no line of FILE matches.
expect_no_match() {
	local hit
	hit=$(grep -E -m1 -- "$2" "$1") && case_err "$3: $hit"
}

# expect_match FILE ERE WHAT: some line of FILE matches.
expect_match() {
	grep -qE -- "$2" "$1" || case_err "$3"
}

# expect_eq GOT WANT WHAT
expect_eq() {
	[[ $1 == "$2" ]] || case_err "$3: got '$1', want '$2'"
}

# expect_grep_i FILE PATTERN WHAT: case-insensitive fixed string.
expect_grep_i() {
	grep -qiF -- "$2" "$1" || case_err "$3 (no '$2' in output)"
}

summary() {
	echo "$PASSED passed, $FAILED failed"
	((FAILED == 0))
}
