/* SPDX-License-Identifier: GPL-2.0 */
/* The DNS extension's insides, shared by dns*.c and ondemand.c. */
#ifndef DSTMD_DNS_INT_H
#define DSTMD_DNS_INT_H

#include <ldns/ldns.h>

#include "dns.h"
#include "state.h"

#define DNS_QUERY_MAX	4096	/* a larger query is dropped and counted */
#define DNS_UDP_MIN	512	/* RFC 1035 */
#define DNS_HASH_MIN	1024

/* Names are looked up by their canonical (lower case) wire form, as ldns
 * makes it: no text conversion on the query path. */
struct dns_wname {
	uint8_t b[DSTMD_DNS_NAME_MAX];
	uint16_t len;
};

/* A host's answer as ldns wrote it (canonical name, ID 0, no RD/CD, no
 * OPT), for a query to copy and patch (dns_answer.c, fast path). */
struct dns_wcache {
	uint16_t len, ttl_off;
	uint8_t b[];
};

enum { DNS_WC_A, DNS_WC_AAAA, DNS_WC_N };

struct dns_host {
	struct dns_host *nnext, *dnext;	/* by name, by DUID */
	/* Checked against the address at each use (the rdata is the last
	 * bytes): a changed registration or lease rebuilds it. */
	struct dns_wcache *wc[DNS_WC_N];
	char name[DSTMD_DNS_NAME_MAX];	/* lower case, absolute */
	struct dns_wname wire;
	uint8_t duid[D6_DUID_MAX];
	uint16_t duid_len;
	struct in6_addr ipv6;
	uint8_t key[16];		/* the Reconfigure Key */
	bool has_key;
};

/* An empty non-terminal: a name above some host's, below the apex. */
struct dns_ent {
	struct dns_ent *next;
	unsigned int refs;
	struct dns_wname wire;
};

/* A query held until its host has a lease (or the wait is over). */
struct dns_held {
	struct dns_held *next;
	struct dns_from from;
	size_t qlen;
	uint8_t q[];
};

struct dns_pending {
	struct dns_pending *next;
	uint8_t duid[D6_DUID_MAX];
	uint16_t duid_len;
	char name[DSTMD_DNS_NAME_MAX];
	int64_t start_ms, deadline_ms, next_tx_ms;
	uint32_t rt_ms;
	unsigned int tx;
	bool heard;			/* its Information-request came */
	struct dns_held *held;
};

struct dns_tcp;

struct dns_rl {
	uint8_t key[8];			/* IPv4 /32 or IPv6 /64 */
	double tokens;
	int64_t last_ms;
};

struct dns {
	struct dstmd *d;
	const struct dstmd_dns_config *cfg;
	int udp, tcp, dhcp_fd;
	bool nosock;
	bool no_cache;			/* tests: every answer the long way */
	/* hosts */
	struct dns_host **by_name, **by_duid;
	struct dns_ent **ents;
	size_t hash_size, n_hosts;
	uint32_t serial;
	ldns_rdf *zone;			/* canonical */
	uint8_t zone_labels;
	struct dns_wname ns_wire[DSTMD_DNS_MAX_NS];
	/* on-demand */
	struct dns_pending *pending;
	unsigned int n_pending, n_held;
	struct dns_rl *rl;
	/* TCP */
	struct dns_tcp **conns;
	unsigned int n_conns;
	uint64_t next_conn;
};

static inline struct dns *dns_of(struct dstmd *d)
{
	return d->dns;
}

int64_t dns_now_ms(void);	/* monotonic */
int64_t dns_real_ms(void);	/* wall clock, for lease times */

/* dns_hosts.c */
int dns_hosts_init(struct dns *dns);
void dns_hosts_free(struct dns *dns);
/* Text name -> canonical wire form; false if ldns will not have it. */
bool dns_wname(const char *name, struct dns_wname *w);
struct dns_host *dns_host_by_name(struct dns *dns, const uint8_t *wire,
				  size_t len);
struct dns_host *dns_host_by_duid(struct dns *dns, const uint8_t *duid,
				  size_t len);
bool dns_is_ent(struct dns *dns, const uint8_t *wire, size_t len);
/* The name a client's FQDN option gives, in our zone; false if none. */
bool dns_host_name(const struct dns *dns, const char *fqdn, bool partial,
		   char *out, size_t outlen);

/* dns_answer.c: may_hold false: never start or join an allocation (the
 * answer to a held query, once its wait is over). */
size_t dns_answer(struct dns *dns, const struct dns_from *from,
		  const uint8_t *q, size_t qlen, bool may_hold, uint8_t *out,
		  size_t cap);

/* ondemand.c */
/* true: the query is held (answered later); false: answer without A. */
bool ondemand_hold(struct dns *dns, const struct dns_host *h,
		   const struct dns_from *from, const uint8_t *q, size_t qlen);
void ondemand_timers(struct dns *dns);
int64_t ondemand_next_ms(struct dns *dns);
void ondemand_check_bound(struct dns *dns);
void ondemand_heard(struct dns *dns, const uint8_t *duid, size_t len);
void ondemand_free(struct dns *dns);

/* dns.c: send an answer to a (held) query's querier. */
void dns_send(struct dns *dns, const struct dns_from *from,
	      const uint8_t *buf, size_t len);

#endif
