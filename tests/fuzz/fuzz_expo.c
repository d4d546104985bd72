// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: any bytes as label value and HELP text must give output that
 * is valid UTF-8, with every line one sample or comment and every label
 * value properly quoted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"

/* An independent UTF-8 check (RFC 3629), not the writer's own. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* The sample line: m{v="..."} 1 — the quoted part must end exactly before "} 1". */
static bool valid_sample(const char *line, size_t n)
{
	static const char head[] = "m{v=\"";
	size_t i = sizeof(head) - 1;

	if (n < i || memcmp(line, head, i))
		return false;
	for (; i < n; i++) {
		if (line[i] == '\\') {
			if (i + 1 >= n || !strchr("\\\"n", line[i + 1]))
				return false;
			i++;
		} else if (line[i] == '"') {
			return !strcmp(line + i, "\"} 1\n") || !strncmp(line + i, "\"} 1\n", 5);
		}
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t half = size / 2, len;
	char *value = strndup((const char *)data, half);
	char *help = strndup((const char *)data + half, size - half);
	struct expo *e = expo__new();
	const char *out, *sample;

	if (!value || !help || !e)
		goto out;
	expo__family(e, "m", help, EXPO_GAUGE);
	expo__sample(e, &(struct expo_label){"v", value}, 1, 1);
	if (expo__error(e))
		__builtin_trap();
	out = expo__data(e, &len);
	if (!valid_utf8((const unsigned char *)out, len))
		__builtin_trap();
	if (!value[0]) /* an empty label is omitted */
		goto out;
	sample = strstr(out, "\nm{");
	if (!sample || !valid_sample(sample + 1, len - (size_t)(sample + 1 - out)))
		__builtin_trap();
out:
	expo__free(e);
	free(value);
	free(help);
	return 0;
}
