// SPDX-License-Identifier: Apache-2.0
/*
 * Fixture of the programs/links/ring buffer suite (progs.sh): loads
 * progs_fixture.bpf.c and attaches its programs through links, prints
 * their ids, then runs them on command.
 *
 * Usage: progs_fixture CGROUP_DIR NETNS_PATH IFNAME
 *   CGROUP_DIR  a cgroup2 directory: the cgroup_skb program's link
 *   NETNS_PATH  a network namespace (/run/netns/NAME) holding IFNAME:
 *               the XDP program's link, and tcx's and a netfilter hook's
 *               (IPv4 local input) where the kernel has them
 *
 * stdout: "prog ROLE ID", "link ROLE ID", "map ROLE ID" lines, then
 * "ready" ("link tcx 0", "link netfilter 0", "link fentry 0": not on this
 * kernel). stdin commands:
 *   "rename N"   renames its main thread N times (the tracing and raw
 *                tracepoint programs run), answers "done"
 *   "ring N"     runs the ring buffer writer N times, answers "done"
 *   "exit" or EOF: detaches everything and exits 0.
 * Any error: message on stderr, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "progs_fentry.skel.h"
#include "progs_fixture.skel.h"

/* UAPI values newer than this libbpf's headers (linux/bpf.h of 6.1). */
#define TCX_INGRESS 46 /* BPF_TCX_INGRESS */
#define PROG_TYPE_NETFILTER 32 /* BPF_PROG_TYPE_NETFILTER, 6.4+ */
#define NETFILTER 45 /* BPF_NETFILTER */
#define NFPROTO_IPV4 2
#define NF_INET_LOCAL_IN 1
#define NF_PRIORITY -128

/* The BPF_LINK_CREATE part of union bpf_attr, netfilter flavour (6.4+). */
struct link_create_nf {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u32 pf;
	__u32 hooknum;
	__s32 priority;
	__u32 nf_flags;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "progs_fixture: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static __u32 prog_id(struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		die("prog info: %s", strerror(errno));
	return info.id;
}

static __u32 link_id(int fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("link info: %s", strerror(errno));
	return info.id;
}

static __u32 map_id(struct bpf_map *map)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len))
		die("map info: %s", strerror(errno));
	return info.id;
}

/*
 * A netfilter program (accepts everything) linked to IPv4 local input of
 * the current network namespace: an fd, or -1 where the kernel has no
 * netfilter links (before 6.4). Built by hand: this libbpf knows neither
 * the program type nor its link.
 */
static int attach_netfilter(int *prog_fd)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K,
		 .dst_reg = BPF_REG_0,
		 .imm = 1}, /* NF_ACCEPT */
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = NETFILTER);
	union bpf_attr attr;
	struct link_create_nf *lc = (void *)&attr;
	int fd;

	_Static_assert(sizeof(*lc) <= sizeof(attr), "link_create fits bpf_attr");
	*prog_fd = bpf_prog_load(PROG_TYPE_NETFILTER, "fix_nf", "GPL", insns, 2, &opts);
	if (*prog_fd < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	lc->prog_fd = *prog_fd;
	lc->attach_type = NETFILTER;
	lc->pf = NFPROTO_IPV4;
	lc->hooknum = NF_INET_LOCAL_IN;
	lc->priority = NF_PRIORITY;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		die("link the netfilter program: %s", strerror(errno));
	return fd;
}

/* Attach XDP, and tcx where the kernel has it, to ifname inside the netns. */
static void attach_netdev(struct progs_fixture *skel, const char *netns, const char *ifname,
			  struct bpf_link **xdp, int *tcx_fd, int *nf_fd, int *nf_prog_fd)
{
	int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int ns = open(netns, O_RDONLY | O_CLOEXEC);
	unsigned int ifindex;

	if (host < 0 || ns < 0)
		die("open network namespace %s: %s", netns, strerror(errno));
	if (setns(ns, CLONE_NEWNET))
		die("enter %s: %s", netns, strerror(errno));
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		die("no interface %s in %s", ifname, netns);
	*xdp = bpf_program__attach_xdp(skel->progs.fix_xdp, (int)ifindex);
	if (!*xdp)
		die("attach xdp to %s: %s", ifname, strerror(errno));
	*tcx_fd = bpf_link_create(bpf_program__fd(skel->progs.fix_tcx), (int)ifindex, TCX_INGRESS,
				  NULL);
	if (*tcx_fd < 0 && errno != EINVAL)
		die("attach tcx to %s: %s", ifname, strerror(errno));
	*nf_fd = attach_netfilter(nf_prog_fd);
	if (setns(host, CLONE_NEWNET))
		die("back to the host network namespace: %s", strerror(errno));
	close(ns);
	close(host);
}

