// SPDX-License-Identifier: Apache-2.0
/*
 * Prometheus text exposition (format 0.0.4) writer.
 *
 * Numbers go through snprintf/strtod, which follow LC_NUMERIC: the program
 * must stay in the "C" numeric locale (it never calls setlocale()).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"

#define EXPO_MIN_CAP 4096

struct expo {
	char *buf; /* always NUL-terminated once allocated */
	size_t len;
	size_t cap;
	int err; /* sticky: first failure, 0 or -errno */

	/* One block: the label array, then the strings it points to. */
	struct expo_label *const_labels;
	size_t nr_const;

	/* Open family; name and help are copied to fam ("name\0help\0"). */
	char *fam;
	size_t fam_len; /* of the name, which every sample line starts with */
	size_t fam_cap;
	const char *fam_help; /* into fam, NULL when there is no HELP line */
	enum expo_type fam_type;
	bool fam_open;
	bool fam_written; /* HELP/TYPE already emitted */

	/*
	 * Label names already validated, by address: collectors pass the same
	 * static strings for every sample, so each is checked once, not per line.
	 */
	const char *checked_names[64]; /* direct-mapped by address */
	size_t checked_lens[64]; /* their lengths, to copy them without strlen */

	/* Label sets rendered by expo__labels(), until the next reset. */
	char *sets;
	size_t sets_len, sets_cap;

	struct expo_sink sink; /* take is NULL unless streaming */
};

static void fail(struct expo *e, int err)
{
	if (!e->err)
		e->err = err;
}

/* Room for extra bytes plus the NUL; grows geometrically so appends are amortized O(1). */
static int reserve(struct expo *e, size_t extra)
{
	size_t need, cap;
	char *buf;

	if (e->err)
		return e->err;
	if (extra > SIZE_MAX - e->len - 1)
		goto nomem;
	need = e->len + extra + 1;
	if (need <= e->cap)
		return 0;
	cap = e->cap ? e->cap : EXPO_MIN_CAP;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	buf = realloc(e->buf, cap);
	if (!buf)
		goto nomem;
	e->buf = buf;
	e->cap = cap;
	return 0;
nomem:
	fail(e, -ENOMEM);
	return e->err;
}

static void put(struct expo *e, const char *s, size_t n)
{
	/* The common case, room already there, costs one comparison. */
	if ((e->len + n >= e->cap || e->err) && reserve(e, n))
		return;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	e->buf[e->len] = '\0';
}

static void put_str(struct expo *e, const char *s)
{
	put(e, s, strlen(s));
}

static void put_char(struct expo *e, char c)
{
	if ((e->len + 1 >= e->cap || e->err) && reserve(e, 1))
		return;
	e->buf[e->len++] = c;
	e->buf[e->len] = '\0';
}

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7), or 0. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
	} else {
		return 0; /* continuation byte, C0/C1 overlong, F5..FF */
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL terminator fails the range check, so this never reads past it. */
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void emit(char *out, size_t out_size, size_t *n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++, (*n)++)
		if (*n + 1 < out_size)
			out[*n] = s[i];
}

/*
 * The one escaping routine, snprintf-like. Backslash and newline are
 * escaped, and double quote too for label values (HELP text keeps it).
 * Each byte that does not start a well-formed UTF-8 sequence becomes one
 * U+FFFD, as Go's decoder does, so the output is always valid UTF-8.
 */
static size_t escape(const char *in, char *out, size_t out_size, bool quote)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t n = 0, len;

	while (*s) {
		if (*s == '\\') {
			emit(out, out_size, &n, "\\\\", 2);
			s++;
		} else if (*s == '\n') {
			emit(out, out_size, &n, "\\n", 2);
			s++;
		} else if (*s == '"' && quote) {
			emit(out, out_size, &n, "\\\"", 2);
			s++;
		} else if ((len = utf8_seq_len(s))) {
			emit(out, out_size, &n, (const char *)s, len);
			s += len;
		} else {
			emit(out, out_size, &n, "\xef\xbf\xbd", 3);
			s++;
		}
	}
	if (out_size)
		out[n < out_size ? n : out_size - 1] = '\0';
	return n;
}

