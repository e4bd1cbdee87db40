// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of dstmctl's argument parsers, libdstm's port-set arithmetic
 * and the JSON emitter.  Ends with "N passed, N failed"; exit status 1 if
 * anything failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "dstm.h"
#include "json.h"
#include "parse.h"
#include "unit.h"

static int passed, failed;

void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	fputs("FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void check_str(const char *got, const char *want, const char *what)
{
	check(!strcmp(got, want), "%s: got '%s', want '%s'", what, got, want);
}

static void test_ulong(void)
{
	static const struct {
		const char *s;
		unsigned long max;
		bool ok;
		unsigned long val;
	} t[] = {
		{ "0", 10, true, 0 },
		{ "10", 10, true, 10 },
		{ "007", 10, true, 7 },
		{ "11", 10, false, 0 },
		{ "65535", 65535, true, 65535 },
		{ "65536", 65535, false, 0 },
		{ "4294967295", 4294967295ul, true, 4294967295ul },
		{ "4294967296", 4294967295ul, false, 0 },
		{ "18446744073709551616", -1ul, false, 0 },
		{ "", 10, false, 0 },
		{ "-1", -1ul, false, 0 },
		{ "+1", 10, false, 0 },
		{ " 1", 10, false, 0 },
		{ "1 ", 10, false, 0 },
		{ "0x1", 10, false, 0 },
		{ "1e3", 10000, false, 0 },
		{ "3s", 10, false, 0 },
	};
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok;

		v = 12345;
		ok = parse_ulong(t[i].s, t[i].max, &v);
		check(ok == t[i].ok && (!ok || v == t[i].val),
		      "parse_ulong('%s', %lu) = %d %lu", t[i].s, t[i].max, ok, v);
	}
}

static void test_addrs(void)
{
	static const struct {
		const char *s;
		bool ok4, ok6;
	} t[] = {
		{ "1.1.1.120", true, false },
		{ "0.0.0.0", true, false },
		{ "255.255.255.255", true, false },
		{ "1.2.3", false, false },
		{ "1.2.3.256", false, false },
		{ "01.2.3.4", false, false },
		{ "1.2.3.4 ", false, false },
		{ "1.2.3.4/24", false, false },
		{ "::", false, true },
		{ "::1", false, true },
		{ "2002:100::1", false, true },
		{ "::ffff:1.2.3.4", false, true },
		{ "1::2::3", false, false },
		{ "gggg::1", false, false },
		{ "2002:100::1/64", false, false },
		{ "", false, false },
	};
	struct in6_addr a6;
	struct in_addr a4;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		check(parse_ipv4(t[i].s, &a4) == t[i].ok4, "parse_ipv4('%s')",
		      t[i].s);
		check(parse_ipv6(t[i].s, &a6) == t[i].ok6, "parse_ipv6('%s')",
		      t[i].s);
	}
	parse_ipv4("1.1.1.120", &a4);
	check(a4.s_addr == htonl(0x01010178), "parse_ipv4 byte order");
}

static void test_ifname_mode(void)
{
	check(valid_ifname("dstm0"), "ifname dstm0");
	check(valid_ifname("abcdefghijklmno"), "ifname of 15");
	check(!valid_ifname("abcdefghijklmnop"), "ifname of 16");
	check(!valid_ifname(""), "empty ifname");
	check(!valid_ifname("."), "ifname .");
	check(!valid_ifname(".."), "ifname ..");
	check(!valid_ifname("a/b"), "ifname with /");
	check(!valid_ifname("a:b"), "ifname with :");
	check(!valid_ifname("a b"), "ifname with blank");
	check(!valid_ifname("a\tb"), "ifname with tab");
	check(parse_mode("client") == DSTM_MODE_CLIENT, "mode client");
	check(parse_mode("tep") == DSTM_MODE_TEP, "mode tep");
	check(parse_mode("TEP") == -1, "mode TEP");
	check(parse_mode("") == -1, "mode empty");
	check(!strcmp(mode_name(DSTM_MODE_TEP), "tep"), "mode_name tep");
	check(mode_name(7) == NULL, "mode_name unknown");
}

