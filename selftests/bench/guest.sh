#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make bench` (selftests/bench.sh runs it through vm.sh
# and reads its output with collect.py): build the topology, load and time
# the big tables, then measure every variant in both directions at two
# packet sizes, round-robin: MIN_REPS rounds, and more (up to MAX_REPS)
# while they fit in BUDGET seconds.
#
# Every variant has its own router namespace ("DUT") between the same two
# end namespaces, so no variant's configuration (a 1M-entry table, 128k
# routes) is in the way of another's packets:
#
#   gen                DUT X (one per variant)                    sink
#   gX 02:..:X:00 ---- iX 02:..:X:01 [router|ip6tnl|dstm] eX 02:..:X:02 ---- sX 02:..:X:03
#                      2001:db8:a::1/64    2001:db8:f::1/64, 203.0.113.1/24
#                      lo: 2001:db8:b::1 (the tunnel end point)
#
#   2001:db8:c::/48 (the clients) via 2001:db8:f::2 (sX, permanent neighbour)
#   192.0.2.0/24 (the IPv4 host 192.0.2.2) via 203.0.113.2 (sX)
#   198.18.0.0/15 (mapped IPv4 addresses): dstm0, ip6tnl1 /32 routes, or
#   via 203.0.113.2 (the plain router)
#
# The fast-path DUTs (f1, fM) are dstm TEPs like d1 and dM with
# "dstmctl set dstm0 fastpath iX,eX": their packets are encapsulated or
# decapsulated at ingress (kernel/fastpath.c) instead of crossing IPv4
# routing and netfilter.  fM's 1,048,576 mappings are loaded (untimed) only
# when a run of it is planned (DSTM_BENCH_ONLY).
#
# One generator (build/bench/bench-tx: AF_PACKET, PACKET_QDISC_BYPASS,
# sendmmsg of pre-built frames) sends on gX; the sink drops everything at
# ingress (tc matchall drop); a run counts sX's rx_packets (counted when eX
# hands a packet over) over TIME seconds after WARMUP.  The generator is
# pinned to CPU 1, and with veth everything a packet costs (generator, DUT,
# sink) is spent on that CPU in the sender's softirq.  Under TCG the host
# may deschedule that vCPU at any time, so wall-clock rates mean little:
# the generator prints "MARK TAG b|e" around each count and collect.py,
# on the host, reads the vCPU thread's CPU time at the marks.
#
# Output: "# ..." comments, "MARK TAG b|e", "RESULT TAG RX SENT SECS" and
# "LOAD TAG COUNT SECS VCPU" (TAG = dir/size/variant/rep or load/what).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=${DSTM_TOP:-$(cd "$HERE/../.." && pwd -P)}
TX=${DSTM_BENCH_TX:-$TOP/build/bench/bench-tx}
DSTMCTL=${DSTMCTL:-$TOP/tools/dstmctl/dstmctl}
MIN_REPS=${DSTM_BENCH_MIN_REPS:-3}
MAX_REPS=${DSTM_BENCH_MAX_REPS:-9}
BUDGET=${DSTM_BENCH_BUDGET:-400}	# seconds in the guest, for more than MIN_REPS
WARMUP=${DSTM_BENCH_WARMUP:-0.3}
TIME=${DSTM_BENCH_TIME:-1}
PAUSE=${DSTM_BENCH_PAUSE:-0.25}	# idle around each mark (see bench-tx.c)
SIZES=${DSTM_BENCH_SIZES:-64 1400}
BIG=${DSTM_BENCH_MAPS:-1048576}		# 131072 addresses x 8 port sets
MANY=${DSTM_BENCH_ROUTES:-131072}	# whole addresses, up to all of 198.18.0.0/15
PLAIN=${DSTM_BENCH_PLAIN_ROUTES:-2048}	# ip -batch without distinct metrics
ONLY=${DSTM_BENCH_ONLY:-}		# regex on dir/size/variant: run only these
# DSTM_BENCH_GATEWAY=IPV4: route the mapped addresses through this onlink
# gateway on the tunnel device instead of straight to it (one IPv4
# neighbour entry for all destinations instead of one each).
GW=${DSTM_BENCH_GATEWAY:-}
VIA=${GW:+via $GW}
ONLINK=${GW:+onlink}
PROFILE=${DSTM_BENCH_PROFILE:-}		# "dir/size/variant ...": perf profiles instead
TEP=2001:db8:b::1
CPU=1

