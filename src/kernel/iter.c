// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "iter.h"
#include "log.h"
#include "map_walk.h"
#include "records.h"
#include "privileges.h"

#include "iter_links.skel.h"
#include "iter_map_elems.skel.h"
#include "iter_maps.skel.h"
#include "iter_owners.skel.h"
#include "iter_progs.skel.h"
#include "iter_tasks.skel.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

struct iters {
	struct iter_maps *maps_skel;
	struct iter_progs *progs_skel;
	struct iter_map_elems *elems_skel; /* NULL: the kernel lacks iter/bpf_map_elem */
	struct iter_owners *owners_skel;
	struct iter_links *links_skel; /* NULL: the kernel lacks iter/bpf_link (5.19+) */
	struct iter_tasks *tasks_skel; /* NULL: did not load */
	struct bpf_link *links[ITER_KIND_MAX];
	pthread_mutex_t walk_lock; /* one element walk at a time: the program counts in .bss */
	bool has_elem_count_kfunc;
	bool has_map_mem_usage;
	uint32_t
		trace_fl_kprobe; /* TRACE_EVENT_FL_KPROBE (0: unknown), for kprobes' missed counts */
	struct map_count_support count_support;
	/*
	 * Zeroed room for the verifier's log of a refused load: libbpf
	 * reads what the kernel wrote there, and memory the kernel fills is
	 * then initialised for every checker too. Only while loading.
	 */
	char *load_log;
	struct bpf_object_open_opts open_opts; /* every object's: the log above */
};

#define LOAD_LOG_SIZE (256 * 1024)

static const char *const iter_names[ITER_KIND_MAX] = {
	[ITER_MAPS] = "bpf_map",
	[ITER_PROGS] = "bpf_prog",
	[ITER_OWNERS] = "task_file",
	[ITER_LINKS] = "bpf_link",
	/* Every process's network namespace, for attach_netlink. */
	[ITER_TASKS] = "task",
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/*
	 * Everything libbpf says is detail: a failure it warns about is
	 * followed by our own error line naming the fix.
	 */
	(void)level;
	log_vmsg(LOG_DEBUG, fmt, ap);
	return 0;
}

/* One line that says what went wrong and what fixes it. */
static void explain_load_error(const char *what, int err)
{
	char missing[64];

	switch (-err) {
	case EPERM:
	case EACCES:
		privileges_missing_for_load(missing, sizeof(missing));
		log_error("loading the %s iterator: %s: run as root, or grant CAP_BPF and "
			  "CAP_PERFMON (CAP_SYS_ADMIN on kernels before 5.8)%s%s",
			  what, strerror(-err), *missing ? "; missing: " : "", missing);
		break;
	case ESRCH:
	case ENOENT:
	case EINVAL:
	case ENOTSUP:
	case E2BIG:
		log_error("loading the %s iterator: %s: this kernel lacks BPF iterators for it "
			  "(Linux 5.8+ with CONFIG_DEBUG_INFO_BTF=y needed; run with "
			  "--log.level=debug for the loader's details)",
			  what, strerror(-err));
		break;
	default:
		log_error("loading the %s iterator: %s (run with --log.level=debug for the "
			  "loader's details)",
			  what, strerror(-err));
	}
}

/* Lookups in the kernel's BTF, loaded once at start-up (NULL: none found). */
static bool kernel_has_func(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
}

/* Does struct sname of the kernel have a member mname? */
static bool kernel_has_member(const struct btf *btf, const char *sname, const char *mname)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	t = id >= 0 ? btf__type_by_id(btf, id) : NULL;
	m = t ? btf_members(t) : NULL;
	for (int i = 0; m && i < btf_vlen(t); i++) {
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), mname))
			return true;
	}
	return false;
}

/*
 * The value of an enumerator of the kernel's, anonymous enums included
 * (which CO-RE cannot relocate); 0 if none is named so.
 */
static uint32_t kernel_enum_value(const struct btf *btf, const char *name)
{
	uint32_t n = btf ? btf__type_cnt(btf) : 0;

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++) {
			if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name))
				return (uint32_t)e[i].val;
		}
	}
	return 0;
}

