// SPDX-License-Identifier: GPL-2.0
/*
 * dstmctl client DEV [KEYWORD VALUE]...: the DSTM host agent, in the
 * foreground.  It waits for the kernel to say that IPv4 is needed
 * (ADDR_NEEDED: a packet is held in DEV for want of an address), or for the
 * DNS trigger, then gets a lease from the DSTM server and puts it in place;
 * it renews at T1, rebinds at T2, takes the lease out when it ends, is
 * NAKed, goes idle or the agent stops (RELEASE), and answers the server's
 * Reconfigure.  The arguments, the log and the exit status are described
 * in dstmctl(8), "CLIENT".
 *
 * The lease's life:
 *
 *   idle --demand--> Information-request -> DISCOVER -> REQUEST --ACK-->
 *   bound --T1--> renewing --T2--> rebinding --end--> idle
 *     ^                |               |
 *     +------ACK-------+------ACK------+     NAK: deconfigure, start again
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

static int64_t t_zero;

int64_t ag_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One line, one write(2): stderr is unbuffered, and three writes per line
 * (prefix, message, newline) cost a system call each on the way from a
 * Reconfigure to our Information-request (issue 5: the on-demand answer's
 * latency).  A line longer than the buffer is cut.
 */
void ag_log(struct agent *ag, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;

	fflush(stdout);
	n = snprintf(line, sizeof(line), "dstmctl: client %s: ", ag->o.dev);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += (size_t)m < sizeof(line) - 1 - (size_t)n ? m :
		     (int)(sizeof(line) - 2 - (size_t)n);
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

void ag_event(struct agent *ag, const char *event, ...)
{
	const char *k, *v;
	va_list ap;

	if (!ag->ctx->json)
		return;
	json_object(&ag->j, NULL);
	json_string(&ag->j, "event", event);
	json_string(&ag->j, "dev", ag->o.dev);
	json_uint(&ag->j, "ms", (uint64_t)(ag_now() - t_zero));
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		json_uint(&ag->j, "unix_ms", (uint64_t)ts.tv_sec * 1000 +
			  (uint64_t)ts.tv_nsec / 1000000);
	}
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *)))
		json_string(&ag->j, k, v);
	va_end(ap);
	json_end(&ag->j);
	fflush(stdout);
}

static const char *ip4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ip6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static bool acquiring(const struct agent *ag)
{
	return ag->tx == TX_INFO || ag->tx == TX_DISCOVER ||
	       ag->tx == TX_REQUEST;
}

/* Lease phases once bound: renewing from T1, rebinding from T2. */
enum { PH_BOUND, PH_RENEWING, PH_REBINDING };
static int phase;

static void start_acquisition(struct agent *ag, const char *why)
{
	int64_t now = ag_now();

	ag->acq_start = now;
	ag->acq_end = now + (int64_t)ag->o.timeout * 1000;
	ag->acq_why = why;
	ag->naks = 0;
	dhcp_start(ag, TX_INFO);
}

void ag_demand(struct agent *ag, const char *why)
{
	if (ag->bound || acquiring(ag) || ag->stop)
		return;
	ag_log(ag, "IPv4 needed (%s): asking for a lease", why);
	ag_event(ag, "acquiring", "reason", why, NULL);
	start_acquisition(ag, why);
}

static void portset_text(const struct ag_lease *l, char *buf, size_t len)
{
	char ports[160];

	if (!l->has_pp) {
		buf[0] = '\0';
		return;
	}
	format_portset(ports, sizeof(ports), l->psid_offset, l->psid_len,
		       l->psid);
	snprintf(buf, len, " psid %u (psid-len %u, offset %u: ports %s)",
		 l->psid, l->psid_len, l->psid_offset, ports);
}

