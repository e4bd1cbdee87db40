// SPDX-License-Identifier: GPL-2.0
/*
 * The mapping table: (IPv4 address, PSID) -> client IPv6 address.
 *
 * Two resizable hash tables keep every lookup O(1) at millions of entries:
 * one record per IPv4 address holds the port-set geometry (offset a, PSID
 * length k) that all mappings of that address share, and for k = 0 points
 * straight at the address's single mapping; mappings of shared addresses
 * live in a second table keyed by (address, PSID).  Readers (the packet
 * path) only take RCU; writers hold the device mutex.  Mappings with a
 * lifetime sit in an rbtree ordered by expiry, so the expiry worker touches
 * only what is due, however large the table is.
 */

#include <linux/jiffies.h>
#include <linux/slab.h>
#include <net/dst.h>

#include "dstm.h"

/* Expire at most this many mappings per worker run before yielding. */
#define DSTM_GC_BATCH	4096

static const struct rhashtable_params dstm_addr_params = {
	.head_offset = offsetof(struct dstm_addr, node),
	.key_offset = offsetof(struct dstm_addr, ipv4),
	.key_len = sizeof(__be32),
	.automatic_shrinking = true,
};

static const struct rhashtable_params dstm_map_params = {
	.head_offset = offsetof(struct dstm_map, node),
	.key_offset = offsetof(struct dstm_map, key),
	.key_len = sizeof(struct dstm_map_key),
	.automatic_shrinking = true,
};

/*
 * RFC 7597 section 5.1: port = A (a bits) | PSID (k bits) | M (16-a-k bits).
 * Ports whose A bits are all zero belong to no port set when a > 0.
 */
bool dstm_port_to_psid(u8 offset, u8 len, u16 port, u16 *psid)
{
	if (!len) {
		*psid = 0;
		return true;
	}
	if (offset && !(port >> (16 - offset)))
		return false;
	*psid = (port >> (16 - offset - len)) & ((1U << len) - 1);
	return true;
}

static struct dstm_dev *dstm_table_dev(struct dstm_table *t)
{
	return container_of(t, struct dstm_dev, table);
}

/*
 * Fast-path lookup of the mapping that owns (ipv4, port).  @port is NULL
 * when the packet carries no port (a non-first fragment, or a protocol
 * without ports); that only matters for shared addresses.  On failure
 * *@why says which drop counter applies.  Caller holds rcu_read_lock().
 */
struct dstm_map *dstm_table_lookup(struct dstm_table *t, __be32 ipv4,
				   const u16 *port,
				   enum dstm_drop_reason *why)
{
	struct dstm_map_key key = { .ipv4 = ipv4 };
	struct dstm_addr *a;
	struct dstm_map *m;

	a = rhashtable_lookup(&t->addrs, &ipv4, dstm_addr_params);
	if (unlikely(!a))
		goto no_mapping;
	if (likely(!a->psid_len)) {
		m = rcu_dereference(a->whole);
		if (unlikely(!m))
			goto no_mapping;
		return m;
	}
	if (!port) {
		*why = DSTM_DROP_FRAGMENT;
		return NULL;
	}
	if (!dstm_port_to_psid(a->psid_offset, a->psid_len, *port, &key.psid))
		goto no_mapping;
	m = rhashtable_lookup(&t->maps, &key, dstm_map_params);
	if (likely(m))
		return m;
no_mapping:
	*why = DSTM_DROP_NO_MAPPING;
	return NULL;
}

/* Exact lookup by key, for the control path (RCU or the device lock). */
struct dstm_map *dstm_table_find(struct dstm_table *t, __be32 ipv4, u16 psid)
{
	struct dstm_map_key key = { .ipv4 = ipv4, .psid = psid };
	struct dstm_addr *a;
	struct dstm_map *m;

	rcu_read_lock();
	a = rhashtable_lookup(&t->addrs, &ipv4, dstm_addr_params);
	if (!a)
		m = NULL;
	else if (!a->psid_len)
		m = psid ? NULL : rcu_dereference(a->whole);
	else
		m = rhashtable_lookup(&t->maps, &key, dstm_map_params);
	rcu_read_unlock();
	return m;
}

static void dstm_expiry_insert(struct dstm_table *t, struct dstm_map *m)
{
	struct rb_node **p = &t->expiry.rb_node, *parent = NULL;
	bool leftmost = true;

	while (*p) {
		struct dstm_map *cur = rb_entry(*p, struct dstm_map, expiry_node);

		parent = *p;
		if (time_before(m->expires, cur->expires)) {
			p = &parent->rb_left;
		} else {
			p = &parent->rb_right;
			leftmost = false;
		}
	}
	rb_link_node(&m->expiry_node, parent, p);
	rb_insert_color(&m->expiry_node, &t->expiry);

	/* A new earliest deadline: pull the worker forward. */
	if (leftmost)
		mod_delayed_work(system_power_efficient_wq, &t->gc,
				 m->expires - jiffies);
}

