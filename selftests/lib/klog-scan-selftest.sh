#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit test of klog-scan.sh, on the host (run.sh runs it before the VMs):
# every sample report below must be caught, with the right line, and a
# clean boot log of each supported kernel (excerpts of real guest logs,
# including the messages that look alarming but are not) must pass.
# Prints TAP; exits non-zero on any failure.
set -euo pipefail

LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SCAN=$LIB/klog-scan.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
fail=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }

# expect_hit NAME EXPECTED-TEXT < log: the scan fails and reports that line.
expect_hit() {
	local name=$1 want=$2 out rc=0
	cat >"$T/log"
	out=$(bash "$SCAN" "$T/log") || rc=$?
	if [ "$rc" = 1 ] && grep -qF -- "$want" <<<"$out"; then
		ok "caught: $name"
	else
		not_ok "caught: $name (rc=$rc, output: ${out:-none})"
	fi
}

expect_clean() {
	local name=$1 out rc=0
	cat >"$T/log"
	out=$(bash "$SCAN" "$T/log") || rc=$?
	if [ "$rc" = 0 ] && [ -z "$out" ]; then
		ok "clean: $name"
	else
		not_ok "clean: $name (rc=$rc, output: $out)"
	fi
}

BOOT='[    0.000000] Linux version 6.1.0-50-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1
[    0.000000] Command line: console=ttyS0,115200 loglevel=5 panic=-1 oops=panic rdinit=/init
[    0.000000] tsc: Fast TSC calibration failed
[    0.000000] calibrate_delay_direct() failed to get a good estimate for loops_per_jiffy.
[    0.980890] mtrr: your CPUs had inconsistent fixed MTRR settings
[    1.709897] PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug
[    1.904665] acpi PNP0A03:00: fail to add MMCONFIG information, can'"'"'t access extended PCI configuration space under this bridge.
[    2.160733] Unstable clock detected, switching default tracing clock to "global"
[    3.970772] AMD-Vi: AMD IOMMUv2 functionality not available on this system - This is not a bug.
[    4.046891] RAS: Correctable Errors collector initialized.
[    4.100000] Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!
[    9.477427] evm: overlay not supported
[    9.600000] dstm-vm: running command
[   18.727135] dstm: loading out-of-tree module taints kernel.
[   18.727965] dstm: module verification failed: signature and/or required key missing - tainting kernel
[   19.000000] IPv6: ADDRCONF(NETDEV_CHANGE): veth1: link becomes ready
[   19.100000] dstm-vm: command exited with status 0
[   19.300000] sysrq: Power Off
[   19.310000] reboot: Power down'

expect_clean "boot log, module load, bench lines" <<<"$BOOT"
expect_clean "empty log" </dev/null
expect_clean "userspace says warning/bug in lower case" <<'EOF'
dstm-vm: FATAL-looking line from the bench itself: WARNING: BUG: (ignored)
a test printed: warning: bug in lowercase is not a kernel report
EOF

