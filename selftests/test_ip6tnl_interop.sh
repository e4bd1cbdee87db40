#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability with the kernel's own ip6tnl (mode ipip6), both roles,
# and coexistence with ip6_tunnel in one namespace:
#
#   h: an ip6tnl "client" host (tunnel to our TEP, IPv4 address on it)
#      against our dstm TEP, which maps h's address to h's IPv6 address;
#   a: our dstm client against an ip6tnl TEP (ip6tnl t6 to a, with a route
#      for a's IPv4 address);
#
# and both TEPs (dstm0 local 2001:db8:100::1, ip6tnl t6 local
# 2001:db8:100::2) live in the same namespace "tep" at the same time, each
# seeing only its own packets. Then dstm is reloaded (so it registers after
# ip6_tunnel) and both still work.
#
#   h  h0 2001:db8:3::2 --- th0 ::1 \
#   a  a0 2001:db8:1::2 --- ta0 ::1 -- tep -- tb0 192.0.2.1 --- b0 192.0.2.2 b
. "$(dirname "$0")/lib/topo.sh"

H6=2001:db8:3::2
H6_GW=2001:db8:3::1
H4=198.51.100.30
TNL6=2001:db8:100::2 # the ip6tnl TEP's address, in the same namespace

both_setup() {
	tep_setup tep "$TEP6" &&
		client_setup a "$A6" "$TNL6" "$A4" &&
		map_add tep dstm0 ipv4 "$H4" ipv6 "$H6"
}

check "standard topology (a, tep, b)" topo_standard
check "namespace h, linked to the TEP" eval "ns_add h && client_link h h0 tep th0 $H6 $H6_GW"
check "h: ip6tnl t0 ipip6 $H6 -> $TEP6, $H4 on it, default route" eval "
	ip -n h -6 tunnel add t0 mode ipip6 local $H6 remote $TEP6 &&
	ip -n h link set t0 up && addr4 h t0 $H4/32 &&
	ip -n h route add default dev t0"
check "tep: ip6tnl t6 ipip6 $TNL6 -> $A6, route $A4 to it" eval "
	ip -n tep -6 addr add $TNL6/128 dev lo &&
	ip -n tep -6 tunnel add t6 mode ipip6 local $TNL6 remote $A6 &&
	ip -n tep link set t6 up && ip -n tep route add $A4/32 dev t6"
check "a: dstm client against the ip6tnl TEP; TEP maps h" eval "
	client_setup a $A6 $TNL6 $A4 && map_add tep dstm0 ipv4 $H4 ipv6 $H6"
check "ip6_tunnel and dstm both loaded" eval \
	"test -d /sys/module/ip6_tunnel && test -d /sys/module/dstm"

# roles: run both directions of both roles, with every counter checked
roles() {
	local tag=$1
	snap "t$tag" tep dstm0
	snap "a$tag" a dstm0
	local t6rx t6tx
	t6rx=$(link_get tep t6 rx packets)
	t6tx=$(link_get tep t6 tx packets)

	check "[$tag] h (ip6tnl) -> B through the dstm TEP" ping_all h "$B4"
	check "[$tag] B -> h" ping_all b "$H4"
	check "[$tag] dstm TEP: rx +6, tx +6" eq \
		"$(delta "t$tag" tep dstm0 stats.rx_packets) $(delta "t$tag" tep dstm0 stats.tx_packets)" "6 6"
	check "[$tag] h's mapping: rx +6, tx +6" eq \
		"$(map_delta "t$tag" tep dstm0 "$H4" 0 rx_packets) $(map_delta "t$tag" tep dstm0 "$H4" 0 tx_packets)" "6 6"
	check "[$tag] ip6tnl t6 saw none of h's packets" eq \
		"$(numdiff "$(link_get tep t6 rx packets)" "$t6rx")" 0

	snap "T$tag" tep dstm0
	check "[$tag] a (dstm) -> B through the ip6tnl TEP" ping_all a "$B4"
	check "[$tag] B -> a" ping_all b "$A4"
	check "[$tag] a's dstm0: tx +6, rx +6" eq \
		"$(delta "a$tag" a dstm0 stats.tx_packets) $(delta "a$tag" a dstm0 stats.rx_packets)" "6 6"
	check "[$tag] ip6tnl t6: rx +6, tx +6" eq \
		"$(numdiff "$(link_get tep t6 rx packets)" "$t6rx") $(numdiff "$(link_get tep t6 tx packets)" "$t6tx")" "6 6"
	check "[$tag] the dstm TEP saw none of a's packets (rx, drops)" eq \
		"$(delta "T$tag" tep dstm0 stats.rx_packets) $(drops_other tep dstm0 not_ipv4)" "0 0"
	check "[$tag] a: no drops" eq "$(drops_other a dstm0 not_ipv4)" 0
}

roles 1
check "TCP h -> B, 32 KiB each way" tcp_echo h b "$B4" 8001 32768
check "TCP B -> a, 32 KiB each way" tcp_echo b a "$A4" 8002 32768

# ip6tnl adds a tunnel encapsulation limit option by default; without it
# the packets are plain IPv6 + IPv4, which must work as well.
check "h: ip6tnl encaplimit none" ip -n h -6 tunnel change t0 encaplimit none
check "h -> B without the destination option" ping_all h "$B4"
check "tep: t6 encaplimit none" ip -n tep -6 tunnel change t6 encaplimit none
check "a -> B, ip6tnl TEP without the destination option" ping_all a "$B4"

# --- dstm registers after ip6_tunnel this time.
check "modprobe -r dstm (with its devices)" timeout 60 modprobe -r dstm
check "with dstm gone, h gets no answer (ip6tnl does not take dstm's packets)" \
	ping_none h "$B4"
check "modprobe dstm; TEP, client and mapping again" eval "modprobe dstm && both_setup"
roles 2

topo_done
