#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the seed's worked example, narrated, with the real pieces -
# the dstm module, dstmd and the host agent "dstmctl client" - in network
# namespaces inside one QEMU guest (selftests/vm.sh). Nothing touches a
# real NIC.
#
#   IPv6 DSTM domain 2002:100::/64             IPv4 world 155.54.1.0/24
#
#   host A (ns a)               TEP + dstmd (ns tep)          host B (ns b)
#   a0 2002:100::a/64 -------- ta0 2002:100::1/64
#   dstm0 client, no IPv4       dstm0 tep, local 2002:100::1
#   dstmctl client (agent)      route 1.1.1.0/24 -> dstm0
#                               dstmd: pool 1.1.1.0/24 (range from
#                               1.1.1.120), lease 180 s, programs dstm0
#                               tb0 155.54.1.1/24 ----------- b0 155.54.1.10/24
#
# Part 1 (the seed's examples 1-5): A has no IPv4 address; its first packet
# to B is held by the kernel, which asks the agent (ADDR_NEEDED); the agent
# gets 1.1.1.120 from dstmd over DHCPv4-over-DHCPv6, dstmd maps 1.1.1.120
# to A on the TEP, the held packet leaves inside IPv6 (not lost), B answers
# and the answer comes back through the TEP's mapping.
# Part 2 (examples 6-9): B resolves A's name through dstmd's DNS and starts
# the conversation; dstmd allocates on the query and tells A's agent with a
# Reconfigure. It runs when dstmd has its DNS responder (a "[dns]" section
# passes "dstmd --check"), and says "skipped" otherwise.
#
# Each step prints the commands as a person would type them, what they
# show (leases, the TEP's mapping, captures, counters), and checks what it
# claims ("ok: ..."). Add a step: write a function step_NAME and list it
# in STEPS.
#
#   bash scripts/demo.sh [vm.sh options]   on the host (make demo: after the
#                                          build); boots a VM and runs there
# Exit status: 0 if every step worked, 1 if one failed (vm.sh's own
# status if the VM could not run it, e.g. 124 or 125).

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

if [ "${DSTM_VM:-}" != 1 ]; then
	for f in "$TOP/tools/dstmctl/dstmctl" "$TOP/tools/dstmd/dstmd" \
		"$TOP/selftests/vm.sh"; do
		if [ ! -e "$f" ]; then
			echo "demo: $f missing: build first (make)" >&2
			exit 1
		fi
	done
	start=$SECONDS
	bash "$TOP/selftests/vm.sh" --timeout 900 "$@" -- bash "$TOP/scripts/demo.sh"
	rc=$?
	echo "demo: exit status $rc after $((SECONDS - start)) s (VM boot included)"
	exit "$rc"
fi

# The scenario tests' helpers: namespaces, veths, JSON counters, waiting.
# shellcheck source=../selftests/lib/topo.sh
. "$TOP/selftests/lib/topo.sh"
# shellcheck source=../selftests/lib/agent.sh
. "$TOP/selftests/lib/agent.sh"

# The seed's addresses (topo.sh's defaults are documentation ranges).
TEP6=2002:100::1
A6=2002:100::a
POOL=1.1.1.0/24
RANGE=1.1.1.120-1.1.1.254
A4=1.1.1.120
B4=155.54.1.10
B4_GW=155.54.1.1
LEASE=180
A_NAME=a.dstm.example
A_FQDN=$A_NAME.   # a full name: without the final dot it is partial (RFC 4704)
ZONE=dstm.example

# Commands are shown as a person would type them: dstmctl and dstmd from
# the PATH (private copies on the guest's tmpfs, see topo.sh).
cp "$DSTMD_BIN" "$TMPD/dstmd" || exit 1
export PATH=$TMPD:$PATH
CONF=/etc/dstm/dstmd.conf
DB=/var/lib/dstm/leases.db
A_STATE=/var/lib/dstm/client-dstm0.state
mkdir -p /etc/dstm /var/lib/dstm

