// SPDX-License-Identifier: GPL-2.0
/*
 * dstmctl client: the allocation protocol on the wire (DESIGN.md,
 * "Allocation protocol").  One UDP socket on port 546 sends
 *
 *   Information-request (TEP = OPTION_S46_BR in OPTION_S46_CONT_LW, the
 *   DHCP4o6 servers = option 88, a Reconfigure Key), then DHCPV4-QUERY
 *   around DISCOVER, REQUEST (selecting), REQUEST with ciaddr (renewing:
 *   unicast flag; rebinding) and RELEASE,
 *
 * from our IPv6 address (the one the tunnel uses: the server maps the
 * lease to the source of our messages), to the configured server, or else
 * to All_DHCP_Relay_Agents_and_Servers (ff02::1:2) on the interface toward
 * the server; DHCPV4-QUERY goes to the option 88 addresses when the Reply
 * named some (RFC 7341 section 5).  It also receives the server's
 * Reconfigure, which must carry the HMAC of the Reconfigure Key.
 *
 * Retransmission follows RFC 8415 section 15 for every message (they all
 * travel as DHCPv6): RT = IRT + RAND*IRT, then 2*RT + RAND*RT, capped at
 * MRT + RAND*MRT, RAND uniform in [-0.1, 0.1]; a transaction ends at its
 * MRD (the acquisition's "timeout", T2 for renewing, the lease's end for
 * rebinding) or after MRC tries (REQUEST: 4, then back to DISCOVER, as RFC
 * 2131 section 3.1 does).  The DHCPv4 MRT is RFC 2131's 64 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#define INF_MAX_RT	3600000	/* ms, RFC 8415 7.6 */
#define V4_MAX_RT	64000	/* ms, RFC 2131 4.1 */
#define REQ_MAX_RC	4

static const struct in6_addr all_dhcp = {
	{ { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2 } }
};

const char *dhcp_tx_name(enum ag_tx tx)
{
	switch (tx) {
	case TX_INFO: return "Information-request";
	case TX_DISCOVER: return "DISCOVER";
	case TX_REQUEST: return "REQUEST";
	case TX_RENEW: return "REQUEST (renewing)";
	case TX_REBIND: return "REQUEST (rebinding)";
	default: return "nothing";
	}
}

static const char *ip6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static const char *ip4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* RAND * rt, RAND uniform in [-0.1, 0.1]. */
static int64_t jitter(int64_t rt)
{
	return (int64_t)((double)rt * ((double)random() / RAND_MAX * 0.2 - 0.1));
}

int dhcp_open(struct agent *ag)
{
	struct sockaddr_in6 sa = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(DHCP6_CLIENT_PORT),
	};
	int one = 1, fd;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		ag_log(ag, "binding UDP port %u: %s", DHCP6_CLIENT_PORT,
		       strerror(-err));
		close(fd);
		return err;
	}
	ag->udp = fd;
	return 0;
}

/* The interface of the IPv6 default route (for ff02::1:2). */
static unsigned int default_iface(void)
{
	char line[256], dev[IF_NAMESIZE + 1];
	unsigned int idx = 0;
	char dst[33], len[3];
	FILE *f = fopen("/proc/net/ipv6_route", "re");

	while (f && !idx && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%32s %2s %*s %*s %*s %*s %*s %*s %*s %16s",
			   dst, len, dev) != 3)
			continue;
		if (!strcmp(dst, "00000000000000000000000000000000") &&
		    !strcmp(len, "00") && strcmp(dev, "lo"))
			idx = if_nametoindex(dev);
	}
	if (f)
		fclose(f);
	return idx;
}

/* A global address of interface idx. */
static bool iface_global(unsigned int idx, struct in6_addr *out)
{
	struct ifaddrs *ifa, *i;
	char name[IF_NAMESIZE];
	bool found = false;

	if (!if_indextoname(idx, name) || getifaddrs(&ifa))
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		const struct in6_addr *a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 ||
		    strcmp(i->ifa_name, name))
			continue;
		a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a) ||
		    IN6_IS_ADDR_MULTICAST(a))
			continue;
		*out = *a;
		found = true;
	}
	freeifaddrs(ifa);
	return found;
}

