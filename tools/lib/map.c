// SPDX-License-Identifier: LGPL-2.1-or-later
/* DSTM_CMD_MAP_NEW, _DEL, _GET and _FLUSH. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static struct nla_policy map_policy[DSTM_MAP_A_MAX + 1] = {
	[DSTM_MAP_A_IPV4]	= { .type = NLA_U32 },
	[DSTM_MAP_A_IPV6]	= { .minlen = 16 },
	[DSTM_MAP_A_PSID_OFFSET] = { .type = NLA_U8 },
	[DSTM_MAP_A_PSID_LEN]	= { .type = NLA_U8 },
	[DSTM_MAP_A_PSID]	= { .type = NLA_U16 },
	[DSTM_MAP_A_LIFETIME]	= { .type = NLA_U32 },
	[DSTM_MAP_A_EXPIRES]	= { .type = NLA_U32 },
	[DSTM_MAP_A_TX_PACKETS]	= { .type = NLA_U64 },
	[DSTM_MAP_A_TX_BYTES]	= { .type = NLA_U64 },
	[DSTM_MAP_A_RX_PACKETS]	= { .type = NLA_U64 },
	[DSTM_MAP_A_RX_BYTES]	= { .type = NLA_U64 },
	[DSTM_MAP_A_LAST_USE]	= { .type = NLA_U32 },
};

int dstm_parse_map(struct nlattr *nest, struct dstm_map *map)
{
	struct nlattr *tb[DSTM_MAP_A_MAX + 1];
	int i;

	memset(map, 0, sizeof(*map));
	if (nla_parse_nested(tb, DSTM_MAP_A_MAX, nest, map_policy) < 0)
		return -EPROTO;
	for (i = 1; i <= DSTM_MAP_A_MAX; i++)
		if (tb[i] && i != DSTM_MAP_A_PAD)
			map->present |= DSTM_BIT(i);

	if (tb[DSTM_MAP_A_IPV4])
		map->ipv4.s_addr = nla_get_u32(tb[DSTM_MAP_A_IPV4]);
	if (tb[DSTM_MAP_A_IPV6])
		memcpy(&map->ipv6, nla_data(tb[DSTM_MAP_A_IPV6]), 16);
	if (tb[DSTM_MAP_A_PSID_OFFSET])
		map->psid_offset = nla_get_u8(tb[DSTM_MAP_A_PSID_OFFSET]);
	if (tb[DSTM_MAP_A_PSID_LEN])
		map->psid_len = nla_get_u8(tb[DSTM_MAP_A_PSID_LEN]);
	if (tb[DSTM_MAP_A_PSID])
		map->psid = nla_get_u16(tb[DSTM_MAP_A_PSID]);
	if (tb[DSTM_MAP_A_LIFETIME])
		map->lifetime = nla_get_u32(tb[DSTM_MAP_A_LIFETIME]);
	if (tb[DSTM_MAP_A_EXPIRES])
		map->expires = nla_get_u32(tb[DSTM_MAP_A_EXPIRES]);
	if (tb[DSTM_MAP_A_LAST_USE])
		map->last_use = nla_get_u32(tb[DSTM_MAP_A_LAST_USE]);
	if (tb[DSTM_MAP_A_TX_PACKETS])
		map->tx_packets = nla_get_u64(tb[DSTM_MAP_A_TX_PACKETS]);
	if (tb[DSTM_MAP_A_TX_BYTES])
		map->tx_bytes = nla_get_u64(tb[DSTM_MAP_A_TX_BYTES]);
	if (tb[DSTM_MAP_A_RX_PACKETS])
		map->rx_packets = nla_get_u64(tb[DSTM_MAP_A_RX_PACKETS]);
	if (tb[DSTM_MAP_A_RX_BYTES])
		map->rx_bytes = nla_get_u64(tb[DSTM_MAP_A_RX_BYTES]);
	return 0;
}

/* IPV4 and IPV6 always; the optional attributes when present. */
int dstm_put_map(struct nl_msg *msg, const struct dstm_map *map)
{
	uint32_t p = map->present;
	struct nlattr *nest;
	int ret = 0;

	nest = nla_nest_start(msg, DSTM_A_MAP);
	if (!nest)
		return -EMSGSIZE;
	ret |= nla_put_u32(msg, DSTM_MAP_A_IPV4, map->ipv4.s_addr);
	if (p & DSTM_BIT(DSTM_MAP_A_IPV6))
		ret |= nla_put(msg, DSTM_MAP_A_IPV6, 16, &map->ipv6);
	if (p & DSTM_BIT(DSTM_MAP_A_PSID_OFFSET))
		ret |= nla_put_u8(msg, DSTM_MAP_A_PSID_OFFSET, map->psid_offset);
	if (p & DSTM_BIT(DSTM_MAP_A_PSID_LEN))
		ret |= nla_put_u8(msg, DSTM_MAP_A_PSID_LEN, map->psid_len);
	if (p & DSTM_BIT(DSTM_MAP_A_PSID))
		ret |= nla_put_u16(msg, DSTM_MAP_A_PSID, map->psid);
	if (p & DSTM_BIT(DSTM_MAP_A_LIFETIME))
		ret |= nla_put_u32(msg, DSTM_MAP_A_LIFETIME, map->lifetime);
	if (ret)
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int dstm_map_new(struct dstm_sock *sk, const char *ifname,
		 const struct dstm_map *map, bool replace)
{
	struct nl_msg *msg;
	struct dstm_map m = *map;

	m.present |= DSTM_BIT(DSTM_MAP_A_IPV6);
	msg = dstm_msg_new(sk, DSTM_CMD_MAP_NEW,
			   NLM_F_ACK | (replace ? NLM_F_REPLACE : 0), ifname);
	if (!msg)
		return -ENOMEM;
	if (dstm_put_map(msg, &m) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return dstm_transact(sk, msg, NULL, NULL);
}

/* A MAP_DEL or MAP_GET request: the key only. */
static struct nl_msg *key_msg(struct dstm_sock *sk, uint8_t cmd,
			      const char *ifname, struct in_addr ipv4,
			      uint16_t psid)
{
	struct dstm_map key = {
		.present = DSTM_BIT(DSTM_MAP_A_PSID),
		.ipv4 = ipv4,
		.psid = psid,
	};
	struct nl_msg *msg;

	msg = dstm_msg_new(sk, cmd, NLM_F_ACK, ifname);
	if (msg && dstm_put_map(msg, &key) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int dstm_map_del(struct dstm_sock *sk, const char *ifname,
		 struct in_addr ipv4, uint16_t psid)
{
	struct nl_msg *msg = key_msg(sk, DSTM_CMD_MAP_DEL, ifname, ipv4, psid);

	if (!msg)
		return -ENOMEM;
	return dstm_transact(sk, msg, NULL, NULL);
}

static int get_reply(struct dstm_sock *sk, struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[DSTM_A_MAX + 1];

	(void)sk;
	if (dstm_parse_attrs(nlh, tb) < 0 || !tb[DSTM_A_MAP])
		return -EPROTO;
	return dstm_parse_map(tb[DSTM_A_MAP], arg);
}

int dstm_map_get(struct dstm_sock *sk, const char *ifname,
		 struct in_addr ipv4, uint16_t psid, struct dstm_map *map)
{
	struct nl_msg *msg = key_msg(sk, DSTM_CMD_MAP_GET, ifname, ipv4, psid);

	if (!msg)
		return -ENOMEM;
	memset(map, 0, sizeof(*map));
	return dstm_transact(sk, msg, get_reply, map);
}

int dstm_map_flush(struct dstm_sock *sk, const char *ifname)
{
	struct nl_msg *msg;

	msg = dstm_msg_new(sk, DSTM_CMD_MAP_FLUSH, NLM_F_ACK, ifname);
	if (!msg)
		return -ENOMEM;
	return dstm_transact(sk, msg, NULL, NULL);
}

struct map_list {
	struct dstm_map *map;
	size_t n, size;
};

/* A dump message may carry several DSTM_A_MAP nests. */
static int dump_reply(struct dstm_sock *sk, struct nlmsghdr *nlh, void *arg)
{
	const struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct map_list *l = arg;
	struct nlattr *a;
	int rem;

	(void)sk;
	nla_for_each_attr(a, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), rem) {
		if (nla_type(a) != DSTM_A_MAP)
			continue;
		if (l->n == l->size) {
			size_t size = l->size ? 2 * l->size : 256;
			struct dstm_map *p = realloc(l->map, size * sizeof(*p));

			if (!p)
				return -ENOMEM;
			l->map = p;
			l->size = size;
		}
		if (dstm_parse_map(a, &l->map[l->n]) < 0)
			return -EPROTO;
		l->n++;
	}
	return 0;
}

/*
 * The whole table is collected before cb sees any of it: a dump flagged
 * NLM_F_DUMP_INTR raced with a change and is redone from the start, which
 * a caller that had already printed half of it could not undo.
 */
int dstm_map_dump(struct dstm_sock *sk, const char *ifname,
		  dstm_map_cb cb, void *arg)
{
	struct map_list l = { NULL, 0, 0 };
	int tries, ret;
	size_t i;

	for (tries = 0; tries < DSTM_DUMP_RETRIES; tries++) {
		struct nl_msg *msg;

		msg = dstm_msg_new(sk, DSTM_CMD_MAP_GET, NLM_F_DUMP, ifname);
		if (!msg) {
			ret = -ENOMEM;
			goto out;
		}
		l.n = 0;
		ret = dstm_transact(sk, msg, dump_reply, &l);
		if (ret < 0)
			goto out;
		if (!sk->intr)
			break;
	}
	if (tries == DSTM_DUMP_RETRIES) {
		dstm_set_errmsg(sk, "the mapping table kept changing during the dump (%d attempts)",
				tries);
		ret = -EAGAIN;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		ret = cb(&l.map[i], arg);
		if (ret < 0)
			goto out;
	}
	ret = l.n > INT32_MAX ? INT32_MAX : (int)l.n;
out:
	free(l.map);
	return ret;
}
