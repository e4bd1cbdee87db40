#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two hosts (a, c) share one IPv4 address by port set, each with its own
# agent, against dstmd (pool of one address, psid-len 1 or 2).  Each host
# must only use its own ports, so that the TEP's anti-spoofing never drops
# its traffic:
#
#   - non-contiguous set (offset 6, RFC 7597: 63 ranges of 512 ports):
#     nftables SNAT maps every flow (and ping identifiers) into the set,
#     even two flows from the same fixed port on both hosts;
#   - contiguous set (offset 0): ip_local_port_range is the set, and SNAT
#     catches fixed ports and ping identifiers.
#
# UDP, TCP and ping from both hosts reach B, every source port B sees is
# in the sender's set, drops.spoofed stays 0; stopping the agents restores
# ip_local_port_range and removes the nftables table.
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/agent.sh"

S4=198.51.100.50

# in_set PORT A K PSID: PORT is in port set PSID of (A, K) (RFC 7597 5.1).
in_set() {
	local port=$1 a=$2 k=$3 psid=$4 m=$((16 - $2 - $3))
	[ "$a" = 0 ] || [ $((port >> (16 - a))) -ne 0 ] || return 1
	[ $(((port >> m) & ((1 << k) - 1))) = "$psid" ]
}

# ports_ok LOG NAME A K: every port B logged for S4 is in NAME's set.
ports_ok() {
	local psid port n=0
	psid=$(agent_field "$2" bound psid)
	for port in $(sed -n "s/^$S4:\([0-9]*\) .*/\1/p" "$1"); do
		n=$((n + 1))
		in_set "$port" "$3" "$4" "$psid" ||
			{ echo "port $port is not in PSID $psid's set ($3/$4)"; return 1; }
	done
	[ "$n" -gt 0 ] || { echo "no ports from $S4 in $1"; return 1; }
	echo "$n ports, all in PSID $psid's set"
}

# ct_flows NS: the tracked IPv4 flows whose replies go to S4 (the shared
# address), i.e. the flows the host's SNAT translated to its port set.
ct_flows() { nsx "$1" conntrack -L -f ipv4 --reply-dst "$S4" 2>/dev/null | grep -c . ; }
nft_table() { nsx "$1" nft list table ip dstm_client_dstm0 >/dev/null 2>&1 && echo yes || echo no; }
port_range() { nsx "$1" sysctl -n net.ipv4.ip_local_port_range | tr -s '\t ' ' '; }

check "standard topology with a second client" topo_standard c
check "a: client device" client_dev a
check "c: client device" client_dev c
RANGE_A=$(port_range a)

