// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: UDP on port 547, a 1 s timer (expiry, reconciliation)
 * and signals.  Datagrams are taken in batches (recvmmsg); a batch is one
 * store transaction, committed before the TEP is programmed and before
 * any of its answers is sent (sendmmsg).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "server.h"
#include "state.h"
#include "store.h"

#define BATCH		256
#define PKT_MAX		4096
#define RL_BUCKETS	4096

struct ratelimit {
	struct in6_addr src;
	double tokens;
	int64_t last_ms;
};

static struct ratelimit *rl;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Token bucket per source address (direct-mapped: a collision shares a
 * bucket, which errs on the side of limiting). */
static bool rate_ok(struct dstmd *d, const struct in6_addr *src)
{
	uint32_t h = 2166136261u;
	struct ratelimit *b;
	int64_t t;
	int i;

	if (!d->cfg->rate)
		return true;
	for (i = 0; i < 16; i++)
		h = (h ^ src->s6_addr[i]) * 16777619u;
	b = &rl[h % RL_BUCKETS];
	t = now_ms();
	if (memcmp(&b->src, src, 16)) {
		b->src = *src;
		b->tokens = d->cfg->burst;
		b->last_ms = t;
	}
	b->tokens += (double)(t - b->last_ms) * d->cfg->rate / 1000.0;
	if (b->tokens > d->cfg->burst)
		b->tokens = d->cfg->burst;
	b->last_ms = t;
	if (b->tokens < 1) {
		d->cnt[CNT_drop_ratelimit]++;
		return false;
	}
	b->tokens -= 1;
	return true;
}

/*
 * Listening on "::": join All_DHCP_Relay_Agents_and_Servers on every
 * multicast interface there is now, so that Information-requests sent to
 * ff02::1:2 arrive (best effort: interfaces that come later are not
 * joined; name the interface in "listen" for those).
 */
static void join_all(int fd)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	struct ipv6_mreq mr;

	if (!ifs)
		return;
	inet_pton(AF_INET6, "ff02::1:2", &mr.ipv6mr_multiaddr);
	for (i = ifs; i->if_index; i++) {
		mr.ipv6mr_interface = i->if_index;
		setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
	}
	if_freenameindex(ifs);
}

int server_socket(const struct dstmd_config *c, char *err, size_t errlen)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(c->port) };
	struct addrinfo hints = { .ai_family = AF_INET6,
				  .ai_flags = AI_NUMERICHOST | AI_PASSIVE },
			*ai = NULL;
	unsigned int ifindex = 0;
	int fd, one = 1, rcvbuf = 8 << 20;

	if (!getaddrinfo(c->listen, NULL, &hints, &ai) && ai) {
		memcpy(&sa, ai->ai_addr, sizeof(sa));
		sa.sin6_port = htons(c->port);
		freeaddrinfo(ai);
	} else {
		ifindex = if_nametoindex(c->listen);
		if (!ifindex) {
			snprintf(err, errlen,
				 "listen '%s' is neither an IPv6 address nor an interface",
				 c->listen);
			return -1;
		}
	}
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	/* Bursts of clients must not overflow the default ~200 KB. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (ifindex) {
		struct ipv6_mreq mr = { .ipv6mr_interface = ifindex };

		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->listen,
			       (socklen_t)strlen(c->listen)))
			goto err_close;
		/* All_DHCP_Relay_Agents_and_Servers */
		inet_pton(AF_INET6, "ff02::1:2", &mr.ipv6mr_multiaddr);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)))
			goto err_close;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err_close;
	if (!ifindex && IN6_IS_ADDR_UNSPECIFIED(&sa.sin6_addr))
		join_all(fd);
	return fd;

err_close:
	close(fd);
err:
	snprintf(err, errlen, "UDP socket on [%s]:%u: %s", c->listen, c->port,
		 strerror(errno));
	return -1;
}

