// SPDX-License-Identifier: GPL-2.0
/*
 * On-demand allocation (worked examples 6-9): an A query for a registered
 * host that has no lease.
 *
 *   1. reserve a slot of the host's pool for its DUID (lease.c,
 *      LEASE_RESERVED: stored and committed like a lease, so a kill -9
 *      cannot hand the address to anyone else), map it on the TEP
 *      (both in the same pass of the loop as step 2, before any OFFER
 *      or ACK can name the address);
 *   2. send the host a Reconfigure (RFC 8415 18.3.11: msg-type
 *      Information-request, authenticated with its Reconfigure Key, 20.4)
 *      to [its IPv6]:546 from port 547; retransmit after REC_TIMEOUT,
 *      doubling, at most REC_MAX_RC times, and never past the wait;
 *   3. hold the query (and any other A query for that host) without
 *      blocking the loop; the host runs Information-request, DISCOVER,
 *      REQUEST and lease.c gives it the reserved address and no other;
 *   4. answer once the lease is bound (dns_after_batch), or at the end of
 *      on-demand-wait: the reservation and its mapping are given back and
 *      the held queries get NOERROR without an A record (NODATA).
 *
 * Every held query is answered by running it through dns_answer() again:
 * what it says comes from the lease table at that moment.
 *
 * Abuse: a token bucket per querier (IPv4 address, IPv6 /64) limits new
 * allocations, max-pending caps the reservations waiting at once,
 * max-held the queries held for them; each refusal is counted and the
 * query gets NODATA.  A flood cannot take more addresses than there are
 * registered hosts without leases, and each only for on-demand-wait.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "dns_int.h"
#include "store.h"

#define REC_TIMEOUT_MS	2000	/* RFC 8415 7.6 */
#define REC_MAX_RC	8
#define RL_BUCKETS	1024

static const char *addr6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static bool rate_ok(struct dns *dns, const struct sockaddr_in6 *sa)
{
	const struct dstmd_dns_config *c = dns->cfg;
	uint8_t key[8];
	struct dns_rl *b;
	uint32_t h = 2166136261u;
	int64_t t;
	int i;

	if (!c->rate)
		return true;
	if (!dns->rl) {
		dns->rl = calloc(RL_BUCKETS, sizeof(*dns->rl));
		if (!dns->rl)
			return false;
	}
	/* IPv4: the address; IPv6: its /64 (one host's worth). */
	if (IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr)) {
		memset(key, 0, 4);
		memcpy(key + 4, &sa->sin6_addr.s6_addr[12], 4);
	} else {
		memcpy(key, sa->sin6_addr.s6_addr, 8);
	}
	for (i = 0; i < 8; i++)
		h = (h ^ key[i]) * 16777619u;
	b = &dns->rl[h % RL_BUCKETS];
	t = dns_now_ms();
	if (memcmp(b->key, key, 8) || !b->last_ms) {
		memcpy(b->key, key, 8);
		b->tokens = c->burst;
		b->last_ms = t;
	}
	b->tokens += (double)(t - b->last_ms) * c->rate / 1000.0;
	if (b->tokens > c->burst)
		b->tokens = c->burst;
	b->last_ms = t;
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

static bool hold(struct dns *dns, struct dns_pending *p,
		 const struct dns_from *from, const uint8_t *q, size_t qlen)
{
	struct dns_held *h;

	if (dns->n_held >= dns->cfg->max_held) {
		dns->d->cnt[CNT_dns_ondemand_full]++;
		return false;
	}
	h = malloc(sizeof(*h) + qlen);
	if (!h)
		return false;
	h->from = *from;
	h->qlen = qlen;
	memcpy(h->q, q, qlen);
	h->next = p->held;
	p->held = h;
	dns->n_held++;
	return true;
}

