#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host agent against ISC Kea 2.2's DHCPv4-over-DHCPv6 pair (kea-dhcp6
# + kea-dhcp4 paired by dhcp4o6-port, memfile leases under the test's tmp
# dir) in the TEP's namespace.  The agent is given no server: it finds
# Kea by multicast (ff02::1:2 on a0, from a's global address); Kea's Reply
# names the TEP (OPTION_S46_CONT_LW/OPTION_S46_BR) and its DHCP4o6
# address (option 88), where DISCOVER/REQUEST and the renewal (unicast
# flag) go.  Kea does not program our TEP: the test maps the lease
# statically, and a reaches B through the tunnel.  Renewal at T1 (Kea's
# renew-timer 5 s), then SIGTERM: RELEASE, and Kea frees the lease.
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/agent.sh"

if ! command -v kea-dhcp6 >/dev/null || ! command -v kea-dhcp4 >/dev/null; then
	echo "# SKIP $TEST_NAME: kea-dhcp4-server / kea-dhcp6-server not installed (scripts/deps.sh)"
	exit 4
fi
KEA_POOL="198.51.100.100 - 198.51.100.110"

kea_conf() {
	cat >"$TMPD/kea-dhcp6.json" <<-EOF
	{ "Dhcp6": {
	  "interfaces-config": { "interfaces": [ "ta0/$A6_GW" ] },
	  "dhcp4o6-port": 6767,
	  "data-directory": "$TMPD",
	  "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "0102", "persist": false },
	  "lease-database": { "type": "memfile", "persist": true, "name": "$TMPD/kea-dhcp6.leases", "lfc-interval": 0 },
	  "option-data": [
	    { "name": "dhcp4o6-server-addr", "data": "$A6_GW" },
	    { "name": "s46-cont-lw", "space": "dhcp6" },
	    { "name": "s46-br", "space": "s46-cont-lw-options", "data": "$TEP6" }
	  ],
	  "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "interface": "ta0" } ],
	  "loggers": [ { "name": "kea-dhcp6", "output_options": [ { "output": "$TMPD/kea-dhcp6.log" } ], "severity": "INFO" } ]
	} }
	EOF
	cat >"$TMPD/kea-dhcp4.json" <<-EOF
	{ "Dhcp4": {
	  "interfaces-config": { "interfaces": [ "ta0" ], "dhcp-socket-type": "udp" },
	  "dhcp4o6-port": 6767,
	  "lease-database": { "type": "memfile", "persist": true, "name": "$TMPD/kea-dhcp4.leases", "lfc-interval": 0 },
	  "valid-lifetime": 20, "renew-timer": 5, "rebind-timer": 15,
	  "subnet4": [ { "id": 1, "subnet": "198.51.100.0/24", "4o6-interface": "ta0",
	      "pools": [ { "pool": "$KEA_POOL" } ] } ],
	  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "$TMPD/kea-dhcp4.log" } ], "severity": "INFO" } ]
	} }
	EOF
}

# kea-dhcp4 answers DHCPv4-over-DHCPv6 only on an interface it serves
# itself (with another one in its list the answers never leave): ta0, with
# an IPv4 address of its own for kea-dhcp4's socket.
kea_start() {
	addr4 tep ta0 203.0.113.1/32 || return 1
	kea_conf || return 1
	export KEA_LOCKFILE_DIR=$TMPD KEA_PIDFILE_DIR=$TMPD
	bglog "$TMPD/kea-dhcp4.out" ip netns exec tep kea-dhcp4 -c "$TMPD/kea-dhcp4.json"
	bglog "$TMPD/kea-dhcp6.out" ip netns exec tep kea-dhcp6 -c "$TMPD/kea-dhcp6.json"
	# (the message goes to stdout or, once configured, to the log file)
	wait_for 30 eval "cat '$TMPD'/kea-dhcp6.* | grep -q DHCP6_STARTED && cat '$TMPD'/kea-dhcp4.* | grep -q DHCP4_STARTED" ||
		{ tail -n 5 "$TMPD"/kea-dhcp*.out "$TMPD"/kea-dhcp*.log; return 1; }
}

# kea_lease ADDR: the lease's line in Kea's memfile with a state of 0
# (default) and a valid lifetime; "released" Kea writes with
# valid_lifetime 0 (or state 2).
kea_lease_live() {
	awk -F, -v a="$1" '$1 == a { last = $0 } END { print last }' "$TMPD/kea-dhcp4.leases" |
		awk -F, '{ print ($4 > 0 && $10 == 0) ? "live" : "gone" }'
}

check "standard topology" topo_standard
# Kea joins ff02::1:2 on ta0 from its link-local address: wait for DAD.
check "ta0 has its link-local address" wait_for 10 eval \
	"ip -n tep -6 addr show dev ta0 scope link | grep -v tentative | grep -q fe80"
check "kea-dhcp4 and kea-dhcp6 start (dhcp4o6)" kea_start
check "a: client device" client_dev a
check "a's link-local address is ready" wait_for 10 eval \
	"ip -n a -6 addr show dev a0 scope link | grep -v tentative | grep -q fe80"
check "agent on a, no server: multicast" agent_start a a acquire now idle 0
check "a lease from Kea" agent_wait a bound 1 30
ADDR=$(agent_field a bound addr)
check "in Kea's pool ($ADDR)" eval "[[ '$ADDR' == 198.51.100.1[01][0-9] ]]"
check "the TEP Kea named" eq "$(agent_field a bound tep)" "$TEP6"
check "Kea's Reply was found by multicast" agent_log a "Reply: TEP $TEP6, DHCP4o6 server $A6_GW"
check "device and interface are configured" eq \
	"$(dev_get a dstm0 addr) $(dev_get a dstm0 tep) $(dev_get a dstm0 local) $(addr4_on a "$ADDR")" \
	"$ADDR $TEP6 $A6 1"
check "Kea stored the lease (memfile)" eq "$(kea_lease_live "$ADDR")" live
check "the TEP is mapped statically ($ADDR -> a)" map_add tep dstm0 ipv4 "$ADDR" ipv6 "$A6"
check "ping a -> B through the tunnel" ping_all a "$B4"
check "TCP a -> B" tcp_echo a b "$B4" 7001 8192
check "renewed at T1 by Kea" agent_wait a renewed 1 15
check "same address after renewal" eq "$(agent_field a renewed addr)" "$ADDR"
check "agent stops (exit 0)" agent_stop a 0
check "it released the lease" agent_log a "released $ADDR"
check "Kea freed the lease" wait_eq 5 gone kea_lease_live "$ADDR"
check "the host is deconfigured" eq "$(dev_get a dstm0 addr) $(ip -n a -4 -o addr show dev dstm0 | wc -l)" "null 0"

if [ "$T_FAIL" != 0 ]; then
	sed 's/^/# agent: /' "$TMPD/agent.a.log" | tail -n 20
	tail -n 15 "$TMPD/kea-dhcp6.log" "$TMPD/kea-dhcp4.log" 2>/dev/null | sed 's/^/# /'
fi
topo_done
