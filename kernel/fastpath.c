// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path: a TEP's packets taken at the ingress of the devices the
 * operator lists, before the network stack proper sees them.
 *
 * Through the normal path a TEP's packet crosses the stack twice.  An
 * IPv4 packet for a client is received, routed and forwarded by IPv4 into
 * the dstm device, whose transmit encapsulates it and sends it by IPv6;
 * a 4over6 packet from a client is received and delivered locally by
 * IPv6, decapsulated, queued, and received again by IPv4 to be routed and
 * forwarded.  A router forwards a packet in one pass, and that second
 * pass is most of what a TEP costs above it.
 *
 * A netfilter ingress hook on each listed device (the way netfilter's
 * flowtable short-cuts established flows) takes the packets that need
 * nothing of the pass it skips: an IPv4 packet for a mapped address and
 * port set, with no options and room in the tunnel, is forwarded straight
 * into the tunnel (the mapping decides where it goes, as the route into
 * the device would have); a 4over6 packet for the TEP's address is
 * decapsulated at once, checked against the mapping table as always, and
 * routed and forwarded by IPv4 from there.  Anything else, including
 * every packet that needs an ICMP error, goes the normal way.  What is
 * skipped is documented in Documentation/fastpath.md: chiefly netfilter's
 * hooks of the pass that does not happen.
 */

#include <linux/if_vlan.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/route.h>

#include "dstm.h"

/*
 * After the operator's own ingress filters, which nftables registers at
 * priority 0 by default: what they drop never reaches us.
 */
#define DSTM_FASTPATH_PRIORITY	100

struct dstm_fastpath {
	struct list_head list;		/* in dstm_dev.fastpaths */
	struct net_device *dev;		/* held while hooked */
	int ifindex;			/* for readers that race a removal */
	struct nf_hook_ops ops;
	struct rcu_head rcu;
};

/* An IPv4 packet for a mapped destination goes into the tunnel at once. */
static bool dstm_fastpath_encap(struct dstm_dev *priv,
				const struct dstm_cfg *cfg,
				struct sk_buff *skb)
{
	enum dstm_drop_reason why;
	const struct iphdr *iph;
	struct in_device *in_dev;
	struct dstm_map *m;
	u16 port;
	int err;

	if (!pskb_may_pull(skb, sizeof(*iph)))
		return false;
	iph = ip_hdr(skb);
	/* What ip_rcv() would reject, options, and packets whose TTL runs
	 * out here go the normal way, which deals with each of them.
	 */
	if (iph->ihl != 5 || iph->version != 4 || iph->ttl <= 1 ||
	    ntohs(iph->tot_len) < sizeof(*iph) ||
	    ntohs(iph->tot_len) > skb->len ||
	    ip_fast_csum((const u8 *)iph, iph->ihl))
		return false;
	in_dev = __in_dev_get_rcu(skb->dev);
	if (!in_dev || !IN_DEV_FORWARD(in_dev))
		return false;

	err = dstm_inner_port(skb, 0, false, &port);
	if (err == -EINVAL)
		return false;
	m = dstm_table_lookup(&priv->table, ip_hdr(skb)->daddr,
			      err ? NULL : &port, &why);
	if (!m)
		return false;

	/* Ethernet pads short frames; IPv4 would trim them too. */
	if (pskb_trim_rcsum(skb, ntohs(ip_hdr(skb)->tot_len)))
		return false;
	skb_set_transport_header(skb, sizeof(*iph));
	if (!dstm_xmit_fast(priv, cfg, skb, m))
		return false;
	this_cpu_inc(priv->pstats->fast_tx);
	return true;
}

/*
 * Route and forward a decapsulated packet as ip_rcv() would, without
 * queueing it for a second pass through the receive path.  A packet that
 * is not a plain forward (one for this host, with options, or without a
 * route) takes that pass after all, to be dealt with there.
 */
static void dstm_fastpath_forward(struct dstm_dev *priv, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (iph->ihl != 5 || ip_fast_csum((const u8 *)iph, iph->ihl) ||
	    pskb_trim_rcsum(skb, ntohs(iph->tot_len)))
		goto slow;
	iph = ip_hdr(skb);
	skb_set_transport_header(skb, sizeof(*iph));
	memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
	/* Received on the tunnel, as after the second pass. */
	skb->skb_iif = priv->dev->ifindex;
	IPCB(skb)->iif = skb->skb_iif;

	if (ip_route_input_noref(skb, iph->daddr, iph->saddr, iph->tos,
				 priv->dev))
		goto slow;
	if (skb_rtable(skb)->rt_type != RTN_UNICAST) {
		skb_dst_drop(skb);
		goto slow;
	}
	this_cpu_inc(priv->pstats->fast_rx);
	dst_input(skb);
	return;

slow:
	gro_cells_receive(&priv->gro_cells, skb);
}

