// SPDX-License-Identifier: LGPL-2.1-or-later
/* DSTM_CMD_MAP_NEW, _DEL, _GET and _FLUSH. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Where each attribute of the DSTM_A_MAP nest goes, and its size. */
static void *map_field(struct dstm_map *m, int type, int *size)
{
	switch (type) {
	case DSTM_MAP_A_IPV4:		*size = 4;  return &m->ipv4;
	case DSTM_MAP_A_IPV6:		*size = 16; return &m->ipv6;
	case DSTM_MAP_A_PSID_OFFSET:	*size = 1;  return &m->psid_offset;
	case DSTM_MAP_A_PSID_LEN:	*size = 1;  return &m->psid_len;
	case DSTM_MAP_A_PSID:		*size = 2;  return &m->psid;
	case DSTM_MAP_A_LIFETIME:	*size = 4;  return &m->lifetime;
	case DSTM_MAP_A_EXPIRES:	*size = 4;  return &m->expires;
	case DSTM_MAP_A_LAST_USE:	*size = 4;  return &m->last_use;
	case DSTM_MAP_A_TX_PACKETS:	*size = 8;  return &m->tx_packets;
	case DSTM_MAP_A_TX_BYTES:	*size = 8;  return &m->tx_bytes;
	case DSTM_MAP_A_RX_PACKETS:	*size = 8;  return &m->rx_packets;
	case DSTM_MAP_A_RX_BYTES:	*size = 8;  return &m->rx_bytes;
	}
	return NULL;
}

/*
 * By hand rather than with nla_parse_nested() and a policy: a dump of a
 * million mappings parses a million nests, and this is several times
 * faster.  Attributes of the wrong size are ignored, like unknown ones.
 */
int dstm_parse_map(struct nlattr *nest, struct dstm_map *map)
{
	struct nlattr *a;
	void *field;
	int rem, size;

	memset(map, 0, sizeof(*map));
	nla_for_each_nested(a, nest, rem) {
		field = map_field(map, nla_type(a), &size);
		if (!field || nla_len(a) != size)
			continue;
		memcpy(field, nla_data(a), size);
		map->present |= DSTM_BIT(nla_type(a));
	}
	return map->present & DSTM_BIT(DSTM_MAP_A_IPV4) ? 0 : -EPROTO;
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
			   NLM_F_ACK, ifname);
	if (!msg)
		return -ENOMEM;
	if (dstm_put_map(msg, &m) < 0 ||
	    (replace && nla_put_flag(msg, DSTM_A_REPLACE) < 0)) {
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

/* A dump message may carry several DSTM_A_MAP nests. */
static int dump_reply(struct dstm_sock *sk, struct nlmsghdr *nlh, void *arg)
{
	const struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct dstm_dump *d = arg;
	struct dstm_map *map;
	struct nlattr *a;
	int rem;

	(void)sk;
	nla_for_each_attr(a, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), rem) {
		if (nla_type(a) != DSTM_A_MAP)
			continue;
		map = dstm_dump_slot(d);
		if (!map)
			return -ENOMEM;
		if (dstm_parse_map(a, map) < 0)
			return -EPROTO;
		d->n++;
	}
	return 0;
}

int dstm_map_dump(struct dstm_sock *sk, const char *ifname,
		  dstm_map_cb cb, void *arg)
{
	struct dstm_dump d = { .elem = sizeof(struct dstm_map) };
	struct dstm_map *map;
	size_t i;
	int ret;

	ret = dstm_dump_run(sk, DSTM_CMD_MAP_GET, ifname, dump_reply, &d,
			    "the mapping table");
	for (i = 0, map = d.rec; !ret && i < d.n; i++)
		ret = cb(&map[i], arg);
	if (!ret)
		ret = d.n > INT32_MAX ? INT32_MAX : (int)d.n;
	free(d.rec);
	return ret;
}
