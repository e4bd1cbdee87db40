// SPDX-License-Identifier: GPL-2.0
/* dstmctl map add|replace|del|show|get|flush: the TEP's mapping table. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dstmctl.h"

#define HAS(m, attr)	((m)->present & DSTM_BIT(attr))

/*
 * A line built in a buffer: printf() costs seconds over the million
 * mappings a TEP may have.
 */
struct line {
	char buf[384];
	size_t n;
};

static void put_str(struct line *l, const char *s)
{
	size_t len = strlen(s);

	if (len > sizeof(l->buf) - l->n)
		len = sizeof(l->buf) - l->n;
	memcpy(l->buf + l->n, s, len);
	l->n += len;
}

static void put_u64(struct line *l, uint64_t v)
{
	char tmp[21];
	int i = sizeof(tmp);

	tmp[--i] = '\0';
	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	put_str(l, tmp + i);
}

/* A keyword (with its blanks) and a number. */
static void put_kw(struct line *l, const char *kw, uint64_t v)
{
	put_str(l, kw);
	put_u64(l, v);
}

/* One line, in the words of "map add" so that it reads back. */
void print_map(const struct dstm_map *m)
{
	const uint8_t *b = (const uint8_t *)&m->ipv4;
	char a6[INET6_ADDRSTRLEN];
	struct line l = { .n = 0 };

	put_kw(&l, "ipv4 ", b[0]);
	put_kw(&l, ".", b[1]);
	put_kw(&l, ".", b[2]);
	put_kw(&l, ".", b[3]);
	if (m->psid_len) {
		put_kw(&l, " psid ", m->psid);
		put_kw(&l, " psid-len ", m->psid_len);
		put_kw(&l, " psid-offset ", m->psid_offset);
	}
	if (HAS(m, DSTM_MAP_A_IPV6)) {
		put_str(&l, " ipv6 ");
		put_str(&l, inet_ntop(AF_INET6, &m->ipv6, a6, sizeof(a6)));
	}
	if (HAS(m, DSTM_MAP_A_LIFETIME) && m->lifetime)
		put_kw(&l, " lifetime ", m->lifetime);
	else if (HAS(m, DSTM_MAP_A_LIFETIME))
		put_str(&l, " lifetime permanent");
	if (HAS(m, DSTM_MAP_A_EXPIRES) && m->lifetime)
		put_kw(&l, " expires ", m->expires);
	if (HAS(m, DSTM_MAP_A_TX_PACKETS)) {
		put_kw(&l, " tx ", m->tx_packets);
		put_kw(&l, " pkts ", m->tx_bytes);
		put_str(&l, " bytes");
	}
	if (HAS(m, DSTM_MAP_A_RX_PACKETS)) {
		put_kw(&l, " rx ", m->rx_packets);
		put_kw(&l, " pkts ", m->rx_bytes);
		put_str(&l, " bytes");
	}
	if (HAS(m, DSTM_MAP_A_LAST_USE)) {
		put_kw(&l, " last-use ", m->last_use);
		put_str(&l, " ms");
	}
	put_str(&l, "\n");
	fwrite(l.buf, 1, l.n, stdout);
}

/* Every key always there, null when the kernel did not say. */
void json_map(struct json *j, const char *key, const struct dstm_map *m)
{
	char buf[INET6_ADDRSTRLEN];

	json_object(j, key);
	json_string(j, "ipv4", inet_ntop(AF_INET, &m->ipv4, buf, sizeof(buf)));
	if (HAS(m, DSTM_MAP_A_IPV6))
		json_string(j, "ipv6",
			    inet_ntop(AF_INET6, &m->ipv6, buf, sizeof(buf)));
	else
		json_null(j, "ipv6");

#define JSON_U(key, attr, field)			\
	do {						\
		if (HAS(m, attr))			\
			json_uint(j, key, m->field);	\
		else					\
			json_null(j, key);		\
	} while (0)

	JSON_U("psid", DSTM_MAP_A_PSID, psid);
	JSON_U("psid_len", DSTM_MAP_A_PSID_LEN, psid_len);
	JSON_U("psid_offset", DSTM_MAP_A_PSID_OFFSET, psid_offset);
	JSON_U("lifetime", DSTM_MAP_A_LIFETIME, lifetime);
	JSON_U("expires", DSTM_MAP_A_EXPIRES, expires);
	JSON_U("tx_packets", DSTM_MAP_A_TX_PACKETS, tx_packets);
	JSON_U("tx_bytes", DSTM_MAP_A_TX_BYTES, tx_bytes);
	JSON_U("rx_packets", DSTM_MAP_A_RX_PACKETS, rx_packets);
	JSON_U("rx_bytes", DSTM_MAP_A_RX_BYTES, rx_bytes);
	JSON_U("last_use", DSTM_MAP_A_LAST_USE, last_use);
#undef JSON_U
	json_end(j);
}

