#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_client.sh [--kernel V] [-t TRIALS] [-n HOSTS] [--no-vm] [-o FILE]
#                  [--append FILE]
#
# The host agent's section of "make bench":
#
#   1. On-demand delay (in a QEMU guest, selftests/vm.sh): a host with no
#      lease starts sending UDP to B, one datagram every 5 ms for 400 ms;
#      the first datagram's delay to B (send to receive), the datagrams
#      lost, against one full DHCP4o6 exchange (the agent's own time from
#      the kernel's ADDR_NEEDED to the ACK: Information-request, DISCOVER,
#      REQUEST) plus one round trip a -> B; TRIALS times (the agent's idle
#      release takes the lease away between trials).  Goal: 0 lost and a
#      delay within 3x (exchange + round trip).  Then the same through the
#      DNS trigger: from the application's name lookup (an A-only name) to
#      its first datagram at B.  The guest runs under TCG:
#      absolute times are slow, the ratio is what to read.
#   2. Renewal cost at HOSTS (10,000) hosts, on this machine: dstmd
#      (sync=normal and sync=full) gets HOSTS full exchanges, then the same
#      HOSTS exchanges each followed by its renewal (REQUEST with ciaddr,
#      dstmd-load --renew); the difference is what the renewals cost: the
#      server's CPU time per renewal, and renewals/s.  At T1 = 90 s (the
#      seed's 180 s leases) HOSTS hosts renew HOSTS/90 times a second.
#
# Prints a table; -o FILE also writes it (markdown); --append FILE adds it
# as a section "Host agent" to FILE, replacing an earlier one (make bench:
# build/bench/results.md, the data-plane tables).  Discussion and numbers:
# Documentation/performance-client.md.  Needs root.
set -uo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SELF/.." && pwd -P)

TRIALS=5 HOSTS=10000 OUT='' APPEND='' KERNEL=${DSTM_VM_KERNEL:-}
GUEST=0 VM=1
while [ $# -gt 0 ]; do
	case $1 in
	-t) TRIALS=$2; shift 2 ;;
	-n) HOSTS=$2; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--append) APPEND=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--guest) GUEST=1; shift ;;
	--no-vm) VM=0; shift ;;
	*) sed -n '4,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit 2 ;;
	esac
done

