// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "dstm": configuration, mappings, statistics
 * and events.  uapi/linux/dstm.h documents the API; every policy here is
 * strict, every rejection says why in the extended ack.
 */

#include <linux/jiffies.h>
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "dstm.h"

static struct genl_family dstm_family;

enum dstm_mcgrp {
	DSTM_MCGRP_EVENTS_ID,
};

static const struct genl_multicast_group dstm_mcgrps[] = {
	/* Events name the hosts using the tunnel: admins only. */
	[DSTM_MCGRP_EVENTS_ID] = {
		.name = DSTM_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

#define DSTM_POLICY_DEV \
	[DSTM_A_IFINDEX] = { .type = NLA_U32 }, \
	[DSTM_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 }

static const struct nla_policy dstm_dev_policy[DSTM_A_MAX + 1] = {
	DSTM_POLICY_DEV,
};

/* Wider than a policy's 16-bit inline range (not const: 6.1 wants it so). */
static struct netlink_range_validation dstm_queue_ms_range = {
	.min = 1,
	.max = DSTM_MAX_QUEUE_MS,
};

static const struct nla_policy dstm_fastpath_policy[DSTM_FASTPATH_A_MAX + 1] = {
	[DSTM_FASTPATH_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy dstm_set_policy[DSTM_A_MAX + 1] = {
	DSTM_POLICY_DEV,
	[DSTM_A_MODE] = NLA_POLICY_MAX(NLA_U8, DSTM_MODE_MAX),
	[DSTM_A_LOCAL] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[DSTM_A_TEP] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[DSTM_A_ADDR] = { .type = NLA_BE32 },
	[DSTM_A_PSID_OFFSET] = NLA_POLICY_MAX(NLA_U8, 15),
	[DSTM_A_PSID_LEN] = NLA_POLICY_MAX(NLA_U8, 16),
	[DSTM_A_PSID] = { .type = NLA_U16 },
	[DSTM_A_HOPLIMIT] = NLA_POLICY_MIN(NLA_U8, 1),
	[DSTM_A_QUEUE_LEN] = NLA_POLICY_MAX(NLA_U32, DSTM_MAX_QUEUE_LEN),
	[DSTM_A_QUEUE_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32,
						&dstm_queue_ms_range),
	[DSTM_A_FASTPATH] = NLA_POLICY_NESTED(dstm_fastpath_policy),
};

static const struct nla_policy dstm_map_new_policy[DSTM_MAP_A_MAX + 1] = {
	[DSTM_MAP_A_IPV4] = { .type = NLA_BE32 },
	[DSTM_MAP_A_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[DSTM_MAP_A_PSID_OFFSET] = NLA_POLICY_MAX(NLA_U8, 15),
	[DSTM_MAP_A_PSID_LEN] = NLA_POLICY_MAX(NLA_U8, 16),
	[DSTM_MAP_A_PSID] = { .type = NLA_U16 },
	[DSTM_MAP_A_LIFETIME] = { .type = NLA_U32 },
};

static const struct nla_policy dstm_map_key_policy[DSTM_MAP_A_MAX + 1] = {
	[DSTM_MAP_A_IPV4] = { .type = NLA_BE32 },
	[DSTM_MAP_A_PSID] = { .type = NLA_U16 },
};

static const struct nla_policy dstm_map_new_top_policy[DSTM_A_MAX + 1] = {
	DSTM_POLICY_DEV,
	[DSTM_A_MAP] = NLA_POLICY_NESTED(dstm_map_new_policy),
	[DSTM_A_REPLACE] = { .type = NLA_FLAG },
};

static const struct nla_policy dstm_map_key_top_policy[DSTM_A_MAX + 1] = {
	DSTM_POLICY_DEV,
	[DSTM_A_MAP] = NLA_POLICY_NESTED(dstm_map_key_policy),
};

/* Message building */

static void *dstm_msg_put(struct sk_buff *skb, u32 portid, u32 seq, int flags,
			  u8 cmd, const struct dstm_dev *priv)
{
	void *hdr = genlmsg_put(skb, portid, seq, &dstm_family, flags, cmd);

	if (!hdr)
		return NULL;
	if (nla_put_u32(skb, DSTM_A_IFINDEX, priv->dev->ifindex) ||
	    nla_put_string(skb, DSTM_A_IFNAME, priv->dev->name)) {
		genlmsg_cancel(skb, hdr);
		return NULL;
	}
	return hdr;
}

static int dstm_put_stats(struct sk_buff *skb, struct dstm_dev *priv)
{
	struct rtnl_link_stats64 st = {};
	struct dstm_pcpu_stats sum;
	struct nlattr *nest;
	int i;

	dev_fetch_sw_netstats(&st, priv->dev->tstats);
	dstm_device_stats(priv, &sum);

	nest = nla_nest_start(skb, DSTM_A_STATS);
	if (!nest ||
	    nla_put_u64_64bit(skb, DSTM_STATS_A_TX_PACKETS, st.tx_packets,
			      DSTM_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_STATS_A_TX_BYTES, st.tx_bytes,
			      DSTM_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_STATS_A_RX_PACKETS, st.rx_packets,
			      DSTM_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_STATS_A_RX_BYTES, st.rx_bytes,
			      DSTM_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_STATS_A_QUEUED, sum.queued,
			      DSTM_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_STATS_A_ADDR_NEEDED, sum.addr_needed,
			      DSTM_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_STATS_A_FAST_TX_PACKETS, sum.fast_tx,
			      DSTM_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_STATS_A_FAST_RX_PACKETS, sum.fast_rx,
			      DSTM_STATS_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);

	nest = nla_nest_start(skb, DSTM_A_DROPS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < __DSTM_DROP_MAX; i++)
		if (nla_put_u64_64bit(skb, i + 1, sum.drops[i],
				      DSTM_DROP_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int dstm_dev_fill(struct sk_buff *skb, struct dstm_dev *priv,
			 u32 portid, u32 seq, int flags)
{
	const struct dstm_cfg *cfg;
	void *hdr;

	hdr = dstm_msg_put(skb, portid, seq, flags, DSTM_CMD_DEV_GET, priv);
	if (!hdr)
		return -EMSGSIZE;

	rcu_read_lock();
	cfg = rcu_dereference(priv->cfg);
	if (nla_put_u8(skb, DSTM_A_MODE, cfg->mode) ||
	    nla_put_in6_addr(skb, DSTM_A_LOCAL, &cfg->local) ||
	    nla_put_in6_addr(skb, DSTM_A_TEP, &cfg->tep) ||
	    nla_put_in_addr(skb, DSTM_A_ADDR, cfg->addr) ||
	    nla_put_u8(skb, DSTM_A_PSID_OFFSET, cfg->psid_offset) ||
	    nla_put_u8(skb, DSTM_A_PSID_LEN, cfg->psid_len) ||
	    nla_put_u16(skb, DSTM_A_PSID, cfg->psid) ||
	    nla_put_u8(skb, DSTM_A_HOPLIMIT, cfg->hoplimit) ||
	    nla_put_u32(skb, DSTM_A_QUEUE_LEN, cfg->queue_len) ||
	    nla_put_u32(skb, DSTM_A_QUEUE_TIMEOUT, cfg->queue_ms)) {
		rcu_read_unlock();
		goto err_cancel;
	}
	rcu_read_unlock();

	if (nla_put_u32(skb, DSTM_A_MAP_COUNT, READ_ONCE(priv->table.count)) ||
	    nla_put_u32(skb, DSTM_A_GENERATION,
			READ_ONCE(priv->table.generation)) ||
	    dstm_fastpath_fill(skb, priv) ||
	    dstm_put_stats(skb, priv))
		goto err_cancel;

	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int dstm_map_fill_nest(struct sk_buff *skb, const struct dstm_map *m)
{
	unsigned long expires = READ_ONCE(m->expires);
	unsigned long last_use = READ_ONCE(m->last_use);
	struct nlattr *nest;
	u32 left = 0;

	nest = nla_nest_start(skb, DSTM_A_MAP);
	if (!nest)
		return -EMSGSIZE;
	if (expires && time_after(expires, jiffies))
		left = DIV_ROUND_UP(expires - jiffies, HZ);
	if (nla_put_in_addr(skb, DSTM_MAP_A_IPV4, m->key.ipv4) ||
	    nla_put_in6_addr(skb, DSTM_MAP_A_IPV6, &m->ipv6) ||
	    nla_put_u8(skb, DSTM_MAP_A_PSID_OFFSET, m->addr->psid_offset) ||
	    nla_put_u8(skb, DSTM_MAP_A_PSID_LEN, m->addr->psid_len) ||
	    nla_put_u16(skb, DSTM_MAP_A_PSID, m->key.psid) ||
	    nla_put_u32(skb, DSTM_MAP_A_LIFETIME, m->lifetime) ||
	    (expires && nla_put_u32(skb, DSTM_MAP_A_EXPIRES, left)) ||
	    nla_put_u64_64bit(skb, DSTM_MAP_A_TX_PACKETS,
			      atomic64_read(&m->tx_packets), DSTM_MAP_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_MAP_A_TX_BYTES,
			      atomic64_read(&m->tx_bytes), DSTM_MAP_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_MAP_A_RX_PACKETS,
			      atomic64_read(&m->rx_packets), DSTM_MAP_A_PAD) ||
	    nla_put_u64_64bit(skb, DSTM_MAP_A_RX_BYTES,
			      atomic64_read(&m->rx_bytes), DSTM_MAP_A_PAD) ||
	    (last_use && nla_put_u32(skb, DSTM_MAP_A_LAST_USE,
				     jiffies_to_msecs(jiffies - last_use)))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int dstm_map_fill(struct sk_buff *skb, struct dstm_dev *priv,
			 const struct dstm_map *m, u32 portid, u32 seq,
			 int flags, u8 cmd)
{
	void *hdr = dstm_msg_put(skb, portid, seq, flags, cmd, priv);

	if (!hdr)
		return -EMSGSIZE;
	if (dstm_map_fill_nest(skb, m)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Events */

void dstm_notify_map(struct dstm_dev *priv, u8 cmd, const struct dstm_map *m)
{
	struct sk_buff *skb;

	/* A million-mapping flush must not build a million idle messages. */
	if (!genl_has_listeners(&dstm_family, priv->net, DSTM_MCGRP_EVENTS_ID))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dstm_map_fill(skb, priv, m, 0, 0, 0, cmd)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast_netns(&dstm_family, priv->net, skb, 0,
				DSTM_MCGRP_EVENTS_ID, GFP_KERNEL);
}

/* From the transmit path: atomic context. */
void dstm_notify_addr_needed(struct dstm_dev *priv, __be32 dst)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&dstm_family, priv->net, DSTM_MCGRP_EVENTS_ID))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!skb)
		return;
	hdr = dstm_msg_put(skb, 0, 0, 0, DSTM_CMD_ADDR_NEEDED, priv);
	if (!hdr || nla_put_in_addr(skb, DSTM_A_DST, dst)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&dstm_family, priv->net, skb, 0,
				DSTM_MCGRP_EVENTS_ID, GFP_ATOMIC);
}

/* Commands */

static int dstm_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dstm_dev *priv;
	struct sk_buff *msg;
	int err;

	priv = dstm_device_get(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(priv))
		return PTR_ERR(priv);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = dstm_dev_fill(msg, priv, info->snd_portid, info->snd_seq, 0);
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	err = genlmsg_reply(msg, info);
out:
	dev_put(priv->dev);
	return err;
}

static int dstm_nl_dev_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct dstm_dev *priv;
	long skip = cb->args[0], i = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(priv, &dstm_pernet(net)->devs, net_list) {
		if (i++ < skip)
			continue;
		if (dstm_dev_fill(skb, priv, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, NLM_F_MULTI)) {
			i--;
			break;
		}
	}
	rcu_read_unlock();
	cb->args[0] = i;
	return skb->len;
}

static int dstm_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct dstm_dev *priv;
	struct dstm_cfg want;
	int err = -EINVAL;

	priv = dstm_device_get(genl_info_net(info), attrs, extack);
	if (IS_ERR(priv))
		return PTR_ERR(priv);

	/* Writers are serialised by genl_mutex; this copy is current. */
	rcu_read_lock();
	want = *rcu_dereference(priv->cfg);
	rcu_read_unlock();

	if (attrs[DSTM_A_MODE])
		want.mode = nla_get_u8(attrs[DSTM_A_MODE]);
	if (attrs[DSTM_A_LOCAL]) {
		want.local = nla_get_in6_addr(attrs[DSTM_A_LOCAL]);
		if (ipv6_addr_is_multicast(&want.local) ||
		    ipv6_addr_loopback(&want.local)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_LOCAL],
					    "local address must be a unicast IPv6 address");
			goto out;
		}
	}
	if (attrs[DSTM_A_TEP]) {
		want.tep = nla_get_in6_addr(attrs[DSTM_A_TEP]);
		if (ipv6_addr_is_multicast(&want.tep) ||
		    ipv6_addr_loopback(&want.tep)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_TEP],
					    "TEP address must be a unicast IPv6 address");
			goto out;
		}
	}
	if (attrs[DSTM_A_ADDR]) {
		want.addr = nla_get_in_addr(attrs[DSTM_A_ADDR]);
		if (want.addr && (ipv4_is_multicast(want.addr) ||
				  ipv4_is_lbcast(want.addr) ||
				  ipv4_is_zeronet(want.addr) ||
				  ipv4_is_loopback(want.addr))) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_ADDR],
					    "IPv4 address must be unicast (0.0.0.0 removes it)");
			goto out;
		}
	}
	if (attrs[DSTM_A_PSID_OFFSET])
		want.psid_offset = nla_get_u8(attrs[DSTM_A_PSID_OFFSET]);
	if (attrs[DSTM_A_PSID_LEN])
		want.psid_len = nla_get_u8(attrs[DSTM_A_PSID_LEN]);
	if (attrs[DSTM_A_PSID])
		want.psid = nla_get_u16(attrs[DSTM_A_PSID]);
	if (attrs[DSTM_A_HOPLIMIT])
		want.hoplimit = nla_get_u8(attrs[DSTM_A_HOPLIMIT]);
	if (attrs[DSTM_A_QUEUE_LEN])
		want.queue_len = nla_get_u32(attrs[DSTM_A_QUEUE_LEN]);
	if (attrs[DSTM_A_QUEUE_TIMEOUT])
		want.queue_ms = nla_get_u32(attrs[DSTM_A_QUEUE_TIMEOUT]);

	if (want.psid_offset + want.psid_len > 16) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_PSID_LEN] ?:
				    attrs[DSTM_A_PSID_OFFSET],
				    "PSID offset plus PSID length exceeds 16 bits");
		goto out;
	}
	if (want.psid >> want.psid_len) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_PSID] ?:
				    attrs[DSTM_A_PSID_LEN],
				    "PSID does not fit in PSID length bits");
		err = -ERANGE;
		goto out;
	}
	if (!want.psid_len && want.psid_offset) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_PSID_OFFSET] ?:
				    attrs[DSTM_A_PSID_LEN],
				    "PSID offset needs a PSID length");
		goto out;
	}
	if (want.mode == DSTM_MODE_TEP && attrs[DSTM_A_ADDR]) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_ADDR],
				    "an IPv4 address is a client-mode setting; a TEP uses mappings");
		goto out;
	}

	/* A TEP has no address of its own: do not keep a stale lease. */
	if (want.mode == DSTM_MODE_TEP)
		want.addr = 0;

	/* Checked against the mode it will have, so before it is set; all
	 * or nothing itself, and what follows fails only for want of
	 * memory or with the device going away.
	 */
	err = dstm_fastpath_set(priv, attrs[DSTM_A_FASTPATH], want.mode,
				extack);
	if (err)
		goto out;

	err = dstm_device_set(priv, &want, extack);
