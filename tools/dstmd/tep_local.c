// SPDX-License-Identifier: GPL-2.0
/* The local TEP: a dstm device in this host's kernel, through libdstm. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstm.h"
#include "tep.h"

struct tep_local {
	struct tep tep;
	struct dstm_sock *sk;
};

#define LOCAL(t) ((struct tep_local *)(t))

static int local_set(struct tep *t, const char *dev, const struct tep_map *m)
{
	struct dstm_map map = { 0 };

	map.ipv4.s_addr = htonl(m->ipv4);
	map.ipv6 = m->ipv6;
	map.psid = m->psid;
	map.psid_len = m->psid_len;
	map.psid_offset = m->psid_offset;
	map.lifetime = m->lifetime;
	map.present = DSTM_BIT(DSTM_MAP_A_IPV4) | DSTM_BIT(DSTM_MAP_A_IPV6) |
		      DSTM_BIT(DSTM_MAP_A_LIFETIME);
	if (m->psid_len)
		map.present |= DSTM_BIT(DSTM_MAP_A_PSID) |
			       DSTM_BIT(DSTM_MAP_A_PSID_LEN) |
			       DSTM_BIT(DSTM_MAP_A_PSID_OFFSET);
	/* Grant and renewal alike: create, or update in place (the
	 * DSTM_A_REPLACE flag), keeping the mapping's counters.
	 */
	return dstm_map_new(LOCAL(t)->sk, dev, &map, true);
}

static int local_del(struct tep *t, const char *dev, uint32_t ipv4,
		     uint16_t psid)
{
	struct in_addr a = { htonl(ipv4) };
	int r = dstm_map_del(LOCAL(t)->sk, dev, a, psid);

	return r == -ENOENT ? 0 : r;
}

struct dump_ctx {
	tep_map_cb cb;
	void *arg;
};

static int dump_one(const struct dstm_map *map, void *arg)
{
	struct dump_ctx *x = arg;
	struct tep_map m = { 0 };

	m.ipv4 = ntohl(map->ipv4.s_addr);
	m.ipv6 = map->ipv6;
	m.psid = map->psid;
	m.psid_len = map->psid_len;
	m.psid_offset = map->psid_offset;
	m.lifetime = map->lifetime ? map->expires : 0;
	return x->cb(&m, x->arg);
}

static int local_dump(struct tep *t, const char *dev, tep_map_cb cb,
		      void *arg)
{
	struct dump_ctx x = { cb, arg };
	int r = dstm_map_dump(LOCAL(t)->sk, dev, dump_one, &x);

	return r < 0 ? r : 0;
}

static const char *local_errmsg(struct tep *t)
{
	return dstm_errmsg(LOCAL(t)->sk);
}

static void local_close(struct tep *t)
{
	dstm_close(LOCAL(t)->sk);
	free(t);
}

static const struct tep_ops local_ops = {
	.name = "local",
	.map_set = local_set,
	.map_del = local_del,
	.dump = local_dump,
	.errmsg = local_errmsg,
	.close = local_close,
};

struct tep *tep_local_open(char *err, size_t errlen)
{
	struct tep_local *t = calloc(1, sizeof(*t));
	int r;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r = dstm_open(&t->sk);
	if (r) {
		const char *m = dstm_open_errmsg();

		snprintf(err, errlen, "cannot open the dstm netlink family: %s%s%s",
			 strerror(-r), m ? ": " : "", m ? m : "");
		free(t);
		return NULL;
	}
	t->tep.ops = &local_ops;
	return &t->tep;
}
