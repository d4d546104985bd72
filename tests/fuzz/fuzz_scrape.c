// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: a whole scrape from hostile iterator bytes, through
 * exporter__scrape(): decoding, the joins of maps, programs, owners and
 * links, filters and label values, under three configs.
 *
 * Input: one byte choosing the config, then each iterator's bytes in
 * enum iter_kind order, separated by SEP (missing parts are empty). The
 * seeds are tests/fixtures/golden's recording in that form, written by
 * tests/golden/record.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "log.h"
#include "replay.h"
#include "util.h"

static const uint8_t SEP[4] = {0xff, 0xfe, 0xfd, 0xfc};

static const char *const configs[] = {
	"collectors: {attach_netlink: false, attach_cgroup: false}\n"
	"paths: {rootfs: /nonexistent}\n",
	"collectors: {programs: false, attach_netlink: false, attach_cgroup: false}\n"
	"paths: {rootfs: /nonexistent}\n"
	"filters: {programs: {include: {comm: \"f.*\"}}, maps: {exclude: {name: \"g.*\"}}}\n",
	"collectors: {owners: false, attach_netlink: false, attach_cgroup: false}\n"
	"labels: {maps: [id, prog], programs: [id, name]}\n"
	"counting: {method: keys}\nprograms: {run_stats: true}\n",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *cfgs[ARRAY_SIZE(configs)];
	const void *parts[ITER_KIND_MAX] = {0};
	size_t lens[ITER_KIND_MAX] = {0};
	struct exporter exp = {.stats_fd = -1};
	struct replay *r = NULL;
	struct expo *out;
	char err[256];
	size_t which;

	if (!cfgs[0]) {
		log_set_level(LOG_ERROR);
		for (size_t i = 0; i < ARRAY_SIZE(configs); i++)
			if (!(cfgs[i] = config__parse("<fuzz>", configs[i], strlen(configs[i]), err,
						      sizeof(err))))
				abort();
	}
	if (size < 1)
		return 0;
	which = data[0] % ARRAY_SIZE(configs);
	data++, size--;
	for (int k = 0; k < ITER_KIND_MAX; k++) {
		const uint8_t *sep = memmem(data, size, SEP, sizeof(SEP));

		parts[k] = data;
		lens[k] = sep && k < ITER_KIND_MAX - 1 ? (size_t)(sep - data) : size;
		if (!sep || k == ITER_KIND_MAX - 1)
			break;
		size -= lens[k] + sizeof(SEP);
		data = sep + sizeof(SEP);
	}
	for (int k = 0; k < ITER_KIND_MAX; k++)
		if (!parts[k])
			parts[k] = data + size;
	exp.cfg = cfgs[which];
	exp.queries.perf_events = true;
	pthread_rwlock_init(&exp.lock, NULL);
	out = expo__new();
	if (out && !replay__from_bytes(parts, lens, &r, &exp.source) &&
	    !owner_state__new(&exp.owners) && !mem_cache__new(&exp.mem_cache))
		exporter__scrape(&exp, out);
	expo__free(out);
	mem_cache__free(exp.mem_cache);
	owner_state__free(exp.owners);
	replay__free(r);
	pthread_rwlock_destroy(&exp.lock);
	return 0;
}