static void lease_event(struct agent *ag, const char *event,
			const struct ag_lease *l)
{
	char a[INET_ADDRSTRLEN], t[INET6_ADDRSTRLEN], lt[16], psid[16],
	     plen[8], poff[8], ms[24], cms[24];

	if (!ag->ctx->json)
		return;
	snprintf(lt, sizeof(lt), "%u", l->lease);
	snprintf(psid, sizeof(psid), "%u", l->psid);
	snprintf(plen, sizeof(plen), "%u", l->has_pp ? l->psid_len : 0);
	snprintf(poff, sizeof(poff), "%u", l->psid_offset);
	snprintf(ms, sizeof(ms), "%lld", (long long)(ag_now() - ag->acq_start -
						     ag->cfg_ms));
	snprintf(cms, sizeof(cms), "%lld", (long long)ag->cfg_ms);
	ag_event(ag, event, "addr", ip4(l->addr, a), "tep", ip6(&l->tep, t),
		 "lease", lt, "psid", psid, "psid_len", plen,
		 "psid_offset", poff, "acquire_ms", ms, "configure_ms", cms,
		 NULL);
}

static void set_timers(struct agent *ag, const struct ag_lease *l)
{
	ag->t1_at = l->start + (int64_t)l->t1 * 1000;
	ag->t2_at = l->start + (int64_t)l->t2 * 1000;
	ag->exp_at = l->start + (int64_t)l->lease * 1000;
	phase = PH_BOUND;
}

static void idle_reset(struct agent *ag)
{
	int64_t p = net_packets(ag);

	ag->last_pkts = p < 0 ? 0 : (uint64_t)p;
	ag->last_activity = ag_now();
	ag->idle_next = ag->o.idle ? ag->last_activity + 1000 : 0;
}

static void lease_gone(struct agent *ag)
{
	net_deconfigure(ag, &ag->l);
	ag->bound = false;
	ag->idle_next = 0;
}

/* Give the lease back (RELEASE, no answer expected) and take it out. */
static void release(struct agent *ag, const char *why)
{
	char a[INET_ADDRSTRLEN];

	if (!ag->bound)
		return;
	dhcp_stop(ag);
	dhcp_release(ag);
	lease_gone(ag);
	ag_log(ag, "released %s (%s)", ip4(ag->l.addr, a), why);
	ag_event(ag, "released", "addr", a, "reason", why, NULL);
}

void ag_ack(struct agent *ag, const struct ag_lease *l)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], t[INET6_ADDRSTRLEN],
	     ps[256];
	struct ag_lease old = ag->l;
	bool was = ag->bound;
	int64_t cfg_start;

	ip4(l->addr, a);
	ip6(&l->tep, t);
	portset_text(l, ps, sizeof(ps));
	if (was && old.addr.s_addr != l->addr.s_addr)
		ag_log(ag, "the server moved us from %s to %s: reconfiguring",
		       ip4(old.addr, b), a);
	cfg_start = ag_now();
	if (net_configure(ag, was ? &old : NULL, l)) {
		/* Nothing half done is left (net_configure undid its
		 * steps); give the lease back rather than sit on it. */
		ag_log(ag, "cannot put the lease of %s in place: giving it back",
		       a);
		ag->l = *l;
		ag->bound = true;
		release(ag, "configuration failed");
		dns_release_held(ag);
		return;
	}
	ag->bound = true;
	ag->l = *l;
	ag->cfg_ms = ag_now() - cfg_start;
	set_timers(ag, l);
	if (ag->last_addr.s_addr != l->addr.s_addr) {
		ag->last_addr = l->addr;
		state_save(ag);
	}
	if (was && old.addr.s_addr == l->addr.s_addr) {
		ag_log(ag, "renewed %s for %u s (T1 %u s, T2 %u s)", a, l->lease,
		       l->t1, l->t2);
		lease_event(ag, "renewed", l);
	} else {
		ag_log(ag, "bound %s%s via TEP %s, lease %u s (T1 %u s, T2 %u s), in %lld ms (%lld ms of it configuring)",
		       a, ps, t, l->lease, l->t1, l->t2,
		       (long long)(ag_now() - ag->acq_start), (long long)ag->cfg_ms);
		lease_event(ag, "bound", l);
		idle_reset(ag);
	}
	dns_release_held(ag);
}

