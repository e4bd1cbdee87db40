#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dstmd's DNS extension (DESIGN.md "DNS extension", worked examples 6-9)
# with real clients: dig (bind9-dnsutils) and kdig (knot-dnsutils) in b,
# the IPv4-only namespace, ask dstmd in tep (192.0.2.1, and [TEP6]) about
# the zone dstm.test.; host a runs the real agent (dstmctl client, fqdn
# a.dstm.test.).
#
#   1. the zone: SOA and NS at the apex, NXDOMAIN (SOA in authority),
#      REFUSED outside, AA, names in any case, EDNS (OPT echoed), TC over
#      UDP when the answer does not fit and the whole answer over TCP;
#      malformed messages are counted;
#   2. a registers (Information-request with its FQDN): AAAA; while it
#      holds a lease: A with a TTL no longer than the lease has left;
#      after its release (the agent stops): no A, and the address goes
#      to no one else while that A record may still be cached;
#   3. on demand: b asks for a's A record while a has no lease: dstmd
#      reserves an address, sends a an authenticated Reconfigure, a takes
#      the lease, b gets the A record, pings a and opens TCP to it through
#      the TEP;
#   4. the lease expires (a killed): the A record is gone at the lease's
#      end, the mapping too;
#   5. a forged Reconfigure (wrong key) changes nothing at a;
#   6. a host that never answers: the query waits on-demand-wait, gets
#      NOERROR without an A record (NODATA, SOA in authority), and the
#      reservation and its TEP mapping are given back;
#   7. a reservation survives kill -9 of dstmd (it is in the store).
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/agent.sh"

ZONE=dstm.test.
NS4=192.0.2.1
LEASE=20
WAIT=3
RECONF="python3 -I -S $TOPO_LIB/reconfigure.py"

dstmd_conf "range = 198.51.100.10-198.51.100.19" "lease-time = $LEASE"
{
	echo "[dns]"
	echo "zone = $ZONE"
	echo "listen = ::"
	echo "port = 53"
	echo "ttl = 60"
	echo "negative-ttl = 5"
	echo "on-demand-wait = $WAIT"
	# Twelve long NS names with glue: an NS answer of ~1 KB, for TC.
	for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
		echo "ns = name-server-with-a-rather-long-label-$i.$ZONE 2001:db8:100::$i"
	done
} >>"$TMPD/dstmd.conf"

# dig in b against dstmd; the output in $TMPD/dig.
bdig() { nsx b dig -p 53 "@$NS4" +time=8 +tries=1 "$@" >"$TMPD/dig" 2>&1; cat "$TMPD/dig"; }
bkdig() { nsx b kdig -p 53 "@$NS4" +time=8 +retry=0 "$@" >"$TMPD/dig" 2>&1; cat "$TMPD/dig"; }
status() { grep -o 'status: [A-Z]*' "$TMPD/dig" | head -1 | cut -d' ' -f2; }
# the A record's address and TTL in $TMPD/dig ("" if none)
a_addr() { awk '$4 == "A" && $1 !~ /^;/ { print $5; exit }' "$TMPD/dig"; }
a_ttl() { awk '$4 == "A" && $1 !~ /^;/ { print $2; exit }' "$TMPD/dig"; }
# counter NAME: dstmd's counter (SIGUSR1 logs them), 0 if not there
counter() {
	local before
	before=$(grep -c 'counters:' "$TMPD/dstmd.log")
	kill -USR1 "$DSTMD_PID"
	wait_for 5 eval "[ \$(grep -c 'counters:' '$TMPD/dstmd.log') -gt $before ]"
	grep 'counters:' "$TMPD/dstmd.log" | tail -n 1 | grep -o " $1=[0-9]*" |
		cut -d= -f2 | grep . || echo 0
}
duid() { sed -n 's/^duid //p' "$TMPD/agent.a.state"; }
lease_state() { # IPV4: the store's state of that address ("none")
	dstmd_leases | python3 -c 'import json,sys
a=sys.argv[1]
print(next((l["state"] for l in json.load(sys.stdin) if l["ipv4"] == a), "none"))' "$1"
}

check "standard topology" topo_standard
check "dstmd starts with [dns]" dstmd_start
check "... serves the zone on UDP and TCP" contains "$TMPD/dstmd.log" "DNS: zone $ZONE on \[::\]:53 UDP and TCP"

