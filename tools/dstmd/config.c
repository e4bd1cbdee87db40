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
#include <stddef.h>
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
	char section[128];		/* server, auth, dns or "pool NAME" */
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

/*
 * Room for element @n (zeroed) at the end of the array *@arrp of @n
 * elements of @size: the new element, which the caller counts once it
 * is filled in, or NULL after reporting the failure.
 */
static void *append(struct cfg_ctx *x, void *arrp, unsigned int n,
		    size_t size)
{
	void **arr = arrp;
	char *p = realloc(*arr, (n + 1) * size);

	if (!p) {
		fail(x, x->line, "out of memory");
		return NULL;
	}
	memset(p + n * size, 0, size);
	*arr = p;
	return p + n * size;
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
	p = append(x, &c->pools, c->n_pools, sizeof(*p));
	if (!p)
		return;
	c->n_pools++;
	snprintf(p->name, sizeof(p->name), "%s", pname);
	snprintf(x->section, sizeof(x->section), "pool %s", p->name);
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

/*
 * Keys whose value is more than a field: a parser of the table below.
 * It returns false on a bad value; the caller then reports "bad KEY
 * 'VALUE' (HELP)" unless the parser has reported a more precise error.
 */

/* An IPv6 address (fe80::1%eth0 too) or, if ifname_ok, an interface name. */
static bool set_listen(char *dst, size_t size, const char *value,
		       bool ifname_ok)
{
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE], *pct;
	struct in6_addr a;

	snprintf(addr, sizeof(addr), "%s", value);
	pct = strchr(addr, '%');
	if (pct)
		*pct = '\0';
	if (strlen(value) >= size ||
	    (inet_pton(AF_INET6, addr, &a) != 1 &&
	     (!ifname_ok || pct || !valid_ifname(value))))
		return false;
	memcpy(dst, value, strlen(value) + 1);
	return true;
}

static bool server_listen(struct cfg_ctx *x, const char *value)
{
	struct in_addr a;

	if (inet_pton(AF_INET, value, &a) == 1) {
		fail(x, x->line, "bad listen '%s' (an IPv4 address: DHCPv4-over-DHCPv6 is served on IPv6)", value);
		return false;
	}
	return set_listen(x->c->listen, sizeof(x->c->listen), value, true);
}

static bool server_duid(struct cfg_ctx *x, const char *value)
{
	struct dstmd_config *c = x->c;
	size_t n;

	if (!parse_hex(value, c->duid, sizeof(c->duid), &n) || n < 3)
		return false;
	c->duid_len = (uint16_t)n;
	return true;
}

static bool server_4o6(struct cfg_ctx *x, const char *value)
{
	struct dstmd_config *c = x->c;

	if (c->n_servers4o6 >= D6_MAX_4O6_SERVERS) {
		fail(x, x->line, "at most %d dhcp4o6-server lines", D6_MAX_4O6_SERVERS);
		return false;
	}
	return inet_pton(AF_INET6, value, &c->servers4o6[c->n_servers4o6++]) == 1;
}

/* range and prefix */
static bool pool_range(struct cfg_ctx *x, const char *value)
{
	struct dstmd_pool *p = x->pool;
	struct dstmd_range *r;
	uint32_t lo, hi;
	char why[96];

	if (!parse_range4(value, &lo, &hi, why, sizeof(why))) {
		fail(x, x->line, "bad range '%s' (%s)", value, why);
		return false;
	}
	r = append(x, &p->ranges, p->n_ranges, sizeof(*r));
	if (!r)
		return false;
	p->n_ranges++;
	r->lo = lo;
	r->hi = hi;
	r->line = x->line;
	return true;
}

static bool pool_tep(struct cfg_ctx *x, const char *value)
{
	x->pool->has_tep = true;
	return inet_pton(AF_INET6, value, &x->pool->tep) == 1;
}

static bool pool_clients(struct cfg_ctx *x, const char *value)
{
	return parse_prefix6(value, &x->pool->clients, &x->pool->clients_len);
}