out:
	dev_put(priv->dev);
	return err;
}

static u8 dstm_nl_mode(struct dstm_dev *priv)
{
	u8 mode;

	rcu_read_lock();
	mode = rcu_dereference(priv->cfg)->mode;
	rcu_read_unlock();
	return mode;
}

/* The TEP device a mapping command names. */
static struct dstm_dev *dstm_nl_map_dev(struct genl_info *info)
{
	struct dstm_dev *priv;

	priv = dstm_device_get(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(priv))
		return priv;
	if (dstm_nl_mode(priv) != DSTM_MODE_TEP) {
		NL_SET_ERR_MSG(info->extack,
			       "mappings exist only on a TEP: device is in client mode");
		dev_put(priv->dev);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return priv;
}

static int dstm_nl_map_key(struct genl_info *info, struct nlattr **tb,
			   const struct nla_policy *policy, __be32 *ipv4,
			   u16 *psid)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[DSTM_A_MAP];
	int err;

	if (!nest) {
		NL_SET_ERR_ATTR_MISS(extack, NULL, DSTM_A_MAP);
		NL_SET_ERR_MSG(extack, "missing mapping (DSTM_A_MAP)");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, DSTM_MAP_A_MAX, nest, policy, extack);
	if (err)
		return err;
	if (!tb[DSTM_MAP_A_IPV4]) {
		NL_SET_ERR_ATTR_MISS(extack, nest, DSTM_MAP_A_IPV4);
		NL_SET_ERR_MSG(extack, "missing mapping IPv4 address");
		return -EINVAL;
	}
	*ipv4 = nla_get_in_addr(tb[DSTM_MAP_A_IPV4]);
	*psid = tb[DSTM_MAP_A_PSID] ? nla_get_u16(tb[DSTM_MAP_A_PSID]) : 0;
	return 0;
}

