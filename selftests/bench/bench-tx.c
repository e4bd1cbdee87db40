// SPDX-License-Identifier: GPL-2.0
/*
 * bench-tx: the traffic generator and table builder of `make bench`.
 *
 *   bench-tx send -i IF --dmac MAC --mode 4|6 --len N [options]
 *       Send pre-built frames on IF through an AF_PACKET socket that skips
 *       the qdisc (PACKET_QDISC_BYPASS), in sendmmsg() batches, cycling
 *       through a ring of --flows frames.  After --warmup seconds, count
 *       the rx_packets of --count-if in the network namespace of process
 *       --count-pid (read from /proc/PID/net/dev) over --time seconds, and
 *       print one line: "pps=P rx=R sent=S secs=T".
 *
 *       --mode 4   Ethernet + IPv4 + UDP from the IPv4 host 192.0.2.2 to a
 *                  mapped address and port (what a TEP encapsulates).
 *       --mode 6   Ethernet + IPv6 (next header 4) + IPv4 + UDP: a 4over6
 *                  packet from a mapped client (what a TEP decapsulates),
 *                  to --tep; without --tep, from 2001:db8:a::2 to the
 *                  mapping's IPv6 address (plain IPv6 forwarding).
 *       --len N    the inner IPv4 packet's length (28..1500 bytes).
 *
 *   bench-tx maps --maps N [--psid-len K] [--dev DEV]
 *       Print N "map add" lines for `dstmctl -batch`.
 *
 *   bench-tx routes --maps N --dev DEV [--src IPV6] [--metrics] [--via IPV4]
 *       Print N "route add ... encap ip6" lines for `ip -batch` (N whole
 *       addresses only); --metrics gives each its own metric, --via an
 *       onlink gateway.
 *
 *   bench-tx plan FILE
 *       Run the sends of FILE, one a line: TAG SEND-OPTIONS...; each prints
 *       "MARK TAG b", "MARK TAG e" and "RESULT TAG RX SENT SECS".
 *
 * Mapping i of a universe of N mappings with K PSID bits (offset 6):
 *   IPv4 198.18.0.0 + (i >> K)  (RFC 2544's benchmarking range, 2^17 addresses)
 *   PSID i & (2^K - 1)
 *   IPv6 2001:db8:c::/96 + (i + 1)
 * Frames spread over the universe: frame j uses mapping hash(j) % N, so a
 * ring of 4096 frames touches ~4096 mappings scattered through the table;
 * --hot H narrows that to the first H mappings (--hot 1: all traffic to
 * mapping 0, whatever the size of the table).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define V4_BASE		0xc6120000u	/* 198.18.0.0 */
#define V4_COUNT	(1u << 17)	/* 198.18.0.0/15 */
#define PSID_OFFSET	6
#define HOST_B		0xc0000202u	/* 192.0.2.2 */
#define MAX_BATCH	1024

