/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Programs attached to network interfaces without a link, as rtnetlink
 * reports them in one network namespace: XDP (RTM_GETLINK, IFLA_XDP) and
 * tc cls_bpf filters (RTM_GETQDISC, then RTM_GETTFILTER per qdisc,
 * TCA_BPF_ID). The parsers take raw netlink bytes (no I/O), so they are
 * tested on recorded dumps; netlink_attach_read() does the dumps on a
 * socket made in the namespace to read.
 */
#ifndef BPFMAP_NETLINK_ATTACH_H
#define BPFMAP_NETLINK_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#define NL_IFNAME_LEN 16 /* IFNAMSIZ */
#define NL_TC_NAME_LEN 64 /* TCA_BPF_NAME: "file.o:[section]", cut */

enum nl_attach_kind {
	NL_ATTACH_XDP,
	NL_ATTACH_TC,
};

/* XDP modes as IFLA_XDP names them. */
enum nl_xdp_mode {
	NL_XDP_DRV,
	NL_XDP_SKB,
	NL_XDP_HW,
};

struct nl_attach {
	enum nl_attach_kind kind;
	uint32_t prog_id;
	uint32_t ifindex;
	enum nl_xdp_mode mode; /* XDP */
	uint32_t parent; /* tc: the filter's parent (TC_H_MAKE(major, minor)) */
	char qdisc[16]; /* tc: the kind of the qdisc holding it ("clsact", ...) */
	uint16_t prio; /* tc */
	uint32_t handle; /* tc */
	uint8_t direct_action; /* tc: TCA_BPF_FLAG_ACT_DIRECT */
	char tc_name[NL_TC_NAME_LEN]; /* tc: what the loader named it */
};

/* No peer namespace: IFLA_LINK_NETNSID absent (NETNSA_NSID_NOT_ASSIGNED). */
#define NL_NSID_NONE (-1)

struct nl_ifname {
	uint32_t ifindex;
	char name[NL_IFNAME_LEN];
	uint8_t veth; /* IFLA_LINKINFO's IFLA_INFO_KIND is "veth" */
	/*
	 * The peer (IFLA_LINK) and the id of its namespace as this namespace
	 * sees it (IFLA_LINK_NETNSID), given only when the peer is in another
	 * namespace; NL_NSID_NONE otherwise.
	 */
	uint32_t link;
	int32_t link_netnsid;
};

struct nl_qdisc {
	uint32_t ifindex;
	uint32_t handle;
	uint32_t parent;
	char kind[16];
};

/* One namespace's view: interfaces, their qdiscs and attachments. */
struct nl_view {
	struct nl_attach *attach;
	size_t nr_attach, cap_attach;
	struct nl_ifname *ifnames;
	size_t nr_ifnames, cap_ifnames;
	struct nl_qdisc *qdiscs;
	size_t nr_qdiscs, cap_qdiscs;
};

void nl_view__fini(struct nl_view *v); /* NULL-safe; leaves v empty */

/*
 * Parse one recv()'d buffer of a dump answering request seq. Return 1
 * when the dump's NLMSG_DONE is in it, 0 if more is to come, -errno on a
 * netlink error or a malformed message.
 *
 * nl_parse_links: RTM_NEWLINK messages -> interface names, XDP programs.
 * nl_parse_qdiscs: RTM_NEWQDISC messages -> qdiscs.
 * nl_parse_filters: RTM_NEWTFILTER messages -> cls_bpf programs, their
 * qdisc kind given (the filter's parent is in the message).
 */
int nl_parse_links(const void *buf, size_t len, uint32_t seq, struct nl_view *v);
int nl_parse_qdiscs(const void *buf, size_t len, uint32_t seq, struct nl_view *v);
int nl_parse_filters(const void *buf, size_t len, uint32_t seq, const char *qdisc_kind,
		     struct nl_view *v);

/* An interface's name in v, or "" if the dump did not name it. */
const char *nl_view_ifname(const struct nl_view *v, uint32_t ifindex);
/* An interface of v, or NULL if the dump did not list it. */
const struct nl_ifname *nl_view_if(const struct nl_view *v, uint32_t ifindex);

/*
 * The id the namespace of a socket gives another namespace, from the
 * answer (RTM_NEWNSID) to an RTM_GETNSID request seq: 1 and *nsid set
 * (NL_NSID_NONE if it gave it none), 0 if not in this buffer, -errno on
 * a netlink error or a malformed message.
 */
int nl_parse_nsid(const void *buf, size_t len, uint32_t seq, int32_t *nsid);

/*
 * The tc parents to ask for filters on a qdisc: clsact has two (ingress,
 * egress), ingress one, a classful or classless qdisc its own handle;
 * noqueue (handle 0) none. Returns how many it wrote to parents (up to 2).
 */
size_t nl_qdisc_filter_parents(const struct nl_qdisc *q, uint32_t parents[2]);

/*
 * "tc_ingress" / "tc_egress" for clsact and ingress qdiscs, "tc" for
 * filters on any other qdisc; "xdp" for XDP.
 */
const char *nl_attach_type_name(const struct nl_attach *a);
/* "driver", "generic", "offload" (bpftool's words); "" for tc. */
const char *nl_xdp_mode_name(const struct nl_attach *a);

/*
 * Dump XDP and tc attachments over fd, a NETLINK_ROUTE socket made in the
 * namespace to read, into v (emptied first). 0 or -errno.
 */
int netlink_attach_read(int fd, struct nl_view *v);

/*
 * The id fd's namespace (a NETLINK_ROUTE socket made there) gives the
 * namespace ns_fd refers to (RTM_GETNSID with NETNSA_FD; asking
 * assigns none): 0 and *nsid (NL_NSID_NONE if none), or -errno. seq: a
 * number new on this socket (answers are matched on it).
 */
int netlink_nsid_of(int fd, int ns_fd, uint32_t seq, int32_t *nsid);
/*
 * The same for the namespace of process pid (NETNSA_PID, pid in the
 * caller's PID namespace): the kernel asks for no ptrace access there,
 * unlike for an fd of /proc/PID/ns/net. -ESRCH if pid is gone.
 */
int netlink_nsid_of_pid(int fd, uint32_t pid, uint32_t seq, int32_t *nsid);

#endif
