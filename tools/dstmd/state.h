/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The server's run-time state: leases in memory (the store's mirror),
 * pools' slot tables, the client hash, counters and the TEP work queue.
 */
#ifndef DSTMD_STATE_H
#define DSTMD_STATE_H

#include "dstmd.h"

struct store;
struct tep;

enum lease_state {
	LEASE_OFFERED = 1,	/* in memory only, until offer-time */
	LEASE_BOUND = 2,	/* in the store, mapped on the TEP */
	LEASE_DECLINED = 3,	/* in the store, no client, until decline-time */
	/* DNS extension: held for a host (key = DUID length | DUID) until
	 * it takes it or on-demand-wait runs out; in the store, mapped on
	 * the TEP, handed to no one else. */
	LEASE_RESERVED = 4,
};

struct dstmd_lease {
	struct dstmd_pool *pool;
	uint32_t slot;
	uint32_t ipv4;			/* host order */
	uint16_t psid;
	uint8_t state;
	struct in6_addr ipv6;		/* the client's address: the mapping */
	int64_t expires;		/* unix seconds */
	int64_t dns_until;		/* an A record of it may be cached till */
	struct dstmd_lease *hnext;	/* client hash chain */
	struct dstmd_lease *dnext;	/* DUID hash chain */
	struct dstmd_lease *prev, *next;	/* every lease */
	uint16_t key_len;		/* 0 for DECLINED */
	uint8_t key[];			/* DUID | 0 | DHCPv4 client id */
};

/* Counters, printed by SIGUSR1 and at exit, and by the tests.  batch_*:
 * how long batches took from receipt to the last answer sent (commit and
 * TEP programming included): the server's own share of the latency. */
#define DSTMD_COUNTERS(X) \
	X(rx) X(tx) X(drop_malformed) X(drop_type) X(drop_v4) \
	X(drop_auth) X(drop_replay) X(drop_ratelimit) X(drop_serverid) \
	X(drop_nopool) X(inforeq) X(discover) X(offer) X(request) X(ack) \
	X(nak) X(renew) X(release) X(decline) X(inform) X(exhausted) \
	X(expired) X(tep_ok) X(tep_err) X(store_err) X(reconfigure_keys) \
	X(batch_under_1ms) X(batch_under_5ms) X(batch_over_5ms) \
	X(dns_rx) X(dns_tx) X(dns_tcp_conns) X(dns_drop_malformed) \
	X(dns_drop_oversized) X(dns_drop_response) X(dns_drop_tcp) \
	X(dns_formerr) X(dns_notimp) X(dns_refused) X(dns_nxdomain) \
	X(dns_nodata) X(dns_servfail) X(dns_badvers) X(dns_truncated) \
	X(dns_ondemand) X(dns_ondemand_ok) X(dns_ondemand_timeout) \
	X(dns_ondemand_ratelimited) X(dns_ondemand_full) \
	X(dns_ondemand_nokey) X(dns_ondemand_nopool) X(dns_quarantined) \
	X(reconfigure_tx)

enum {
#define X(n) CNT_##n,
	DSTMD_COUNTERS(X)
#undef X
	CNT_MAX
};
extern const char *const dstmd_counter_names[CNT_MAX];

/* TEP work, queued by the lease logic, run after the commit. */
struct tep_op {
	bool del;
	const struct dstmd_pool *pool;
	uint32_t ipv4;
	uint16_t psid;
	struct in6_addr ipv6;
	uint32_t lifetime;
};

struct dns;