/* Our address toward dst: what the kernel would pick. */
static bool route_source(const struct in6_addr *dst, struct in6_addr *out)
{
	struct sockaddr_in6 sa = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(DHCP6_SERVER_PORT),
		.sin6_addr = *dst,
	};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	     !getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	if (ok)
		*out = sa.sin6_addr;
	return ok;
}

/*
 * Where the messages go and where they come from; looked up again for
 * every acquisition (addresses come and go).
 */
static bool resolve_path(struct agent *ag)
{
	char s[INET6_ADDRSTRLEN];

	ag->mc_ifindex = 0;
	if (ag->o.iface) {
		ag->mc_ifindex = if_nametoindex(ag->o.iface);
		if (!ag->mc_ifindex) {
			ag_acq_failed(ag, "interface %s: %s", ag->o.iface,
				      strerror(errno));
			return false;
		}
	} else if (!ag->o.has_server) {
		ag->mc_ifindex = default_iface();
		if (!ag->mc_ifindex) {
			ag_acq_failed(ag, "no IPv6 default route to find the server by multicast (give 'server IPV6' or 'iface IF')");
			return false;
		}
	}
	if (ag->o.has_local) {
		ag->src = ag->o.local;
	} else if (ag->o.has_server) {
		if (!route_source(&ag->o.server, &ag->src)) {
			ag_acq_failed(ag, "no IPv6 route to the server %s",
				      ip6(&ag->o.server, s));
			return false;
		}
	} else if (!iface_global(ag->mc_ifindex, &ag->src)) {
		ag_acq_failed(ag, "no global IPv6 address on the interface toward the server (give 'local IPV6')");
		return false;
	}
	return true;
}

static void send_to(struct agent *ag, const uint8_t *buf, size_t len,
		    const struct in6_addr *dst, bool mc)
{
	struct sockaddr_in6 sa = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(DHCP6_SERVER_PORT),
		.sin6_addr = *dst,
		.sin6_scope_id = mc ? ag->mc_ifindex : 0,
	};
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct in6_pktinfo pi = { .ipi6_addr = ag->src };
	char s[INET6_ADDRSTRLEN];

	/* Our source must be the tunnel's address even on multicast (which
	 * would otherwise leave from the link-local address): the server
	 * maps the lease to it. */
	if (mc)
		pi.ipi6_ifindex = ag->mc_ifindex;
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(ag->udp, &msg, 0) < 0)
		ag_log(ag, "sending %s to %s: %s", dhcp_tx_name(ag->tx),
		       ip6(dst, s), strerror(errno));
}

static int build_v4(struct agent *ag, uint8_t type, uint8_t *buf, size_t cap)
{
	static const uint8_t prl[] = {
		D4O_SUBNET_MASK, D4O_ROUTER, D4O_LEASE_TIME, D4O_SERVER_ID,
		D4O_RENEWAL_TIME, D4O_REBINDING_TIME, D4O_V4_PORTPARAMS,
	};
	uint32_t flags = 0;
	struct d4_msg m;
	int64_t secs;

	d4o6_init_v4(&ag->c, &m, type, ag->xid);
	secs = (ag_now() - ag->tx_start) / 1000;
	m.secs = secs > 0xffff ? 0xffff : (uint16_t)secs;
	if (type != D4_RELEASE) {
		/* RFC 7618: asking for 159 says we handle port sets. */
		m.has_prl = true;
		m.prl = prl;
		m.prl_len = sizeof(prl);
	}
	switch (ag->tx) {
	case TX_DISCOVER:
		if (ag->last_addr.s_addr) {	/* a hint, RFC 2131 4.4.1 */
			m.has_reqip = true;
			m.reqip = ag->last_addr;
		}
		break;
	case TX_REQUEST:
		m.has_reqip = m.has_srvid = true;
		m.reqip = ag->offered;
		m.srvid = ag->offer_srvid;
		break;
	case TX_RENEW:
		flags = D6_4O6_FLAG_UNICAST;
		/* fall through */
	case TX_REBIND:
		m.ciaddr = ag->l.addr;
		break;
	default:
		break;
	}
	if (type == D4_RELEASE) {
		m.ciaddr = ag->l.addr;
		m.has_srvid = true;
		m.srvid = ag->l.srvid;
		flags = D6_4O6_FLAG_UNICAST;
	}
	if (state_replay_reserve(ag))
		return -EIO;
	return d4o6_build_query(&ag->c, flags, &m, buf, cap);
}

