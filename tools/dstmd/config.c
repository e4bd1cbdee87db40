// SPDX-License-Identifier: GPL-2.0
/*
 * dstmd.conf (INI, libinih): see Documentation/man/dstmd.conf.5.
 *
 * inih does not tell the handler which line it is on, so we feed it
 * through our own line reader (ini_parse_stream) that counts lines and
 * sees section headers itself: every error names file:line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstmd.h"

#define MAX_LINE	190	/* inih's line buffer is 200 */

struct cfg_ctx {
	struct dstmd_config *c;
	FILE *f;
	const char *path;
	unsigned int line;
	char section[128];
	struct dstmd_pool *pool;	/* current [pool NAME] or NULL */
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct cfg_ctx *x, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct cfg_ctx *x, unsigned int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (x->failed)
		return;		/* the first error is the one to fix */
	x->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s:%u: %s", x->path, line, msg);
}

void config_defaults(struct dstmd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "::");
	c->port = DHCP6_SERVER_PORT;
	snprintf(c->lease_db, sizeof(c->lease_db), "%s", DSTMD_DB_DEFAULT);
	c->sync_full = true;
	c->log = DSTMD_LOG_AUTO;
	inet_pton(AF_INET, "192.0.0.1", &c->server_id4);
	c->offer_time = 30;
	c->decline_time = 600;
	c->reconcile_interval = 60;
	c->rate = 50;
	c->burst = 100;
	c->reconfigure = true;
	snprintf(c->dns.listen, sizeof(c->dns.listen), "::");
	c->dns.port = 53;
	c->dns.ttl = 60;
	c->dns.negative_ttl = 10;
	c->dns.edns_size = 1232;
	c->dns.on_demand = true;
	c->dns.wait_ms = 2000;
	c->dns.rate = 2;
	c->dns.burst = 5;
	c->dns.max_pending = 64;
	c->dns.max_held = 256;
	c->dns.max_tcp = 64;
	c->dns.tcp_idle_ms = 10000;
}

void config_free(struct dstmd_config *c)
{
	unsigned int i;

	for (i = 0; i < c->n_pools; i++) {
		free(c->pools[i].ranges);
		free(c->pools[i].slots);
	}
	free(c->pools);
	free(c->keys);
	c->pools = NULL;
	c->keys = NULL;
	c->n_pools = c->n_keys = 0;
}

static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return false;
	*v = (uint32_t)x;
	return true;
}

static int parse_bool(const char *s)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on") ||
	    !strcmp(s, "1"))
		return 1;
	if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off") ||
	    !strcmp(s, "0"))
		return 0;
	return -1;
}

static bool parse_ip4(const char *s, uint32_t *host)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*host = ntohl(a.s_addr);
	return true;
}

bool parse_range4(const char *s, uint32_t *lo, uint32_t *hi, char *why,
		  size_t whylen)
{
	char buf[64], *dash, *slash;
	uint32_t plen;

	snprintf(why, whylen, "expected A.B.C.D-A.B.C.D or A.B.C.D/N");
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	slash = strchr(buf, '/');
	if (dash && !slash) {
		*dash = '\0';
		if (!parse_ip4(buf, lo) || !parse_ip4(dash + 1, hi))
			return false;
		if (*lo > *hi) {
			snprintf(why, whylen, "start after end");
			return false;
		}
		return true;
	}
	if (slash && !dash) {
		*slash = '\0';
		if (!parse_ip4(buf, lo) || !parse_u32(slash + 1, 8, 32, &plen)) {
			snprintf(why, whylen,
				 "expected A.B.C.D/N with N 8..32");
			return false;
		}
		if (plen < 32 && (*lo & (0xffffffffu >> plen))) {
			snprintf(why, whylen, "host bits set in the prefix");
			return false;
		}
		*hi = *lo | (plen == 32 ? 0 : 0xffffffffu >> plen);
		/* A /30 or shorter: skip network and broadcast addresses. */
		if (plen <= 30) {
			(*lo)++;
			(*hi)--;
		}
		return true;
	}
	return false;
}

bool parse_duration_ms(const char *s, uint32_t min, uint32_t max,
		       uint32_t *ms)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || x > 0xffffffffull)
		return false;
	if (!*end || !strcmp(end, "s"))
		x *= 1000;
	else if (strcmp(end, "ms"))
		return false;
	if (x < min || x > max)
		return false;
	*ms = (uint32_t)x;
	return true;
}

