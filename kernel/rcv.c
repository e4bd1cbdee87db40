// SPDX-License-Identifier: GPL-2.0
/*
 * Receive: 4over6 packets (IPv6 next header 4) for a dstm device.
 *
 * We register with the IPv6 tunnel demultiplexer (tunnel6) for IPv4
 * payloads at a priority ahead of ip6_tunnel.  A packet that no dstm device
 * claims is handed on untouched, so both drivers live side by side.  A
 * claimed packet is decapsulated only if the anti-spoofing rules of its
 * device's mode accept it; otherwise it is dropped and counted by reason.
 */

#include <linux/icmp.h>
#include <linux/ip.h>
#include <net/inet_ecn.h>
#include <net/ipv6.h>
#include <net/xfrm.h>

#include "dstm.h"

/* ip6_tunnel registers at 1 and xfrm6_tunnel at 3. */
#define DSTM_TUNNEL6_PRIORITY	0

/*
 * The port that decides the port set of the IPv4 packet at @nhoff from
 * skb->data: the source port (@src) or the destination port.  ICMP queries
 * use their identifier; an ICMP error is judged by the packet it quotes,
 * whose ports are seen from the other side.
 * Returns 0, -ENOENT (no port: non-first fragment), -EPROTONOSUPPORT (no
 * port in this protocol) or -EINVAL (truncated).
 */
int dstm_inner_port(struct sk_buff *skb, unsigned int nhoff, bool src,
		    u16 *port)
{
	const struct icmphdr *icmph;
	const struct iphdr *iph;
	unsigned int thoff;
	bool quoted = false;
	__be16 *ports;

again:
	iph = (const struct iphdr *)(skb->data + nhoff);
	if (iph->frag_off & htons(IP_OFFSET))
		return -ENOENT;
	thoff = nhoff + iph->ihl * 4;

	if (dstm_proto_has_ports(iph->protocol)) {
		if (!pskb_may_pull(skb, thoff + 2 * sizeof(__be16)))
			return -EINVAL;
		ports = (__be16 *)(skb->data + thoff);
		*port = ntohs(ports[src ? 0 : 1]);
		return 0;
	}
	switch (iph->protocol) {
	case IPPROTO_ICMP:
		if (!pskb_may_pull(skb, thoff + sizeof(*icmph)))
			return -EINVAL;
		icmph = (const struct icmphdr *)(skb->data + thoff);
		switch (icmph->type) {
		case ICMP_ECHO:
		case ICMP_ECHOREPLY:
		case ICMP_TIMESTAMP:
		case ICMP_TIMESTAMPREPLY:
			*port = ntohs(icmph->un.echo.id);
			return 0;
		case ICMP_DEST_UNREACH:
		case ICMP_TIME_EXCEEDED:
		case ICMP_PARAMETERPROB:
			/* Follow one quoted header, never an error in one. */
			if (quoted)
				return -EPROTONOSUPPORT;
			nhoff = thoff + sizeof(*icmph);
			if (!pskb_may_pull(skb, nhoff + sizeof(struct iphdr)))
				return -EINVAL;
			iph = (const struct iphdr *)(skb->data + nhoff);
			if (iph->version != 4 || iph->ihl < 5 ||
			    !pskb_may_pull(skb, nhoff + iph->ihl * 4))
				return -EINVAL;
			quoted = true;
			src = !src;
			goto again;
		default:
			return -EPROTONOSUPPORT;
		}
	default:
		return -EPROTONOSUPPORT;
	}
}

/*
 * The running device that @ip6h is meant for, and its configuration.  A
 * TEP owns packets sent to its local address; a client owns packets from
 * its TEP (to its local address, if it has one set), and, to count them,
 * packets from anyone else to its own local address.
 */
static struct dstm_dev *dstm_rcv_find(struct net *net,
				      const struct ipv6hdr *ip6h,
				      struct dstm_cfg **cfgp)
{
	struct dstm_dev *priv;
	struct dstm_cfg *cfg;

	list_for_each_entry_rcu(priv, &dstm_pernet(net)->devs, net_list) {
		if (!(READ_ONCE(priv->dev->flags) & IFF_UP))
			continue;
		cfg = rcu_dereference(priv->cfg);
		if (cfg->mode == DSTM_MODE_TEP) {
			if (!ipv6_addr_equal(&ip6h->daddr, &cfg->local))
				continue;
		} else if (ipv6_addr_equal(&ip6h->saddr, &cfg->tep)) {
			if (!ipv6_addr_any(&cfg->local) &&
			    !ipv6_addr_equal(&ip6h->daddr, &cfg->local))
				continue;
		} else if (ipv6_addr_any(&cfg->local) ||
			   !ipv6_addr_equal(&ip6h->daddr, &cfg->local)) {
			continue;
		}
		*cfgp = cfg;
		return priv;
	}
	return NULL;
}

static void dstm_rcv_drop(struct dstm_dev *priv, struct sk_buff *skb,
			  enum dstm_drop_reason reason)
{
	dstm_drop_count(priv, reason);
	dev_core_stats_rx_dropped_inc(priv->dev);
	kfree_skb(skb);
}

/* Anti-spoofing for a TEP: the inner source must be mapped to the sender. */
static struct dstm_map *dstm_rcv_check_tep(struct dstm_dev *priv,
					   struct sk_buff *skb,
					   const struct in6_addr *outer_src,
					   enum dstm_drop_reason *why)
{
	struct dstm_map *m;
	u16 port;
	int err;

