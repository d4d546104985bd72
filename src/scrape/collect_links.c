// SPDX-License-Identifier: Apache-2.0
/*
 * Link series, from SEC("iter/bpf_link") (5.19+): every link, what it
 * attaches its program to, and each program's attachments. A link is
 * exported exactly when its program is: the programs filters apply, on
 * the same label values (prog_labels__build()), whether or not program
 * series are exported. A perf_event link's target is what its perf event
 * probes (scrape_perf_attach()). Multi-probe links are counted, not
 * listed: kprobe_multi's target is "N functions", uprobe_multi's the
 * probed file and its offset count; their missed hits, where the kernel
 * keeps a count, are ebpf_link_missed_total, as are those of perf_event
 * links whose event is a kprobe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "collector.h"
#include "log.h"
#include "util.h"

/* UAPI numbers are stable; libbpf 1.1 does not know the newer ones. */
static const char *const link_type_names[] = {
	"unspec",	"raw_tracepoint", "tracing",	  "cgroup",	"iter",	     "netns",
	"xdp",		"perf_event",	  "kprobe_multi", "struct_ops", "netfilter", "tcx",
	"uprobe_multi", "netkit",	  "sockmap",
};

static const char *link_type_name(uint32_t type)
{
	if (type < ARRAY_SIZE(link_type_names))
		return link_type_names[type];
	return "unknown";
}

/* "ipv4/prerouting": the family and hook as nft names them. */
static void netfilter_target(const struct bpfmap_link_record *rec, char *buf, size_t size)
{
	static const char *const hooks[] = {"prerouting", "input", "forward", "output",
					    "postrouting"};
	const char *pf = rec->nf_pf == 2 ? "ipv4" : rec->nf_pf == 10 ? "ipv6" : NULL;

	if (pf && rec->nf_hooknum < ARRAY_SIZE(hooks))
		snprintf(buf, size, "%s/%s", pf, hooks[rec->nf_hooknum]);
	else
		snprintf(buf, size, "pf%u/hook%u", rec->nf_pf, rec->nf_hooknum);
}

struct link_row {
	const struct link_entry *e;
	char id[12], prog_id[12], prog_name[BPFMAP_NAME_LEN + 1];
	char attach_type_buf[12], cgroup_id[24], ifindex[12], netns[12], target_prog_id[12];
	char nf_priority[12];
	const char *type, *attach_type;
	const char *target; /* where, as one string: path, device, function, hook */
	char *path; /* owned: a cgroup link's cgroup, an uprobe_multi link's file */
	struct cgroup_info cg; /* what the cgroup path names */
	struct resolved_names names; /* and their names, from the owners' resolver */
	char nf_target[32];
};