/* A 4over6 packet for the TEP's address is decapsulated at once. */
static bool dstm_fastpath_decap(struct dstm_dev *priv,
				const struct dstm_cfg *cfg,
				struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h;
	struct inet6_dev *idev;
	unsigned int plen;

	/* Receive offload merged it: the normal path knows how to split. */
	if (skb_is_gso(skb) || !pskb_may_pull(skb, sizeof(*ip6h)))
		return false;
	ip6h = ipv6_hdr(skb);
	if (ip6h->version != 6 || ip6h->nexthdr != IPPROTO_IPIP ||
	    !ipv6_addr_equal(&ip6h->daddr, &cfg->local))
		return false;
	plen = ntohs(ip6h->payload_len);
	/* Jumbograms, truncated packets, sources ip6_rcv() refuses. */
	if (!plen || plen + sizeof(*ip6h) > skb->len ||
	    ipv6_addr_is_multicast(&ip6h->saddr) ||
	    ipv6_addr_loopback(&ip6h->saddr))
		return false;
	idev = __in6_dev_get(skb->dev);
	if (!idev || READ_ONCE(idev->cnf.disable_ipv6))
		return false;
	/* IPv6 delivers it to us only if the address is one of ours. */
	if (!ipv6_chk_addr(dev_net(skb->dev), &ip6h->daddr, NULL, 0))
		return false;

	if (pskb_trim_rcsum(skb, plen + sizeof(*ip6h)))
		return false;
	/* A veth delivers the sender's skb, still owned by its socket; IPv6
	 * input would orphan it, and IPv4 forwarding drops owned packets.
	 */
	skb_orphan(skb);
	/* What ip6_rcv() leaves for the xfrm policy check to decode. */
	memset(IP6CB(skb), 0, sizeof(struct inet6_skb_parm));
	IP6CB(skb)->iif = skb->dev->ifindex;
	IP6CB(skb)->nhoff = offsetof(struct ipv6hdr, nexthdr);
	skb_pull_rcsum(skb, sizeof(*ip6h));
	skb_reset_transport_header(skb);
	/* From here on the packet is ours, dropped or forwarded. */
	if (dstm_rcv_decap(priv, cfg, skb))
		dstm_fastpath_forward(priv, skb);
	return true;
}

/* Netfilter calls hooks inside the receive path's RCU read section. */
static unsigned int dstm_fastpath_hook(void *arg, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct dstm_dev *priv = arg;
	const struct dstm_cfg *cfg = rcu_dereference(priv->cfg);
	bool taken;

	/* A tagged packet belongs to the VLAN device it is about to reach
	 * (which has a hook of its own if the operator listed it).
	 */
	if (cfg->mode != DSTM_MODE_TEP || skb->pkt_type != PACKET_HOST ||
	    skb_vlan_tag_present(skb) ||
	    !(READ_ONCE(priv->dev->flags) & IFF_UP))
		return NF_ACCEPT;

	switch (skb->protocol) {
	case htons(ETH_P_IP):
		taken = dstm_fastpath_encap(priv, cfg, skb);
		break;
	case htons(ETH_P_IPV6):
		taken = dstm_fastpath_decap(priv, cfg, skb);
		break;
	default:
		taken = false;
		break;
	}
	return taken ? NF_STOLEN : NF_ACCEPT;
}

static int dstm_fastpath_add(struct dstm_dev *priv, struct net_device *dev,
			     struct dstm_fastpath **fpp)
{
	struct dstm_fastpath *fp;
	int err;

	ASSERT_RTNL();
	fp = kzalloc(sizeof(*fp), GFP_KERNEL);
	if (!fp)
		return -ENOMEM;
	fp->dev = dev;
	fp->ifindex = dev->ifindex;
	fp->ops.hook = dstm_fastpath_hook;
	fp->ops.priv = priv;
	fp->ops.pf = NFPROTO_NETDEV;
	fp->ops.hooknum = NF_NETDEV_INGRESS;
	fp->ops.priority = DSTM_FASTPATH_PRIORITY;
	fp->ops.dev = dev;

	err = nf_register_net_hook(dev_net(dev), &fp->ops);
	if (err) {
		kfree(fp);
		return err;
	}
	dev_hold(dev);
	list_add_tail_rcu(&fp->list, &priv->fastpaths);
	*fpp = fp;
	return 0;
}

static void dstm_fastpath_del(struct dstm_fastpath *fp)
{
	ASSERT_RTNL();
	nf_unregister_net_hook(dev_net(fp->dev), &fp->ops);
	list_del_rcu(&fp->list);
	dev_put(fp->dev);
	/* Dumps and the hook's entries may still be reading it. */
	kfree_rcu(fp, rcu);
}

/*
 * DEV_SET: make @nest (DSTM_A_FASTPATH, or NULL if the request has none)
 * the device's fast-path set, for a device whose mode will be @mode.  All
 * or nothing: the set is left as it was on any error.
 */
