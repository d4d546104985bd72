// SPDX-License-Identifier: Apache-2.0
/*
 * Fixture of the programs/links/ring buffer suite (progs.sh): loads
 * progs_fixture.bpf.c and attaches its programs through links, prints
 * their ids, then runs them on command.
 *
 * Usage: progs_fixture CGROUP_DIR NETNS_PATH IFNAME
 *   CGROUP_DIR  a cgroup2 directory: the cgroup_skb program's link
 *   NETNS_PATH  a network namespace (/run/netns/NAME) holding IFNAME:
 *               the XDP program's link, and tcx's where the kernel has it
 *
 * stdout: "prog ROLE ID", "link ROLE ID", "map ROLE ID" lines, then
 * "ready" ("link tcx 0": no tcx on this kernel). stdin commands:
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
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "progs_fixture.skel.h"

#define TCX_INGRESS 46 /* BPF_TCX_INGRESS, newer than this libbpf's headers */

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

/* Attach XDP, and tcx where the kernel has it, to ifname inside the netns. */
static void attach_netdev(struct progs_fixture *skel, const char *netns, const char *ifname,
			  struct bpf_link **xdp, int *tcx_fd)
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
	struct bpf_link *cg = NULL, *xdp = NULL, *tracing = NULL, *raw_tp = NULL;
	struct progs_fixture *skel;
	char line[128];
	int cg_fd, tcx_fd = -1;
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
	attach_netdev(skel, argv[2], argv[3], &xdp, &tcx_fd);
	tracing = bpf_program__attach(skel->progs.fix_tracing);
	raw_tp = bpf_program__attach(skel->progs.fix_raw_tp);
	if (!tracing || !raw_tp)
		die("attach to the task_rename tracepoint: %s", strerror(errno));

	printf("prog cgroup %u\nprog xdp %u\nprog tcx %u\nprog tracing %u\nprog raw_tp %u\n"
	       "prog ring %u\n",
	       prog_id(skel->progs.fix_cgroup), prog_id(skel->progs.fix_xdp),
	       prog_id(skel->progs.fix_tcx), prog_id(skel->progs.fix_tracing),
	       prog_id(skel->progs.fix_raw_tp), prog_id(skel->progs.fix_ring_write));
	printf("link cgroup %u\nlink xdp %u\nlink tcx %u\nlink tracing %u\nlink raw_tp %u\n",
	       link_id(bpf_link__fd(cg)), link_id(bpf_link__fd(xdp)),
	       tcx_fd >= 0 ? link_id(tcx_fd) : 0, link_id(bpf_link__fd(tracing)),
	       link_id(bpf_link__fd(raw_tp)));
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
