// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_api - the dstm generic netlink API (uapi/linux/dstm.h), tested from
 * user space with libnl-genl-3 directly, not through libdstm, so that the
 * API is checked independently of our own library.
 *
 * Every test runs in a network namespace of its own (the fixture unshares
 * one) with its own dstm devices, created and removed over rtnetlink.  Every
 * rejection is checked for its errno and its extended-ack text, and where
 * the kernel points at an attribute (NLMSGERR_ATTR_OFFS) or names a missing
 * one (NLMSGERR_ATTR_MISS_*), for that too.  libnl 3.7 does not parse
 * extended acks, so the receive side here is our own: a plain recv() loop
 * over the libnl socket.
 *
 * Run as root with dstm.ko loadable, e.g. in the bench's guest:
 *	make -C selftests && bash selftests/vm.sh --kernel 6.12 --timeout 1200 -- \
 *		build/selftests/netlink_api
 * It takes about 2.5 minutes under TCG (half of it the 1M-mapping dump);
 * 2 GiB of guest memory are enough.  For selftests/run.sh:
 * vm-options: --timeout 1200
 *
 * Arguments select tests by FIXTURE.TEST shell patterns; '!' excludes:
 *	netlink_api 'tep.map_*' '!*million*'
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/dstm.h>

#include "kselftest_harness.h"

/*
 * MSPEC() gives defaults that its arguments override, and the case tables
 * leave their trailing fields zero: both on purpose.
 */
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* Extended-ack texts: ours (kernel/) and the netlink core's. */
#define MSG_NO_DEV	"missing device: give DSTM_A_IFINDEX or DSTM_A_IFNAME"
#define MSG_NO_IFINDEX	"no device with this ifindex"
#define MSG_NO_IFNAME	"no device with this name"
#define MSG_NOT_DSTM	"device is not a dstm device"
#define MSG_NOT_TEP	"mappings exist only on a TEP: device is in client mode"
#define MSG_LOCAL	"local address must be a unicast IPv6 address"
#define MSG_TEP		"TEP address must be a unicast IPv6 address"
#define MSG_ADDR	"IPv4 address must be unicast (0.0.0.0 removes it)"
#define MSG_OFF_LEN	"PSID offset plus PSID length exceeds 16 bits"
#define MSG_PSID_FIT	"PSID does not fit in PSID length bits"
#define MSG_TEP_ADDR	"an IPv4 address is a client-mode setting; a TEP uses mappings"
#define MSG_NO_MAP	"missing mapping (DSTM_A_MAP)"
#define MSG_NO_IPV4	"missing mapping IPv4 address"
#define MSG_NO_IPV6	"missing mapping IPv6 address"
#define MSG_MAP_IPV4	"mapping IPv4 address must be unicast"
#define MSG_MAP_IPV6	"mapping IPv6 address must be unicast"
#define MSG_OFF_NO_LEN	"PSID offset needs a PSID length"
#define MSG_EXISTS	"mapping already exists"
#define MSG_GEOMETRY	"IPv4 address is already mapped with a different port set offset or PSID length"
#define MSG_NO_SUCH	"no such mapping"
#define MSG_FP_NODEV	"fast path device not found"
#define MSG_FP_DSTM	"fast path device is a dstm device"
#define MSG_FP_TWICE	"fast path device listed twice"
#define MSG_FP_MANY	"too many fast path devices"
#define MSG_FP_CLIENT	"fast path is a TEP-mode setting"
/* lib/nlattr.c and net/netlink/genetlink.c, the same on 6.1 and 6.12 */
#define MSG_RANGE	"integer out of range"
#define MSG_BINLEN	"binary attribute size out of range"
#define MSG_ATTRLEN	"invalid attribute length"
#define MSG_UNSUPP	"Unsupported attribute"
#define MSG_UNKNOWN	"Unknown attribute type"
#define MSG_NESTED	"NLA_F_NESTED is missing"
#define MSG_POLICY	"Attribute failed policy validation"
#define MSG_RESERVED	"genlmsghdr.reserved field is not 0"

#define NOBODY		65534

/* ------------------------------------------------------------------ */
/* A generic netlink socket of the dstm family, and what a request got */

struct nlc {
	struct nl_sock *sk;
	int fd;
	int family;
	uint32_t seq;
	size_t rxlen;		/* our recv() size: sizes the kernel's dump skbs */
	char *rx;
	/* event sockets: messages of the last datagram not yet handed out */
	size_t pend_off, pend_len;
};

/* The outcome of one request: its ack or NLMSG_DONE, with the extack. */
struct res {
	int err;		/* 0 or -errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG */
	bool has_offs, has_miss_type, has_miss_nest;
	uint32_t offs, miss_type, miss_nest;
	bool intr;		/* a message carried NLM_F_DUMP_INTR */
	int nmsg;		/* data messages */
	bool sys;		/* err came from recv()/send(), not the kernel */
};

typedef void (*data_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * The family id and the events group id, asked on a socket of their own:
 * the kernel sizes dump messages by the largest recv() a socket has done,
 * and libnl's own receive would make that 32 KiB on ours.
 */
static int resolve(int *family, int *group)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err = -ENOENT;

	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk))
		goto out;
	*family = genl_ctrl_resolve(sk, DSTM_GENL_NAME);
	if (*family < 0)
		goto out;
	if (group) {
		*group = genl_ctrl_resolve_grp(sk, DSTM_GENL_NAME,
					       DSTM_MCGRP_EVENTS);
		if (*group < 0)
			goto out;
	}
	err = 0;
out:
	nl_socket_free(sk);
	return err;
}

static struct nlc *nlc_open_bufs(size_t rxlen, int rcvbuf)
{
	struct nlc *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c)
		return NULL;
	if (resolve(&c->family, NULL))
		goto err;
	c->sk = nl_socket_alloc();
	if (!c->sk || genl_connect(c->sk))
		goto err;
	c->fd = nl_socket_get_fd(c->sk);
	if (setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		goto err;
	if (rcvbuf > 0 &&
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		goto err;
	c->rxlen = rxlen;
	c->rx = malloc(rxlen);
	if (!c->rx)
		goto err;
	c->seq = (uint32_t)time(NULL);
	return c;
err:
	if (c->sk)
		nl_socket_free(c->sk);
	free(c);
	return NULL;
}

static struct nlc *nlc_open(void)
{
	return nlc_open_bufs(65536, 8 << 20);
}

static void nlc_close(struct nlc *c)
{
	if (!c)
		return;
	nl_socket_free(c->sk);
	free(c->rx);
	free(c);
}

/* A socket subscribed to the events group. */
static struct nlc *nlc_events(void)
{
	struct nlc *c = nlc_open();
	int family, grp;

	if (!c)
		return NULL;
	if (resolve(&family, &grp) || nl_socket_add_membership(c->sk, grp)) {
		nlc_close(c);
		return NULL;
	}
	return c;
}

static void parse_extack(struct res *r, const void *tlvs, int len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)tlvs,
				  len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(r->msg, sizeof(r->msg), "%.*s",
			 (int)strnlen(nla_data(tb[NLMSGERR_ATTR_MSG]),
				      nla_len(tb[NLMSGERR_ATTR_MSG])),
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS]) {
		r->has_offs = true;
		r->offs = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
		r->has_miss_type = true;
		r->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	}
	if (tb[NLMSGERR_ATTR_MISS_NEST]) {
		r->has_miss_nest = true;
		r->miss_nest = nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]);
	}
}

static int recv_one(struct nlc *c, int flags)
{
	ssize_t n;

	do
		n = recv(c->fd, c->rx, c->rxlen, flags | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n > c->rxlen)
		return -EMSGSIZE;	/* truncated: our buffer is too small */
	return (int)n;
}

/* The extack of an NLMSG_ERROR message. */
static void parse_error(struct res *r, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off;

	r->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_flags & NLM_F_CAPPED)
		off = sizeof(*e);
	else
		off = NLMSG_ALIGN(sizeof(*e) + e->msg.nlmsg_len - NLMSG_HDRLEN);
	parse_extack(r, (const char *)e + off,
		     (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off));
}

/*
 * Receive until the answer to @seq is complete: its ack or error for a
 * request, NLMSG_DONE for a dump.  Data messages go to @cb.
 */
static int nlc_wait(struct nlc *c, uint32_t seq, data_cb cb, void *arg,
		    struct res *r)
{
	for (;;) {
		int n = recv_one(c, 0);
		struct nlmsghdr *nlh;

		if (n < 0) {
			r->err = n;
			r->sys = true;
			snprintf(r->msg, sizeof(r->msg), "recv: %s", strerror(-n));
			return n;
		}
		for (nlh = (void *)c->rx; NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				r->intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				parse_error(r, nlh);
				return r->err;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				memcpy(&r->err, NLMSG_DATA(nlh), sizeof(int));
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					parse_extack(r, (char *)NLMSG_DATA(nlh) +
						     NLMSG_ALIGN(sizeof(int)),
						     (int)(nlh->nlmsg_len -
						     NLMSG_HDRLEN -
						     NLMSG_ALIGN(sizeof(int))));
				return r->err;
			}
			r->nmsg++;
			if (cb)
				cb(nlh, arg);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Building requests, remembering where each attribute went (for OFFS) */

struct req {
	struct nl_msg *msg;
	uint32_t nest_off;	/* of the open (or last) DSTM_A_MAP nest */
	bool in_nest;
	uint32_t off[64];	/* offset of each top-level attribute type */
	uint32_t moff[64];	/* offset of each attribute type in the nest */
};

static struct req *req_new(struct nlc *c, uint8_t cmd, int flags)
{
	struct req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->msg = nlmsg_alloc_size(16384);
	if (!r->msg ||
	    !genlmsg_put(r->msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 flags, cmd, DSTM_GENL_VERSION)) {
		free(r);
		return NULL;
	}
	return r;
}

static void req_free(struct req *r)
{
	if (r) {
		nlmsg_free(r->msg);
		free(r);
	}
}

static uint32_t req_tail(struct req *r)
{
	return nlmsg_hdr(r->msg)->nlmsg_len;
}

static void req_put(struct req *r, int type, int len, const void *data)
{
	uint32_t off = req_tail(r);
	int t = type & NLA_TYPE_MASK;

	nla_put(r->msg, type, len, data);
	if (t < 64)
		(r->in_nest ? r->moff : r->off)[t] = off;
}

static void req_u8(struct req *r, int type, uint8_t v)
{
	req_put(r, type, 1, &v);
}

static void req_u16(struct req *r, int type, uint16_t v)
{
	req_put(r, type, 2, &v);
}

static void req_u32(struct req *r, int type, uint32_t v)
{
	req_put(r, type, 4, &v);
}

static void req_str(struct req *r, int type, const char *s)
{
	req_put(r, type, (int)strlen(s) + 1, s);
}

static void req_ip4(struct req *r, int type, const char *a)
{
	struct in_addr in = {};

	inet_pton(AF_INET, a, &in);
	req_put(r, type, 4, &in);
}

static void req_ip6(struct req *r, int type, const char *a)
{
	struct in6_addr in = {};

	inet_pton(AF_INET6, a, &in);
	req_put(r, type, 16, &in);
}

/*
 * Opens nest @type (closed by req_nest_end()); @flag is NLA_F_NESTED (or
 * 0, to test its absence).  Returns the nest's offset.
 */
static uint32_t req_nest_open(struct req *r, int type, int flag)
{
	r->nest_off = req_tail(r);
	nla_put(r->msg, type | flag, 0, NULL);
	r->off[type] = r->nest_off;
	r->in_nest = true;
	return r->nest_off;
}

static void req_nest(struct req *r, int flag)
{
	req_nest_open(r, DSTM_A_MAP, flag);
}

static void req_nest_end(struct req *r)
{
	struct nlattr *nest = (void *)((char *)nlmsg_hdr(r->msg) + r->nest_off);

	nest->nla_len = (uint16_t)(req_tail(r) - r->nest_off);
	r->in_nest = false;
}

static void req_dev(struct req *r, int ifindex)
{
	req_u32(r, DSTM_A_IFINDEX, (uint32_t)ifindex);
}

/*
 * Send @r (consumed) and wait for its answer.  Requests ask for an ack;
 * dumps (NLM_F_DUMP in the header) end with NLMSG_DONE.
 */
static int nlc_send(struct nlc *c, struct req *r)
{
	struct nlmsghdr *nlh = nlmsg_hdr(r->msg);

	nlh->nlmsg_seq = ++c->seq;
	nlh->nlmsg_pid = 0;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (nl_sendto(c->sk, nlh, nlh->nlmsg_len) < 0)
		return -EIO;
	return 0;
}

static int nlc_do(struct nlc *c, struct req *r, data_cb cb, void *arg,
		  struct res *res)
{
	struct res dummy;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!r) {
		res->err = -ENOMEM;
		res->sys = true;
		return res->err;
	}
	if (nlc_send(c, r)) {
		req_free(r);
		res->err = -EIO;
		res->sys = true;
		return res->err;
	}
	req_free(r);
	return nlc_wait(c, c->seq, cb, arg, res);
}

/* ------------------------------------------------------------------ */
/* Parsing replies and events                                          */

struct map {
	bool has[DSTM_MAP_A_MAX + 1];
	uint32_t ipv4;		/* network order */
	struct in6_addr ipv6;
	uint8_t off, len;
	uint16_t psid;
	int64_t lifetime, expires, last_use;	/* u32 */
	int64_t txp, txb, rxp, rxb;		/* u64 */
	bool badlen;		/* an attribute of the wrong size */
};

struct dev {
	uint8_t cmd;
	bool has[DSTM_A_MAX + 1];
	uint32_t ifindex;
	char ifname[IFNAMSIZ];
	uint8_t mode;
	struct in6_addr local, tep;
	uint32_t addr, dst;	/* network order */
	uint8_t off, len, hoplimit;
	uint16_t psid;
	int64_t qlen, qtimeout, count, gen;	/* u32 */
	int nstats, ndrops;	/* u64 counters in the nests */
	int64_t stats[DSTM_STATS_A_MAX + 1], drops[DSTM_DROP_A_MAX + 1];
	bool has_stat[DSTM_STATS_A_MAX + 1];
	/* DSTM_A_FASTPATH: its ifindexes, in the order given */
	int nfast;
	uint32_t fast[DSTM_FASTPATH_MAX_DEVS + 8];
	bool badlen;
	struct map map;
};

static const int map_len[DSTM_MAP_A_MAX + 1] = {
	[DSTM_MAP_A_IPV4] = 4, [DSTM_MAP_A_IPV6] = 16,
	[DSTM_MAP_A_PSID_OFFSET] = 1, [DSTM_MAP_A_PSID_LEN] = 1,
	[DSTM_MAP_A_PSID] = 2, [DSTM_MAP_A_LIFETIME] = 4,
	[DSTM_MAP_A_EXPIRES] = 4, [DSTM_MAP_A_TX_PACKETS] = 8,
	[DSTM_MAP_A_TX_BYTES] = 8, [DSTM_MAP_A_RX_PACKETS] = 8,
	[DSTM_MAP_A_RX_BYTES] = 8, [DSTM_MAP_A_LAST_USE] = 4,
};

static const int dev_len[DSTM_A_MAX + 1] = {
	[DSTM_A_IFINDEX] = 4, [DSTM_A_MODE] = 1, [DSTM_A_LOCAL] = 16,
	[DSTM_A_TEP] = 16, [DSTM_A_ADDR] = 4, [DSTM_A_PSID_OFFSET] = 1,
	[DSTM_A_PSID_LEN] = 1, [DSTM_A_PSID] = 2, [DSTM_A_HOPLIMIT] = 1,
	[DSTM_A_QUEUE_LEN] = 4, [DSTM_A_QUEUE_TIMEOUT] = 4,
	[DSTM_A_MAP_COUNT] = 4, [DSTM_A_GENERATION] = 4, [DSTM_A_DST] = 4,
};

static void parse_map(struct map *m, const struct nlattr *nest)
{
	const struct nlattr *a;
	int rem;

	memset(m, 0, sizeof(*m));
	nla_for_each_nested(a, nest, rem) {
		int t = nla_type(a);

		if (t == DSTM_MAP_A_PAD)
			continue;
		if (t > DSTM_MAP_A_MAX || !map_len[t] ||
		    nla_len(a) != map_len[t]) {
			m->badlen = true;
			continue;
		}
		m->has[t] = true;
		switch (t) {
		case DSTM_MAP_A_IPV4: memcpy(&m->ipv4, nla_data(a), 4); break;
		case DSTM_MAP_A_IPV6: memcpy(&m->ipv6, nla_data(a), 16); break;
		case DSTM_MAP_A_PSID_OFFSET: m->off = nla_get_u8(a); break;
		case DSTM_MAP_A_PSID_LEN: m->len = nla_get_u8(a); break;
		case DSTM_MAP_A_PSID: m->psid = nla_get_u16(a); break;
		case DSTM_MAP_A_LIFETIME: m->lifetime = nla_get_u32(a); break;
		case DSTM_MAP_A_EXPIRES: m->expires = nla_get_u32(a); break;
		case DSTM_MAP_A_LAST_USE: m->last_use = nla_get_u32(a); break;
		case DSTM_MAP_A_TX_PACKETS: m->txp = nla_get_u64(a); break;
		case DSTM_MAP_A_TX_BYTES: m->txb = nla_get_u64(a); break;
		case DSTM_MAP_A_RX_PACKETS: m->rxp = nla_get_u64(a); break;
		case DSTM_MAP_A_RX_BYTES: m->rxb = nla_get_u64(a); break;
		}
	}
}

static void parse_dev(struct dev *d, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	const struct nlattr *a, *s;
	int rem, rem2;

	memset(d, 0, sizeof(*d));
	d->cmd = g->cmd;
	nla_for_each_attr(a, (struct nlattr *)genlmsg_attrdata(g, 0),
			  genlmsg_attrlen(g, 0), rem) {
		int t = nla_type(a);

		if (t > DSTM_A_MAX) {
			d->badlen = true;
			continue;
		}
		if (dev_len[t] && nla_len(a) != dev_len[t]) {
			d->badlen = true;
			continue;
		}
		d->has[t] = true;
		switch (t) {
		case DSTM_A_IFINDEX: d->ifindex = nla_get_u32(a); break;
		case DSTM_A_IFNAME:
			if (nla_len(a) < 2 || nla_len(a) > IFNAMSIZ ||
			    ((char *)nla_data(a))[nla_len(a) - 1])
				d->badlen = true;
			else
				memcpy(d->ifname, nla_data(a), nla_len(a));
			break;
		case DSTM_A_MODE: d->mode = nla_get_u8(a); break;
		case DSTM_A_LOCAL: memcpy(&d->local, nla_data(a), 16); break;
		case DSTM_A_TEP: memcpy(&d->tep, nla_data(a), 16); break;
		case DSTM_A_ADDR: memcpy(&d->addr, nla_data(a), 4); break;
		case DSTM_A_DST: memcpy(&d->dst, nla_data(a), 4); break;
		case DSTM_A_PSID_OFFSET: d->off = nla_get_u8(a); break;
		case DSTM_A_PSID_LEN: d->len = nla_get_u8(a); break;
		case DSTM_A_PSID: d->psid = nla_get_u16(a); break;
		case DSTM_A_HOPLIMIT: d->hoplimit = nla_get_u8(a); break;
		case DSTM_A_QUEUE_LEN: d->qlen = nla_get_u32(a); break;
		case DSTM_A_QUEUE_TIMEOUT: d->qtimeout = nla_get_u32(a); break;
		case DSTM_A_MAP_COUNT: d->count = nla_get_u32(a); break;
		case DSTM_A_GENERATION: d->gen = nla_get_u32(a); break;
		case DSTM_A_MAP: parse_map(&d->map, a); break;
		case DSTM_A_STATS:
			nla_for_each_nested(s, a, rem2) {
				int st = nla_type(s);

				if (st == DSTM_STATS_A_PAD)
					continue;
				if (st > DSTM_STATS_A_MAX || st == 0 ||
				    nla_len(s) != 8) {
					d->badlen = true;
					continue;
				}
				d->stats[st] = nla_get_u64(s);
				d->has_stat[st] = true;
				d->nstats++;
			}
			break;
		case DSTM_A_DROPS:
			nla_for_each_nested(s, a, rem2) {
				int st = nla_type(s);

				if (st == DSTM_DROP_A_PAD)
					continue;
				if (st > DSTM_DROP_A_MAX || st == 0 ||
				    nla_len(s) != 8) {
					d->badlen = true;
					continue;
				}
				d->drops[st] = nla_get_u64(s);
				d->ndrops++;
			}
			break;
		case DSTM_A_FASTPATH:
			nla_for_each_nested(s, a, rem2) {
				if (nla_type(s) != DSTM_FASTPATH_A_IFINDEX ||
				    nla_len(s) != 4 ||
				    d->nfast == (int)(sizeof(d->fast) /
						      sizeof(d->fast[0]))) {
					d->badlen = true;
					continue;
				}
				d->fast[d->nfast++] = nla_get_u32(s);
			}
			break;
		}
	}
	if (d->map.badlen)
		d->badlen = true;
}

static void cb_dev(const struct nlmsghdr *nlh, void *arg)
{
	parse_dev(arg, nlh);
}

/* Collects the messages of a small dump. */
struct devs {
	int n;
	struct dev d[256];
};

static void cb_devs(const struct nlmsghdr *nlh, void *arg)
{
	struct devs *ds = arg;

	if (ds->n < (int)(sizeof(ds->d) / sizeof(ds->d[0])))
		parse_dev(&ds->d[ds->n], nlh);
	ds->n++;
}

/* The next event, within @ms milliseconds: 1, 0 on timeout, or -errno. */
static int ev_next(struct nlc *c, struct dev *ev, int ms)
{
	for (;;) {
		struct nlmsghdr *nlh;

		if (c->pend_off < c->pend_len) {
			int left = (int)(c->pend_len - c->pend_off);

			nlh = (void *)(c->rx + c->pend_off);
			if (!NLMSG_OK(nlh, (unsigned int)left)) {
				c->pend_len = 0;
				continue;
			}
			c->pend_off += NLMSG_ALIGN(nlh->nlmsg_len);
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			parse_dev(ev, nlh);
			return 1;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int n = poll(&p, 1, ms);

		if (n < 0)
			return -errno;
		if (!n)
			return 0;
		n = recv_one(c, 0);
		if (n < 0)
			return n;
		c->pend_off = 0;
		c->pend_len = (size_t)n;
	}
}

/* ------------------------------------------------------------------ */
/* rtnetlink: create, bring up, delete links (fast, no fork of ip)     */

static int rtnl_talk(struct nl_msg *m)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = nl_send_auto(sk, m);
	if (err >= 0)
		err = nl_wait_for_ack(sk);
	nl_socket_free(sk);
	nlmsg_free(m);
	return err < 0 ? -EIO : 0;
}

/* A link request with its ifinfomsg; NULL only when out of memory. */
static struct nl_msg *link_msg(int type, int flags, int ifindex,
			       unsigned int up)
{
	struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK |
					      flags);
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC, .ifi_index = ifindex,
		.ifi_flags = up, .ifi_change = up,
	};

	if (m)
		nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	return m;
}

