#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [--kernel V]... [-j N] [--list] [TEST...]
#
# -j N runs N VMs at a time (default 2 on a machine with 2 or more CPUs, else
# 1; DSTM_TEST_JOBS); the report stays in order. --list prints the tests.
#
# The test runner behind `make check`: every test, on every supported kernel
# installed (6.1 and 6.12; --kernel V, repeatable, picks some), each in a
# fresh VM (selftests/vm.sh). One line per (kernel, test):
#
#   ok   6.1.0-50-amd64       test_vm_smoke          12.3s
#   FAIL 6.12.95+deb12-amd64  netlink_api            40.1s  (exit 1)
#
# with the tail of a failed test's output below it, and at the very end the
# plain line "N passed, N failed". Exits 1 if a test failed or none ran.
#
# What a test is (the convention):
#   selftests/test_*.sh  a script, run as root in the guest from the top of
#                        the repository; exit 0 = pass, 4 = skip (kselftest's
#                        KSFT_SKIP), anything else = fail.
#   selftests/NAME.c     a C test (kselftest harness, TAP output), built by
#                        selftests/Makefile into build/selftests/NAME and run
#                        the same way; its exit status is the verdict.
#   selftests/lib/       helpers (shell libraries, C helper programs built
#                        into build/selftests/lib/), never run as tests.
# A test may ask for different VM settings with one line anywhere in its
# source of the form (after any comment leader)
#   vm-options: --mem 3072 --timeout 1800
# Allowed: --mem MB, --smp N, --timeout S (default 600, at most 3600),
# --no-unload. On the host, before the VMs, run.sh also runs the bench's own
# unit test (lib/klog-scan-selftest.sh), reported as kernel "host".
#
# TEST selects tests by name (test_vm_smoke, netlink_api), path or shell
# pattern (test_map*). Logs: build/test-logs/KVER/TEST.log (the test's
# stdout+stderr) and TEST.console (the guest's serial console).
#
# Time budget: `make check` must end in bounded time on a slow machine, so
# the whole run has a budget (default 80 minutes, DSTM_TEST_BUDGET in
# minutes, 0 = none): each test's timeout is cut to what is left, and tests
# that cannot start any more are reported as FAIL (over budget).
#
# Environment: DSTM_TEST_TIMEOUT (default per-test timeout, s),
# DSTM_TEST_JOBS (-j), DSTM_TEST_BUDGET, DSTM_VM_* (see vm.sh), and every
# DSTM_* variable is passed on into the guest.
set -euo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SELF/.." && pwd -P)
BUILD=$TOP/build
LOGS=$BUILD/test-logs
DEFAULT_TIMEOUT=${DSTM_TEST_TIMEOUT:-600}
MAX_TIMEOUT=3600
# Two VMs at a time where there are two CPUs: a test keeps about one vCPU
# busy (TCG), so a second VM nearly doubles the throughput.
JOBS=${DSTM_TEST_JOBS:-$(($(nproc) >= 2 ? 2 : 1))}
BUDGET=${DSTM_TEST_BUDGET:-80}
START=$SECONDS
TAIL=40

KERNELS=()
FILTERS=()
LIST=0
PASSED=0
FAILED=0
SKIPPED=0