static void transmit(struct agent *ag)
{
	uint8_t buf[D4O6_MSG_MAX];
	int len;

	if (ag->tx == TX_INFO) {
		if (state_replay_reserve(ag))
			return;
		len = d4o6_build_inforeq(&ag->c, ag->xid, buf, sizeof(buf));
	} else {
		len = build_v4(ag, ag->tx == TX_DISCOVER ? D4_DISCOVER :
			       D4_REQUEST, buf, sizeof(buf));
	}
	if (len < 0) {
		ag_log(ag, "cannot build %s: %s", dhcp_tx_name(ag->tx),
		       len == -EIO ? "state file" : proto_strerror(len));
		return;
	}
	/*
	 * The option 88 address got two tries and said nothing: some servers
	 * (Kea 2.2) take the query there but answer only what came by
	 * multicast.  Fall back to ff02::1:2 for as long as this Reply holds.
	 */
	if ((ag->tx == TX_DISCOVER || ag->tx == TX_REQUEST) &&
	    !ag->o.has_server && !ag->v4dst_mc && ag->tx_count >= 2) {
		char s[INET6_ADDRSTRLEN];

		ag_log(ag, "no answer from the DHCP4o6 server %s: trying ff02::1:2",
		       ip6(&ag->v4dst, s));
		ag->v4dst = all_dhcp;
		ag->v4dst_mc = true;
	}
	if (ag->tx == TX_INFO)
		send_to(ag, buf, (size_t)len, ag->o.has_server ? &ag->o.server :
			&all_dhcp, !ag->o.has_server);
	else if (ag->tx == TX_REBIND && !ag->o.has_server)
		send_to(ag, buf, (size_t)len, &all_dhcp, true);
	else
		send_to(ag, buf, (size_t)len, &ag->v4dst, ag->v4dst_mc);
	ag->tx_count++;
}

/* Schedule the next (re)transmission, RFC 8415 section 15. */
static void schedule(struct agent *ag)
{
	int64_t now = ag_now();

	if (ag->tx_count <= 1) {
		ag->rt_ms = ag->irt + jitter(ag->irt);
	} else {
		ag->rt_ms = 2 * ag->rt_ms + jitter(ag->rt_ms);
		if (ag->mrt && ag->rt_ms > ag->mrt)
			ag->rt_ms = ag->mrt + jitter(ag->mrt);
	}
	if (ag->rt_ms < 100)
		ag->rt_ms = 100;
	ag->tx_next = now + ag->rt_ms;
	if (ag->tx_end && ag->tx_next > ag->tx_end)
		ag->tx_next = ag->tx_end;
}

void dhcp_stop(struct agent *ag)
{
	ag->tx = TX_NONE;
	ag->tx_next = 0;
}

void dhcp_start(struct agent *ag, enum ag_tx tx)
{
	int64_t now = ag_now(), half;

	if (tx == TX_INFO && !resolve_path(ag))
		return;
	ag->tx = tx;
	ag->tx_count = 0;
	ag->tx_start = now;
	ag->irt = ag->o.retransmit;
	ag->mrc = 0;
	if (tx == TX_INFO) {
		ag->xid = (uint32_t)random() & 0xffffff;
	} else {
		ag->xid = (uint32_t)random();
	}
	switch (tx) {
	case TX_INFO:
		ag->mrt = INF_MAX_RT;
		ag->tx_end = ag->acq_end;
		break;
	case TX_DISCOVER:
		ag->mrt = V4_MAX_RT;
		ag->tx_end = ag->acq_end;
		break;
	case TX_REQUEST:
		ag->mrt = V4_MAX_RT;
		ag->mrc = REQ_MAX_RC;
		ag->tx_end = ag->acq_end;
		break;
	case TX_RENEW:
		/* RFC 2131 4.4.5: wait half the time left to T2 at most. */
		half = (ag->t2_at - now) / 2;
		ag->mrt = half > 1000 ? half : 1000;
		ag->tx_end = ag->t2_at;
		break;
	case TX_REBIND:
		half = (ag->exp_at - now) / 2;
		ag->mrt = half > 1000 ? half : 1000;
		ag->tx_end = ag->exp_at;
		break;
	default:
		return;
	}
	transmit(ag);
	schedule(ag);
}