bool dns_name_norm(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in), i, label = 0;

	if (n && in[n - 1] == '.')
		n--;
	if (!n || n > 253 || n + 2 > outlen)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '.') {
			if (!label)
				return false;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
		out[i] = (char)tolower(ch);
	}
	if (!label)
		return false;
	out[n] = '.';
	out[n + 1] = '\0';
	return true;
}

bool parse_hex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = 0;

	while (*s) {
		unsigned int v;

		if (*s == ':') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) || n >= max)
			return false;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
	return true;
}

static bool parse_prefix6(const char *s, struct in6_addr *a, uint8_t *len)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	uint32_t l = 128;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!parse_u32(slash + 1, 0, 128, &l))
			return false;
	}
	if (inet_pton(AF_INET6, buf, a) != 1)
		return false;
	*len = (uint8_t)l;
	return true;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static void *grow(void *arr, unsigned int n, size_t size)
{
	void *p = realloc(arr, (n + 1) * size);

	if (p)
		memset((char *)p + n * size, 0, size);
	return p;
}

static void section_start(struct cfg_ctx *x, char *name)
{
	struct dstmd_config *c = x->c;
	struct dstmd_pool *p;
	char *pname;
	unsigned int i;

	x->pool = NULL;
	snprintf(x->section, sizeof(x->section), "%s", name);
	if (!strcmp(name, "server") || !strcmp(name, "auth"))
		return;
	if (!strcmp(name, "dns")) {
		if (c->dns.enabled) {
			fail(x, x->line, "[dns] twice (first on line %u)",
			     c->dns.line);
			return;
		}
		c->dns.enabled = true;
		c->dns.line = x->line;
		return;
	}
	if (strncmp(name, "pool", 4) || !isspace((unsigned char)name[4])) {
		fail(x, x->line,
		     "unknown section [%s] (expected [server], [pool NAME], [auth] or [dns])",
		     name);
		return;
	}
	pname = name + 5;
	while (isspace((unsigned char)*pname))
		pname++;
	if (!*pname || strlen(pname) >= sizeof(p->name)) {
		fail(x, x->line, "a pool needs a name of 1..31 characters: [pool NAME]");
		return;
	}
	for (i = 0; i < c->n_pools; i++)
		if (!strcmp(c->pools[i].name, pname)) {
			fail(x, x->line, "pool '%s' defined twice (first on line %u)",
			     pname, c->pools[i].line);
			return;
		}
	p = grow(c->pools, c->n_pools, sizeof(*p));
	if (!p) {
		fail(x, x->line, "out of memory");
		return;
	}
	c->pools = p;
	p = &c->pools[c->n_pools++];
	snprintf(p->name, sizeof(p->name), "%s", pname);
	p->line = x->line;
	p->lease_time = 180;
	p->psid_offset = 6;
	p->auth = -1;
	p->mask.s_addr = 0xffffffffu;
	x->pool = p;
}

/* fgets() for inih that counts lines and handles section headers. */
static char *reader(char *str, int num, void *stream)
{
	struct cfg_ctx *x = stream;
	char *s, *e;
	size_t n;

	if (!fgets(str, num, x->f))
		return NULL;
	x->line++;
	n = strlen(str);
	if (n && str[n - 1] != '\n' && !feof(x->f)) {
		int ch;

		fail(x, x->line, "line longer than %d characters", MAX_LINE);
		while ((ch = fgetc(x->f)) != EOF && ch != '\n')
			;
		str[0] = '\0';
		return str;
	}
	if (n > MAX_LINE) {
		fail(x, x->line, "line longer than %d characters", MAX_LINE);
		str[0] = '\0';
		return str;
	}
	for (s = str; isspace((unsigned char)*s); s++)
		;
	if (*s == '[') {
		char name[128];

		e = strchr(s, ']');
		if (!e || e - s - 1 >= (long)sizeof(name)) {
			fail(x, x->line, "malformed section header");
			str[0] = '\0';
			return str;
		}
		memcpy(name, s + 1, (size_t)(e - s - 1));
		name[e - s - 1] = '\0';
		section_start(x, name);
	}
	return str;
}

