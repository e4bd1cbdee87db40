// SPDX-License-Identifier: GPL-2.0
/* dstmctl [-j] show [DEV]: configuration, statistics and drop counters. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstmctl.h"

/* Names are the uapi enums' in lower case: stable JSON keys. */
static const char *const stat_names[DSTM_STATS_A_MAX + 1] = {
	[DSTM_STATS_A_TX_PACKETS]	= "tx_packets",
	[DSTM_STATS_A_TX_BYTES]		= "tx_bytes",
	[DSTM_STATS_A_RX_PACKETS]	= "rx_packets",
	[DSTM_STATS_A_RX_BYTES]		= "rx_bytes",
	[DSTM_STATS_A_QUEUED]		= "queued",
	[DSTM_STATS_A_ADDR_NEEDED]	= "addr_needed",
	[DSTM_STATS_A_FAST_TX_PACKETS]	= "fast_tx_packets",
	[DSTM_STATS_A_FAST_RX_PACKETS]	= "fast_rx_packets",
};

static const char *const drop_names[DSTM_DROP_A_MAX + 1] = {
	[DSTM_DROP_A_NO_MAPPING]	= "no_mapping",
	[DSTM_DROP_A_SPOOFED]		= "spoofed",
	[DSTM_DROP_A_WRONG_TEP]		= "wrong_tep",
	[DSTM_DROP_A_NOT_OURS]		= "not_ours",
	[DSTM_DROP_A_MALFORMED]		= "malformed",
	[DSTM_DROP_A_TOO_BIG]		= "too_big",
	[DSTM_DROP_A_NO_ROUTE]		= "no_route",
	[DSTM_DROP_A_NO_CONFIG]		= "no_config",
	[DSTM_DROP_A_FRAGMENT]		= "fragment",
	[DSTM_DROP_A_QUEUE_FULL]	= "queue_full",
	[DSTM_DROP_A_QUEUE_TIMEOUT]	= "queue_timeout",
	[DSTM_DROP_A_NOT_IPV4]		= "not_ipv4",
};

#define HAS(d, attr)	((d)->present & DSTM_BIT(attr))

static const char *ip6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static const char *ip4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void print_counters(const char *title, const char *const *names,
			   int max, const uint64_t *val, uint32_t present)
{
	int i;

	if (!present)
		return;
	printf("  %s:\n", title);
	for (i = 1; i <= max; i++) {
		if (!names[i] || !(present & DSTM_BIT(i)))
			continue;
		printf("    %-15s %llu\n", names[i], (unsigned long long)val[i]);
	}
}

/*
 * A kernel without the fast path sends no fast-path counters: then an
 * absent DSTM_A_FASTPATH says nothing (else it is the empty set).
 */
static bool knows_fastpath(const struct dstm_device *d)
{
	return HAS(d, DSTM_A_FASTPATH) ||
	       d->stats_present & DSTM_BIT(DSTM_STATS_A_FAST_TX_PACKETS);
}

static void print_fastpath(const struct dstm_device *d)
{
	char name[IF_NAMESIZE];
	uint32_t i;

	if (!d->fastpath_count) {
		printf("  fast path: none\n");
		return;
	}
	printf("  fast path:");
	for (i = 0; i < d->fastpath_count; i++) {
		/* A device deleted since the kernel answered has no name. */
		if (if_indextoname(d->fastpath[i], name))
			printf("%s %s", i ? "," : "", name);
		else
			printf("%s ifindex %u", i ? "," : "", d->fastpath[i]);
	}
	putchar('\n');
}

static void print_dev(const struct dstm_device *d)
{
	char buf[INET6_ADDRSTRLEN], ports[512];
	bool client = HAS(d, DSTM_A_MODE) && d->mode == DSTM_MODE_CLIENT;
	const char *mode = mode_name(d->mode);

	printf("interface: %s\n", d->ifname);
	if (HAS(d, DSTM_A_IFINDEX))
		printf("  ifindex: %u\n", d->ifindex);
	if (HAS(d, DSTM_A_MODE)) {
		if (mode)
			printf("  mode: %s\n", mode);
		else
			printf("  mode: %u (unknown)\n", d->mode);
	}
	if (HAS(d, DSTM_A_LOCAL))
		printf("  local: %s%s\n", ip6(&d->local, buf),
		       IN6_IS_ADDR_UNSPECIFIED(&d->local) ?
		       " (chosen by route)" : "");
	if (client && HAS(d, DSTM_A_TEP))
		printf("  tep: %s\n", IN6_IS_ADDR_UNSPECIFIED(&d->tep) ?
		       "none" : ip6(&d->tep, buf));
	if (client && HAS(d, DSTM_A_ADDR))
		printf("  addr: %s\n", d->addr.s_addr ?
		       ip4(d->addr, buf) : "none (waiting for a lease)");
	if (client && HAS(d, DSTM_A_PSID_LEN) && d->psid_len) {
		format_portset(ports, sizeof(ports), d->psid_offset,
			       d->psid_len, d->psid);
		printf("  port set: psid %u psid-len %u psid-offset %u: ports %s\n",
		       d->psid, d->psid_len, d->psid_offset, ports);
	}
	if (HAS(d, DSTM_A_HOPLIMIT))
		printf("  hop limit: %u\n", d->hoplimit);
	if (client && HAS(d, DSTM_A_QUEUE_LEN))
		printf("  queue: %u packets for up to %u ms\n", d->queue_len,
		       d->queue_timeout);
	if (!client && HAS(d, DSTM_A_MAP_COUNT))
		printf("  mappings: %u (generation %u)\n", d->map_count,
		       d->generation);
	if (!client && knows_fastpath(d))
		print_fastpath(d);
	print_counters("stats", stat_names, DSTM_STATS_A_MAX, d->stats,
		       d->stats_present);
	print_counters("drops", drop_names, DSTM_DROP_A_MAX, d->drops,
		       d->drops_present);
}