void dhcp_timeout(struct agent *ag)
{
	int64_t now = ag_now();
	char s[INET6_ADDRSTRLEN];
	const char *to;

	if (ag->tx == TX_NONE || now < ag->tx_next)
		return;
	to = ag->o.has_server ? ip6(&ag->o.server, s) :
	     ag->tx == TX_INFO ? "ff02::1:2" :
	     ag->v4dst_mc ? "ff02::1:2" : ip6(&ag->v4dst, s);
	if (ag->tx_end && now >= ag->tx_end) {
		enum ag_tx tx = ag->tx;

		dhcp_stop(ag);
		if (tx == TX_RENEW || tx == TX_REBIND)
			return;		/* T2 and expiry are the lease's */
		ag_acq_failed(ag, "no answer to %s from %s (%u sent in %lld ms)",
			      dhcp_tx_name(tx), to, ag->tx_count,
			      (long long)(now - ag->tx_start));
		return;
	}
	if (ag->mrc && ag->tx_count >= ag->mrc) {
		ag_log(ag, "no answer to %s from %s after %u tries: back to DISCOVER",
		       dhcp_tx_name(ag->tx), to, ag->tx_count);
		dhcp_start(ag, TX_DISCOVER);
		return;
	}
	if (ag->tx_count == 1 || ag->tx_count % 4 == 0)
		ag_log(ag, "no answer to %s from %s yet (%u sent): retransmitting",
		       dhcp_tx_name(ag->tx), to, ag->tx_count);
	transmit(ag);
	schedule(ag);
}

void dhcp_release(struct agent *ag)
{
	uint8_t buf[D4O6_MSG_MAX];
	enum ag_tx tx = ag->tx;
	int len;

	ag->tx = TX_NONE;
	ag->xid = (uint32_t)random();
	ag->tx_start = ag_now();
	len = build_v4(ag, D4_RELEASE, buf, sizeof(buf));
	if (len > 0)
		send_to(ag, buf, (size_t)len, &ag->v4dst, ag->v4dst_mc);
	ag->tx = tx;
}

/* ------------------------------------------------------------- receiving */

static bool ours(struct agent *ag, const struct d6_msg *m)
{
	return !m->has_clientid || (m->clientid.len == ag->duid_len &&
				    !memcmp(m->clientid.p, ag->duid, ag->duid_len));
}

static void on_reply(struct agent *ag, const struct d6_msg *m)
{
	char s[INET6_ADDRSTRLEN];
	const uint8_t *value;
	bool save = false;
	uint8_t type;

	if (ag->tx != TX_INFO || m->xid != ag->xid || !ours(ag, m))
		return;
	if (!m->has_serverid) {
		ag_log(ag, "Reply without a server identifier: ignored");
		return;
	}
	if (m->has_status && m->status != D6S_SUCCESS) {
		ag_log(ag, "Reply with status %u (%.*s): ignored", m->status,
		       (int)m->status_msg.len, (const char *)m->status_msg.p);
		return;
	}
	if (!m->has_s46_lw || !m->has_br) {
		ag_log(ag, "Reply without a TEP (OPTION_S46_CONT_LW with OPTION_S46_BR): ignored");
		return;
	}
	/* The Reconfigure Key (RFC 8415 20.4), kept for Reconfigures. */
	if (m->has_auth && m->auth.protocol == D6_AUTH_PROTO_RECONF &&
	    !d6_auth_reconf_parse(&m->auth, &type, &value) &&
	    type == D6_RECONF_TYPE_KEY) {
		if (!ag->has_rkey || memcmp(ag->rkey, value, D6_RECONF_KEY_LEN)) {
			memcpy(ag->rkey, value, D6_RECONF_KEY_LEN);
			ag->has_rkey = true;
			ag_log(ag, "the server gave us a Reconfigure Key");
		}
		/* The server's counter only moves up: a Reply that carries
		 * an older value must not reopen the window for replays. */
		if (!ag->has_srv_replay || m->auth.replay > ag->srv_replay)
			ag->srv_replay = m->auth.replay;
		ag->has_srv_replay = true;
		save = true;
	}
	ag->reply_tep = m->br;
	if (ag->o.has_server) {
		ag->v4dst = ag->o.server;
		ag->v4dst_mc = false;
	} else if (m->has_4o6_servers && m->n_servers4o6) {
		ag->v4dst = m->servers4o6[0];
		ag->v4dst_mc = false;
	} else {
		ag->v4dst = all_dhcp;
		ag->v4dst_mc = true;
	}
	ag_log(ag, "Reply: TEP %s, DHCP4o6 server %s", ip6(&m->br, s),
	       ag->v4dst_mc ? "ff02::1:2" : ip6(&ag->v4dst, (char[INET6_ADDRSTRLEN]){ 0 }));
	dhcp_start(ag, TX_DISCOVER);
	/* Saved once the DISCOVER is sent (see on_reconfigure): a crash
	 * in between loses a key we are given again next time. */
	if (save)
		state_save(ag);
}

