#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# time_ondemand.sh [--kernel V] [-t TRIALS] [--pcap] [--strace] [--perf]
#                  [--compare TOOLS-DIR [-r ROUNDS]] [-o DIR]
#
# Where the time of an on-demand A answer goes (issue 5: "under 50 ms in
# the VM"), in one QEMU guest (selftests/vm.sh, TCG, 2 vCPUs): the
# standard topology of lib/topo.sh, dstmd with [dns] in tep, the real
# agent in a (fqdn a.dstm.test., idle release after 3 s), and B, the
# IPv4-only namespace, asking "kdig @192.0.2.1 a.dstm.test. A" (+retry=0
# +time=5) while a has no lease.  TRIALS (20) timed trials after one cold
# one (reported apart); each is kdig's own query time (send to answer: no
# process start-up in it).  Prints p50/p99/max.
#
# --pcap also captures every packet in tep (tcpdump, all interfaces) and
# splits each trial along the wire: query -> Reconfigure -> Information-
# request -> Reply -> DHCPV4-QUERY(DISCOVER) -> OFFER -> REQUEST -> ACK ->
# answer; who owns each gap is in the table (dstmd or the agent).  The
# capture costs CPU in the guest: take the headline figures without it.
#
# --strace attaches strace -f -tt -T to dstmd and to the agent (their
# system calls with times, in DIR with -o): slows both a lot.
#
# --perf samples dstmd and the agent (perf record -e cpu-clock -g: TCG has
# no PMU) over the trials and prints where their CPU time goes.
#
# --compare TOOLS-DIR: before/after on the same guest, as the host's load
# moves a lot between two runs: ROUNDS (2) rounds of TRIALS trials with
# the dstmd and dstmctl built in TOOLS-DIR (a tools/ directory, e.g. of a
# git worktree at the older commit), then TRIALS with ours, each set with
# a fresh dstmd store and agent state; p50/p99 of each build's trials.
#
# DSTM_TIME_TOOLS=DIR times the dstmd and dstmctl built in DIR (a tools/
# directory, e.g. of a git worktree at an older commit) instead of ours.
#
# -o DIR keeps the guest's logs (dstmd -d, the agent's JSON events, the
# capture) in DIR.  Needs root (vm.sh).
set -uo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TRIALS=20 PCAP=0 STRACE=0 PERF=0 OUT= GUEST=0 CMP= ROUNDS=2
KERNEL=${DSTM_VM_KERNEL:-6.12}
while [ $# -gt 0 ]; do
	case $1 in
	-t) TRIALS=$2; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--pcap) PCAP=1; shift ;;
	--strace) STRACE=1; shift ;;
	--perf) PERF=1; shift ;;
	--compare) CMP=$(cd "$2" && pwd -P) || exit 2; shift 2 ;;
	-r) ROUNDS=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--guest) GUEST=1; shift ;;
	*) sed -n '4,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit 2 ;;
	esac
done
ZONE=dstm.test.

# The capture's DHCP/DNS packets, one line each: "TIME WHAT".
timeline() {
	python3 -I -S - "$1" <<'EOF'
import struct, sys

def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    nano = magic == 0xa1b23c4d
    link = struct.unpack("<I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nano else 1e6)
        if link == 276:		# LINUX_SLL2
            proto, hdr = struct.unpack("!H", pkt[0:2])[0], 20
        elif link == 113:	# LINUX_SLL
            proto, hdr = struct.unpack("!H", pkt[14:16])[0], 16
        else:
            continue
        yield t, proto, pkt[hdr:]

def udp(proto, ip):
    if proto == 0x86dd and len(ip) > 48 and ip[6] == 17:
        return ip[40:42], ip[42:44], ip[48:]
    if proto == 0x0800 and len(ip) > 28 and ip[9] == 17:
        ihl = (ip[0] & 15) * 4
        return ip[ihl:ihl + 2], ip[ihl + 2:ihl + 4], ip[ihl + 8:]
    return None

D6 = {10: "Reconfigure", 11: "Information-request", 7: "Reply"}
D4 = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 5: "ACK", 6: "NAK", 7: "RELEASE"}

def v4type(msg):
    o = 4
    while o + 4 <= len(msg):
        code, ln = struct.unpack("!HH", msg[o:o + 4])
        if code == 87:
            v4 = msg[o + 4:o + 4 + ln]
            p = 240
            while p + 2 <= len(v4) and v4[p] != 255:
                if v4[p] == 0:
                    p += 1
                    continue
                if v4[p] == 53:
                    return D4.get(v4[p + 2], "DHCPv4 %d" % v4[p + 2])
                p += 2 + v4[p + 1]
        o += 4 + ln
    return "DHCPv4 ?"

for t, proto, ip in packets(sys.argv[1]):
    u = udp(proto, ip)
    if not u:
        continue
    sport, dport, pay = (struct.unpack("!H", u[0])[0],
                         struct.unpack("!H", u[1])[0], u[2])
    what = None
    if 53 in (sport, dport) and len(pay) >= 12:
        qr = pay[2] >> 7
        qd = pay[12:]
        what = "DNS-answer" if qr else "DNS-query"
        # only A queries count (the bench's trials); AAAA/SOA shown as such
        i = 0
        while i < len(qd) and qd[i]:
            i += 1 + qd[i]
        qtype = struct.unpack("!H", qd[i + 1:i + 3])[0] if i + 3 <= len(qd) else 0
        if qtype != 1:
            what += "-type%d" % qtype
    elif sport in (546, 547) and dport in (546, 547) and pay:
        if pay[0] in (20, 21):
            what = v4type(pay)
        else:
            what = D6.get(pay[0], "DHCPv6 %d" % pay[0])
    if what:
        print("%.6f %s" % (t, what))
EOF
}