static int link_add(const char *name, const char *kind)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
				    0, 0);
	struct nlattr *li;

	if (!m)
		return -ENOMEM;
	nla_put_string(m, IFLA_IFNAME, name);
	li = nla_nest_start(m, IFLA_LINKINFO);
	nla_put_string(m, IFLA_INFO_KIND, kind);
	nla_nest_end(m, li);
	if (rtnl_talk(m))
		return -EIO;
	return (int)if_nametoindex(name);
}

static int link_set_up(int ifindex)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, 0, ifindex, IFF_UP);

	return m ? rtnl_talk(m) : -ENOMEM;
}

static int link_set_netns(int ifindex, int nsfd)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, 0, ifindex, 0);

	if (!m)
		return -ENOMEM;
	nla_put_u32(m, IFLA_NET_NS_FD, (uint32_t)nsfd);
	return rtnl_talk(m);
}

static int link_del(int ifindex)
{
	struct nl_msg *m = link_msg(RTM_DELLINK, 0, ifindex, 0);

	return m ? rtnl_talk(m) : -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* Small wrappers used by many tests                                   */

static int dev_get(struct nlc *c, int ifindex, struct dev *d)
{
	struct req *r = req_new(c, DSTM_CMD_DEV_GET, 0);

	req_dev(r, ifindex);
	return nlc_do(c, r, cb_dev, d, NULL);
}

static int set_mode(struct nlc *c, int ifindex, uint8_t mode)
{
	struct req *r = req_new(c, DSTM_CMD_DEV_SET, 0);

	req_dev(r, ifindex);
	req_u8(r, DSTM_A_MODE, mode);
	return nlc_do(c, r, NULL, NULL, NULL);
}

/* A mapping as MAP_NEW gives it; negative fields are left out. */
struct mspec {
	const char *ipv4, *ipv6;
	int off, len, psid;
	long long lifetime;
};

/* The mapping most tests use */
#define V4 "198.51.100.7"
#define V6 "2001:db8:1::7"

#define MSPEC(...) ((struct mspec){ .off = -1, .len = -1, .psid = -1, \
				    .lifetime = -1, __VA_ARGS__ })

/*
 * Not a netlink flag: asks req_map() and map_add_bulk() for the
 * DSTM_A_REPLACE attribute (generic netlink rejects NLM_F_REPLACE).
 */
#define MAP_REPLACE	0x10000

static struct req *req_map(struct nlc *c, uint8_t cmd, int flags, int ifindex,
			   struct mspec s)
{
	struct req *r = req_new(c, cmd, flags & ~MAP_REPLACE);

	if (ifindex)
		req_dev(r, ifindex);
	if (flags & MAP_REPLACE)
		req_put(r, DSTM_A_REPLACE, 0, NULL);
	req_nest(r, NLA_F_NESTED);
	if (s.ipv4)
		req_ip4(r, DSTM_MAP_A_IPV4, s.ipv4);
	if (s.ipv6)
		req_ip6(r, DSTM_MAP_A_IPV6, s.ipv6);
	if (s.off >= 0)
		req_u8(r, DSTM_MAP_A_PSID_OFFSET, (uint8_t)s.off);
	if (s.len >= 0)
		req_u8(r, DSTM_MAP_A_PSID_LEN, (uint8_t)s.len);
	if (s.psid >= 0)
		req_u16(r, DSTM_MAP_A_PSID, (uint16_t)s.psid);
	if (s.lifetime >= 0)
		req_u32(r, DSTM_MAP_A_LIFETIME, (uint32_t)s.lifetime);
	req_nest_end(r);
	return r;
}

static int map_new(struct nlc *c, int ifindex, struct mspec s, int flags,
		   struct res *res)
{
	return nlc_do(c, req_map(c, DSTM_CMD_MAP_NEW, flags, ifindex, s),
		      NULL, NULL, res);
}

static int map_get(struct nlc *c, int ifindex, const char *ipv4, int psid,
		   struct dev *d, struct res *res)
{
	return nlc_do(c, req_map(c, DSTM_CMD_MAP_GET, 0, ifindex,
				 MSPEC(.ipv4 = ipv4, .psid = psid)),
		      cb_dev, d, res);
}

static int map_del(struct nlc *c, int ifindex, const char *ipv4, int psid,
		   struct res *res)
{
	return nlc_do(c, req_map(c, DSTM_CMD_MAP_DEL, 0, ifindex,
				 MSPEC(.ipv4 = ipv4, .psid = psid)),
		      NULL, NULL, res);
}

static int map_flush(struct nlc *c, int ifindex, struct res *res)
{
	struct req *r = req_new(c, DSTM_CMD_MAP_FLUSH, 0);

	req_dev(r, ifindex);
	return nlc_do(c, r, NULL, NULL, res);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a = {};

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a = {};

	inet_pton(AF_INET6, s, &a);
	return a;
}

static bool ip6_eq(struct in6_addr a, const char *s)
{
	struct in6_addr b = ip6(s);

	return !memcmp(&a, &b, sizeof(a));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run a shell command in our namespace; 0 if it exited 0. */
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* A fresh network namespace for this test process, with lo up. */
static int enter_netns(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return link_set_up(1);
}

/* ------------------------------------------------------------------ */
/* Checking a rejection                                                */

/*
 * @at: offset the extack must point at, 0 for "need not point anywhere";
 * @ctx: printf arguments naming the case, for the failure message.
 */
#define ASSERT_REJECTED_CTX(res, errno_, text, at, ...) do {			\
	char __ctx[160];							\
	snprintf(__ctx, sizeof(__ctx), __VA_ARGS__);				\
	ASSERT_EQ(-(errno_), (res).err)						\
		TH_LOG("%s: errno %d (%s), extack \"%s\"", __ctx, -(res).err,	\
		       strerror(-(res).err), (res).msg);			\
	ASSERT_STREQ(text, (res).msg) TH_LOG("%s", __ctx);			\
	if (at) {								\
		ASSERT_TRUE((res).has_offs)					\
			TH_LOG("%s: no NLMSGERR_ATTR_OFFS", __ctx);		\
		ASSERT_EQ((uint32_t)(at), (res).offs) TH_LOG("%s", __ctx);	\
	}									\
} while (0)

#define ASSERT_REJECTED(res, errno_, text, at) \
	ASSERT_REJECTED_CTX(res, errno_, text, at, "%s", "")

/* The same, going on after a mismatch: tables of cases report them all. */
#define EXPECT_REJECTED_CTX(res, errno_, text, at, ...) do {			\
	char __ctx[160];							\
	snprintf(__ctx, sizeof(__ctx), __VA_ARGS__);				\
	EXPECT_EQ(-(errno_), (res).err)						\
		TH_LOG("%s: errno %d (%s), extack \"%s\"", __ctx, -(res).err,	\
		       strerror(-(res).err), (res).msg);			\
	EXPECT_STREQ(text, (res).msg) TH_LOG("%s", __ctx);			\
	if ((at) && (res).err == -(errno_)) {					\
		EXPECT_TRUE((res).has_offs)					\
			TH_LOG("%s: no NLMSGERR_ATTR_OFFS", __ctx);		\
		if ((res).has_offs)						\
			EXPECT_EQ((uint32_t)(at), (res).offs)			\
				TH_LOG("%s", __ctx);				\
	}									\
} while (0)

/* ------------------------------------------------------------------ */
/* Bulk MAP_NEW: many requests per send(), one ack per batch           */

struct bulk_map {
	uint32_t ipv4;		/* network order */
	struct in6_addr ipv6;
	uint8_t off, len;
	uint16_t psid;
};

typedef void (*gen_fn)(uint32_t i, struct bulk_map *m);

static size_t put_raw(char *buf, size_t off, int type, const void *data,
		      int len)
{
	struct nlattr *a = (void *)(buf + off);

	a->nla_type = (uint16_t)type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return off + NLA_ALIGN(a->nla_len);
}

/*
 * Add mappings gen(first .. first+n-1) without waiting for each ack: up to
 * @batch requests go in one send(), and only the last of them asks for an
 * ack (the kernel handles a send()'s messages in order, and reports every
 * failure whether asked or not).  Returns the number of failed requests;
 * the first failure is in @fail.  @cmd_flags: e.g. MAP_REPLACE.
 */
static long map_add_bulk(struct nlc *c, int ifindex, gen_fn gen,
			 uint32_t first, uint32_t n, int batch, int cmd,
			 int cmd_flags, struct res *fail)
{
	size_t cap = (size_t)batch * 128;
	char *buf = malloc(cap);
	long failed = 0;
	uint32_t i = 0;

	memset(fail, 0, sizeof(*fail));
	if (!buf)
		return -1;
	while (i < n) {
		uint32_t k, cnt = n - i < (uint32_t)batch ? n - i : (uint32_t)batch;
		uint32_t seq0 = c->seq + 1, last;
		size_t len = 0;

		for (k = 0; k < cnt; k++) {
			struct nlmsghdr *nlh = (void *)(buf + len);
			struct genlmsghdr *g = NLMSG_DATA(nlh);
			struct bulk_map m;
			size_t off, nest;
			uint32_t ifi = (uint32_t)ifindex;

			gen(first + i + k, &m);
			nlh->nlmsg_type = (uint16_t)c->family;
			nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST |
					   (cmd_flags & ~MAP_REPLACE) |
					   (k == cnt - 1 ? NLM_F_ACK : 0));
			nlh->nlmsg_seq = ++c->seq;
			nlh->nlmsg_pid = 0;
			g->cmd = (uint8_t)cmd;
			g->version = DSTM_GENL_VERSION;
			g->reserved = 0;
			off = NLMSG_HDRLEN + GENL_HDRLEN;
			off = put_raw((char *)nlh, off, DSTM_A_IFINDEX, &ifi, 4);
			if (cmd_flags & MAP_REPLACE)
				off = put_raw((char *)nlh, off, DSTM_A_REPLACE,
					      NULL, 0);
			nest = off;
			off = put_raw((char *)nlh, off, DSTM_A_MAP | NLA_F_NESTED,
				      NULL, 0);
			off = put_raw((char *)nlh, off, DSTM_MAP_A_IPV4, &m.ipv4, 4);
			if (cmd == DSTM_CMD_MAP_NEW)
				off = put_raw((char *)nlh, off, DSTM_MAP_A_IPV6,
					      &m.ipv6, 16);
			if (m.len && cmd == DSTM_CMD_MAP_NEW) {
				off = put_raw((char *)nlh, off,
					      DSTM_MAP_A_PSID_OFFSET, &m.off, 1);
				off = put_raw((char *)nlh, off,
					      DSTM_MAP_A_PSID_LEN, &m.len, 1);
			}
			if (m.len)
				off = put_raw((char *)nlh, off, DSTM_MAP_A_PSID,
					      &m.psid, 2);
			((struct nlattr *)((char *)nlh + nest))->nla_len =
				(uint16_t)(off - nest);
			nlh->nlmsg_len = (uint32_t)off;
			len += NLMSG_ALIGN(off);
		}
		last = c->seq;
		if (nl_sendto(c->sk, buf, len) < 0) {
			failed = -1;
			break;
		}
		for (;;) {
			int got = recv_one(c, 0);
			bool done = false;
			struct nlmsghdr *nlh;

			if (got < 0) {
				failed = -1;
				fail->err = got;
				fail->sys = true;
				goto out;
			}
			for (nlh = (void *)c->rx; NLMSG_OK(nlh, (unsigned int)got);
			     nlh = NLMSG_NEXT(nlh, got)) {
				struct res r = {};

				if (nlh->nlmsg_type != NLMSG_ERROR ||
				    nlh->nlmsg_seq < seq0 || nlh->nlmsg_seq > last)
					continue;
				parse_error(&r, nlh);
				if (r.err && !failed++)
					*fail = r;
				if (nlh->nlmsg_seq == last)
					done = true;
			}
			if (done)
				break;
		}
		i += cnt;
	}
out:
	free(buf);
	return failed;
}

/*
 * Checking a dump against the set it should return: gen(0 .. n-1).  @index
 * maps a dumped mapping back to its generator index (or -1).
 */
struct dumpcheck {
	gen_fn gen;
	long (*index)(const struct map *m);
	uint32_t n;
	uint8_t *seen;		/* bitmap */
	long count, dups, unknown, wrong, badlen, other_dev;
	int ifindex;
};

static void cb_dumpcheck(const struct nlmsghdr *nlh, void *arg)
{
	struct dumpcheck *dc = arg;
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct nlattr *tb[DSTM_A_MAX + 1];
	struct bulk_map want;
	struct map m;
	long i;

	if (nla_parse(tb, DSTM_A_MAX, genlmsg_attrdata(g, 0),
		      genlmsg_attrlen(g, 0), NULL) || !tb[DSTM_A_MAP] ||
	    g->cmd != DSTM_CMD_MAP_GET) {
		dc->badlen++;
		return;
	}
	if (!tb[DSTM_A_IFINDEX] ||
	    nla_get_u32(tb[DSTM_A_IFINDEX]) != (uint32_t)dc->ifindex)
		dc->other_dev++;
	parse_map(&m, tb[DSTM_A_MAP]);
	dc->count++;
	if (m.badlen || !m.has[DSTM_MAP_A_IPV4] || !m.has[DSTM_MAP_A_IPV6]) {
		dc->badlen++;
		return;
	}
	i = dc->index(&m);
	if (i < 0 || (uint32_t)i >= dc->n) {
		dc->unknown++;
		return;
	}
	if (dc->seen[i / 8] & (1 << (i % 8))) {
		dc->dups++;
		return;
	}
	dc->seen[i / 8] |= (uint8_t)(1 << (i % 8));
	dc->gen((uint32_t)i, &want);
	if (memcmp(&want.ipv6, &m.ipv6, 16) || want.len != m.len ||
	    (want.len && want.off != m.off) || want.psid != m.psid)
		dc->wrong++;
}

static struct dumpcheck *dumpcheck_new(gen_fn gen, long (*index)(const struct map *),
				       uint32_t n, int ifindex)
{
	struct dumpcheck *dc = calloc(1, sizeof(*dc));

	if (!dc)
		return NULL;
	dc->gen = gen;
	dc->index = index;
	dc->n = n;
	dc->ifindex = ifindex;
	dc->seen = calloc(n / 8 + 1, 1);
	return dc;
}

static void dumpcheck_reset(struct dumpcheck *dc)
{
	memset(dc->seen, 0, dc->n / 8 + 1);
	dc->count = dc->dups = dc->unknown = dc->wrong = dc->badlen = 0;
	dc->other_dev = 0;
}

static void dumpcheck_free(struct dumpcheck *dc)
{
	if (dc) {
		free(dc->seen);
		free(dc);
	}
}

static int map_dump(struct nlc *c, int ifindex, data_cb cb, void *arg,
		    struct res *res)
{
	struct req *r = req_new(c, DSTM_CMD_MAP_GET, NLM_F_DUMP);

	if (ifindex)
		req_dev(r, ifindex);
	return nlc_do(c, r, cb, arg, res);
}

/*
 * The 1M set: 500,000 whole addresses 10.0.0.0 + i (k = 0), then 500,000
 * port sets: 31,250 addresses 11.0.0.0 + j / 16, PSIDs j % 16 (a = 6, k = 4).
 * The IPv6 address names the index.
 */
#define MANY		1000000u
#define MANY_WHOLE	500000u

static void gen_many(uint32_t i, struct bulk_map *m)
{
	memset(m, 0, sizeof(*m));
	m->ipv6.s6_addr[0] = 0x20;
	m->ipv6.s6_addr[1] = 0x01;
	m->ipv6.s6_addr[2] = 0x0d;
	m->ipv6.s6_addr[3] = 0xb8;
	m->ipv6.s6_addr[12] = (uint8_t)(i >> 24);
	m->ipv6.s6_addr[13] = (uint8_t)(i >> 16);
	m->ipv6.s6_addr[14] = (uint8_t)(i >> 8);
	m->ipv6.s6_addr[15] = (uint8_t)i;
	if (i < MANY_WHOLE) {
		m->ipv4 = htonl(0x0a000000u + i);
	} else {
		uint32_t j = i - MANY_WHOLE;

		m->ipv4 = htonl(0x0b000000u + j / 16);
		m->off = 6;
		m->len = 4;
		m->psid = (uint16_t)(j % 16);
	}
}