NS=()
PIDS=()
LOADS=()
W=$(mktemp -d /tmp/bench.XXXXXX)

cleanup() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT

say() { echo "# $*"; }
fail() {
	echo "FAIL: $*"
	echo "bench: FAIL: $*" >&2
	exit 1
}
run() { "$@" || fail "command failed: $*"; }
# Only the network namespace: cheaper than "ip netns exec" (no mounts).
nsx() { local n=$1; shift; nsenter --net="/run/netns/$n" "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

[ "${DSTM_VM:-}" = 1 ] || fail "runs inside the bench VM: bash selftests/bench.sh"
[ -x "$TX" ] || fail "$TX not built (make -C selftests/bench)"
[ -x "$DSTMCTL" ] || fail "$DSTMCTL not built (make -C tools)"
[ "$(nproc)" -ge 2 ] || CPU=0

mac() { printf '02:00:00:00:%02x:%02x' "$1" "$2"; }

# The DUTs: null (drops at ingress: what the generator alone costs), base
# (a plain router), t1/tN (ip6tnl external, 1 / MANY encap routes), d1/dN/dM
# (dstm TEP with 1, MANY whole-address and BIG port-set mappings), f1/fM
# (d1 and dM with the fast path on their two veths).
DUTS=(null base t1 tN d1 dN dM f1 fM)
declare -A IDX
i=1
for d in "${DUTS[@]}"; do
	IDX[$d]=$i
	i=$((i + 1))
done

# The headroom the generator's frames arrive with.  A NIC driver leaves
# NET_SKB_PAD (64 bytes on x86) in front of the Ethernet header; AF_PACKET
# leaves what the sending device asks for, 16 on a veth, which makes
# every tunnel copy every packet to put its outer header in front, a cost
# hardware does not have.  So the generator's veths become ports of a
# bridge (never up) that also has a VXLAN port: the bridge gives its ports
# the largest headroom among them, VXLAN's 50, which a veth passes to both
# its ends, and AF_PACKET then reserves 80 bytes.  DSTM_BENCH_HEADROOM=veth
# keeps the bare veth's 16 (how this bench measured before 2026-11-29).
HEADROOM=${DSTM_BENCH_HEADROOM:-nic}
hr_ports() {
	local d
	[ "$HEADROOM" = veth ] && return
	echo "link add hr0 type bridge"
	echo "link add hrvx0 type vxlan id 1 dstport 4789"
	echo "link set hrvx0 master hr0"
	for d in "${DUTS[@]}"; do
		echo "link set g${IDX[$d]} master hr0"
	done
}

hr_check() {
	local info
	[ "$HEADROOM" = veth ] && return
	info=$(nsx gen ip -d -j link show g1) || fail "ip link show g1"
	echo "$info" | grep -q '"master":"hr0"' ||
		fail "the generator's veths are not ports of hr0"
	echo "# generator headroom: g1 is a port of hr0 with VXLAN's headroom"
}

topology() {
	local d x
	for d in gen sink "${DUTS[@]}"; do
		run ip netns add "$d"
		NS+=("$d")
	done
	{
		echo "link set lo up"
		for d in "${DUTS[@]}"; do
			x=${IDX[$d]}
			echo "link add g$x address $(mac "$x" 0) type veth peer i$x netns $d address $(mac "$x" 1)"
			echo "link set g$x up"
		done
		hr_ports
	} >"$W/gen.ip"
	run nsx gen sh -c "sysctl -qw net.ipv6.conf.default.disable_ipv6=1 && ip -b $W/gen.ip"
	hr_check
	{
		echo "link set lo up"
		for d in "${DUTS[@]}"; do
			[ "$d" = null ] && continue
			x=${IDX[$d]}
			echo "link add s$x address $(mac "$x" 3) type veth peer e$x netns $d address $(mac "$x" 2)"
			echo "link set s$x up"
		done
	} >"$W/sink.ip"
	{
		for d in "${DUTS[@]}"; do
			[ "$d" = null ] && continue
			x=${IDX[$d]}
			echo "qdisc add dev s$x clsact"
			echo "filter add dev s$x ingress matchall action drop"
		done
	} >"$W/sink.tc"
	run nsx sink sh -c "sysctl -qw net.ipv6.conf.default.disable_ipv6=1 &&
		ip -b $W/sink.ip && tc -b $W/sink.tc"

	for d in "${DUTS[@]}"; do
		x=${IDX[$d]}
		if [ "$d" = null ]; then
			run nsx null sh -c "tc qdisc add dev i$x clsact &&
				tc filter add dev i$x ingress matchall action drop &&
				ip link set lo up && ip link set i$x up"
			continue
		fi
		cat >"$W/$d.ip" <<-EOF
		link set lo up
		addr add $TEP/128 dev lo nodad
		addr add 2001:db8:a::1/64 dev i$x nodad
		addr add 2001:db8:f::1/64 dev e$x nodad
		addr add 203.0.113.1/24 dev e$x
		link set i$x up
		link set e$x up
		neigh add 2001:db8:f::2 lladdr $(mac "$x" 3) dev e$x nud permanent
		neigh add 203.0.113.2 lladdr $(mac "$x" 3) dev e$x nud permanent
		route add 2001:db8:c::/48 via 2001:db8:f::2 dev e$x
		route add 192.0.2.0/24 via 203.0.113.2 dev e$x
		EOF
		case $d in
		base)
			echo "route add 198.18.0.0/15 via 203.0.113.2 dev e$x" >>"$W/$d.ip"
			;;
		t*)
			# ip6tnl in external mode: what a user would pick instead.
			cat >>"$W/$d.ip" <<-EOF
			link add ip6tnl1 type ip6tnl mode ipip6 external
			link set ip6tnl1 up
			EOF
			;;
		d* | f*)
			cat >>"$W/$d.ip" <<-EOF
			link add dstm0 type dstm
			link set dstm0 up
			route add 198.18.0.0/15 $VIA dev dstm0 $ONLINK
			EOF
			;;
		esac
		run nsx "$d" sh -c "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 &&
			ip -b $W/$d.ip"
		case $d in
		t*) run nsx "$d" sysctl -qw net.ipv4.conf.ip6tnl1.rp_filter=0 ;;
		d*) run nsx "$d" sh -c "sysctl -qw net.ipv4.conf.dstm0.rp_filter=0 &&
			$DSTMCTL set dstm0 mode tep local $TEP" ;;
		f*) run nsx "$d" sh -c "sysctl -qw net.ipv4.conf.dstm0.rp_filter=0 &&
			$DSTMCTL set dstm0 mode tep local $TEP &&
			$DSTMCTL set dstm0 fastpath i$x,e$x" ;;
		esac
	done
	# shellcheck disable=SC2086 # $VIA and $ONLINK: zero or more words
	run nsx t1 ip route add 198.18.0.0/32 encap ip6 dst 2001:db8:c::1 src "$TEP" \
		hoplimit 64 $VIA dev ip6tnl1 $ONLINK
	run nsx d1 "$DSTMCTL" map add dstm0 ipv4 198.18.0.0 ipv6 2001:db8:c::1
	run nsx f1 "$DSTMCTL" map add dstm0 ipv4 198.18.0.0 ipv6 2001:db8:c::1

	# Processes that keep the counting namespaces' /proc/PID/net/dev
	# (not through nsx: a function in the background is a subshell).
	nsenter --net=/run/netns/sink sleep 1000000 &
	PIDS+=($!)
	SINK_PID=$!
	nsenter --net=/run/netns/null sleep 1000000 &
	PIDS+=($!)
	NULL_PID=$!
}