STEPS=(topology tep dstmd agent first_packet lease mapping conversation
	counters dns_name dns_conversation)

# ----------------------------------------------------------- narration

bold=$(tput bold 2>/dev/null || true)
plain=$(tput sgr0 2>/dev/null || true)

say() { printf '%s\n' "$*"; }
title() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
prompt() { printf '%s[%s]#%s %s\n' "$bold" "$1" "$plain" "$2"; }

# run NS CMD...: show the command as typed in that namespace, then run it.
run() {
	local ns=$1
	shift
	prompt "$ns" "$*"
	ip netns exec "$ns" "$@"
}

# run_to FILE NS CMD...: as run, and keep a copy of the output in FILE.
run_to() {
	local f=$1 ns=$2
	shift 2
	prompt "$ns" "$*"
	ip netns exec "$ns" "$@" >"$f" 2>&1
	local rc=$?
	cat "$f"
	return "$rc"
}

# expect "what" CMD...: a claim the demo makes, checked: "ok: what", or
# "FAILED: what" with CMD's output, and the step fails.
expect() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		say "  ${bold}ok:${plain} $desc"
		return 0
	fi
	say "  ${bold}FAILED:${plain} $desc"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /' | tail -n 30
	return 1
}

# Packet captures: cap_start NAME NS IF FILTER starts tcpdump in NS and
# waits until its filter is in place; cap_stop NAME stops it (after the
# packets have had time to arrive) and shows what it saw.
declare -A CAP_PID CAP_CMD
cap_start() {
	local name=$1 ns=$2 ifc=$3 filter=$4 f=$TMPD/cap.$1
	CAP_CMD[$name]="$ns|tcpdump -ni $ifc -v '$filter'"
	: >"$f.err"
	# -K: veths leave checksums to "hardware"; tcpdump would call them bad.
	ip netns exec "$ns" timeout 120 tcpdump -l -U -K -ni "$ifc" -v "$filter" \
		>"$f" 2>"$f.err" &
	CAP_PID[$name]=$!
	TOPO_PIDS+=("$!")
	wait_for 30 grep -q 'listening on' "$f.err" || { cat "$f.err"; return 1; }
}
cap_stop() {
	local name=$1 cmd=${CAP_CMD[$1]}
	sleep 0.5
	kill -INT "${CAP_PID[$name]}" 2>/dev/null
	wait "${CAP_PID[$name]}" 2>/dev/null
	prompt "${cmd%%|*}" "${cmd#*|}"
	cat "$TMPD/cap.$name"
}

# The agent's log without its JSON events (those are for the checks).
# start_agent NAME: A's agent, JSON events and log in $TMPD/agent.NAME.log
# (agent.sh's agent_start, with the command shown and a state file of
# A's: its DUID and the server's Reconfigure Key outlive a restart).
start_agent() {
	local cmd="dstmctl -j client dstm0 server $TEP6 fqdn $A_FQDN state-file $A_STATE"
	prompt a "$cmd &"
	# shellcheck disable=SC2086
	bglog "$TMPD/agent.$1.log" ip netns exec a $cmd
	AGENT_PID[$1]=$BG_PID
	wait_for 20 grep -q '"event":"ready"' "$TMPD/agent.$1.log" || {
		cat "$TMPD/agent.$1.log"
		return 1
	}
}

# agent_says NAME [FROM-LINE]
agent_says() { sed -n "${2:-1},\$p" "$TMPD/agent.$1.log" | grep -v '^{'; }
lines() { wc -l <"$1"; }

# dstmd's DNS responder (worked example 6-9) landed if dstmd accepts a
# [dns] section.
dns_supported() {
	{
		echo "[server]"
		echo "listen = ::1"
		echo "lease-db = $TMPD/probe.db"
		echo "[pool main]"
		echo "range = $RANGE"
		echo "tep = $TEP6"
		echo "[dns]"
		echo "zone = $ZONE"
	} >"$TMPD/probe.conf"
	dstmd -c "$TMPD/probe.conf" --check >/dev/null 2>&1
}
DNS=0
dns_supported && DNS=1

