// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: whole datagrams through the server (dstmd_handle) with a
 * real store and the in-memory TEP.  The first byte picks the client's
 * source address, so hostile sequences from a few clients build state.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "store.h"
#include "tep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dstmd d;
static struct dstmd_config cfg;
static struct store *st;

static void setup(void)
{
	char dir[] = "/tmp/dstmd-fuzz-XXXXXX", path[128], e[256];
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/f.conf", dir);
	f = fopen(path, "w");
	fprintf(f, "[server]\nrate-limit = 0\nlease-db = %s/l.db\nsync = normal\n"
		"[pool a]\nrange = 10.0.0.1-10.0.0.3\ntep = ::1\ntep-device = x\n"
		"psid-len = 1\n[pool b]\nprefix = 10.1.0.0/30\ntep = ::2\n"
		"clients = 2001:db8::/32\nauth = yes\n"
		"[auth]\nkey = k 000102030405060708090a0b0c0d0e0f\n", dir);
	fclose(f);
	if (config_load(&cfg, path, e, sizeof(e)))
		abort();
	snprintf(path, sizeof(path), "%s/l.db", dir);
	if (store_open(&st, path, false, false, e, sizeof(e)))
		abort();
	log_set_quiet(true);
	if (dstmd_init(&d, &cfg, st, tep_mem_open()))
		abort();
	memcpy(d.duid, "\0\4fuzz-server-duid", 18);
	d.duid_len = 18;
	d.now = 1000;
	log_set_quiet(true);	/* rate-limited warnings: not the point */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long runs;
	static bool ready;
	struct in6_addr src = IN6ADDR_LOOPBACK_INIT;
	uint8_t out[1500];

	if (!ready) {
		setup();
		ready = true;
	}
	if (!size)
		return 0;
	if (data[0] & 1)
		inet_pton(AF_INET6, "2001:db8::5", &src);
	src.s6_addr[15] ^= data[0] >> 1 & 3;
	d.now += data[0] >> 6;
	store_begin(st);
	dstmd_handle(&d, &src, data + 1, size - 1, out, sizeof(out));
	if (data[0] == 0xff)
		dstmd_expire(&d);
	store_commit(st);
	dstmd_tep_flush(&d);
	if (!(++runs % 4096))
		store_checkpoint(st);	/* the server's 1 s tick does it */
	return 0;
}