static int dstm_nl_map_params(struct genl_info *info,
			      struct dstm_map_params *p)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[DSTM_MAP_A_MAX + 1];
	int err;

	err = dstm_nl_map_key(info, tb, dstm_map_new_policy, &p->ipv4,
			      &p->psid);
	if (err)
		return err;
	if (!tb[DSTM_MAP_A_IPV6]) {
		NL_SET_ERR_ATTR_MISS(extack, info->attrs[DSTM_A_MAP],
				     DSTM_MAP_A_IPV6);
		NL_SET_ERR_MSG(extack, "missing mapping IPv6 address");
		return -EINVAL;
	}
	p->ipv6 = nla_get_in6_addr(tb[DSTM_MAP_A_IPV6]);
	p->psid_len = tb[DSTM_MAP_A_PSID_LEN] ?
		      nla_get_u8(tb[DSTM_MAP_A_PSID_LEN]) : 0;
	if (tb[DSTM_MAP_A_PSID_OFFSET])
		p->psid_offset = nla_get_u8(tb[DSTM_MAP_A_PSID_OFFSET]);
	else
		p->psid_offset = p->psid_len ? DSTM_DEFAULT_PSID_OFFSET : 0;
	p->lifetime_set = !!tb[DSTM_MAP_A_LIFETIME];
	p->lifetime = p->lifetime_set ? nla_get_u32(tb[DSTM_MAP_A_LIFETIME]) : 0;

	if (ipv4_is_multicast(p->ipv4) || ipv4_is_lbcast(p->ipv4) ||
	    ipv4_is_zeronet(p->ipv4) || ipv4_is_loopback(p->ipv4)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[DSTM_MAP_A_IPV4],
				    "mapping IPv4 address must be unicast");
		return -EINVAL;
	}
	if (ipv6_addr_any(&p->ipv6) || ipv6_addr_is_multicast(&p->ipv6) ||
	    ipv6_addr_loopback(&p->ipv6)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[DSTM_MAP_A_IPV6],
				    "mapping IPv6 address must be unicast");
		return -EINVAL;
	}
	if (!p->psid_len && p->psid_offset) {
		NL_SET_ERR_MSG_ATTR(extack, tb[DSTM_MAP_A_PSID_OFFSET],
				    "PSID offset needs a PSID length");
		return -EINVAL;
	}
	if (p->psid_offset + p->psid_len > 16) {
		NL_SET_ERR_MSG_ATTR(extack, tb[DSTM_MAP_A_PSID_LEN],
				    "PSID offset plus PSID length exceeds 16 bits");
		return -EINVAL;
	}
	if (p->psid >> p->psid_len) {
		NL_SET_ERR_MSG_ATTR(extack, tb[DSTM_MAP_A_PSID],
				    "PSID does not fit in PSID length bits");
		return -ERANGE;
	}
	return 0;
}

