// SPDX-License-Identifier: Apache-2.0
/*
 * Integration test fixture: creates a known set of BPF maps and one
 * program, prints their ids, and keeps them alive until told to exit.
 *
 * Usage: fixture PREFIX   (PREFIX: 1-6 chars of [A-Za-z0-9_.])
 *        fixture --probe  (what this kernel allows for counting, see probe())
 *
 * stdout: "map <role> <id> <name>" and "prog <role> <id> <name>" lines,
 * then "ready". stdin commands: "delete del" closes the <p>_del map (it
 * disappears from the kernel) and answers "deleted del"; "exit" or EOF
 * closes everything and exits 0. Any error: message on stderr, exit 1.
 *
 * The kernel is shared with other tests, so the script finds these
 * objects by the ids printed here, never by counting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#define PREFIX_MAX 6

struct map_spec {
	const char *role;
	const char *suffix; /* appended to the prefix; NULL: empty name */
	enum bpf_map_type type;
	__u32 map_flags;
	__u32 max_entries;
	__u32 nr_elems; /* elements inserted at start */
	const char *inner; /* map-in-map: role of the inner map, the value of every element */
	int fd;
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
};

/* fd -1: not (or no longer) open. */
#define MAP(role_, suffix_, type_, flags_, max_, nr_)                                 \
	{                                                                             \
		.role = role_, .suffix = suffix_, .type = type_, .map_flags = flags_, \
		.max_entries = max_, .nr_elems = nr_, .fd = -1                        \
	}

/* A map of maps whose elements all hold the map of role inner_. */
#define MAP_OF_MAPS(role_, suffix_, type_, max_, nr_, inner_)                         \
	{                                                                             \
		.role = role_, .suffix = suffix_, .type = type_, .max_entries = max_, \
		.nr_elems = nr_, .inner = inner_, .fd = -1                            \
	}

/* The expected values in expected_maps.txt mirror this table. */
static struct map_spec maps[] = {
	MAP("hash", "_hash", BPF_MAP_TYPE_HASH, 0, 100, 37),
	MAP("lru", "_lru", BPF_MAP_TYPE_LRU_HASH, 0, 50, 10),
	MAP("pcpu", "_pcpu", BPF_MAP_TYPE_PERCPU_HASH, 0, 64, 16),
	MAP("nopre", "_nopre", BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 200, 50),
	MAP("arr", "_arr", BPF_MAP_TYPE_ARRAY, 0, 8, 0),
	MAP("noname", NULL, BPF_MAP_TYPE_HASH, 0, 10, 3),
	/* Every class of character the kernel allows in an object name. */
	MAP("chars", "Az9_.", BPF_MAP_TYPE_HASH, 0, 4, 4),
	MAP("one", "_one", BPF_MAP_TYPE_HASH, 0, 1, 0),
	MAP("del", "_del", BPF_MAP_TYPE_HASH, 0, 10, 1),
	MAP("inner", "_inner", BPF_MAP_TYPE_HASH, 0, 4, 0),
	MAP_OF_MAPS("hom", "_hom", BPF_MAP_TYPE_HASH_OF_MAPS, 4, 2, "inner"),
	/* Types with their own counter; create_other() fills them. */
	MAP("lpm", "_lpm", BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC, 16, 6),
	MAP("queue", "_queue", BPF_MAP_TYPE_QUEUE, 0, 8, 7), /* wrapped around */
	MAP("stack", "_stack", BPF_MAP_TYPE_STACK, 0, 4, 3),
	MAP("dmh", "_dmh", BPF_MAP_TYPE_DEVMAP_HASH, 0, 8, 2),
};

#define NR_MAPS (sizeof(maps) / sizeof(maps[0]))

static int prog_fd = -1;
static __u32 prog_id;
static char prog_name[BPF_OBJ_NAME_LEN];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fixture: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static struct map_spec *find_map(const char *role)
{
	size_t i;

	for (i = 0; i < NR_MAPS; i++)
		if (!strcmp(maps[i].role, role))
			return &maps[i];
	return NULL;
}

static int valid_prefix(const char *p)
{
	size_t len = strlen(p);

	if (len == 0 || len > PREFIX_MAX)
		return 0;
	return strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.") == len;
}

static __u32 id_of(int fd, const char *what)
{
	struct bpf_map_info minfo = {};
	struct bpf_prog_info pinfo = {};
	__u32 len;
	int err;

	/* The info struct only has to be big enough for the id. */
	if (!strcmp(what, "prog")) {
		len = sizeof(pinfo);
		err = bpf_obj_get_info_by_fd(fd, &pinfo, &len);
		if (err)
			die("get prog info: %s", strerror(errno));
		return pinfo.id;
	}
	len = sizeof(minfo);
	err = bpf_obj_get_info_by_fd(fd, &minfo, &len);
	if (err)
		die("get map info of %s: %s", what, strerror(errno));
	return minfo.id;
}

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