void ag_nak(struct agent *ag, const char *msg)
{
	char a[INET_ADDRSTRLEN];

	dhcp_stop(ag);
	ag_log(ag, "NAK for %s%s%s: lease withdrawn, starting over",
	       ip4(ag->l.addr, a), msg[0] ? ": " : "", msg);
	ag_event(ag, "nak", "addr", a, "message", msg, NULL);
	if (ag->bound)
		lease_gone(ag);
	ag->last_addr.s_addr = 0;
	ag_demand(ag, "NAK");
}

void ag_acq_failed(struct agent *ag, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dhcp_stop(ag);
	if (ag->bound)
		ag_log(ag, "refreshing the lease failed: %s (keeping the current one)",
		       msg);
	else
		ag_log(ag, "no lease: %s; held packets get ICMP unreachable, the next one asks again",
		       msg);
	ag_event(ag, "failed", "reason", msg, NULL);
	dns_release_held(ag);
}

void ag_reconfigure(struct agent *ag, uint8_t msg_type)
{
	/* RFC 8415 18.2.11: a client in a transaction ignores it. */
	if (ag->tx != TX_NONE) {
		ag_log(ag, "Reconfigure ignored: %s in progress",
		       dhcp_tx_name(ag->tx));
		return;
	}
	if (ag->bound && msg_type == D6_RENEW) {
		phase = PH_RENEWING;
		dhcp_start(ag, TX_RENEW);
		return;
	}
	/* Information-request, then DHCPv4: the server has reserved an
	 * address for us (DNS extension) or changed something. */
	ag_log(ag, "running the exchange the server asked for");
	start_acquisition(ag, "Reconfigure");
}

/* ------------------------------------------------------------ the loop */

static void lease_timers(struct agent *ag, int64_t now)
{
	char a[INET_ADDRSTRLEN];

	if (!ag->bound)
		return;
	if (now >= ag->exp_at) {
		dhcp_stop(ag);
		ag_log(ag, "lease of %s expired (no answer to renewing or rebinding): removed",
		       ip4(ag->l.addr, a));
		ag_event(ag, "expired", "addr", a, NULL);
		lease_gone(ag);
		return;
	}
	if (now >= ag->t2_at && phase < PH_REBINDING) {
		ag_log(ag, "T2: rebinding %s%s", ip4(ag->l.addr, a),
		       ag->tx == TX_RENEW ? " (renewing got no answer)" : "");
		phase = PH_REBINDING;
		dhcp_stop(ag);
		dhcp_start(ag, TX_REBIND);
		return;
	}
	if (now >= ag->t1_at && phase < PH_RENEWING && ag->tx == TX_NONE) {
		phase = PH_RENEWING;
		ag_log(ag, "T1: renewing %s", ip4(ag->l.addr, a));
		dhcp_start(ag, TX_RENEW);
	}
}

static void idle_check(struct agent *ag, int64_t now)
{
	char why[64];
	int64_t p;

	if (!ag->bound || !ag->o.idle || !ag->idle_next || now < ag->idle_next)
		return;
	ag->idle_next = now + 1000;
	p = net_packets(ag);
	if (p >= 0 && (uint64_t)p != ag->last_pkts) {
		ag->last_pkts = (uint64_t)p;
		ag->last_activity = now;
		return;
	}
	if (now - ag->last_activity < (int64_t)ag->o.idle * 1000)
		return;
	snprintf(why, sizeof(why), "no IPv4 traffic for %u s", ag->o.idle);
	release(ag, why);
}

static int next_timeout(struct agent *ag, int64_t now)
{
	int64_t t = now + 60000, d;

#define MIN_AT(x) do { if ((x) && (x) < t) t = (x); } while (0)
	MIN_AT(ag->tx_next);
	if (ag->bound) {
		MIN_AT(ag->exp_at);
		if (phase < PH_REBINDING)
			MIN_AT(ag->t2_at);
		if (phase < PH_RENEWING && ag->tx == TX_NONE)
			MIN_AT(ag->t1_at);
		MIN_AT(ag->idle_next);
	}
	d = dns_next(ag);
	MIN_AT(d);
#undef MIN_AT
	return t <= now ? 0 : (int)(t - now);
}