/*
 * Take @priv's lock for a table writer: 0 with the lock held, or -ENODEV
 * (unlocked, with the reason in @extack) once the device is going away,
 * since its uninit no longer waits for the table.
 */
static int dstm_nl_lock_live(struct dstm_dev *priv,
			     struct netlink_ext_ack *extack)
{
	mutex_lock(&priv->lock);
	if (likely(!priv->dead))
		return 0;
	mutex_unlock(&priv->lock);
	NL_SET_ERR_MSG(extack, "device is being removed");
	return -ENODEV;
}

static int dstm_nl_map_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	bool replace = nla_get_flag(info->attrs[DSTM_A_REPLACE]);
	struct dstm_map_params p;
	struct dstm_dev *priv;
	int err;

	err = dstm_nl_map_params(info, &p);
	if (err)
		return err;
	priv = dstm_nl_map_dev(info);
	if (IS_ERR(priv))
		return PTR_ERR(priv);

	err = dstm_nl_lock_live(priv, info->extack);
	if (!err) {
		err = dstm_table_insert(priv, &p, replace, info->extack);
		mutex_unlock(&priv->lock);
	}
	dev_put(priv->dev);
	return err;
}

static int dstm_nl_map_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[DSTM_MAP_A_MAX + 1];
	struct dstm_dev *priv;
	__be32 ipv4;
	u16 psid;
	int err;

	err = dstm_nl_map_key(info, tb, dstm_map_key_policy, &ipv4, &psid);
	if (err)
		return err;
	priv = dstm_nl_map_dev(info);
	if (IS_ERR(priv))
		return PTR_ERR(priv);

	err = dstm_nl_lock_live(priv, info->extack);
	if (!err) {
		err = dstm_table_remove(priv, ipv4, psid, info->extack);
		mutex_unlock(&priv->lock);
	}
	dev_put(priv->dev);
	return err;
}