expect_hit "WARN() splat" "WARNING: CPU: 1 PID: 234 at" <<EOF
$BOOT
[   20.100001] ------------[ cut here ]------------
[   20.100002] WARNING: CPU: 1 PID: 234 at net/core/dev.c:10917 unregister_netdevice_many+0x5f0/0x680
[   20.100003] Modules linked in: dstm(OE) tunnel6 veth
[   20.100010] Call Trace:
[   20.100011]  <TASK>
[   20.100020] ---[ end trace 0000000000000000 ]---
EOF
expect_hit "BUG: sleeping in atomic" "BUG: sleeping function called from invalid context" <<'EOF'
[   21.000000] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580
[   21.000001] in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 312, name: dstmctl
EOF
expect_hit "NULL dereference Oops (6.1 wording)" "Oops: 0000 [#1] PREEMPT SMP NOPTI" <<'EOF'
[   22.000000] #PF: supervisor read access in kernel mode
[   22.000001] Oops: 0000 [#1] PREEMPT SMP NOPTI
EOF
expect_hit "GPF Oops (6.12 wording)" "Oops: general protection fault" <<'EOF'
[   22.000001] Oops: general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] PREEMPT SMP NOPTI
EOF
expect_hit "kernel BUG at" "kernel BUG at lib/list_debug.c:59!" <<'EOF'
[   23.000000] list_del corruption. prev->next should be ffff888004a1c800, but was dead000000000100. (prev=ffff888004a1c000)
[   23.000001] kernel BUG at lib/list_debug.c:59!
EOF
expect_hit "list corruption" "list_add corruption" <<'EOF'
[   23.000000] list_add corruption. next->prev should be prev (ffff888004a1c800), but was 0000000000000000. (next=ffff888004a1c000).
EOF
expect_hit "panic" "Kernel panic - not syncing" <<'EOF'
[   24.000000] Kernel panic - not syncing: Fatal exception in interrupt
EOF
expect_hit "lockdep: circular locking" "possible circular locking dependency detected" <<'EOF'
[   25.000000] ======================================================
[   25.000001] WARNING: possible circular locking dependency detected
[   25.000002] 6.12.95+deb12-amd64 #1 Tainted: G           OE
EOF
expect_hit "lockdep: inconsistent lock state" "inconsistent lock state" <<'EOF'
[   25.000001] WARNING: inconsistent lock state
EOF
expect_hit "lockdep: suspicious RCU usage" "suspicious RCU usage" <<'EOF'
[   25.000001] =============================
[   25.000002] WARNING: suspicious RCU usage
[   25.000003] net/dstm/table.c:42 suspicious rcu_dereference_check() usage!
EOF
expect_hit "kmemleak summary" "kmemleak: 2 new suspected memory leaks" <<'EOF'
[   26.000000] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)
EOF
expect_hit "kmemleak report" "unreferenced object 0xffff888003f1c000" <<'EOF'
unreferenced object 0xffff888003f1c000 (size 64):
  comm "ip", pid 312, jiffies 4294893458
EOF
expect_hit "UBSAN" "UBSAN: array-index-out-of-bounds" <<'EOF'
[   27.000000] UBSAN: array-index-out-of-bounds in /work/main/build/6.12/kernel/table.c:120:9
EOF
expect_hit "KASAN" "BUG: KASAN: slab-use-after-free in dstm_xmit" <<'EOF'
[   27.000000] ==================================================================
[   27.000001] BUG: KASAN: slab-use-after-free in dstm_xmit+0x1a/0x2b0 [dstm]
EOF
expect_hit "refcount_t" "refcount_t: underflow; use-after-free." <<'EOF'
[   28.000000] refcount_t: underflow; use-after-free.
EOF
expect_hit "leaked netdev reference" "unregister_netdevice: waiting for dstm0 to become free" <<'EOF'
[   40.000000] unregister_netdevice: waiting for dstm0 to become free. Usage count = 2
EOF
expect_hit "hung task" "INFO: task modprobe:412 blocked for more than 120 seconds." <<'EOF'
[  242.000000] INFO: task modprobe:412 blocked for more than 120 seconds.
EOF
expect_hit "RCU stall" "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" <<'EOF'
[   60.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
EOF
expect_hit "soft lockup" "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!" <<'EOF'
[   50.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [ip:312]
EOF
expect_hit "scheduling while atomic" "BUG: scheduling while atomic" <<'EOF'
[   50.000000] BUG: scheduling while atomic: ksoftirqd/0/15/0x00000100
EOF
expect_hit "bare call trace (page allocation failure)" "page allocation failure" <<'EOF'
[   51.000000] dstmctl: page allocation failure: order:10, mode:0x40dc0(GFP_KERNEL|__GFP_COMP|__GFP_ZERO), nodemask=(null)
EOF
expect_hit "report on the serial console (no timestamp)" "WARNING: CPU: 0 PID: 1" <<'EOF'
WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 bar+0x0/0x10
EOF

# Exit status conventions.
rc=0
bash "$SCAN" 2>/dev/null || rc=$?
if [ "$rc" = 2 ]; then ok "usage error exits 2"; else not_ok "usage error exits 2 (got $rc)"; fi
rc=0
echo "[ 1.0] BUG: x" >"$T/a"
echo "[ 1.0] fine" >"$T/b"
out=$(bash "$SCAN" -q "$T/b" "$T/a") || rc=$?
if [ "$rc" = 1 ] && [ -z "$out" ]; then ok "-q: silent, exits 1"; else not_ok "-q: silent, exits 1 (rc=$rc out=$out)"; fi
rc=0
out=$(bash "$SCAN" "$T/b" "$T/a") || rc=$?
if [ "$out" = "$T/a:1:[ 1.0] BUG: x" ]; then ok "reports FILE:LINE:TEXT"; else not_ok "reports FILE:LINE:TEXT (got '$out')"; fi

echo "1..$n"
[ "$fail" = 0 ]