static void add_range(struct cfg_ctx *x, struct dstmd_pool *p,
		      const char *value)
{
	struct dstmd_range *r;
	uint32_t lo, hi;
	char why[96];

	if (!parse_range4(value, &lo, &hi, why, sizeof(why))) {
		fail(x, x->line, "bad range '%s' (%s)", value, why);
		return;
	}
	r = grow(p->ranges, p->n_ranges, sizeof(*r));
	if (!r) {
		fail(x, x->line, "out of memory");
		return;
	}
	p->ranges = r;
	r = &p->ranges[p->n_ranges++];
	r->lo = lo;
	r->hi = hi;
	r->line = x->line;
}

#define IS(k)	(!strcmp(name, k))

static void pool_key(struct cfg_ctx *x, struct dstmd_pool *p,
		     const char *name, const char *value)
{
	uint32_t v;
	int b;

	if (IS("range") || IS("prefix")) {
		add_range(x, p, value);
	} else if (IS("lease-time")) {
		if (!parse_u32(value, 10, 0x7fffffff, &p->lease_time))
			fail(x, x->line, "bad lease-time '%s' (seconds, 10..2147483647)", value);
	} else if (IS("renew-time")) {
		if (!parse_u32(value, 1, 0x7fffffff, &p->t1))
			fail(x, x->line, "bad renew-time '%s' (seconds)", value);
	} else if (IS("rebind-time")) {
		if (!parse_u32(value, 1, 0x7fffffff, &p->t2))
			fail(x, x->line, "bad rebind-time '%s' (seconds)", value);
	} else if (IS("tep")) {
		if (inet_pton(AF_INET6, value, &p->tep) != 1)
			fail(x, x->line, "bad tep '%s' (expected an IPv6 address)", value);
		p->has_tep = true;
	} else if (IS("tep-device")) {
		if (!valid_ifname(value))
			fail(x, x->line, "bad tep-device '%s' (expected an interface name)", value);
		else
			snprintf(p->tep_dev, sizeof(p->tep_dev), "%s", value);
	} else if (IS("psid-len")) {
		if (!parse_u32(value, 0, 16, &v))
			fail(x, x->line, "bad psid-len '%s' (0..16)", value);
		p->psid_len = (uint8_t)v;
	} else if (IS("psid-offset")) {
		if (!parse_u32(value, 0, 15, &v))
			fail(x, x->line, "bad psid-offset '%s' (0..15)", value);
		p->psid_offset = (uint8_t)v;
	} else if (IS("clients")) {
		if (!parse_prefix6(value, &p->clients, &p->clients_len))
			fail(x, x->line, "bad clients '%s' (expected an IPv6 prefix)", value);
	} else if (IS("subnet-mask")) {
		if (inet_pton(AF_INET, value, &p->mask) != 1)
			fail(x, x->line, "bad subnet-mask '%s'", value);
	} else if (IS("auth")) {
		b = parse_bool(value);
		if (b < 0)
			fail(x, x->line, "bad auth '%s' (yes or no)", value);
		p->auth = b;
	} else {
		fail(x, x->line, "unknown key '%s' in [pool %s]", name, p->name);
	}
}