static int on_event(const struct dstm_event *ev, void *arg)
{
	struct agent *ag = arg;
	char why[64], d[INET_ADDRSTRLEN];

	if (ev->cmd != DSTM_CMD_ADDR_NEEDED || ev->ifindex != ag->ifindex)
		return 0;
	snprintf(why, sizeof(why), "a packet to %s waits",
		 ev->present & DSTM_BIT(DSTM_A_DST) ? ip4(ev->dst, d) : "?");
	ag_demand(ag, why);
	return 0;
}

static int run(struct agent *ag)
{
	struct pollfd pfd[8];
	int dnsfd[4], n_dns, i, n, ret;
	int64_t now;

	while (!ag->stop) {
		now = ag_now();
		pfd[0] = (struct pollfd){ .fd = ag->sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = dstm_fd(ag->ev), .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = ag->udp, .events = POLLIN };
		n = 3;
		n_dns = dns_fds(ag, dnsfd, 4);
		for (i = 0; i < n_dns; i++)
			pfd[n++] = (struct pollfd){ .fd = dnsfd[i], .events = POLLIN };
		ret = poll(pfd, (nfds_t)n, next_timeout(ag, now));
		if (ret < 0 && errno != EINTR) {
			ag_log(ag, "poll: %s", strerror(errno));
			return EXIT_KERNEL;
		}
		if (ret > 0 && (pfd[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(ag->sigfd, &si, sizeof(si)) == sizeof(si)) {
				ag_log(ag, "%s: stopping", strsignal((int)si.ssi_signo));
				ag->stop = true;
				break;
			}
		}
		if (ret > 0 && (pfd[1].revents & POLLIN)) {
			int err = dstm_event_read(ag->ev, on_event, ag);

			if (err == -ENOBUFS)	/* events lost: one may be ours */
				ag_demand(ag, "kernel events were lost");
			else if (err < 0 && err != -EAGAIN && err != -EINTR) {
				ag_log(ag, "reading kernel events: %s",
				       strerror(-err));
				return EXIT_KERNEL;
			}
		}
		if (ret > 0 && (pfd[2].revents & POLLIN))
			dhcp_receive(ag);
		for (i = 3; i < n; i++)
			if (pfd[i].revents & POLLIN)
				dns_input(ag, pfd[i].fd);
		now = ag_now();
		lease_timers(ag, now);
		dhcp_timeout(ag);
		idle_check(ag, ag_now());
		dns_tick(ag);
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------ arguments */

static bool parse_u(const char *s, unsigned long min, unsigned long max,
		    unsigned int *out)
{
	unsigned long v;

	if (!parse_ulong(s, max, &v) || v < min)
		return false;
	*out = (unsigned int)v;
	return true;
}

static bool parse_prefix(const char *s, struct ag_route *r)
{
	char buf[INET_ADDRSTRLEN + 4], *slash;
	unsigned long len = 32;

	if (!strcmp(s, "default")) {
		r->dst.s_addr = 0;
		r->len = 0;
		return true;
	}
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!parse_ulong(slash + 1, 32, &len))
			return false;
	}
	if (!parse_ipv4(buf, &r->dst))
		return false;
	r->len = (uint8_t)len;
	if (len < 32 && (ntohl(r->dst.s_addr) & (0xffffffffu >> len)))
		return false;	/* host bits set */
	return true;
}

/* ADDR or ADDR:PORT, [V6] or [V6]:PORT, into ss (default port dport). */
static bool parse_sockaddr(const char *s, unsigned int dport,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + 8], *p, *port = NULL;
	unsigned int pt = dport;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	memset(ss, 0, sizeof(*ss));
	p = buf;
	if (*p == '[') {
		char *e = strchr(p, ']');

		if (!e)
			return false;
		*e = '\0';
		p++;
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return false;
	} else if (strchr(p, ':') == strrchr(p, ':') && strchr(p, ':')) {
		port = strchr(p, ':');
		*port++ = '\0';
	}
	if (port && !parse_u(port, 1, 65535, &pt))
		return false;
	if (inet_pton(AF_INET, p, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)pt);
		return true;
	}
	if (inet_pton(AF_INET6, p, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)pt);
		return true;
	}
	return false;
}