# ------------------------------------------------------------ in the guest
if [ "$GUEST" = 1 ]; then
	# shellcheck source=lib/topo.sh
	. "$SELF/lib/topo.sh"
	. "$SELF/lib/agent.sh"
	cat >"$TMPD/udp.py" <<-'EOF'
	import socket, struct, sys, time
	mode = sys.argv[1]
	if mode == "recv":
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    s.bind((sys.argv[2], int(sys.argv[3])))
	    # the sender is a second python starting under TCG on a shared
	    # machine: wait long for its first datagram, then TIMEOUT s idle
	    s.settimeout(30)
	    open(sys.argv[5] + ".ready", "w").close()
	    with open(sys.argv[5], "a") as f:
	        try:
	            while True:
	                d, _ = s.recvfrom(100)
	                s.settimeout(float(sys.argv[4]))
	                t = time.clock_gettime_ns(time.CLOCK_REALTIME)
	                seq, sent = struct.unpack("!IQ", d[:12])
	                f.write("%d %d %d\n" % (seq, sent, t))
	                f.flush()
	        except socket.timeout:
	            pass
	else:
	    dst, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	    # a name: the first datagram's time is when the lookup started;
	    # an address: when it is sent (no lookup: getaddrinfo would
	    # import the idna codec, tens of ms under TCG, and count them).
	    tl = None
	    try:
	        socket.inet_aton(dst)
	    except OSError:
	        tl = time.clock_gettime_ns(time.CLOCK_REALTIME)
	        dst = socket.getaddrinfo(dst, port, socket.AF_INET, socket.SOCK_DGRAM)[0][4][0]
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    t0 = time.monotonic()
	    for i in range(n):
	        while time.monotonic() < t0 + i * 0.005:
	            time.sleep(0.001)
	        now = time.clock_gettime_ns(time.CLOCK_REALTIME)
	        s.sendto(struct.pack("!IQ", i, tl if i == 0 and tl else now), (dst, port))
	EOF
	N_PKT=80
	check "standard topology" topo_standard
	dstmd_conf "range = 198.51.100.10-198.51.100.19" "lease-time = 180"
	check "dstmd starts" dstmd_start
	check "a: client device" client_dev a
	# Events of a trial: the first EVENT of NAME's log after line FROM.
	ev_after() { tail -n "+$(($3 + 1))" "$TMPD/agent.$1.log" | grep -m1 "\"event\":\"$2\""; }
	no_lease() { [ "$(dev_get a dstm0 addr)" = null ]; }
	check "agent (idle release after 2 s)" agent_start a a server "$TEP6" idle 2
	for t in $(seq "$TRIALS"); do
		# a trial starts with no lease (the round-trip ping of the last
		# one may have taken a new one after an idle release)
		check "trial $t: no lease" wait_for 20 no_lease
		L=$(wc -l <"$TMPD/agent.a.log")
		snap q$t a dstm0
		rm -f "$TMPD/recv.$t"
		bg nsx b python3 -I -S "$TMPD/udp.py" recv "$B4" 9000 3 "$TMPD/recv.$t"
		wait_for 10 test -e "$TMPD/recv.$t.ready"
		check "trial $t: send $N_PKT datagrams from a with no lease" \
			nsx a python3 -I -S "$TMPD/udp.py" send "$B4" 9000 "$N_PKT"
		check "trial $t: bound" wait_for 10 ev_after a bound "$L"
		# the smallest of 3: the first may have waited for a new lease
		rtt=$(nsx a ping -n -c 3 -i 0.2 "$B4" | sed -n 's|.*= \([0-9.]*\)/.*|\1|p')
		check "trial $t: idle release" wait_for 20 ev_after a released "$L"
		sleep 1
		bound=$(ev_after a bound "$L")
		acq=$(jkey acquire_ms <<<"$bound") cfg=$(jkey configure_ms <<<"$bound")
		ev=$(ev_after a acquiring "$L" | jkey unix_ms)
		qfull=$(delta q$t a dstm0 drops.queue_full)
		awk -v n="$N_PKT" -v acq="$acq" -v rtt="$rtt" -v t="$t" -v cfg="$cfg" -v ev="$ev" -v qfull="$qfull" '
			{ got[$1] = 1; if ($1 == 0) { d0 = ($3 - $2) / 1e6; sent0 = int($2 / 1e6) }
			  if (min_seq == "" || $1 < min_seq) { min_seq = $1; dfirst = ($3 - $2) / 1e6 } }
			END {
				lost = n; for (s in got) lost--
				if (d0 == "") d0 = "lost"
				printf "RESULT trial=%d delay_first_ms=%s first_delivered_seq=%s delay_first_delivered_ms=%.1f lost=%d queue_full=%s exchange_ms=%s rtt_ms=%s configure_ms=%s send_to_agent_ms=%s\n", t, d0, min_seq, dfirst, lost, qfull, acq, rtt, cfg, (sent0 ? ev - sent0 : "?")
			}' "$TMPD/recv.$t"
	done
	agent_stop a 0

	# The same with the DNS trigger: the application looks the name up
	# (A record only), the agent acquires while the answer is held, and
	# the first datagram leaves with the lease's address.
	check "upstream resolver in tep" eval \
		"bg nsx tep python3 -I -S '$TOPO_LIB/dnszone.py' '$TEP6' 5353 '$TMPD/zone.log' v4only.example=A:$B4 && wait_for 10 test -e '$TMPD/zone.log.ready'"
	mkdir -p /etc/netns/a && echo "nameserver 127.0.0.54" >/etc/netns/a/resolv.conf
	check "agent with the DNS trigger" agent_start d a server "$TEP6" idle 2 \
		dns 127.0.0.54 dns-upstream "[$TEP6]:5353" state-file "$TMPD/agent.a.state"
	for t in $(seq "$TRIALS"); do
		check "dns trial $t: no lease" wait_for 20 no_lease
		L=$(wc -l <"$TMPD/agent.d.log")
		rm -f "$TMPD/drecv.$t"
		bg nsx b python3 -I -S "$TMPD/udp.py" recv "$B4" 9000 10 "$TMPD/drecv.$t"
		wait_for 10 test -e "$TMPD/drecv.$t.ready"
		check "dns trial $t: look v4only.example up, send $N_PKT datagrams" \
			nsx a python3 -I -S "$TMPD/udp.py" send v4only.example 9000 "$N_PKT"
		check "dns trial $t: bound" wait_for 10 ev_after d bound "$L"
		check "dns trial $t: idle release" wait_for 20 ev_after d released "$L"
		sleep 10
		# where the time goes: lookup start -> the agent decides to
		# acquire (the A answer came and the name has no AAAA) ->
		# bound -> the first datagram reaches B
		bound=$(ev_after d bound "$L")
		acq=$(jkey acquire_ms <<<"$bound") bd=$(jkey unix_ms <<<"$bound")
		ev=$(ev_after d acquiring "$L" | jkey unix_ms)
		awk -v n="$N_PKT" -v acq="$acq" -v t="$t" -v ev="$ev" -v bd="$bd" '
			{ got[$1] = 1; if ($1 == 0) { d0 = ($3 - $2) / 1e6; l0 = int($2 / 1e6); r0 = int($3 / 1e6) }
			  if (min_seq == "" || $1 < min_seq) { min_seq = $1; dfirst = ($3 - $2) / 1e6 } }
			END { lost = n; for (s in got) lost--
			      printf "DNSRESULT trial=%d lookup_to_first_delivered_ms=%.1f first_delivered_seq=%s lost=%d exchange_ms=%s lookup_to_agent_ms=%s agent_ms=%s bound_to_delivered_ms=%s\n", t, dfirst, min_seq, lost, acq, (l0 ? ev - l0 : "?"), bd - ev, (r0 ? r0 - bd : "?") }' "$TMPD/drecv.$t"
		[ -s "$TMPD/drecv.$t" ] || sed 's/^/# agent: /' "$TMPD/agent.d.log" | tail -n 12
	done
	agent_stop d 0
	rm -rf /etc/netns/a
	topo_done
