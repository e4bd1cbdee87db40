// SPDX-License-Identifier: GPL-2.0
/*
 * Leases: pools' slot tables, the client hash, and the DHCPv4 decisions
 * (offer, request, renew, release, decline, expiry).
 *
 * A slot is one (IPv4 address, PSID): slot = address index << k | PSID,
 * k the pool's PSID length, so the 2^k clients of one shared address sit
 * next to each other.  Every slot holds at most one lease, and every
 * client key at most one lease: the two invariants that keep one address
 * and port set from going to two clients.  The store has the same two as
 * UNIQUE constraints.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "store.h"

const char *const dstmd_counter_names[CNT_MAX] = {
#define X(n) #n,
	DSTMD_COUNTERS(X)
#undef X
};

static uint64_t hash_key(const uint8_t *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *k++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The DUID of a key (DUID length | DUID | ...), for the DUID hash. */
static bool key_duid(const uint8_t *key, size_t len)
{
	return len >= 2 && key[0] && (size_t)key[0] + 1 <= len;
}

static size_t duid_bucket(const struct dstmd *d, const uint8_t *duid,
			  size_t len)
{
	return hash_key(duid, len) & (d->hash_size - 1);
}

static void duid_link(struct dstmd *d, struct dstmd_lease *l)
{
	size_t h;

	if (!l->key_len || !key_duid(l->key, l->key_len))
		return;
	h = duid_bucket(d, l->key + 1, l->key[0]);
	l->dnext = d->dhash[h];
	d->dhash[h] = l;
}

static void duid_unlink(struct dstmd *d, struct dstmd_lease *l)
{
	struct dstmd_lease **pp;

	if (!l->key_len || !key_duid(l->key, l->key_len))
		return;
	pp = &d->dhash[duid_bucket(d, l->key + 1, l->key[0])];
	for (; *pp; pp = &(*pp)->dnext)
		if (*pp == l) {
			*pp = l->dnext;
			return;
		}
}

static bool hash_grow(struct dstmd *d)
{
	size_t n = d->hash_size ? d->hash_size * 2 : 1024, i;
	struct dstmd_lease **b = calloc(n, sizeof(*b)), *l, *next;
	struct dstmd_lease **db = calloc(n, sizeof(*db));

	if (!b || !db) {
		free(b);
		free(db);
		return false;
	}
	for (i = 0; i < d->hash_size; i++)
		for (l = d->hash[i]; l; l = next) {
			size_t h = hash_key(l->key, l->key_len) & (n - 1);

			next = l->hnext;
			l->hnext = b[h];
			b[h] = l;
		}
	free(d->hash);
	d->hash = b;
	d->hash_size = n;
	free(d->dhash);
	d->dhash = db;
	for (l = d->all; l; l = l->next)
		duid_link(d, l);
	return true;
}

struct dstmd_lease *lease_by_key(struct dstmd *d, const uint8_t *key,
				 size_t len)
{
	struct dstmd_lease *l;

	if (!d->hash_size || !len)
		return NULL;
	for (l = d->hash[hash_key(key, len) & (d->hash_size - 1)]; l; l = l->hnext)
		if (l->key_len == len && !memcmp(l->key, key, len))
			return l;
	return NULL;
}

static void hash_del(struct dstmd *d, struct dstmd_lease *l)
{
	struct dstmd_lease **pp;

	if (!l->key_len)
		return;
	duid_unlink(d, l);
	pp = &d->hash[hash_key(l->key, l->key_len) & (d->hash_size - 1)];
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == l) {
			*pp = l->hnext;
			d->n_keyed--;
			return;
		}
}

struct dstmd_pool *pool_of_addr(struct dstmd *d, uint32_t ipv4)
{
	unsigned int i, j;

	for (i = 0; i < d->cfg->n_pools; i++) {
		struct dstmd_pool *p = &d->cfg->pools[i];

		for (j = 0; j < p->n_ranges; j++)
			if (ipv4 >= p->ranges[j].lo && ipv4 <= p->ranges[j].hi)
				return p;
	}
	return NULL;
}

