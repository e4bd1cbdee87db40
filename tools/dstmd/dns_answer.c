// SPDX-License-Identifier: GPL-2.0
/*
 * One DNS query in, the answer out.  ldns parses and writes the wire
 * format; this file only decides what the answer says:
 *
 *   outside the zone          REFUSED (not authoritative, no records)
 *   the apex                  SOA, NS (+ glue), ANY: both; else NODATA
 *   a name server in the zone its A/AAAA (glue)
 *   a registered host         AAAA: the IPv6 it registered from;
 *                             A: its live lease, TTL <= what is left of
 *                             it; no lease: on-demand (ondemand.c) or
 *                             NODATA
 *   an empty non-terminal     NODATA
 *   anything else in the zone NXDOMAIN
 *
 * Negative answers carry the SOA in the authority section (RFC 2308),
 * every answer in the zone has AA.  EDNS (RFC 6891): an OPT in the query
 * gets one back with our payload size and the DO bit copied; version > 0
 * gets BADVERS.  A UDP answer larger than the querier's size loses its
 * additional section first, then, still too large, everything but the
 * question, with TC set: the querier asks again over TCP.
 *
 * Bad input: shorter than a header, or a response (QR), or larger than
 * DNS_QUERY_MAX: dropped and counted; unparseable or not one question:
 * FORMERR; an opcode other than QUERY: NOTIMP.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_int.h"

#define SOA_REFRESH	3600
#define SOA_RETRY	600
#define SOA_EXPIRE	86400

enum kind { K_OUT, K_APEX, K_HOST, K_NS, K_ENT, K_NX };

struct ctx {
	struct dns *dns;
	struct dstmd *d;
	ldns_pkt *q, *r;
	ldns_rdf *qname;		/* as asked (case kept for the owner) */
	ldns_rr_type qtype;
	enum kind kind;
	const struct dns_host *host;
	const struct dstmd_dns_ns *ns;
};

static ldns_rr *rr_new(const ldns_rdf *owner, ldns_rr_type type,
		       uint32_t ttl)
{
	ldns_rr *rr = ldns_rr_new();

	if (!rr)
		return NULL;
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

static void push(ldns_pkt *p, ldns_pkt_section s, ldns_rr *rr)
{
	if (rr)
		ldns_pkt_push_rr(p, s, rr);
}

static ldns_rr *rr_addr(const ldns_rdf *owner, bool v6, const void *a,
			uint32_t ttl)
{
	ldns_rr *rr = rr_new(owner, v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, ttl);

	if (rr)
		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(v6 ? LDNS_RDF_TYPE_AAAA :
							   LDNS_RDF_TYPE_A,
							   v6 ? 16 : 4, a));
	return rr;
}

static ldns_rr *rr_soa(struct ctx *x)
{
	const struct dstmd_dns_config *c = x->dns->cfg;
	ldns_rr *rr = rr_new(x->dns->zone, LDNS_RR_TYPE_SOA,
			     c->ttl < c->negative_ttl ? c->ttl : c->negative_ttl);

	if (!rr)
		return NULL;
	ldns_rr_push_rdf(rr, ldns_dname_new_frm_str(c->ns[0].name));
	ldns_rr_push_rdf(rr, ldns_dname_new_frm_str(c->hostmaster));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32,
						   x->dns->serial));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_REFRESH));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_RETRY));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_EXPIRE));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD,
						   c->negative_ttl));
	return rr;
}

static void add_glue(struct ctx *x, const struct dstmd_dns_ns *ns,
		     ldns_pkt_section s, const ldns_rdf *owner, bool v4,
		     bool v6)
{
	uint32_t ttl = x->dns->cfg->ttl;
	ldns_rdf *o = owner ? NULL : ldns_dname_new_frm_str(ns->name);
	unsigned int i;

	if (!owner && !o)
		return;
	for (i = 0; v4 && i < ns->n_a4; i++)
		push(x->r, s, rr_addr(owner ? owner : o, false, &ns->a4[i], ttl));
	for (i = 0; v6 && i < ns->n_a6; i++)
		push(x->r, s, rr_addr(owner ? owner : o, true, &ns->a6[i], ttl));
	ldns_rdf_deep_free(o);
}

static void answer_ns(struct ctx *x)
{
	const struct dstmd_dns_config *c = x->dns->cfg;
	unsigned int i;

	for (i = 0; i < c->n_ns; i++) {
		ldns_rr *rr = rr_new(x->qname, LDNS_RR_TYPE_NS, c->ttl);

		if (!rr)
			continue;
		ldns_rr_push_rdf(rr, ldns_dname_new_frm_str(c->ns[i].name));
		push(x->r, LDNS_SECTION_ANSWER, rr);
	}
	for (i = 0; i < c->n_ns; i++)
		add_glue(x, &c->ns[i], LDNS_SECTION_ADDITIONAL, NULL, true, true);
}