static long index_many(const struct map *m)
{
	uint32_t h = ntohl(m->ipv4);

	if ((h >> 24) == 10 && !m->len)
		return (long)(h - 0x0a000000u);
	if ((h >> 24) == 11 && m->len == 4)
		return (long)(MANY_WHOLE + (h - 0x0b000000u) * 16 + m->psid);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Results from forked children (their asserts do not reach us)        */

struct child_report {
	int line;		/* 0: all good; else the failing CHECK's line */
	int err;
	char msg[256];
	char what[1024];	/* the failed condition */
	char ctx[64];		/* what the child was doing */
};

static struct child_report *report_map(void)
{
	void *p = mmap(NULL, sizeof(struct child_report), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#define CHECK(rep, cond, r) do {						\
	const struct res *__r = (r);						\
	if (!(cond)) {								\
		(rep)->line = __LINE__;						\
		(rep)->err = __r ? __r->err : 0;				\
		if (__r)							\
			memcpy((rep)->msg, __r->msg, sizeof((rep)->msg));	\
		else								\
			(rep)->msg[0] = 0;					\
		snprintf((rep)->what, sizeof((rep)->what), "%s", #cond);	\
		return 1;							\
	}									\
} while (0)

static int run_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define ASSERT_CHILD_OK(rep, status) do {					\
	ASSERT_EQ(0, status)							\
		TH_LOG("child failed at line %d (%s): %s (err %d, extack \"%s\")", \
		       (rep)->line, (rep)->ctx, (rep)->what, (rep)->err,	\
		       (rep)->msg);						\
} while (0)

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	/* a uid change makes us undumpable: /proc/self would stay root's */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* ================================================================== */
/* The fixture: a fresh netns with one dstm device (client mode, as    */
/* created) and a genl socket.                                         */

FIXTURE(dstm) {
	struct nlc *c;
	int ifindex;
	int extra[64];
	int nextra;
};

FIXTURE_SETUP(dstm)
{
	ASSERT_EQ(0, enter_netns());
	self->ifindex = link_add("dstm0", "dstm");
	ASSERT_LT(0, self->ifindex) TH_LOG("ip link add dstm0 type dstm failed");
	self->c = nlc_open();
	ASSERT_NE(NULL, self->c) TH_LOG("genl family %s not found", DSTM_GENL_NAME);
}

FIXTURE_TEARDOWN(dstm)
{
	int i;

	for (i = 0; i < self->nextra; i++)
		EXPECT_EQ(0, link_del(self->extra[i]));
	if (self->ifindex > 0)
		EXPECT_EQ(0, link_del(self->ifindex));
	nlc_close(self->c);
}

static int add_extra(struct __test_metadata *_metadata,
		     FIXTURE_DATA(dstm) *self, const char *name, const char *kind)
{
	int ifindex = link_add(name, kind);

	if (ifindex > 0 && self->nextra < 64)
		self->extra[self->nextra++] = ifindex;
	EXPECT_LT(0, ifindex) TH_LOG("ip link add %s type %s failed", name, kind);
	return ifindex;
}

/* The device as a TEP with a local address. */
static int make_tep(struct nlc *c, int ifindex)
{
	struct req *r = req_new(c, DSTM_CMD_DEV_SET, 0);

	req_dev(r, ifindex);
	req_u8(r, DSTM_A_MODE, DSTM_MODE_TEP);
	req_ip6(r, DSTM_A_LOCAL, "2001:db8::1");
	return nlc_do(c, r, NULL, NULL, NULL);
}

/*
 * The fast-path tests' start: three dummy devices fp0-fp2 (removed with
 * the fixture) in @fp and the device a TEP.  0 or -1.
 */
static int fastpath_devs(struct __test_metadata *_metadata,
			 FIXTURE_DATA(dstm) *self, int fp[3])
{
	static const char *const names[] = { "fp0", "fp1", "fp2" };
	int i;

	for (i = 0; i < 3; i++) {
		fp[i] = add_extra(_metadata, self, names[i], "dummy");
		if (fp[i] <= 0)
			return -1;
	}
	return make_tep(self->c, self->ifindex) ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* DEV_GET                                                             */

static void check_dev_complete(struct __test_metadata *_metadata,
			       const struct dev *d)
{
	static const int attrs[] = {
		DSTM_A_IFINDEX, DSTM_A_IFNAME, DSTM_A_MODE, DSTM_A_LOCAL,
		DSTM_A_TEP, DSTM_A_ADDR, DSTM_A_PSID_OFFSET, DSTM_A_PSID_LEN,
		DSTM_A_PSID, DSTM_A_HOPLIMIT, DSTM_A_QUEUE_LEN,
		DSTM_A_QUEUE_TIMEOUT, DSTM_A_MAP_COUNT, DSTM_A_GENERATION,
		DSTM_A_STATS, DSTM_A_DROPS,
	};
	size_t i;

	ASSERT_EQ(DSTM_CMD_DEV_GET, d->cmd);
	ASSERT_FALSE(d->badlen) TH_LOG("an attribute has the wrong size");
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		ASSERT_TRUE(d->has[attrs[i]]) TH_LOG("DEV_GET lacks attribute %d",
						     attrs[i]);
	ASSERT_EQ(DSTM_STATS_A_MAX - DSTM_STATS_A_PAD, d->nstats);
	ASSERT_EQ(DSTM_DROP_A_MAX - 1, d->ndrops);	/* all but PAD */
}

TEST_F(dstm, dev_get_defaults)
{
	struct dev d;

	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	check_dev_complete(_metadata, &d);
	ASSERT_EQ((uint32_t)self->ifindex, d.ifindex);
	ASSERT_STREQ("dstm0", d.ifname);
	ASSERT_EQ(DSTM_MODE_CLIENT, d.mode);
	ASSERT_TRUE(ip6_eq(d.local, "::"));
	ASSERT_TRUE(ip6_eq(d.tep, "::"));
	ASSERT_EQ(0u, d.addr);
	ASSERT_EQ(0, d.off);
	ASSERT_EQ(0, d.len);
	ASSERT_EQ(0, d.psid);
	ASSERT_EQ(64, d.hoplimit);		/* documented default */
	ASSERT_GE(4096, d.qlen);
	ASSERT_LE(1, d.qtimeout);
	ASSERT_GE(60000, d.qtimeout);
	ASSERT_EQ(0, d.count);
}

TEST_F(dstm, dev_get_by_name)
{
	struct req *r = req_new(self->c, DSTM_CMD_DEV_GET, 0);
	struct dev d;

	req_str(r, DSTM_A_IFNAME, "dstm0");
	ASSERT_EQ(0, nlc_do(self->c, r, cb_dev, &d, NULL));
	check_dev_complete(_metadata, &d);
	ASSERT_EQ((uint32_t)self->ifindex, d.ifindex);
}

/* "ifindex wins if both are given" */
TEST_F(dstm, dev_get_ifindex_wins)
{
	struct req *r = req_new(self->c, DSTM_CMD_DEV_GET, 0);
	struct res res;
	struct dev d;

	req_str(r, DSTM_A_IFNAME, "nosuchdev");
	req_dev(r, self->ifindex);
	ASSERT_EQ(0, nlc_do(self->c, r, cb_dev, &d, NULL));
	ASSERT_EQ((uint32_t)self->ifindex, d.ifindex);

	r = req_new(self->c, DSTM_CMD_DEV_GET, 0);
	req_str(r, DSTM_A_IFNAME, "dstm0");
	req_dev(r, 999999);
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, ENODEV, MSG_NO_IFINDEX, 0);
}

TEST_F(dstm, dev_get_dump)
{
	struct devs *ds = calloc(1, sizeof(*ds));
	int idx[3] = { self->ifindex }, i, j, seen[3] = {};
	struct dev one;

	ASSERT_NE(NULL, ds);
	idx[1] = add_extra(_metadata, self, "dstm1", "dstm");
	idx[2] = add_extra(_metadata, self, "tun-x", "dstm");
	ASSERT_EQ(0, set_mode(self->c, idx[1], DSTM_MODE_TEP));

	ASSERT_EQ(0, nlc_do(self->c, req_new(self->c, DSTM_CMD_DEV_GET,
					     NLM_F_DUMP), cb_devs, ds, NULL));
	ASSERT_EQ(3, ds->n) TH_LOG("the dump lists only dstm devices (not lo)");
	for (i = 0; i < ds->n; i++) {
		check_dev_complete(_metadata, &ds->d[i]);
		for (j = 0; j < 3; j++)
			if (ds->d[i].ifindex == (uint32_t)idx[j])
				seen[j]++;
	}
	for (j = 0; j < 3; j++)
		ASSERT_EQ(1, seen[j]);
	/* the dump says what a DEV_GET do says */
	for (i = 0; i < ds->n; i++) {
		ASSERT_EQ(0, dev_get(self->c, (int)ds->d[i].ifindex, &one));
		ASSERT_STREQ(one.ifname, ds->d[i].ifname);
		ASSERT_EQ(one.mode, ds->d[i].mode);
		ASSERT_EQ(one.gen, ds->d[i].gen);
	}
	free(ds);
}

/* Many devices: the dump resumes across messages (small recv buffer). */
TEST_F(dstm, dev_get_dump_resumes)
{
	struct nlc *c = nlc_open_bufs(4096, 1 << 20);
	struct devs *ds = calloc(1, sizeof(*ds));
	int i, n = 40, seen[64] = {};
	char name[IFNAMSIZ];
	struct res res;

	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, ds);
	for (i = 1; i < n; i++) {
		snprintf(name, sizeof(name), "dstm%d", i);
		ASSERT_LT(0, add_extra(_metadata, self, name, "dstm"));
	}
	ASSERT_EQ(0, nlc_do(c, req_new(c, DSTM_CMD_DEV_GET, NLM_F_DUMP),
			    cb_devs, ds, &res));
	ASSERT_EQ(n, ds->n);
	for (i = 0; i < ds->n; i++) {
		int k;

		ASSERT_EQ(1, sscanf(ds->d[i].ifname, "dstm%d", &k));
		ASSERT_GT(n, k);
		seen[k]++;
	}
	for (i = 0; i < n; i++)
		ASSERT_EQ(1, seen[i]) TH_LOG("dstm%d listed %d times", i, seen[i]);
	free(ds);
	nlc_close(c);
}

/* A dump lists the devices of the caller's namespace only. */
TEST_F(dstm, dev_get_dump_other_netns)
{
	struct devs *ds = calloc(1, sizeof(*ds));
	int self_ns = open("/proc/self/ns/net", O_RDONLY);
	struct nlc *c;

	ASSERT_NE(NULL, ds);
	ASSERT_LE(0, self_ns);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	c = nlc_open();
	ASSERT_EQ(0, setns(self_ns, CLONE_NEWNET));
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, nlc_do(c, req_new(c, DSTM_CMD_DEV_GET, NLM_F_DUMP),
			    cb_devs, ds, NULL));
	ASSERT_EQ(0, ds->n);
	nlc_close(c);
	close(self_ns);
	free(ds);
}

/* ------------------------------------------------------------------ */
/* Naming the device: every command, every way to get it wrong         */

static const uint8_t dev_cmds[] = {
	DSTM_CMD_DEV_GET, DSTM_CMD_DEV_SET, DSTM_CMD_MAP_NEW, DSTM_CMD_MAP_DEL,
	DSTM_CMD_MAP_GET, DSTM_CMD_MAP_FLUSH,
};

/* A request of @cmd that is valid but for the device. */
static struct req *req_cmd(struct nlc *c, uint8_t cmd, int flags)
{
	struct req *r = req_new(c, cmd, flags);

	switch (cmd) {
	case DSTM_CMD_DEV_SET:
		req_u8(r, DSTM_A_HOPLIMIT, 33);
		break;
	case DSTM_CMD_MAP_NEW:
		req_nest(r, NLA_F_NESTED);
		req_ip4(r, DSTM_MAP_A_IPV4, "198.51.100.1");
		req_ip6(r, DSTM_MAP_A_IPV6, "2001:db8:1::1");
		req_nest_end(r);
		break;
	case DSTM_CMD_MAP_DEL:
	case DSTM_CMD_MAP_GET:
		if (flags & NLM_F_DUMP)
			break;
		req_nest(r, NLA_F_NESTED);
		req_ip4(r, DSTM_MAP_A_IPV4, "198.51.100.1");
		req_nest_end(r);
		break;
	}
	return r;
}

TEST_F(dstm, device_missing)
{
	struct res res;
	size_t i;

	ASSERT_EQ(0, make_tep(self->c, self->ifindex));
	for (i = 0; i < sizeof(dev_cmds); i++) {
		nlc_do(self->c, req_cmd(self->c, dev_cmds[i], 0), NULL, NULL, &res);
		EXPECT_REJECTED_CTX(res, EINVAL, MSG_NO_DEV, 0, "command %d", dev_cmds[i]);
	}
	/* a mapping dump needs a device too (a DEV_GET dump does not) */
	nlc_do(self->c, req_cmd(self->c, DSTM_CMD_MAP_GET, NLM_F_DUMP), NULL,
	       NULL, &res);
	ASSERT_REJECTED(res, EINVAL, MSG_NO_DEV, 0);
}

TEST_F(dstm, device_unknown)
{
	struct res res;
	size_t i;
	int dump;

	for (dump = 0; dump < 2; dump++) {
		for (i = 0; i < sizeof(dev_cmds); i++) {
			int flags = dump ? NLM_F_DUMP : 0;
			struct req *r;
			uint32_t at;

			if (dump && dev_cmds[i] != DSTM_CMD_MAP_GET)
				continue;
			r = req_cmd(self->c, dev_cmds[i], flags);
			at = req_tail(r);
			req_dev(r, 999999);
			nlc_do(self->c, r, NULL, NULL, &res);
			/* 6.1 puts no OFFS in NLMSG_DONE: check it if given */
			EXPECT_REJECTED_CTX(res, ENODEV, MSG_NO_IFINDEX,
					dump && !res.has_offs ? 0 : at, "command %d dump %d", dev_cmds[i], dump);

			r = req_cmd(self->c, dev_cmds[i], flags);
			at = req_tail(r);
			req_str(r, DSTM_A_IFNAME, "nosuchdev");
			nlc_do(self->c, r, NULL, NULL, &res);
			EXPECT_REJECTED_CTX(res, ENODEV, MSG_NO_IFNAME,
					dump && !res.has_offs ? 0 : at, "command %d dump %d", dev_cmds[i], dump);
		}
	}
}

/* lo and a dummy device are not dstm devices. */
TEST_F(dstm, device_not_dstm)
{
	int dummy = link_add("dummy0", "dummy");
	struct res res;
	size_t i;
	int dump;

	if (dummy > 0)
		self->extra[self->nextra++] = dummy;
	for (dump = 0; dump < 2; dump++) {
		for (i = 0; i < sizeof(dev_cmds); i++) {
			int flags = dump ? NLM_F_DUMP : 0;
			struct req *r;
			uint32_t at;

			if (dump && dev_cmds[i] != DSTM_CMD_MAP_GET)
				continue;
			r = req_cmd(self->c, dev_cmds[i], flags);
			at = req_tail(r);
			req_dev(r, 1);	/* lo */
			nlc_do(self->c, r, NULL, NULL, &res);
			EXPECT_REJECTED_CTX(res, EOPNOTSUPP, MSG_NOT_DSTM,
					dump && !res.has_offs ? 0 : at, "command %d dump %d", dev_cmds[i], dump);

			r = req_cmd(self->c, dev_cmds[i], flags);
			at = req_tail(r);
			req_str(r, DSTM_A_IFNAME, "lo");
			nlc_do(self->c, r, NULL, NULL, &res);
			EXPECT_REJECTED_CTX(res, EOPNOTSUPP, MSG_NOT_DSTM,
					dump && !res.has_offs ? 0 : at, "command %d dump %d", dev_cmds[i], dump);

			if (dummy <= 0)
				continue;
			r = req_cmd(self->c, dev_cmds[i], flags);
			at = req_tail(r);
			req_dev(r, dummy);
			nlc_do(self->c, r, NULL, NULL, &res);
			EXPECT_REJECTED_CTX(res, EOPNOTSUPP, MSG_NOT_DSTM,
					dump && !res.has_offs ? 0 : at, "command %d dump %d", dev_cmds[i], dump);
		}
	}
	if (dummy <= 0)
		SKIP(return, "no dummy link type in this kernel (lo was checked)");
}

/* Wrong types and sizes of the device attributes. */
TEST_F(dstm, device_attr_policy)
{
	char longname[IFNAMSIZ + 1];
	struct res res;
	struct req *r;
	uint16_t two = 1;
	uint32_t at;

	/* IFINDEX as 2 bytes */
	r = req_new(self->c, DSTM_CMD_DEV_GET, 0);
	at = req_tail(r);
	req_put(r, DSTM_A_IFINDEX, 2, &two);
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, EINVAL, MSG_ATTRLEN, at);

	/* IFNAME of IFNAMSIZ characters: no room for its NUL */
	memset(longname, 'x', IFNAMSIZ);
	longname[IFNAMSIZ] = 0;
	r = req_new(self->c, DSTM_CMD_DEV_GET, 0);
	at = req_tail(r);
	req_str(r, DSTM_A_IFNAME, longname);
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, EINVAL, MSG_POLICY, at);

	/* IFNAME without a NUL */
	r = req_new(self->c, DSTM_CMD_DEV_GET, 0);
	at = req_tail(r);
	req_put(r, DSTM_A_IFNAME, 5, "dstm0");
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, EINVAL, MSG_POLICY, at);
}

/* ------------------------------------------------------------------ */
/* DEV_SET: each attribute, read back                                  */

struct setcase {
	int type, len;
	uint64_t val;		/* integers, host order */
	const char *addr;	/* or an address */
};

static void req_attr(struct req *r, const struct setcase *a)
{
	uint8_t buf[32] = {};

	if (a->addr && strchr(a->addr, ':')) {
		struct in6_addr in = ip6(a->addr);

		memcpy(buf, &in, 16);
	} else if (a->addr) {
		uint32_t in = ip4(a->addr);

		memcpy(buf, &in, 4);
	} else if (a->len == 1) {
		buf[0] = (uint8_t)a->val;
	} else if (a->len == 2) {
		uint16_t v = (uint16_t)a->val;

		memcpy(buf, &v, 2);
	} else {
		uint32_t v = (uint32_t)a->val;

		memcpy(buf, &v, 4);
	}
	req_put(r, a->type, a->len, buf);
}

TEST_F(dstm, dev_set_each_attribute)
{
	struct dev before, d;
	struct req *r;

	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &before));