bool pool_serves(const struct dstmd_pool *p, const struct in6_addr *src)
{
	unsigned int bits = p->clients_len, i;

	for (i = 0; i < bits / 8; i++)
		if (p->clients.s6_addr[i] != src->s6_addr[i])
			return false;
	if (bits % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - bits % 8));

		if ((p->clients.s6_addr[i] ^ src->s6_addr[i]) & m)
			return false;
	}
	return true;
}

static void slot_addr(const struct dstmd_pool *p, uint32_t slot,
		      uint32_t *ipv4, uint16_t *psid)
{
	uint32_t idx = slot >> p->psid_len;
	unsigned int i;

	*psid = (uint16_t)(slot & ((1u << p->psid_len) - 1));
	for (i = 0; i < p->n_ranges; i++) {
		uint32_t n = p->ranges[i].hi - p->ranges[i].lo + 1;

		if (idx < n) {
			*ipv4 = p->ranges[i].lo + idx;
			return;
		}
		idx -= n;
	}
	*ipv4 = 0;
}

static bool addr_slot(const struct dstmd_pool *p, uint32_t ipv4,
		      uint16_t psid, uint32_t *slot)
{
	uint32_t base = 0;
	unsigned int i;

	if (psid >> p->psid_len)
		return false;
	for (i = 0; i < p->n_ranges; i++) {
		if (ipv4 >= p->ranges[i].lo && ipv4 <= p->ranges[i].hi) {
			*slot = (base + (ipv4 - p->ranges[i].lo)) << p->psid_len | psid;
			return true;
		}
		base += p->ranges[i].hi - p->ranges[i].lo + 1;
	}
	return false;
}

struct dstmd_lease *lease_by_addr(struct dstmd *d, uint32_t ipv4,
				  uint16_t psid)
{
	struct dstmd_pool *p = pool_of_addr(d, ipv4);
	uint32_t slot;

	if (!p || !addr_slot(p, ipv4, psid, &slot))
		return NULL;
	return p->slots[slot];
}

static struct dstmd_lease *lease_new(struct dstmd *d, struct dstmd_pool *p,
				     uint32_t slot, const uint8_t *key,
				     size_t key_len)
{
	struct dstmd_lease *l;
	size_t h;

	if (key_len && d->n_keyed + 1 > d->hash_size && !hash_grow(d))
		return NULL;
	l = calloc(1, sizeof(*l) + key_len);
	if (!l)
		return NULL;
	l->pool = p;
	l->slot = slot;
	slot_addr(p, slot, &l->ipv4, &l->psid);
	l->key_len = (uint16_t)key_len;
	memcpy(l->key, key, key_len);
	p->slots[slot] = l;
	p->n_used++;
	l->next = d->all;
	if (d->all)
		d->all->prev = l;
	d->all = l;
	d->n_leases++;
	if (key_len) {
		h = hash_key(key, key_len) & (d->hash_size - 1);
		l->hnext = d->hash[h];
		d->hash[h] = l;
		d->n_keyed++;
		duid_link(d, l);
	}
	return l;
}

static void lease_free(struct dstmd *d, struct dstmd_lease *l)
{
	hash_del(d, l);
	l->pool->slots[l->slot] = NULL;
	l->pool->n_used--;
	if (l->prev)
		l->prev->next = l->next;
	else
		d->all = l->next;
	if (l->next)
		l->next->prev = l->prev;
	d->n_leases--;
	free(l);
}

static void store_failed(struct dstmd *d, const char *what)
{
	if (!d->store_failed)
		err("lease store: %s: %s", what, store_errmsg(d->store));
	d->store_failed = true;
	d->cnt[CNT_store_err]++;
}

static void lease_save(struct dstmd *d, const struct dstmd_lease *l)
{
	struct store_lease s = {
		.ipv4 = l->ipv4, .psid = l->psid, .state = l->state,
		.key = l->key, .key_len = l->key_len, .ipv6 = l->ipv6,
		.expires = l->expires, .pool = l->pool->name,
	};

	if (store_put_lease(d->store, &s))
		store_failed(d, "write");
}

