// SPDX-License-Identifier: GPL-2.0
/*
 * dstmd-load: test client and load generator for the allocation protocol.
 *
 * Runs the full DHCPv4-over-DHCPv6 exchange (Information-request/Reply,
 * DISCOVER/OFFER, REQUEST/ACK, optionally renewal and RELEASE) for N
 * distinct clients over one UDP socket, at a controlled rate with a
 * bounded window of exchanges in flight, retransmitting on timeout.
 * Checks every answer (types, transaction ids, options 88 and 96/90,
 * yiaddr, lease time, server id, port parameters) and reports leases/s
 * and the exchange latency (p50/p99).  Works against dstmd and against
 * ISC Kea's dhcp4o6 pair (which answers on port 546: use -b 546).
 *
 *   dstmd-load [-s ADDR[%IFACE]] [-p PORT] [-b PORT] [-n N] [-r RATE] [-w WINDOW]
 *              [-t MS] [-R RETRIES] [--seed S] [--renew] [--release]
 *              [--expect-br ADDR] [--ack-log FILE] [--key NAME:HEX]
 *              [--fqdn] [--only-renew ADDR | --only-release ADDR]
 *              [--deadline S] [-v] [-j]
 *
 * --deadline S: stop after S seconds whatever is unfinished (counted as
 * failed), so that a server that stops answering cannot stall a bench for
 * N x RETRIES x MS / WINDOW.
 * --only-renew / --only-release: the clients (same identities for the same
 * --seed) only renew / release ADDR, as a host agent does later on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

enum { ST_IDLE, ST_INFO, ST_DISCOVER, ST_REQUEST, ST_RENEW, ST_DONE, ST_FAILED };

struct cl {
	struct d4o6_client c;
	uint8_t duid[14];
	uint8_t state, tries, naks;
	int64_t start_ns, sent_ns;
	int64_t lat_ns;
	uint32_t xid;
	struct in_addr offered, srvid, yiaddr;
	uint32_t lease;
	bool has_pp;
	uint8_t psid_len, psid_offset;
	uint16_t psid;
	char fqdn[64];
};

static struct {
	struct sockaddr_in6 srv;
	unsigned int n, window, retries;
	double rate;
	int timeout_ms;
	unsigned int deadline_s;	/* 0: none */
	uint32_t seed;
	bool renew, release, verbose, json, fqdn;
	struct in_addr only_addr;	/* --only-renew / --only-release */
	int only;			/* 0, ST_RENEW or ST_DONE (release) */
	struct in6_addr expect_br;
	bool has_expect_br;
	FILE *ack_log;
	const char *key_name;
	uint8_t key[64];
	size_t key_len;
} o;

static struct cl *cls;
static int fd;
static unsigned long n_bad, n_timeouts, n_nak, n_sent, n_rcvd;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void bad(struct cl *c, const char *why)
{
	n_bad++;
	fprintf(stderr, "dstmd-load: client %ld: %s\n", (long)(c - cls), why);
	c->state = ST_FAILED;
}

static void send_msg(struct cl *c)
{
	uint8_t buf[D4O6_MSG_MAX];
	struct d4_msg m;
	unsigned int idx = (unsigned int)(c - cls);
	int len = -1;

	/* One key shared by all clients: one increasing counter. */
	if (o.key_name) {
		static uint64_t replay;

		if (!replay)
			replay = (uint64_t)time(NULL) << 20;
		c->c.replay = replay++;
	}
	/* Transaction ids carry the client index (and differ per try). */
	c->xid = (idx & 0xfffff) | ((uint32_t)(c->tries & 0xf) << 20);
	switch (c->state) {
	case ST_INFO:
		len = d4o6_build_inforeq(&c->c, c->xid, buf, sizeof(buf));
		break;
	case ST_DISCOVER:
		d4o6_init_v4(&c->c, &m, D4_DISCOVER, c->xid);
		len = d4o6_build_query(&c->c, 0, &m, buf, sizeof(buf));
		break;
	case ST_REQUEST:
		d4o6_init_v4(&c->c, &m, D4_REQUEST, c->xid);
		m.has_reqip = m.has_srvid = true;
		m.reqip = c->offered;
		m.srvid = c->srvid;
		len = d4o6_build_query(&c->c, 0, &m, buf, sizeof(buf));
		break;
	case ST_RENEW:
		d4o6_init_v4(&c->c, &m, D4_REQUEST, c->xid);
		m.ciaddr = c->yiaddr;
		len = d4o6_build_query(&c->c, 0, &m, buf, sizeof(buf));
		break;
	}
	if (len < 0) {
		bad(c, "cannot build a message");
		return;
	}
	if (sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&o.srv,
		   sizeof(o.srv)) < 0 && errno != EAGAIN)
		perror("dstmd-load: sendto");
	c->sent_ns = now_ns();
	n_sent++;
}

