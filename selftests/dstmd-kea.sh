# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by test_dstmd_kea.sh and bench_dstmd.sh: two network namespaces
# joined by a veth pair, a DHCP server side (namespace $DK_SRV, interface
# k0, 2001:db8:4::1/64, 192.0.2.1/24) and a client side (namespace
# $DK_CL, interface c0, 2001:db8:4::2/64), and the servers to put on the
# server side: ISC Kea's dhcp4o6 pair (kea-dhcp6 + kea-dhcp4 over their
# IPC port, memfile leases persisted) or dstmd.  Clients send to
# ff02::1:2%c0, as real ones do (Kea drops unicast Information-requests).
# Only addresses of the documentation ranges, only inside the namespaces.

DK_SRV=${DK_SRV:-dstmk$$}
DK_CL=${DK_CL:-dstmc$$}
DK_BR=2002:100::1
DK_POOL4=10.20.0.0/16

dk_topo() {
	ip netns add "$DK_SRV" && ip netns add "$DK_CL" || return 1
	ip link add k0 netns "$DK_SRV" type veth peer name c0 netns "$DK_CL" || return 1
	ip -n "$DK_SRV" -b - <<-EOF || return 1
		link set lo up
		link set k0 up
		addr add 2001:db8:4::1/64 dev k0 nodad
		addr add 192.0.2.1/24 dev k0
	EOF
	ip -n "$DK_CL" -b - <<-EOF || return 1
		link set lo up
		link set c0 up
		addr add 2001:db8:4::2/64 dev c0 nodad
	EOF
	# the link-local addresses must finish DAD before clients use them
	local end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		ip -n "$DK_CL" -6 addr show dev c0 | grep -q tentative || return 0
		sleep 0.2
	done
}

dk_topo_del() {
	ip netns del "$DK_SRV" 2>/dev/null
	ip netns del "$DK_CL" 2>/dev/null
	return 0
}

# dk_kea_conf DIR: kea-dhcp6.json and kea-dhcp4.json in DIR.
dk_kea_conf() {
	local d=$1
	cat >"$d/kea-dhcp6.json" <<-EOF
	{ "Dhcp6": {
	  "interfaces-config": { "interfaces": [ "k0" ] },
	  "dhcp4o6-port": 6767,
	  "data-directory": "$d",
	  "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "0102", "persist": false },
	  "lease-database": { "type": "memfile", "persist": true, "name": "$d/kea-dhcp6.leases", "lfc-interval": 0 },
	  "option-data": [
	    { "name": "dhcp4o6-server-addr", "data": "2001:db8:4::1" },
	    { "name": "s46-cont-lw", "space": "dhcp6" },
	    { "name": "s46-br", "space": "s46-cont-lw-options", "data": "$DK_BR" }
	  ],
	  "subnet6": [ { "id": 1, "subnet": "2001:db8:4::/64", "interface": "k0" } ],
	  "loggers": [ { "name": "kea-dhcp6", "output_options": [ { "output": "$d/kea-dhcp6.log" } ], "severity": "WARN" } ]
	} }
	EOF
	cat >"$d/kea-dhcp4.json" <<-EOF
	{ "Dhcp4": {
	  "interfaces-config": { "interfaces": [ "k0" ], "dhcp-socket-type": "udp" },
	  "dhcp4o6-port": 6767,
	  "lease-database": { "type": "memfile", "persist": true, "name": "$d/kea-dhcp4.leases", "lfc-interval": 0 },
	  "valid-lifetime": 3600,
	  "subnet4": [ { "id": 1, "subnet": "$DK_POOL4", "4o6-interface": "k0",
	      "pools": [ { "pool": "10.20.0.1 - 10.20.255.254" } ] } ],
	  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "$d/kea-dhcp4.log" } ], "severity": "WARN" } ]
	} }
	EOF
}

# dk_kea_start DIR: both daemons in the server namespace; sets DK_KEA_PIDS.
dk_kea_start() {
	local d=$1
	dk_kea_conf "$d" || return 1
	rm -f "$d"/kea-dhcp*.log "$d"/kea-dhcp*.leases*
	export KEA_LOCKFILE_DIR=$d KEA_PIDFILE_DIR=$d
	ip netns exec "$DK_SRV" kea-dhcp4 -c "$d/kea-dhcp4.json" >"$d/kea-dhcp4.out" 2>&1 &
	DK_KEA_PIDS="$!"
	ip netns exec "$DK_SRV" kea-dhcp6 -c "$d/kea-dhcp6.json" >"$d/kea-dhcp6.out" 2>&1 &
	DK_KEA_PIDS="$DK_KEA_PIDS $!"
	# Started = both have logged their last start-up line (the logs are
	# at WARN: per-lease INFO lines would slow Kea down in the bench).
	local end=$((SECONDS + 180))	# slow under TCG: C++, hooks, log4cplus
	while [ "$SECONDS" -lt "$end" ]; do
		grep -q MULTI_THREADING_INFO "$d/kea-dhcp6.log" 2>/dev/null &&
			grep -q MULTI_THREADING_INFO "$d/kea-dhcp4.log" 2>/dev/null &&
			return 0
		sleep 0.5
	done
	echo "kea did not start:"; tail -n 3 "$d"/kea-dhcp*.out
	return 1
}

dk_kea_stop() {
	local p
	# shellcheck disable=SC2086
	for p in ${DK_KEA_PIDS:-}; do kill "$p" 2>/dev/null; done
	for p in ${DK_KEA_PIDS:-}; do wait "$p" 2>/dev/null; done
	DK_KEA_PIDS=
	return 0
}

# dk_dstmd_start DIR DSTMD [SYNC]: dstmd on k0 (joins ff02::1:2), a /16
# pool, the same lease time as Kea; sets DK_DSTMD_PID.
dk_dstmd_start() {
	local d=$1 bin=$2 sync=${3:-full}
	cat >"$d/dstmd.conf" <<-EOF
	[server]
	listen = k0
	lease-db = $d/dstmd.db
	sync = $sync
	rate-limit = 0
	dhcp4o6-server = 2001:db8:4::1
	[pool main]
	prefix = $DK_POOL4
	lease-time = 3600
	tep = $DK_BR
	EOF
	rm -f "$d"/dstmd.db*
	ip netns exec "$DK_SRV" "$bin" -c "$d/dstmd.conf" >"$d/dstmd.log" 2>&1 &
	DK_DSTMD_PID=$!
	local end=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$end" ]; do
		grep -q serving "$d/dstmd.log" 2>/dev/null && return 0
		sleep 0.2
	done
	cat "$d/dstmd.log"
	return 1
}

dk_dstmd_stop() {
	[ -n "${DK_DSTMD_PID:-}" ] || return 0
	kill "$DK_DSTMD_PID" 2>/dev/null
	wait "$DK_DSTMD_PID" 2>/dev/null
	DK_DSTMD_PID=
	return 0
}

# dk_load LOAD-BINARY ARGS...: the client side, to the multicast group.
dk_load() {
	local bin=$1
	shift
	ip netns exec "$DK_CL" "$bin" -s ff02::1:2%c0 -b 546 "$@"
}