# --- 1. the zone
check "kdig: SOA at the apex, authoritative" eval "bkdig $ZONE SOA && grep -q 'status: NOERROR' $TMPD/dig && grep -Eq '[Ff]lags: qr aa' $TMPD/dig && grep -Eq '^dstm\.test\.\s+60\s+IN\s+SOA\s+name-server-with-a-rather-long-label-01\.dstm\.test\. hostmaster\.dstm\.test\.' $TMPD/dig"
check "dig: NS at the apex (12, glue in additional, over UDP with EDNS)" eval \
	"bdig $ZONE NS && grep -q 'ANSWER: 12, AUTHORITY: 0, ADDITIONAL: 13' $TMPD/dig && grep -q 'udp: 1232' $TMPD/dig"
check "... a name server's AAAA (glue name in the zone)" eval \
	"bdig +short name-server-with-a-rather-long-label-07.$ZONE AAAA >/dev/null; grep -qx 2001:db8:100::7 $TMPD/dig"
check "NXDOMAIN for an unknown name, SOA in authority, AA" eval \
	"bdig nosuch.$ZONE A && [ \$(status) = NXDOMAIN ] && grep -q 'flags: qr aa' $TMPD/dig && grep -Eq '^dstm\.test\.\s+5\s+IN\s+SOA' $TMPD/dig"
check "kdig: NXDOMAIN too" eval "bkdig nosuch.$ZONE AAAA && grep -q 'status: NXDOMAIN' $TMPD/dig"
check "REFUSED outside the zone, not authoritative" eval \
	"bdig www.example.com A && [ \$(status) = REFUSED ] && ! grep -q 'flags: qr aa' $TMPD/dig"
check "REFUSED for the parent zone" eval "bdig test. SOA && [ \$(status) = REFUSED ]"
check "NODATA at the apex (A): NOERROR, no answer, SOA in authority" eval \
	"bdig $ZONE A && [ \$(status) = NOERROR ] && grep -q 'ANSWER: 0, AUTHORITY: 1' $TMPD/dig"
check "names in any case: DsTm.TeSt SOA, the question's case kept" eval \
	"bdig DsTm.TeSt SOA && [ \$(status) = NOERROR ] && grep -Eq '^DsTm\.TeSt\.\s+60\s+IN\s+SOA' $TMPD/dig"
check "no EDNS in the query: no OPT in the answer" eval \
	"bdig +noedns $ZONE SOA && [ \$(status) = NOERROR ] && ! grep -q 'OPT PSEUDOSECTION' $TMPD/dig"
check "EDNS version 1: BADVERS" eval \
	"bdig +edns=1 +noednsnegotiation $ZONE SOA; grep -q 'status: BADVERS' $TMPD/dig"
check "EDNS buffer 512: the NS answer does not fit, TC set (UDP, +ignore)" eval \
	"bdig +bufsize=512 +ignore $ZONE NS && grep -Eq 'flags: qr aa tc' $TMPD/dig && grep -q 'ANSWER: 0' $TMPD/dig"
check "no EDNS: TC too" eval \
	"bdig +noedns +ignore $ZONE NS && grep -Eq 'flags: qr aa tc' $TMPD/dig"
check "dig falls back to TCP and gets all 12 NS" eval \
	"bdig +bufsize=512 $ZONE NS && grep -q 'Truncated, retrying in TCP mode' $TMPD/dig && grep -q 'ANSWER: 12' $TMPD/dig"
check "dig +tcp: the whole answer" eval "bdig +tcp $ZONE NS && grep -q 'ANSWER: 12, AUTHORITY: 0, ADDITIONAL: 13' $TMPD/dig"
check "kdig +tcp: SOA" eval "bkdig +tcp $ZONE SOA && grep -q 'status: NOERROR' $TMPD/dig && grep -q 'TCP' $TMPD/dig"
M0=$(counter dns_drop_malformed) F0=$(counter dns_formerr) T0=$(counter dns_truncated)
check "the truncations were counted" ge "$T0" 2
check "malformed messages (3 bytes; a header with a bad question)" eval \
	"nsx b python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b\"abc\", (\"$NS4\", 53))