static bool kws_run(const char *line, char *err)
{
	struct kw kws[] = {
		{ .name = "ipv4", .type = KW_IPV4 },
		{ .name = "ipv6", .type = KW_IPV6 },
		{ .name = "hoplimit", .type = KW_UINT, .min = 1, .max = 255 },
		{ .name = "mode", .type = KW_MODE },
		{ .name = "fastpath", .type = KW_IFLIST },
		KW_END
	};
	char buf[256], *argv[16], e[ERRLEN];
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = split_line(buf, argv, 16, e, sizeof(e));
	err[0] = '\0';
	return parse_kws(kws, argc, argv, err, ERRLEN);
}

static void test_kws(void)
{
	char err[ERRLEN];

	check(kws_run("ipv4 1.2.3.4 ipv6 ::1 hoplimit 255 mode tep", err),
	      "kws all good: %s", err);
	check(kws_run("", err), "kws none");
	check(!kws_run("ipv4 1.2.3.4 ipv4 1.2.3.5", err), "kws twice");
	check_str(err, "'ipv4' given twice", "kws twice message");
	check(!kws_run("ipv5 1.2.3.4", err), "kws unknown");
	check_str(err, "unknown keyword 'ipv5' (expected ipv4, ipv6, hoplimit, mode, fastpath)",
		  "kws unknown message");
	check(!kws_run("ipv4", err), "kws no value");
	check_str(err, "'ipv4' needs a value (an IPv4 address)",
		  "kws no value message");
	check(!kws_run("hoplimit 0", err), "kws below min");
	check_str(err, "bad hoplimit '0' (expected an integer 1..255)",
		  "kws below min message");
	check(!kws_run("hoplimit 256", err), "kws above max");
	check(!kws_run("mode server", err), "kws bad mode");
	check_str(err, "bad mode 'server' (expected client or tep)",
		  "kws bad mode message");
	check(!kws_run("ipv6 1.2.3.4", err), "kws v4 as v6");
	check_str(err, "bad ipv6 '1.2.3.4' (expected an IPv6 address)",
		  "kws v4 as v6 message");
	check(kws_run("fastpath eth0,veth1 mode tep", err),
	      "kws fastpath list: %s", err);
	check(kws_run("fastpath none", err), "kws fastpath none: %s", err);
	check(!kws_run("fastpath", err), "kws fastpath no value");
	check_str(err, "'fastpath' needs a value (none or up to 16 device names separated by commas)",
		  "kws fastpath no value message");
	check(!kws_run("fastpath eth0,", err), "kws fastpath trailing comma");
	check_str(err, "bad fastpath 'eth0,': empty device name (expected none or up to 16 device names separated by commas)",
		  "kws fastpath trailing comma message");
	check(!kws_run("fastpath eth0,eth0", err), "kws fastpath twice");
	check_str(err, "bad fastpath 'eth0,eth0': 'eth0' listed twice (expected none or up to 16 device names separated by commas)",
		  "kws fastpath twice message");
}