static bool portparams_ok(const struct d4_msg *a)
{
	return !a->has_portparams ||
	       dstm_portset_valid(a->psid_offset, a->psid_len, a->psid);
}

static void on_v4(struct agent *ag, const struct d4_msg *a)
{
	struct ag_lease l;
	char s[INET_ADDRSTRLEN];

	if (a->xid != ag->xid || memcmp(a->chaddr, ag->c.chaddr, 6))
		return;
	if (a->has_clientid && (a->clientid_len != ag->c.cid_len ||
				memcmp(a->clientid, ag->c.cid, ag->c.cid_len)))
		return;
	switch (ag->tx) {
	case TX_DISCOVER:
		if (a->type != D4_OFFER)
			return;
		if (!a->yiaddr.s_addr || !a->has_srvid) {
			ag_log(ag, "OFFER without an address or a server identifier: ignored");
			return;
		}
		ag->offered = a->yiaddr;
		ag->offer_srvid = a->srvid;
		ag_log(ag, "OFFER %s", ip4(a->yiaddr, s));
		dhcp_start(ag, TX_REQUEST);
		return;
	case TX_REQUEST:
	case TX_RENEW:
	case TX_REBIND:
		break;
	default:
		return;
	}
	if (a->type == D4_NAK) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%.*s", a->has_message ?
			 (int)a->message_len : 0, a->has_message ? a->message : "");
		if (ag->tx == TX_REQUEST) {
			ag->naks++;
			ag_log(ag, "NAK for %s%s%s: back to DISCOVER",
			       ip4(ag->offered, s), msg[0] ? ": " : "", msg);
			ag->last_addr.s_addr = 0;
			dhcp_start(ag, TX_DISCOVER);
			return;
		}
		ag_nak(ag, msg);
		return;
	}
	if (a->type != D4_ACK)
		return;
	if (!a->yiaddr.s_addr || !a->has_lease || !a->lease) {
		ag_log(ag, "ACK without an address or a lease time: ignored");
		return;
	}
	if (ag->tx == TX_REQUEST && a->yiaddr.s_addr != ag->offered.s_addr) {
		ag_log(ag, "ACK for %s, not the %s offered: ignored",
		       ip4(a->yiaddr, s), ip4(ag->offered, (char[INET_ADDRSTRLEN]){ 0 }));
		return;
	}
	if (!portparams_ok(a)) {
		ag_log(ag, "ACK with a bad port set (offset %u, PSID length %u, PSID %u): ignored",
		       a->psid_offset, a->psid_len, a->psid);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.addr = a->yiaddr;
	l.srvid = a->has_srvid ? a->srvid :
		  ag->tx == TX_REQUEST ? ag->offer_srvid : ag->l.srvid;
	l.lease = a->lease;
	/* RFC 2131 4.4.5 defaults; T1 <= T2 <= lease whatever was sent. */
	l.t2 = a->has_t2 && a->t2 <= a->lease ? a->t2 :
	       (uint32_t)((uint64_t)a->lease * 7 / 8);
	l.t1 = a->has_t1 && a->t1 <= l.t2 ? a->t1 : a->lease / 2;
	if (l.t1 > l.t2)
		l.t1 = l.t2;
	l.has_pp = a->has_portparams && a->psid_len;
	if (l.has_pp) {
		l.psid_offset = a->psid_offset;
		l.psid_len = a->psid_len;
		l.psid = a->psid;
	}
	l.tep = ag->tx == TX_REQUEST ? ag->reply_tep : ag->l.tep;
	l.start = ag->tx_start;		/* RFC 2131: from when we asked */
	dhcp_stop(ag);
	ag_ack(ag, &l);
}