static int read_key(struct ctx *ctx, struct ag_opts *o, const char *file)
{
	char text[512];
	size_t n = 0, i;
	struct stat st;
	FILE *f = fopen(file, "re");
	unsigned int v;

	if (!f)
		return usage_error(ctx, "client: key file %s: %s", file,
				   strerror(errno));
	if (!fstat(fileno(f), &st) && (st.st_mode & 0044))
		fprintf(stderr, "dstmctl: client: warning: key file %s is readable by others\n",
			file);
	i = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[i] = '\0';
	for (i = 0; text[i]; ) {
		if (strchr(" \t\n\r:", text[i])) {
			i++;
			continue;
		}
		if (!strchr("0123456789abcdefABCDEF", text[i]) || !text[i + 1] ||
		    !strchr("0123456789abcdefABCDEF", text[i + 1]) ||
		    n == sizeof(o->key) || sscanf(text + i, "%2x", &v) != 1)
			return usage_error(ctx, "client: key file %s: expected the secret in hex (16 to 64 bytes)",
					   file);
		o->key[n++] = (uint8_t)v;
		i += 2;
	}
	if (n < 16)
		return usage_error(ctx, "client: key file %s: the secret has %zu bytes, expected 16 to 64 (in hex)",
				   file, n);
	o->key_len = n;
	return EXIT_OK;
}

static const char *const keywords[] = {
	"server", "iface", "local", "key", "fqdn", "state-file", "idle",
	"timeout", "retransmit", "route", "acquire", "dns", "dns-upstream",
	"dns-hold", NULL,
};

static bool is_keyword(const char *s)
{
	int i;

	for (i = 0; keywords[i]; i++)
		if (!strcmp(s, keywords[i]))
			return true;
	return false;
}