/* map add|replace DEV ipv4 IPV4 ipv6 IPV6 [psid P psid-len K
 * [psid-offset A]] [lifetime SECONDS] */
static int map_new(struct ctx *ctx, int argc, char **argv, bool replace)
{
	const char *what = replace ? "map replace" : "map add";
	struct kw kws[] = {
		{ .name = "ipv4", .type = KW_IPV4 },
		{ .name = "ipv6", .type = KW_IPV6 },
		{ .name = "psid", .type = KW_UINT, .max = 65535 },
		{ .name = "psid-len", .type = KW_UINT, .max = 16 },
		{ .name = "psid-offset", .type = KW_UINT, .max = 15 },
		{ .name = "lifetime", .type = KW_UINT, .max = UINT32_MAX },
		KW_END
	};
	struct kw *ipv4 = &kws[0], *ipv6 = &kws[1], *psid = &kws[2];
	struct kw *len = &kws[3], *off = &kws[4], *life = &kws[5];
	struct dstm_map m = { 0 };
	struct dstm_batch *b;
	struct dstm_sock *sk;
	char err[ERRLEN];
	unsigned long a;
	int ret;

	ret = check_dev(ctx, what, argc ? argv[0] : NULL, kws);
	if (ret)
		return ret;
	if (!parse_kws(kws, argc - 1, argv + 1, err, sizeof(err)))
		return usage_error(ctx, "%s: %s", what, err);
	if (!ipv4->seen)
		return usage_error(ctx, "%s: missing 'ipv4 IPV4'", what);
	if (!ipv6->seen)
		return usage_error(ctx, "%s: missing 'ipv6 IPV6'", what);
	if (psid->seen != len->seen)
		return usage_error(ctx, "%s: 'psid' and 'psid-len' go together (psid P psid-len K)",
				   what);
	if (off->seen && !len->seen)
		return usage_error(ctx, "%s: 'psid-offset' needs 'psid P psid-len K'",
				   what);
	/* The kernel's default offset is 6 for shared addresses. */
	a = off->seen ? off->num : len->num ? 6 : 0;
	if (a + len->num > 16 && !off->seen)
		return usage_error(ctx, "%s: psid-len %lu leaves no room for the default psid-offset 6 (expected psid-offset + psid-len <= 16)",
				   what, len->num);
	if (a + len->num > 16)
		return usage_error(ctx, "%s: psid-offset %lu + psid-len %lu exceeds the 16 bits of a port",
				   what, a, len->num);
	if (psid->seen && psid->num >= 1ul << len->num)
		return usage_error(ctx, "%s: psid %lu does not fit in psid-len %lu (expected 0..%lu)",
				   what, psid->num, len->num,
				   (1ul << len->num) - 1);

	m.present = DSTM_BIT(DSTM_MAP_A_IPV4) | DSTM_BIT(DSTM_MAP_A_IPV6);
	m.ipv4 = ipv4->ipv4;
	m.ipv6 = ipv6->ipv6;
	if (psid->seen) {
		m.present |= DSTM_BIT(DSTM_MAP_A_PSID) |
			     DSTM_BIT(DSTM_MAP_A_PSID_LEN);
		m.psid = psid->num;
		m.psid_len = len->num;
	}
	if (off->seen) {
		m.present |= DSTM_BIT(DSTM_MAP_A_PSID_OFFSET);
		m.psid_offset = off->num;
	}
	if (life->seen) {
		m.present |= DSTM_BIT(DSTM_MAP_A_LIFETIME);
		m.lifetime = life->num;
	}

	ret = ctx_batch(ctx, what, &b);
	if (ret)
		return ret;
	if (b) {
		ret = dstm_batch_map_new(b, argv[0], &m, replace,
					 BATCH_TAG(ctx->line, replace ?
						   BATCH_MAP_REPLACE :
						   BATCH_MAP_ADD));
		return ret < 0 ? batch_failed(ctx, what, ret) : EXIT_OK;
	}
	ret = ctx_sock(ctx, what, &sk);
	if (ret)
		return ret;
	ret = dstm_map_new(sk, argv[0], &m, replace);
	return ret < 0 ? kernel_error(ctx, what, ret) : EXIT_OK;
}

static int map_add(struct ctx *ctx, int argc, char **argv)
{
	return map_new(ctx, argc, argv, false);
}

static int map_replace(struct ctx *ctx, int argc, char **argv)
{
	return map_new(ctx, argc, argv, true);
}

/* DEV ipv4 IPV4 [psid P]: the key of del and get. */
static int parse_key(struct ctx *ctx, const char *what, int argc,
		     char **argv, struct in_addr *ipv4, uint16_t *psid)
{
	struct kw kws[] = {
		{ .name = "ipv4", .type = KW_IPV4 },
		{ .name = "psid", .type = KW_UINT, .max = 65535 },
		KW_END
	};
	char err[ERRLEN];
	int ret;

	ret = check_dev(ctx, what, argc ? argv[0] : NULL, kws);
	if (ret)
		return ret;
	if (!parse_kws(kws, argc - 1, argv + 1, err, sizeof(err)))
		return usage_error(ctx, "%s: %s", what, err);
	if (!kws[0].seen)
		return usage_error(ctx, "%s: missing 'ipv4 IPV4'", what);
	*ipv4 = kws[0].ipv4;
	*psid = kws[1].num;
	return EXIT_OK;
}

