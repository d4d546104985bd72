// SPDX-License-Identifier: Apache-2.0
/*
 * Loading the map_errors collector's fexit programs, and reading their
 * counters. Which functions exist, and with which shape, is read from
 * the kernel's BTF: never assumed from a kernel version.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "grow.h"
#include "log.h"
#include "map_errors.h"
#include "records.h"

#include "map_update_trace.skel.h"
#include "util.h"

/*
 * The update functions and who reaches them. The bpf() syscall calls a
 * map type's ops->map_update_elem, except for per-CPU maps (a value per
 * CPU: functions of their own); BPF programs call ops->map_update_elem
 * through the helper bpf_map_update_elem, or directly once JITed.
 */
static const char *const update_funcs[] = {
	"htab_map_update_elem", /* hash (and hash_of_maps where its update calls it) */
	"htab_lru_map_update_elem", /* lru_hash */
	"htab_percpu_map_update_elem", /* percpu_hash, from BPF */
	"htab_lru_percpu_map_update_elem", /* lru_percpu_hash, from BPF */
	"bpf_percpu_hash_update", /* both per-CPU hashes, from the syscall */
	"trie_update_elem", /* lpm_trie */
	"array_map_update_elem", /* array; percpu_array from BPF */
	"bpf_percpu_array_update", /* percpu_array, from the syscall */
};
/* hash_of_maps, from the syscall: (map, map_file, key, value, flags). */
#define FD_HTAB_FUNC "bpf_fd_htab_map_update_elem"
/* The LRU's del_from_htab callback: one call returning true per eviction. */
#define LRU_EVICT_FUNC "htab_lru_map_delete_node"

struct map_errors {
	/*
	 * One reader at a time: a reader deletes the keys of maps that are
	 * gone, and a concurrent scrape's get_next_key walk standing on such
	 * a key would start over and count its entries twice.
	 */
	pthread_mutex_t read_lock;
	struct map_update_trace *skel;
	struct bpf_link *links[ARRAY_SIZE(update_funcs) + 2];
	bool evictions;
	bool fd_htab;
	int ncpus;
};

/* Skip typedefs and qualifiers. */
static const struct btf_type *resolve(const struct btf *btf, __u32 id)
{
	int r = btf__resolve_type(btf, id);

	return r < 0 ? NULL : btf__type_by_id(btf, r);
}

/*
 * Does the kernel have function name taking nr_args arguments, returning
 * a value, the first a pointer (to struct bpf_map if map_arg)? A function
 * whose shape changed is left alone rather than misread.
 */
static bool has_func(const struct btf *btf, const char *name, int nr_args, bool map_arg)
{
	const struct btf_type *fn, *proto, *arg;
	const struct btf_param *params;
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);

	if (id < 0)
		return false;
	fn = btf__type_by_id(btf, id);
	proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) != nr_args || !proto->type)
		return false;
	params = btf_params(proto);
	arg = resolve(btf, params[0].type);
	if (!arg || !btf_is_ptr(arg))
		return false;
	if (!map_arg)
		return true;
	arg = resolve(btf, arg->type);
	return arg && btf_is_struct(arg) &&
	       !strcmp(btf__name_by_offset(btf, arg->name_off), "bpf_map");
}

static __u32 map_id(const struct bpf_map *map)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len))
		return 0;
	return info.id;
}

