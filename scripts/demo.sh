#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the seed's worked example, narrated, in network namespaces
# inside one QEMU guest (selftests/vm.sh). Nothing touches a real NIC.
#
#   IPv6 DSTM domain 2002:100::/64          IPv4 world 155.54.1.0/24
#
#   host A (ns dstm-a)        TEP (ns dstm-tep)              host B (ns dstm-b)
#   a0 2002:100::a  -------- ta0 2002:100::1/64
#   dstm0 client              dstm0 tep, local 2002:100::1
#     1.1.1.120/32              pool 1.1.1.0/24 -> dstm0
#     default dev dstm0       tb0 155.54.1.1/24 ----------- b0 155.54.1.10/24
#
# Host A holds the IPv4 address 1.1.1.120 from the pool (lease 180 s): the
# TEP maps 1.1.1.120 -> 2002:100::a and A's dstm0 sends to TEP 2002:100::1.
# For now that allocation is configured by hand with dstmctl; when dstmd and
# the host agent land, step "allocate" becomes DHCPv4-over-DHCPv6 and the
# rest stays. Add a step: write a function step_NAME and list it in STEPS.
#
#   bash scripts/demo.sh [vm.sh options]   on the host (make demo: after the
#                                          build); boots a VM and runs there
# Exit status: 0 if every step worked, 1 if one failed (vm.sh's own
# status if the VM could not run it, e.g. 125).

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

if [ "${DSTM_VM:-}" != 1 ]; then
	for f in "$TOP/tools/dstmctl/dstmctl" "$TOP/selftests/vm.sh"; do
		if [ ! -x "$f" ] && [ ! -f "$f" ]; then
			echo "demo: $f missing: build first (make)" >&2
			exit 1
		fi
	done
	exec bash "$TOP/selftests/vm.sh" "$@" -- bash "$TOP/scripts/demo.sh"
fi

# Commands are shown as a person would type them: dstmctl from the PATH.
export PATH=$TOP/tools/dstmctl:$PATH
DSTMCTL=dstmctl
TEP6=2002:100::1
A6=2002:100::a
POOL=1.1.1.0/24
A4=1.1.1.120
B4=155.54.1.10
B4_GW=155.54.1.1
LEASE=180
NS_A=dstm-a
NS_TEP=dstm-tep
NS_B=dstm-b

STEPS=(topology tep allocate show ping_a_to_b ping_b_to_a mapping)

TMPD=$(mktemp -d /tmp/dstm-demo.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "$NS_A" "$NS_TEP" "$NS_B"; do ip netns del "$p" 2>/dev/null; done
	rm -rf "$TMPD"
}
trap cleanup EXIT

# ----------------------------------------------------------- narration

bold=$(tput bold 2>/dev/null || true)
plain=$(tput sgr0 2>/dev/null || true)

say() { printf '%s\n' "$*"; }
title() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

# run NS CMD...: show the command as typed in that namespace, then run it.
run() {
	local ns=$1
	shift
	printf '%s[%s]#%s %s\n' "$bold" "${ns#dstm-}" "$plain" "$*"
	ip netns exec "$ns" "$@"
}

# run_to FILE NS CMD...: as run, and keep a copy of the output in FILE.
run_to() {
	local f=$1 ns=$2
	shift 2
	printf '%s[%s]#%s %s\n' "$bold" "${ns#dstm-}" "$plain" "$*"
	ip netns exec "$ns" "$@" >"$f" || return 1
	cat "$f"
}

# quiet NS CMD...: plumbing the reader need not see; its output only if it fails.
quiet() {
	local ns=$1 out
	shift
	out=$(ip netns exec "$ns" "$@" 2>&1) && return 0
	printf '%s\n' "$out" >&2
	return 1
}


# --------------------------------------------------------------- steps

step_topology() {
	say "Three network namespaces: host A and the TEP in the IPv6-only DSTM"
	say "domain 2002:100::/64, host B out in the IPv4 world."
	modprobe dstm || return 1
	local ns
	for ns in "$NS_A" "$NS_TEP" "$NS_B"; do
		ip netns add "$ns" || return 1
		quiet "$ns" ip link set lo up || return 1
		quiet "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
	done
	ip link add a0 netns "$NS_A" type veth peer name ta0 netns "$NS_TEP" &&
		ip link add tb0 netns "$NS_TEP" type veth peer name b0 netns "$NS_B" ||
		return 1
	ip -n "$NS_A" -b - <<-EOF || return 1
		link set a0 up
		addr add $A6/64 dev a0 nodad
	EOF
	ip -n "$NS_TEP" -b - <<-EOF || return 1
		link set ta0 up
		addr add $TEP6/64 dev ta0 nodad
		link set tb0 up
		addr add $B4_GW/24 dev tb0
	EOF
	ip -n "$NS_B" -b - <<-EOF || return 1
		link set b0 up
		addr add $B4/24 dev b0
		route add default via $B4_GW
	EOF
	quiet "$NS_TEP" sysctl -qw net.ipv4.ip_forward=1 || return 1
	run "$NS_A" ip -br addr show dev a0 &&
		run "$NS_TEP" ip -br addr show &&
		run "$NS_B" ip -br addr show dev b0 || return 1
	say "Host A has no IPv4 at all yet; the IPv6 path to the TEP works:"
	run "$NS_A" ping -c 1 -W 2 "$TEP6" | grep -E 'bytes from|transmitted'
}

