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
/* ,name=" of a label name, rendered once: names up to NAME_TEXT - 3 bytes. */
#define NAME_TEXT 32
/* A label value's bytes copied per check for room; a longer one goes on in put_escaped(). */
#define VALUE_RUN 256
#define NAME_SLOTS 128 /* a scrape uses some 40 names */
#define NAME_PROBES 8

/* A label name already validated, by address, with its text. */
struct label_name {
	const char *name;
	size_t len; /* strlen(name); text holds len + 3 bytes when they fit */
	char text[NAME_TEXT]; /* ',' name '=' '"', copied whole, so NAME_TEXT bytes */
};

struct expo {
	char *buf; /* NUL-terminated by expo__data() and expo__steal() only */
	size_t len;
	size_t cap; /* always > len once allocated: room for that NUL */
	int err; /* sticky: first failure, 0 or -errno */

	/* The constant labels, rendered once: ,a="x",b="y" (empty: none). */
	char *const_text;
	size_t const_len;

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
	 * static strings for every sample, so each is checked and rendered
	 * once, not per line. Open addressing on a hash of the address.
	 */
	struct label_name names[NAME_SLOTS];

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

/*
 * Where the next n bytes go (room for them and a NUL made), or NULL
 * after an error. The common case, room already there, costs one
 * comparison; the caller moves e->len past what it wrote.
 */
static inline char *room(struct expo *e, size_t n)
{
	if ((e->cap - e->len <= n || e->err) && reserve(e, n))
		return NULL;
	return e->buf + e->len;
}

static void put(struct expo *e, const char *s, size_t n)
{
	char *p = room(e, n);

	if (!p)
		return;
	memcpy(p, s, n);
	e->len += n;
}

static void put_str(struct expo *e, const char *s)
{
	put(e, s, strlen(s));
}

static void put_char(struct expo *e, char c)
{
	char *p = room(e, 1);

	if (!p)
		return;
	*p = c;
	e->len++;
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

/*
 * Short literals lie a few bytes apart, so the address's low bits alone
 * would put "id" and "name" in one slot: multiply them into the top bits.
 */
static size_t name_slot(const char *name)
{
	return (size_t)(((uint64_t)(uintptr_t)name * 0x9e3779b97f4a7c15ull) >> 57);
}

_Static_assert(NAME_SLOTS == 128, "name_slot() yields 7 bits");

/* The validated, rendered form of a label name; NULL if it is not a valid one. */
static const struct label_name *label_name(struct expo *e, const char *name)
{
	size_t slot;
	struct label_name *n;

	if (!name)
		return NULL;
	slot = name_slot(name);
	/* Slots are never emptied, so a search may stop at the first empty one. */
	for (size_t i = 0; i < NAME_PROBES; i++) {
		n = &e->names[(slot + i) % NAME_SLOTS];
		if (n->name == name)
			return n;
		if (!n->name)
			break;
	}
	if (!valid_name(name, false))
		return NULL;
	if (n->name)
		n = &e->names[slot]; /* a crowded neighbourhood: the name takes its own slot */
	n->name = name;
	n->len = strlen(name);
	if (n->len + 3 <= NAME_TEXT) {
		n->text[0] = ',';
		memcpy(n->text + 1, name, n->len);
		n->text[n->len + 1] = '=';
		n->text[n->len + 2] = '"';
	}
	return n;
}

/* Names that will be copied, not kept by address: each checked afresh. */
static int check_labels(const struct expo_label *labels, size_t n)
{
	if (n && !labels)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!labels[i].name || !valid_name(labels[i].name, false))
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
	free(e->const_text);
	free(e->fam);
	free(e->sets);
	free(e);
}

void expo__reset(struct expo *e)
{
	e->len = 0;
	/* A failed scrape must not poison the next one. */
	e->err = 0;
	e->fam_open = false;
	e->fam_written = false;
	e->sets_len = 0;
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

/*
 * Bytes a label value keeps as they are: printable ASCII but backslash
 * and double quote. NUL is not one, so a copy stops at a string's end.
 */
static const bool plain_byte[256] = {
	[0x20 ... 0x21] = true, /* '"' is 0x22 */
	[0x23 ... 0x5b] = true, /* '\\' is 0x5c */
	[0x5d ... 0x7f] = true,
};

/*
 * Copies the plain bytes at the start of s, up to VALUE_RUN of them, to
 * out; returns how many. Unrolled: most values are a few bytes long, and
 * the loop's own test would cost as much as the copy.
 */
static size_t copy_plain(char *out, const char *s)
{
	const unsigned char *in = (const unsigned char *)s;
	size_t i = 0;

	_Static_assert(VALUE_RUN % 4 == 0, "whole rounds of four");
	while (i < VALUE_RUN) {
		/* Each byte is read only once the one before it was no NUL. */
		if (!plain_byte[in[i]])
			return i;
		out[i] = (char)in[i];
		if (!plain_byte[in[i + 1]])
			return i + 1;
		out[i + 1] = (char)in[i + 1];
		if (!plain_byte[in[i + 2]])
			return i + 2;
		out[i + 2] = (char)in[i + 2];
		if (!plain_byte[in[i + 3]])
			return i + 3;
		out[i + 3] = (char)in[i + 3];
		i += 4;
	}
	return i;
}

/*
 * ,name="value" for each label with a value ('{' in place of the first
 * ','; *any says whether one was written). false if a label name is
 * invalid: the caller undoes the line.
 */
static bool put_labels(struct expo *e, const struct expo_label *labels, size_t n, bool *any)
{
	if (n && !labels)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct label_name *name = label_name(e, labels[i].name);
		const char *value = labels[i].value;
		size_t text_len, k;
		char *p;

		if (!name)
			return false;
		/* Prometheus treats an empty label as an absent one. */
		if (!value || !value[0])
			continue;
		text_len = name->len + 3;
		p = room(e, (text_len > NAME_TEXT ? text_len : NAME_TEXT) + VALUE_RUN + 1);
		if (!p)
			return true; /* out of memory: sticky, not the caller's to undo */
		if (text_len <= NAME_TEXT) {
			memcpy(p, name->text, NAME_TEXT); /* a fixed size: a few moves, no call */
		} else {
			p[0] = ',';
			memcpy(p + 1, name->name, name->len);
			p[name->len + 1] = '=';
			p[name->len + 2] = '"';
		}
		if (!*any)
			p[0] = '{';
		p += text_len;
		k = copy_plain(p, value);
		p += k;
		if (!value[k]) {
			*p++ = '"';
			e->len = (size_t)(p - e->buf);
		} else {
			/* A byte to escape, or a long value: the rest the general way. */
			e->len = (size_t)(p - e->buf);
			put_escaped(e, value + k, true);
			put_char(e, '"');
		}
		*any = true;
	}
	return true;
}

int expo__set_const_labels(struct expo *e, const struct expo_label *labels, size_t n)
{
	struct expo *text;
	bool any = false;
	int err;

	if (e->err)
		return e->err;
	err = check_labels(labels, n);
	if (err)
		goto out;
	/* Rendered as a sample's labels are, by a writer of its own. */
	text = expo__new();
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	put_labels(text, labels, n, &any);
	err = text->err;
	if (!err) {
		/* Replace only on success, so a failed call keeps the old set. */
		free(e->const_text);
		e->const_text = NULL;
		e->const_len = 0;
		if (any) {
			e->const_text = expo__steal(text, &e->const_len);
			e->const_text[0] = ','; /* it always follows a '{' or a label */
		}
	}
	expo__free(text);
out:
	if (err)
		fail(e, err);
	return err;
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
		e->cap = 0;
		free(next);
		fail(e, -ENOMEM);
	}
}

