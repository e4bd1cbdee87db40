#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh [OPTIONS] -- COMMAND [ARGS...]
#
# Run COMMAND as root in a fresh QEMU guest booted from one of the host's
# kernels, in the current directory, and exit with COMMAND's exit status.
# The guest sees the host's root read-only over virtio-9p (as virtme-ng
# does), with writable overlays on /etc /var /root /tmp and a tmpfs /run, so
# host binaries run unchanged. It has no network card (-nic none): tests make
# their own network namespaces. The freshly built build/KVER/dstm.ko is
# installed as /lib/modules/KVER/updates/dstm.ko (modprobe dstm, and the
# rtnl-link-dstm / genl family aliases autoload it).
#
# Options:
#   --kernel V     kernel to boot: 6.1, 6.12 (newest installed of that series)
#                  or an exact version from /lib/modules. Default: $DSTM_VM_KERNEL,
#                  else the newest supported installed kernel.
#   --mem MB       guest memory (default 2048)
#   --smp N        guest CPUs (default 2)
#   --kvm          use KVM instead of TCG (also DSTM_VM_KVM=1). Off by default:
#                  nested KVM hangs on the machines we test on.
#   --timeout S    kill the guest after S seconds (default 600, DSTM_VM_TIMEOUT)
#   --rwdir DIR    share host DIR read-write at the same path (repeatable)
#   --env N=V      set N=V for COMMAND (repeatable; DSTM_* and CI are passed on
#                  from the host environment automatically)
#   --console      also stream the guest's serial console to stderr
#   --log FILE     keep the full console log in FILE (default: a file under
#                  build/vm/logs/, deleted after a clean run, printed otherwise)
#   --no-unload    do not check that dstm unloads cleanly after COMMAND
#
# Environment: DSTM_VM_KERNEL, DSTM_VM_KVM, DSTM_VM_TIMEOUT, DSTM_VM_LOG as
# above; DSTM_VM_APPEND adds kernel command line parameters; DSTM_VM_TIMING=1
# prints the run's wall time on stderr; DSTM_VM_CPU overrides -cpu;
# DSTM_VM_PVH=0 boots the bzImage rather than the extracted ELF kernel;
# DSTM_VM_BOOT_RETRIES (default 2): boots again when the guest dies before
# COMMAND starts (see boot_and_run).
#
# Caches (build/vm/KVER/, shared by concurrent runs under a lock): the
# initramfs, the extracted vmlinux, the depmod layer for dstm.ko. Logs of
# failed runs: build/vm/logs/.
#
# In the guest, COMMAND has: DSTM_VM=1, DSTM_TOP (the repository),
# DSTM_KVER (= uname -r), DSTM_KO (build/KVER/dstm.ko, empty if not built),
# DSTM_SELFTESTS_BIN (build/selftests), HOME=/root, TERM=dumb,
# LANG=C.UTF-8, stdin from /dev/null, its own session. COMMAND's stdout and
# stderr arrive on ours; kernel messages do not. Writes go to tmpfs (/tmp,
# /var, /etc, /root; discarded at power-off) or to --rwdir directories; the
# rest of the host's tree is read-only. Only lo exists, and it is up. When
# COMMAND is done and dstm is loaded, the guest unloads it (modprobe -r):
# if that fails or hangs for 120 s, the run fails.
#
# Exit status: COMMAND's; 1 if COMMAND succeeded but the kernel log shows a
# WARN/BUG/Oops/lockdep/leak/... report (klog-scan.sh), the kernel is tainted
# by one, or dstm would not unload; 124 on timeout; 125 if the bench itself
# failed (bad usage, no kernel, the guest did not boot or report a status).
set -euo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SELF/.." && pwd -P)
LIB=$SELF/lib
BUILD=$TOP/build

KERNEL=${DSTM_VM_KERNEL:-}
MEM=2048
SMP=2
KVM=${DSTM_VM_KVM:-0}
TIMEOUT=${DSTM_VM_TIMEOUT:-600}
CONSOLE=0
LOG=${DSTM_VM_LOG:-}
UNLOAD=1
BOOT_RETRIES=${DSTM_VM_BOOT_RETRIES:-2}
RWDIRS=()
ENVS=()

die() {
	echo "vm.sh: $*" >&2
	exit 125
}

