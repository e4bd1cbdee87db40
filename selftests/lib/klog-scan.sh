#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# klog-scan.sh [-q] FILE...
#
# Scan kernel logs (a guest's serial console log, a dmesg dump) for reports
# that mean the kernel went wrong: WARN, BUG, Oops, panics, lockdep and RCU
# splats, kmemleak, UBSAN/KASAN/KFENCE, refcount and list corruption, hung
# tasks, stalls, stuck netdev references. Prints every offending line as
# FILE:LINE: TEXT and exits 1 if there was one, 0 if the logs are clean,
# 2 on usage errors. -q prints nothing.
#
# Lines the bench itself writes to the log start with "dstm-vm:" and are
# never reports; the patterns follow the kernel's own wording (case and
# all), so a test that merely prints "warning" does not trip them.
#
# Tested by klog-scan-selftest.sh (run on the host by selftests/run.sh).
set -euo pipefail

# One extended regex per line. Keep them specific to the kernel's messages.
PATTERNS=(
	'WARNING: '                                 # WARN(), lockdep "WARNING: possible ..."
	'BUG: '                                     # BUG: sleeping function..., soft lockup, KASAN, ...
	'kernel BUG at '
	'Oops: '
	'general protection fault'
	'Kernel panic'
	'possible circular locking dependency'
	'possible recursive locking'
	'inconsistent lock state'
	'suspicious RCU usage'
	'lock held when returning to user space'
	'bad unlock balance'
	'kmemleak: [0-9]+ new suspected memory leak'
	'unreferenced object 0x'
	'UBSAN: '
	'KASAN: '
	'KFENCE: '
	'KCSAN: '
	'refcount_t: '
	'unregister_netdevice: waiting for '
	'list_(add|del) corruption'
	'INFO: task .* blocked for more than'
	'rcu: INFO: .* detected stall'
	'detected stalls on CPU'
	'Call Trace:'
	'page allocation failure'
	'stack-protector: Kernel stack is corrupted'
	'skb_(over|under)_panic'
	'Memory corruption|memory corruption detected'
)

# Known-benign lines that match a pattern above (boot-time advisories).
ALLOW=(
	'Spectre V2 : WARNING: '
	'^[0-9]+:(\[ *[0-9.]+\] )?dstm-vm: '        # the bench's own lines
)

scan() { # file
	local re allow
	# One ERE alternation of all patterns; allowed lines filtered out
	# (grep -n puts "LINE:" in front, hence the ^[0-9]+: above).
	re=$(printf '%s|' "${PATTERNS[@]}")
	allow=$(printf '%s|' "${ALLOW[@]}")
	grep -n -E -e "${re%|}" -- "$1" | grep -v -E -e "${allow%|}" || true
}

main() {
	local quiet=0 bad=0 f hits
	if [ "${1:-}" = -q ]; then
		quiet=1
		shift
	fi
	if [ $# -eq 0 ]; then
		echo "usage: klog-scan.sh [-q] FILE..." >&2
		exit 2
	fi
	for f in "$@"; do
		[ -r "$f" ] || {
			echo "klog-scan: cannot read $f" >&2
			exit 2
		}
		hits=$(scan "$f")
		[ -n "$hits" ] || continue
		bad=1
		[ "$quiet" = 1 ] || printf '%s\n' "$hits" | while IFS= read -r l; do
			printf '%s:%s\n' "$f" "$l"
		done
	done
	exit "$bad"
}

main "$@"
