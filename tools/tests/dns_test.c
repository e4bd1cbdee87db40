// SPDX-License-Identifier: GPL-2.0
/*
 * dstmd's DNS extension on the host: the [dns] configuration, the
 * reservation logic of lease.c (the reserved address goes to its host and
 * no one else, survives a reload from the store, goes back when given
 * back), and answers through dns_query() without sockets, read back with
 * ldns.
 */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "client.h"
#include "dns.h"
#include "dns_int.h"
#include "state.h"
#include "store.h"
#include "tep.h"

#define BASE "[server]\nrate-limit = 0\n[pool p]\nrange = 10.0.0.1-10.0.0.2\n" \
	"tep = 2001:db8::1\nlease-time = 100\n"

static void conf_err(const char *dns, const char *want)
{
	char text[1024], e[512];
	struct dstmd_config c;
	const char *got;
	int r;

	snprintf(text, sizeof(text), BASE "%s", dns);
	r = config_load(&c, t_write("bad.conf", text), e, sizeof(e));
	got = strchr(e, ':') ? strchr(e, ':') + 1 : e;
	t_check(r == -1 && !strcmp(got, want), "dns config error: got '%s', want '%s'",
		got, want);
}

static void test_dns_config(void)
{
	struct dstmd_config c;
	char e[512], n[256];
	uint32_t ms;

	t_check(!config_load(&c, t_write("ok.conf", BASE), e, sizeof(e)) &&
		!c.dns.enabled, "no [dns]: DNS off (%s)", e);
	config_free(&c);
	t_check(!config_load(&c, t_write("ok.conf", BASE "[dns]\nzone = DSTM.test\n"
				      "on-demand-wait = 1500ms\nrate-limit = 0\n"),
			     e, sizeof(e)), "[dns] loads (%s)", e);
	t_check(c.dns.enabled && !strcmp(c.dns.zone, "dstm.test.") &&
		c.dns.port == 53 && c.dns.wait_ms == 1500 && !c.dns.rate &&
		c.dns.n_ns == 1 && !strcmp(c.dns.ns[0].name, "ns.dstm.test.") &&
		!strcmp(c.dns.hostmaster, "hostmaster.dstm.test.") &&
		c.dns.on_demand && c.dns.edns_size == 1232,
		"[dns] values and defaults");
	config_free(&c);
	t_check(!config_load(&c, t_write("ok.conf", BASE "[dns]\nzone = z\nedns-size = 4096\n"
				      "on-demand = no\ntcp-idle = 30\nmax-held = 65536\n"),
			     e, sizeof(e)) && c.dns.edns_size == 4096 && !c.dns.on_demand &&
		c.dns.tcp_idle_ms == 30000 && c.dns.max_held == 65536, "[dns] values (%s)", e);
	config_free(&c);
	conf_err("[dns]\nport = 53\n", "7: [dns] needs a zone (zone = dstm.test.)");
	conf_err("[dns]\nzone = a..b\n", "8: bad zone 'a..b' (expected a domain name such as dstm.test.)");
	conf_err("[dns]\nzone = z.\nlisten = 10.0.0.1\n",
		 "9: bad listen '10.0.0.1' (expected an IPv6 address, :: for all; IPv4 clients reach it as ::ffff:A.B.C.D)");
	conf_err("[dns]\nzone = z.\non-demand-wait = 5m\n",
		 "9: bad on-demand-wait '5m' (100ms..30s: 2, 2s or 1500ms)");
	conf_err("[dns]\nzone = z.\nfoo = 1\n", "9: unknown key 'foo' in [dns]");
	conf_err("[dns]\nzone = z.\ntcp-idle = 99ms\n", "9: bad tcp-idle '99ms' (100ms..3600s)");
	conf_err("[dns]\nzone = z.\nmax-tcp = 0\n", "9: bad max-tcp '0' (1..65536 connections)");
	conf_err("[dns]\nzone = z.\n[dns]\n", "9: [dns] twice (first on line 7)");
	conf_err("[dns]\nzone = z.\nns = ns.example. 2001:db8::1\n",
		 "7: name server ns.example. is outside the zone z.: it cannot have addresses here");
	conf_err("[dns]\nzone = z.\nns = ns.z. 300.1.1.1\n",
		 "9: bad name server address '300.1.1.1' (IPv4 or IPv6, at most 4 of each)");
	conf_err("[dns]\nzone = z.\nns-address = ::1\n",
		 "9: ns-address before any ns line (it gives the address of the ns above it)");
	t_check(dns_name_norm("A.b-c.", n, sizeof(n)) && !strcmp(n, "a.b-c."),
		"name norm");
	t_check(!dns_name_norm("a b", n, sizeof(n)) && !dns_name_norm(".", n, sizeof(n)),
		"name norm refuses");
	t_check(parse_duration_ms("2", 100, 30000, &ms) && ms == 2000 &&
		parse_duration_ms("250ms", 100, 30000, &ms) && ms == 250 &&
		!parse_duration_ms("50ms", 100, 30000, &ms), "durations");
}