/* Point the program slots at the functions the kernel has; returns how many. */
static size_t choose_targets(struct map_errors *me, struct bpf_program **slots, size_t nr_slots,
			     const char **names)
{
	struct btf *btf = btf__load_vmlinux_btf();
	size_t n = 0;

	for (size_t i = 0; btf && i < ARRAY_SIZE(update_funcs) && n < nr_slots; i++) {
		if (!has_func(btf, update_funcs[i], 4, true))
			continue;
		if (bpf_program__set_attach_target(slots[n], 0, update_funcs[i]))
			continue;
		names[n++] = update_funcs[i];
	}
	for (size_t i = n; i < nr_slots; i++)
		bpf_program__set_autoload(slots[i], false);
	me->fd_htab = btf && has_func(btf, FD_HTAB_FUNC, 5, true) &&
		      !bpf_program__set_attach_target(me->skel->progs.update_fd, 0, FD_HTAB_FUNC);
	if (!me->fd_htab)
		bpf_program__set_autoload(me->skel->progs.update_fd, false);
	me->evictions =
		btf && has_func(btf, LRU_EVICT_FUNC, 2, false) &&
		!bpf_program__set_attach_target(me->skel->progs.lru_evict, 0, LRU_EVICT_FUNC);
	if (!me->evictions)
		bpf_program__set_autoload(me->skel->progs.lru_evict, false);
	btf__free(btf);
	return n;
}

static void unavailable(const char *what, int err)
{
	log_warn("collector map_errors unavailable: %s: %s (it needs BPF trampolines, fexit, "
		 "Linux 5.5+, and a kernel that allows them); no map update failure series",
		 what, strerror(-err));
}

int map_errors__new(struct map_errors **out, const uint32_t *own_ids, size_t nr_own)
{
	struct map_errors *me;
	struct bpf_program *slots[10];
	const char *names[10] = {};
	char list[512] = "";
	char own[BPFMAP_MAP_ERR_SELF_MAX * 11] = "";
	size_t nr, attached = 0, len = 0;
	int err = 0, first_err = 0;

	_Static_assert(ARRAY_SIZE(update_funcs) <= ARRAY_SIZE(slots), "a slot per function");
	*out = NULL;
	me = calloc(1, sizeof(*me));
	if (!me)
		return -ENOMEM;
	pthread_mutex_init(&me->read_lock, NULL);
	me->ncpus = libbpf_num_possible_cpus();
	if (me->ncpus <= 0) {
		err = me->ncpus ? me->ncpus : -EINVAL;
		goto out;
	}
	me->skel = map_update_trace__open();
	if (!me->skel) {
		err = -errno;
		unavailable("opening its programs", err);
		goto out;
	}
	slots[0] = me->skel->progs.update_0;
	slots[1] = me->skel->progs.update_1;
	slots[2] = me->skel->progs.update_2;
	slots[3] = me->skel->progs.update_3;
	slots[4] = me->skel->progs.update_4;
	slots[5] = me->skel->progs.update_5;
	slots[6] = me->skel->progs.update_6;
	slots[7] = me->skel->progs.update_7;
	slots[8] = me->skel->progs.update_8;
	slots[9] = me->skel->progs.update_9;
	nr = choose_targets(me, slots, ARRAY_SIZE(slots), names);
	if (!nr) {
		err = -ENOENT;
		unavailable("the kernel's BTF names none of the map update functions", err);
		goto out;
	}
	err = map_update_trace__load(me->skel);
	if (err) {
		unavailable("loading its fexit programs", err);
		goto out;
	}
	/* Before attaching: the programs must never count their own maps. */
	me->skel->bss->self_ids[0] = map_id(me->skel->maps.map_errs);
	me->skel->bss->self_ids[1] = map_id(me->skel->maps.map_errs_lost);
	me->skel->bss->self_ids[2] = map_id(me->skel->maps.bss);
	for (size_t i = 0; i < nr_own && 3 + i < BPFMAP_MAP_ERR_SELF_MAX; i++)
		me->skel->bss->self_ids[3 + i] = own_ids[i];
	/* First: from then on hash_of_maps is counted there only, never twice. */
	if (me->fd_htab) {
		me->links[nr] = bpf_program__attach(me->skel->progs.update_fd);
		me->fd_htab = me->links[nr] != NULL;
		me->skel->bss->hom_by_fd = me->fd_htab;
	}
	for (size_t i = 0; i < nr; i++) {
		me->links[i] = bpf_program__attach(slots[i]);
		if (!me->links[i]) {
			err = -errno;
			first_err = first_err ? first_err : err;
			log_debug("map_errors: fexit on %s does not attach: %s", names[i],
				  strerror(-err));
			continue;
		}
		attached++;
		len += snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0, "%s%s",
				attached > 1 ? ", " : "", names[i]);
	}
	if (me->fd_htab)
		len += snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
				", " FD_HTAB_FUNC);
	if (me->evictions) {
		me->links[nr + 1] = bpf_program__attach(me->skel->progs.lru_evict);
		me->evictions = me->links[nr + 1] != NULL;
	}
	if (!attached) {
		err = first_err;
		unavailable("attaching its fexit programs", err);
		goto out;
	}
	err = 0;
	for (size_t i = 0, n = 0; i < BPFMAP_MAP_ERR_SELF_MAX; i++)
		if (me->skel->bss->self_ids[i])
			n += snprintf(own + n, n < sizeof(own) ? sizeof(own) - n : 0, "%s%u",
				      n ? "," : "", me->skel->bss->self_ids[i]);
	log_info("collector map_errors: failed updates counted at %s; LRU evictions %s; "
		 "the exporter's own maps never counted: ids %s",
		 list, me->evictions ? "counted at " LRU_EVICT_FUNC : "not counted", own);
