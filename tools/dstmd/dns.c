// SPDX-License-Identifier: GPL-2.0
/*
 * The DNS extension's sockets: one UDP socket (batches with recvmmsg and
 * sendmmsg, answers leave from the address the query went to) and one
 * TCP listener (RFC 7766: several queries per connection, each framed by
 * its two-byte length, answered as they are ready, idle connections
 * closed).  Nothing here blocks: a query held for an on-demand allocation
 * is answered later through dns_send().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns_int.h"
#include "store.h"

#define UDP_BATCH	64
#define UDP_BUF		(DNS_QUERY_MAX + 1)	/* one more: "too large" */
#define TCP_RBUF	(2 + DNS_QUERY_MAX)
#define UDP_SOCKBUF	(2 << 20)	/* as NSD asks */

struct dns_tcp {
	int fd;
	uint64_t id;
	uint8_t rbuf[TCP_RBUF];
	size_t rlen;
	uint8_t *wbuf;
	size_t wlen, woff, wcap;
	int64_t last_ms;
	bool dead;
};

int64_t dns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dns_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ sockets */

static int dns_socket(const struct dstmd_dns_config *c, int type,
		      char *err, size_t errlen)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(c->port) };
	char addr[sizeof(c->listen)], *pct;
	int fd, one = 1, zero = 0, bufsz = UDP_SOCKBUF;

	snprintf(addr, sizeof(addr), "%s", c->listen);
	pct = strchr(addr, '%');
	if (pct) {
		*pct = '\0';
		sa.sin6_scope_id = if_nametoindex(pct + 1);
	}
	if (inet_pton(AF_INET6, addr, &sa.sin6_addr) != 1) {
		snprintf(err, errlen, "DNS listen '%s' is not an IPv6 address",
			 c->listen);
		return -1;
	}
	fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	/* "::" and ::ffff:A.B.C.D take IPv4 queriers too (B in the worked
	 * example has no IPv6). */
	if (IN6_IS_ADDR_UNSPECIFIED(&sa.sin6_addr) ||
	    IN6_IS_ADDR_V4MAPPED(&sa.sin6_addr))
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		/* The kernel's default (212 KB) overflows with a few hundred
		 * queries in flight (performance-dns.md: Udp6RcvbufErrors);
		 * FORCE passes rmem_max when we may, else the capped ask. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err_close;
	if (type == SOCK_STREAM && listen(fd, 64))
		goto err_close;
	return fd;

err_close:
	close(fd);
err:
	snprintf(err, errlen, "DNS %s socket on [%s]:%u: %s",
		 type == SOCK_DGRAM ? "UDP" : "TCP", c->listen, c->port,
		 strerror(errno));
	return -1;
}

static struct dns *dns_new(struct dstmd *d)
{
	struct dns *dns = calloc(1, sizeof(*dns));
	unsigned int i;

	if (!dns)
		return NULL;
	dns->d = d;
	dns->cfg = &d->cfg->dns;
	dns->udp = dns->tcp = dns->dhcp_fd = -1;
	dns->zone = ldns_dname_new_frm_str(dns->cfg->zone);
	if (!dns->zone) {
		free(dns);
		return NULL;
	}
	ldns_dname2canonical(dns->zone);
	dns->zone_labels = ldns_dname_label_count(dns->zone);
	for (i = 0; i < dns->cfg->n_ns; i++)
		if (!dns_wname(dns->cfg->ns[i].name, &dns->ns_wire[i]))
			dns->ns_wire[i].len = 0;
	d->dns = dns;
	if (dns_hosts_init(dns)) {
		dns_close(d);
		return NULL;
	}
	return dns;
}

int dns_open_nosock(struct dstmd *d)
{
	struct dns *dns = dns_new(d);

	if (!dns)
		return -1;
	dns->nosock = true;
	return 0;
}

int dns_open(struct dstmd *d, int dhcp_fd, char *err, size_t errlen)
{
	struct dns *dns;

	if (!d->cfg->dns.enabled)
		return 0;
	dns = dns_new(d);
	if (!dns) {
		snprintf(err, errlen, "DNS: cannot set up the zone %s",
			 d->cfg->dns.zone);
		return -1;
	}
	dns->dhcp_fd = dhcp_fd;
	dns->udp = dns_socket(dns->cfg, SOCK_DGRAM, err, errlen);
	if (dns->udp < 0)
		goto fail;
	dns->tcp = dns_socket(dns->cfg, SOCK_STREAM, err, errlen);
	if (dns->tcp < 0)
		goto fail;
	dns->conns = calloc(dns->cfg->max_tcp, sizeof(*dns->conns));
	if (!dns->conns) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	info("DNS: zone %s on [%s]:%u UDP and TCP, on-demand %s", dns->cfg->zone,
	     dns->cfg->listen, dns->cfg->port, dns->cfg->on_demand ? "on" : "off");
	return 0;
fail:
	dns_close(d);
	return -1;
}

static void tcp_free(struct dns_tcp *t)
{
	close(t->fd);
	free(t->wbuf);
	free(t);
}

void dns_close(struct dstmd *d)
{
	struct dns *dns = d->dns;
	unsigned int i;

	if (!dns)
		return;
	ondemand_free(dns);
	for (i = 0; i < dns->n_conns; i++)
		tcp_free(dns->conns[i]);
	free(dns->conns);
	if (dns->udp >= 0)
		close(dns->udp);
	if (dns->tcp >= 0)
		close(dns->tcp);
	dns_hosts_free(dns);
	ldns_rdf_deep_free(dns->zone);
	free(dns);
	d->dns = NULL;
}

/* --------------------------------------------------------------- TCP */