static int dstm_nl_map_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[DSTM_MAP_A_MAX + 1];
	struct dstm_dev *priv;
	struct sk_buff *msg;
	struct dstm_map *m;
	__be32 ipv4;
	u16 psid;
	int err;

	err = dstm_nl_map_key(info, tb, dstm_map_key_policy, &ipv4, &psid);
	if (err)
		return err;
	priv = dstm_nl_map_dev(info);
	if (IS_ERR(priv))
		return PTR_ERR(priv);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	mutex_lock(&priv->lock);
	m = dstm_table_find(&priv->table, ipv4, psid);
	if (!m) {
		NL_SET_ERR_MSG(info->extack, "no such mapping");
		err = -ENOENT;
	} else {
		err = dstm_map_fill(msg, priv, m, info->snd_portid,
				    info->snd_seq, 0, DSTM_CMD_MAP_GET);
	}
	mutex_unlock(&priv->lock);
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	err = genlmsg_reply(msg, info);
out:
	dev_put(priv->dev);
	return err;
}

/*
 * Dump state in cb->args: [0] 1 once started, [1] and [3] the key (IPv4,
 * PSID) of the next mapping to send, [2] 1 if that key is valid (more to
 * send).  Resuming finds that mapping by its key in O(1), however large the
 * table.  Every message carries the table's generation: if the table
 * changed between two messages, the dump is flagged NLM_F_DUMP_INTR and
 * user space starts over.
 */
