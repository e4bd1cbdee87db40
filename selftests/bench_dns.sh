#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_dns.sh [--kernel V] [--smp N] [-n HOSTS] [-l SECONDS] [-r RUNS]
#              [-t TRIALS] [-Q RATE] [-o FILE]
#
# The DNS section of "make bench" (dstmd's DNS extension, issue 5), in one
# QEMU guest (selftests/vm.sh, TCG; default kernel 6.12, 2 vCPUs):
#
#   1. Steady-state queries/s: HOSTS (10,000) hosts register their names
#      (h1-I.dstm.test. through the Client FQDN option) and take leases
#      from dstmd (tools/dstmd/dstmd-load --fqdn); the names and addresses
#      of dstmd's store become a static zone file (bench/dns_bench.py)
#      which Knot DNS (knotd) and NSD serve; each server must answer 50
#      names as the file says.  The three are up at once in a network
#      namespace, each on its own address, port 53.  dnsperf sends a
#      shuffled mix of A and AAAA queries for every name plus ~9% names
#      that do not exist (NXDOMAIN), 200 in flight from 4 sockets (timeout
#      2 s), RUNS rounds of SECONDS seconds, each server once per round in
#      turn.  With N vCPUs the servers are pinned to the first N-1 and
#      given as many threads where they have the setting (Knot udp-workers,
#      NSD server-count; dstmd answers from its one event loop), dnsperf to
#      the last one; no response rate limiting (NSD's RRL: off).
#      Reported per server: qps (median of the rounds), queries per second
#      of host CPU given to the server's vCPU(s) (bench/dns_collect.py:
#      the figure least disturbed by a busy host), the guest's CPU time
#      per query, queries lost (and how many the kernel dropped for a full
#      socket buffer), dnsperf's average latency (mostly queueing at that
#      load), and the latency at a fixed RATE (1000/s) all of them sustain.
#   2. On-demand A: a host ("dstmctl client ... fqdn a.dstm.test.", the
#      real agent on a dstm client device; the standard topology of
#      lib/topo.sh) registered its name and has no lease; the IPv4 host B
#      asks dstmd for a.dstm.test. A; timed from the query to the answer,
#      which includes dstmd's reservation, its Reconfigure, the agent's
#      Information-request/DISCOVER/REQUEST and the lease being put in
#      place.  TRIALS (20) times (the agent's idle release takes the lease
#      away between trials); p50/p99, split with the agent's event times,
#      and next to it a plain A (lease in place) and AAAA answer.
#
# Goals (issue 5): qps within 2x of Knot/NSD; on-demand answer < 50 ms.
# DSTM_BENCH_DNS_ONLY=qps or =ondemand runs one part only;
# DSTM_BENCH_DNS_PROFILE=1 adds a perf profile of each server under load.
# Results: Documentation/performance-dns.md.  Prints a markdown fragment;
# -o FILE also writes it, and the guest's whole output to FILE without
# .md, plus .log.  Needs root (vm.sh).
set -uo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SELF/.." && pwd -P)

HOSTS=10000 DUR=10 RUNS=3 TRIALS=20 QRATE=1000 OUT= SMP=2 GUEST=0
KERNEL=${DSTM_VM_KERNEL:-6.12}
ONLY=${DSTM_BENCH_DNS_ONLY:-}	# qps | ondemand: one part only
PROFILE=${DSTM_BENCH_DNS_PROFILE:-}	# 1: perf profiles of the servers too
while [ $# -gt 0 ]; do
	case $1 in
	-n) HOSTS=$2; shift 2 ;;
	-l) DUR=$2; shift 2 ;;
	-r) RUNS=$2; shift 2 ;;
	-t) TRIALS=$2; shift 2 ;;
	-Q) QRATE=$2; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--guest) GUEST=1; shift ;;
	*) sed -n '4,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit 2 ;;
	esac
done
PY=$SELF/bench/dns_bench.py
ZONE=dstm.test.

