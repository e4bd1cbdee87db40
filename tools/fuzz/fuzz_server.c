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

#include "server_setup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dstmd d;
static struct dstmd_config cfg;
static struct store *st;

static void setup(void)
{
	fuzz_server_setup(&d, &cfg, &st,
		"[pool a]\nrange = 10.0.0.1-10.0.0.3\ntep = ::1\ntep-device = x\n"
		"psid-len = 1\n[pool b]\nprefix = 10.1.0.0/30\ntep = ::2\n"
		"clients = 2001:db8::/32\nauth = yes\n"
		"[auth]\nkey = k 000102030405060708090a0b0c0d0e0f\n");
	d.now = 1000;
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