static void lease_unsave(struct dstmd *d, const struct dstmd_lease *l)
{
	if (store_del_lease(d->store, l->ipv4, l->psid))
		store_failed(d, "delete");
}

void dstmd_queue_tep(struct dstmd *d, const struct dstmd_lease *l, bool del)
{
	struct tep_op *op;

	if (!l->pool->tep_dev[0])
		return;
	if (d->n_ops == d->cap_ops) {
		size_t n = d->cap_ops ? d->cap_ops * 2 : 64;
		struct tep_op *o = realloc(d->ops, n * sizeof(*o));

		if (!o) {
			err("out of memory queueing TEP work");
			return;
		}
		d->ops = o;
		d->cap_ops = n;
	}
	op = &d->ops[d->n_ops++];
	op->del = del;
	op->pool = l->pool;
	op->ipv4 = l->ipv4;
	op->psid = l->psid;
	op->ipv6 = l->ipv6;
	op->lifetime = l->expires > d->now ? (uint32_t)(l->expires - d->now) : 1;
}

/* A lease whose time is up: forget it (and unmap it if it was bound). */
static void lease_expire(struct dstmd *d, struct dstmd_lease *l)
{
	if (l->state == LEASE_BOUND || l->state == LEASE_RESERVED) {
		char a[INET_ADDRSTRLEN];
		struct in_addr ia = { htonl(l->ipv4) };

		inet_ntop(AF_INET, &ia, a, sizeof(a));
		dbg("%s %s psid %u expired", l->state == LEASE_BOUND ?
		    "lease" : "reservation", a, l->psid);
		if (l->state == LEASE_BOUND)
			d->cnt[CNT_expired]++;
		dstmd_queue_tep(d, l, true);
	}
	if (l->state != LEASE_OFFERED)
		lease_unsave(d, l);
	lease_free(d, l);
}

void dstmd_expire(struct dstmd *d)
{
	struct dstmd_lease *l, *next;

	for (l = d->all; l; l = next) {
		next = l->next;
		if (l->expires <= d->now)
			lease_expire(d, l);
	}
}

/* A free slot of the address, or of the pool from its cursor on. */
static bool take_slot(struct dstmd *d, struct dstmd_pool *p, uint32_t first,
		      uint32_t count, uint32_t *slot)
{
	uint32_t i;

	for (i = 0; i < count; i++) {
		uint32_t s = first + i;
		struct dstmd_lease *l;

		if (s >= p->n_slots)
			s -= p->n_slots;
		l = p->slots[s];
		if (l && l->expires <= d->now)
			lease_expire(d, l);	/* reclaim in passing */
		if (!p->slots[s]) {
			*slot = s;
			return true;
		}
	}
	return false;
}

static struct dstmd_lease *new_for(struct dstmd *d, const struct dhcp4_req *r,
				   struct dstmd_pool *p, uint32_t slot)
{
	struct dstmd_lease *l = lease_new(d, p, slot, r->key, r->key_len);

	if (!l) {
		err("out of memory for a lease");
		return NULL;
	}
	l->state = LEASE_OFFERED;
	l->ipv6 = *r->src;
	l->expires = d->now + d->cfg->offer_time;
	return l;
}

/* A free slot on one specific address (any PSID), in a pool that serves
 * the client. */
static struct dstmd_lease *take_addr(struct dstmd *d,
				     const struct dhcp4_req *r, uint32_t addr)
{
	struct dstmd_pool *p = pool_of_addr(d, addr);
	uint32_t first, slot;

	if (!p || !pool_serves(p, r->src) || !addr_slot(p, addr, 0, &first))
		return NULL;
	if (!take_slot(d, p, first, 1u << p->psid_len, &slot))
		return NULL;
	return new_for(d, r, p, slot);
}

/* The live reservation of the requester's DUID, in a pool serving it. */
static struct dstmd_lease *reservation_for(struct dstmd *d,
					   const struct dhcp4_req *r)
{
	struct dstmd_lease *l;

	if (!key_duid(r->key, r->key_len))
		return NULL;
	l = lease_reserved(d, r->key + 1, r->key[0]);
	if (l && (l->expires <= d->now || !pool_serves(l->pool, r->src)))
		return NULL;
	return l;
}