#define SET1(attr_put)								\
	do {									\
		r = req_new(self->c, DSTM_CMD_DEV_SET, 0);			\
		req_dev(r, self->ifindex);					\
		attr_put;							\
		ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, NULL));		\
		ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));		\
		check_dev_complete(_metadata, &d);				\
	} while (0)

	SET1(req_ip6(r, DSTM_A_LOCAL, "2001:db8::10"));
	ASSERT_TRUE(ip6_eq(d.local, "2001:db8::10"));
	ASSERT_TRUE(ip6_eq(d.tep, "::"));
	SET1(req_ip6(r, DSTM_A_LOCAL, "::"));	/* :: = chosen by route */
	ASSERT_TRUE(ip6_eq(d.local, "::"));

	SET1(req_ip6(r, DSTM_A_TEP, "2001:db8::20"));
	ASSERT_TRUE(ip6_eq(d.tep, "2001:db8::20"));
	ASSERT_TRUE(ip6_eq(d.local, "::"));

	SET1(req_ip4(r, DSTM_A_ADDR, "192.0.2.7"));
	ASSERT_EQ(ip4("192.0.2.7"), d.addr);
	SET1(req_ip4(r, DSTM_A_ADDR, "0.0.0.0"));	/* lease gone */
	ASSERT_EQ(0u, d.addr);

	SET1(req_u8(r, DSTM_A_PSID_LEN, 8));
	ASSERT_EQ(8, d.len);
	ASSERT_EQ(0, d.off);
	SET1(req_u8(r, DSTM_A_PSID_OFFSET, 4));
	ASSERT_EQ(4, d.off);
	ASSERT_EQ(8, d.len);
	SET1(req_u16(r, DSTM_A_PSID, 0xab));
	ASSERT_EQ(0xab, d.psid);
	ASSERT_EQ(4, d.off);
	ASSERT_EQ(8, d.len);

	SET1(req_u8(r, DSTM_A_HOPLIMIT, 17));
	ASSERT_EQ(17, d.hoplimit);
	SET1(req_u8(r, DSTM_A_HOPLIMIT, 255));
	ASSERT_EQ(255, d.hoplimit);
	SET1(req_u8(r, DSTM_A_HOPLIMIT, 1));
	ASSERT_EQ(1, d.hoplimit);

	SET1(req_u32(r, DSTM_A_QUEUE_LEN, 0));
	ASSERT_EQ(0, d.qlen);
	SET1(req_u32(r, DSTM_A_QUEUE_LEN, 4096));
	ASSERT_EQ(4096, d.qlen);

	SET1(req_u32(r, DSTM_A_QUEUE_TIMEOUT, 1));
	ASSERT_EQ(1, d.qtimeout);
	SET1(req_u32(r, DSTM_A_QUEUE_TIMEOUT, 60000));
	ASSERT_EQ(60000, d.qtimeout);

	SET1(req_u8(r, DSTM_A_MODE, DSTM_MODE_TEP));
	ASSERT_EQ(DSTM_MODE_TEP, d.mode);
	/* the rest of the configuration stays */
	ASSERT_EQ(60000, d.qtimeout);
	ASSERT_EQ(4096, d.qlen);
	ASSERT_EQ(1, d.hoplimit);
	ASSERT_TRUE(ip6_eq(d.tep, "2001:db8::20"));
	SET1(req_u8(r, DSTM_A_MODE, DSTM_MODE_CLIENT));
	ASSERT_EQ(DSTM_MODE_CLIENT, d.mode);

	/* a request with nothing to change changes nothing */
	SET1((void)0);
	ASSERT_EQ(DSTM_MODE_CLIENT, d.mode);
	ASSERT_EQ(0xab, d.psid);

	/* by name, several attributes at once */
	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_str(r, DSTM_A_IFNAME, "dstm0");
	req_u8(r, DSTM_A_PSID_OFFSET, 0);
	req_u8(r, DSTM_A_PSID_LEN, 16);
	req_u16(r, DSTM_A_PSID, 0xffff);
	req_u8(r, DSTM_A_HOPLIMIT, 64);
	ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(0, d.off);
	ASSERT_EQ(16, d.len);
	ASSERT_EQ(0xffff, d.psid);
	ASSERT_EQ(64, d.hoplimit);

	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	req_u8(r, DSTM_A_PSID_OFFSET, 15);
	req_u8(r, DSTM_A_PSID_LEN, 1);
	req_u16(r, DSTM_A_PSID, 1);
	ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(15, d.off);
	ASSERT_EQ(1, d.len);
	ASSERT_EQ(1, d.psid);
#undef SET1
}

struct set_reject {
	const char *what;
	struct setcase a[3];	/* type 0 ends */
	int at;			/* index in a[] the extack points at, -1 none */
	int err;
	const char *msg;
	bool tep;		/* device in TEP mode first */
};

static const struct set_reject set_rejects[] = {
	{ "MODE 2", { { DSTM_A_MODE, 1, 2 } }, 0, ERANGE, MSG_RANGE },
	{ "MODE 255", { { DSTM_A_MODE, 1, 255 } }, 0, ERANGE, MSG_RANGE },
	{ "PSID_LEN 17", { { DSTM_A_PSID_LEN, 1, 17 } }, 0, ERANGE, MSG_RANGE },
	{ "PSID_OFFSET 16", { { DSTM_A_PSID_OFFSET, 1, 16 } }, 0, ERANGE, MSG_RANGE },
	{ "HOPLIMIT 0", { { DSTM_A_HOPLIMIT, 1, 0 } }, 0, ERANGE, MSG_RANGE },
	{ "QUEUE_TIMEOUT 0", { { DSTM_A_QUEUE_TIMEOUT, 4, 0 } }, 0, ERANGE, MSG_RANGE },
	{ "QUEUE_TIMEOUT 60001", { { DSTM_A_QUEUE_TIMEOUT, 4, 60001 } }, 0, ERANGE, MSG_RANGE },
	{ "QUEUE_LEN 4097", { { DSTM_A_QUEUE_LEN, 4, 4097 } }, 0, ERANGE, MSG_RANGE },
	{ "MODE as u32", { { DSTM_A_MODE, 4, 1 } }, 0, EINVAL, MSG_ATTRLEN },
	{ "HOPLIMIT as u16", { { DSTM_A_HOPLIMIT, 2, 9 } }, 0, EINVAL, MSG_ATTRLEN },
	{ "ADDR of 3 bytes", { { DSTM_A_ADDR, 3, 0x010203 } }, 0, EINVAL, MSG_ATTRLEN },
	{ "PSID as u8", { { DSTM_A_PSID, 1, 1 } }, 0, EINVAL, MSG_ATTRLEN },
	{ "LOCAL of 15 bytes", { { DSTM_A_LOCAL, 15, 0, "2001:db8::1" } }, 0, ERANGE, MSG_BINLEN },
	{ "TEP of 15 bytes", { { DSTM_A_TEP, 15, 0, "2001:db8::1" } }, 0, ERANGE, MSG_BINLEN },
	{ "TEP of 4 bytes", { { DSTM_A_TEP, 4, 0, "192.0.2.1" } }, 0, ERANGE, MSG_BINLEN },
	{ "LOCAL multicast", { { DSTM_A_LOCAL, 16, 0, "ff02::1" } }, 0, EINVAL, MSG_LOCAL },
	{ "LOCAL loopback", { { DSTM_A_LOCAL, 16, 0, "::1" } }, 0, EINVAL, MSG_LOCAL },
	{ "TEP multicast", { { DSTM_A_TEP, 16, 0, "ff0e::5" } }, 0, EINVAL, MSG_TEP },
	{ "TEP loopback", { { DSTM_A_TEP, 16, 0, "::1" } }, 0, EINVAL, MSG_TEP },
	{ "ADDR multicast", { { DSTM_A_ADDR, 4, 0, "224.0.0.1" } }, 0, EINVAL, MSG_ADDR },
	{ "ADDR broadcast", { { DSTM_A_ADDR, 4, 0, "255.255.255.255" } }, 0, EINVAL, MSG_ADDR },
	{ "ADDR loopback", { { DSTM_A_ADDR, 4, 0, "127.0.0.1" } }, 0, EINVAL, MSG_ADDR },
	{ "offset 10 + len 8", { { DSTM_A_PSID_OFFSET, 1, 10 }, { DSTM_A_PSID_LEN, 1, 8 } },
	  1, EINVAL, MSG_OFF_LEN },
	{ "offset 1 + len 16", { { DSTM_A_PSID_OFFSET, 1, 1 }, { DSTM_A_PSID_LEN, 1, 16 } },
	  1, EINVAL, MSG_OFF_LEN },
	{ "PSID 256, len 8", { { DSTM_A_PSID_LEN, 1, 8 }, { DSTM_A_PSID, 2, 256 } },
	  1, ERANGE, MSG_PSID_FIT },
	{ "PSID 1, len 0", { { DSTM_A_PSID, 2, 1 } }, 0, ERANGE, MSG_PSID_FIT },
	{ "ADDR on a TEP", { { DSTM_A_ADDR, 4, 0, "192.0.2.1" } }, 0, EINVAL, MSG_TEP_ADDR, true },
	{ "ADDR while becoming a TEP", { { DSTM_A_MODE, 1, DSTM_MODE_TEP },
					 { DSTM_A_ADDR, 4, 0, "192.0.2.1" } },
	  1, EINVAL, MSG_TEP_ADDR },
	/* strict validation: read-only, padding and unknown attributes */
	{ "MAP_COUNT", { { DSTM_A_MAP_COUNT, 4, 5 } }, 0, EINVAL, MSG_UNSUPP },
	{ "GENERATION", { { DSTM_A_GENERATION, 4, 5 } }, 0, EINVAL, MSG_UNSUPP },
	{ "PAD", { { DSTM_A_PAD, 4, 0 } }, 0, EINVAL, MSG_UNSUPP },
	{ "DST", { { DSTM_A_DST, 4, 0, "192.0.2.1" } }, 0, EINVAL, MSG_UNSUPP },
	{ "type MAX+1", { { DSTM_A_MAX + 1, 4, 0 } }, 0, EINVAL, MSG_UNKNOWN },
};

/*
 * Every rejection, with the extack pointing at the attribute at fault; and
 * "the whole request is checked before anything changes": a good HOPLIMIT
 * sent along with the bad attribute is not applied.
 */
TEST_F(dstm, dev_set_rejects)
{
	size_t i;

	for (i = 0; i < sizeof(set_rejects) / sizeof(set_rejects[0]); i++) {
		const struct set_reject *t = &set_rejects[i];
		struct dev before, after;
		uint32_t at[3] = {};
		struct res res;
		struct req *r;
		int k;

		ASSERT_EQ(0, set_mode(self->c, self->ifindex,
				      t->tep ? DSTM_MODE_TEP : DSTM_MODE_CLIENT));
		ASSERT_EQ(0, dev_get(self->c, self->ifindex, &before));
		r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
		req_dev(r, self->ifindex);
		req_u8(r, DSTM_A_HOPLIMIT, (uint8_t)(before.hoplimit + 1));
		for (k = 0; k < 3 && t->a[k].type; k++) {
			at[k] = req_tail(r);
			req_attr(r, &t->a[k]);
		}
		nlc_do(self->c, r, NULL, NULL, &res);
		EXPECT_REJECTED_CTX(res, t->err, t->msg, t->at >= 0 ? at[t->at] : 0, "case \"%s\"", t->what);
		ASSERT_EQ(0, dev_get(self->c, self->ifindex, &after));
		EXPECT_TRUE(before.hoplimit == after.hoplimit &&
			    before.mode == after.mode &&
			    before.addr == after.addr && before.off == after.off &&
			    before.len == after.len && before.psid == after.psid &&
			    before.qlen == after.qlen &&
			    before.qtimeout == after.qtimeout)
			TH_LOG("case \"%s\": a rejected DEV_SET changed the device",
			       t->what);
		if (res.err != -t->err) {
			/* accepted: put the device back as it was */
			r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
			req_dev(r, self->ifindex);
			req_u8(r, DSTM_A_HOPLIMIT, before.hoplimit);
			req_u32(r, DSTM_A_QUEUE_LEN, (uint32_t)before.qlen);
			req_u32(r, DSTM_A_QUEUE_TIMEOUT, (uint32_t)before.qtimeout);
			req_u8(r, DSTM_A_PSID_OFFSET, before.off);
			req_u8(r, DSTM_A_PSID_LEN, before.len);
			req_u16(r, DSTM_A_PSID, before.psid);
			nlc_do(self->c, r, NULL, NULL, NULL);
		}
	}
}

/* PSID_OFFSET alone can push offset + length over 16: points at it. */
TEST_F(dstm, dev_set_offset_against_current_len)
{
	struct res res;
	struct req *r;
	uint32_t at;

	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	req_u8(r, DSTM_A_PSID_LEN, 8);
	ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, NULL));

	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	at = req_tail(r);
	req_u8(r, DSTM_A_PSID_OFFSET, 9);
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, EINVAL, MSG_OFF_LEN, at);

	/* and shrinking the length under the current PSID */
	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	req_u16(r, DSTM_A_PSID, 200);
	ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, NULL));
	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	at = req_tail(r);
	req_u8(r, DSTM_A_PSID_LEN, 7);
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, ERANGE, MSG_PSID_FIT, at);
}

/* "Changing MODE flushes the mapping table." */
TEST_F(dstm, dev_set_mode_flushes)
{
	struct nlc *ev = nlc_events();
	struct dev d, e;
	struct res res;
	int i, dels = 0;

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, make_tep(self->c, self->ifindex));
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.1", .ipv6 = "2001:db8:1::1"),
			     0, NULL));
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.2", .ipv6 = "2001:db8:1::2",
				   .len = 4, .psid = 3), 0, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(2, d.count);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(1, ev_next(ev, &e, 5000));

	ASSERT_EQ(0, set_mode(self->c, self->ifindex, DSTM_MODE_CLIENT));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(0, d.count);
	while (ev_next(ev, &e, 1000) == 1) {
		ASSERT_EQ(DSTM_CMD_MAP_DEL, e.cmd);
		dels++;
	}
	ASSERT_EQ(2, dels);

	ASSERT_EQ(0, set_mode(self->c, self->ifindex, DSTM_MODE_TEP));
	map_get(self->c, self->ifindex, "198.51.100.1", -1, &d, &res);
	ASSERT_REJECTED(res, ENOENT, MSG_NO_SUCH, 0);
	/* setting the same mode again keeps the table */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.1", .ipv6 = "2001:db8:1::1"),
			     0, NULL));
	ASSERT_EQ(0, set_mode(self->c, self->ifindex, DSTM_MODE_TEP));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(1, d.count);
	nlc_close(ev);
}

/* ------------------------------------------------------------------ */
/* The fast path (DSTM_A_FASTPATH): the set, its rejections, counters  */

/*
 * A FASTPATH nest of @n ifindexes (@flag: NLA_F_NESTED, or 0 to test its
 * absence); the offset of each IFINDEX goes to @item_off (if not NULL).
 * Returns the offset of the nest.
 */
static uint32_t req_fastpath(struct req *r, const int *idx, int n, int flag,
			     uint32_t *item_off)
{
	uint32_t nest_off = req_nest_open(r, DSTM_A_FASTPATH, flag);
	int i;

	for (i = 0; i < n; i++) {
		uint32_t v = (uint32_t)idx[i];

		if (item_off)
			item_off[i] = req_tail(r);
		nla_put(r->msg, DSTM_FASTPATH_A_IFINDEX, 4, &v);
	}
	req_nest_end(r);
	return nest_off;
}

/* DEV_SET with only the fast-path set (n = 0: an empty nest, clearing). */
static int fastpath_set(struct nlc *c, int ifindex, const int *idx, int n,
			struct res *res)
{
	struct req *r = req_new(c, DSTM_CMD_DEV_SET, 0);

	req_dev(r, ifindex);
	req_fastpath(r, idx, n, NLA_F_NESTED, NULL);
	return nlc_do(c, r, NULL, NULL, res);
}

/* The set DEV_GET reports is exactly idx[0 .. n-1], in any order. */
static bool fastpath_is(const struct dev *d, const int *idx, int n)
{
	int i, j;

	if (d->badlen || d->nfast != n || d->has[DSTM_A_FASTPATH] != (n > 0))
		return false;
	for (i = 0; i < n; i++) {
		for (j = 0; j < d->nfast; j++)
			if (d->fast[j] == (uint32_t)idx[i])
				break;
		if (j == d->nfast)
			return false;
	}
	return true;
}

#define ASSERT_FASTPATH(d, idx, n)						\
	ASSERT_TRUE(fastpath_is(&(d), idx, n))					\
		TH_LOG("DEV_GET fast path: %d ifindexes (has %d, badlen %d): "	\
		       "%u %u %u, want %d", (d).nfast,				\
		       (d).has[DSTM_A_FASTPATH], (d).badlen, (d).fast[0],	\
		       (d).fast[1], (d).fast[2], n)

/* A device of the fixture the test deleted (or moved) itself. */
static void forget_extra(FIXTURE_DATA(dstm) *self, int ifindex)
{
	int i;

	for (i = 0; i < self->nextra; i++) {
		if (self->extra[i] == ifindex) {
			self->extra[i] = self->extra[--self->nextra];
			return;
		}
	}
}

