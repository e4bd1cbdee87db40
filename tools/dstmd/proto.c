// SPDX-License-Identifier: GPL-2.0
/*
 * Server side of the allocation protocol: one DHCPv6 datagram in, the
 * answer out.  Information-request -> Reply (88, 96/90, FQDN, Reconfigure
 * Key); DHCPV4-QUERY -> DHCPV4-RESPONSE around DHCPv4 OFFER/ACK/NAK.
 * Anything malformed or unauthenticated is counted and dropped.
 */
#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "dhcp4.h"
#include "dns.h"
#include "state.h"
#include "store.h"

enum { LR_MALFORMED, LR_AUTH, LR_V4, LR_TYPE, LR_POOL, LR_STORE };

static const char *addr6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static struct dstmd_pool *first_pool(struct dstmd *d,
				     const struct in6_addr *src)
{
	unsigned int i;

	for (i = 0; i < d->cfg->n_pools; i++)
		if (pool_serves(&d->cfg->pools[i], src))
			return &d->cfg->pools[i];
	return NULL;
}

static struct dstmd_key *find_key(struct dstmd *d, const uint8_t *name,
				  size_t len)
{
	unsigned int i;

	for (i = 0; i < d->cfg->n_keys; i++)
		if (strlen(d->cfg->keys[i].name) == len &&
		    !memcmp(d->cfg->keys[i].name, name, len))
			return &d->cfg->keys[i];
	return NULL;
}

/*
 * Client authentication (auth.h).  Required per pool (or by [auth]
 * require); a message that carries the option is checked either way.
 */
static bool auth_ok(struct dstmd *d, const struct d6_msg *m,
		    const uint8_t *pkt, size_t len,
		    const struct dstmd_pool *pool, const struct in6_addr *src)
{
	bool required = pool->auth >= 0 ? pool->auth : d->cfg->auth_require;
	struct d6_auth_delayed ad;
	struct dstmd_key *k;
	char a[INET6_ADDRSTRLEN], name[D6_AUTH_REALM_MAX + 1], meta[80];
	uint8_t rc[8];
	size_t i;

	if (!m->has_auth || m->auth.protocol != D6_AUTH_PROTO_DELAYED) {
		if (!required)
			return true;
		d->cnt[CNT_drop_auth]++;
		log_limited(LR_AUTH, LOG_LVL_WARN,
			    "unauthenticated message from %s dropped",
			    addr6(src, a));
		return false;
	}
	if (d6_auth_delayed_parse(&m->auth, &ad)) {
		d->cnt[CNT_drop_auth]++;
		log_limited(LR_AUTH, LOG_LVL_WARN,
			    "malformed authentication option from %s",
			    addr6(src, a));
		return false;
	}
	for (i = 0; i < ad.realm_len; i++)
		name[i] = (ad.realm[i] >= 0x20 && ad.realm[i] < 0x7f) ?
			  (char)ad.realm[i] : '?';
	name[i] = '\0';
	k = find_key(d, ad.realm, ad.realm_len);
	if (!k || !d6_auth_verify_sha256(pkt, len, &m->auth, k->secret,
					 k->len)) {
		d->cnt[CNT_drop_auth]++;
		log_limited(LR_AUTH, LOG_LVL_WARN,
			    "%s from %s for key '%s': dropped",
			    k ? "bad HMAC" : "unknown key", addr6(src, a), name);
		return false;
	}
	if (!d6_replay_ok(k->have_replay, k->replay, m->auth.replay)) {
		d->cnt[CNT_drop_replay]++;
		log_limited(LR_AUTH, LOG_LVL_WARN,
			    "replayed message from %s for key '%s' (counter %llu <= %llu): dropped",
			    addr6(src, a), name,
			    (unsigned long long)m->auth.replay,
			    (unsigned long long)k->replay);
		return false;
	}
	k->have_replay = true;
	k->replay = m->auth.replay;
	for (i = 0; i < 8; i++)
		rc[i] = (uint8_t)(k->replay >> (56 - 8 * i));
	snprintf(meta, sizeof(meta), "replay:%s", k->name);
	if (store_set_meta(d->store, meta, rc, sizeof(rc))) {
		d->store_failed = true;
		d->cnt[CNT_store_err]++;
	}
	return true;
}