struct fx {
	struct dstmd_config cfg;
	struct store *store;
	struct tep *tep;
	struct dstmd d;
	char db[320];
};

static bool fx_open(struct fx *f, const char *text, bool fresh)
{
	char e[512];

	snprintf(f->db, sizeof(f->db), "%s/dns.db", t_dir());
	if (fresh) {
		char w[340];

		unlink(f->db);
		snprintf(w, sizeof(w), "%s-wal", f->db);
		unlink(w);
	}
	if (config_load(&f->cfg, t_write("fx.conf", text), e, sizeof(e)) ||
	    store_open(&f->store, f->db, false, false, e, sizeof(e))) {
		t_check(false, "dns fixture: %s", e);
		return false;
	}
	f->tep = tep_mem_open();
	if (dstmd_init(&f->d, &f->cfg, f->store, f->tep))
		return false;
	memcpy(f->d.duid, "\x00\x04srv-duid-0123456", 18);
	f->d.duid_len = 18;
	f->d.now = time(NULL);
	return !f->cfg.dns.enabled || !dns_open_nosock(&f->d);
}

static void fx_close(struct fx *f)
{
	dns_close(&f->d);
	dstmd_free(&f->d);
	f->tep->ops->close(f->tep);
	store_close(f->store);
	config_free(&f->cfg);
}

static struct dhcp4_req req(uint8_t *key, const char *duid, uint8_t cid,
			    const struct in6_addr *src)
{
	struct dhcp4_req r = { .key = key, .src = src };

	key[0] = (uint8_t)strlen(duid);
	memcpy(key + 1, duid, key[0]);
	key[1 + key[0]] = cid;
	r.key_len = 2u + key[0];
	return r;
}

