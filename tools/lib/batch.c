// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pipelined requests.  A window of requests goes to the kernel in one
 * sendmsg(); their answers are then read with recvmmsg(), many per system
 * call, and matched to their requests by sequence number.
 *
 * Generic netlink handles the requests of one sendmsg() in order, in the
 * sender's context, and always answers a failed request with an error
 * message.  So only the last request of a window asks for an ack: when it
 * arrives, every error of the window has arrived before it, and a million
 * successful requests do not cost a million acks (about a third of the
 * time, measured).  The window also bounds the answers queued on the
 * socket, which must stay well inside its receive buffer (4 MiB when we
 * may force it, else net.core.rmem_max) or answers would be lost.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/socket.h>

#include "internal.h"

#define WINDOW_MAX	4096
#define RECV_VLEN	64
#define RECV_SIZE	4096

struct dstm_batch {
	struct dstm_sock *sk;
	unsigned int window;

	/* The requests queued and not yet sent, back to back. */
	char *buf;
	size_t len, size;
	unsigned int queued;
	uint32_t base_seq;		/* of the first queued request */
	unsigned long *tags;		/* [window] */
	size_t *offs;			/* [window]: offset of each in buf */

	int err;			/* first failure, sticky */
	unsigned long err_tag;

	struct mmsghdr *mm;		/* [RECV_VLEN] */
	struct iovec *iov;
	struct sockaddr_nl *from;
	char *rbuf;
};

int dstm_batch_new(struct dstm_sock *sk, unsigned int window,
		   struct dstm_batch **bp)
{
	struct dstm_batch *b;
	int i;

	if (!window)
		window = DSTM_BATCH_WINDOW;
	if (window > WINDOW_MAX)
		window = WINDOW_MAX;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->sk = sk;
	b->window = window;
	b->size = (size_t)window * 128;
	b->buf = malloc(b->size);
	b->tags = calloc(window, sizeof(*b->tags));
	b->offs = calloc(window, sizeof(*b->offs));
	b->mm = calloc(RECV_VLEN, sizeof(*b->mm));
	b->iov = calloc(RECV_VLEN, sizeof(*b->iov));
	b->from = calloc(RECV_VLEN, sizeof(*b->from));
	b->rbuf = malloc((size_t)RECV_VLEN * RECV_SIZE);
	if (!b->buf || !b->tags || !b->offs || !b->mm || !b->iov ||
	    !b->from || !b->rbuf) {
		dstm_batch_free(b);
		return -ENOMEM;
	}
	for (i = 0; i < RECV_VLEN; i++) {
		b->iov[i].iov_base = b->rbuf + (size_t)i * RECV_SIZE;
		b->iov[i].iov_len = RECV_SIZE;
		b->mm[i].msg_hdr.msg_iov = &b->iov[i];
		b->mm[i].msg_hdr.msg_iovlen = 1;
		b->mm[i].msg_hdr.msg_name = &b->from[i];
		b->mm[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
	}
	*bp = b;
	return 0;
}

void dstm_batch_free(struct dstm_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->tags);
	free(b->offs);
	free(b->mm);
	free(b->iov);
	free(b->from);
	free(b->rbuf);
	free(b);
}

int dstm_batch_error(const struct dstm_batch *b, unsigned long *tag)
{
	if (b->err && tag)
		*tag = b->err_tag;
	return b->err;
}

static void fail(struct dstm_batch *b, int err, unsigned int idx)
{
	if (b->err)
		return;
	b->err = err;
	b->err_tag = b->tags[idx];
}

/* An ack or error; false if it answers none of the requests in flight. */
static bool answer(struct dstm_batch *b, struct nlmsghdr *nlh, size_t len)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	uint32_t idx = nlh->nlmsg_seq - b->base_seq;
	struct dstm_sock *sk = b->sk;
	int err;

	if (nlh->nlmsg_type != NLMSG_ERROR || idx >= b->queued ||
	    len < NLMSG_HDRLEN + sizeof(*e))
		return false;
	if (e->error && !b->err) {
		err = dstm_extack(nlh, (struct nlmsghdr *)(b->buf + b->offs[idx]),
				  sk->errmsg, sizeof(sk->errmsg));
		fail(b, err ? err : -EPROTO, idx);
	}
	return true;
}

