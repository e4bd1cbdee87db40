#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dstmd programs a real dstm TEP: the server runs in the TEP's namespace
# on the TEP address, client a (namespace a) runs the DHCP4o6 exchange with
# dstmd-load, and the lease's mapping appears in "dstmctl -j map show" with
# the lease's lifetime and a's IPv6 address; with the leased address on a's
# client device, a reaches B through the tunnel.  Renewal extends the
# mapping, release removes it.  A kill -9 and restart keeps the lease and
# reconciles the TEP (a lost mapping is re-added, a stale one removed).
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"

T=$TOPO_TOP/tools/dstmd
cp "$T/dstmd" "$T/dstmd-load" "$TMPD/" || { echo "# FAIL: make -C tools first"; exit 1; }
DSTMD=$TMPD/dstmd
LOAD=$TMPD/dstmd-load
LEASE=40

cat >"$TMPD/dstmd.conf" <<CONF
[server]
listen = $TEP6
lease-db = $TMPD/leases.db
sync = normal
dhcp4o6-server = $TEP6
reconcile-interval = 0
[pool main]
prefix = $POOL
lease-time = $LEASE
tep = $TEP6
tep-device = dstm0
CONF

# dstmd's own pid (not a wrapper's): kill -9 must hit the server.
start_dstmd() {
	rm -f "$TMPD/dstmd.pid"
	bglog "$TMPD/dstmd.log" ip netns exec tep sh -c \
		'echo $$ >"$1"; exec "$2" -c "$3" -d' sh "$TMPD/dstmd.pid" \
		"$DSTMD" "$TMPD/dstmd.conf"
	wait_for 20 grep -q serving "$TMPD/dstmd.log" || return 1
	DSTMD_PID=$(cat "$TMPD/dstmd.pid")
}
lease_of() { # the leased address in dstmd-load -v output
	sed -n 's/^client 0: \([0-9.]*\) psid.*/\1/p' "$TMPD/last.out"
}
mapped() { map_get tep dstm0 "$ADDR" "$1"; }

check "standard topology" topo_standard
check "dstmd starts in the TEP's namespace" start_dstmd
check "client a: Information-request, DISCOVER/OFFER, REQUEST/ACK" \
	nsx a "$LOAD" -s "$TEP6" -n 1 -v -t 2000 --expect-br "$TEP6"
ADDR=$(lease_of)
check "a leased an address of the pool ($ADDR)" eval "[[ '$ADDR' == 198.51.100.* ]]"
check "the mapping is on the TEP" eq "$(mapped ipv6)" "$A6"
check "with the lease's lifetime ($LEASE)" eq "$(mapped lifetime)" "$LEASE"
check "and expires within it" le "$(mapped expires)" "$LEASE"
check "dstmd --leases -j lists it" eval \
	"'$DSTMD' --leases --db '$TMPD/leases.db' -j | grep -q '\"ipv4\":\"$ADDR\",\"psid\":0,\"state\":\"bound\",\"ipv6\":\"$A6\"'"

check "a's client device gets the leased address" client_setup a "$A6" "$TEP6" "$ADDR"
check "a reaches B through the TEP with its lease" ping_all a "$B4" -c 2

sleep 4
before=$(mapped expires)
check "renewal (REQUEST with ciaddr) is ACKed" \
	nsx a "$LOAD" -s "$TEP6" -n 1 -t 2000 --only-renew "$ADDR"
after=$(mapped expires)
check "renewal extends the mapping ($before -> $after s left)" ge "$after" $((${before//[^0-9]/} + 3))

# kill -9, lose the mapping and gain a stale one while dstmd is down
kill -9 "$DSTMD_PID"
wait "$DSTMD_PID" 2>/dev/null
check "mapping deleted behind dstmd's back" ctl tep map del dstm0 ipv4 "$ADDR"
check "stale mapping added in the pool" map_add tep dstm0 ipv4 198.51.100.200 ipv6 2001:db8:1::99
check "dstmd restarts after kill -9" start_dstmd
check "reconciled: the lease's mapping is back" wait_eq 5 "$A6" mapped ipv6
check "reconciled: the stale mapping is gone" wait_eq 5 missing \
	map_get tep dstm0 198.51.100.200 ipv6
check "the same client gets the same address after the restart" \
	nsx a "$LOAD" -s "$TEP6" -n 1 -v -t 2000
check "same address" eq "$(lease_of)" "$ADDR"

check "release is sent" nsx a "$LOAD" -s "$TEP6" -n 1 --only-release "$ADDR"
check "release removes the mapping" wait_eq 5 missing mapped ipv6
check "and the lease" eval "! '$DSTMD' --leases --db '$TMPD/leases.db' | grep -q '$ADDR'"
check "a cannot reach B any more" ping_none a "$B4"

check "garbage to dstmd does not kill it" eval \
	"nsx a python3 -c \"import socket;s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);[s.sendto(bytes([20,0,0,0,0,87,255,255])+bytes(i),('$TEP6',547)) for i in range(200)]\" && sleep 1 && kill -0 $DSTMD_PID"
kill "$DSTMD_PID"
check "dstmd stops cleanly on SIGTERM" wait_for 10 eval "! kill -0 $DSTMD_PID"
[ "$T_FAIL" = 0 ] || sed 's/^/# dstmd: /' "$TMPD/dstmd.log" | tail -30
topo_done
