// SPDX-License-Identifier: GPL-2.0
/*
 * Batches of answers out of one UDP socket, for the DHCP path (server.c)
 * and the DNS path (dns.c): both take datagrams with recvmmsg, answer
 * them in place and send the answers back with sendmmsg.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "dstmd.h"

void udp_answer_prep(struct mmsghdr *m, struct sockaddr_in6 *to,
		     struct iovec *iov, void *buf, size_t len)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_name = to;
	m->msg_hdr.msg_namelen = sizeof(*to);
	m->msg_hdr.msg_iov = iov;
	m->msg_hdr.msg_iovlen = 1;
}

uint64_t udp_send_batch(int fd, struct mmsghdr *out, unsigned int k,
			int log_reason, const char *what)
{
	unsigned int i = 0;
	uint64_t sent = 0;

	while (i < k) {
		int r = sendmmsg(fd, out + i, k - i, 0);

		if (r <= 0) {
			log_limited(log_reason, LOG_LVL_WARN, "%s: sendmmsg: %m",
				    what);
			i++;	/* that answer is lost; the others still go */
			continue;
		}
		sent += (uint64_t)r;
		i += (unsigned int)r;
	}
	return sent;
}