# One trial per DNS-query ... DNS-answer of the timeline: the gaps.
split_trials() {
	python3 -I -S - "$1" <<'EOF'
import sys
steps = [("DNS-query", "Reconfigure", "dstmd"),
         ("Reconfigure", "Information-request", "agent"),
         ("Information-request", "Reply", "dstmd"),
         ("Reply", "DISCOVER", "agent"),
         ("DISCOVER", "OFFER", "dstmd"),
         ("OFFER", "REQUEST", "agent"),
         ("REQUEST", "ACK", "dstmd"),
         ("ACK", "DNS-answer", "dstmd")]
rows, cur = [], None
for line in open(sys.argv[1]):
    t, what = line.split()
    t = float(t)
    if what == "DNS-query":
        cur = {"DNS-query": t}
    elif cur is not None and what not in cur:
        cur[what] = t
        if what == "DNS-answer":
            rows.append(cur)
            cur = None
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
print("trials on the wire (capture in tep), ms; trial 0 is the cold one:")
for i, r in enumerate(rows):
    print("  %2d total %7.2f  " % (i, (r["DNS-answer"] - r["DNS-query"]) * 1e3) +
          " ".join("%s>%s %.2f" % (a[:5], b[:5], (r[b] - r[a]) * 1e3)
                   for a, b, _ in steps if a in r and b in r))
warm = rows[1:]
if warm:
    print("| step (warm trials: %d) | side | p50 ms | p99 ms | max ms |" % len(warm))
    print("|---|---|---|---|---|")
    for a, b, who in steps + [("DNS-query", "DNS-answer", "total")]:
        v = [(r[b] - r[a]) * 1e3 for r in warm if a in r and b in r]
        if v:
            print("| %s -> %s | %s | %.2f | %.2f | %.2f |" % (a, b, who, pct(v, 50), pct(v, 99), max(v)))
EOF
}

# pNN FILE N: the N-th percentile of the numbers in FILE (nearest rank).
pnn() {
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
		if (NR) print v[int(p / 100 * (NR - 1) + 0.5) + 1] }'
}

