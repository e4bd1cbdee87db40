// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Notifications of the "events" multicast group.  Read with recv() on the
 * socket directly: libnl would fold ENOBUFS (events lost) into -NLE_NOMEM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/socket.h>

#include "internal.h"

int dstm_event_subscribe(struct dstm_sock *sk)
{
	int ret;

	if (sk->events_grp <= 0) {
		dstm_set_errmsg(sk, "the kernel's dstm family has no '%s' multicast group",
				DSTM_MCGRP_EVENTS);
		return -ENOENT;
	}
	ret = nl_socket_add_membership(sk->nl, sk->events_grp);
	if (ret < 0)
		return dstm_nlerr(ret);
	sk->subscribed = true;
	return 0;
}

static int parse_event(struct nlmsghdr *nlh, struct dstm_event *ev)
{
	const struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[DSTM_A_MAX + 1];
	int i;

	memset(ev, 0, sizeof(*ev));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
	    dstm_parse_attrs(nlh, tb) < 0)
		return -EPROTO;
	ev->cmd = gnlh->cmd;
	for (i = 1; i <= DSTM_A_MAX; i++)
		if (tb[i])
			ev->present |= DSTM_BIT(i);
	if (tb[DSTM_A_IFINDEX])
		ev->ifindex = nla_get_u32(tb[DSTM_A_IFINDEX]);
	if (tb[DSTM_A_IFNAME])
		nla_strlcpy(ev->ifname, tb[DSTM_A_IFNAME], sizeof(ev->ifname));
	if (tb[DSTM_A_DST])
		ev->dst.s_addr = nla_get_u32(tb[DSTM_A_DST]);
	if (tb[DSTM_A_MAP] && dstm_parse_map(tb[DSTM_A_MAP], &ev->map) < 0)
		return -EPROTO;
	return 0;
}

int dstm_event_read(struct dstm_sock *sk, dstm_event_cb cb, void *arg)
{
	struct sockaddr_nl from;
	struct iovec iov;
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	struct nlmsghdr *nlh;
	char *buf;
	ssize_t len;
	int ret = 0;

	dstm_clear_err(sk);
	buf = malloc(DSTM_RECV_BUF);
	if (!buf)
		return -ENOMEM;
	iov.iov_base = buf;
	iov.iov_len = DSTM_RECV_BUF;
	do {
		len = recvmsg(dstm_fd(sk), &mh, 0);
	} while (len < 0 && errno == EINTR);
	if (len < 0) {
		ret = -errno;
		if (ret == -ENOBUFS)
			dstm_set_errmsg(sk, "events lost: the socket's receive buffer overran");
		goto out;
	}
	/* Only the kernel, and only notifications of our family. */
	if (from.nl_pid != 0)
		goto out;

	for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
	     nlh = NLMSG_NEXT(nlh, len)) {
		struct dstm_event ev;

		if (nlh->nlmsg_type != sk->family || nlh->nlmsg_seq != 0)
			continue;
		if (parse_event(nlh, &ev) < 0)
			continue;
		ret = cb(&ev, arg);
		if (ret < 0)
			break;
	}
out:
	free(buf);
	return ret;
}
