// SPDX-License-Identifier: GPL-2.0
/*
 * Running the TEP work the lease logic queued, and reconciliation: make
 * each TEP device's mapping table match the bound leases (add missing,
 * fix wrong, remove stale mappings inside our pools).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "tep.h"

static void tep_log(struct dstmd *d, const char *what, const char *dev,
		    uint32_t ipv4, uint16_t psid, int r)
{
	struct in_addr a = { htonl(ipv4) };
	char s[INET_ADDRSTRLEN];
	const char *m = d->tep->ops->errmsg(d->tep);

	inet_ntop(AF_INET, &a, s, sizeof(s));
	log_limited(20, LOG_LVL_ERR, "TEP %s %s psid %u on %s: %s%s%s", what, s,
		    psid, dev, strerror(-r), m ? ": " : "", m ? m : "");
}

static void map_of(const struct dstmd_pool *p, uint32_t ipv4, uint16_t psid,
		   const struct in6_addr *ipv6, uint32_t lifetime,
		   struct tep_map *m)
{
	memset(m, 0, sizeof(*m));
	m->ipv4 = ipv4;
	m->psid = psid;
	m->psid_len = p->psid_len;
	m->psid_offset = p->psid_len ? p->psid_offset : 0;
	m->ipv6 = *ipv6;
	m->lifetime = lifetime;
}

void dstmd_tep_flush(struct dstmd *d)
{
	size_t i;
	int r;

	for (i = 0; i < d->n_ops; i++) {
		const struct tep_op *op = &d->ops[i];
		const char *dev = op->pool->tep_dev;
		struct tep_map m;

		if (op->del) {
			r = d->tep->ops->map_del(d->tep, dev, op->ipv4, op->psid);
		} else {
			map_of(op->pool, op->ipv4, op->psid, &op->ipv6,
			       op->lifetime, &m);
			r = d->tep->ops->map_set(d->tep, dev, &m);
		}
		if (r) {
			d->cnt[CNT_tep_err]++;
			tep_log(d, op->del ? "del" : "set", dev, op->ipv4,
				op->psid, r);
		} else {
			d->cnt[CNT_tep_ok]++;
		}
	}
	d->n_ops = 0;
}

struct rec_ctx {
	struct dstmd *d;
	const char *dev;
	struct tep_map *stale;
	size_t n_stale, cap_stale;
	unsigned int fixed;
	char **seen;			/* per pool: slot seen correct */
};

static bool pool_on_dev(const struct dstmd_pool *p, const char *dev)
{
	return p->tep_dev[0] && !strcmp(p->tep_dev, dev);
}

static int rec_one(const struct tep_map *m, void *arg)
{
	struct rec_ctx *x = arg;
	struct dstmd *d = x->d;
	struct dstmd_pool *p = pool_of_addr(d, m->ipv4);
	struct dstmd_lease *l;
	int64_t left;

	if (!p || !pool_on_dev(p, x->dev))
		return 0;	/* not ours: leave it alone */
	l = lease_by_addr(d, m->ipv4, m->psid);
	if (l && (l->state == LEASE_BOUND || l->state == LEASE_RESERVED) &&
	    l->expires > d->now) {
		left = l->expires - d->now;
		if (!memcmp(&l->ipv6, &m->ipv6, 16) &&
		    m->psid_len == p->psid_len &&
		    (!p->psid_len || m->psid_offset == p->psid_offset) &&
		    m->lifetime && (int64_t)m->lifetime <= left + 2 &&
		    (int64_t)m->lifetime + 2 >= left) {
			x->seen[p - d->cfg->pools][l->slot] = 1;
			return 0;
		}
		if (m->psid_len == p->psid_len)
			return 0;	/* fixed by the re-add below */
	}
	if (x->n_stale == x->cap_stale) {
		size_t n = x->cap_stale ? x->cap_stale * 2 : 64;
		struct tep_map *s = realloc(x->stale, n * sizeof(*s));

		if (!s)
			return -12;
		x->stale = s;
		x->cap_stale = n;
	}
	x->stale[x->n_stale++] = *m;
	return 0;
}

static int reconcile_dev(struct dstmd *d, const char *dev, char **seen)
{
	struct rec_ctx x = { .d = d, .dev = dev, .seen = seen };
	unsigned int i, added = 0;
	struct dstmd_lease *l;
	struct tep_map m;
	size_t k;
	int r;

	r = d->tep->ops->dump(d->tep, dev, rec_one, &x);
	if (r) {
		const char *msg = d->tep->ops->errmsg(d->tep);

		err("TEP %s: cannot read its mappings: %s%s%s", dev,
		    strerror(-r), msg ? ": " : "", msg ? msg : "");
		free(x.stale);
		return r;
	}
	for (k = 0; k < x.n_stale; k++) {
		r = d->tep->ops->map_del(d->tep, dev, x.stale[k].ipv4,
					 x.stale[k].psid);
		if (r)
			tep_log(d, "del", dev, x.stale[k].ipv4, x.stale[k].psid, r);
	}
	for (l = d->all; l; l = l->next) {
		if ((l->state != LEASE_BOUND && l->state != LEASE_RESERVED) ||
		    l->expires <= d->now ||
		    !pool_on_dev(l->pool, dev) ||
		    seen[l->pool - d->cfg->pools][l->slot])
			continue;
		map_of(l->pool, l->ipv4, l->psid, &l->ipv6,
		       (uint32_t)(l->expires - d->now), &m);
		r = d->tep->ops->map_set(d->tep, dev, &m);
		if (r)
			tep_log(d, "set", dev, l->ipv4, l->psid, r);
		else
			added++;
	}
	for (i = 0; i < d->cfg->n_pools; i++)
		if (pool_on_dev(&d->cfg->pools[i], dev))
			memset(seen[i], 0, d->cfg->pools[i].n_slots);
	if (x.n_stale || added)
		info("TEP %s reconciled: %zu stale mappings removed, %u added or fixed",
		     dev, x.n_stale, added);
	free(x.stale);
	return 0;
}

int dstmd_reconcile(struct dstmd *d)
{
	unsigned int i, j;
	char **seen = calloc(d->cfg->n_pools, sizeof(*seen));
	int ret = 0;

	if (!seen)
		return -1;
	for (i = 0; i < d->cfg->n_pools; i++) {
		seen[i] = calloc(d->cfg->pools[i].n_slots, 1);
		if (!seen[i]) {
			ret = -1;
			goto out;
		}
	}
	for (i = 0; i < d->cfg->n_pools; i++) {
		const char *dev = d->cfg->pools[i].tep_dev;
		bool done = false;

		if (!dev[0])
			continue;
		for (j = 0; j < i; j++)
			if (!strcmp(d->cfg->pools[j].tep_dev, dev))
				done = true;
		if (!done && reconcile_dev(d, dev, seen))
			ret = -1;
	}
out:
	for (i = 0; i < d->cfg->n_pools; i++)
		free(seen[i]);
	free(seen);
	return ret;
}
