// SPDX-License-Identifier: GPL-2.0
/*
 * dstmd's configuration parser and lease logic, on the host: a real
 * SQLite store in a temporary directory and the in-memory TEP.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "client.h"
#include "state.h"
#include "store.h"
#include "tep.h"

static void conf_err(const char *text, const char *want)
{
	struct dstmd_config c;
	char e[512];
	const char *p = t_write("bad.conf", text);
	int r = config_load(&c, p, e, sizeof(e));
	const char *got = strchr(e, ':') ? strchr(e, ':') + 1 : e;

	t_check(r == -1 && !strcmp(got, want), "config error: got '%s', want '%s'",
		got, want);
}

#define POOL "[pool p]\nrange = 10.0.0.1-10.0.0.4\ntep = 2001:db8::1\n"

void test_config(void)
{
	struct dstmd_config c;
	char e[512];
	uint32_t lo, hi;
	const char *p;

	log_set_quiet(true);
	if (!t_dir()) {
		t_check(false, "mkdtemp");
		return;
	}
	p = t_write("ok.conf",
		       "; comment\n[server]\nlisten = ::1 ; inline comment\n"
		       "port = 5470\nlease-db = /tmp/x.db\nsync = normal\n"
		       "server-id = 192.0.2.1\nduid = 00:02:00:00:ab:11:01\n"
		       "dhcp4o6-server = 2001:db8::547\nrate-limit = 0\n"
		       "log = syslog\nreconfigure = off\noffer-time = 3600\n"
		       "[pool main]\nrange = 1.1.1.100-1.1.1.200\nlease-time = 180\n"
		       "tep = 2002:100::1\ntep-device = dstm0\npsid-len = 2\n"
		       "[pool second]\nprefix = 10.1.0.0/24\nclients = 2001:db8:1::/48\n"
		       "tep = 2002:100::2\nauth = yes\n"
		       "[auth]\nrequire = no\nkey = client-a 000102030405060708090a0b0c0d0e0f\n");
	t_check(config_load(&c, p, e, sizeof(e)) == 0, "good config: %s", e);
	t_check(c.n_pools == 2 && c.port == 5470 && !c.sync_full &&
		c.duid_len == 7 && c.n_servers4o6 == 1 && c.rate == 0 &&
		c.n_keys == 1 && c.keys[0].len == 16 &&
		c.log == DSTMD_LOG_SYSLOG && !c.reconfigure && c.offer_time == 3600 &&
		!c.auth_require && !strcmp(c.listen, "::1"), "config values");
	t_check(c.pools[0].n_addrs == 101 && c.pools[0].psid_len == 2 &&
		c.pools[0].psid_offset == 6 && c.pools[0].t1 == 90 &&
		c.pools[0].t2 == 157 && !strcmp(c.pools[0].tep_dev, "dstm0"),
		"pool main");
	t_check(c.pools[1].n_addrs == 254 && c.pools[1].clients_len == 48 &&
		c.pools[1].auth == 1 && c.pools[1].psid_offset == 0,
		"pool second (prefix without network/broadcast)");
	config_free(&c);

	conf_err("[server]\nbogus = 1\n" POOL, "2: unknown key 'bogus' in [server]");
	conf_err("[pool p]\nrange = 10.0.0.9-10.0.0.1\ntep = ::1\n",
		 "2: bad range '10.0.0.9-10.0.0.1' (start after end)");
	conf_err(POOL "[pool q]\nrange = 10.0.0.4-10.0.0.8\ntep = ::1\n",
		 "5: range overlaps the one on line 2");
	conf_err(POOL "\n[pool p]\nrange = 10.0.1.1-10.0.1.2\n",
		 "5: pool 'p' defined twice (first on line 1)");
	conf_err("[pool p]\nrange = 10.0.0.1-10.0.0.4\n",
		 "1: pool 'p' has no tep address");
	conf_err("[pool p]\ntep = ::1\n", "1: pool 'p' has no range or prefix");
	conf_err("[server]\nport = 99999\n" POOL, "2: bad port '99999' (1..65535)");
	conf_err("[serverx]\n", "1: unknown section [serverx] (expected [server], [pool NAME], [auth] or [dns])");
	conf_err(POOL "psid-len = 12\n", "1: pool 'p': psid-offset 6 + psid-len 12 exceed 16");
	conf_err(POOL "lease-time = 5\n", "4: bad lease-time '5' (10..2147483647 s)");
	conf_err(POOL "renew-time = 0\n", "4: bad renew-time '0' (1..2147483647 s)");
	conf_err(POOL "subnet-mask = 255.255.255.256\n",
		 "4: bad subnet-mask '255.255.255.256' (expected an IPv4 address)");
	conf_err(POOL "auth = maybe\n", "4: bad auth 'maybe' (yes or no)");
	conf_err(POOL "port = 547\n", "4: unknown key 'port' in [pool p]");
	conf_err("[server]\nrate-burst = 0\n" POOL, "2: bad rate-burst '0' (1..1000000)");
	conf_err("[server]\nlog = journal\n" POOL, "2: bad log 'journal' (auto, stderr or syslog)");
	conf_err("[server]\nduid = 0011\n" POOL, "2: bad duid '0011' (3..130 bytes of hex)");
	conf_err(POOL "[auth]\nkey = a 0011\n", "5: bad secret for key 'a' (16..64 bytes of hex)");
	conf_err(POOL "tep = 1.2.3.4\n", "4: bad tep '1.2.3.4' (expected an IPv6 address)");
	conf_err("[server]\nthis is not ini\n" POOL,
		 "2: syntax error (expected NAME = VALUE or [SECTION])");
	conf_err("[server]\n", "1: no [pool NAME] section: nothing to hand out");
	conf_err("[server]\nlisten = 10.0.0.1\n" POOL,
		 "2: bad listen '10.0.0.1' (an IPv4 address: DHCPv4-over-DHCPv6 is served on IPv6)");
	conf_err("[server]\nlisten = a/b\n" POOL,
		 "2: bad listen 'a/b' (expected an IPv6 address or an interface name)");
	conf_err(POOL "renew-time = 200\n",
		 "1: pool 'p': need renew-time <= rebind-time <= lease-time");
	t_check(config_load(&c, "/nonexistent/x.conf", e, sizeof(e)) == -1 &&
		strstr(e, "No such file"), "missing file: %s", e);

	t_check(parse_range4("1.1.1.0/24", &lo, &hi, e, sizeof(e)) &&
		lo == 0x01010101 && hi == 0x010101fe, "prefix /24");
	t_check(parse_range4("1.1.1.7/32", &lo, &hi, e, sizeof(e)) &&
		lo == hi && lo == 0x01010107, "prefix /32");
	t_check(!parse_range4("1.1.1.1/24", &lo, &hi, e, sizeof(e)),
		"prefix with host bits");
}

void test_pool(void);


/* A server over a fresh store with one shared pool (2 addresses x 4). */
struct fixture {
	struct dstmd_config cfg;
	struct store *store;
	struct tep *tep;
	struct dstmd d;
	char db[300];
};

