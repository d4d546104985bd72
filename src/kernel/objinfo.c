// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "objinfo.h"

#define STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

/* Reads a small procfs file into buf (NUL-terminated); 0 or -errno. */
static int read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	size_t len = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return err;
}

int objinfo_map_memlock(uint32_t map_id, uint64_t *bytes)
{
	char path[64], text[1024], *p, *end;
	int fd, err;

	fd = bpf_map_get_fd_by_id(map_id);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	err = read_small_file(path, text, sizeof(text));
	if (err)
		goto out;
	p = strstr(text, "\nmemlock:");
	if (!p) {
		err = -ENODATA;
		goto out;
	}
	errno = 0;
	*bytes = strtoull(p + strlen("\nmemlock:"), &end, 10);
	if (errno || end == p + strlen("\nmemlock:"))
		err = -EPROTO;
out:
	close(fd);
	return err;
}

int objinfo_prog_run_stats(uint32_t prog_id, struct prog_run_stats *out)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	/* The kernel says how much of the struct it knows: older ones lack the misses. */
	out->run_time_ns = info.run_time_ns;
	out->run_cnt = info.run_cnt;
	out->has_recursion_misses = len >= offsetof(struct bpf_prog_info, recursion_misses) +
						   sizeof(info.recursion_misses);
	out->recursion_misses = out->has_recursion_misses ? info.recursion_misses : 0;
out:
	close(fd);
	return err;
}

int objinfo_enable_run_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int objinfo_run_stats_sysctl(void)
{
	char text[16];
	int err = read_small_file(STATS_SYSCTL, text, sizeof(text));

	if (err)
		return err;
	return text[0] == '1';
}
