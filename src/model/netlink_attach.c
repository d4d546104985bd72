// SPDX-License-Identifier: Apache-2.0
/*
 * rtnetlink dumps of XDP programs and tc cls_bpf filters. Raw netlink, no
 * library: three request shapes and a few attributes. Every length comes
 * from the kernel and is checked before use.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "grow.h"
#include "netlink_attach.h"

void nl_view__fini(struct nl_view *v)
{
	if (!v)
		return;
	free(v->attach);
	free(v->ifnames);
	free(v->qdiscs);
	memset(v, 0, sizeof(*v));
}

/* An attribute walk over [p, p + len): the next attribute, or NULL at the end. */
static const struct rtattr *next_attr(const void **p, size_t *len)
{
	const struct rtattr *a = *p;
	size_t step;

	if (*len < sizeof(*a) || a->rta_len < sizeof(*a) || a->rta_len > *len)
		return NULL;
	step = RTA_ALIGN(a->rta_len);
	if (step > *len)
		step = *len;
	*p = (const char *)*p + step;
	*len -= step;
	return a;
}

static const void *attr_data(const struct rtattr *a)
{
	return (const char *)a + RTA_LENGTH(0);
}

static size_t attr_len(const struct rtattr *a)
{
	return a->rta_len - RTA_LENGTH(0);
}

static uint32_t attr_u32(const struct rtattr *a)
{
	uint32_t v = 0;

	if (attr_len(a) >= sizeof(v))
		memcpy(&v, attr_data(a), sizeof(v));
	return v;
}

/* A string attribute into out (NUL-terminated, cut to size). */
static void attr_str(const struct rtattr *a, char *out, size_t size)
{
	size_t n = strnlen(attr_data(a), attr_len(a));

	if (n >= size)
		n = size - 1;
	memcpy(out, attr_data(a), n);
	out[n] = '\0';
}

/* The nested type (NLA_F_NESTED and byte-order bits cleared). */
static unsigned int attr_type(const struct rtattr *a)
{
	return a->rta_type & NLA_TYPE_MASK;
}

/*
 * Walk the messages of one buffer: fn gets each message of type want
 * answering seq, with its payload after a family header of hdr_len.
 * 1 on NLMSG_DONE, 0 if more is to come, -errno.
 */
typedef int (*msg_fn)(const struct nlmsghdr *h, const void *hdr, const void *attrs,
		      size_t attrs_len, void *arg);

static int walk_msgs(const void *buf, size_t len, uint32_t seq, uint16_t want, size_t hdr_len,
		     msg_fn fn, void *arg)
{
	const char *p = buf;
	int err;

	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const void *)p;
		size_t step;

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len)
			return -EBADMSG;
		step = NLMSG_ALIGN(h->nlmsg_len);
		if (step > len)
			step = len;
		if (h->nlmsg_seq != seq)
			goto next; /* someone else's answer: not ours to read */
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			if (e->error)
				return e->error < 0 ? e->error : -EPROTO;
			goto next;
		}
		if (h->nlmsg_type != want)
			goto next;
		if (h->nlmsg_len < NLMSG_LENGTH(NLMSG_ALIGN(hdr_len)))
			return -EBADMSG;
		err = fn(h, NLMSG_DATA(h), (const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdr_len),
			 h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(hdr_len)), arg);
		if (err)
			return err;
	next:
		p += step;
		len -= step;
	}
	return 0;
}

static int add_attach(struct nl_view *v, const struct nl_attach *a)
{
	int err = grow_array((void **)&v->attach, &v->cap_attach, v->nr_attach + 1,
			     sizeof(*v->attach));

	if (!err)
		v->attach[v->nr_attach++] = *a;
	return err;
}

