#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# End-to-end test of owner attribution against a live kernel.
#
#   owners.sh BIN OWNER_FIXTURE     (as root; BIN may be an ASan/UBSan build)
#
# Real processes hold real BPF objects: in docker containers (a private
# daemon, FROM scratch image), in hand-made Kubernetes-style cgroup trees
# (systemd and cgroupfs spellings) with kubelet and runtime state files
# under a temporary root, pinned in a private bpffs, or held by nobody.
# Every object has a unique name; everything created is removed at exit.
# Prints "ok - ..." / "not ok - ..." per case, then "N passed, N failed".

set -u

if (($# != 2)); then
	echo "usage: $0 BIN OWNER_FIXTURE" >&2
	exit 2
fi
BIN=$(realpath -- "$1")
FIXTURE=$(realpath -- "$2")
BUILD_DIR=$(dirname -- "$BIN") # its BPF objects and the bench's objects tool
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
REPO=$(cd -- "$HERE/../.." && pwd)
DOCKERD_DIR=$REPO/.cache/docker
# shellcheck source=lib.sh
. "$HERE/lib.sh"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
IS_SAN=0
grep -qa -e __asan_init -e __ubsan_handle "$BIN" && IS_SAN=1

TMP=$(mktemp -d /tmp/bpfmap-owners.XXXXXX)
PREFIX=o$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-4)
ROOT=$TMP/root        # the fake host root (--path.rootfs)
BPFFS=$TMP/bpffs      # a private bpffs instance
IMAGE=bpfmap-owners-test:$PREFIX
CG2=''                # the cgroup2 mount
CGTOP=''              # our own subtree in it
DOCKER_UP=0
SUMMARY_DONE=0
PIDS=()               # exporters
FIXTURE_PID=''        # lib.sh's single fixture: unused here (see HFX)
declare -A HFX        # host fixture name -> pid
declare -A OBJ        # "map:NAME" / "prog:NAME" / "link:NAME" -> id
declare -A CID CPID   # container name -> full id, host pid of its fixture
CONTAINERS=()

dk() { DOCKER_HOST=$DOCKER_HOST /usr/bin/docker "$@"; }

# Everything this suite creates besides what lib.sh's cleanup handles.
owners_cleanup() {
	local rc=$? name pid
	# Processes first: their cgroups and mounts can go only once they have.
	for pid in "${PIDS[@]}" "${HFX[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if ((DOCKER_UP)); then
		for name in "${CONTAINERS[@]}"; do
			dk rm -f "$name" >/dev/null 2>&1
		done
		dk rmi "$IMAGE" >/dev/null 2>&1
		"$REPO/tests/lib/dockerd.sh" stop "$DOCKERD_DIR"
	fi
	# Deepest first; a cgroup is removable once its processes are gone.
	if [[ -n $CGTOP && -d $CGTOP ]]; then
		find "$CGTOP" -depth -type d -exec rmdir {} + 2>/dev/null
		[[ -d $CGTOP ]] && echo "# owners.sh: could not remove $CGTOP" >&2
	fi
	mountpoint -q "$ROOT/var/lib/docker" 2>/dev/null && umount "$ROOT/var/lib/docker"
	mountpoint -q "$BPFFS" 2>/dev/null && umount "$BPFFS"
	(exit "$rc")
	cleanup
}
trap owners_cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- helpers -----------------------------------------------------------------

# read_ids FILE: "map NAME ID" lines of a fixture's output into OBJ.
read_ids() {
	local kind name id
	while read -r kind name id; do
		case $kind in
		map | prog | link) OBJ[$kind:$name]=$id ;;
		esac
	done <"$1"
}

# start_host NAME CGROUP_DIR|- ARGS...: a fixture on the host, moved into
# the cgroup (if given) once it is ready.
start_host() {
	local name=$1 cg=$2 out=$TMP/host-$1.out i
	shift 2
	"$FIXTURE" "$@" >"$out" 2>"$out.err" </dev/null &
	HFX[$name]=$!
	for ((i = 0; i < 100; i++)); do
		grep -qx ready "$out" && break
		kill -0 "${HFX[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -qx ready "$out"; then
		case_err "fixture $name not ready: $(cat "$out.err")"
		return 1
	fi
	read_ids "$out"
	if [[ $cg != - ]] && ! echo "${HFX[$name]}" >"$cg/cgroup.procs"; then
		case_err "cannot move fixture $name into $cg"
		return 1
	fi
	return 0
}