# ============================================================ in the guest
if [ "$GUEST" = 1 ]; then
	# shellcheck source=lib/topo.sh
	. "$SELF/lib/topo.sh"
	. "$SELF/lib/agent.sh"
	for b in dnsperf knotd nsd kdig; do
		command -v "$b" >/dev/null || { echo "# FAIL: $b not installed (make deps)"; exit 1; }
	done
	cp "$TOP/tools/dstmd/dstmd" "$TOP/tools/dstmd/dstmd-load" "$TMPD/" || exit 1
	NCPU=$(nproc)
	if [ "$NCPU" -ge 2 ]; then
		SRV_CPUS=0-$((NCPU - 2)) CL_CPU=$((NCPU - 1)) THREADS=$((NCPU - 1))
	else
		SRV_CPUS=0 CL_CPU=0 THREADS=1
	fi
	echo "CONFIG cpus=$NCPU kernel=$(uname -r) hosts=$HOSTS dur=$DUR runs=$RUNS rate=$QRATE trials=$TRIALS"
	S6=2001:db8:4::1 C6=2001:db8:4::2

	# The CPU time (ms) of a server: PID and its descendants (NSD forks
	# xfrd and its server processes; Knot's threads are in its stat).
	tree_pids() {
		local p
		echo "$1"
		for p in $(ps -o pid= --ppid "$1"); do tree_pids "$p"; done
	}
	srv_cpu_ms() {
		local p t=0 tck
		tck=$(getconf CLK_TCK)
		for p in $(tree_pids "$1"); do
			[ -r "/proc/$p/stat" ] || continue
			# after "PID (COMM) ": COMM may hold spaces ("nsd: xfrd")
			t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
		done
		echo $((t * 1000 / tck))
	}
	# soa NS ADDR: the server answers for the zone
	soa() {
		ip netns exec "$1" kdig @"$2" -p 53 "$ZONE" SOA +timeout=1 +retry=0 2>&1 |
			grep -q 'status: NOERROR'
	}
	# srv_start NAME CMD...: a server in ds, pinned; SRV_PID[NAME].
	declare -A SRV_PID SRV_ADDR
	srv_start() {
		local name=$1
		shift
		ip netns exec ds taskset -c "$SRV_CPUS" "$@" >"$TMPD/$name.log" 2>&1 &
		SRV_PID[$name]=$!
		TOPO_PIDS+=("$!")
	}
	srv_stop() {
		local p
		for p in $(tree_pids "${SRV_PID[$1]}" | tac); do kill "$p" 2>/dev/null; done
		wait "${SRV_PID[$1]}" 2>/dev/null
		unset "SRV_PID[$1]"
	}
	# dp NAME ARGS...: dnsperf against server NAME, pinned to the last CPU
	dp() {
		local name=$1
		shift
		nsx dc taskset -c "$CL_CPU" dnsperf -s "${SRV_ADDR[$name]}" -p 53 \
			-d "$TMPD/queries" -c 4 -T 1 -q 200 -t 2 "$@" 2>&1
	}
	dpval() { # KEY: from dnsperf's output on stdin
		case $1 in
		qps) sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' ;;
		lost) sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' ;;
		completed) sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' ;;
		lat) sed -n 's/^ *Average Latency (s): *\([0-9.]*\).*/\1/p' | awk '{ printf "%.2f", $1 * 1000 }' ;;
		nx) sed -n 's/^ *Response codes:.*NXDOMAIN [0-9]* (\([0-9.]*%\)).*/\1/p' ;;
		esac
	}
	# run NAME TAG ARGS...: one dnsperf run between CPU-time marks; a RUN
	# line (guest figures); dns_collect.py on the host adds a VCPU line.
	rcvbuf_errors() { # datagrams the servers' sockets had no room for
		awk '$1 == "Udp6RcvbufErrors" { print $2 }' "/proc/$(ip netns pids ds | head -n 1)/net/snmp6"
	}
	run() {
		local name=$1 tag=$2 c0 c1 out e0
		shift 2
		e0=$(rcvbuf_errors)
		c0=$(srv_cpu_ms "${SRV_PID[$name]}")
		echo "MARK $tag b"
		sleep 0.2
		out=$(dp "$name" "$@")
		echo "MARK $tag e"
		c1=$(srv_cpu_ms "${SRV_PID[$name]}")
		grep -v Timeout <<<"$out" >"$TMPD/dnsperf.$tag"
		echo "RUN $tag server=$name qps=$(dpval qps <<<"$out") completed=$(dpval completed <<<"$out")" \
			"lost=$(dpval lost <<<"$out") lat_ms=$(dpval lat <<<"$out") nx=$(dpval nx <<<"$out")" \
			"cpu_ms=$((c1 - c0)) rcvbuf_errors=$(($(rcvbuf_errors) - e0))"
	}

	# ---------------------------------------------------- 1. queries/s
	if [ "$ONLY" != ondemand ]; then
	SRV_ADDR=([dstmd]=$S6 [knot]=2001:db8:4::11 [nsd]=2001:db8:4::12)
	check "namespaces ds (servers: ${SRV_ADDR[*]}) and dc (dnsperf, dstmd-load)" eval \
		"ns_add ds && ns_add dc && veth ds s0 dc c0 && addr6 ds s0 $S6/64 &&
		 addr6 ds s0 ${SRV_ADDR[knot]}/64 && addr6 ds s0 ${SRV_ADDR[nsd]}/64 && addr6 dc c0 $C6/64"
	cat >"$TMPD/dstmd-bench.conf" <<-EOF
	[server]
	listen = $S6
	lease-db = $TMPD/dstmd.db
	sync = normal
	rate-limit = 0
	reconcile-interval = 0
	dhcp4o6-server = $S6
	[pool main]
	prefix = 10.20.0.0/16
	lease-time = 7200
	tep = 2002:100::1
	[dns]
	zone = $ZONE
	listen = $S6
	port = 53
	EOF
	srv_start dstmd "$TMPD/dstmd" -c "$TMPD/dstmd-bench.conf"
	check "dstmd starts ([dns] on [$S6]:53, one event loop)" eval \
		"wait_for 30 grep -q serving $TMPD/dstmd.log && wait_for 10 soa dc $S6 || { cat $TMPD/dstmd.log; false; }"
	t=$SECONDS
	check "$HOSTS hosts register names and take leases (dstmd-load --fqdn)" eval \
		"nsx dc taskset -c $CL_CPU $TMPD/dstmd-load -s $S6 -n $HOSTS -w 256 -t 2000 -R 5 --seed 1 --fqdn -j >$TMPD/load.json"
	say "population: $(cat "$TMPD/load.json") ($((SECONDS - t)) s)"
	check "the store as a zone file and a query file" eval \
		"python3 -I -S $PY zone $TMPD/dstmd.db $ZONE $S6 $TMPD/dstm.test.zone $TMPD/queries --nx $((HOSTS / 5)) >$TMPD/nhosts"
	check "... with every host" eq "$(cat "$TMPD/nhosts")" "$HOSTS"
	say "queries: $(wc -l <"$TMPD/queries") ($(grep -c ' A$' "$TMPD/queries") A, $(grep -c ' AAAA$' "$TMPD/queries") AAAA, $(grep -c '^nx' "$TMPD/queries") nonexistent)"

	# Knot DNS
	mkdir -p "$TMPD/knot"
	cat >"$TMPD/knot.conf" <<-EOF
	server:
	    rundir: "$TMPD/knot"
	    pidfile: "$TMPD/knot/knot.pid"
	    listen: ${SRV_ADDR[knot]}@53
	    udp-workers: $THREADS
	    tcp-workers: 1
	    background-workers: 1
	database:
	    storage: "$TMPD/knot"
	control:
	    listen: "$TMPD/knot/knot.sock"
	log:
	  - target: stderr
	    any: warning
	zone:
	  - domain: $ZONE
	    file: "$TMPD/dstm.test.zone"
	    journal-content: none
	    zonefile-sync: -1
	EOF
	srv_start knot knotd -c "$TMPD/knot.conf"
	check "knotd ($THREADS UDP worker(s)) serves the zone on ${SRV_ADDR[knot]}" eval \
		"wait_for 60 soa dc ${SRV_ADDR[knot]} || { cat $TMPD/knot.log; false; }"

	# NSD
	cat >"$TMPD/nsd.conf" <<-EOF
	server:
	    ip-address: ${SRV_ADDR[nsd]}@53
	    server-count: $THREADS
	    username: ""
	    chroot: ""
	    zonesdir: "$TMPD"
	    database: ""
	    pidfile: "$TMPD/nsd.pid"
	    xfrdfile: "$TMPD/nsd-xfrd.state"
	    xfrdir: "$TMPD"
	    zonelistfile: "$TMPD/nsd-zone.list"
	    cookie-secret-file: "$TMPD/nsd-cookiesecrets.txt"
	    logfile: "$TMPD/nsd-own.log"
	    verbosity: 0
	    rrl-ratelimit: 0
	    rrl-whitelist-ratelimit: 0
	remote-control:
	    control-enable: no
	zone:
	    name: $ZONE
	    zonefile: "$TMPD/dstm.test.zone"
	EOF
	srv_start nsd nsd -d -c "$TMPD/nsd.conf"
	check "nsd (server-count $THREADS, no RRL) serves the zone on ${SRV_ADDR[nsd]}" eval \
		"wait_for 60 soa dc ${SRV_ADDR[nsd]} || { cat $TMPD/nsd.log $TMPD/nsd-own.log; false; }"

	SERVERS=()
	for s in dstmd knot nsd; do
		[ -n "${SRV_PID[$s]:-}" ] || continue
		check "$s answers as the zone file says (50 names, A and AAAA; NXDOMAIN)" \
			nsx dc python3 -I -S "$PY" check "${SRV_ADDR[$s]}" 53 "$TMPD/dstm.test.zone" 50 &&
			SERVERS+=("$s")
	done
	# the UDP sockets' receive buffers (skmem rb): each server's own choice
	nsx ds ss -u -l -n -m -p 2>/dev/null | awk '/^UNCONN/ { a = $4; p = substr($0, index($0, "users:")) } /skmem/ {
		match($0, /rb[0-9]+/); print "# socket " a " " p ": receive buffer " substr($0, RSTART + 2, RLENGTH - 2) }'
	for s in "${SERVERS[@]}"; do
		dp "$s" -l 2 >/dev/null	# warm-up
	done
	# Rounds, each server once per round (the order turning): a busy
	# host slows every server alike.
	n=${#SERVERS[@]}
	for r in $(seq "$RUNS"); do
		for i in $(seq 0 $((n - 1))); do
			s=${SERVERS[$(((i + r) % n))]}
			run "$s" "max.$s.$r" -l "$DUR"
		done
	done
	for s in "${SERVERS[@]}"; do
		run "$s" "rate.$s" -l "$DUR" -Q "$QRATE"
	done
	for s in "${SERVERS[@]}"; do
		sed "s/^/DNSPERF $s: /" "$TMPD/dnsperf.max.$s.1"
	done
	# perf (cpu-clock sampling: TCG has no PMU) of the servers' vCPU(s)
	# under the same load: where each server's time goes.
	if [ -n "$PROFILE" ]; then
		echo 0 >/proc/sys/kernel/kptr_restrict
		for s in "${SERVERS[@]}"; do
			# perf starts dnsperf once it records (its own start is slow)
			perf record -q -e cpu-clock -C "$SRV_CPUS" -o "$TMPD/perf.$s" -- \
				ip netns exec dc taskset -c "$CL_CPU" dnsperf -s "${SRV_ADDR[$s]}" -p 53 \
				-d "$TMPD/queries" -c 4 -T 1 -q 200 -t 2 -l "$DUR" >"$TMPD/perf.out" 2>&1
			say "profile of $s (CPU $SRV_CPUS, self time >= 1%):"
			perf report -i "$TMPD/perf.$s" --no-children --sort comm,dso,sym --stdio -g none \
				--percent-limit 1 2>/dev/null | grep -E '^ +[0-9]' | sed 's/^/#   /'
			perf report -i "$TMPD/perf.$s" --no-children --sort comm,dso --stdio -g none \
				--percent-limit 1 2>/dev/null | grep -E '^ +[0-9]' | sed 's/^/#   by dso: /'
		done
	fi
	for s in dstmd knot nsd; do
		[ -n "${SRV_PID[$s]:-}" ] && srv_stop "$s"
	done
	grep -E 'counters|warn|error' "$TMPD/dstmd.log" | tail -n 3 | sed 's/^/# dstmd: /'
	fi

	# ---------------------------------------------------- 2. on-demand A
	if [ "$ONLY" != qps ]; then
	check "standard topology" topo_standard
	dstmd_conf "range = 198.51.100.10-198.51.100.250" "lease-time = 180"
	printf '[dns]\nzone = %s\nlisten = ::\nport = 53\n' "$ZONE" >>"$TMPD/dstmd.conf"
	if check "dstmd starts with [dns]" dstmd_start; then
		# B is IPv4-only; if dstmd answers on IPv6 only, B gets an IPv6
		# address toward the TEP for its queries.
		DNS=$B4_GW
		if ! wait_for 5 soa b "$DNS"; then
			say "dstmd does not answer on $DNS: B asks over IPv6"
			addr6 tep tb0 2001:db8:5::1/64
			addr6 b b0 2001:db8:5::2/64
			DNS=2001:db8:5::1
		fi
		check "dstmd answers B's SOA query on $DNS" wait_for 10 soa b "$DNS"
		check "a: client device" client_dev a
		check "agent with fqdn a.$ZONE (acquires at start, idle release 3 s)" \
			agent_start a a server "$TEP6" fqdn "a.$ZONE" idle 3 acquire now
		check "... registered: bound" agent_wait a bound 1 30
		check "... released when idle" agent_wait a released 1 30
		sleep 1
		# trial 0: the first (cold) one, reported apart
		for t in $(seq 0 "$TRIALS"); do
			# the on-demand A, then at once a plain A and an AAAA
			nsx b python3 -I -S "$PY" query "$DNS" 53 "a.$ZONE/A" "a.$ZONE/A" "a.$ZONE/AAAA" \
				--timeout 10 >"$TMPD/q.$t"
			check "trial $t: bound (Reconfigure)" agent_wait a bound $((t + 2)) 15
			addr=$(agent_field a bound addr)
			bound_ms=$(agent_field a bound unix_ms)
			reconf_ms=$(agent_field a reconfigure unix_ms)
			read -r sent ms rcode ans ttl <<<"$(sed -n '1s/[a-z_]*=//gp' "$TMPD/q.$t")"
			read -r _ ms2 rcode2 ans2 _ <<<"$(sed -n '2s/[a-z_]*=//gp' "$TMPD/q.$t")"
			read -r _ ms6 _ ans6 _ <<<"$(sed -n '3s/[a-z_]*=//gp' "$TMPD/q.$t")"
			check "trial $t: answered $rcode $ans in $ms ms, the lease's address ($addr)" eq "$ans" "$addr"
			check "trial $t: A with the lease in place: the same" eq "$rcode2 $ans2" "NOERROR $addr"
			echo "ONDEMAND trial=$t ms=$ms rcode=$rcode answer=$ans ttl=$ttl lease=$addr" \
				"to_reconfigure_ms=$(awk -v a="$reconf_ms" -v s="$sent" 'BEGIN { print a - int(s) }')" \
				"reconfigure_to_bound_ms=$((bound_ms - reconf_ms))" \
				"bound_to_answer_ms=$(awk -v b="$bound_ms" -v s="$sent" -v m="$ms" 'BEGIN { print (m == "-") ? "-" : int(s + m) - b }')" \
				"a_ms=$ms2 a_rcode=$rcode2 a_answer=$ans2 aaaa_ms=$ms6 aaaa_answer=$ans6"
			check "trial $t: idle release" agent_wait a released $((t + 2)) 30
			sleep 1
		done
		check "agent stops" agent_stop a 0
		dstmd_stop
	fi
	[ "$T_FAIL" = 0 ] || { sed 's/^/# agent: /' "$TMPD/agent.a.log" 2>/dev/null | tail -n 20;
		sed 's/^/# dstmd: /' "$TMPD/dstmd.log" 2>/dev/null | tail -n 20; }
	fi
	topo_done
fi

# ============================================================= on the host
[ "$(id -u)" = 0 ] || { echo "bench_dns: needs root (vm.sh)"; exit 2; }
[ -x "$TOP/tools/dstmd/dstmd" ] && [ -x "$TOP/tools/dstmd/dstmd-load" ] && [ -x "$TOP/tools/dstmctl/dstmctl" ] ||
	make -s -C "$TOP/tools" >/dev/null || exit 1
W=$(mktemp -d /tmp/bench_dns.XXXXXX)
trap 'rm -rf "$W"' EXIT
echo "# DNS bench: QEMU guest, kernel $KERNEL, $SMP vCPUs (TCG); about 10 minutes"
bash "$SELF/vm.sh" --kernel "$KERNEL" --smp "$SMP" --mem 2048 --timeout 1800 --log "$W/console.log" -- \
	bash "$SELF/bench_dns.sh" --guest -n "$HOSTS" -l "$DUR" -r "$RUNS" -t "$TRIALS" -Q "$QRATE" 2>&1 |
	python3 "$SELF/bench/dns_collect.py" "$W/console.log" >"$W/guest.log"
rc=${PIPESTATUS[0]}
grep -E '^(not ok|# )' "$W/guest.log" | grep -v '^# agent\|^# dstmd' | head -40
grep -E '^(RUN|VCPU|ONDEMAND)' "$W/guest.log" | sed 's/^/  /'
kver=$(sed -n 's/^CONFIG .*kernel=\([^ ]*\).*/\1/p' "$W/guest.log")
[ "$rc" = 0 ] || { echo "bench_dns: the guest run failed (vm.sh exit $rc)"; tail -n 40 "$W/guest.log"; }
{
	echo "DNS bench: $HOSTS hosts with leases; dnsperf (200 in flight), $RUNS rounds of $DUR s,"
	echo "the servers in turn (median); on-demand A, $TRIALS trials.  QEMU TCG guest,"
	echo "Linux ${kver:-$KERNEL}, $SMP vCPUs (server on vCPU 0..$((SMP - 2)), dnsperf on $((SMP - 1)));"
	echo "host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)."
	echo
	python3 "$SELF/bench/dns_collect.py" --summary "$W/guest.log"
} | tee "$W/table"
[ -n "$OUT" ] && cp "$W/table" "$OUT" && cp "$W/guest.log" "${OUT%.md}.log"
exit "$rc"
