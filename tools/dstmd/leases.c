// SPDX-License-Identifier: GPL-2.0
/*
 * dstmd --leases [-j]: the store's leases, read-only (safe while the
 * server runs: WAL readers do not block it).
 *
 * JSON: [{"ipv4":"1.1.1.120","psid":0,"state":"bound","ipv6":"2001:db8::a",
 *         "expires":1700000000,"remaining":170,"pool":"main",
 *         "client":"0a0002..."}, ...]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>

#include "leases.h"
#include "state.h"
#include "store.h"

struct list_ctx {
	bool json;
	unsigned int n;
	time_t now;
};

static const char *state_name(uint8_t s)
{
	switch (s) {
	case LEASE_BOUND: return "bound";
	case LEASE_DECLINED: return "declined";
	case LEASE_RESERVED: return "reserved";
	default: return "unknown";
	}
}

static int print_one(const struct store_lease *l, void *arg)
{
	struct list_ctx *x = arg;
	struct in_addr a4 = { htonl(l->ipv4) };
	char s4[INET_ADDRSTRLEN], s6[INET6_ADDRSTRLEN], key[2 * 400 + 1];
	long long left = l->expires - (long long)x->now;
	const char *p;
	size_t i;

	inet_ntop(AF_INET, &a4, s4, sizeof(s4));
	inet_ntop(AF_INET6, &l->ipv6, s6, sizeof(s6));
	for (i = 0; i < l->key_len && i < 400; i++)
		snprintf(key + 2 * i, 3, "%02x", l->key[i]);
	key[2 * i] = '\0';
	if (left < 0)
		left = 0;
	if (x->json) {
		printf("%s{\"ipv4\":\"%s\",\"psid\":%u,\"state\":\"%s\",\"ipv6\":\"%s\","
		       "\"expires\":%lld,\"remaining\":%lld,\"pool\":\"",
		       x->n ? "," : "", s4, l->psid, state_name(l->state), s6,
		       (long long)l->expires, left);
		for (p = l->pool; *p; p++)	/* pool names: config text */
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if ((unsigned char)*p >= 0x20)
				putchar(*p);
		printf("\",\"client\":\"%s\"}", key);
	} else {
		if (!x->n)
			printf("%-15s %5s %-8s %-39s %9s  %s\n", "IPV4", "PSID",
			       "STATE", "IPV6", "REMAINING", "POOL");
		printf("%-15s %5u %-8s %-39s %8llds  %s\n", s4, l->psid,
		       state_name(l->state), s6, left, l->pool);
	}
	x->n++;
	return 0;
}

int leases_list(const char *db, bool json)
{
	struct list_ctx x = { .json = json, .now = time(NULL) };
	struct store *s;
	char e[512];
	int r;

	if (store_open(&s, db, false, true, e, sizeof(e))) {
		fprintf(stderr, "dstmd: %s\n", e);
		return -1;
	}
	if (json)
		putchar('[');
	r = store_each_lease(s, print_one, &x);
	if (json)
		printf("]\n");
	if (r)
		fprintf(stderr, "dstmd: %s: %s\n", db, store_errmsg(s));
	store_close(s);
	return r ? -1 : 0;
}
