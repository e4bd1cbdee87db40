// SPDX-License-Identifier: LGPL-2.1-or-later
/* DSTM_CMD_DEV_GET and DSTM_CMD_DEV_SET. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static struct nla_policy dev_policy[DSTM_A_MAX + 1] = {
	[DSTM_A_IFINDEX]	= { .type = NLA_U32 },
	[DSTM_A_IFNAME]		= { .type = NLA_STRING, .maxlen = IF_NAMESIZE },
	[DSTM_A_MODE]		= { .type = NLA_U8 },
	[DSTM_A_LOCAL]		= { .minlen = 16 },
	[DSTM_A_TEP]		= { .minlen = 16 },
	[DSTM_A_ADDR]		= { .type = NLA_U32 },
	[DSTM_A_PSID_OFFSET]	= { .type = NLA_U8 },
	[DSTM_A_PSID_LEN]	= { .type = NLA_U8 },
	[DSTM_A_PSID]		= { .type = NLA_U16 },
	[DSTM_A_HOPLIMIT]	= { .type = NLA_U8 },
	[DSTM_A_QUEUE_LEN]	= { .type = NLA_U32 },
	[DSTM_A_QUEUE_TIMEOUT]	= { .type = NLA_U32 },
	[DSTM_A_MAP_COUNT]	= { .type = NLA_U32 },
	[DSTM_A_GENERATION]	= { .type = NLA_U32 },
	[DSTM_A_STATS]		= { .type = NLA_NESTED },
	[DSTM_A_DROPS]		= { .type = NLA_NESTED },
	[DSTM_A_MAP]		= { .type = NLA_NESTED },
	[DSTM_A_DST]		= { .type = NLA_U32 },
	[DSTM_A_FASTPATH]	= { .type = NLA_NESTED },
};

int dstm_parse_attrs(struct nlmsghdr *nlh, struct nlattr **tb)
{
	return genlmsg_parse(nlh, 0, tb, DSTM_A_MAX, dev_policy) < 0 ?
	       -EPROTO : 0;
}

/* A nest of u64 counters into an array indexed by attribute type. */
static int parse_counters(struct nlattr *nest, int max, uint64_t *val,
			  uint32_t *present)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		int type = nla_type(a);

		if (type <= 0 || type > max || nla_len(a) != sizeof(uint64_t))
			continue;	/* padding, or newer than us */
		val[type] = nla_get_u64(a);
		*present |= DSTM_BIT(type);
	}
	return 0;
}

/* The DSTM_A_FASTPATH nest: repeated DSTM_FASTPATH_A_IFINDEX. */
static void parse_fastpath(struct nlattr *nest, struct dstm_device *dev)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != DSTM_FASTPATH_A_IFINDEX ||
		    nla_len(a) != sizeof(uint32_t))
			continue;	/* newer than us */
		if (dev->fastpath_count == DSTM_FASTPATH_MAX_DEVS)
			break;
		dev->fastpath[dev->fastpath_count++] = nla_get_u32(a);
	}
}

int dstm_parse_dev(struct nlmsghdr *nlh, struct dstm_device *dev)
{
	struct nlattr *tb[DSTM_A_MAX + 1];
	int i;

	memset(dev, 0, sizeof(*dev));
	if (dstm_parse_attrs(nlh, tb) < 0)
		return -EPROTO;
	for (i = 1; i <= DSTM_A_MAX; i++)
		if (tb[i])
			dev->present |= DSTM_BIT(i);

	if (tb[DSTM_A_IFINDEX])
		dev->ifindex = nla_get_u32(tb[DSTM_A_IFINDEX]);
	if (tb[DSTM_A_IFNAME])
		nla_strlcpy(dev->ifname, tb[DSTM_A_IFNAME], sizeof(dev->ifname));
	if (tb[DSTM_A_MODE])
		dev->mode = nla_get_u8(tb[DSTM_A_MODE]);
	if (tb[DSTM_A_LOCAL])
		memcpy(&dev->local, nla_data(tb[DSTM_A_LOCAL]), 16);
	if (tb[DSTM_A_TEP])
		memcpy(&dev->tep, nla_data(tb[DSTM_A_TEP]), 16);
	if (tb[DSTM_A_ADDR])
		dev->addr.s_addr = nla_get_u32(tb[DSTM_A_ADDR]);
	if (tb[DSTM_A_PSID_OFFSET])
		dev->psid_offset = nla_get_u8(tb[DSTM_A_PSID_OFFSET]);
	if (tb[DSTM_A_PSID_LEN])
		dev->psid_len = nla_get_u8(tb[DSTM_A_PSID_LEN]);
	if (tb[DSTM_A_PSID])
		dev->psid = nla_get_u16(tb[DSTM_A_PSID]);
	if (tb[DSTM_A_HOPLIMIT])
		dev->hoplimit = nla_get_u8(tb[DSTM_A_HOPLIMIT]);
	if (tb[DSTM_A_QUEUE_LEN])
		dev->queue_len = nla_get_u32(tb[DSTM_A_QUEUE_LEN]);
	if (tb[DSTM_A_QUEUE_TIMEOUT])
		dev->queue_timeout = nla_get_u32(tb[DSTM_A_QUEUE_TIMEOUT]);
	if (tb[DSTM_A_MAP_COUNT])
		dev->map_count = nla_get_u32(tb[DSTM_A_MAP_COUNT]);
	if (tb[DSTM_A_GENERATION])
		dev->generation = nla_get_u32(tb[DSTM_A_GENERATION]);
	if (tb[DSTM_A_FASTPATH])
		parse_fastpath(tb[DSTM_A_FASTPATH], dev);
	if (tb[DSTM_A_STATS])
		parse_counters(tb[DSTM_A_STATS], DSTM_STATS_A_MAX, dev->stats,
			       &dev->stats_present);
	if (tb[DSTM_A_DROPS])
		parse_counters(tb[DSTM_A_DROPS], DSTM_DROP_A_MAX, dev->drops,
			       &dev->drops_present);
	/* Padding is not a counter. */
	dev->stats_present &= ~DSTM_BIT(DSTM_STATS_A_PAD);
	dev->drops_present &= ~DSTM_BIT(DSTM_DROP_A_PAD);
	return 0;
}

