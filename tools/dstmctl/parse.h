/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict argument parsing, free of netlink so that it can be unit tested
 * on the host (tools/tests).  Errors are written into a caller's buffer as
 * one line that names the bad word and what was expected.
 */
#ifndef DSTMCTL_PARSE_H
#define DSTMCTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/dstm.h>

#define ERRLEN 256

/* Decimal only: no sign, no spaces, no base prefix, whole word, <= max. */
bool parse_ulong(const char *s, unsigned long max, unsigned long *val);
bool parse_ipv4(const char *s, struct in_addr *addr);
bool parse_ipv6(const char *s, struct in6_addr *addr);
/* A name the kernel would accept for a network device. */
bool valid_ifname(const char *s);
/* "client" or "tep"; -1 otherwise. */
int parse_mode(const char *s);
const char *mode_name(unsigned int mode);

enum kw_type {
	KW_UINT,	/* min..max, stored as unsigned long */
	KW_IPV4,
	KW_IPV6,
	KW_MODE,
	KW_IFLIST,	/* "none" or IF[,IF]...: see parse_iflist() */
};

#define KW_IFLIST_MAX	DSTM_FASTPATH_MAX_DEVS

/* One "keyword VALUE" pair of a command's grammar. */
struct kw {
	const char *name;
	enum kw_type type;
	unsigned long min, max;		/* KW_UINT */
	bool seen;
	unsigned long num;		/* KW_UINT, KW_MODE */
	struct in_addr ipv4;
	struct in6_addr ipv6;
	unsigned int nifs;			/* KW_IFLIST: 0 for "none" */
	char ifs[KW_IFLIST_MAX][IF_NAMESIZE];
};

#define KW_END { .name = NULL }

/* Parse "kw value ..." pairs into kws (terminated by KW_END). */
bool parse_kws(struct kw *kws, int argc, char **argv, char *err, size_t len);
struct kw *kw_find(struct kw *kws, const char *name);
/* Describes what a keyword's value must be ("an IPv4 address", ...). */
void kw_expect(const struct kw *k, char *buf, size_t len);

/*
 * A list of device names: "none" (returns 0), or 1 to max valid names
 * separated by commas, without empty names or repeats.  Returns how many
 * names were stored in names, or -1 with err set to what is wrong.
 */
int parse_iflist(const char *s, char (*names)[IF_NAMESIZE], unsigned int max,
		 char *err, size_t len);

/*
 * Split a batch line into words, in place: blanks separate words, '#' at
 * the start of a word comments out the rest of the line, and "..." or
 * '...' quote.  Returns the number of words, or -1 (err set) for an
 * unterminated quote or more than max words.
 */
int split_line(char *line, char **argv, int max, char *err, size_t len);

/*
 * The ports of a port set, for people: "1024-1039, 2048-2063, ...,
 * 64512-64527 (63 ranges, 1008 ports)", long lists shortened.
 */
void format_portset(char *buf, size_t len, unsigned int a, unsigned int k,
		    unsigned int psid);

#endif /* DSTMCTL_PARSE_H */