static void send_release(struct cl *c)
{
	uint8_t buf[D4O6_MSG_MAX];
	struct d4_msg m;
	int len;

	d4o6_init_v4(&c->c, &m, D4_RELEASE, c->xid + 1);
	m.ciaddr = c->yiaddr;
	m.has_srvid = true;
	m.srvid = c->srvid;
	len = d4o6_build_query(&c->c, 0, &m, buf, sizeof(buf));
	if (len > 0)
		sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&o.srv,
		       sizeof(o.srv));
}

static void acked(struct cl *c, const struct d4_msg *a)
{
	char s4[INET_ADDRSTRLEN];

	c->yiaddr = a->yiaddr;
	c->lease = a->lease;
	c->has_pp = a->has_portparams;
	c->psid = a->psid;
	c->psid_len = a->psid_len;
	c->psid_offset = a->psid_offset;
	inet_ntop(AF_INET, &a->yiaddr, s4, sizeof(s4));
	if (o.ack_log) {
		char hex[64];
		size_t i;

		for (i = 0; i < sizeof(c->duid); i++)
			sprintf(hex + 2 * i, "%02x", c->duid[i]);
		fprintf(o.ack_log, "%s %u %s %u\n", s4, c->has_pp ? c->psid : 0,
			hex, c->lease);
		fflush(o.ack_log);
	}
	if (o.verbose)
		printf("client %ld: %s psid %u/%u offset %u lease %u\n",
		       (long)(c - cls), s4, c->psid, c->psid_len,
		       c->psid_offset, c->lease);
}

static void on_reply(struct cl *c, const struct d6_msg *m)
{
	char a[INET6_ADDRSTRLEN];

	if (!m->has_serverid)
		return bad(c, "Reply without a server id");
	if (!m->has_4o6_servers)
		return bad(c, "Reply without option 88 (DHCP4o6 servers)");
	if (!m->has_s46_lw || !m->has_br)
		return bad(c, "Reply without option 96 holding 90 (the TEP)");
	if (o.has_expect_br && memcmp(&m->br, &o.expect_br, 16)) {
		inet_ntop(AF_INET6, &m->br, a, sizeof(a));
		fprintf(stderr, "dstmd-load: BR %s\n", a);
		return bad(c, "Reply names another TEP");
	}
	if (o.verbose && c == cls) {
		inet_ntop(AF_INET6, &m->br, a, sizeof(a));
		printf("client 0: reply: br %s, %u dhcp4o6 servers\n", a,
		       m->n_servers4o6);
	}
	c->state = ST_DISCOVER;
	c->tries = 0;
	send_msg(c);
}