# --------------------------------------------------------------- steps

step_topology() {
	say "Three network namespaces: host A and the TEP (with dstmd) in the"
	say "IPv6-only DSTM domain 2002:100::/64, host B out in the IPv4 world."
	topo_modprobe || return 1
	ns_add a && ns_add tep && ns_add b || return 1
	veth a a0 tep ta0 && veth tep tb0 b b0 || return 1
	addr6 a a0 "$A6/64" && addr6 tep ta0 "$TEP6/64" || return 1
	addr4 tep tb0 "$B4_GW/24" && addr4 b b0 "$B4/24" &&
		ip -n b route add default via "$B4_GW" || return 1
	run a ip -br addr show &&
		run tep ip -br addr show &&
		run b ip -br addr show &&
		run b ip route || return 1
	say "Host A has no IPv4 address at all (lo's 127.0.0.1 aside); the IPv6"
	say "path to the TEP works:"
	prompt a "ping -c 1 $TEP6"
	nsx a ping -c 1 -W 5 "$TEP6" | grep -E 'bytes from|transmitted' &&
		expect "A has no global IPv4 address" \
			eq "$(ip -n a -4 -o addr show scope global | wc -l)" 0
}

step_tep() {
	say "The TEP: a dstm device in tep mode on $TEP6, the pool $POOL"
	say "routed into it. Its mappings will come from dstmd, one per lease."
	say "It routes IPv4, and sends no ICMP redirects: packets from host to"
	say "host through the TEP (hairpinning) leave by the device they came in"
	say "on, and the kernel would answer each with a redirect, meaningless"
	say "behind a tunnel."
	run tep ip link add dstm0 type dstm &&
		run tep dstmctl set dstm0 mode tep local "$TEP6" &&
		run tep ip link set dstm0 up &&
		run tep ip route add "$POOL" dev dstm0 &&
		run tep sysctl -w net.ipv4.ip_forward=1 \
			net.ipv4.conf.all.send_redirects=0 \
			net.ipv4.conf.default.send_redirects=0 &&
		run tep dstmctl map show dstm0 &&
		expect "the TEP has no mapping yet" eq "$(dev_get tep dstm0 map_count)" 0
}

step_dstmd() {
	say "dstmd, the DSTM server, next to the TEP: it hands out the pool over"
	say "DHCPv4-over-DHCPv6 (RFC 7341) and programs the TEP's dstm0 with"
	say "every lease. The range starts at 1.1.1.120 (1.1.1.1-119 are kept"
	say "for other uses), so the first host gets 1.1.1.120."
	[ "$DNS" = 0 ] || say "It also answers for the zone $ZONE (DNS, on :: - IPv4 queriers too)."
	{
		echo "[server]"
		echo "listen = $TEP6"
		echo "lease-db = $DB"
		echo "dhcp4o6-server = $TEP6"
		echo
		echo "[pool main]"
		echo "range = $RANGE"
		echo "lease-time = $LEASE"
		echo "tep = $TEP6"
		echo "tep-device = dstm0"
		if [ "$DNS" = 1 ]; then
			echo
			echo "[dns]"
			echo "zone = $ZONE"
			echo "listen = ::"
			echo "port = 53"
			echo "on-demand-wait = 5"
		fi
	} >"$CONF"
	prompt tep "cat $CONF"
	cat "$CONF"
	prompt tep "dstmd -c $CONF &"
	bglog "$TMPD/dstmd.log" ip netns exec tep dstmd -c "$CONF"
	DSTMD_PID=$BG_PID
	wait_for 20 grep -q serving "$TMPD/dstmd.log" || {
		cat "$TMPD/dstmd.log"
		return 1
	}
	sed 's/^/  /' "$TMPD/dstmd.log"
	run tep dstmd -c "$CONF" --leases &&
		expect "no lease yet" eq "$(dstmd -c "$CONF" --leases -j)" "[]"
}

