/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels dstm supports, keyed on DSTM_HAVE_* flags
 * that compat.sh derives from the target kernel's headers at build time.
 */
#ifndef _DSTM_COMPAT_H
#define _DSTM_COMPAT_H

#include <linux/netdevice.h>
#include <net/addrconf.h>
#include <net/genetlink.h>
#include <net/route.h>
#ifdef DSTM_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

#ifndef DSTM_HAVE_PCPU_STAT_TYPE
#error "dstm needs core-allocated per-CPU tunnel stats (NETDEV_PCPU_STAT_TSTATS)"
#endif

static inline void dstm_compat_set_lltx(struct net_device *dev)
{
#ifdef DSTM_HAVE_DEV_LLTX
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

static inline void dstm_compat_set_netns_local(struct net_device *dev)
{
#ifdef DSTM_HAVE_DEV_NETNS_LOCAL
	dev->netns_local = true;
#else
	dev->features |= NETIF_F_NETNS_LOCAL;
#endif
}

/*
 * A dstm device carries only IPv4: IPv6 must not give it a link-local
 * address and send router solicitations into it.  Called from setup and
 * again from ndo_open, before addrconf sees NETDEV_UP.
 */
static inline void dstm_compat_no_addrconf(struct net_device *dev)
{
#ifdef DSTM_HAVE_IFF_NO_ADDRCONF
	dev->priv_flags |= IFF_NO_ADDRCONF;
#else
	struct inet6_dev *idev = __in6_dev_get(dev);

	if (idev)
		idev->cnf.addr_gen_mode = IN6_ADDR_GEN_MODE_NONE;
#endif
}

/* The parsed request attributes of a dump. */
static inline struct nlattr **dstm_compat_dump_attrs(struct netlink_callback *cb)
{
#ifdef DSTM_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

static inline int dstm_compat_ip_route_input(struct sk_buff *skb, __be32 dst,
					     __be32 src, u8 tos,
					     struct net_device *dev)
{
#ifdef DSTM_HAVE_ROUTE_INPUT_DSCP
	return ip_route_input(skb, dst, src, inet_dsfield_to_dscp(tos), dev);
#else
	return ip_route_input(skb, dst, src, tos & INET_DSCP_MASK, dev);
#endif
}

#endif /* _DSTM_COMPAT_H */
