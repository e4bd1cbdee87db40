// SPDX-License-Identifier: GPL-2.0
/*
 * dstmctl client: forgetting the connection-tracking entries of a lease.
 *
 * A port set is enforced by nftables SNAT, and NAT is decided once, on a
 * flow's first packet: conntrack keeps the chosen source port for the
 * flow's life.  When the lease ends, or the next lease gives the same
 * address with another port set (two agents sharing an address can swap
 * PSIDs between leases), a flow that is still tracked would go on leaving
 * with a port of the old set and the TEP would drop it as spoofed.  So the
 * entries whose reply goes to the lease's address (translated flows and
 * flows the stack sent from the address itself) are deleted when a lease
 * with a port set is taken down, and before one is put in place (a killed
 * agent never took its lease down).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/ct.h>

#include "agent.h"

struct ct_walk {
	struct nl_sock *sk;
	struct in_addr addr;
	unsigned int deleted, failed;
};

static void ct_walk_one(struct nl_object *obj, void *arg)
{
	struct nfnl_ct *ct = (struct nfnl_ct *)obj;
	struct ct_walk *w = arg;
	struct nl_addr *dst;

	if (nfnl_ct_get_family(ct) != AF_INET)
		return;
	dst = nfnl_ct_get_dst(ct, 1);	/* the reply direction's destination */
	if (!dst || nl_addr_get_len(dst) != sizeof(w->addr) ||
	    memcmp(nl_addr_get_binary_addr(dst), &w->addr, sizeof(w->addr)))
		return;
	if (nfnl_ct_del(w->sk, ct, 0) < 0)
		w->failed++;
	else
		w->deleted++;
}

int net_ct_forget(struct agent *ag, struct in_addr addr)
{
	struct ct_walk w = { .addr = addr };
	struct nl_cache *cache = NULL;
	char a[INET_ADDRSTRLEN];
	int ret;

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	w.sk = nl_socket_alloc();
	if (!w.sk)
		return -ENOMEM;
	ret = nfnl_connect(w.sk);
	if (!ret)
		ret = nfnl_ct_alloc_cache(w.sk, &cache);
	if (ret < 0) {
		/*
		 * Only called for port sets, which nftables' NAT (and so
		 * conntrack) enforces: not being able to list is an error.
		 */
		ag_log(ag, "conntrack: cannot list the flows of %s: %s", a,
		       nl_geterror(ret));
		nl_socket_free(w.sk);
		return -EIO;
	}
	nl_cache_foreach(cache, ct_walk_one, &w);
	nl_cache_free(cache);
	nl_socket_free(w.sk);
	if (w.failed)
		ag_log(ag, "conntrack: %u entries of %s could not be deleted",
		       w.failed, a);
	if (w.deleted)
		ag_log(ag, "conntrack: forgot %u flows of %s", w.deleted, a);
	return w.failed ? -EIO : 0;
}