/* Map types whose keys and values are not 4 and 8 bytes; nr_elems end up in each. */
static int create_other(struct map_spec *m)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = m->map_flags);
	__u64 v = 0;
	__u32 i, ifindex = 1; /* loopback, in every network namespace */
	int fd, err = 0;

	switch (m->type) {
	case BPF_MAP_TYPE_LPM_TRIE:
		fd = bpf_map_create(m->type, m->name, sizeof(struct lpm_key), sizeof(v),
				    m->max_entries, &opts);
		for (i = 0; fd >= 0 && !err && i < m->nr_elems; i++) {
			struct lpm_key k = {.prefixlen = 24, .addr = {10, 0, i, 0}};

			err = bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST);
		}
		break;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		fd = bpf_map_create(m->type, m->name, 0, sizeof(v), m->max_entries, &opts);
		/* Fill it, take 3 out, push 2 more: a queue's head wraps past its end. */
		for (i = 0; fd >= 0 && !err && i < m->max_entries; i++)
			err = bpf_map_update_elem(fd, NULL, &v, 0);
		for (i = 0; fd >= 0 && !err && i < 3; i++)
			err = bpf_map_lookup_and_delete_elem(fd, NULL, &v);
		for (i = m->max_entries - 3; fd >= 0 && !err && i < m->nr_elems; i++)
			err = bpf_map_update_elem(fd, NULL, &v, 0);
		break;
	case BPF_MAP_TYPE_DEVMAP_HASH:
		fd = bpf_map_create(m->type, m->name, sizeof(i), sizeof(ifindex), m->max_entries,
				    &opts);
		for (i = 0; fd >= 0 && !err && i < m->nr_elems; i++)
			err = bpf_map_update_elem(fd, &i, &ifindex, BPF_NOEXIST);
		break;
	default:
		return -2; /* not one of these */
	}
	if (fd < 0)
		die("create map %s: %s", m->role, strerror(errno));
	if (err)
		die("fill map %s: %s", m->role, strerror(errno));
	return fd;
}

static void create_map(struct map_spec *m, const char *prefix, int nr_cpus)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = m->map_flags);
	int inner_fd = m->inner ? find_map(m->inner)->fd : -1;
	__u32 value_size = m->inner ? sizeof(__u32) : sizeof(__u64);
	__u64 *value;
	__u32 key;

	if (m->suffix)
		snprintf(m->name, sizeof(m->name), "%s%s", prefix, m->suffix);
	m->fd = create_other(m);
	if (m->fd >= 0) {
		m->id = id_of(m->fd, m->role);
		return;
	}
	opts.inner_map_fd = m->inner ? inner_fd : 0;
	m->fd = bpf_map_create(m->type, m->suffix ? m->name : NULL, sizeof(__u32), value_size,
			       m->max_entries, &opts);
	if (m->fd < 0)
		die("create map %s: %s", m->role, strerror(errno));

	/* A per-CPU map takes one 8-byte slot per possible CPU. */
	value = calloc(nr_cpus, sizeof(*value));
	if (!value)
		die("out of memory");
	for (key = 0; key < m->nr_elems; key++) {
		if (m->inner)
			memcpy(value, &inner_fd, sizeof(inner_fd)); /* the kernel stores the map */
		else
			value[0] = key;
		if (bpf_map_update_elem(m->fd, &key, value, BPF_NOEXIST))
			die("update map %s key %u: %s", m->role, key, strerror(errno));
	}
	free(value);
	m->id = id_of(m->fd, m->role);
}

/* BPF_LD_IMM64 of a map fd: two instructions, the second holds the high half. */
static void ld_map_fd(struct bpf_insn *insn, __u8 dst, int fd)
{
	insn[0] = (struct bpf_insn){
		.code = BPF_LD | BPF_DW | BPF_IMM,
		.dst_reg = dst,
		.src_reg = BPF_PSEUDO_MAP_FD,
		.imm = fd,
	};
	insn[1] = (struct bpf_insn){0};
}

static void load_prog(const char *prefix)
{
	struct bpf_insn insns[6];
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);

	/* r1 = &hash; r1 = &arr; r0 = 0; exit: the maps are used, never read. */
	ld_map_fd(&insns[0], BPF_REG_1, find_map("hash")->fd);
	ld_map_fd(&insns[2], BPF_REG_1, find_map("arr")->fd);
	insns[4] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0};
	insns[5] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};

	snprintf(prog_name, sizeof(prog_name), "%s_prog", prefix);
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, prog_name, "GPL", insns, 6, &opts);
	if (prog_fd < 0)
		die("load prog: %s\n%s", strerror(errno), log);
	prog_id = id_of(prog_fd, "prog");
}

