// SPDX-License-Identifier: GPL-2.0
/*
 * The dstm net_device: link type, lifetime of a device and its
 * configuration.  Configuration lives in an immutable struct dstm_cfg that
 * DEV_SET replaces under the device mutex and the packet path reads under
 * RCU, so a packet never sees half of a change.
 */

#include <linux/if_arp.h>
#include <linux/random.h>
#include <linux/rtnetlink.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/rtnetlink.h>

#include "dstm.h"

unsigned int dstm_net_id __read_mostly;

static struct dstm_cfg *dstm_cfg_alloc(const struct dstm_cfg *from)
{
	struct dstm_cfg *cfg;

	if (from)
		cfg = kmemdup(from, sizeof(*cfg), GFP_KERNEL);
	else
		cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return NULL;
	/* The cached route belongs to one configuration; never share it. */
	if (dst_cache_init(&cfg->dst_cache, GFP_KERNEL)) {
		kfree(cfg);
		return NULL;
	}
	if (!from) {
		cfg->mode = DSTM_MODE_CLIENT;
		cfg->hoplimit = DSTM_DEFAULT_HOPLIMIT;
		cfg->queue_len = DSTM_DEFAULT_QUEUE_LEN;
		cfg->queue_ms = DSTM_DEFAULT_QUEUE_MS;
	}
	return cfg;
}

static void dstm_cfg_free(struct dstm_cfg *cfg)
{
	dst_cache_destroy(&cfg->dst_cache);
	kfree(cfg);
}

static void dstm_cfg_free_rcu(struct rcu_head *head)
{
	dstm_cfg_free(container_of(head, struct dstm_cfg, rcu));
}

/* Inner MTU for a client: the underlay route's MTU less our header. */
static void dstm_device_update_mtu(struct dstm_dev *priv,
				   const struct dstm_cfg *cfg)
{
	struct flowi6 fl6 = {
		.flowi6_proto = IPPROTO_IPIP,
		.daddr = cfg->tep,
		.saddr = cfg->local,
	};
	struct dst_entry *dst;
	int mtu;

	dst = ip6_route_output(priv->net, NULL, &fl6);
	if (dst->error || dst->dev == priv->dev) {
		dst_release(dst);
		return;
	}
	mtu = max_t(int, dst_mtu(dst), IPV6_MIN_MTU) - DSTM_ENCAP_HLEN;
	dst_release(dst);

	rtnl_lock();
	if (priv->dev->reg_state == NETREG_REGISTERED)
		dev_set_mtu(priv->dev, mtu);
	rtnl_unlock();
}

/*
 * Install @want as the device's configuration.  @want was built and
 * validated by the caller from a copy of the current one.
 */
int dstm_device_set(struct dstm_dev *priv, const struct dstm_cfg *want,
		    struct netlink_ext_ack *extack)
{
	struct dstm_cfg *old, *cfg;
	bool release, retep;

	cfg = dstm_cfg_alloc(want);
	if (!cfg)
		return -ENOMEM;

	mutex_lock(&priv->lock);
	if (priv->dead) {
		mutex_unlock(&priv->lock);
		dstm_cfg_free(cfg);
		NL_SET_ERR_MSG(extack, "device is being removed");
		return -ENODEV;
	}
	old = rcu_dereference_protected(priv->cfg,
					lockdep_is_held(&priv->lock));
	/* Mappings belong to a TEP; a mode change starts from an empty table. */
	if (old->mode != cfg->mode)
		dstm_table_flush(priv);
	/* Routes the mappings cached for the old one are stale now. */
	cfg->gen = old->gen + 1;
	rcu_assign_pointer(priv->cfg, cfg);
	mutex_unlock(&priv->lock);

	release = cfg->mode == DSTM_MODE_CLIENT && cfg->addr;
	retep = cfg->mode == DSTM_MODE_CLIENT && !ipv6_addr_any(&cfg->tep) &&
		(!ipv6_addr_equal(&old->tep, &cfg->tep) ||
		 !ipv6_addr_equal(&old->local, &cfg->local));
	call_rcu(&old->rcu, dstm_cfg_free_rcu);