static int link_msg(const struct nlmsghdr *h, const void *hdr, const void *attrs, size_t len,
		    void *arg)
{
	const struct ifinfomsg *ifi = hdr;
	struct nl_view *v = arg;
	struct nl_ifname name = {.ifindex = ifi->ifi_index, .link_netnsid = NL_NSID_NONE};
	const struct rtattr *a, *x;
	char kind[16];
	int err;

	(void)h;
	while ((a = next_attr(&attrs, &len))) {
		const void *nested = attr_data(a);
		size_t nested_len = attr_len(a);

		switch (attr_type(a)) {
		case IFLA_IFNAME:
			attr_str(a, name.name, sizeof(name.name));
			continue;
		case IFLA_LINK:
			name.link = attr_u32(a);
			continue;
		case IFLA_LINK_NETNSID:
			if (attr_len(a) >= sizeof(int32_t))
				name.link_netnsid = (int32_t)attr_u32(a);
			continue;
		case IFLA_LINKINFO:
			while ((x = next_attr(&nested, &nested_len))) {
				if (attr_type(x) != IFLA_INFO_KIND)
					continue;
				attr_str(x, kind, sizeof(kind));
				name.veth = !strcmp(kind, "veth");
			}
			continue;
		case IFLA_XDP:
			break;
		default:
			continue;
		}
		/* Each mode's program has its own attribute, in every mode (multi too). */
		while ((x = next_attr(&nested, &nested_len))) {
			struct nl_attach at = {.kind = NL_ATTACH_XDP, .ifindex = ifi->ifi_index};

			switch (attr_type(x)) {
			case IFLA_XDP_DRV_PROG_ID:
				at.mode = NL_XDP_DRV;
				break;
			case IFLA_XDP_SKB_PROG_ID:
				at.mode = NL_XDP_SKB;
				break;
			case IFLA_XDP_HW_PROG_ID:
				at.mode = NL_XDP_HW;
				break;
			default:
				continue;
			}
			at.prog_id = attr_u32(x);
			if (!at.prog_id)
				continue;
			err = add_attach(v, &at);
			if (err)
				return err;
		}
	}
	err = grow_array((void **)&v->ifnames, &v->cap_ifnames, v->nr_ifnames + 1,
			 sizeof(*v->ifnames));
	if (!err)
		v->ifnames[v->nr_ifnames++] = name;
	return err;
}

int nl_parse_links(const void *buf, size_t len, uint32_t seq, struct nl_view *v)
{
	return walk_msgs(buf, len, seq, RTM_NEWLINK, sizeof(struct ifinfomsg), link_msg, v);
}

static int qdisc_msg(const struct nlmsghdr *h, const void *hdr, const void *attrs, size_t len,
		     void *arg)
{
	const struct tcmsg *t = hdr;
	struct nl_view *v = arg;
	struct nl_qdisc q = {
		.ifindex = t->tcm_ifindex, .handle = t->tcm_handle, .parent = t->tcm_parent};
	const struct rtattr *a;
	int err;

	(void)h;
	while ((a = next_attr(&attrs, &len)))
		if (attr_type(a) == TCA_KIND)
			attr_str(a, q.kind, sizeof(q.kind));
	err = grow_array((void **)&v->qdiscs, &v->cap_qdiscs, v->nr_qdiscs + 1, sizeof(*v->qdiscs));
	if (!err)
		v->qdiscs[v->nr_qdiscs++] = q;
	return err;
}

int nl_parse_qdiscs(const void *buf, size_t len, uint32_t seq, struct nl_view *v)
{
	return walk_msgs(buf, len, seq, RTM_NEWQDISC, sizeof(struct tcmsg), qdisc_msg, v);
}

struct filter_arg {
	struct nl_view *v;
	const char *qdisc_kind;
};

static int filter_msg(const struct nlmsghdr *h, const void *hdr, const void *attrs, size_t len,
		      void *arg)
{
	const struct tcmsg *t = hdr;
	struct filter_arg *fa = arg;
	struct nl_attach at = {
		.kind = NL_ATTACH_TC,
		.ifindex = t->tcm_ifindex,
		.parent = t->tcm_parent,
		.prio = TC_H_MAJ(t->tcm_info) >> 16,
		.handle = t->tcm_handle,
	};
	const struct rtattr *a, *o;
	char kind[16] = "";

	(void)h;
	snprintf(at.qdisc, sizeof(at.qdisc), "%s", fa->qdisc_kind);
	while ((a = next_attr(&attrs, &len))) {
		const void *opts = attr_data(a);
		size_t opts_len = attr_len(a);

		if (attr_type(a) == TCA_KIND) {
			attr_str(a, kind, sizeof(kind));
			continue;
		}
		/* TCA_KIND comes first: options of other classifiers are not ours to read. */
		if (attr_type(a) != TCA_OPTIONS || strcmp(kind, "bpf"))
			continue;
		while ((o = next_attr(&opts, &opts_len))) {
			switch (attr_type(o)) {
			case TCA_BPF_ID:
				at.prog_id = attr_u32(o);
				break;
			case TCA_BPF_NAME:
				attr_str(o, at.tc_name, sizeof(at.tc_name));
				break;
			case TCA_BPF_FLAGS:
				at.direct_action = !!(attr_u32(o) & TCA_BPF_FLAG_ACT_DIRECT);
				break;
			default:
				break;
			}
		}
	}
	/* A chain template or a classic BPF filter carries no program id. */
	return at.prog_id ? add_attach(fa->v, &at) : 0;
}