static void dstm_expiry_set(struct dstm_table *t, struct dstm_map *m,
			    u32 lifetime)
{
	if (m->expires)
		rb_erase(&m->expiry_node, &t->expiry);
	m->lifetime = lifetime;
	m->expires = 0;
	if (!lifetime)
		return;
	/* jiffies value 0 means permanent; step over it. */
	m->expires = jiffies + (unsigned long)lifetime * HZ ?: 1;
	dstm_expiry_insert(t, m);
}

/*
 * After a grace period no packet can reach @m, nor cache a route in it
 * any more: drop the cached route's reference with the mapping.
 */
static void dstm_map_free_rcu(struct rcu_head *head)
{
	struct dstm_map *m = container_of(head, struct dstm_map, rcu);

	dst_release(rcu_dereference_protected(m->dst, true));
	kfree(m);
}

static void dstm_map_free(struct dstm_map *m)
{
	call_rcu(&m->rcu, dstm_map_free_rcu);
}

/* Take @m out of the table; the caller notifies and frees it. */
static void dstm_map_unlink(struct dstm_table *t, struct dstm_map *m)
{
	struct dstm_addr *a = m->addr;

	lockdep_assert_held(t->lock);

	if (a->psid_len)
		rhashtable_remove_fast(&t->maps, &m->node, dstm_map_params);
	else
		RCU_INIT_POINTER(a->whole, NULL);
	list_del(&m->list);
	if (m->expires)
		rb_erase(&m->expiry_node, &t->expiry);
	if (!--a->nmaps) {
		rhashtable_remove_fast(&t->addrs, &a->node, dstm_addr_params);
		kfree_rcu(a, rcu);
	}
	t->count--;
	t->generation++;
}

static void dstm_map_delete(struct dstm_dev *priv, struct dstm_map *m, u8 cmd)
{
	dstm_map_unlink(&priv->table, m);
	dstm_notify_map(priv, cmd, m);
	dstm_map_free(m);
}

/*
 * Replace @old by a copy pointing at @ipv6.  Readers copy the IPv6 address
 * into the outer header without a lock, so it is never rewritten in place.
 */
static int dstm_map_readdress(struct dstm_table *t, struct dstm_map *old,
			      const struct in6_addr *ipv6)
{
	struct dstm_map *m;
	int err;

	lockdep_assert_held(t->lock);

	m = kmemdup(old, sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->ipv6 = *ipv6;
	/* The old route leads to the old address; the copy finds its own. */
	RCU_INIT_POINTER(m->dst, NULL);
	if (old->addr->psid_len) {
		err = rhashtable_replace_fast(&t->maps, &old->node, &m->node,
					      dstm_map_params);
		if (err) {
			kfree(m);
			return err;
		}
	} else {
		rcu_assign_pointer(old->addr->whole, m);
	}
	list_replace(&old->list, &m->list);
	if (old->expires)
		rb_replace_node(&old->expiry_node, &m->expiry_node, &t->expiry);
	dstm_map_free(old);
	return 0;
}

static int dstm_map_update(struct dstm_dev *priv, struct dstm_map *m,
			   const struct dstm_map_params *p)
{
	struct dstm_table *t = &priv->table;
	int err;

	if (!ipv6_addr_equal(&m->ipv6, &p->ipv6)) {
		err = dstm_map_readdress(t, m, &p->ipv6);
		if (err)
			return err;
		m = dstm_table_find(t, p->ipv4, p->psid);
	}
	dstm_expiry_set(t, m, p->lifetime_set ? p->lifetime : m->lifetime);
	t->generation++;
	dstm_notify_map(priv, DSTM_CMD_MAP_NEW, m);
	return 0;
}

int dstm_table_insert(struct dstm_dev *priv, const struct dstm_map_params *p,
		      bool replace, struct netlink_ext_ack *extack)
{
	struct dstm_table *t = &priv->table;
	struct dstm_addr *a, *new_addr = NULL;
	struct dstm_map *m;
	int err;

	lockdep_assert_held(t->lock);

	a = rhashtable_lookup_fast(&t->addrs, &p->ipv4, dstm_addr_params);
	if (a && (a->psid_len != p->psid_len ||
		  a->psid_offset != p->psid_offset)) {
		NL_SET_ERR_MSG(extack,
			       "IPv4 address is already mapped with a different port set offset or PSID length");
		return -EEXIST;
	}
	if (a) {
		m = dstm_table_find(t, p->ipv4, p->psid);
		if (m) {
			if (!replace) {
				NL_SET_ERR_MSG(extack, "mapping already exists");
				return -EEXIST;
			}
			return dstm_map_update(priv, m, p);
		}
	}

	if (!a) {
		new_addr = kzalloc(sizeof(*new_addr), GFP_KERNEL);
		if (!new_addr)
			return -ENOMEM;
		new_addr->ipv4 = p->ipv4;
		new_addr->psid_offset = p->psid_offset;
		new_addr->psid_len = p->psid_len;
		a = new_addr;
	}

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		err = -ENOMEM;
		goto err_free_addr;
	}
	m->key.ipv4 = p->ipv4;
	m->key.psid = p->psid;
	m->ipv6 = p->ipv6;
	m->addr = a;

	if (a->psid_len) {
		err = rhashtable_insert_fast(&t->maps, &m->node,
					     dstm_map_params);
		if (err)
			goto err_free_map;
	}
	if (new_addr) {
		err = rhashtable_insert_fast(&t->addrs, &a->node,
					     dstm_addr_params);
		if (err)
			goto err_unhash_map;
	}
	if (!a->psid_len)
		rcu_assign_pointer(a->whole, m);

	a->nmaps++;
	list_add_tail(&m->list, &t->list);
	dstm_expiry_set(t, m, p->lifetime);
	t->count++;
	t->generation++;
	dstm_notify_map(priv, DSTM_CMD_MAP_NEW, m);
	return 0;

err_unhash_map:
	if (a->psid_len)
		rhashtable_remove_fast(&t->maps, &m->node, dstm_map_params);
	synchronize_rcu();
err_free_map:
	kfree(m);
err_free_addr:
	kfree(new_addr);
	if (err == -E2BIG || err == -EBUSY)
		NL_SET_ERR_MSG(extack, "mapping table is full");
	return err;
}