	if (retep)
		dstm_device_update_mtu(priv, cfg);
	/* Packets held for an address go out now, in order; in TEP mode
	 * there is nothing to wait for any more.
	 */
	if (release || cfg->mode != DSTM_MODE_CLIENT)
		dstm_queue_release(priv);
	return 0;
}

/* Sum the per-CPU drop and event counters. */
void dstm_device_stats(struct dstm_dev *priv, struct dstm_pcpu_stats *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct dstm_pcpu_stats *s = per_cpu_ptr(priv->pstats, cpu);

		for (i = 0; i < __DSTM_DROP_MAX; i++)
			sum->drops[i] += READ_ONCE(s->drops[i]);
		sum->queued += READ_ONCE(s->queued);
		sum->addr_needed += READ_ONCE(s->addr_needed);
		sum->fast_tx += READ_ONCE(s->fast_tx);
		sum->fast_rx += READ_ONCE(s->fast_rx);
	}
}

/*
 * The device a netlink request names, with a reference the caller drops
 * with dev_put().
 */
struct dstm_dev *dstm_device_get(struct net *net, struct nlattr **attrs,
				 struct netlink_ext_ack *extack)
{
	struct net_device *dev = NULL;

	if (attrs[DSTM_A_IFINDEX]) {
		dev = dev_get_by_index(net, nla_get_u32(attrs[DSTM_A_IFINDEX]));
		if (!dev) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_IFINDEX],
					    "no device with this ifindex");
			return ERR_PTR(-ENODEV);
		}
	} else if (attrs[DSTM_A_IFNAME]) {
		dev = dev_get_by_name(net, nla_data(attrs[DSTM_A_IFNAME]));
		if (!dev) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_IFNAME],
					    "no device with this name");
			return ERR_PTR(-ENODEV);
		}
	} else {
		NL_SET_ERR_MSG(extack,
			       "missing device: give DSTM_A_IFINDEX or DSTM_A_IFNAME");
		return ERR_PTR(-EINVAL);
	}
	if (dev->rtnl_link_ops != &dstm_link_ops) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[DSTM_A_IFINDEX] ?:
				    attrs[DSTM_A_IFNAME],
				    "device is not a dstm device");
		dev_put(dev);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return netdev_priv(dev);
}

static int dstm_dev_init(struct net_device *dev)
{
	struct dstm_dev *priv = netdev_priv(dev);
	struct dstm_cfg *cfg;
	int err;

	priv->dev = dev;
	priv->net = dev_net(dev);
	priv->hash_seed = get_random_u32();
	mutex_init(&priv->lock);
	INIT_LIST_HEAD(&priv->fastpaths);

	priv->pstats = alloc_percpu(struct dstm_pcpu_stats);
	if (!priv->pstats)
		return -ENOMEM;
	cfg = dstm_cfg_alloc(NULL);
	if (!cfg) {
		err = -ENOMEM;
		goto err_free_stats;
	}
	RCU_INIT_POINTER(priv->cfg, cfg);
	err = dstm_table_init(&priv->table, &priv->lock);
	if (err)
		goto err_free_cfg;
	err = gro_cells_init(&priv->gro_cells, dev);
	if (err)
		goto err_destroy_table;
	dstm_queue_init(priv);

	list_add_tail_rcu(&priv->net_list, &dstm_pernet(priv->net)->devs);
	return 0;

err_destroy_table:
	dstm_table_destroy(&priv->table);
err_free_cfg:
	dstm_cfg_free(cfg);
err_free_stats:
	free_percpu(priv->pstats);
	return err;
}

static void dstm_dev_uninit(struct net_device *dev)
{
	struct dstm_dev *priv = netdev_priv(dev);

	ASSERT_RTNL();
	list_del_rcu(&priv->net_list);
	dstm_fastpath_flush(priv);

	/* Netlink requests may still hold a reference; make them fail
	 * before the workers they could rearm are stopped.
	 */
	mutex_lock(&priv->lock);
	priv->dead = true;
	mutex_unlock(&priv->lock);
	cancel_delayed_work_sync(&priv->table.gc);
	dstm_queue_purge(priv);
	gro_cells_destroy(&priv->gro_cells);
}

