// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "iter.h"
#include "log.h"

#include "iter_maps.skel.h"
#include "iter_owners.skel.h"
#include "iter_progs.skel.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

struct iters {
	struct iter_maps *maps_skel;
	struct iter_progs *progs_skel;
	struct iter_owners *owners_skel;
	struct bpf_link *links[ITER_KIND_MAX];
	bool has_elem_count_kfunc;
};

static const char *const iter_names[ITER_KIND_MAX] = {
	[ITER_MAPS] = "bpf_map",
	[ITER_PROGS] = "bpf_prog",
	[ITER_OWNERS] = "task_file",
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
	switch (-err) {
	case EPERM:
	case EACCES:
		log_error("loading the %s iterator: %s: run as root, or grant CAP_BPF and "
			  "CAP_PERFMON (CAP_SYS_ADMIN on kernels before 5.8)",
			  what, strerror(-err));
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

static bool kernel_has_func(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
	btf__free(btf);
	return found;
}

static int attach(struct iters *it, enum iter_kind kind, struct bpf_program *prog)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);

	if (!link)
		return -errno;
	it->links[kind] = link;
	return 0;
}

static int load_maps(struct iters *it)
{
	it->maps_skel = iter_maps__open_and_load();
	if (!it->maps_skel)
		return -errno;
	return attach(it, ITER_MAPS, it->maps_skel->progs.dump_bpf_map);
}

static int load_progs(struct iters *it)
{
	it->progs_skel = iter_progs__open_and_load();
	if (!it->progs_skel)
		return -errno;
	return attach(it, ITER_PROGS, it->progs_skel->progs.dump_bpf_prog);
}

static int load_owners(struct iters *it)
{
	it->owners_skel = iter_owners__open_and_load();
	if (!it->owners_skel)
		return -errno;
	return attach(it, ITER_OWNERS, it->owners_skel->progs.dump_task_file);
}

int iters__new(struct iters **out)
{
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

	err_maps = load_maps(it);
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
	err_owners = load_owners(it);
	if (err_owners)
		log_warn("the task_file iterator did not load (%s): no owner labels; run with "
			 "--log.level=debug for the loader's details",
			 strerror(-err_owners));

	it->has_elem_count_kfunc = kernel_has_func("bpf_map_sum_elem_count");
	log_info("map entry counts: %s",
		 it->has_elem_count_kfunc
			 ? "hash maps counted by the kernel (bpf_map_sum_elem_count)"
			 : "kernel lacks bpf_map_sum_elem_count (6.6+), no entry counts");
out:
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

void iter_buf__fini(struct iter_buf *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}
