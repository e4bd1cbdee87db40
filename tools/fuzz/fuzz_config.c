// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: dstmd.conf parsing (through libinih and our line reader). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dstmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct dstmd_config c;
	char e[512];
	FILE *f;

	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/dstmd-fuzz-conf-%d", (int)getpid());
	}
	f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (config_load(&c, path, e, sizeof(e)) == 0)
		config_free(&c);
	return 0;
}