fi

# ---------------------------------------------------------------- on the host
[ "$(id -u)" = 0 ] || { echo "bench_client: needs root"; exit 2; }
make -C "$TOP/tools" >/dev/null || exit 1
W=$(mktemp -d /tmp/bench_client.XXXXXX)
DPID=
trap '[ -n "$DPID" ] && kill $DPID 2>/dev/null; ip netns del bcs$$ 2>/dev/null; ip netns del bcc$$ 2>/dev/null; rm -rf "$W"' EXIT
ROWS=()

if [ "$VM" = 1 ]; then
echo "# 1. on-demand delay ($TRIALS trials, QEMU guest${KERNEL:+, kernel $KERNEL})"
bash "$SELF/vm.sh" ${KERNEL:+--kernel "$KERNEL"} --timeout 1500 -- \
	"$SELF/bench_client.sh" --guest -t "$TRIALS" >"$W/guest.log" 2>&1
grep -E "^(not ok|# (PASS|FAIL))" "$W/guest.log"
[ -z "$OUT" ] || cp "$W/guest.log" "${OUT%.md}-guest.log"
grep '^RESULT' "$W/guest.log" | sed 's/^RESULT /  /'
# Each trial's delay against its own exchange + round trip; a trial
# that delivered nothing counts in "lost" only.
read -r d_med lost acq_med rtt_med ratio ev_med cfg_med rmax qf < <(grep '^RESULT' "$W/guest.log" | awk '
	{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	  lost += v["lost"]; qf += v["queue_full"]
	  if (v["first_delivered_seq"] == "") next
	  n++; d[n] = v["delay_first_delivered_ms"]
	  a[n] = v["exchange_ms"]; r[n] = v["rtt_ms"]; e[n] = v["send_to_agent_ms"]; c[n] = v["configure_ms"]
	  q[n] = d[n] / (a[n] + r[n]); if (q[n] > qmax) qmax = q[n] }
	function med(x, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }; return x[int((n + 1) / 2)] }
	END { if (!n) { printf "- %d - - - - - - %d\n", lost, qf; exit }
	      printf "%.1f %d %.1f %.2f %.2f %s %s %.2f %d\n", med(d, n), lost, med(a, n), med(r, n), med(q, n), med(e, n), med(c, n), qmax, qf }')
ROWS+=("| on-demand delay, first datagram to B (median of $TRIALS) | $d_med ms |")
ROWS+=("| datagrams lost (all trials, 80 each) | $lost |")
ROWS+=("| of them: dropped by the client's full queue (queue_full) | $qf |")
ROWS+=("| one DHCP4o6 exchange (agent: ADDR_NEEDED to ACK, median) | $acq_med ms |")
ROWS+=("| round trip a -> B (median) | $rtt_med ms |")
ROWS+=("| delay / (exchange + round trip), per trial: median (goal <= 3) | $ratio |")
ROWS+=("| delay / (exchange + round trip), per trial: worst | $rmax |")
ROWS+=("| of the delay: first packet sent to ADDR_NEEDED read by the agent (median) | $ev_med ms |")
ROWS+=("| of the delay: putting the lease in place (median) | $cfg_med ms |")
grep '^DNSRESULT' "$W/guest.log" | sed 's/^DNSRESULT /  dns: /'
read -r dd dlost dla dag dbd < <(grep '^DNSRESULT' "$W/guest.log" | awk '
	{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	  d[NR] = v["lookup_to_first_delivered_ms"]; lost += v["lost"]
	  la[NR] = v["lookup_to_agent_ms"]; ag[NR] = v["agent_ms"]; bd[NR] = v["bound_to_delivered_ms"] }
	function med(x, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }; return x[int((n + 1) / 2)] }
	END { if (!NR) { print "- - - - -"; exit }
	      printf "%.1f %d %s %s %s\n", med(d, NR), lost, med(la, NR), med(ag, NR), med(bd, NR) }')
