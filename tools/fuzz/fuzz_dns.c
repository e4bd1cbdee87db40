// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: DNS queries through dstmd's DNS path (dns_query: ldns
 * parsing, the zone's answers, truncation, on-demand allocation with its
 * reservations and held queries) with a real store, the in-memory TEP
 * and no sockets.  The zone has registered hosts (one with a lease, two
 * without, one of them with no Reconfigure Key) and name servers with
 * glue.  The first input byte picks the querier, UDP or TCP, and moves
 * the clocks on so that held queries time out and reservations expire.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "server_setup.h"
#include "tep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dstmd d;
static struct dstmd_config cfg;
static struct store *st;

static void host(const char *duid, const char *v6, const char *fqdn,
		 bool key)
{
	static const uint8_t k[16] = "fuzz-reconf-key";
	struct in6_addr a;

	inet_pton(AF_INET6, v6, &a);
	dns_host_seen(&d, (const uint8_t *)duid, strlen(duid), &a, fqdn,
		      false, key ? k : NULL);
}

static void setup(void)
{
	uint8_t key[64];
	struct dhcp4_req r = { 0 };
	struct in6_addr src;
	struct dstmd_lease *l;
	bool nak;

	fuzz_server_setup(&d, &cfg, &st,
		"[pool a]\nrange = 10.0.0.1-10.0.0.3\ntep = ::1\ntep-device = x\n"
		"psid-len = 1\n"
		"[dns]\nzone = dstm.test.\nport = 5353\non-demand-wait = 1\n"
		"rate-limit = 3\nrate-burst = 2\nmax-pending = 2\nmax-held = 4\n"
		"ns = ns1.dstm.test. 2001:db8::53 192.0.2.53\n"
		"ns = ns2.example.net.\n");
	d.now = time(NULL);
	if (dns_open_nosock(&d))
		abort();
	host("leased", "2001:db8::a", "a.dstm.test", true);
	host("idle", "2001:db8::b", "b.sub.dstm.test", true);
	host("nokey", "2001:db8::c", "c.dstm.test", false);
	/* a.dstm.test. gets a lease (its key: DUID length | DUID). */
	key[0] = 6;
	memcpy(key + 1, "leased", 6);
	key[7] = 1;
	inet_pton(AF_INET6, "2001:db8::a", &src);
	r.key = key;
	r.key_len = 8;
	r.src = &src;
	store_begin(st);
	l = lease_offer(&d, &r);
	if (!l || !lease_request(&d, &r, l->ipv4, &nak))
		abort();
	store_commit(st);
	dstmd_tep_flush(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct dns_from from = { .sa = { .sin6_family = AF_INET6 } };
	uint8_t out[65535];

	if (!ready) {
		setup();
		ready = true;
	}
	if (!size)
		return 0;
	from.tcp = data[0] & 1;
	from.conn = data[0] >> 1 & 3;
	inet_pton(AF_INET6, data[0] & 2 ? "::ffff:192.0.2.7" : "2001:db8:9::1",
		  &from.sa.sin6_addr);
	dns_query(&d, &from, data + 1, size - 1, out, sizeof(out));
	if ((data[0] & 0xc0) == 0xc0) {
		/* Let time pass: held queries end, reservations expire. */
		usleep(1000);
		dns_timers(&d);
		d.bound_changed = true;
		dns_after_batch(&d);
		d.now = time(NULL) + (data[0] & 0x3f);
		store_begin(st);
		dstmd_expire(&d);
		store_commit(st);
		dstmd_tep_flush(&d);
	}
	return 0;
}