static void test_reservation(void)
{
	struct in6_addr a6, b6;
	uint8_t ka[64], kb[64];
	struct dhcp4_req ra, rb;
	struct dstmd_lease *res, *l, *ob;
	uint32_t addr;
	struct fx f;
	bool full, nak;

	inet_pton(AF_INET6, "2001:db8::a", &a6);
	inet_pton(AF_INET6, "2001:db8::b", &b6);
	ra = req(ka, "host-a", 7, &a6);
	rb = req(kb, "host-b", 7, &b6);
	if (!fx_open(&f, BASE "tep-device = dstm0\n", true))
		return;
	store_begin(f.store);
	res = lease_reserve(&f.d, (const uint8_t *)"host-a", 6, &a6,
			    f.d.now + 5, &full);
	t_check(res && res->state == LEASE_RESERVED && !full, "reserve");
	addr = res ? res->ipv4 : 0;
	store_commit(f.store);
	dstmd_tep_flush(&f.d);
	t_check(tep_mem_count(f.tep) == 1, "reservation mapped on the TEP");
	t_check(!lease_of_duid(&f.d, (const uint8_t *)"host-a", 6),
		"a reservation is not a lease (no A record)");
	/* Another client cannot get that address, even asking for it. */
	store_begin(f.store);
	rb.has_reqip = true;
	rb.reqip = addr;
	ob = lease_offer(&f.d, &rb);
	t_check(ob && ob->ipv4 != addr, "another client is offered another address");
	t_check(!lease_request(&f.d, &rb, addr, &nak) && nak,
		"another client asking for the reserved address: NAK");
	store_commit(f.store);
	fx_close(&f);

	/* Reload from the store (as after kill -9): still reserved. */
	if (!fx_open(&f, BASE "tep-device = dstm0\n", false))
		return;
	l = lease_by_addr(&f.d, addr, 0);
	t_check(l && l->state == LEASE_RESERVED, "reservation reloaded from the store");
	store_begin(f.store);
	ra.has_reqip = true;
	ra.reqip = addr == 0x0a000001 ? 0x0a000002 : 0x0a000001;
	l = lease_offer(&f.d, &ra);
	t_check(l && l->ipv4 == addr, "its host is offered the reserved address (not the one it asks for)");
	t_check(!lease_request(&f.d, &ra, ra.reqip, &nak) && nak,
		"its host asking for another address: NAK");
	l = lease_request(&f.d, &ra, addr, &nak);
	t_check(l && l->state == LEASE_BOUND && l->ipv4 == addr &&
		lease_of_duid(&f.d, (const uint8_t *)"host-a", 6) == l &&
		!lease_reserved(&f.d, (const uint8_t *)"host-a", 6),
		"REQUEST binds it: a lease, no reservation left");
	store_commit(f.store);
	dstmd_tep_flush(&f.d);
	{
		struct tep_map m;

		t_check(tep_mem_get(f.tep, addr, 0, &m) && m.lifetime == 100 &&
			!memcmp(&m.ipv6, &a6, 16),
			"bound: mapped with the lease's lifetime (got %u)", m.lifetime);
	}
	fx_close(&f);

	/* Given back: the address is free again; expiry too. */
	if (!fx_open(&f, BASE "tep-device = dstm0\n", true))
		return;
	store_begin(f.store);
	res = lease_reserve(&f.d, (const uint8_t *)"host-a", 6, &a6,
			    f.d.now + 5, &full);
	lease_unreserve(&f.d, res);
	t_check(!lease_reserved(&f.d, (const uint8_t *)"host-a", 6) &&
		f.d.n_leases == 0, "unreserve frees the slot");
	res = lease_reserve(&f.d, (const uint8_t *)"host-b", 6, &b6,
			    f.d.now + 5, &full);
	store_commit(f.store);
	dstmd_tep_flush(&f.d);
	f.d.now += 6;
	store_begin(f.store);
	dstmd_expire(&f.d);
	store_commit(f.store);
	dstmd_tep_flush(&f.d);
	t_check(res && f.d.n_leases == 0 && tep_mem_count(f.tep) == 0,
		"an expired reservation is gone, with its mapping");
	fx_close(&f);
}

/* One query through dns_query; the parsed answer or NULL. */
static ldns_pkt *ask(struct fx *f, const char *name, ldns_rr_type t,
		     uint16_t edns, bool tcp)
{
	struct dns_from from = { .sa = { .sin6_family = AF_INET6 }, .tcp = tcp };
	ldns_pkt *q = NULL, *a = NULL;
	uint8_t *w = NULL, out[65535];
	size_t wl, n;

	inet_pton(AF_INET6, "::ffff:192.0.2.2", &from.sa.sin6_addr);
	if (ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, 0) !=
	    LDNS_STATUS_OK)
		return NULL;
	ldns_pkt_set_id(q, 4711);
	if (edns)
		ldns_pkt_set_edns_udp_size(q, edns);
	if (ldns_pkt2wire(&w, q, &wl) == LDNS_STATUS_OK) {
		n = dns_query(&f->d, &from, w, wl, out, sizeof(out));
		if (n && ldns_wire2pkt(&a, out, n) != LDNS_STATUS_OK)
			a = NULL;
	}
	free(w);
	ldns_pkt_free(q);
	return a;
}