/* DEV_SET replaces the whole set, DEV_GET (do and dump) returns it. */
TEST_F(dstm, fastpath_set_get)
{
	struct devs *ds = calloc(1, sizeof(*ds));
	int fp[3], i, found = 0;
	struct dev d;
	struct req *r;

	ASSERT_NE(NULL, ds);
	ASSERT_EQ(0, fastpath_devs(_metadata, self, fp));

	/* none at first: no FASTPATH attribute */
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	check_dev_complete(_metadata, &d);
	ASSERT_FASTPATH(d, fp, 0);

	ASSERT_EQ(0, fastpath_set(self->c, self->ifindex, fp, 2, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	check_dev_complete(_metadata, &d);
	ASSERT_FASTPATH(d, fp, 2);

	/* the dump carries it too */
	ASSERT_EQ(0, nlc_do(self->c, req_new(self->c, DSTM_CMD_DEV_GET,
					     NLM_F_DUMP), cb_devs, ds, NULL));
	for (i = 0; i < ds->n; i++) {
		if (ds->d[i].ifindex != (uint32_t)self->ifindex)
			continue;
		found++;
		ASSERT_FASTPATH(ds->d[i], fp, 2);
	}
	ASSERT_EQ(1, found);

	/* a DEV_SET without FASTPATH keeps the set */
	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	req_u8(r, DSTM_A_HOPLIMIT, 99);
	ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(99, d.hoplimit);
	ASSERT_FASTPATH(d, fp, 2);

	/* the whole set is replaced, not added to */
	ASSERT_EQ(0, fastpath_set(self->c, self->ifindex, fp + 2, 1, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_FASTPATH(d, fp + 2, 1);
	ASSERT_EQ(0, fastpath_set(self->c, self->ifindex, fp, 3, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_FASTPATH(d, fp, 3);

	/* an empty nest clears it; clearing an empty set is fine */
	ASSERT_EQ(0, fastpath_set(self->c, self->ifindex, NULL, 0, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	check_dev_complete(_metadata, &d);
	ASSERT_FASTPATH(d, fp, 0);
	ASSERT_EQ(0, fastpath_set(self->c, self->ifindex, NULL, 0, NULL));

	/* by name, with the mode in the same request */
	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_str(r, DSTM_A_IFNAME, "dstm0");
	req_u8(r, DSTM_A_MODE, DSTM_MODE_TEP);
	req_fastpath(r, fp + 1, 2, NLA_F_NESTED, NULL);
	ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_FASTPATH(d, fp + 1, 2);
	free(ds);
}

/* DEV_GET until the set has @n devices (at most 2 s; it should be at once). */
static int dev_get_nfast(struct nlc *c, int ifindex, int n, struct dev *d)
{
	int tries, err = 0;

	for (tries = 0; tries < 20; tries++) {
		err = dev_get(c, ifindex, d);
		if (err || d->nfast == n)
			break;
		usleep(100 * 1000);
	}
	return err;
}

/* "A device that is deleted or moved to another namespace leaves the set." */
TEST_F(dstm, fastpath_device_leaves)
{
	int fp[3], nsfd, self_ns = open("/proc/self/ns/net", O_RDONLY);
	struct dev d;

	ASSERT_LE(0, self_ns);
	ASSERT_EQ(0, fastpath_devs(_metadata, self, fp));
	ASSERT_EQ(0, fastpath_set(self->c, self->ifindex, fp, 3, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_FASTPATH(d, fp, 3);

	/* deleted: fp0 goes, fp1 and fp2 stay */
	ASSERT_EQ(0, link_del(fp[0]));
	forget_extra(self, fp[0]);
	ASSERT_EQ(0, dev_get_nfast(self->c, self->ifindex, 2, &d));
	ASSERT_FASTPATH(d, fp + 1, 2);

	/* moved to another namespace: fp1 goes */
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	nsfd = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_EQ(0, setns(self_ns, CLONE_NEWNET));
	ASSERT_LE(0, nsfd);
	ASSERT_EQ(0, link_set_netns(fp[1], nsfd));
	forget_extra(self, fp[1]);
	ASSERT_EQ(0, dev_get_nfast(self->c, self->ifindex, 1, &d));
	ASSERT_FASTPATH(d, fp + 2, 1);
	close(nsfd);		/* the namespace and fp1 go away */

	/* deleting the last one leaves an empty set: no attribute */
	ASSERT_EQ(0, link_del(fp[2]));
	forget_extra(self, fp[2]);
	ASSERT_EQ(0, dev_get_nfast(self->c, self->ifindex, 0, &d));
	check_dev_complete(_metadata, &d);
	ASSERT_FASTPATH(d, fp, 0);
	close(self_ns);
}

/* Every rejection of the kernel's and of the nested policy. */
TEST_F(dstm, fastpath_rejects)
{
	int fp[DSTM_FASTPATH_MAX_DEVS + 1], other, i;
	uint32_t item[DSTM_FASTPATH_MAX_DEVS + 1], nest_at;
	struct dev before, after;
	char name[IFNAMSIZ];
	struct res res;
	struct req *r;

	for (i = 0; i < DSTM_FASTPATH_MAX_DEVS + 1; i++) {
		snprintf(name, sizeof(name), "fp%d", i);
		fp[i] = add_extra(_metadata, self, name, "dummy");
		ASSERT_LT(0, fp[i]);
	}
	other = add_extra(_metadata, self, "dstm1", "dstm");
	ASSERT_LT(0, other);

	/* a client refuses any set, pointing at it */
	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	nest_at = req_fastpath(r, fp, 1, NLA_F_NESTED, NULL);
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, EINVAL, MSG_FP_CLIENT, nest_at);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &after));
	ASSERT_FASTPATH(after, fp, 0);
	/* the empty set is no TEP setting: a client may clear it */
	ASSERT_EQ(0, fastpath_set(self->c, self->ifindex, NULL, 0, NULL));

	/* becoming a TEP in the same request is fine */
	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	req_u8(r, DSTM_A_MODE, DSTM_MODE_TEP);
	req_ip6(r, DSTM_A_LOCAL, "2001:db8::1");
	req_fastpath(r, fp, 1, NLA_F_NESTED, NULL);
	ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &before));
	ASSERT_FASTPATH(before, fp, 1);

#define FP_REJECT(what, errno_, text, at_expr, build) do {			\
		uint32_t __at;							\
		r = req_new(self->c, DSTM_CMD_DEV_SET, 0);			\
		req_dev(r, self->ifindex);					\
		req_u8(r, DSTM_A_HOPLIMIT, (uint8_t)(before.hoplimit + 1));	\
		build;								\
		__at = (at_expr);						\
		nlc_do(self->c, r, NULL, NULL, &res);				\
		EXPECT_REJECTED_CTX(res, errno_, text, __at, "%s", what);	\
		ASSERT_EQ(0, dev_get(self->c, self->ifindex, &after));		\
		EXPECT_TRUE(after.hoplimit == before.hoplimit &&		\
			    after.mode == before.mode &&			\
			    fastpath_is(&after, fp, 1))				\
			TH_LOG("%s: a rejected DEV_SET changed the device", what); \
	} while (0)

	/* the kernel's own checks, pointing at the device at fault */
	{
		int bad[2] = { fp[1], 999999 };

		FP_REJECT("unknown ifindex", ENODEV, MSG_FP_NODEV, item[1],
			  req_fastpath(r, bad, 2, NLA_F_NESTED, item));
	}
	{
		int bad[2] = { fp[1], other };

		FP_REJECT("another dstm device", EINVAL, MSG_FP_DSTM, item[1],
			  req_fastpath(r, bad, 2, NLA_F_NESTED, item));
		bad[1] = self->ifindex;
		FP_REJECT("the dstm device itself", EINVAL, MSG_FP_DSTM, item[1],
			  req_fastpath(r, bad, 2, NLA_F_NESTED, item));
	}
	{
		int bad[3] = { fp[1], fp[2], fp[1] };

		FP_REJECT("listed twice", EINVAL, MSG_FP_TWICE, item[2],
			  req_fastpath(r, bad, 3, NLA_F_NESTED, item));
	}
	FP_REJECT("17 devices", E2BIG, MSG_FP_MANY,
		  item[DSTM_FASTPATH_MAX_DEVS],
		  req_fastpath(r, fp, DSTM_FASTPATH_MAX_DEVS + 1, NLA_F_NESTED,
			       item));
	/* a request without FASTPATH keeps the set: nothing to point at */
	FP_REJECT("switching to client with the set kept", EINVAL,
		  MSG_FP_CLIENT, 0, req_u8(r, DSTM_A_MODE, DSTM_MODE_CLIENT));
	FP_REJECT("switching to client with a new set", EINVAL, MSG_FP_CLIENT,
		  nest_at, (req_u8(r, DSTM_A_MODE, DSTM_MODE_CLIENT),
			    nest_at = req_fastpath(r, fp + 1, 2, NLA_F_NESTED,
						   item)));

	/* the nested policy: points at the attribute at fault */
	{
		int bad[2] = { fp[1], 0 };

		FP_REJECT("ifindex 0", ERANGE, MSG_RANGE, item[1],
			  req_fastpath(r, bad, 2, NLA_F_NESTED, item));
	}
	{
		uint16_t two = 3;

		FP_REJECT("IFINDEX of 2 bytes", EINVAL, MSG_ATTRLEN, item[1],
			  (nest_at = req_nest_open(r, DSTM_A_FASTPATH, NLA_F_NESTED),
			   item[0] = req_tail(r),
			   nla_put(r->msg, DSTM_FASTPATH_A_IFINDEX, 4, &fp[1]),
			   item[1] = req_tail(r),
			   nla_put(r->msg, DSTM_FASTPATH_A_IFINDEX, 2, &two),
			   req_nest_end(r)));
		FP_REJECT("IFINDEX of 8 bytes", EINVAL, MSG_ATTRLEN, item[0],
			  (nest_at = req_nest_open(r, DSTM_A_FASTPATH, NLA_F_NESTED),
			   item[0] = req_tail(r),
			   nla_put_u64(r->msg, DSTM_FASTPATH_A_IFINDEX, fp[1]),
			   req_nest_end(r)));
	}
	FP_REJECT("unknown attribute in the nest", EINVAL, MSG_UNKNOWN, item[1],
		  (nest_at = req_nest_open(r, DSTM_A_FASTPATH, NLA_F_NESTED),
		   item[0] = req_tail(r),
		   nla_put_u32(r->msg, DSTM_FASTPATH_A_IFINDEX, (uint32_t)fp[1]),
		   item[1] = req_tail(r),
		   nla_put_u32(r->msg, DSTM_FASTPATH_A_MAX + 1, (uint32_t)fp[2]),
		   req_nest_end(r)));
	FP_REJECT("FASTPATH without NLA_F_NESTED", EINVAL, MSG_NESTED, nest_at,
		  nest_at = req_fastpath(r, fp + 1, 1, 0, NULL));
#undef FP_REJECT

	/* clearing it in the request that switches to client is fine */
	r = req_new(self->c, DSTM_CMD_DEV_SET, 0);
	req_dev(r, self->ifindex);
	req_u8(r, DSTM_A_MODE, DSTM_MODE_CLIENT);
	req_fastpath(r, NULL, 0, NLA_F_NESTED, NULL);
	ASSERT_EQ(0, nlc_do(self->c, r, NULL, NULL, &res))
		TH_LOG("mode client with an empty set: %s", res.msg);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &after));
	ASSERT_EQ(DSTM_MODE_CLIENT, after.mode);
	ASSERT_FASTPATH(after, fp, 0);

	/* the limit itself is accepted */
	ASSERT_EQ(0, set_mode(self->c, self->ifindex, DSTM_MODE_TEP));
	ASSERT_EQ(0, fastpath_set(self->c, self->ifindex, fp,
				  DSTM_FASTPATH_MAX_DEVS, &res))
		TH_LOG("16 devices: %s", res.msg);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &after));
	ASSERT_FASTPATH(after, fp, DSTM_FASTPATH_MAX_DEVS);
}

/* The two counters are in DEV_GET's stats, in both modes, from the start. */
TEST_F(dstm, fastpath_counters)
{
	struct dev d;
	int mode;

	for (mode = DSTM_MODE_CLIENT; mode <= DSTM_MODE_TEP; mode++) {
		ASSERT_EQ(0, set_mode(self->c, self->ifindex, (uint8_t)mode));
		ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
		ASSERT_FALSE(d.badlen);
		ASSERT_TRUE(d.has_stat[DSTM_STATS_A_FAST_TX_PACKETS])
			TH_LOG("mode %d: no FAST_TX_PACKETS", mode);
		ASSERT_TRUE(d.has_stat[DSTM_STATS_A_FAST_RX_PACKETS])
			TH_LOG("mode %d: no FAST_RX_PACKETS", mode);
		ASSERT_EQ(0, d.stats[DSTM_STATS_A_FAST_TX_PACKETS]);
		ASSERT_EQ(0, d.stats[DSTM_STATS_A_FAST_RX_PACKETS]);
	}
}

/* ------------------------------------------------------------------ */
/* The generic netlink header and flags                                */

TEST_F(dstm, genl_reserved_nonzero)
{
	struct res res;
	struct req *r;
	size_t i;

	ASSERT_EQ(0, make_tep(self->c, self->ifindex));
	for (i = 0; i < sizeof(dev_cmds); i++) {
		r = req_cmd(self->c, dev_cmds[i], 0);
		req_dev(r, self->ifindex);
		((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(r->msg)))->reserved = 1;
		nlc_do(self->c, r, NULL, NULL, &res);
		EXPECT_REJECTED_CTX(res, EINVAL, MSG_RESERVED, 0, "command %d", dev_cmds[i]);
	}
	r = req_new(self->c, DSTM_CMD_MAP_GET, NLM_F_DUMP);
	req_dev(r, self->ifindex);
	((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(r->msg)))->reserved = 7;
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, EINVAL, MSG_RESERVED, 0);
}

/* ------------------------------------------------------------------ */
/* Mappings                                                            */

static void check_map(struct __test_metadata *_metadata, const struct dev *d,
		      int ifindex, const char *v4, const char *v6,
		      int off, int len, int psid, uint32_t lifetime)
{
	ASSERT_FALSE(d->badlen);
	ASSERT_EQ((uint32_t)ifindex, d->ifindex);
	ASSERT_TRUE(d->has[DSTM_A_IFNAME]);
	ASSERT_TRUE(d->has[DSTM_A_MAP]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_IPV4]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_IPV6]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_PSID_OFFSET]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_PSID_LEN]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_PSID]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_LIFETIME]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_TX_PACKETS]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_TX_BYTES]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_RX_PACKETS]);
	ASSERT_TRUE(d->map.has[DSTM_MAP_A_RX_BYTES]);
	ASSERT_EQ(ip4(v4), d->map.ipv4);
	ASSERT_TRUE(ip6_eq(d->map.ipv6, v6));
	ASSERT_EQ(off, d->map.off);
	ASSERT_EQ(len, d->map.len);
	ASSERT_EQ(psid, d->map.psid);
	ASSERT_EQ(lifetime, d->map.lifetime);
	ASSERT_EQ(lifetime != 0, d->map.has[DSTM_MAP_A_EXPIRES]);
	if (lifetime) {
		ASSERT_GE(lifetime, d->map.expires);
		ASSERT_LE(lifetime > 5 ? lifetime - 5 : 0, d->map.expires);
	}
}

FIXTURE(tep) {
	struct nlc *c;
	int ifindex;
};

FIXTURE_SETUP(tep)
{
	ASSERT_EQ(0, enter_netns());
	self->ifindex = link_add("dstm0", "dstm");
	ASSERT_LT(0, self->ifindex);
	self->c = nlc_open();
	ASSERT_NE(NULL, self->c);
	ASSERT_EQ(0, make_tep(self->c, self->ifindex));
}

FIXTURE_TEARDOWN(tep)
{
	if (self->ifindex > 0)
		EXPECT_EQ(0, link_del(self->ifindex));
	nlc_close(self->c);
}

TEST_F(tep, map_new_get_whole)
{
	struct dev d;

	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::7"),
			     0, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", -1, &d, NULL));
	ASSERT_EQ(DSTM_CMD_MAP_GET, d.cmd);
	check_map(_metadata, &d, self->ifindex, "198.51.100.7", "2001:db8:1::7",
		  0, 0, 0, 0);
	ASSERT_EQ(0, d.map.txp);
	ASSERT_EQ(0, d.map.txb);
	ASSERT_EQ(0, d.map.rxp);
	ASSERT_EQ(0, d.map.rxb);
	ASSERT_FALSE(d.map.has[DSTM_MAP_A_LAST_USE]) TH_LOG("never used");
	/* PSID 0 named explicitly is the same key */
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", 0, &d, NULL));
	ASSERT_STREQ("dstm0", d.ifname);
	/* by name */
	struct req *r = req_map(self->c, DSTM_CMD_MAP_GET, 0, 0,
				MSPEC(.ipv4 = "198.51.100.7"));
	req_str(r, DSTM_A_IFNAME, "dstm0");
	ASSERT_EQ(0, nlc_do(self->c, r, cb_dev, &d, NULL));
	ASSERT_TRUE(ip6_eq(d.map.ipv6, "2001:db8:1::7"));
}

TEST_F(tep, map_new_port_sets)
{
	struct dev d;
	struct res res;
	int p;

	/* PSID_OFFSET defaults to 6 when PSID_LEN > 0 */
	for (p = 1; p <= 3; p++) {
		char v6[64];

		snprintf(v6, sizeof(v6), "2001:db8:1::%d", p);
		ASSERT_EQ(0, map_new(self->c, self->ifindex,
				     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = v6,
					   .len = 8, .psid = p), 0, NULL));
	}
	for (p = 1; p <= 3; p++) {
		char v6[64];

		snprintf(v6, sizeof(v6), "2001:db8:1::%d", p);
		ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.8", p,
				     &d, NULL));
		check_map(_metadata, &d, self->ifindex, "198.51.100.8", v6,
			  6, 8, p, 0);
	}
	map_get(self->c, self->ifindex, "198.51.100.8", 4, &d, &res);
	ASSERT_REJECTED(res, ENOENT, MSG_NO_SUCH, 0);
	map_get(self->c, self->ifindex, "198.51.100.8", -1, &d, &res);
	ASSERT_REJECTED(res, ENOENT, MSG_NO_SUCH, 0);

	/* explicit geometry, the extremes */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.9", .ipv6 = "2001:db8:2::1",
				   .off = 0, .len = 16, .psid = 0xffff), 0, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.9", 0xffff,
			     &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.9", "2001:db8:2::1",
		  0, 16, 0xffff, 0);
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.10", .ipv6 = "2001:db8:2::2",
				   .off = 15, .len = 1, .psid = 1), 0, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.10", 1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.10", "2001:db8:2::2",
		  15, 1, 1, 0);
	/* the same IPv6 may hold several mappings */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.11", .ipv6 = "2001:db8:2::2"),
			     0, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(6, d.count);
}

TEST_F(tep, map_new_lifetime)
{
	struct dev d;

	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::7",
				   .lifetime = 100), 0, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", -1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.7", "2001:db8:1::7",
		  0, 0, 0, 100);
	/* lifetime 0 = permanent, the same as none */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::8",
				   .lifetime = 0), 0, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.8", -1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.8", "2001:db8:1::8",
		  0, 0, 0, 0);
	/* the largest lifetime */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.9", .ipv6 = "2001:db8:1::9",
				   .lifetime = 0xffffffffLL), 0, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.9", -1, &d, NULL));
	ASSERT_EQ(0xffffffffu, d.map.lifetime);
	ASSERT_TRUE(d.map.has[DSTM_MAP_A_EXPIRES]);
	ASSERT_LT(0u, d.map.expires) TH_LOG("a 136-year lifetime is not expired");
}

TEST_F(tep, map_new_exists)
{
	struct res res;
	struct dev d;

	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::7"),
			     0, NULL));
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::7"), 0, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_EXISTS, 0);
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::99",
		      .lifetime = 5), 0, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_EXISTS, 0);
	/* the mapping is untouched */
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", -1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.7", "2001:db8:1::7",
		  0, 0, 0, 0);

	/* the same for a port set */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::8",
				   .len = 6, .psid = 9), 0, NULL));
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::8",
		      .len = 6, .psid = 9), 0, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_EXISTS, 0);
}

/*
 * A new generic netlink family takes no NLM_F_REPLACE/CREATE/EXCL: the
 * meaning lives in DSTM_A_REPLACE, and the old flags are refused outright
 * rather than silently ignored.
 */
TEST_F(tep, map_new_rejects_nlm_flags)
{
	static const int flags[] = { NLM_F_EXCL | NLM_F_CREATE, NLM_F_EXCL,
				     NLM_F_REPLACE };
	struct res res;
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		map_new(self->c, self->ifindex, MSPEC(.ipv4 = V4, .ipv6 = V6),
			flags[i], &res);
		ASSERT_EQ(-EINVAL, res.err) TH_LOG("flags %#x: errno %d \"%s\"",
						   flags[i], -res.err, res.msg);
		ASSERT_NE(NULL, strstr(res.msg, "nlmsg_flags"))
			TH_LOG("extack \"%s\"", res.msg);
	}
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = V4, .ipv6 = V6), 0, NULL));
	map_new(self->c, self->ifindex, MSPEC(.ipv4 = V4, .ipv6 = V6), 0, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_EXISTS, 0);
}

/* All mappings of one IPv4 address share (offset, PSID length). */
TEST_F(tep, map_new_geometry_conflict)
{
	struct res res;
	struct dev d;

	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::7"),
			     0, NULL));
	/* whole address taken: no port set of it */
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::8",
		      .len = 4, .psid = 1), 0, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_GEOMETRY, 0);

	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::8",
				   .len = 4, .psid = 1), 0, NULL));
	/* a different length */
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::9",
		      .len = 5, .psid = 2), 0, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_GEOMETRY, 0);
	/* a different offset */
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::9",
		      .off = 4, .len = 4, .psid = 2), 0, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_GEOMETRY, 0);
	/* the whole address while port sets exist */
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::9"), 0, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_GEOMETRY, 0);
	/* the same geometry, spelled out (offset 6 is the default) */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::9",
				   .off = 6, .len = 4, .psid = 2), 0, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(3, d.count);

	/* once the last port set is gone, the address is free again */
	ASSERT_EQ(0, map_del(self->c, self->ifindex, "198.51.100.8", 1, NULL));
	ASSERT_EQ(0, map_del(self->c, self->ifindex, "198.51.100.8", 2, NULL));
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::a"),
			     0, NULL));
}

