// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit: IPv4 packets routed to a dstm device leave inside IPv6.
 *
 * A client sends everything to its TEP over one cached route.  A TEP finds
 * the client by the mapping for (destination, PSID of the destination port)
 * and sends over the route cached in the mapping: a route lookup per
 * packet (what ip6_tunnel does in external mode) costs more than the rest
 * of the encapsulation.
 */

#include <linux/icmp.h>
#include <linux/jhash.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/icmp.h>
#include <net/inet_ecn.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/ip6_tunnel.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>

#include "dstm.h"

static void dstm_xmit_drop(struct dstm_dev *priv, struct sk_buff *skb,
			   enum dstm_drop_reason reason)
{
	dstm_drop_count(priv, reason);
	DEV_STATS_INC(priv->dev, tx_dropped);
	kfree_skb(skb);
}

/*
 * Drop with an ICMP destination unreachable for the sender.  Count first:
 * the sender the error wakes up may read the counters at once.
 */
static void dstm_xmit_reject(struct dstm_dev *priv, struct sk_buff *skb,
			     enum dstm_drop_reason reason, u8 code, u32 info)
{
	dstm_drop_count(priv, reason);
	DEV_STATS_INC(priv->dev, tx_dropped);
	icmp_ndo_send(skb, ICMP_DEST_UNREACH, code, htonl(info));
	kfree_skb(skb);
}

/*
 * The flow label follows the inner flow (RFC 6438), so ECMP and RSS on the
 * underlay keep each inner flow on one path.  A hash the skb already has
 * (a NIC's RSS hash, a socket's txhash) is one of the inner flow; else
 * hash the inner addresses, protocol and ports (no ports in fragments, so
 * all of a datagram's fragments hash alike) with the device's seed, much
 * cheaper than running the flow dissector.  ip6_make_flowlabel() then
 * applies the namespace's flow label sysctls to skb->hash.
 */
static void dstm_flow_hash(const struct dstm_dev *priv, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	const __be32 *ports;
	__be32 buf;
	u32 l4 = 0;

	if (skb->l4_hash || skb->sw_hash)
		return;
	if (!(iph->frag_off & htons(IP_MF | IP_OFFSET)) &&
	    dstm_proto_has_ports(iph->protocol)) {
		ports = skb_header_pointer(skb, skb_network_offset(skb) +
					   iph->ihl * 4, sizeof(buf), &buf);
		if (ports)
			l4 = (__force u32)*ports;
	}
	__skb_set_sw_hash(skb, jhash_3words((__force u32)iph->saddr,
					    (__force u32)iph->daddr,
					    l4 ^ iph->protocol, priv->hash_seed),
			  l4 != 0);
}

/*
 * Ask the layers above for the headroom the underlay needs, so that the
 * next packets arrive with room for our header (local output allocates
 * it; forwarding makes it).  Only ever grows, up to a bound that keeps
 * skb header offsets in range, as ip_tunnel_adj_headroom() does.
 */
static void dstm_adj_headroom(struct net_device *dev, unsigned int headroom)
{
	headroom = min(headroom, 512U);
	if (unlikely(headroom > READ_ONCE(dev->needed_headroom)))
		WRITE_ONCE(dev->needed_headroom, headroom);
}

/*
 * Put the IPv6 header on @skb and send it over @dst.  With @noref, @dst is
 * a cached route that stays valid until the caller's rcu_read_unlock()
 * (the skb gets it without a reference, as TCP does with a socket's cached
 * route; whoever holds the skb longer takes one with skb_dst_force());
 * otherwise we take over the caller's reference.  Returns the inner bytes
 * sent (for the mapping's counters) or 0 if the packet was dropped.
 */
static unsigned int dstm_encap(struct dstm_dev *priv,
			       const struct dstm_cfg *cfg, struct sk_buff *skb,
			       struct dst_entry *dst, bool noref,
			       struct flowi6 *fl6)
{
	struct net_device *dev = priv->dev;
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int headroom, len;
	enum dstm_drop_reason why;
	struct ipv6hdr *ip6h;
	bool ignore_df = false;
	u8 dsfield;
	int mtu;

	if (unlikely(dst->dev == dev)) {
		/* The route to the TEP points back into the tunnel. */
		net_warn_ratelimited("%s: routing loop to %pI6c\n", dev->name,
				     &fl6->daddr);
		DEV_STATS_INC(dev, collisions);
		why = DSTM_DROP_NO_ROUTE;
		goto err_drop;
	}

