// SPDX-License-Identifier: GPL-2.0
/*
 * The on-demand queue of a client with no IPv4 address yet.
 *
 * DSTM hands out IPv4 addresses only when they are needed, so the packet
 * that reveals the need must not be lost: it waits here, an ADDR_NEEDED
 * event tells the agent, and when the agent sets the address the queue is
 * sent in order.  The queue is bounded in length and in time; a packet
 * that waits too long gets an ICMP host unreachable, as a host whose ARP
 * never resolved would get.
 */

#include <linux/icmp.h>
#include <net/icmp.h>

#include "dstm.h"

struct dstm_skb_cb {
	unsigned long deadline;
};

static struct dstm_skb_cb *dstm_skb_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct dstm_skb_cb) > sizeof(skb->cb));
	return (struct dstm_skb_cb *)skb->cb;
}

static void dstm_queue_timeout(struct dstm_dev *priv, struct sk_buff *skb)
{
	/* Count before the sender hears of it (it may look at once). */
	dstm_drop_count(priv, DSTM_DROP_QUEUE_TIMEOUT);
	DEV_STATS_INC(priv->dev, tx_dropped);
	/* The control block held our deadline, not IPv4 options. */
	memset(skb->cb, 0, sizeof(skb->cb));
	icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	kfree_skb(skb);
}

/*
 * Deadlines are not in queue order (the timeout may change between two
 * packets), so look at every held packet; there are at most a few
 * thousand.
 */
static void dstm_queue_expire(struct timer_list *timer)
{
	struct dstm_queue *q = from_timer(q, timer, timer);
	struct dstm_dev *priv = container_of(q, struct dstm_dev, queue);
	unsigned long next = 0, now = jiffies;
	struct sk_buff *skb, *tmp;
	struct sk_buff_head expired;
	unsigned long flags;

	__skb_queue_head_init(&expired);
	spin_lock_irqsave(&q->skbs.lock, flags);
	skb_queue_walk_safe(&q->skbs, skb, tmp) {
		unsigned long deadline = dstm_skb_cb(skb)->deadline;

		if (time_before(now, deadline)) {
			if (!next || time_before(deadline, next))
				next = deadline;
			continue;
		}
		__skb_unlink(skb, &q->skbs);
		__skb_queue_tail(&expired, skb);
	}
	if (next)
		timer_reduce(&q->timer, next);
	spin_unlock_irqrestore(&q->skbs.lock, flags);

	rcu_read_lock();
	while ((skb = __skb_dequeue(&expired)))
		dstm_queue_timeout(priv, skb);
	rcu_read_unlock();
}

/* Tell the agent, at most once a second: an address is wanted for @dst. */
static void dstm_queue_event(struct dstm_dev *priv, __be32 dst)
{
	struct dstm_queue *q = &priv->queue;
	unsigned long last = READ_ONCE(q->last_event);

	if (time_before(jiffies, last + HZ))
		return;
	if (cmpxchg(&q->last_event, last, jiffies) != last)
		return;
	this_cpu_inc(priv->pstats->addr_needed);
	dstm_notify_addr_needed(priv, dst);
}

/* Called from ndo_start_xmit under rcu_read_lock(), no address set. */
void dstm_queue_skb(struct dstm_dev *priv, const struct dstm_cfg *cfg,
		    struct sk_buff *skb)
{
	struct dstm_queue *q = &priv->queue;
	__be32 dst = ip_hdr(skb)->daddr;
	unsigned long flags;
	bool full;

	/* The route may be freed before we send; keep our own reference. */
	skb_dst_force(skb);
	dstm_skb_cb(skb)->deadline = jiffies +
				     msecs_to_jiffies(cfg->queue_ms) ?: 1;

	spin_lock_irqsave(&q->skbs.lock, flags);
	full = skb_queue_len(&q->skbs) >= cfg->queue_len;
	if (!full) {
		__skb_queue_tail(&q->skbs, skb);
		/* Sooner than whatever the timer waits for, if need be. */
		timer_reduce(&q->timer, dstm_skb_cb(skb)->deadline);
	}
	spin_unlock_irqrestore(&q->skbs.lock, flags);

	if (full) {
		dstm_drop_count(priv, DSTM_DROP_QUEUE_FULL);
		DEV_STATS_INC(priv->dev, tx_dropped);
		kfree_skb(skb);
	} else {
		this_cpu_inc(priv->pstats->queued);
	}
	dstm_queue_event(priv, dst);

	/* The address may have arrived while we queued; whoever set it has
	 * released the queue before our packet was in it.  Send it now.
	 */
	if (!full && READ_ONCE(rcu_dereference(priv->cfg)->addr))
		schedule_work(&q->flush);
}

/*
 * Send what waits, in order, with the configuration now in place; in TEP
 * mode (or with no address again) there is no one to send it to: drop.
 */
void dstm_queue_release(struct dstm_dev *priv)
{
	struct dstm_queue *q = &priv->queue;
	struct sk_buff_head list;
	struct dstm_cfg *cfg;
	struct sk_buff *skb;
	unsigned long flags;

	__skb_queue_head_init(&list);
	spin_lock_irqsave(&q->skbs.lock, flags);
	skb_queue_splice_init(&q->skbs, &list);
	spin_unlock_irqrestore(&q->skbs.lock, flags);
	if (skb_queue_empty(&list))
		return;

	local_bh_disable();
	rcu_read_lock();
	cfg = rcu_dereference(priv->cfg);
	while ((skb = __skb_dequeue(&list))) {
		memset(skb->cb, 0, sizeof(skb->cb));
		if (cfg->mode == DSTM_MODE_CLIENT && cfg->addr) {
			dstm_xmit_client(priv, cfg, skb);
		} else {
			dstm_drop_count(priv, DSTM_DROP_NO_CONFIG);
			DEV_STATS_INC(priv->dev, tx_dropped);
			kfree_skb(skb);
		}
	}
	rcu_read_unlock();
	local_bh_enable();
}

static void dstm_queue_flush(struct work_struct *work)
{
	dstm_queue_release(container_of(work, struct dstm_dev, queue.flush));
}

void dstm_queue_init(struct dstm_dev *priv)
{
	struct dstm_queue *q = &priv->queue;

	skb_queue_head_init(&q->skbs);
	timer_setup(&q->timer, dstm_queue_expire, 0);
	INIT_WORK(&q->flush, dstm_queue_flush);
	q->last_event = jiffies - HZ;
}

/* Device going down or away: nothing waits any more. */
void dstm_queue_purge(struct dstm_dev *priv)
{
	struct dstm_queue *q = &priv->queue;

	timer_delete_sync(&q->timer);
	cancel_work_sync(&q->flush);
	skb_queue_purge(&q->skbs);
}