static void answer_soa(struct ctx *x)
{
	ldns_rr *rr = rr_soa(x);

	if (rr) {
		ldns_rdf *old = ldns_rr_owner(rr);

		ldns_rr_set_ttl(rr, x->dns->cfg->ttl);
		ldns_rr_set_owner(rr, ldns_rdf_clone(x->qname));
		ldns_rdf_deep_free(old);
	}
	push(x->r, LDNS_SECTION_ANSWER, rr);
}

/* A host's live lease: its address and the TTL to give it; false if
 * there is none. */
static bool lease_ttl(struct dns *dns, const struct dns_host *h,
		      uint32_t *ipv4, uint32_t *ttlp)
{
	struct dstmd_lease *l = lease_of_duid(dns->d, h->duid, h->duid_len);
	uint32_t ttl = dns->cfg->ttl;
	int64_t left;

	if (!l)
		return false;
	/* Never cached past the lease's end: the address may go to
	 * someone else then.  The whole seconds that are left, not one
	 * more. */
	left = (l->expires * 1000 - dns_real_ms()) / 1000;
	if (left <= 0)
		return false;
	if ((int64_t)ttl > left)
		ttl = (uint32_t)left;
	/* A release before the lease's end keeps the address out of use
	 * until this answer can have left every cache (lease.c). */
	if (l->dns_until < dns->d->now + (int64_t)ttl + 1)
		l->dns_until = dns->d->now + (int64_t)ttl + 1;
	*ipv4 = l->ipv4;
	*ttlp = ttl;
	return true;
}

/* The A record of a host's live lease: true if there is one. */
static bool answer_a(struct ctx *x)
{
	struct in_addr a;
	uint32_t ipv4, ttl;

	if (!lease_ttl(x->dns, x->host, &ipv4, &ttl))
		return false;
	a.s_addr = htonl(ipv4);
	push(x->r, LDNS_SECTION_ANSWER, rr_addr(x->qname, false, &a, ttl));
	return true;
}

/* canon: the query name, canonical.  Apex, outside, or what it is. */
static void classify(struct ctx *x, const ldns_rdf *canon)
{
	const struct dstmd_dns_config *c = x->dns->cfg;
	const uint8_t *w = ldns_rdf_data(canon);
	size_t len = ldns_rdf_size(canon), zlen = ldns_rdf_size(x->dns->zone);
	uint8_t labels = ldns_dname_label_count(canon);
	ldns_rdf *suffix;
	unsigned int i;
	bool in;

	if (labels < x->dns->zone_labels) {
		x->kind = K_OUT;
		return;
	}
	if (labels == x->dns->zone_labels) {
		x->kind = len == zlen &&
			  !memcmp(w, ldns_rdf_data(x->dns->zone), zlen) ?
			  K_APEX : K_OUT;
		return;
	}
	/* The last zone_labels labels must be the zone. */
	suffix = ldns_dname_clone_from(canon, labels - x->dns->zone_labels);
	in = suffix && ldns_rdf_size(suffix) == zlen &&
	     !memcmp(ldns_rdf_data(suffix), ldns_rdf_data(x->dns->zone), zlen);
	ldns_rdf_deep_free(suffix);
	if (!in) {
		x->kind = K_OUT;
		return;
	}
	x->host = dns_host_by_name(x->dns, w, len);
	if (x->host) {
		x->kind = K_HOST;
		return;
	}
	for (i = 0; i < c->n_ns; i++)
		if (x->dns->ns_wire[i].len == len &&
		    !memcmp(x->dns->ns_wire[i].b, w, len) &&
		    (c->ns[i].n_a4 || c->ns[i].n_a6)) {
			x->ns = &c->ns[i];
			x->kind = K_NS;
			return;
		}
	x->kind = dns_is_ent(x->dns, w, len) ? K_ENT : K_NX;
}

