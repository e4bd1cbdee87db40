// SPDX-License-Identifier: GPL-2.0
/*
 * dstmctl client: the DNS trigger ("dns ADDRESS[:PORT]").
 *
 * A host learns that it will need IPv4 when a name it resolves has an A
 * record and no AAAA record: its next packet goes to an IPv4 address.
 * The agent can listen as a small forwarding stub resolver (point
 * resolv.conf's nameserver at it): every query is forwarded unchanged
 * (but for a fresh transaction id) to the upstream resolver and the answer
 * returned.  When an answer to an A query carries A records and the host
 * has no lease:
 *
 *   - the agent asks the upstream for the name's AAAA itself (unless it
 *     saw that answer in the last 30 s);
 *   - the A answer is held (at most dns-hold ms, default 2000);
 *   - if the name has AAAA records, the answer goes out at once: the
 *     application will use IPv6;
 *   - if not, the agent starts acquiring a lease, and the held answer goes
 *     out when the lease is in place (or the acquisition failed, or the
 *     hold ran out), so that the application's first packet already has
 *     an IPv4 source address to leave with.
 *
 * UDP only: an answer with TC set goes back as it came; the client's
 * retry over TCP goes past the stub to the next nameserver of resolv.conf.
 *
 * A listen address in 127/8 (not 127.0.0.1) is also put on lo while the
 * agent runs: see net_loopback() for why glibc needs it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent.h"

#define DNS_HDR		12
#define DNS_MAX		4096
#define T_A		1
#define T_AAAA		28
#define C_IN		1
#define PENDING_MAX	256
#define PENDING_MS	5000
#define AAAA_CACHE	64
#define AAAA_CACHE_MS	30000

struct pending {
	bool used;
	bool probe;			/* our own AAAA query */
	uint16_t id, orig_id;
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t qname[256];
	size_t qlen;
	uint16_t qtype;
	int64_t expires;
	/* an A answer being held */
	uint8_t *held;
	size_t held_len;
	int64_t hold_until;
	int probe_for;			/* probe: index of the held entry */
};

struct aaaa_seen {
	uint8_t qname[256];
	size_t qlen;
	bool has_aaaa;
	int64_t at;
};

struct ag_dns {
	int listen;
	int up;
	struct pending p[PENDING_MAX];
	struct aaaa_seen cache[AAAA_CACHE];
	unsigned int cache_next;
	unsigned long forwarded, triggered;
};