static void send_reconfigure(struct dns *dns, struct dns_pending *p,
			     const struct dns_host *h)
{
	struct dstmd *d = dns->d;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6,
				   .sin6_port = htons(DHCP6_CLIENT_PORT),
				   .sin6_addr = h->ipv6 };
	char a[INET6_ADDRSTRLEN];
	uint8_t buf[512];
	int n;

	n = d6_build_reconfigure(buf, sizeof(buf), d->duid, d->duid_len,
				 h->duid, h->duid_len, D6_INFORMATION_REQUEST,
				 dstmd_next_replay(), h->key);
	p->tx++;
	if (n <= 0)
		return;
	if (dns->dhcp_fd >= 0 &&
	    sendto(dns->dhcp_fd, buf, (size_t)n, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0) {
		log_limited(41, LOG_LVL_WARN, "Reconfigure to [%s]:546: %m",
			    addr6(&h->ipv6, a));
		return;
	}
	d->cnt[CNT_reconfigure_tx]++;
	dbg("on-demand: Reconfigure #%u to [%s]:546 for %s", p->tx,
	    addr6(&h->ipv6, a), p->name);
}

/* Commit what the lease logic did; false (and state reloaded) if the
 * store failed. */
static bool commit(struct dstmd *d)
{
	if (!d->store_failed && !store_commit(d->store)) {
		dstmd_tep_flush(d);
		return true;
	}
	err("lease store: commit failed (%s): on-demand allocation abandoned",
	    store_errmsg(d->store));
	store_rollback(d->store);
	d->cnt[CNT_store_err]++;
	dstmd_reload(d);
	d->n_ops = 0;
	return false;
}