/* Where a line began, to take it back whole. */
struct line_mark {
	size_t len;
	bool fam_written;
};

/*
 * At a line's start, the only place a streamed buffer may be cut: hand a
 * full one over, then write the family's HELP/TYPE if still due. false
 * after an error.
 */
static bool line_begin_slow(struct expo *e, struct line_mark *m)
{
	if (e->err)
		return false;
	if (e->sink.take && e->len >= e->sink.chunk) {
		hand_over(e);
		if (e->err)
			return false;
	}
	if (!e->fam_open) {
		fail(e, -EINVAL);
		return false;
	}
	m->len = e->len;
	m->fam_written = e->fam_written;
	if (!e->fam_written) {
		if (e->fam_help) {
			put(e, "# HELP ", 7);
			put(e, e->fam, e->fam_len);
			put_char(e, ' ');
			put_escaped(e, e->fam_help, false);
			put_char(e, '\n');
		}
		put(e, "# TYPE ", 7);
		put(e, e->fam, e->fam_len);
		put_char(e, ' ');
		put_str(e, type_name(e->fam_type));
		put_char(e, '\n');
		e->fam_written = true;
	}
	return !e->err;
}

/* Most lines: no error, nothing to hand over, HELP/TYPE written (so the family is open). */
static inline bool line_begin(struct expo *e, struct line_mark *m)
{
	if (!e->err && e->fam_written && (!e->sink.take || e->len < e->sink.chunk)) {
		m->len = e->len;
		m->fam_written = true;
		return true;
	}
	return line_begin_slow(e, m);
}