# one_set LABEL DSTMD DSTMCTL: dstmd and the agent of that build, fresh
# store and state, one cold trial then TRIALS; "LABEL ms" lines to
# $TMPD/cmp.times.
one_set() {
	local label=$1 t ms ans n
	cp "$2" "$TMPD/dstmd" && cp "$3" "$TMPD/dstmctl.$label" || return 1
	DSTMCTL=$TMPD/dstmctl.$label
	rm -f "$TMPD"/leases.db* "$TMPD"/agent.a.state*
	dstmd_conf "range = 198.51.100.10-198.51.100.250" "lease-time = 180"
	printf '[dns]\nzone = %s\nlisten = ::\nport = 53\n' "$ZONE" >>"$TMPD/dstmd.conf"
	check "$label: dstmd starts" dstmd_start || return 1
	check "$label: agent bound, then released when idle" eval \
		"agent_start a a server $TEP6 fqdn a.$ZONE idle 3 acquire now &&
		 agent_wait a bound 1 30 && agent_wait a released 1 30"
	sleep 1
	for t in $(seq 0 "$TRIALS"); do
		nsx b kdig -p 53 "@$B4_GW" +retry=0 +time=5 "a.$ZONE" A >"$TMPD/kdig" 2>&1
		ms=$(sed -n 's/^;; From .* in \([0-9.]*\) ms$/\1/p' "$TMPD/kdig")
		ans=$(awk '$4 == "A" && $1 !~ /^;/ { print $5; exit }' "$TMPD/kdig")
		n=$((t + 2))
		agent_wait a bound "$n" 15 >/dev/null
		check "$label trial $t: answered ${ans:-nothing} in ${ms:-?} ms" \
			eq "$ans" "$(agent_field a bound addr)"
		[ "$t" = 0 ] || echo "$label ${ms:-5000}" >>"$TMPD/cmp.times"
		agent_wait a released "$n" 30 >/dev/null
		sleep 1
	done
	check "$label: agent stops" agent_stop a 0
	dstmd_stop
}

compare_sets() {
	local l
	check "a: client device" client_dev a
	: >"$TMPD/cmp.times"
	for _ in $(seq 1 "$ROUNDS"); do
		one_set before "$CMP/dstmd/dstmd" "$CMP/dstmctl/dstmctl"
		one_set after "$TOPO_TOP/tools/dstmd/dstmd" "$TOPO_TOP/tools/dstmctl/dstmctl"
	done
	for l in before after; do
		awk -v l="$l" '$1 == l { print $2 }' "$TMPD/cmp.times" >"$TMPD/cmp.$l"
		echo "RESULT $l: $(wc -l <"$TMPD/cmp.$l") warm trials, p50 $(pnn "$TMPD/cmp.$l" 50) ms, p90 $(pnn "$TMPD/cmp.$l" 90) ms, p99 $(pnn "$TMPD/cmp.$l" 99) ms, max $(pnn "$TMPD/cmp.$l" 100) ms"
	done
	[ -z "$OUT" ] || cp "$TMPD/cmp.times" "$OUT/"
}