/* prog_name: as the program's labels name it; NULL if not in this scrape's programs. */
static int link_row_init(struct link_row *row, struct scrape *s, const struct link_entry *e,
			 const char *prog_name)
{
	const struct bpfmap_link_record *rec = &e->rec;
	size_t len;

	memset(row, 0, sizeof(*row));
	row->e = e;
	snprintf(row->id, sizeof(row->id), "%u", rec->id);
	if (rec->prog_id)
		snprintf(row->prog_id, sizeof(row->prog_id), "%u", rec->prog_id);
	if (prog_name)
		snprintf(row->prog_name, sizeof(row->prog_name), "%s", prog_name);
	row->type = link_type_name(rec->type);
	/*
	 * 6.17+ gives every link the attach type its program was loaded
	 * with; 0, the default, is a real type only for cgroup links.
	 */
	row->attach_type = (rec->flags & BPFMAP_LINK_HAS_ATTACH_TYPE) &&
					   (rec->attach_type || rec->type == BPF_LINK_TYPE_CGROUP)
				   ? link_attach_type_name(rec->attach_type, row->attach_type_buf,
							   sizeof(row->attach_type_buf))
				   : "";
	row->target = "";
	switch (rec->target_kind) {
	case BPFMAP_LINK_TARGET_CGROUP:
		snprintf(row->cgroup_id, sizeof(row->cgroup_id), "%llu",
			 (unsigned long long)rec->cgroup_id);
		len = link_path(&s->links, e, NULL, 0);
		row->path = malloc(len + 1);
		if (!row->path)
			return -ENOMEM;
		link_path(&s->links, e, row->path, len + 1);
		row->target = row->path;
		owner_resolve_cgroup(s, row->path, &row->cg, &row->names);
		break;
	case BPFMAP_LINK_TARGET_KPROBE_MULTI:
	case BPFMAP_LINK_TARGET_UPROBE_MULTI:
		len = link_probe_target(&s->links, e, NULL, 0);
		row->path = malloc(len + 1);
		if (!row->path)
			return -ENOMEM;
		link_probe_target(&s->links, e, row->path, len + 1);
		row->target = row->path;
		row->attach_type = link_probe_attach_type(rec);
		break;
	case BPFMAP_LINK_TARGET_NETDEV:
		snprintf(row->ifindex, sizeof(row->ifindex), "%u", rec->ifindex);
		snprintf(row->netns, sizeof(row->netns), "%u", rec->netns_ino);
		row->target = rec->ifname;
		break;
	case BPFMAP_LINK_TARGET_FUNC:
		if (rec->target_prog_id)
			snprintf(row->target_prog_id, sizeof(row->target_prog_id), "%u",
				 rec->target_prog_id);
		row->target = rec->target;
		break;
	case BPFMAP_LINK_TARGET_TRACEPOINT:
	case BPFMAP_LINK_TARGET_ITER:
		row->target = rec->target;
		break;
	case BPFMAP_LINK_TARGET_NETFILTER:
		netfilter_target(rec, row->nf_target, sizeof(row->nf_target));
		row->target = row->nf_target;
		snprintf(row->nf_priority, sizeof(row->nf_priority), "%d", rec->nf_priority);
		snprintf(row->netns, sizeof(row->netns), "%u", rec->netns_ino);
		break;
	case BPFMAP_LINK_TARGET_NETNS:
		/* As a flow dissector attached without a link is placed: by its namespace. */
		if (rec->netns_ino)
			snprintf(row->netns, sizeof(row->netns), "%u", rec->netns_ino);
		row->target = row->netns;
		break;
	default:
		break;
	}
	/* A perf_event link: what its event probes, asked on an fd of the event. */
	if (rec->type == BPF_LINK_TYPE_PERF_EVENT && rec->perf_event_id && s->perf_read &&
	    !s->perf_err) {
		const struct perf_attach *a = perf_attach_table__find(&s->perf, rec->perf_event_id);

		if (a)
			row->target = a->target;
	}
	return 0;
}

/*
 * A cgroup link's workload, as the owner labels of maps and programs
 * name it: the container and pod its cgroup path names, resolved like
 * the holders' (owner_resolve_cgroup()).
 */
static size_t link_workload_labels(const struct link_row *row, struct expo_label *out)
{
	out[0] = (struct expo_label){"container_id", row->cg.container_id};
	out[1] = (struct expo_label){"container", row->names.container};
	out[2] = (struct expo_label){"pod", row->names.pod};
	out[3] = (struct expo_label){"namespace", row->names.namespace};
	return 4;
}

static void write_link_info(struct scrape *s, const struct link_row *rows, size_t nr_rows)
{
	expo__family(s->out, "ebpf_link_info",
		     "A BPF link: its program and what it is attached to; always 1.", EXPO_GAUGE);
	for (size_t i = 0; i < nr_rows; i++) {
		const struct link_row *r = &rows[i];
		struct expo_label labels[16] = {
			{"id", r->id},
			{"link_type", r->type},
			{"prog_id", r->prog_id},
			{"prog_name", r->prog_name},
			{"attach_type", r->attach_type},
			{"target", r->target},
			{"cgroup_id", r->cgroup_id},
			{"ifindex", r->ifindex},
			{"netns", r->netns},
			{"target_prog_id", r->target_prog_id},
			{"priority", r->nf_priority},
		};
		size_t n = 11;

		n += link_workload_labels(r, labels + n);
		expo__sample(s->out, labels, n, 1);
	}
}

