// SPDX-License-Identifier: Apache-2.0
/* rtnetlink parsing: recorded dumps, cut and broken messages, errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "netlink_attach.h"
#include "netlink_dumps.h"

static void recorded_links(void **state)
{
	struct nl_view v = {0};

	(void)state;
	assert_int_equal(nl_parse_links(nl_rec_links, nl_rec_links_len, 1, &v), 1);
	assert_int_equal(v.nr_ifnames, 2);
	assert_string_equal(nl_view_ifname(&v, 1), "lo");
	assert_string_equal(nl_view_ifname(&v, 2), "bme15b");
	assert_string_equal(nl_view_ifname(&v, 3), "");
	assert_int_equal(v.nr_attach, 1);
	assert_int_equal(v.attach[0].kind, NL_ATTACH_XDP);
	assert_int_equal(v.attach[0].prog_id, 69661);
	assert_int_equal(v.attach[0].ifindex, 2);
	assert_string_equal(nl_attach_type_name(&v.attach[0]), "xdp");
	assert_string_equal(nl_xdp_mode_name(&v.attach[0]), "generic");
	nl_view__fini(&v);
}

static void recorded_qdiscs_and_filters(void **state)
{
	struct nl_view v = {0};
	uint32_t parents[2];
	const struct nl_qdisc *clsact = NULL;

	(void)state;
	assert_int_equal(nl_parse_qdiscs(nl_rec_qdiscs, nl_rec_qdiscs_len, 2, &v), 1);
	for (size_t i = 0; i < v.nr_qdiscs; i++)
		if (v.qdiscs[i].ifindex == 2 && !strcmp(v.qdiscs[i].kind, "clsact"))
			clsact = &v.qdiscs[i];
	assert_non_null(clsact);
	assert_int_equal(nl_qdisc_filter_parents(clsact, parents), 2);
	assert_int_equal(parents[0], TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	assert_int_equal(parents[1], TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));

	assert_int_equal(nl_parse_filters(nl_rec_filters, nl_rec_filters_len, 3, "clsact", &v), 1);
	assert_int_equal(v.nr_attach, 1);
	assert_int_equal(v.attach[0].kind, NL_ATTACH_TC);
	assert_int_equal(v.attach[0].prog_id, 69669);
	assert_int_equal(v.attach[0].ifindex, 2);
	assert_true(v.attach[0].direct_action);
	assert_string_equal(v.attach[0].tc_name, "attach_progs.bpf.o:[tc]");
	assert_string_equal(nl_attach_type_name(&v.attach[0]), "tc_egress");
	assert_string_equal(nl_xdp_mode_name(&v.attach[0]), "");
	nl_view__fini(&v);
}

static void qdisc_parents(void **state)
{
	struct nl_qdisc q = {.handle = 0x10000, .kind = "htb"};
	struct nl_qdisc noq = {.handle = 0, .kind = "noqueue"};
	struct nl_qdisc ing = {.handle = 0xffff0000, .kind = "ingress"};
	struct nl_attach a = {.kind = NL_ATTACH_TC, .qdisc = "htb", .parent = 0x10000};
	uint32_t p[2];

	(void)state;
	assert_int_equal(nl_qdisc_filter_parents(&q, p), 1);
	assert_int_equal(p[0], 0x10000);
	assert_int_equal(nl_qdisc_filter_parents(&noq, p), 0);
	assert_int_equal(nl_qdisc_filter_parents(&ing, p), 1);
	assert_int_equal(p[0], TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	assert_string_equal(nl_attach_type_name(&a), "tc");
}

/* Another request's answers are skipped; an answer of ours is read. */
static void other_seq(void **state)
{
	struct nl_view v = {0};

	(void)state;
	assert_int_equal(nl_parse_links(nl_rec_links, nl_rec_links_len, 7, &v), 0);
	assert_int_equal(v.nr_ifnames, 0);
	nl_view__fini(&v);
}

/* Every cut of a recorded dump is refused or read in part, never overrun. */
static void truncated(void **state)
{
	(void)state;
	for (size_t len = 0; len < nl_rec_links_len; len++) {
		unsigned char *copy = malloc(len ? len : 1);
		struct nl_view v = {0};
		int err;

		memcpy(copy, nl_rec_links, len);
		err = nl_parse_links(copy, len, 1, &v);
		assert_true(err == 0 || err == -EBADMSG);
		nl_view__fini(&v);
		free(copy);
	}
}

/* A length that claims more than the buffer holds. */
static void bad_lengths(void **state)
{
	unsigned char copy[sizeof(nl_rec_filters)];
	struct nlmsghdr *h = (struct nlmsghdr *)copy;
	struct nl_view v = {0};

	(void)state;
	memcpy(copy, nl_rec_filters, sizeof(copy));
	h->nlmsg_len = sizeof(copy) + 4;
	assert_int_equal(nl_parse_filters(copy, sizeof(copy), 3, "clsact", &v), -EBADMSG);
	h->nlmsg_len = 4;
	assert_int_equal(nl_parse_filters(copy, sizeof(copy), 3, "clsact", &v), -EBADMSG);
	assert_int_equal(v.nr_attach, 0);
	nl_view__fini(&v);
}