step_agent() {
	say "Host A: a dstm device in client mode, and the host agent. The agent"
	say "routes IPv4 into dstm0 with no address yet, and waits for the"
	say "kernel to say that a packet needs one. It registers A's name"
	say "($A_NAME) with the server when it asks for a lease."
	run a ip link add dstm0 type dstm &&
		run a dstmctl set dstm0 mode client || return 1
	# Kernel events on both sides, to show them with the first packet.
	bglog "$TMPD/mon.a" ip netns exec a dstmctl monitor
	MON_A=$BG_PID
	bglog "$TMPD/mon.tep" ip netns exec tep dstmctl monitor
	MON_TEP=$BG_PID
	start_agent a || return 1
	agent_says a
	run a ip -4 route &&
		run a dstmctl show dstm0 | sed -n '1,8p' &&
		expect "A's dstm0 has no IPv4 address" eq "$(dev_get a dstm0 addr)" null &&
		expect "IPv4 goes to dstm0 (on-demand default route)" \
			contains - "^default" <<<"$(routes4 a)"
}

step_first_packet() {
	say "A pings B. The kernel holds the echo request (A has no address)"
	say "and multicasts ADDR_NEEDED; the agent asks dstmd (Information-"
	say "request, then DHCPv4 DISCOVER/REQUEST inside DHCPV4-QUERY), dstmd"
	say "stores the lease and maps it on the TEP, the agent configures"
	say "dstm0, and the held echo request leaves - the first packet is not"
	say "lost. On the TEP's link to A we capture the DHCP exchange and the"
	say "4over6 packets (IPv6 next header 4 around IPv4):"
	AG_LINE=$(($(lines "$TMPD/agent.a.log") + 1))
	snap a0 a dstm0
	cap_start six tep ta0 'udp port 547 or udp port 546 or ip6 proto 4' &&
		cap_start four tep tb0 'icmp' || return 1
	run_to "$TMPD/ping1" a ping -n -c 1 -W 20 "$B4"
	local rc=$? t
	t=$(sed -n 's/.* time=\([0-9.]* ms\).*/\1/p' "$TMPD/ping1")
	[ -z "$t" ] || say "(The first echo request's round trip, $t, includes the allocation.)"
	echo
	cap_stop six
	say "(msgtype-20/21: DHCPV4-QUERY/RESPONSE, RFC 7341, each carrying a DHCPv4"
	say "message in opt_87: DISCOVER/OFFER, then REQUEST/ACK.)"
	echo
	say "On the TEP's IPv4 side, B's link: plain IPv4 from and to $A4:"
	cap_stop four
	kill "$MON_A" "$MON_TEP" 2>/dev/null
	wait "$MON_A" "$MON_TEP" 2>/dev/null
	say "The kernel's events on A (the held packet asks for an address) and on"
	say "the TEP (dstmd adds the lease's mapping), from dstmctl monitor:"
	prompt a "dstmctl monitor"
	cat "$TMPD/mon.a"
	prompt tep "dstmctl monitor"
	cat "$TMPD/mon.tep"
	echo
	say "What the agent logged:"
	agent_says a "$AG_LINE"
	expect "the first echo request was answered" test "$rc" = 0 || return 1
	expect "A's kernel asked for an address for $B4 (ADDR_NEEDED)" \
		contains "$TMPD/mon.a" "addr-needed dstm0 dst $B4" &&
		expect "the TEP got the mapping from dstmd" \
			contains "$TMPD/mon.tep" "map-new dstm0 .*$A4" || return 1
	expect "the agent got a lease" agent_wait a bound 1 5 || return 1
	say "  (the allocation took $(agent_field a bound acquire_ms) ms, putting it in place $(agent_field a bound configure_ms) ms)"
	expect "A got $A4" eq "$(agent_field a bound addr)" "$A4" &&
		expect "... from TEP $TEP6, for $LEASE s" eq \
			"$(agent_field a bound tep) $(agent_field a bound lease)" "$TEP6 $LEASE" &&
		expect "the kernel held one packet and asked once (ADDR_NEEDED)" eq \
			"$(delta a0 a dstm0 stats.queued) $(delta a0 a dstm0 stats.addr_needed)" "1 1" &&
		expect "the held packet was sent, not dropped (queue drops 0)" eq \
			"$(delta a0 a dstm0 drops.queue_timeout) $(delta a0 a dstm0 drops.queue_full)" "0 0" &&
		expect "the allocation went over DHCPv6 on the wire" \
			contains "$TMPD/cap.six" "$A6\.546 > $TEP6\.547" &&
		expect "the first echo request (seq 1) went 4over6 from $A6 to $TEP6" \
			contains "$TMPD/cap.six" "$A6 > $TEP6: IP .*" &&
		expect "... carrying $A4 > $B4" \
			contains "$TMPD/cap.six" "$A4 > $B4: ICMP echo request, id [0-9]+, seq 1," &&
		expect "B saw plain IPv4 from $A4" \
			contains "$TMPD/cap.four" "$A4 > $B4: ICMP echo request" &&
		expect "B's answer went back 4over6 from $TEP6 to $A6" \
			contains "$TMPD/cap.six" "$TEP6 > $A6: IP .*" &&
		expect "... carrying $B4 > $A4" \
			contains "$TMPD/cap.six" "$B4 > $A4: ICMP echo reply, id [0-9]+, seq 1,"
}