usage() {
	if [ "${1:-125}" = 0 ]; then
		sed -n '4,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
	fi
	echo "usage: vm.sh [--kernel V] [--mem MB] [--kvm] [--timeout S] [...] -- COMMAND [ARGS...] (--help)" >&2
	exit "${1:-125}"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) KERNEL=${2:?--kernel needs a value}; shift 2 ;;
		--kernel=*) KERNEL=${1#*=}; shift ;;
		--mem) MEM=${2:?--mem needs a value}; shift 2 ;;
		--mem=*) MEM=${1#*=}; shift ;;
		--smp) SMP=${2:?--smp needs a value}; shift 2 ;;
		--smp=*) SMP=${1#*=}; shift ;;
		--kvm) KVM=1; shift ;;
		--timeout) TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
		--timeout=*) TIMEOUT=${1#*=}; shift ;;
		--rwdir) RWDIRS+=("${2:?--rwdir needs a value}"); shift 2 ;;
		--rwdir=*) RWDIRS+=("${1#*=}"); shift ;;
		--env) ENVS+=("${2:?--env needs a value}"); shift 2 ;;
		--env=*) ENVS+=("${1#*=}"); shift ;;
		--console) CONSOLE=1; shift ;;
		--log) LOG=${2:?--log needs a value}; shift 2 ;;
		--log=*) LOG=${1#*=}; shift ;;
		--no-unload) UNLOAD=0; shift ;;
		-h | --help) usage 0 ;;
		--) shift; break ;;
		*) echo "vm.sh: unknown option '$1' (COMMAND goes after --)" >&2; usage ;;
		esac
	done
	[ $# -gt 0 ] || { echo "vm.sh: no COMMAND given" >&2; usage; }
	CMD=("$@")
	[[ $MEM =~ ^[0-9]+$ ]] || die "--mem: not a number: $MEM"
	[[ $SMP =~ ^[0-9]+$ ]] || die "--smp: not a number: $SMP"
	[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout: not a number: $TIMEOUT"
	local e
	for e in "${ENVS[@]}"; do
		[[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env: expected NAME=VALUE, got '$e'"
	done
}

# 6.1 / 6.12 / exact version -> KVER (newest match), default: newest supported.
pick_kernel() {
	local all v
	all=$(bash "$LIB/kernels.sh") || true
	if [ -z "$KERNEL" ]; then
		KVER=$(tail -n1 <<<"$all")
	elif [ -d "/lib/modules/$KERNEL" ]; then
		KVER=$KERNEL
	else
		KVER=
		for v in $all; do
			case $v in "$KERNEL".*) KVER=$v ;; esac
		done
	fi
	[ -n "$KVER" ] || die "no installed kernel matches '${KERNEL:-6.1|6.12}' (have: ${all//$'\n'/ }); run make deps"
	VMLINUZ=/boot/vmlinuz-$KVER
	[ -r "$VMLINUZ" ] || die "cannot read $VMLINUZ (are you root?)"
}

make_initramfs() {
	local fp
	fp=$(bash "$LIB/mkinitramfs.sh" --fingerprint "$KVER") || die "mkinitramfs fingerprint failed"
	INITRD=$VMDIR/initramfs.cpio
	if [ -f "$INITRD" ] && [ "$(cat "$VMDIR/initramfs.fp" 2>/dev/null)" = "$fp" ]; then
		return 0
	fi
	bash "$LIB/mkinitramfs.sh" "$KVER" "$INITRD" || die "cannot build the initramfs"
	echo "$fp" >"$VMDIR/initramfs.fp"
}

# Boot the kernel's uncompressed ELF through its PVH entry point when it has
# one: decompressing itself costs a guest seconds under TCG. Cached by the
# identity of /boot/vmlinuz-KVER. DSTM_VM_PVH=0 boots the bzImage instead.
make_kernel() {
	local fp
	KERNEL_IMG=$VMLINUZ
	[ "${DSTM_VM_PVH:-1}" = 1 ] || return 0
	grep -qx 'CONFIG_PVH=y' "/boot/config-$KVER" 2>/dev/null || return 0
	fp=$(stat -L -c '%s %Y %i' "$VMLINUZ")
	if [ ! -f "$VMDIR/vmlinux" ] || [ "$(cat "$VMDIR/vmlinux.fp" 2>/dev/null)" != "$fp" ]; then
		bash "$LIB/extract-vmlinux.sh" "$VMLINUZ" "$VMDIR/vmlinux" || return 0
		echo "$fp" >"$VMDIR/vmlinux.fp"
	fi
	KERNEL_IMG=$VMDIR/vmlinux
}

# The module layer: depmod over the kernel's modules plus our dstm.ko, run on
# the host (seconds here, minutes in TCG), keyed by the module's hash. Only
# the modules.* indexes and updates/dstm.ko are kept: the guest puts the layer
# above /lib/modules/KVER with overlayfs.
make_modlayer() {
	local ko=$BUILD/$KVER/dstm.ko h stage dir=/lib/modules/$KVER f
	MODLAYER=
	[ -f "$ko" ] || return 0
	h=$(sha256sum "$ko" | cut -c1-16)
	MODLAYER=$VMDIR/modlayer-$h
	if [ -d "$MODLAYER" ]; then
		touch "$MODLAYER"
		return 0
	fi
	stage=$(mktemp -d "$VMDIR/.modstage.XXXXXX")
	mkdir -p "$stage/lib/modules/$KVER/updates"
	ln -s "$dir/kernel" "$stage/lib/modules/$KVER/kernel"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "$dir/$f" ] && cp "$dir/$f" "$stage/lib/modules/$KVER/"
	done
	cp "$ko" "$stage/lib/modules/$KVER/updates/dstm.ko"
	if ! depmod -b "$stage" "$KVER" 2>"$stage/depmod.err"; then
		cat "$stage/depmod.err" >&2
		rm -rf "$stage"
		die "depmod failed for $ko"
	fi
	rm "$stage/lib/modules/$KVER/kernel"
	mv "$stage/lib/modules/$KVER" "$stage/layer"
	mv -T "$stage/layer" "$MODLAYER"
	rm -rf "$stage"
	# Every run touches the layer it uses; drop those unused for two hours
	# (longer than any run may take).
	find "$VMDIR" -maxdepth 1 -name 'modlayer-*' -type d -mmin +120 -exec rm -rf {} +
}

# The guest's command script: cwd, environment, exec COMMAND.
write_cmd() {
	local f=$SHARE/cmd.sh v
	{
		echo "# generated by vm.sh"
		printf 'cd -- %q || exit 125\n' "$PWD"
		printf 'export DSTM_VM=1 DSTM_TOP=%q DSTM_KVER=%q DSTM_SELFTESTS_BIN=%q\n' \
			"$TOP" "$KVER" "$BUILD/selftests"
		if [ -f "$BUILD/$KVER/dstm.ko" ]; then
			printf 'export DSTM_KO=%q\n' "$BUILD/$KVER/dstm.ko"
		else
			echo 'export DSTM_KO='
		fi
		for v in $(compgen -e); do
			case $v in
			DSTM_VM_*) ;; # bench settings stay on the host
			DSTM_* | CI | V | VERBOSE) printf 'export %s=%q\n' "$v" "${!v}" ;;
			esac
		done
		for v in "${ENVS[@]}"; do
			printf 'export %s=%q\n' "${v%%=*}" "${v#*=}"
		done
		printf 'exec'
		printf ' %q' "${CMD[@]}"
		echo
	} >"$f"
}