static bool auth_key(struct cfg_ctx *x, const char *value)
{
	struct dstmd_config *c = x->c;
	struct dstmd_key *k;
	char kname[128], hex[192];
	unsigned int i;

	if (sscanf(value, "%127s %191s", kname, hex) != 2 ||
	    strlen(kname) > 64) {
		fail(x, x->line, "bad key line (expected: key = NAME HEXSECRET, NAME up to 64 characters)");
		return false;
	}
	for (i = 0; i < c->n_keys; i++)
		if (!strcmp(c->keys[i].name, kname)) {
			fail(x, x->line, "key '%s' defined twice (first on line %u)",
			     kname, c->keys[i].line);
			return false;
		}
	k = append(x, &c->keys, c->n_keys, sizeof(*k));
	if (!k)
		return false;
	memcpy(k->name, kname, strlen(kname) + 1);
	k->line = x->line;
	if (!parse_hex(hex, k->secret, sizeof(k->secret), &k->len) ||
	    k->len < 16) {
		fail(x, x->line, "bad secret for key '%s' (16..64 bytes of hex)", kname);
		return false;
	}
	c->n_keys++;
	return true;
}

static bool dns_listen(struct cfg_ctx *x, const char *value)
{
	return set_listen(x->c->dns.listen, sizeof(x->c->dns.listen), value,
			  false);
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

static bool dns_ns_addr(struct cfg_ctx *x, struct dstmd_dns_ns *ns,
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
	return !x->failed;
}

/* ns = NAME [ADDRESS...] */
static bool dns_ns(struct cfg_ctx *x, const char *value)
{
	char buf[MAX_LINE + 1], *tok, *save;
	struct dstmd_dns_ns *ns;

	snprintf(buf, sizeof(buf), "%s", value);
	tok = strtok_r(buf, " \t", &save);
	ns = tok ? dns_ns_new(x, tok) : NULL;
	while (ns && (tok = strtok_r(NULL, " \t", &save)))
		dns_ns_addr(x, ns, tok);
	return !x->failed;
}

static bool dns_ns_address(struct cfg_ctx *x, const char *value)
{
	struct dstmd_dns_config *dc = &x->c->dns;

	if (!dc->n_ns) {
		fail(x, x->line, "ns-address before any ns line (it gives the address of the ns above it)");
		return false;
	}
	return dns_ns_addr(x, &dc->ns[dc->n_ns - 1], value);
}

/*
 * Every key of every section, parsed by kind into a field of the
 * section's struct: struct dstmd_config for [server] and [auth], struct
 * dstmd_pool for [pool NAME], struct dstmd_dns_config for [dns].
 */
enum kind {
	K_UINT,		/* decimal, min..max */
	K_DURATION,	/* parse_duration_ms(): 2, 2s or 1500ms, min..max ms */
	K_CHOICE,	/* one of the names of choices, stored as its value */
	K_IP4,		/* an IPv4 address: struct in_addr */
	K_DNS_NAME,	/* dns_name_norm() into a char array */
	K_IFNAME,	/* an interface name into a char array */
	K_STRING,	/* into a char array */
	K_CUSTOM,	/* parse() */
};

struct choice {
	const char *name;
	int value;
};

struct key {
	const char *section;	/* server, pool, auth or dns */
	const char *name;
	enum kind kind;
	const char *help;	/* bad NAME 'VALUE' (HELP) */
	size_t off, size;	/* the field; integers of 1, 2 or 4 bytes */
	uint32_t min, max;
	const struct choice *choices;	/* ends with a NULL name */
	bool (*parse)(struct cfg_ctx *x, const char *value);
};

static const struct choice yes_no[] = {
	{ "yes", 1 }, { "true", 1 }, { "on", 1 }, { "1", 1 },
	{ "no", 0 }, { "false", 0 }, { "off", 0 }, { "0", 0 }, { NULL, 0 },
};
static const struct choice sync_names[] = {
	{ "full", true }, { "normal", false }, { NULL, 0 },
};
static const struct choice log_names[] = {
	{ "auto", DSTMD_LOG_AUTO }, { "stderr", DSTMD_LOG_STDERR },
	{ "syslog", DSTMD_LOG_SYSLOG }, { NULL, 0 },
};

#define FIELD(type, f)	.off = offsetof(type, f), .size = sizeof(((type *)0)->f)
#define SERVER(f)	FIELD(struct dstmd_config, f)
#define POOL(f)		FIELD(struct dstmd_pool, f)
#define DNS(f)		FIELD(struct dstmd_dns_config, f)
#define RANGE(lo, hi)	.min = (lo), .max = (hi)

static const struct key keys[] = {
	/* section, key, kind, help, field, range, choices or parser */
	{ "server", "listen", K_CUSTOM, "expected an IPv6 address or an interface name", .parse = server_listen },
	{ "server", "port", K_UINT, "1..65535", SERVER(port), RANGE(1, 65535) },
	{ "server", "lease-db", K_STRING, "a path", SERVER(lease_db) },
	{ "server", "sync", K_CHOICE, "full or normal", SERVER(sync_full), .choices = sync_names },
	{ "server", "log", K_CHOICE, "auto, stderr or syslog", SERVER(log), .choices = log_names },
	{ "server", "server-id", K_IP4, "expected an IPv4 address", SERVER(server_id4) },
	{ "server", "duid", K_CUSTOM, "3..130 bytes of hex", .parse = server_duid },
	{ "server", "dhcp4o6-server", K_CUSTOM, "expected an IPv6 address", .parse = server_4o6 },
	{ "server", "offer-time", K_UINT, "1..3600 s", SERVER(offer_time), RANGE(1, 3600) },
	{ "server", "decline-time", K_UINT, "0..604800 s", SERVER(decline_time), RANGE(0, 604800) },
	{ "server", "reconcile-interval", K_UINT, "0..86400 s", SERVER(reconcile_interval), RANGE(0, 86400) },
	{ "server", "rate-limit", K_UINT, "packets/s per client, 0 = off", SERVER(rate), RANGE(0, 1000000) },
	{ "server", "rate-burst", K_UINT, "1..1000000", SERVER(burst), RANGE(1, 1000000) },
	{ "server", "reconfigure", K_CHOICE, "yes or no", SERVER(reconfigure), .choices = yes_no },

	{ "pool", "range", K_CUSTOM, .parse = pool_range },
	{ "pool", "prefix", K_CUSTOM, .parse = pool_range },
	{ "pool", "lease-time", K_UINT, "10..2147483647 s", POOL(lease_time), RANGE(10, INT32_MAX) },
	{ "pool", "renew-time", K_UINT, "1..2147483647 s", POOL(t1), RANGE(1, INT32_MAX) },
	{ "pool", "rebind-time", K_UINT, "1..2147483647 s", POOL(t2), RANGE(1, INT32_MAX) },
	{ "pool", "tep", K_CUSTOM, "expected an IPv6 address", .parse = pool_tep },
	{ "pool", "tep-device", K_IFNAME, "expected an interface name", POOL(tep_dev) },
	{ "pool", "psid-len", K_UINT, "0..16", POOL(psid_len), RANGE(0, 16) },
	{ "pool", "psid-offset", K_UINT, "0..15", POOL(psid_offset), RANGE(0, 15) },
	{ "pool", "clients", K_CUSTOM, "expected an IPv6 prefix", .parse = pool_clients },
	{ "pool", "subnet-mask", K_IP4, "expected an IPv4 address", POOL(mask) },
	{ "pool", "auth", K_CHOICE, "yes or no", POOL(auth), .choices = yes_no },

	{ "auth", "require", K_CHOICE, "yes or no", SERVER(auth_require), .choices = yes_no },
	{ "auth", "key", K_CUSTOM, .parse = auth_key },

	{ "dns", "zone", K_DNS_NAME, "expected a domain name such as dstm.test.", DNS(zone) },
	{ "dns", "listen", K_CUSTOM, "expected an IPv6 address, :: for all; IPv4 clients reach it as ::ffff:A.B.C.D", .parse = dns_listen },
	{ "dns", "port", K_UINT, "1..65535", DNS(port), RANGE(1, 65535) },
	{ "dns", "ttl", K_UINT, "0..86400 s", DNS(ttl), RANGE(0, 86400) },
	{ "dns", "negative-ttl", K_UINT, "0..86400 s", DNS(negative_ttl), RANGE(0, 86400) },
	{ "dns", "ns", K_CUSTOM, .parse = dns_ns },
	{ "dns", "ns-address", K_CUSTOM, .parse = dns_ns_address },
	{ "dns", "hostmaster", K_DNS_NAME, "a domain name: hostmaster.example.", DNS(hostmaster) },
	{ "dns", "edns-size", K_UINT, "512..65535 bytes", DNS(edns_size), RANGE(512, 65535) },
	{ "dns", "on-demand", K_CHOICE, "yes or no", DNS(on_demand), .choices = yes_no },
	{ "dns", "on-demand-wait", K_DURATION, "100ms..30s: 2, 2s or 1500ms", DNS(wait_ms), RANGE(100, 30000) },
	{ "dns", "rate-limit", K_UINT, "on-demand allocations/s per querier, 0 = off", DNS(rate), RANGE(0, 100000) },
	{ "dns", "rate-burst", K_UINT, "1..100000", DNS(burst), RANGE(1, 100000) },
	{ "dns", "max-pending", K_UINT, "1..65536 reservations", DNS(max_pending), RANGE(1, 65536) },
	{ "dns", "max-held", K_UINT, "1..65536 queries", DNS(max_held), RANGE(1, 65536) },
	{ "dns", "max-tcp", K_UINT, "1..65536 connections", DNS(max_tcp), RANGE(1, 65536) },
	{ "dns", "tcp-idle", K_DURATION, "100ms..3600s", DNS(tcp_idle_ms), RANGE(100, 3600000) },
};

/* An integer field of 1, 2 or 4 bytes: bool, uint8_t, uint16_t, int, uint32_t. */
static void store_int(void *field, size_t size, uint32_t v)
{
	if (size == 1)
		*(uint8_t *)field = (uint8_t)v;
	else if (size == 2)
		*(uint16_t *)field = (uint16_t)v;
	else if (size == 4)
		*(uint32_t *)field = v;
	else
		abort();	/* a row of keys[] with a field of another type */
}

static bool parse_value(struct cfg_ctx *x, const struct key *k, void *field,
			const char *value)
{
	const struct choice *ch;
	uint32_t v;

	switch (k->kind) {
	case K_UINT:
	case K_DURATION:
		if (k->kind == K_UINT ? !parse_u32(value, k->min, k->max, &v) :
		    !parse_duration_ms(value, k->min, k->max, &v))
			return false;
		store_int(field, k->size, v);
		return true;
	case K_CHOICE:
		for (ch = k->choices; ch->name; ch++)
			if (!strcmp(ch->name, value)) {
				store_int(field, k->size, (uint32_t)ch->value);
				return true;
			}
		return false;
	case K_IP4:
		return inet_pton(AF_INET, value, field) == 1;
	case K_DNS_NAME:
		return dns_name_norm(value, field, k->size);
	case K_IFNAME:
		if (!valid_ifname(value))
			return false;
		/* fall through */
	case K_STRING:
		if (strlen(value) >= k->size)
			return false;
		memcpy(field, value, strlen(value) + 1);
		return true;
	case K_CUSTOM:
		return k->parse(x, value);
	}
	return false;
}

static void set_key(struct cfg_ctx *x, const char *name, const char *value)
{
	const char *section = x->pool ? "pool" : x->section;
	char *obj = x->pool ? (char *)x->pool :
		    !strcmp(section, "dns") ? (char *)&x->c->dns : (char *)x->c;
	const struct key *k;

	for (k = keys; k < keys + sizeof(keys) / sizeof(keys[0]); k++) {
		if (strcmp(k->section, section) || strcmp(k->name, name))
			continue;
		if (!parse_value(x, k, obj + k->off, value) && !x->failed)
			fail(x, x->line, "bad %s '%s' (%s)", name, value, k->help);
		return;
	}
	fail(x, x->line, "unknown key '%s' in [%s]", name, x->section);
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct cfg_ctx *x = user;

	(void)section;	/* tracked by reader() */
	if (x->failed)
		return 1;
	if (!*value)
		fail(x, x->line, "'%s' needs a value", name);
	else if (!x->section[0])
		fail(x, x->line, "'%s' outside of any section", name);
	else
		set_key(x, name, value);
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