static bool rcode_is(ldns_pkt *p, ldns_pkt_rcode rc, size_t an)
{
	return p && ldns_pkt_get_rcode(p) == rc && ldns_pkt_ancount(p) == an &&
	       ldns_pkt_id(p) == 4711 && ldns_pkt_qr(p);
}

static void test_answers(void)
{
	static const uint8_t key[16] = "0123456789abcdef";
	struct in6_addr a6;
	uint8_t k[64];
	struct dhcp4_req r;
	struct dstmd_lease *l;
	ldns_pkt *p;
	struct fx f;
	bool nak;

	inet_pton(AF_INET6, "2001:db8::a", &a6);
	if (!fx_open(&f, BASE "[dns]\nzone = dstm.test.\nttl = 300\n"
		     "rate-limit = 1\nrate-burst = 1\nmax-pending = 1\n"
		     "ns = ns1.dstm.test. 2001:db8::53\n", true))
		return;
	dns_host_seen(&f.d, (const uint8_t *)"host-a", 6, &a6, "a.dstm.test",
		      false, key);
	dns_host_seen(&f.d, (const uint8_t *)"host-b", 6, &a6, "b", true, key);
	dns_host_seen(&f.d, (const uint8_t *)"host-c", 6, &a6, "c.x.dstm.test",
		      false, NULL);

	p = ask(&f, "dstm.test.", LDNS_RR_TYPE_SOA, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 1) && ldns_pkt_aa(p),
		"SOA at the apex, AA");
	ldns_pkt_free(p);
	p = ask(&f, "A.DSTM.TEST.", LDNS_RR_TYPE_AAAA, 1232, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 1) && ldns_pkt_edns(p) &&
		ldns_pkt_edns_udp_size(p) == 1232, "AAAA in any case, OPT echoed");
	ldns_pkt_free(p);
	p = ask(&f, "b.dstm.test.", LDNS_RR_TYPE_AAAA, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 1) && !ldns_pkt_edns(p),
		"a partial FQDN is completed with the zone; no OPT without EDNS");
	ldns_pkt_free(p);
	p = ask(&f, "x.dstm.test.", LDNS_RR_TYPE_A, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 0) && ldns_pkt_nscount(p) == 1,
		"an empty non-terminal: NODATA, not NXDOMAIN");
	ldns_pkt_free(p);
	p = ask(&f, "zz.dstm.test.", LDNS_RR_TYPE_A, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NXDOMAIN, 0) && ldns_pkt_nscount(p) == 1 &&
		ldns_pkt_aa(p), "NXDOMAIN with the SOA");
	ldns_pkt_free(p);
	p = ask(&f, "example.org.", LDNS_RR_TYPE_A, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_REFUSED, 0) && !ldns_pkt_aa(p),
		"REFUSED outside the zone");
	ldns_pkt_free(p);
	p = ask(&f, "ns1.dstm.test.", LDNS_RR_TYPE_AAAA, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 1), "glue AAAA");
	ldns_pkt_free(p);
	/* No Reconfigure Key: no allocation, NODATA at once. */
	p = ask(&f, "c.x.dstm.test.", LDNS_RR_TYPE_A, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 0) &&
		f.d.cnt[CNT_dns_ondemand_nokey] == 1, "no key: NODATA, counted");
	ldns_pkt_free(p);
	/* a: no lease -> held (no answer now), reserved. */
	p = ask(&f, "a.dstm.test.", LDNS_RR_TYPE_A, 0, false);
	t_check(!p && f.d.cnt[CNT_dns_ondemand] == 1 &&
		lease_reserved(&f.d, (const uint8_t *)"host-a", 6),
		"A for a host without a lease: held, address reserved");
	/* A second query for a joins it; b is refused (max-pending 1, and
	 * the querier's rate). */
	p = ask(&f, "a.dstm.test.", LDNS_RR_TYPE_A, 0, true);
	t_check(!p && f.d.cnt[CNT_dns_ondemand] == 1, "a second query joins the first");
	p = ask(&f, "b.dstm.test.", LDNS_RR_TYPE_A, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 0) &&
		f.d.cnt[CNT_dns_ondemand_ratelimited] +
		f.d.cnt[CNT_dns_ondemand_full] == 1,
		"a second allocation from the same querier: refused, counted");
	ldns_pkt_free(p);
	/* a takes its lease: the A record, TTL <= lease left (100 s). */
	r = req(k, "host-a", 1, &a6);
	store_begin(f.store);
	l = lease_offer(&f.d, &r);
	l = l ? lease_request(&f.d, &r, l->ipv4, &nak) : NULL;
	store_commit(f.store);
	dstmd_tep_flush(&f.d);
	dns_after_batch(&f.d);
	t_check(l && f.d.cnt[CNT_dns_ondemand_ok] == 1, "bound: the held queries are answered");
	p = ask(&f, "a.dstm.test.", LDNS_RR_TYPE_A, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 1) &&
		ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)) <= 100,
		"A with TTL <= the lease left (ttl = 300)");
	ldns_pkt_free(p);
	/* The lease ends: no A record (and no new allocation from ANY). */
	store_begin(f.store);
	r.ciaddr = l ? l->ipv4 : 0;
	lease_release(&f.d, &r);
	store_commit(f.store);
	p = ask(&f, "a.dstm.test.", LDNS_RR_TYPE_ANY, 0, false);
	t_check(rcode_is(p, LDNS_RCODE_NOERROR, 1) &&
		ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)) ==
		LDNS_RR_TYPE_AAAA, "released: ANY has the AAAA only");
	ldns_pkt_free(p);
	{
		struct dstmd_lease *q = lease_by_addr(&f.d, r.ciaddr, 0);

		t_check(q && q->state == LEASE_DECLINED && q->expires > f.d.now &&
			q->expires <= f.d.now + 101 &&
			f.d.cnt[CNT_dns_quarantined] == 1,
			"released after its A was published: held back until the TTL is over");
	}
	/* Malformed: counted. */
	{
		static const uint8_t shortq[5] = { 1, 2, 3, 4, 5 };
		static const uint8_t resp[12] = { 1, 2, 0x80 };
		struct dns_from from = { .sa = { .sin6_family = AF_INET6 } };
		uint8_t out[512];

		t_check(!dns_query(&f.d, &from, shortq, 5, out, sizeof(out)) &&
			f.d.cnt[CNT_dns_drop_malformed] == 1, "short: dropped, counted");
		t_check(!dns_query(&f.d, &from, resp, 12, out, sizeof(out)) &&
			f.d.cnt[CNT_dns_drop_response] == 1, "a response: dropped, counted");
	}
	fx_close(&f);
}