static struct dns_tcp *tcp_by_id(struct dns *dns, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < dns->n_conns; i++)
		if (dns->conns[i]->id == id)
			return dns->conns[i];
	return NULL;
}

static void tcp_flush(struct dns_tcp *t)
{
	while (t->woff < t->wlen) {
		ssize_t n = send(t->fd, t->wbuf + t->woff, t->wlen - t->woff,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				t->dead = true;
			return;
		}
		t->woff += (size_t)n;
	}
	t->woff = t->wlen = 0;
}

static void tcp_queue(struct dns *dns, struct dns_tcp *t, const uint8_t *buf,
		      size_t len)
{
	size_t need = t->wlen + 2 + len;

	if (need > t->wcap) {
		/* A querier that does not read its answers gets no more. */
		uint8_t *w = need > 1u << 20 ? NULL : realloc(t->wbuf, need);

		if (!w) {
			dns->d->cnt[CNT_dns_drop_tcp]++;
			t->dead = true;
			return;
		}
		t->wbuf = w;
		t->wcap = need;
	}
	t->wbuf[t->wlen] = (uint8_t)(len >> 8);
	t->wbuf[t->wlen + 1] = (uint8_t)len;
	memcpy(t->wbuf + t->wlen + 2, buf, len);
	t->wlen += 2 + len;
	dns->d->cnt[CNT_dns_tx]++;
	tcp_flush(t);
}

