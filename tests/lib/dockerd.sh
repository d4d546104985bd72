#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A private Docker daemon for tests, so test suites never depend on (or
# disturb) a system daemon or each other.
#
#   tests/lib/dockerd.sh start DIR   starts one (state in DIR, images kept
#                                    there between runs), prints its DOCKER_HOST
#   tests/lib/dockerd.sh stop DIR    stops it
#
# Then: DOCKER_HOST=$(tests/lib/dockerd.sh start DIR) /usr/bin/docker ...
# (Debian's client, /usr/bin/docker, matches Debian's daemon.)
set -euo pipefail

cmd=${1:?usage: dockerd.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: dockerd.sh start|stop DIR}")
sock=$dir/docker.sock
pidfile=$dir/dockerd.pid

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case $cmd in
start)
	command -v dockerd >/dev/null || {
		echo "dockerd.sh: dockerd missing (apt-get install docker.io)" >&2
		exit 1
	}
	mkdir -p "$dir"
	if ! running; then
		# No bridge, no iptables: tests use --network host on loopback only.
		dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
			-H "unix://$sock" --bridge=none --iptables=false --ip-masq=false \
			>"$dir/dockerd.log" 2>&1 &
		for _ in $(seq 300); do
			DOCKER_HOST=unix://$sock /usr/bin/docker version >/dev/null 2>&1 && break
			sleep 0.1
		done
	fi
	if ! DOCKER_HOST=unix://$sock /usr/bin/docker version >/dev/null 2>&1; then
		echo "dockerd.sh: daemon did not come up; its log:" >&2
		tail -20 "$dir/dockerd.log" >&2
		exit 1
	fi
	echo "unix://$sock"
	;;
stop)
	if running; then
		pid=$(cat "$pidfile")
		kill "$pid"
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	# The daemon leaves the host network namespace bind-mounted under its
	# exec root (netns/default); nothing else may keep it.
	awk -v p="$dir/exec/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
	;;
*)
	echo "usage: dockerd.sh start|stop DIR" >&2
	exit 2
	;;
esac