size_t expo_escape_label_value(const char *in, char *out, size_t out_size)
{
	return escape(in, out, out_size, true);
}

/* Length of the leading run of s that needs no escaping (printable ASCII). */
static size_t plain_run(const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p >= 0x20 && *p < 0x80 && *p != '\\' && !(quote && *p == '"'))
		p++;
	return (size_t)((const char *)p - s);
}

/* Escape straight into the free space; only on overflow grow and redo. */
static void put_escaped(struct expo *e, const char *s, bool quote)
{
	size_t avail, n;

	if (e->err)
		return;
	if (!s)
		s = "";
	/* Most values (names, ids, types) are plain ASCII: copy them as they are. */
	n = plain_run(s, quote);
	if (!s[n]) {
		put(e, s, n);
		return;
	}
	avail = e->cap - e->len;
	n = escape(s, e->buf ? e->buf + e->len : NULL, avail, quote);
	if (n >= avail) {
		if (reserve(e, n))
			return;
		escape(s, e->buf + e->len, e->cap - e->len, quote);
	}
	e->len += n;
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels. */
static bool valid_name(const char *s, bool metric)
{
	if (!s || !(is_name_start(*s) || (metric && *s == ':')))
		return false;
	for (s++; *s; s++)
		if (!(is_name_start(*s) || is_digit(*s) || (metric && *s == ':')))
			return false;
	return true;
}

static size_t name_slot(const struct expo *e, const char *name)
{
	return ((uintptr_t)name >> 3) % (sizeof(e->checked_names) / sizeof(e->checked_names[0]));
}

static bool name_checked(struct expo *e, const char *name)
{
	size_t slot = name_slot(e, name);

	if (e->checked_names[slot] == name)
		return true;
	if (!valid_name(name, false))
		return false;
	e->checked_names[slot] = name;
	e->checked_lens[slot] = strlen(name);
	return true;
}

static size_t name_len(const struct expo *e, const char *name)
{
	size_t slot = name_slot(e, name);

	return e->checked_names[slot] == name ? e->checked_lens[slot] : strlen(name);
}

/* e NULL: check every name afresh (names that will be copied, not kept by address). */
static int check_labels(struct expo *e, const struct expo_label *labels, size_t n)
{
	size_t i;

	if (n && !labels)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!labels[i].name ||
		    !(e ? name_checked(e, labels[i].name) : valid_name(labels[i].name, false)))
			return -EINVAL;
	return 0;
}

struct expo *expo__new(void)
{
	return calloc(1, sizeof(struct expo));
}

void expo__free(struct expo *e)
{
	if (!e)
		return;
	free(e->buf);
	free(e->const_labels);
	free(e->fam);
	free(e->sets);
	free(e);
}

void expo__reset(struct expo *e)
{
	e->len = 0;
	if (e->buf)
		e->buf[0] = '\0';
	/* A failed scrape must not poison the next one. */
	e->err = 0;
	e->fam_open = false;
	e->fam_written = false;
	e->sets_len = 0;
}

int expo__set_const_labels(struct expo *e, const struct expo_label *labels, size_t n)
{
	struct expo_label *copy = NULL;
	size_t i, size, strs = 0;
	char *p;
	int err;

	if (e->err)
		return e->err;
	err = check_labels(NULL, labels, n); /* copied below: no caching by address */
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		strs += strlen(labels[i].name) + 1;
		if (labels[i].value)
			strs += strlen(labels[i].value) + 1;
	}
	if (n) {
		size = n * sizeof(*copy) + strs;
		copy = malloc(size);
		if (!copy) {
			err = -ENOMEM;
			goto out;
		}
		p = (char *)(copy + n);
		for (i = 0; i < n; i++) {
			copy[i].name = p;
			p = stpcpy(p, labels[i].name) + 1;
			copy[i].value = NULL;
			if (labels[i].value) {
				copy[i].value = p;
				p = stpcpy(p, labels[i].value) + 1;
			}
		}
	}
	/* Replace only on success, so a failed call keeps the old set. */
	free(e->const_labels);
	e->const_labels = copy;
	e->nr_const = n;