# stop_host NAME: SIGTERM, reaped, so its fds are closed when this returns.
stop_host() {
	kill -TERM "${HFX[$1]}" 2>/dev/null
	wait "${HFX[$1]}" 2>/dev/null
	unset 'HFX[$1]'
}

# start_container NAME ARGS...: a fixture alone in a container.
start_container() {
	local name=$1 i
	shift
	CONTAINERS+=("$name")
	if ! dk run -d --name "$name" --network none --cap-add SYS_ADMIN \
		--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
		"$IMAGE" /owner_fixture "$@" >"$TMP/$name.id" 2>"$TMP/$name.err"; then
		case_err "docker run $name: $(cat "$TMP/$name.err")"
		return 1
	fi
	for ((i = 0; i < 100; i++)); do
		dk logs "$name" >"$TMP/$name.out" 2>&1
		grep -qx ready "$TMP/$name.out" && break
		sleep 0.05
	done
	if ! grep -qx ready "$TMP/$name.out"; then
		case_err "container $name not ready: $(cat "$TMP/$name.out")"
		return 1
	fi
	read_ids "$TMP/$name.out"
	CID[$name]=$(cat "$TMP/$name.id")
	CPID[$name]=$(dk inspect -f '{{.State.Pid}}' "$name")
	return 0
}

# cgroup_of PID: its cgroup v2 path, as the kernel names it.
cgroup_of() {
	sed -n 's/^0:://p' "/proc/$1/cgroup"
}

# once LOG ARGS...: one exposition from a fresh exporter (no cache), to $TMP/once.txt.
once() {
	local log=$1
	shift
	timeout 60 "$BIN" --once --path.rootfs="$ROOT" "$@" >"$TMP/once.txt" 2>"$log"
}

# owner_line MAP|PROG ID VIA PID [CONTAINER_ID CONTAINER POD NAMESPACE]: an owner info line.
owner_line() {
	local l="ebpf_${1}_owner_info{id=\"$2\",owner=\"process\",via=\"$3\",comm=\"owner_fixture\",pid=\"$4\""
	[[ -n ${5:-} ]] && l+=",container_id=\"$5\""
	[[ -n ${6:-} ]] && l+=",container=\"$6\""
	[[ -n ${7:-} ]] && l+=",pod=\"$7\""
	[[ -n ${8:-} ]] && l+=",namespace=\"$8\""
	echo "$l,cgroup=\"$(cgroup_of "$4")\"} 1"
}

# --- setup ---------------------------------------------------------------------

K_NS=owners-$PREFIX
K1_POD=agent-$PREFIX
K2_POD=collector-$PREFIX
K1_UID=$(cat /proc/sys/kernel/random/uuid)
K2_UID=$(cat /proc/sys/kernel/random/uuid)
K1_ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
K2_ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
K1_STATE=$ROOT/run/containerd/io.containerd.runtime.v2.task/k8s.io/$K1_ID/config.json

# containerd (systemd driver): the container's name from its bundle's
# annotations; CRI-O (cgroupfs driver): from its own; both pods' names
# from the kubelet's log directories.
make_root() {
	mkdir -p "$ROOT/var/lib/docker" "$(dirname "$K1_STATE")" \
		"$ROOT/run/containers/storage/overlay-containers/$K2_ID/userdata" \
		"$ROOT/var/log/pods/${K_NS}_${K1_POD}_$K1_UID/agent" \
		"$ROOT/var/log/pods/${K_NS}_${K2_POD}_$K2_UID/collector" || return 1
	printf '{"ociVersion":"1.1.0","annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.container-name":"agent"}}\n' \
		>"$K1_STATE"
	printf '{"annotations":{"io.kubernetes.container.name":"collector"}}\n' \
		>"$ROOT/run/containers/storage/overlay-containers/$K2_ID/userdata/config.json"
	# The private daemon's state is where a host's /var/lib/docker would be.
	mount --bind "$DOCKERD_DIR/data" "$ROOT/var/lib/docker" &&
		mount -o remount,ro,bind "$ROOT/var/lib/docker"
}

