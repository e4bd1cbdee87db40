#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# On-demand IPv4 (DSTM's reason to be): a client with no address holds
# what it is asked to send, tells the agent (ADDR_NEEDED with the
# destination, once a second at most), and when the agent has set the
# address (and the server the TEP's mapping) the held packets leave: the
# first packet is not lost. The test plays the agent and the server.
#
#   1. a host with no IPv4 address at all pings B: the echo request waits,
#      ADDR_NEEDED names B, the "agent" puts the lease on the interface and
#      the device, the TEP gets the mapping, and that first request is
#      answered.
#   2. the lease goes away (addr none): new packets wait and ask again.
#   3. queue-timeout: held packets get ICMP host unreachable, counted as
#      queue_timeout, also after the timeout was shortened.
#   4. queue-len: what does not fit is dropped as queue_full; the rest
#      leaves when the address comes.
. "$(dirname "$0")/lib/topo.sh"

# The agent's job once it has a lease: address on the interface, address
# on the device; the server's: the TEP's mapping.
# As dstmd does: the TEP has the mapping before the host hears of its lease.
lease() {
	ctl tep map replace dstm0 ipv4 "$A4" ipv6 "$A6" &&
		ip -n a addr replace "$A4/32" dev dstm0 &&
		ctl a set dstm0 addr "$A4"
}

events() { # EVENT: how many monitor lines of that kind
	grep -c "^$1 dstm0" "$TMPD/monitor"
}

check "standard topology" topo_standard
# A generous queue timeout: under emulation the "agent" here takes seconds.
check "client a: TEP set, no IPv4 address, queue-timeout 30 s" \
	client_setup a "$A6" "$TEP6" "" queue-timeout 30000
check "a's device has no address" eq "$(dev_get a dstm0 addr)" null
check "a has no IPv4 address at all" eq "$(ip -n a -4 -o addr show scope global | wc -l)" 0
bglog "$TMPD/monitor" ctl a monitor
sleep 1 # let the monitor subscribe

# --- 1. The first packet, from a host with no IPv4 address yet.
snap a1 a dstm0
snap t1 tep dstm0
bglog "$TMPD/ping1" nsx a ping -n -c 1 -W 20 "$B4"
PING1=$BG_PID
check "ADDR_NEEDED names B" wait_eq 10 1 eval \
	"grep -c '^addr-needed dstm0 dst $B4\$' $TMPD/monitor"
check "the request is held: queued +1, addr_needed +1, tx +0" eq \
	"$(delta a1 a dstm0 stats.queued) $(delta a1 a dstm0 stats.addr_needed) $(delta a1 a dstm0 stats.tx_packets)" \
	"1 1 0"
check "the agent sets the lease ($A4), the server maps it" lease
wait "$PING1"
rc=$?
check "the held request left when the address came (tx +1)" wait_eq 5 1 \
	delta a1 a dstm0 stats.tx_packets
check "the TEP accepted it (rx +1, spoofed +0)" eq \
	"$(delta t1 tep dstm0 stats.rx_packets) $(delta t1 tep dstm0 drops.spoofed)" "1 0"
check "... so B got it from $A4 (not from 0.0.0.0, the source it was sent with)" \
	eq "$(delta t1 tep dstm0 drops.spoofed)" 0
check "the first ping was answered: no packet lost" eval \
	"[ $rc = 0 ] && grep -q ' 1 received' $TMPD/ping1 || { cat $TMPD/ping1; false; }"
check "ping a -> B, now with the lease" ping_all a "$B4"

# --- 2. The lease goes; new packets wait and ask again. The interface
# keeps its address this time, so only the device decides.
check "lease removed from the device (addr none)" ctl a set dstm0 addr none
snap a2 a dstm0
n=$(events addr-needed)
bglog "$TMPD/ping2" nsx a ping -n -c 1 -W 20 "$B4"
PING2=$BG_PID
check "a new ADDR_NEEDED" wait_eq 10 $((n + 1)) events addr-needed
check "held again: queued +1, tx +0" eq \
	"$(delta a2 a dstm0 stats.queued) $(delta a2 a dstm0 stats.tx_packets)" "1 0"
check "the lease comes back" lease
wait "$PING2"
rc=$?
check "the held ping was answered" eval \
	"[ $rc = 0 ] && grep -q ' 1 received' $TMPD/ping2 || { cat $TMPD/ping2; false; }"

# --- 3. Nobody answers the request in time: ICMP host unreachable. A new
# device, so that no timer of the parts above is pending.
unreachable_within() { # SECONDS: one ping, host unreachable in time
	local t0=$SECONDS
	! nsx a ping -n -c 1 -W 20 "$B4" >"$TMPD/ping3" 2>&1
	cat "$TMPD/ping3"
	echo "took $((SECONDS - t0)) s"
	grep -q 'Destination Host Unreachable' "$TMPD/ping3" &&
		[ $((SECONDS - t0)) -le "$1" ]
}
check "a new dstm0: no address, queue-timeout 1000 ms" eval "
	ip -n a link del dstm0 &&
	client_setup a $A6 $TEP6 '' queue-timeout 1000 &&
	ip -n a addr add $A4/32 dev dstm0"
snap a3 a dstm0
check "ping a -> B: host unreachable, after ~1 s (<= 8 s)" unreachable_within 8
check "drops.queue_timeout +1, queued +1, tx +0" eq \
	"$(delta a3 a dstm0 drops.queue_timeout) $(delta a3 a dstm0 stats.queued) $(delta a3 a dstm0 stats.tx_packets)" \
	"1 1 0"

# The timeout is settable at any time: a shorter one applies to the next
# packet even though an earlier packet (sent since) had armed the timer
# for a longer one.
check "queue-timeout 60000; one packet held, then sent with the lease" eval "
	ctl a set dstm0 queue-timeout 60000 &&
	nettool a udp-send $B4 9000 && lease &&
	wait_eq 5 1 delta a3 a dstm0 stats.tx_packets"
check "addr none, queue-timeout 1000 ms" ctl a set dstm0 addr none queue-timeout 1000
snap a3b a dstm0
check "ping a -> B: host unreachable after ~1 s, not 60 (<= 8 s)" unreachable_within 8
check "drops.queue_timeout +1" eq "$(delta a3b a dstm0 drops.queue_timeout)" 1

# --- 4. A queue of 2: the rest is dropped, the 2 leave with the address.
check "a new dstm0: no address, queue-len 2, queue-timeout 30000 ms" eval "
	ip -n a link del dstm0 &&
	client_setup a $A6 $TEP6 '' queue-len 2 queue-timeout 30000 &&
	ip -n a addr add $A4/32 dev dstm0"
snap a4 a dstm0
snap t4 tep dstm0
check "5 packets to B while there is no address" nettool a udp-send "$B4" 9000 --count 5
check "queued +2, drops.queue_full +3" eq \
	"$(delta a4 a dstm0 stats.queued) $(delta a4 a dstm0 drops.queue_full)" "2 3"
check "at most one ADDR_NEEDED for the burst" between \
	"$(delta a4 a dstm0 stats.addr_needed)" 0 1
check "the lease comes back" lease
check "the 2 held packets leave, in order, and reach the TEP" wait_eq 5 "2 2" eval \
	'echo "$(delta a4 a dstm0 stats.tx_packets) $(delta t4 tep dstm0 stats.rx_packets)"'
check "monitor is still running" kill -0 "$(pgrep -f "$TMPD/dstmctl monitor" | head -1)"

topo_done
