/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DNS extension (DESIGN.md, "DNS extension"): dstmd answers
 * authoritatively for its zone, on UDP and TCP, with ldns doing the wire
 * format.  The public face, for the event loop and the DHCP side:
 *
 *   dns.c        sockets, UDP batches, TCP connections, the send path
 *   dns_hosts.c  the registered hosts: FQDN -> DUID, IPv6, Reconfigure Key
 *   dns_answer.c one query in, the answer out (the fuzz target's path)
 *   ondemand.c   A query for a host with no lease: reserve, Reconfigure,
 *                hold the query, answer when the lease is bound or the
 *                wait is over
 *
 * What the zone says about a host is derived, at the moment of each
 * answer, from the lease table: there is no second copy of the leases to
 * fall out of step with them.
 */
#ifndef DSTMD_DNS_H
#define DSTMD_DNS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct dstmd;

/* Create d->dns (only with a [dns] section): sockets bound, hosts loaded
 * from the store.  dhcp_fd: the DHCPv6 socket, Reconfigures leave by it
 * (source port 547).  0, or -1 with err. */
int dns_open(struct dstmd *d, int dhcp_fd, char *err, size_t errlen);
/* Without sockets, for the tests and the fuzzer: UDP/TCP fds are -1. */
int dns_open_nosock(struct dstmd *d);
void dns_close(struct dstmd *d);

/* Event loop: the fds to poll (appended to pfd, at most max), then the
 * events on them; the next timer in ms (-1: none) and the timers. */
unsigned int dns_pollfds(struct dstmd *d, struct pollfd *pfd,
			 unsigned int max);
void dns_events(struct dstmd *d, const struct pollfd *pfd, unsigned int n);
int dns_timeout_ms(struct dstmd *d);
void dns_timers(struct dstmd *d);
/* After a DHCP batch is committed and answered: held queries whose host
 * now has its lease are answered. */
void dns_after_batch(struct dstmd *d);

/* From the DHCP side (proto.c): an Information-request of a client.
 * fqdn NULL: none.  key NULL: no Reconfigure Key. */
void dns_host_seen(struct dstmd *d, const uint8_t *duid, size_t duid_len,
		   const struct in6_addr *ipv6, const char *fqdn,
		   bool partial, const uint8_t *key);
/* True when the registered hosts already hold exactly this (DUID, IPv6,
 * name, Reconfigure Key): the store's row of the client is up to date. */
bool dns_host_same(struct dstmd *d, const uint8_t *duid, size_t duid_len,
		   const struct in6_addr *ipv6, const char *fqdn,
		   bool partial, const uint8_t *key);
/* The FQDN flags proto.c answers with: S when we serve the name. */
bool dns_serves(struct dstmd *d, const char *fqdn, bool partial);

/* One query (wire format) from a querier: the answer's length in out, or
 * 0 when there is none now (dropped, or held for an on-demand
 * allocation: it will be answered later through the socket). */
struct dns_from {
	struct sockaddr_in6 sa;		/* the querier (IPv4: v4-mapped) */
	struct in6_addr dst;		/* the address it asked (UDP) */
	unsigned int ifindex;
	bool has_dst;
	bool tcp;
	uint64_t conn;			/* TCP: the connection's id */
};
size_t dns_query(struct dstmd *d, const struct dns_from *from,
		 const uint8_t *q, size_t qlen, uint8_t *out, size_t cap);

#endif
