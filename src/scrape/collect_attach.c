// SPDX-License-Identifier: Apache-2.0
/*
 * Programs attached without a link: XDP and tc cls_bpf filters through
 * netlink, in every network namespace that holds a process
 * (attach_netlink), cgroup programs attached with BPF_PROG_ATTACH
 * (attach_cgroup), and kprobes, uprobes and tracepoints attached through
 * perf events (attach_perf_event). They join
 * ebpf_prog_attach_info, the family link attachments write, with no
 * link_id and a `via` label saying where they were found; the programs
 * filters apply as for links. Kprobes attached through perf events also
 * have their missed hits, where the kernel counts them, in
 * ebpf_prog_attach_missed_total, on the same label set.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <limits.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/netlink.h>

#include "collector.h"
#include "grow.h"
#include "log.h"
#include "netlink_attach.h"
#include "util.h"

/* Flow dissector programs one namespace can have (one, since 4.20). */
#define NETNS_FLOW_MAX 4

/* A network namespace and what netlink and BPF_PROG_QUERY said there. */
struct netns {
	uint64_t ino;
	/*
	 * Not entered (the kernel refused each of its processes): known from
	 * the task iterator only, by its inode, holders and id; no rows.
	 */
	bool unread;
	int sock_err; /* no socket could be made there: -errno */
	int err; /* the dumps failed: -errno */
	struct nl_view v;
	/* The id the exporter's namespace gives this one, if asked; NL_NSID_NONE. */
	int32_t nsid;
	int nsid_err; /* RTM_GETNSID failed: -errno */
	int flow_err; /* BPF_PROG_QUERY (BPF_FLOW_DISSECTOR) failed: -errno */
	uint32_t flow_ids[NETNS_FLOW_MAX];
	uint32_t nr_flow;
	/* Its holders' container and pod (netns_holders()), once asked. */
	bool holders_read;
	struct cgroup_info cg;
	struct resolved_names names;
};

/*
 * A process, the namespace it is in, and its cgroup once read. pid is
 * one of its threads where its leader has exited (/proc/PID/ names a
 * thread as well as a process).
 */
struct pid_netns {
	uint32_t pid;
	uint32_t tgid; /* the process pid is a thread of (pid itself, but for such a thread) */
	uint64_t ino;
	int cg_state; /* 0: not read yet, 1: cg read, -1: gone meanwhile */
	struct cgroup_info cg;
};

/* What the namespace thread found. */
struct netns_list {
	struct netns *ns;
	size_t nr, cap;
	size_t refused; /* namespaces or processes that could not be entered */
	int err; /* -ENOMEM and the like: the list is incomplete */
	uint64_t own_ino; /* the exporter's namespace (0 if unknown) */
	/*
	 * A socket of the exporter's namespace, made when a veth there with a
	 * program has its peer in another namespace: each namespace read is
	 * then asked for the id the exporter's gives it. -1 otherwise.
	 */
	int own_sock;
	uint32_t nsid_seq;
	struct pid_netns *pids; /* every process, by namespace then pid; ino 0 if refused */
	size_t nr_pids, cap_pids;
	/*
	 * Every process's namespace from the task iterator, read without
	 * entering any; NULL where it is not available (the pids are then
	 * found by entering each process).
	 */
	const struct owner_netns *tasks;
	size_t nr_tasks;
	size_t unread; /* namespaces known from the tasks only */
	/* The cgroup2 mount and its root, for pods' cgroups (read once asked). */
	bool cg_mount_read;
	int cg_mount_err;
	char cg_mount[1024], cg_root[1024];
};

static int route_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	return fd < 0 ? -errno : fd;
}

static bool netns_seen(const struct netns_list *l, uint64_t ino)
{
	for (size_t i = 0; i < l->nr; i++)
		if (l->ns[i].ino == ino)
			return true;
	return false;
}

/*
 * The flow dissector programs attached to the namespace fd refers to
 * with BPF_PROG_ATTACH (a netns link's too: the kernel lists both).
 */
static void netns_flow_query(struct netns *ns, int fd)
{
	uint32_t flags = 0, cnt = NETNS_FLOW_MAX;

	if (bpf_prog_query(fd, BPF_FLOW_DISSECTOR, 0, &flags, ns->flow_ids, &cnt)) {
		ns->flow_err = -errno;
		cnt = ns->flow_err == -ENOSPC ? NETNS_FLOW_MAX : 0;
	}
	ns->nr_flow = cnt < NETNS_FLOW_MAX ? cnt : NETNS_FLOW_MAX;
}

/*
 * Read the calling thread's namespace, unless read already: a socket is
 * made, dumped and closed at once, so a host with thousands of pods
 * holds one at a time. Its inode in *ino (0 if unknown). 0, or -ENOMEM.
 */
static int netns_read_here(struct netns_list *l, uint64_t *ino)
{
	struct netns *ns;
	struct stat st;
	int err, sock, fd;

	*ino = 0;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		l->refused++;
		return 0;
	}
	*ino = st.st_ino;
	if (netns_seen(l, st.st_ino)) {
		close(fd);
		return 0;
	}
	err = grow_array((void **)&l->ns, &l->cap, l->nr + 1, sizeof(*l->ns));
	if (err) {
		close(fd);
		return err;
	}
	ns = &l->ns[l->nr++];
	*ns = (struct netns){.ino = st.st_ino, .nsid = NL_NSID_NONE};
	netns_flow_query(ns, fd);
	if (l->own_sock >= 0)
		ns->nsid_err = netlink_nsid_of(l->own_sock, fd, ++l->nsid_seq, &ns->nsid);
	close(fd);
	sock = route_socket();
	if (sock < 0) {
		ns->sock_err = sock;
		return 0;
	}
	ns->err = netlink_attach_read(sock, &ns->v);
	close(sock);
	return ns->err == -ENOMEM ? -ENOMEM : 0;
}

