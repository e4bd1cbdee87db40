#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the data plane's speed, in one QEMU guest per kernel.
#
#   bash selftests/bench.sh [6.1] [6.12]       (default: both)
#
# For each kernel, selftests/bench/guest.sh runs in a fresh guest (vm.sh,
# TCG, 2 vCPUs): plain IPv6 forwarding, ip6tnl external with encap ip6
# routes, dstm TEP with 1 / 131,072 / 1,048,576 mappings and dstm TEP with
# its fast path on (1 / 1,048,576 mappings), both directions, 64- and
# 1400-byte inner packets, plus the time to load the tables.
# selftests/bench/collect.py reads the guest's output on the host, adds the
# host CPU time the guest's vCPUs got during each measurement, and prints
# the summary, with each dstm variant's rate against ip6tnl's of the same
# round and each fast-path variant's against dstm's without it.  Method
# and results: Documentation/performance.md.
#
# Results go to build/bench/results-KVER.json and build/bench/results.md.
# Environment: DSTM_BENCH_BUDGET (guest seconds per kernel before it stops
# adding rounds, default 400), DSTM_BENCH_MIN_REPS / _MAX_REPS (3 / 9),
# DSTM_BENCH_TIME / _WARMUP (seconds per run, 1 / 0.3), DSTM_BENCH_SIZES
# ("64 1400"), DSTM_BENCH_MAPS (1048576), DSTM_BENCH_ROUTES (131072),
# DSTM_BENCH_HEADROOM (nic: the generator's frames get a NIC driver's headroom,
# the default; veth: the bare veth's 16 bytes), DSTM_BENCH_ONLY (a regex on
# "dir/size/variant": run only those, e.g.
# 'dstmfast-' for the fast-path variants; see bench/guest.sh).
# Exit status: 0 if every kernel's run completed, 1 otherwise.
set -uo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SELF/.." && pwd -P)
OUT=$TOP/build/bench
KERNELS=("$@")
[ ${#KERNELS[@]} -gt 0 ] || KERNELS=(6.1 6.12)

export CI=${CI:-true}
start=$SECONDS
fail=0

make -s -C "$SELF/bench" OUT="$OUT" || exit 1
[ -x "$TOP/tools/dstmctl/dstmctl" ] || make -s -C "$TOP/tools" || exit 1
mkdir -p "$OUT"

files=()
for k in "${KERNELS[@]}"; do
	log=$OUT/console-$k.log
	res=$OUT/results-$k.json
	rm -f "$log" "$res"
	echo "== bench: Linux $k (TCG guest, 2 vCPUs; about 8 minutes)"
	t=$SECONDS
	bash "$SELF/vm.sh" --kernel "$k" --mem 3072 --smp 2 --timeout 1200 --log "$log" \
		-- bash selftests/bench/guest.sh </dev/null |
		python3 "$SELF/bench/collect.py" --log "$log" --out "$res"
	rc=("${PIPESTATUS[@]}")
	if [ "${rc[0]}" != 0 ] || [ "${rc[1]}" != 0 ]; then
		echo "bench: Linux $k FAILED (vm.sh exit ${rc[0]}, collect.py exit ${rc[1]}); console log: $log" >&2
		fail=1
	else
		rm -f "$log"
	fi
	echo "== bench: Linux $k took $((SECONDS - t)) s"
	[ -s "$res" ] && files+=("$res")
done

if [ ${#files[@]} -gt 0 ]; then
	python3 "$SELF/bench/collect.py" --summary "${files[@]}"
	python3 "$SELF/bench/collect.py" --summary "${files[@]}" --markdown >"$OUT/results.md"
	echo
	echo "bench: tables in Markdown: $OUT/results.md"
fi
echo "bench: $((SECONDS - start)) s in all; $([ $fail = 0 ] && echo ok || echo FAILED)"
exit $fail