struct dstmd_lease *lease_offer(struct dstmd *d, const struct dhcp4_req *r)
{
	struct dstmd_lease *l = lease_by_key(d, r->key, r->key_len), *res;
	unsigned int i;
	uint32_t slot;

	if (l && l->expires <= d->now) {
		lease_expire(d, l);
		l = NULL;
	}
	/* The DNS extension reserved an address for this host: that one
	 * (it stays RESERVED, and stored, until the REQUEST). */
	if (!l || l->state == LEASE_OFFERED) {
		res = reservation_for(d, r);
		if (res) {
			if (l && l != res)
				lease_free(d, l);
			return res;
		}
	}
	if (l) {
		/* The same client gets the same address back. */
		if (l->state == LEASE_OFFERED) {
			l->expires = d->now + d->cfg->offer_time;
			l->ipv6 = *r->src;
		}
		return l;
	}
	if (r->has_reqip) {
		l = take_addr(d, r, r->reqip);
		if (l)
			return l;
	}
	for (i = 0; i < d->cfg->n_pools; i++) {
		struct dstmd_pool *p = &d->cfg->pools[i];

		if (!pool_serves(p, r->src) || p->n_used == p->n_slots)
			continue;
		if (take_slot(d, p, p->cursor, p->n_slots, &slot)) {
			p->cursor = slot + 1 < p->n_slots ? slot + 1 : 0;
			return new_for(d, r, p, slot);
		}
	}
	d->cnt[CNT_exhausted]++;
	return NULL;
}

static void lease_bind(struct dstmd *d, struct dstmd_lease *l,
		 const struct in6_addr *src)
{
	d->bound_changed = true;
	l->state = LEASE_BOUND;
	l->expires = d->now + l->pool->lease_time;
	l->ipv6 = *src;
	lease_save(d, l);
	dstmd_queue_tep(d, l, false);
}

struct dstmd_lease *lease_request(struct dstmd *d, const struct dhcp4_req *r,
				  uint32_t addr, bool *nak)
{
	struct dstmd_lease *l = lease_by_key(d, r->key, r->key_len), *res;

	*nak = false;
	if (l && l->expires <= d->now) {
		lease_expire(d, l);
		l = NULL;
	}
	if (l && l->ipv4 == addr) {
		lease_bind(d, l, r->src);
		return l;
	}
	if (l && l->state == LEASE_BOUND) {
		*nak = true;	/* asks for another address than its own */
		return NULL;
	}
	if (l)
		lease_free(d, l);	/* an offer it did not take */
	res = reservation_for(d, r);
	if (res) {
		/* The reserved address and no other: it becomes the lease
		 * (same slot; the store's row is overwritten). */
		struct dstmd_pool *p = res->pool;
		uint32_t slot = res->slot;

		if (res->ipv4 != addr || r->ciaddr) {
			*nak = true;
			return NULL;
		}
		lease_free(d, res);
		l = lease_new(d, p, slot, r->key, r->key_len);
		if (!l) {
			err("out of memory for a lease");
			return NULL;
		}
		lease_bind(d, l, r->src);
		return l;
	}
	if (!r->ciaddr) {
		l = take_addr(d, r, addr);
		if (l) {
			lease_bind(d, l, r->src);
			return l;
		}
	}
	*nak = true;
	return NULL;
}

void lease_forget_offer(struct dstmd *d, const struct dhcp4_req *r)
{
	struct dstmd_lease *l = lease_by_key(d, r->key, r->key_len);

	if (l && l->state == LEASE_OFFERED)
		lease_free(d, l);
}

bool lease_release(struct dstmd *d, const struct dhcp4_req *r)
{
	struct dstmd_lease *l = lease_by_key(d, r->key, r->key_len);

	if (!l || l->ipv4 != r->ciaddr)
		return false;
	if (l->state == LEASE_BOUND && l->dns_until > d->now) {
		/* The DNS extension published its A record, and caches may
		 * hold it until dns_until (its TTL ended no later than the
		 * lease, which the release cut short): the address goes to
		 * no one else before then, like a declined one. */
		dstmd_queue_tep(d, l, true);
		hash_del(d, l);
		l->hnext = NULL;
		l->key_len = 0;
		l->state = LEASE_DECLINED;
		l->expires = l->dns_until;
		lease_save(d, l);
		d->cnt[CNT_dns_quarantined]++;
		return true;
	}
	if (l->state == LEASE_BOUND) {
		dstmd_queue_tep(d, l, true);
		lease_unsave(d, l);
	}
	lease_free(d, l);
	return true;
}