/* Fill the answer.  false: the query is held (no answer now). */
static bool resolve(struct ctx *x, const struct dns_from *from,
		    const uint8_t *q, size_t qlen, bool may_hold)
{
	struct dstmd *d = x->d;
	bool any = x->qtype == LDNS_RR_TYPE_ANY;

	ldns_pkt_set_aa(x->r, x->kind != K_OUT);
	switch (x->kind) {
	case K_OUT:
		ldns_pkt_set_rcode(x->r, LDNS_RCODE_REFUSED);
		d->cnt[CNT_dns_refused]++;
		return true;
	case K_APEX:
		if (x->qtype == LDNS_RR_TYPE_SOA || any)
			answer_soa(x);
		if (x->qtype == LDNS_RR_TYPE_NS || any)
			answer_ns(x);
		break;
	case K_NS:
		add_glue(x, x->ns, LDNS_SECTION_ANSWER, x->qname,
			 x->qtype == LDNS_RR_TYPE_A || any,
			 x->qtype == LDNS_RR_TYPE_AAAA || any);
		break;
	case K_HOST:
		if (x->qtype == LDNS_RR_TYPE_AAAA || any)
			push(x->r, LDNS_SECTION_ANSWER,
			     rr_addr(x->qname, true, &x->host->ipv6,
				     x->dns->cfg->ttl));
		if (x->qtype == LDNS_RR_TYPE_A || any) {
			if (!answer_a(x) && !any && may_hold &&
			    x->dns->cfg->on_demand &&
			    ondemand_hold(x->dns, x->host, from, q, qlen))
				return false;
		}
		break;
	case K_ENT:
		break;
	case K_NX:
		ldns_pkt_set_rcode(x->r, LDNS_RCODE_NXDOMAIN);
		d->cnt[CNT_dns_nxdomain]++;
		push(x->r, LDNS_SECTION_AUTHORITY, rr_soa(x));
		return true;
	}
	if (!ldns_pkt_ancount(x->r)) {
		d->cnt[CNT_dns_nodata]++;
		push(x->r, LDNS_SECTION_AUTHORITY, rr_soa(x));
	}
	return true;
}

/* An answer with only a header (FORMERR for what ldns cannot parse). */
static size_t header_only(const uint8_t *q, uint8_t rcode, uint8_t *out,
			  size_t cap)
{
	if (cap < 12)
		return 0;
	memset(out, 0, 12);
	out[0] = q[0];
	out[1] = q[1];
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79));	/* QR, opcode, RD */
	out[3] = rcode & 0x0f;
	return 12;
}

static void clear_section(ldns_pkt *p, ldns_pkt_section s)
{
	switch (s) {
	case LDNS_SECTION_ANSWER:
		ldns_rr_list_deep_free(ldns_pkt_answer(p));
		ldns_pkt_set_answer(p, ldns_rr_list_new());
		ldns_pkt_set_ancount(p, 0);
		break;
	case LDNS_SECTION_AUTHORITY:
		ldns_rr_list_deep_free(ldns_pkt_authority(p));
		ldns_pkt_set_authority(p, ldns_rr_list_new());
		ldns_pkt_set_nscount(p, 0);
		break;
	default:
		ldns_rr_list_deep_free(ldns_pkt_additional(p));
		ldns_pkt_set_additional(p, ldns_rr_list_new());
		ldns_pkt_set_arcount(p, 0);
		break;
	}
}

/* Wire format within max bytes (truncating as the header comment says);
 * 0 if it cannot be written. */
static size_t to_wire(struct dstmd *d, ldns_pkt *r, size_t max, uint8_t *out,
		      size_t cap)
{
	uint8_t *w = NULL;
	size_t n = 0;
	int pass;

	if (max > cap)
		max = cap;
	for (pass = 0; pass < 3; pass++) {
		if (ldns_pkt2wire(&w, r, &n) != LDNS_STATUS_OK) {
			free(w);
			return 0;
		}
		if (n <= max)
			break;
		free(w);
		w = NULL;
		if (pass == 0) {
			clear_section(r, LDNS_SECTION_ADDITIONAL);
		} else {
			clear_section(r, LDNS_SECTION_ANSWER);
			clear_section(r, LDNS_SECTION_AUTHORITY);
			ldns_pkt_set_tc(r, true);
			d->cnt[CNT_dns_truncated]++;
		}
	}
	if (!w || n > max) {
		free(w);
		return 0;
	}
	memcpy(out, w, n);
	free(w);
	return n;
}

/* ---------------------------------------------------- the fast path
 *
 * Most queries are A or AAAA of a host that has the record.  Their
 * answer differs from host to host only in the name and the address,
 * and from query to query only in the ID, RD and CD, the case of the
 * name and the A record's TTL: ldns writes it once per host and type
 * (wc_build), and each query copies it and patches those.  Anything
 * else (EDNS, other types or classes, a name we cannot copy as is, no
 * record) goes the long way; dns_test.c compares the two.
 */