static void tcp_accept(struct dns *dns)
{
	struct dns_tcp *t;
	int fd, i;

	for (i = 0; i < 16; i++) {
		fd = accept4(dns->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (dns->n_conns >= dns->cfg->max_tcp ||
		    !(t = calloc(1, sizeof(*t)))) {
			dns->d->cnt[CNT_dns_drop_tcp]++;
			close(fd);
			continue;
		}
		t->fd = fd;
		t->id = ++dns->next_conn;
		t->last_ms = dns_now_ms();
		dns->conns[dns->n_conns++] = t;
		dns->d->cnt[CNT_dns_tcp_conns]++;
	}
}

static void tcp_read(struct dns *dns, struct dns_tcp *t)
{
	struct dns_from from = { .tcp = true, .conn = t->id };
	socklen_t sl = sizeof(from.sa);
	uint8_t out[65535];
	ssize_t n;

	getpeername(t->fd, (struct sockaddr *)&from.sa, &sl);
	for (;;) {
		n = recv(t->fd, t->rbuf + t->rlen, sizeof(t->rbuf) - t->rlen, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			t->dead = true;
			return;
		}
		if (n < 0)
			return;
		t->rlen += (size_t)n;
		t->last_ms = dns_now_ms();
		while (t->rlen >= 2) {
			size_t len = (size_t)t->rbuf[0] << 8 | t->rbuf[1], a;

			if (len > DNS_QUERY_MAX || len < 12) {
				/* Framing we cannot trust any more. */
				dns->d->cnt[len > DNS_QUERY_MAX ?
					    CNT_dns_drop_oversized :
					    CNT_dns_drop_malformed]++;
				t->dead = true;
				return;
			}
			if (t->rlen < 2 + len)
				break;
			dns->d->cnt[CNT_dns_rx]++;
			a = dns_query(dns->d, &from, t->rbuf + 2, len, out,
				      sizeof(out));
			if (a)
				tcp_queue(dns, t, out, a);
			memmove(t->rbuf, t->rbuf + 2 + len, t->rlen - 2 - len);
			t->rlen -= 2 + len;
			if (t->dead)
				return;
		}
	}
}

static bool tcp_has_held(struct dns *dns, uint64_t id)
{
	struct dns_pending *p;
	struct dns_held *h;

	for (p = dns->pending; p; p = p->next)
		for (h = p->held; h; h = h->next)
			if (h->from.tcp && h->from.conn == id)
				return true;
	return false;
}

static void tcp_reap(struct dns *dns)
{
	int64_t now = dns_now_ms();
	unsigned int i;

	for (i = 0; i < dns->n_conns;) {
		struct dns_tcp *t = dns->conns[i];

		if (!t->dead && now - t->last_ms > dns->cfg->tcp_idle_ms &&
		    t->wlen == 0 && !tcp_has_held(dns, t->id))
			t->dead = true;
		if (t->dead) {
			tcp_free(t);
			dns->conns[i] = dns->conns[--dns->n_conns];
			continue;
		}
		i++;
	}
}

/* --------------------------------------------------------------- UDP */

struct udp_slot {
	struct sockaddr_in6 from;
	uint8_t in[UDP_BUF];
	uint8_t out[65535];
	char cin[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	char cout[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct iovec iov_in, iov_out;
};

static void pktinfo(struct msghdr *m, struct dns_from *f)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		struct in6_pktinfo pi;

		if (c->cmsg_level != IPPROTO_IPV6 || c->cmsg_type != IPV6_PKTINFO)
			continue;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
			return;
		f->dst = pi.ipi6_addr;
		f->ifindex = pi.ipi6_ifindex;
		f->has_dst = true;
		return;
	}
}

static void set_source(struct msghdr *m, const struct dns_from *f, char *cbuf,
		       size_t cap)
{
	struct in6_pktinfo pi = { .ipi6_addr = f->dst };
	struct cmsghdr *c;

	m->msg_control = NULL;
	m->msg_controllen = 0;
	if (!f->has_dst || cap < CMSG_SPACE(sizeof(pi)))
		return;
	memset(cbuf, 0, CMSG_SPACE(sizeof(pi)));
	m->msg_control = cbuf;
	m->msg_controllen = CMSG_SPACE(sizeof(pi));
	c = CMSG_FIRSTHDR(m);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

static struct udp_slot *udp_slots;

static void udp_batch(struct dns *dns)
{
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct dstmd *d = dns->d;
	int n, i, k = 0;

	if (!udp_slots) {
		udp_slots = calloc(UDP_BATCH, sizeof(*udp_slots));
		if (!udp_slots)
			return;
	}
	memset(in, 0, sizeof(in));
	for (i = 0; i < UDP_BATCH; i++) {
		struct udp_slot *s = &udp_slots[i];

		s->iov_in.iov_base = s->in;
		s->iov_in.iov_len = sizeof(s->in);
		in[i].msg_hdr.msg_name = &s->from;
		in[i].msg_hdr.msg_namelen = sizeof(s->from);
		in[i].msg_hdr.msg_iov = &s->iov_in;
		in[i].msg_hdr.msg_iovlen = 1;
		in[i].msg_hdr.msg_control = s->cin;
		in[i].msg_hdr.msg_controllen = sizeof(s->cin);
	}
	n = recvmmsg(dns->udp, in, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	for (i = 0; i < n; i++) {
		struct udp_slot *s = &udp_slots[i];
		struct dns_from f = { .sa = s->from };
		size_t len;

		d->cnt[CNT_dns_rx]++;
		if (in[i].msg_hdr.msg_namelen != sizeof(s->from))
			continue;
		if (in[i].msg_hdr.msg_flags & MSG_TRUNC ||
		    in[i].msg_len > DNS_QUERY_MAX) {
			d->cnt[CNT_dns_drop_oversized]++;
			continue;
		}
		pktinfo(&in[i].msg_hdr, &f);
		len = dns_query(d, &f, s->in, in[i].msg_len, s->out,
				sizeof(s->out));
		if (!len)
			continue;
		udp_answer_prep(&out[k], &s->from, &s->iov_out, s->out, len);
		set_source(&out[k].msg_hdr, &f, s->cout, sizeof(s->cout));
		k++;
	}
	d->cnt[CNT_dns_tx] += udp_send_batch(dns->udp, out, (unsigned int)k, 40,
					     "DNS");
}

void dns_send(struct dns *dns, const struct dns_from *from,
	      const uint8_t *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_name = (void *)&from->sa,
			    .msg_namelen = sizeof(from->sa),
			    .msg_iov = &iov, .msg_iovlen = 1 };
	struct dns_tcp *t;

	if (dns->nosock)
		return;
	if (from->tcp) {
		t = tcp_by_id(dns, from->conn);
		if (t && !t->dead)
			tcp_queue(dns, t, buf, len);
		return;
	}
	set_source(&m, from, cbuf, sizeof(cbuf));
	if (sendmsg(dns->udp, &m, 0) < 0)
		log_limited(40, LOG_LVL_WARN, "DNS sendmsg: %m");
	else
		dns->d->cnt[CNT_dns_tx]++;
}

/* --------------------------------------------------------- the loop */

size_t dns_query(struct dstmd *d, const struct dns_from *from,
		 const uint8_t *q, size_t qlen, uint8_t *out, size_t cap)
{
	if (!d->dns)
		return 0;
	d->now = time(NULL);
	return dns_answer(d->dns, from, q, qlen, true, out, cap);
}

unsigned int dns_pollfds(struct dstmd *d, struct pollfd *pfd,
			 unsigned int max)
{
	struct dns *dns = d->dns;
	unsigned int n = 0, i;

	if (!dns || dns->nosock || max < 2)
		return 0;
	tcp_reap(dns);
	pfd[n++] = (struct pollfd){ .fd = dns->udp, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = dns->tcp, .events = POLLIN };
	for (i = 0; i < dns->n_conns && n < max; i++)
		pfd[n++] = (struct pollfd){
			.fd = dns->conns[i]->fd,
			.events = (short)(POLLIN | (dns->conns[i]->wlen ? POLLOUT : 0)),
		};
	return n;
}

void dns_events(struct dstmd *d, const struct pollfd *pfd, unsigned int n)
{
	struct dns *dns = d->dns;
	unsigned int i, j;

	if (!dns)
		return;
	for (i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == dns->udp) {
			udp_batch(dns);
		} else if (pfd[i].fd == dns->tcp) {
			tcp_accept(dns);
		} else {
			for (j = 0; j < dns->n_conns; j++) {
				struct dns_tcp *t = dns->conns[j];

				if (t->fd != pfd[i].fd || t->dead)
					continue;
				if (pfd[i].revents & POLLOUT)
					tcp_flush(t);
				if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
					tcp_read(dns, t);
				break;
			}
		}
	}
}

int dns_timeout_ms(struct dstmd *d)
{
	int64_t next, now;

	if (!d->dns)
		return -1;
	next = ondemand_next_ms(d->dns);
	if (next < 0)
		return d->dns->n_conns ? 1000 : -1;
	now = dns_now_ms();
	return next <= now ? 0 : next - now > 1000 ? 1000 : (int)(next - now);
}

void dns_timers(struct dstmd *d)
{
	if (d->dns)
		ondemand_timers(d->dns);
}

void dns_after_batch(struct dstmd *d)
{
	if (!d->dns || !d->bound_changed)
		return;
	d->bound_changed = false;
	ondemand_check_bound(d->dns);
}
