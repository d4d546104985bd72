// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the streamed scrape: whatever the chunk and read sizes,
 * plain or gzip'ed, the reader gets exactly the text a scrape writes; a
 * failing scrape is an error, never a short body that looks whole.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "scrape_stream.h"

struct fake_scrape {
	int lines;
	int fail; /* returned after writing everything: 0 or -errno */
	useconds_t pause; /* between lines, now and then: the reader must wait */
	atomic_bool finished; /* set when the scrape returns */
};

static int fake_scrape(void *arg, struct expo *out)
{
	const struct fake_scrape *f = arg;
	char id[16];
	const struct expo_label l[] = {{"id", id}, {"name", "x\"y"}};

	expo__reset(out);
	expo__family(out, "fake_lines", "Lines of a fake scrape.", EXPO_GAUGE);
	for (int i = 0; i < f->lines; i++) {
		snprintf(id, sizeof(id), "%d", i);
		expo__sample_u64(out, l, 2, (uint64_t)i * 7919);
		if (f->pause && i % 500 == 0)
			usleep(f->pause);
	}
	atomic_store(&((struct fake_scrape *)f)->finished, true);
	return f->fail ? f->fail : expo__error(out);
}

/* The text fake_scrape writes, unstreamed. */
static char *reference(const struct fake_scrape *f, size_t *len)
{
	struct expo *e = expo__new();
	char *text;

	assert_non_null(e);
	assert_int_equal(fake_scrape((void *)f, e), f->fail);
	text = strdup(expo__data(e, len));
	assert_non_null(text);
	expo__free(e);
	return text;
}

/* Read the whole body in reads of max bytes; returns the last read's result (0 or -errno). */
static ssize_t read_all(struct scrape_stream *st, size_t max, char **body, size_t *len)
{
	size_t cap = 1 << 16;
	char *buf = malloc(max);
	ssize_t n;

	assert_non_null(buf);
	*body = malloc(cap);
	*len = 0;
	assert_non_null(*body);
	while ((n = scrape_stream__read(st, buf, max)) > 0) {
		assert_true((size_t)n <= max);
		if (*len + n > cap) {
			cap = 2 * (*len + n);
			*body = realloc(*body, cap);
			assert_non_null(*body);
		}
		memcpy(*body + *len, buf, n);
		*len += n;
	}
	free(buf);
	return n;
}

static char *gunzip(const char *in, size_t len, size_t *out_len)
{
	z_stream z = {};
	size_t cap = 64 * len + 1024;
	char *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)in;
	z.avail_in = len;
	z.next_out = (unsigned char *)out;
	z.avail_out = cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.avail_in, 0); /* nothing after the gzip member */
	*out_len = z.total_out;
	inflateEnd(&z);
	return out;
}

/* body (gzip'ed if gz) is exactly want; frees body. */
static void expect_body(char *body, size_t len, bool gz, const char *want, size_t want_len)
{
	char *plain = gz ? gunzip(body, len, &len) : body;

	assert_int_equal(len, want_len);
	assert_memory_equal(plain, want, want_len);
	if (gz)
		free(plain);
	free(body);
}

/*
 * What fits in one chunk is answered whole, plain or gzip'ed; chunk 0
 * (HEAD) never streams, however large.
 */
static void test_whole_answers(void **state)
{
	static const struct {
		int lines;
		size_t chunk;
	} cases[] = {{3, 1 << 16}, {20000, 0}};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct fake_scrape f = {.lines = cases[c].lines};
		size_t want_len;
		char *want = reference(&f, &want_len);

		for (int gz = 0; gz < 2; gz++) {
			struct scrape_stream *st;
			char *body;
			size_t len;

			assert_int_equal(
				scrape_stream__start(&st, fake_scrape, &f, cases[c].chunk, gz), 0);
			assert_int_equal(scrape_stream__wait(st, &body, &len), 0);
			expect_body(body, len, gz, want, want_len);
			scrape_stream__free(st);
		}
		free(want);
	}
}