struct dstmd {
	struct dstmd_config *cfg;
	struct dns *dns;		/* NULL without [dns] */
	struct store *store;
	struct tep *tep;
	uint8_t duid[D6_DUID_MAX];	/* our DHCPv6 server id */
	uint16_t duid_len;
	/* leases */
	struct dstmd_lease *all;
	struct dstmd_lease **hash;
	struct dstmd_lease **dhash;	/* by DUID (key[0] = its length) */
	size_t hash_size, n_leases, n_keyed;
	/* per-batch TEP work */
	struct tep_op *ops;
	size_t n_ops, cap_ops;
	bool store_failed;		/* this batch: roll back, answer nothing */
	bool bound_changed;		/* a lease was bound: held DNS queries */
	uint64_t cnt[CNT_MAX];
	int64_t now;			/* time of the batch being handled */
};

/* lease.c */
int dstmd_init(struct dstmd *d, struct dstmd_config *cfg, struct store *s,
	       struct tep *tep);
void dstmd_free(struct dstmd *d);
/* Load the leases from the store (dstmd_init does it). */
int dstmd_load(struct dstmd *d);
/* Drop the in-memory state and load it again (after a failed commit). */
int dstmd_reload(struct dstmd *d);
struct dstmd_lease *lease_by_key(struct dstmd *d, const uint8_t *key,
				 size_t len);
struct dstmd_lease *lease_by_addr(struct dstmd *d, uint32_t ipv4,
				  uint16_t psid);
struct dstmd_pool *pool_of_addr(struct dstmd *d, uint32_t ipv4);
bool pool_serves(const struct dstmd_pool *p, const struct in6_addr *src);
/* Expire offers, leases and declines whose time has come. */
void dstmd_expire(struct dstmd *d);
void dstmd_queue_tep(struct dstmd *d, const struct dstmd_lease *l, bool del);

/* DHCPv4 decisions (lease.c).  Each returns the lease concerned or NULL. */
struct dhcp4_req {
	const uint8_t *key;
	size_t key_len;
	const struct in6_addr *src;
	bool has_reqip;
	uint32_t reqip;			/* host order */
	uint32_t ciaddr;		/* host order */
};
struct dstmd_lease *lease_offer(struct dstmd *d, const struct dhcp4_req *r);
/* *nak set when the client must be told no. */
struct dstmd_lease *lease_request(struct dstmd *d, const struct dhcp4_req *r,
				  uint32_t addr, bool *nak);
/* Selecting a different server: forget our offer. */
void lease_forget_offer(struct dstmd *d, const struct dhcp4_req *r);
bool lease_release(struct dstmd *d, const struct dhcp4_req *r);
bool lease_decline(struct dstmd *d, const struct dhcp4_req *r);

/* DNS extension.  The live lease (BOUND, not expired) of a DUID, or NULL;
 * lease_reserved: its RESERVED one. */
struct dstmd_lease *lease_of_duid(struct dstmd *d, const uint8_t *duid,
				  size_t len);
struct dstmd_lease *lease_reserved(struct dstmd *d, const uint8_t *duid,
				   size_t len);
/* Reserve a slot of the first pool serving ipv6 for the DUID until
 * expires (stored, TEP queued).  NULL if no pool serves it or all are
 * full (*full set then). */
struct dstmd_lease *lease_reserve(struct dstmd *d, const uint8_t *duid,
				  size_t len, const struct in6_addr *ipv6,
				  int64_t expires, bool *full);
/* Give a reservation back (store, TEP). */
void lease_unreserve(struct dstmd *d, struct dstmd_lease *l);

/* proto.c: the replay counter of our Reconfigure Keys and Reconfigures
 * (RDM 0: it only grows, across restarts too). */
uint64_t dstmd_next_replay(void);
/* proto.c: one datagram in, the answer (length, 0 = none) out. */
size_t dstmd_handle(struct dstmd *d, const struct in6_addr *src,
		    const uint8_t *pkt, size_t len, uint8_t *out, size_t cap);

/* tep.c: run the queued TEP work, then clear the queue. */
void dstmd_tep_flush(struct dstmd *d);
/* Make each TEP's mapping table match the leases. */
int dstmd_reconcile(struct dstmd *d);

void dstmd_log_counters(const struct dstmd *d);

#endif
