#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of a test bench guest, exec'd by the initramfs (initramfs-init.sh)
# once the filesystem tree is mounted. Runs the command vm.sh wrote into the
# shared directory, checks that dstm unloads cleanly, reports the exit
# status and the kernel log back through the shared directory, powers off.
# Its own messages go to the serial console (the console log on the host);
# the command's stdout/stderr go to two virtio-serial ports that vm.sh
# copies to its stdout/stderr.
#
# The shared directory (mount tag "dstmvm", mounted at $SHARE):
#   cmd.sh      written by vm.sh: cd + environment + exec COMMAND
#   vm.env      written by vm.sh: KVER= MODLAYER= RWDIRS= DSTM_VM_UNLOAD=
#   started     written here just before COMMAND runs
#   status      written here: COMMAND's exit status
#   notes       written here: bench-level failures (e.g. dstm did not unload)
#   dmesg       written here: the whole kernel log at the end
#   tainted     written here: /proc/sys/kernel/tainted at the end
#   kmemleak    written here: kmemleak's report, if the kernel has kmemleak

set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SHARE=/run/dstm-vm

say() { echo "dstm-vm: $*" >/dev/console; }

halt() {
	sync
	# Prefer ACPI power-off; if that does not work, reboot, which QEMU
	# (-no-reboot) turns into an exit as well.
	echo o >/proc/sysrq-trigger 2>/dev/null
	sleep 5
	echo b >/proc/sysrq-trigger 2>/dev/null
	sleep 30
	exit 1
}

fatal() {
	say "FATAL: $*"
	echo "guest setup failed: $*" >>"$SHARE/notes" 2>/dev/null
	halt
}

port() { # name -> /dev/vportNpM; the ports appear asynchronously
	local p n i
	for ((i = 0; i < 100; i++)); do
		for p in /sys/class/virtio-ports/*; do
			[ -r "$p/name" ] || continue
			read -r n <"$p/name" || continue
			if [ "$n" = "$1" ] && [ -c "/dev/${p##*/}" ]; then
				echo "/dev/${p##*/}"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

# After COMMAND: unload dstm if it is loaded. Exiting the module with
# devices still up must be clean; a leaked reference shows up here as a
# hang ("unregister_netdevice: waiting ...") or a splat in the log.
check_unload() {
	local pid rc=0
	[ "${DSTM_VM_UNLOAD:-1}" = 1 ] || return 0
	[ -d /sys/module/dstm ] || return 0
	# In the background: a leaked reference leaves rmmod in D state, where
	# no signal reaches it; give up on it after two minutes.
	modprobe -r dstm >/dev/console 2>&1 &
	pid=$!
	timeout 120 tail -s 0.1 --pid="$pid" -f /dev/null
	if kill -0 "$pid" 2>/dev/null; then
		say "modprobe -r dstm still hangs after 120 s"
		echo "module dstm did not unload within 120 s after the command (leaked reference?)" >>"$SHARE/notes"
		return 0
	fi
	wait "$pid" || rc=$?
	if [ "$rc" != 0 ]; then
		say "modprobe -r dstm failed ($rc)"
		echo "module dstm did not unload after the command (modprobe -r: exit $rc)" >>"$SHARE/notes"
	fi
}

kmemleak_scan() {
	local f=/sys/kernel/debug/kmemleak
	[ -w "$f" ] || return 0
	echo scan >"$f" 2>/dev/null
	sleep 1
	echo scan >"$f" 2>/dev/null
	cat "$f" >"$SHARE/kmemleak" 2>/dev/null
}

main() {
	local out err rc
	# shellcheck source=/dev/null
	. "$SHARE/vm.env" || fatal "no vm.env in the shared directory"
	echo "<7>dstm-vm: guest-init started" >/dev/kmsg
	ip link set lo up 2>/dev/null
	out=$(port dstm.stdout) || fatal "no stdout port"
	err=$(port dstm.stderr) || fatal "no stderr port"
	echo "dstm-vm: running command" >/dev/kmsg
	: >"$SHARE/started"

	(
		cd / || exit 125
		export HOME=/root TERM=dumb LANG=C.UTF-8 SHELL=/bin/bash
		exec setsid -w bash "$SHARE/cmd.sh" <"/dev/null" >"$out" 2>"$err"
	)
	rc=$?
	echo "$rc" >"$SHARE/status"
	echo "dstm-vm: command exited with status $rc" >/dev/kmsg

	check_unload
	kmemleak_scan
	echo "$(</proc/sys/kernel/tainted)" >"$SHARE/tainted"
	dmesg >"$SHARE/dmesg" 2>/dev/null
	halt
}

main "$@"