	mtu = max_t(int, dst_mtu(dst) - DSTM_ENCAP_HLEN, IPV4_MIN_MTU);
	/* Let the IPv4 route (and local sockets) learn the tunnel's PMTU, if
	 * it is news to them: told the MTU it already has, IPv4 would make
	 * (and keep refreshing) a next-hop exception for every destination.
	 */
	if (skb_dst(skb) && mtu < dst_mtu(skb_dst(skb)))
		skb_dst_update_pmtu_no_confirm(skb, mtu);
	if (skb->len > mtu &&
	    (!skb_is_gso(skb) || !skb_gso_validate_network_len(skb, mtu))) {
		if (iph->frag_off & htons(IP_DF)) {
			if (!noref)
				dst_release(dst);
			dstm_xmit_reject(priv, skb, DSTM_DROP_TOO_BIG,
					 ICMP_FRAG_NEEDED, mtu);
			return 0;
		}
		/* RFC 2473 section 7.1: fragment the outer IPv6 packet. */
		ignore_df = true;
	}

	/* Before the outer header hides the inner flow. */
	dstm_flow_hash(priv, skb);
	/* Copy DSCP; ECN per RFC 6040's normal mode. */
	dsfield = INET_ECN_encapsulate(ipv4_get_dsfield(iph),
				       ipv4_get_dsfield(iph));

	why = DSTM_DROP_MALFORMED;
	if (iptunnel_handle_offloads(skb, SKB_GSO_IPXIP6))
		goto err_drop;
	skb_set_inner_ipproto(skb, IPPROTO_IPIP);

	skb_scrub_packet(skb, false);
	headroom = LL_RESERVED_SPACE(dst->dev) + dst->header_len +
		   DSTM_ENCAP_HLEN;
	dstm_adj_headroom(dev, headroom);
	if (skb_cow_head(skb, headroom))
		goto err_drop;
	if (!noref) {
		skb_dst_set(skb, dst);
	} else if (!ignore_df) {
		skb_dst_set_noref(skb, dst);
	} else {
		/* ip6_fragment() clones the route into each fragment: it
		 * needs one we hold, not one a racing packet may be
		 * replacing in the mapping.
		 */
		why = DSTM_DROP_NO_ROUTE;
		if (!dst_hold_safe(dst))
			goto err_drop;
		skb_dst_set(skb, dst);
	}
	skb->ignore_df = ignore_df;

	/* Count what the IPv4 world sees, as the device's tstats do. */
	len = skb->len;
	skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, dsfield,
		     ip6_make_flowlabel(priv->net, skb, 0, true, fl6));
	ip6h->nexthdr = IPPROTO_IPIP;
	ip6h->hop_limit = cfg->hoplimit;
	ip6h->saddr = fl6->saddr;
	ip6h->daddr = fl6->daddr;

	ip6tunnel_xmit(NULL, skb, dev);
	return len;

err_drop:
	if (!noref)
		dst_release(dst);
	dstm_xmit_drop(priv, skb, why);
	return 0;
}

/*
 * A packet sent before the host had an IPv4 address leaves from 0.0.0.0:
 * typically the very packet that asked for the address, held in the
 * queue.  Give it the address now, or the TEP would rightly drop it as
 * spoofed and the first packet would be lost.  Replies find sockets bound
 * to INADDR_ANY (ping, UDP).
 */
static int dstm_xmit_fix_source(struct sk_buff *skb, __be32 addr)
{
	unsigned int thoff = ip_hdr(skb)->ihl * 4;
	struct iphdr *iph;
	struct udphdr *uh;
	struct tcphdr *th;

	if (skb_ensure_writable(skb, thoff))
		return -ENOMEM;
	if (!(ip_hdr(skb)->frag_off & htons(IP_OFFSET))) {
		switch (ip_hdr(skb)->protocol) {
		case IPPROTO_TCP:
			if (skb_ensure_writable(skb, thoff + sizeof(*th)))
				return -EINVAL;
			th = (struct tcphdr *)(skb->data + thoff);
			inet_proto_csum_replace4(&th->check, skb, 0, addr, true);
			break;
		case IPPROTO_UDP:
			if (skb_ensure_writable(skb, thoff + sizeof(*uh)))
				return -EINVAL;
			uh = (struct udphdr *)(skb->data + thoff);
			/* UDP over IPv4 may go without a checksum (zero). */
			if (!uh->check && skb->ip_summed != CHECKSUM_PARTIAL)
				break;
			inet_proto_csum_replace4(&uh->check, skb, 0, addr, true);
			if (!uh->check)
				uh->check = CSUM_MANGLED_0;
			break;
		}
	}
	iph = ip_hdr(skb);
	csum_replace4(&iph->check, iph->saddr, addr);
	iph->saddr = addr;
	return 0;
}