out:
	if (err)
		fail(e, err);
	return err;
}

void expo__family(struct expo *e, const char *name, const char *help, enum expo_type type)
{
	size_t nlen, hlen, need;
	char *fam;

	if (e->err)
		return;
	if (!valid_name(name, true) ||
	    (type != EXPO_GAUGE && type != EXPO_COUNTER && type != EXPO_UNTYPED)) {
		fail(e, -EINVAL);
		return;
	}
	/* Reopening the current family must not repeat its HELP/TYPE lines. */
	if (e->fam_open && !strcmp(e->fam, name))
		return;

	nlen = strlen(name);
	hlen = help ? strlen(help) : 0;
	need = nlen + hlen + 2;
	if (need > e->fam_cap) {
		fam = realloc(e->fam, need);
		if (!fam) {
			fail(e, -ENOMEM);
			return;
		}
		e->fam = fam;
		e->fam_cap = need;
	}
	memcpy(e->fam, name, nlen + 1);
	e->fam_len = nlen;
	e->fam_help = NULL;
	if (hlen) {
		memcpy(e->fam + nlen + 1, help, hlen + 1);
		e->fam_help = e->fam + nlen + 1;
	}
	e->fam_type = type;
	e->fam_open = true;
	e->fam_written = false;
}

static const char *type_name(enum expo_type type)
{
	switch (type) {
	case EXPO_GAUGE:
		return "gauge";
	case EXPO_COUNTER:
		return "counter";
	default:
		return "untyped";
	}
}

static void put_labels(struct expo *e, const struct expo_label *labels, size_t n, bool *any)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* Prometheus treats an empty label as an absent one. */
		if (!labels[i].value || !labels[i].value[0])
			continue;
		size_t nlen = name_len(e, labels[i].name), vlen = plain_run(labels[i].value, true);
		char *p;

		if (labels[i].value[vlen] || reserve(e, nlen + vlen + 4)) {
			/* Escaping needed (or out of memory): the general path. */
			put_char(e, *any ? ',' : '{');
			put_str(e, labels[i].name);
			put(e, "=\"", 2);
			put_escaped(e, labels[i].value, true);
			put_char(e, '"');
		} else {
			/* The common case: ,name="value" in one go. */
			p = e->buf + e->len;
			*p++ = *any ? ',' : '{';
			memcpy(p, labels[i].name, nlen);
			p += nlen;
			*p++ = '=';
			*p++ = '"';
			memcpy(p, labels[i].value, vlen);
			p += vlen;
			*p++ = '"';
			*p = '\0';
			e->len = (size_t)(p - e->buf);
		}
		*any = true;
	}
}

/* A sample's value and the end of its line. */
static void put_value_u64(struct expo *e, uint64_t value)
{
	char num[24];
	size_t len = expo_format_u64(value, num);

	num[len++] = '\n';
	put(e, num, len);
}

/* The buffer to the sink, and an empty one from it. */
static void hand_over(struct expo *e)
{
	size_t cap = 0;
	char *next = e->sink.take(e->sink.arg, e->buf, e->len, e->cap, &cap);

	e->buf = next;
	e->len = 0;
	e->cap = next ? cap : 0;
	if (!next || !cap) {
		e->buf = NULL;
		free(next);
		fail(e, -ENOMEM);
		return;
	}
	e->buf[0] = '\0';
}

/* HELP/TYPE if still due, then the family name that starts a sample line. */
static int family_head(struct expo *e)
{
	if (e->err)
		return e->err;
	/* At a line's start: the only place a streamed buffer may be cut. */
	if (e->sink.take && e->len >= e->sink.chunk) {
		hand_over(e);
		if (e->err)
			return e->err;
	}
	if (!e->fam_open) {
		fail(e, -EINVAL);
		return e->err;
	}
	if (!e->fam_written) {
		if (e->fam_help) {
			put(e, "# HELP ", 7);
			put_str(e, e->fam);
			put_char(e, ' ');
			put_escaped(e, e->fam_help, false);
			put_char(e, '\n');
		}
		put(e, "# TYPE ", 7);
		put_str(e, e->fam);
		put_char(e, ' ');
		put_str(e, type_name(e->fam_type));
		put_char(e, '\n');
		e->fam_written = true;
	}
	put(e, e->fam, e->fam_len);
	return e->err;
}