/* Enter the namespace fd refers to (a namespace file or a pidfd) and read it. */
static int netns_enter(struct netns_list *l, int fd, uint64_t *ino)
{
	*ino = 0;
	if (setns(fd, CLONE_NEWNET)) {
		l->refused++;
		return 0;
	}
	return netns_read_here(l, ino);
}

/*
 * Namespaces bind-mounted in a directory: opening them needs no
 * CAP_SYS_PTRACE, unlike a process's.
 */
static int netns_named(struct netns_list *l, const char *path)
{
	struct dirent *d;
	struct stat st;
	DIR *dir = opendir(path);
	uint64_t ino;
	int err = 0;

	if (!dir)
		return 0; /* none made */
	while (!err && (d = readdir(dir))) {
		int fd;

		if (d->d_name[0] == '.')
			continue;
		fd = openat(dirfd(dir), d->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* Known already (fstat needs no entering), else entered. */
		if (!fstat(fd, &st) && !netns_seen(l, st.st_ino))
			err = netns_enter(l, fd, &ino);
		close(fd);
	}
	closedir(dir);
	return err;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/*
 * A process's namespace, through a pidfd (5.8+; before, the namespace
 * file). Either way the kernel asks for ptrace access: a process whose
 * capabilities are not a subset of the exporter's, or of another user
 * (most containers', unless the exporter holds CAP_SYS_PTRACE), is
 * refused and counted. *ino: its inode, 0 if refused or gone.
 */
static int netns_enter_process(struct netns_list *l, uint32_t pid, uint64_t *ino)
{
	char path[64];
	int fd, err;

	*ino = 0;
	fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	/* Not a thread group leader (EINVAL: one whose leader exited), or before 5.3. */
	if (fd < 0 && errno != ESRCH) {
		snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return 0; /* gone meanwhile */
	err = netns_enter(l, fd, ino);
	close(fd);
	return err;
}

static int pid_netns_cmp(const void *a, const void *b)
{
	const struct pid_netns *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* A namespace no process of it could be entered through: its holders and id only. */
static int netns_add_unread(struct netns_list *l, uint32_t pid, uint64_t ino)
{
	struct netns *ns;
	int err = grow_array((void **)&l->ns, &l->cap, l->nr + 1, sizeof(*l->ns));

	if (err)
		return err;
	ns = &l->ns[l->nr++];
	*ns = (struct netns){.ino = ino, .unread = true, .nsid = NL_NSID_NONE};
	l->unread++;
	/* By pid: no ptrace access, unlike an fd of the namespace. */
	if (l->own_sock >= 0)
		ns->nsid_err = netlink_nsid_of_pid(l->own_sock, pid, ++l->nsid_seq, &ns->nsid);
	if (ns->nsid_err == -ESRCH)
		ns->nsid_err = 0; /* exited meanwhile: no id to give */
	return 0;
}

/*
 * Every process's namespace as the task iterator read it: no process is
 * entered to learn it, so the holders of a namespace are known whatever
 * the kernel lets the exporter enter. Sorted by namespace, each one not
 * read yet is entered through its processes in turn (ptrace rules
 * differ by process); one they all refuse is kept unread, for its
 * holders and id. The cost grows with processes times their log, and
 * with the square of namespaces, not with processes times namespaces.
 */
static int netns_tasks(struct netns_list *l)
{
	int err = grow_array((void **)&l->pids, &l->cap_pids, l->nr_tasks, sizeof(*l->pids));
	size_t kept = 0, end;

	if (err)
		return err;
	for (size_t i = 0; i < l->nr_tasks; i++)
		l->pids[i] = (struct pid_netns){
			.pid = l->tasks[i].tid, .tgid = l->tasks[i].tgid, .ino = l->tasks[i].ino};
	if (l->nr_tasks > 1)
		qsort(l->pids, l->nr_tasks, sizeof(*l->pids), pid_netns_cmp);
	/* A process whose leader exited came once per live thread: its first will do. */
	for (size_t i = 0; i < l->nr_tasks; i++)
		if (!kept || l->pids[i].ino != l->pids[kept - 1].ino ||
		    l->pids[i].tgid != l->pids[kept - 1].tgid)
			l->pids[kept++] = l->pids[i];
	l->nr_pids = kept;
	for (size_t i = 0; !err && i < l->nr_pids; i = end) {
		uint64_t ino = l->pids[i].ino, entered = 0;

		for (end = i; end < l->nr_pids && l->pids[end].ino == ino; end++)
			;
		if (netns_seen(l, ino))
			continue;
		for (size_t j = i; !err && j < end && entered != ino; j++)
			err = netns_enter_process(l, l->pids[j].pid, &entered);
		/* Refused by each (or moved away meanwhile). */
		if (!err && !netns_seen(l, ino))
			err = netns_add_unread(l, l->pids[i].pid, ino);
	}
	return err;
}

/*
 * Without the task iterator: every process, entered to learn its
 * namespace (ptrace rules, above). Every process is noted with its
 * namespace (0 if refused): the holders of a namespace name its pod.
 */
static int netns_processes(struct netns_list *l)
{
	struct dirent *d;
	DIR *proc;
	int err = 0;

	if (l->tasks)
		return netns_tasks(l);
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while (!err && (d = readdir(proc))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		uint64_t ino;

		if (*end || pid <= 0)
			continue;
		err = netns_enter_process(l, (uint32_t)pid, &ino);
		if (err)
			continue;
		/* Refused (ino 0) too: its cgroup still tells whether its pod has other containers. */
		err = grow_array((void **)&l->pids, &l->cap_pids, l->nr_pids + 1, sizeof(*l->pids));
		if (!err)
			l->pids[l->nr_pids++] = (struct pid_netns){
				.pid = (uint32_t)pid, .tgid = (uint32_t)pid, .ino = ino};
	}
	closedir(proc);
	if (!err && l->nr_pids > 1)
		qsort(l->pids, l->nr_pids, sizeof(*l->pids), pid_netns_cmp);
	return err;
}

/*
 * Where namespaces are kept as files: ip netns and the pods of
 * containerd and CRI-O (cni-*), and docker's containers.
 */
static const char *const named_dirs[] = {"/run/netns", "/run/docker/netns"};

/* Has the exporter's namespace a veth with a program whose peer is in another? */
static bool own_veth_peers(const struct netns *own)
{
	for (size_t i = 0; i < own->v.nr_attach; i++) {
		const struct nl_ifname *ifn = nl_view_if(&own->v, own->v.attach[i].ifindex);

		if (ifn && ifn->veth && ifn->link_netnsid != NL_NSID_NONE)
			return true;
	}
	return false;
}

/*
 * A netlink socket belongs to the namespace it was made in: this thread
 * enters each namespace in turn to read it there, then ends, so no other
 * thread's namespace ever changes. It starts in the exporter's own.
 */
static void *netns_thread(void *arg)
{
	struct netns_list *l = arg;
	uint64_t ino;
	int sock;

	l->err = netns_read_here(l, &ino);
	l->own_ino = ino;
	/* Only then are the ids of the other namespaces worth asking. */
	if (!l->err && l->nr && l->ns[0].ino == ino && own_veth_peers(&l->ns[0])) {
		sock = route_socket();
		if (sock >= 0)
			l->own_sock = sock;
		else
			l->ns[0].nsid_err = sock;
	}
	for (size_t i = 0; !l->err && i < ARRAY_SIZE(named_dirs); i++)
		l->err = netns_named(l, named_dirs[i]);
	if (!l->err)
		l->err = netns_processes(l);
	if (l->own_sock >= 0)
		close(l->own_sock);
	l->own_sock = -1;
	return NULL;
}

/*
 * The exporter's own namespace first, then every named one and every one
 * a process is in, each read once (by inode).
 */
static int netns_list_read(struct netns_list *l)
{
	pthread_t thread;
	int err;

	l->own_sock = -1;
	err = pthread_create(&thread, NULL, netns_thread, l);
	if (err)
		return -err;
	pthread_join(thread, NULL);
	return l->err;
}

static void netns_list_fini(struct netns_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		nl_view__fini(&l->ns[i].v);
	free(l->ns);
	free(l->pids);
}

/* A process's cgroup v2 path ("0::/..." of /proc/PID/cgroup). 0, or -errno. */
static int proc_cgroup_path(uint32_t pid, char *out, size_t size)
{
	char path[40];
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(out, (int)size, f)) {
		size_t n = strlen(out);

		if (strncmp(out, "0::", 3))
			continue;
		if (n && out[n - 1] == '\n')
			out[--n] = '\0';
		memmove(out, out + 3, n - 2);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* A process's container and pod, read once a scrape; NULL if it is gone. */
static const struct cgroup_info *pid_cgroup(struct pid_netns *p, char *path)
{
	if (!p->cg_state) {
		p->cg_state = proc_cgroup_path(p->pid, path, PATH_MAX) ? -1 : 1;
		if (p->cg_state > 0)
			cgroup_path_parse(path, &p->cg);
	}
	return p->cg_state > 0 ? &p->cg : NULL;
}

static int cgroup2_mount(char *dir, size_t dir_size, char *root, size_t root_size);

/* Has cgroup name (below dir) a process, itself or below ("populated 1" in cgroup.events)? */
static bool cgroup_populated(int dir, const char *name)
{
	char path[300], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.events", name);
	fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false; /* removed meanwhile */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

/*
 * Has the pod whose cgroup holds path (a process's, as /proc/PID/cgroup
 * gives it) a container other than cg's? Its cgroup's children say, one
 * directory read: true if another container's cgroup is there, or if
 * the pod's cgroup cannot be read (the exporter in a cgroup namespace
 * that hides it, say), false only if cg's container is the only one with
 * a process in it.
 */
static bool pod_other_container(struct netns_list *l, const char *path,
				const struct cgroup_info *cg)
{
	struct cgroup_info ci;
	struct dirent *d;
	size_t len, root_len;
	char *dir_path;
	bool other = true;
	DIR *dir;

	if (!l->cg_mount_read) {
		l->cg_mount_read = true;
		l->cg_mount_err = cgroup2_mount(l->cg_mount, sizeof(l->cg_mount), l->cg_root,
						sizeof(l->cg_root));
	}
	if (l->cg_mount_err)
		return true;
	/* The pod's cgroup: the shortest prefix of path that names the pod. */
	for (len = 1; path[len]; len++) {
		char prefix[PATH_MAX];

		if (path[len] != '/')
			continue;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)len, path);
		cgroup_path_parse(prefix, &ci);
		if (!strcmp(ci.pod_uid, cg->pod_uid))
			break;
	}
	root_len = strlen(l->cg_root);
	/* Outside the exporter's cgroup namespace ("/../..."): not under its mount. */
	if (!path[len] || strstr(path, "/..") || strncmp(path, l->cg_root, root_len) ||
	    (path[root_len] && path[root_len] != '/') || len <= root_len)
		return true;
	dir_path = malloc(PATH_MAX);
	if (!dir_path)
		return true;
	snprintf(dir_path, PATH_MAX, "%s%.*s", l->cg_mount, (int)(len - root_len), path + root_len);
	dir = opendir(dir_path);
	if (dir) {
		other = false;
		while (!other && (d = readdir(dir))) {
			if (d->d_type != DT_DIR || d->d_name[0] == '.')
				continue;
			snprintf(dir_path, PATH_MAX, "%.*s/%s", (int)len, path, d->d_name);
			cgroup_path_parse(dir_path, &ci);
			other = ci.container_id[0] && strcmp(ci.container_id, cg->container_id) &&
				cgroup_populated(dirfd(dir), d->d_name);
		}
		closedir(dir);
	}
	free(dir_path);
	return other;
}

/* The first of the processes in namespace ino (l->pids is sorted by namespace). */
static size_t pids_of_netns(const struct netns_list *l, uint64_t ino)
{
	size_t lo = 0, hi = l->nr_pids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->pids[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The container and pod holding a namespace, from the cgroups of the
 * processes in it, named as owners are (owner_resolve_info()). Every
 * process seen there must be in a container of one pod (or, outside
 * Kubernetes, of one container): a process in no container (a shell
 * that entered a pod's namespace) or in another pod leaves every label
 * empty. A pod's containers share its namespace: several (its pause
 * container and the others, whether or not the kernel let the exporter
 * enter their processes: the pod's cgroup lists them) give the pod and
 * its namespace, as the first of them (lowest pid) names them, and no
 * container_id or container. The exporter's own namespace (the host's, run as
 * documented) is never labelled: processes it may not enter can be in it.
 */
static void netns_holders(struct scrape *s, struct netns_list *l, struct netns *ns)
{
	struct cgroup_info first = {0};
	const struct cgroup_info *ci;
	bool any = false, one_container = true;
	size_t first_pid = 0;
	char *path = NULL;

	if (ns->holders_read)
		return;
	ns->holders_read = true;
	if (ns->ino == l->own_ino)
		goto none;
	path = malloc(PATH_MAX);
	if (!path)
		goto none;
	for (size_t i = pids_of_netns(l, ns->ino); i < l->nr_pids && l->pids[i].ino == ns->ino;
	     i++) {
		if (!(ci = pid_cgroup(&l->pids[i], path)))
			continue; /* gone meanwhile */
		if (!ci->container_id[0] && !ci->pod_uid[0])
			goto none;
		if (!any) {
			first = *ci;
			first_pid = i;
			any = true;
			continue;
		}
		if (strcmp(ci->pod_uid, first.pod_uid) ||
		    (!first.pod_uid[0] && strcmp(ci->container_id, first.container_id)))
			goto none;
		if (strcmp(ci->container_id, first.container_id))
			one_container = false;
	}
	if (!any)
		goto none;
	/* Other containers of the pod (its pause container, say) share its namespace. */
	if (first.pod_uid[0] && one_container &&
	    (proc_cgroup_path(l->pids[first_pid].pid, path, PATH_MAX) ||
	     pod_other_container(l, path, &first)))
		one_container = false;
	owner_resolve_info(s, &first, &ns->names);
	if (!one_container) {
		struct cgroup_info pod = {0};

		memcpy(pod.pod_uid, first.pod_uid, sizeof(pod.pod_uid));
		first.container_id[0] = '\0';
		ns->names.container[0] = '\0';
		/* The first container's runtime did not name the pod: the kubelet's directory. */
		if (!ns->names.pod[0])
			owner_resolve_info(s, &pod, &ns->names);
	}
	ns->cg = first;
	free(path);
	return;
none:
	free(path);
	memset(&ns->cg, 0, sizeof(ns->cg));
	memset(&ns->names, 0, sizeof(ns->names));
}

/*
 * Whose an interface of namespace ns is: a veth of the exporter's
 * namespace whose peer is in another namespace is the peer namespace's
 * holders' (NULL if that namespace is unknown: neither entered nor
 * named by the task iterator); any other interface is ns's holders'.
 */
static struct netns *netns_of_interface(struct scrape *s, struct netns_list *l, struct netns *ns,
					uint32_t ifindex)
{
	const struct nl_ifname *ifn = nl_view_if(&ns->v, ifindex);
	struct netns *peer = NULL;

	if (ns->ino == l->own_ino && ifn && ifn->veth && ifn->link_netnsid != NL_NSID_NONE) {
		for (size_t i = 0; i < l->nr && !peer; i++)
			if (l->ns[i].ino != ns->ino && !l->ns[i].nsid_err &&
			    l->ns[i].nsid == ifn->link_netnsid)
				peer = &l->ns[i];
		if (!peer)
			return NULL;
		ns = peer;
	}
	netns_holders(s, l, ns);
	return ns;
}

/* Is this XDP program there through an XDP link (already an attachment of the links)? */
static bool xdp_link_holds(const struct link_table *links, uint32_t prog_id, uint32_t ifindex,
			   uint64_t netns)
{
	for (size_t i = 0; i < links->nr; i++) {
		const struct bpfmap_link_record *r = &links->links[i].rec;

		if (r->type == BPF_LINK_TYPE_XDP && r->prog_id == prog_id &&
		    r->ifindex == ifindex && r->netns_ino == netns)
			return true;
	}
	return false;
}

/* This scrape's links, for the de-duplication, where the kernel has them. */
static int attach_links(struct scrape *s)
{
	return s->src->facts.iter[ITER_LINKS] ? scrape_links(s) : 0;
}

struct attach_writer {
	struct scrape *s;
	struct owner_set set;
	struct str_arena strings;
};

/*
 * The program's name, or NULL if the programs filters drop it. A program
 * missing from this scrape's table (loaded since) is kept, unnamed.
 */
static int attach_prog_name(struct attach_writer *w, uint32_t prog_id, struct prog_labels *l,
			    const char **name)
{
	const struct prog_entry *prog =
		w->s->progs_valid ? scrape_find_prog(&w->s->progs, prog_id) : NULL;
	int err;

	*name = "";
	if (!prog)
		return 0;
	err = prog_labels__build(w->s, prog, l, &w->set, &w->strings);
	if (err)
		return err;
	*name = prog_labels__kept(w->s, l) ? l->name : NULL;
	return 0;
}

/* Is this flow dissector there through a netns link (already an attachment of the links)? */
static bool netns_link_holds(const struct link_table *links, uint32_t prog_id, uint64_t netns)
{
	for (size_t i = 0; i < links->nr; i++) {
		const struct bpfmap_link_record *r = &links->links[i].rec;

		if (r->type == BPF_LINK_TYPE_NETNS && r->prog_id == prog_id &&
		    r->netns_ino == netns &&
		    (!(r->flags & BPFMAP_LINK_HAS_ATTACH_TYPE) ||
		     r->attach_type == BPF_FLOW_DISSECTOR))
			return true;
	}
	return false;
}

static int write_netns(struct attach_writer *w, struct netns_list *list, struct netns *netns)
{
	static const struct netns none;
	struct scrape *s = w->s;
	const struct nl_view *v = &netns->v;
	char id[12], ifindex[12], ns[24], type_buf[12];
	int err;

	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)netns->ino);
	for (size_t i = 0; i < v->nr_attach; i++) {
		const struct nl_attach *a = &v->attach[i];
		const struct netns *holder;
		struct prog_labels l;
		const char *name;

		if (a->kind == NL_ATTACH_XDP &&
		    xdp_link_holds(&s->links, a->prog_id, a->ifindex, netns->ino))
			continue;
		err = attach_prog_name(w, a->prog_id, &l, &name);
		if (err)
			return err;
		if (!name)
			continue;
		holder = netns_of_interface(s, list, netns, a->ifindex);
		if (!holder)
			holder = &none;
		snprintf(id, sizeof(id), "%u", a->prog_id);
		snprintf(ifindex, sizeof(ifindex), "%u", a->ifindex);
		const struct expo_label labels[] = {
			{"id", id},
			{"name", name},
			{"via", "netlink"},
			{"attach_type", nl_attach_type_name(a)},
			{"target", nl_view_ifname(v, a->ifindex)},
			{"ifindex", ifindex},
			{"netns", ns},
			{"mode", nl_xdp_mode_name(a)},
			{"container_id", holder->cg.container_id},
			{"container", holder->names.container},
			{"pod", holder->names.pod},
			{"namespace", holder->names.namespace},
		};

		expo__sample(s->out, labels, ARRAY_SIZE(labels), 1);
	}
	for (uint32_t i = 0; i < netns->nr_flow; i++) {
		struct prog_labels l;
		const char *name;

		if (netns_link_holds(&s->links, netns->flow_ids[i], netns->ino))
			continue;
		err = attach_prog_name(w, netns->flow_ids[i], &l, &name);
		if (err)
			return err;
		if (!name)
			continue;
		netns_holders(s, list, netns);
		snprintf(id, sizeof(id), "%u", netns->flow_ids[i]);
		const struct expo_label labels[] = {
			{"id", id},
			{"name", name},
			{"via", "prog_attach"},
			{"attach_type",
			 link_attach_type_name(BPF_FLOW_DISSECTOR, type_buf, sizeof(type_buf))},
			{"target", ns},
			{"netns", ns},
			{"container_id", netns->cg.container_id},
			{"container", netns->names.container},
			{"pod", netns->names.pod},
			{"namespace", netns->names.namespace},
		};

		expo__sample(s->out, labels, ARRAY_SIZE(labels), 1);
	}
	return 0;
}

/*
 * Every process's namespace, from the task iterator, into l: read
 * without entering any process. Its tgids are the host's: a reader in a
 * PID namespace of its own enters processes one by one instead.
 */
static int netns_tasks_read(struct scrape *s, struct owner_table *t, struct netns_list *l)
{
	const struct iter_buf *buf;
	int err;

	if (!s->src->facts.iter[ITER_TASKS])
		return 0;
	err = scrape_read(s, ITER_TASKS, &buf);
	if (!err)
		err = owner_table__decode(t, buf->data, buf->len);
	if (err || t->reader_pidns_level != 0)
		return err;
	l->tasks = t->netns;
	l->nr_tasks = t->nr_netns;
	return 0;
}

/*
 * What every attachment row joins: the programs (for their labels and
 * filters, where the kernel has their iterator) and the links (whose
 * attachments are theirs, not counted again).
 */
static int programs_and_links(struct scrape *s)
{
	if (s->src->facts.iter[ITER_PROGS]) {
		int err = scrape_programs(s);

		if (err)
			return err;
	}
	return attach_links(s);
}

int collect_attach_netlink(struct scrape *s)
{
	struct netns_list l = {0};
	struct owner_table tasks = {0};
	struct attach_writer w = {.s = s};
	size_t entered = 0, flow_refused = 0, nsid_failed = 0;
	int err;

	err = programs_and_links(s);
	if (err)
		goto out;
	/* Optional: on failure l has no tasks, and processes are entered one by one. */
	err = netns_tasks_read(s, &tasks, &l);
	switch (scrape_note(s, NOTE_TASKS_FAIL, err != 0)) {
	case 1:
		log_warn("attach_netlink: reading the task iterator failed (%s): processes are "
			 "entered one by one until it works again",
			 strerror(-err));
		break;
	case -1:
		log_info("attach_netlink: the task iterator reads again");
		break;
	}
	err = netns_list_read(&l);
	if (err)
		goto out;
	expo__family(s->out, "ebpf_prog_attach_info", PROG_ATTACH_HELP, EXPO_GAUGE);
	for (size_t i = 0; i < l.nr; i++) {
		struct netns *ns = &l.ns[i];

		/* A kernel before 5.2 cannot be asked (EINVAL): nothing to say. */
		if (ns->flow_err && ns->flow_err != -EINVAL && ns->flow_err != -ENOSPC &&
		    !flow_refused++ && scrape_note(s, NOTE_FLOW_QUERY_FAILS, true) > 0)
			log_warn("attach_netlink: netns %llu: flow dissector query: %s (logged "
				 "again once it works)",
				 (unsigned long long)ns->ino, strerror(-ns->flow_err));
		if (ns->nsid_err && !nsid_failed++ && scrape_note(s, NOTE_NSID_FAILS, true) > 0)
			log_warn("attach_netlink: netns %llu: its id in the exporter's namespace: "
				 "%s (logged again once it works)",
				 (unsigned long long)ns->ino, strerror(-ns->nsid_err));
		if (ns->unread)
			continue; /* its holders only, for host veths leading there */
		if (ns->sock_err) {
			log_debug("attach_netlink: netns %llu: no socket: %s",
				  (unsigned long long)ns->ino, strerror(-ns->sock_err));
			continue;
		}
		err = ns->err;
		if (!err)
			err = write_netns(&w, &l, ns);
		if (err)
			goto out;
		entered++;
	}
	if (!flow_refused && scrape_note(s, NOTE_FLOW_QUERY_FAILS, false) < 0)
		log_info("attach_netlink: flow dissector queries answer again");
	if (!nsid_failed && scrape_note(s, NOTE_NSID_FAILS, false) < 0)
		log_info("attach_netlink: namespace ids answer again");
	/* Entering another namespace needs CAP_SYS_ADMIN. */
	log_debug("attach_netlink: %zu network namespaces read, %zu entries refused, "
		  "%zu known from their processes only, %zu processes listed (%s), "
		  "%zu flow dissector queries and %zu namespace ids failed",
		  entered, l.refused, l.unread, l.nr_pids,
		  l.tasks ? "task iterator" : "entered one by one", flow_refused, nsid_failed);
out:
	netns_list_fini(&l);
	owner_table__fini(&tasks);
	owner_set__fini(&w.set);
	str_arena__fini(&w.strings);
	return err;
}

/* --- cgroup programs attached with BPF_PROG_ATTACH ------------------------ */

/*
 * The attach types a program of each cgroup program type can have: only
 * those of program types loaded right now are asked for, so a host
 * running only device programs costs one query per cgroup. UAPI numbers
 * (stable); libbpf 1.1's headers lack the unix socket ones (6.7+).
 */
static const struct {
	uint32_t prog_type;
	uint32_t attach_types[12];
	size_t nr;
} cgroup_prog_types[] = {
	{BPF_PROG_TYPE_CGROUP_SKB, {0, 1}, 2}, /* inet ingress, egress */
	{BPF_PROG_TYPE_CGROUP_SOCK, {2, 12, 13, 34}, 4},
	{BPF_PROG_TYPE_SOCK_OPS, {3}, 1},
	{BPF_PROG_TYPE_CGROUP_DEVICE, {6}, 1},
	{BPF_PROG_TYPE_CGROUP_SOCK_ADDR, {8, 9, 10, 11, 14, 15, 19, 20, 29, 30, 31, 32}, 12},
	{BPF_PROG_TYPE_CGROUP_SYSCTL, {18}, 1},
	{BPF_PROG_TYPE_CGROUP_SOCKOPT, {21, 22}, 2},
};

/* Unix socket address hooks (6.7+), also BPF_PROG_TYPE_CGROUP_SOCK_ADDR. */
static const uint32_t unix_addr_types[] = {49, 50, 51, 52, 53};

#define CGROUP_ATTACH_TYPES_MAX 64

/* The attach types to ask every cgroup about, from this scrape's programs. */
static size_t cgroup_attach_types(const struct scrape *s, uint32_t *out)
{
	bool want[CGROUP_ATTACH_TYPES_MAX] = {false};
	size_t n = 0;

	for (size_t i = 0; i < s->progs.nr; i++) {
		uint32_t type = s->progs.progs[i].rec.type;

		for (size_t j = 0; j < ARRAY_SIZE(cgroup_prog_types); j++) {
			if (cgroup_prog_types[j].prog_type != type)
				continue;
			for (size_t k = 0; k < cgroup_prog_types[j].nr; k++)
				want[cgroup_prog_types[j].attach_types[k]] = true;
			if (type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
				for (size_t k = 0; k < ARRAY_SIZE(unix_addr_types); k++)
					want[unix_addr_types[k]] = true;
		}
	}
	for (uint32_t t = 0; t < CGROUP_ATTACH_TYPES_MAX; t++)
		if (want[t])
			out[n++] = t;
	return n;
}

/*
 * The cgroup2 mount the exporter sees, and the path of its root in the
 * hierarchy (not "/" inside a cgroup namespace), from mountinfo.
 */
static int cgroup2_mount(char *dir, size_t dir_size, char *root, size_t root_size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char r[1024], d[1024];
		const char *sep = strstr(line, " - ");

		if (!sep || strncmp(sep, " - cgroup2 ", 11))
			continue;
		if (sscanf(line, "%*s %*s %*s %1023s %1023s", r, d) != 2)
			continue;
		/* mountinfo escapes spaces and the like as octal: rare for cgroup2 */
		snprintf(dir, dir_size, "%s", d);
		snprintf(root, root_size, "%s", strcmp(r, "/") ? r : "");
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* Does a cgroup link hold this attachment (BPF_PROG_QUERY lists link programs too)? */
static bool cgroup_link_holds(const struct link_table *links, uint32_t prog_id, uint64_t cgroup_id,
			      uint32_t attach_type)
{
	for (size_t i = 0; i < links->nr; i++) {
		const struct bpfmap_link_record *r = &links->links[i].rec;

		if (r->type == BPF_LINK_TYPE_CGROUP && r->prog_id == prog_id &&
		    r->cgroup_id == cgroup_id &&
		    (!(r->flags & BPFMAP_LINK_HAS_ATTACH_TYPE) || r->attach_type == attach_type))
			return true;
	}
	return false;
}

/*
 * A directory's entries, read with getdents64 straight into a buffer of
 * this size: one call lists a cgroup's files and children, a second
 * says there are no more (glibc's readdir adds an fstat and an fcntl
 * per directory).
 */
#define CGROUP_DIRENTS_SIZE (32 * 1024)

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct cgroup_walk {
	struct attach_writer *w;
	const uint32_t *types;
	size_t nr_types;
	size_t cgroups;
	uint32_t ids[64];
	char **dirents; /* one buffer per depth of the walk, for the scrape's walk */
	size_t nr_dirents;
};

static int write_cgroup_attach(struct cgroup_walk *cw, const char *path, uint64_t cgroup_id,
			       uint32_t type, uint32_t flags, uint32_t prog_id)
{
	struct scrape *s = cw->w->s;
	struct cgroup_info cg;
	struct resolved_names names;
	struct prog_labels l;
	const char *name;
	char id[12], cgid[24], type_buf[12];
	int err;

	if (cgroup_link_holds(&s->links, prog_id, cgroup_id, type))
		return 0;
	err = attach_prog_name(cw->w, prog_id, &l, &name);
	if (err || !name)
		return err;
	owner_resolve_cgroup(s, path, &cg, &names);
	snprintf(id, sizeof(id), "%u", prog_id);
	snprintf(cgid, sizeof(cgid), "%llu", (unsigned long long)cgroup_id);
	const struct expo_label labels[] = {
		{"id", id},
		{"name", name},
		{"via", "prog_attach"},
		{"attach_type", link_attach_type_name(type, type_buf, sizeof(type_buf))},
		{"target", path},
		{"cgroup_id", cgid},
		{"flags", flags & BPF_F_ALLOW_MULTI	 ? "multi"
			  : flags & BPF_F_ALLOW_OVERRIDE ? "override"
							 : ""},
		{"container_id", cg.container_id},
		{"container", names.container},
		{"pod", names.pod},
		{"namespace", names.namespace},
	};

	expo__sample(s->out, labels, ARRAY_SIZE(labels), 1);
	return 0;
}

/* The walk's buffer for entries of a directory depth levels down. */
static char *cgroup_dirents(struct cgroup_walk *cw, size_t depth)
{
	if (depth >= cw->nr_dirents) {
		char **more = realloc(cw->dirents, (depth + 1) * sizeof(*more));

		if (!more)
			return NULL;
		memset(more + cw->nr_dirents, 0, (depth + 1 - cw->nr_dirents) * sizeof(*more));
		cw->dirents = more;
		cw->nr_dirents = depth + 1;
	}
	if (!cw->dirents[depth])
		cw->dirents[depth] = malloc(CGROUP_DIRENTS_SIZE);
	return cw->dirents[depth];
}

/*
 * One cgroup (dir, open; closed here) whose id is id, then its children:
 * path is its path below the hierarchy's root ("" for the root), in a
 * buffer of PATH_MAX. A child's id is the inode number its directory
 * entry names (kernfs), so no cgroup is stat'ed.
 */
static int walk_cgroup(struct cgroup_walk *cw, int dir, uint64_t id, char *path, size_t len,
		       size_t depth)
{
	char *buf;
	long n;
	int err = 0;

	cw->cgroups++;
	for (size_t i = 0; i < cw->nr_types && !err; i++) {
		uint32_t flags = 0, cnt = sizeof(cw->ids) / sizeof(cw->ids[0]);

		if (bpf_prog_query(dir, cw->types[i], 0, &flags, cw->ids, &cnt)) {
			err = -errno;
			/* More than fit: the first ones were copied. */
			if (err == -ENOSPC) {
				cnt = sizeof(cw->ids) / sizeof(cw->ids[0]);
				err = 0;
				goto found;
			}
			/* A type this kernel lacks, or a cgroup removed meanwhile. */
			if (err == -EINVAL || err == -ENOENT || err == -ENODEV)
				err = 0;
			continue;
		}
	found:
		for (uint32_t j = 0; j < cnt && !err; j++)
			err = write_cgroup_attach(cw, len ? path : "/", id, cw->types[i], flags,
						  cw->ids[j]);
	}
	buf = err ? NULL : cgroup_dirents(cw, depth);
	if (!buf && !err)
		err = -ENOMEM;
	/* Until 0: a short read is not the end (the kernel stops early for a pending signal). */
	while (!err && (n = syscall(SYS_getdents64, dir, buf, CGROUP_DIRENTS_SIZE)) > 0) {
		for (long at = 0; at < n && !err;) {
			const struct linux_dirent64 *d = (const void *)(buf + at);
			size_t name_len = strlen(d->d_name);
			int child;

			at += d->d_reclen;
			if (d->d_type != DT_DIR || d->d_name[0] == '.' ||
			    len + 1 + name_len >= PATH_MAX)
				continue;
			child = openat(dir, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (child < 0)
				continue; /* removed meanwhile */
			path[len] = '/';
			memcpy(path + len + 1, d->d_name, name_len + 1);
			err = walk_cgroup(cw, child, d->d_ino, path, len + 1 + name_len, depth + 1);
			path[len] = '\0';
		}
	}
	close(dir);
	return err;
}

int collect_attach_cgroup(struct scrape *s)
{
	struct attach_writer w = {.s = s};
	struct cgroup_walk cw = {.w = &w};
	uint32_t types[CGROUP_ATTACH_TYPES_MAX];
	char mount_dir[1024], *path = NULL;
	struct stat root;
	size_t len;
	int dir, err;

	/* Without the programs there is no knowing which attach types to ask about. */
	err = scrape_programs(s);
	if (!err)
		err = attach_links(s);
	if (err)
		return err;
	cw.types = types;
	cw.nr_types = cgroup_attach_types(s, types);
	if (!cw.nr_types)
		return 0; /* no cgroup program loaded: nothing can be attached */
	path = malloc(PATH_MAX);
	if (!path)
		return -ENOMEM;
	err = cgroup2_mount(mount_dir, sizeof(mount_dir), path, PATH_MAX);
	if (err)
		goto out;
	dir = open(mount_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		err = -errno;
		goto out;
	}
	if (fstat(dir, &root)) {
		err = -errno;
		close(dir);
		goto out;
	}
	len = strlen(path);
	expo__family(s->out, "ebpf_prog_attach_info", PROG_ATTACH_HELP, EXPO_GAUGE);
	err = walk_cgroup(&cw, dir, root.st_ino, path, len, 0);
	log_debug("attach_cgroup: %zu cgroups, %zu attach types asked", cw.cgroups, cw.nr_types);
out:
	for (size_t i = 0; i < cw.nr_dirents; i++)
		free(cw.dirents[i]);
	free(cw.dirents);
	free(path);
	owner_set__fini(&w.set);
	str_arena__fini(&w.strings);
	return err;
}

/* --- kprobes, uprobes and tracepoints attached through perf events -------- */

void attach_queries_probe(struct attach_queries *q, const struct config *cfg)
{
	char mount_dir[1024], path[PATH_MAX], name[1];
	__u32 len = sizeof(name), prog_id, fd_type, count = 0;
	__u64 offset, addr;
	int fd;

	/* The kernel checks the capability first: any answer but EPERM means allowed. */
	q->perf_events = !(bpf_task_fd_query(getpid(), 0, 0, name, &len, &prog_id, &fd_type,
					     &offset, &addr) < 0 &&
			   errno == EPERM);
	q->cgroups = true;
	if (!cgroup2_mount(mount_dir, sizeof(mount_dir), path, sizeof(path))) {
		fd = open(mount_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			q->cgroups = !(bpf_prog_query(fd, BPF_CGROUP_INET_INGRESS, 0, NULL, NULL,
						      &count) < 0 &&
				       errno == EPERM);
			close(fd);
		}
	}
	if (!q->perf_events && cfg->collectors[COLLECTOR_ATTACH_PERF_EVENT])
		log_warn("collector attach_perf_event not run: BPF_TASK_FD_QUERY needs "
			 "CAP_SYS_ADMIN, which the exporter does not hold (perf_event links "
			 "have no target either)");
	if (!q->cgroups && cfg->collectors[COLLECTOR_ATTACH_CGROUP])
		log_warn("collector attach_cgroup not run: BPF_PROG_QUERY on cgroups needs "
			 "CAP_NET_ADMIN (or CAP_SYS_ADMIN since Linux 6.10), which the exporter "
			 "does not hold");
}

/* Is this event a perf_event link's (whose series carries it)? */
static bool perf_link_holds(const struct link_table *links, uint64_t event_id)
{
	for (size_t i = 0; i < links->nr; i++) {
		const struct bpfmap_link_record *r = &links->links[i].rec;

		if (r->type == BPF_LINK_TYPE_PERF_EVENT && r->perf_event_id == event_id)
			return true;
	}
	return false;
}

static int cmp_perf_row(const void *a, const void *b)
{
	const struct perf_attach *x = *(const struct perf_attach *const *)a;
	const struct perf_attach *y = *(const struct perf_attach *const *)b;

	if (x->prog_id != y->prog_id)
		return x->prog_id < y->prog_id ? -1 : 1;
	if (x->fd_type != y->fd_type)
		return x->fd_type < y->fd_type ? -1 : 1;
	return strcmp(x->target, y->target);
}

#define PROG_ATTACH_MISSED_HELP                                                                 \
	"Hits a kprobe attached without a link missed, where the kernel counts them "           \
	"(kprobe_profile's count); joins ebpf_prog_attach_info{via=\"perf_event\"} on all its " \
	"labels."

/*
 * Missed hits of the kprobes of rows[first..last): each kprobe event
 * counted once however many of its perf events carry the program (they
 * share its count), each kprobe the PMU made (probe_id 0) on its own.
 * false if the kernel keeps no count for any.
 */
static bool perf_rows_missed(const struct perf_attach *const *rows, size_t first, size_t last,
			     uint64_t *missed)
{
	bool has = false;

	*missed = 0;
	for (size_t i = first; i < last; i++) {
		bool seen = false;

		if (!rows[i]->has_missed)
			continue;
		for (size_t k = first; rows[i]->probe_id && k < i && !seen; k++)
			seen = rows[k]->has_missed && rows[k]->probe_id == rows[i]->probe_id;
		if (!seen)
			*missed += rows[i]->missed;
		has = true;
	}
	return has;
}

int collect_attach_perf_event(struct scrape *s)
{
	struct attach_writer w = {.s = s};
	const struct perf_attach **rows = NULL;
	struct expo_labels *sets = NULL;
	size_t *ends = NULL;
	size_t nr = 0, linked = 0, written = 0;
	int err;

	err = programs_and_links(s);
	if (!err)
		err = scrape_perf_attach(s);
	if (err)
		return err;
	rows = calloc(s->perf.nr ? s->perf.nr : 1, sizeof(*rows));
	sets = calloc(s->perf.nr ? s->perf.nr : 1, sizeof(*sets));
	ends = calloc(s->perf.nr ? s->perf.nr : 1, sizeof(*ends));
	if (!rows || !sets || !ends) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->perf.nr; i++) {
		if (perf_link_holds(&s->links, s->perf.a[i].event_id))
			linked++;
		else
			rows[nr++] = &s->perf.a[i];
	}
	/* Events alike (one per CPU, or opened twice) make one series: rows[i..ends[i]). */
	qsort(rows, nr, sizeof(*rows), cmp_perf_row);
	expo__family(s->out, "ebpf_prog_attach_info", PROG_ATTACH_HELP, EXPO_GAUGE);
	for (size_t i = 0; i < nr; i = ends[i]) {
		const struct perf_attach *a = rows[i];
		struct prog_labels l;
		const char *name;
		char id[12];
		size_t j;

		for (j = i + 1; j < nr && !cmp_perf_row(&rows[i], &rows[j]); j++)
			;
		ends[i] = j;
		err = attach_prog_name(&w, a->prog_id, &l, &name);
		if (err)
			goto out;
		if (!name)
			continue;
		snprintf(id, sizeof(id), "%u", a->prog_id);
		const struct expo_label labels[] = {
			{"id", id},
			{"name", name},
			{"via", "perf_event"},
			{"attach_type", perf_attach_type_name(a->fd_type)},
			{"target", a->target},
		};

		/* The row's labels, rendered once for both families. */
		sets[i] = expo__labels(s->out, labels, ARRAY_SIZE(labels));
		expo__sample_set(s->out, sets[i], 1);
		written++;
	}
	expo__family(s->out, "ebpf_prog_attach_missed_total", PROG_ATTACH_MISSED_HELP,
		     EXPO_COUNTER);
	for (size_t i = 0; i < nr; i = ends[i]) {
		uint64_t missed;

		if (sets[i].len && perf_rows_missed(rows, i, ends[i], &missed))
			expo__sample_set_u64(s->out, sets[i], missed);
	}
	log_debug("attach_perf_event: %zu perf events with a program, %zu of perf_event links, "
		  "%zu series, %zu closed meanwhile, %zu the kernel does not describe",
		  s->perf.nr, linked, written, s->perf.gone, s->perf.unsupported);
out:
	free(rows);
	free(sets);
	free(ends);
	owner_set__fini(&w.set);
	str_arena__fini(&w.strings);
	return err;
}