write_env() {
	local d rw=()
	for d in "${RWDIRS[@]}"; do
		rw+=("${d// /\\040}")
	done
	{
		printf 'KVER=%q\n' "$KVER"
		printf 'MODLAYER=%q\n' "$MODLAYER"
		printf 'RWDIRS=%q\n' "${rw[*]}"
		printf 'DSTM_VM_UNLOAD=%q\n' "$UNLOAD"
	} >"$SHARE/vm.env"
}

# shellcheck disable=SC2317 # called from traps
cleanup() {
	local pid
	for pid in ${QPID:-} ${READERS:-}; do
		kill "$pid" 2>/dev/null || true
	done
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	return 0
}

# Unblock a reader stuck opening a FIFO that QEMU never opened, and let it
# see EOF: opening a FIFO read-write never blocks on Linux.
release_fifo() {
	local fd
	exec {fd}<>"$1"
	exec {fd}>&-
}

run_qemu() {
	local accel cpu i d append
	if [ "$KVM" = 1 ]; then
		[ -w /dev/kvm ] || die "--kvm: /dev/kvm is not usable"
		accel=kvm
		cpu=${DSTM_VM_CPU:-host}
	else
		accel=tcg,thread=multi
		cpu=${DSTM_VM_CPU:-max}
	fi
	# loglevel=5: the console gets warnings and worse (WARN, BUG, lockdep
	# are all KERN_WARNING or above); the full log comes back as dmesg.
	append="console=ttyS0,115200 loglevel=5 panic=-1 oops=panic"
	append+=" rdinit=/init dstmvm_init=$LIB/guest-init.sh"
	# TCG guests on a busy host can stall for seconds at a time: no
	# lockup watchdog, a longer RCU stall timeout (real stalls still show).
	append+=" rcupdate.rcu_cpu_stall_timeout=60"
	# Nor a clocksource watchdog: on a loaded host it finds the TSC
	# "skewed", and switching clocksource live-patches sched_clock's
	# static key, which TCG has been seen to trip over (an int3 oops in
	# sched_clock_cpu, 6.12, test_fastpath under two guests at once).
	append+=" tsc=reliable"
	append+=" mitigations=off nowatchdog no_timer_check audit=0 i8042.noaux=1 i8042.nokbd=1 edd=off"
	append+=" printk.devkmsg=on ${DSTM_VM_APPEND:-}"
	# shellcheck disable=SC2054 # the commas belong to QEMU's option syntax
	QEMU=(qemu-system-x86_64
		-name "dstm-vm,debug-threads=on"
		-machine pc -accel "$accel" -cpu "$cpu" -smp "$SMP" -m "$MEM"
		-nodefaults -no-user-config -display none -no-reboot -nic none
		-monitor none -serial "file:$CONLOG"
		-kernel "$KERNEL_IMG" -initrd "$INITRD" -append "$append"
		-fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap
		-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
		-fsdev "local,id=share,path=$SHARE,security_model=none"
		-device virtio-9p-pci,fsdev=share,mount_tag=dstmvm
		-device virtio-serial-pci
		-chardev "pipe,id=out,path=$WORK/stdout"
		-device virtserialport,chardev=out,name=dstm.stdout
		-chardev "pipe,id=err,path=$WORK/stderr"
		-device virtserialport,chardev=err,name=dstm.stderr
	)
	i=0
	for d in "${RWDIRS[@]}"; do
		[ -d "$d" ] || die "--rwdir: no directory $d"
		d=$(cd "$d" && pwd -P)
		QEMU+=(-fsdev "local,id=rw$i,path=$d,security_model=none"
			-device "virtio-9p-pci,fsdev=rw$i,mount_tag=dstmrw$i")
		RWDIRS[i]=$d
		i=$((i + 1))
	done
	write_env

	for d in stdout stderr; do
		rm -f "$WORK/$d.in" "$WORK/$d.out"
		mkfifo "$WORK/$d.in" "$WORK/$d.out"
	done
	cat "$WORK/stdout.out" &
	READERS=$!
	cat "$WORK/stderr.out" >&2 &
	READERS+=" $!"
	if [ "$CONSOLE" = 1 ]; then
		: >"$CONLOG"
		tail -n +1 -f "$CONLOG" >&2 &
		READERS+=" $!"
	fi

	START=$(date +%s.%N)
	QRC=0
	timeout --kill-after=10 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$WORK/qemu.log" 2>&1 &
	QPID=$!
	wait "$QPID" || QRC=$?
	QPID=
	END=$(date +%s.%N)
	release_fifo "$WORK/stdout.out"
	release_fifo "$WORK/stderr.out"
	if [ "$CONSOLE" = 1 ]; then
		sleep 0.2
		kill "${READERS##* }" 2>/dev/null || true
	fi
	for i in $READERS; do
		wait "$i" 2>/dev/null || true
	done
	READERS=
}