usage() {
	if [ "${1:-2}" = 0 ]; then
		sed -n '4,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
	fi
	echo "usage: run.sh [--kernel V]... [-j N] [--list] [TEST...] (--help)" >&2
	exit "${1:-2}"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) KERNELS+=("${2:?--kernel needs a value}"); shift 2 ;;
		--kernel=*) KERNELS+=("${1#*=}"); shift ;;
		-j) JOBS=${2:?-j needs a value}; shift 2 ;;
		-j*) JOBS=${1#-j}; shift ;;
		--list) LIST=1; shift ;;
		-h | --help) usage 0 ;;
		-*) echo "run.sh: unknown option $1" >&2; usage ;;
		*) FILTERS+=("$1"); shift ;;
		esac
	done
	[[ $JOBS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: -j: not a number: $JOBS" >&2; exit 2; }
	[[ $BUDGET =~ ^[0-9]+$ ]] || { echo "run.sh: DSTM_TEST_BUDGET: not a number: $BUDGET" >&2; exit 2; }
}

# --kernel 6.1 -> 6.1.x; default: all supported installed kernels.
resolve_kernels() {
	local all k v found
	all=$(bash "$SELF/lib/kernels.sh")
	if [ ${#KERNELS[@]} -eq 0 ]; then
		mapfile -t KVERS <<<"$all"
		[ -n "${KVERS[0]:-}" ] || KVERS=()
		return 0
	fi
	KVERS=()
	for k in "${KERNELS[@]}"; do
		found=
		for v in $all; do
			if [ "$v" = "$k" ] || [[ $v == "$k".* ]]; then
				found=$v
			fi
		done
		if [ -z "$found" ]; then
			echo "run.sh: no installed supported kernel matches '$k'" >&2
			exit 2
		fi
		KVERS+=("$found")
	done
}

selected() { # name path
	local f
	[ ${#FILTERS[@]} -gt 0 ] || return 0
	for f in "${FILTERS[@]}"; do
		f=${f%.sh}
		f=${f%.c}
		# shellcheck disable=SC2053 # patterns are intended
		if [[ $1 == $f ]] || [[ $2 == $f ]] || [[ ${2%.sh} == */$f ]] || [[ ${2%.sh} == $f ]]; then
			return 0
		fi
	done
	return 1
}

# TESTS: "name<TAB>source<TAB>command" for each selected test, scripts first.
discover() {
	local f n
	TESTS=()
	for f in "$SELF"/test_*.sh; do
		[ -f "$f" ] || continue
		n=$(basename "$f" .sh)
		selected "$n" "selftests/$n.sh" || continue
		TESTS+=("$n	$f	selftests/$n.sh")
	done
	for f in "$SELF"/*.c; do
		[ -f "$f" ] || continue
		n=$(basename "$f" .c)
		selected "$n" "selftests/$n.c" || continue
		TESTS+=("$n	$f	build/selftests/$n")
	done
}

# The vm.sh options a test asks for ("vm-options:" line), validated.
vm_options() { # source -> words on stdout
	local line w prev='' out=() t
	line=$(grep -m1 -E '^[[:space:]]*(#|//|/?\*)?[[:space:]]*vm-options:' "$1" || true)
	line=${line#*vm-options:}
	line=${line%%\*/*}
	t=$DEFAULT_TIMEOUT
	for w in $line; do
		case $prev in
		--mem | --smp)
			[[ $w =~ ^[0-9]+$ ]] && out+=("$prev" "$w")
			prev=
			continue
			;;
		--timeout)
			[[ $w =~ ^[0-9]+$ ]] && t=$w
			prev=
			continue
			;;
		esac
		case $w in
		--mem | --smp | --timeout) prev=$w ;;
		--no-unload) out+=("$w") ;;
		*) echo "run.sh: $1: ignoring vm-options word '$w'" >&2 ;;
		esac
	done
	[ "$t" -le "$MAX_TIMEOUT" ] || t=$MAX_TIMEOUT
	out+=(--timeout "$t")
	echo "${out[*]}"
}

line() { # verdict kver name seconds [note]
	printf '%-4s %-22s %-28s %7ss%s\n' "$1" "$2" "$3" "$4" "${5:+  ($5)}"
}

show_tail() { # log
	echo "     --- last $TAIL lines of $1"
	tail -n "$TAIL" "$1" | sed 's/^/     | /'
}

# Run one test in a VM; record the verdict in $LOGS/KVER/NAME.rc.
run_one() { # kver name source command
	local kver=$1 name=$2 src=$3 cmd=$4 log dir opts rc=0 t0 t1 left
	dir=$LOGS/$kver
	mkdir -p "$dir"
	log=$dir/$name.log
	read -r -a opts <<<"$(vm_options "$src")"
	t0=$(date +%s.%N)
	if [ "$BUDGET" -gt 0 ]; then
		# The last word of opts is the timeout: cut it to the budget left.
		left=$((BUDGET * 60 - (SECONDS - START)))
		[ "${opts[-1]}" -le "$left" ] || opts[-1]=$left
	fi
	if [ "$BUDGET" -gt 0 ] && [ "${opts[-1]}" -lt 30 ]; then
		echo "run.sh: not started: the run's time budget (${BUDGET} min) is spent" >"$log"
		rc=200
	elif [ ! -e "$TOP/$cmd" ]; then
		echo "run.sh: $cmd does not exist (not built?)" >"$log"
		rc=127
	else
		(cd "$TOP" && DSTM_TEST_NAME=$name bash "$SELF/vm.sh" --kernel "$kver" \
			--log "$dir/$name.console" "${opts[@]}" -- "$cmd") \
			</dev/null >"$log" 2>&1 || rc=$?
	fi
	t1=$(date +%s.%N)
	echo "$rc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" >"$dir/$name.rc.tmp"
	mv -f "$dir/$name.rc.tmp" "$dir/$name.rc"
}