	err = dstm_inner_port(skb, 0, true, &port);
	if (err == -EINVAL) {
		*why = DSTM_DROP_MALFORMED;
		return NULL;
	}
	m = dstm_table_lookup(&priv->table, ip_hdr(skb)->saddr,
			      err ? NULL : &port, why);
	if (m && likely(ipv6_addr_equal(&m->ipv6, outer_src)))
		return m;
	/* Unmapped or mapped to someone else: either way not the sender's. */
	if (m || *why == DSTM_DROP_NO_MAPPING)
		*why = DSTM_DROP_SPOOFED;
	return NULL;
}

/* A client accepts only its own address and, if shared, its own ports. */
static bool dstm_rcv_check_client(const struct dstm_cfg *cfg,
				  struct sk_buff *skb,
				  enum dstm_drop_reason *why)
{
	u16 port, psid;
	int err;

	*why = DSTM_DROP_NOT_OURS;
	if (ip_hdr(skb)->daddr != cfg->addr || !cfg->addr)
		return false;
	if (!cfg->psid_len)
		return true;
	err = dstm_inner_port(skb, 0, false, &port);
	if (err) {
		if (err == -EINVAL)
			*why = DSTM_DROP_MALFORMED;
		else if (err == -ENOENT)
			*why = DSTM_DROP_FRAGMENT;
		return false;
	}
	return dstm_port_to_psid(cfg->psid_offset, cfg->psid_len, port,
				 &psid) && psid == cfg->psid;
}

/*
 * Decapsulate @skb, a 4over6 packet for @priv whose network header is the
 * outer IPv6 one and whose data starts at the inner IPv4 header, if the
 * rules of the device's mode accept it; count it.  Returns false if the
 * packet was dropped (and counted by reason).  Shared by the normal
 * receive path and the fast path, so both judge a packet alike.
 */
bool dstm_rcv_decap(struct dstm_dev *priv, const struct dstm_cfg *cfg,
		    struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct in6_addr outer_src = ip6h->saddr;
	u8 outer_ds = ipv6_get_dsfield(ip6h);
	enum dstm_drop_reason why;
	struct dstm_map *m = NULL;
	const struct iphdr *iph;
	unsigned int len;
	int err;

	if (cfg->mode == DSTM_MODE_CLIENT &&
	    !ipv6_addr_equal(&outer_src, &cfg->tep)) {
		why = DSTM_DROP_WRONG_TEP;
		goto drop;
	}
	if (!xfrm6_policy_check(NULL, XFRM_POLICY_IN, skb)) {
		why = DSTM_DROP_NOT_OURS;
		goto drop;
	}

	why = DSTM_DROP_MALFORMED;
	if (!pskb_may_pull(skb, sizeof(struct iphdr)))
		goto drop;
	iph = (const struct iphdr *)skb->data;
	if (iph->version != 4 || iph->ihl < 5 ||
	    !pskb_may_pull(skb, iph->ihl * 4))
		goto drop;
	iph = (const struct iphdr *)skb->data;
	if (ntohs(iph->tot_len) < iph->ihl * 4 ||
	    ntohs(iph->tot_len) > skb->len)
		goto drop;

	skb_reset_network_header(skb);
	if (cfg->mode == DSTM_MODE_TEP) {
		m = dstm_rcv_check_tep(priv, skb, &outer_src, &why);
		if (!m)
			goto drop;
	} else if (!dstm_rcv_check_client(cfg, skb, &why)) {
		goto drop;
	}

	skb->protocol = htons(ETH_P_IP);
	skb_reset_mac_header(skb);
	memset(skb->cb, 0, sizeof(struct inet6_skb_parm));
	__skb_tunnel_rx(skb, priv->dev, priv->net);

	err = INET_ECN_decapsulate(skb, outer_ds, ip_hdr(skb)->tos);
	if (unlikely(err > 1)) {
		/* RFC 6040: CE outside a not-ECT packet cannot be kept. */
		why = DSTM_DROP_MALFORMED;
		goto drop;
	}
	skb_scrub_packet(skb, false);

	len = skb->len;
	if (m) {
		atomic64_inc(&m->rx_packets);
		atomic64_add(len, &m->rx_bytes);
		dstm_map_touch(m);
	}
	dev_sw_netstats_rx_add(priv->dev, len);
	return true;

drop:
	dstm_rcv_drop(priv, skb, why);
	return false;
}

static int dstm_rcv(struct sk_buff *skb)
{
	struct dstm_dev *priv;
	struct dstm_cfg *cfg;

	rcu_read_lock();
	priv = dstm_rcv_find(dev_net(skb->dev), ipv6_hdr(skb), &cfg);
	if (!priv) {
		rcu_read_unlock();
		return -1;	/* not ours: let ip6_tunnel have a look */
	}
	if (dstm_rcv_decap(priv, cfg, skb))
		gro_cells_receive(&priv->gro_cells, skb);
	rcu_read_unlock();
	return 0;
}

static struct xfrm6_tunnel dstm_tunnel6 __read_mostly = {
	.handler	= dstm_rcv,
	.err_handler	= dstm_icmp6_err,
	.priority	= DSTM_TUNNEL6_PRIORITY,
};

int dstm_rcv_init(void)
{
	return xfrm6_tunnel_register(&dstm_tunnel6, AF_INET);
}

void dstm_rcv_uninit(void)
{
	xfrm6_tunnel_deregister(&dstm_tunnel6, AF_INET);
}