static void server_key(struct cfg_ctx *x, const char *name, const char *value)
{
	struct dstmd_config *c = x->c;
	uint32_t v;
	size_t n;
	int b;

	if (IS("listen")) {
		struct in6_addr a;
		char addr[INET6_ADDRSTRLEN + IF_NAMESIZE], *pct;

		snprintf(addr, sizeof(addr), "%s", value);
		pct = strchr(addr, '%');	/* fe80::1%eth0 */
		if (pct)
			*pct = '\0';
		if (inet_pton(AF_INET, value, &a) == 1)
			fail(x, x->line, "bad listen '%s' (an IPv4 address: DHCPv4-over-DHCPv6 is served on IPv6)", value);
		else if (strlen(value) >= sizeof(c->listen) ||
		    (inet_pton(AF_INET6, addr, &a) != 1 &&
		     (pct || !valid_ifname(value))))
			fail(x, x->line, "bad listen '%s' (expected an IPv6 address or an interface name)", value);
		else
			snprintf(c->listen, sizeof(c->listen), "%s", value);
	} else if (IS("port")) {
		if (!parse_u32(value, 1, 65535, &v))
			fail(x, x->line, "bad port '%s' (1..65535)", value);
		c->port = (uint16_t)v;
	} else if (IS("lease-db")) {
		if (!*value || strlen(value) >= sizeof(c->lease_db))
			fail(x, x->line, "bad lease-db path");
		else
			snprintf(c->lease_db, sizeof(c->lease_db), "%s", value);
	} else if (IS("sync")) {
		if (!strcmp(value, "full"))
			c->sync_full = true;
		else if (!strcmp(value, "normal"))
			c->sync_full = false;
		else
			fail(x, x->line, "bad sync '%s' (full or normal)", value);
	} else if (IS("log")) {
		if (!strcmp(value, "auto"))
			c->log = DSTMD_LOG_AUTO;
		else if (!strcmp(value, "stderr"))
			c->log = DSTMD_LOG_STDERR;
		else if (!strcmp(value, "syslog"))
			c->log = DSTMD_LOG_SYSLOG;
		else
			fail(x, x->line, "bad log '%s' (auto, stderr or syslog)", value);
	} else if (IS("server-id")) {
		if (inet_pton(AF_INET, value, &c->server_id4) != 1)
			fail(x, x->line, "bad server-id '%s' (expected an IPv4 address)", value);
	} else if (IS("duid")) {
		if (!parse_hex(value, c->duid, sizeof(c->duid), &n) || n < 3)
			fail(x, x->line, "bad duid '%s' (3..130 bytes of hex)", value);
		c->duid_len = (uint16_t)n;
	} else if (IS("dhcp4o6-server")) {
		if (c->n_servers4o6 >= D6_MAX_4O6_SERVERS)
			fail(x, x->line, "at most %d dhcp4o6-server lines", D6_MAX_4O6_SERVERS);
		else if (inet_pton(AF_INET6, value, &c->servers4o6[c->n_servers4o6++]) != 1)
			fail(x, x->line, "bad dhcp4o6-server '%s' (expected an IPv6 address)", value);
	} else if (IS("offer-time")) {
		if (!parse_u32(value, 1, 3600, &c->offer_time))
			fail(x, x->line, "bad offer-time '%s' (1..3600 s)", value);
	} else if (IS("decline-time")) {
		if (!parse_u32(value, 0, 86400 * 7, &c->decline_time))
			fail(x, x->line, "bad decline-time '%s' (0..604800 s)", value);
	} else if (IS("reconcile-interval")) {
		if (!parse_u32(value, 0, 86400, &c->reconcile_interval))
			fail(x, x->line, "bad reconcile-interval '%s' (0..86400 s)", value);
	} else if (IS("rate-limit")) {
		if (!parse_u32(value, 0, 1000000, &c->rate))
			fail(x, x->line, "bad rate-limit '%s' (packets/s per client, 0 = off)", value);
	} else if (IS("rate-burst")) {
		if (!parse_u32(value, 1, 1000000, &c->burst))
			fail(x, x->line, "bad rate-burst '%s'", value);
	} else if (IS("reconfigure")) {
		b = parse_bool(value);
		if (b < 0)
			fail(x, x->line, "bad reconfigure '%s' (yes or no)", value);
		c->reconfigure = b > 0;
	} else {
		fail(x, x->line, "unknown key '%s' in [server]", name);
	}
}

static void auth_key(struct cfg_ctx *x, const char *name, const char *value)
{
	struct dstmd_config *c = x->c;
	struct dstmd_key *k;
	char kname[128], hex[192];
	unsigned int i;
	int b;

	if (IS("require")) {
		b = parse_bool(value);
		if (b < 0)
			fail(x, x->line, "bad require '%s' (yes or no)", value);
		c->auth_require = b > 0;
		return;
	}
	if (!IS("key")) {
		fail(x, x->line, "unknown key '%s' in [auth]", name);
		return;
	}
	if (sscanf(value, "%127s %191s", kname, hex) != 2 ||
	    strlen(kname) > 64) {
		fail(x, x->line, "bad key line (expected: key = NAME HEXSECRET, NAME up to 64 characters)");
		return;
	}
	for (i = 0; i < c->n_keys; i++)
		if (!strcmp(c->keys[i].name, kname)) {
			fail(x, x->line, "key '%s' defined twice (first on line %u)",
			     kname, c->keys[i].line);
			return;
		}
	k = grow(c->keys, c->n_keys, sizeof(*k));
	if (!k) {
		fail(x, x->line, "out of memory");
		return;
	}
	c->keys = k;
	k = &c->keys[c->n_keys];
	memcpy(k->name, kname, strlen(kname) + 1);
	k->line = x->line;
	if (!parse_hex(hex, k->secret, sizeof(k->secret), &k->len) ||
	    k->len < 16) {
		fail(x, x->line, "bad secret for key '%s' (16..64 bytes of hex)", kname);
		return;
	}
	c->n_keys++;
}