/* The first nameserver of resolv.conf that is not our own stub. */
static bool resolv_upstream(const struct sockaddr_storage *self,
			    struct sockaddr_storage *out)
{
	char line[256], addr[INET6_ADDRSTRLEN + 1];
	FILE *f = fopen("/etc/resolv.conf", "re");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " nameserver %46s", addr) != 1 ||
		    !parse_sockaddr(addr, 53, out))
			continue;
		if (out->ss_family == self->ss_family &&
		    (self->ss_family == AF_INET ?
		     !memcmp(&((struct sockaddr_in *)out)->sin_addr,
			     &((const struct sockaddr_in *)self)->sin_addr, 4) :
		     !memcmp(&((struct sockaddr_in6 *)out)->sin6_addr,
			     &((const struct sockaddr_in6 *)self)->sin6_addr, 16)) &&
		    ((struct sockaddr_in *)out)->sin_port ==
		    ((const struct sockaddr_in *)self)->sin_port)
			continue;
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static int parse_args(struct ctx *ctx, struct ag_opts *o, int argc,
		      char **argv)
{
	static char state[256];
	bool routes_given = false;
	int i, ret;

	ret = check_dev(ctx, "client", argc ? argv[0] : NULL, NULL);
	if (ret)
		return ret;
	if (is_keyword(argv[0]))
		return usage_error(ctx, "client: expected a device name before '%s'",
				   argv[0]);
	o->dev = argv[0];
	o->idle = 300;
	o->timeout = 30;
	o->retransmit = 1000;
	o->dns_hold = 2000;

	for (i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!is_keyword(k))
			return usage_error(ctx, "client: unknown keyword '%s' (expected %s)",
					   k, "server, iface, local, key, fqdn, state-file, idle, timeout, retransmit, route, acquire, dns, dns-upstream or dns-hold");
		if (!v)
			return usage_error(ctx, "client: '%s' needs a value", k);
		if (!strcmp(k, "server")) {
			if (!parse_ipv6(v, &o->server) ||
			    IN6_IS_ADDR_MULTICAST(&o->server))
				return usage_error(ctx, "client: server: bad IPv6 unicast address '%s'", v);
			o->has_server = true;
		} else if (!strcmp(k, "iface")) {
			if (!valid_ifname(v))
				return usage_error(ctx, "client: iface: bad interface name '%s'", v);
			o->iface = v;
		} else if (!strcmp(k, "local")) {
			if (!parse_ipv6(v, &o->local))
				return usage_error(ctx, "client: local: bad IPv6 address '%s'", v);
			o->has_local = true;
		} else if (!strcmp(k, "key")) {
			if (i + 2 >= argc)
				return usage_error(ctx, "client: key needs KEYID and SECRET-FILE");
			if (!v[0] || strlen(v) > D6_AUTH_REALM_MAX)
				return usage_error(ctx, "client: key: KEYID '%s' must have 1 to %d characters",
						   v, D6_AUTH_REALM_MAX);
			o->key_name = v;
			ret = read_key(ctx, o, argv[i + 2]);
			if (ret)
				return ret;
			i++;
		} else if (!strcmp(k, "fqdn")) {
			uint8_t wire[256];

			if (dns_name_encode(v, wire, sizeof(wire)) < 0)
				return usage_error(ctx, "client: fqdn: bad name '%s'", v);
			o->fqdn = v;
		} else if (!strcmp(k, "state-file")) {
			o->state_file = v;
		} else if (!strcmp(k, "idle")) {
			if (!parse_u(v, 0, 86400 * 365, &o->idle))
				return usage_error(ctx, "client: idle: expected seconds (0 = never), got '%s'", v);
		} else if (!strcmp(k, "timeout")) {
			if (!parse_u(v, 1, 3600, &o->timeout))
				return usage_error(ctx, "client: timeout: expected 1..3600 seconds, got '%s'", v);
		} else if (!strcmp(k, "retransmit")) {
			if (!parse_u(v, 100, 60000, &o->retransmit))
				return usage_error(ctx, "client: retransmit: expected 100..60000 ms, got '%s'", v);
		} else if (!strcmp(k, "route")) {
			routes_given = true;
			if (!strcmp(v, "none"))
				continue;
			if (o->n_routes == AG_MAX_ROUTES)
				return usage_error(ctx, "client: at most %d routes", AG_MAX_ROUTES);
			if (!parse_prefix(v, &o->routes[o->n_routes]))
				return usage_error(ctx, "client: route: expected default, none or A.B.C.D/N, got '%s'", v);
			o->n_routes++;
		} else if (!strcmp(k, "acquire")) {
			if (strcmp(v, "now") && strcmp(v, "on-demand"))
				return usage_error(ctx, "client: acquire: expected now or on-demand, got '%s'", v);
			o->now = !strcmp(v, "now");
		} else if (!strcmp(k, "dns")) {
			if (!parse_sockaddr(v, 53, &o->dns_listen))
				return usage_error(ctx, "client: dns: expected ADDRESS[:PORT] to listen on, got '%s'", v);
			o->dns = true;
		} else if (!strcmp(k, "dns-upstream")) {
			if (!parse_sockaddr(v, 53, &o->dns_upstream))
				return usage_error(ctx, "client: dns-upstream: expected ADDRESS[:PORT], got '%s'", v);
			o->has_upstream = true;
		} else if (!strcmp(k, "dns-hold")) {
			if (!parse_u(v, 0, 10000, &o->dns_hold))
				return usage_error(ctx, "client: dns-hold: expected 0..10000 ms, got '%s'", v);
		}
	}
	if (!routes_given) {
		o->routes[0].dst.s_addr = 0;
		o->routes[0].len = 0;
		o->n_routes = 1;
	}
	if (o->has_upstream && !o->dns)
		return usage_error(ctx, "client: dns-upstream without dns ADDRESS");
	if (o->dns && !o->has_upstream &&
	    !resolv_upstream(&o->dns_listen, &o->dns_upstream))
		return usage_error(ctx, "client: dns: no upstream resolver in /etc/resolv.conf (give dns-upstream ADDRESS)");
	if (!o->state_file) {
		snprintf(state, sizeof(state), "/var/lib/dstm/client-%s.state",
			 o->dev);
		o->state_file = state;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------- setup */

static int open_signals(struct agent *ag)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	ag->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return ag->sigfd < 0 ? -errno : 0;
}