/* A line that cannot be written leaves no trace, not even its family's HELP/TYPE. */
static void line_undo(struct expo *e, const struct line_mark *m, int err)
{
	e->len = m->len;
	e->fam_written = m->fam_written;
	fail(e, err);
}

/* The constant labels and the closing brace, after a sample's own labels. */
static void close_labels(struct expo *e, bool any)
{
	char *p = room(e, e->const_len + 2);

	if (!p)
		return;
	if (e->const_len) {
		memcpy(p, e->const_text, e->const_len);
		if (!any)
			p[0] = '{';
		p += e->const_len;
		any = true;
	}
	if (any)
		*p++ = '}';
	e->len = (size_t)(p - e->buf);
}

/*
 * A sample line's start: the family name and the sample's own labels,
 * not closed (*any: whether one was written). A bad label name takes
 * the line back.
 */
static bool labels_head(struct expo *e, const struct expo_label *labels, size_t n, bool *any)
{
	struct line_mark m;

	if (!line_begin(e, &m))
		return false;
	put(e, e->fam, e->fam_len);
	if (!put_labels(e, labels, n, any)) {
		line_undo(e, &m, -EINVAL);
		return false;
	}
	return !e->err;
}

/* A set from before the last reset is an error, not garbage. */
static bool set_valid(struct expo *e, struct expo_labels set)
{
	if (set.offset + set.len <= e->sets_len)
		return true;
	fail(e, -EINVAL);
	return false;
}

/* " value\n" and the NUL a formatter adds: the longest fits in VALUE_TEXT. */
#define VALUE_TEXT 40

/* The value and the line's end at p, which has room for VALUE_TEXT bytes. */
static void end_line_u64(struct expo *e, char *p, uint64_t value)
{
	*p++ = ' ';
	p += expo_format_u64(value, p);
	*p++ = '\n';
	e->len = (size_t)(p - e->buf);
}

static size_t format_double(double v, char *buf);

static void end_line(struct expo *e, char *p, double value)
{
	*p++ = ' ';
	p += format_double(value, p);
	*p++ = '\n';
	e->len = (size_t)(p - e->buf);
}

static void put_value_u64(struct expo *e, uint64_t value)
{
	char *p = room(e, VALUE_TEXT);

	if (p)
		end_line_u64(e, p, value);
}

static void put_value(struct expo *e, double value)
{
	char *p = room(e, VALUE_TEXT);

	if (p)
		end_line(e, p, value);
}

void expo__sample_with_set_u64(struct expo *e, const struct expo_label *labels, size_t n,
			       struct expo_labels set, uint64_t value)
{
	bool any = false;
	char *p;

	if (e->err || !set_valid(e, set) || !labels_head(e, labels, n, &any))
		return;
	p = room(e, set.len + 1);
	if (!p)
		return;
	if (set.len && any) {
		/* The set's own '{' gives way to the comma after these labels. */
		memcpy(p, e->sets + set.offset, set.len);
		p[0] = ',';
		p += set.len;
	} else if (set.len) {
		memcpy(p, e->sets + set.offset, set.len);
		p += set.len;
	} else if (any) {
		*p++ = '}';
	}
	e->len = (size_t)(p - e->buf);
	put_value_u64(e, value);
}

struct expo_labels expo__labels(struct expo *e, const struct expo_label *labels, size_t n)
{
	struct expo_labels set = {.offset = e->sets_len};
	char *buf = e->buf;
	size_t len = e->len, cap = e->cap;
	bool valid, any = false;

