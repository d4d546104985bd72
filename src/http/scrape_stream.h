/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scrape sent while it is written.
 *
 * The scrape runs on a thread of its own and hands its text over in
 * chunks (struct expo_sink); the HTTP connection's thread sends each
 * chunk, or deflates it, as soon as it is there. Sending megabytes then
 * overlaps formatting them instead of following it, and a scrape holds
 * a few chunks rather than its whole text. A scrape that fits in one
 * chunk is answered whole, with its length.
 *
 * Threads: start(), wait(), read() and free() belong to the connection's
 * thread; only the scrape thread writes the expo.
 */
#ifndef BPFMAP_SCRAPE_STREAM_H
#define BPFMAP_SCRAPE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "expo.h"

/* Pieces of this size go out while the rest is written. */
#define SCRAPE_STREAM_CHUNK (64 * 1024)
/* Chunks a scrape writes ahead of the client before it waits for it... */
#define SCRAPE_STREAM_QUEUE 8
/* ...for this long at most, in all, per scrape; then it buffers the rest. */
#define SCRAPE_STREAM_WAIT_MS 2000

struct scrape_stream;

typedef int (*scrape_fn)(void *arg, struct expo *out); /* 0 or -errno */

/*
 * Run scrape(arg, out) on a new thread, out streaming in chunk-byte
 * pieces; chunk 0: not streaming, the answer is whole.
 */
int scrape_stream__start(struct scrape_stream **st, scrape_fn scrape, void *arg, size_t chunk,
			 bool gzip);
/*
 * Wait for the first chunk or the scrape's end. 1: the text streams,
 * read() it. 0: the scrape is over and fit in one chunk; *body is its
 * whole text (gzip'ed if asked at start), malloc'ed (the caller frees
 * it), of *len bytes. -errno: the scrape failed before any byte was
 * handed over.
 */
int scrape_stream__wait(struct scrape_stream *st, char **body, size_t *len);
/*
 * The next bytes of the body (gzip'ed if asked at start) into buf, once
 * there are any: their count; 0 at the end; -errno if the scrape failed.
 */
ssize_t scrape_stream__read(struct scrape_stream *st, char *buf, size_t max);
/* Wait for the scrape to end (a client that left does not stop it) and free all. */
void scrape_stream__free(struct scrape_stream *st); /* NULL-safe */

#endif
