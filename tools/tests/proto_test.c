// SPDX-License-Identifier: GPL-2.0
/*
 * Codec tests.  Every vector below is written out by hand from the RFC
 * layouts (RFC 8415 8/21, RFC 7341 6-7, RFC 7598 4.1/5, RFC 7618 4,
 * RFC 4704 4, RFC 3315 21.4, RFC 8415 20.4, RFC 2131 2/4.1, RFC 2132),
 * not produced by the encoder under test.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "client.h"

#define DUID_HEX "00 02 00 00 ab 11 01 02 03 04"	/* DUID-EN */
#define BR_HEX "20 02 01 00 00 00 00 00 00 00 00 00 00 00 00 01"

static const uint8_t duid[] = { 0, 2, 0, 0, 0xab, 0x11, 1, 2, 3, 4 };

static void test_dhcp6_encode(void)
{
	uint8_t buf[512];
	struct pbuf b;
	struct in6_addr br;
	static const uint16_t oro[] = { 88, 96 };

	inet_pton(AF_INET6, "2002:100::1", &br);

	/* Reply to an Information-request (RFC 8415 8, RFC 7341 7.1,
	 * RFC 7598 4.1 / 5.3). */
	pbuf_init(&b, buf, sizeof(buf));
	d6_put_hdr(&b, D6_REPLY, 0x123456);
	d6_put_opt(&b, D6O_SERVERID, duid, sizeof(duid));
	d6_put_4o6_servers(&b, &br, 1);
	d6_put_s46_lw(&b, &br);
	d6_put_oro(&b, oro, 2);
	t_check(!b.err, "reply encode fits");
	t_bytes(buf, b.len,
		"07 12 34 56"
		"| 00 02 00 0a " DUID_HEX
		"| 00 58 00 10 " BR_HEX
		"| 00 60 00 14  00 5a 00 10 " BR_HEX
		"| 00 06 00 04 00 58 00 60", "reply 88 + 96/90");

	/* 4o6 server option with no address: "use multicast". */
	pbuf_init(&b, buf, sizeof(buf));
	d6_put_4o6_servers(&b, NULL, 0);
	t_bytes(buf, b.len, "00 58 00 00", "empty option 88");

	/* Status code (RFC 8415 21.13). */
	pbuf_init(&b, buf, sizeof(buf));
	d6_put_status(&b, D6S_NO_ADDRS_AVAIL, "full");
	t_bytes(buf, b.len, "00 0d 00 06 00 02 66 75 6c 6c", "status code");

	/* Client FQDN (RFC 4704 4.1), full and partial names. */
	pbuf_init(&b, buf, sizeof(buf));
	t_check(d6_put_fqdn(&b, D6_FQDN_S, "host-a.example."), "fqdn encode");
	t_bytes(buf, b.len,
		"00 27 00 11 01 06 68 6f 73 74 2d 61 07 65 78 61 6d 70 6c 65 00",
		"fqdn full");
	pbuf_init(&b, buf, sizeof(buf));
	d6_put_fqdn(&b, 0, "a");
	t_bytes(buf, b.len, "00 27 00 03 00 01 61", "fqdn partial");
	pbuf_init(&b, buf, sizeof(buf));
	t_check(!d6_put_fqdn(&b, 0, "a..b"), "fqdn empty label refused");
	t_check(!d6_put_fqdn(&b, 0, "a b"), "fqdn blank refused");

	/* Overflow is sticky and reported. */
	pbuf_init(&b, buf, 5);
	d6_put_hdr(&b, D6_REPLY, 1);
	d6_put_opt(&b, D6O_SERVERID, duid, sizeof(duid));
	t_check(b.err && b.len == 4, "encoder overflow flagged");

	/* DHCPV4-RESPONSE header keeps the 24-bit flags (RFC 7341 6.2). */
	pbuf_init(&b, buf, sizeof(buf));
	d6_put_hdr(&b, D6_DHCPV4_RESPONSE, 0);
	t_bytes(buf, b.len, "15 00 00 00", "dhcpv4-response header");
}