/* A renewal cannot change the port-set geometry of an address. */
TEST_F(tep, map_replace_geometry_conflict)
{
	struct res res;
	struct dev d;

	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::8",
				   .len = 4, .psid = 1), 0, NULL));
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::9",
		      .len = 5, .psid = 1), MAP_REPLACE, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_GEOMETRY, 0);
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.8", .ipv6 = "2001:db8:1::9"),
		MAP_REPLACE, &res);
	ASSERT_REJECTED(res, EEXIST, MSG_GEOMETRY, 0);
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.8", 1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.8", "2001:db8:1::8",
		  6, 4, 1, 0);
}

/*
 * DSTM_A_REPLACE renews a mapping: new lifetime, new IPv6 address; the
 * counters are kept.  Traffic makes the counters non-zero first: the TEP
 * encapsulates a UDP packet for the mapping towards a dummy underlay.
 */
TEST_F(tep, map_replace_renews)
{
	struct dev d, g0, g1;
	struct res res;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(5000) };
	char payload[100];
	int s, i;

	ASSERT_EQ(0, sh("ip link add ul0 type dummy && ip link set ul0 up && "
			"ip -6 addr add 2001:db8::1/64 dev ul0 nodad && "
			"ip link set dstm0 up && "
			"ip addr add 192.0.2.1/32 dev lo && "
			"ip route add 198.51.100.0/24 dev dstm0 src 192.0.2.1"))
		TH_LOG("underlay setup failed");
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8::7",
				   .lifetime = 30), 0, NULL));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, s);
	memset(payload, 'x', sizeof(payload));
	to.sin_addr.s_addr = ip4("198.51.100.7");
	for (i = 0; i < 3; i++)	/* 3 x (20 + 8 + 100) inner bytes */
		ASSERT_EQ(100, sendto(s, payload, sizeof(payload), 0,
				      (struct sockaddr *)&to, sizeof(to)));
	close(s);
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", -1, &d, NULL));
	ASSERT_EQ(3, d.map.txp) TH_LOG("the TEP did not encapsulate");
	ASSERT_EQ(3 * 128, d.map.txb) TH_LOG("bytes: inner IPv4 packets");
	ASSERT_TRUE(d.map.has[DSTM_MAP_A_LAST_USE]);

	/* renew: longer lifetime, a new IPv6 address */
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &g0));
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8::8",
		      .lifetime = 300), MAP_REPLACE, &res);
	ASSERT_EQ(0, res.err) TH_LOG("MAP_NEW + DSTM_A_REPLACE: errno %d, \"%s\"",
				     -res.err, res.msg);
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", -1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.7", "2001:db8::8",
		  0, 0, 0, 300);
	ASSERT_EQ(3, d.map.txp) TH_LOG("counters lost on renewal");
	ASSERT_EQ(3 * 128, d.map.txb);
	ASSERT_TRUE(d.map.has[DSTM_MAP_A_LAST_USE]);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &g1));
	ASSERT_EQ(1, g1.count);
	ASSERT_NE(g0.gen, g1.gen) TH_LOG("a renewal is a table change");

	/* renew the lifetime only; a renewal without a lifetime keeps it;
	 * an explicit 0 makes the mapping permanent
	 */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8::8",
				   .lifetime = 50), MAP_REPLACE, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", -1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.7", "2001:db8::8",
		  0, 0, 0, 50);
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8::8"),
			     MAP_REPLACE, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", -1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.7", "2001:db8::8",
		  0, 0, 0, 50);
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8::8",
				   .lifetime = 0), MAP_REPLACE, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.7", -1, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.7", "2001:db8::8",
		  0, 0, 0, 0);
	ASSERT_EQ(3, d.map.txp);

	/* port-set mapping: new IPv6, same key */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.9", .ipv6 = "2001:db8::9",
				   .len = 4, .psid = 2), 0, NULL));
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.9", .ipv6 = "2001:db8::a",
				   .len = 4, .psid = 2, .lifetime = 7),
			     MAP_REPLACE, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.9", 2, &d, NULL));
	check_map(_metadata, &d, self->ifindex, "198.51.100.9", "2001:db8::a",
		  6, 4, 2, 7);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(2, d.count);
	EXPECT_EQ(0, sh("ip link del ul0"));
}

/* "GENERATION: bumped on every table change" */
TEST_F(tep, generation)
{
	struct dev a, b;
	struct res res;

	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &a));
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::7"),
			     0, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &b));
	ASSERT_NE(a.gen, b.gen);
	ASSERT_EQ(1, b.count);
	/* a rejected request is no change */
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = "198.51.100.7", .ipv6 = "2001:db8:1::7"), 0, &res);
	ASSERT_EQ(-EEXIST, res.err);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &a));
	ASSERT_EQ(b.gen, a.gen);
	ASSERT_EQ(0, map_del(self->c, self->ifindex, "198.51.100.7", -1, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &b));
	ASSERT_NE(a.gen, b.gen);
	ASSERT_EQ(0, b.count);
}

struct map_reject {
	const char *what;
	const char *v4, *v6;
	int off, len, psid;
	int extra_type, extra_len;	/* an extra attribute in the nest */
	int at;		/* 1: IPV4, 2: IPV6, 3: OFF, 4: LEN, 5: PSID, 6: extra */
	int err;
	const char *msg;
};

static const struct map_reject map_rejects[] = {
	{ "PSID_LEN 17", V4, V6, -1, 17, -1, 0, 0, 4, ERANGE, MSG_RANGE },
	{ "PSID_OFFSET 16", V4, V6, 16, 4, -1, 0, 0, 3, ERANGE, MSG_RANGE },
	{ "offset 10 + len 8", V4, V6, 10, 8, -1, 0, 0, 4, EINVAL, MSG_OFF_LEN },
	{ "offset 15 + len 2", V4, V6, 15, 2, 0, 0, 0, 4, EINVAL, MSG_OFF_LEN },
	{ "default offset 6 + len 11", V4, V6, -1, 11, 0, 0, 0, 4, EINVAL, MSG_OFF_LEN },
	{ "PSID 256, len 8", V4, V6, -1, 8, 256, 0, 0, 5, ERANGE, MSG_PSID_FIT },
	{ "PSID 1, no len", V4, V6, -1, -1, 1, 0, 0, 5, ERANGE, MSG_PSID_FIT },
	{ "PSID 16, len 4", V4, V6, 6, 4, 16, 0, 0, 5, ERANGE, MSG_PSID_FIT },
	{ "offset, no len", V4, V6, 4, -1, -1, 0, 0, 3, EINVAL, MSG_OFF_NO_LEN },
	{ "offset, len 0", V4, V6, 4, 0, -1, 0, 0, 3, EINVAL, MSG_OFF_NO_LEN },
	{ "IPv4 multicast", "224.1.2.3", V6, -1, -1, -1, 0, 0, 1, EINVAL, MSG_MAP_IPV4 },
	{ "IPv4 broadcast", "255.255.255.255", V6, -1, -1, -1, 0, 0, 1, EINVAL, MSG_MAP_IPV4 },
	{ "IPv4 zero", "0.0.0.0", V6, -1, -1, -1, 0, 0, 1, EINVAL, MSG_MAP_IPV4 },
	{ "IPv4 loopback", "127.0.0.1", V6, -1, -1, -1, 0, 0, 1, EINVAL, MSG_MAP_IPV4 },
	{ "IPv6 zero", V4, "::", -1, -1, -1, 0, 0, 2, EINVAL, MSG_MAP_IPV6 },
	{ "IPv6 multicast", V4, "ff02::1", -1, -1, -1, 0, 0, 2, EINVAL, MSG_MAP_IPV6 },
	{ "IPv6 loopback", V4, "::1", -1, -1, -1, 0, 0, 2, EINVAL, MSG_MAP_IPV6 },
	/* strict validation of the nest */
	{ "TX_PACKETS", V4, V6, -1, -1, -1, DSTM_MAP_A_TX_PACKETS, 8, 6, EINVAL, MSG_UNSUPP },
	{ "EXPIRES", V4, V6, -1, -1, -1, DSTM_MAP_A_EXPIRES, 4, 6, EINVAL, MSG_UNSUPP },
	{ "LAST_USE", V4, V6, -1, -1, -1, DSTM_MAP_A_LAST_USE, 4, 6, EINVAL, MSG_UNSUPP },
	{ "PAD", V4, V6, -1, -1, -1, DSTM_MAP_A_PAD, 0, 6, EINVAL, MSG_UNSUPP },
	{ "type MAX+1", V4, V6, -1, -1, -1, DSTM_MAP_A_MAX + 1, 4, 6, EINVAL, MSG_UNKNOWN },
	{ "LIFETIME as u64", V4, V6, -1, -1, -1, DSTM_MAP_A_LIFETIME, 8, 6, EINVAL, MSG_ATTRLEN },
};

/*
 * MAP_NEW rejections, each pointing at the attribute at fault; the table
 * stays empty.
 */
TEST_F(tep, map_new_rejects)
{
	size_t i;

	for (i = 0; i < sizeof(map_rejects) / sizeof(map_rejects[0]); i++) {
		const struct map_reject *t = &map_rejects[i];
		struct req *r = req_new(self->c, DSTM_CMD_MAP_NEW, 0);
		uint32_t at[7] = {};
		uint8_t zero[8] = {};
		struct res res;
		struct dev d;

		req_dev(r, self->ifindex);
		req_nest(r, NLA_F_NESTED);
		at[1] = req_tail(r);
		req_ip4(r, DSTM_MAP_A_IPV4, t->v4);
		at[2] = req_tail(r);
		req_ip6(r, DSTM_MAP_A_IPV6, t->v6);
		at[3] = req_tail(r);
		if (t->off >= 0)
			req_u8(r, DSTM_MAP_A_PSID_OFFSET, (uint8_t)t->off);
		at[4] = req_tail(r);
		if (t->len >= 0)
			req_u8(r, DSTM_MAP_A_PSID_LEN, (uint8_t)t->len);
		at[5] = req_tail(r);
		if (t->psid >= 0)
			req_u16(r, DSTM_MAP_A_PSID, (uint16_t)t->psid);
		at[6] = req_tail(r);
		if (t->extra_type)
			req_put(r, t->extra_type, t->extra_len, zero);
		req_nest_end(r);
		nlc_do(self->c, r, NULL, NULL, &res);
		EXPECT_REJECTED_CTX(res, t->err, t->msg, at[t->at], "case \"%s\"", t->what);
		ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
		EXPECT_EQ(0, d.count) TH_LOG("case \"%s\"", t->what);
		if (d.count)
			ASSERT_EQ(0, map_flush(self->c, self->ifindex, NULL));
	}
}

/* Wrong attribute sizes in the nest. */
TEST_F(tep, map_new_attr_sizes)
{
	static const struct { int type, len, err; const char *msg; } c[] = {
		{ DSTM_MAP_A_IPV6, 15, ERANGE, MSG_BINLEN },
		{ DSTM_MAP_A_IPV6, 17, ERANGE, MSG_BINLEN },
		{ DSTM_MAP_A_IPV6, 4, ERANGE, MSG_BINLEN },
		{ DSTM_MAP_A_IPV4, 2, EINVAL, MSG_ATTRLEN },
		{ DSTM_MAP_A_IPV4, 16, EINVAL, MSG_ATTRLEN },
		{ DSTM_MAP_A_PSID, 4, EINVAL, MSG_ATTRLEN },
		{ DSTM_MAP_A_PSID_LEN, 2, EINVAL, MSG_ATTRLEN },
	};
	struct in6_addr a6 = ip6("2001:db8:1::7");
	uint8_t buf[32];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct req *r = req_new(self->c, DSTM_CMD_MAP_NEW, 0);
		struct res res;
		uint32_t at;

		memset(buf, 0x11, sizeof(buf));
		memcpy(buf, &a6, 16);
		req_dev(r, self->ifindex);
		req_nest(r, NLA_F_NESTED);
		if (c[i].type != DSTM_MAP_A_IPV4)
			req_ip4(r, DSTM_MAP_A_IPV4, V4);
		if (c[i].type != DSTM_MAP_A_IPV6)
			req_ip6(r, DSTM_MAP_A_IPV6, V6);
		at = req_tail(r);
		req_put(r, c[i].type, c[i].len, buf);
		req_nest_end(r);
		nlc_do(self->c, r, NULL, NULL, &res);
		EXPECT_REJECTED_CTX(res, c[i].err, c[i].msg, at, "type %d len %d", c[i].type, c[i].len);
	}
}

/* Missing pieces: the nest, its addresses, the nest flag. */
TEST_F(tep, map_missing)
{
	struct res res;
	struct req *r;
	uint32_t nest;
	uint8_t cmds[] = { DSTM_CMD_MAP_NEW, DSTM_CMD_MAP_DEL, DSTM_CMD_MAP_GET };
	size_t i;

	for (i = 0; i < sizeof(cmds); i++) {
		r = req_new(self->c, cmds[i], 0);
		req_dev(r, self->ifindex);
		nlc_do(self->c, r, NULL, NULL, &res);
		ASSERT_REJECTED_CTX(res, EINVAL, MSG_NO_MAP, 0, "cmd %d", cmds[i]);
		ASSERT_TRUE(res.has_miss_type);
		ASSERT_EQ((uint32_t)DSTM_A_MAP, res.miss_type);
		ASSERT_FALSE(res.has_miss_nest) TH_LOG("missing at the top level");

		/* the rest of the nest without IPV4 (keys carry no IPv6) */
		r = req_new(self->c, cmds[i], 0);
		req_dev(r, self->ifindex);
		req_nest(r, NLA_F_NESTED);
		nest = r->nest_off;
		if (cmds[i] == DSTM_CMD_MAP_NEW)
			req_ip6(r, DSTM_MAP_A_IPV6, V6);
		req_u16(r, DSTM_MAP_A_PSID, 0);
		req_nest_end(r);
		nlc_do(self->c, r, NULL, NULL, &res);
		ASSERT_REJECTED_CTX(res, EINVAL, MSG_NO_IPV4, 0, "cmd %d", cmds[i]);
		ASSERT_TRUE(res.has_miss_type);
		ASSERT_EQ((uint32_t)DSTM_MAP_A_IPV4, res.miss_type);
		ASSERT_TRUE(res.has_miss_nest);
		ASSERT_EQ(nest, res.miss_nest);

		/* an empty nest */
		r = req_new(self->c, cmds[i], 0);
		req_dev(r, self->ifindex);
		req_nest(r, NLA_F_NESTED);
		req_nest_end(r);
		nlc_do(self->c, r, NULL, NULL, &res);
		ASSERT_REJECTED_CTX(res, EINVAL, MSG_NO_IPV4, 0, "cmd %d", cmds[i]);

		/* a nest without NLA_F_NESTED */
		r = req_new(self->c, cmds[i], 0);
		req_dev(r, self->ifindex);
		req_nest(r, 0);
		nest = r->nest_off;
		req_ip4(r, DSTM_MAP_A_IPV4, V4);
		if (cmds[i] == DSTM_CMD_MAP_NEW)
			req_ip6(r, DSTM_MAP_A_IPV6, V6);
		req_nest_end(r);
		nlc_do(self->c, r, NULL, NULL, &res);
		ASSERT_REJECTED_CTX(res, EINVAL, MSG_NESTED, nest, "cmd %d", cmds[i]);
	}

	r = req_new(self->c, DSTM_CMD_MAP_NEW, 0);
	req_dev(r, self->ifindex);
	req_nest(r, NLA_F_NESTED);
	nest = r->nest_off;
	req_ip4(r, DSTM_MAP_A_IPV4, V4);
	req_u8(r, DSTM_MAP_A_PSID_LEN, 4);
	req_nest_end(r);
	nlc_do(self->c, r, NULL, NULL, &res);
	ASSERT_REJECTED(res, EINVAL, MSG_NO_IPV6, 0);
	ASSERT_TRUE(res.has_miss_type);
	ASSERT_EQ((uint32_t)DSTM_MAP_A_IPV6, res.miss_type);
	ASSERT_TRUE(res.has_miss_nest);
	ASSERT_EQ(nest, res.miss_nest);
}

/* A key (MAP_DEL, MAP_GET) is IPV4 and PSID: nothing else is accepted. */
TEST_F(tep, map_key_strict)
{
	static const int bad[] = {
		DSTM_MAP_A_IPV6, DSTM_MAP_A_PSID_LEN, DSTM_MAP_A_PSID_OFFSET,
		DSTM_MAP_A_LIFETIME, DSTM_MAP_A_TX_BYTES,
	};
	static const int len[] = { 16, 1, 1, 4, 8 };
	uint8_t cmds[] = { DSTM_CMD_MAP_DEL, DSTM_CMD_MAP_GET };
	uint8_t zero[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	size_t i, k;

	ASSERT_EQ(0, map_new(self->c, self->ifindex, MSPEC(.ipv4 = V4, .ipv6 = V6),
			     0, NULL));
	for (k = 0; k < sizeof(cmds); k++) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct req *r = req_new(self->c, cmds[k], 0);
			struct res res;
			uint32_t at;

			req_dev(r, self->ifindex);
			req_nest(r, NLA_F_NESTED);
			req_ip4(r, DSTM_MAP_A_IPV4, V4);
			at = req_tail(r);
			req_put(r, bad[i], len[i], zero);
			req_nest_end(r);
			nlc_do(self->c, r, NULL, NULL, &res);
			EXPECT_REJECTED_CTX(res, EINVAL, MSG_UNSUPP, at, "cmd %d attr %d", cmds[k], bad[i]);
		}
	}
	/* still there */
	ASSERT_EQ(0, map_get(self->c, self->ifindex, V4, -1,
			     &(struct dev){}, NULL));
}