static void test_iflist(void)
{
	static const struct {
		const char *s;
		int n;			/* -1: rejected */
		const char *last;	/* the last name, or the error */
	} t[] = {
		{ "none", 0, NULL },
		{ "eth0", 1, "eth0" },
		{ "eth0,veth-a,br0.100", 3, "br0.100" },
		{ "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p", 16, "p" },
		{ "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", -1, "more than 16 devices" },
		{ "", -1, "empty device name" },
		{ ",", -1, "empty device name" },
		{ ",eth0", -1, "empty device name" },
		{ "eth0,,eth1", -1, "empty device name" },
		{ "eth0,", -1, "empty device name" },
		{ "eth0,eth1,eth0", -1, "'eth0' listed twice" },
		{ "eth0:1", -1, "bad device name 'eth0:1'" },
		{ "a/b", -1, "bad device name 'a/b'" },
		{ "eth0,..", -1, "bad device name '..'" },
		{ "eth 0", -1, "bad device name 'eth 0'" },
		{ "012345678901234", 1, "012345678901234" },
		{ "0123456789012345", -1,
		  "device name '012345678901234...' is longer than 15 characters" },
		{ "none,eth0", 2, "eth0" },	/* "none" alone clears */
	};
	char names[16][IF_NAMESIZE], err[ERRLEN];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int n;

		err[0] = '\0';
		n = parse_iflist(t[i].s, names, 16, err, sizeof(err));
		check(n == t[i].n, "parse_iflist('%s') = %d, want %d (%s)",
		      t[i].s, n, t[i].n, err);
		if (n != t[i].n || !t[i].last)
			continue;
		check_str(n < 0 ? err : names[n - 1], t[i].last, t[i].s);
	}
	check(parse_iflist("a,b,c", names, 2, err, sizeof(err)) == -1,
	      "parse_iflist max 2");
	check_str(err, "more than 2 devices", "parse_iflist max message");
	parse_iflist("eth0,veth1", names, 16, err, sizeof(err));
	check(!strcmp(names[0], "eth0") && !strcmp(names[1], "veth1"),
	      "parse_iflist keeps the order");
}

static void test_split(void)
{
	char buf[256], *argv[8], err[ERRLEN];
	int n;

	strcpy(buf, "map add dstm0 ipv4 1.2.3.4 # the first host\n");
	n = split_line(buf, argv, 8, err, sizeof(err));
	check(n == 5 && !strcmp(argv[4], "1.2.3.4"), "split with comment: %d", n);

	strcpy(buf, "   \t\r\n");
	check(split_line(buf, argv, 8, err, sizeof(err)) == 0, "split blank");

	strcpy(buf, "# only a comment");
	check(split_line(buf, argv, 8, err, sizeof(err)) == 0, "split comment");

	strcpy(buf, "a#b c");
	n = split_line(buf, argv, 8, err, sizeof(err));
	check(n == 2 && !strcmp(argv[0], "a#b"), "split # inside a word");

	strcpy(buf, "a 'b c' \"d e\"f g");
	n = split_line(buf, argv, 8, err, sizeof(err));
	check(n == 4 && !strcmp(argv[1], "b c") && !strcmp(argv[2], "d ef") &&
	      !strcmp(argv[3], "g"), "split quotes: %d", n);

	strcpy(buf, "a ''");
	n = split_line(buf, argv, 8, err, sizeof(err));
	check(n == 2 && !strcmp(argv[1], ""), "split empty quoted word");

	strcpy(buf, "a 'b c");
	check(split_line(buf, argv, 8, err, sizeof(err)) == -1,
	      "split unterminated quote");
	check_str(err, "unterminated ' quote", "split unterminated message");

	strcpy(buf, "1 2 3 4 5 6 7 8 9");
	check(split_line(buf, argv, 8, err, sizeof(err)) == -1,
	      "split too many words");

	strcpy(buf, "x y\n");
	n = split_line(buf, argv, 8, err, sizeof(err));
	check(n == 2 && !strcmp(argv[1], "y"), "split trailing newline");
}