static struct dstmd_dns_ns *dns_ns_new(struct cfg_ctx *x, const char *name)
{
	struct dstmd_dns_config *dc = &x->c->dns;
	struct dstmd_dns_ns *ns;

	if (dc->n_ns >= DSTMD_DNS_MAX_NS) {
		fail(x, x->line, "at most %d name servers", DSTMD_DNS_MAX_NS);
		return NULL;
	}
	ns = &dc->ns[dc->n_ns];
	memset(ns, 0, sizeof(*ns));
	if (!dns_name_norm(name, ns->name, sizeof(ns->name))) {
		fail(x, x->line, "bad name server name '%s'", name);
		return NULL;
	}
	dc->n_ns++;
	return ns;
}

static void dns_ns_addr(struct cfg_ctx *x, struct dstmd_dns_ns *ns,
			const char *a)
{
	if (ns->n_a6 < DSTMD_DNS_MAX_NS_ADDR &&
	    inet_pton(AF_INET6, a, &ns->a6[ns->n_a6]) == 1)
		ns->n_a6++;
	else if (ns->n_a4 < DSTMD_DNS_MAX_NS_ADDR &&
		 inet_pton(AF_INET, a, &ns->a4[ns->n_a4]) == 1)
		ns->n_a4++;
	else
		fail(x, x->line,
		     "bad name server address '%s' (IPv4 or IPv6, at most %d of each)",
		     a, DSTMD_DNS_MAX_NS_ADDR);
}