# timed TAG COUNT NS VCPU CMD...: run CMD in NS on VCPU, between marks, in
# the background (two loads at a time, one per vCPU: collect.py reads each
# vCPU's CPU time separately).  timed_wait waits for them.
timed() {
	local tag=$1 count=$2 ns=$3 cpu=$4
	shift 4
	(
		echo "MARK load/$tag b"
		t=$(now)
		nsx "$ns" taskset -c "$cpu" "$@" >"$W/load-$tag.out" 2>&1 ||
			echo "loading $tag failed: $*" >"$W/load-$tag.fail"
		echo "MARK load/$tag e"
		echo "LOAD $tag $count $(elapsed "$t") $cpu"
	) &
	LOADS+=($!)
}

timed_wait() {
	local f
	wait "${LOADS[@]}"
	LOADS=()
	for f in "$W"/load-*.fail; do
		[ -e "$f" ] || continue
		cat "${f%.fail}.out"
		fail "$(cat "$f")"
	done
}

# Load the big tables, timed (the batch files are made first, untimed).
load_tables() {
	local n c0=0
	[ "$CPU" = 0 ] && c0=1
	"$TX" maps --maps "$BIG" --psid-len 3 >"$W/maps-big" || fail "bench-tx maps"
	"$TX" maps --maps "$MANY" >"$W/maps-many" || fail "bench-tx maps"
	"$TX" routes --maps "$MANY" --dev ip6tnl1 --src "$TEP" --metrics ${GW:+--via $GW} >"$W/routes-many" ||
		fail "bench-tx routes"
	"$TX" routes --maps "$PLAIN" --dev ip6tnl1 --src "$TEP" >"$W/routes-plain" ||
		fail "bench-tx routes"
	# The plain lines, as a user would write them, go to a scratch namespace.
	run ip netns add scratch
	NS+=(scratch)
	run nsx scratch sh -c "ip link set lo up && ip addr add $TEP/128 dev lo nodad &&
		ip link add ip6tnl1 type ip6tnl mode ipip6 external && ip link set ip6tnl1 up"

	timed dstmctl-psid "$BIG" dM "$CPU" "$DSTMCTL" -batch "$W/maps-big"
	timed ip-metric "$MANY" tN "$c0" ip -batch "$W/routes-many"
	timed_wait
	timed dstmctl-whole "$MANY" dN "$CPU" "$DSTMCTL" -batch "$W/maps-many"
	timed ip-plain "$PLAIN" scratch "$c0" ip -batch "$W/routes-plain"
	timed_wait
	run ip netns del scratch
	# fM: the same table as dM, untimed (the load is dM's, measured above).
	if planned fM; then
		run nsx fM "$DSTMCTL" -batch "$W/maps-big"
		n=$(nsx fM "$DSTMCTL" -j show dstm0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["map_count"])')
		[ "$n" = "$BIG" ] || fail "fM holds $n mappings, not $BIG"
		say "tables: fM $BIG mappings"
	fi
	rm -f "$W"/maps-* "$W"/routes-*

	n=$(nsx dM "$DSTMCTL" -j show dstm0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["map_count"])')
	[ "$n" = "$BIG" ] || fail "dM holds $n mappings, not $BIG"
	n=$(nsx tN ip route show dev ip6tnl1 | wc -l)
	[ "$n" = "$MANY" ] || fail "tN holds $n routes, not $MANY"
	say "tables: dM $BIG mappings, dN $MANY, tN $n routes"
}