/* Every port with non-zero A bits is in exactly the set its PSID says. */
static void portset_exhaustive(unsigned int a, unsigned int k)
{
	static struct dstm_port_range r[1 << 15];
	static unsigned char owner[65536];
	unsigned int psid, p, q, bad = 0;
	uint32_t total = 0;
	size_t n, i;

	memset(owner, 0, sizeof(owner));
	for (psid = 0; psid < (1u << k); psid++) {
		n = dstm_portset_ranges(a, k, psid, r, sizeof(r) / sizeof(r[0]));
		for (i = 0; i < n; i++) {
			if (i && r[i].lo <= r[i - 1].hi)
				bad++;
			for (p = r[i].lo; p <= r[i].hi; p++) {
				if (owner[p]++)
					bad++;
				if (!dstm_port_psid(a, k, p, &q) || q != psid)
					bad++;
				total++;
			}
		}
		if (n && dstm_portset_ports(a, k) * (1u << k) !=
		    (k ? 65536u - (a ? 1u << (16 - a) : 0) : 65536u))
			bad++;
	}
	for (p = 0; p < 65536; p++)
		if (!owner[p] && dstm_port_psid(a, k, p, &q))
			bad++;
	check(!bad, "port sets a=%u k=%u: %u inconsistencies", a, k, bad);
	check(total == (k ? 65536u - (a ? 1u << (16 - a) : 0) : 65536u),
	      "port sets a=%u k=%u cover %u ports", a, k, total);
}

static void test_portset(void)
{
	struct dstm_port_range r[64];
	unsigned int psid;
	size_t n;

	check(dstm_portset_valid(6, 6, 63), "valid 6/6/63");
	check(!dstm_portset_valid(6, 6, 64), "psid >= 2^k");
	check(!dstm_portset_valid(6, 11, 0), "a + k > 16");
	check(dstm_portset_valid(0, 16, 65535), "k = 16");
	check(!dstm_portset_valid(16, 0, 0), "a = 16");
	check(dstm_portset_valid(15, 1, 1), "a = 15");
	check(dstm_portset_valid(0, 0, 0), "whole address");
	check(!dstm_portset_valid(0, 0, 1), "k = 0, psid 1");

	/* RFC 7597 appendix B style: a=6, k=6, PSID 5. */
	n = dstm_portset_ranges(6, 6, 5, r, 64);
	check(n == 63, "a=6 k=6: %zu ranges", n);
	check(r[0].lo == 1104 && r[0].hi == 1119, "a=6 k=6 first range %u-%u",
	      r[0].lo, r[0].hi);
	check(r[62].lo == 64592 && r[62].hi == 64607,
	      "a=6 k=6 last range %u-%u", r[62].lo, r[62].hi);
	check(dstm_portset_ports(6, 6) == 1008, "a=6 k=6: 1008 ports");
	check(dstm_port_psid(6, 6, 1104, &psid) && psid == 5, "port 1104");
	check(!dstm_port_psid(6, 6, 1023, &psid), "port 1023 in no set");
	check(dstm_port_psid(0, 0, 0, &psid) && psid == 0, "k=0 port 0");

	n = dstm_portset_ranges(0, 8, 3, r, 64);
	check(n == 1 && r[0].lo == 768 && r[0].hi == 1023, "a=0 k=8 psid 3");
	n = dstm_portset_ranges(0, 0, 0, r, 64);
	check(n == 1 && r[0].lo == 0 && r[0].hi == 65535, "k=0 whole range");
	n = dstm_portset_ranges(4, 0, 0, r, 64);
	check(n == 1 && r[0].lo == 0 && r[0].hi == 65535, "k=0, a=4");
	check(dstm_portset_ranges(6, 6, 64, r, 64) == 0, "invalid: no ranges");
	check(dstm_portset_ranges(6, 6, 5, NULL, 0) == 63, "count only");
	check(dstm_portset_ranges(15, 1, 1, NULL, 0) == 32767, "a=15 count");

	portset_exhaustive(6, 6);
	portset_exhaustive(0, 4);
	portset_exhaustive(4, 0);
	portset_exhaustive(2, 14);
	portset_exhaustive(15, 1);
	portset_exhaustive(0, 16);
	portset_exhaustive(1, 3);
}

