// SPDX-License-Identifier: GPL-2.0
/*
 * dstmctl client: putting a lease in place on the host, and taking it out.
 *
 * Order matters, so that the host is never half configured and nothing
 * leaves with a wrong source:
 *
 *   configure    port set (ip_local_port_range, nftables SNAT), then the
 *                /32 on the device, then the routes with that source, and
 *                last the device (one DEV_SET: TEP, local, address, port
 *                set), which also sends the packets the kernel held for
 *                the address.  A failing step undoes the ones before it.
 *   deconfigure  the reverse: the device first (DEV_SET addr 0.0.0.0: new
 *                packets wait again and ask for an address), then routes
 *                (back to the on-demand route), address, port set.
 *
 * Routes and addresses go over rtnetlink with libnl-route-3; the SNAT
 * rules are one nftables transaction ("nft -f -") that replaces the
 * agent's table whole.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "agent.h"

#define PORT_RANGE_SYSCTL "/proc/sys/net/ipv4/ip_local_port_range"

int net_open(struct agent *ag)
{
	int err;

	ag->rt = nl_socket_alloc();
	if (!ag->rt)
		return -ENOMEM;
	err = nl_connect(ag->rt, NETLINK_ROUTE);
	if (err < 0) {
		ag_log(ag, "rtnetlink: %s", nl_geterror(err));
		nl_socket_free(ag->rt);
		ag->rt = NULL;
		return -EIO;
	}
	return 0;
}

void net_close(struct agent *ag)
{
	if (ag->rt)
		nl_socket_free(ag->rt);
	ag->rt = NULL;
}

static const char *ip4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ------------------------------------------------------------ rtnetlink */

static int addr_op(struct agent *ag, struct in_addr a, bool add)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *na = nl_addr_build(AF_INET, &a, 4);
	char s[INET_ADDRSTRLEN];
	int err = -NLE_NOMEM;

	if (ra && na) {
		nl_addr_set_prefixlen(na, 32);
		rtnl_addr_set_ifindex(ra, (int)ag->ifindex);
		rtnl_addr_set_family(ra, AF_INET);
		rtnl_addr_set_local(ra, na);
		rtnl_addr_set_prefixlen(ra, 32);
		rtnl_addr_set_scope(ra, RT_SCOPE_UNIVERSE);
		err = add ? rtnl_addr_add(ag->rt, ra, NLM_F_REPLACE) :
			    rtnl_addr_delete(ag->rt, ra, 0);
	}
	if (na)
		nl_addr_put(na);
	if (ra)
		rtnl_addr_put(ra);
	if (err < 0 && !(!add && err == -NLE_NOADDR)) {
		ag_log(ag, "%s address %s/32 %s %s: %s", add ? "adding" : "removing",
		       ip4(a, s), add ? "to" : "from", ag->o.dev, nl_geterror(err));
		return -EIO;
	}
	return 0;
}

/*
 * The DNS trigger's listen address on lo.  glibc's getaddrinfo() with
 * AI_ADDRCONFIG (the default without hints) asks for A records only when
 * the host has an IPv4 address other than 127.0.0.1, which a DSTM host
 * without a lease has not: its applications would never see an A record,
 * so never send IPv4.  A 127/8 address on lo counts for glibc, and being
 * of host scope it is never the source of a packet to the world.
 */
int net_loopback(struct agent *ag, struct in_addr a, bool add)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *na = nl_addr_build(AF_INET, &a, 4);
	int lo = (int)if_nametoindex("lo"), err = -NLE_NOMEM;

	if (ra && na && lo) {
		nl_addr_set_prefixlen(na, 32);
		rtnl_addr_set_ifindex(ra, lo);
		rtnl_addr_set_family(ra, AF_INET);
		rtnl_addr_set_local(ra, na);
		rtnl_addr_set_prefixlen(ra, 32);
		rtnl_addr_set_scope(ra, RT_SCOPE_HOST);
		err = add ? rtnl_addr_add(ag->rt, ra, NLM_F_EXCL) :
			    rtnl_addr_delete(ag->rt, ra, 0);
	}
	if (na)
		nl_addr_put(na);
	if (ra)
		rtnl_addr_put(ra);
	return err == -NLE_EXIST ? 1 : err < 0 ? -EIO : 0;
}