# plan_line DIR SIZE VARIANT REP DUT MODE ARGS...
plan_line() {
	local dir=$1 size=$2 var=$3 rep=$4 d=$5 mode=$6 x pid cif
	shift 6
	x=${IDX[$d]}
	pid=$SINK_PID
	cif=s$x
	if [ "$d" = null ]; then
		pid=$NULL_PID
		cif=i$x
	fi
	echo "$dir/$size/$var/$rep -i g$x --dmac $(mac "$x" 1) --mode $mode --len $size" \
		"--warmup $WARMUP --time $TIME --pause $PAUSE --cpu $CPU --count-pid $pid --count-if $cif $*"
}

# Variants: DUT, traffic.  "-hot1": the big table, all traffic to one entry.
# "dstmfast-": dstm with the fast path (DUTs f1, fM).
plan() { # REP
	local r=$1 s
	for s in $SIZES; do
		plan_line gen "$s" null "$r" null 6 --tep "$TEP"
		plan_line both "$s" ipv6-fwd "$r" base 6
		plan_line enc "$s" ip6tnl-1 "$r" t1 4
		plan_line enc "$s" "ip6tnl-$MANY-hot1" "$r" tN 4 --maps "$MANY" --hot 1
		plan_line enc "$s" "ip6tnl-$MANY" "$r" tN 4 --maps "$MANY"
		plan_line enc "$s" dstm-1 "$r" d1 4
		plan_line enc "$s" "dstm-$BIG-hot1" "$r" dM 4 --maps "$BIG" --psid-len 3 --hot 1
		plan_line enc "$s" "dstm-$MANY" "$r" dN 4 --maps "$MANY"
		plan_line enc "$s" "dstm-$BIG" "$r" dM 4 --maps "$BIG" --psid-len 3
		plan_line enc "$s" dstmfast-1 "$r" f1 4
		plan_line enc "$s" "dstmfast-$BIG-hot1" "$r" fM 4 --maps "$BIG" --psid-len 3 --hot 1
		plan_line enc "$s" "dstmfast-$BIG" "$r" fM 4 --maps "$BIG" --psid-len 3
		plan_line dec "$s" ip6tnl-1 "$r" t1 6 --tep "$TEP"
		plan_line dec "$s" "ip6tnl-$MANY" "$r" tN 6 --tep "$TEP" --maps "$MANY"
		plan_line dec "$s" dstm-1 "$r" d1 6 --tep "$TEP"
		plan_line dec "$s" "dstm-$BIG-hot1" "$r" dM 6 --tep "$TEP" --maps "$BIG" --psid-len 3 --hot 1
		plan_line dec "$s" "dstm-$MANY" "$r" dN 6 --tep "$TEP" --maps "$MANY"
		plan_line dec "$s" "dstm-$BIG" "$r" dM 6 --tep "$TEP" --maps "$BIG" --psid-len 3
		plan_line dec "$s" dstmfast-1 "$r" f1 6 --tep "$TEP"
		plan_line dec "$s" "dstmfast-$BIG-hot1" "$r" fM 6 --tep "$TEP" --maps "$BIG" --psid-len 3 --hot 1
		plan_line dec "$s" "dstmfast-$BIG" "$r" fM 6 --tep "$TEP" --maps "$BIG" --psid-len 3
	done
}