uint64_t dstmd_next_replay(void)
{
	static uint64_t ctr;

	if (!ctr)
		ctr = (uint64_t)time(NULL) << 20;
	return ++ctr;
}

static void reply_hdr(struct dstmd *d, struct pbuf *b, uint8_t type,
		      uint32_t xid, const struct d6_msg *m)
{
	d6_put_hdr(b, type, xid);
	d6_put_opt(b, D6O_SERVERID, d->duid, d->duid_len);
	if (m->has_clientid)
		d6_put_opt(b, D6O_CLIENTID, m->clientid.p, m->clientid.len);
}

static size_t handle_inforeq(struct dstmd *d, const struct d6_msg *m,
			     const struct dstmd_pool *pool,
			     const struct in6_addr *src, uint8_t *out,
			     size_t cap)
{
	uint8_t key[D6_RECONF_KEY_LEN];
	char fqdn[D6_FQDN_MAX + 2];
	bool have_key = false;
	struct pbuf b;
	int r;

	d->cnt[CNT_inforeq]++;
	/* As sent: "a.b." fully qualified, "a" partial (the store keeps
	 * the difference). */
	snprintf(fqdn, sizeof(fqdn), "%s%s", m->fqdn.name,
		 m->has_fqdn && !m->fqdn.partial && m->fqdn.name[0] ? "." : "");
	pbuf_init(&b, out, cap);
	reply_hdr(d, &b, D6_REPLY, m->xid, m);
	if (d6_oro_has(m, D6O_DHCP4_O_DHCP6_SERVER))
		d6_put_4o6_servers(&b, d->cfg->servers4o6, d->cfg->n_servers4o6);
	if (d6_oro_has(m, D6O_S46_CONT_LW))
		d6_put_s46_lw(&b, &pool->tep);
	/* RFC 4704: S when our DNS extension serves the name (we "update"
	 * our own zone), else N: remembered, no DNS update by us. */
	if (m->has_fqdn)
		d6_put_fqdn(&b, dns_serves(d, m->fqdn.name, m->fqdn.partial) ?
			    D6_FQDN_S : D6_FQDN_N,
			    m->fqdn.name[0] ? fqdn : NULL);
	if (m->has_reconf_accept && m->has_clientid && d->cfg->reconfigure) {
		r = store_get_client_key(d->store, m->clientid.p, m->clientid.len,
					 key, sizeof(key));
		if (r == 0) {
			if (RAND_bytes(key, sizeof(key)) == 1) {
				have_key = true;
				d->cnt[CNT_reconfigure_keys]++;
			}
		} else if (r == 1) {
			have_key = true;
		}
		if (have_key)
			d6_put_auth_reconf_key(&b, dstmd_next_replay(), key);
	}
	/*
	 * An unchanged registration is not written again: every on-demand
	 * allocation starts with an Information-request, and a write
	 * transaction here is most of our turn (issue 5).  The row's "seen"
	 * time then keeps the first sighting; nothing reads it.
	 */
	if (m->has_clientid && (m->has_fqdn || have_key) &&
	    !dns_host_same(d, m->clientid.p, m->clientid.len, src,
			   m->has_fqdn ? m->fqdn.name : NULL,
			   m->has_fqdn && m->fqdn.partial,
			   have_key ? key : NULL) &&
	    store_put_client(d->store, m->clientid.p, m->clientid.len, src,
			     m->has_fqdn ? fqdn : NULL,
			     have_key ? key : NULL, sizeof(key), d->now)) {
		d->store_failed = true;
		d->cnt[CNT_store_err]++;
	}
	if (m->has_clientid)
		dns_host_seen(d, m->clientid.p, m->clientid.len, src,
			      m->has_fqdn ? m->fqdn.name : NULL,
			      m->has_fqdn && m->fqdn.partial,
			      have_key ? key : NULL);
	return b.err ? 0 : b.len;
}

/* The client key: DUID length, DUID, then the DHCPv4 client id (61) or
 * hardware type + address. */
