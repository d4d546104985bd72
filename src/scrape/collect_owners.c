// SPDX-License-Identifier: Apache-2.0
/*
 * The owners collector: the snapshot's owner table (scrape_owners()),
 * which the program and map writers label their series from, and whether
 * the exporter sees every process.
 */
#include "collector.h"

int collect_owners(struct scrape *s)
{
	int err = scrape_owners(s);

	if (err)
		return err;
	expo__family(s->out, "bpfmap_exporter_owners_host_pid_namespace",
		     "1 if the exporter sees every process on the host, 0 if only those of its "
		     "own PID namespace (owners of other processes' objects are then unknown).",
		     EXPO_GAUGE);
	expo__sample(s->out, NULL, 0, s->owners.reader_pidns_level == 0);
	return 0;
}