/* Replace (or delete) route r of the list: dev DEV [src SRC]. */
static int route_op(struct agent *ag, const struct ag_route *r,
		    const struct in_addr *src, bool add)
{
	struct rtnl_route *rr = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &r->dst, 4);
	struct nl_addr *ps = src ? nl_addr_build(AF_INET, src, 4) : NULL;
	char s[INET_ADDRSTRLEN];
	int err = -NLE_NOMEM;

	if (rr && nh && dst && (ps || !src)) {
		nl_addr_set_prefixlen(dst, r->len);
		rtnl_route_set_family(rr, AF_INET);
		rtnl_route_set_table(rr, RT_TABLE_MAIN);
		rtnl_route_set_scope(rr, RT_SCOPE_LINK);
		rtnl_route_set_protocol(rr, RTPROT_STATIC);
		rtnl_route_set_dst(rr, dst);
		if (ps)
			rtnl_route_set_pref_src(rr, ps);
		rtnl_route_nh_set_ifindex(nh, (int)ag->ifindex);
		rtnl_route_add_nexthop(rr, nh);
		nh = NULL;	/* the route owns it */
		err = add ? rtnl_route_add(ag->rt, rr, NLM_F_REPLACE) :
			    rtnl_route_delete(ag->rt, rr, 0);
	}
	if (nh)
		rtnl_route_nh_free(nh);
	if (dst)
		nl_addr_put(dst);
	if (ps)
		nl_addr_put(ps);
	if (rr)
		rtnl_route_put(rr);
	if (err < 0 && !(!add && err == -NLE_OBJ_NOTFOUND)) {
		ag_log(ag, "%s route %s/%u dev %s: %s", add ? "setting" : "removing",
		       ip4(r->dst, s), r->len, ag->o.dev, nl_geterror(err));
		return -EIO;
	}
	return 0;
}