int nl_parse_filters(const void *buf, size_t len, uint32_t seq, const char *qdisc_kind,
		     struct nl_view *v)
{
	struct filter_arg fa = {v, qdisc_kind};

	return walk_msgs(buf, len, seq, RTM_NEWTFILTER, sizeof(struct tcmsg), filter_msg, &fa);
}

const struct nl_ifname *nl_view_if(const struct nl_view *v, uint32_t ifindex)
{
	for (size_t i = 0; i < v->nr_ifnames; i++)
		if (v->ifnames[i].ifindex == ifindex)
			return &v->ifnames[i];
	return NULL;
}

const char *nl_view_ifname(const struct nl_view *v, uint32_t ifindex)
{
	const struct nl_ifname *i = nl_view_if(v, ifindex);

	return i ? i->name : "";
}

static int nsid_msg(const struct nlmsghdr *h, const void *hdr, const void *attrs, size_t len,
		    void *arg)
{
	const struct rtattr *a;
	int32_t *nsid = arg;

	(void)h;
	(void)hdr;
	*nsid = NL_NSID_NONE;
	while ((a = next_attr(&attrs, &len)))
		if (attr_type(a) == NETNSA_NSID && attr_len(a) >= sizeof(int32_t))
			*nsid = (int32_t)attr_u32(a);
	return 1; /* the one answer: done */
}

int nl_parse_nsid(const void *buf, size_t len, uint32_t seq, int32_t *nsid)
{
	return walk_msgs(buf, len, seq, RTM_NEWNSID, sizeof(struct rtgenmsg), nsid_msg, nsid);
}

size_t nl_qdisc_filter_parents(const struct nl_qdisc *q, uint32_t parents[2])
{
	/* clsact's and ingress's handle is ffff:0; both hold ingress filters at ffff:fff2. */
	if (!strcmp(q->kind, "clsact")) {
		parents[0] = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
		parents[1] = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS);
		return 2;
	}
	if (!strcmp(q->kind, "ingress")) {
		parents[0] = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
		return 1;
	}
	if (!q->handle)
		return 0; /* noqueue and the like hold no filters */
	parents[0] = q->handle;
	return 1;
}

const char *nl_attach_type_name(const struct nl_attach *a)
{
	if (a->kind == NL_ATTACH_XDP)
		return "xdp";
	if (!strcmp(a->qdisc, "clsact") || !strcmp(a->qdisc, "ingress"))
		return a->parent == TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) ? "tc_egress"
									    : "tc_ingress";
	return "tc";
}

const char *nl_xdp_mode_name(const struct nl_attach *a)
{
	static const char *const names[] = {
		[NL_XDP_DRV] = "driver", [NL_XDP_SKB] = "generic", [NL_XDP_HW] = "offload"};

	return a->kind == NL_ATTACH_XDP ? names[a->mode] : "";
}

/* --- the dumps ------------------------------------------------------------ */

struct nl_request {
	struct nlmsghdr h;
	union {
		struct ifinfomsg ifi;
		struct tcmsg tc;
		struct rtgenmsg gen;
	};
	char attrs[16];
};

/* A dump's answers fit: the kernel fills at most 32 KiB per message batch. */
#define NL_BUF_SIZE 65536

enum dump_kind { DUMP_LINKS, DUMP_QDISCS, DUMP_FILTERS };

