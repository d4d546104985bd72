// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "scrape_stream.h"

/* A chunk handed over and not sent yet, or a sent one kept for reuse. */
struct chunk {
	struct chunk *next;
	char *buf;
	size_t len, cap;
};

struct scrape_stream {
	pthread_t thread;
	bool thread_started;
	scrape_fn scrape;
	void *scrape_arg;
	struct expo *out; /* the scrape thread's */
	size_t chunk_size;
	bool streaming; /* a chunk was handed over: written by the scrape thread only */

	pthread_mutex_t lock; /* guards what follows, up to the reader's own state */
	pthread_cond_t cond; /* a chunk was queued, or the scrape ended */
	pthread_cond_t space; /* a chunk was sent, or the reader left */
	struct chunk *head, *tail; /* handed over, in order */
	size_t queued; /* chunks in that queue */
	struct chunk *spare; /* sent, their buffers for the writer to reuse */
	bool done;
	int err;
	bool reader_gone;
	struct timespec wait_until; /* the writer's budget for waiting on the reader */
	bool budget_set;

	/* The reader's: the chunk being sent and how far. */
	struct chunk *cur;
	size_t pos;
	bool gzip, z_ready, z_finished;
	z_stream z;
};

/* gzip at the fastest level: scrapes are large, and deflate bounds a gzip'ed one. */
static int gzip_init(z_stream *z)
{
	return deflateInit2(z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK
		       ? 0
		       : -ENOMEM;
}

/* A whole body gzip'ed in one go, in place of *body. */
static int gzip_whole(char **body, size_t *len)
{
	z_stream z = {0};
	size_t cap;
	char *out;
	int err = gzip_init(&z);

	if (err)
		return err;
	cap = deflateBound(&z, *len);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)*body;
	z.avail_in = *len;
	z.next_out = (unsigned char *)out;
	z.avail_out = cap;
	err = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : -EIO;
	deflateEnd(&z);
	if (err) {
		free(out);
		return err;
	}
	free(*body);
	*body = out;
	*len = z.total_out;
	return 0;
}

static void free_chunks(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;

		free(c->buf);
		free(c);
		c = next;
	}
}

/*
 * With the lock held: while SCRAPE_STREAM_QUEUE chunks wait to be sent,
 * wait for the client, so a scrape holds a few chunks rather than its
 * whole text. Only for SCRAPE_STREAM_WAIT_MS per scrape in all: a client
 * that reads slowly must not hold the scrape, and the configuration lock
 * it has, for long; past that the rest is buffered.
 */
static void wait_for_space(struct scrape_stream *st)
{
	if (st->queued <= SCRAPE_STREAM_QUEUE || st->reader_gone)
		return;
	if (!st->budget_set) {
		clock_gettime(CLOCK_MONOTONIC, &st->wait_until);
		st->wait_until.tv_sec += SCRAPE_STREAM_WAIT_MS / 1000;
		st->wait_until.tv_nsec += (long)(SCRAPE_STREAM_WAIT_MS % 1000) * 1000000;
		if (st->wait_until.tv_nsec >= 1000000000) {
			st->wait_until.tv_sec++;
			st->wait_until.tv_nsec -= 1000000000;
		}
		st->budget_set = true;
	}
	while (st->queued > SCRAPE_STREAM_QUEUE && !st->reader_gone)
		if (pthread_cond_timedwait(&st->space, &st->lock, &st->wait_until) == ETIMEDOUT)
			break;
}

/* expo_sink: queue the full buffer, give back a spare one (or a new one). */
static char *take(void *arg, char *buf, size_t len, size_t cap, size_t *new_cap)
{
	struct scrape_stream *st = arg;
	struct chunk *c;
	char *next;

	pthread_mutex_lock(&st->lock);
	if (st->reader_gone) {
		/* Nobody will send it: write the rest over it. */
		pthread_mutex_unlock(&st->lock);
		*new_cap = cap;
		return buf;
	}
	c = st->spare;
	if (c)
		st->spare = c->next;
	pthread_mutex_unlock(&st->lock);
	if (!c) {
		c = calloc(1, sizeof(*c));
		next = malloc(st->chunk_size);
		if (!c || !next) {
			free(c);
			free(next);
			free(buf);
			return NULL;
		}
		*new_cap = st->chunk_size;
	} else {
		next = c->buf;
		*new_cap = c->cap;
	}
	c->buf = buf;
	c->len = len;
	c->cap = cap;
	c->next = NULL;
	st->streaming = true;

	pthread_mutex_lock(&st->lock);
	if (st->tail)
		st->tail->next = c;
	else
		st->head = c;
	st->tail = c;
	st->queued++;
	pthread_cond_signal(&st->cond);
	wait_for_space(st);
	pthread_mutex_unlock(&st->lock);
	return next;
}