phase() { # NAME OFFSET K
	local name=$1 a=$2 k=$3 pa pc
	say "--- $name: psid-offset $a, psid-len $k"
	dstmd_conf "range = $S4-$S4" "psid-len = $k" "psid-offset = $a" "lease-time = 60"
	rm -f "$TMPD"/leases.db*
	check "$name: dstmd starts" dstmd_start
	check "$name: agent on a" agent_start "a$name" a server "$TEP6" acquire now idle 0
	check "$name: agent on c" agent_start "c$name" c server "$TEP6" acquire now idle 0
	check "$name: a bound" agent_wait "a$name" bound 1 30
	check "$name: c bound" agent_wait "c$name" bound 1 30
	pa=$(agent_field "a$name" bound psid)
	pc=$(agent_field "c$name" bound psid)
	check "$name: both have $S4, PSIDs differ ($pa, $pc)" eq \
		"$(agent_field "a$name" bound addr) $(agent_field "c$name" bound addr) $([ "$pa" != "$pc" ] && echo differ)" \
		"$S4 $S4 differ"
	check "$name: a's device has the port set" eq \
		"$(dev_get a dstm0 psid_offset)/$(dev_get a dstm0 psid_len)/$(dev_get a dstm0 psid)" "$a/$k/$pa"
	check "$name: the TEP maps both PSIDs" eq \
		"$(map_get tep dstm0 "$S4" "$pa" ipv6) $(map_get tep dstm0 "$S4" "$pc" ipv6)" "$A6 $C6"
	check "$name: SNAT table on a and c" eq "$(nft_table a) $(nft_table c)" "yes yes"
	if [ "$a" = 0 ]; then
		# (above ip_unprivileged_port_start: PSID 0's set starts at 0)
		check "$name: a's ip_local_port_range is in its set" eval \
			"r=\$(port_range a); set -- \$r; in_set \$1 $a $k $pa && in_set \$2 $a $k $pa || { echo \"\$r\"; false; }"
		check "$name: c's ip_local_port_range is in its set" eval \
			"r=\$(port_range c); set -- \$r; in_set \$1 $a $k $pc && in_set \$2 $a $k $pc || { echo \"\$r\"; false; }"
	fi

	snap "t$name" tep dstm0
	rm -f "$TMPD/udp.$name"
	check "$name: UDP echo server on B" udp_server b "$B4" 7000 6 "udp.$name"
	check "$name: UDP a -> B (ephemeral port)" nettool a udp-client "$B4" 7000
	check "$name: UDP c -> B (ephemeral port)" nettool c udp-client "$B4" 7000
	check "$name: UDP a:5000 -> B (fixed port)" nettool a udp-client "$B4" 7000 --sport 5000
	check "$name: UDP c:5000 -> B (same fixed port)" nettool c udp-client "$B4" 7000 --sport 5000
	check "$name: UDP a:40000 -> B" nettool a udp-client "$B4" 7000 --sport 40000
	check "$name: UDP c:40000 -> B" nettool c udp-client "$B4" 7000 --sport 40000
	check "$name: B saw 6 datagrams from $S4" eq "$(grep -c "^$S4:" "$TMPD/udp.$name")" 6
	sed -n '1~2p' "$TMPD/udp.$name" >"$TMPD/udp.$name.a"
	sed -n '2~2p' "$TMPD/udp.$name" >"$TMPD/udp.$name.c"
	check "$name: every port of a's datagrams is in a's set" ports_ok "$TMPD/udp.$name.a" "a$name" "$a" "$k"
	check "$name: every port of c's datagrams is in c's set" ports_ok "$TMPD/udp.$name.c" "c$name" "$a" "$k"
	check "$name: TCP a -> B, 16 KiB each way" tcp_echo a b "$B4" 7001 16384
	check "$name: a's TCP port is in its set" ports_ok "$TMPD/tcp.7001" "a$name" "$a" "$k"
	check "$name: TCP c -> B, 16 KiB each way" tcp_echo c b "$B4" 7002 16384
	check "$name: c's TCP port is in its set" ports_ok "$TMPD/tcp.7002" "c$name" "$a" "$k"
	check "$name: ping a -> B" ping_all a "$B4"
	check "$name: ping c -> B" ping_all c "$B4"
	check "$name: the TEP dropped nothing as spoofed" eq "$(delta "t$name" tep dstm0 drops.spoofed)" 0
	check "$name: nor for want of a mapping" eq "$(delta "t$name" tep dstm0 drops.no_mapping)" 0

	check "$name: a and c track their translated flows" eval \
		"[ \$(ct_flows a) -gt 0 ] && [ \$(ct_flows c) -gt 0 ]"
	check "$name: agent a stops (exit 0)" agent_stop "a$name" 0
	check "$name: agent c stops (exit 0)" agent_stop "c$name" 0
	check "$name: SNAT tables removed" eq "$(nft_table a) $(nft_table c)" "no no"
	# (else the next lease's flows from the same fixed ports would keep
	# this lease's translation: spoofed for the TEP)
	check "$name: the translated flows are forgotten" eq "$(ct_flows a) $(ct_flows c)" "0 0"
	check "$name: a's ip_local_port_range restored" eq "$(port_range a)" "$RANGE_A"
	check "$name: mappings gone" wait_eq 5 "missing missing" eval \
		"echo \$(map_get tep dstm0 $S4 $pa ipv6) \$(map_get tep dstm0 $S4 $pc ipv6)"
	dstmd_stop
}

phase noncontig 6 1
phase contig 0 2

if [ "$T_FAIL" != 0 ]; then
	for f in "$TMPD"/agent.*.log; do
		sed "s|^|# $(basename "$f" .log): |" "$f" | tail -n 15
	done
fi
topo_done