/* "OK", or the name of the errno that refused it. */
static const char *verdict(int err)
{
	const char *name;

	if (!err)
		return "OK";
	name = strerrorname_np(err < 0 ? -err : err);
	return name ? name : "error";
}

/* Loads "return 0" as an iter/bpf_map_elem program: the kernel's answer, 0 or -errno. */
static int probe_elem_iter(const struct btf *vmlinux)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_ITER);
	int id = vmlinux ? btf__find_by_name_kind(vmlinux, "bpf_iter_bpf_map_elem", BTF_KIND_FUNC)
			 : -ENOENT;
	int fd;

	if (id < 0)
		return id;
	opts.attach_btf_id = (__u32)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "probe_elem", "GPL", insns, 2, &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The user-space walks, on a hash map of one element: 0 or -errno. */
static void probe_walks(int *batch, int *keys)
{
	__u32 key = 1, value = 2, keys_out[4], values_out[4], token, count = 4, next;
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "probe_walk", 4, 4, 4, NULL);

	*batch = *keys = fd < 0 ? -errno : 0;
	if (fd < 0)
		return;
	if (bpf_map_update_elem(fd, &key, &value, BPF_ANY))
		die("probe: update: %s", strerror(errno));
	/* One call reads all: -ENOENT (no bucket left) with count 1 is the full answer. */
	*batch = bpf_map_lookup_batch(fd, NULL, &token, keys_out, values_out, &count, NULL);
	if (*batch == -ENOENT && count == 1)
		*batch = 0;
	else if (!*batch)
		*batch = -EPROTO;
	*keys = bpf_map_get_next_key(fd, NULL, &next);
	if (!*keys && next != key)
		*keys = -EPROTO;
	close(fd);
}

/*
 * What the kernel allows for counting hash maps, asked by this fixture
 * itself (not through the exporter): "probe FEATURE OK|ERRNO" lines.
 */
static int probe(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int kfunc = -ENOENT, batch, keys;

	if (vmlinux &&
	    btf__find_by_name_kind(vmlinux, "bpf_map_sum_elem_count", BTF_KIND_FUNC) >= 0)
		kfunc = 0;
	printf("probe bpf_map_sum_elem_count %s\n", verdict(kfunc));
	printf("probe iter_bpf_map_elem %s\n", verdict(probe_elem_iter(vmlinux)));
	probe_walks(&batch, &keys);
	printf("probe map_lookup_batch %s\n", verdict(batch));
	printf("probe map_get_next_key %s\n", verdict(keys));
	btf__free(vmlinux);
	return fflush(stdout) ? 1 : 0;
}

static void close_all(void)
{
	size_t i;

	if (prog_fd >= 0)
		close(prog_fd);
	for (i = 0; i < NR_MAPS; i++)
		if (maps[i].fd >= 0)
			close(maps[i].fd);
}

int main(int argc, char **argv)
{
	char line[128];
	int nr_cpus;
	size_t i;

	if (argc == 2 && !strcmp(argv[1], "--probe"))
		return probe();
	if (argc != 2 || !valid_prefix(argv[1]))
		die("usage: fixture PREFIX (1-%d chars of [A-Za-z0-9_.])", PREFIX_MAX);

	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0)
		die("cannot count possible CPUs: %s", strerror(-nr_cpus));

	for (i = 0; i < NR_MAPS; i++)
		create_map(&maps[i], argv[1], nr_cpus);
	load_prog(argv[1]);

	for (i = 0; i < NR_MAPS; i++)
		printf("map %s %u %s\n", maps[i].role, maps[i].id, maps[i].name);
	printf("prog prog %u %s\nready\n", prog_id, prog_name);
	if (fflush(stdout))
		die("write stdout: %s", strerror(errno));

	while (fgets(line, sizeof(line), stdin)) {
		struct map_spec *m;

		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "exit"))
			break;
		if (!strncmp(line, "delete ", 7)) {
			m = find_map(line + 7);
			if (!m || m->fd < 0)
				die("delete: no open map with role '%s'", line + 7);
			/* The last reference: the kernel frees the map and its id. */
			close(m->fd);
			m->fd = -1;
			printf("deleted %s\n", m->role);
			fflush(stdout);
			continue;
		}
		die("unknown command '%s'", line);
	}

	close_all();
	return 0;
}