static bool fx_open(struct fixture *f, const char *conf, bool fresh)
{
	char e[512];
	const char *p = t_write("fx.conf", conf);

	snprintf(f->db, sizeof(f->db), "%s/fx.db", t_dir());
	if (fresh) {
		char w[320];

		unlink(f->db);
		snprintf(w, sizeof(w), "%s-wal", f->db);
		unlink(w);
	}
	if (config_load(&f->cfg, p, e, sizeof(e))) {
		t_check(false, "fixture config: %s", e);
		return false;
	}
	if (store_open(&f->store, f->db, false, false, e, sizeof(e))) {
		t_check(false, "fixture store: %s", e);
		return false;
	}
	f->tep = tep_mem_open();
	if (dstmd_init(&f->d, &f->cfg, f->store, f->tep))
		return false;
	memcpy(f->d.duid, "\x00\x04srv-duid-0123456", 18);
	f->d.duid_len = 18;
	f->d.now = 1000000;
	return true;
}

static void fx_close(struct fixture *f)
{
	dstmd_free(&f->d);
	f->tep->ops->close(f->tep);
	store_close(f->store);
	config_free(&f->cfg);
}

/* Send one message through dstmd_handle inside a transaction. */
static size_t fx_xchg(struct fixture *f, const struct in6_addr *src,
		      const uint8_t *pkt, int len, uint8_t *out)
{
	size_t n;

	store_begin(f->store);
	n = dstmd_handle(&f->d, src, pkt, (size_t)len, out, 1500);
	store_commit(f->store);
	dstmd_tep_flush(&f->d);
	return n;
}