bool lease_decline(struct dstmd *d, const struct dhcp4_req *r)
{
	struct dstmd_lease *l = lease_by_key(d, r->key, r->key_len);

	if (!l || !r->has_reqip || l->ipv4 != r->reqip)
		return false;
	if (l->state == LEASE_BOUND)
		dstmd_queue_tep(d, l, true);
	if (!d->cfg->decline_time) {
		if (l->state != LEASE_OFFERED)
			lease_unsave(d, l);
		lease_free(d, l);
		return true;
	}
	/* Keep the slot out of use for decline-time, owned by no one. */
	hash_del(d, l);
	l->hnext = NULL;
	l->key_len = 0;
	l->state = LEASE_DECLINED;
	l->expires = d->now + d->cfg->decline_time;
	lease_save(d, l);
	return true;
}

static struct dstmd_lease *by_duid(struct dstmd *d, const uint8_t *duid,
				   size_t len, uint8_t state)
{
	struct dstmd_lease *l;

	if (!d->hash_size || !len)
		return NULL;
	for (l = d->dhash[duid_bucket(d, duid, len)]; l; l = l->dnext)
		if (l->state == state && l->key[0] == len &&
		    !memcmp(l->key + 1, duid, len) && l->expires > d->now)
			return l;
	return NULL;
}

struct dstmd_lease *lease_of_duid(struct dstmd *d, const uint8_t *duid,
				  size_t len)
{
	return by_duid(d, duid, len, LEASE_BOUND);
}

struct dstmd_lease *lease_reserved(struct dstmd *d, const uint8_t *duid,
				   size_t len)
{
	return by_duid(d, duid, len, LEASE_RESERVED);
}

struct dstmd_lease *lease_reserve(struct dstmd *d, const uint8_t *duid,
				  size_t len, const struct in6_addr *ipv6,
				  int64_t expires, bool *full)
{
	uint8_t key[1 + D6_DUID_MAX];
	struct dstmd_lease *l;
	unsigned int i;
	uint32_t slot;

	*full = false;
	if (!len || len > D6_DUID_MAX)
		return NULL;
	key[0] = (uint8_t)len;
	memcpy(key + 1, duid, len);
	l = lease_by_key(d, key, len + 1);
	if (l && l->expires <= d->now) {
		lease_expire(d, l);
		l = NULL;
	}
	if (l && l->state == LEASE_OFFERED) {
		lease_free(d, l);
		l = NULL;
	}
	if (l) {
		if (l->state != LEASE_RESERVED)
			return NULL;	/* a client whose key is its DUID */
	} else {
		for (i = 0; i < d->cfg->n_pools; i++) {
			struct dstmd_pool *p = &d->cfg->pools[i];

			if (!pool_serves(p, ipv6))
				continue;
			if (p->n_used == p->n_slots ||
			    !take_slot(d, p, p->cursor, p->n_slots, &slot)) {
				*full = true;
				continue;
			}
			p->cursor = slot + 1 < p->n_slots ? slot + 1 : 0;
			l = lease_new(d, p, slot, key, len + 1);
			break;
		}
		if (!l) {
			if (*full)
				d->cnt[CNT_exhausted]++;
			return NULL;
		}
		*full = false;
	}
	l->state = LEASE_RESERVED;
	l->ipv6 = *ipv6;
	l->expires = expires;
	lease_save(d, l);
	dstmd_queue_tep(d, l, false);
	return l;
}

void lease_unreserve(struct dstmd *d, struct dstmd_lease *l)
{
	if (l->state != LEASE_RESERVED)
		return;
	dstmd_queue_tep(d, l, true);
	lease_unsave(d, l);
	lease_free(d, l);
}