static void dns_key(struct cfg_ctx *x, const char *name, const char *value)
{
	struct dstmd_dns_config *dc = &x->c->dns;
	char buf[MAX_LINE + 1], *tok, *save;
	struct dstmd_dns_ns *ns;
	uint32_t v;
	int b;

	if (IS("zone")) {
		if (!dns_name_norm(value, dc->zone, sizeof(dc->zone)))
			fail(x, x->line, "bad zone '%s' (expected a domain name such as dstm.test.)", value);
	} else if (IS("listen")) {
		struct in6_addr a;
		char addr[INET6_ADDRSTRLEN + IF_NAMESIZE], *pct;

		snprintf(addr, sizeof(addr), "%s", value);
		pct = strchr(addr, '%');
		if (pct)
			*pct = '\0';
		if (strlen(value) >= sizeof(dc->listen) ||
		    inet_pton(AF_INET6, addr, &a) != 1)
			fail(x, x->line, "bad listen '%s' (expected an IPv6 address, :: for all; IPv4 clients reach it as ::ffff:A.B.C.D)", value);
		else
			snprintf(dc->listen, sizeof(dc->listen), "%s", value);
	} else if (IS("port")) {
		if (!parse_u32(value, 1, 65535, &v))
			fail(x, x->line, "bad port '%s' (1..65535)", value);
		dc->port = (uint16_t)v;
	} else if (IS("ttl")) {
		if (!parse_u32(value, 0, 86400, &dc->ttl))
			fail(x, x->line, "bad ttl '%s' (0..86400 s)", value);
	} else if (IS("negative-ttl")) {
		if (!parse_u32(value, 0, 86400, &dc->negative_ttl))
			fail(x, x->line, "bad negative-ttl '%s' (0..86400 s)", value);
	} else if (IS("ns")) {
		snprintf(buf, sizeof(buf), "%s", value);
		tok = strtok_r(buf, " \t", &save);
		ns = tok ? dns_ns_new(x, tok) : NULL;
		while (ns && (tok = strtok_r(NULL, " \t", &save)))
			dns_ns_addr(x, ns, tok);
	} else if (IS("ns-address")) {
		if (!dc->n_ns) {
			fail(x, x->line, "ns-address before any ns line (it gives the address of the ns above it)");
			return;
		}
		dns_ns_addr(x, &dc->ns[dc->n_ns - 1], value);
	} else if (IS("hostmaster")) {
		if (!dns_name_norm(value, dc->hostmaster, sizeof(dc->hostmaster)))
			fail(x, x->line, "bad hostmaster '%s' (a domain name: hostmaster.example.)", value);
	} else if (IS("edns-size")) {
		if (!parse_u32(value, 512, 65535, &v))
			fail(x, x->line, "bad edns-size '%s' (512..65535 bytes)", value);
		dc->edns_size = (uint16_t)v;
	} else if (IS("on-demand")) {
		b = parse_bool(value);
		if (b < 0)
			fail(x, x->line, "bad on-demand '%s' (yes or no)", value);
		dc->on_demand = b > 0;
	} else if (IS("on-demand-wait")) {
		if (!parse_duration_ms(value, 100, 30000, &dc->wait_ms))
			fail(x, x->line, "bad on-demand-wait '%s' (100ms..30s: 2, 2s or 1500ms)", value);
	} else if (IS("rate-limit")) {
		if (!parse_u32(value, 0, 100000, &dc->rate))
			fail(x, x->line, "bad rate-limit '%s' (on-demand allocations/s per querier, 0 = off)", value);
	} else if (IS("rate-burst")) {
		if (!parse_u32(value, 1, 100000, &dc->burst))
			fail(x, x->line, "bad rate-burst '%s' (1..100000)", value);
	} else if (IS("max-pending")) {
		if (!parse_u32(value, 1, 65536, &dc->max_pending))
			fail(x, x->line, "bad max-pending '%s' (1..65536 reservations)", value);
	} else if (IS("max-held")) {
		if (!parse_u32(value, 1, 65536, &dc->max_held))
			fail(x, x->line, "bad max-held '%s' (1..65536 queries)", value);
	} else if (IS("max-tcp")) {
		if (!parse_u32(value, 1, 65536, &dc->max_tcp))
			fail(x, x->line, "bad max-tcp '%s' (1..65536 connections)", value);
	} else if (IS("tcp-idle")) {
		if (!parse_duration_ms(value, 100, 3600000, &dc->tcp_idle_ms))
			fail(x, x->line, "bad tcp-idle '%s' (100ms..3600s)", value);
	} else {
		fail(x, x->line, "unknown key '%s' in [dns]", name);
	}
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct cfg_ctx *x = user;

	(void)section;	/* tracked by reader() */
	if (x->failed)
		return 1;
	if (!*value) {
		fail(x, x->line, "'%s' needs a value", name);
		return 1;
	}
	if (!x->section[0])
		fail(x, x->line, "'%s' outside of any section", name);
	else if (!strcmp(x->section, "server"))
		server_key(x, name, value);
	else if (!strcmp(x->section, "auth"))
		auth_key(x, name, value);
	else if (!strcmp(x->section, "dns"))
		dns_key(x, name, value);
	else if (x->pool)
		pool_key(x, x->pool, name, value);
	return 1;
}

static bool in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	return n > z && name[n - z - 1] == '.' && !strcmp(name + n - z, zone);
}

static void validate_dns(struct cfg_ctx *x)
{
	struct dstmd_dns_config *dc = &x->c->dns;
	struct in6_addr a;
	unsigned int i;

	if (!dc->enabled)
		return;
	if (!dc->zone[0]) {
		fail(x, dc->line, "[dns] needs a zone (zone = dstm.test.)");
		return;
	}
	if (!dc->n_ns) {
		dc->n_ns = 1;
		memset(&dc->ns[0], 0, sizeof(dc->ns[0]));
		if (strlen(dc->zone) + 4 > sizeof(dc->ns[0].name)) {
			fail(x, dc->line, "zone name too long for ns.ZONE: give an ns line");
			return;
		}
		memcpy(dc->ns[0].name, "ns.", 3);
		memcpy(dc->ns[0].name + 3, dc->zone, strlen(dc->zone) + 1);
	}
	for (i = 0; i < dc->n_ns; i++) {
		struct dstmd_dns_ns *ns = &dc->ns[i];

		/* An in-zone server with no address: the listen address. */
		if (in_zone(ns->name, dc->zone) && !ns->n_a4 && !ns->n_a6 &&
		    inet_pton(AF_INET6, dc->listen, &a) == 1 &&
		    !IN6_IS_ADDR_UNSPECIFIED(&a)) {
			if (IN6_IS_ADDR_V4MAPPED(&a))
				memcpy(&ns->a4[ns->n_a4++], &a.s6_addr[12], 4);
			else
				ns->a6[ns->n_a6++] = a;
		}
		if (!in_zone(ns->name, dc->zone) && (ns->n_a4 || ns->n_a6))
			fail(x, dc->line,
			     "name server %s is outside the zone %s: it cannot have addresses here",
			     ns->name, dc->zone);
	}
	if (!dc->hostmaster[0] &&
	    strlen(dc->zone) + sizeof("hostmaster.") <= sizeof(dc->hostmaster)) {
		memcpy(dc->hostmaster, "hostmaster.", 11);
		memcpy(dc->hostmaster + 11, dc->zone, strlen(dc->zone) + 1);
	}
	if (dc->port == x->c->port && !strcmp(dc->listen, x->c->listen))
		fail(x, dc->line, "[dns] port %u is the DHCPv6 port of [server]",
		     dc->port);
}