static bool v4(struct fixture *f, struct d4o6_client *c,
	       const struct in6_addr *src, struct d4_msg *q, struct d4_msg *a)
{
	static uint8_t pkt[1500], out[1500];
	struct d6_msg m;
	int len = d4o6_build_query(c, 0, q, pkt, sizeof(pkt));
	size_t n = fx_xchg(f, src, pkt, len, out);

	return n && d4o6_parse_response(out, n, &m, a) == 0;
}

static bool get_lease(struct fixture *f, struct d4o6_client *c,
		      const struct in6_addr *src, struct d4_msg *ack)
{
	struct d4_msg q, a;

	d4o6_init_v4(c, &q, D4_DISCOVER, 1);
	if (!v4(f, c, src, &q, &a) || a.type != D4_OFFER)
		return false;
	d4o6_init_v4(c, &q, D4_REQUEST, 2);
	q.has_reqip = q.has_srvid = true;
	q.reqip = a.yiaddr;
	q.srvid = a.srvid;
	return v4(f, c, src, &q, ack) && ack->type == D4_ACK &&
	       ack->yiaddr.s_addr == a.yiaddr.s_addr;
}

#define FX_CONF_POOL(extra) "[server]\nrate-limit = 0\ndecline-time = 60\n" \
	"[pool p]\nrange = 10.0.0.1-10.0.0.2\nlease-time = 100\n" \
	"tep = 2001:db8::1\ntep-device = dstm0\npsid-len = 2\n" extra \
	"[auth]\nkey = ka 000102030405060708090a0b0c0d0e0f\n"
#define FX_CONF FX_CONF_POOL("")