/*
 * A skeleton's load result; on a failure, what the verifier said, for
 * --log.level=debug (libbpf prints only logs of its own buffers).
 */
static int loaded(struct iters *it, const char *what, int err)
{
	if (err && it->load_log[0])
		log_debug("the %s iterator's load, the verifier's log:\n%s", what, it->load_log);
	it->load_log[0] = '\0';
	return err;
}

static int attach(struct iters *it, enum iter_kind kind, struct bpf_program *prog)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);

	if (!link)
		return -errno;
	it->links[kind] = link;
	return 0;
}

/* One of the two programs of iter_maps: with or without the kfunc call. */
static int load_maps_variant(struct iters *it, bool kfunc)
{
	struct bpf_program *prog;
	int err;

	it->maps_skel = iter_maps__open_opts(&it->open_opts);
	if (!it->maps_skel)
		return -errno;
	prog = kfunc ? it->maps_skel->progs.dump_map_kfunc : it->maps_skel->progs.dump_bpf_map;
	bpf_program__set_autoload(kfunc ? it->maps_skel->progs.dump_bpf_map
					: it->maps_skel->progs.dump_map_kfunc,
				  false);
	err = loaded(it, "bpf_map", iter_maps__load(it->maps_skel));
	if (!err)
		err = attach(it, ITER_MAPS, prog);
	if (err) {
		iter_maps__destroy(it->maps_skel);
		it->maps_skel = NULL;
	}
	return err;
}

/*
 * The kfunc is chosen by a BTF lookup, not left to a weak call: kernels
 * before 5.18 reject even an unreachable call to an unresolved kfunc,
 * and the core must load from 5.8. A kernel that has the kfunc but
 * refuses it here still gets its maps, without counts from the kernel.
 */
static int load_maps(struct iters *it, bool has_kfunc)
{
	int err;

	it->count_support.err[MAP_COUNT_METHOD_KFUNC] = -ENOENT; /* not in the kernel's BTF */
	if (has_kfunc) {
		err = load_maps_variant(it, true);
		it->has_elem_count_kfunc = !err;
		it->count_support.err[MAP_COUNT_METHOD_KFUNC] = err;
		if (!err)
			return 0;
		log_warn("the bpf_map iterator calling bpf_map_sum_elem_count does not load (%s): "
			 "loading it without",
			 strerror(-err));
	}
	return load_maps_variant(it, false);
}

static int load_progs(struct iters *it)
{
	int err;

	it->progs_skel = iter_progs__open_opts(&it->open_opts);
	if (!it->progs_skel)
		return -errno;
	err = loaded(it, "bpf_prog", iter_progs__load(it->progs_skel));
	return err ? err : attach(it, ITER_PROGS, it->progs_skel->progs.dump_bpf_prog);
}

/*
 * Loaded, not attached: an element walk attaches to one map at a time.
 * Optional: a kernel without it, or whose policy refuses it, counts
 * hash maps another way (map_count.h), and the start-up line on
 * counting says which and why.
 */
static void load_elems(struct iters *it)
{
	int err;

	it->elems_skel = iter_map_elems__open_opts(&it->open_opts);
	err = it->elems_skel ? loaded(it, "bpf_map_elem", iter_map_elems__load(it->elems_skel))
			     : -errno;
	if (err) {
		log_debug("the bpf_map_elem iterator does not load: %s", strerror(-err));
		iter_map_elems__destroy(it->elems_skel);
		it->elems_skel = NULL;
	}
	it->count_support.err[MAP_COUNT_METHOD_ITERATOR] = err;
}

/*
 * One of the two programs of iter_owners: with or without bpf_rdonly_cast;
 * kprobes' missed counts read where fl_kprobe (TRACE_EVENT_FL_KPROBE) is
 * not 0.
 */