step_lease() {
	say "The lease, in dstmd's store (written before the ACK went out), and"
	say "on host A:"
	run tep dstmd -c "$CONF" --leases &&
		dstmd -c "$CONF" --leases -j >"$TMPD/leases.json" || return 1
	run a ip -4 addr show dev dstm0 &&
		run a ip -4 route &&
		run a dstmctl show dstm0 | sed -n '1,8p' || return 1
	expect "dstmd's store: $A4 leased to $A6" eq \
		"$(jq -r '.[0] | "\(.ipv4) \(.ipv6)"' "$TMPD/leases.json")" "$A4 $A6" &&
		expect "A's dstm0: address $A4, TEP $TEP6" eq \
			"$(dev_get a dstm0 addr) $(dev_get a dstm0 tep)" "$A4 $TEP6" &&
		expect "$A4/32 is on A's dstm0" eq "$(addr4_on a "$A4")" 1
}

step_mapping() {
	say "The TEP's mapping, programmed by dstmd with the lease's lifetime:"
	say "B's answer to $A4 took the route $POOL -> dstm0, and the mapping"
	say "$A4 -> $A6 gave it its IPv6 destination. One packet each way:"
	run_to "$TMPD/map" tep dstmctl map show dstm0 || return 1
	expect "the TEP maps $A4 to $A6" eq "$(map_get tep dstm0 "$A4" ipv6)" "$A6" &&
		expect "... for the lease's $LEASE s (at most)" \
			between "$(map_get tep dstm0 "$A4" expires)" 60 "$LEASE" &&
		expect "... it carried the echo request and the reply" eq \
			"$(map_get tep dstm0 "$A4" rx_packets) $(map_get tep dstm0 "$A4" tx_packets)" "1 1"
}

step_conversation() {
	say "A keeps talking to B, and B pings A's IPv4 address: every packet"
	say "to $A4 finds the mapping. The lease is in place, nothing waits."
	snap c0 tep dstm0
	run a ping -n -c 3 -i 0.2 -W 2 "$B4" &&
		run b ping -n -c 3 -i 0.2 -W 2 "$A4" || return 1
	expect "6 echo requests and 6 replies went through the mapping" eq \
		"$(map_delta c0 tep dstm0 "$A4" 0 rx_packets) $(map_delta c0 tep dstm0 "$A4" 0 tx_packets)" \
		"6 6" || return 1
	say "And a TCP connection from A to a server on B (100 kB each way):"
	prompt b "nettool tcp-server $B4 8080 &"
	prompt a "nettool tcp-client $B4 8080 100000"
	tcp_echo a b "$B4" 8080 100000 >"$TMPD/tcp" 2>&1
	local rc=$?
	cat "$TMPD/tcp"
	expect "A -> B over TCP: the data came back unchanged" test "$rc" = 0
}

