// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "pins.h"

/* A pin's identity: an inode lives as long as its pin, ctime tells reuse apart. */
struct pin_key {
	uint64_t dev, ino;
	int64_t ctime_sec, ctime_nsec;
};

struct pin_entry {
	struct pin_key key;
	uint32_t kind, id, prog_id;
};

struct pin_cache {
	struct pin_entry *entries; /* sorted by key: the previous walk's pins */
	size_t nr;
	char **warned; /* roots already reported as not being a bpffs */
	size_t nr_warned;
};

struct walk {
	struct pin_cache *c;
	struct owner_table *t;
	struct pin_entry *found; /* this walk's pins, the next cache */
	size_t nr_found, cap_found;
	size_t visited;
	bool truncated;
};

static int cmp_key(const void *a, const void *b)
{
	const struct pin_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->ctime_sec != y->ctime_sec)
		return x->ctime_sec < y->ctime_sec ? -1 : 1;
	return x->ctime_nsec < y->ctime_nsec ? -1 : x->ctime_nsec > y->ctime_nsec;
}

int pin_cache__new(struct pin_cache **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void pin_cache__free(struct pin_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nr_warned; i++)
		free(c->warned[i]);
	free(c->warned);
	free(c->entries);
	free(c);
}

/* The kind of a BPF fd, from its anon-inode name (as the iterator does). */
static uint32_t fd_kind(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	if (!strcmp(target, "anon_inode:bpf-map"))
		return BPFMAP_OBJ_MAP;
	if (!strcmp(target, "anon_inode:bpf-prog"))
		return BPFMAP_OBJ_PROG;
	if (!strcmp(target, "anon_inode:bpf_link") || !strcmp(target, "anon_inode:bpf-link"))
		return BPFMAP_OBJ_LINK;
	return 0;
}

/* Open a pin once: its kind, id and (links) program id. */
static int identify(const char *path, struct pin_entry *e)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	/* Every info struct starts with type and id; links then have prog_id. */
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd, err = 0;

	/* Read-only is enough for maps; programs and links only open read-write. */
	fd = bpf_obj_get_opts(path, &ro);
	if (fd < 0)
		fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	e->kind = fd_kind(fd);
	if (!e->kind || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = e->kind ? -errno : -ENOTSUP;
		goto out;
	}
	e->id = info.id;
	e->prog_id = e->kind == BPFMAP_OBJ_LINK ? info.prog_id : 0;
out:
	close(fd);
	return err;
}

static int add_found(struct walk *w, const struct pin_entry *e, const char *path)
{
	int err;

	if (w->nr_found == w->cap_found) {
		size_t cap = w->cap_found ? w->cap_found * 2 : 64;
		struct pin_entry *p = reallocarray(w->found, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->found = p;
		w->cap_found = cap;
	}
	w->found[w->nr_found++] = *e;
	err = owner_table__add_pin(w->t, e->kind, e->id, path);
	/* A pinned link keeps its program: the program counts as pinned there too. */
	if (!err && e->kind == BPFMAP_OBJ_LINK && e->prog_id)
		err = owner_table__add_pin(w->t, BPFMAP_OBJ_PROG, e->prog_id, path);
	return err;
}

static int walk_dir(struct walk *w, int dir_fd, const char *path, int depth)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *de;
	int err = 0;

	if (!d) {
		close(dir_fd);
		return 0;
	}
	while (!err && (de = readdir(d))) {
		char child[PATH_MAX];
		struct pin_entry e = {0};
		const struct pin_entry *hit;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++w->visited > PINS_MAX_ENTRIES) {
			w->truncated = true;
			break;
		}
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, de->d_name) >=
			    sizeof(child) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode)) {
			int fd;

			if (depth + 1 >= PINS_MAX_DEPTH)
				continue;
			fd = openat(dirfd(d), de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				err = walk_dir(w, fd, child, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue; /* symlinks and anything else are not pins */
		e.key = (struct pin_key){(uint64_t)st.st_dev, (uint64_t)st.st_ino,
					 st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
		hit = w->c->nr ? bsearch(&e.key, w->c->entries, w->c->nr, sizeof(e), cmp_key)
			       : NULL;
		if (hit) {
			e = *hit;
		} else {
			int ierr = identify(child, &e);

			if (ierr) {
				log_debug("owners: cannot identify the pin %s: %s", child,
					  strerror(-ierr));
				continue;
			}
		}
		err = add_found(w, &e, child);
	}
	closedir(d);
	return err;
}

static bool warned(struct pin_cache *c, const char *root)
{
	char **p;

	for (size_t i = 0; i < c->nr_warned; i++) {
		if (!strcmp(c->warned[i], root))
			return true;
	}
	p = reallocarray(c->warned, c->nr_warned + 1, sizeof(*p));
	if (p) {
		c->warned = p;
		c->warned[c->nr_warned] = strdup(root);
		if (c->warned[c->nr_warned])
			c->nr_warned++;
	}
	return false;
}

int pin_cache__walk(struct pin_cache *c, char *const *roots, size_t nr_roots, struct owner_table *t)
{
	struct walk w = {.c = c, .t = t};
	int err = 0;

	for (size_t i = 0; !err && i < nr_roots; i++) {
		struct statfs sfs;
		size_t len = strlen(roots[i]);
		char root[PATH_MAX];
		int fd;

		/* "/sys/fs/bpf/" and "/sys/fs/bpf" name the same pins. */
		while (len > 1 && roots[i][len - 1] == '/')
			len--;
		if (len >= sizeof(root))
			continue;
		memcpy(root, roots[i], len);
		root[len] = '\0';
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fstatfs(fd, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
			if (!warned(c, root))
				log_warn(
					"owners: %s (paths.bpffs) is not a mounted bpffs: its pins "
					"are not reported",
					root);
			if (fd >= 0)
				close(fd);
			continue;
		}
		err = walk_dir(&w, fd, strcmp(root, "/") ? root : "", 0);
	}
	if (w.truncated)
		log_debug("owners: more than %d bpffs entries, the rest were skipped",
			  PINS_MAX_ENTRIES);
	if (err) {
		free(w.found);
		return err;
	}
	/* This walk's pins are the next walk's cache: unpinned ones are forgotten. */
	if (w.nr_found)
		qsort(w.found, w.nr_found, sizeof(*w.found), cmp_key);
	free(c->entries);
	c->entries = w.found;
	c->nr = w.nr_found;
	owner_table__sort_pins(t);
	return 0;
}
