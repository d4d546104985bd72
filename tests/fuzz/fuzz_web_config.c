// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: web config parsing must never crash, leak or hang on any input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "web_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	/* No folder: relative file names stay relative to an empty directory. */
	struct web_config *wc = web_config__parse("fuzz.yml", "/nonexistent", (const char *)data,
						  size, err, sizeof(err));

	/* Either a config or a positioned message, never both or neither. */
	if (wc)
		web_config__free(wc);
	else if (strncmp(err, "fuzz.yml", 8))
		__builtin_trap();
	return 0;
}
