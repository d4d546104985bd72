// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: YAML config parsing must never crash, leak or hang on any input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct config *cfg = config__parse("fuzz.yaml", (const char *)data, size, err, sizeof(err));

	/* Either a config or a positioned message, never both or neither. */
	if (cfg) {
		config__free(cfg);
	} else if (strncmp(err, "fuzz.yaml", 9) && strncmp(err, "<embedded>", 10)) {
		__builtin_trap();
	}
	return 0;
}