static int link_up(struct agent *ag)
{
	struct rtnl_link *link = NULL, *change;
	int err;

	err = rtnl_link_get_kernel(ag->rt, (int)ag->ifindex, NULL, &link);
	if (err < 0)
		goto out;
	if (rtnl_link_get_flags(link) & IFF_UP) {
		rtnl_link_put(link);
		return 0;
	}
	change = rtnl_link_alloc();
	if (!change) {
		err = -NLE_NOMEM;
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(ag->rt, link, change, 0);
	rtnl_link_put(change);
out:
	if (link)
		rtnl_link_put(link);
	if (err < 0) {
		ag_log(ag, "setting %s up: %s", ag->o.dev, nl_geterror(err));
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------ dstm device */

static int dev_set(struct agent *ag, const struct ag_lease *l)
{
	struct dstm_device d = { 0 };
	const char *msg;
	int ret;

	/* All three port set attributes, always: the kernel refuses an
	 * offset left behind without a length. */
	d.present = DSTM_BIT(DSTM_A_ADDR) | DSTM_BIT(DSTM_A_PSID_LEN) |
		    DSTM_BIT(DSTM_A_PSID) | DSTM_BIT(DSTM_A_PSID_OFFSET);
	if (l) {
		d.present |= DSTM_BIT(DSTM_A_TEP) | DSTM_BIT(DSTM_A_LOCAL);
		d.tep = l->tep;
		d.local = ag->src;
		d.addr = l->addr;
		if (l->has_pp && l->psid_len) {
			d.psid_offset = l->psid_offset;
			d.psid_len = l->psid_len;
			d.psid = l->psid;
		}
	}
	ret = dstm_dev_set(ag->req, ag->o.dev, &d);
	if (ret < 0) {
		msg = dstm_errmsg(ag->req);
		ag_log(ag, "setting up %s (DEV_SET): %s", ag->o.dev,
		       msg ? msg : strerror(-ret));
	}
	return ret;
}

int64_t net_packets(struct agent *ag)
{
	struct dstm_device d;

	if (dstm_dev_get(ag->req, ag->o.dev, &d) < 0)
		return -1;
	return (int64_t)(d.stats[DSTM_STATS_A_TX_PACKETS] +
			 d.stats[DSTM_STATS_A_RX_PACKETS]);
}

/* ------------------------------------------------------------- port sets */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(text))
		ret = -EIO;
	close(fd);
	return ret;
}

static int port_range_set(struct agent *ag, unsigned int lo, unsigned int hi)
{
	char buf[64];
	FILE *f;
	int ret;

	if (!ag->port_range_saved) {
		f = fopen(PORT_RANGE_SYSCTL, "re");
		if (!f || !fgets(ag->port_range_old, sizeof(ag->port_range_old), f)) {
			ret = -errno;
			if (f)
				fclose(f);
			ag_log(ag, "reading %s: %s", PORT_RANGE_SYSCTL,
			       strerror(ret ? -ret : EIO));
			return ret ? ret : -EIO;
		}
		fclose(f);
		ag->port_range_old[strcspn(ag->port_range_old, "\n")] = '\0';
		ag->port_range_saved = true;
	}
	snprintf(buf, sizeof(buf), "%u %u", lo, hi);
	ret = write_file(PORT_RANGE_SYSCTL, buf);
	if (ret)
		ag_log(ag, "setting net.ipv4.ip_local_port_range to %s: %s", buf,
		       strerror(-ret));
	return ret;
}

static void port_range_restore(struct agent *ag)
{
	int ret;

	if (!ag->port_range_saved)
		return;
	ret = write_file(PORT_RANGE_SYSCTL, ag->port_range_old);
	if (ret)
		ag_log(ag, "restoring net.ipv4.ip_local_port_range (%s): %s",
		       ag->port_range_old, strerror(-ret));
	ag->port_range_saved = false;
}

static void nft_table_name(struct agent *ag, char *buf, size_t len)
{
	size_t i, n;

	n = (size_t)snprintf(buf, len, "dstm_client_%s", ag->o.dev);
	for (i = strlen("dstm_client_"); i < n && i < len; i++)
		if (!((buf[i] >= 'a' && buf[i] <= 'z') ||
		      (buf[i] >= 'A' && buf[i] <= 'Z') ||
		      (buf[i] >= '0' && buf[i] <= '9')))
			buf[i] = '_';
}

/* Runs "nft -f -" with text on its standard input; its errors are logged. */
static int nft_run(struct agent *ag, const char *text)
{
	int in[2], out[2], status;
	char err[1024];
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execlp("nft", "nft", "-f", "-", (char *)NULL);
		fprintf(stderr, "cannot run nft: %s (install nftables)\n",
			strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* The ruleset is small (< 64 KiB): the pipe takes it whole. */
	if (write(in[1], text, strlen(text)) < 0)
		ag_log(ag, "nft: writing the ruleset: %s", strerror(errno));
	close(in[1]);
	while (got < (ssize_t)sizeof(err) - 1 &&
	       (n = read(out[0], err + got, sizeof(err) - 1 - (size_t)got)) > 0)
		got += n;
	err[got] = '\0';
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	err[strcspn(err, "\n")] = '\0';
	ag_log(ag, "nft: %s", got ? err : "failed");
	return -EIO;
}

/*
 * SNAT everything that leaves through the device to the lease's address
 * and port set.  RFC 7597 port sets are 2^a - 1 ranges of 2^(16-a-k)
 * ports; "snat to" takes one range, so each new flow jumps to the chain of
 * one range picked at random (conntrack remembers the choice for the
 * flow's life; a port already in the chosen range is kept).  ICMP echo
 * identifiers are mapped the same way: the TEP takes them as the port.
 */
static int nft_apply(struct agent *ag, const struct ag_lease *l)
{
	struct dstm_port_range r[64];
	char name[64], a[INET_ADDRSTRLEN], *text, *p;
	size_t n, i, cap;
	int ret;

	nft_table_name(ag, name, sizeof(name));
	n = dstm_portset_ranges(l->psid_offset, l->psid_len, l->psid, r,
				sizeof(r) / sizeof(r[0]));
	if (!n || n > sizeof(r) / sizeof(r[0]))
		return -EINVAL;
	ip4(l->addr, a);
	cap = 1024 + n * 256;
	text = malloc(cap);
	if (!text)
		return -ENOMEM;
	p = text;
#define OUT(...) (p += snprintf(p, cap - (size_t)(p - text), __VA_ARGS__))
	OUT("table ip %s\ndelete table ip %s\ntable ip %s {\n", name, name, name);
	OUT("\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	if (n == 1) {
		OUT("\t\toifname \"%s\" jump r0\n", ag->o.dev);
	} else {
		OUT("\t\toifname \"%s\" numgen random mod %zu vmap {", ag->o.dev, n);
		for (i = 0; i < n; i++)
			OUT("%s %zu : jump r%zu", i ? "," : "", i, i);
		OUT(" }\n");
	}
	OUT("\t}\n");
	for (i = 0; i < n; i++) {
		OUT("\tchain r%zu {\n", i);
		OUT("\t\tmeta l4proto { tcp, udp } snat ip to %s:%u-%u\n", a,
		    r[i].lo, r[i].hi);
		OUT("\t\tip protocol icmp snat ip to %s:%u-%u\n", a, r[i].lo,
		    r[i].hi);
		OUT("\t}\n");
	}
	OUT("}\n");
#undef OUT
	ret = nft_run(ag, text);
	free(text);
	if (!ret)
		ag->nft_table = true;
	return ret;
}

static void nft_remove(struct agent *ag)
{
	char name[64], text[256];

	if (!ag->nft_table)
		return;
	nft_table_name(ag, name, sizeof(name));
	snprintf(text, sizeof(text), "table ip %s\ndelete table ip %s\n", name,
		 name);
	nft_run(ag, text);
	ag->nft_table = false;
}

/* net.ipv4.ip_unprivileged_port_start: the floor of ip_local_port_range. */
static unsigned int unprivileged_start(void)
{
	unsigned int v = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v ? v : 1;
}

static int portset_apply(struct agent *ag, const struct ag_lease *l)
{
	struct dstm_port_range r[2];
	bool ranged = false;
	unsigned int lo;
	size_t n;
	int ret;

	if (!l->has_pp || !l->psid_len)
		return 0;
	n = dstm_portset_ranges(l->psid_offset, l->psid_len, l->psid, r, 2);
	if (n == 1) {
		/*
		 * Contiguous (offset 0): the stack picks its ports in the set.
		 * The kernel wants the range above the privileged ports; a
		 * set that lies below them is left to SNAT alone.
		 */
		lo = r[0].lo > unprivileged_start() ? r[0].lo : unprivileged_start();
		if (lo <= r[0].hi)
			ranged = !port_range_set(ag, lo, r[0].hi);
	}
	/* Fixed ports, ICMP identifiers, and every port when the set is not
	 * contiguous: translated. */
	ret = nft_apply(ag, l);
	if (ret && ranged) {
		ag_log(ag, "no SNAT for the port set: applications that bind ports outside %u-%u (and ping) will be dropped by the TEP",
		       r[0].lo, r[0].hi);
		return 0;
	}
	if (ret)
		port_range_restore(ag);
	return ret;
}

static void portset_remove(struct agent *ag)
{
	nft_remove(ag);
	port_range_restore(ag);
}

/* ----------------------------------------------------------------- steps */

static int routes_set(struct agent *ag, const struct in_addr *src)
{
	unsigned int i;

	for (i = 0; i < ag->o.n_routes; i++)
		if (route_op(ag, &ag->o.routes[i], src, true))
			return -EIO;
	return 0;
}

static void routes_lease_gone(struct agent *ag)
{
	unsigned int i;

	for (i = 0; i < ag->o.n_routes; i++) {
		if (i < ag->demand_routes)
			route_op(ag, &ag->o.routes[i], NULL, true);
		else
			route_op(ag, &ag->o.routes[i], NULL, false);
	}
}

int net_setup(struct agent *ag)
{
	struct dstm_device d;
	char s[INET_ADDRSTRLEN];
	const char *msg;
	unsigned int i;
	int ret;

	ret = dstm_dev_get(ag->req, ag->o.dev, &d);
	if (ret < 0) {
		msg = dstm_errmsg(ag->req);
		ag_log(ag, "%s: %s", ag->o.dev, msg ? msg :
		       ret == -ENODEV ? "no such dstm device" : strerror(-ret));
		return ret;
	}
	if (d.mode != DSTM_MODE_CLIENT) {
		ag_log(ag, "%s is in %s mode; the agent drives client devices (dstmctl set %s mode client)",
		       ag->o.dev, mode_name(d.mode), ag->o.dev);
		return -EINVAL;
	}
	ag->ifindex = d.ifindex;
	if (d.addr.s_addr) {
		/* A lease left behind by an agent that died: not ours to
		 * trust; start clean (the server gives it back). */
		ag_log(ag, "%s still has %s from an earlier run: removed",
		       ag->o.dev, ip4(d.addr, s));
		ret = dev_set(ag, NULL);
		if (ret < 0)
			return ret;
		addr_op(ag, d.addr, false);
	}
	ret = link_up(ag);
	if (ret)
		return ret;
	/* Routes to the device with no address yet: what they carry waits
	 * in the device and asks for an address (ADDR_NEEDED). */
	for (i = 0; i < ag->o.n_routes; i++) {
		ret = route_op(ag, &ag->o.routes[i], NULL, true);
		if (ret)
			return ret;
		ag->demand_routes = i + 1;
	}
	return 0;
}

void net_teardown(struct agent *ag)
{
	unsigned int i;

	for (i = 0; i < ag->demand_routes; i++)
		route_op(ag, &ag->o.routes[i], NULL, false);
	ag->demand_routes = 0;
	portset_remove(ag);
}

static bool same_place(const struct ag_lease *a, const struct ag_lease *b)
{
	return a->addr.s_addr == b->addr.s_addr && a->has_pp == b->has_pp &&
	       (!a->has_pp || (a->psid_offset == b->psid_offset &&
			       a->psid_len == b->psid_len && a->psid == b->psid));
}

int net_configure(struct agent *ag, const struct ag_lease *old,
		  const struct ag_lease *l)
{
	int ret;

	if (old && same_place(old, l)) {
		/* Same address and port set: only the TEP may have moved. */
		if (!memcmp(&old->tep, &l->tep, sizeof(l->tep)))
			return 0;
		return dev_set(ag, l) < 0 ? -EIO : 0;
	}
	if (old)
		net_deconfigure(ag, old);

	if (l->has_pp && l->psid_len)
		net_ct_forget(ag, l->addr);
	ret = portset_apply(ag, l);
	if (ret)
		return ret;
	ret = addr_op(ag, l->addr, true);
	if (ret)
		goto err_portset;
	ret = routes_set(ag, &l->addr);
	if (ret)
		goto err_routes;
	ret = dev_set(ag, l);
	if (ret < 0)
		goto err_routes;
	return 0;

err_routes:
	addr_op(ag, l->addr, false);
	routes_lease_gone(ag);
err_portset:
	portset_remove(ag);
	return ret < 0 ? ret : -EIO;
}

/*
 * The address goes before the routes are put back: removing the last IPv4
 * address of a device makes the kernel flush every route through it
 * (fib_disable_ip), the on-demand routes included.
 */
void net_deconfigure(struct agent *ag, const struct ag_lease *l)
{
	dev_set(ag, NULL);
	addr_op(ag, l->addr, false);
	routes_lease_gone(ag);
	portset_remove(ag);
	if (l->has_pp && l->psid_len)
		net_ct_forget(ag, l->addr);
}
