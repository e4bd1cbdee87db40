// SPDX-License-Identifier: GPL-2.0
/* Strict argument parsing and the pure formatting helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/dstm.h>

#include "dstm.h"
#include "parse.h"

bool parse_ulong(const char *s, unsigned long max, unsigned long *val)
{
	unsigned long v;
	char *end;

	/* strtoul would take blanks, a sign and wrap negative numbers. */
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*val = v;
	return true;
}

bool parse_ipv4(const char *s, struct in_addr *addr)
{
	return inet_pton(AF_INET, s, addr) == 1;
}

bool parse_ipv6(const char *s, struct in6_addr *addr)
{
	return inet_pton(AF_INET6, s, addr) == 1;
}

/* The kernel's dev_valid_name(). */
bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' || (*s >= '\t' && *s <= '\r'))
			return false;
	return true;
}

int parse_iflist(const char *s, char (*names)[IF_NAMESIZE], unsigned int max,
		 char *err, size_t len)
{
	unsigned int n = 0, i;
	const char *p = s;

	if (!strcmp(s, "none"))
		return 0;
	for (;;) {
		size_t l = strcspn(p, ",");
		char name[IF_NAMESIZE];

		if (!l) {
			snprintf(err, len, "empty device name");
			return -1;
		}
		if (l >= IF_NAMESIZE) {
			snprintf(err, len, "device name '%.*s...' is longer than %d characters",
				 IF_NAMESIZE - 1, p, IF_NAMESIZE - 1);
			return -1;
		}
		memcpy(name, p, l);
		name[l] = '\0';
		if (!valid_ifname(name)) {
			snprintf(err, len, "bad device name '%s'", name);
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (!strcmp(names[i], name)) {
				snprintf(err, len, "'%s' listed twice", name);
				return -1;
			}
		}
		if (n == max) {
			snprintf(err, len, "more than %u devices", max);
			return -1;
		}
		memcpy(names[n++], name, l + 1);
		if (!p[l])
			return (int)n;
		p += l + 1;
	}
}

static const char *const modes[] = {
	[DSTM_MODE_CLIENT] = "client",
	[DSTM_MODE_TEP] = "tep",
};

int parse_mode(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i] && !strcmp(s, modes[i]))
			return i;
	return -1;
}

const char *mode_name(unsigned int mode)
{
	if (mode < sizeof(modes) / sizeof(modes[0]) && modes[mode])
		return modes[mode];
	return NULL;
}

struct kw *kw_find(struct kw *kws, const char *name)
{
	for (; kws->name; kws++)
		if (!strcmp(kws->name, name))
			return kws;
	return NULL;
}

void kw_expect(const struct kw *k, char *buf, size_t len)
{
	switch (k->type) {
	case KW_UINT:
		snprintf(buf, len, "an integer %lu..%lu", k->min, k->max);
		break;
	case KW_IPV4:
		snprintf(buf, len, "an IPv4 address");
		break;
	case KW_IPV6:
		snprintf(buf, len, "an IPv6 address");
		break;
	case KW_MODE:
		snprintf(buf, len, "client or tep");
		break;
	case KW_IFLIST:
		snprintf(buf, len, "none or up to %d device names separated by commas",
			 KW_IFLIST_MAX);
		break;
	}
}

static void kw_list(const struct kw *kws, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; kws->name && n < len; kws++)
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			      kws->name);
}

/* why: what is wrong with a list, when there is more to say. */
static bool parse_value(struct kw *k, const char *s, char *why, size_t len)
{
	int mode, n;

	switch (k->type) {
	case KW_UINT:
		return parse_ulong(s, k->max, &k->num) && k->num >= k->min;
	case KW_IPV4:
		return parse_ipv4(s, &k->ipv4);
	case KW_IPV6:
		return parse_ipv6(s, &k->ipv6);
	case KW_MODE:
		mode = parse_mode(s);
		if (mode < 0)
			return false;
		k->num = mode;
		return true;
	case KW_IFLIST:
		n = parse_iflist(s, k->ifs, KW_IFLIST_MAX, why, len);
		if (n < 0)
			return false;
		k->nifs = n;
		return true;
	}
	return false;
}

bool parse_kws(struct kw *kws, int argc, char **argv, char *err, size_t len)
{
	char what[64], why[96];
	struct kw *k;
	int i;

	for (i = 0; i < argc; i += 2) {
		k = kw_find(kws, argv[i]);
		if (!k) {
			char list[160];

			kw_list(kws, list, sizeof(list));
			snprintf(err, len, "unknown keyword '%s' (expected %s)",
				 argv[i], list);
			return false;
		}
		if (k->seen) {
			snprintf(err, len, "'%s' given twice", k->name);
			return false;
		}
		if (i + 1 >= argc) {
			kw_expect(k, what, sizeof(what));
			snprintf(err, len, "'%s' needs a value (%s)", k->name,
				 what);
			return false;
		}
		why[0] = '\0';
		if (!parse_value(k, argv[i + 1], why, sizeof(why))) {
			kw_expect(k, what, sizeof(what));
			snprintf(err, len, "bad %s '%s'%s%s (expected %s)", k->name,
				 argv[i + 1], *why ? ": " : "", why, what);
			return false;
		}
		k->seen = true;
	}
	return true;
}

int split_line(char *line, char **argv, int max, char *err, size_t len)
{
	char *r = line, *w = line;
	int argc = 0;

	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (!*r || *r == '#')
			break;
		if (argc == max) {
			snprintf(err, len, "more than %d words", max);
			return -1;
		}
		argv[argc++] = w;
		for (; *r; r++) {
			if (quote) {
				if (*r == quote)
					quote = 0;
				else
					*w++ = *r;
			} else if (*r == '"' || *r == '\'') {
				quote = *r;
			} else if (*r == ' ' || *r == '\t' || *r == '\n' ||
				   *r == '\r') {
				break;
			} else {
				*w++ = *r;
			}
		}
		if (quote) {
			snprintf(err, len, "unterminated %c quote", quote);
			return -1;
		}
		/* r may be where w writes the terminator: step first. */
		if (*r)
			r++;
		*w++ = '\0';
	}
	return argc;
}

void format_portset(char *buf, size_t len, unsigned int a, unsigned int k,
		    unsigned int psid)
{
	struct dstm_port_range r[5];
	size_t n, i, shown, o = 0;

	n = dstm_portset_ranges(a, k, psid, r, 5);
	if (!n) {
		snprintf(buf, len, "invalid port set");
		return;
	}
	/* Up to 5 ranges in full; else the first 4, "...", and the last. */
	shown = n <= 5 ? n : 4;
	for (i = 0; i < shown && o < len; i++) {
		if (r[i].lo == r[i].hi)
			o += snprintf(buf + o, len - o, "%s%u", i ? ", " : "",
				      r[i].lo);
		else
			o += snprintf(buf + o, len - o, "%s%u-%u",
				      i ? ", " : "", r[i].lo, r[i].hi);
	}
	if (n > 5 && o < len) {
		/* The last range: the largest A value. */
		struct dstm_port_range last;
		unsigned int m = 16 - a - k;

		last.lo = ((1u << a) - 1) << (16 - a) | psid << m;
		last.hi = last.lo + (1u << m) - 1;
		if (last.lo == last.hi)
			o += snprintf(buf + o, len - o, ", ..., %u", last.lo);
		else
			o += snprintf(buf + o, len - o, ", ..., %u-%u",
				      last.lo, last.hi);
	}
	if (n > 1 && o < len)
		snprintf(buf + o, len - o, " (%zu ranges, %u ports)", n,
			 dstm_portset_ports(a, k));
}