static int dstm_nl_map_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct nlattr **attrs = dstm_compat_dump_attrs(cb);
	struct dstm_dev *priv;
	struct dstm_table *t;
	struct dstm_map *m;
	int err = 0;

	if (cb->args[0] && !cb->args[2])
		return 0;	/* done */

	priv = dstm_device_get(sock_net(skb->sk), attrs, cb->extack);
	if (IS_ERR(priv))
		return PTR_ERR(priv);
	if (!cb->args[0] && dstm_nl_mode(priv) != DSTM_MODE_TEP) {
		NL_SET_ERR_MSG(cb->extack,
			       "mappings exist only on a TEP: device is in client mode");
		dev_put(priv->dev);
		return -EOPNOTSUPP;
	}
	t = &priv->table;

	mutex_lock(&priv->lock);
	cb->seq = t->generation ?: 1;
	if (!cb->args[0]) {
		cb->args[0] = 1;
		m = list_first_entry_or_null(&t->list, struct dstm_map, list);
	} else {
		m = dstm_table_find(t, (__force __be32)(u32)cb->args[1],
				    cb->args[3]);
		/* Gone since the last message: generation says so. */
		if (!m)
			goto done;
	}

	for (; m; m = list_is_last(&m->list, &t->list) ? NULL :
			list_next_entry(m, list)) {
		void *hdr = dstm_msg_put(skb, NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 DSTM_CMD_MAP_GET, priv);

		if (hdr) {
			genl_dump_check_consistent(cb, hdr);
			if (!dstm_map_fill_nest(skb, m)) {
				genlmsg_end(skb, hdr);
				continue;
			}
			genlmsg_cancel(skb, hdr);
		}
		/* Message full: resume from this mapping next time. */
		if (!skb->len)
			err = -EMSGSIZE;
		cb->args[1] = (__force u32)m->key.ipv4;
		cb->args[3] = m->key.psid;
		cb->args[2] = 1;
		goto unlock;
	}
