// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "log.h"
#include "privileges.h"
#include "util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * What scrapes may need once the iterators are attached, the one place
 * to extend when a collector needs more. "always" entries are kept when
 * held; the others only when the probe scrape fails without them (tried
 * in order, the first that makes it pass is kept).
 */
static const struct {
	int cap;
	bool always;
	const char *why;
} scrape_caps[] = {
	/*
	 * Before Linux 6.5, with kernel.unprivileged_bpf_disabled set, every
	 * bpf() command checks CAP_BPF, BPF_ITER_CREATE included; since 6.5
	 * only loading programs and creating maps do.
	 */
	{CAP_BPF, false, "this kernel checks it on every bpf() call"},
	{CAP_SYS_ADMIN, false, "this kernel checks it on every bpf() call (no CAP_BPF)"},
};

struct capset {
	uint64_t eff, prm, inh;
};

static int caps_get(struct capset *s)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return -errno;
	s->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	s->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	s->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct capset *s)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)s->eff, (uint32_t)s->prm, (uint32_t)s->inh},
		{(uint32_t)(s->eff >> 32), (uint32_t)(s->prm >> 32), (uint32_t)(s->inh >> 32)},
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

static uint64_t bit(int cap)
{
	return (uint64_t)1 << cap;
}

const char *privileges_missing_for_load(char *buf, size_t size)
{
	struct capset s;
	bool admin, bpf, perfmon;

	buf[0] = '\0';
	if (caps_get(&s))
		return buf;
	admin = s.eff & bit(CAP_SYS_ADMIN);
	bpf = admin || (s.eff & bit(CAP_BPF));
	perfmon = admin || (s.eff & bit(CAP_PERFMON));
	snprintf(buf, size, "%s%s%s", bpf ? "" : "CAP_BPF", !bpf && !perfmon ? ", " : "",
		 perfmon ? "" : "CAP_PERFMON");
	return buf;
}

/* "CAP_BPF, CAP_SYS_ADMIN" or "none", for the log: the capabilities a scrape may keep. */
static const char *names(uint64_t set, char *buf, size_t size)
{
	static const struct {
		int cap;
		const char *name;
	} known[] = {{CAP_BPF, "CAP_BPF"},
		     {CAP_PERFMON, "CAP_PERFMON"},
		     {CAP_NET_ADMIN, "CAP_NET_ADMIN"},
		     {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		if (set & bit(known[i].cap))
			o += snprintf(buf + o, o < size ? size - o : 0, "%s%s", o ? ", " : "",
				      known[i].name);
	}
	return o ? buf : "none";
}

/* Run the probe with only want effective (want is within permitted). */
static int try_set(const struct capset *cur, uint64_t want, int (*probe)(void *), void *arg)
{
	struct capset s = {.eff = want, .prm = cur->prm, .inh = cur->inh};
	int err = caps_set(&s);

	return err ? err : probe(arg);
}

int privileges_drop(uint64_t needed, int (*probe)(void *arg), void *arg)
{
	struct capset cur, final;
	uint64_t base = 0, keep = 0;
	char buf[64];
	bool found = false;
	int err;

	err = caps_get(&cur);
	if (err)
		return err;
	/* Nothing exec'ed later may gain privileges, whatever its file says. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (!cur.prm)
		return 0; /* nothing to drop */
	/* With CAP_SETPCAP, also empty the bounding set (before losing it). */
	if (cur.eff & bit(CAP_SETPCAP)) {
		for (int cap = 0; cap < 64; cap++)
			if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
				prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	}
	base = needed & cur.prm;
	for (size_t i = 0; i < ARRAY_SIZE(scrape_caps); i++)
		if (scrape_caps[i].always)
			base |= bit(scrape_caps[i].cap) & cur.prm;
	if (!try_set(&cur, base, probe, arg)) {
		keep = base;
		found = true;
	}
	for (size_t i = 0; !found && i < ARRAY_SIZE(scrape_caps); i++) {
		uint64_t b = bit(scrape_caps[i].cap);

		if (scrape_caps[i].always || !(cur.prm & b))
			continue;
		if (!try_set(&cur, base | b, probe, arg)) {
			keep = base | b;
			found = true;
			log_info("keeping %s after start-up: %s", names(b, buf, sizeof(buf)),
				 scrape_caps[i].why);
		}
	}
	if (!found) {
		/* Scrapes fail either way: keep what we had, they may report why. */
		log_warn("capabilities: no smaller set lets a scrape work; keeping them all");
		return caps_set(&cur);
	}
	final = (struct capset){.eff = keep, .prm = keep, .inh = 0};
	err = caps_set(&final);
	if (err) {
		log_error("cannot drop capabilities: %s", strerror(-err));
		caps_set(&cur);
		return err;
	}
	log_info("dropped every capability scrapes do not need (kept: %s)",
		 names(keep, buf, sizeof(buf)));
	return 0;
}