static size_t client_key(const struct d6_msg *m6, const struct d4_msg *m4,
			 uint8_t *key)
{
	size_t n = 0;

	key[n++] = m6->has_clientid ? (uint8_t)m6->clientid.len : 0;
	if (m6->has_clientid) {
		memcpy(key + n, m6->clientid.p, m6->clientid.len);
		n += m6->clientid.len;
	}
	if (m4->has_clientid) {
		memcpy(key + n, m4->clientid, m4->clientid_len);
		n += m4->clientid_len;
	} else if (m4->hlen) {
		key[n++] = 0;
		key[n++] = m4->htype;
		memcpy(key + n, m4->chaddr, m4->hlen);
		n += m4->hlen;
	}
	return n > 1 ? n : 0;
}

static size_t v4_answer(struct dstmd *d, const struct d6_msg *m6,
			const struct d4_msg *q, uint8_t type,
			const struct dstmd_lease *l, uint8_t *out, size_t cap)
{
	struct d4_msg a;
	struct pbuf b;
	size_t off;

	memset(&a, 0, sizeof(a));
	a.op = BOOTREPLY;
	a.htype = q->htype;
	a.hlen = q->hlen;
	a.xid = q->xid;
	a.flags = q->flags;
	a.giaddr = q->giaddr;
	memcpy(a.chaddr, q->chaddr, sizeof(a.chaddr));
	a.has_type = true;
	a.type = type;
	a.has_srvid = true;
	a.srvid = d->cfg->server_id4;
	if (q->has_clientid) {		/* RFC 6842 */
		a.has_clientid = true;
		a.clientid = q->clientid;
		a.clientid_len = q->clientid_len;
	}
	if (type == D4_ACK && q->type == D4_INFORM) {
		a.ciaddr = q->ciaddr;
	} else if (l) {
		const struct dstmd_pool *p = l->pool;
		int64_t left = l->expires - d->now;

		a.ciaddr = q->ciaddr;
		a.yiaddr.s_addr = htonl(l->ipv4);
		a.has_lease = a.has_t1 = a.has_t2 = true;
		if (type == D4_OFFER)
			left = p->lease_time;
		a.lease = left > 0 ? (uint32_t)left : 1;
		a.t1 = p->t1 < a.lease ? p->t1 : a.lease / 2;
		a.t2 = p->t2 < a.lease ? p->t2 : a.lease * 7 / 8;
		a.has_mask = true;
		a.mask = p->mask;
		if (p->psid_len) {
			a.has_portparams = true;
			a.psid_offset = p->psid_offset;
			a.psid_len = p->psid_len;
			a.psid = l->psid;
		}
	}
	pbuf_init(&b, out, cap);
	d6_put_hdr(&b, D6_DHCPV4_RESPONSE, 0);
	(void)m6;
	off = d6_opt_begin(&b, D6O_DHCPV4_MSG);
	if (!d4_build(&b, &a))
		return 0;
	d6_opt_end(&b, off);
	if (b.err)
		return 0;
	d->cnt[type == D4_OFFER ? CNT_offer : type == D4_ACK ? CNT_ack : CNT_nak]++;
	return b.len;
}

