#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Anti-spoofing, each drop under its own reason:
#   TEP    inner source not mapped to the outer source    -> drops.spoofed
#          (an unmapped address, another client's address,
#          a host that is no client at all)
#          a bad inner IPv4 header                        -> drops.malformed
#   client 4over6 from someone other than its TEP         -> drops.wrong_tep
#          inner destination not its address              -> drops.not_ours
# and none of these packets gets through.
#
# Besides the standard topology (a, c, tep, b) an attacker namespace x
# hangs off the TEP's IPv6 side (2001:db8:9::2) and uses the kernel's
# ip6tnl (mode ipip6) and raw sockets to send 4over6 packets of its own.
. "$(dirname "$0")/lib/topo.sh"

X6=2001:db8:9::2
X6_GW=2001:db8:9::1
ROGUE4=198.51.100.99
STRAY4=198.51.100.77

check "standard topology with a second client" topo_standard c
check "client a ($A4)" client_setup a "$A6" "$TEP6" "$A4"
check "client c ($C4)" client_setup c "$C6" "$TEP6" "$C4"
check "TEP maps a and c" eval "map_add tep dstm0 ipv4 $A4 ipv6 $A6 &&
	map_add tep dstm0 ipv4 $C4 ipv6 $C6"
check "attacker namespace x on the TEP's IPv6 side" eval "ns_add x &&
	veth tep tx0 x x0 && addr6 tep tx0 $X6_GW/64 && addr6 x x0 $X6/64 &&
	nsx x ip -6 route add default via $X6_GW"
check "baseline: ping a -> B" ping_all a "$B4"
check "baseline: ping c -> B" ping_all c "$B4"
check "UDP server on B (counts what arrives)" udp_server b "$B4" 7000 100 udp

# --- a sends from an address nobody mapped to it.
check "a: second address $ROGUE4 on dstm0" addr4 a dstm0 "$ROGUE4/32"
snap t1 tep dstm0
check "a -> B from $ROGUE4 (3 datagrams)" nettool a udp-send "$B4" 7000 --src "$ROGUE4" --count 3
check "TEP drops.spoofed +3" wait_eq 5 3 delta t1 tep dstm0 drops.spoofed
check "TEP decapsulated nothing" eq "$(delta t1 tep dstm0 stats.rx_packets)" 0

# --- a sends from c's address: mapped, but to c's IPv6 address.
check "a: c's address $C4 on dstm0 too" addr4 a dstm0 "$C4/32"
snap t2 tep dstm0
check "a -> B from $C4 (3 datagrams)" nettool a udp-send "$B4" 7000 --src "$C4" --count 3
check "TEP drops.spoofed +3" wait_eq 5 3 delta t2 tep dstm0 drops.spoofed
check "c's mapping counted nothing from a" eq \
	"$(map_delta t2 tep dstm0 "$C4" 0 rx_packets)" 0
check "B received none of the 6 spoofed datagrams" eq "$(wc -l <"$TMPD/udp")" 0
check "a, with its own address, still gets through" nettool a udp-send "$B4" 7000 --src "$A4"
check "... and B received exactly that one" wait_eq 5 1 eval "wc -l <$TMPD/udp"
check "remove the extra addresses from a" eval \
	"nsx a ip addr del $ROGUE4/32 dev dstm0 && nsx a ip addr del $C4/32 dev dstm0"

# --- x is no client: ip6tnl from X6 to the TEP, inner source a's address.
check "x: ip6tnl t0 ipip6 $X6 -> $TEP6 with $A4" eval "
	nsx x ip -6 tunnel add t0 mode ipip6 local $X6 remote $TEP6 &&
	nsx x ip link set t0 up && addr4 x t0 $A4/32 &&
	nsx x ip route add $B4/32 dev t0"
snap t3 tep dstm0
check "x -> B from $A4 over ip6tnl (3 datagrams)" nettool x udp-send "$B4" 7000 --count 3
check "TEP drops.spoofed +3" wait_eq 5 3 delta t3 tep dstm0 drops.spoofed
check "a's mapping counted nothing from x" eq \
	"$(map_delta t3 tep dstm0 "$A4" 0 rx_packets)" 0
check "B still has only a's one datagram" eq "$(wc -l <"$TMPD/udp")" 1

# --- x sends 4over6 straight to a: not from a's TEP.
check "x: ip6tnl t1 ipip6 $X6 -> $A6, route to $A4" eval "
	ip -n x addr del $A4/32 dev t0 &&
	nsx x ip -6 tunnel add t1 mode ipip6 local $X6 remote $A6 &&
	nsx x ip link set t1 up && addr4 x t1 203.0.113.1/32 &&
	nsx x ip route add $A4/32 dev t1"
snap a1 a dstm0
check "x pings $A4 through its own tunnel: no answer" ping_none x "$A4"
check "a: drops.wrong_tep +3" wait_eq 5 3 delta a1 a dstm0 drops.wrong_tep
check "a: rx_packets +0" eq "$(delta a1 a dstm0 stats.rx_packets)" 0

# --- The TEP (wrongly) maps another address to a: a refuses it.
check "TEP maps $STRAY4 -> a's IPv6" map_add tep dstm0 ipv4 "$STRAY4" ipv6 "$A6"
snap a2 a dstm0
snap t4 tep dstm0
check "B pings $STRAY4: no answer" ping_none b "$STRAY4"
check "TEP encapsulated the 3 requests to a" eq \
	"$(map_delta t4 tep dstm0 "$STRAY4" 0 tx_packets)" 3
check "a: drops.not_ours +3" wait_eq 5 3 delta a2 a dstm0 drops.not_ours
check "a: rx_packets +0" eq "$(delta a2 a dstm0 stats.rx_packets)" 0

# --- Bad inner IPv4 headers to the TEP: malformed, not spoofed. (Less
# than 20 bytes never reaches dstm: tunnel6 drops it first.)
tail=0000400040110000c633640ac0000202 # id, DF, TTL, UDP, csum, a -> B
snap t5 tep dstm0
check "x -> TEP: inner version 6" nettool x raw6 "$TEP6" 4 "65000014$tail"
check "x -> TEP: inner IHL 4" nettool x raw6 "$TEP6" 4 "44000014$tail"
check "x -> TEP: inner total length 256 > 20 bytes sent" nettool x raw6 "$TEP6" 4 "45000100$tail"
check "x -> TEP: inner total length 10 < header length 20" nettool x raw6 "$TEP6" 4 "4500000a$tail"
check "TEP drops.malformed +4" wait_eq 5 4 delta t5 tep dstm0 drops.malformed
check "TEP drops.spoofed +0, rx +0" eq \
	"$(delta t5 tep dstm0 drops.spoofed) $(delta t5 tep dstm0 stats.rx_packets)" "0 0"

# --- And after all that, the real clients still work.
check "ping a -> B" ping_all a "$B4"
check "ping B -> c" ping_all b "$C4"

topo_done