static void *run(void *arg)
{
	struct scrape_stream *st = arg;
	int err = st->scrape(st->scrape_arg, st->out);

	/* What fit in one chunk stays in out, to be answered whole. */
	if (!err && st->streaming)
		err = expo__flush(st->out);
	pthread_mutex_lock(&st->lock);
	st->done = true;
	st->err = err;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

int scrape_stream__start(struct scrape_stream **out, scrape_fn scrape, void *arg, size_t chunk,
			 bool gzip)
{
	struct scrape_stream *st = calloc(1, sizeof(*st));
	pthread_condattr_t attr;
	int err;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&st->space, &attr);
	pthread_condattr_destroy(&attr);
	st->scrape = scrape;
	st->scrape_arg = arg;
	st->chunk_size = chunk;
	st->gzip = gzip;
	st->out = expo__new();
	if (!st->out) {
		scrape_stream__free(st);
		return -ENOMEM;
	}
	if (chunk)
		expo__set_sink(st->out, &(struct expo_sink){take, st, chunk});
	err = pthread_create(&st->thread, NULL, run, st);
	if (err) {
		scrape_stream__free(st);
		return -err;
	}
	st->thread_started = true;
	*out = st;
	return 0;
}

int scrape_stream__wait(struct scrape_stream *st, char **body, size_t *len)
{
	bool queued;
	int err;

	pthread_mutex_lock(&st->lock);
	while (!st->head && !st->done)
		pthread_cond_wait(&st->cond, &st->lock);
	queued = st->head;
	err = st->err;
	pthread_mutex_unlock(&st->lock);
	if (queued)
		return 1;
	/* Done, nothing handed over: the scrape thread no longer touches out. */
	if (err)
		return err;
	*body = expo__steal(st->out, len);
	if (!*body) {
		*body = strdup(""); /* an empty scrape is still an answer */
		*len = 0;
	}
	if (!*body)
		return -ENOMEM;
	err = st->gzip ? gzip_whole(body, len) : 0;
	if (err) {
		free(*body);
		*body = NULL;
	}
	return err;
}

/*
 * The chunk to send from: 1, or 0 when the scrape is over and all was
 * sent, or -errno if the scrape failed. Without wait, -EAGAIN rather
 * than waiting for the next chunk.
 */
static int next_chunk(struct scrape_stream *st, bool wait)
{
	int ret;

	if (st->cur && st->pos < st->cur->len)
		return 1;
	pthread_mutex_lock(&st->lock);
	if (st->cur) { /* sent: its buffer goes back to the writer */
		st->cur->next = st->spare;
		st->spare = st->cur;
		st->cur = NULL;
	}
	while (wait && !st->head && !st->done)
		pthread_cond_wait(&st->cond, &st->lock);
	if (st->head) {
		st->cur = st->head;
		st->head = st->cur->next;
		st->cur->next = NULL;
		if (!st->head)
			st->tail = NULL;
		st->queued--;
		pthread_cond_signal(&st->space);
		st->pos = 0;
		ret = 1;
	} else {
		ret = !st->done ? -EAGAIN : st->err;
	}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

/* Fill buf from as many chunks as are there, waiting only for the first. */
static ssize_t read_plain(struct scrape_stream *st, char *buf, size_t max)
{
	size_t n = 0;

	while (n < max) {
		int more = next_chunk(st, n == 0);
		size_t k;

		if (more <= 0 && n)
			break; /* send what there is; the end or an error shows at the next read */
		if (more <= 0)
			return more;
		k = st->cur->len - st->pos;
		if (k > max - n)
			k = max - n;
		memcpy(buf + n, st->cur->buf + st->pos, k);
		st->pos += k;
		n += k;
	}
	return (ssize_t)n;
}

static ssize_t read_gzip(struct scrape_stream *st, char *buf, size_t max)
{
	if (!st->z_ready) {
		int err = gzip_init(&st->z);

		if (err)
			return err;
		st->z_ready = true;
	}
	st->z.next_out = (unsigned char *)buf;
	st->z.avail_out = max;
	/* deflate keeps input back until it has a block: feed it until it writes. */
	while (st->z.avail_out == max && !st->z_finished) {
		int more = next_chunk(st, true), rc;

		if (more < 0)
			return more;
		if (more) {
			st->z.next_in = (unsigned char *)st->cur->buf + st->pos;
			st->z.avail_in = st->cur->len - st->pos;
		} else {
			st->z.next_in = NULL;
			st->z.avail_in = 0;
		}
		rc = deflate(&st->z, more ? Z_NO_FLUSH : Z_FINISH);
		if (more)
			st->pos = st->cur->len - st->z.avail_in;
		if (rc == Z_STREAM_END)
			st->z_finished = true;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -EIO;
	}
	return (ssize_t)(max - st->z.avail_out);
}

ssize_t scrape_stream__read(struct scrape_stream *st, char *buf, size_t max)
{
	if (!max)
		return -EINVAL;
	return st->gzip ? read_gzip(st, buf, max) : read_plain(st, buf, max);
}

void scrape_stream__free(struct scrape_stream *st)
{
	if (!st)
		return;
	/* A scrape waiting for this reader would wait in vain. */
	pthread_mutex_lock(&st->lock);
	st->reader_gone = true;
	pthread_cond_signal(&st->space);
	pthread_mutex_unlock(&st->lock);
	if (st->thread_started)
		pthread_join(st->thread, NULL);
	if (st->z_ready)
		deflateEnd(&st->z);
	if (st->cur)
		free_chunks(st->cur);
	free_chunks(st->head);
	free_chunks(st->spare);
	expo__free(st->out);
	pthread_cond_destroy(&st->cond);
	pthread_cond_destroy(&st->space);
	pthread_mutex_destroy(&st->lock);
	free(st);
}