static size_t handle_query(struct dstmd *d, const struct d6_msg *m6,
			   const struct in6_addr *src, uint8_t *out,
			   size_t cap)
{
	uint8_t key[1 + D6_DUID_MAX + 2 + 255];
	struct dhcp4_req r = { .src = src };
	struct dstmd_lease *l;
	char a[INET6_ADDRSTRLEN];
	struct d4_msg q;
	bool nak;
	int e;

	if (!m6->has_v4msg) {
		d->cnt[CNT_drop_malformed]++;
		return 0;
	}
	e = d4_parse(m6->v4msg.p, m6->v4msg.len, &q);
	if (e < 0 || q.op != BOOTREQUEST) {
		d->cnt[CNT_drop_v4]++;
		log_limited(LR_V4, LOG_LVL_WARN, "bad DHCPv4 message from %s: %s",
			    addr6(src, a), e < 0 ? proto_strerror(e) : "not a BOOTREQUEST");
		return 0;
	}
	r.key = key;
	r.key_len = client_key(m6, &q, key);
	if (!r.key_len) {
		d->cnt[CNT_drop_v4]++;
		log_limited(LR_V4, LOG_LVL_WARN,
			    "DHCPv4 message from %s identifies no client", addr6(src, a));
		return 0;
	}
	r.has_reqip = q.has_reqip;
	r.reqip = ntohl(q.reqip.s_addr);
	r.ciaddr = ntohl(q.ciaddr.s_addr);

	switch (q.type) {
	case D4_DISCOVER:
		d->cnt[CNT_discover]++;
		l = lease_offer(d, &r);
		if (!l) {
			log_limited(LR_POOL, LOG_LVL_WARN,
				    "no free address for %s", addr6(src, a));
			return 0;
		}
		return v4_answer(d, m6, &q, D4_OFFER, l, out, cap);
	case D4_REQUEST:
		d->cnt[CNT_request]++;
		if (q.has_srvid) {		/* SELECTING */
			if (q.srvid.s_addr != d->cfg->server_id4.s_addr) {
				lease_forget_offer(d, &r);
				d->cnt[CNT_drop_serverid]++;
				return 0;
			}
			if (!q.has_reqip)
				return v4_answer(d, m6, &q, D4_NAK, NULL, out, cap);
			r.ciaddr = 0;
			l = lease_request(d, &r, r.reqip, &nak);
		} else if (q.has_reqip && !r.ciaddr) {	/* INIT-REBOOT */
			l = lease_request(d, &r, r.reqip, &nak);
		} else if (r.ciaddr) {			/* RENEWING, REBINDING */
			d->cnt[CNT_renew]++;
			l = lease_request(d, &r, r.ciaddr, &nak);
		} else {
			return v4_answer(d, m6, &q, D4_NAK, NULL, out, cap);
		}
		if (!l)
			return nak ? v4_answer(d, m6, &q, D4_NAK, NULL, out, cap) : 0;
		return v4_answer(d, m6, &q, D4_ACK, l, out, cap);
	case D4_RELEASE:
		d->cnt[CNT_release]++;
		lease_release(d, &r);
		return 0;
	case D4_DECLINE:
		d->cnt[CNT_decline]++;
		lease_decline(d, &r);
		return 0;
	case D4_INFORM:
		d->cnt[CNT_inform]++;
		return v4_answer(d, m6, &q, D4_ACK, NULL, out, cap);
	default:
		d->cnt[CNT_drop_type]++;
		return 0;
	}
}

size_t dstmd_handle(struct dstmd *d, const struct in6_addr *src,
		    const uint8_t *pkt, size_t len, uint8_t *out, size_t cap)
{
	const struct dstmd_pool *pool;
	char a[INET6_ADDRSTRLEN];
	struct d6_msg m;
	int e;

	d->cnt[CNT_rx]++;
	e = d6_parse(pkt, len, &m);
	if (e < 0) {
		d->cnt[e == -PROTO_ETYPE ? CNT_drop_type : CNT_drop_malformed]++;
		log_limited(LR_MALFORMED, LOG_LVL_WARN,
			    "malformed message (%zu bytes) from %s: %s", len,
			    addr6(src, a), proto_strerror(e));
		return 0;
	}
	if (m.type != D6_INFORMATION_REQUEST && m.type != D6_DHCPV4_QUERY) {
		d->cnt[CNT_drop_type]++;
		log_limited(LR_TYPE, LOG_LVL_DEBUG, "message type %u from %s ignored",
			    m.type, addr6(src, a));
		return 0;
	}
	if (m.has_serverid && (m.serverid.len != d->duid_len ||
			       memcmp(m.serverid.p, d->duid, d->duid_len))) {
		d->cnt[CNT_drop_serverid]++;
		return 0;
	}
	pool = first_pool(d, src);
	if (!pool) {
		d->cnt[CNT_drop_nopool]++;
		log_limited(LR_POOL, LOG_LVL_WARN, "no pool serves %s", addr6(src, a));
		return 0;
	}
	if (!auth_ok(d, &m, pkt, len, pool, src))
		return 0;
	if (m.type == D6_INFORMATION_REQUEST)
		return handle_inforeq(d, &m, pool, src, out, cap);
	return handle_query(d, &m, src, out, cap);
}