	if (e->err)
		return (struct expo_labels){};
	/* Rendered by the same code as a sample's labels, straight into the sets' buffer. */
	e->buf = e->sets;
	e->len = e->sets_len;
	e->cap = e->sets_cap;
	valid = put_labels(e, labels, n, &any);
	if (valid)
		close_labels(e, any);
	set.len = e->len - set.offset;
	e->sets = e->buf;
	e->sets_cap = e->cap;
	if (valid && !e->err)
		e->sets_len = e->len;
	e->buf = buf;
	e->len = len;
	e->cap = cap;
	if (!valid)
		fail(e, -EINVAL);
	return e->err ? (struct expo_labels){} : set;
}

/*
 * The family name and a rendered set; where the value goes, with room
 * for it, or NULL. One check for room and two copies: most lines of a
 * scrape are these.
 */
static char *set_head(struct expo *e, struct expo_labels set)
{
	struct line_mark m;
	char *p;

	if (e->err || !set_valid(e, set) || !line_begin(e, &m))
		return NULL;
	p = room(e, e->fam_len + set.len + VALUE_TEXT);
	if (!p)
		return NULL;
	memcpy(p, e->fam, e->fam_len);
	p += e->fam_len;
	memcpy(p, e->sets + set.offset, set.len);
	return p + set.len;
}

void expo__sample_set_u64(struct expo *e, struct expo_labels set, uint64_t value)
{
	char *p = set_head(e, set);

	if (p)
		end_line_u64(e, p, value);
}

void expo__sample_set(struct expo *e, struct expo_labels set, double value)
{
	char *p = set_head(e, set);

	if (p)
		end_line(e, p, value);
}

void expo__sample(struct expo *e, const struct expo_label *labels, size_t n, double value)
{
	bool any = false;

	if (!labels_head(e, labels, n, &any))
		return;
	close_labels(e, any);
	put_value(e, value);
}

void expo__sample_u64(struct expo *e, const struct expo_label *labels, size_t n, uint64_t value)
{
	bool any = false;

	if (!labels_head(e, labels, n, &any))
		return;
	close_labels(e, any);
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
 * Ratios such as 0.37 and times such as 1796614499.443 have a short exact
 * decimal form: find the fewest fraction digits (up to 6) whose value
 * reads back as exactly v, and print them without snprintf; their length,
 * or 0: no such form, use the general path. From 1e-4 to 2^32 the form
 * found is the one the general path would print: there two decimals of
 * six fraction digits lie further apart than two doubles. Below 1e-4 the
 * general path would use an exponent (1e-05); the plain form reads back
 * as the same double all the same.
 */
static size_t format_short_fraction(double v, char *buf)
{
	static const double scale[] = {1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
	static const uint64_t iscale[] = {10, 100, 1000, 10000, 100000, 1000000};

	if (!(v > 0 && v < 0x1p32))
		return 0;
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
		return n + k + 1;
	}
	return 0;
}

/* v as Prometheus reads it, into buf (FORMAT_DOUBLE_MAX bytes); returns the length. */
#define FORMAT_DOUBLE_MAX 32

static size_t format_double(double v, char *buf)
{
	size_t n;

	if (isnan(v))
		return (size_t)snprintf(buf, FORMAT_DOUBLE_MAX, "%s", "NaN");
	if (isinf(v))
		return (size_t)snprintf(buf, FORMAT_DOUBLE_MAX, "%s", v > 0 ? "+Inf" : "-Inf");
	if (v >= -0x1p63 && v < 0x1p63 && (double)(long long)v == v) {
		/* Integral and in range: exact, no exponent, no ".0". */
		long long i = (long long)v;

		if (i >= 0)
			return expo_format_u64((uint64_t)i, buf);
		buf[0] = '-';
		return 1 + expo_format_u64(-(uint64_t)i, buf + 1);
	}
	n = format_short_fraction(v, buf);
	if (n)
		return n;
	/* Shortest of these that reads back as the same double; %.17g always does. */
	for (int prec = 15; prec < 17; prec++) {
		n = (size_t)snprintf(buf, FORMAT_DOUBLE_MAX, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return n;
	}
	return (size_t)snprintf(buf, FORMAT_DOUBLE_MAX, "%.17g", v);
}

_Static_assert(FORMAT_DOUBLE_MAX + 1 <= VALUE_TEXT, "a value fits put_value()'s room");

char *expo__steal(struct expo *e, size_t *len)
{
	char *buf = e->buf;

	if (e->err || !buf)
		return NULL;
	buf[e->len] = '\0';
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
	if (!e->buf)
		return "";
	e->buf[e->len] = '\0'; /* there is always room for it: see room() */
	return e->buf;
}