/* The answer to (canonical) owner, type A or AAAA with addr, written by
 * ldns; NULL if it cannot be, or not in the layout the patching needs:
 * header, question, one RR whose owner points at the question. */
static struct dns_wcache *wc_build(struct dns *dns, const ldns_rdf *owner,
				   bool v6, const void *addr)
{
	size_t nlen = ldns_rdf_size(owner), qend = 12 + nlen + 4, n = 0;
	size_t alen = v6 ? 16 : 4;
	struct dns_wcache *wc = NULL;
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *w = NULL;

	if (!p)
		return NULL;
	ldns_pkt_set_id(p, 0);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_opcode(p, LDNS_PACKET_QUERY);
	push(p, LDNS_SECTION_QUESTION,
	     rr_new(owner, v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, 0));
	push(p, LDNS_SECTION_ANSWER, rr_addr(owner, v6, addr, dns->cfg->ttl));
	if (ldns_pkt_qdcount(p) == 1 && ldns_pkt_ancount(p) == 1 &&
	    ldns_pkt2wire(&w, p, &n) == LDNS_STATUS_OK &&
	    n == qend + 2 + 10 + alen && n <= UINT16_MAX &&
	    !memcmp(w + 12, ldns_rdf_data(owner), nlen) &&
	    w[qend] == 0xc0 && w[qend + 1] == 12 &&
	    (wc = malloc(sizeof(*wc) + n))) {
		wc->len = (uint16_t)n;
		wc->ttl_off = (uint16_t)(qend + 2 + 4);
		memcpy(wc->b, w, n);
	}
	free(w);
	ldns_pkt_free(p);
	return wc;
}

/* The answer in out, or 0: take the long way. */
static size_t fast_answer(struct dns *dns, const uint8_t *q, size_t qlen,
			  uint8_t *out, size_t cap)
{
	ldns_rdf *name = NULL;
	struct dns_host *h;
	struct dns_wcache *wc;
	size_t pos = 12, nlen;
	uint16_t qtype;
	uint32_t ipv4 = 0, ttl = dns->cfg->ttl;
	uint8_t a[16];
	int k;

	/* QUERY, one question, nothing else (no OPT) */
	if (dns->no_cache || (q[2] & 0x78) || q[4] || q[5] != 1 ||
	    q[6] || q[7] || q[8] || q[9] || q[10] || q[11])
		return 0;
	if (ldns_wire2dname(&name, q, qlen, &pos) != LDNS_STATUS_OK)
		return 0;
	nlen = ldns_rdf_size(name);
	/* Uncompressed (the name's bytes are the query's to copy), and
	 * exactly type and class IN after it. */
	if (pos != 12 + nlen || pos + 4 != qlen || q[pos + 2] ||
	    q[pos + 3] != LDNS_RR_CLASS_IN)
		goto slow;
	qtype = (uint16_t)(q[pos] << 8 | q[pos + 1]);
	if (qtype != LDNS_RR_TYPE_A && qtype != LDNS_RR_TYPE_AAAA)
		goto slow;
	ldns_dname2canonical(name);
	h = dns_host_by_name(dns, ldns_rdf_data(name), nlen);
	if (!h)
		goto slow;
	if (qtype == LDNS_RR_TYPE_A) {
		if (!lease_ttl(dns, h, &ipv4, &ttl))
			goto slow;	/* NODATA or on-demand */
		ipv4 = htonl(ipv4);
		memcpy(a, &ipv4, 4);
		k = DNS_WC_A;
	} else {
		memcpy(a, &h->ipv6, 16);
		k = DNS_WC_AAAA;
	}
	wc = h->wc[k];
	if (wc && memcmp(wc->b + wc->len - (k == DNS_WC_A ? 4 : 16), a,
			 k == DNS_WC_A ? 4 : 16)) {
		free(wc);		/* a new lease or registration */
		wc = h->wc[k] = NULL;
	}
	if (!wc)
		wc = h->wc[k] = wc_build(dns, name, k == DNS_WC_AAAA, a);
	ldns_rdf_deep_free(name);
	if (!wc || wc->len > cap)
		return 0;
	memcpy(out, wc->b, wc->len);
	out[0] = q[0];
	out[1] = q[1];
	out[2] |= q[2] & LDNS_RD_MASK;
	out[3] |= q[3] & LDNS_CD_MASK;
	memcpy(out + 12, q + 12, nlen);	/* the name as the querier wrote it */
	out[wc->ttl_off] = (uint8_t)(ttl >> 24);
	out[wc->ttl_off + 1] = (uint8_t)(ttl >> 16);
	out[wc->ttl_off + 2] = (uint8_t)(ttl >> 8);
	out[wc->ttl_off + 3] = (uint8_t)ttl;
	return wc->len;
slow:
	ldns_rdf_deep_free(name);
	return 0;
}

