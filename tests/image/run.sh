#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The container image, built for real and run under Docker:
#
#   run.sh FIXTURE_STATIC VERSION   (as root; FIXTURE_STATIC: the fixture
#                                    linked statically, so it runs in any
#                                    container; VERSION: what make image
#                                    stamps into the image)
#
# Uses a private Docker daemon (tests/lib/dockerd.sh, state in
# .cache/docker, kept between runs so a rebuild takes seconds) and a
# Debian base image made locally with debootstrap (no registry needed).
# Builds the image with `make image`; checks it holds only the static,
# stripped binary and is under 10 MB; runs it against the host's BPF
# objects and scrapes it from the host (promtool on the scrape); checks
# the minimal privileges; sees the maps of a fixture running in another
# container. Every container, the fixtures and the daemon are stopped at
# the end. Prints "ok - ..." / "not ok - ...", then "N passed, N failed".

set -u

if (($# != 2)); then
	echo "usage: $0 FIXTURE_STATIC VERSION" >&2
	exit 2
fi
FIXTURE=$(realpath -- "$1")
VERSION=$2
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
# shellcheck source=../integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
# shellcheck source=../lib/harness.sh
. "$ROOT/tests/lib/harness.sh"

DOCKERD_DIR=$ROOT/.cache/docker
BASE_TAR=$ROOT/.cache/bookworm-minbase.tar
BASE=local/bookworm-minbase
IMAGE=bpfmap-exporter:test
BUILDER=bpfmap-exporter-builder:cache
# Debian's client matches Debian's daemon (another docker may be first
# in PATH).
D=/usr/bin/docker
TMP=$(mktemp -d /tmp/bpfmap-image.XXXXXX)
PREFIX=$(random_prefix)
CTR=bpfmap-test-$PREFIX   # container names: all start with this
SUMMARY_DONE=0
DAEMON_UP=0

cleanup() {
	local rc=$? c
	if ((!SUMMARY_DONE)); then
		fail "image/run.sh" "aborted (exit $rc) before the end"
		summary
		rc=1
	fi
	fixture_stop_all
	if ((DAEMON_UP)); then
		for c in $($D ps -aq --filter "name=^$CTR" 2>/dev/null); do
			$D rm -f "$c" >/dev/null 2>&1
		done
		"$ROOT/tests/lib/dockerd.sh" stop "$DOCKERD_DIR"
	fi
	wait 2>/dev/null
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

out() {
	tail -n "${2:-5}" "$1" | tr '\n' ' '
}

# The flags the tests run the image with: --privileged fails on these VMs
# (they withhold CAP_SYS_RESOURCE), and the private daemon has no bridge.
RUN_FLAGS=(--cap-add SYS_ADMIN --security-opt seccomp=unconfined
	--security-opt apparmor=unconfined --pid=host --network host)

# The read-only host mounts of the README's docker run command. The
# private daemon keeps its containers' metadata in its own data root
# instead of /var/lib/docker.
MOUNTS=(-v /sys/fs/bpf:/sys/fs/bpf:ro
	-v "$DOCKERD_DIR/data/containers:/host/var/lib/docker/containers:ro")

case_daemon() {
	local t0=$SECONDS
	case_begin
	if DOCKER_HOST=$("$ROOT/tests/lib/dockerd.sh" start "$DOCKERD_DIR" 2>"$TMP/dockerd.err"); then
		export DOCKER_HOST
		DAEMON_UP=1
	else
		case_err "dockerd: $(out "$TMP/dockerd.err")"
	fi
	if ((DAEMON_UP)) && ! $D image inspect "$BASE" >/dev/null 2>&1; then
		if "$ROOT/scripts/base-image.sh" "$BASE_TAR" >"$TMP/base.log" 2>&1; then
			$D import "$BASE_TAR" "$BASE" >/dev/null 2>>"$TMP/base.log" ||
				case_err "docker import: $(out "$TMP/base.log")"
		else
			case_err "base image: $(out "$TMP/base.log")"
		fi
	fi
	echo "# docker $($D version -f '{{.Server.Version}}' 2>/dev/null), base image $BASE ready in $((SECONDS - t0)) s"
	case_end "private docker daemon and local Debian base image"
	((${#CASE_ERRS[@]} == 0))
}

case_build() {
	local t0=$SECONDS
	case_begin
	# The builder stage is tagged too: its apt layers are the next build's
	# cache, and what earlier builds left untagged can then be pruned.
	if make -s -C "$ROOT" image DOCKER="$D" BASE_IMAGE="$BASE" IMAGE="$IMAGE" \
		>"$TMP/build.log" 2>&1 &&
		make -s -C "$ROOT" image DOCKER="$D" BASE_IMAGE="$BASE" IMAGE="$BUILDER" \
			DOCKER_BUILD_FLAGS="--target builder" >>"$TMP/build.log" 2>&1; then
		$D image prune -f >/dev/null 2>&1
	else
		case_err "make image: $(out "$TMP/build.log" 15)"
	fi
	echo "# make image took $((SECONDS - t0)) s" \
		"($(grep -c 'Using cache' "$TMP/build.log") steps from the cache)"
	case_end "make image: multi-stage build on the local base image"
	((${#CASE_ERRS[@]} == 0))
}

# The image holds one file, the static and stripped binary, under 10 MB.
case_contents() {
	local size layers files bin=$TMP/image/bpfmap_exporter version
	case_begin
	size=$($D image inspect -f '{{.Size}}' "$IMAGE")
	echo "# image size: $size bytes"
	((size < 10 * 1024 * 1024)) || case_err "image is $size bytes"
	mkdir -p "$TMP/image"
	$D save "$IMAGE" | tar -C "$TMP/image" -x
	layers=$(grep -o '"[^"]*/layer.tar"' "$TMP/image/manifest.json" | tr -d '"')
	expect_eq "$(wc -w <<<"$layers")" 1 "layers"
	files=$(for l in $layers; do tar -tf "$TMP/image/$l"; done | sort | tr '\n' ' ')
	expect_eq "$files" "bpfmap_exporter " "files in the image"
	for l in $layers; do tar -C "$TMP/image" -xf "$TMP/image/$l" bpfmap_exporter; done
	if [[ -x $bin ]]; then
		readelf -d "$bin" 2>&1 | grep -q 'Dynamic section' && case_err "binary is dynamically linked"
		readelf -S "$bin" | grep -q '\.symtab' && case_err "binary is not stripped"
		BIN_FROM_IMAGE=$bin
	else
		case_err "no executable /bpfmap_exporter in the image"
	fi
	version=$($D image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$IMAGE")
	expect_eq "$version" "$VERSION" "image label org.opencontainers.image.version"
	$D run --rm "$IMAGE" --version >"$TMP/version" 2>&1
	expect_match "$TMP/version" "^bpfmap_exporter version $VERSION " "--version: $(cat "$TMP/version")"
	case_end "image: one layer, only the static stripped binary $VERSION, under 10 MB ($size bytes)"
}

# wait_container NAME PORT: up to 10 s for the container's /healthz.
wait_container() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $($D inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == true ]] || return 1
		curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$2/healthz" && return 0
		sleep 0.1
	done
	return 1
}

# The image against the host's BPF objects, scraped from the host.
case_run() {
	local m=$TMP/run.txt try id name prog lbl
	case_begin
	fixture_start host "$FIXTURE" "$PREFIX" || case_err "host fixture: $(cat "$TMP/host.err")"
	for ((try = 0; try < 5; try++)); do
		PORT=$(pick_port)
		$D run -d --name "$CTR-exporter" "${RUN_FLAGS[@]}" "${MOUNTS[@]}" "$IMAGE" \
			--web.listen-address="127.0.0.1:$PORT" --path.rootfs=/host \
			>"$TMP/run.id" 2>"$TMP/run.err" ||
			case_err "docker run: $(out "$TMP/run.err")"
		wait_container "$CTR-exporter" "$PORT" && break
		$D logs "$CTR-exporter" >"$TMP/run.log" 2>&1
		$D rm -f "$CTR-exporter" >/dev/null 2>&1
		PORT=''
		grep -qi "address already in use" "$TMP/run.log" || break
	done
	if [[ -z $PORT ]]; then
		case_err "not healthy: $(out "$TMP/run.log")"
		case_end "docker run: the image serves the host's maps, scraped from the host"
		return 1
	fi
	expect_eq "$(scrape_to "$m")" 200 "scrape"
	id=$(fixture_id host map hash)
	name=$(fixture_name host map hash)
	prog=$(fixture_name host prog prog)
	# The host fixture holds its maps itself: comm is its name, no container.
	lbl="id=\"$id\",name=\"$name\",map_type=\"hash\",prog=\"$prog\",comm=\"fixture-static\""
	expect_line "$m" "ebpf_map_entries{$lbl} 37"
	expect_line "$m" "ebpf_map_pressure{$lbl} 0.37"
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="maps"} 1'
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="owners"} 1'
	expect_line "$m" 'bpfmap_exporter_owners_host_pid_namespace 1'
	expect_line "$m" 'bpfmap_exporter_scrape_collector_success{collector="programs"} 1'
	case_end "docker run: the image serves the host's maps, scraped from the host"

	case_begin
	promtool check metrics <"$m" >"$TMP/promtool.txt" 2>&1 || case_err "exit code $?"
	[[ -s $TMP/promtool.txt ]] && case_err "promtool says: $(out "$TMP/promtool.txt")"
	case_end "promtool check metrics on the container's scrape is silent"
}

scrape_to() {
	curl -sS --max-time 10 -o "$1" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics" 2>>"$TMP/curl.err"
}

# A fixture inside another container: its maps are the kernel's like any
# other, so the containerized exporter must report them.
case_container_fixture() {
	local p2 m=$TMP/ctrfix.txt role id
	p2=$(random_prefix)
	case_begin
	if ! fixture_start ctr $D run -i --rm --name "$CTR-fixture" --cap-drop ALL --cap-add SYS_ADMIN \
		-v "$FIXTURE:/fixture:ro" --network none "$BASE" /fixture "$p2"; then
		case_err "fixture in a container: $(out "$TMP/ctr.err")"
	else
		# The fixture prints "ready" once its maps exist; one scrape suffices.
		expect_eq "$(scrape_to "$m")" 200 "scrape"
		for role in hash lru pcpu; do
			id=$(fixture_id ctr map "$role")
			expect_match "$m" "^ebpf_map_entries\\{id=\"$id\",name=\"${p2}_$role\"," \
				"no series for the container's map ${p2}_$role (id $id)"
		done
		# Attributed to that container: its name from docker's own state under
		# /host, found through the holder's cgroup (/docker/<id>).
		id=$(fixture_id ctr map hash)
		expect_line "$m" "ebpf_map_entries{id=\"$id\",name=\"${p2}_hash\",map_type=\"hash\",prog=\"${p2}_prog\",comm=\"fixture\",container=\"$CTR-fixture\"} 37"
		expect_match "$m" "^ebpf_container_maps\\{container_id=\"[0-9a-f]{64}\",container=\"$CTR-fixture\"\\} [1-9]" \
			"no per-container map count for $CTR-fixture"
	fi
	case_end "a fixture container's maps are exported and attributed to that container"
}

# Minimal privileges, for real: docker's default seccomp profile with
# only CAP_SYS_ADMIN (this docker, 20.10, does not know CAP_BPF); the
# image's binary with only CAP_BPF + CAP_PERFMON (what newer runtimes can
# grant instead); and the failures without them.
case_privileges() {
	local line rc
	line="ebpf_map_entries{id=\"$(fixture_id host map hash)\",name=\"$(fixture_name host map hash)\",map_type=\"hash\",prog=\"$(fixture_name host prog prog)\"} 37"
	case_begin
	timeout 60 $D run --rm --name "$CTR-caps" --cap-drop ALL --cap-add SYS_ADMIN --network none \
		"$IMAGE" --once >"$TMP/caps.txt" 2>"$TMP/caps.err"
	expect_eq "$?" 0 "exit code ($(out "$TMP/caps.err" 2))"
	expect_line "$TMP/caps.txt" "$line"
	case_end "docker run --cap-drop ALL --cap-add SYS_ADMIN, default seccomp profile: works"

	case_begin
	timeout 60 $D run --rm --name "$CTR-nocaps" --network none "$IMAGE" --once \
		>/dev/null 2>"$TMP/nocaps.err"
	rc=$?
	expect_eq "$rc" 1 "exit code"
	expect_grep_i "$TMP/nocaps.err" "Operation not permitted" "log"
	expect_grep_i "$TMP/nocaps.err" "CAP_BPF" "log"
	case_end "docker run with docker's default capabilities: exit 1 naming CAP_BPF"

	case_begin
	if [[ -n ${BIN_FROM_IMAGE:-} ]]; then
		(cd / && timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=-all,+bpf,+perfmon --ambient-caps=-all,+bpf,+perfmon \
			"$BIN_FROM_IMAGE" --once) >"$TMP/bpfcaps.txt" 2>"$TMP/bpfcaps.err"
		expect_eq "$?" 0 "exit code with CAP_BPF+CAP_PERFMON ($(out "$TMP/bpfcaps.err" 2))"
		# On the host, unlike in a container of its own: the holder is seen.
		expect_line "$TMP/bpfcaps.txt" "${line%\} 37},comm=\"fixture-static\"} 37"
		(cd / && timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=-all,+bpf --ambient-caps=-all,+bpf \
			"$BIN_FROM_IMAGE" --once) >/dev/null 2>&1
		expect_eq "$?" 1 "exit code with CAP_BPF alone"
	else
		case_err "no binary extracted from the image"
	fi
	case_end "the image's binary as nobody with only CAP_BPF + CAP_PERFMON: works (CAP_BPF alone: fails)"
}

# docker stop sends SIGTERM: the exporter must exit 0 at once, not be
# killed after docker's grace period.
case_stop() {
	local t0=$SECONDS code
	case_begin
	$D stop -t 10 "$CTR-exporter" >/dev/null 2>&1
	code=$($D inspect -f '{{.State.ExitCode}}' "$CTR-exporter" 2>&1)
	expect_eq "$code" 0 "exit code"
	((SECONDS - t0 < 5)) || case_err "took $((SECONDS - t0)) s"
	$D logs "$CTR-exporter" >"$TMP/run.log" 2>&1
	expect_grep_i "$TMP/run.log" "shutting down" "log"
	$D rm -f "$CTR-exporter" >/dev/null 2>&1
	case_end "docker stop: the exporter exits 0 on SIGTERM"
}

main() {
	if [[ ! -x $FIXTURE ]]; then
		fail "setup" "$FIXTURE is not executable"
	elif case_daemon && case_build; then
		case_contents
		if case_run; then
			case_container_fixture
			case_privileges
			case_stop
		fi
	fi
	SUMMARY_DONE=1
	summary
}

main