report() { # kver name
	local kver=$1 name=$2 rc secs note
	read -r rc secs <"$LOGS/$kver/$name.rc"
	case $rc in
	0)
		line ok "$kver" "$name" "$secs"
		PASSED=$((PASSED + 1))
		;;
	4)
		line skip "$kver" "$name" "$secs"
		SKIPPED=$((SKIPPED + 1))
		;;
	*)
		case $rc in
		124) note="timeout" ;;
		125) note="VM failure" ;;
		127) note="not found" ;;
		200) note="over budget" ;;
		*) note="exit $rc" ;;
		esac
		line FAIL "$kver" "$name" "$secs" "$note"
		show_tail "$LOGS/$kver/$name.log"
		FAILED=$((FAILED + 1))
		;;
	esac
}

host_tests() {
	local t0 t1 rc=0 log=$LOGS/host/klog-scan-selftest.log
	selected klog-scan-selftest selftests/lib/klog-scan-selftest.sh || return 0
	mkdir -p "$LOGS/host"
	t0=$(date +%s.%N)
	bash "$SELF/lib/klog-scan-selftest.sh" >"$log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	echo "$rc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" >"$LOGS/host/klog-scan-selftest.rc"
	report host klog-scan-selftest
}

build_c_tests() {
	local n
	n=$(find "$SELF" -maxdepth 2 -name '*.c' -path '*selftests/*' | head -n1)
	[ -n "$n" ] || return 0
	mkdir -p "$LOGS"
	if ! make -s -C "$SELF" >"$LOGS/build.log" 2>&1; then
		echo "run.sh: building the C selftests failed; they will fail:" >&2
		tail -n "$TAIL" "$LOGS/build.log" | sed 's/^/     | /' >&2
	fi
}

main() {
	local k t name src cmd pending=() running=0 i
	parse_args "$@"
	resolve_kernels
	discover
	if [ "$LIST" = 1 ]; then
		for t in "${TESTS[@]}"; do
			IFS=$'\t' read -r name src cmd <<<"$t"
			echo "$name	$cmd	$(vm_options "$src")"
		done
		exit 0
	fi
	if [ ${#KVERS[@]} -eq 0 ]; then
		echo "run.sh: no supported kernel (6.1, 6.12) installed: run make deps" >&2
	fi
	echo "# kernels: ${KVERS[*]:-none}"
	echo "# tests: ${#TESTS[@]} per kernel, logs in ${LOGS#"$TOP"/}/"
	for k in "${KVERS[@]}"; do
		[ -f "$BUILD/$k/dstm.ko" ] || echo "# note: $BUILD/$k/dstm.ko is not built (make modules)"
	done
	host_tests
	build_c_tests

	# Queue every (kernel, test); run up to JOBS at a time; report in order.
	for k in "${KVERS[@]}"; do
		for t in "${TESTS[@]}"; do
			pending+=("$k	$t")
		done
	done
	# Verdicts of earlier runs must not pass for this one's.
	for i in "${!pending[@]}"; do
		IFS=$'\t' read -r k name src cmd <<<"${pending[i]}"
		rm -f "$LOGS/$k/$name.rc"
	done
	for i in "${!pending[@]}"; do
		IFS=$'\t' read -r k name src cmd <<<"${pending[i]}"
		run_one "$k" "$name" "$src" "$cmd" &
		running=$((running + 1))
		if [ "$running" -ge "$JOBS" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		flush_reports
	done
	wait || true
	flush_reports
	[ "$SKIPPED" = 0 ] || echo "# $SKIPPED skipped"
	if [ ${#pending[@]} -eq 0 ]; then
		echo "run.sh: no test ran in a VM" >&2
	fi
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" = 0 ] && [ ${#pending[@]} -gt 0 ]; then
		exit 0
	fi
	exit 1
}

# Print the verdicts of finished tests, in queue order.
NEXT=0
flush_reports() {
	local k name src cmd
	while [ "$NEXT" -lt "${#pending[@]}" ]; do
		IFS=$'\t' read -r k name src cmd <<<"${pending[NEXT]}"
		[ -f "$LOGS/$k/$name.rc" ] || return 0
		report "$k" "$name"
		NEXT=$((NEXT + 1))
	done
}

main "$@"
