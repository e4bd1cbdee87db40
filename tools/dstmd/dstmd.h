/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dstmd: the DSTM server.  Shared types.
 *
 * One thread, one event loop (server.c).  A batch of received datagrams is
 * handled inside one store transaction (proto.c -> lease.c), the
 * transaction is committed, the TEP is programmed (tep.c), and only then
 * do the answers leave: every lease a client hears about is on disk.
 */
#ifndef DSTMD_H
#define DSTMD_H

#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>

#include "dhcp6.h"

#define DSTMD_CONF_DEFAULT	"/etc/dstm/dstmd.conf"
#define DSTMD_DB_DEFAULT	"/var/lib/dstm/leases.db"
#define DSTMD_MAX_KEY		(D6_DUID_MAX + 1 + 255)	/* DUID | 0 | client id */
#define DSTMD_MAX_SLOTS		(1u << 24)

struct dstmd_range {
	uint32_t lo, hi;		/* host order, inclusive */
	unsigned int line;
};

struct dstmd_pool {
	char name[32];
	unsigned int line;		/* of its [pool NAME] header */
	struct dstmd_range *ranges;
	unsigned int n_ranges;
	uint32_t n_addrs;
	uint8_t psid_offset, psid_len;
	uint32_t lease_time, t1, t2;
	struct in6_addr tep;
	bool has_tep;
	char tep_dev[IF_NAMESIZE];	/* "" = do not program a TEP */
	struct in6_addr clients;	/* serve only sources in this prefix */
	uint8_t clients_len;		/* 0 = everyone */
	struct in_addr mask;		/* option 1, 255.255.255.255 default */
	int auth;			/* -1 = [auth] require, 0, 1 */
	/* runtime (pool.c) */
	struct dstmd_lease **slots;	/* n_addrs << psid_len */
	uint32_t n_slots, cursor, n_used;
};

struct dstmd_key {
	char name[65];
	uint8_t secret[64];
	size_t len;
	unsigned int line;
	/* replay detection (RDM 0), persisted in the store */
	bool have_replay;
	uint64_t replay;
};

enum { DSTMD_LOG_AUTO = -1, DSTMD_LOG_STDERR, DSTMD_LOG_SYSLOG };

#define DSTMD_DNS_NAME_MAX	256	/* text, absolute, with the final dot */
#define DSTMD_DNS_MAX_NS	16
#define DSTMD_DNS_MAX_NS_ADDR	4

/* A name server of the zone: its NS record, and its A/AAAA records when
 * the name is inside the zone (glue). */
struct dstmd_dns_ns {
	char name[DSTMD_DNS_NAME_MAX];	/* lower case, absolute */
	struct in6_addr a6[DSTMD_DNS_MAX_NS_ADDR];
	struct in_addr a4[DSTMD_DNS_MAX_NS_ADDR];
	unsigned int n_a6, n_a4;
};

/* [dns]: the DNS extension (dns*.c, ondemand.c).  enabled = the section
 * is there; without it no DNS socket is opened. */
struct dstmd_dns_config {
	bool enabled;
	unsigned int line;
	char zone[DSTMD_DNS_NAME_MAX];	/* lower case, absolute: "dstm.test." */
	char listen[INET6_ADDRSTRLEN + IF_NAMESIZE];
	uint16_t port;
	uint32_t ttl;			/* AAAA, SOA, NS, glue; A: <= the lease */
	uint32_t negative_ttl;		/* SOA minimum: NXDOMAIN/NODATA caching */
	struct dstmd_dns_ns ns[DSTMD_DNS_MAX_NS];
	unsigned int n_ns;
	char hostmaster[DSTMD_DNS_NAME_MAX];	/* SOA RNAME */
	uint16_t edns_size;		/* the UDP payload size we offer */
	bool on_demand;
	uint32_t wait_ms;		/* on-demand-wait */
	uint32_t rate, burst;		/* allocations/s per querier, 0 = off */
	uint32_t max_pending;		/* reservations waiting for their host */
	uint32_t max_held;		/* queries held for them, in all */
	uint32_t max_tcp;		/* TCP connections */
	uint32_t tcp_idle_ms;
};

struct dstmd_config {
	char path[PATH_MAX];
	char listen[INET6_ADDRSTRLEN + IF_NAMESIZE];
	uint16_t port;
	char lease_db[PATH_MAX];
	bool sync_full;
	int log;
	struct in_addr server_id4;
	uint8_t duid[D6_DUID_MAX];
	uint16_t duid_len;		/* 0 = generated, kept in the store */
	struct in6_addr servers4o6[D6_MAX_4O6_SERVERS];
	unsigned int n_servers4o6;
	uint32_t offer_time, decline_time, reconcile_interval;
	uint32_t rate, burst;		/* per-client packets/s, 0 = off */
	bool reconfigure;		/* hand out Reconfigure Keys */
	struct dstmd_pool *pools;
	unsigned int n_pools;
	bool auth_require;
	struct dstmd_key *keys;
	unsigned int n_keys;
	struct dstmd_dns_config dns;
};

/* config.c: 0, or -1 with "file:line: what" in err. */
int config_load(struct dstmd_config *c, const char *path, char *err,
		size_t errlen);
void config_free(struct dstmd_config *c);
void config_defaults(struct dstmd_config *c);
/* Helpers shared with the tests. */
bool parse_range4(const char *s, uint32_t *lo, uint32_t *hi, char *why,
		  size_t whylen);
bool parse_hex(const char *s, uint8_t *out, size_t max, size_t *len);
/* "2", "2s", "1500ms" -> ms (min..max ms). */
bool parse_duration_ms(const char *s, uint32_t min, uint32_t max,
		       uint32_t *ms);
/* A domain name -> lower case, absolute ("a.B" -> "a.b."); false if it is
 * not a valid name (labels of 1..63, 253 characters in all). */
bool dns_name_norm(const char *in, char *out, size_t outlen);

/* udp.c: answers of a recvmmsg batch out with sendmmsg. */
struct mmsghdr;
struct iovec;
struct sockaddr_in6;
/* Point m (cleared) at len bytes of buf for to, through iov. */
void udp_answer_prep(struct mmsghdr *m, struct sockaddr_in6 *to,
		     struct iovec *iov, void *buf, size_t len);
/*
 * Send the k messages of out; one that fails is skipped and logged
 * (rate-limited as log_reason, naming what).  Returns how many left.
 */
uint64_t udp_send_batch(int fd, struct mmsghdr *out, unsigned int k,
			int log_reason, const char *what);

/* log.c */
enum { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };
void log_open(int where, bool debug);
/* Tests and fuzzers: no output at all. */
void log_set_quiet(bool quiet);
void log_msg(int lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* At most one message per reason per second; the rest are counted. */
void log_limited(int reason, int lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define dbg(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* notify.c: systemd's NOTIFY_SOCKET protocol; no-op without it. */
void sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