size_t dns_answer(struct dns *dns, const struct dns_from *from,
		  const uint8_t *q, size_t qlen, bool may_hold, uint8_t *out,
		  size_t cap)
{
	struct dstmd *d = dns->d;
	struct ctx x = { .dns = dns, .d = d };
	ldns_rdf *canon = NULL;
	ldns_rr *qrr;
	size_t n = 0, max;
	bool edns;

	if (qlen < 12) {
		d->cnt[CNT_dns_drop_malformed]++;
		return 0;
	}
	if (qlen > DNS_QUERY_MAX) {
		d->cnt[CNT_dns_drop_oversized]++;
		return 0;
	}
	if (q[2] & 0x80) {		/* a response: never answer one */
		d->cnt[CNT_dns_drop_response]++;
		return 0;
	}
	n = fast_answer(dns, q, qlen, out, cap);
	if (n)
		return n;
	if (ldns_wire2pkt(&x.q, q, qlen) != LDNS_STATUS_OK) {
		d->cnt[CNT_dns_formerr]++;
		return header_only(q, LDNS_RCODE_FORMERR, out, cap);
	}
	if (ldns_pkt_get_opcode(x.q) != LDNS_PACKET_QUERY) {
		d->cnt[CNT_dns_notimp]++;
		ldns_pkt_free(x.q);
		return header_only(q, LDNS_RCODE_NOTIMPL, out, cap);
	}
	if (ldns_pkt_qdcount(x.q) != 1 ||
	    ldns_rr_list_rr_count(ldns_pkt_question(x.q)) != 1) {
		d->cnt[CNT_dns_formerr]++;
		ldns_pkt_free(x.q);
		return header_only(q, LDNS_RCODE_FORMERR, out, cap);
	}
	qrr = ldns_rr_list_rr(ldns_pkt_question(x.q), 0);
	x.qname = ldns_rr_owner(qrr);
	x.qtype = ldns_rr_get_type(qrr);
	x.r = ldns_pkt_new();
	if (!x.r || !x.qname)
		goto fail;
	ldns_pkt_set_id(x.r, ldns_pkt_id(x.q));
	ldns_pkt_set_qr(x.r, true);
	ldns_pkt_set_opcode(x.r, LDNS_PACKET_QUERY);
	ldns_pkt_set_rd(x.r, ldns_pkt_rd(x.q));
	ldns_pkt_set_cd(x.r, ldns_pkt_cd(x.q));
	push(x.r, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	edns = ldns_pkt_edns(x.q);
	if (edns) {
		ldns_pkt_set_edns_udp_size(x.r, dns->cfg->edns_size);
		ldns_pkt_set_edns_do(x.r, ldns_pkt_edns_do(x.q));
		if (ldns_pkt_edns_version(x.q) > 0) {
			/* RFC 6891 6.1.3: BADVERS (16) = extended 1, rcode 0 */
			ldns_pkt_set_edns_extended_rcode(x.r, 1);
			d->cnt[CNT_dns_badvers]++;
			goto write;
		}
	}
	if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN &&
	    ldns_rr_get_class(qrr) != LDNS_RR_CLASS_ANY) {
		x.kind = K_OUT;
	} else if (x.qtype == LDNS_RR_TYPE_AXFR || x.qtype == LDNS_RR_TYPE_IXFR) {
		x.kind = K_OUT;		/* no zone transfers */
	} else {
		canon = ldns_rdf_clone(x.qname);
		if (!canon)
			goto fail;
		ldns_dname2canonical(canon);
		classify(&x, canon);
	}
	if (!resolve(&x, from, q, qlen, may_hold))
		goto out;		/* held */
write:
	if (from->tcp)
		max = 65535;
	else if (edns)
		max = ldns_pkt_edns_udp_size(x.q) > dns->cfg->edns_size ?
		      dns->cfg->edns_size : ldns_pkt_edns_udp_size(x.q);
	else
		max = DNS_UDP_MIN;
	if (max < DNS_UDP_MIN)
		max = DNS_UDP_MIN;
	n = to_wire(d, x.r, max, out, cap);
	if (!n)
		goto fail;
	goto out;
fail:
	d->cnt[CNT_dns_servfail]++;
	n = header_only(q, LDNS_RCODE_SERVFAIL, out, cap);
out:
	ldns_rdf_deep_free(canon);
	ldns_pkt_free(x.r);
	ldns_pkt_free(x.q);
	return n;
}