static int load_owners_once(struct iters *it, bool cast, uint32_t fl_kprobe)
{
	struct bpf_program *prog;
	int err;

	it->owners_skel = iter_owners__open_opts(&it->open_opts);
	if (!it->owners_skel)
		return -errno;
	prog = cast ? it->owners_skel->progs.dump_task_file_cast
		    : it->owners_skel->progs.dump_task_file;
	bpf_program__set_autoload(cast ? it->owners_skel->progs.dump_task_file
				       : it->owners_skel->progs.dump_task_file_cast,
				  false);
	/* Each keeps its per-session state in its own map (task storage is 5.11+). */
	bpf_map__set_autocreate(it->owners_skel->maps.readers, cast);
	bpf_map__set_autocreate(it->owners_skel->maps.sessions, !cast);
	it->owners_skel->rodata->trace_fl_kprobe = fl_kprobe;
	err = loaded(it, "task_file", iter_owners__load(it->owners_skel));
	if (!err)
		err = attach(it, ITER_OWNERS, prog);
	if (err) {
		iter_owners__destroy(it->owners_skel);
		it->owners_skel = NULL;
	}
	return err;
}

/*
 * The reads of kprobes' missed counts are the newest code of the owners
 * and link iterators, tested on 6.1 to 6.18: where a verifier refuses
 * them, the iterator loads without (trace_fl_kprobe 0 makes them dead
 * code) and only those counts are missing.
 */
static void missed_counts_refused(const char *what, int err)
{
	log_warn("the %s iterator loads only without kprobes' missed counts (%s): none "
		 "reported; run with --log.level=debug for the loader's details",
		 what, strerror(-err));
}

static int load_owners_variant(struct iters *it, bool cast)
{
	int err = load_owners_once(it, cast, it->trace_fl_kprobe);

	if (err && it->trace_fl_kprobe && !load_owners_once(it, cast, 0)) {
		missed_counts_refused("task_file", err);
		err = 0;
	}
	return err;
}

/* The cast saves a helper call per BPF file; chosen by BTF as for maps. */
static int load_owners(struct iters *it, bool has_cast)
{
	int err;

	if (has_cast) {
		err = load_owners_variant(it, true);
		if (!err) {
			log_info("owners: object ids read with bpf_rdonly_cast");
			return 0;
		}
		log_warn("the task_file iterator using bpf_rdonly_cast does not load (%s): "
			 "loading it without (owners cost more CPU per scrape)",
			 strerror(-err));
	}
	err = load_owners_variant(it, false);
	if (!err)
		log_info("owners: object ids read with bpf_probe_read_kernel");
	return err;
}

static int load_links_once(struct iters *it, uint32_t fl_kprobe)
{
	int err;

	it->links_skel = iter_links__open_opts(&it->open_opts);
	if (!it->links_skel)
		return -errno;
	it->links_skel->rodata->trace_fl_kprobe = fl_kprobe;
	err = loaded(it, "bpf_link", iter_links__load(it->links_skel));
	if (!err)
		err = attach(it, ITER_LINKS, it->links_skel->progs.dump_bpf_link);
	if (err) {
		iter_links__destroy(it->links_skel);
		it->links_skel = NULL;
	}
	return err;
}

/* Optional: without it (before 5.19) there are no link series. */
static void load_links(struct iters *it)
{
	int err = load_links_once(it, it->trace_fl_kprobe);

	if (err && it->trace_fl_kprobe && !load_links_once(it, 0)) {
		missed_counts_refused("bpf_link", err);
		return;
	}
	if (err)
		log_warn("the bpf_link iterator does not load (%s; Linux 5.19+ needed): no link "
			 "series; run with --log.level=debug for the loader's details",
			 strerror(-err));
}

/*
 * Optional: without it attach_netlink learns a process's namespace by
 * entering it, which the kernel refuses for some processes.
 */
static void load_tasks(struct iters *it)
{
	int err;

	it->tasks_skel = iter_tasks__open_opts(&it->open_opts);
	err = it->tasks_skel ? loaded(it, "task", iter_tasks__load(it->tasks_skel)) : -errno;
	if (!err)
		err = attach(it, ITER_TASKS, it->tasks_skel->progs.dump_task_netns);
	if (!err)
		return;
	iter_tasks__destroy(it->tasks_skel);
	it->tasks_skel = NULL;
	log_warn("the task iterator does not load (%s): attach_netlink finds the "
		 "processes of a network namespace only where it may enter them; run "
		 "with --log.level=debug for the loader's details",
		 strerror(-err));
}