# planned DUT: does a line of the plan, as DSTM_BENCH_ONLY filters it, run
# on DUT?  (Not grep -q: its early exit fails the pipeline, pipefail.)
planned() {
	plan 1 | grep -E -- "${ONLY:-.}" | grep -c -- " -i g${IDX[$1]} " >/dev/null
}

# Nothing may have been dropped for a reason other than load, and a
# fast-path DUT that carried packets must have carried them on the fast
# path (a fast path that never engages would pass for the normal one).
check_drops() {
	local d out
	for d in d1 dN dM f1 fM; do
		out=$(nsx "$d" "$DSTMCTL" -j show dstm0) || fail "dstmctl show ($d)"
		python3 - "$d" "$out" <<-'EOF' || fail "$d: dstm dropped packets or took the normal path"
		import json, sys
		name, dev = sys.argv[1], json.loads(sys.argv[2])[0]
		st = dev["stats"]
		bad = {k: v for k, v in dev["drops"].items() if v and k != "not_ipv4"}
		fast = ""
		if name.startswith("f"):
		    ftx, frx = st.get("fast_tx_packets"), st.get("fast_rx_packets")
		    fast = ", fast tx %s rx %s, fast path on %s" % (ftx, frx, dev.get("fastpath"))
		    if st["tx_packets"] and not ftx:
		        bad["encapsulated, none fast"] = st["tx_packets"]
		    if st["rx_packets"] and not frx:
		        bad["decapsulated, none fast"] = st["rx_packets"]
		print("# %s: dstm0 rx %d tx %d packets%s, drops: %s" % (name,
		      st["rx_packets"], st["tx_packets"], fast, bad or "none"))
		sys.exit(1 if bad else 0)
		EOF
	done
	# The IPv4 neighbour table (one for all namespaces): what routing many
	# destinations straight to a tunnel device costs (performance.md).
	python3 -c '
rows = [l.split() for l in open("/proc/net/stat/arp_cache")]
h, v = rows[0], [[int(x, 16) for x in r] for r in rows[1:]]
tot = {k: sum(r[i] for r in v) for i, k in enumerate(h)}
tot["entries"] = v[0][h.index("entries")]
print("# arp_cache: " + ", ".join("%s %d" % (k, tot[k]) for k in
      ("entries", "allocs", "destroys", "forced_gc_runs", "table_fulls")))'
	for d in t1 tN; do
		nsx "$d" ip -s -s -j link show ip6tnl1 | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print("# %s: ip6tnl1 rx %d tx %d packets, rx errors %d dropped %d, tx errors %d dropped %d carrier %d" % (
    sys.argv[1], s["rx"]["packets"], s["tx"]["packets"], s["rx"]["errors"], s["rx"]["dropped"],
    s["tx"]["errors"], s["tx"]["dropped"], s["tx"]["carrier_errors"]))' "$d"
	done
}

