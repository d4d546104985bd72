/* SPDX-License-Identifier: Apache-2.0 */
/* All logging goes through here: logfmt lines on stderr. */
#ifndef BPFMAP_LOG_H
#define BPFMAP_LOG_H

#include <stdarg.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Returns 0, or -EINVAL for an unknown name ("debug", "info", "warn", "error"). */
int log_parse_level(const char *name, enum log_level *level);
const char *log_level_name(enum log_level level);
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
