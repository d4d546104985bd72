# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Loopback helpers every suite shares. Sourced, not executed.

# A port in 20000-40000 that nothing listens on right now. Another process
# can still take it first; callers that bind retry.
pick_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 20001))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
}

# wait_http URL [PID] [TRIES]: until URL answers 2xx (0.1 s apart, 100
# tries by default); fails early once PID, if given, has exited.
wait_http() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		[[ -n ${2:-} ]] && ! kill -0 "$2" 2>/dev/null && return 1
		curl -sf -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.1
	done
	return 1
}