int dns_open(struct agent *ag)
{
	struct ag_dns *d = calloc(1, sizeof(*d));
	const struct sockaddr_storage *l = &ag->o.dns_listen;
	const struct sockaddr_storage *u = &ag->o.dns_upstream;
	socklen_t llen = l->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
			 sizeof(struct sockaddr_in6);
	socklen_t ulen = u->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
			 sizeof(struct sockaddr_in6);
	int one = 1;

	if (!d)
		return -ENOMEM;
	d->listen = socket(l->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	d->up = socket(u->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->listen < 0 || d->up < 0)
		goto err;
	setsockopt(d->listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(d->listen, (const struct sockaddr *)l, llen)) {
		ag_log(ag, "DNS trigger: cannot listen: %s", strerror(errno));
		goto err;
	}
	if (connect(d->up, (const struct sockaddr *)u, ulen)) {
		ag_log(ag, "DNS trigger: upstream resolver: %s", strerror(errno));
		goto err;
	}
	ag->dns = d;
	if (l->ss_family == AF_INET) {
		struct in_addr a = ((const struct sockaddr_in *)l)->sin_addr;

		if ((ntohl(a.s_addr) >> 24) == 127 &&
		    a.s_addr != htonl(INADDR_LOOPBACK) && !net_loopback(ag, a, true))
			ag->lo_addr = true;
	}
	return 0;
err:
	if (d->listen >= 0)
		close(d->listen);
	if (d->up >= 0)
		close(d->up);
	free(d);
	return -EIO;
}

void dns_close(struct agent *ag)
{
	struct ag_dns *d = ag->dns;
	int i;

	if (!d)
		return;
	for (i = 0; i < PENDING_MAX; i++)
		free(d->p[i].held);
	if (ag->lo_addr)
		net_loopback(ag, ((const struct sockaddr_in *)&ag->o.dns_listen)->sin_addr,
			     false);
	ag->lo_addr = false;
	close(d->listen);
	close(d->up);
	free(d);
	ag->dns = NULL;
}

int dns_fds(struct agent *ag, int *fds, int max)
{
	if (!ag->dns || max < 2)
		return 0;
	fds[0] = ag->dns->listen;
	fds[1] = ag->dns->up;
	return 2;
}

/* ------------------------------------------------------------ messages */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The question (one, uncompressed): name, type; offset after it, or 0. */
static size_t question(const uint8_t *m, size_t len, uint8_t *qname,
		       size_t *qlen, uint16_t *qtype)
{
	size_t off = DNS_HDR;

	if (len < DNS_HDR || get16(m + 4) != 1)
		return 0;
	while (off < len && m[off]) {
		if (m[off] > 63 || off + 1 + m[off] >= len)
			return 0;
		off += 1 + m[off];
	}
	if (off >= len || off + 5 > len || off + 1 - DNS_HDR > 255)
		return 0;
	off++;
	*qlen = off - DNS_HDR;
	memcpy(qname, m + DNS_HDR, *qlen);
	*qtype = get16(m + off);
	return off + 4;
}

static size_t skip_name(const uint8_t *m, size_t len, size_t off)
{
	while (off < len) {
		if ((m[off] & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (m[off] > 63)
			return 0;
		if (!m[off])
			return off + 1;
		off += 1 + m[off];
	}
	return 0;
}

/* How many answer records of type t (class IN); -1 if malformed. */
static int count_answers(const uint8_t *m, size_t len, uint16_t t)
{
	uint8_t qn[256];
	uint16_t qt, an, i;
	size_t qlen, off = question(m, len, qn, &qlen, &qt);
	int n = 0;

	if (!off)
		return -1;
	an = get16(m + 6);
	for (i = 0; i < an; i++) {
		off = skip_name(m, len, off);
		if (!off || off + 10 > len)
			return -1;
		if (get16(m + off) == t && get16(m + off + 2) == C_IN)
			n++;
		off += 10 + get16(m + off + 8);
		if (off > len)
			return -1;
	}
	return n;
}

static bool same_name(const uint8_t *a, size_t alen, const uint8_t *b,
		      size_t blen)
{
	return alen == blen && !strncasecmp((const char *)a, (const char *)b, alen);
}

/* Text form of a wire name, for the log. */
static void name_text(const uint8_t *q, size_t qlen, char *out, size_t cap)
{
	bool partial;

	if (dns_name_decode(q, qlen, out, cap, &partial) < 0)
		snprintf(out, cap, "?");
}

static struct pending *find_free(struct ag_dns *d, int64_t now)
{
	int i;

	for (i = 0; i < PENDING_MAX; i++)
		if (!d->p[i].used || (!d->p[i].held && d->p[i].expires < now))
			return &d->p[i];
	return NULL;
}

static uint16_t new_id(struct ag_dns *d)
{
	uint16_t id;
	int i;

again:
	id = (uint16_t)random();
	for (i = 0; i < PENDING_MAX; i++)
		if (d->p[i].used && d->p[i].id == id)
			goto again;
	return id;
}

static void send_held(struct agent *ag, struct pending *p)
{
	if (!p->held)
		return;
	sendto(ag->dns->listen, p->held, p->held_len, 0,
	       (struct sockaddr *)&p->from, p->fromlen);
	free(p->held);
	p->held = NULL;
	p->used = false;
}

static void cache_put(struct ag_dns *d, const uint8_t *q, size_t qlen,
		      bool has, int64_t now)
{
	struct aaaa_seen *c = &d->cache[d->cache_next++ % AAAA_CACHE];

	memcpy(c->qname, q, qlen);
	c->qlen = qlen;
	c->has_aaaa = has;
	c->at = now;
}

/* 1 has AAAA, 0 has none, -1 unknown. */
static int cache_get(struct ag_dns *d, const uint8_t *q, size_t qlen,
		     int64_t now)
{
	int i;

	for (i = 0; i < AAAA_CACHE; i++)
		if (d->cache[i].qlen && now - d->cache[i].at < AAAA_CACHE_MS &&
		    same_name(d->cache[i].qname, d->cache[i].qlen, q, qlen))
			return d->cache[i].has_aaaa;
	return -1;
}

static void trigger(struct agent *ag, const uint8_t *q, size_t qlen)
{
	char name[256], why[300];

	name_text(q, qlen, name, sizeof(name));
	snprintf(why, sizeof(why), "DNS: %s has an A record and no AAAA",
		 name);
	ag->dns->triggered++;
	ag_demand(ag, why);
}

/* Our own AAAA question for the name of held entry h. */
static void probe_aaaa(struct agent *ag, struct pending *h, int64_t now)
{
	struct ag_dns *d = ag->dns;
	struct pending *p = find_free(d, now);
	uint8_t m[DNS_HDR + 256 + 4];

	if (!p) {
		trigger(ag, h->qname, h->qlen);
		return;
	}
	memset(p, 0, sizeof(*p));
	p->used = p->probe = true;
	p->id = new_id(d);
	memcpy(p->qname, h->qname, h->qlen);
	p->qlen = h->qlen;
	p->qtype = T_AAAA;
	p->expires = now + PENDING_MS;
	p->probe_for = (int)(h - d->p);
	memset(m, 0, DNS_HDR);
	m[0] = (uint8_t)(p->id >> 8);
	m[1] = (uint8_t)p->id;
	m[2] = 0x01;		/* RD */
	m[5] = 1;		/* QDCOUNT */
	memcpy(m + DNS_HDR, h->qname, h->qlen);
	m[DNS_HDR + h->qlen] = 0;
	m[DNS_HDR + h->qlen + 1] = T_AAAA;
	m[DNS_HDR + h->qlen + 2] = 0;
	m[DNS_HDR + h->qlen + 3] = C_IN;
	if (send(d->up, m, DNS_HDR + h->qlen + 4, 0) < 0)
		trigger(ag, h->qname, h->qlen);
}

static void from_client(struct agent *ag)
{
	struct ag_dns *d = ag->dns;
	uint8_t m[DNS_MAX];
	struct pending *p;
	int64_t now = ag_now();
	ssize_t n;

	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);

		n = recvfrom(d->listen, m, sizeof(m), 0,
			     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if (n < DNS_HDR || (m[2] & 0x80))	/* not a query */
			continue;
		p = find_free(d, now);
		if (!p)
			continue;	/* full: the client retries */
		free(p->held);
		memset(p, 0, sizeof(*p));
		if (!question(m, (size_t)n, p->qname, &p->qlen, &p->qtype))
			p->qlen = 0;	/* forwarded all the same */
		p->used = true;
		p->orig_id = get16(m);
		p->id = new_id(d);
		p->from = from;
		p->fromlen = flen;
		p->expires = now + PENDING_MS;
		m[0] = (uint8_t)(p->id >> 8);
		m[1] = (uint8_t)p->id;
		if (send(d->up, m, (size_t)n, 0) < 0)
			p->used = false;
		d->forwarded++;
	}
}

static void from_upstream(struct agent *ag)
{
	struct ag_dns *d = ag->dns;
	uint8_t m[DNS_MAX], qn[256];
	uint16_t id, qt;
	size_t qlen;
	int64_t now = ag_now();
	struct pending *p;
	ssize_t n;
	int i, na;

	for (;;) {
		n = recv(d->up, m, sizeof(m), 0);
		if (n < 0)
			return;
		if (n < DNS_HDR || !(m[2] & 0x80))
			continue;
		id = get16(m);
		for (i = 0, p = NULL; i < PENDING_MAX; i++)
			if (d->p[i].used && !d->p[i].held && d->p[i].id == id) {
				p = &d->p[i];
				break;
			}
		if (!p)
			continue;
		/* The answer must be to the question we asked. */
		if (p->qlen && (!question(m, (size_t)n, qn, &qlen, &qt) ||
				qt != p->qtype ||
				!same_name(qn, qlen, p->qname, p->qlen)))
			continue;
		if (p->probe) {
			struct pending *h = &d->p[p->probe_for];
			int has = count_answers(m, (size_t)n, T_AAAA) > 0;

			p->used = false;
			cache_put(d, p->qname, p->qlen, has, now);
			if (!has && !ag->bound)
				trigger(ag, p->qname, p->qlen);
			/* The A answer waits for the lease, or goes now. */
			if (h->used && h->held && (has || ag->bound) &&
			    same_name(h->qname, h->qlen, p->qname, p->qlen))
				send_held(ag, h);
			continue;
		}
		m[0] = (uint8_t)(p->orig_id >> 8);
		m[1] = (uint8_t)p->orig_id;
		if (p->qlen && p->qtype == T_AAAA)
			cache_put(d, p->qname, p->qlen,
				  count_answers(m, (size_t)n, T_AAAA) > 0, now);
		na = p->qlen && p->qtype == T_A && !(m[3] & 0x0f) ?
		     count_answers(m, (size_t)n, T_A) : 0;
		if (na > 0 && !ag->bound) {
			int has = cache_get(d, p->qname, p->qlen, now);

			if (has == 1)
				goto pass;
			if (ag->o.dns_hold) {
				p->held = malloc((size_t)n);
				if (p->held) {
					memcpy(p->held, m, (size_t)n);
					p->held_len = (size_t)n;
					p->hold_until = now + ag->o.dns_hold;
				}
			}
			if (has == 0)
				trigger(ag, p->qname, p->qlen);
			else
				probe_aaaa(ag, p, now);
			if (p->held)
				continue;
		}
pass:
		sendto(d->listen, m, (size_t)n, 0, (struct sockaddr *)&p->from,
		       p->fromlen);
		p->used = false;
	}
}

void dns_input(struct agent *ag, int fd)
{
	if (!ag->dns)
		return;
	if (fd == ag->dns->listen)
		from_client(ag);
	else if (fd == ag->dns->up)
		from_upstream(ag);
}

int64_t dns_next(struct agent *ag)
{
	int64_t t = 0;
	int i;

	if (!ag->dns)
		return 0;
	for (i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &ag->dns->p[i];

		if (p->used && p->held && (!t || p->hold_until < t))
			t = p->hold_until;
	}
	return t;
}

void dns_tick(struct agent *ag)
{
	int64_t now = ag_now();
	int i;

	if (!ag->dns)
		return;
	for (i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &ag->dns->p[i];

		if (p->used && p->held && (now >= p->hold_until || ag->bound))
			send_held(ag, p);
	}
}

void dns_release_held(struct agent *ag)
{
	int i;

	if (!ag->dns)
		return;
	for (i = 0; i < PENDING_MAX; i++)
		if (ag->dns->p[i].used && ag->dns->p[i].held)
			send_held(ag, &ag->dns->p[i]);
}
