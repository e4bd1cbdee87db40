/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dstmctl client: the DSTM host agent (see Documentation/man/dstmctl.8,
 * "CLIENT").  One agent drives one client-mode dstm device:
 *
 *   client.c        arguments, the event loop, the lease state machine
 *   client_dhcp.c   the DHCPv6/DHCP4o6 socket, messages, retransmission
 *   client_net.c    (de)configuring the host: device, address, routes,
 *                   port set (ip_local_port_range / nftables SNAT)
 *   client_dns.c    the optional DNS trigger (a forwarding stub resolver)
 *   client_state.c  the state file (DUID, replay counter, Reconfigure Key)
 */
#ifndef DSTMCTL_AGENT_H
#define DSTMCTL_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "client.h"		/* tools/proto: the protocol's client side */
#include "dstmctl.h"

#define AG_MAX_ROUTES	8
#define AG_MAX_KEY	64

struct ag_route {
	struct in_addr dst;
	uint8_t len;
};

/* What the command line says. */
struct ag_opts {
	const char *dev;
	bool has_server;
	struct in6_addr server;		/* unicast to it, else multicast */
	const char *iface;		/* toward the server (multicast) */
	bool has_local;
	struct in6_addr local;		/* our IPv6 address (tunnel, DHCP) */
	const char *key_name;
	uint8_t key[AG_MAX_KEY];
	size_t key_len;
	const char *fqdn;
	const char *state_file;
	unsigned int idle;		/* s without IPv4 traffic: release */
	unsigned int timeout;		/* s: bound on one acquisition */
	unsigned int retransmit;	/* ms: first retransmission timeout */
	struct ag_route routes[AG_MAX_ROUTES];
	unsigned int n_routes;
	bool now;			/* acquire at start, not on demand */
	/* DNS trigger */
	bool dns;
	struct sockaddr_storage dns_listen;
	bool has_upstream;
	struct sockaddr_storage dns_upstream;
	unsigned int dns_hold;		/* ms an A answer may wait */
};

/* A lease as acked, with what the Reply said. */
struct ag_lease {
	struct in_addr addr, srvid;
	uint32_t lease, t1, t2;		/* s */
	bool has_pp;
	uint8_t psid_offset, psid_len;
	uint16_t psid;
	struct in6_addr tep;
	int64_t start;			/* ms, monotonic: when requested */
};

enum ag_tx {
	TX_NONE,
	TX_INFO,	/* Information-request */
	TX_DISCOVER,
	TX_REQUEST,	/* SELECTING */
	TX_RENEW,	/* T1..T2, unicast */
	TX_REBIND,	/* T2..expiry */
};

struct ag_dns;

struct agent {
	struct ctx *ctx;
	struct ag_opts o;
	uint32_t ifindex;		/* of the dstm device */
	struct dstm_sock *req;		/* requests */
	struct dstm_sock *ev;		/* ADDR_NEEDED events */
	struct nl_sock *rt;		/* rtnetlink (libnl-route) */
	int udp;			/* [::]:546 */
	int sigfd;
	bool stop;

	/* identity and protocol state */
	struct d4o6_client c;
	uint8_t duid[D6_DUID_MAX];
	size_t duid_len;
	uint64_t replay_ceiling;	/* counters below it are reserved */
	bool has_rkey;
	uint8_t rkey[D6_RECONF_KEY_LEN];	/* Reconfigure Key */
	bool has_srv_replay;
	uint64_t srv_replay;		/* last replay value from the server */
	struct in_addr last_addr;	/* hint for the next DISCOVER */

	/* where messages go */
	uint32_t mc_ifindex;		/* interface for ff02::1:2 */
	struct in6_addr src;		/* our address, the tunnel's local */
	struct in6_addr v4dst;		/* DHCPV4-QUERY destination */
	bool v4dst_mc;

	/* the transaction in progress (RFC 8415 section 15) */
	enum ag_tx tx;
	uint32_t xid;			/* Information-request / DHCPv4 xid */
	int64_t tx_start, tx_next, tx_end, rt_ms, irt, mrt;
	unsigned int tx_count, mrc;
	int64_t acq_start, acq_end;	/* the whole acquisition */
	const char *acq_why;		/* what triggered it */
	struct in_addr offered, offer_srvid;
	struct in6_addr reply_tep;
	unsigned int naks;

	/* the lease in place */
	bool bound;
	struct ag_lease l;
	int64_t t1_at, t2_at, exp_at;
	int64_t cfg_ms;			/* how long putting it in place took */

	/* idle release */
	uint64_t last_pkts;
	int64_t last_activity, idle_next;

	/* what client_net.c changed, to undo it */
	bool port_range_saved;
	char port_range_old[64];
	bool nft_table;
	bool lo_addr;			/* we put the DNS address on lo */
	unsigned int demand_routes;	/* routes installed for on demand */

	struct ag_dns *dns;
	struct json j;
};

/* client.c */
int64_t ag_now(void);
void ag_log(struct agent *ag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One JSON event line on stdout when -j (fields: "key=value" strings). */
void ag_event(struct agent *ag, const char *event, ...);
/* Start an acquisition unless one is running or a lease is bound. */
void ag_demand(struct agent *ag, const char *why);
/* From client_dhcp.c: an ACK, a NAK, an acquisition that gave up, an
 * authentic Reconfigure. */
void ag_ack(struct agent *ag, const struct ag_lease *l);
void ag_nak(struct agent *ag, const char *msg);
void ag_acq_failed(struct agent *ag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ag_reconfigure(struct agent *ag, uint8_t msg_type);

/* client_dhcp.c */
int dhcp_open(struct agent *ag);
void dhcp_start(struct agent *ag, enum ag_tx tx);
void dhcp_stop(struct agent *ag);
/* Called at tx_next: retransmit or give up. */
void dhcp_timeout(struct agent *ag);
void dhcp_receive(struct agent *ag);
void dhcp_release(struct agent *ag);
const char *dhcp_tx_name(enum ag_tx tx);

/* client_net.c */
int net_open(struct agent *ag);
void net_close(struct agent *ag);
/* Device up, client mode checked, on-demand routes. */
int net_setup(struct agent *ag);
/* Everything set up above and by configure is undone. */
void net_teardown(struct agent *ag);
/* Lease l in place (old: the lease now in place, or NULL). */
int net_configure(struct agent *ag, const struct ag_lease *old,
		  const struct ag_lease *l);
/* Lease gone: device address 0, interface address, routes, port set. */
void net_deconfigure(struct agent *ag, const struct ag_lease *l);
/* Add (0, or 1 if it was there) or remove a /32 of host scope on lo. */
int net_loopback(struct agent *ag, struct in_addr a, bool add);
/* IPv4 packets through the device so far (tx + rx), or -1. */
int64_t net_packets(struct agent *ag);

/* client_ct.c: delete the conntrack entries whose replies go to addr. */
int net_ct_forget(struct agent *ag, struct in_addr addr);

/* client_state.c */
int state_load(struct agent *ag);
int state_save(struct agent *ag);
/* Reserve replay counter values before using them (persisted). */
int state_replay_reserve(struct agent *ag);

/* client_dns.c */
int dns_open(struct agent *ag);
void dns_close(struct agent *ag);
int dns_fds(struct agent *ag, int *fds, int max);
void dns_input(struct agent *ag, int fd);
/* Earliest deadline (ms) of answers held, or 0. */
int64_t dns_next(struct agent *ag);
void dns_tick(struct agent *ag);
/* The lease came or the acquisition failed: let held answers go. */
void dns_release_held(struct agent *ag);

#endif /* DSTMCTL_AGENT_H */