struct opts {
	const char *ifname;
	unsigned char dmac[6];
	bool have_dmac;
	int mode;
	unsigned int len;
	uint32_t maps;
	uint32_t hot;
	unsigned int psid_len;
	unsigned int flows;
	struct in6_addr tep;
	bool have_tep;
	double warmup;
	double time;
	double pause;
	int count_pid;
	const char *count_if;
	unsigned int batch;
	int cpu;
	const char *dev;
	struct in6_addr src;
	bool have_src;
	bool metrics;
	const char *via;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-tx: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* A 32-bit mixer (the murmur3 finaliser): spreads j over the table. */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

static uint32_t map_ipv4(const struct opts *o, uint32_t i)
{
	return V4_BASE + (i >> o->psid_len);
}

static uint16_t map_psid(const struct opts *o, uint32_t i)
{
	return i & ((1u << o->psid_len) - 1);
}

static void map_ipv6(uint32_t i, struct in6_addr *a)
{
	uint32_t v = htonl(i + 1);

	inet_pton(AF_INET6, "2001:db8:c::", a);
	memcpy(&a->s6_addr[12], &v, 4);
}

/* A port of mapping i's port set (RFC 7597 5.1, a = 6), varied by @h. */
static uint16_t map_port(const struct opts *o, uint32_t i, uint32_t h)
{
	unsigned int k = o->psid_len, mbits = 16 - PSID_OFFSET - k;
	uint16_t a = 1 + h % 63;

	if (!k)
		return 1024 + h % 64000;
	return a << (16 - PSID_OFFSET) | map_psid(o, i) << mbits |
	       ((h >> 8) & ((1u << mbits) - 1));
}

static uint16_t csum16(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (; n > 1; n -= 2, b += 2)
		s += b[0] << 8 | b[1];
	if (n)
		s += b[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

/* Build frame j into @buf; returns its length. */
static size_t build_frame(const struct opts *o, const unsigned char *smac,
			  unsigned int j, unsigned char *buf)
{
	uint32_t h = mix32(j * 2654435761u + 1);
	uint32_t hot = o->hot && o->hot < o->maps ? o->hot : o->maps;
	uint32_t m = hot == 1 ? 0 : mix32(j) % hot;
	struct ether_header *eth = (void *)buf;
	unsigned char *p = buf + sizeof(*eth);
	struct ip6_hdr *ip6 = NULL;
	struct udphdr *udp;
	struct iphdr *ip;
	uint16_t mport = map_port(o, m, h), bport = 5000 + j % 1000;

	memset(buf, 0, sizeof(*eth) + sizeof(*ip6) + o->len);
	memcpy(eth->ether_dhost, o->dmac, 6);
	memcpy(eth->ether_shost, smac, 6);
	if (o->mode == 6) {
		eth->ether_type = htons(ETHERTYPE_IPV6);
		ip6 = (void *)p;
		ip6->ip6_flow = htonl(6u << 28);
		ip6->ip6_plen = htons(o->len);
		ip6->ip6_nxt = IPPROTO_IPIP;
		ip6->ip6_hlim = 64;
		if (o->have_tep) {
			map_ipv6(m, &ip6->ip6_src);
			ip6->ip6_dst = o->tep;
		} else {
			inet_pton(AF_INET6, "2001:db8:a::2", &ip6->ip6_src);
			map_ipv6(m, &ip6->ip6_dst);
		}
		p += sizeof(*ip6);
	} else {
		eth->ether_type = htons(ETHERTYPE_IP);
	}

	ip = (void *)p;
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(o->len);
	ip->id = htons(j);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	udp = (void *)(p + sizeof(*ip));
	udp->len = htons(o->len - sizeof(*ip));
	if (o->mode == 6) {
		/* From the client's port set to the IPv4 host. */
		ip->saddr = htonl(map_ipv4(o, m));
		ip->daddr = htonl(HOST_B);
		udp->source = htons(mport);
		udp->dest = htons(bport);
	} else {
		/* From the IPv4 host to the client's address and port. */
		ip->saddr = htonl(HOST_B);
		ip->daddr = htonl(map_ipv4(o, m));
		udp->source = htons(bport);
		udp->dest = htons(mport);
	}
	ip->check = csum16(ip, sizeof(*ip));
	/* UDP checksum 0: none (IPv4). */
	return (size_t)(p - buf) + o->len;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* rx_packets of @ifname in the network namespace of process @pid. */
static uint64_t read_rx(int pid, const char *ifname)
{
	char path[64], line[512];
	size_t n = strlen(ifname);
	uint64_t bytes, pkts;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/dev", pid);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *s = line;

		while (*s == ' ')
			s++;
		if (!strncmp(s, ifname, n) && s[n] == ':' &&
		    sscanf(s + n + 1, "%" SCNu64 " %" SCNu64, &bytes, &pkts) == 2) {
			fclose(f);
			return pkts;
		}
	}
	fclose(f);
	die("%s: no interface %s", path, ifname);
}

/*
 * Sleep @secs: the guest's CPU idles, so the host's CPU-time reading for a
 * mark may come late by up to @secs without counting anything we did.
 */
static void pause_for(double secs)
{
	struct timespec ts = { .tv_sec = (time_t)secs,
			       .tv_nsec = (long)((secs - (time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Send until @o->warmup + @o->time seconds have passed; count the sink over
 * the last @o->time.  With a @tag, print "MARK TAG b" and idle for
 * @o->pause before the first count, and print "MARK TAG e" and idle after
 * the second, so that the host can read what CPU time the guest got in
 * between (selftests/bench/collect.py): the marks reach it through a pipe
 * or two on a busy host, and while we idle, nothing is counted.
 */
static int cmd_send(struct opts *o, const char *tag)
{
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned char smac[6], *frames;
	size_t fsz = ETH_HLEN + 40 + o->len;
	struct ifreq ifr = { 0 };
	uint64_t sent = 0, rx0 = 0, rx1, sent0 = 0;
	double t, tstart, t0 = 0;
	unsigned int j, pos = 0;
	int fd, one = 1, sndbuf = 4 << 20;
	bool counting = false;

	if (!o->ifname || !o->have_dmac || !o->mode || !o->len)
		die("send needs -i, --dmac, --mode and --len");
	if (!o->count_pid || !o->count_if)
		die("send needs --count-pid and --count-if");
	if (o->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity: %s", strerror(errno));
	}

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("%s: %s", o->ifname, strerror(errno));
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = if_nametoindex(o->ifname);
	if (!sll.sll_ifindex)
		die("%s: %s", o->ifname, strerror(errno));
	/* Protocol 0: this socket sends only, it never receives. */
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind: %s", strerror(errno));
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
		die("PACKET_QDISC_BYPASS: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

	frames = calloc(o->flows, fsz);
	iov = calloc(o->flows, sizeof(*iov));
	msgs = calloc(o->flows + o->batch, sizeof(*msgs));
	if (!frames || !iov || !msgs)
		die("out of memory");
	for (j = 0; j < o->flows; j++) {
		iov[j].iov_base = frames + (size_t)j * fsz;
		iov[j].iov_len = build_frame(o, smac, j, iov[j].iov_base);
	}
	/* The ring of messages, doubled so that a batch never wraps. */
	for (j = 0; j < o->flows + o->batch; j++) {
		msgs[j].msg_hdr.msg_iov = &iov[j % o->flows];
		msgs[j].msg_hdr.msg_iovlen = 1;
	}

	tstart = now();
	for (;;) {
		int n = sendmmsg(fd, msgs + pos, o->batch, 0);

		if (n > 0) {
			sent += n;
			pos = (pos + n) % o->flows;
		} else if (n < 0 && errno != ENOBUFS && errno != EAGAIN &&
			   errno != EINTR) {
			die("sendmmsg: %s", strerror(errno));
		} else if (n < 0) {
			/* A dropped frame fails the call: step over it. */
			pos = (pos + 1) % o->flows;
		}
		t = now();
		if (!counting && t - tstart >= o->warmup) {
			if (tag) {
				printf("MARK %s b\n", tag);
				fflush(stdout);
				pause_for(o->pause);
			}
			rx0 = read_rx(o->count_pid, o->count_if);
			sent0 = sent;
			t0 = now();
			counting = true;
		} else if (counting && t - t0 >= o->time) {
			rx1 = read_rx(o->count_pid, o->count_if);
			t = now();
			if (tag) {
				printf("MARK %s e\n", tag);
				fflush(stdout);
				pause_for(o->pause);
			}
			break;
		}
	}
	if (tag)
		printf("RESULT %s %" PRIu64 " %" PRIu64 " %.3f\n", tag,
		       rx1 - rx0, sent - sent0, t - t0);
	else
		printf("pps=%.0f rx=%" PRIu64 " sent=%" PRIu64 " secs=%.3f\n",
		       (rx1 - rx0) / (t - t0), rx1 - rx0, sent - sent0, t - t0);
	fflush(stdout);
	close(fd);
	free(frames);
	free(iov);
	free(msgs);
	return 0;
}

static int cmd_maps(struct opts *o)
{
	char v6[INET6_ADDRSTRLEN];
	struct in6_addr a;
	uint32_t i, v4;

	if ((uint64_t)o->maps > ((uint64_t)V4_COUNT << o->psid_len))
		die("--maps %u does not fit in 198.18.0.0/15 with %u PSID bits",
		    o->maps, o->psid_len);
	for (i = 0; i < o->maps; i++) {
		v4 = map_ipv4(o, i);
		map_ipv6(i, &a);
		inet_ntop(AF_INET6, &a, v6, sizeof(v6));
		printf("map add %s ipv4 %u.%u.%u.%u ipv6 %s", o->dev,
		       v4 >> 24, v4 >> 16 & 255, v4 >> 8 & 255, v4 & 255, v6);
		if (o->psid_len)
			printf(" psid %u psid-len %u psid-offset %u",
			       map_psid(o, i), o->psid_len, PSID_OFFSET);
		putchar('\n');
	}
	return 0;
}

static int cmd_routes(struct opts *o)
{
	char v6[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN] = "";
	struct in6_addr a;
	uint32_t i, v4;

	if (o->psid_len)
		die("routes: whole addresses only (no --psid-len)");
	if (o->maps > V4_COUNT)
		die("--maps %u does not fit in 198.18.0.0/15", o->maps);
	if (o->have_src)
		inet_ntop(AF_INET6, &o->src, src, sizeof(src));
	for (i = 0; i < o->maps; i++) {
		v4 = map_ipv4(o, i);
		map_ipv6(i, &a);
		inet_ntop(AF_INET6, &a, v6, sizeof(v6));
		printf("route add %u.%u.%u.%u/32 encap ip6 dst %s%s%s hoplimit 64",
		       v4 >> 24, v4 >> 16 & 255, v4 >> 8 & 255, v4 & 255, v6,
		       o->have_src ? " src " : "", src);
		if (o->via)
			printf(" via %s dev %s onlink", o->via, o->dev);
		else
			printf(" dev %s", o->dev);
		/* A distinct metric puts each route's fib_info in its own hash
		 * bucket: see Documentation/performance.md.
		 */
		if (o->metrics)
			printf(" metric %u", i + 1);
		putchar('\n');
	}
	return 0;
}

static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: bench-tx send -i IF --dmac MAC --mode 4|6 --len N [--maps N] [--psid-len K] [--hot H]\n"
	      "                [--flows F] [--tep IPV6] [--warmup S] [--time S] [--batch B]\n"
	      "                [--cpu N] [--pause S] --count-pid PID --count-if IF\n"
	      "       bench-tx plan FILE     (lines: TAG SEND-OPTIONS...)\n"
	      "       bench-tx maps --maps N [--psid-len K] [--dev DEV]\n"
	      "       bench-tx routes --maps N --dev DEV [--src IPV6] [--metrics] [--via IPV4]\n", stderr);
	exit(2);
}

static const struct opts defaults = {
	.maps = 1, .flows = 4096, .warmup = 1, .time = 3, .pause = 0.25,
	.batch = 64, .cpu = -1, .dev = "dstm0",
};

/* Parse argv[1..] (argv[0] is the subcommand or a tag) into @o. */
static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "dmac", 1, NULL, 'D' }, { "mode", 1, NULL, 'm' },
		{ "len", 1, NULL, 'l' }, { "maps", 1, NULL, 'n' },
		{ "psid-len", 1, NULL, 'k' }, { "flows", 1, NULL, 'f' },
		{ "tep", 1, NULL, 't' }, { "warmup", 1, NULL, 'w' },
		{ "time", 1, NULL, 'T' }, { "count-pid", 1, NULL, 'p' },
		{ "count-if", 1, NULL, 'c' }, { "batch", 1, NULL, 'b' },
		{ "cpu", 1, NULL, 'C' }, { "dev", 1, NULL, 'd' },
		{ "src", 1, NULL, 's' }, { "metrics", 0, NULL, 'M' },
		{ "pause", 1, NULL, 'P' }, { "hot", 1, NULL, 'H' },
		{ "via", 1, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = defaults;
	optind = 0;	/* glibc: start over, also for the next line of a plan */
	while ((c = getopt_long(argc, argv, "i:", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->ifname = optarg; break;
		case 'D':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
				   &o->dmac[0], &o->dmac[1], &o->dmac[2],
				   &o->dmac[3], &o->dmac[4], &o->dmac[5]) != 6)
				die("--dmac: not a MAC address: %s", optarg);
			o->have_dmac = true;
			break;
		case 'm':
			o->mode = atoi(optarg);
			if (o->mode != 4 && o->mode != 6)
				die("--mode: 4 or 6");
			break;
		case 'l':
			o->len = atoi(optarg);
			if (o->len < 28 || o->len > 1500)
				die("--len: 28..1500");
			break;
		case 'n':
			o->maps = strtoul(optarg, NULL, 0);
			if (!o->maps)
				die("--maps: at least 1");
			break;
		case 'k':
			o->psid_len = atoi(optarg);
			if (o->psid_len > 10)
				die("--psid-len: 0..10 with offset %d", PSID_OFFSET);
			break;
		case 'f':
			o->flows = atoi(optarg);
			if (o->flows < 1 || o->flows > 1 << 20)
				die("--flows: 1..1048576");
			break;
		case 't':
			if (inet_pton(AF_INET6, optarg, &o->tep) != 1)
				die("--tep: not an IPv6 address: %s", optarg);
			o->have_tep = true;
			break;
		case 's':
			if (inet_pton(AF_INET6, optarg, &o->src) != 1)
				die("--src: not an IPv6 address: %s", optarg);
			o->have_src = true;
			break;
		case 'w': o->warmup = atof(optarg); break;
		case 'T': o->time = atof(optarg); break;
		case 'P': o->pause = atof(optarg); break;
		case 'H': o->hot = strtoul(optarg, NULL, 0); break;
		case 'V': o->via = optarg; break;
		case 'p': o->count_pid = atoi(optarg); break;
		case 'c': o->count_if = optarg; break;
		case 'b':
			o->batch = atoi(optarg);
			if (o->batch < 1 || o->batch > MAX_BATCH)
				die("--batch: 1..%d", MAX_BATCH);
			break;
		case 'C': o->cpu = atoi(optarg); break;
		case 'd': o->dev = optarg; break;
		case 'M': o->metrics = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

/* Run the measurements of FILE, one a line: TAG SEND-OPTIONS... */
static int cmd_plan(const char *file)
{
	char *line = NULL, *argv[64], *tok, *save;
	size_t size = 0;
	struct opts o;
	FILE *f;
	int argc;

	f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f)
		die("%s: %s", file, strerror(errno));
	while (getline(&line, &size, f) >= 0) {
		argc = 0;
		for (tok = strtok_r(line, " \t\n", &save); tok && argc < 63;
		     tok = strtok_r(NULL, " \t\n", &save))
			argv[argc++] = tok;
		if (!argc || argv[0][0] == '#')
			continue;
		argv[argc] = NULL;
		parse_opts(argc, argv, &o);
		cmd_send(&o, argv[0]);
	}
	free(line);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "plan")) {
		if (argc != 3)
			usage();
		return cmd_plan(argv[2]);
	}
	parse_opts(argc - 1, argv + 1, &o);
	if (!strcmp(cmd, "send"))
		return cmd_send(&o, NULL);
	if (!strcmp(cmd, "maps"))
		return cmd_maps(&o);
	if (!strcmp(cmd, "routes"))
		return cmd_routes(&o);
	usage();
}