# Decide the result; print why on stderr.
verdict() {
	local rc bad=0 taint hits secs
	secs=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.1f", b - a }')
	if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
		echo "vm.sh: TIMEOUT: the guest ($KVER) did not finish within ${TIMEOUT}s" >&2
		rc=124
		bad=1
	elif [ -s "$SHARE/status" ]; then
		rc=$(cat "$SHARE/status")
	else
		echo "vm.sh: the guest ($KVER) did not report an exit status (qemu status $QRC)" >&2
		sed 's/^/vm.sh: qemu: /' "$WORK/qemu.log" >&2
		rc=125
		bad=1
	fi
	if [ -s "$SHARE/notes" ]; then
		sed 's/^/vm.sh: /' "$SHARE/notes" >&2
		bad=1
	fi
	local logs=("$CONLOG")
	[ -f "$SHARE/dmesg" ] && logs+=("$SHARE/dmesg")
	[ -s "$SHARE/kmemleak" ] && logs+=("$SHARE/kmemleak")
	hits=$(bash "$LIB/klog-scan.sh" "${logs[@]}" | sed "s|^$SHARE/||; s|^$CONLOG:|console:|") || true
	if [ -n "$hits" ]; then
		echo "vm.sh: kernel log reports problems ($KVER):" >&2
		head -n 60 <<<"$hits" | sed 's/^/vm.sh:   /' >&2
		bad=1
	fi
	if [ -s "$SHARE/tainted" ]; then
		taint=$(cat "$SHARE/tainted")
		# D (died), W (warned), B (bad page), L (soft lockup), M (machine check)
		if ((taint & ((1 << 7) | (1 << 9) | (1 << 5) | (1 << 14) | (1 << 4)))); then
			echo "vm.sh: kernel tainted by a problem: tainted=$taint" >&2
			bad=1
		fi
	fi
	if [ "$bad" = 1 ]; then
		[ "$rc" != 0 ] || rc=1
		# Without a kernel report to show, the end of the console says
		# most about what happened (boot failure, hang, setup error).
		if [ -z "$hits" ]; then
			echo "vm.sh: last console lines:" >&2
			grep -v '^[[:space:]]*$' "$CONLOG" | tail -n 30 | sed 's/^/vm.sh:   /' >&2 || true
		fi
		if [ -f "$SHARE/dmesg" ]; then
			local dm=$CONLOG.dmesg
			[[ ${CONLOG##*/} != *.* ]] || dm=${CONLOG%.*}.dmesg
			cp "$SHARE/dmesg" "$dm" 2>/dev/null || true
			echo "vm.sh: full kernel log: $dm" >&2
		fi
		echo "vm.sh: console log: $CONLOG (${secs}s, $KVER)" >&2
	elif [ "$KEEPLOG" = 0 ]; then
		rm -f "$CONLOG"
	fi
	[ -z "${DSTM_VM_TIMING:-}" ] || echo "vm.sh: $KVER: ${secs}s" >&2
	RC=$rc
}

main() {
	parse_args "$@"
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed (make deps)"
	pick_kernel
	[[ $LIB != *[[:space:]]* ]] || die "the repository path must not contain blanks: $TOP"
	VMDIR=$BUILD/vm/$KVER
	mkdir -p "$VMDIR" "$BUILD/vm/logs"
	# Concurrent runs share build/vm/KVER: build the cached parts under a lock.
	exec 9>"$VMDIR/.lock"
	flock -w 600 9 || die "cannot lock $VMDIR/.lock"
	make_kernel
	make_initramfs
	make_modlayer
	exec 9>&-

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/dstm-vm.XXXXXX")
	trap cleanup EXIT
	trap 'cleanup; exit 130' INT
	trap 'cleanup; exit 143' TERM
	SHARE=$WORK/share
	mkdir "$SHARE"
	KEEPLOG=0
	if [ -n "$LOG" ]; then
		CONLOG=$(realpath -m "$LOG")
		mkdir -p "$(dirname "$CONLOG")"
		KEEPLOG=1
	else
		CONLOG=$BUILD/vm/logs/$KVER-$(date +%Y%m%d-%H%M%S)-$$.log
		# Logs of failed runs stay; keep the newest 200 files.
		find "$BUILD/vm/logs" -maxdepth 1 -type f -printf '%T@ %p\n' 2>/dev/null |
			sort -rn | tail -n +201 | cut -d' ' -f2- | xargs -r rm -f
	fi
	write_cmd
	boot_and_run
	verdict
	exit "$RC"
}

# run_qemu, again if the guest died before COMMAND started (an Oops while
# booting: TCG with several vCPUs very rarely trips over the kernel patching
# its own code, "Oops: int3" in a jump label). A guest that never reached
# COMMAND changed nothing, so booting once more is safe; a setup failure
# that the guest reported (notes) or a timeout is not retried.
boot_and_run() {
	local attempt=1 keep hits l
	while :; do
		run_qemu
		if [ -e "$SHARE/started" ] || [ -s "$SHARE/status" ] || [ -s "$SHARE/notes" ] ||
			[ "$QRC" = 124 ] || [ "$QRC" = 137 ] || [ "$attempt" -gt "$BOOT_RETRIES" ]; then
			return 0
		fi
		keep=$CONLOG.boot$attempt
		[[ ${CONLOG##*/} != *.* ]] || keep=${CONLOG%.*}.boot$attempt.${CONLOG##*.}
		mv -f "$CONLOG" "$keep"
		hits=$(bash "$LIB/klog-scan.sh" "$keep" | head -n 3 | sed 's/^[^:]*:[0-9]*://') || true
		echo "vm.sh: the guest ($KVER) died before COMMAND started; booting again (log: $keep)" >&2
		if [ -n "$hits" ]; then
			while IFS= read -r l; do echo "vm.sh:   $l"; done <<<"$hits" >&2
		fi
		rm -f "$SHARE/dmesg" "$SHARE/tainted" "$SHARE/kmemleak"
		attempt=$((attempt + 1))
	done
}

main "$@"