static void test_dhcp6_decode(void)
{
	uint8_t pkt[512];
	struct d6_msg m;
	size_t n;
	char a[64];
	int r;

	/* Information-request: ClientID, ORO 88/96, elapsed, FQDN, reconf
	 * accept, and one unknown option 0xfffe. */
	n = t_hex("0b ab cd ef"
		  "| 00 01 00 0a " DUID_HEX
		  "| 00 06 00 04 00 58 00 60"
		  "| 00 08 00 02 00 64"
		  "| 00 27 00 11 01 06 68 6f 73 74 2d 61 07 65 78 61 6d 70 6c 65 00"
		  "| 00 14 00 00"
		  "| ff fe 00 01 99", pkt, sizeof(pkt));
	r = d6_parse(pkt, n, &m);
	t_check(r == 0, "inforeq parses (%d)", r);
	t_check(m.type == 11 && m.xid == 0xabcdef, "inforeq type/xid");
	t_check(m.has_clientid && m.clientid.len == 10 &&
		!memcmp(m.clientid.p, duid, 10), "inforeq clientid");
	t_check(m.n_oro == 2 && d6_oro_has(&m, 88) && d6_oro_has(&m, 96) &&
		!d6_oro_has(&m, 23), "inforeq oro");
	t_check(m.has_elapsed && m.elapsed == 100, "inforeq elapsed");
	t_check(m.has_fqdn && m.fqdn.flags == 1 && !m.fqdn.partial &&
		!strcmp(m.fqdn.name, "host-a.example"), "inforeq fqdn '%s'",
		m.fqdn.name);
	t_check(m.has_reconf_accept, "inforeq reconf accept");
	t_check(m.n_unknown == 1, "inforeq unknown counted");

	/* Reply with 88 (two servers) and 96 holding an unknown sub-option
	 * then 90. */
	n = t_hex("07 00 00 01"
		  "| 00 58 00 20 " BR_HEX " 20 02 01 00 00 00 00 00 00 00 00 00 00 00 00 02"
		  "| 00 60 00 19  00 5c 00 01 ff  00 5a 00 10 " BR_HEX,
		  pkt, sizeof(pkt));
	r = d6_parse(pkt, n, &m);
	t_check(r == 0, "reply parses (%d)", r);
	t_check(m.has_4o6_servers && m.n_servers4o6 == 2, "reply 88 count");
	inet_ntop(AF_INET6, &m.servers4o6[1], a, sizeof(a));
	t_check(!strcmp(a, "2002:100::2"), "reply 88 second = %s", a);
	inet_ntop(AF_INET6, &m.br, a, sizeof(a));
	t_check(m.has_s46_lw && m.has_br && !strcmp(a, "2002:100::1"),
		"reply br = %s", a);

	/* Malformed: each must fail with the right reason. */
	static const struct {
		const char *hex;
		int err;
		const char *what;
	} bad[] = {
		{ "0b 00 00", -PROTO_ESHORT, "3-byte message" },
		{ "0c 00 00 00", -PROTO_ETYPE, "relay-forw not a client msg" },
		{ "00 00 00 00", -PROTO_ETYPE, "type 0" },
		{ "0b 00 00 00 00 01 00", -PROTO_EOPTLEN, "truncated option header" },
		{ "0b 00 00 00 00 01 00 0b 00 02 00 00", -PROTO_EOPTLEN,
		  "option length past the end" },
		{ "0b 00 00 00 00 01 00 03 00 02 00  00 01 00 03 00 02 01",
		  -PROTO_EDUP, "two client ids" },
		{ "0b 00 00 00 00 01 00 02 00 02", -PROTO_EBADOPT, "2-byte duid" },
		{ "0b 00 00 00 00 06 00 03 00 58 00", -PROTO_EBADOPT, "odd ORO" },
		{ "07 00 00 00 00 58 00 04 00 00 00 00", -PROTO_EBADOPT,
		  "88 not a multiple of 16" },
		{ "07 00 00 00 00 60 00 08 00 5a 00 10 00 00 00 00", -PROTO_EOPTLEN,
		  "96 whose 90 lies about its length" },
		{ "07 00 00 00 00 60 00 06 00 5a 00 02 00 00", -PROTO_EBADOPT,
		  "90 of 2 bytes" },
		{ "0b 00 00 00 00 27 00 03 00 05 61", -PROTO_EBADOPT,
		  "fqdn label past the end" },
		{ "0b 00 00 00 00 27 00 04 00 01 61 62", -PROTO_EBADOPT,
		  "fqdn data after partial label run" },
		{ "0b 00 00 00 00 27 00 03 00 01 2e", -PROTO_EBADOPT, "fqdn dot in label" },
		{ "0b 00 00 00 00 27 00 02 00 00", -PROTO_EBADOPT, "fqdn root only" },
		{ "0b 00 00 00 00 0b 00 0a 02 02 00 00 00 00 00 00 00 00",
		  -PROTO_EBADOPT, "auth shorter than 11" },
		{ "0a 00 00 00 00 13 00 02 0b 0b", -PROTO_EBADOPT, "reconf msg of 2" },
		{ "0b 00 00 00 00 14 00 01 00", -PROTO_EBADOPT, "reconf accept with data" },
		{ "0b 00 00 00 00 08 00 01 00", -PROTO_EBADOPT, "elapsed of 1" },
		{ "07 00 00 00 00 0d 00 01 00", -PROTO_EBADOPT, "status of 1" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = t_hex(bad[i].hex, pkt, sizeof(pkt));
		r = d6_parse(pkt, n, &m);
		t_check(r == bad[i].err, "%s: got %d (%s), want %d", bad[i].what,
			r, proto_strerror(r), bad[i].err);
	}
	t_check(!strcmp(proto_strerror(-PROTO_EDUP), "duplicate option"),
		"strerror");
	t_check(!strcmp(proto_strerror(-999), "unknown error"),
		"strerror unknown");

	/* Empty options area and an option of length 0 at the very end. */
	n = t_hex("0b 00 00 01", pkt, sizeof(pkt));
	t_check(d6_parse(pkt, n, &m) == 0 && !m.has_clientid, "no options");
	n = t_hex("0b 00 00 01 00 57 00 00", pkt, sizeof(pkt));
	t_check(d6_parse(pkt, n, &m) == 0 && m.has_v4msg && !m.v4msg.len,
		"empty option 87 at the end");
}

/* DHCPv4 BOOTP header for a request: op 1, htype 1, hlen 6, hops 0,
 * xid 0x01020304, secs 0, flags 0, four zero addresses, chaddr, 192 zero
 * bytes of sname+file, then the cookie. */
#define ZERO16 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
#define ZERO64 ZERO16 ZERO16 ZERO16 ZERO16
#define SNAME_FILE ZERO64 ZERO64 ZERO64
#define CHADDR "02 11 22 33 44 55 00 00 00 00 00 00 00 00 00 00 "
#define COOKIE "63 82 53 63 "

static void test_dhcp4_vectors(void)
{
	uint8_t buf[1024], pkt[1024];
	static const uint8_t cid[] = { 0xff, 0, 0, 0, 1, 0, 2, 0, 0, 0xab, 0x11,
				       1, 2, 3, 4 };
	struct d4_msg m, d;
	struct pbuf b;
	size_t n;
	int r;

	/* A DHCPACK for 1.1.1.120 with lease 180, T1 90, T2 157 and a
	 * shared address: offset 6, PSID length 2, PSID 3 (RFC 7618 4: the
	 * PSID is left-aligned, so 3 << 14 = 0xc000). */
	memset(&m, 0, sizeof(m));
	m.op = BOOTREPLY;
	m.htype = 1;
	m.hlen = 6;
	m.xid = 0x01020304;
	inet_pton(AF_INET, "1.1.1.120", &m.yiaddr);
	memcpy(m.chaddr, "\x02\x11\x22\x33\x44\x55", 6);
	m.has_type = true;
	m.type = D4_ACK;
	m.has_srvid = true;
	inet_pton(AF_INET, "192.0.0.1", &m.srvid);
	m.has_lease = true;
	m.lease = 180;
	m.has_t1 = m.has_t2 = true;
	m.t1 = 90;
	m.t2 = 157;
	m.has_clientid = true;
	m.clientid = cid;
	m.clientid_len = sizeof(cid);
	m.has_portparams = true;
	m.psid_offset = 6;
	m.psid_len = 2;
	m.psid = 3;
	pbuf_init(&b, buf, sizeof(buf));
	t_check(d4_build(&b, &m), "ack encodes");
	t_bytes(buf, b.len,
		"02 01 06 00 01 02 03 04 00 00 00 00"
		"00 00 00 00 01 01 01 78 00 00 00 00 00 00 00 00 "
		CHADDR SNAME_FILE COOKIE
		"35 01 05  36 04 c0 00 00 01  33 04 00 00 00 b4"
		"3a 04 00 00 00 5a  3b 04 00 00 00 9d"
		"3d 0f ff 00 00 00 01 00 02 00 00 ab 11 01 02 03 04"
		"9f 04 06 02 c0 00  ff", "dhcpack with 159");

	r = d4_parse(buf, b.len, &d);
	t_check(r == 0, "ack parses back (%d)", r);
	t_check(d.type == D4_ACK && d.lease == 180 && d.t1 == 90 &&
		d.t2 == 157 && d.yiaddr.s_addr == m.yiaddr.s_addr &&
		d.has_portparams && d.psid_offset == 6 && d.psid_len == 2 &&
		d.psid == 3 && d.clientid_len == sizeof(cid),
		"ack fields round trip");

	/* A DISCOVER with requested IP, PRL, and padding. */
	n = t_hex("01 01 06 00 aa bb cc dd 00 05 80 00"
		  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
		  CHADDR SNAME_FILE COOKIE
		  "00 00 35 01 01 32 04 01 01 01 78 37 03 01 03 9f ff",
		  pkt, sizeof(pkt));
	r = d4_parse(pkt, n, &d);
	t_check(r == 0, "discover parses (%d)", r);
	t_check(d.type == D4_DISCOVER && d.xid == 0xaabbccdd && d.secs == 5 &&
		d.flags == D4_BROADCAST_FLAG && d.has_reqip &&
		d.reqip.s_addr == htonl(0x01010178) && d4_prl_has(&d, 159) &&
		!d4_prl_has(&d, 6), "discover fields");

	/* Option overload (52 = 3): message type in "file", server id in
	 * "sname" (RFC 2131 4.1: file first, then sname). */
	n = t_hex("01 01 06 00 00 00 00 01 00 00 00 00"
		  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
		  CHADDR
		  "36 04 c0 00 00 01 ff 00 00 00 00 00 00 00 00 00 " ZERO16 ZERO16 ZERO16
		  "35 01 03 ff 00 00 00 00 00 00 00 00 00 00 00 00 " ZERO16 ZERO64 ZERO16 ZERO16
		  COOKIE "34 01 03 ff", pkt, sizeof(pkt));
	r = d4_parse(pkt, n, &d);
	t_check(r == 0 && d.type == D4_REQUEST && d.has_srvid &&
		d.srvid.s_addr == htonl(0xc0000001), "overloaded options (%d)",
		r);

	static const struct {
		const char *opts;
		int err;
		const char *what;
	} bad[] = {
		{ "35 01 01 33 04 00 00", -PROTO_EOPTLEN, "lease time cut" },
		{ "35 01 01 33", -PROTO_EOPTLEN, "length byte missing" },
		{ "35 01 01 35 01 01 ff", -PROTO_EDUP, "two message types" },
		{ "35 02 01 01 ff", -PROTO_EBADOPT, "message type of 2" },
		{ "35 01 09 ff", -PROTO_ETYPE, "message type 9" },
		{ "36 04 01 02 03 04 ff", -PROTO_EMISSING, "no message type" },
		{ "35 01 01 9f 04 06 02 c0 01 ff", -PROTO_EBADOPT,
		  "159 padding bits set" },
		{ "35 01 01 9f 04 10 01 00 00 ff", -PROTO_EBADOPT,
		  "159 offset 16" },
		{ "35 01 01 9f 04 08 09 00 00 ff", -PROTO_EBADOPT,
		  "159 offset + length > 16" },
		{ "35 01 01 9f 03 06 02 c0 ff", -PROTO_EBADOPT, "159 of 3 bytes" },
		{ "35 01 01 3d 01 01 ff", -PROTO_EBADOPT, "client id of 1" },
		{ "35 01 01 34 01 04 ff", -PROTO_EBADOPT, "overload 4" },
	};
	char hex[2048];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(hex, sizeof(hex),
			 "01 01 06 00 00 00 00 01 00 00 00 00"
			 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
			 CHADDR SNAME_FILE COOKIE "%s", bad[i].opts);
		n = t_hex(hex, pkt, sizeof(pkt));
		r = d4_parse(pkt, n, &d);
		t_check(r == bad[i].err, "dhcp4 %s: got %d, want %d",
			bad[i].what, r, bad[i].err);
	}
	n = t_hex("01 01 06 00", pkt, sizeof(pkt));
	t_check(d4_parse(pkt, n, &d) == -PROTO_ESHORT, "dhcp4 4 bytes");
	n = t_hex("01 01 06 00 00 00 00 01 00 00 00 00"
		  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
		  CHADDR SNAME_FILE "63 82 53 64 35 01 01 ff", pkt, sizeof(pkt));
	t_check(d4_parse(pkt, n, &d) == -PROTO_ECOOKIE, "dhcp4 bad cookie");
	n = t_hex("03 01 06 00 00 00 00 01 00 00 00 00"
		  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
		  CHADDR SNAME_FILE COOKIE "35 01 01 ff", pkt, sizeof(pkt));
	t_check(d4_parse(pkt, n, &d) == -PROTO_ETYPE, "dhcp4 op 3");

	/* A DHCPNAK (RFC 2131 table 3): no yiaddr, no lease time, server id,
	 * message.  And a RELEASE from the client side: ciaddr set. */
	memset(&m, 0, sizeof(m));
	m.op = BOOTREPLY;
	m.htype = 1;
	m.hlen = 6;
	m.xid = 0x0a0b0c0d;
	m.flags = D4_BROADCAST_FLAG;
	memcpy(m.chaddr, "\x02\x11\x22\x33\x44\x55", 6);
	m.has_type = m.has_srvid = m.has_message = true;
	m.type = D4_NAK;
	inet_pton(AF_INET, "192.0.0.1", &m.srvid);
	m.message = "no";
	m.message_len = 2;
	pbuf_init(&b, buf, sizeof(buf));
	t_check(d4_build(&b, &m), "nak encodes");
	t_bytes(buf, b.len,
		"02 01 06 00 0a 0b 0c 0d 00 00 80 00"
		"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
		CHADDR SNAME_FILE COOKIE
		"35 01 06  36 04 c0 00 00 01  38 02 6e 6f  ff", "dhcpnak");
	memset(&m, 0, sizeof(m));
	m.op = BOOTREQUEST;
	m.htype = 1;
	m.hlen = 6;
	m.xid = 7;
	inet_pton(AF_INET, "1.1.1.120", &m.ciaddr);
	memcpy(m.chaddr, "\x02\x11\x22\x33\x44\x55", 6);
	m.has_type = m.has_srvid = true;
	m.type = D4_RELEASE;
	inet_pton(AF_INET, "192.0.0.1", &m.srvid);
	pbuf_init(&b, buf, sizeof(buf));
	t_check(d4_build(&b, &m), "release encodes");
	t_bytes(buf, b.len,
		"01 01 06 00 00 00 00 07 00 00 00 00"
		"01 01 01 78 00 00 00 00 00 00 00 00 00 00 00 00 "
		CHADDR SNAME_FILE COOKIE
		"35 01 07  36 04 c0 00 00 01  ff", "dhcprelease");

	/* PSID field helpers at the edges. */
	uint16_t p;

	t_check(d4_psid_field(16, 0xabcd) == 0xabcd, "psid field k=16");
	t_check(d4_psid_field(1, 1) == 0x8000, "psid field k=1");
	t_check(d4_psid_decode(0, 16, 0xabcd, &p) && p == 0xabcd,
		"psid decode k=16");
	t_check(d4_psid_decode(0, 0, 0, &p) && p == 0, "psid decode k=0");
	t_check(!d4_psid_decode(0, 0, 1, &p), "psid decode k=0 nonzero");

	/* The encoder refuses a PSID that does not fit its length. */
	m.has_portparams = true;
	m.psid_offset = 6;
	m.psid_len = 2;
	m.psid = 4;
	pbuf_init(&b, buf, sizeof(buf));
	t_check(!d4_build(&b, &m), "encode psid 4 with k=2 refused");
}