make_cgroups() {
	CG2=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
	[[ -n $CG2 ]] || return 1
	CGTOP=$CG2/bpfmap-test-$PREFIX
	K1_CG=$CGTOP/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${K1_UID//-/_}.slice/cri-containerd-$K1_ID.scope
	K2_CG=$CGTOP/kubepods/besteffort/pod$K2_UID/$K2_ID
	mkdir -p "$K1_CG" "$K2_CG"
}

# The fixture alone, FROM scratch; /lib and /lib64 as on the host, so a
# sanitizer build (dynamic) can run with the host's /usr mounted.
make_image() {
	local ctx=$TMP/image d
	mkdir -p "$ctx/usr" && cp "$FIXTURE" "$ctx/owner_fixture" || return 1
	for d in lib lib64; do
		if [[ -L /$d ]]; then
			ln -s "$(readlink "/$d")" "$ctx/$d"
		else
			mkdir -p "$ctx/$d"
		fi
	done
	tar -C "$ctx" -c . | dk import - "$IMAGE" >/dev/null
}

case_a_setup() {
	case_begin
	# The daemon first: the fake root shows its state directory.
	DOCKER_HOST=$("$REPO/tests/lib/dockerd.sh" start "$DOCKERD_DIR") && DOCKER_UP=1 ||
		case_err "private docker daemon did not start"
	((DOCKER_UP)) && { make_image || case_err "cannot import the test image"; }
	make_root || case_err "cannot make the fake root $ROOT"
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || case_err "cannot mount a bpffs at $BPFFS"
	make_cgroups || case_err "no cgroup2 mount to make Kubernetes-style trees in"
	cat >"$TMP/owners.yaml" <<EOF
paths:
  bpffs: [$BPFFS]
EOF
	LOG=$TMP/exporter.log
	if ! start_exporter "$LOG" --config.file="$TMP/owners.yaml" --path.rootfs="$ROOT"; then
		case_err "exporter not healthy within 10 s"
	fi
	PORT=${EXP_PORT:-}
	MAIN_PID=${EXP_PID:-}
	echo "# prefix $PREFIX, exporter on 127.0.0.1:$PORT, cgroups under $CGTOP"
	case_end "a. setup: fake root, bpffs, cgroup trees, docker daemon and image, exporter" "$LOG"
	((${#CASE_ERRS[@]} == 0))
}

# --- cases -----------------------------------------------------------------------

DA=bpfmap-own-$PREFIX-a
DB=bpfmap-own-$PREFIX-b

case_b_docker() {
	local m=$TMP/b.txt a b
	case_begin
	start_container "$DA" map "${PREFIX}_dka" || { case_end "b. docker: container id and name on its map"; return; }
	a=${OBJ[map:${PREFIX}_dka]}
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_line "$m" "ebpf_map_max_entries{id=\"$a\",name=\"${PREFIX}_dka\",map_type=\"hash\",comm=\"owner_fixture\",container=\"$DA\"} 16"
	expect_line "$m" "ebpf_map_entries{id=\"$a\",name=\"${PREFIX}_dka\",map_type=\"hash\",comm=\"owner_fixture\",container=\"$DA\"} 3"
	expect_line "$m" "$(owner_line map "$a" fd "${CPID[$DA]}" "${CID[$DA]}" "$DA")"
	expect_line "$m" "ebpf_container_maps{container_id=\"${CID[$DA]}\",container=\"$DA\"} 1"
	expect_line "$m" "ebpf_container_map_max_entries{container_id=\"${CID[$DA]}\",container=\"$DA\"} 16"
	expect_line "$m" "ebpf_container_map_entries{container_id=\"${CID[$DA]}\",container=\"$DA\"} 3"
	case_end "b. docker: container id and name on its map (cgroup $(cgroup_of "${CPID[$DA]}"))" "$LOG"

	case_begin
	start_container "$DB" map "${PREFIX}_dkb" hold "$a" || { case_end "c. one map held in two containers"; return; }
	b=${OBJ[map:${PREFIX}_dkb]}
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	# Both containers, sorted by name; comm is the same, so once.
	expect_line "$m" "ebpf_map_max_entries{id=\"$a\",name=\"${PREFIX}_dka\",map_type=\"hash\",comm=\"owner_fixture\",container=\"$DA,$DB\"} 16"
	expect_line "$m" "$(owner_line map "$a" fd "${CPID[$DA]}" "${CID[$DA]}" "$DA")"
	expect_line "$m" "$(owner_line map "$a" fd "${CPID[$DB]}" "${CID[$DB]}" "$DB")"
	expect_line "$m" "ebpf_map_max_entries{id=\"$b\",name=\"${PREFIX}_dkb\",map_type=\"hash\",comm=\"owner_fixture\",container=\"$DB\"} 16"
	# The shared map counts for each container.
	expect_line "$m" "ebpf_container_maps{container_id=\"${CID[$DA]}\",container=\"$DA\"} 1"
	expect_line "$m" "ebpf_container_maps{container_id=\"${CID[$DB]}\",container=\"$DB\"} 2"
	expect_line "$m" "ebpf_container_map_max_entries{container_id=\"${CID[$DB]}\",container=\"$DB\"} 32"
	case_end "c. one map held in two containers: both owners, counted in each" "$LOG"
}

# run_exporter_container NAME PORT DOCKER_ARGS... -- EXPORTER_ARGS...: the
# exporter in a container of its own, FROM scratch as shipped.
run_exporter_container() {
	local name=$1 port=$2 args=() env=()
	shift 2
	while (($#)) && [[ $1 != -- ]]; do
		args+=("$1")
		shift
	done
	shift
	CONTAINERS+=("$name")
	if ((IS_SAN)); then
		# A sanitizer build is dynamic: the host's libraries; no leak check
		# in there (it needs ptrace; the host runs of this suite check leaks).
		args+=(-v /usr:/usr:ro)
		env+=(-e "ASAN_OPTIONS=detect_leaks=0" -e "UBSAN_OPTIONS=$UBSAN_OPTIONS")
	fi
	dk run -d --name "$name" --network host --cap-add SYS_ADMIN \
		--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
		"${args[@]}" "${env[@]}" -v "$BIN:/bpfmap_exporter:ro" "$IMAGE" \
		/bpfmap_exporter --web.listen-address="127.0.0.1:$port" "$@" \
		>/dev/null 2>"$TMP/$name.err" || return 1
	wait_healthz "$port"
}

case_d_in_container() {
	local m=$TMP/d.txt port name=bpfmap-own-$PREFIX-hostpid a=${OBJ[map:${PREFIX}_dka]}
	case_begin
	port=$(pick_port)
	if run_exporter_container "$name" "$port" --pid=host -v "$ROOT:/host:ro" -- \
		--path.rootfs=/host; then
		expect_eq "$(scrape "$port" "$m")" 200 "scrape"
		expect_line "$m" "bpfmap_exporter_owners_host_pid_namespace 1"
		expect_line "$m" "$(owner_line map "$a" fd "${CPID[$DA]}" "${CID[$DA]}" "$DA")"
		expect_line "$m" "$(owner_line map "$a" fd "${CPID[$DB]}" "${CID[$DB]}" "$DB")"
		expect_line "$m" "ebpf_map_max_entries{id=\"$a\",name=\"${PREFIX}_dka\",map_type=\"hash\",comm=\"owner_fixture\",container=\"$DA,$DB\"} 16"
	else
		case_err "exporter container not healthy: $(cat "$TMP/$name.err") $(dk logs "$name" 2>&1 | tail -n5)"
	fi
	dk logs "$name" >"$TMP/d.log" 2>&1
	dk rm -f "$name" >/dev/null 2>&1
	case_end "d. exporter in a container with hostPID and the host root mounted: same owners and names" "$TMP/d.log"

	name=bpfmap-own-$PREFIX-ownpid
	case_begin
	port=$(pick_port)
	if run_exporter_container "$name" "$port" --; then
		expect_eq "$(scrape "$port" "$m")" 200 "scrape"
		expect_eq "$(scrape "$port" "$m")" 200 "second scrape"
		expect_line "$m" "bpfmap_exporter_owners_host_pid_namespace 0"
		expect_line "$m" "ebpf_map_owner_info{id=\"$a\",owner=\"unknown\"} 1"
		expect_line "$m" "ebpf_map_max_entries{id=\"$a\",name=\"${PREFIX}_dka\",map_type=\"hash\"} 16"
	else
		case_err "exporter container not healthy: $(cat "$TMP/$name.err") $(dk logs "$name" 2>&1 | tail -n5)"
	fi
	dk logs "$name" >"$TMP/e.log" 2>&1
	expect_eq "$(grep -c 'level=warn.*own PID namespace' "$TMP/e.log")" 1 "PID namespace warnings over two scrapes"
	dk rm -f "$name" >/dev/null 2>&1
	case_end "e. exporter in its own PID namespace: one warning, metric 0, owners unknown" "$TMP/e.log"
}

case_f_kubernetes() {
	local m=$TMP/f.txt k1 k2 k1b p1 p1b p2
	case_begin
	start_host k1 "$K1_CG" map "${PREFIX}_k1" || { case_end "f. Kubernetes, systemd driver"; return; }
	start_host k1b "$K1_CG" map "${PREFIX}_k1b" hold "${OBJ[map:${PREFIX}_k1]}" || true
	k1=${OBJ[map:${PREFIX}_k1]}
	p1=${HFX[k1]}
	p1b=${HFX[k1b]}
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_line "$m" "ebpf_map_max_entries{id=\"$k1\",name=\"${PREFIX}_k1\",map_type=\"hash\",comm=\"owner_fixture\",container=\"agent\",pod=\"$K1_POD\",namespace=\"$K_NS\"} 16"
	expect_line "$m" "$(owner_line map "$k1" fd "$p1" "$K1_ID" agent "$K1_POD" "$K_NS")"
	expect_line "$m" "$(owner_line map "$k1" fd "$p1b" "$K1_ID" agent "$K1_POD" "$K_NS")"
	# Two processes, one container: each map counts once for it and its pod.
	expect_line "$m" "ebpf_container_maps{container_id=\"$K1_ID\",container=\"agent\",pod=\"$K1_POD\",namespace=\"$K_NS\"} 2"
	expect_line "$m" "ebpf_pod_maps{pod_uid=\"$K1_UID\",pod=\"$K1_POD\",namespace=\"$K_NS\"} 2"
	expect_line "$m" "ebpf_pod_map_entries{pod_uid=\"$K1_UID\",pod=\"$K1_POD\",namespace=\"$K_NS\"} 6"
	[[ $(cgroup_of "$p1") == */cri-containerd-$K1_ID.scope ]] || case_err "fixture not in $K1_CG"
	case_end "f. Kubernetes, systemd driver, containerd: pod, namespace, container" "$LOG"

	case_begin
	start_host k2 "$K2_CG" map "${PREFIX}_k2" linkprog "${PREFIX}_k2l" || { case_end "g. Kubernetes, cgroupfs driver"; return; }
	k2=${OBJ[map:${PREFIX}_k2]}
	p2=${HFX[k2]}
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_line "$m" "ebpf_map_max_entries{id=\"$k2\",name=\"${PREFIX}_k2\",map_type=\"hash\",comm=\"owner_fixture\",container=\"collector\",pod=\"$K2_POD\",namespace=\"$K_NS\"} 16"
	expect_line "$m" "$(owner_line map "$k2" fd "$p2" "$K2_ID" collector "$K2_POD" "$K_NS")"
	expect_line "$m" "$(owner_line prog "${OBJ[prog:${PREFIX}_k2l]}" link "$p2" "$K2_ID" collector "$K2_POD" "$K_NS")"
	expect_line "$m" "ebpf_pod_maps{pod_uid=\"$K2_UID\",pod=\"$K2_POD\",namespace=\"$K_NS\"} 1"
	expect_line "$m" "ebpf_pod_programs{pod_uid=\"$K2_UID\",pod=\"$K2_POD\",namespace=\"$K_NS\"} 1"
	expect_line "$m" "ebpf_container_programs{container_id=\"$K2_ID\",container=\"collector\",pod=\"$K2_POD\",namespace=\"$K_NS\"} 1"
	case_end "g. Kubernetes, cgroupfs driver, CRI-O: pod, namespace, container; a program held by a link" "$LOG"
}

case_h_pins() {
	local m=$TMP/h.txt p=$PREFIX pin vp vpp sk skp lk f1 f2
	case_begin
	start_host f1 - map "${p}_pin" pin "${p}_pin" "$BPFFS/${p}_pin" \
		map "${p}_vp" prog "${p}_vpp" "${p}_vp" \
		map "${p}_sk" sockprog "${p}_skp" "${p}_sk" \
		linkprog "${p}_lk" || { case_end "h. pinned, unheld, held through a program or a link"; return; }
	pin=${OBJ[map:${p}_pin]} vp=${OBJ[map:${p}_vp]} vpp=${OBJ[prog:${p}_vpp]}
	sk=${OBJ[map:${p}_sk]} skp=${OBJ[prog:${p}_skp]} lk=${OBJ[prog:${p}_lk]}
	f1=${HFX[f1]}
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	# Pinned only: no process label at all.
	expect_line "$m" "ebpf_map_owner_info{id=\"$pin\",owner=\"pinned\"} 1"
	expect_line "$m" "ebpf_map_pin_info{id=\"$pin\",path=\"$BPFFS/${p}_pin\"} 1"
	expect_line "$m" "ebpf_map_max_entries{id=\"$pin\",name=\"${p}_pin\",map_type=\"hash\"} 16"
	# Held through the program that uses it.
	expect_line "$m" "$(owner_line map "$vp" program "$f1")"
	expect_line "$m" "$(owner_line prog "$vpp" fd "$f1")"
	expect_line "$m" "ebpf_map_max_entries{id=\"$vp\",name=\"${p}_vp\",map_type=\"hash\",prog=\"${p}_vpp\",comm=\"owner_fixture\"} 16"
	# Kept only by a socket's filter: no process holds either.
	expect_line "$m" "ebpf_map_owner_info{id=\"$sk\",owner=\"none\"} 1"
	expect_line "$m" "ebpf_prog_owner_info{id=\"$skp\",owner=\"none\"} 1"
	expect_line "$m" "ebpf_map_max_entries{id=\"$sk\",name=\"${p}_sk\",map_type=\"hash\",prog=\"${p}_skp\"} 16"
	# Held through a link only.
	expect_line "$m" "$(owner_line prog "$lk" link "$f1")"
	case_end "h. pinned, unheld, held through a program or a link" "$LOG"

	case_begin
	start_host f3 - holdlink "${OBJ[link:${p}_lk]}" || { case_end "h. a link opened by id"; return; }
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_line "$m" "$(owner_line prog "$lk" link "$f1")"
	expect_line "$m" "$(owner_line prog "$lk" link "${HFX[f3]}")"
	stop_host f3
	case_end "h. a link opened by id (a \"bpf-link\" file) holds its program too" "$LOG"

	case_begin
	start_host f2 - hold "$pin" || { case_end "h. a pinned map that a process holds too"; return; }
	f2=${HFX[f2]}
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_line "$m" "$(owner_line map "$pin" fd "$f2")"
	expect_line "$m" "ebpf_map_pin_info{id=\"$pin\",path=\"$BPFFS/${p}_pin\"} 1"
	expect_no_match "$m" "^ebpf_map_owner_info\{id=\"$pin\",owner=\"pinned\"" "still owner=pinned"
	stop_host f2
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape after the holder left"
	expect_line "$m" "ebpf_map_owner_info{id=\"$pin\",owner=\"pinned\"} 1"
	case_end "h. a pinned map that a process holds too, then not" "$LOG"
}

case_i_config() {
	local vp=${OBJ[map:${PREFIX}_vp]} m=$TMP/once.txt
	case_begin
	printf 'paths:\n  bpffs: [%s]\nowners:\n  via_programs: false\n' "$BPFFS" >"$TMP/i.yaml"
	once "$TMP/i.log" --config.file="$TMP/i.yaml" || case_err "exit code $?"
	expect_line "$m" "ebpf_map_owner_info{id=\"$vp\",owner=\"none\"} 1"
	expect_line "$m" "ebpf_map_max_entries{id=\"$vp\",name=\"${PREFIX}_vp\",map_type=\"hash\",prog=\"${PREFIX}_vpp\"} 16"
	case_end "i. owners.via_programs: false: a map held only through a program has no owner" "$TMP/i.log"

	case_begin
	once "$TMP/j.log" --no-collector.owners || case_err "exit code $?"
	expect_line "$m" "ebpf_map_max_entries{id=\"$vp\",name=\"${PREFIX}_vp\",map_type=\"hash\",prog=\"${PREFIX}_vpp\"} 16"
	expect_no_match "$m" '^ebpf_(map|prog)_(owner|pin)_info\{' "owner series"
	expect_no_match "$m" '^ebpf_(container|pod)_' "workload series"
	expect_no_match "$m" 'collector="owners"' "owners collector reported"
	expect_no_match "$m" '[{,]comm="' "comm label"
	case_end "j. --no-collector.owners: maps and programs without owners" "$TMP/j.log"

	# Selected owner labels (all of them), and a filter on one.
	case_begin
	printf 'labels:\n  maps: [id, comm, pid, container_id, container, pod, namespace, cgroup]\nfilters:\n  maps:\n    include: {namespace: %s}\n' \
		"$K_NS" >"$TMP/k.yaml"
	once "$TMP/k.log" --config.file="$TMP/k.yaml" || case_err "exit code $?"
	expect_line "$m" "ebpf_map_max_entries{id=\"${OBJ[map:${PREFIX}_k1]}\",comm=\"owner_fixture\",pid=\"${HFX[k1]},${HFX[k1b]}\",container_id=\"$K1_ID\",container=\"agent\",pod=\"$K1_POD\",namespace=\"$K_NS\",cgroup=\"$(cgroup_of "${HFX[k1]}")\"} 16"
	expect_eq "$(grep -c '^ebpf_map_max_entries{' "$m")" 3 "maps in namespace $K_NS (k1, k1b, k2)"
	case_end "k. every owner label selectable; filters on owner labels" "$TMP/k.log"
}

case_m_promtool() {
	case_begin
	expect_eq "$(scrape "$PORT" "$TMP/m.txt")" 200 "scrape"
	expect_promtool "$TMP/m.txt"
	case_end "m. promtool check metrics is silent with every owner series present"
}

case_n_exits() {
	local m=$TMP/n.txt a=${OBJ[map:${PREFIX}_dka]} b=${OBJ[map:${PREFIX}_dkb]} p=$PREFIX
	local gone o re i left
	case_begin
	dk rm -f "$DB" >/dev/null 2>&1
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_line "$m" "ebpf_map_max_entries{id=\"$a\",name=\"${p}_dka\",map_type=\"hash\",comm=\"owner_fixture\",container=\"$DA\"} 16"
	expect_no_match "$m" "container_id=\"${CID[$DB]}\"" "the removed container"
	expect_no_match "$m" "[{,]id=\"$b\"[,}]" "the removed container's own map"
	expect_line "$m" "ebpf_container_maps{container_id=\"${CID[$DA]}\",container=\"$DA\"} 1"

	stop_host f1
	stop_host k2
	# Objects that a program or a socket kept are freed by the kernel a
	# moment later (after an RCU grace period): wait up to 5 s for them.
	gone=()
	for o in "map:${p}_vp" "map:${p}_sk" "prog:${p}_lk" "map:${p}_k2"; do
		gone+=("[{,]id=\"${OBJ[$o]}\"[,}]")
	done
	for ((i = 0; i < 50; i++)); do
		expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
		left=0
		for re in "${gone[@]}"; do
			grep -qE -- "$re" "$m" && left=1
		done
		((left)) || break
		sleep 0.1
	done
	echo "# objects of the holders that left were gone after $i rescrapes"
	for re in "${gone[@]}"; do
		expect_no_match "$m" "$re" "still there 5 s after its holders left"
	done
	expect_line "$m" "ebpf_map_owner_info{id=\"${OBJ[map:${p}_pin]}\",owner=\"pinned\"} 1"
	expect_no_match "$m" "pod_uid=\"$K2_UID\"" "the pod whose processes left"
	case_end "n. holders leaving between scrapes: their labels and series go" "$LOG"
}

case_o_name_cache() {
	local m=$TMP/o.txt k1=${OBJ[map:${PREFIX}_k1]}
	case_begin
	# Names are cached while the container lives: a change is not seen...
	sed -i 's/"io.kubernetes.cri.container-name":"agent"/"io.kubernetes.cri.container-name":"agent-v2"/' "$K1_STATE"
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_match "$m" "^ebpf_map_max_entries\{id=\"$k1\",.*,container=\"agent\"," "cached name"
	# ... and forgotten once its processes are gone: the same id is read anew.
	stop_host k1
	stop_host k1b
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_no_match "$m" "container_id=\"$K1_ID\"" "container after its processes left"
	start_host k1c "$K1_CG" map "${PREFIX}_k1c" || true
	expect_eq "$(scrape "$PORT" "$m")" 200 "scrape"
	expect_line "$m" "ebpf_map_max_entries{id=\"${OBJ[map:${PREFIX}_k1c]}\",name=\"${PREFIX}_k1c\",map_type=\"hash\",comm=\"owner_fixture\",container=\"agent-v2\",pod=\"$K1_POD\",namespace=\"$K_NS\"} 16"
	stop_host k1c
	case_end "o. names cached per container, forgotten when it goes away" "$LOG"
}

# The owners iterator as this exporter loaded it (its own link, pinned): the
# per-session memory holds when one thread reads two sessions by turns.
case_q_sessions() {
	local objects=$BUILD_DIR/tests/objects pin=$BPFFS/${PREFIX}q_task_file line state=session
	case_begin
	if [[ ! -x $objects ]]; then
		case_err "$objects is missing (make integration builds it)"
		case_end "q. one thread reads two owner sessions by turns"
		return
	fi
	# Where the kernel has bpf_rdonly_cast the memory is the reading thread's.
	grep -qF "owners: object ids read with bpf_rdonly_cast" "$LOG" && state=thread
	coproc OBJECTS { "$objects" "${PREFIX}q" 3000 10 1; }
	PIDS+=("$OBJECTS_PID")
	read -r -t 60 -u "${OBJECTS[0]}" line
	[[ ${line:-} == ready ]] || case_err "objects did not start"
	"$REPO/tests/lib/iter_links.py" "$MAIN_PID" "$BPFFS" "${PREFIX}q" >/dev/null ||
		case_err "pinning the exporter's iterator links"
	"$HERE/owner_sessions.py" "$pin" 3000 "$state" >"$TMP/q.txt" 2>&1 ||
		case_err "$(cat "$TMP/q.txt")"
	rm -f "$BPFFS/${PREFIX}"q_*
	exec {OBJECTS[1]}>&-
	wait "$OBJECTS_PID" 2>/dev/null
	case_end "q. one thread reads two owner sessions by turns ($state memory): $(tail -1 "$TMP/q.txt")"
}

case_p_shutdown() {
	local rc f i
	case_begin
	kill -TERM "$MAIN_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$MAIN_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$MAIN_PID" 2>/dev/null; then
		case_err "exporter still running 5 s after SIGTERM"
	else
		wait "$MAIN_PID"
		rc=$?
		expect_eq "$rc" 0 "exit code on SIGTERM"
	fi
	PIDS=()
	for f in "$TMP"/*.log; do
		grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" &&
			case_err "sanitizer report in $(basename "$f")"
	done
	case_end "p. SIGTERM: exit 0, no sanitizer reports" "$LOG"
}

main() {
	if [[ ! -x $BIN || ! -x $FIXTURE ]]; then
		fail "setup" "$BIN or $FIXTURE is not executable"
		summary
		return
	fi
	if case_a_setup; then
		case_b_docker
		case_d_in_container
		case_f_kubernetes
		case_h_pins
		case_i_config
		case_m_promtool
		case_n_exits
		case_o_name_cache
		case_q_sessions
		case_p_shutdown
	fi
	SUMMARY_DONE=1
	summary
}

main