static int send_window(struct dstm_batch *b)
{
	struct dstm_sock *sk = b->sk;
	struct nlmsghdr *last;
	bool done = false;
	int fd = dstm_fd(sk);
	int ret, n, i;

	if (!b->queued)
		return 0;
	last = (struct nlmsghdr *)(b->buf + b->offs[b->queued - 1]);
	last->nlmsg_flags |= NLM_F_ACK;
	ret = nl_sendto(sk->nl, b->buf, b->len);
	if (ret < 0) {
		dstm_set_errmsg(sk, "sending %u requests failed", b->queued);
		fail(b, dstm_nlerr(ret), 0);
		goto out;
	}
	while (!done) {
		n = recvmmsg(fd, b->mm, RECV_VLEN, MSG_WAITFORONE, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			dstm_set_errmsg(sk, "lost the acks of requests in flight: %s",
					ret == -ENOBUFS ? "receive buffer overrun" :
					strerror(-ret));
			fail(b, ret, 0);
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct msghdr *mh = &b->mm[i].msg_hdr;
			struct nlmsghdr *nlh = mh->msg_iov->iov_base;
			int len = b->mm[i].msg_len;

			if (b->from[i].nl_pid != 0)
				goto next;
			if (mh->msg_flags & MSG_TRUNC) {
				dstm_set_errmsg(sk, "an ack did not fit in %d bytes",
						RECV_SIZE);
				fail(b, -EMSGSIZE, 0);
				goto out;
			}
			for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len))
				if (answer(b, nlh, nlh->nlmsg_len) &&
				    nlh->nlmsg_seq == last->nlmsg_seq)
					done = true;
next:
			mh->msg_namelen = sizeof(b->from[i]);
			mh->msg_flags = 0;
		}
	}
out:
	b->queued = 0;
	b->len = 0;
	return b->err;
}

static int queue(struct dstm_batch *b, struct nl_msg *msg, unsigned long tag)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

	if (b->len + len > b->size) {
		size_t size = 2 * b->size + len;
		char *p = realloc(b->buf, size);

		if (!p) {
			nlmsg_free(msg);
			return -ENOMEM;
		}
		b->buf = p;
		b->size = size;
	}
	nlh->nlmsg_seq = nl_socket_use_seq(b->sk->nl);
	nlh->nlmsg_pid = nl_socket_get_local_port(b->sk->nl);
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	nlh->nlmsg_flags &= ~NLM_F_ACK;
	if (!b->queued)
		b->base_seq = nlh->nlmsg_seq;
	memcpy(b->buf + b->len, nlh, nlh->nlmsg_len);
	memset(b->buf + b->len + nlh->nlmsg_len, 0, len - nlh->nlmsg_len);
	b->offs[b->queued] = b->len;
	b->tags[b->queued] = tag;
	b->len += len;
	b->queued++;
	nlmsg_free(msg);

	if (b->queued == b->window)
		return send_window(b);
	return 0;
}

int dstm_batch_map_new(struct dstm_batch *b, const char *ifname,
		       const struct dstm_map *map, bool replace,
		       unsigned long tag)
{
	struct dstm_map m = *map;
	struct nl_msg *msg;

	if (b->err)
		return b->err;
	m.present |= DSTM_BIT(DSTM_MAP_A_IPV6);
	msg = dstm_msg_new(b->sk, DSTM_CMD_MAP_NEW,
			   0, ifname);
	if (!msg)
		return -ENOMEM;
	if (dstm_put_map(msg, &m) < 0 ||
	    (replace && nla_put_flag(msg, DSTM_A_REPLACE) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return queue(b, msg, tag);
}

int dstm_batch_map_del(struct dstm_batch *b, const char *ifname,
		       struct in_addr ipv4, uint16_t psid, unsigned long tag)
{
	struct dstm_map key = {
		.present = DSTM_BIT(DSTM_MAP_A_PSID),
		.ipv4 = ipv4,
		.psid = psid,
	};
	struct nl_msg *msg;

	if (b->err)
		return b->err;
	msg = dstm_msg_new(b->sk, DSTM_CMD_MAP_DEL, 0, ifname);
	if (!msg)
		return -ENOMEM;
	if (dstm_put_map(msg, &key) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return queue(b, msg, tag);
}

int dstm_batch_sync(struct dstm_batch *b)
{
	if (b->err)
		return b->err;
	dstm_clear_err(b->sk);
	return send_window(b);
}
