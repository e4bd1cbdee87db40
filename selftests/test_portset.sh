#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two clients share one IPv4 address by port set (RFC 7597 section 5.1,
# offset a = 6, PSID length k = 2): a has PSID 1, c has PSID 2.
#
#   PSID 1: ports with bits 9-8 = 01, e.g. 1280-1535 (A field 000001)
#   PSID 2: ports with bits 9-8 = 10, e.g. 1536-1791
#   PSID 3: 1792-2047, mapped to no one; ports 0-1023 are in no set at all
#
# Each client sends only from its own ports (ip_local_port_range, explicit
# source ports, ping sockets bound to an identifier); B's answers reach the
# right client; traffic to ports outside every set is dropped at the TEP as
# no_mapping; a client using the other's ports is dropped as spoofed.
. "$(dirname "$0")/lib/topo.sh"

S4=198.51.100.50

check "standard topology with a second client" topo_standard c
check "a: $S4 psid 1 (offset 6, len 2)" client_setup a "$A6" "$TEP6" "$S4" \
	psid-offset 6 psid-len 2 psid 1
check "c: $S4 psid 2 (offset 6, len 2)" client_setup c "$C6" "$TEP6" "$S4" \
	psid-offset 6 psid-len 2 psid 2
check "TEP maps $S4 psid 1 -> a" map_add tep dstm0 ipv4 "$S4" ipv6 "$A6" \
	psid 1 psid-len 2 psid-offset 6
check "TEP maps $S4 psid 2 -> c" map_add tep dstm0 ipv4 "$S4" ipv6 "$C6" \
	psid 2 psid-len 2 psid-offset 6
check "port sets read back (a: 6/2/1, c: 6/2/2)" eq \
	"$(dev_get a dstm0 psid_offset)/$(dev_get a dstm0 psid_len)/$(dev_get a dstm0 psid) $(dev_get c dstm0 psid)" \
	"6/2/1 2"
check "a different geometry for the same address is refused" not \
	ctl tep map add dstm0 ipv4 "$S4" ipv6 "$A6" psid 3 psid-len 4 psid-offset 6

for ns in a b c; do
	nsx "$ns" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
done
nsx a sysctl -qw net.ipv4.ip_local_port_range="1280 1535"
nsx c sysctl -qw net.ipv4.ip_local_port_range="1536 1791"

snap ta tep dstm0
snap a0 a dstm0
snap c0 c dstm0

# --- UDP with explicit source ports: each reply to its own client.
check "UDP echo server on B" udp_server b "$B4" 7000 4 udp
check "UDP a:1300 -> B -> a" nettool a udp-client "$B4" 7000 --sport 1300
check "UDP c:1600 -> B -> c" nettool c udp-client "$B4" 7000 --sport 1600
# --- ... and with ports the kernel picks from ip_local_port_range.
check "UDP a:ephemeral -> B -> a" nettool a udp-client "$B4" 7000
check "UDP c:ephemeral -> B -> c" nettool c udp-client "$B4" 7000
check "B saw $S4:1300 and $S4:1600" eq \
	"$(grep -Ec "^$S4:(1300|1600) " "$TMPD/udp")" 2
ports=$(sed -n "3,4s/^$S4:\([0-9]*\) .*/\1/p" "$TMPD/udp" | tr '\n' ' ')
check "ephemeral source ports in each client's set ($ports)" eq \
	"$(set -- $ports; [ "${1:-0}" -ge 1280 ] && [ "${1:-0}" -le 1535 ] &&
		[ "${2:-0}" -ge 1536 ] && [ "${2:-0}" -le 1791 ] && echo yes)" yes

# --- TCP from each client, ephemeral ports.
check "TCP a -> B, 16 KiB each way" tcp_echo a b "$B4" 7001 16384
check "B saw a's TCP connection from a PSID 1 port" contains "$TMPD/tcp.7001" \
	"^$S4:(12[89][0-9]|1[34][0-9][0-9]|15[0-2][0-9]|153[0-5]) 16384 "
check "TCP c -> B, 16 KiB each way" tcp_echo c b "$B4" 7002 16384
check "B saw c's TCP connection from a PSID 2 port" contains "$TMPD/tcp.7002" \
	"^$S4:(153[6-9]|15[4-9][0-9]|16[0-9][0-9]|17[0-8][0-9]|179[01]) 16384 "

# --- ICMP echo: the identifier is the port.
check "ping a -> B with identifier 1400 (PSID 1)" nettool a ping-id "$B4" 1400
check "ping c -> B with identifier 1700 (PSID 2)" nettool c ping-id "$B4" 1700
check "ping B -> $S4 id 1301 answered by a" nettool b ping-id "$S4" 1301
check "ping B -> $S4 id 1601 answered by c" nettool b ping-id "$S4" 1601

