#!/bin/bash
# make check, after deps and the build: every test the project has, in one
# run, ending with one plain "N passed, N failed" line for all of them.
#
#   1. host: the tools' unit tests (no kernel needed), their own summary
#   2. host: each libFuzzer target for a short bounded run (one test each)
#   3. QEMU: selftests/run.sh, every selftest on every supported kernel
#
# Each part always runs; the exit status is 1 if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

passed=0
failed=0
logdir=$top/build/check
mkdir -p "$logdir"

# Add the counts of the last "N passed, N failed" line of $1.
tally() { # LOG RC
	local line p f
	line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n1)
	if [ -z "$line" ]; then
		echo "check: $1 has no summary line; counted as one failure" >&2
		failed=$((failed + 1))
		return
	fi
	p=$(sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$2" != 0 ] && [ "$f" = 0 ]; then
		echo "check: $1 exited $2 with no failure counted; counted as one" >&2
		failed=$((failed + 1))
	fi
}

echo "== host unit tests"
make -s -C tools test 2>&1 | tee "$logdir/unit.log"
tally "$logdir/unit.log" "${PIPESTATUS[0]}"

echo "== fuzzing (${FUZZ_TIME:-10} s per target)"
if make -s -C tools fuzz FUZZ_TIME="${FUZZ_TIME:-10}" >"$logdir/fuzz.log" 2>&1; then
	n=$(grep -c '^fuzz: ' "$logdir/fuzz.log")
	echo "fuzz: $n targets, no crash"
	passed=$((passed + n))
else
	tail -n 40 "$logdir/fuzz.log"
	echo "fuzz: a target crashed or failed to build (build/check/fuzz.log)"
	failed=$((failed + 1))
fi

echo "== kernel selftests in QEMU"
# The YNL spec test needs the kernel's YNL tools unpacked on the host:
# unpacking inside a TCG guest takes minutes.
bash selftests/test_ynl_spec.sh --prepare >"$logdir/ynl-prepare.log" 2>&1 ||
	echo "check: YNL prepare failed (build/check/ynl-prepare.log)" >&2
bash selftests/run.sh 2>&1 | tee "$logdir/vm.log"
tally "$logdir/vm.log" "${PIPESTATUS[0]}"

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
