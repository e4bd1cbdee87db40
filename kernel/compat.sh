#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print -D flags describing the target kernel's API, found by reading its
# headers (the kernel source or headers tree is $1).  Each test names the
# declaration whose presence it looks for.
src=${1:?usage: compat.sh KERNEL_SRCTREE}
inc=$src/include

have() { # FLAG FILE PATTERN
	if grep -Eqs "$3" "$inc/$2"; then
		printf ' -D%s' "$1"
	fi
}

# 6.12: NETIF_F_LLTX became the dev->lltx bit.
have DSTM_HAVE_DEV_LLTX linux/netdevice.h 'unsigned long[[:space:]]+lltx:1;'
# 6.12: NETIF_F_NETNS_LOCAL became the dev->netns_local bit.
have DSTM_HAVE_DEV_NETNS_LOCAL linux/netdevice.h 'unsigned long[[:space:]]+netns_local:1;'
# 6.7: dumps get a struct genl_info through genl_info_dump().
have DSTM_HAVE_GENL_INFO_DUMP net/genetlink.h 'genl_info_dump\('
# 6.2: per-CPU tunnel stats allocated by the core (backported to 6.1.y).
have DSTM_HAVE_PCPU_STAT_TYPE linux/netdevice.h 'NETDEV_PCPU_STAT_TSTATS'
# 6.15: rtnl_link_ops->newlink takes struct rtnl_newlink_params.
have DSTM_HAVE_NEWLINK_PARAMS net/rtnetlink.h 'struct rtnl_newlink_params'
# 6.1.y/6.3: ip_route_input() takes a dscp_t instead of a u8 tos.
have DSTM_HAVE_ROUTE_INPUT_DSCP net/route.h 'dscp_t dscp, struct net_device \*devin'
# 6.5: GSO helpers moved from linux/skbuff.h to net/gso.h.
have DSTM_HAVE_NET_GSO_H net/gso.h 'skb_gso_validate_network_len'
# 6.2: IFF_NO_ADDRCONF keeps IPv6 autoconfiguration off a device.
have DSTM_HAVE_IFF_NO_ADDRCONF linux/netdevice.h 'IFF_NO_ADDRCONF'
echo
