#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hairpinning: client a talks to client c's IPv4 address through the TEP.
# a -> TEP (decapsulate, anti-spoofing by a's mapping) -> IPv4 routing
# (TTL - 1) -> TEP's dstm0 (encapsulate by c's mapping) -> c, and back.
# Each mapping counts the packets of its own client in each direction;
# without c's mapping, a gets the TEP's ICMP host unreachable, through the
# tunnel. (tep_setup turns ICMP redirects off: see lib/topo.sh.)
. "$(dirname "$0")/lib/topo.sh"

check "standard topology with a second client" topo_standard c
check "client a ($A4)" client_setup a "$A6" "$TEP6" "$A4"
check "client c ($C4)" client_setup c "$C6" "$TEP6" "$C4"
check "TEP maps a" map_add tep dstm0 ipv4 "$A4" ipv6 "$A6"
check "TEP maps c" map_add tep dstm0 ipv4 "$C4" ipv6 "$C6"

snap t1 tep dstm0
snap a1 a dstm0
snap c1 c dstm0
check "ping a -> c ($C4) through the TEP" ping_all a "$C4"
check "the replies crossed one IPv4 router (ttl=63)" contains "$TMPD/last.out" "ttl=63"
check "a: tx +3, rx +3" eq \
	"$(delta a1 a dstm0 stats.tx_packets) $(delta a1 a dstm0 stats.rx_packets)" "3 3"
check "c: rx +3, tx +3" eq \
	"$(delta c1 c dstm0 stats.rx_packets) $(delta c1 c dstm0 stats.tx_packets)" "3 3"
check "TEP: rx +6, tx +6 (each packet in and out once)" eq \
	"$(delta t1 tep dstm0 stats.rx_packets) $(delta t1 tep dstm0 stats.tx_packets)" "6 6"
check "a's mapping: rx +3 (requests), tx +3 (replies)" eq \
	"$(map_delta t1 tep dstm0 "$A4" 0 rx_packets) $(map_delta t1 tep dstm0 "$A4" 0 tx_packets)" "3 3"
check "c's mapping: tx +3 (requests), rx +3 (replies)" eq \
	"$(map_delta t1 tep dstm0 "$C4" 0 tx_packets) $(map_delta t1 tep dstm0 "$C4" 0 rx_packets)" "3 3"

check "ping c -> a" ping_all c "$A4"
check "TCP a -> c, 32 KiB each way" tcp_echo a c "$C4" 6001 32768
check "c saw a's address" contains "$TMPD/tcp.6001" "^$A4:[0-9]+ 32768 "
check "UDP server on a" udp_server a "$A4" 6002 1 udp
check "UDP c -> a -> c" nettool c udp-client "$A4" 6002 --size 1000
check "a saw c's address" contains "$TMPD/udp" "^$C4:[0-9]+ 1000$"
check "no drops at the TEP" eq "$(drops_other tep dstm0 not_ipv4)" 0
check "no drops at a or c" eq \
	"$(drops_other a dstm0 not_ipv4) $(drops_other c dstm0 not_ipv4)" "0 0"

# --- c's mapping gone: the TEP drops, and tells a through the tunnel.
check "map del c" ctl tep map del dstm0 ipv4 "$C4"
snap t2 tep dstm0
snap a2 a dstm0
check "ping a -> c fails" ping_none a "$C4"
check "a got the TEP's host unreachable" contains "$TMPD/last.out" \
	"From $B4_GW .*Destination Host Unreachable"
check "TEP drops.no_mapping +3" eq "$(delta t2 tep dstm0 drops.no_mapping)" 3
check "a received the 3 ICMP errors through its tunnel" eq \
	"$(delta a2 a dstm0 stats.rx_packets)" 3

topo_done
