#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Client <-> TEP <-> IPv4 host: ping, TCP and UDP both ways through the
# standard topology (lib/topo.sh), and every counter on the way moves by
# exactly what was sent: the client's and the TEP's device stats (dstmctl
# and ip -s link agree) and the mapping's per-mapping counters.
. "$(dirname "$0")/lib/topo.sh"

check "standard topology" topo_standard
check "client a: dstm0 client, $A4, tep $TEP6" client_setup a "$A6" "$TEP6" "$A4"
check "TEP maps $A4 -> $A6" map_add tep dstm0 ipv4 "$A4" ipv6 "$A6"
check "IPv6 underlay a <-> TEP" ping_all a "$TEP6"

check "client config reads back" eq \
	"$(dev_get a dstm0 mode) $(dev_get a dstm0 tep) $(dev_get a dstm0 addr)" \
	"client $TEP6 $A4"
check "TEP has 1 mapping" eq "$(dev_get tep dstm0 map_count)" 1
check "client MTU = underlay 1500 - 40" eq \
	"$(nsx a cat /sys/class/net/dstm0/mtu)" 1460

# --- ICMP, A -> B: 3 requests out, 3 replies back, 128-byte IPv4 packets.
snap a1 a dstm0
snap t1 tep dstm0
ltx=$(link_get a dstm0 tx packets)
t0=$SECONDS
check "ping A -> B (-s 100)" ping_all a "$B4" -s 100
check "mapping last_use: set, and no older than the ping" between \
	"$(map_get tep dstm0 "$A4" last_use)" 0 $(((SECONDS - t0 + 1) * 1000))
check "client tx_packets +3" eq "$(delta a1 a dstm0 stats.tx_packets)" 3
check "client rx_packets +3" eq "$(delta a1 a dstm0 stats.rx_packets)" 3
check "client tx_bytes +3*128 (inner IPv4)" eq "$(delta a1 a dstm0 stats.tx_bytes)" 384
check "client rx_bytes +3*128" eq "$(delta a1 a dstm0 stats.rx_bytes)" 384
check "ip -s link agrees with dstmctl (client tx)" eq \
	"$(numdiff "$(link_get a dstm0 tx packets)" "$ltx")" 3
check "TEP rx_packets +3 (decapsulated)" eq "$(delta t1 tep dstm0 stats.rx_packets)" 3
check "TEP tx_packets +3 (encapsulated)" eq "$(delta t1 tep dstm0 stats.tx_packets)" 3
check "mapping rx_packets +3" eq "$(map_delta t1 tep dstm0 "$A4" 0 rx_packets)" 3
check "mapping tx_packets +3" eq "$(map_delta t1 tep dstm0 "$A4" 0 tx_packets)" 3
check "mapping rx_bytes +3*128" eq "$(map_delta t1 tep dstm0 "$A4" 0 rx_bytes)" 384
# Same convention as the device counters (and ip6_tunnel): inner bytes.
check "mapping tx_bytes +3*128, same as TEP device tx_bytes" eq \
	"$(map_delta t1 tep dstm0 "$A4" 0 tx_bytes) $(delta t1 tep dstm0 stats.tx_bytes)" \
	"384 384"

# --- ICMP, B -> A: the TEP encapsulates by the mapping of the destination.
snap a2 a dstm0
snap t2 tep dstm0
check "ping B -> A" ping_all b "$A4"
check "client rx +3 / tx +3 (B -> A)" eq \
	"$(delta a2 a dstm0 stats.rx_packets) $(delta a2 a dstm0 stats.tx_packets)" "3 3"
check "mapping tx +3 / rx +3 (B -> A)" eq \
	"$(map_delta t2 tep dstm0 "$A4" 0 tx_packets) $(map_delta t2 tep dstm0 "$A4" 0 rx_packets)" "3 3"

# --- TCP and UDP, both ways.
check "TCP A -> B: 48 KiB echoed back unchanged" tcp_echo a b "$B4" 5001 49152
check "TCP B -> A: 48 KiB echoed back unchanged" tcp_echo b a "$A4" 5002 49152
check "UDP server on B" udp_server b "$B4" 5003 2 udpb
check "UDP A -> B -> A (64 bytes)" nettool a udp-client "$B4" 5003
check "UDP A -> B -> A (1400 bytes)" nettool a udp-client "$B4" 5003 --size 1400
check "B saw A's address as the source" contains "$TMPD/udpb" "^$A4:[0-9]+ 1400$"
check "UDP server on A" udp_server a "$A4" 5004 1 udpa
check "UDP B -> A -> B" nettool b udp-client "$A4" 5004
check "A saw B's address as the source" contains "$TMPD/udpa" "^$B4:[0-9]+ 64$"

# --- Nothing was dropped anywhere, for any reason (IPv6 the stack may try
# to send on the device, e.g. MLD, is not ours to judge here).
check "client: no drops (but not_ipv4)" eq "$(drops_other a dstm0 not_ipv4)" 0
check "TEP: no drops (but not_ipv4)" eq "$(drops_other tep dstm0 not_ipv4)" 0
check "mapping counters: TEP rx = client tx (packets)" eq \
	"$(map_get tep dstm0 "$A4" rx_packets)" "$(dev_get a dstm0 stats.tx_packets)"
check "mapping counters: TEP tx = client rx (packets)" eq \
	"$(map_get tep dstm0 "$A4" tx_packets)" "$(dev_get a dstm0 stats.rx_packets)"

# --- A 4over6 device carries IPv4 only: the stack should not send it IPv6
# of its own (link-local DAD, router solicitations, MLD) just to have it
# dropped and counted. Our namespaces turn DAD and RAs off; this one keeps
# the kernel's defaults.
check "a namespace with default IPv6 settings, dstm0 up in it" eval "
	ns_add z && nsx z sysctl -qw net.ipv6.conf.all.accept_dad=1 \
	net.ipv6.conf.default.accept_dad=1 net.ipv6.conf.all.accept_ra=1 \
	net.ipv6.conf.default.accept_ra=1 && ip -n z link add dstm0 type dstm &&
	ip -n z link set dstm0 up && sleep 3"
check "nothing was sent to it to be dropped (not_ipv4 = 0, tx_dropped = 0)" eq \
	"$(dev_get z dstm0 drops.not_ipv4) $(link_get z dstm0 tx dropped)" "0 0"

# --- Without the mapping, B -> A stops at the TEP and is counted.
check "map del $A4" ctl tep map del dstm0 ipv4 "$A4"
snap t3 tep dstm0
check "ping B -> A fails without a mapping" ping_none b "$A4"
check "TEP drops.no_mapping +3" eq "$(delta t3 tep dstm0 drops.no_mapping)" 3

topo_done