/* Runs after the last reference is gone: no reader, no writer. */
static void dstm_dev_free(struct net_device *dev)
{
	struct dstm_dev *priv = netdev_priv(dev);

	dstm_table_destroy(&priv->table);
	dstm_cfg_free(rcu_dereference_protected(priv->cfg, true));
	free_percpu(priv->pstats);
}

static int dstm_dev_open(struct net_device *dev)
{
	dstm_compat_no_addrconf(dev);
	return 0;
}

static int dstm_dev_stop(struct net_device *dev)
{
	dstm_queue_purge(netdev_priv(dev));
	return 0;
}

static const struct net_device_ops dstm_netdev_ops = {
	.ndo_init		= dstm_dev_init,
	.ndo_uninit		= dstm_dev_uninit,
	.ndo_open		= dstm_dev_open,
	.ndo_stop		= dstm_dev_stop,
	.ndo_start_xmit		= dstm_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
};

#define DSTM_FEATURES (NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HIGHDMA | \
		       NETIF_F_GSO_SOFTWARE | NETIF_F_HW_CSUM)

static void dstm_setup(struct net_device *dev)
{
	dev->netdev_ops = &dstm_netdev_ops;
	dev->needs_free_netdev = true;
	dev->priv_destructor = dstm_dev_free;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;

	dev->type = ARPHRD_TUNNEL6;
	/* Point-to-point: IPv4 output then keys the neighbour of every
	 * destination routed into the device to 0.0.0.0, one entry for the
	 * device, instead of one per destination (a TEP has as many as it
	 * has clients, and churning through them past gc_thresh3 halves
	 * the encapsulation rate; see Documentation/performance.md).
	 */
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dstm_compat_no_addrconf(dev);
	dev->addr_len = 0;
	dev->hard_header_len = 0;
	/* What Ethernet under us needs; dstm_encap() raises it to what the
	 * underlay really needs.  Asking more than that makes IPv4
	 * forwarding reallocate every packet received with a NIC's usual
	 * headroom (NET_SKB_PAD) before it even reaches us.
	 */
	dev->needed_headroom = DSTM_ENCAP_HLEN + ETH_HLEN;
	dev->mtu = ETH_DATA_LEN - DSTM_ENCAP_HLEN;
	dev->min_mtu = IPV4_MIN_MTU;
	dev->max_mtu = IP6_MAX_MTU - DSTM_ENCAP_HLEN;

	dev->features |= DSTM_FEATURES;
	dev->hw_features |= DSTM_FEATURES;
	dstm_compat_set_lltx(dev);
	/* The underlay is looked up in the device's own namespace. */
	dstm_compat_set_netns_local(dev);
	/* Keep the IPv4 route on the skb: ICMP errors need it. */
	netif_keep_dst(dev);
}

static int dstm_validate(struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
				    "dstm devices have no link-layer address");
		return -EINVAL;
	}
	return 0;
}

struct rtnl_link_ops dstm_link_ops __read_mostly = {
	.kind		= "dstm",
	.priv_size	= sizeof(struct dstm_dev),
	.setup		= dstm_setup,
	.validate	= dstm_validate,
};

static int __net_init dstm_net_init(struct net *net)
{
	INIT_LIST_HEAD(&dstm_pernet(net)->devs);
	return 0;
}

static struct pernet_operations dstm_net_ops = {
	.init	= dstm_net_init,
	.id	= &dstm_net_id,
	.size	= sizeof(struct dstm_net),
};

int dstm_pernet_init(void)
{
	return register_pernet_device(&dstm_net_ops);
}

void dstm_pernet_uninit(void)
{
	unregister_pernet_device(&dstm_net_ops);
	/* Configurations retired with call_rcu() run our code: wait. */
	rcu_barrier();
}

int dstm_link_init(void)
{
	return rtnl_link_register(&dstm_link_ops);
}

void dstm_link_uninit(void)
{
	/* Deletes every dstm device in every namespace. */
	rtnl_link_unregister(&dstm_link_ops);
}