/* The fast path (a host's answer written once by ldns, copied and
 * patched per query) against the long way (no_cache), byte for byte.
 * A second can turn between the two (the A TTL counts down): retried. */
static bool same_answer(struct fx *f, const uint8_t *q, size_t qlen,
			uint8_t *ans, size_t *alen)
{
	struct dns_from from = { .sa = { .sin6_family = AF_INET6 } };
	static uint8_t a[4096], b[4096];
	size_t na = 0, nb = 0;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		f->d.dns->no_cache = false;
		na = dns_query(&f->d, &from, q, qlen, a, sizeof(a));
		f->d.dns->no_cache = true;
		nb = dns_query(&f->d, &from, q, qlen, b, sizeof(b));
		f->d.dns->no_cache = false;
		if (na == nb && !memcmp(a, b, na))
			break;
	}
	if (ans) {
		memcpy(ans, a, na);
		*alen = na;
	}
	if (na != nb || memcmp(a, b, na)) {
		size_t i;

		printf("  fast (%zu):", na);
		for (i = 0; i < na; i++)
			printf(" %02x", a[i]);
		printf("\n  long (%zu):", nb);
		for (i = 0; i < nb; i++)
			printf(" %02x", b[i]);
		putchar('\n');
		return false;
	}
	return na >= 12;
}