static void on_reconfigure(struct agent *ag, const uint8_t *pkt, size_t len,
			   const struct d6_msg *m, const struct sockaddr_in6 *from)
{
	char s[INET6_ADDRSTRLEN];
	const char *why = NULL;

	ip6(&from->sin6_addr, s);
	if (!m->has_clientid || !ours(ag, m))
		why = "not for our DUID";
	else if (!m->has_serverid)
		why = "no server identifier";
	else if (!m->has_reconf_msg)
		why = "no OPTION_RECONF_MSG";
	else if (!m->has_auth || m->auth.protocol != D6_AUTH_PROTO_RECONF)
		why = "not authenticated with the Reconfigure Key";
	else if (!ag->has_rkey)
		why = "we hold no Reconfigure Key";
	else if (!d6_auth_verify_reconf(pkt, len, &m->auth, ag->rkey))
		why = "wrong HMAC (forged)";
	else if (ag->has_srv_replay && m->auth.replay <= ag->srv_replay)
		why = "replayed (counter not above the last one)";
	else if (m->reconf_msg != D6_INFORMATION_REQUEST &&
		 m->reconf_msg != D6_RENEW)
		why = "asks for a message we do not send";
	if (why) {
		ag_log(ag, "Reconfigure from %s rejected: %s", s, why);
		ag_event(ag, "reconfigure_rejected", "from", s, "reason", why,
			 NULL);
		return;
	}
	ag->srv_replay = m->auth.replay;
	ag->has_srv_replay = true;
	ag_log(ag, "Reconfigure from %s (%s): authentic", s,
	       m->reconf_msg == D6_RENEW ? "Renew" : "Information-request");
	ag_event(ag, "reconfigure", "from", s, NULL);
	ag_reconfigure(ag, m->reconf_msg);
	/*
	 * The counter goes to the state file after our answer is on its
	 * way, not before: the write (and its fsync) is the longest part of
	 * our turn, and a server that reserved an address on demand waits
	 * for the Information-request (issue 5).  A crash in between can
	 * only let a replay of this one Reconfigure through after the
	 * restart, which makes us ask the server again: nothing more.
	 */
	state_save(ag);
}

/* Say why an answer was dropped, once per 10 s at most. */
static void bad_answer(struct agent *ag, const struct sockaddr_in6 *from,
		       const char *what, int err)
{
	static int64_t last;
	char s[INET6_ADDRSTRLEN];
	int64_t now = ag_now();

	if (last && now - last < 10000)
		return;
	last = now;
	ag_log(ag, "malformed%s from %s dropped: %s", what,
	       ip6(&from->sin6_addr, s), proto_strerror(err));
}

void dhcp_receive(struct agent *ag)
{
	uint8_t buf[4096];
	struct sockaddr_in6 from;
	socklen_t flen;
	struct d6_msg m;
	struct d4_msg a;
	ssize_t n;
	int ret;

	for (;;) {
		flen = sizeof(from);
		n = recvfrom(ag->udp, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		ret = d6_parse(buf, (size_t)n, &m);
		if (ret < 0) {
			bad_answer(ag, &from, "", ret);
			continue;
		}
		switch (m.type) {
		case D6_REPLY:
			on_reply(ag, &m);
			break;
		case D6_DHCPV4_RESPONSE:
			ret = d4o6_parse_response(buf, (size_t)n, &m, &a);
			if (ret < 0) {
				bad_answer(ag, &from, " DHCPV4-RESPONSE", ret);
				break;
			}
			on_v4(ag, &a);
			break;
		case D6_RECONFIGURE:
			on_reconfigure(ag, buf, (size_t)n, &m, &from);
			break;
		}
	}
}
