#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host agent's security: client authentication and Reconfigure.
#
#   1. dstmd requires authentication: the agent with "key KEYID FILE"
#      signs every message (HMAC-SHA-256, replay counter) and gets a
#      lease; restarted with the same state file it is accepted again
#      (the counter it persisted is never reused); a wrong secret or no
#      key gets nothing, the agent gives up within its timeout and says
#      so, and dstmd logs the rejection.
#   2. Reconfigure (the DNS extension's "A is informed"): the agent holds
#      the Reconfigure Key dstmd gave it (kept in its state file across a
#      restart).  A forged Reconfigure (another key), one without
#      authentication, and one for another DUID are rejected and logged;
#      the authentic one makes the idle host run the exchange and take a
#      lease; replaying it is rejected.
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/agent.sh"

SECRET=00112233445566778899aabbccddeeff0123456789abcdef
printf '%s\n' "$SECRET" >"$TMPD/host-a.key"
printf '%s\n' ffeeddccbbaa99887766554433221100 >"$TMPD/wrong.key"
chmod 600 "$TMPD"/*.key
RECONF="python3 -I -S $TOPO_LIB/reconfigure.py"

dstmd_conf "range = 198.51.100.10-198.51.100.19" "lease-time = 120"
printf '[auth]\nrequire = yes\nkey = host-a %s\n' "$SECRET" >>"$TMPD/dstmd.conf"

duid() { sed -n 's/^duid //p' "$TMPD/agent.a.state"; }
replay() { sed -n 's/^replay //p' "$TMPD/agent.$1.state"; }
reconf() { nsx tep $RECONF "$A6" "$@"; }

check "standard topology" topo_standard
check "dstmd starts (authentication required)" dstmd_start
check "a: client device" client_dev a

# --- 1. authentication
check "agent with the key" agent_start a a server "$TEP6" key host-a "$TMPD/host-a.key" acquire now idle 0
check "authenticated: bound" agent_wait a bound 1 20
check "ping a -> B" ping_all a "$B4"
R1=$(replay a)
check "the state file reserves replay counters ($R1)" ge "${R1:-0}" 1
check "agent stops (exit 0)" agent_stop a 0
check "the release was accepted: no lease left" wait_eq 5 "[]" dstmd_leases
check "restarted with the same state file" agent_start a a server "$TEP6" key host-a "$TMPD/host-a.key" acquire now idle 0
check "accepted again: no replay counter reused" agent_wait a bound 1 20
check "the reservation moved on" ge "$(replay a)" "$((R1 + 1))"
check "agent stops" agent_stop a 0
check "no replay rejected by dstmd" not grep -q "replayed message" "$TMPD/dstmd.log"

check "agent with a wrong secret" agent_start bad a server "$TEP6" key host-a "$TMPD/wrong.key" acquire now idle 0 timeout 3
check "... gets no lease and says so within its timeout" agent_wait bad failed 1 15
check "... the failure names what got no answer" agent_log bad "no lease: no answer to Information-request from $TEP6"
check "... dstmd logged the bad HMAC" contains "$TMPD/dstmd.log" "bad HMAC from $A6 for key 'host-a'"
check "... and nothing was configured" eq "$(dev_get a dstm0 addr)" null
check "agent stops" agent_stop bad 0
check "agent without a key" agent_start nokey a server "$TEP6" acquire now idle 0 timeout 3
check "... gets no lease" agent_wait nokey failed 1 15
check "... dstmd logged the unauthenticated message" contains "$TMPD/dstmd.log" "unauthenticated message from $A6 dropped"
check "agent stops" agent_stop nokey 0

# --- 2. Reconfigure: the idle host (same state file: same DUID and key)
check "agent a restarts, on demand (idle: no lease)" agent_start a2 a server "$TEP6" key host-a "$TMPD/host-a.key" idle 0 state-file "$TMPD/agent.a.state"
check "it kept the Reconfigure Key" grep -q "^reconf-key " "$TMPD/agent.a.state"
check "dstmd has the client's key" eval "[ -n \"\$(duid)\" ]"
check "a forged Reconfigure (another key) is sent" reconf "$(duid)" --key 000102030405060708090a0b0c0d0e0f
check "... rejected: wrong HMAC" agent_wait a2 reconfigure_rejected 1 10
check "... logged" agent_log a2 "Reconfigure from .* rejected: wrong HMAC \(forged\)"
check "a Reconfigure without authentication is sent" reconf "$(duid)" --no-auth
check "... rejected" agent_wait a2 reconfigure_rejected 2 10
check "a Reconfigure for another DUID (right key) is sent" reconf "$(duid)" --db "$TMPD/leases.db" --as-duid 000400112233445566778899aabbccddee00
check "... rejected" agent_wait a2 reconfigure_rejected 3 10
check "the host did not act on any of them" eq "$(agent_events a2 acquiring) $(dev_get a dstm0 addr)" "0 null"
check "the authentic Reconfigure (dstmd's key) is sent" reconf "$(duid)" --db "$TMPD/leases.db" --save "$TMPD/reconf.bin"
check "... accepted" agent_wait a2 reconfigure 1 10
check "... the host runs the exchange and takes a lease" agent_wait a2 bound 1 20
ADDR=$(agent_field a2 bound addr)
check "... the TEP maps it ($ADDR)" eq "$(map_get tep dstm0 "$ADDR" ipv6)" "$A6"
check "ping a -> B" ping_all a "$B4"
check "the same Reconfigure replayed" reconf x --load "$TMPD/reconf.bin"
check "... rejected as a replay" agent_wait a2 reconfigure_rejected 4 10
check "... logged" agent_log a2 "rejected: replayed"
check "agent stops (exit 0)" agent_stop a2 0

if [ "$T_FAIL" != 0 ]; then
	for f in "$TMPD"/agent.*.log "$TMPD/dstmd.log"; do
		sed "s|^|# $(basename "$f" .log): |" "$f" | tail -n 15
	done
fi
topo_done
