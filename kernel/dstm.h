/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dstm - Dual Stack Transition Mechanism (4over6) tunnel driver.
 * Internal declarations shared by the driver's files.
 */
#ifndef _DSTM_H
#define _DSTM_H

#include <linux/netdevice.h>
#include <linux/rhashtable.h>
#include <linux/rbtree.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/dst_cache.h>
#include <net/gro_cells.h>
#include <net/netns/generic.h>
#include <linux/dstm.h>

#include "compat.h"

/* Outer header we add: a plain IPv6 header, no extension headers. */
#define DSTM_ENCAP_HLEN		sizeof(struct ipv6hdr)
#define DSTM_DEFAULT_HOPLIMIT	64
#define DSTM_DEFAULT_QUEUE_LEN	64
#define DSTM_DEFAULT_QUEUE_MS	3000
#define DSTM_MAX_QUEUE_LEN	4096
#define DSTM_MAX_QUEUE_MS	60000
/* RFC 7597 section 5.1 recommends a = 6 so that ports 0-1023 stay out. */
#define DSTM_DEFAULT_PSID_OFFSET 6

/*
 * A device's configuration.  Readers on the fast path see one consistent
 * snapshot through RCU; DEV_SET builds a new copy and swaps it in.
 */
struct dstm_cfg {
	struct in6_addr local;
	struct in6_addr tep;
	__be32 addr;
	u8 mode;
	u8 hoplimit;
	u8 psid_offset;
	u8 psid_len;
	u16 psid;
	u32 queue_len;
	u32 queue_ms;
	/* Counts configurations; a TEP's cached routes name the one they
	 * were looked up for (the source address may have changed since).
	 */
	u32 gen;
	/* The client's route to its TEP, valid for this configuration. */
	struct dst_cache dst_cache;
	struct rcu_head rcu;
};

/* Per-IPv4-address record: the port-set geometry all its mappings share. */
struct dstm_addr {
	struct rhash_head node;
	__be32 ipv4;
	u8 psid_offset;
	u8 psid_len;
	u32 nmaps;
	/* Fast path for psid_len == 0: the one mapping, no second lookup. */
	struct dstm_map __rcu *whole;
	struct rcu_head rcu;
};

struct dstm_map_key {
	__be32 ipv4;
	u16 psid;
	u16 zero;	/* keeps the key free of padding for jhash */
};

struct dstm_map {
	struct rhash_head node;
	struct dstm_map_key key;
	struct in6_addr ipv6;
	struct dstm_addr *addr;
	/* Writer-side bookkeeping, under dstm_table.lock. */
	struct list_head list;		/* all mappings, for dumps */
	struct rb_node expiry_node;	/* only when lifetime != 0 */
	unsigned long expires;		/* jiffies; 0 = permanent */
	u32 lifetime;
	/* Fast-path counters: atomics, since per-CPU copies of 1M mappings
	 * would cost more memory than the table itself.
	 */
	atomic64_t tx_packets;
	atomic64_t tx_bytes;
	atomic64_t rx_packets;
	atomic64_t rx_bytes;
	unsigned long last_use;		/* jiffies; 0 = never */
	/* TEP: the route to ipv6, cached by the first packet that needs it
	 * and holding a reference; the packet path uses it without taking
	 * one (see xmit.c).  Valid while dst_check() accepts dst_cookie and
	 * dst_gen is the configuration's gen.  Released when the mapping is
	 * freed, after a grace period.
	 */
	struct dst_entry __rcu *dst;
	u32 dst_cookie;
	u32 dst_gen;
	struct rcu_head rcu;
};

struct dstm_table {
	struct rhashtable addrs;	/* struct dstm_addr by ipv4 */
	struct rhashtable maps;		/* struct dstm_map by (ipv4, psid) */
	struct list_head list;		/* insertion order, for dumps */
	struct rb_root expiry;		/* mappings with a lifetime, by expiry */
	struct delayed_work gc;
	u32 count;
	u32 generation;
	struct mutex *lock;		/* the device's lock */
};

/* Parameters of one mapping, as MAP_NEW gives them. */
struct dstm_map_params {
	__be32 ipv4;
	struct in6_addr ipv6;
	u8 psid_offset;
	u8 psid_len;
	u16 psid;
	u32 lifetime;
	bool lifetime_set;	/* a renewal without one keeps the old one */
};

struct dstm_pcpu_stats {
	u64 drops[__DSTM_DROP_MAX];
	u64 queued;
	u64 addr_needed;
	u64 fast_tx;			/* encapsulated by the fast path */
	u64 fast_rx;			/* decapsulated by the fast path */
};

/* Packets a client holds while it has no IPv4 address yet. */
struct dstm_queue {
	struct sk_buff_head skbs;
	struct timer_list timer;
	struct work_struct flush;
	unsigned long last_event;	/* jiffies of the last ADDR_NEEDED */
};