step_counters() {
	say "The devices' counters: the TEP dropped nothing (no spoofed source,"
	say "no packet without a mapping); A's kernel held exactly one packet."
	run tep dstmctl show dstm0 &&
		run a dstmctl show dstm0 | sed -n '/^  mode/p;/stats:/,$p' || return 1
	expect "TEP: no drops of any kind" eq "$(drops_other tep dstm0)" 0 &&
		expect "A: no drops of any kind" eq "$(drops_other a dstm0)" 0 &&
		expect "A: one packet was ever held, one ADDR_NEEDED" eq \
			"$(dev_get a dstm0 stats.queued) $(dev_get a dstm0 stats.addr_needed)" "1 1"
}

dns_skipped() {
	[ "$DNS" = 1 ] && return 1
	say "skipped: dstmd has no DNS responder yet (it refuses a [dns] section)"
	return 0
}

# Part 2: A gives its address back (its agent restarts); B looks
# A's name up through dstmd's DNS: dstmd reserves an address, maps it on
# the TEP and sends A's agent a Reconfigure; the agent takes the address
# and dstmd answers B with it.
A4_DNS=
step_dns_name() {
	dns_skipped && return 0
	say "Part 2: B starts the conversation. First A gives its address back:"
	say "its agent stops (SIGTERM: RELEASE), then starts again with no lease"
	say "(it would also give the lease back after 300 s without IPv4 traffic)."
	prompt a "kill -TERM ${AGENT_PID[a]}    # the agent"
	agent_stop a 0 || return 1
	agent_says a | tail -n 2
	expect "A's agent released the lease" agent_log a "released $A4" || return 1
	start_agent a2 || return 1
	agent_says a2
	run tep dstmd -c "$CONF" --leases &&
		run tep dstmctl map show dstm0 || return 1
	expect "no lease" wait_eq 5 "[]" dstmd -c "$CONF" --leases -j &&
		expect "no mapping" wait_eq 5 0 dev_get tep dstm0 map_count &&
		expect "A has no IPv4 address" eq "$(dev_get a dstm0 addr)" null || return 1
	say "A's name stays registered (the agent sent it in its FQDN option) and"
	say "B can see A's IPv6 address:"
	run_to "$TMPD/dig6" b dig +short @"$B4_GW" AAAA "$A_NAME" || return 1
	expect "AAAA $A_NAME is A's IPv6 address" eq "$(cat "$TMPD/dig6")" "$A6" || return 1
	say "B asks dstmd's DNS for A's IPv4 address. A has none: dstmd reserves"
	say "one, maps it on the TEP, sends A's agent a Reconfigure (authenticated"
	say "with the key it gave A), waits for A to take the address, then answers:"
	AG_LINE=$(($(lines "$TMPD/agent.a2.log") + 1))
	DD_LINE=$(($(lines "$TMPD/dstmd.log") + 1))
	cap_start dhcp tep ta0 'udp port 547 or udp port 546' || return 1
	run_to "$TMPD/dig" b dig +time=10 +tries=1 @"$B4_GW" A "$A_NAME" || return 1
	say "Meanwhile on the TEP's link to A: dstmd's Reconfigure, then A's"
	say "exchange (Information-request, DISCOVER/OFFER, REQUEST/ACK):"
	cap_stop dhcp
	say "What the agent logged:"
	agent_says a2 "$AG_LINE"
	if [ "$(sed -n "$DD_LINE,\$p" "$TMPD/dstmd.log" | wc -l)" != 0 ]; then
		say "What dstmd logged:"
		sed -n "$DD_LINE,\$p" "$TMPD/dstmd.log"
	fi
	A4_DNS=$(awk -v n="$A_NAME." '$1 == n && $4 == "A" { print $5; exit }' "$TMPD/dig")
	local ttl
	ttl=$(awk -v n="$A_NAME." '$1 == n && $4 == "A" { print $2; exit }' "$TMPD/dig")
	expect "dstmd answered with an address of the pool: $A4_DNS" \
		contains - '^1\.1\.1\.[0-9]+$' <<<"$A4_DNS" &&
		expect "dstmd sent A a Reconfigure" \
			contains "$TMPD/cap.dhcp" "$TEP6\.547 > $A6\.546: .*dhcp6 reconf" &&
		expect "A's agent found it authentic" agent_wait a2 reconfigure 1 10 &&
		expect "... and took the lease" agent_wait a2 bound 1 10 &&
		expect "A's dstm0 has $A4_DNS" eq "$(dev_get a dstm0 addr)" "$A4_DNS" &&
		expect "the TEP maps $A4_DNS to $A6" eq "$(map_get tep dstm0 "$A4_DNS" ipv6)" "$A6" &&
		expect "the answer's TTL ($ttl s) is within the lease" le "$ttl" "$LEASE"
}