/* Hits a link's probes did not hand to its program, where the kernel counts them. */
static void write_link_missed(struct scrape *s, const struct link_row *rows, size_t nr_rows)
{
	expo__family(s->out, "ebpf_link_missed_total",
		     "Probe hits a link's program missed, for links whose kernel counts them "
		     "(kprobe_multi: fprobe's count; perf_event links of kprobes: the kprobe's); "
		     "joins ebpf_link_info on id.",
		     EXPO_COUNTER);
	for (size_t i = 0; i < nr_rows; i++) {
		const struct link_row *r = &rows[i];
		const struct expo_label labels[] = {{"id", r->id}};

		if (r->e->rec.flags & BPFMAP_LINK_HAS_MISSED)
			expo__sample_u64(s->out, labels, 1, r->e->rec.missed);
	}
}

/* Programs labelled with where they are attached: one series per (program, link). */
static void write_prog_attach(struct scrape *s, const struct link_row *rows, size_t nr_rows)
{
	expo__family(s->out, "ebpf_prog_attach_info", PROG_ATTACH_HELP, EXPO_GAUGE);
	for (size_t i = 0; i < nr_rows; i++) {
		const struct link_row *r = &rows[i];
		const struct expo_label labels[] = {
			{"id", r->prog_id},
			{"name", r->prog_name},
			{"link_id", r->id},
			{"link_type", r->type},
			{"attach_type", r->attach_type},
			{"target", r->target},
			{"target_prog_id", r->target_prog_id},
		};

		if (r->e->rec.prog_id)
			expo__sample(s->out, labels, ARRAY_SIZE(labels), 1);
	}
}

int collect_links(struct scrape *s)
{
	struct owner_set set = {0};
	struct str_arena strings = {0}; /* the programs' owner values, for their filters */
	struct link_row *rows = NULL;
	size_t nr_rows = 0;
	bool perf_targets;
	int err;

	/* A link goes with its program, whether or not program series are exported. */
	if (s->src->facts.iter[ITER_PROGS]) {
		err = scrape_programs(s);
		if (err)
			return err;
	}
	err = scrape_links(s);
	if (err)
		return err;
	/* The targets come from the perf event queries, of the attach_perf_event collector. */
	perf_targets = s->cfg->collectors[COLLECTOR_ATTACH_PERF_EVENT] && s->queries.perf_events;
	for (size_t i = 0; perf_targets && i < s->links.nr; i++) {
		if (s->links.links[i].rec.type != BPF_LINK_TYPE_PERF_EVENT)
			continue;
		/* Without the answer, perf_event links only lack their target. */
		err = scrape_perf_attach(s);
		if (err)
			log_debug("links: perf_event link targets unknown: %s", strerror(-err));
		err = 0;
		break;
	}
	rows = calloc(s->links.nr ? s->links.nr : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < s->links.nr; i++) {
		const struct link_entry *e = &s->links.links[i];
		const struct prog_entry *prog =
			s->progs_valid ? scrape_find_prog(&s->progs, e->rec.prog_id) : NULL;
		struct prog_labels l;

		if (prog) {
			err = prog_labels__build(s, prog, &l, &set, &strings);
			if (err)
				goto out;
			/* Exactly the programs the programs collector keeps. */
			if (!prog_labels__kept(s, &l))
				continue;
		}
		err = link_row_init(&rows[nr_rows], s, e, prog ? l.name : NULL);
		if (err)
			goto out;
		nr_rows++;
	}
	write_link_info(s, rows, nr_rows);
	write_link_missed(s, rows, nr_rows);
	write_prog_attach(s, rows, nr_rows);
out:
	for (size_t i = 0; i < s->links.nr; i++)
		free(rows[i].path);
	free(rows);
	owner_set__fini(&set);
	str_arena__fini(&strings);
	return err;
}