static void on_v4(struct cl *c, const struct d4_msg *a)
{
	switch (c->state) {
	case ST_DISCOVER:
		if (a->type != D4_OFFER)
			return bad(c, "answer to DISCOVER is no OFFER");
		if (!a->yiaddr.s_addr || !a->has_srvid || !a->has_lease)
			return bad(c, "OFFER without yiaddr, server id or lease time");
		c->offered = a->yiaddr;
		c->srvid = a->srvid;
		c->state = ST_REQUEST;
		c->tries = 0;
		send_msg(c);
		return;
	case ST_REQUEST:
	case ST_RENEW:
		if (a->type == D4_NAK) {
			/* RFC 2131 4.4: back to INIT, a few times at most
			 * (e.g. our offer went to another client while the
			 * server restarted). */
			n_nak++;
			if (++c->naks > 3)
				return bad(c, "NAK after NAK");
			c->state = ST_DISCOVER;
			c->tries = 0;
			send_msg(c);
			return;
		}
		if (a->type != D4_ACK)
			return bad(c, "answer to REQUEST is no ACK");
		if (a->yiaddr.s_addr != (c->state == ST_REQUEST ?
					 c->offered.s_addr : c->yiaddr.s_addr))
			return bad(c, "ACK for another address");
		if (!a->has_lease || !a->lease)
			return bad(c, "ACK without a lease time");
		if (a->has_t1 && a->has_t2 &&
		    (a->t1 > a->t2 || a->t2 > a->lease))
			return bad(c, "ACK with T1 > T2 or T2 > lease");
		acked(c, a);
		if (c->state == ST_REQUEST && o.renew) {
			c->state = ST_RENEW;
			c->tries = 0;
			send_msg(c);
			return;
		}
		c->lat_ns = now_ns() - c->start_ns;
		c->state = ST_DONE;
		if (o.release)
			send_release(c);
		return;
	}
}