static void test_streamed_plain_and_gzip(void **state)
{
	static const size_t chunks[] = {1, 4096, 65536};
	static const size_t reads[] = {1, 1000, 65536, 1 << 20};

	(void)state;
	for (int pause = 0; pause < 2; pause++) {
		struct fake_scrape f = {.lines = 20000, .pause = pause ? 200 : 0};
		size_t want_len;
		char *want = reference(&f, &want_len);

		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			for (size_t r = 0; r < sizeof(reads) / sizeof(reads[0]); r++) {
				for (int gz = 0; gz < 2; gz++) {
					struct scrape_stream *st;
					char *body;
					size_t len;

					if (chunks[c] == 1 && reads[r] == 1 && gz)
						continue; /* a byte per deflate call: minutes */
					assert_int_equal(scrape_stream__start(&st, fake_scrape, &f,
									      chunks[c], gz),
							 0);
					assert_int_equal(scrape_stream__wait(st, &body, &len), 1);
					assert_int_equal(read_all(st, reads[r], &body, &len), 0);
					/* the end stays the end */
					assert_int_equal(scrape_stream__read(st, body, 1), 0);
					expect_body(body, len, gz, want, want_len);
					scrape_stream__free(st);
				}
			}
		}
		free(want);
	}
}

static void test_failure_before_any_chunk(void **state)
{
	struct fake_scrape f = {.lines = 3, .fail = -EIO};
	struct scrape_stream *st;
	char *body = NULL;
	size_t len;

	(void)state;
	assert_int_equal(scrape_stream__start(&st, fake_scrape, &f, 1 << 16, false), 0);
	assert_int_equal(scrape_stream__wait(st, &body, &len), -EIO);
	assert_null(body);
	scrape_stream__free(st);
}

/* Chunks already sent cannot be taken back: the body ends in an error, not quietly. */
static void test_failure_after_chunks(void **state)
{
	struct fake_scrape f = {.lines = 20000, .fail = -EIO};

	(void)state;
	for (int gz = 0; gz < 2; gz++) {
		struct scrape_stream *st;
		char *body;
		size_t len;

		assert_int_equal(scrape_stream__start(&st, fake_scrape, &f, 4096, gz), 0);
		assert_int_equal(scrape_stream__wait(st, &body, &len), 1);
		assert_int_equal(read_all(st, 8192, &body, &len), -EIO);
		assert_true(len > 0);
		free(body);
		scrape_stream__free(st);
	}
}

/* A client that leaves mid-body: free() waits for the scrape and frees every chunk. */
static void test_reader_leaves(void **state)
{
	struct fake_scrape f = {.lines = 20000, .pause = 100};
	struct scrape_stream *st;
	char buf[100], *body;
	size_t len;

	(void)state;
	assert_int_equal(scrape_stream__start(&st, fake_scrape, &f, 4096, false), 0);
	assert_int_equal(scrape_stream__wait(st, &body, &len), 1);
	assert_int_equal(scrape_stream__read(st, buf, sizeof(buf)), sizeof(buf));
	scrape_stream__free(st);

	/* and one that never read at all (a HEAD request) */
	assert_int_equal(scrape_stream__start(&st, fake_scrape, &f, 4096, true), 0);
	scrape_stream__free(st);
}

/*
 * A client that stops reading holds the scrape back (it keeps a few
 * chunks, not its whole text), but only for SCRAPE_STREAM_WAIT_MS; then
 * the scrape ends and the rest waits for the client, all of it intact.
 */
static void test_stalled_reader(void **state)
{
	struct fake_scrape f = {.lines = 50000};
	struct scrape_stream *st;
	size_t want_len, len;
	char *want = reference(&f, &want_len), *body;

	(void)state;
	atomic_store(&f.finished, false);
	assert_true(want_len > 4096 * (SCRAPE_STREAM_QUEUE + 4));
	assert_int_equal(scrape_stream__start(&st, fake_scrape, &f, 4096, false), 0);
	assert_int_equal(scrape_stream__wait(st, &body, &len), 1);
	usleep(SCRAPE_STREAM_WAIT_MS * 1000 / 4);
	assert_false(atomic_load(&f.finished)); /* waiting for this reader */
	usleep(SCRAPE_STREAM_WAIT_MS * 1000);
	assert_true(atomic_load(&f.finished)); /* not for longer than the budget */
	assert_int_equal(read_all(st, 65536, &body, &len), 0);
	expect_body(body, len, false, want, want_len);
	scrape_stream__free(st);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_answers),
		cmocka_unit_test(test_streamed_plain_and_gzip),
		cmocka_unit_test(test_failure_before_any_chunk),
		cmocka_unit_test(test_failure_after_chunks),
		cmocka_unit_test(test_reader_leaves),
		cmocka_unit_test(test_stalled_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