/* {l1="v1",...,const labels} or nothing, at the end of the buffer. */
static void put_label_set(struct expo *e, const struct expo_label *labels, size_t n)
{
	bool any = false;

	put_labels(e, labels, n, &any);
	put_labels(e, e->const_labels, e->nr_const, &any);
	if (any)
		put_char(e, '}');
}

/* Everything of a sample line up to the value. */
static int sample_head(struct expo *e, const struct expo_label *labels, size_t n)
{
	int err = e->err ? e->err : check_labels(e, labels, n);

	if (err) {
		fail(e, err);
		return err;
	}
	if (family_head(e))
		return e->err;
	put_label_set(e, labels, n);
	put_char(e, ' ');
	return e->err;
}

void expo__sample_with_set_u64(struct expo *e, const struct expo_label *labels, size_t n,
			       struct expo_labels set, uint64_t value)
{
	int err = e->err ? e->err : check_labels(e, labels, n);
	bool any = false;

	if (!err && set.offset + set.len > e->sets_len)
		err = -EINVAL; /* a set from before a reset */
	if (err) {
		fail(e, err);
		return;
	}
	if (family_head(e))
		return;
	put_labels(e, labels, n, &any);
	if (set.len && any) {
		/* The set's own '{' gives way to the comma after these labels. */
		put_char(e, ',');
		put(e, e->sets + set.offset + 1, set.len - 1);
	} else if (set.len) {
		put(e, e->sets + set.offset, set.len);
	} else if (any) {
		put_char(e, '}');
	}
	put_char(e, ' ');
	put_value_u64(e, value);
}

struct expo_labels expo__labels(struct expo *e, const struct expo_label *labels, size_t n)
{
	struct expo_labels set = {};
	size_t start = e->len, len;
	int err = e->err ? e->err : check_labels(e, labels, n);
	char *p;

	if (err) {
		fail(e, err);
		return set;
	}
	/* Rendered by the same code as any sample, at the buffer's end, then moved aside. */
	put_label_set(e, labels, n);
	if (e->err)
		return set;
	len = e->len - start;
	if (e->sets_len + len > e->sets_cap) {
		size_t cap = e->sets_cap ? e->sets_cap : EXPO_MIN_CAP;

		while (cap < e->sets_len + len)
			cap *= 2;
		p = realloc(e->sets, cap);
		if (!p) {
			fail(e, -ENOMEM);
			return set;
		}
		e->sets = p;
		e->sets_cap = cap;
	}
	memcpy(e->sets + e->sets_len, e->buf + start, len);
	set.offset = e->sets_len;
	set.len = len;
	e->sets_len += len;
	e->len = start;
	e->buf[start] = '\0';
	return set;
}

static int sample_head_set(struct expo *e, struct expo_labels set)
{
	if (family_head(e))
		return e->err;
	if (set.offset + set.len > e->sets_len) { /* a set from before a reset */
		fail(e, -EINVAL);
		return e->err;
	}
	put(e, e->sets + set.offset, set.len);
	put_char(e, ' ');
	return e->err;
}

void expo__sample_set_u64(struct expo *e, struct expo_labels set, uint64_t value)
{
	if (sample_head_set(e, set))
		return;
	put_value_u64(e, value);
}

/* Two digits per division: a scrape formats some 60k numbers per 10k maps. */
size_t expo_format_u64(uint64_t v, char *buf)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";
	size_t n = 1;
	char *p;

	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	p = buf + n;
	*p = '\0';
	while (v >= 100) {
		unsigned int d = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--p = pairs[d + 1];
		*--p = pairs[d];
	}
	if (v >= 10) {
		*--p = pairs[v * 2 + 1];
		*--p = pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	return n;
}