static int map_del(struct ctx *ctx, int argc, char **argv)
{
	struct dstm_batch *b;
	struct dstm_sock *sk;
	struct in_addr ipv4;
	uint16_t psid;
	int ret;

	ret = parse_key(ctx, "map del", argc, argv, &ipv4, &psid);
	if (ret)
		return ret;
	ret = ctx_batch(ctx, "map del", &b);
	if (ret)
		return ret;
	if (b) {
		ret = dstm_batch_map_del(b, argv[0], ipv4, psid,
					 BATCH_TAG(ctx->line, BATCH_MAP_DEL));
		return ret < 0 ? batch_failed(ctx, "map del", ret) : EXIT_OK;
	}
	ret = ctx_sock(ctx, "map del", &sk);
	if (ret)
		return ret;
	ret = dstm_map_del(sk, argv[0], ipv4, psid);
	return ret < 0 ? kernel_error(ctx, "map del", ret) : EXIT_OK;
}

static int map_get(struct ctx *ctx, int argc, char **argv)
{
	struct dstm_sock *sk;
	struct dstm_map m;
	struct in_addr ipv4;
	struct json j;
	uint16_t psid;
	int ret;

	ret = parse_key(ctx, "map get", argc, argv, &ipv4, &psid);
	if (ret)
		return ret;
	ret = ctx_sock(ctx, "map get", &sk);
	if (ret)
		return ret;
	ret = dstm_map_get(sk, argv[0], ipv4, psid, &m);
	if (ret < 0)
		return kernel_error(ctx, "map get", ret);
	if (ctx->json) {
		json_init(&j, stdout);
		json_array(&j, NULL);
		json_map(&j, NULL, &m);
		json_end(&j);
	} else {
		print_map(&m);
	}
	return EXIT_OK;
}

struct show {
	struct ctx *ctx;
	struct json j;
	unsigned long n;
};

static int show_one(const struct dstm_map *m, void *arg)
{
	struct show *s = arg;

	if (s->ctx->json && !s->n++)
		json_array(&s->j, NULL);
	if (s->ctx->json)
		json_map(&s->j, NULL, m);
	else
		print_map(m);
	return 0;
}

static int map_show(struct ctx *ctx, int argc, char **argv)
{
	struct show s = { .ctx = ctx };
	struct dstm_sock *sk;
	int ret;

	ret = check_dev(ctx, "map show", argc ? argv[0] : NULL, NULL);
	if (ret)
		return ret;
	if (argc > 1)
		return usage_error(ctx, "map show: unexpected '%s' (expected map show DEV)",
				   argv[1]);
	ret = ctx_sock(ctx, "map show", &sk);
	if (ret)
		return ret;
	json_init(&s.j, stdout);
	/* The callbacks come once the whole table is in, or not at all. */
	ret = dstm_map_dump(sk, argv[0], show_one, &s);
	if (ret < 0)
		return kernel_error(ctx, "map show", ret);
	if (ctx->json) {
		if (!s.n)
			json_array(&s.j, NULL);
		json_end(&s.j);
	}
	return EXIT_OK;
}

static int map_flush(struct ctx *ctx, int argc, char **argv)
{
	struct dstm_sock *sk;
	int ret;

	ret = check_dev(ctx, "map flush", argc ? argv[0] : NULL, NULL);
	if (ret)
		return ret;
	if (argc > 1)
		return usage_error(ctx, "map flush: unexpected '%s' (expected map flush DEV)",
				   argv[1]);
	ret = ctx_sock(ctx, "map flush", &sk);
	if (ret)
		return ret;
	ret = dstm_map_flush(sk, argv[0]);
	return ret < 0 ? kernel_error(ctx, "map flush", ret) : EXIT_OK;
}

static const struct cmd map_cmds[] = {
	{ "add",	map_add },
	{ "replace",	map_replace },
	{ "del",	map_del },
	{ "show",	map_show },
	{ "get",	map_get },
	{ "flush",	map_flush },
};

int cmd_map(struct ctx *ctx, int argc, char **argv)
{
	size_t i;

	if (argc == 0)
		return usage_error(ctx, "map: expected add, replace, del, show, get or flush");
	for (i = 0; i < sizeof(map_cmds) / sizeof(map_cmds[0]); i++)
		if (!strcmp(argv[0], map_cmds[i].name))
			return map_cmds[i].run(ctx, argc - 1, argv + 1);
	return usage_error(ctx, "map: unknown command '%s' (expected add, replace, del, show, get or flush)",
			   argv[0]);
}