static uint32_t iaid_of(const char *dev)
{
	uint32_t h = 2166136261u;	/* FNV-1a: stable across restarts */

	while (*dev)
		h = (h ^ (uint8_t)*dev++) * 16777619u;
	return h;
}

static int open_dstm(struct agent *ag, struct dstm_sock **sk)
{
	const char *msg;
	int ret = dstm_open(sk);

	if (ret < 0) {
		msg = dstm_open_errmsg();
		ag_log(ag, "%s", msg ? msg : strerror(-ret));
		*sk = NULL;
	}
	return ret;
}

int cmd_client(struct ctx *ctx, int argc, char **argv)
{
	static struct agent agent;	/* large; one per process */
	struct agent *ag = &agent;
	unsigned int seed;
	uint64_t replay;
	int ret, status = EXIT_KERNEL;

	memset(ag, 0, sizeof(*ag));
	ag->ctx = ctx;
	ag->udp = ag->sigfd = -1;
	ret = parse_args(ctx, &ag->o, argc, argv);
	if (ret)
		return ret;
	t_zero = ag_now();
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (unsigned int)(time(NULL) ^ getpid());
	srandom(seed);
	json_init(&ag->j, stdout);

	/* Events first: no ADDR_NEEDED may slip by between setup and loop. */
	if (open_dstm(ag, &ag->ev) < 0 || open_dstm(ag, &ag->req) < 0)
		goto out;
	ret = dstm_event_subscribe(ag->ev);
	if (ret < 0) {
		ag_log(ag, "subscribing to dstm events: %s", strerror(-ret));
		goto out;
	}
	if (net_open(ag))
		goto out;
	ret = net_setup(ag);
	if (ret) {
		status = ret == -EINVAL ? EXIT_USAGE : EXIT_KERNEL;
		goto out_net;
	}
	if (state_load(ag))
		goto out_net;
	replay = ag->c.replay;
	if (!d4o6_client_init(&ag->c, ag->duid, ag->duid_len,
			      iaid_of(ag->o.dev))) {
		ag_log(ag, "bad DUID in %s", ag->o.state_file);
		goto out_net;
	}
	ag->c.replay = replay;
	ag->c.fqdn = ag->o.fqdn;
	ag->c.reconf_accept = true;
	ag->c.key_name = ag->o.key_name;
	ag->c.key = ag->o.key_name ? ag->o.key : NULL;
	ag->c.key_len = ag->o.key_len;
	if (dhcp_open(ag) || open_signals(ag))
		goto out_net;
	if (ag->o.dns && dns_open(ag))
		goto out_net;

	ag_log(ag, "ready: %s%s%s", ag->o.now ? "acquiring now, then on demand" :
	       "acquiring on demand", ag->o.dns ? ", DNS trigger on" : "",
	       ag->o.key_name ? ", authenticated" : "");
	ag_event(ag, "ready", NULL);
	if (ag->o.now)
		ag_demand(ag, "acquire now");
	status = run(ag);

	release(ag, "agent stopping");
	dns_close(ag);
out_net:
	net_teardown(ag);
	net_close(ag);
out:
	if (ag->udp >= 0)
		close(ag->udp);
	if (ag->sigfd >= 0)
		close(ag->sigfd);
	dstm_close(ag->ev);
	dstm_close(ag->req);
	if (status == EXIT_OK)
		ag_event(ag, "stopped", NULL);
	return status;
}