TEST_F(tep, map_del)
{
	struct res res;
	struct dev d;

	ASSERT_EQ(0, map_new(self->c, self->ifindex, MSPEC(.ipv4 = V4, .ipv6 = V6),
			     0, NULL));
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = V6, .len = 4,
				   .psid = 0), 0, NULL));
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.8", .ipv6 = V6, .len = 4,
				   .psid = 5), 0, NULL));
	/* PSID defaults to 0 */
	ASSERT_EQ(0, map_del(self->c, self->ifindex, V4, -1, NULL));
	map_get(self->c, self->ifindex, V4, -1, &d, &res);
	ASSERT_REJECTED(res, ENOENT, MSG_NO_SUCH, 0);
	map_del(self->c, self->ifindex, V4, -1, &res);
	ASSERT_REJECTED(res, ENOENT, MSG_NO_SUCH, 0);
	/* a PSID that is not there, on an address that is */
	map_del(self->c, self->ifindex, "198.51.100.8", 6, &res);
	ASSERT_REJECTED(res, ENOENT, MSG_NO_SUCH, 0);
	ASSERT_EQ(0, map_del(self->c, self->ifindex, "198.51.100.8", -1, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.8", 5, &d, NULL));
	ASSERT_EQ(0, map_del(self->c, self->ifindex, "198.51.100.8", 5, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(0, d.count);
	/* nothing on an empty table */
	map_del(self->c, self->ifindex, "203.0.113.1", 0, &res);
	ASSERT_REJECTED(res, ENOENT, MSG_NO_SUCH, 0);
}

static void gen_small(uint32_t i, struct bulk_map *m)
{
	/* 0..99 whole 10.1.0.x, 100..199 port sets of 10.2.0.0 + (i-100)/8 */
	memset(m, 0, sizeof(*m));
	m->ipv6 = ip6("2001:db8:5::");
	m->ipv6.s6_addr[14] = (uint8_t)(i >> 8);
	m->ipv6.s6_addr[15] = (uint8_t)i;
	if (i < 100) {
		m->ipv4 = htonl(0x0a010000u + i);
	} else {
		m->ipv4 = htonl(0x0a020000u + (i - 100) / 8);
		m->off = 2;
		m->len = 3;
		m->psid = (uint16_t)((i - 100) % 8);
	}
}

static long index_small(const struct map *m)
{
	uint32_t h = ntohl(m->ipv4);

	if ((h >> 16) == 0x0a01 && !m->len)
		return (long)(h & 0xffff);
	if ((h >> 16) == 0x0a02 && m->len == 3 && m->off == 2)
		return (long)(100 + (h & 0xffff) * 8 + m->psid);
	return -1;
}

TEST_F(tep, map_dump_and_flush)
{
	struct dumpcheck *dc = dumpcheck_new(gen_small, index_small, 200,
					     self->ifindex);
	int other = link_add("dstm1", "dstm");
	struct res res, fail;
	struct dev d;

	ASSERT_NE(NULL, dc);
	ASSERT_LT(0, other);
	/* an empty table dumps nothing */
	ASSERT_EQ(0, map_dump(self->c, self->ifindex, cb_dumpcheck, dc, &res));
	ASSERT_EQ(0, res.nmsg);

	ASSERT_EQ(0, map_add_bulk(self->c, self->ifindex, gen_small, 0, 200, 64,
				  DSTM_CMD_MAP_NEW, 0, &fail))
		TH_LOG("errno %d \"%s\"", -fail.err, fail.msg);
	/* mappings of another device do not show */
	ASSERT_EQ(0, make_tep(self->c, other));
	ASSERT_EQ(0, map_new(self->c, other, MSPEC(.ipv4 = "10.1.0.1",
						  .ipv6 = "2001:db8:9::1"), 0, NULL));

	ASSERT_EQ(0, map_dump(self->c, self->ifindex, cb_dumpcheck, dc, &res));
	ASSERT_FALSE(res.intr);
	ASSERT_EQ(200, dc->count);
	ASSERT_EQ(0, dc->dups);
	ASSERT_EQ(0, dc->unknown);
	ASSERT_EQ(0, dc->wrong);
	ASSERT_EQ(0, dc->badlen);
	ASSERT_EQ(0, dc->other_dev);
	/* by name too */
	dumpcheck_reset(dc);
	struct req *r = req_new(self->c, DSTM_CMD_MAP_GET, NLM_F_DUMP);

	req_str(r, DSTM_A_IFNAME, "dstm0");
	ASSERT_EQ(0, nlc_do(self->c, r, cb_dumpcheck, dc, &res));
	ASSERT_EQ(200, dc->count);
	ASSERT_EQ(0, dc->dups);

	ASSERT_EQ(0, map_flush(self->c, self->ifindex, NULL));
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(0, d.count);
	dumpcheck_reset(dc);
	ASSERT_EQ(0, map_dump(self->c, self->ifindex, cb_dumpcheck, dc, &res));
	ASSERT_EQ(0, res.nmsg);
	/* flushing an empty table is fine; the other device kept its own */
	ASSERT_EQ(0, map_flush(self->c, self->ifindex, NULL));
	ASSERT_EQ(0, dev_get(self->c, other, &d));
	ASSERT_EQ(1, d.count);
	/* the freed addresses take any geometry again */
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "10.2.0.0", .ipv6 = V6), 0, NULL));
	EXPECT_EQ(0, link_del(other));
	dumpcheck_free(dc);
}

/* Mappings live on TEPs only: every MAP_* command on a client says so. */
TEST_F(dstm, map_on_client)
{
	struct res res;
	uint8_t cmds[] = { DSTM_CMD_MAP_NEW, DSTM_CMD_MAP_DEL, DSTM_CMD_MAP_GET,
			   DSTM_CMD_MAP_FLUSH };
	size_t i;

	for (i = 0; i < sizeof(cmds); i++) {
		struct req *r = req_cmd(self->c, cmds[i], 0);

		req_dev(r, self->ifindex);
		nlc_do(self->c, r, NULL, NULL, &res);
		EXPECT_REJECTED_CTX(res, EOPNOTSUPP, MSG_NOT_TEP, 0, "command %d", cmds[i]);
	}
	map_dump(self->c, self->ifindex, NULL, NULL, &res);
	ASSERT_REJECTED_CTX(res, EOPNOTSUPP, MSG_NOT_TEP, 0, "MAP_GET dump on a client");
}

/* ------------------------------------------------------------------ */
/* Events                                                              */

static void check_event(struct __test_metadata *_metadata, const struct dev *e,
			uint8_t cmd, int ifindex, const char *v4, const char *v6,
			int psid)
{
	ASSERT_EQ(cmd, e->cmd);
	ASSERT_FALSE(e->badlen);
	ASSERT_EQ((uint32_t)ifindex, e->ifindex);
	ASSERT_STREQ("dstm0", e->ifname);
	ASSERT_TRUE(e->has[DSTM_A_MAP]);
	ASSERT_EQ(ip4(v4), e->map.ipv4);
	ASSERT_TRUE(ip6_eq(e->map.ipv6, v6));
	ASSERT_EQ(psid, e->map.psid);
}

TEST_F(tep, events_new_del_flush)
{
	struct nlc *ev = nlc_events();
	struct dev e;
	int i, n = 0, seen[3] = {};

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = V4, .ipv6 = V6, .lifetime = 60), 0, NULL));
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	check_event(_metadata, &e, DSTM_CMD_MAP_NEW, self->ifindex, V4, V6, 0);
	ASSERT_EQ(60, e.map.lifetime);
	ASSERT_EQ(0, e.map.len);

	ASSERT_EQ(0, map_del(self->c, self->ifindex, V4, -1, NULL));
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	check_event(_metadata, &e, DSTM_CMD_MAP_DEL, self->ifindex, V4, V6, 0);
	ASSERT_EQ(60, e.map.lifetime);

	/* port sets; a flush sends one MAP_DEL each */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, map_new(self->c, self->ifindex,
				     MSPEC(.ipv4 = "198.51.100.9", .ipv6 = V6,
					   .off = 5, .len = 2, .psid = i), 0, NULL));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, ev_next(ev, &e, 5000));
		check_event(_metadata, &e, DSTM_CMD_MAP_NEW, self->ifindex,
			    "198.51.100.9", V6, i);
		ASSERT_EQ(5, e.map.off);
		ASSERT_EQ(2, e.map.len);
	}
	/* rejected requests send nothing */
	ASSERT_EQ(-EEXIST, map_new(self->c, self->ifindex,
				   MSPEC(.ipv4 = "198.51.100.9", .ipv6 = V6,
					 .off = 5, .len = 2, .psid = 0), 0, NULL));
	ASSERT_EQ(-ENOENT, map_del(self->c, self->ifindex, "198.51.100.10", 0, NULL));

	ASSERT_EQ(0, map_flush(self->c, self->ifindex, NULL));
	while (ev_next(ev, &e, 1000) == 1) {
		ASSERT_EQ(DSTM_CMD_MAP_DEL, e.cmd)
			TH_LOG("unexpected event %d", e.cmd);
		ASSERT_EQ(ip4("198.51.100.9"), e.map.ipv4);
		ASSERT_GT(3, e.map.psid);
		seen[e.map.psid]++;
		n++;
	}
	ASSERT_EQ(3, n);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(1, seen[i]);
	nlc_close(ev);
}

/* A renewal is announced as MAP_NEW with the new content. */
TEST_F(tep, events_renewal)
{
	struct nlc *ev = nlc_events();
	struct res res;
	struct dev e;

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = V4, .ipv6 = V6, .lifetime = 60), 0, NULL));
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	map_new(self->c, self->ifindex,
		MSPEC(.ipv4 = V4, .ipv6 = "2001:db8:1::8", .lifetime = 90),
		MAP_REPLACE, &res);
	ASSERT_EQ(0, res.err) TH_LOG("MAP_NEW + DSTM_A_REPLACE: errno %d \"%s\"",
				     -res.err, res.msg);
	ASSERT_EQ(1, ev_next(ev, &e, 5000)) TH_LOG("no event for a renewal");
	check_event(_metadata, &e, DSTM_CMD_MAP_NEW, self->ifindex, V4,
		    "2001:db8:1::8", 0);
	ASSERT_EQ(90, e.map.lifetime);
	nlc_close(ev);
}

/* A lifetime runs out in the kernel: MAP_EXPIRED, and the mapping is gone. */
TEST_F(tep, events_expired)
{
	struct nlc *ev = nlc_events();
	double t0, t;
	struct res res;
	struct dev e, d;

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.20", .ipv6 = "2001:db8:1::20"),
			     0, NULL));
	t0 = now();
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = V4, .ipv6 = V6, .len = 4, .psid = 3,
				   .lifetime = 1), 0, NULL));
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	check_event(_metadata, &e, DSTM_CMD_MAP_NEW, self->ifindex, V4, V6, 3);
	ASSERT_EQ(1, ev_next(ev, &e, 10000)) TH_LOG("no MAP_EXPIRED within 10 s");
	t = now() - t0;
	check_event(_metadata, &e, DSTM_CMD_MAP_EXPIRED, self->ifindex, V4, V6, 3);
	ASSERT_EQ(1, e.map.lifetime);
	ASSERT_EQ(4, e.map.len);
	ASSERT_LE(0.95, t) TH_LOG("expired after %.3f s, lifetime 1 s", t);
	ASSERT_GE(5.0, t) TH_LOG("expired after %.3f s, lifetime 1 s", t);
	map_get(self->c, self->ifindex, V4, 3, &d, &res);
	ASSERT_REJECTED(res, ENOENT, MSG_NO_SUCH, 0);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(1, d.count) TH_LOG("the permanent mapping stays");
	/* nothing else expires */
	ASSERT_EQ(0, ev_next(ev, &e, 1500));
	nlc_close(ev);
}

/* A renewal pushes expiry back. */
TEST_F(tep, events_renewal_defers_expiry)
{
	struct nlc *ev = nlc_events();
	double t1, t;
	struct dev e;

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = V4, .ipv6 = V6, .lifetime = 2), 0, NULL));
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	usleep(1000 * 1000);
	t1 = now();
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = V4, .ipv6 = V6, .lifetime = 2),
			     MAP_REPLACE, NULL));
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	ASSERT_EQ(DSTM_CMD_MAP_NEW, e.cmd);
	ASSERT_EQ(1, ev_next(ev, &e, 10000));
	t = now() - t1;
	ASSERT_EQ(DSTM_CMD_MAP_EXPIRED, e.cmd);
	ASSERT_LE(1.95, t) TH_LOG("expired %.3f s after a 2 s renewal", t);
	ASSERT_GE(6.0, t);
	nlc_close(ev);
}

/* Events go to listeners in the device's namespace only. */
TEST_F(tep, events_stay_in_netns)
{
	int self_ns = open("/proc/self/ns/net", O_RDONLY);
	struct nlc *ev = nlc_events(), *far;
	struct dev e;

	ASSERT_NE(NULL, ev);
	ASSERT_LE(0, self_ns);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	far = nlc_events();
	ASSERT_EQ(0, setns(self_ns, CLONE_NEWNET));
	ASSERT_NE(NULL, far);
	ASSERT_EQ(0, map_new(self->c, self->ifindex, MSPEC(.ipv4 = V4, .ipv6 = V6),
			     0, NULL));
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	ASSERT_EQ(0, ev_next(far, &e, 1000));
	nlc_close(far);
	nlc_close(ev);
	close(self_ns);
}

/* A client without an address holds the packet and asks for one. */
TEST_F(dstm, events_addr_needed)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7) };
	struct nlc *ev = nlc_events();
	struct dev e, d;
	int s;

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, sh("ip link set dstm0 up && "
			"ip addr add 192.0.2.1/32 dev lo && "
			"ip route add 203.0.113.0/24 dev dstm0 src 192.0.2.1"));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, s);
	to.sin_addr.s_addr = ip4("203.0.113.9");
	ASSERT_EQ(4, sendto(s, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	close(s);
	ASSERT_EQ(1, ev_next(ev, &e, 5000));
	ASSERT_EQ(DSTM_CMD_ADDR_NEEDED, e.cmd);
	ASSERT_FALSE(e.badlen);
	ASSERT_EQ((uint32_t)self->ifindex, e.ifindex);
	ASSERT_STREQ("dstm0", e.ifname);
	ASSERT_TRUE(e.has[DSTM_A_DST]);
	ASSERT_EQ(ip4("203.0.113.9"), e.dst);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(1, d.stats[DSTM_STATS_A_QUEUED]);
	ASSERT_EQ(1, d.stats[DSTM_STATS_A_ADDR_NEEDED]);
	nlc_close(ev);
}

/* ------------------------------------------------------------------ */
/* Permissions                                                         */

struct perm_arg {
	struct child_report *rep;
	int ifindex;		/* a TEP in the test's (init-userns) netns */
};

/* Every command on @ifindex through @c fails with EPERM. */
static int all_eperm(struct child_report *rep, struct nlc *c, int ifindex)
{
	uint8_t cmds[] = { DSTM_CMD_DEV_SET, DSTM_CMD_MAP_NEW, DSTM_CMD_MAP_DEL,
			   DSTM_CMD_MAP_FLUSH, DSTM_CMD_DEV_GET, DSTM_CMD_MAP_GET };
	struct res res;
	size_t i;

	for (i = 0; i < sizeof(cmds); i++) {
		struct req *r = req_cmd(c, cmds[i], 0);

		snprintf(rep->ctx, sizeof(rep->ctx), "cmd %d", cmds[i]);
		req_dev(r, ifindex);
		nlc_do(c, r, NULL, NULL, &res);
		CHECK(rep, res.err == -EPERM, &res);
	}
	struct req *r = req_new(c, DSTM_CMD_MAP_GET, NLM_F_DUMP);

	req_dev(r, ifindex);
	nlc_do(c, r, NULL, NULL, &res);
	CHECK(rep, res.err == -EPERM, &res);
	r = req_new(c, DSTM_CMD_DEV_GET, NLM_F_DUMP);
	nlc_do(c, r, NULL, NULL, &res);
	CHECK(rep, res.err == -EPERM, &res);
	return 0;
}

static int child_nobody(void *p)
{
	struct perm_arg *a = p;
	struct nlc *c;

	CHECK(a->rep, become_nobody() == 0, (struct res *)NULL);
	c = nlc_open_bufs(65536, 0);
	CHECK(a->rep, c != NULL, (struct res *)NULL);
	return all_eperm(a->rep, c, a->ifindex);
}

/* Root without CAP_NET_ADMIN (in the effective set) */
static int child_no_net_admin(void *p)
{
	struct perm_arg *a = p;
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	struct nlc *c;

	CHECK(a->rep, syscall(SYS_capget, &h, d) == 0, (struct res *)NULL);
	d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	CHECK(a->rep, syscall(SYS_capset, &h, d) == 0, (struct res *)NULL);
	c = nlc_open_bufs(65536, 0);
	CHECK(a->rep, c != NULL, (struct res *)NULL);
	return all_eperm(a->rep, c, a->ifindex);
}

/*
 * Events name the hosts using the tunnel as MAP_GET does: subscribing to
 * them needs CAP_NET_ADMIN too.
 */
static int child_nobody_events(void *p)
{
	struct perm_arg *a = p;
	int family, grp, fd;

	CHECK(a->rep, become_nobody() == 0, (struct res *)NULL);
	CHECK(a->rep, resolve(&family, &grp) == 0, (struct res *)NULL);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	CHECK(a->rep, fd >= 0, (struct res *)NULL);
	snprintf(a->rep->ctx, sizeof(a->rep->ctx), "join events as nobody");
	CHECK(a->rep, setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				 &grp, sizeof(grp)) == -1 && errno == EPERM,
	      (struct res *)NULL);
	close(fd);
	return 0;
}

/*
 * A container: an unprivileged user makes a user namespace (its root mapped
 * to the user) with a network namespace of its own, and manages a dstm
 * device there.  A socket opened before, by the real root in the outer
 * namespace, gets EPERM once its user is the container's root: a
 * container's root manages only its own namespace.
 */
static int child_userns(void *p)
{
	struct perm_arg *a = p;
	struct child_report *rep = a->rep;
	struct nlc *outer, *c, *ev;
	struct res res;
	struct dev d;
	int ifindex;
	char map[64];

	outer = nlc_open_bufs(65536, 0);
	CHECK(rep, outer != NULL, (struct res *)NULL);
	CHECK(rep, become_nobody() == 0, (struct res *)NULL);
	CHECK(rep, unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0, (struct res *)NULL);
	CHECK(rep, write_file("/proc/self/setgroups", "deny") == 0,
	      (struct res *)NULL);
	snprintf(map, sizeof(map), "0 %d 1", NOBODY);
	CHECK(rep, write_file("/proc/self/uid_map", map) == 0, (struct res *)NULL);
	CHECK(rep, write_file("/proc/self/gid_map", map) == 0, (struct res *)NULL);
	CHECK(rep, getuid() == 0, (struct res *)NULL);

	/* the outer namespace's device: no */
	if (all_eperm(rep, outer, a->ifindex))
		return 1;

	/* our own */
	CHECK(rep, link_set_up(1) == 0, (struct res *)NULL);
	ifindex = link_add("dstm0", "dstm");
	CHECK(rep, ifindex > 0, (struct res *)NULL);
	c = nlc_open_bufs(65536, 1 << 20);
	CHECK(rep, c != NULL, (struct res *)NULL);
	ev = nlc_events();
	CHECK(rep, ev != NULL, (struct res *)NULL);
	CHECK(rep, make_tep(c, ifindex) == 0, (struct res *)NULL);
	map_new(c, ifindex, MSPEC(.ipv4 = V4, .ipv6 = V6, .lifetime = 60), 0, &res);
	CHECK(rep, res.err == 0, &res);
	CHECK(rep, ev_next(ev, &d, 5000) == 1 && d.cmd == DSTM_CMD_MAP_NEW &&
	      d.ifindex == (uint32_t)ifindex, (struct res *)NULL);
	map_get(c, ifindex, V4, -1, &d, &res);
	CHECK(rep, res.err == 0 && ip6_eq(d.map.ipv6, V6), &res);
	map_dump(c, ifindex, NULL, NULL, &res);
	CHECK(rep, res.err == 0 && res.nmsg == 1, &res);
	CHECK(rep, dev_get(c, ifindex, &d) == 0 && d.mode == DSTM_MODE_TEP &&
	      d.count == 1, (struct res *)NULL);
	nlc_do(c, req_new(c, DSTM_CMD_DEV_GET, NLM_F_DUMP), NULL, NULL, &res);
	CHECK(rep, res.err == 0 && res.nmsg == 1, &res);
	map_del(c, ifindex, V4, -1, &res);
	CHECK(rep, res.err == 0, &res);
	map_flush(c, ifindex, &res);
	CHECK(rep, res.err == 0, &res);
	CHECK(rep, link_del(ifindex) == 0, (struct res *)NULL);
	nlc_close(ev);
	nlc_close(c);
	nlc_close(outer);
	return 0;
}