bool ondemand_hold(struct dns *dns, const struct dns_host *h,
		   const struct dns_from *from, const uint8_t *q, size_t qlen)
{
	struct dstmd *d = dns->d;
	struct dns_pending *p;
	struct dstmd_lease *l;
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	struct in_addr ia;
	int64_t now = dns_now_ms();
	bool full;

	for (p = dns->pending; p; p = p->next)
		if (p->duid_len == h->duid_len &&
		    !memcmp(p->duid, h->duid, h->duid_len))
			return hold(dns, p, from, q, qlen);	/* joins it */
	if (!h->has_key || !d->cfg->reconfigure) {
		d->cnt[CNT_dns_ondemand_nokey]++;
		log_limited(42, LOG_LVL_INFO,
			    "on-demand: %s has no Reconfigure Key: no allocation",
			    h->name);
		return false;
	}
	if (!rate_ok(dns, &from->sa)) {
		d->cnt[CNT_dns_ondemand_ratelimited]++;
		log_limited(43, LOG_LVL_WARN,
			    "on-demand: querier %s over its rate: no allocation",
			    addr6(&from->sa.sin6_addr, a6));
		return false;
	}
	if (dns->n_pending >= dns->cfg->max_pending ||
	    dns->n_held >= dns->cfg->max_held) {
		d->cnt[CNT_dns_ondemand_full]++;
		log_limited(44, LOG_LVL_WARN,
			    "on-demand: %u allocations pending (max-pending): no allocation for %s",
			    dns->n_pending, h->name);
		return false;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return false;
	d->now = time(NULL);
	d->store_failed = false;
	if (store_begin(d->store)) {
		free(p);
		return false;
	}
	/* The reservation outlives the wait by a little: the wait's end
	 * gives it back explicitly; after a restart, expiry does. */
	l = lease_reserve(d, h->duid, h->duid_len, &h->ipv6,
			  d->now + (dns->cfg->wait_ms + 999) / 1000 + 2, &full);
	if (!l) {
		commit(d);	/* whatever lease_reserve changed looking */
		d->cnt[CNT_dns_ondemand_nopool]++;
		log_limited(45, LOG_LVL_WARN, "on-demand: %s: %s", h->name,
			    full ? "no free address in its pool" :
			    "no pool serves its IPv6 address");
		free(p);
		return false;
	}
	memcpy(p->duid, h->duid, h->duid_len);
	p->duid_len = h->duid_len;
	strcpy(p->name, h->name);
	/*
	 * The Reconfigure leaves before the commit and the TEP mapping: the
	 * host's turn (checking the HMAC, its Information-request) then runs
	 * while we write, instead of after (issue 5: the answer's latency).
	 * It names no address: the address reaches the host in the OFFER and
	 * the ACK, which this loop sends only after this commit.  Should the
	 * commit fail, the host just takes a lease the ordinary way.
	 */
	send_reconfigure(dns, p, h);
	if (!commit(d)) {
		free(p);
		return false;
	}
	d->cnt[CNT_dns_ondemand]++;
	p->start_ms = now;
	p->deadline_ms = now + dns->cfg->wait_ms;
	p->rt_ms = REC_TIMEOUT_MS;
	p->next_tx_ms = now + p->rt_ms;
	p->next = dns->pending;
	dns->pending = p;
	dns->n_pending++;
	ia.s_addr = htonl(l->ipv4);
	info("on-demand: %s: reserved %s psid %u, Reconfigure to %s",
	     h->name, inet_ntop(AF_INET, &ia, a4, sizeof(a4)), l->psid,
	     addr6(&h->ipv6, a6));
	if (!hold(dns, p, from, q, qlen)) {
		p->deadline_ms = now;	/* nothing to wait for */
		return false;
	}
	return true;
}

/* The wait is over (or the lease is there): give back an untaken
 * reservation, answer every held query, forget the allocation. */
static void finish(struct dns *dns, struct dns_pending *p)
{
	struct dstmd *d = dns->d;
	struct dns_pending **pp;
	struct dstmd_lease *l;
	struct dns_held *h;
	uint8_t out[65535];
	int64_t ms = 0;
	bool took;
	size_t n;

	for (pp = &dns->pending; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	dns->n_pending--;
	d->now = time(NULL);
	took = lease_of_duid(d, p->duid, p->duid_len) != NULL;
	if (took) {
		d->cnt[CNT_dns_ondemand_ok]++;
		ms = dns_now_ms() - p->start_ms;
	} else {
		d->cnt[CNT_dns_ondemand_timeout]++;
		l = lease_reserved(d, p->duid, p->duid_len);
		if (l) {
			d->store_failed = false;
			if (!store_begin(d->store)) {
				lease_unreserve(d, l);
				commit(d);
			}
		}
	}
	while ((h = p->held)) {
		p->held = h->next;
		dns->n_held--;
		n = dns_answer(dns, &h->from, h->q, h->qlen, false, out,
			       sizeof(out));
		if (n)
			dns_send(dns, &h->from, out, n);
		free(h);
	}
	/* Logged once the answers are sent: a log line (stderr, syslog)
	 * is not what the querier should wait for. */
	if (took)
		info("on-demand: %s took its lease in %lld ms", p->name,
		     (long long)ms);
	else
		info("on-demand: %s did not take its lease in %u ms: reservation released, answered without A",
		     p->name, dns->cfg->wait_ms);
	free(p);
}

void ondemand_timers(struct dns *dns)
{
	struct dns_pending *p, *next;
	int64_t now = dns_now_ms();

	for (p = dns->pending; p; p = next) {
		next = p->next;
		if (now >= p->deadline_ms) {
			finish(dns, p);
			continue;
		}
		if (!p->heard && now >= p->next_tx_ms) {
			struct dns_host *h = dns_host_by_duid(dns, p->duid,
							      p->duid_len);

			if (h && h->has_key && p->tx < REC_MAX_RC)
				send_reconfigure(dns, p, h);
			p->rt_ms *= 2;
			p->next_tx_ms = now + p->rt_ms;
		}
	}
}

int64_t ondemand_next_ms(struct dns *dns)
{
	struct dns_pending *p;
	int64_t next = -1;

	for (p = dns->pending; p; p = p->next) {
		int64_t t = p->deadline_ms;

		if (!p->heard && p->tx < REC_MAX_RC && p->next_tx_ms < t)
			t = p->next_tx_ms;
		if (next < 0 || t < next)
			next = t;
	}
	return next;
}

void ondemand_check_bound(struct dns *dns)
{
	struct dns_pending *p, *next;

	dns->d->now = time(NULL);
	for (p = dns->pending; p; p = next) {
		next = p->next;
		if (lease_of_duid(dns->d, p->duid, p->duid_len))
			finish(dns, p);
	}
}

void ondemand_heard(struct dns *dns, const uint8_t *duid, size_t len)
{
	struct dns_pending *p;

	for (p = dns->pending; p; p = p->next)
		if (p->duid_len == len && !memcmp(p->duid, duid, len))
			p->heard = true;	/* RFC 8415 18.3.11: stop */
}

void ondemand_free(struct dns *dns)
{
	struct dns_pending *p;
	struct dns_held *h;

	while ((p = dns->pending)) {
		dns->pending = p->next;
		while ((h = p->held)) {
			p->held = h->next;
			free(h);
		}
		free(p);
	}
	dns->n_pending = dns->n_held = 0;
	free(dns->rl);
	dns->rl = NULL;
}