static void receive(void)
{
	uint8_t buf[4096];
	struct d6_msg m;
	struct d4_msg a;
	struct cl *c;
	ssize_t n;
	uint32_t idx;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		n_rcvd++;
		if (d6_parse(buf, (size_t)n, &m) < 0) {
			n_bad++;
			continue;
		}
		if (m.type == D6_REPLY) {
			idx = m.xid & 0xfffff;
			if (idx >= o.n || cls[idx].state != ST_INFO ||
			    m.xid != cls[idx].xid)
				continue;	/* late duplicate */
			on_reply(&cls[idx], &m);
		} else if (m.type == D6_DHCPV4_RESPONSE) {
			if (d4o6_parse_response(buf, (size_t)n, &m, &a) < 0) {
				n_bad++;
				continue;
			}
			idx = a.xid & 0xfffff;
			if (idx >= o.n)
				continue;
			c = &cls[idx];
			if (a.xid != c->xid || (c->state != ST_DISCOVER &&
						c->state != ST_REQUEST &&
						c->state != ST_RENEW))
				continue;
			on_v4(c, &a);
		}
	}
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static bool parse_key(const char *s)
{
	const char *colon = strchr(s, ':');
	static char name[65];
	size_t i, n;

	if (!colon || colon - s > 64 || colon == s)
		return false;
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = '\0';
	n = strlen(colon + 1);
	if (n % 2 || n / 2 > sizeof(o.key) || n / 2 < 16)
		return false;
	for (i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(colon + 1 + 2 * i, "%2x", &v) != 1)
			return false;
		o.key[i] = (uint8_t)v;
	}
	o.key_len = n / 2;
	o.key_name = name;
	return true;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: dstmd-load [-s ADDR] [-p PORT] [-b PORT] [-n N] [-r RATE]\n"
		"                  [-w WINDOW] [-t MS] [-R RETRIES] [--seed S] [--renew]\n"
		"                  [--release] [--expect-br ADDR] [--ack-log FILE]\n"
		"                  [--key NAME:HEX] [--fqdn] [--only-renew ADDR]\n"
		"                  [--only-release ADDR] [--deadline S] [-v] [-j]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "renew", no_argument, NULL, 'N' },
		{ "release", no_argument, NULL, 'L' },
		{ "expect-br", required_argument, NULL, 'B' },
		{ "ack-log", required_argument, NULL, 'A' },
		{ "key", required_argument, NULL, 'K' },
		{ "fqdn", no_argument, NULL, 'F' },
		{ "only-renew", required_argument, NULL, 'O' },
		{ "only-release", required_argument, NULL, 'E' },
		{ "deadline", required_argument, NULL, 'D' },
		{ 0 }
	};
	struct sockaddr_in6 local = { .sin6_family = AF_INET6 };
	const char *server = "::1";
	unsigned int port = 547, bport = 0, started = 0, done = 0, nfl = 0, *fl;
	unsigned int i, failed = 0;
	int64_t t0, t_end, *lat;
	int opt;

	o.n = 100;
	o.window = 64;
	o.timeout_ms = 1000;
	o.retries = 3;
	while ((opt = getopt_long(argc, argv, "s:p:b:n:r:w:t:R:vj", opts, NULL)) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'p': port = (unsigned int)atoi(optarg); break;
		case 'b': bport = (unsigned int)atoi(optarg); break;
		case 'n': o.n = (unsigned int)atoi(optarg); break;
		case 'r': o.rate = atof(optarg); break;
		case 'w': o.window = (unsigned int)atoi(optarg); break;
		case 't': o.timeout_ms = atoi(optarg); break;
		case 'R': o.retries = (unsigned int)atoi(optarg); break;
		case 'S': o.seed = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'N': o.renew = true; break;
		case 'L': o.release = true; break;
		case 'F': o.fqdn = true; break;
		case 'v': o.verbose = true; break;
		case 'j': o.json = true; break;
		case 'B':
			if (inet_pton(AF_INET6, optarg, &o.expect_br) != 1)
				usage();
			o.has_expect_br = true;
			break;
		case 'A':
			o.ack_log = fopen(optarg, "a");
			if (!o.ack_log) {
				perror(optarg);
				return 2;
			}
			break;
		case 'K':
			if (!parse_key(optarg))
				usage();
			break;
		case 'O':
		case 'E':
			if (inet_pton(AF_INET, optarg, &o.only_addr) != 1)
				usage();
			o.only = opt == 'O' ? ST_RENEW : ST_DONE;
			break;
		case 'D': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > 86400) {
				fprintf(stderr, "dstmd-load: bad --deadline '%s' (1..86400 s)\n",
					optarg);
				exit(2);
			}
			o.deadline_s = (unsigned int)v;
			break;
		}
		default:
			usage();
		}
	}
	if (!o.n || o.n > 0xfffff || !o.window || o.timeout_ms <= 0 ||
	    !port || port > 65535 || bport > 65535)
		usage();
	{
		/* ADDR or ADDR%IFACE (ff02::1:2%eth0: the multicast group) */
		struct addrinfo hints = { .ai_family = AF_INET6,
					  .ai_flags = AI_NUMERICHOST }, *ai;

		if (getaddrinfo(server, NULL, &hints, &ai) || !ai)
			usage();
		memcpy(&o.srv, ai->ai_addr, sizeof(o.srv));
		freeaddrinfo(ai);
		o.srv.sin6_port = htons((uint16_t)port);
	}
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	local.sin6_port = htons((uint16_t)bport);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local))) {
		perror("dstmd-load: socket");
		return 2;
	}
	{
		int sz = 4 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	cls = calloc(o.n, sizeof(*cls));
	lat = calloc(o.n, sizeof(*lat));
	if (!cls || !lat)
		return 2;
	for (i = 0; i < o.n; i++) {
		struct cl *c = &cls[i];

		/* DUID-EN, enterprise 0xab11 (test), id = seed, index. */
		uint8_t d[14] = { 0, 2, 0, 0, 0xab, 0x11,
				  (uint8_t)(o.seed >> 24), (uint8_t)(o.seed >> 16),
				  (uint8_t)(o.seed >> 8), (uint8_t)o.seed,
				  (uint8_t)(i >> 24), (uint8_t)(i >> 16),
				  (uint8_t)(i >> 8), (uint8_t)i };

		memcpy(c->duid, d, sizeof(d));
		d4o6_client_init(&c->c, d, sizeof(d), 1);
		if (o.fqdn) {
			snprintf(c->fqdn, sizeof(c->fqdn), "h%u-%u.dstm.test.", o.seed, i);
			c->c.fqdn = c->fqdn;
		}
		if (o.key_name) {
			c->c.key_name = o.key_name;
			c->c.key = o.key;
			c->c.key_len = o.key_len;
			/* Clients share the key: one counter for all. */
		}
	}
	if (o.only == ST_DONE) {	/* RELEASE an address, no answer */
		for (i = 0; i < o.n; i++) {
			cls[i].yiaddr = o.only_addr;
			cls[i].srvid.s_addr = htonl(0xc0000001);
			send_release(&cls[i]);
		}
		return 0;
	}
	/* The exchanges in flight: only they are scanned for timeouts. */
	fl = calloc(o.window, sizeof(*fl));
	if (!fl)
		return 2;
	t0 = now_ns();
	while (done < o.n) {
		int64_t now = now_ns(), next = now + 100000000;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		unsigned int k;

		if (o.deadline_s && now - t0 > (int64_t)o.deadline_s * 1000000000) {
			fprintf(stderr, "dstmd-load: deadline of %u s reached: %u of %u exchanges unfinished\n",
				o.deadline_s, o.n - done, o.n);
			break;
		}
		/* Start exchanges on schedule, within the window. */
		while (started < o.n && nfl < o.window) {
			int64_t due = o.rate > 0 ? t0 + (int64_t)(started * 1e9 / o.rate) : now;
			struct cl *c = &cls[started];

			if (due > now) {
				if (due < next)
					next = due;
				break;
			}
			c->state = ST_INFO;
			if (o.only == ST_RENEW) {
				c->state = ST_RENEW;
				c->yiaddr = o.only_addr;
			}
			c->start_ns = now;
			send_msg(c);
			fl[nfl++] = started++;
		}
		/* Timeouts. */
		for (k = 0; k < nfl; k++) {
			struct cl *c = &cls[fl[k]];
			int64_t dl;

			if (c->state == ST_DONE || c->state == ST_FAILED)
				continue;
			dl = c->sent_ns + (int64_t)o.timeout_ms * 1000000;
			if (dl <= now) {
				if (++c->tries > o.retries) {
					n_timeouts++;
					bad(c, "no answer");
				} else {
					send_msg(c);
					dl = c->sent_ns + (int64_t)o.timeout_ms * 1000000;
				}
			}
			if (c->state != ST_FAILED && dl < next)
				next = dl;
		}
		now = now_ns();
		if (next > now) {
			struct timespec ts = { .tv_sec = (next - now) / 1000000000,
					       .tv_nsec = (next - now) % 1000000000 };

			if (ppoll(&p, 1, &ts, NULL) > 0)
				receive();
		} else {
			receive();
		}
		/* Retire the finished ones. */
		for (k = 0; k < nfl;) {
			uint8_t st = cls[fl[k]].state;

			if (st == ST_DONE || st == ST_FAILED) {
				fl[k] = fl[--nfl];
				done++;
			} else {
				k++;
			}
		}
	}
	free(fl);
	t_end = now_ns();
	{
		size_t k = 0;
		double secs = (double)(t_end - t0) / 1e9;

		for (i = 0; i < o.n; i++) {
			if (cls[i].state == ST_DONE)
				lat[k++] = cls[i].lat_ns;
			else
				failed++;
		}
		qsort(lat, k, sizeof(*lat), cmp64);
		double p50 = k ? (double)lat[(k - 1) / 2] / 1e6 : 0;
		double p99 = k ? (double)lat[(size_t)ceil((double)k * 0.99) - 1] / 1e6 : 0;
		double rate = secs > 0 ? (double)k / secs : 0;

		if (o.json)
			printf("{\"clients\":%u,\"leases\":%zu,\"failed\":%u,\"seconds\":%.3f,"
			       "\"leases_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
			       "\"naks\":%lu,\"timeouts\":%lu,\"bad\":%lu,\"sent\":%lu,\"received\":%lu}\n",
			       o.n, k, failed, secs, rate, p50, p99, n_nak, n_timeouts,
			       n_bad, n_sent, n_rcvd);
		else
			printf("%zu leases in %.3f s: %.1f leases/s, p50 %.3f ms, p99 %.3f ms"
			       " (%u failed, %lu NAKs, %lu timeouts, %lu bad answers)\n",
			       k, secs, rate, p50, p99, failed, n_nak, n_timeouts, n_bad);
	}
	if (o.ack_log)
		fclose(o.ack_log);
	return failed || n_bad ? 1 : 0;
}