/* A query's wire form: name, type, flags byte 2 and 3 extra bits, EDNS
 * payload (0: none). */
static size_t qwire(const char *name, ldns_rr_type t, uint8_t f2, uint8_t f3,
		    uint16_t edns, uint8_t *out)
{
	ldns_pkt *q = NULL;
	uint8_t *w = NULL;
	size_t n = 0;

	if (ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, 0) !=
	    LDNS_STATUS_OK)
		return 0;
	ldns_pkt_set_id(q, 0xbeef);
	if (edns)
		ldns_pkt_set_edns_udp_size(q, edns);
	if (ldns_pkt2wire(&w, q, &n) != LDNS_STATUS_OK || n > 512)
		n = 0;
	if (n) {
		memcpy(out, w, n);
		out[2] |= f2;
		out[3] |= f3;
	}
	free(w);
	ldns_pkt_free(q);
	return n;
}

static uint32_t a_ttl(const uint8_t *a, size_t n)
{
	return n >= 10 ? (uint32_t)a[n - 10] << 24 | (uint32_t)a[n - 9] << 16 |
			 (uint32_t)a[n - 8] << 8 | a[n - 7] : 0;
}

static void test_cache(void)
{
	struct in6_addr a6, b6;
	uint8_t k[64], q[600], ans[4096];
	struct dhcp4_req r;
	struct dstmd_lease *l;
	size_t n, an;
	struct fx f;
	bool nak, ok;
	uint32_t ttl;

	inet_pton(AF_INET6, "2001:db8::a", &a6);
	inet_pton(AF_INET6, "2001:db8::b", &b6);
	if (!fx_open(&f, BASE "[dns]\nzone = dstm.test.\nttl = 60\n", true))
		return;
	dns_host_seen(&f.d, (const uint8_t *)"host-a", 6, &a6, "a.dstm.test",
		      false, NULL);
	r = req(k, "host-a", 1, &a6);
	store_begin(f.store);
	l = lease_offer(&f.d, &r);
	l = l ? lease_request(&f.d, &r, l->ipv4, &nak) : NULL;
	store_commit(f.store);
	t_check(l != NULL, "cache: a lease for a");
	if (!l) {
		fx_close(&f);
		return;
	}
	n = qwire("a.dstm.test.", LDNS_RR_TYPE_A, 0, 0, 0, q);
	t_check(same_answer(&f, q, n, ans, &an) && an > 12 &&
		a_ttl(ans, an) == 60,
		"cache: A as the long way writes it (TTL 60)");
	/* Again: from the cache now. */
	t_check(same_answer(&f, q, n, NULL, NULL), "cache: A again, from the cache");
	{
		struct dns_wname w;
		struct dns_host *h = dns_wname("a.dstm.test.", &w) ?
			dns_host_by_name(f.d.dns, w.b, w.len) : NULL;

		t_check(h && h->wc[DNS_WC_A] && !h->wc[DNS_WC_AAAA],
			"cache: the A answer is cached, nothing else yet");
	}
	n = qwire("A.DsTm.TeSt.", LDNS_RR_TYPE_AAAA, LDNS_RD_MASK, LDNS_CD_MASK, 0, q);
	t_check(same_answer(&f, q, n, ans, &an) && !memcmp(ans + 12, q + 12, 14),
		"cache: AAAA, the querier's case, RD and CD kept");
	n = qwire("a.DSTM.test.", LDNS_RR_TYPE_A, 0x02, 0x40, 0, q);
	t_check(same_answer(&f, q, n, NULL, NULL), "cache: TC and Z in a query");
	n = qwire("a.dstm.test.", LDNS_RR_TYPE_A, 0, 0, 1232, q);
	t_check(same_answer(&f, q, n, ans, &an) && an > 11 && ans[11] == 1,
		"cache: A with EDNS: OPT as the long way writes it");
	n = qwire("a.dstm.test.", LDNS_RR_TYPE_AAAA, 0, 0, 0, q);
	q[n - 1] = 255;			/* class ANY */
	t_check(same_answer(&f, q, n, NULL, NULL), "cache: class ANY");
	n = qwire("a.dstm.test.", LDNS_RR_TYPE_AAAA, 0, 0, 0, q);
	q[n++] = 0;			/* a byte after the question */
	t_check(same_answer(&f, q, n, NULL, NULL), "cache: trailing byte");
	/* The TTL counts down with the lease. */
	l->expires = f.d.now + 30;
	n = qwire("a.dstm.test.", LDNS_RR_TYPE_A, 0, 0, 0, q);
	ok = same_answer(&f, q, n, ans, &an);
	ttl = a_ttl(ans, an);
	t_check(ok && ttl <= 30 && ttl >= 28, "cache: TTL = lease left (30 s): %u", ttl);
	l->expires = f.d.now + 5;
	ok = same_answer(&f, q, n, ans, &an);
	ttl = a_ttl(ans, an);
	t_check(ok && ttl <= 5 && ttl >= 3, "cache: TTL = lease left (5 s): %u", ttl);
	/* Registration change: the new IPv6 at once. */
	dns_host_seen(&f.d, (const uint8_t *)"host-a", 6, &b6, "a.dstm.test",
		      false, NULL);
	n = qwire("a.dstm.test.", LDNS_RR_TYPE_AAAA, 0, 0, 0, q);
	t_check(same_answer(&f, q, n, ans, &an) && an >= 16 &&
		!memcmp(ans + an - 16, &b6, 16), "cache: a new registration, new AAAA");
	/* Lease gone: NODATA (no on-demand: no key). */
	store_begin(f.store);
	r.ciaddr = l->ipv4;
	lease_release(&f.d, &r);
	store_commit(f.store);
	n = qwire("a.dstm.test.", LDNS_RR_TYPE_A, 0, 0, 0, q);
	t_check(same_answer(&f, q, n, ans, &an) && an > 7 && ans[7] == 0 &&
		ans[9] == 1, "cache: lease gone: NODATA with the SOA");
	/* A new lease: a new address, not the cached one. */
	store_begin(f.store);
	l = lease_offer(&f.d, &r);
	l = l ? lease_request(&f.d, &r, l->ipv4, &nak) : NULL;
	store_commit(f.store);
	n = qwire("a.dstm.test.", LDNS_RR_TYPE_A, 0, 0, 0, q);
	ok = same_answer(&f, q, n, ans, &an);
	t_check(ok && l && an >= 4 && ((uint32_t)ans[an - 4] << 24 |
		(uint32_t)ans[an - 3] << 16 | (uint32_t)ans[an - 2] << 8 |
		ans[an - 1]) == l->ipv4, "cache: a new lease's address");
	/* The host goes (its name moves): NXDOMAIN for the old name. */
	dns_host_seen(&f.d, (const uint8_t *)"host-a", 6, &b6, "z.dstm.test",
		      false, NULL);
	t_check(same_answer(&f, q, n, ans, &an) && (ans[3] & 0x0f) == 3,
		"cache: renamed: NXDOMAIN for the old name");
	n = qwire("Z.dstm.test.", LDNS_RR_TYPE_AAAA, 0, 0, 0, q);
	t_check(same_answer(&f, q, n, NULL, NULL), "cache: the new name");
	n = qwire("nx.dstm.test.", LDNS_RR_TYPE_AAAA, 0, 0, 0, q);
	t_check(same_answer(&f, q, n, NULL, NULL), "cache: NXDOMAIN");
	fx_close(&f);
}