ROWS+=("| DNS trigger: name lookup to first datagram at B (median) | $dd ms |")
ROWS+=("| of it: lookup start to the agent acquiring (median) | $dla ms |")
ROWS+=("| of it: the agent acquiring to bound (median) | $dag ms |")
ROWS+=("| of it: bound to the first datagram at B (median) | $dbd ms |")
ROWS+=("| DNS trigger: datagrams lost (all trials) | $dlost |")
fi

echo "# 2. renewal cost at $HOSTS hosts (dstmd on this machine)"
S=bcs$$ C=bcc$$
ip netns add $S && ip netns add $C || exit 1
ip link add k0 netns $S type veth peer name c0 netns $C || exit 1
ip -n $S link set lo up; ip -n $S link set k0 up
ip -n $C link set lo up; ip -n $C link set c0 up
ip -n $S addr add 2001:db8:4::1/64 dev k0 nodad
ip -n $C addr add 2001:db8:4::2/64 dev c0 nodad
cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / t) }' "/proc/$1/stat"; }
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"; }
for sync in normal full; do
	cat >"$W/d.conf" <<-EOF
	[server]
	listen = 2001:db8:4::1
	lease-db = $W/d.db
	sync = $sync
	rate-limit = 0
	dhcp4o6-server = 2001:db8:4::1
	[pool main]
	prefix = 10.20.0.0/16
	lease-time = 180
	tep = 2002:100::1
	EOF
	rm -f "$W"/d.db*
	ip netns exec $S "$TOP/tools/dstmd/dstmd" -c "$W/d.conf" >"$W/d.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do grep -qs serving "$W/d.log" && break; sleep 0.1; done
	c0=$(cpu_ms $DPID)
	ip netns exec $C "$TOP/tools/dstmd/dstmd-load" -s 2001:db8:4::1 -n "$HOSTS" -w 256 -t 2000 --seed 1 -j >"$W/plain.json"
	c1=$(cpu_ms $DPID)
	ip netns exec $C "$TOP/tools/dstmd/dstmd-load" -s 2001:db8:4::1 -n "$HOSTS" -w 256 -t 2000 --seed 2 --renew -j >"$W/renew.json"
	c2=$(cpu_ms $DPID)
	kill $DPID; wait $DPID 2>/dev/null; DPID=
	sp=$(field "$W/plain.json" seconds) sr=$(field "$W/renew.json" seconds)
	# CPU time, not wall time, is what to read on a shared machine: the
	# wall-time difference of two runs is mostly other people's load.
	read -r per_cpu per_s rate load cap < <(awk -v a=$((c1 - c0)) -v b=$((c2 - c1)) -v sp="$sp" -v sr="$sr" -v n="$HOSTS" 'BEGIN {
		cpu = (b - a) / n * 1000; ren = sr - sp
		printf "%.1f %.1f %.0f %.2f %.0f\n", cpu, ren / n * 1e6, (ren > 0 ? n / ren : 0), (n / 90) * cpu / 1e6 * 100, (cpu > 0 ? 1e6 / cpu : 0) }')
	echo "  sync=$sync: exchanges $(field "$W/plain.json" leases_per_s)/s; with renewal: $(field "$W/renew.json" leases_per_s)/s; renewal: ${per_cpu} us CPU, ${per_s} us wall each (~${rate}/s); $HOSTS hosts at T1=90 s: ${load}% of a core"
	ROWS+=("| renewal, dstmd sync=$sync: server CPU per renewal | $per_cpu us |")
	ROWS+=("| renewal, dstmd sync=$sync: renewals/s per core of server CPU (1 / CPU per renewal) | $cap |")
	ROWS+=("| $HOSTS hosts renewing at T1 = 90 s, sync=$sync: server load | $load % of a core |")
done

{
	echo "| measure | value |"
	echo "|---|---|"
	printf '%s\n' "${ROWS[@]}"
} | tee "${OUT:-/dev/null}" >"$W/table.md"
cat "$W/table.md"
if [ -n "$APPEND" ]; then
	HEAD="## Host agent: on-demand delay and renewal cost"
	if [ -f "$APPEND" ]; then
		# drop an earlier copy of our section (up to the next "## ")
		# (and the blank lines at its end, kept only before text)
		awk -v h="$HEAD" '$0 == h { skip = 1; next }
			skip && /^## / { skip = 0 }
			skip { next }
			/^$/ { blank++; next }
			{ while (blank) { print ""; blank-- }; print }' "$APPEND" >"$W/append" &&
			cat "$W/append" >"$APPEND"
	fi
	{
		echo
		echo "$HEAD"
		echo
		echo "selftests/bench_client.sh ($(date -u +%Y-%m-%d), on-demand delay in a QEMU guest${KERNEL:+, kernel $KERNEL}, renewals on this machine); see Documentation/performance-client.md."
		echo
		cat "$W/table.md"
	} >>"$APPEND"
	echo "bench_client: section added to $APPEND"
fi