struct slot {
	struct sockaddr_in6 from;
	uint8_t in[PKT_MAX];
	uint8_t out[PKT_MAX];
	char cin[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	char cout[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct iovec iov_in, iov_out;
};

/* Answer from the address the request was sent to (unless multicast). */
static void set_source(struct msghdr *in, struct msghdr *out, char *cbuf)
{
	struct cmsghdr *c;

	out->msg_control = NULL;
	out->msg_controllen = 0;
	for (c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		struct in6_pktinfo pi;

		if (c->cmsg_level != IPPROTO_IPV6 || c->cmsg_type != IPV6_PKTINFO)
			continue;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
			memset(&pi.ipi6_addr, 0, sizeof(pi.ipi6_addr));
		out->msg_control = cbuf;
		out->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(out);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return;
	}
}

static void batch_commit(struct dstmd *d)
{
	if (!d->store_failed && !store_commit(d->store))
		return;
	err("lease store: commit failed (%s): answers of this batch dropped, state reloaded",
	    store_errmsg(d->store));
	store_rollback(d->store);
	d->cnt[CNT_store_err]++;
	dstmd_reload(d);
	d->store_failed = true;		/* tells the caller */
}

static void handle_batch(struct dstmd *d, int fd, struct slot *slots,
			 struct mmsghdr *in, struct mmsghdr *out)
{
	struct timespec ts;
	int64_t t_in;
	int n, i, k = 0;

	n = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			log_limited(30, LOG_LVL_ERR, "recvmmsg: %m");
		return;
	}
	t_in = now_us();
	clock_gettime(CLOCK_REALTIME, &ts);
	d->now = ts.tv_sec;
	d->store_failed = false;
	if (store_begin(d->store)) {
		err("lease store: cannot begin: %s", store_errmsg(d->store));
		return;
	}
	for (i = 0; i < n; i++) {
		struct slot *s = &slots[i];
		size_t len;

		if (in[i].msg_hdr.msg_namelen != sizeof(s->from) ||
		    !rate_ok(d, &s->from.sin6_addr))
			continue;
		len = dstmd_handle(d, &s->from.sin6_addr, s->in, in[i].msg_len,
				   s->out, sizeof(s->out));
		if (!len)
			continue;
		udp_answer_prep(&out[k], &s->from, &s->iov_out, s->out, len);
		set_source(&in[i].msg_hdr, &out[k].msg_hdr, s->cout);
		k++;
	}
	batch_commit(d);
	if (d->store_failed) {
		d->n_ops = 0;
		return;
	}
	dstmd_tep_flush(d);
	d->cnt[CNT_tx] += udp_send_batch(fd, out, (unsigned int)k, 31, "DHCP");
	/* Queries held for a lease that this batch bound. */
	dns_after_batch(d);
	t_in = now_us() - t_in;
	d->cnt[t_in < 1000 ? CNT_batch_under_1ms : t_in < 5000 ?
	       CNT_batch_under_5ms : CNT_batch_over_5ms]++;
}

static void tick(struct dstmd *d, int64_t *next_reconcile)
{
	d->now = time(NULL);
	d->store_failed = false;
	if (store_begin(d->store))
		return;
	dstmd_expire(d);
	batch_commit(d);
	if (d->store_failed) {
		d->n_ops = 0;
		return;
	}
	dstmd_tep_flush(d);
	store_checkpoint(d->store);
	if (d->cfg->reconcile_interval && d->now >= *next_reconcile) {
		dstmd_reconcile(d);
		*next_reconcile = d->now + d->cfg->reconcile_interval;
	}
}

int server_run(struct dstmd *d, int fd)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	struct mmsghdr *in, *out;
	struct pollfd *pfd;
	unsigned int npfd, maxpfd = 3 + 2 + d->cfg->dns.max_tcp;
	struct slot *slots;
	int64_t next_rec;
	sigset_t mask;
	int tfd, sfd, i, ret = 0;

	slots = calloc(BATCH, sizeof(*slots));
	in = calloc(BATCH, sizeof(*in));
	out = calloc(BATCH, sizeof(*out));
	rl = calloc(RL_BUCKETS, sizeof(*rl));
	pfd = calloc(maxpfd, sizeof(*pfd));
	if (!slots || !in || !out || !rl || !pfd) {
		err("out of memory");
		ret = -1;
		goto out_free;
	}
	for (i = 0; i < BATCH; i++) {
		slots[i].iov_in.iov_base = slots[i].in;
		slots[i].iov_in.iov_len = sizeof(slots[i].in);
		in[i].msg_hdr.msg_name = &slots[i].from;
		in[i].msg_hdr.msg_iov = &slots[i].iov_in;
		in[i].msg_hdr.msg_iovlen = 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		err("signalfd/timerfd: %m");
		ret = -1;
		goto out_fds;
	}
	d->now = time(NULL);
	next_rec = d->now + d->cfg->reconcile_interval;
	pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		/* The DNS sockets (and TCP connections) change: every time. */
		npfd = 3 + dns_pollfds(d, pfd + 3, maxpfd - 3);
		if (poll(pfd, npfd, dns_timeout_ms(d)) < 0) {
			if (errno == EINTR)
				continue;
			err("poll: %m");
			ret = -1;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			for (i = 0; i < BATCH; i++) {
				in[i].msg_hdr.msg_namelen = sizeof(slots[i].from);
				in[i].msg_hdr.msg_control = slots[i].cin;
				in[i].msg_hdr.msg_controllen = sizeof(slots[i].cin);
			}
			handle_batch(d, fd, slots, in, out);
		}
		dns_events(d, pfd + 3, npfd - 3);
		dns_timers(d);
		if (pfd[1].revents & POLLIN) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) > 0)
				tick(d, &next_rec);
		}
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGUSR1) {
				dstmd_log_counters(d);
			} else if (si.ssi_signo == SIGHUP) {
				info("SIGHUP: reconciling the TEPs");
				dstmd_reconcile(d);
			} else {
				info("signal %u: stopping", si.ssi_signo);
				break;
			}
		}
	}
out_fds:
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
out_free:
	free(slots);
	free(in);
	free(out);
	free(rl);
	free(pfd);
	return ret;
}
