#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tearing down under traffic: a client namespace deleted while packets are
# flowing into its dstm0, a client device deleted under a TCP stream, then
# "modprobe -r dstm" with devices still up (a TEP with mappings, one with a
# lifetime, still receiving a ping flood; a client holding queued packets
# with its timer armed; a monitor subscribed to the events) -- the module's
# exit deletes them. Then the module comes back and works, and a TEP
# namespace is deleted under traffic. Every step must finish promptly; a
# kernel warning, leak report or a module that will not unload fails the
# run (vm.sh checks the kernel log).
. "$(dirname "$0")/lib/topo.sh"

D6=2001:db8:4::2

# rate NS DEV: packets the device decapsulated over one second
rx_rate() {
	local before
	before=$(dev_get "$1" "$2" stats.rx_packets)
	sleep 1
	numdiff "$(dev_get "$1" "$2" stats.rx_packets)" "$before"
}


check "standard topology with a second client" topo_standard c
check "clients a, c; TEP maps both (c with lifetime 60)" eval "
	client_setup a $A6 $TEP6 $A4 && client_setup c $C6 $TEP6 $C4 &&
	map_add tep dstm0 ipv4 $A4 ipv6 $A6 &&
	map_add tep dstm0 ipv4 $C4 ipv6 $C6 lifetime 60"
check "client d with no address: packets wait in its queue" eval "
	ns_add d && client_setup d $D6 $TEP6 '' queue-timeout 60000 queue-len 16"
bg nsx d ping -q -i 0.2 "$B4"
check "d's queue holds packets" wait_eq 10 ok eval \
	'ge "$(dev_get d dstm0 stats.queued)" 1 >/dev/null && echo ok'
check "baseline: a <-> B, c <-> B" eval "ping_all a $B4 && ping_all c $B4"

# Traffic: a flood B -> a, a steady ping a -> B, TCP c -> B.
bg nsx b ping -f -q "$A4"
bg nsx a ping -q -i 0.01 "$B4"
A_PING=$BG_PID
bg nsx b iperf3 -s -1 -B "$B4"
wait_for 30 eval "nsx b ss -ltn | grep -q ':5201 '"
bg nsx c iperf3 -c "$B4" -t 120 -b 20M
IPERF=$BG_PID
check "traffic flows through the TEP (> 20 packets/s)" wait_eq 20 ok eval \
	'ge "$(rx_rate tep dstm0)" 20 >/dev/null && echo ok'
check "and into a (> 20 packets/s)" wait_eq 10 ok eval \
	'ge "$(rx_rate a dstm0)" 20 >/dev/null && echo ok'

# --- a's namespace goes away with its dstm0 receiving the flood.
check "ip netns del a; its last process ends" eval \
	"ip netns del a && kill $A_PING && wait $A_PING 2>/dev/null; true"
# The namespace is torn down asynchronously (and slowly, under a flood in
# an emulator); its veth peer on the TEP goes when it is done.
check "a's namespace is torn down (the TEP's ta0 is gone)" wait_eq 90 ok eval \
	'ip -n tep link show ta0 >/dev/null 2>&1 || echo ok'
check "the TEP now drops the flood for a (no route to a)" wait_eq 10 ok eval \
	'ge "$(dev_get tep dstm0 drops.no_route)" 1 >/dev/null && echo ok'

# --- c's device deleted under the TCP stream.
check "c's dstm0 carries the iperf3 stream" wait_eq 10 ok eval \
	'ge "$(rx_rate c dstm0)" 5 >/dev/null && echo ok'
check "ip link del c's dstm0 (under traffic)" timeout 30 ip -n c link del dstm0
check "c has no dstm0 any more" not ip -n c link show dstm0
kill "$IPERF" 2>/dev/null

# --- The module goes with devices still there, and comes back.
bglog "$TMPD/monitor" ctl tep monitor
MONITOR=$BG_PID
sleep 1
check "modprobe -r dstm with TEP (flooded, mappings) and d (queue) up" \
	timeout 60 modprobe -r dstm
check "module gone" not test -d /sys/module/dstm
check "the TEP's and d's devices went with it" eval \
	"! ip -n tep link show dstm0 && ! ip -n d link show dstm0"
kill "$MONITOR" 2>/dev/null

check "modprobe dstm again" modprobe dstm
check "TEP and client c again" eval "
	tep_setup tep $TEP6 && client_setup c $C6 $TEP6 $C4 &&
	map_add tep dstm0 ipv4 $C4 ipv6 $C6 lifetime 60"
check "c <-> B works on the new devices" ping_all c "$B4"
check "the new TEP starts afresh (1 mapping, no no_route drops)" eq \
	"$(dev_get tep dstm0 map_count) $(dev_get tep dstm0 drops.no_route)" "1 0"

# --- The TEP's namespace goes away under traffic from c.
bg nsx c ping -f -q "$B4"
C_PING=$BG_PID
check "c floods B through the TEP" wait_eq 10 ok eval \
	'ge "$(rx_rate tep dstm0)" 20 >/dev/null && echo ok'
check "ip netns del tep" ip netns del tep
check "tep's namespace is torn down (c's c0 is gone)" wait_eq 90 ok eval \
	'ip -n c link show c0 >/dev/null 2>&1 || echo ok'
check "c's packets go nowhere now (no route to the TEP)" wait_eq 15 ok eval \
	'ge "$(dev_get c dstm0 drops.no_route)" 1 >/dev/null && echo ok'
kill "$C_PING" 2>/dev/null

check "modprobe -r dstm (c's device still up)" timeout 60 modprobe -r dstm
check "module gone" not test -d /sys/module/dstm
check "c's device went with it" not ip -n c link show dstm0

topo_done