struct dstm_dev {
	struct net_device *dev;
	struct net *net;
	struct list_head net_list;	/* in dstm_net.devs, RCU */
	struct dstm_cfg __rcu *cfg;
	/* Serialises configuration and mapping-table writers. */
	struct mutex lock;
	struct dstm_table table;
	struct gro_cells gro_cells;
	struct dstm_pcpu_stats __percpu *pstats;
	struct dstm_queue queue;
	u32 hash_seed;			/* inner flow hash for flow labels */
	/* Devices whose ingress takes the fast path (fastpath.c): RTNL
	 * writers, RCU readers.
	 */
	struct list_head fastpaths;
	bool dead;			/* unregistering; under lock */
};

struct dstm_net {
	struct list_head devs;		/* RTNL writers, RCU readers */
};

extern unsigned int dstm_net_id;
extern struct rtnl_link_ops dstm_link_ops;

static inline struct dstm_net *dstm_pernet(struct net *net)
{
	return net_generic(net, dstm_net_id);
}

static inline void dstm_drop_count(struct dstm_dev *priv,
				   enum dstm_drop_reason reason)
{
	this_cpu_inc(priv->pstats->drops[reason]);
}

/* Protocols whose first four bytes are the source and destination ports. */
static inline bool dstm_proto_has_ports(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	default:
		return false;
	}
}

static inline void dstm_map_touch(struct dstm_map *m)
{
	unsigned long now = jiffies;

	/* Write only on change: keeps the line clean for the other CPUs. */
	if (READ_ONCE(m->last_use) != now)
		WRITE_ONCE(m->last_use, now);
}

/* device.c */
int dstm_pernet_init(void);
void dstm_pernet_uninit(void);
int dstm_link_init(void);
void dstm_link_uninit(void);
struct dstm_dev *dstm_device_get(struct net *net, struct nlattr **attrs,
				 struct netlink_ext_ack *extack);
int dstm_device_set(struct dstm_dev *priv, const struct dstm_cfg *cfg,
		    struct netlink_ext_ack *extack);
void dstm_device_stats(struct dstm_dev *priv, struct dstm_pcpu_stats *sum);

/* table.c */
int dstm_table_init(struct dstm_table *t, struct mutex *lock);
void dstm_table_destroy(struct dstm_table *t);
struct dstm_map *dstm_table_lookup(struct dstm_table *t, __be32 ipv4,
				   const u16 *port,
				   enum dstm_drop_reason *why);
struct dstm_map *dstm_table_find(struct dstm_table *t, __be32 ipv4, u16 psid);
int dstm_table_insert(struct dstm_dev *priv, const struct dstm_map_params *p,
		      bool replace, struct netlink_ext_ack *extack);
int dstm_table_remove(struct dstm_dev *priv, __be32 ipv4, u16 psid,
		      struct netlink_ext_ack *extack);
void dstm_table_flush(struct dstm_dev *priv);
bool dstm_port_to_psid(u8 offset, u8 len, u16 port, u16 *psid);

/* xmit.c */
netdev_tx_t dstm_xmit(struct sk_buff *skb, struct net_device *dev);
void dstm_xmit_client(struct dstm_dev *priv, struct dstm_cfg *cfg,
		      struct sk_buff *skb);
bool dstm_xmit_fast(struct dstm_dev *priv, const struct dstm_cfg *cfg,
		    struct sk_buff *skb, struct dstm_map *m);

/* rcv.c */
int dstm_rcv_init(void);
void dstm_rcv_uninit(void);
int dstm_inner_port(struct sk_buff *skb, unsigned int nhoff, bool src,
		    u16 *port);
bool dstm_rcv_decap(struct dstm_dev *priv, const struct dstm_cfg *cfg,
		    struct sk_buff *skb);

/* fastpath.c */
int dstm_fastpath_init(void);
void dstm_fastpath_uninit(void);
int dstm_fastpath_set(struct dstm_dev *priv, const struct nlattr *nest,
		      u8 mode, struct netlink_ext_ack *extack);
void dstm_fastpath_flush(struct dstm_dev *priv);
int dstm_fastpath_fill(struct sk_buff *skb, struct dstm_dev *priv);

/* icmp.c */
int dstm_icmp6_err(struct sk_buff *skb, struct inet6_skb_parm *opt, u8 type,
		   u8 code, int offset, __be32 info);

/* queue.c */
void dstm_queue_init(struct dstm_dev *priv);
void dstm_queue_purge(struct dstm_dev *priv);
void dstm_queue_skb(struct dstm_dev *priv, const struct dstm_cfg *cfg,
		    struct sk_buff *skb);
void dstm_queue_release(struct dstm_dev *priv);

/* netlink.c */
int dstm_genl_init(void);
void dstm_genl_uninit(void);
void dstm_notify_map(struct dstm_dev *priv, u8 cmd, const struct dstm_map *m);
void dstm_notify_addr_needed(struct dstm_dev *priv, __be32 dst);

#endif /* _DSTM_H */