static void validate(struct cfg_ctx *x)
{
	struct dstmd_config *c = x->c;
	unsigned int i, j, ri, rj;

	validate_dns(x);

	if (!c->n_pools) {
		fail(x, x->line ? x->line : 1, "no [pool NAME] section: nothing to hand out");
		return;
	}
	for (i = 0; i < c->n_pools; i++) {
		struct dstmd_pool *p = &c->pools[i];
		uint64_t slots = 0;

		if (!p->n_ranges)
			fail(x, p->line, "pool '%s' has no range or prefix", p->name);
		if (!p->has_tep)
			fail(x, p->line, "pool '%s' has no tep address", p->name);
		if (p->psid_len && p->psid_offset + p->psid_len > 16)
			fail(x, p->line,
			     "pool '%s': psid-offset %u + psid-len %u exceed 16",
			     p->name, p->psid_offset, p->psid_len);
		if (!p->psid_len)
			p->psid_offset = 0;
		if (!p->t1)
			p->t1 = p->lease_time / 2;
		if (!p->t2)
			p->t2 = (uint32_t)((uint64_t)p->lease_time * 7 / 8);
		if (p->t1 > p->t2 || p->t2 > p->lease_time)
			fail(x, p->line,
			     "pool '%s': need renew-time <= rebind-time <= lease-time",
			     p->name);
		for (ri = 0; ri < p->n_ranges; ri++)
			slots += ((uint64_t)p->ranges[ri].hi - p->ranges[ri].lo + 1);
		p->n_addrs = slots > DSTMD_MAX_SLOTS ? DSTMD_MAX_SLOTS : (uint32_t)slots;
		slots <<= p->psid_len;
		if (slots > DSTMD_MAX_SLOTS)
			fail(x, p->line,
			     "pool '%s' has %llu leases (addresses x 2^psid-len); at most %u",
			     p->name, (unsigned long long)slots, DSTMD_MAX_SLOTS);
		/* Overlaps, within the pool and with earlier pools. */
		for (j = 0; j <= i; j++) {
			struct dstmd_pool *q = &c->pools[j];

			for (ri = 0; ri < p->n_ranges; ri++)
				for (rj = 0; rj < (j == i ? ri : q->n_ranges); rj++)
					if (p->ranges[ri].lo <= q->ranges[rj].hi &&
					    q->ranges[rj].lo <= p->ranges[ri].hi)
						fail(x, p->ranges[ri].line,
						     "range overlaps the one on line %u",
						     q->ranges[rj].line);
		}
	}
}

int config_load(struct dstmd_config *c, const char *path, char *err,
		size_t errlen)
{
	struct cfg_ctx x = {
		.c = c, .path = path, .err = err, .errlen = errlen,
	};
	int r;

	config_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	err[0] = '\0';
	x.f = fopen(path, "r");
	if (!x.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ini_allow_multiline = false;
	r = ini_parse_stream(reader, &x, handler, &x);
	fclose(x.f);
	if (r > 0)
		fail(&x, (unsigned int)r, "syntax error (expected NAME = VALUE or [SECTION])");
	else if (r < 0)
		fail(&x, 1, "cannot parse");
	if (!x.failed)
		validate(&x);
	if (x.failed) {
		config_free(c);
		return -1;
	}
	return 0;
}