# ============================================================ in the guest
if [ "$GUEST" = 1 ]; then
	[ -z "${DSTM_TIME_TOOLS:-}" ] || DSTMCTL=$DSTM_TIME_TOOLS/dstmctl/dstmctl
	# shellcheck source=lib/topo.sh
	. "$SELF/lib/topo.sh"
	. "$SELF/lib/agent.sh"
	if [ -n "${DSTM_TIME_TOOLS:-}" ]; then
		say "timing the tools of $DSTM_TIME_TOOLS"
		cp "$DSTM_TIME_TOOLS/dstmd/dstmd" "$TMPD/dstmd" || exit 1
	fi
	check "standard topology" topo_standard
	if [ -n "$CMP" ]; then
		compare_sets
		topo_done
	fi
	dstmd_conf "range = 198.51.100.10-198.51.100.250" "lease-time = 180"
	printf '[dns]\nzone = %s\nlisten = ::\nport = 53\n' "$ZONE" >>"$TMPD/dstmd.conf"
	check "dstmd starts with [dns]" dstmd_start || topo_done
	check "dstmd answers B's SOA query" wait_for 10 eval \
		"nsx b kdig -p 53 @$B4_GW +retry=0 +time=1 $ZONE SOA | grep -q 'status: NOERROR'"
	check "a: client device" client_dev a
	check "agent with fqdn a.$ZONE (idle release 3 s)" \
		agent_start a a server "$TEP6" fqdn "a.$ZONE" idle 3 acquire now
	check "... registered: bound" agent_wait a bound 1 30
	check "... released when idle" agent_wait a released 1 30
	if [ "$PCAP" = 1 ]; then
		bg ip netns exec tep tcpdump -i any -n -U -s 600 -w "$TMPD/tep.pcap" \
			'udp port 53 or udp port 546 or udp port 547'
		TCPDUMP_PID=$BG_PID
		sleep 2
	fi
	if [ "$STRACE" = 1 ]; then
		bg strace -f -tt -T -o "$TMPD/strace.dstmd" -p "$DSTMD_PID"
		bg strace -f -tt -T -o "$TMPD/strace.agent" -p "${AGENT_PID[a]}"
		sleep 2
	fi
	if [ "$PERF" = 1 ]; then
		echo 0 >/proc/sys/kernel/kptr_restrict
		bg perf record -q -e cpu-clock -F 4000 -g -o "$TMPD/perf.data" \
			-p "$DSTMD_PID,${AGENT_PID[a]}"
		PERF_PID=$BG_PID
		sleep 2
	fi
	sleep 1
	: >"$TMPD/times"
	for t in $(seq 0 "$TRIALS"); do
		nsx b kdig -p 53 "@$B4_GW" +retry=0 +time=5 "a.$ZONE" A >"$TMPD/kdig.$t" 2>&1
		ms=$(sed -n 's/^;; From .* in \([0-9.]*\) ms$/\1/p' "$TMPD/kdig.$t")
		ans=$(awk '$4 == "A" && $1 !~ /^;/ { print $5; exit }' "$TMPD/kdig.$t")
		check "trial $t: bound (Reconfigure)" agent_wait a bound $((t + 2)) 15
		check "trial $t: answered ${ans:-nothing} in ${ms:-?} ms: the lease's address" \
			eq "$ans" "$(agent_field a bound addr)"
		echo "TRIAL $t ${ms:--}" | tee -a "$TMPD/times"
		check "trial $t: idle release" agent_wait a released $((t + 2)) 30
		sleep 1
	done
	check "agent stops" agent_stop a 0
	dstmd_stop
	awk '$2 > 0 && $1 == "TRIAL" {print $3}' "$TMPD/times" | sed 1d | sort -n >"$TMPD/warm"
	n=$(wc -l <"$TMPD/warm")
	if [ "$n" -gt 0 ]; then
		p50=$(sed -n "$(((n - 1) / 2 + 1))p" "$TMPD/warm")
		p99=$(sed -n "$(((99 * (n - 1) + 50) / 100 + 1))p" "$TMPD/warm")
		echo "RESULT on-demand A, $n warm trials: p50 $p50 ms, p99 $p99 ms, max $(tail -n1 "$TMPD/warm") ms; cold: $(awk '$2 == 0 {print $3}' "$TMPD/times") ms"
	fi
	if [ "$PERF" = 1 ]; then
		kill -INT "$PERF_PID"
		wait "$PERF_PID" 2>/dev/null
		perf report -i "$TMPD/perf.data" --no-children --sort comm,dso,sym \
			--stdio -g none --percent-limit 0.7 2>/dev/null | grep -v '^$' | head -80
		perf report -i "$TMPD/perf.data" --no-children --sort comm,dso \
			--stdio -g none 2>/dev/null | grep -v '^$' | head -30
		[ -z "$OUT" ] || perf script -i "$TMPD/perf.data" -F comm,tid,time,ip,sym,dso \
			>"$OUT/perf.script" 2>/dev/null
	fi
	if [ "$PCAP" = 1 ]; then
		kill "$TCPDUMP_PID"
		wait "$TCPDUMP_PID" 2>/dev/null
		timeline "$TMPD/tep.pcap" >"$TMPD/timeline"
		split_trials "$TMPD/timeline"
	fi
	if [ -n "$OUT" ]; then
		cp "$TMPD"/dstmd.log "$TMPD"/agent.a.log "$TMPD"/times "$OUT"/ 2>/dev/null
		cp "$TMPD"/timeline "$TMPD"/tep.pcap "$TMPD"/strace.* "$TMPD"/perf.data "$OUT"/ 2>/dev/null
	fi
	topo_done
fi

# ============================================================= on the host
[ "$(id -u)" = 0 ] || { echo "time_ondemand: needs root (vm.sh)"; exit 2; }
make -s -C "$SELF/../tools" >/dev/null || exit 1
args=()
if [ -n "$OUT" ]; then
	mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd -P)
	args=(--rwdir "$OUT")
fi
bash "$SELF/vm.sh" --kernel "$KERNEL" --smp 2 --mem 2048 --timeout 900 "${args[@]}" -- \
	bash "$SELF/time_ondemand.sh" --guest -t "$TRIALS" ${OUT:+-o "$OUT"} \
	$([ "$PCAP" = 1 ] && echo --pcap) $([ "$STRACE" = 1 ] && echo --strace) \
	$([ "$PERF" = 1 ] && echo --perf) ${CMP:+--compare "$CMP" -r "$ROUNDS"}
