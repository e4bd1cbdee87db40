// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The socket: opening, family resolution, and the request/reply loop that
 * every synchronous request goes through.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netlink/errno.h>
#include <netlink/socket.h>
#include <netlink/handlers.h>
#include <netlink/genl/ctrl.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

void dstm_clear_err(struct dstm_sock *sk)
{
	sk->err = 0;
	sk->errmsg[0] = '\0';
}

void dstm_set_errmsg(struct dstm_sock *sk, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sk->errmsg, sizeof(sk->errmsg), fmt, ap);
	va_end(ap);
}

const char *dstm_errmsg(const struct dstm_sock *sk)
{
	return sk && sk->errmsg[0] ? sk->errmsg : NULL;
}

int dstm_fd(const struct dstm_sock *sk)
{
	return nl_socket_get_fd(sk->nl);
}

unsigned int dstm_kernel_version(const struct dstm_sock *sk)
{
	return sk->version;
}

/* libnl folds errnos into its own codes; undo that for the common ones. */
int dstm_nlerr(int nlerr)
{
	static const struct { int nle, err; } map[] = {
		{ NLE_INTR, EINTR },		{ NLE_BAD_SOCK, EBADF },
		{ NLE_AGAIN, EAGAIN },		{ NLE_NOMEM, ENOMEM },
		{ NLE_EXIST, EEXIST },		{ NLE_INVAL, EINVAL },
		{ NLE_RANGE, ERANGE },		{ NLE_MSGSIZE, EMSGSIZE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP },	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
		{ NLE_OBJ_NOTFOUND, ENOENT },	{ NLE_NOATTR, ENOENT },
		{ NLE_MISSING_ATTR, EINVAL },	{ NLE_AF_MISMATCH, EINVAL },
		{ NLE_SEQ_MISMATCH, EPROTO },	{ NLE_MSG_OVERFLOW, EOVERFLOW },
		{ NLE_MSG_TRUNC, EMSGSIZE },	{ NLE_NOADDR, EADDRNOTAVAIL },
		{ NLE_SRCRT_NOSUPPORT, EOPNOTSUPP }, { NLE_MSG_TOOSHORT, EPROTO },
		{ NLE_MSGTYPE_NOSUPPORT, EOPNOTSUPP }, { NLE_OBJ_MISMATCH, EINVAL },
		{ NLE_NOCACHE, ENOENT },	{ NLE_BUSY, EBUSY },
		{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT }, { NLE_NOACCESS, EACCES },
		{ NLE_PERM, EPERM },		{ NLE_PKTLOC_FILE, ENOENT },
		{ NLE_PARSE_ERR, EPROTO },	{ NLE_NODEV, ENODEV },
		{ NLE_IMMUTABLE, EPERM },	{ NLE_DUMP_INTR, EINTR },
		{ NLE_ATTRSIZE, ERANGE },
	};
	size_t i;

	if (nlerr < 0)
		nlerr = -nlerr;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == nlerr)
			return -map[i].err;
	return -EIO;
}

/* Replies to other (abandoned) requests and notifications are skipped. */
static int cb_seq_check(struct nl_msg *msg, void *arg)
{
	struct dstm_sock *sk = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (!sk->req || nlh->nlmsg_seq != sk->seq ||
	    nlh->nlmsg_pid != nl_socket_get_local_port(sk->nl))
		return NL_SKIP;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		sk->intr = true;
	return NL_OK;
}

/* Noted by cb_seq_check already; handled by the dump's caller. */
static int cb_dump_intr(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct dstm_sock *)arg)->intr = true;
	return NL_OK;
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct dstm_sock *sk = arg;
	int err;

	/* After a handler error, keep draining so the socket stays usable. */
	if (!sk->reply || sk->reply_err)
		return NL_OK;
	err = sk->reply(sk, nlmsg_hdr(msg), sk->reply_arg);
	if (err < 0)
		sk->reply_err = err;
	return NL_OK;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct dstm_sock *)arg)->done = true;
	return NL_STOP;
}

/* NLMSG_DONE carries the dump's error, with an extack since Linux 6.0. */
static int cb_finish(struct nl_msg *msg, void *arg)
{
	struct dstm_sock *sk = arg;
	struct nlmsghdr *req = sk->req ? nlmsg_hdr(sk->req) : NULL;
	int err;

	err = dstm_extack(nlmsg_hdr(msg), req, sk->errmsg, sizeof(sk->errmsg));
	if (err)
		sk->err = err;
	sk->done = true;
	return NL_STOP;
}

/* libnl 3.7 does not parse extended acks: do it here. */
static int cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct dstm_sock *sk = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlmsghdr *req = sk->req ? nlmsg_hdr(sk->req) : NULL;

	(void)nla;
	sk->err = dstm_extack(nlh, req, sk->errmsg, sizeof(sk->errmsg));
	if (!sk->err)
		sk->err = -EPROTO;
	sk->done = true;
	return NL_STOP;
}

int dstm_transact(struct dstm_sock *sk, struct nl_msg *msg,
		  int (*reply)(struct dstm_sock *, struct nlmsghdr *, void *),
		  void *arg)
{
	struct nl_cb *cb;
	int ret;

	dstm_clear_err(sk);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, cb_seq_check, sk);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, cb_dump_intr, sk);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, sk);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, sk);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_finish, sk);
	nl_cb_err(cb, NL_CB_CUSTOM, cb_error, sk);

	sk->reply = reply;
	sk->reply_arg = arg;
	sk->reply_err = 0;
	sk->done = false;
	sk->intr = false;

	ret = nl_send_auto(sk->nl, msg);
	if (ret < 0) {
		ret = dstm_nlerr(ret);
		goto out;
	}
	sk->req = msg;
	sk->seq = nlmsg_hdr(msg)->nlmsg_seq;

	ret = 0;
	while (!sk->done) {
		ret = nl_recvmsgs(sk->nl, cb);
		if (ret < 0 && !sk->err) {
			ret = dstm_nlerr(ret);
			break;
		}
		ret = 0;
	}
	if (sk->err)
		ret = sk->err;
	else if (!ret)
		ret = sk->reply_err;