void test_lease(void)
{
	struct d4o6_client c[9];
	struct in6_addr src;
	struct d4_msg q, a, ack[9];
	struct fixture f;
	struct tep_map tm;
	uint8_t pkt[1500], out[1500];
	struct d6_msg m;
	int i, len, seen[2][4] = { { 0 } };
	size_t n;

	inet_pton(AF_INET6, "2001:db8:99::a", &src);
	for (i = 0; i < 9; i++) {
		uint8_t duid[6] = { 0, 2, 0, 0, 0x77, (uint8_t)i };

		d4o6_client_init(&c[i], duid, sizeof(duid), 1);
	}
	if (!fx_open(&f, FX_CONF, true))
		return;

	/* Information-request -> Reply with 88 and 96/90. */
	c[0].reconf_accept = true;
	c[0].fqdn = "host-a.example.";
	len = d4o6_build_inforeq(&c[0], 0x42, pkt, sizeof(pkt));
	n = fx_xchg(&f, &src, pkt, len, out);
	t_check(n && d6_parse(out, n, &m) == 0 && m.type == D6_REPLY &&
		m.xid == 0x42 && m.has_serverid && m.has_clientid &&
		m.has_4o6_servers && m.n_servers4o6 == 0 && m.has_br &&
		m.br.s6_addr[15] == 1 && m.has_fqdn &&
		!strcmp(m.fqdn.name, "host-a.example"), "reply contents");
	t_check(m.has_auth && m.auth.protocol == 3 && m.auth.info[0] == 1,
		"reply carries a reconfigure key");

	/* 8 port-set leases on 2 addresses: all distinct, then exhausted. */
	for (i = 0; i < 8; i++) {
		t_check(get_lease(&f, &c[i], &src, &ack[i]), "lease %d", i);
		t_check(ack[i].has_portparams && ack[i].psid_len == 2 &&
			ack[i].psid_offset == 6 && ack[i].lease == 100 &&
			ack[i].t1 == 50 && ack[i].t2 == 87, "lease %d params", i);
		uint32_t ip = ntohl(ack[i].yiaddr.s_addr);

		if (ip >= 0x0a000001 && ip <= 0x0a000002 && ack[i].psid < 4)
			seen[ip - 0x0a000001][ack[i].psid]++;
	}
	for (i = 0; i < 8; i++)
		t_check(seen[i / 4][i % 4] == 1, "slot %d given once", i);
	t_check(tep_mem_count(f.tep) == 8, "8 TEP mappings");
	t_check(tep_mem_get(f.tep, ntohl(ack[3].yiaddr.s_addr), ack[3].psid, &tm) &&
		tm.lifetime == 100 && tm.psid_len == 2 && tm.psid_offset == 6 &&
		!memcmp(&tm.ipv6, &src, 16), "mapping of lease 3");
	d4o6_init_v4(&c[8], &q, D4_DISCOVER, 9);
	t_check(!v4(&f, &c[8], &src, &q, &a) && f.d.cnt[CNT_exhausted] == 1,
		"pool exhausted: no offer");

	/* The same client gets the same lease back. */
	d4o6_init_v4(&c[2], &q, D4_DISCOVER, 3);
	t_check(v4(&f, &c[2], &src, &q, &a) && a.yiaddr.s_addr == ack[2].yiaddr.s_addr &&
		a.psid == ack[2].psid, "same client, same address");

	/* Renewal 30 s later extends lease and mapping. */
	f.d.now += 30;
	d4o6_init_v4(&c[1], &q, D4_REQUEST, 4);
	q.ciaddr = ack[1].yiaddr;
	t_check(v4(&f, &c[1], &src, &q, &a) && a.type == D4_ACK && a.lease == 100,
		"renewal acked");
	t_check(tep_mem_get(f.tep, ntohl(ack[1].yiaddr.s_addr), ack[1].psid, &tm) &&
		tm.lifetime == 100, "renewal refreshed the mapping");

	/* Renewing an address it does not hold: NAK. */
	d4o6_init_v4(&c[1], &q, D4_REQUEST, 5);
	q.ciaddr = ack[5].yiaddr;
	q.ciaddr.s_addr ^= htonl(1);
	if (q.ciaddr.s_addr == ack[1].yiaddr.s_addr)
		q.ciaddr.s_addr ^= htonl(3);
	t_check(v4(&f, &c[1], &src, &q, &a) && a.type == D4_NAK &&
		!a.yiaddr.s_addr, "renewing a foreign address: NAK");
	/* Requesting a slot another client holds: NAK. */
	d4o6_init_v4(&c[8], &q, D4_REQUEST, 6);
	q.has_reqip = q.has_srvid = true;
	q.reqip = ack[0].yiaddr;
	q.srvid = a.srvid;
	t_check(v4(&f, &c[8], &src, &q, &a) && a.type == D4_NAK,
		"requesting a taken address: NAK");

	/* Release frees lease and mapping. */
	d4o6_init_v4(&c[0], &q, D4_RELEASE, 7);
	q.ciaddr = ack[0].yiaddr;
	len = d4o6_build_query(&c[0], 0, &q, pkt, sizeof(pkt));
	t_check(fx_xchg(&f, &src, pkt, len, out) == 0, "no answer to RELEASE");
	t_check(!tep_mem_get(f.tep, ntohl(ack[0].yiaddr.s_addr), ack[0].psid, &tm) &&
		tep_mem_count(f.tep) == 7, "release removed the mapping");
	/* Decline: the slot is held back, owned by nobody. */
	d4o6_init_v4(&c[4], &q, D4_DECLINE, 8);
	q.has_reqip = true;
	q.reqip = ack[4].yiaddr;
	len = d4o6_build_query(&c[4], 0, &q, pkt, sizeof(pkt));
	fx_xchg(&f, &src, pkt, len, out);
	t_check(tep_mem_count(f.tep) == 6, "decline removed the mapping");
	/* Client 8 now gets the released slot (the declined one is held). */
	t_check(get_lease(&f, &c[8], &src, &a) && a.yiaddr.s_addr == ack[0].yiaddr.s_addr &&
		a.psid == ack[0].psid, "released slot reused");

	/* INFORM: an ACK without an address. */
	d4o6_init_v4(&c[3], &q, D4_INFORM, 10);
	q.ciaddr = ack[3].yiaddr;
	t_check(v4(&f, &c[3], &src, &q, &a) && a.type == D4_ACK &&
		!a.yiaddr.s_addr && !a.has_lease, "inform acked without a lease");

	/* Restart: every lease comes back from the store. */
	size_t before = f.d.n_leases;

	fx_close(&f);
	if (!fx_open(&f, FX_CONF, false))
		return;
	t_check(f.d.n_leases == before, "leases reloaded (%zu of %zu)",
		f.d.n_leases, before);
	/* Reconcile a TEP that lost everything, plus one stale mapping. */
	memset(&tm, 0, sizeof(tm));
	tm.ipv4 = 0x0a000002;
	tm.psid = 3;
	tm.psid_len = 2;
	tm.psid_offset = 6;
	if (!lease_by_addr(&f.d, 0x0a000002, 3) ||
	    lease_by_addr(&f.d, 0x0a000002, 3)->state != LEASE_BOUND) {
		f.tep->ops->map_set(f.tep, "dstm0", &tm);
	}
	f.d.now += 1;
	dstmd_reconcile(&f.d);
	size_t bound = 0;

	for (struct dstmd_lease *l = f.d.all; l; l = l->next)
		bound += l->state == LEASE_BOUND;
	t_check(tep_mem_count(f.tep) == bound, "reconciled: %zu mappings for %zu leases",
		tep_mem_count(f.tep), bound);

	/* Expiry removes leases and mappings, declines included. */
	f.d.now += 1000;
	store_begin(f.store);
	dstmd_expire(&f.d);
	store_commit(f.store);
	dstmd_tep_flush(&f.d);
	t_check(f.d.n_leases == 0 && tep_mem_count(f.tep) == 0,
		"all expired (%zu leases, %zu mappings)", f.d.n_leases,
		tep_mem_count(f.tep));

	/* Hostile input: counted, never answered. */
	static const char *const junk[] = {
		"", "0b", "0b 00 00 01 00 01 ff ff", "14 00 00 00",
		"14 00 00 00 00 57 00 04 01 02 03 04", "05 00 00 00", "0c 00 00 00",
	};
	uint64_t rx = f.d.cnt[CNT_rx];

	for (i = 0; i < (int)(sizeof(junk) / sizeof(junk[0])); i++) {
		n = t_hex(junk[i], pkt, sizeof(pkt));
		t_check(fx_xchg(&f, &src, pkt, (int)n, out) == 0, "junk %d dropped", i);
	}
	t_check(f.d.cnt[CNT_rx] - rx == 7 && f.d.cnt[CNT_tx] == 0, "junk counted");

	/* Authentication required per pool. */
	fx_close(&f);
	if (!fx_open(&f, FX_CONF_POOL("auth = yes\n"), true))
		return;
	static const uint8_t key[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

	len = d4o6_build_inforeq(&c[0], 1, pkt, sizeof(pkt));
	t_check(fx_xchg(&f, &src, pkt, len, out) == 0 && f.d.cnt[CNT_drop_auth] == 1,
		"unauthenticated request dropped");
	c[0].key_name = "ka";
	c[0].key = key;
	c[0].key_len = 16;
	c[0].replay = 100;
	len = d4o6_build_inforeq(&c[0], 2, pkt, sizeof(pkt));
	t_check(fx_xchg(&f, &src, pkt, len, out) > 0, "authenticated request answered");
	t_check(fx_xchg(&f, &src, pkt, len, out) == 0 && f.d.cnt[CNT_drop_replay] == 1,
		"replayed request dropped");
	c[0].key_name = "kb";
	len = d4o6_build_inforeq(&c[0], 3, pkt, sizeof(pkt));
	t_check(fx_xchg(&f, &src, pkt, len, out) == 0 && f.d.cnt[CNT_drop_auth] == 2,
		"unknown key dropped");
	c[0].key_name = "ka";
	len = d4o6_build_inforeq(&c[0], 4, pkt, sizeof(pkt));
	pkt[len - 1] ^= 0x80;
	t_check(fx_xchg(&f, &src, pkt, len, out) == 0 && f.d.cnt[CNT_drop_auth] == 3,
		"bad HMAC dropped");
	fx_close(&f);
}

/* Several pools: a client is served by the first pool whose "clients"
 * prefix holds its source and that has room; the Reply names that pool's
 * TEP. */
void test_pool(void)
{
	static const char conf[] =
		"[server]\nrate-limit = 0\n"
		"[pool a]\nrange = 10.0.0.1-10.0.0.1\nclients = 2001:db8:1::/48\n"
		"tep = 2001:db8:a::1\n"
		"[pool b]\nprefix = 10.0.1.0/30\ntep = 2001:db8:b::1\n";
	struct in6_addr in_a, out_a;
	struct d4o6_client c[4];
	uint8_t pkt[1500], out[1500];
	struct d4_msg q, a;
	struct d6_msg m;
	struct fixture f;
	int i, len;
	size_t n;

	if (!fx_open(&f, conf, true))
		return;
	inet_pton(AF_INET6, "2001:db8:1:5::9", &in_a);
	inet_pton(AF_INET6, "2001:db8:2::9", &out_a);
	for (i = 0; i < 4; i++) {
		uint8_t duid[6] = { 0, 2, 0, 0, 0x55, (uint8_t)i };

		d4o6_client_init(&c[i], duid, sizeof(duid), 1);
	}
	len = d4o6_build_inforeq(&c[0], 1, pkt, sizeof(pkt));
	n = fx_xchg(&f, &in_a, pkt, len, out);
	t_check(n && d6_parse(out, n, &m) == 0 && m.has_br && m.br.s6_addr[5] == 0xa,
		"pool a's TEP for its clients");
	n = fx_xchg(&f, &out_a, pkt, len, out);
	t_check(n && d6_parse(out, n, &m) == 0 && m.has_br && m.br.s6_addr[5] == 0xb,
		"pool b's TEP for the others");

	t_check(get_lease(&f, &c[0], &in_a, &a) && a.yiaddr.s_addr == htonl(0x0a000001),
		"pool a first");
	t_check(get_lease(&f, &c[1], &in_a, &a) && a.yiaddr.s_addr == htonl(0x0a000101),
		"pool a full: pool b");
	t_check(get_lease(&f, &c[2], &out_a, &a) && a.yiaddr.s_addr == htonl(0x0a000102),
		"outside a's prefix: pool b");
	/* A client outside a's prefix may not take an address of pool a. */
	d4o6_init_v4(&c[3], &q, D4_REQUEST, 5);
	q.has_reqip = true;
	q.reqip.s_addr = htonl(0x0a000001);
	t_check(v4(&f, &c[3], &out_a, &q, &a) && a.type == D4_NAK,
		"INIT-REBOOT into another pool's address: NAK");
	t_check(!get_lease(&f, &c[3], &out_a, &a), "both pools full for it");
	fx_close(&f);
}