FIXTURE(perm) {
	struct nlc *c;
	int ifindex;
	struct child_report *rep;
};

FIXTURE_SETUP(perm)
{
	ASSERT_EQ(0, enter_netns());
	self->ifindex = link_add("dstm0", "dstm");
	ASSERT_LT(0, self->ifindex);
	self->c = nlc_open();
	ASSERT_NE(NULL, self->c);
	ASSERT_EQ(0, make_tep(self->c, self->ifindex));
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "198.51.100.1", .ipv6 = V6), 0, NULL));
	self->rep = report_map();
	ASSERT_NE(NULL, self->rep);
}

FIXTURE_TEARDOWN(perm)
{
	if (self->ifindex > 0)
		EXPECT_EQ(0, link_del(self->ifindex));
	nlc_close(self->c);
}

static void check_untouched(struct __test_metadata *_metadata,
			    FIXTURE_DATA(perm) *self)
{
	struct dev d;

	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(DSTM_MODE_TEP, d.mode);
	ASSERT_EQ(64, d.hoplimit);
	ASSERT_EQ(1, d.count);
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "198.51.100.1", -1, &d, NULL));
}

TEST_F(perm, unprivileged_user_eperm)
{
	struct perm_arg a = { self->rep, self->ifindex };
	int st = run_child(child_nobody, &a);

	ASSERT_CHILD_OK(self->rep, st);
	check_untouched(_metadata, self);
}

TEST_F(perm, unprivileged_events_eperm)
{
	struct perm_arg a = { self->rep, self->ifindex };
	int st = run_child(child_nobody_events, &a);

	ASSERT_CHILD_OK(self->rep, st);
}

TEST_F(perm, root_without_cap_net_admin_eperm)
{
	struct perm_arg a = { self->rep, self->ifindex };
	int st = run_child(child_no_net_admin, &a);

	ASSERT_CHILD_OK(self->rep, st);
	check_untouched(_metadata, self);
}

TEST_F(perm, user_namespace_root)
{
	struct perm_arg a = { self->rep, self->ifindex };
	int st;

	/* Debian's switch for unprivileged user namespaces, where present */
	if (!access("/proc/sys/kernel/unprivileged_userns_clone", F_OK))
		ASSERT_EQ(0, write_file("/proc/sys/kernel/unprivileged_userns_clone",
					"1"));
	st = run_child(child_userns, &a);
	ASSERT_CHILD_OK(self->rep, st);
	check_untouched(_metadata, self);
}

/* ------------------------------------------------------------------ */
/* Dumps: size and consistency                                         */

/* 1,000,000 mappings: all of them, once each, no NLM_F_DUMP_INTR. */
TEST_F_TIMEOUT(tep, dump_million, 1800)
{
	struct dumpcheck *dc = dumpcheck_new(gen_many, index_many, MANY,
					     self->ifindex);
	struct res res, fail;
	double t0, t_add, t_dump, t_flush;
	struct dev d;
	long failed;

	ASSERT_NE(NULL, dc);
	t0 = now();
	failed = map_add_bulk(self->c, self->ifindex, gen_many, 0, MANY, 256,
			      DSTM_CMD_MAP_NEW, 0, &fail);
	t_add = now() - t0;
	ASSERT_EQ(0, failed) TH_LOG("first failure: errno %d \"%s\"", -fail.err,
				    fail.msg);
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(MANY, d.count);

	/* a few lookups, of each kind */
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "10.0.0.0", -1, &d, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "10.7.161.31", -1, &d, NULL));
	ASSERT_EQ(0, map_get(self->c, self->ifindex, "11.0.122.17", 15, &d, NULL));
	ASSERT_EQ(6, d.map.off);
	ASSERT_EQ(4, d.map.len);

	t0 = now();
	ASSERT_EQ(0, map_dump(self->c, self->ifindex, cb_dumpcheck, dc, &res))
		TH_LOG("errno %d \"%s\"", -res.err, res.msg);
	t_dump = now() - t0;
	ASSERT_FALSE(res.intr) TH_LOG("NLM_F_DUMP_INTR on a quiet table");
	ASSERT_EQ(MANY, dc->count);
	ASSERT_EQ(0, dc->dups);
	ASSERT_EQ(0, dc->unknown);
	ASSERT_EQ(0, dc->wrong);
	ASSERT_EQ(0, dc->badlen);
	ASSERT_EQ(0, dc->other_dev);

	t0 = now();
	ASSERT_EQ(0, map_flush(self->c, self->ifindex, NULL));
	t_flush = now() - t0;
	ASSERT_EQ(0, dev_get(self->c, self->ifindex, &d));
	ASSERT_EQ(0, d.count);
	TH_LOG("1M mappings: add %.1f s, dump %.1f s (%d messages), flush %.1f s",
	       t_add, t_dump, res.nmsg, t_flush);
	dumpcheck_free(dc);
}

/* The stable part of the consistency tests: N whole addresses 10.3.x.x */
#define STABLE 3000u

static void gen_stable(uint32_t i, struct bulk_map *m)
{
	memset(m, 0, sizeof(*m));
	m->ipv4 = htonl(0x0a030000u + i);
	m->ipv6 = ip6("2001:db8:3::");
	m->ipv6.s6_addr[14] = (uint8_t)(i >> 8);
	m->ipv6.s6_addr[15] = (uint8_t)i;
}

static long index_stable(const struct map *m)
{
	uint32_t h = ntohl(m->ipv4);

	return (h >> 16) == 0x0a03 ? (long)(h & 0xffff) : -1;
}

/* A recv() at a time, so that the test can act between two dump messages. */
struct stepdump {
	struct nlc *c;
	uint32_t seq;
	struct res res;
	bool done;
};

static int stepdump_start(struct stepdump *s, struct nlc *c, int ifindex)
{
	struct req *r = req_new(c, DSTM_CMD_MAP_GET, NLM_F_DUMP);

	memset(s, 0, sizeof(*s));
	s->c = c;
	req_dev(r, ifindex);
	if (nlc_send(c, r)) {
		req_free(r);
		return -EIO;
	}
	req_free(r);
	s->seq = c->seq;
	return 0;
}

/* Handle one datagram; @peek: look without taking it. */
static int stepdump_step(struct stepdump *s, data_cb cb, void *arg, bool peek)
{
	int n = recv_one(s->c, peek ? MSG_PEEK : 0);
	struct nlmsghdr *nlh;

	if (n < 0)
		return n;
	for (nlh = (void *)s->c->rx; NLMSG_OK(nlh, (unsigned int)n);
	     nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_seq != s->seq)
			continue;
		if (peek) {
			if (nlh->nlmsg_type >= NLMSG_MIN_TYPE && cb)
				cb(nlh, arg);
			continue;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			s->res.intr = true;
		if (nlh->nlmsg_type == NLMSG_DONE) {
			memcpy(&s->res.err, NLMSG_DATA(nlh), sizeof(int));
			s->done = true;
		} else if (nlh->nlmsg_type == NLMSG_ERROR) {
			parse_error(&s->res, nlh);
			s->done = true;
		} else {
			s->res.nmsg++;
			if (cb)
				cb(nlh, arg);
		}
	}
	return 0;
}

static void cb_last_index(const struct nlmsghdr *nlh, void *arg)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct nlattr *tb[DSTM_A_MAX + 1];
	struct map m;

	if (nla_parse(tb, DSTM_A_MAX, genlmsg_attrdata(g, 0),
		      genlmsg_attrlen(g, 0), NULL) || !tb[DSTM_A_MAP])
		return;
	parse_map(&m, tb[DSTM_A_MAP]);
	*(long *)arg = index_stable(&m);
}

/* A change between two messages of a dump flags it; a retry is complete. */
TEST_F(tep, dump_intr_on_change)
{
	struct dumpcheck *dc = dumpcheck_new(gen_stable, index_stable, STABLE,
					     self->ifindex);
	struct nlc *c = nlc_open_bufs(8192, 1 << 20);
	struct stepdump s;
	struct res fail;

	ASSERT_NE(NULL, dc);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, map_add_bulk(self->c, self->ifindex, gen_stable, 0, STABLE,
				  256, DSTM_CMD_MAP_NEW, 0, &fail));

	ASSERT_EQ(0, stepdump_start(&s, c, self->ifindex));
	ASSERT_EQ(0, stepdump_step(&s, cb_dumpcheck, dc, false));
	ASSERT_FALSE(s.done) TH_LOG("the dump fits one message: test is void");
	ASSERT_EQ(0, map_new(self->c, self->ifindex,
			     MSPEC(.ipv4 = "10.4.0.1", .ipv6 = V6), 0, NULL));
	while (!s.done)
		ASSERT_EQ(0, stepdump_step(&s, cb_dumpcheck, dc, false));
	ASSERT_EQ(0, s.res.err);
	ASSERT_TRUE(s.res.intr) TH_LOG("a dump across a change is not flagged");
	ASSERT_EQ(0, dc->dups);

	/* the retry, on a quiet table */
	dumpcheck_reset(dc);
	ASSERT_EQ(0, map_dump(c, self->ifindex, cb_dumpcheck, dc, &s.res));
	ASSERT_FALSE(s.res.intr);
	ASSERT_EQ(STABLE + 1, dc->count);
	ASSERT_EQ(STABLE, dc->count - dc->unknown);
	ASSERT_EQ(0, dc->dups);
	ASSERT_EQ(0, dc->wrong);
	nlc_close(c);
	dumpcheck_free(dc);
}

/*
 * The mapping a dump would resume from is deleted between two messages:
 * the dump must not lose its place silently.
 */
TEST_F(tep, dump_resume_point_deleted)
{
	struct dumpcheck *dc = dumpcheck_new(gen_stable, index_stable, STABLE,
					     self->ifindex);
	/* a receive buffer this small holds one dump message at a time */
	struct nlc *c = nlc_open_bufs(8192, 1);
	struct stepdump s;
	struct res fail;
	long last = -1;
	char v4[32];

	ASSERT_NE(NULL, dc);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, map_add_bulk(self->c, self->ifindex, gen_stable, 0, STABLE,
				  256, DSTM_CMD_MAP_NEW, 0, &fail));
	ASSERT_EQ(0, stepdump_start(&s, c, self->ifindex));
	ASSERT_EQ(0, stepdump_step(&s, cb_dumpcheck, dc, false));
	/* the next message is already built; peek at where it ends */
	ASSERT_EQ(0, stepdump_step(&s, cb_last_index, &last, true));
	ASSERT_LE(0, last);
	ASSERT_GT((long)STABLE - 1, last) TH_LOG("dump too short: test is void");
	snprintf(v4, sizeof(v4), "10.3.%ld.%ld", (last + 1) >> 8, (last + 1) & 255);
	ASSERT_EQ(0, map_del(self->c, self->ifindex, v4, -1, NULL));
	while (!s.done)
		ASSERT_EQ(0, stepdump_step(&s, cb_dumpcheck, dc, false));
	ASSERT_EQ(0, s.res.err);
	ASSERT_EQ(0, dc->dups);
	ASSERT_TRUE(s.res.intr || dc->count == STABLE - 1)
		TH_LOG("dump lost its place silently: %ld of %u mappings, no NLM_F_DUMP_INTR",
		       dc->count, STABLE - 1);

	dumpcheck_reset(dc);
	ASSERT_EQ(0, map_dump(c, self->ifindex, cb_dumpcheck, dc, &s.res));
	ASSERT_FALSE(s.res.intr);
	ASSERT_EQ(STABLE - 1, dc->count);
	ASSERT_EQ(0, dc->dups);
	nlc_close(c);
	dumpcheck_free(dc);
}

/*
 * Concurrent churn: a thread adds mapping C(i) and deletes C(i - K), over
 * and over, so that the churned keys present at any instant are a run of K
 * or K + 1 consecutive indices.  Every dump not flagged NLM_F_DUMP_INTR
 * must show such a run plus every stable mapping exactly once.
 */
#define CHURN_K 200
#define CHURN_MAX (1u << 20)

struct churn {
	int ifindex;
	volatile int stop;
	volatile long ops;
	int err;
	char msg[256];
};

static void churn_v4(uint32_t k, char *buf, size_t len)
{
	snprintf(buf, len, "12.%u.%u.%u", (k >> 16) & 255, (k >> 8) & 255, k & 255);
}

static void *churn_thread(void *p)
{
	struct churn *ch = p;
	struct nlc *c = nlc_open();
	struct res res;
	uint32_t k;
	char v4[32];

	if (!c) {
		ch->err = -ENOMEM;
		return NULL;
	}
	for (k = CHURN_K; !ch->stop && k < CHURN_MAX; k++) {
		churn_v4(k, v4, sizeof(v4));
		map_new(c, ch->ifindex, MSPEC(.ipv4 = v4, .ipv6 = V6), 0, &res);
		if (res.err)
			break;
		churn_v4(k - CHURN_K, v4, sizeof(v4));
		map_del(c, ch->ifindex, v4, -1, &res);
		if (res.err)
			break;
		ch->ops += 2;
	}
	ch->err = res.err;
	memcpy(ch->msg, res.msg, sizeof(ch->msg));
	nlc_close(c);
	return NULL;
}

struct churncheck {
	struct dumpcheck *dc;
	uint8_t *seen;		/* churn keys, bitmap over CHURN_MAX */
	long n, dups;
	uint32_t lo, hi;
};

static void cb_churncheck(const struct nlmsghdr *nlh, void *arg)
{
	struct churncheck *cc = arg;
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct nlattr *tb[DSTM_A_MAX + 1];
	struct map m;
	uint32_t h, k;

	if (nla_parse(tb, DSTM_A_MAX, genlmsg_attrdata(g, 0),
		      genlmsg_attrlen(g, 0), NULL) || !tb[DSTM_A_MAP])
		return;
	parse_map(&m, tb[DSTM_A_MAP]);
	h = ntohl(m.ipv4);
	if ((h >> 24) != 12) {
		cb_dumpcheck(nlh, cc->dc);
		return;
	}
	k = h & 0xffffff;
	if (k >= CHURN_MAX)
		return;
	if (cc->seen[k / 8] & (1 << (k % 8))) {
		cc->dups++;
		return;
	}
	cc->seen[k / 8] |= (uint8_t)(1 << (k % 8));
	if (!cc->n || k < cc->lo)
		cc->lo = k;
	if (!cc->n || k > cc->hi)
		cc->hi = k;
	cc->n++;
}

static void churncheck_reset(struct churncheck *cc)
{
	dumpcheck_reset(cc->dc);
	memset(cc->seen, 0, CHURN_MAX / 8);
	cc->n = cc->dups = 0;
	cc->lo = cc->hi = 0;
}

static bool churncheck_consistent(const struct churncheck *cc)
{
	const struct dumpcheck *dc = cc->dc;

	return dc->count == STABLE && !dc->dups && !dc->unknown && !dc->wrong &&
	       !cc->dups && (cc->n == CHURN_K || cc->n == CHURN_K + 1) &&
	       cc->hi - cc->lo + 1 == cc->n;
}

TEST_F_TIMEOUT(tep, dump_concurrent_changes, 600)
{
	struct churncheck cc = {
		.dc = dumpcheck_new(gen_stable, index_stable, STABLE, self->ifindex),
		.seen = calloc(CHURN_MAX / 8, 1),
	};
	struct churn ch = { .ifindex = self->ifindex };
	struct nlc *c = nlc_open_bufs(32768, 4 << 20);
	int dumps = 0, intr = 0, clean = 0;
	struct res res, fail;
	pthread_t th;
	uint32_t k;
	char v4[32];
	double t0;

	ASSERT_NE(NULL, cc.dc);
	ASSERT_NE(NULL, cc.seen);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, map_add_bulk(self->c, self->ifindex, gen_stable, 0, STABLE,
				  256, DSTM_CMD_MAP_NEW, 0, &fail));
	for (k = 0; k < CHURN_K; k++) {
		churn_v4(k, v4, sizeof(v4));
		ASSERT_EQ(0, map_new(self->c, self->ifindex,
				     MSPEC(.ipv4 = v4, .ipv6 = V6), 0, NULL));
	}
	t0 = now();
	ASSERT_EQ(0, pthread_create(&th, NULL, churn_thread, &ch));
	while (!ch.ops && !ch.err && now() - t0 < 30)
		usleep(1000);
	/* dump until both outcomes were seen, or for a bounded while */
	for (dumps = 0; dumps < 60 && !(intr >= 3 && clean >= 1); dumps++) {
		churncheck_reset(&cc);
		map_dump(c, self->ifindex, cb_churncheck, &cc, &res);
		if (res.err)
			break;
		if (res.intr) {
			intr++;
			continue;
		}
		clean++;
		if (!churncheck_consistent(&cc))
			break;
	}
	ch.stop = 1;
	pthread_join(th, NULL);
	ASSERT_EQ(0, res.err) TH_LOG("dump: \"%s\"", res.msg);
	ASSERT_EQ(0, ch.err) TH_LOG("churn: errno %d \"%s\"", -ch.err, ch.msg);
	if (!res.intr)
		ASSERT_TRUE(churncheck_consistent(&cc))
			TH_LOG("unflagged dump inconsistent: stable %ld (dups %ld), churn %ld in [%u, %u] (dups %ld)",
			       cc.dc->count, cc.dc->dups, cc.n, cc.lo, cc.hi,
			       cc.dups);
	ASSERT_LT(0, intr) TH_LOG("%d dumps during %ld changes, none flagged",
				  dumps, ch.ops);
	TH_LOG("%d dumps, %d flagged NLM_F_DUMP_INTR, %d clean; %ld changes",
	       dumps, intr, clean, ch.ops);

	/* quiet again: a dump is complete and unflagged */
	churncheck_reset(&cc);
	ASSERT_EQ(0, map_dump(c, self->ifindex, cb_churncheck, &cc, &res));
	ASSERT_FALSE(res.intr);
	ASSERT_TRUE(churncheck_consistent(&cc))
		TH_LOG("stable %ld, churn %ld in [%u, %u]", cc.dc->count, cc.n,
		       cc.lo, cc.hi);
	ASSERT_EQ(CHURN_K, cc.n);
	nlc_close(c);
	dumpcheck_free(cc.dc);
	free(cc.seen);
}

/* ------------------------------------------------------------------ */

/* Does FIXTURE.TEST @name pass the patterns ('!' excludes)? */
static bool selected(const char *name, int n, char **pats)
{
	bool want = false, in = false;
	int i;

	for (i = 0; i < n; i++) {
		if (pats[i][0] == '!') {
			if (!fnmatch(pats[i] + 1, name, 0))
				return false;
			continue;
		}
		want = true;
		if (!fnmatch(pats[i], name, 0))
			in = true;
	}
	return !want || in;
}

/*
 * netlink_api [PATTERN...]: run the tests whose FIXTURE.TEST matches one of
 * the shell patterns, and none that matches a pattern starting with '!'
 * (e.g. 'tep.*' '!*million').  The 6.1 harness has no selection of its own.
 */
int main(int argc, char **argv)
{
	struct __fixture_metadata *f;

	if (argc > 1 && argv[1][0] == '-')
		return test_harness_run(argc, argv);	/* the harness's options */
	for (f = __fixture_list; argc > 1 && f; f = f->next) {
		struct __test_metadata *t = f->tests, *next;

		f->tests = NULL;
		for (; t; t = next) {
			char name[256];

			next = t->next;
			snprintf(name, sizeof(name), "%s.%s", f->name, t->name);
			if (selected(name, argc - 1, argv + 1))
				__register_test(t);
		}
	}
	return test_harness_run(1, argv);
}