out:
	sk->req = NULL;
	sk->reply = NULL;
	nl_cb_put(cb);
	nlmsg_free(msg);
	return ret;
}

struct nl_msg *dstm_msg_new(struct dstm_sock *sk, uint8_t cmd, int flags,
			    const char *ifname)
{
	struct nl_msg *msg;

	/* Our requests are small; a page each would slow batches down. */
	msg = nlmsg_alloc_size(512);
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, sk->family, 0,
			 flags, cmd, DSTM_GENL_VERSION))
		goto err;
	if (ifname && nla_put_string(msg, DSTM_A_IFNAME, ifname) < 0)
		goto err;
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

static int family_reply(struct dstm_sock *sk, struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nlattr *grp;
	int rem;

	(void)arg;
	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID])
		return -EPROTO;
	sk->family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		sk->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	nla_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gb[CTRL_ATTR_MCAST_GRP_MAX + 1];

		if (nla_parse_nested(gb, CTRL_ATTR_MCAST_GRP_MAX, grp, NULL) < 0)
			continue;
		if (gb[CTRL_ATTR_MCAST_GRP_NAME] && gb[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(nla_get_string(gb[CTRL_ATTR_MCAST_GRP_NAME]),
			    DSTM_MCGRP_EVENTS))
			sk->events_grp = nla_get_u32(gb[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

static int resolve_family(struct dstm_sock *sk)
{
	struct nl_msg *msg;
	int ret;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
			 NLM_F_ACK, CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, DSTM_GENL_NAME) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = dstm_transact(sk, msg, family_reply, NULL);
	if (ret == -ENOENT) {
		dstm_set_errmsg(sk, "the %s generic netlink family is not available (is the dstm module loaded? try 'modprobe dstm')",
				DSTM_GENL_NAME);
		return ret;
	}
	if (ret < 0)
		return ret;
	if (sk->family <= 0)
		return -EPROTO;
	if (sk->version < DSTM_GENL_VERSION) {
		dstm_set_errmsg(sk, "the kernel's dstm API version %u is older than the tools' %u",
				sk->version, DSTM_GENL_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* Big buffers: events must not overrun, and a batch has acks in flight. */
static void set_buffers(int fd)
{
	int size = DSTM_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	size = 1 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/*
 * dstm_open() can fail before a socket exists to hold the message; keep
 * the reason here so that dstm_open_errmsg() can still tell it.
 */
static _Thread_local char open_errmsg[DSTM_ERRMSG_MAX];

const char *dstm_open_errmsg(void)
{
	return open_errmsg[0] ? open_errmsg : NULL;
}

int dstm_open(struct dstm_sock **skp)
{
	struct dstm_sock *sk;
	int one = 1;
	int fd, ret;

	open_errmsg[0] = '\0';
	sk = calloc(1, sizeof(*sk));
	if (!sk)
		return -ENOMEM;
	sk->nl = nl_socket_alloc();
	if (!sk->nl) {
		ret = -ENOMEM;
		goto err_free;
	}
	nl_socket_disable_auto_ack(sk->nl);
	nl_socket_disable_seq_check(sk->nl);
	ret = genl_connect(sk->nl);
	if (ret < 0) {
		ret = dstm_nlerr(ret);
		goto err_sock;
	}
	fd = nl_socket_get_fd(sk->nl);
	/* Both exist since Linux 4.12; without them errors are still seen. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	set_buffers(fd);
	nl_socket_set_msg_buf_size(sk->nl, DSTM_RECV_BUF);
	nl_socket_disable_msg_peek(sk->nl);

	ret = resolve_family(sk);
	if (ret < 0)
		goto err_sock;
	*skp = sk;
	return 0;

err_sock:
	snprintf(open_errmsg, sizeof(open_errmsg), "%s", sk->errmsg);
	nl_socket_free(sk->nl);
err_free:
	free(sk);
	return ret;
}

void dstm_close(struct dstm_sock *sk)
{
	if (!sk)
		return;
	nl_socket_free(sk->nl);
	free(sk);
}

void *dstm_dump_slot(struct dstm_dump *d)
{
	void *slot;

	if (d->n == d->size) {
		size_t size = d->size ? 2 * d->size : 64;
		void *p = realloc(d->rec, size * d->elem);

		if (!p)
			return NULL;
		d->rec = p;
		d->size = size;
	}
	slot = (char *)d->rec + d->n * d->elem;
	memset(slot, 0, d->elem);
	return slot;
}

int dstm_dump_run(struct dstm_sock *sk, uint8_t cmd, const char *ifname,
		  int (*parse)(struct dstm_sock *, struct nlmsghdr *, void *),
		  struct dstm_dump *d, const char *what)
{
	int tries, ret;

	for (tries = 0; tries < DSTM_DUMP_RETRIES; tries++) {
		struct nl_msg *msg;

		msg = dstm_msg_new(sk, cmd, NLM_F_DUMP, ifname);
		if (!msg)
			return -ENOMEM;
		d->n = 0;
		ret = dstm_transact(sk, msg, parse, d);
		if (ret < 0)
			return ret;
		if (!sk->intr)
			return 0;
	}
	dstm_set_errmsg(sk, "%s kept changing during the dump (%d attempts)",
			what, tries);
	return -EAGAIN;
}