int dstm_table_remove(struct dstm_dev *priv, __be32 ipv4, u16 psid,
		      struct netlink_ext_ack *extack)
{
	struct dstm_map *m;

	lockdep_assert_held(priv->table.lock);

	m = dstm_table_find(&priv->table, ipv4, psid);
	if (!m) {
		NL_SET_ERR_MSG(extack, "no such mapping");
		return -ENOENT;
	}
	dstm_map_delete(priv, m, DSTM_CMD_MAP_DEL);
	return 0;
}

void dstm_table_flush(struct dstm_dev *priv)
{
	struct dstm_table *t = &priv->table;
	struct dstm_map *m, *tmp;

	lockdep_assert_held(t->lock);

	list_for_each_entry_safe(m, tmp, &t->list, list) {
		dstm_map_delete(priv, m, DSTM_CMD_MAP_DEL);
		cond_resched();
	}
}

static void dstm_table_gc(struct work_struct *work)
{
	struct dstm_table *t = container_of(to_delayed_work(work),
					    struct dstm_table, gc);
	struct dstm_dev *priv = dstm_table_dev(t);
	unsigned int budget = DSTM_GC_BATCH;
	struct rb_node *n;

	mutex_lock(t->lock);
	while ((n = rb_first(&t->expiry))) {
		struct dstm_map *m = rb_entry(n, struct dstm_map, expiry_node);

		if (time_before(jiffies, m->expires)) {
			mod_delayed_work(system_power_efficient_wq, &t->gc,
					 m->expires - jiffies);
			break;
		}
		if (!budget--) {
			mod_delayed_work(system_power_efficient_wq, &t->gc, 0);
			break;
		}
		dstm_map_delete(priv, m, DSTM_CMD_MAP_EXPIRED);
	}
	mutex_unlock(t->lock);
}

int dstm_table_init(struct dstm_table *t, struct mutex *lock)
{
	int err;

	err = rhashtable_init(&t->addrs, &dstm_addr_params);
	if (err)
		return err;
	err = rhashtable_init(&t->maps, &dstm_map_params);
	if (err) {
		rhashtable_destroy(&t->addrs);
		return err;
	}
	INIT_LIST_HEAD(&t->list);
	t->expiry = RB_ROOT;
	INIT_DELAYED_WORK(&t->gc, dstm_table_gc);
	t->lock = lock;
	return 0;
}

/*
 * Called once the device is gone and no reader can reach the table; the
 * expiry worker has been cancelled by then.
 */
void dstm_table_destroy(struct dstm_table *t)
{
	struct dstm_map *m, *tmp;

	list_for_each_entry_safe(m, tmp, &t->list, list) {
		if (!--m->addr->nmaps)
			kfree_rcu(m->addr, rcu);
		dstm_map_free(m);
	}
	rhashtable_destroy(&t->maps);
	rhashtable_destroy(&t->addrs);
}