int iters__new(struct iters **out)
{
	bool has_kfunc, has_cast;
	struct btf *vmlinux;
	struct iters *it;
	int err_maps, err_progs, err_owners, err = 0;

	*out = NULL;
	libbpf_set_print(libbpf_print);

	if (access(VMLINUX_BTF, R_OK)) {
		err = -errno;
		log_error("kernel BTF is not available (%s: %s): the kernel must be built with "
			  "CONFIG_DEBUG_INFO_BTF=y",
			  VMLINUX_BTF, strerror(-err));
		return err;
	}

	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	pthread_mutex_init(&it->walk_lock, NULL);
	it->load_log = calloc(1, LOAD_LOG_SIZE);
	if (!it->load_log) {
		err = -ENOMEM;
		goto out;
	}
	it->open_opts = (struct bpf_object_open_opts){
		.sz = sizeof(it->open_opts),
		.kernel_log_buf = it->load_log,
		.kernel_log_size = LOAD_LOG_SIZE,
		/*
		 * Named, the kernel's BTF is the only one CO-RE searches: a type
		 * it lacks (a kernel without kprobe events has no trace_kprobe)
		 * is then simply missing, where libbpf would otherwise go on to
		 * list the modules' BTF, which needs CAP_SYS_ADMIN, and fail
		 * the load without it. Every type read is the kernel's own.
		 */
		.btf_custom_path = VMLINUX_BTF,
	};
	/* What picks the variants, read at once: libbpf loads the BTF again for each object. */
	vmlinux = btf__load_vmlinux_btf();
	has_kfunc = kernel_has_func(vmlinux, "bpf_map_sum_elem_count");
	has_cast = kernel_has_func(vmlinux, "bpf_rdonly_cast");
	it->has_map_mem_usage = kernel_has_member(vmlinux, "bpf_map_ops", "map_mem_usage");
	it->trace_fl_kprobe = kernel_enum_value(vmlinux, "TRACE_EVENT_FL_KPROBE");
	btf__free(vmlinux);

	err_maps = load_maps(it, has_kfunc);
	if (err_maps)
		explain_load_error(iter_names[ITER_MAPS], err_maps);
	err_progs = load_progs(it);
	if (err_progs)
		explain_load_error(iter_names[ITER_PROGS], err_progs);
	if (err_maps && err_progs) {
		err = err_maps;
		goto out;
	}
	/* Optional: without it maps and programs are exported, owners are not. */
	err_owners = load_owners(it, has_cast);
	if (err_owners)
		log_warn("the task_file iterator did not load (%s): no owner labels; run with "
			 "--log.level=debug for the loader's details",
			 strerror(-err_owners));

	load_elems(it);
	load_links(it);
	load_tasks(it);
	map_walk_probe(&it->count_support.err[MAP_COUNT_METHOD_BATCH],
		       &it->count_support.err[MAP_COUNT_METHOD_KEYS]);
out:
	free(it->load_log); /* the objects are loaded: nothing reads it again */
	it->load_log = NULL;
	if (err) {
		iters__free(it);
		return err;
	}
	*out = it;
	return 0;
}

void iters__free(struct iters *it)
{
	if (!it)
		return;
	for (int i = 0; i < ITER_KIND_MAX; i++)
		bpf_link__destroy(it->links[i]);
	iter_maps__destroy(it->maps_skel);
	iter_progs__destroy(it->progs_skel);
	iter_map_elems__destroy(it->elems_skel);
	iter_links__destroy(it->links_skel);
	iter_tasks__destroy(it->tasks_skel);
	pthread_mutex_destroy(&it->walk_lock);
	iter_owners__destroy(it->owners_skel);
	free(it);
}

bool iters__available(const struct iters *it, enum iter_kind kind)
{
	return it && it->links[kind];
}

bool iters__has_elem_count_kfunc(const struct iters *it)
{
	return it && it->has_elem_count_kfunc;
}

bool iters__has_map_mem_usage(const struct iters *it)
{
	return it && it->has_map_mem_usage;
}

static size_t object_map_ids(const struct bpf_object *obj, uint32_t *ids, size_t max, size_t n)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (bpf_map__fd(map) < 0 || bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len))
			continue; /* not created (autocreate off) */
		if (n < max)
			ids[n] = info.id;
		n++;
	}
	return n;
}