static void test_format_portset(void)
{
	char buf[512];

	format_portset(buf, sizeof(buf), 6, 6, 5);
	check_str(buf, "1104-1119, 2128-2143, 3152-3167, 4176-4191, ..., 64592-64607 (63 ranges, 1008 ports)",
		  "format a=6 k=6");
	format_portset(buf, sizeof(buf), 0, 8, 3);
	check_str(buf, "768-1023", "format a=0 k=8");
	format_portset(buf, sizeof(buf), 0, 0, 0);
	check_str(buf, "0-65535", "format k=0");
	format_portset(buf, sizeof(buf), 2, 4, 1);
	check_str(buf, "17408-18431, 33792-34815, 50176-51199 (3 ranges, 3072 ports)",
		  "format a=2 k=4");
	format_portset(buf, sizeof(buf), 15, 1, 1);
	check_str(buf, "3, 5, 7, 9, ..., 65535 (32767 ranges, 32767 ports)",
		  "format single ports");
	format_portset(buf, sizeof(buf), 6, 6, 64);
	check_str(buf, "invalid port set", "format invalid");
	format_portset(buf, 20, 6, 6, 5);
	check(strlen(buf) == 19, "format truncates safely");
}

/* Runs fn on a memory stream, returns what it wrote (static). */
static const char *capture(void (*fn)(FILE *f, const void *arg),
			   const void *arg)
{
	static char out[1024];
	char *p = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&p, &len);

	fn(f, arg);
	fclose(f);
	snprintf(out, sizeof(out), "%s", p);
	free(p);
	return out;
}

static void quote_fn(FILE *f, const void *arg)
{
	json_quote(f, arg);
}

static void doc_fn(FILE *f, const void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, f);
	json_array(&j, NULL);
	json_object(&j, NULL);
	json_string(&j, "ifname", "dstm0");
	json_uint(&j, "tx_packets", 18446744073709551615ull);
	json_null(&j, "addr");
	json_bool(&j, "up", true);
	json_array(&j, "ports");
	json_array(&j, NULL);
	json_uint(&j, NULL, 1);
	json_uint(&j, NULL, 2);
	json_end(&j);
	json_end(&j);
	json_object(&j, "stats");
	json_end(&j);
	json_end(&j);
	json_object(&j, NULL);
	json_end(&j);
	json_end(&j);
	/* A second document on its own line. */
	json_object(&j, NULL);
	json_end(&j);
}

static void test_json(void)
{
	check_str(capture(quote_fn, "plain"), "\"plain\"", "json plain");
	check_str(capture(quote_fn, "a\"b\\c"), "\"a\\\"b\\\\c\"",
		  "json quote and backslash");
	check_str(capture(quote_fn, "\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"",
		  "json short escapes");
	check_str(capture(quote_fn, "\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"",
		  "json control characters");
	check_str(capture(quote_fn, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		  "json valid UTF-8 kept");
	check_str(capture(quote_fn, "a\xff" "b"), "\"a\\ufffdb\"",
		  "json invalid byte");
	check_str(capture(quote_fn, "\xc0\xaf"), "\"\\ufffd\\ufffd\"",
		  "json overlong");
	check_str(capture(quote_fn, "\xed\xa0\x80"),
		  "\"\\ufffd\\ufffd\\ufffd\"", "json surrogate");
	check_str(capture(quote_fn, "\xc3"), "\"\\ufffd\"",
		  "json truncated sequence");
	check_str(capture(quote_fn, "/<>"), "\"/<>\"", "json no needless escapes");
	check_str(capture(doc_fn, NULL),
		  "[{\"ifname\":\"dstm0\",\"tx_packets\":18446744073709551615,"
		  "\"addr\":null,\"up\":true,\"ports\":[[1,2]],\"stats\":{}},{}]\n"
		  "{}\n", "json document");
}

int main(void)
{
	test_ulong();
	test_addrs();
	test_ifname_mode();
	test_kws();
	test_iflist();
	test_split();
	test_portset();
	test_format_portset();
	test_json();
	test_lib();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
