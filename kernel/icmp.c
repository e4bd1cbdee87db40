// SPDX-License-Identifier: GPL-2.0
/*
 * ICMPv6 errors about packets a dstm device sent.
 *
 * When the IPv6 network cannot carry a 4over6 packet (too big, host
 * unreachable), the IPv4 sender inside learns nothing unless we tell it:
 * the error is turned into the matching ICMPv4 error for the inner source,
 * as ip6_tunnel does for its ip4ip6 mode.  A packet too big also lowers the
 * underlay route's PMTU, so the next packets meet the new MTU at xmit.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <net/icmp.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>

#include "dstm.h"

/* The device that sent the quoted packet @ip6h (our own outer header). */
static struct dstm_dev *dstm_icmp_find(struct net *net,
				       const struct ipv6hdr *ip6h)
{
	struct dstm_dev *priv;

	list_for_each_entry_rcu(priv, &dstm_pernet(net)->devs, net_list) {
		const struct dstm_cfg *cfg = rcu_dereference(priv->cfg);

		if (cfg->mode == DSTM_MODE_TEP) {
			if (ipv6_addr_equal(&ip6h->saddr, &cfg->local))
				return priv;
		} else if (ipv6_addr_equal(&ip6h->daddr, &cfg->tep) &&
			   (ipv6_addr_any(&cfg->local) ||
			    ipv6_addr_equal(&ip6h->saddr, &cfg->local))) {
			return priv;
		}
	}
	return NULL;
}

/*
 * Send @type/@code about the IPv4 packet quoted at @offset of @skb to its
 * source.  The quoted packet was on its way out through @priv's device, so
 * give the copy the route it took: an output route when we generated it
 * ourselves, otherwise the input route from where it came in.
 */
static void dstm_icmp_relay(struct dstm_dev *priv, struct sk_buff *skb,
			    int offset, u8 type, u8 code, u32 info)
{
	const struct iphdr *eiph;
	struct sk_buff *skb2;
	struct flowi4 fl4;
	struct rtable *rt;

	if (!pskb_may_pull(skb, offset + sizeof(struct iphdr)))
		return;
	skb2 = skb_clone(skb, GFP_ATOMIC);
	if (!skb2)
		return;
	skb_dst_drop(skb2);
	skb_pull(skb2, offset);
	skb_reset_network_header(skb2);
	memset(IPCB(skb2), 0, sizeof(*IPCB(skb2)));
	skb2->protocol = htons(ETH_P_IP);
	eiph = ip_hdr(skb2);
	if (eiph->version != 4 || eiph->ihl < 5)
		goto out;

	rt = ip_route_output_ports(priv->net, &fl4, NULL, eiph->saddr, 0, 0,
				   0, IPPROTO_IPIP, eiph->tos & INET_DSCP_MASK,
				   0);
	if (IS_ERR(rt))
		goto out;
	skb2->dev = rt->dst.dev;
	if (rt->rt_flags & RTCF_LOCAL) {
		ip_rt_put(rt);
		rt = ip_route_output_ports(priv->net, &fl4, NULL, eiph->daddr,
					   eiph->saddr, 0, 0, IPPROTO_IPIP,
					   eiph->tos & INET_DSCP_MASK, 0);
		if (IS_ERR(rt))
			goto out;
		skb_dst_set(skb2, &rt->dst);
	} else {
		ip_rt_put(rt);
		if (dstm_compat_ip_route_input(skb2, eiph->daddr, eiph->saddr,
					       eiph->tos, skb2->dev))
			goto out;
	}
	/* Only for packets that really were routed into this device. */
	if (skb_dst(skb2)->dev != priv->dev)
		goto out;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		if (info > dst_mtu(skb_dst(skb2)))
			goto out;
		skb_dst_update_pmtu_no_confirm(skb2, info);
	}
	icmp_send(skb2, type, code, htonl(info));
out:
	kfree_skb(skb2);
}

int dstm_icmp6_err(struct sk_buff *skb, struct inet6_skb_parm *opt, u8 type,
		   u8 code, int offset, __be32 info)
{
	/* skb->data is at the quoted IPv6 header, ours. */
	const struct ipv6hdr *ip6h = (const struct ipv6hdr *)skb->data;
	struct net *net = dev_net(skb->dev);
	struct dstm_dev *priv;
	u8 rel_type, rel_code;
	u32 rel_info = 0;

	rcu_read_lock();
	priv = dstm_icmp_find(net, ip6h);
	if (!priv) {
		rcu_read_unlock();
		return -ENOENT;
	}

	switch (type) {
	case ICMPV6_PKT_TOOBIG:
		ip6_update_pmtu(skb, net, info, 0, 0,
				sock_net_uid(net, NULL));
		rel_type = ICMP_DEST_UNREACH;
		rel_code = ICMP_FRAG_NEEDED;
		rel_info = max_t(u32, ntohl(info), IPV6_MIN_MTU) -
			   DSTM_ENCAP_HLEN;
		break;
	case ICMPV6_DEST_UNREACH:
		rel_type = ICMP_DEST_UNREACH;
		rel_code = ICMP_HOST_UNREACH;
		break;
	case ICMPV6_TIME_EXCEED:
		/* Reassembly timeouts are the IPv6 network's own business. */
		if (code != ICMPV6_EXC_HOPLIMIT)
			goto out;
		rel_type = ICMP_TIME_EXCEEDED;
		rel_code = ICMP_EXC_TTL;
		break;
	default:
		goto out;
	}
	dstm_icmp_relay(priv, skb, offset, rel_type, rel_code, rel_info);
out:
	rcu_read_unlock();
	return 0;
}