static void run_ring_writer(struct progs_fixture *skel, unsigned int n)
{
	char packet[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof(packet),
		    .repeat = 1);

	for (unsigned int i = 0; i < n; i++)
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.fix_ring_write), &opts))
			die("test run: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct bpf_link *cg = NULL, *xdp = NULL, *tracing = NULL, *raw_tp = NULL, *fentry = NULL;
	struct progs_fentry *fentry_skel;
	struct progs_fixture *skel;
	char line[128];
	int cg_fd, tcx_fd = -1, nf_fd = -1, nf_prog_fd = -1;
	unsigned int n;

	if (argc != 4)
		die("usage: progs_fixture CGROUP_DIR NETNS_PATH IFNAME");
	skel = progs_fixture__open_and_load();
	if (!skel)
		die("load: %s", strerror(errno));

	cg_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		die("open %s: %s", argv[1], strerror(errno));
	cg = bpf_program__attach_cgroup(skel->progs.fix_cgroup, cg_fd);
	if (!cg)
		die("attach to cgroup %s: %s", argv[1], strerror(errno));
	attach_netdev(skel, argv[2], argv[3], &xdp, &tcx_fd, &nf_fd, &nf_prog_fd);
	tracing = bpf_program__attach(skel->progs.fix_tracing);
	raw_tp = bpf_program__attach(skel->progs.fix_raw_tp);
	if (!tracing || !raw_tp)
		die("attach to the task_rename tracepoint: %s", strerror(errno));
	/* Optional: where the kernel refuses trampolines, "link fentry 0". */
	fentry_skel = progs_fentry__open_and_load();
	if (fentry_skel) {
		fentry = bpf_program__attach(fentry_skel->progs.fix_fentry);
		if (!fentry)
			die("attach fentry: %s", strerror(errno));
	}

	printf("prog cgroup %u\nprog xdp %u\nprog tcx %u\nprog tracing %u\nprog raw_tp %u\n"
	       "prog ring %u\n",
	       prog_id(skel->progs.fix_cgroup), prog_id(skel->progs.fix_xdp),
	       prog_id(skel->progs.fix_tcx), prog_id(skel->progs.fix_tracing),
	       prog_id(skel->progs.fix_raw_tp), prog_id(skel->progs.fix_ring_write));
	printf("link cgroup %u\nlink xdp %u\nlink tcx %u\nlink tracing %u\nlink raw_tp %u\n",
	       link_id(bpf_link__fd(cg)), link_id(bpf_link__fd(xdp)),
	       tcx_fd >= 0 ? link_id(tcx_fd) : 0, link_id(bpf_link__fd(tracing)),
	       link_id(bpf_link__fd(raw_tp)));
	printf("prog fentry %u\nlink fentry %u\n",
	       fentry_skel ? prog_id(fentry_skel->progs.fix_fentry) : 0,
	       fentry ? link_id(bpf_link__fd(fentry)) : 0);
	printf("link netfilter %u\n", nf_fd >= 0 ? link_id(nf_fd) : 0);
	printf("map ring %u\nmap array %u\nready\n", map_id(skel->maps.fix_ring),
	       map_id(skel->maps.fix_array));
	if (fflush(stdout))
		die("write stdout: %s", strerror(errno));

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "exit"))
			break;
		if (sscanf(line, "rename %u", &n) == 1) {
			for (unsigned int i = 0; i < n; i++)
				if (prctl(PR_SET_NAME, i % 2 ? "progs_fixture" : "progs_fixtur2"))
					die("rename: %s", strerror(errno));
		} else if (sscanf(line, "ring %u", &n) == 1) {
			run_ring_writer(skel, n);
		} else {
			die("unknown command '%s'", line);
		}
		printf("done\n");
		fflush(stdout);
	}

	bpf_link__destroy(fentry);
	progs_fentry__destroy(fentry_skel);
	if (nf_fd >= 0)
		close(nf_fd);
	if (nf_prog_fd >= 0)
		close(nf_prog_fd);
	bpf_link__destroy(raw_tp);
	bpf_link__destroy(tracing);
	bpf_link__destroy(xdp);
	bpf_link__destroy(cg);
	if (tcx_fd >= 0)
		close(tcx_fd);
	close(cg_fd);
	progs_fixture__destroy(skel);
	return 0;
}