int dstm_fastpath_set(struct dstm_dev *priv, const struct nlattr *nest,
		      u8 mode, struct netlink_ext_ack *extack)
{
	struct dstm_fastpath *added[DSTM_FASTPATH_MAX_DEVS];
	struct net_device *want[DSTM_FASTPATH_MAX_DEVS];
	struct net *net = dev_net(priv->dev);
	struct dstm_fastpath *fp, *tmp;
	const struct nlattr *attr;
	int i, n = 0, nadded = 0;
	int rem, err = 0;

	rtnl_lock();
	if (priv->dead) {
		NL_SET_ERR_MSG(extack, "device is being removed");
		err = -ENODEV;
		goto out;
	}
	if (!nest) {
		if (mode != DSTM_MODE_TEP && !list_empty(&priv->fastpaths)) {
			NL_SET_ERR_MSG(extack, "fast path is a TEP-mode setting");
			err = -EINVAL;
		}
		goto out;
	}

	/* The policy checked each attribute's type and length. */
	nla_for_each_nested(attr, nest, rem) {
		struct net_device *dev;

		if (n == DSTM_FASTPATH_MAX_DEVS) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "too many fast path devices");
			err = -E2BIG;
			goto out;
		}
		dev = __dev_get_by_index(net, nla_get_u32(attr));
		if (!dev) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "fast path device not found");
			err = -ENODEV;
			goto out;
		}
		if (dev->rtnl_link_ops == &dstm_link_ops) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "fast path device is a dstm device");
			err = -EINVAL;
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (want[i] == dev) {
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "fast path device listed twice");
				err = -EINVAL;
				goto out;
			}
		}
		want[n++] = dev;
	}
	if (n && mode != DSTM_MODE_TEP) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "fast path is a TEP-mode setting");
		err = -EINVAL;
		goto out;
	}

	/* Hook the new devices first, so that a failure can be undone. */
	for (i = 0; i < n; i++) {
		list_for_each_entry(fp, &priv->fastpaths, list)
			if (fp->dev == want[i])
				break;
		if (!list_entry_is_head(fp, &priv->fastpaths, list))
			continue;
		err = dstm_fastpath_add(priv, want[i], &added[nadded]);
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "cannot hook the fast path device's ingress");
			goto err_undo;
		}
		nadded++;
	}
	list_for_each_entry_safe(fp, tmp, &priv->fastpaths, list) {
		for (i = 0; i < n && want[i] != fp->dev; i++)
			;
		if (i == n)
			dstm_fastpath_del(fp);
	}
	goto out;

err_undo:
	while (nadded--)
		dstm_fastpath_del(added[nadded]);
out:
	rtnl_unlock();
	return err;
}

/* The device is going away: unhook everything. */
void dstm_fastpath_flush(struct dstm_dev *priv)
{
	struct dstm_fastpath *fp, *tmp;

	ASSERT_RTNL();
	list_for_each_entry_safe(fp, tmp, &priv->fastpaths, list)
		dstm_fastpath_del(fp);
}

/* Put DSTM_A_FASTPATH in a DEV_GET reply, if the set is not empty. */
int dstm_fastpath_fill(struct sk_buff *skb, struct dstm_dev *priv)
{
	struct dstm_fastpath *fp;
	struct nlattr *nest;
	int err = 0;

	rcu_read_lock();
	if (list_empty(&priv->fastpaths))
		goto out;
	nest = nla_nest_start(skb, DSTM_A_FASTPATH);
	if (!nest) {
		err = -EMSGSIZE;
		goto out;
	}
	list_for_each_entry_rcu(fp, &priv->fastpaths, list) {
		if (nla_put_u32(skb, DSTM_FASTPATH_A_IFINDEX, fp->ifindex)) {
			nla_nest_cancel(skb, nest);
			err = -EMSGSIZE;
			goto out;
		}
	}
	nla_nest_end(skb, nest);
out:
	rcu_read_unlock();
	return err;
}

/*
 * A listed device that is unregistered, or moved to another namespace,
 * leaves the set: its hook must go, and our reference with it, or the
 * unregistration would wait for us forever.
 */
static int dstm_fastpath_netdev_event(struct notifier_block *nb,
				      unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct dstm_fastpath *fp, *tmp;
	struct dstm_dev *priv;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	list_for_each_entry(priv, &dstm_pernet(dev_net(dev))->devs, net_list)
		list_for_each_entry_safe(fp, tmp, &priv->fastpaths, list)
			if (fp->dev == dev)
				dstm_fastpath_del(fp);
	return NOTIFY_DONE;
}

static struct notifier_block dstm_fastpath_notifier = {
	.notifier_call = dstm_fastpath_netdev_event,
};

int dstm_fastpath_init(void)
{
	return register_netdevice_notifier(&dstm_fastpath_notifier);
}

void dstm_fastpath_uninit(void)
{
	unregister_netdevice_notifier(&dstm_fastpath_notifier);
}