static int dump(int fd, struct nl_request *req, uint32_t seq, enum dump_kind kind,
		const char *qdisc_kind, struct nl_view *v, char *buf)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int err = 0;

	req->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->h.nlmsg_seq = seq;
	if (sendto(fd, req, req->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	while (!err) {
		ssize_t n = recv(fd, buf, NL_BUF_SIZE, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		switch (kind) {
		case DUMP_LINKS:
			err = nl_parse_links(buf, n, seq, v);
			break;
		case DUMP_QDISCS:
			err = nl_parse_qdiscs(buf, n, seq, v);
			break;
		default:
			err = nl_parse_filters(buf, n, seq, qdisc_kind, v);
			break;
		}
	}
	return err < 0 ? err : 0;
}

int netlink_attach_read(int fd, struct nl_view *v)
{
	struct nl_request req;
	uint32_t seq = (uint32_t)getpid() << 8; /* any; answers are matched on it */
	size_t nr_qdiscs;
	char *buf;
	int err;

	nl_view__fini(v);
	buf = malloc(NL_BUF_SIZE);
	if (!buf)
		return -ENOMEM;

	/* Interfaces: names and XDP, statistics left out (they are most of the bytes). */
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_type = RTM_GETLINK;
	req.ifi.ifi_family = AF_UNSPEC;
	{
		struct rtattr *a = (struct rtattr *)((char *)&req + NLMSG_LENGTH(sizeof(req.ifi)));
		uint32_t mask = RTEXT_FILTER_SKIP_STATS;

		a->rta_type = IFLA_EXT_MASK;
		a->rta_len = RTA_LENGTH(sizeof(mask));
		memcpy(RTA_DATA(a), &mask, sizeof(mask));
		req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_SPACE(sizeof(mask));
	}
	err = dump(fd, &req, ++seq, DUMP_LINKS, NULL, v, buf);
	if (err)
		goto out;

	/* Every qdisc of the namespace in one dump, then the filters of each. */
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_type = RTM_GETQDISC;
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.tc));
	req.tc.tcm_family = AF_UNSPEC;
	err = dump(fd, &req, ++seq, DUMP_QDISCS, NULL, v, buf);
	if (err)
		goto out;
	nr_qdiscs = v->nr_qdiscs;
	for (size_t i = 0; i < nr_qdiscs; i++) {
		struct nl_qdisc q = v->qdiscs[i];
		uint32_t parents[2];
		size_t n = nl_qdisc_filter_parents(&q, parents);

		for (size_t j = 0; j < n; j++) {
			memset(&req, 0, sizeof(req));
			req.h.nlmsg_type = RTM_GETTFILTER;
			req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.tc));
			req.tc.tcm_family = AF_UNSPEC;
			req.tc.tcm_ifindex = q.ifindex;
			req.tc.tcm_parent = parents[j];
			err = dump(fd, &req, ++seq, DUMP_FILTERS, q.kind, v, buf);
			/* The interface or qdisc went away meanwhile: nothing attached there. */
			if (err == -ENODEV || err == -EINVAL || err == -ENOENT)
				err = 0;
			if (err)
				goto out;
		}
	}
out:
	free(buf);
	return err;
}

/* RTM_GETNSID naming the other namespace by attribute type (NETNSA_FD, NETNSA_PID). */
static int nsid_request(int fd, uint16_t type, uint32_t value, uint32_t seq, int32_t *nsid)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct nl_request req;
	struct rtattr *a;
	char *buf;
	int err = 0;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_type = RTM_GETNSID;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = seq;
	req.gen.rtgen_family = AF_UNSPEC;
	a = (struct rtattr *)((char *)&req + NLMSG_LENGTH(NLMSG_ALIGN(sizeof(req.gen))));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(sizeof(value));
	memcpy(RTA_DATA(a), &value, sizeof(value));
	req.h.nlmsg_len = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(req.gen))) + RTA_SPACE(sizeof(value));
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	buf = malloc(NL_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	while (!err) {
		ssize_t n = recv(fd, buf, NL_BUF_SIZE, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0) {
			err = -EPIPE;
			break;
		}
		err = nl_parse_nsid(buf, n, seq, nsid);
	}
	free(buf);
	return err < 0 ? err : 0;
}

int netlink_nsid_of(int fd, int ns_fd, uint32_t seq, int32_t *nsid)
{
	return nsid_request(fd, NETNSA_FD, (uint32_t)ns_fd, seq, nsid);
}

int netlink_nsid_of_pid(int fd, uint32_t pid, uint32_t seq, int32_t *nsid)
{
	return nsid_request(fd, NETNSA_PID, pid, seq, nsid);
}