void test_dhcp6(void)
{
	test_dhcp6_encode();
	test_dhcp6_decode();
}

void test_dhcp4(void)
{
	test_dhcp4_vectors();
}

void test_auth(void)
{
	uint8_t out[32], pkt[512], key[16];
	struct d6_auth_delayed d;
	const uint8_t *val;
	struct d6_msg m;
	struct pbuf b;
	uint8_t type;
	size_t off, n;

	/* Known answers: RFC 4231 test case 2, RFC 2104 appendix. */
	static const char data[] = "what do ya want for nothing?";

	t_check(d6_hmac("SHA256", (const uint8_t *)"Jefe", 4,
			(const uint8_t *)data, 28, 0, 0, out, 32),
		"hmac-sha256 runs");
	t_bytes(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		"hmac-sha256 RFC 4231 case 2");
	t_check(d6_hmac("MD5", (const uint8_t *)"Jefe", 4,
			(const uint8_t *)data, 28, 0, 0, out, 16),
		"hmac-md5 runs");
	t_bytes(out, 16, "750c783e6ab0b503eaa86e310a5db738", "hmac-md5 RFC 2104");

	/* The delayed-auth option layout, with a zero MAC. */
	pbuf_init(&b, pkt, sizeof(pkt));
	d6_put_hdr(&b, D6_INFORMATION_REQUEST, 1);
	off = d6_put_auth_delayed(&b, 0x0102030405060708ull, "ka", 7);
	t_check(off == 4 + 4 + 11 + 2 + 4, "mac offset %zu", off);
	t_bytes(pkt, b.len,
		"0b 00 00 01  00 0b 00 31  02 02 00  01 02 03 04 05 06 07 08"
		"6b 61  00 00 00 07" ZERO16 ZERO16, "auth delayed layout");

	/* Sign: the MAC is HMAC-SHA-256(key, message with MAC zeroed). */
	static const uint8_t k[] = "0123456789abcdef0123456789abcdef";
	uint8_t copy[512];

	memcpy(copy, pkt, b.len);
	t_check(d6_auth_sign_sha256(pkt, b.len, off, k, 32), "sign");
	d6_hmac("SHA256", k, 32, copy, b.len, 0, 0, out, 32);
	t_check(!memcmp(pkt + off, out, 32), "mac = hmac of zeroed message");
	t_check(d6_parse(pkt, b.len, &m) == 0 && m.has_auth, "signed parses");
	t_check(m.auth.off == 4 && m.auth.replay == 0x0102030405060708ull,
		"auth fields");
	t_check(d6_auth_delayed_parse(&m.auth, &d) == 0 && d.realm_len == 2 &&
		!memcmp(d.realm, "ka", 2) && d.keyid == 7, "delayed parse");
	t_check(d6_auth_verify_sha256(pkt, b.len, &m.auth, k, 32), "verifies");
	t_check(!d6_auth_verify_sha256(pkt, b.len, &m.auth, k, 31),
		"wrong key fails");
	pkt[2] ^= 1;
	t_check(!d6_auth_verify_sha256(pkt, b.len, &m.auth, k, 32),
		"tampered message fails");

	/* Reconfigure Key in a Reply (RFC 8415 20.4.1). */
	memset(key, 0x5a, sizeof(key));
	pbuf_init(&b, pkt, sizeof(pkt));
	d6_put_auth_reconf_key(&b, 1, key);
	t_bytes(pkt, b.len,
		"00 0b 00 1c 03 01 00 00 00 00 00 00 00 00 01 01"
		"5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a",
		"reconfigure key option");

	/* A Reconfigure (RFC 8415 20.4.2): ServerID, ClientID, 19 = 11,
	 * and the HMAC-MD5 digest. */
	pbuf_init(&b, pkt, sizeof(pkt));
	d6_put_hdr(&b, D6_RECONFIGURE, 0);
	d6_put_opt(&b, D6O_SERVERID, duid, sizeof(duid));
	d6_put_u8_opt(&b, D6O_RECONF_MSG, D6_INFORMATION_REQUEST);
	off = d6_put_auth_reconf_hmac(&b, 2);
	t_bytes(pkt, b.len,
		"0a 00 00 00 00 02 00 0a " DUID_HEX " 00 13 00 01 0b"
		"00 0b 00 1c 03 01 00 00 00 00 00 00 00 00 02 02" ZERO16,
		"reconfigure layout");
	n = b.len;
	memcpy(copy, pkt, n);
	t_check(d6_auth_sign_md5(pkt, n, off, key), "reconf sign");
	d6_hmac("MD5", key, 16, copy, n, 0, 0, out, 16);
	t_check(!memcmp(pkt + off, out, 16), "reconf digest over zeroed msg");
	t_check(d6_parse(pkt, n, &m) == 0 && m.has_reconf_msg &&
		m.reconf_msg == 11, "reconfigure parses");
	t_check(d6_auth_reconf_parse(&m.auth, &type, &val) == 0 &&
		type == D6_RECONF_TYPE_HMAC, "reconf auth parse");
	t_check(d6_auth_verify_reconf(pkt, n, &m.auth, key), "reconf verifies");
	key[0] ^= 1;
	t_check(!d6_auth_verify_reconf(pkt, n, &m.auth, key),
		"reconf wrong key");

	/* The whole Reconfigure, built in one call: same bytes as above with
	 * the ClientID, and it verifies. */
	static const uint8_t cduid[] = { 0, 3, 0, 1, 2, 0x11, 0x22, 0x33, 0x44, 0x55 };
	int rn;

	key[0] ^= 1;	/* back to the right key */
	rn = d6_build_reconfigure(pkt, sizeof(pkt), duid, sizeof(duid), cduid,
				  sizeof(cduid), D6_INFORMATION_REQUEST, 9, key);
	t_check(rn == 4 + 14 + 14 + 5 + 32, "reconfigure length %d", rn);
	t_bytes(pkt, rn > 32 ? (size_t)rn - 16 : 0,
		"0a 00 00 00 00 02 00 0a " DUID_HEX
		"00 01 00 0a 00 03 00 01 02 11 22 33 44 55  00 13 00 01 0b"
		"00 0b 00 1c 03 01 00 00 00 00 00 00 00 00 09 02",
		"d6_build_reconfigure layout");
	t_check(rn > 0 && d6_parse(pkt, (size_t)rn, &m) == 0 &&
		d6_reconfigure_ok(pkt, (size_t)rn, &m, key, true, 8),
		"reconfigure accepted by the client");
	t_check(!d6_reconfigure_ok(pkt, (size_t)rn, &m, key, true, 9),
		"replayed reconfigure refused");
	pkt[20] ^= 1;
	t_check(!d6_reconfigure_ok(pkt, (size_t)rn, &m, key, false, 0),
		"tampered reconfigure refused");

	t_check(d6_replay_ok(false, 0, 0), "first replay value accepted");
	t_check(d6_replay_ok(true, 5, 6), "increasing replay accepted");
	t_check(!d6_replay_ok(true, 5, 5), "equal replay refused");
	t_check(!d6_replay_ok(true, 5, 4), "older replay refused");
}