out:
	if (err) {
		map_errors__free(me);
		return err;
	}
	*out = me;
	return 0;
}

void map_errors__free(struct map_errors *me)
{
	if (!me)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(me->links); i++)
		bpf_link__destroy(me->links[i]);
	map_update_trace__destroy(me->skel);
	pthread_mutex_destroy(&me->read_lock);
	free(me);
}

int map_errors__has_evictions(const struct map_errors *me)
{
	return me && me->evictions;
}

static __u64 sum(const __u64 *v, int n)
{
	__u64 s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}

static int read_counts(struct map_errors *me, const uint32_t *live, size_t nr_live,
		       struct map_err_table *out)
{
	struct bpfmap_map_err_key key, next, *gone = NULL;
	size_t nr_gone = 0, cap_gone = 0;
	__u64 *vals = NULL;
	__u32 zero = 0;
	void *prev = NULL;
	int fd, err = 0;

	out->nr = 0;
	out->lost = 0;
	vals = calloc(me->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	fd = bpf_map__fd(me->skel->maps.map_errs);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct map_err_count *c;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue; /* deleted meanwhile */
		/*
		 * A map not in this scrape's snapshot is gone if older than its
		 * newest map (ids only grow); a newer one came after the snapshot.
		 */
		if (live && !bsearch(&key.map_id, live, nr_live, sizeof(*live), cmp_u32)) {
			if (nr_live && key.map_id > live[nr_live - 1])
				continue;
			err = grow_array((void **)&gone, &cap_gone, nr_gone + 1, sizeof(*gone));
			if (err)
				goto out;
			gone[nr_gone++] = key;
			continue;
		}
		err = grow_array((void **)&out->counts, &out->cap, out->nr + 1,
				 sizeof(*out->counts));
		if (err)
			goto out;
		c = &out->counts[out->nr++];
		c->map_id = key.map_id;
		c->map_type = key.map_type;
		c->err = key.err;
		c->count = sum(vals, me->ncpus);
	}
	if (errno != ENOENT) {
		err = -errno;
		goto out;
	}
	/* After the walk: a deletion during it would restart it. */
	for (size_t i = 0; i < nr_gone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	if (!bpf_map_lookup_elem(bpf_map__fd(me->skel->maps.map_errs_lost), &zero, vals))
		out->lost = sum(vals, me->ncpus);
	map_err_table__sort(out);
out:
	free(gone);
	free(vals);
	return err;
}

int map_errors__read(struct map_errors *me, const uint32_t *live, size_t nr_live,
		     struct map_err_table *out)
{
	int err;

	pthread_mutex_lock(&me->read_lock);
	err = read_counts(me, live, nr_live, out);
	pthread_mutex_unlock(&me->read_lock);
	return err;
}