/* Client mode, with an address: everything goes to the TEP. */
void dstm_xmit_client(struct dstm_dev *priv, struct dstm_cfg *cfg,
		      struct sk_buff *skb)
{
	struct flowi6 fl6 = {
		.flowi6_proto = IPPROTO_IPIP,
		.daddr = cfg->tep,
	};
	struct dst_entry *dst;

	if (unlikely(ipv6_addr_any(&cfg->tep))) {
		dstm_xmit_drop(priv, skb, DSTM_DROP_NO_CONFIG);
		return;
	}
	if (unlikely(!ip_hdr(skb)->saddr) &&
	    dstm_xmit_fix_source(skb, cfg->addr)) {
		dstm_xmit_drop(priv, skb, DSTM_DROP_MALFORMED);
		return;
	}

	dst = dst_cache_get_ip6(&cfg->dst_cache,
				&fl6.saddr);
	if (unlikely(!dst)) {
		fl6.saddr = cfg->local;
		dst = ip6_dst_lookup_flow(priv->net, NULL, &fl6, NULL);
		if (IS_ERR(dst)) {
			dstm_xmit_reject(priv, skb, DSTM_DROP_NO_ROUTE,
					 ICMP_HOST_UNREACH, 0);
			return;
		}
		dst_cache_set_ip6(&cfg->dst_cache, dst,
				  &fl6.saddr);
	}
	dstm_encap(priv, cfg, skb, dst, false, &fl6);
}

/*
 * The route to mapping @m's client, valid until rcu_read_unlock(), or an
 * ERR_PTR.  The first packet looks it up and caches it in the mapping (a
 * dst_cache per mapping would cost per-CPU memory times a million); later
 * ones check it as a socket checks its cached route: the cookie catches
 * routing changes and PMTU exceptions, dst_check() dead routes, the
 * generation a change of our own source address.  Racing packets may each
 * install a route: the last one stays, none leaks, and a reader still
 * using a replaced one is safe since routes are freed only after a grace
 * period.  Not taking a reference per packet keeps the route's cache line
 * clean when many CPUs send to the same client.
 */
static struct dst_entry *dstm_map_route(struct dstm_dev *priv,
					const struct dstm_cfg *cfg,
					struct dstm_map *m, struct flowi6 *fl6)
{
	struct dst_entry *dst, *old;

	dst = rcu_dereference(m->dst);
	if (likely(dst && READ_ONCE(m->dst_gen) == cfg->gen)) {
		dst = dst_check(dst, READ_ONCE(m->dst_cookie));
		if (likely(dst))
			return dst;
	}

	dst = ip6_dst_lookup_flow(priv->net, NULL, fl6, NULL);
	if (IS_ERR(dst))
		return dst;
	WRITE_ONCE(m->dst_cookie, rt6_get_cookie((struct rt6_info *)dst));
	WRITE_ONCE(m->dst_gen, cfg->gen);
	/* Our reference goes to the mapping. */
	old = unrcu_pointer(xchg(&m->dst, RCU_INITIALIZER(dst)));
	dst_release(old);
	return dst;
}

/*
 * Send @skb to mapping @m's client over @dst (from dstm_map_route(), so
 * without a reference) and count it in the mapping.
 */
static void dstm_xmit_map(struct dstm_dev *priv, const struct dstm_cfg *cfg,
			  struct sk_buff *skb, struct dstm_map *m,
			  struct dst_entry *dst, struct flowi6 *fl6)
{
	unsigned int len;

	len = dstm_encap(priv, cfg, skb, dst, true, fl6);
	if (likely(len)) {
		atomic64_inc(&m->tx_packets);
		atomic64_add(len, &m->tx_bytes);
		dstm_map_touch(m);
	}
}

/* TEP mode: the mapping of the destination names the client. */
static void dstm_xmit_tep(struct dstm_dev *priv, const struct dstm_cfg *cfg,
			  struct sk_buff *skb)
{
	struct flowi6 fl6 = {
		.flowi6_proto = IPPROTO_IPIP,
		.saddr = cfg->local,
	};
	enum dstm_drop_reason why;
	struct dst_entry *dst;
	struct dstm_map *m;
	u16 port;
	int err;