void test_client(void)
{
	struct d4o6_client c;
	uint8_t pkt[1500];
	struct d4_msg m, d4;
	struct d6_msg d6;
	int n;

	t_check(d4o6_client_init(&c, duid, sizeof(duid), 1), "client init");
	c.fqdn = "host-a.example.";
	n = d4o6_build_inforeq(&c, 0xabcdef, pkt, sizeof(pkt));
	t_bytes(pkt, n > 0 ? (size_t)n : 0,
		"0b ab cd ef"
		"| 00 01 00 0a " DUID_HEX
		"| 00 06 00 04 00 58 00 60"
		"| 00 08 00 02 00 00"
		"| 00 27 00 11 01 06 68 6f 73 74 2d 61 07 65 78 61 6d 70 6c 65 00",
		"client information-request");

	/* DHCPV4-QUERY (RFC 7341 6.1): flags 0, ClientID, 87 = DISCOVER. */
	d4o6_init_v4(&c, &m, D4_DISCOVER, 0x01020304);
	n = d4o6_build_query(&c, 0, &m, pkt, sizeof(pkt));
	t_check(n == 4 + 14 + 4 + 240 + 3 + 17 + 1, "query length %d", n);
	t_bytes(pkt, 4 + 14 + 4, "14 00 00 00 | 00 01 00 0a " DUID_HEX
		"| 00 57 01 05", "dhcpv4-query header");
	t_bytes(pkt + 4 + 14 + 4 + 240, 21,
		"35 01 01  3d 0f ff 00 00 00 01 " DUID_HEX " ff",
		"dhcpv4-query options (RFC 4361 client id)");

	/* The query is a BOOTREQUEST: the response parser refuses it. */
	t_check(d4o6_parse_response(pkt, (size_t)n, &d6, &d4) == -PROTO_ETYPE,
		"query is no response");
	pkt[0] = D6_DHCPV4_RESPONSE;
	t_check(d4o6_parse_response(pkt, (size_t)n, &d6, &d4) == -PROTO_ETYPE,
		"bootrequest inside a response refused");
	pkt[4 + 14 + 4] = BOOTREPLY;
	t_check(d4o6_parse_response(pkt, (size_t)n, &d6, &d4) == 0 &&
		d4.type == D4_DISCOVER, "response parses");

	/* With a key: a signed query that verifies, counter increasing. */
	static const uint8_t k[] = "secretsecretsecretsecretsecret!!";

	c.key_name = "client-a";
	c.key = k;
	c.key_len = 32;
	c.replay = 41;
	n = d4o6_build_query(&c, 0, &m, pkt, sizeof(pkt));
	t_check(n > 0 && d6_parse(pkt, (size_t)n, &d6) == 0 && d6.has_auth &&
		d6.auth.replay == 42 &&
		d6_auth_verify_sha256(pkt, (size_t)n, &d6.auth, k, 32),
		"signed query verifies");
	t_check(!d4o6_client_init(&c, duid, 2, 1), "2-byte duid refused");
}