struct load_ctx {
	struct dstmd *d;
	unsigned int loaded, dropped;
	struct { uint32_t ipv4; uint16_t psid; } *drop;
	size_t n_drop, cap_drop;
};

static int load_one(const struct store_lease *s, void *arg)
{
	struct load_ctx *x = arg;
	struct dstmd *d = x->d;
	struct dstmd_pool *p = pool_of_addr(d, s->ipv4);
	struct dstmd_lease *l;
	uint32_t slot;
	bool bad = !p || !addr_slot(p, s->ipv4, s->psid, &slot) ||
		   (s->state != LEASE_BOUND && s->state != LEASE_DECLINED &&
		    s->state != LEASE_RESERVED) ||
		   s->key_len > DSTMD_MAX_KEY ||
		   (s->key_len && lease_by_key(d, s->key, s->key_len));

	if (!bad && p->slots[slot])
		bad = true;
	if (bad) {
		/* The configuration changed under it: drop it. */
		if (x->n_drop == x->cap_drop) {
			size_t n = x->cap_drop ? x->cap_drop * 2 : 16;
			void *m = realloc(x->drop, n * sizeof(*x->drop));

			if (!m)
				return -1;
			x->drop = m;
			x->cap_drop = n;
		}
		x->drop[x->n_drop].ipv4 = s->ipv4;
		x->drop[x->n_drop++].psid = s->psid;
		return 0;
	}
	l = lease_new(d, p, slot, s->key, s->key_len);
	if (!l)
		return -1;
	l->state = s->state;
	l->ipv6 = s->ipv6;
	l->expires = s->expires;
	x->loaded++;
	return 0;
}

int dstmd_load(struct dstmd *d)
{
	struct load_ctx x = { .d = d };
	size_t i;
	int r;

	r = store_each_lease(d->store, load_one, &x);
	if (r) {
		err("lease store: cannot load leases: %s", store_errmsg(d->store));
		free(x.drop);
		return -1;
	}
	if (x.n_drop) {
		warn("dropping %zu stored leases outside the configured pools",
		     x.n_drop);
		r = store_begin(d->store);
		for (i = 0; !r && i < x.n_drop; i++)
			r = store_del_lease(d->store, x.drop[i].ipv4, x.drop[i].psid);
		r = r ? r : store_commit(d->store);
		if (r)
			store_rollback(d->store);
	}
	free(x.drop);
	info("%u leases loaded", x.loaded);
	return r ? -1 : 0;
}

static void free_leases(struct dstmd *d)
{
	while (d->all)
		lease_free(d, d->all);
}

int dstmd_reload(struct dstmd *d)
{
	free_leases(d);
	d->n_ops = 0;
	return dstmd_load(d);
}

int dstmd_init(struct dstmd *d, struct dstmd_config *cfg, struct store *s,
	       struct tep *tep)
{
	unsigned int i;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->store = s;
	d->tep = tep;
	for (i = 0; i < cfg->n_pools; i++) {
		struct dstmd_pool *p = &cfg->pools[i];

		p->n_slots = p->n_addrs << p->psid_len;
		p->slots = calloc(p->n_slots, sizeof(*p->slots));
		if (!p->slots) {
			err("out of memory for pool %s", p->name);
			return -1;
		}
		p->cursor = 0;
		p->n_used = 0;
	}
	if (!hash_grow(d))
		return -1;
	return dstmd_load(d);
}

void dstmd_free(struct dstmd *d)
{
	free_leases(d);
	free(d->hash);
	free(d->dhash);
	free(d->ops);
	d->hash = NULL;
	d->dhash = NULL;
	d->ops = NULL;
}

void dstmd_log_counters(const struct dstmd *d)
{
	char buf[3072];
	size_t n = 0;
	int i;

	for (i = 0; i < CNT_MAX && n < sizeof(buf); i++)
		if (d->cnt[i])
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s=%llu",
					      dstmd_counter_names[i],
					      (unsigned long long)d->cnt[i]);
	info("counters:%s leases=%zu", n ? buf : " none", d->n_leases);
}