size_t expo_format_hex(uint64_t v, char *buf)
{
	size_t n = 2, digits = 1;

	while (digits < 16 && v >> (4 * digits))
		digits++;
	buf[0] = '0';
	buf[1] = 'x';
	while (digits--)
		buf[n++] = "0123456789abcdef"[(v >> (4 * digits)) & 0xf];
	buf[n] = '\0';
	return n;
}

/*
 * Ratios such as 0.37 have a short exact decimal form: find the fewest
 * fraction digits (up to 6) whose value reads back as exactly v, and print
 * them without snprintf. false: no such form, use the general path.
 */
static bool format_short_fraction(double v, char *buf)
{
	static const double scale[] = {1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
	static const uint64_t iscale[] = {10, 100, 1000, 10000, 100000, 1000000};

	if (!(v > 0 && v < 1e9))
		return false;
	for (int k = 0; k < 6; k++) {
		/* v * 10^k may land just beside the integer (0.14 * 100 = 14.000000000000002). */
		uint64_t digits = (uint64_t)(v * scale[k] + 0.5), frac;
		size_t n;

		/* Division is correctly rounded: digits/10^k == v proves the form exact. */
		if ((double)digits / scale[k] != v)
			continue;
		n = expo_format_u64(digits / iscale[k], buf);
		buf[n++] = '.';
		frac = digits % iscale[k];
		for (int d = k; d >= 0; d--, frac /= 10)
			buf[n + d] = (char)('0' + frac % 10);
		buf[n + k + 1] = '\0';
		return true;
	}
	return false;
}

static void format_double(double v, char *buf, size_t size)
{
	int prec;

	if (isnan(v)) {
		snprintf(buf, size, "%s", "NaN");
	} else if (isinf(v)) {
		snprintf(buf, size, "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v >= -0x1p63 && v < 0x1p63 && (double)(long long)v == v) {
		/* Integral and in range: exact, no exponent, no ".0". */
		long long i = (long long)v;

		if (i < 0)
			*buf++ = '-';
		expo_format_u64(i < 0 ? -(uint64_t)i : (uint64_t)i, buf);
	} else if (!format_short_fraction(v, buf)) {
		/* Shortest of these that reads back as the same double; %.17g always does. */
		for (prec = 15; prec < 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				return;
		}
		snprintf(buf, size, "%.17g", v);
	}
}

void expo__sample(struct expo *e, const struct expo_label *labels, size_t n, double value)
{
	char num[32];

	if (sample_head(e, labels, n))
		return;
	format_double(value, num, sizeof(num));
	put_str(e, num);
	put_char(e, '\n');
}

void expo__sample_u64(struct expo *e, const struct expo_label *labels, size_t n, uint64_t value)
{
	if (sample_head(e, labels, n))
		return;
	put_value_u64(e, value);
}

void expo__sample_set(struct expo *e, struct expo_labels set, double value)
{
	char num[32];

	if (sample_head_set(e, set))
		return;
	format_double(value, num, sizeof(num));
	put_str(e, num);
	put_char(e, '\n');
}

char *expo__steal(struct expo *e, size_t *len)
{
	char *buf = e->buf;

	if (e->err || !buf)
		return NULL;
	*len = e->len;
	e->buf = NULL;
	e->len = e->cap = 0;
	return buf;
}

void expo__set_sink(struct expo *e, const struct expo_sink *sink)
{
	e->sink = *sink;
	if (!e->sink.chunk)
		e->sink.chunk = 1;
}

int expo__flush(struct expo *e)
{
	if (!e->err && e->sink.take && e->len)
		hand_over(e);
	return e->err;
}

int expo__error(const struct expo *e)
{
	return e->err;
}

/* The text so far, NUL-terminated; only meaningful while expo__error() is 0. */
const char *expo__data(const struct expo *e, size_t *len)
{
	if (len)
		*len = e->len;
	return e->buf ? e->buf : "";
}