/* DSTM_DNS_BENCH=1 ./dstmd_unit: the host-side CPU cost of one query
 * through dns_query (no sockets), for the answers the benchmark asks
 * most: A and AAAA of hosts with leases, and NXDOMAIN.  Not a check:
 * numbers for performance-dns.md. */
#define SPEED_HOSTS	200
static void speed_one(struct fx *f, const char *what, ldns_rr_type t,
		      bool nx, bool edns)
{
	struct dns_from from = { .sa = { .sin6_family = AF_INET6 } };
	static uint8_t *w[SPEED_HOSTS];
	static size_t wl[SPEED_HOSTS];
	struct timespec t0, t1;
	uint8_t out[4096];
	unsigned int i, n = 200000, bad = 0;
	double us;

	for (i = 0; i < SPEED_HOSTS; i++) {
		char name[64];
		ldns_pkt *q = NULL;

		snprintf(name, sizeof(name), "%s%u.dstm.test.", nx ? "nx" : "h", i);
		ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, LDNS_RD);
		ldns_pkt_set_id(q, (uint16_t)i);
		if (edns)
			ldns_pkt_set_edns_udp_size(q, 1232);
		ldns_pkt2wire(&w[i], q, &wl[i]);
		ldns_pkt_free(q);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (i = 0; i < n; i++) {
		size_t k = i % SPEED_HOSTS;

		if (dns_query(&f->d, &from, w[k], wl[k], out, sizeof(out)) < 12)
			bad++;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
	      (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / n;
	printf("  dns speed: %-14s %.3f us/query%s\n", what, us,
	       bad ? " (some unanswered!)" : "");
	for (i = 0; i < SPEED_HOSTS; i++)
		free(w[i]);
}

static void test_dns_speed(void)
{
	struct in6_addr a6;
	struct fx f;
	unsigned int i;

	if (!getenv("DSTM_DNS_BENCH"))
		return;
	inet_pton(AF_INET6, "2001:db8::a", &a6);
	if (!fx_open(&f, "[server]\nrate-limit = 0\n[pool p]\n"
		     "range = 10.0.0.1-10.0.3.250\ntep = 2001:db8::1\n"
		     "lease-time = 7200\n[dns]\nzone = dstm.test.\n", true))
		return;
	store_begin(f.store);
	for (i = 0; i < SPEED_HOSTS; i++) {
		char duid[32], name[32];
		struct dhcp4_req r;
		struct dstmd_lease *l;
		uint8_t k[64];
		bool nak;

		snprintf(duid, sizeof(duid), "host-%u", i);
		snprintf(name, sizeof(name), "h%u.dstm.test", i);
		dns_host_seen(&f.d, (const uint8_t *)duid, strlen(duid), &a6,
			      name, false, NULL);
		r = req(k, duid, 1, &a6);
		l = lease_offer(&f.d, &r);
		if (l)
			lease_request(&f.d, &r, l->ipv4, &nak);
	}
	store_commit(f.store);
	dstmd_tep_flush(&f.d);
	speed_one(&f, "A", LDNS_RR_TYPE_A, false, false);
	speed_one(&f, "AAAA", LDNS_RR_TYPE_AAAA, false, false);
	speed_one(&f, "NXDOMAIN", LDNS_RR_TYPE_A, true, false);
	speed_one(&f, "A, EDNS", LDNS_RR_TYPE_A, false, true);
	fx_close(&f);
}

void test_dns(void)
{
	if (!t_dir()) {
		t_check(false, "mkdtemp");
		return;
	}
	log_set_quiet(true);
	test_dns_config();
	test_reservation();
	test_answers();
	test_cache();
	test_dns_speed();
}