	if (unlikely(ipv6_addr_any(&cfg->local))) {
		dstm_xmit_drop(priv, skb, DSTM_DROP_NO_CONFIG);
		return;
	}

	err = dstm_inner_port(skb, 0, false, &port);
	if (unlikely(err == -EINVAL)) {
		dstm_xmit_drop(priv, skb, DSTM_DROP_MALFORMED);
		return;
	}
	m = dstm_table_lookup(&priv->table, ip_hdr(skb)->daddr,
			      err ? NULL : &port, &why);
	if (unlikely(!m)) {
		/* Portless protocols have no port set to be sent to. */
		if (why == DSTM_DROP_FRAGMENT && err != -ENOENT)
			why = DSTM_DROP_NO_MAPPING;
		dstm_xmit_reject(priv, skb, why, ICMP_HOST_UNREACH, 0);
		return;
	}

	fl6.daddr = m->ipv6;
	dst = dstm_map_route(priv, cfg, m, &fl6);
	if (IS_ERR(dst)) {
		dstm_xmit_reject(priv, skb, DSTM_DROP_NO_ROUTE,
				 ICMP_HOST_UNREACH, 0);
		return;
	}
	dstm_xmit_map(priv, cfg, skb, m, dst, &fl6);
}

/*
 * The fast path's encapsulation (fastpath.c): forward @skb, an IPv4 packet
 * just received for mapping @m, straight into the tunnel, doing what
 * ip_forward() would have done to it on the way.  Returns false, with
 * @skb untouched, for a packet that needs more than that: one that does
 * not fit the tunnel (the normal path sends the ICMP error or fragments)
 * or whose client has no route (the normal path reports it).
 */
bool dstm_xmit_fast(struct dstm_dev *priv, const struct dstm_cfg *cfg,
		    struct sk_buff *skb, struct dstm_map *m)
{
	struct flowi6 fl6 = {
		.flowi6_proto = IPPROTO_IPIP,
		.saddr = cfg->local,
		.daddr = m->ipv6,
	};
	struct dst_entry *dst;
	unsigned int mtu;

	if (unlikely(ipv6_addr_any(&cfg->local)))
		return false;
	dst = dstm_map_route(priv, cfg, m, &fl6);
	if (IS_ERR(dst) || dst->dev == priv->dev)
		return false;
	/* The IPv4 route into the tunnel has the device's MTU. */
	mtu = min_t(int, READ_ONCE(priv->dev->mtu),
		    dst_mtu(dst) - DSTM_ENCAP_HLEN);
	if (skb->len > mtu &&
	    (!skb_is_gso(skb) || !skb_gso_validate_network_len(skb, mtu)))
		return false;
	/* A header shared with a clone (a packet socket's) is copied. */
	if (skb_ensure_writable(skb, sizeof(struct iphdr)))
		return false;
	/* As IPv4 input would: over a veth the skb is still the sender's. */
	skb_orphan(skb);

	ip_decrease_ttl(ip_hdr(skb));
	/* A receive timestamp is not a departure time for the qdiscs. */
	skb_clear_tstamp(skb);
	dstm_xmit_map(priv, cfg, skb, m, dst, &fl6);
	return true;
}

netdev_tx_t dstm_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct dstm_dev *priv = netdev_priv(dev);
	struct dstm_cfg *cfg;

	if (unlikely(skb->protocol != htons(ETH_P_IP))) {
		dstm_xmit_drop(priv, skb, DSTM_DROP_NOT_IPV4);
		return NETDEV_TX_OK;
	}
	if (unlikely(!pskb_network_may_pull(skb, sizeof(struct iphdr)) ||
		     ip_hdr(skb)->ihl < 5 ||
		     !pskb_network_may_pull(skb, ip_hdr(skb)->ihl * 4))) {
		dstm_xmit_drop(priv, skb, DSTM_DROP_MALFORMED);
		return NETDEV_TX_OK;
	}

	rcu_read_lock();
	cfg = rcu_dereference(priv->cfg);
	if (cfg->mode == DSTM_MODE_TEP)
		dstm_xmit_tep(priv, cfg, skb);
	else if (likely(cfg->addr))
		dstm_xmit_client(priv, cfg, skb);
	else
		dstm_queue_skb(priv, cfg, skb);
	rcu_read_unlock();
	return NETDEV_TX_OK;
}