step_tep() {
	say "The TEP: a dstm device in tep mode on $TEP6; the pool $POOL is"
	say "routed into it, and IPv4 forwarding is on."
	run "$NS_TEP" ip link add dstm0 type dstm &&
		run "$NS_TEP" "$DSTMCTL" set dstm0 mode tep local "$TEP6" &&
		run "$NS_TEP" ip link set dstm0 up &&
		run "$NS_TEP" ip route add "$POOL" dev dstm0
}

step_allocate() {
	say "Host A gets $A4 from the pool for $LEASE s. (Today by hand; dstmd and"
	say "the host agent will do this over DHCPv4-over-DHCPv6.) The TEP learns"
	say "the mapping $A4 -> $A6, and A's client device learns its address"
	say "and its TEP."
	run "$NS_TEP" "$DSTMCTL" map add dstm0 ipv4 "$A4" ipv6 "$A6" lifetime "$LEASE" &&
		run "$NS_A" ip link add dstm0 type dstm &&
		run "$NS_A" "$DSTMCTL" set dstm0 mode client tep "$TEP6" addr "$A4" &&
		run "$NS_A" ip addr add "$A4/32" dev dstm0 &&
		run "$NS_A" ip link set dstm0 up &&
		run "$NS_A" ip route add default dev dstm0
}

step_show() {
	say "Both ends, as dstmctl shows them:"
	run "$NS_A" "$DSTMCTL" show dstm0 && echo &&
		run "$NS_TEP" "$DSTMCTL" show dstm0
}

step_ping_a_to_b() {
	say "A pings B. On the IPv6 underlay (the TEP's ta0) the packets are IPv6,"
	say "next header 4 (IPIP), carrying A's IPv4 packet from $A4 to $B4:"
	local cap=$TMPD/tcpdump.out n=0
	# Only next header 4: neighbour discovery on the link is IPv6 too.
	ip netns exec "$NS_TEP" timeout 60 tcpdump -l -ni ta0 -c 2 -v 'ip6 proto 4' \
		>"$cap" 2>"$cap.err" &
	PIDS+=($!)
	local tpid=$!
	# tcpdump says "listening on" once its filter is in place.
	until grep -q 'listening on' "$cap.err" 2>/dev/null; do
		sleep 0.2
		n=$((n + 1))
		if [ "$n" -gt 150 ] || ! kill -0 "$tpid" 2>/dev/null; then
			cat "$cap.err" >&2
			return 1
		fi
	done
	run "$NS_A" ping -c 3 -W 2 "$B4" || return 1
	wait "$tpid" || { cat "$cap.err" >&2; return 1; }
	printf "%s[tep]#%s tcpdump -ni ta0 -c 2 -v 'ip6 proto 4'\n" "$bold" "$plain"
	cat "$cap"
	grep -q "$A6 > $TEP6" "$cap" && grep -q "$A4 > $B4" "$cap" &&
		grep -q "$TEP6 > $A6" "$cap" && grep -q "$B4 > $A4" "$cap" || {
		say "demo: the capture does not show both directions encapsulated" >&2
		return 1
	}
}

step_ping_b_to_a() {
	say "B pings A's IPv4 address: the TEP finds $A4 in its mappings and"
	say "sends the packets inside IPv6 to $A6."
	run "$NS_B" ping -c 3 -W 2 "$A4"
}

step_mapping() {
	say "The TEP's mapping, with what it carried each way and the time left:"
	run "$NS_TEP" "$DSTMCTL" map show dstm0 &&
		run_to "$TMPD/map.json" "$NS_TEP" "$DSTMCTL" -j map show dstm0 || return 1
	echo
	# 6 packets each way: 3 echo requests and 3 replies per ping run.
	jq -e '.[0] | .tx_packets == 6 and .rx_packets == 6' "$TMPD/map.json" >/dev/null || {
		say "demo: expected 6 packets each way on the mapping" >&2
		return 1
	}
}

# ---------------------------------------------------------------- main

n=0
for s in "${STEPS[@]}"; do
	n=$((n + 1))
	title "Step $n/${#STEPS[@]}: ${s//_/ }"
	if ! "step_$s"; then
		printf '\n%sdemo: step "%s" failed%s\n' "$bold" "${s//_/ }" "$plain" >&2
		exit 1
	fi
done
title "Done: host A (IPv6 only, $A4 on loan) and IPv4 host B talked both ways through the TEP."
exit 0