static void netlink_error(void **state)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} msg = {
		.h = {.nlmsg_len = sizeof(msg), .nlmsg_type = NLMSG_ERROR, .nlmsg_seq = 5},
		.e = {.error = -ENODEV},
	};
	struct nl_view v = {0};

	(void)state;
	assert_int_equal(nl_parse_qdiscs(&msg, sizeof(msg), 5, &v), -ENODEV);
	msg.e.error = 0; /* an acknowledgement */
	assert_int_equal(nl_parse_qdiscs(&msg, sizeof(msg), 5, &v), 0);
	nl_view__fini(&v);
}

/* A veth end whose peer is in another namespace: its kind, peer and the peer's namespace id. */
static void recorded_veth_peer(void **state)
{
	struct nl_view v = {0};
	const struct nl_ifname *lo, *veth;

	(void)state;
	assert_int_equal(nl_parse_links(nl_rec_veth_links, nl_rec_veth_links_len, 4, &v), 1);
	lo = nl_view_if(&v, 1);
	veth = nl_view_if(&v, 2);
	assert_non_null(lo);
	assert_non_null(veth);
	assert_null(nl_view_if(&v, 3));
	assert_false(lo->veth);
	assert_int_equal(lo->link_netnsid, NL_NSID_NONE);
	assert_string_equal(veth->name, "bme15v");
	assert_true(veth->veth);
	assert_int_equal(veth->link, 2);
	assert_int_equal(veth->link_netnsid, 0);
	assert_int_equal(v.nr_attach, 1);
	assert_int_equal(v.attach[0].prog_id, 32686);
	assert_int_equal(v.attach[0].ifindex, 2);
	nl_view__fini(&v);
}

/* RTM_GETNSID answers: an id, none given, and a file that is no namespace. */
static void recorded_nsid(void **state)
{
	int32_t nsid = 42;

	(void)state;
	assert_int_equal(nl_parse_nsid(nl_rec_nsid_peer, nl_rec_nsid_peer_len, 5, &nsid), 1);
	assert_int_equal(nsid, 0);
	nsid = 42;
	assert_int_equal(nl_parse_nsid(nl_rec_nsid_none, nl_rec_nsid_none_len, 6, &nsid), 1);
	assert_int_equal(nsid, NL_NSID_NONE);
	assert_int_equal(nl_parse_nsid(nl_rec_nsid_bad_fd, nl_rec_nsid_bad_fd_len, 7, &nsid),
			 -EINVAL);
	/* Another request's answer is not ours. */
	nsid = 42;
	assert_int_equal(nl_parse_nsid(nl_rec_nsid_peer, nl_rec_nsid_peer_len, 6, &nsid), 0);
	assert_int_equal(nsid, 42);
}

/* Cut anywhere, the veth dump and the id answer are refused or read in part. */
static void truncated_veth_and_nsid(void **state)
{
	(void)state;
	for (size_t len = 0; len < nl_rec_veth_links_len; len++) {
		unsigned char *copy = malloc(len ? len : 1);
		struct nl_view v = {0};
		int err;

		memcpy(copy, nl_rec_veth_links, len);
		err = nl_parse_links(copy, len, 4, &v);
		assert_true(err == 0 || err == -EBADMSG);
		for (size_t i = 0; i < v.nr_ifnames; i++)
			assert_true(v.ifnames[i].link_netnsid == NL_NSID_NONE ||
				    v.ifnames[i].link_netnsid == 0);
		nl_view__fini(&v);
		free(copy);
	}
	for (size_t len = 0; len < nl_rec_nsid_peer_len; len++) {
		unsigned char copy[sizeof(nl_rec_nsid_peer)];
		int32_t nsid = 42;
		int err;

		memcpy(copy, nl_rec_nsid_peer, len);
		err = nl_parse_nsid(copy, len, 5, &nsid);
		assert_true(err == 0 || err == -EBADMSG);
		assert_int_equal(nsid, 42);
	}
}

/* An id attribute too short to hold one: no id, not garbage. */
static void short_nsid(void **state)
{
	unsigned char copy[sizeof(nl_rec_nsid_peer)];
	struct nlmsghdr *h = (struct nlmsghdr *)copy;
	struct rtattr *a = (struct rtattr *)(copy + NLMSG_LENGTH(NLMSG_ALIGN(1)));
	int32_t nsid = 42;

	(void)state;
	memcpy(copy, nl_rec_nsid_peer, sizeof(copy));
	assert_int_equal(a->rta_type, NETNSA_NSID);
	a->rta_len = RTA_LENGTH(2);
	h->nlmsg_len = NLMSG_LENGTH(NLMSG_ALIGN(1)) + RTA_LENGTH(2);
	assert_int_equal(nl_parse_nsid(copy, h->nlmsg_len, 5, &nsid), 1);
	assert_int_equal(nsid, NL_NSID_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_links), cmocka_unit_test(recorded_qdiscs_and_filters),
		cmocka_unit_test(qdisc_parents),  cmocka_unit_test(other_seq),
		cmocka_unit_test(truncated),	  cmocka_unit_test(bad_lengths),
		cmocka_unit_test(netlink_error),  cmocka_unit_test(recorded_veth_peer),
		cmocka_unit_test(recorded_nsid),  cmocka_unit_test(truncated_veth_and_nsid),
		cmocka_unit_test(short_nsid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
