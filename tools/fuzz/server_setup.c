// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_setup.h"
#include "tep.h"

void fuzz_server_setup(struct dstmd *d, struct dstmd_config *cfg,
		       struct store **st, const char *conf)
{
	char dir[] = "/tmp/dstmd-fuzz-XXXXXX", path[128], e[256];
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/f.conf", dir);
	f = fopen(path, "w");
	if (!f)
		abort();
	fprintf(f, "[server]\nrate-limit = 0\nlease-db = %s/l.db\nsync = normal\n%s",
		dir, conf);
	fclose(f);
	if (config_load(cfg, path, e, sizeof(e)))
		abort();
	snprintf(path, sizeof(path), "%s/l.db", dir);
	if (store_open(st, path, false, false, e, sizeof(e)))
		abort();
	/* rate-limited warnings about hostile input: not the point here */
	log_set_quiet(true);
	if (dstmd_init(d, cfg, *st, tep_mem_open()))
		abort();
	memcpy(d->duid, "\0\4fuzz-server-duid", 18);
	d->duid_len = 18;
}
