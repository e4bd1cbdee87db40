#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host agent (dstmctl client) against dstmd, end to end: dstmd and the
# TEP in namespace tep, the host in a, the IPv4 host B in b.
#
#   1. on demand: the host has no IPv4 address; "ping -c1 B" makes the
#      kernel hold the echo request and ask (ADDR_NEEDED); the agent runs
#      Information-request, DISCOVER/OFFER, REQUEST/ACK, configures the
#      host, the kernel sends the held request: the first packet is not
#      lost.  The TEP has the mapping to a's address.
#   2. renewal at T1 (24 s lease): REQUEST with ciaddr, ACKed, the TEP's
#      mapping is extended.
#   3. NAK: dstmd loses its store (restarted empty), the renewal is NAKed:
#      the agent takes the lease out and acquires a new one; traffic works.
#   4. SIGTERM: RELEASE; the address, the routes and the TEP's mapping go.
#   5. idle release: no IPv4 traffic for 3 s, the lease is given back; the
#      next packet acquires again.
#   6. the server goes away: T1 renewing and T2 rebinding get no answer,
#      the lease ends and the agent takes it out.
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/agent.sh"

mapped() { map_get tep dstm0 "$ADDR" "$1"; }

check "standard topology" topo_standard
dstmd_conf "range = 198.51.100.10-198.51.100.19" "lease-time = 24"
check "dstmd starts (24 s leases)" dstmd_start
check "a: client device, no address" client_dev a
check "agent starts on a" agent_start a a server "$TEP6" idle 0
check "the agent installed the on-demand route" contains - "default" <<<"$(routes4 a)"
check "a has no IPv4 address" eq "$(ip -n a -4 -o addr show scope global | wc -l)" 0

# --- 1. on demand, first packet
snap t1 tep dstm0
check "ping -c1 B from a with no lease: answered (first packet not lost)" \
	nsx a ping -n -c 1 -W 15 "$B4"
check "the agent acquired a lease" agent_wait a bound 1 5
ADDR=$(agent_field a bound addr)
say "lease: $ADDR, acquired in $(agent_field a bound acquire_ms) ms"
check "the lease is in the pool" eval "[[ '$ADDR' == 198.51.100.1? ]]"
check "a's device has the address and the TEP" eq \
	"$(dev_get a dstm0 addr) $(dev_get a dstm0 tep)" "$ADDR $TEP6"
check "a's device uses a's IPv6 address" eq "$(dev_get a dstm0 local)" "$A6"
check "the /32 is on dstm0" eq "$(addr4_on a "$ADDR")" 1
check "the default route has the lease's source" contains - "default .*src $ADDR" <<<"$(routes4 a)"
check "the TEP maps $ADDR to a" eq "$(mapped ipv6)" "$A6"
check "no spoofed drops at the TEP" eq "$(delta t1 tep dstm0 drops.spoofed)" 0
check "ping a -> B" ping_all a "$B4"

# --- 2. renewal at T1 (12 s)
before=$(mapped expires)
check "renewed at T1" agent_wait a renewed 1 16
check "the agent logged the renewal" agent_log a "renewed $ADDR for [0-9]+ s"
check "the TEP's mapping was extended ($before s left before)" ge "$(mapped expires)" 16
check "same address after renewal" eq "$(dev_get a dstm0 addr)" "$ADDR"

# --- 3. NAK: the server forgot the lease
dstmd_stop
rm -f "$TMPD"/leases.db*
check "dstmd restarts with an empty store" dstmd_start
check "the renewal is NAKed" agent_wait a nak 1 30
check "a new lease after the NAK" agent_wait a bound 2 15
ADDR=$(agent_field a bound addr)
check "device and interface agree on the new lease ($ADDR)" eq \
	"$(dev_get a dstm0 addr) $(addr4_on a "$ADDR")" "$ADDR 1"
check "the TEP maps the new lease" eq "$(mapped ipv6)" "$A6"
check "ping a -> B after the NAK" ping_all a "$B4"

# --- 4. SIGTERM
check "the agent exits 0 on SIGTERM" agent_stop a 0
check "it released the lease" agent_log a "released $ADDR \(agent stopping\)"
check "the device has no address" eq "$(dev_get a dstm0 addr)" null
check "no IPv4 address on dstm0" eq "$(ip -n a -4 -o addr show dev dstm0 | wc -l)" 0
check "no routes via dstm0" eq "$(routes4 a)" ""
check "the TEP's mapping is gone" wait_eq 5 missing mapped ipv6
check "dstmd has no lease" wait_eq 5 "[]" dstmd_leases

# --- 5. idle release
check "agent restarts with idle 3" agent_start a2 a server "$TEP6" idle 3
check "ping B (acquires)" nsx a ping -n -c 1 -W 15 "$B4"
check "bound" agent_wait a2 bound 1 5
ADDR=$(agent_field a2 bound addr)
check "released after 3 s without IPv4 traffic" agent_wait a2 released 1 15
check "reason: idle" agent_log a2 "released $ADDR \(no IPv4 traffic for 3 s\)"
check "the device has no address after the idle release" eq "$(dev_get a dstm0 addr)" null
check "the on-demand route stays" contains - "^default" <<<"$(routes4 a)"
check "the TEP's mapping is gone after the idle release" wait_eq 5 missing mapped ipv6
check "the next ping acquires again and is answered" nsx a ping -n -c 1 -W 15 "$B4"
check "bound again" agent_wait a2 bound 2 5
check "agent a2 exits 0 on SIGINT" agent_stop a2 0 INT

# --- 6. the server goes away: renewing, rebinding, then the lease ends
check "agent a3 (never idle) acquires at start" agent_start a3 a server "$TEP6" idle 0 acquire now
check "a3 bound" agent_wait a3 bound 1 10
ADDR=$(agent_field a3 bound addr)
dstmd_stop
check "with dstmd gone, the lease expires (renewing and rebinding unanswered)" \
	agent_wait a3 expired 1 40
check "the agent said so" agent_log a3 "lease of $ADDR expired"
check "it rebound first (T2)" agent_log a3 "T2: rebinding $ADDR"
check "the device has no address after expiry" eq "$(dev_get a dstm0 addr)" null
check "no IPv4 address left on dstm0" eq "$(ip -n a -4 -o addr show dev dstm0 | wc -l)" 0
check "the on-demand route is back" contains - "^default" <<<"$(routes4 a)"
check "agent a3 exits 0" agent_stop a3 0

[ "$T_FAIL" = 0 ] || { sed 's/^/# agent a: /' "$TMPD/agent.a.log" | tail -40;
	sed 's/^/# dstmd: /' "$TMPD/dstmd.log" | tail -20; }
topo_done