size_t iters__map_ids(const struct iters *it, uint32_t *ids, size_t max)
{
	size_t n = 0;

	if (!it)
		return 0;
	if (it->maps_skel)
		n = object_map_ids(it->maps_skel->obj, ids, max, n);
	if (it->progs_skel)
		n = object_map_ids(it->progs_skel->obj, ids, max, n);
	if (it->elems_skel)
		n = object_map_ids(it->elems_skel->obj, ids, max, n);
	if (it->owners_skel)
		n = object_map_ids(it->owners_skel->obj, ids, max, n);
	if (it->links_skel)
		n = object_map_ids(it->links_skel->obj, ids, max, n);
	if (it->tasks_skel)
		n = object_map_ids(it->tasks_skel->obj, ids, max, n);
	return n;
}

bool iters__has_elem_iter(const struct iters *it)
{
	return it && it->elems_skel;
}

const struct map_count_support *iters__count_support(const struct iters *it)
{
	return &it->count_support;
}

/* Drain an iterator fd into buf; -EPROTO if it holds more than size bytes. */
static int read_small(int fd, void *buf, size_t size, size_t *len)
{
	*len = 0;
	for (;;) {
		ssize_t n = read(fd, (char *)buf + *len, size - *len);

		if (n < 0) {
			/*
			 * EAGAIN: the kernel ends a read that walked a million
			 * elements without output; the next read goes on.
			 */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len == size)
			return -EPROTO;
	}
}

int iters__count_elems(struct iters *it, uint32_t map_id, uint64_t *entries)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info info = {};
	struct bpfmap_elem_count_record rec[2]; /* room to notice a longer stream */
	struct bpf_link *link = NULL;
	int map_fd = -1, iter_fd = -1, err = 0;
	size_t len;

	if (!iters__has_elem_iter(it))
		return -ENOTSUP;
	map_fd = bpf_map_get_fd_by_id(map_id);
	if (map_fd < 0) {
		err = -errno;
		goto out;
	}
	info.map.map_fd = map_fd;
	opts.link_info = &info;
	opts.link_info_len = sizeof(info);
	link = bpf_program__attach_iter(it->elems_skel->progs.count_map_elems, &opts);
	if (!link) {
		err = -errno;
		goto out;
	}
	iter_fd = bpf_iter_create(bpf_link__fd(link));
	if (iter_fd < 0) {
		err = -errno;
		goto out;
	}
	pthread_mutex_lock(&it->walk_lock);
	err = read_small(iter_fd, rec, sizeof(rec), &len);
	pthread_mutex_unlock(&it->walk_lock);
	if (!err && (len != sizeof(rec[0]) || rec[0].map_id != map_id))
		err = -EPROTO;
	if (!err)
		*entries = rec[0].entries;
out:
	if (iter_fd >= 0)
		close(iter_fd);
	bpf_link__destroy(link);
	if (map_fd >= 0)
		close(map_fd);
	return err;
}

int iters__read(struct iters *it, enum iter_kind kind, struct iter_buf *buf)
{
	int fd = -1, err = 0;

	buf->len = 0;
	if (!iters__available(it, kind))
		return -ENOTSUP;

	fd = bpf_iter_create(bpf_link__fd(it->links[kind]));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (buf->cap - buf->len < 4096) {
			size_t cap = buf->cap ? buf->cap * 2 : 64 * 1024;
			char *p = realloc(buf->data, cap);

			if (!p) {
				err = -ENOMEM;
				goto out;
			}
			buf->data = p;
			buf->cap = cap;
		}
		n = read(fd, buf->data + buf->len, buf->cap - buf->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		buf->len += (size_t)n;
	}
out:
	if (fd >= 0)
		close(fd);
	return err;
}

int iters__probe(struct iters *it)
{
	struct iter_buf buf = {};
	int err = 0;

	for (int k = 0; k < ITER_KIND_MAX && !err; k++)
		if (iters__available(it, k))
			err = iters__read(it, k, &buf);
	iter_buf__fini(&buf);
	return err;
}

void iter_buf__fini(struct iter_buf *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}
