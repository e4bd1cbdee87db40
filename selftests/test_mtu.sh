#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# MTU and ICMP translation.
#
# Part 1, the standard topology with a 1280-byte link between a and the
# TEP: the client's dstm0 gets MTU 1240 (underlay - 40) when its TEP is set;
# packets without DF cross fragmented, both ways; with DF the TEP answers
# ICMP fragmentation needed (mtu 1240), counts drops.too_big, and the IPv4
# sender learns the path MTU.
#
# Part 2, a router r between client p and TEP t whose routes have MTU 1280
# (locked) while every link is 1500, so the tunnel end points do not know:
# r answers ICMPv6 packet too big, and the dstm device that sent the 4over6
# packet (TEP or client) turns it into ICMPv4 fragmentation needed for the
# inner sender, which then learns mtu 1240.
#
#   p (client) p0 --- rp0 r rt0 --- tr0 t (TEP) tq0 --- q0 q (IPv4 host)
#   2001:db8:1::2/64    ::1  2001:db8:5::1/64  ::2      192.0.2.1 .2
. "$(dirname "$0")/lib/topo.sh"

# ------------------------------------------------------------------ part 1
TOPO_A_MTU=1280 check "standard topology, a's link MTU 1280" topo_standard
check "client a ($A4)" client_setup a "$A6" "$TEP6" "$A4"
check "TEP maps a" map_add tep dstm0 ipv4 "$A4" ipv6 "$A6"
check "a's dstm0 MTU = 1280 - 40" eq "$(ip -n a -j link show dstm0 | jkey mtu)" 1240

snap t1 tep dstm0
snap a1 a dstm0
check "B -> a, 1428 bytes, no DF: answered (fragmented)" ping_all b "$A4" -M dont -s 1400
check "a -> B, 1428 bytes, no DF: answered (fragmented)" ping_all a "$B4" -M dont -s 1400
check "TEP: no too_big, no fragment drops" eq \
	"$(delta t1 tep dstm0 drops.too_big) $(delta t1 tep dstm0 drops.fragment)" "0 0"
# a's 1428-byte packets leave its dstm0 (MTU 1240) as 2 IPv4 fragments.
check "TEP decapsulated a's fragments: rx +12 (3 requests + 3 replies, x2)" \
	eq "$(delta t1 tep dstm0 stats.rx_packets)" 12

check "a -> B, 1240 bytes with DF (exactly the MTU)" ping_all a "$B4" -M do -s 1212
check "B -> a, 1240 bytes with DF" ping_all b "$A4" -M do -s 1212
check "a -> B, 1328 bytes with DF: refused locally, mtu 1240" contains - \
	"mtu ?= ?1240" <<<"$(nsx a ping -n -c 1 -W 1 -M do -s 1300 "$B4" 2>&1)"

snap t2 tep dstm0
check "B -> a, 1428 bytes with DF: not answered" ping_none b "$A4" -M do -s 1400
check "B got frag needed from the TEP, mtu 1240" contains "$TMPD/last.out" \
	"Frag needed.*mtu ?= ?1240|[Mm]essage too long.*mtu ?= ?1240"
check "TEP drops.too_big +1 (B learned after the first)" between \
	"$(delta t2 tep dstm0 drops.too_big)" 1 3
check "B's route to a learned mtu 1240" contains - "mtu 1240" \
	<<<"$(ip -n b route get "$A4")"
check "B -> a with DF at 1240 bytes still works" ping_all b "$A4" -M do -s 1212

for ns in a b tep; do ip netns del "$ns"; done
TOPO_NS=()

# ------------------------------------------------------------------ part 2
R6P=2001:db8:1::1
R6T=2001:db8:5::1
T6R=2001:db8:5::2
check "namespaces p, r, t, q" eval "ns_add p && ns_add r && ns_add t && ns_add q"
check "r: router, routes to p and to the TEP with locked mtu 1280" eval "
	ns_router r &&
	client_link p p0 r rp0 $A6 $R6P &&
	veth r rt0 t tr0 && addr6 r rt0 $R6T/64 && addr6 t tr0 $T6R/64 &&
	ip -n t route add ::/0 via $R6T &&
	ip -n r route add $TEP6/128 via $T6R mtu lock 1280 &&
	ip -n r route add $A6/128 dev rp0 mtu lock 1280"
check "t: TEP, q: IPv4 host" eval "
	tep_setup t $TEP6 &&
	veth t tq0 q q0 && addr4 t tq0 $B4_GW/24 && addr4 q q0 $B4/24 &&
	ip -n q route add default via $B4_GW"
check "client p ($A4)" client_setup p "$A6" "$TEP6" "$A4"
check "t maps p" map_add t dstm0 ipv4 "$A4" ipv6 "$A6"
check "p's dstm0 MTU = 1460: the 1500-byte link does not tell" eq \
	"$(ip -n p -j link show dstm0 | jkey mtu)" 1460
check "p <-> q, small packets" ping_all p "$B4"

# TEP side: t's 1468-byte packet to p meets r's 1280.
snap t3 t dstm0
check "q -> p, 1428 bytes with DF: not answered" ping_none q "$A4" -M do -s 1400
check "q got frag needed (relayed from r's packet too big), mtu 1240" \
	contains "$TMPD/last.out" "Frag needed.*mtu ?= ?1240|[Mm]essage too long.*mtu ?= ?1240"
check "q's route to p learned mtu 1240" contains - "mtu 1240" \
	<<<"$(ip -n q route get "$A4")"
check "t's IPv6 route to p learned mtu 1280" contains - "mtu 1280" \
	<<<"$(ip -n t route get "$A6")"
check "q -> p, 1240 bytes with DF: answered" ping_all q "$A4" -M do -s 1212

# Client side: p's 1468-byte packet to the TEP meets r's 1280.
check "p -> q, 1428 bytes with DF: not answered" ping_none p "$B4" -M do -s 1400
check "p's ping heard of mtu 1240" contains "$TMPD/last.out" \
	"Frag needed.*mtu ?= ?1240|[Mm]essage too long.*mtu ?= ?1240"
check "p's route to q learned mtu 1240" contains - "mtu 1240" \
	<<<"$(ip -n p route get "$B4")"
check "p's IPv6 route to the TEP learned mtu 1280" contains - "mtu 1280" \
	<<<"$(ip -n p route get "$TEP6")"
check "p -> q, 1240 bytes with DF: answered" ping_all p "$B4" -M do -s 1212
check "p -> q, 1428 bytes without DF: answered" ping_all p "$B4" -M dont -s 1400
# Only now that p knows the path too: its 1428-byte replies would have been
# lost to r's packet too big the first time (p's own discovery).
check "q -> p, 1428 bytes without DF: answered" ping_all q "$A4" -M dont -s 1400

topo_done