s.sendto(bytes.fromhex(\"1234010000010000000000000568656c6c6f\"), (\"$NS4\", 53))
s.settimeout(3)
r = s.recv(512)
print(r.hex())
assert r[:2] == b\"\\x12\\x34\" and r[3] & 15 == 1, \"not FORMERR\"'"
check "... the short one dropped and counted" wait_eq 5 $((M0 + 1)) counter dns_drop_malformed
check "... the bad question got FORMERR, counted" eq "$(counter dns_formerr)" $((F0 + 1))
check "... dstmd still answers" eval "bdig +short $ZONE SOA >/dev/null; grep -q hostmaster $TMPD/dig"

# --- 2. registration, AAAA, A with a lease
check "a: client device" client_dev a
check "agent a (fqdn a.$ZONE) takes a lease at start" agent_start a a server "$TEP6" fqdn "a.$ZONE" acquire now idle 0
check "... bound" agent_wait a bound 1 20
A4=$(agent_field a bound addr)
check "... it holds a Reconfigure Key" grep -q "^reconf-key " "$TMPD/agent.a.state"
check "AAAA a.$ZONE: the IPv6 address a registered from" eval "bdig +short a.$ZONE AAAA >/dev/null; grep -qx '$A6' $TMPD/dig"
check "AAAA in another case (A.DSTM.TEST)" eval "bdig +short A.DSTM.TEST AAAA >/dev/null; grep -qx '$A6' $TMPD/dig"
check "A a.$ZONE while it has a lease: $A4" eval "bdig a.$ZONE A && [ \"\$(a_addr)\" = '$A4' ]"
check "... TTL no longer than the lease has left (<= $LEASE)" le "$(a_ttl)" "$LEASE"
check "... and not 0" ge "$(a_ttl)" 1
check "agent a stops: it releases its lease" agent_stop a 0
check "the A record is gone with the lease (ANY: AAAA only)" eval \
	"bdig a.$ZONE ANY && grep -q '$A6' $TMPD/dig && [ -z \"\$(a_addr)\" ]"
check "... the address is held back while that A record may be cached (declined)" \
	eq "$(lease_state "$A4")" declined
check "... and unmapped" eq "$(map_get tep dstm0 "$A4" ipv6)" missing
check "... counted" eq "$(counter dns_quarantined)" 1

# --- 3. on demand: B resolves A's name, A is told, takes the lease
# (the agent again, same state file: same DUID and Reconfigure Key; no
# idle release: it keeps the lease through the checks)
check "agent a restarts without a lease" agent_start a a server "$TEP6" fqdn "a.$ZONE" idle 0
snap t1 tep dstm0
check "b: A a.$ZONE while a has no lease -> answered with an address" eval \
	"bdig a.$ZONE A && [ \$(status) = NOERROR ] && [ -n \"\$(a_addr)\" ]"
A4=$(a_addr)
TTL=$(a_ttl)
check "... a got an authentic Reconfigure" agent_wait a reconfigure 1 5
check "... and logged it" agent_log a "Reconfigure from .* \(Information-request\): authentic"
check "... a is bound to the address the answer gave ($A4)" eval \
	"agent_wait a bound 1 5 && [ \"\$(agent_field a bound addr)\" = '$A4' ]"
check "... TTL no longer than the lease ($TTL <= $LEASE)" le "$TTL" "$LEASE"
check "... dstmd counted it" eq "$(counter dns_ondemand_ok)" 1
check "... the store: bound" eq "$(lease_state "$A4")" bound
check "... the TEP maps $A4 to a" eq "$(map_get tep dstm0 "$A4" ipv6)" "$A6" ||
	ctl tep -j map show dstm0
check "b pings a ($A4) through the TEP" ping_all b "$A4"
check "b opens TCP to a: 2000 bytes echoed" tcp_echo b a "$A4" 7777 2000
check "... the TEP encapsulated b's packets to a" ge "$(delta t1 tep dstm0 stats.tx_packets)" 6
check "... and took a's answers" ge "$(delta t1 tep dstm0 stats.rx_packets)" 6

# --- 4. lease expiry: the A record goes before the address can be reused
check "a killed (-9): no release" agent_stop a 137 KILL
check "the A record is there until the lease ends" eval "bdig a.$ZONE ANY && [ \"\$(a_addr)\" = '$A4' ]"
check "... with a TTL that ends with the lease" le "$(a_ttl)" "$LEASE"
EXP_TTL=$(a_ttl)
check "the lease expires" wait_eq $((LEASE + 5)) none lease_state "$A4"
check "... the A record with it (ANY: AAAA only)" eval \
	"bdig a.$ZONE ANY && grep -q '$A6' $TMPD/dig && [ -z \"\$(a_addr)\" ]"
check "... the mapping with it" eq "$(map_get tep dstm0 "$A4" ipv6)" missing
check "... dstmd counted the expiry" ge "$(counter expired)" 1
say "A TTL at the kill: ${EXP_TTL}s (lease $LEASE s)"

# --- 5. a forged Reconfigure changes nothing
check "agent a again (same state: DUID, key), no lease" agent_start a a server "$TEP6" fqdn "a.$ZONE" idle 0
check "a forged Reconfigure (another key) to a" nsx tep $RECONF "$A6" "$(duid)" --key 000102030405060708090a0b0c0d0e0f
check "... rejected by a" agent_wait a reconfigure_rejected 1 10
check "... logged: wrong HMAC" agent_log a "Reconfigure from .* rejected: wrong HMAC \(forged\)"
sleep 1
check "... a did nothing: no Information-request, no lease" eq \
	"$(agent_events a acquiring) $(agent_events a bound) $(agent_events a reconfigure)" "0 0 0"
check "a Reconfigure without authentication: rejected too" eval \
	"nsx tep $RECONF '$A6' '$(duid)' --no-auth && agent_wait a reconfigure_rejected 2 10"

# --- 6. a host that never answers
check "agent a stops (the host is gone, its registration stays)" agent_stop a 0
TO0=$(counter dns_ondemand_timeout)
T=$SECONDS
check "A a.$ZONE: NOERROR without an A record after the wait (NODATA)" eval \
	"bdig a.$ZONE A && [ \$(status) = NOERROR ] && grep -q 'ANSWER: 0, AUTHORITY: 1' $TMPD/dig && grep -Eq '^dstm\.test\.\s+5\s+IN\s+SOA' $TMPD/dig"
check "... after on-demand-wait ($WAIT s)" ge $((SECONDS - T)) $((WAIT - 1))
check "... counted as a timeout" eq "$(counter dns_ondemand_timeout)" $((TO0 + 1))
check "... Reconfigures were sent" ge "$(counter reconfigure_tx)" 3
check "... the reservation was given back: no lease, no reservation" wait_eq 5 "[]" dstmd_leases
check "... no mapping left on the TEP" eq "$(ctl tep -j map show dstm0)" "[]"
check "... logged" contains "$TMPD/dstmd.log" "a.$ZONE did not take its lease in ${WAIT}000 ms: reservation released"

# --- 7. a reservation is durable: kill -9 of dstmd while it waits (a
# longer wait here, so that the emulator cannot eat it)
WAIT7=20
cp "$TMPD/dstmd.log" "$TMPD/dstmd.log.1"
check "dstmd restarts with on-demand-wait = $WAIT7" eval \
	"dstmd_stop && cp '$TMPD/dstmd.log' '$TMPD/dstmd.log.1' && sed -i 's/^on-demand-wait = .*/on-demand-wait = $WAIT7/' '$TMPD/dstmd.conf' && dstmd_start"
nsx b dig -p 53 "@$NS4" +time=30 +tries=1 a.$ZONE A >"$TMPD/dig.held" 2>&1 &
DIGPID=$!
check "held query: the reservation is stored" wait_for 10 eval "dstmd_leases | grep -q reserved"
R4=$(dstmd_leases | python3 -c 'import json,sys; print([l["ipv4"] for l in json.load(sys.stdin) if l["state"] == "reserved"][0])')
check "... and mapped on the TEP to a" eq "$(map_get tep dstm0 "$R4" ipv6)" "$A6"
check "... its lifetime there ends with the reservation (<= $((WAIT7 + 2)) s)" le "$(map_get tep dstm0 "$R4" lifetime)" $((WAIT7 + 2))
kill -9 "$DSTMD_PID"
check "dstmd killed (-9) while the query was held" wait_for 10 eval "! kill -0 $DSTMD_PID 2>/dev/null"
kill "$DIGPID" 2>/dev/null
wait "$DIGPID" 2>/dev/null
check "dstmd restarts" dstmd_start
check "... the reservation of $R4 is still there (handed to no one)" eq "$(lease_state "$R4")" reserved
check "... until it expires" wait_eq $((WAIT7 + 10)) none lease_state "$R4"
check "... with its mapping" wait_eq 5 missing map_get tep dstm0 "$R4" ipv6

check "dstmd stops cleanly" dstmd_stop
check "no sanitizer/crash output from dstmd" not grep -Eqi "runtime error|AddressSanitizer|segfault" "$TMPD/dstmd.log"
[ "$T_FAIL" = 0 ] || { sed 's/^/# dstmd (first run): /' "$TMPD/dstmd.log.1" | tail -n 80;
	sed 's/^/# dstmd: /' "$TMPD/dstmd.log" | tail -n 40;
	sed 's/^/# agent: /' "$TMPD/agent.a.log" | tail -n 25; }
topo_done