done:
	cb->args[2] = 0;
unlock:
	mutex_unlock(&priv->lock);
	dev_put(priv->dev);
	return err ?: skb->len;
}

static int dstm_nl_map_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dstm_dev *priv;

	priv = dstm_nl_map_dev(info);
	if (IS_ERR(priv))
		return PTR_ERR(priv);
	mutex_lock(&priv->lock);
	if (!priv->dead)
		dstm_table_flush(priv);
	mutex_unlock(&priv->lock);
	dev_put(priv->dev);
	return 0;
}

static const struct genl_ops dstm_ops[] = {
	{
		.cmd = DSTM_CMD_DEV_GET,
		.doit = dstm_nl_dev_get_doit,
		.dumpit = dstm_nl_dev_get_dumpit,
		.policy = dstm_dev_policy,
		.maxattr = DSTM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DSTM_CMD_DEV_SET,
		.doit = dstm_nl_dev_set_doit,
		.policy = dstm_set_policy,
		.maxattr = DSTM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DSTM_CMD_MAP_NEW,
		.doit = dstm_nl_map_new_doit,
		.policy = dstm_map_new_top_policy,
		.maxattr = DSTM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DSTM_CMD_MAP_DEL,
		.doit = dstm_nl_map_del_doit,
		.policy = dstm_map_key_top_policy,
		.maxattr = DSTM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DSTM_CMD_MAP_GET,
		.doit = dstm_nl_map_get_doit,
		.dumpit = dstm_nl_map_get_dumpit,
		.policy = dstm_map_key_top_policy,
		.maxattr = DSTM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DSTM_CMD_MAP_FLUSH,
		.doit = dstm_nl_map_flush_doit,
		.policy = dstm_dev_policy,
		.maxattr = DSTM_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family dstm_family __ro_after_init = {
	.name		= DSTM_GENL_NAME,
	.version	= DSTM_GENL_VERSION,
	.maxattr	= DSTM_A_MAX,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= dstm_ops,
	.n_ops		= ARRAY_SIZE(dstm_ops),
	.mcgrps		= dstm_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(dstm_mcgrps),
};

int dstm_genl_init(void)
{
	return genl_register_family(&dstm_family);
}

void dstm_genl_uninit(void)
{
	genl_unregister_family(&dstm_family);
}