# 4 UDP + 1 TCP connection + 2 pings each way per client, so at least 7
# packets each way; nothing reached the wrong client.
check "PSID 1 mapping carried a's packets (rx >= 7, tx >= 7)" eq \
	"$(ge "$(map_delta ta tep dstm0 "$S4" 1 rx_packets)" 7 && ge "$(map_delta ta tep dstm0 "$S4" 1 tx_packets)" 7 && echo ok)" ok
check "PSID 2 mapping carried c's packets (rx >= 7, tx >= 7)" eq \
	"$(ge "$(map_delta ta tep dstm0 "$S4" 2 rx_packets)" 7 && ge "$(map_delta ta tep dstm0 "$S4" 2 tx_packets)" 7 && echo ok)" ok
check "a: what the TEP sent it (PSID 1 tx) = what it received" eq \
	"$(map_delta ta tep dstm0 "$S4" 1 tx_packets)" "$(delta a0 a dstm0 stats.rx_packets)"
check "c: what the TEP sent it (PSID 2 tx) = what it received" eq \
	"$(map_delta ta tep dstm0 "$S4" 2 tx_packets)" "$(delta c0 c dstm0 stats.rx_packets)"
check "no drops at the TEP so far" eq "$(drops_other tep dstm0 not_ipv4)" 0
check "no drops at a / c so far" eq \
	"$(drops_other a dstm0 not_ipv4) $(drops_other c dstm0 not_ipv4)" "0 0"

# --- B to ports outside any set: dropped at the TEP, no_mapping.
snap t1 tep dstm0
snap a1 a dstm0
snap c1 c dstm0
check "B -> $S4:2000 (PSID 3, unmapped)" nettool b udp-send "$S4" 2000
check "B -> $S4:80 (in no set)" nettool b udp-send "$S4" 80
check "TEP drops.no_mapping +2" wait_eq 5 2 delta t1 tep dstm0 drops.no_mapping
check "neither client received them" eq \
	"$(delta a1 a dstm0 stats.rx_packets) $(delta c1 c dstm0 stats.rx_packets)" "0 0"

# --- B to a's port with nothing listening: a gets it, answers with ICMP
# port unreachable, which the TEP accepts (its quoted packet is a's).
snap t2 tep dstm0
snap a2 a dstm0
a2_rx_tx() { echo "$(delta a2 a dstm0 stats.rx_packets) $(delta a2 a dstm0 stats.tx_packets)"; }
t2_rx_spoofed() { echo "$(delta t2 tep dstm0 stats.rx_packets) $(delta t2 tep dstm0 drops.spoofed)"; }
check "B -> $S4:1290 (a's set, closed port)" nettool b udp-send "$S4" 1290
check "a received it and sent one packet back" wait_eq 5 "1 1" a2_rx_tx
check "TEP decapsulated a's ICMP error (rx +1, spoofed +0)" wait_eq 5 "1 0" t2_rx_spoofed

# --- a sending from c's ports, or from no set: spoofed at the TEP.
snap t3 tep dstm0
check "UDP server on B for spoofed packets" udp_server b "$B4" 7003 1 spoof
check "a -> B from port 1600 (c's)" nettool a udp-send "$B4" 7003 --sport 1600
check "a -> B from port 80 (in no set)" nettool a udp-send "$B4" 7003 --sport 80
check "TEP drops.spoofed +2" wait_eq 5 2 delta t3 tep dstm0 drops.spoofed
check "B received none of them" eq "$(wc -l <"$TMPD/spoof" 2>/dev/null || echo 0)" 0
check "a -> B ping with c's identifier 1700 is not answered" \
	not nettool a ping-id "$B4" 1700 --timeout 2
check "TEP drops.spoofed +3" wait_eq 5 3 delta t3 tep dstm0 drops.spoofed

# --- The client checks the port too: map PSID 3 to a by mistake, and a
# refuses what arrives for it.
check "TEP maps $S4 psid 3 -> a (wrongly)" map_add tep dstm0 ipv4 "$S4" \
	ipv6 "$A6" psid 3 psid-len 2 psid-offset 6
snap a4 a dstm0
a4_notours_rx() { echo "$(delta a4 a dstm0 drops.not_ours) $(delta a4 a dstm0 stats.rx_packets)"; }
check "B -> $S4:1800 (PSID 3)" nettool b udp-send "$S4" 1800
check "a: drops.not_ours +1, rx +0" wait_eq 5 "1 0" a4_notours_rx

topo_done
