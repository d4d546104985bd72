// SPDX-License-Identifier: Apache-2.0
/* logfmt lines on stderr: ts=... level=... msg="..." */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static const char *const level_names[] = {
	[LOG_DEBUG] = "debug",
	[LOG_INFO] = "info",
	[LOG_WARN] = "warn",
	[LOG_ERROR] = "error",
};

/*
 * The one piece of process-wide state outside main.c: the threshold is
 * read by every thread that logs, and written only at start-up and on
 * a config reload (a word-sized store; a racing reader logs one line
 * more or less).
 */
static volatile enum log_level threshold = LOG_INFO;

int log_parse_level(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(name, level_names[i])) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	return level <= LOG_ERROR ? level_names[level] : "unknown";
}

void log_set_level(enum log_level level)
{
	threshold = level;
}

/* Writes msg as a logfmt quoted value: escapes quotes, backslashes, control bytes. */
static void write_quoted(FILE *f, const char *msg)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024], ts[64];
	struct timespec now;
	struct tm tm;
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n') /* libbpf ends its lines with one */
		msg[--len] = '\0';

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	flockfile(stderr);
	fprintf(stderr, "ts=%s.%03ldZ level=%s msg=", ts, now.tv_nsec / 1000000,
		level_names[level]);
	write_quoted(stderr, msg);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	int saved_errno = errno; /* logging must not clobber the caller's errno */

	if (level < threshold)
		return;
	vlog(level, fmt, ap);
	errno = saved_errno;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
