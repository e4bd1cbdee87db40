#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Mapping lifetimes are enforced by the kernel: a mapping added with
# lifetime 3 carries traffic, disappears 3 s later with a MAP_EXPIRED event
# that "dstmctl monitor" prints, and traffic then stops and is counted
# (no_mapping one way, spoofed the other). "map replace" renews a mapping
# before it runs out, and lifetime 0 makes it permanent.
#
# Times come from the monitor's output, watched every 0.1 s, not from
# polling the table (a dstmctl call can take a second under emulation).
. "$(dirname "$0")/lib/topo.sh"

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# event_after FROM_MS MAX_MS N REGEX: wait until the monitor has printed
# N lines matching REGEX; print when (ms after FROM_MS).
event_after() {
	local from=$1 max=$2 n=$3 re=$4 t
	while :; do
		t=$(($(now_ms) - from))
		if [ "$(grep -Ec -- "$re" "$TMPD/monitor")" -ge "$n" ]; then
			echo "$t"
			return 0
		fi
		if [ "$t" -ge "$max" ]; then
			echo "no $n x /$re/ after $t ms; monitor says:"
			cat "$TMPD/monitor"
			return 1
		fi
		sleep 0.1
	done
}

EXPIRED="^map-expired dstm0 ipv4 $A4 "

check "standard topology" topo_standard
check "client a ($A4)" client_setup a "$A6" "$TEP6" "$A4"
bglog "$TMPD/monitor" ctl tep monitor
MONITOR=$BG_PID
sleep 1 # let the monitor subscribe

# --- Expiry.
t0=$(now_ms)
check "map add $A4 lifetime 3" map_add tep dstm0 ipv4 "$A4" ipv6 "$A6" lifetime 3
t1=$(now_ms)
check "ping a -> B while mapped" ping_all a "$B4" -c 1
check "monitor: map-new with lifetime 3" event_after "$(now_ms)" 5000 1 \
	"^map-new dstm0 ipv4 $A4 ipv6 $A6 lifetime 3( |$)"
check "map-expired printed within 3 s + slack" event_after "$t0" $((t1 - t0 + 5000)) 1 "$EXPIRED"
took=$(head -n1 "$TMPD/last.out")
# The kernel counts jiffies, the test the guest's clock; under emulation on
# a busy host the two drift apart by a few hundred ms in 3 s.
check "... not long before 3 s (it came $took ms after the add)" ge "$took" 2000
check "the mapping is gone from the table" eq "$(map_get tep dstm0 "$A4" ipv6)" missing
check "map count back to 0" eq "$(dev_get tep dstm0 map_count)" 0

snap t1 tep dstm0
check "ping B -> a fails once expired" ping_none b "$A4"
check "B was told: host unreachable" contains "$TMPD/last.out" "Destination Host Unreachable"
check "TEP drops.no_mapping +3 (B -> a)" eq "$(delta t1 tep dstm0 drops.no_mapping)" 3
check "ping a -> B fails once expired" ping_none a "$B4"
check "TEP drops.spoofed +3 (a's source no longer mapped)" eq \
	"$(delta t1 tep dstm0 drops.spoofed)" 3

# --- Renewal: replace with a longer lifetime before the first runs out.
# (Lifetimes long enough that a slow emulator cannot make the replace
# come too late.)
expired() { grep -Ec -- "$EXPIRED" "$TMPD/monitor"; }
t0=$(now_ms)
check "map add $A4 lifetime 10" map_add tep dstm0 ipv4 "$A4" ipv6 "$A6" lifetime 10
check "map replace $A4 lifetime 20 (at once)" \
	ctl tep map replace dstm0 ipv4 "$A4" ipv6 "$A6" lifetime 20
check "monitor: map-new for the replace, lifetime 20" event_after "$(now_ms)" 5000 1 \
	"^map-new dstm0 ipv4 $A4 ipv6 $A6 lifetime 20( |$)"
check "map show: lifetime 20, expires in more than 10 s" eq \
	"$(map_get tep dstm0 "$A4" lifetime) $(ge "$(map_get tep dstm0 "$A4" expires)" 11 >/dev/null && echo ok)" "20 ok"
left=$((t0 + 11500 - $(now_ms)))
[ "$left" -le 0 ] || sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
check "11.5 s after the add (past the first lifetime): not expired" eq "$(expired)" 1
check "ping B -> a works on the renewed mapping" ping_all b "$A4" -c 1

# --- A replace shortens it just as well; then it goes when due.
t0=$(now_ms)
check "map replace $A4 lifetime 2" ctl tep map replace dstm0 ipv4 "$A4" ipv6 "$A6" lifetime 2
t1=$(now_ms)
check "map-expired about 2 s after the replace" event_after "$t0" $((t1 - t0 + 5000)) 2 "$EXPIRED"
took=$(head -n1 "$TMPD/last.out")
check "... not long before ($took ms after it)" ge "$took" 1300

# --- Lifetime 0 by replace: permanent.
t0=$(now_ms)
check "map add lifetime 8, then replace lifetime 0" eval "
	map_add tep dstm0 ipv4 $A4 ipv6 $A6 lifetime 8 &&
	ctl tep map replace dstm0 ipv4 $A4 ipv6 $A6 lifetime 0"
left=$((t0 + 9500 - $(now_ms)))
[ "$left" -le 0 ] || sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
check "still there 9.5 s later, permanent (lifetime 0, no expiry)" eq \
	"$(map_get tep dstm0 "$A4" lifetime) $(map_get tep dstm0 "$A4" expires)" "0 null"
check "no third map-expired" eq "$(expired)" 2
check "map del" ctl tep map del dstm0 ipv4 "$A4"
check "monitor printed map-del" event_after "$(now_ms)" 3000 1 "^map-del dstm0 ipv4 $A4 "
check "monitor is still running" kill -0 "$MONITOR"

topo_done