# perf (cpu-clock sampling: TCG has no PMU) of the generator's CPU while
# it sends the traffic of each dir/size/variant in PROFILE; flat profile of
# the kernel symbols with their self time.
profile() {
	local tag line
	echo 0 >/proc/sys/kernel/kptr_restrict
	for tag in $PROFILE; do
		line=$(plan 1 | grep -E "^$tag/1 ") || fail "profile: no variant $tag"
		echo "${line/--time $TIME/--time 6}" >"$W/plan"
		# perf starts the generator once it records (its start-up takes
		# seconds under TCG).
		perf record -q -e cpu-clock -C "$CPU" -o "$W/perf.data" -- \
			nsenter --net=/run/netns/gen "$TX" plan "$W/plan" >"$W/perf.out" 2>&1 ||
			fail "perf record: $(cat "$W/perf.out")"
		say "profile $tag: $(grep RESULT "$W/perf.out"); CPU $CPU, self time >= 0.5%:"
		perf report -i "$W/perf.data" --no-children --sort sym --stdio -g none \
			--percent-limit 0.5 2>/dev/null | grep -E '^ +[0-9]' | sed 's/^/#   /'
	done
}

main() {
	local t r start=$SECONDS
	say "guest: kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)," \
		"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
	echo "KERNEL $(uname -r)"
	echo "CONFIG gateway=${GW:-none} portset-maps=$BIG"
	modprobe dstm || fail "modprobe dstm"
	modprobe ip6_tunnel || fail "modprobe ip6_tunnel"
	if [ "$HEADROOM" != veth ]; then
		modprobe bridge && modprobe vxlan || fail "modprobe bridge vxlan"
	fi
	t=$(now)
	topology
	say "topology: $(elapsed "$t") s"
	t=$(now)
	load_tables
	say "tables: $(elapsed "$t") s"
	if [ -n "$PROFILE" ]; then
		profile
		return
	fi
	# Rounds of every variant in turn: at least MIN_REPS, then more while
	# the next round fits in the time budget (a busy host gets fewer).
	r=0
	while :; do
		r=$((r + 1))
		t=$SECONDS
		plan "$r" | grep -E -- "${ONLY:-.}" >"$W/plan"
		nsx gen "$TX" plan "$W/plan" || fail "generator"
		say "round $r: $((SECONDS - t)) s"
		[ "$r" -lt "$MIN_REPS" ] && continue
		[ "$r" -lt "$MAX_REPS" ] || break
		[ $((SECONDS - start + (SECONDS - t))) -le "$BUDGET" ] || break
	done
	check_drops
}

main "$@"
