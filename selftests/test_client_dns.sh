#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The agent's DNS trigger: "dns 127.0.0.54" makes the agent a forwarding
# stub resolver (a's resolv.conf points at it) in front of an upstream
# resolver (lib/dnszone.py in the TEP's namespace, over IPv6).
#
#   - a name with A and AAAA records: answered, no lease (the application
#     will use IPv6);
#   - an unknown name: NXDOMAIN passes through, no lease;
#   - a name with only an A record: the agent acquires a lease, and the
#     answer is held until the lease is in place: when the application
#     has its answer the host already has its IPv4 address;
#   - with no lease, "ping -c1 NAME" of an A-only name: the lease comes
#     from the lookup, and the echo request leaves with the lease's
#     source address: answered, nothing held in the kernel, nothing lost.
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/agent.sh"

STUB=127.0.0.54
ZONE_PORT=5353

check "standard topology" topo_standard
dstmd_conf "range = 198.51.100.10-198.51.100.19" "lease-time = 120"
check "dstmd starts" dstmd_start
check "upstream resolver in tep on [$TEP6]:$ZONE_PORT" eval \
	"bg nsx tep python3 -I -S '$TOPO_LIB/dnszone.py' '$TEP6' $ZONE_PORT '$TMPD/zone.log' \
	    v4only.example=A:$B4 dual.example=A:$B4,AAAA:$A6_GW && wait_for 10 test -e '$TMPD/zone.log.ready'"
mkdir -p /etc/netns/a
echo "nameserver $STUB" >/etc/netns/a/resolv.conf
trap 'rm -rf /etc/netns/a; topo_cleanup' EXIT
check "a: client device" client_dev a
check "agent with the DNS trigger on $STUB" agent_start a a server "$TEP6" idle 3 \
	dns "$STUB" dns-upstream "[$TEP6]:$ZONE_PORT"

check "the stub's address is on lo (glibc's AI_ADDRCONFIG then asks for A)" \
	eval "ip -n a -4 -o addr show dev lo | grep -q ' $STUB/32 '"
check "dual.example resolves through the stub (A and AAAA)" eval \
	"nsx a getent ahosts dual.example >'$TMPD/getent' && grep -q '$A6_GW' '$TMPD/getent' && grep -q '$B4' '$TMPD/getent' || { cat '$TMPD/getent'; false; }"
check "... and asks for no lease (it has IPv6)" eq "$(agent_events a acquiring)" 0
check "nosuch.example: NXDOMAIN passes through" not nsx a getent ahosts nosuch.example
check "... no lease" eq "$(agent_events a acquiring)" 0

check "v4only.example resolves (only an A record)" eval \
	"nsx a getent ahostsv4 v4only.example >'$TMPD/getent' && grep -q '$B4' '$TMPD/getent'"
check "... the device had its address when the answer came" eval \
	"[ \"\$(dev_get a dstm0 addr)\" != null ]"
check "... the lease came from the lookup" agent_log a "IPv4 needed \(DNS: v4only.example has an A record and no AAAA\)"
check "bound" agent_wait a bound 1 5
check "idle release (3 s)" agent_wait a released 1 15

snap a1 a dstm0
snap t1 tep dstm0
check "no lease: ping -c1 v4only.example is answered" nsx a ping -n -c 1 -W 10 v4only.example
check "... a lease again, from the lookup" agent_wait a bound 2 5
check "... nothing was held in the kernel (queued +0)" eq "$(delta a1 a dstm0 stats.queued)" 0
check "... no spoofed or lost packet at the TEP" eq \
	"$(delta t1 tep dstm0 drops.spoofed) $(delta t1 tep dstm0 stats.rx_packets)" "0 1"
check "agent stops (exit 0)" agent_stop a 0
check "... and took its address off lo" eval "! ip -n a -4 -o addr show dev lo | grep -q ' $STUB/32 '"

[ "$T_FAIL" = 0 ] || { sed 's/^/# agent: /' "$TMPD/agent.a.log" | tail -n 25;
	sed 's/^/# upstream: /' "$TMPD/zone.log"; }
topo_done