static void json_counters(struct json *j, const char *key,
			  const char *const *names, int max,
			  const uint64_t *val, uint32_t present)
{
	int i;

	json_object(j, key);
	for (i = 1; i <= max; i++) {
		if (!names[i])
			continue;
		if (present & DSTM_BIT(i))
			json_uint(j, names[i], val[i]);
		else
			json_null(j, names[i]);
	}
	json_end(j);
}

/* Every key always there, null when the kernel did not say. */
static void json_dev(struct json *j, const struct dstm_device *d)
{
	char buf[INET6_ADDRSTRLEN];
	const char *mode = mode_name(d->mode);
	uint32_t f;

	json_object(j, NULL);
	json_uint(j, "ifindex", d->ifindex);
	json_string(j, "ifname", d->ifname);
	if (HAS(d, DSTM_A_MODE) && mode)
		json_string(j, "mode", mode);
	else if (HAS(d, DSTM_A_MODE))
		json_uint(j, "mode", d->mode);
	else
		json_null(j, "mode");
	if (HAS(d, DSTM_A_LOCAL))
		json_string(j, "local", ip6(&d->local, buf));
	else
		json_null(j, "local");
	if (HAS(d, DSTM_A_TEP))
		json_string(j, "tep", ip6(&d->tep, buf));
	else
		json_null(j, "tep");
	/* 0.0.0.0 is "no address" in the API. */
	if (HAS(d, DSTM_A_ADDR) && d->addr.s_addr)
		json_string(j, "addr", ip4(d->addr, buf));
	else
		json_null(j, "addr");

#define JSON_U(key, attr, field)			\
	do {						\
		if (HAS(d, attr))			\
			json_uint(j, key, d->field);	\
		else					\
			json_null(j, key);		\
	} while (0)

	JSON_U("psid_offset", DSTM_A_PSID_OFFSET, psid_offset);
	JSON_U("psid_len", DSTM_A_PSID_LEN, psid_len);
	JSON_U("psid", DSTM_A_PSID, psid);
	if (HAS(d, DSTM_A_PSID_LEN) && d->psid_len &&
	    dstm_portset_valid(d->psid_offset, d->psid_len, d->psid)) {
		struct dstm_port_range *r;
		size_t n, i;

		n = dstm_portset_ranges(d->psid_offset, d->psid_len, d->psid,
					NULL, 0);
		r = calloc(n, sizeof(*r));
		if (r) {
			dstm_portset_ranges(d->psid_offset, d->psid_len,
					    d->psid, r, n);
			json_array(j, "ports");
			for (i = 0; i < n; i++) {
				json_array(j, NULL);
				json_uint(j, NULL, r[i].lo);
				json_uint(j, NULL, r[i].hi);
				json_end(j);
			}
			json_end(j);
			free(r);
		}
	}
	JSON_U("hoplimit", DSTM_A_HOPLIMIT, hoplimit);
	JSON_U("queue_len", DSTM_A_QUEUE_LEN, queue_len);
	JSON_U("queue_timeout", DSTM_A_QUEUE_TIMEOUT, queue_timeout);
	JSON_U("map_count", DSTM_A_MAP_COUNT, map_count);
	JSON_U("generation", DSTM_A_GENERATION, generation);
#undef JSON_U
	/* Names; the ifindex (a number) of a device deleted meanwhile. */
	json_array(j, "fastpath");
	for (f = 0; f < d->fastpath_count; f++) {
		char name[IF_NAMESIZE];

		if (if_indextoname(d->fastpath[f], name))
			json_string(j, NULL, name);
		else
			json_uint(j, NULL, d->fastpath[f]);
	}
	json_end(j);
	json_counters(j, "stats", stat_names, DSTM_STATS_A_MAX, d->stats,
		      d->stats_present);
	json_counters(j, "drops", drop_names, DSTM_DROP_A_MAX, d->drops,
		      d->drops_present);
	json_end(j);
}

struct show {
	struct ctx *ctx;
	struct json j;
	int n;
};

static int show_one(const struct dstm_device *d, void *arg)
{
	struct show *s = arg;

	if (s->ctx->json) {
		if (!s->n)
			json_array(&s->j, NULL);
		json_dev(&s->j, d);
	} else {
		if (s->n)
			putchar('\n');
		print_dev(d);
	}
	s->n++;
	return 0;
}

int cmd_show(struct ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	struct dstm_device d;
	struct dstm_sock *sk;
	int ret;

	if (argc > 1)
		return usage_error(ctx, "show: unexpected '%s' (expected show [DEV])",
				   argv[1]);
	if (argc == 1) {
		ret = check_dev(ctx, "show", argv[0], NULL);
		if (ret)
			return ret;
	}
	ret = ctx_sock(ctx, "show", &sk);
	if (ret)
		return ret;

	json_init(&s.j, stdout);
	if (argc == 1) {
		ret = dstm_dev_get(sk, argv[0], &d);
		if (ret < 0)
			return kernel_error(ctx, "show", ret);
		show_one(&d, &s);
	} else {
		/* Collected before any callback: nothing printed on failure. */
		ret = dstm_dev_dump(sk, show_one, &s);
		if (ret < 0)
			return kernel_error(ctx, "show", ret);
	}
	if (ctx->json) {
		if (!s.n)
			json_array(&s.j, NULL);
		json_end(&s.j);
	}
	return EXIT_OK;
}
