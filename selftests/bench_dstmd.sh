#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_dstmd.sh [-n N] [-r RATE] [-w WINDOW] [--no-kea] [-o FILE]
#
# The server section of "make bench": full DHCP4o6 exchanges
# (Information-request/Reply, DISCOVER/OFFER, REQUEST/ACK) for N distinct
# clients, by tools/dstmd/dstmd-load, against
#   - dstmd, sync=full   (every commit fsync'ed before the answers leave)
#   - dstmd, sync=normal (commits reach the OS before the answers leave:
#                         kill -9 safe, like Kea's memfile)
#   - ISC Kea 2.2, kea-dhcp6 + kea-dhcp4 in dhcp4o6 mode, memfile persisted
# each in a fresh pair of network namespaces on this machine, clients
# sending to ff02::1:2 on a veth.  Two runs per server: as fast as a window
# of WINDOW exchanges in flight allows (leases/s), and at a fixed RATE of
# new clients per second (latency p50/p99 of the whole exchange).  The
# server's own CPU time per lease (all its processes, the fast run) is the
# figure least disturbed by a busy machine.
# Prints a table; -o FILE also writes it (markdown).  Needs root.
set -uo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SELF/.." && pwd -P)
. "$SELF/dstmd-kea.sh"

N=20000 RATE=1000 WINDOW=256 KEA=1 OUT=
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-r) RATE=$2; shift 2 ;;
	-w) WINDOW=$2; shift 2 ;;
	--no-kea) KEA=0; shift ;;
	-o) OUT=$2; shift 2 ;;
	*) sed -n '4,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench_dstmd: needs root (network namespaces)"; exit 2; }
if [ "$KEA" = 1 ] && ! command -v kea-dhcp6 >/dev/null; then
	echo "bench_dstmd: kea-dhcp6-server not installed: Kea skipped (make deps)"
	KEA=0
fi
D=$TOP/tools/dstmd
[ -x "$D/dstmd" ] && [ -x "$D/dstmd-load" ] || make -C "$TOP/tools" >/dev/null || exit 1
W=$(mktemp -d /tmp/bench_dstmd.XXXXXX)
trap 'dk_kea_stop; dk_dstmd_stop; dk_topo_del; [ -n "${DSTM_BENCH_KEEP:-}" ] || rm -rf "$W"' EXIT

RATE_N=$((RATE * 5))	# 5 s at the fixed rate
ROWS=()
NOTES=()

# CPU time (ms) used so far by the server's processes.
cpu_ms() {
	local p t=0 tck
	tck=$(getconf CLK_TCK)
	for p in "$@"; do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo $((t * 1000 / tck))
}

field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

run() { # NAME PIDS...: the two load runs against the server now up
	local name=$1 c0 c1
	shift
	c0=$(cpu_ms "$@")
	dk_load "$D/dstmd-load" -n "$N" -w "$WINDOW" -t 2000 -R 5 --deadline 300 --seed 1 -j >"$W/max.json" ||
		echo "bench_dstmd: $name: $(cat "$W/max.json")"
	c1=$(cpu_ms "$@")
	dk_load "$D/dstmd-load" -n "$RATE_N" -r "$RATE" -w 4096 -t 2000 -R 5 --deadline 300 --seed 2 -j >"$W/rate.json" ||
		echo "bench_dstmd: $name: $(cat "$W/rate.json")"
	ROWS+=("$(printf '| %-24s | %9.0f | %8.2f | %8.2f | %7.0f | %8.2f | %8.2f | %6s | %s |' "$name" \
		"$(field "$W/max.json" leases_per_s)" "$(field "$W/max.json" p50_ms)" \
		"$(field "$W/max.json" p99_ms)" "$(field "$W/rate.json" leases_per_s)" \
		"$(field "$W/rate.json" p50_ms)" "$(field "$W/rate.json" p99_ms)" \
		"$(((c1 - c0) * 1000 / N))" \
		"$(($(field "$W/max.json" failed) + $(field "$W/rate.json" failed)))")")
	echo "${ROWS[-1]}"
}

for sync in full normal; do
	dk_topo_del; dk_topo || exit 1
	dk_dstmd_start "$W" "$D/dstmd" "$sync" || exit 1
	run "dstmd (sync=$sync)" "$DK_DSTMD_PID"
	dk_dstmd_stop
	# the server's own time per batch (receipt to last answer sent)
	NOTES+=("dstmd (sync=$sync) batches, receipt to last answer: $(grep -o 'batch_[a-z0-9_]*=[0-9]*' "$W/dstmd.log" | tr '\n' ' ')")
done
if [ "$KEA" = 1 ]; then
	dk_topo_del; dk_topo || exit 1
	dk_kea_start "$W" || exit 1
	# shellcheck disable=SC2086
	run "Kea 2.2 dhcp4o6 memfile" $DK_KEA_PIDS
	dk_kea_stop
fi

{
	echo "dstmd bench: $N clients as fast as a window of $WINDOW allows; $RATE_N clients at $RATE/s"
	echo "($(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d))"
	echo
	echo "| server                   | leases/s  | p50 ms   | p99 ms   | at rate | p50 ms   | p99 ms   | CPU us/lease | failed |"
	echo "|--------------------------|-----------|----------|----------|---------|----------|----------|--------------|--------|"
	printf '%s\n' "${ROWS[@]}"
	echo
	printf '%s\n' "${NOTES[@]}"
} | tee "$W/table"
[ -n "$OUT" ] && cp "$W/table" "$OUT"
exit 0