static int get_reply(struct dstm_sock *sk, struct nlmsghdr *nlh, void *arg)
{
	(void)sk;
	return dstm_parse_dev(nlh, arg);
}

int dstm_dev_get(struct dstm_sock *sk, const char *ifname,
		 struct dstm_device *dev)
{
	struct nl_msg *msg;

	msg = dstm_msg_new(sk, DSTM_CMD_DEV_GET, NLM_F_ACK, ifname);
	if (!msg)
		return -ENOMEM;
	memset(dev, 0, sizeof(*dev));
	return dstm_transact(sk, msg, get_reply, dev);
}

static int dump_reply(struct dstm_sock *sk, struct nlmsghdr *nlh, void *arg)
{
	struct dstm_device *dev = dstm_dump_slot(arg);
	struct dstm_dump *d = arg;

	(void)sk;
	if (!dev)
		return -ENOMEM;
	if (dstm_parse_dev(nlh, dev) < 0)
		return -EPROTO;
	d->n++;
	return 0;
}

int dstm_dev_dump(struct dstm_sock *sk, dstm_dev_cb cb, void *arg)
{
	struct dstm_dump d = { .elem = sizeof(struct dstm_device) };
	struct dstm_device *dev;
	size_t i;
	int ret;

	ret = dstm_dump_run(sk, DSTM_CMD_DEV_GET, NULL, dump_reply, &d,
			    "the devices");
	for (i = 0, dev = d.rec; !ret && i < d.n; i++)
		ret = cb(&dev[i], arg);
	if (!ret)
		ret = d.n > INT32_MAX ? INT32_MAX : (int)d.n;
	free(d.rec);
	return ret;
}

int dstm_put_fastpath(struct nl_msg *msg, const struct dstm_device *dev)
{
	struct nlattr *nest;
	uint32_t i;
	int ret = 0;

	nest = nla_nest_start(msg, DSTM_A_FASTPATH);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < dev->fastpath_count; i++)
		ret |= nla_put_u32(msg, DSTM_FASTPATH_A_IFINDEX,
				   dev->fastpath[i]);
	if (ret)
		return -EMSGSIZE;
	/* nla_nest_end() would drop an empty nest: the kernel needs it. */
	return nla_nest_end_keep_empty(msg, nest) < 0 ? -EMSGSIZE : 0;
}

int dstm_dev_set(struct dstm_sock *sk, const char *ifname,
		 const struct dstm_device *dev)
{
	uint32_t p = dev->present;
	struct nl_msg *msg;
	int ret = 0;

	if ((p & DSTM_BIT(DSTM_A_FASTPATH)) &&
	    dev->fastpath_count > DSTM_FASTPATH_MAX_DEVS) {
		dstm_clear_err(sk);
		dstm_set_errmsg(sk, "too many fast path devices (at most %d)",
				DSTM_FASTPATH_MAX_DEVS);
		return -EINVAL;
	}
	msg = dstm_msg_new(sk, DSTM_CMD_DEV_SET, NLM_F_ACK, ifname);
	if (!msg)
		return -ENOMEM;
	if (p & DSTM_BIT(DSTM_A_MODE))
		ret |= nla_put_u8(msg, DSTM_A_MODE, dev->mode);
	if (p & DSTM_BIT(DSTM_A_LOCAL))
		ret |= nla_put(msg, DSTM_A_LOCAL, 16, &dev->local);
	if (p & DSTM_BIT(DSTM_A_TEP))
		ret |= nla_put(msg, DSTM_A_TEP, 16, &dev->tep);
	if (p & DSTM_BIT(DSTM_A_ADDR))
		ret |= nla_put_u32(msg, DSTM_A_ADDR, dev->addr.s_addr);
	if (p & DSTM_BIT(DSTM_A_PSID_OFFSET))
		ret |= nla_put_u8(msg, DSTM_A_PSID_OFFSET, dev->psid_offset);
	if (p & DSTM_BIT(DSTM_A_PSID_LEN))
		ret |= nla_put_u8(msg, DSTM_A_PSID_LEN, dev->psid_len);
	if (p & DSTM_BIT(DSTM_A_PSID))
		ret |= nla_put_u16(msg, DSTM_A_PSID, dev->psid);
	if (p & DSTM_BIT(DSTM_A_HOPLIMIT))
		ret |= nla_put_u8(msg, DSTM_A_HOPLIMIT, dev->hoplimit);
	if (p & DSTM_BIT(DSTM_A_QUEUE_LEN))
		ret |= nla_put_u32(msg, DSTM_A_QUEUE_LEN, dev->queue_len);
	if (p & DSTM_BIT(DSTM_A_QUEUE_TIMEOUT))
		ret |= nla_put_u32(msg, DSTM_A_QUEUE_TIMEOUT, dev->queue_timeout);
	if (p & DSTM_BIT(DSTM_A_FASTPATH))
		ret |= dstm_put_fastpath(msg, dev);
	if (ret) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return dstm_transact(sk, msg, NULL, NULL);
}
