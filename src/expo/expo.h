/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus text exposition (format 0.0.4) writer.
 *
 * The only place that formats metric text: it writes HELP/TYPE once per
 * family, escapes label values, spells +Inf/-Inf/NaN, and appends the
 * constant labels (static labels from the config) to every sample.
 * Collectors hand it names, label pairs and numbers, nothing else.
 *
 * Errors are sticky: after the first failure (ENOMEM, or a sample outside
 * a family) every call is a no-op and expo__error() reports it.
 */
#ifndef BPFMAP_EXPO_H
#define BPFMAP_EXPO_H

#include <stddef.h>
#include <stdint.h>

enum expo_type { EXPO_GAUGE, EXPO_COUNTER, EXPO_UNTYPED };

struct expo_label {
	const char *name;
	const char *value; /* any bytes; escaped, invalid UTF-8 replaced by U+FFFD */
};

struct expo;

struct expo *expo__new(void);
void expo__free(struct expo *e); /* NULL-safe */
/* Empty the buffer for the next scrape; keeps its memory and constant labels. */
void expo__reset(struct expo *e);
/* Labels appended to every sample after the sample's own; copied. */
int expo__set_const_labels(struct expo *e, const struct expo_label *labels, size_t n);

/*
 * Open a family. HELP and TYPE are written lazily with the family's first
 * sample, so a family with no samples leaves no trace in the output.
 */
void expo__family(struct expo *e, const char *name, const char *help, enum expo_type type);
/*
 * One sample of the open family. Labels with an empty value are omitted.
 * Label names are validated once per address, so they must be strings
 * that never change (literals, schema tables); values may be anything.
 */
void expo__sample(struct expo *e, const struct expo_label *labels, size_t n, double value);
/* Same, for integers that must stay exact beyond 2^53 (counters in ns, ids). */
void expo__sample_u64(struct expo *e, const struct expo_label *labels, size_t n, uint64_t value);

/*
 * A label set rendered once (escaped, constant labels appended) for
 * series of several families that share it: an object's labels are then
 * formatted once per scrape, not once per family. Only valid as returned
 * by expo__labels(), until the next expo__reset(); using one from before
 * a reset is a sticky -EINVAL.
 */
struct expo_labels {
	size_t offset, len;
};

struct expo_labels expo__labels(struct expo *e, const struct expo_label *labels, size_t n);
void expo__sample_set(struct expo *e, struct expo_labels set, double value);
void expo__sample_set_u64(struct expo *e, struct expo_labels set, uint64_t value);
/*
 * A sample whose labels are a few of its own followed by a set rendered
 * once for many samples (e.g. an owner's labels, shared by every object
 * it holds): name{labels...,set...} value.
 */
void expo__sample_with_set_u64(struct expo *e, const struct expo_label *labels, size_t n,
			       struct expo_labels set, uint64_t value);

int expo__error(const struct expo *e); /* 0 or -errno */

/*
 * Streaming: the text is handed over in pieces while it is written, so a
 * server can send the start of a scrape while the rest is formatted. When
 * a sample line would start at or past chunk bytes, take() receives the
 * buffer (len bytes of whole lines, cap allocated; it owns it from then
 * on) and returns an empty one to go on with, its size in *new_cap, or NULL
 * (a sticky -ENOMEM).
 */
struct expo_sink {
	char *(*take)(void *arg, char *buf, size_t len, size_t cap, size_t *new_cap);
	void *arg;
	size_t chunk;
};

void expo__set_sink(struct expo *e, const struct expo_sink *sink);
/* Hand what is still buffered to the sink (a no-op if empty): 0 or -errno. */
int expo__flush(struct expo *e);

/*
 * Hand the text over: returns the malloc'ed, NUL-terminated buffer (the
 * caller frees it) and its length, and leaves the writer empty. NULL if
 * there is nothing or after an error.
 */
char *expo__steal(struct expo *e, size_t *len);
/*
 * The text so far and its length, without handing it over. It writes
 * the terminating NUL into the buffer (which always has room for it),
 * so it is a write like any other call, for the writer's one thread.
 */
const char *expo__data(const struct expo *e, size_t *len);

/*
 * Decimal digits of v and a NUL into buf, which must hold them (21 bytes
 * for any value, 11 for a 32-bit one); returns the digit count. Much
 * faster than snprintf, for label values formatted per object.
 */
size_t expo_format_u64(uint64_t v, char *buf);
/* "0x" and lowercase hex digits, no leading zeros; buf holds at least 19 bytes. */
size_t expo_format_hex(uint64_t v, char *buf);

/* Appends the escaped form of a label value to out; exposed for tests. */
size_t expo_escape_label_value(const char *in, char *out, size_t out_size);

#endif