step_dns_conversation() {
	dns_skipped && return 0
	say "B talks to A by the address it got: ping, then TCP to a server on A."
	say "A answers through the TEP; the TEP's link carries it all inside IPv6:"
	snap d0 tep dstm0
	cap_start six tep ta0 'ip6 proto 4' || return 1
	run b ping -n -c 3 -i 0.2 -W 2 "$A4_DNS"
	local rc=$?
	cap_stop six | head -n 5
	expect "B's pings were answered" test "$rc" = 0 || return 1
	prompt a "nettool tcp-server $A4_DNS 8080 &"
	prompt b "nettool tcp-client $A4_DNS 8080 100000"
	tcp_echo b a "$A4_DNS" 8080 100000 >"$TMPD/tcp" 2>&1
	rc=$?
	cat "$TMPD/tcp"
	expect "B -> A over TCP: the data came back unchanged" test "$rc" = 0 || return 1
	run tep dstmctl map show dstm0 || return 1
	run tep dstmd -c "$CONF" --leases || return 1
	expect "B's echo requests went 4over6 to A" \
		contains "$TMPD/cap.six" "$TEP6 > $A6: IP .*" &&
		expect "... carrying $B4 > $A4_DNS" \
			contains "$TMPD/cap.six" "$B4 > $A4_DNS: ICMP echo request" &&
		expect "A's replies came back 4over6" \
			contains "$TMPD/cap.six" "$A4_DNS > $B4: ICMP echo reply" &&
		expect "the mapping carried it all (at least 3 pings and the TCP each way)" \
			ge "$(map_delta d0 tep dstm0 "$A4_DNS" 0 rx_packets)" 6 &&
		expect "TEP: no drops of any kind" eq "$(drops_other tep dstm0)" 0
}

# ---------------------------------------------------------------- main

if [ "$DNS" = 1 ]; then
	say "dstmd has its DNS responder: the demo plays both parts."
else
	say "dstmd has no DNS responder yet: part 2 (B starts) will be skipped."
fi
n=0
t0=$SECONDS
for s in "${STEPS[@]}"; do
	n=$((n + 1))
	title "Step $n/${#STEPS[@]}: ${s//_/ }"
	if ! "step_$s"; then
		printf '\n%sdemo: step "%s" failed%s\n' "$bold" "${s//_/ }" "$plain" >&2
		say "--- agent logs (last 30 lines)"
		tail -n 30 "$TMPD"/agent.*.log 2>/dev/null
		say "--- dstmd log (last 30 lines)"
		tail -n 30 "$TMPD/dstmd.log" 2>/dev/null
		exit 1
	fi
done
if [ "$DNS" = 1 ]; then
	title "Done ($((SECONDS - t0)) s): host A (IPv6 only) got $A4 from dstmd with its first packet to IPv4 host B, and $A4_DNS when B looked its name up; both ways through the TEP."
else
	title "Done ($((SECONDS - t0)) s): host A (IPv6 only, $A4 on loan from dstmd) and IPv4 host B talked both ways through the TEP. (Part 2, B resolving A's name, skipped: dstmd has no DNS responder yet.)"
fi
exit 0
