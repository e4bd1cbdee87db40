#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test bench's initramfs (busybox sh, PID 1).
#
# Debian's kernels build virtio_pci, 9p and overlayfs as modules, so this
# stage loads them (mkinitramfs.sh resolved the list and order from
# modules.dep on the host), mounts the host's root read-only over virtio-9p
# like virtme-ng does, builds the guest's filesystem tree under it, and
# switch_roots into guest-init.sh (its path is on the kernel command line as
# dstmvm_init=..., which the kernel passes to init in the environment).
#
# All mounting happens here rather than in guest-init.sh because busybox is
# static and already in RAM: under TCG every exec of a dynamic binary over 9p
# costs a tenth of a second or more.
#
# The tree: the host's / read-only; /proc /sys /dev /dev/pts /dev/shm; fresh
# tmpfs on /run; overlays with a tmpfs upper on /etc /var /root /tmp (writable,
# still showing the host's files, so a cwd under /tmp exists); the shared
# directory of vm.sh at /run/dstm-vm; /lib/modules/KVER with the layer that
# holds our dstm.ko and its depmod indexes on top; --rwdir shares.
#
# The root itself is a small tmpfs (read-only once built) that mirrors the
# host's top level: its directories are bind mounts of the 9p mount, its
# symlinks are copies. That is for speed: v9fs never caches symlink
# targets, and with a merged /usr every exec and every library load goes
# through /bin, /lib or /lib64, each a 9p round trip (8 of the 19 that a
# plain /bin/true costs).

PATH=/bin
export PATH
R=/newroot
SHARE=/run/dstm-vm
H=/host
OPT9P=trans=virtio,version=9p2000.L,msize=262144

die() {
	echo "dstm-vm initramfs: $*" >/dev/console
	echo "guest setup failed: $*" >>"$R$SHARE/notes" 2>/dev/null
	# PID 1 exiting panics the kernel; panic=-1 and -no-reboot end QEMU.
	poweroff -f
	sleep 5
	exit 1
}

mark() { # a note in the kernel log (not on the console: level 7)
	k=/dev/kmsg
	[ -c $k ] || k=$R/dev/kmsg
	echo "<7>dstm-vm: initramfs: $*" >$k
}

mnt() { # fstype source target [options]
	mount -t "$1" ${4:+-o "$4"} "$2" "$3" || die "mount -t $1 $2 $3 ${4:-} failed"
}

# A writable view of a read-only host directory: overlay, tmpfs upper.
overlay_rw() { # dir [extra lower dir]
	[ -d "$H$1" ] || return 0
	u=$R/run/dstm-vm-overlay/$(echo "$1" | tr / _)
	mkdir -p "$u/upper" "$u/work"
	mnt overlay overlay "$R$1" "lowerdir=${2:+$2:}$H$1,upperdir=$u/upper,workdir=$u/work"
}

# The root: a tmpfs mirroring the host's top level (see above).
mirror_root() {
	mnt tmpfs tmpfs $R mode=755
	for p in "$H"/* "$H"/.[!.]*; do
		[ -e "$p" ] || [ -L "$p" ] || continue
		e=${p#"$H"/}
		if [ -L "$p" ]; then
			ln -s "$(readlink "$p")" "$R/$e"
		elif [ -d "$p" ]; then
			mkdir "$R/$e"
			case $e in
			proc | sys | dev | run | etc | var | root | tmp) ;; # mounted below
			*) mount --bind "$p" "$R/$e" || die "cannot bind $p" ;;
			esac
		else
			: >"$R/$e"
			mount --bind "$p" "$R/$e" || die "cannot bind $p"
		fi
	done
}

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc # for busybox's mount

while read -r m; do
	insmod "/modules/$m" || die "insmod $m failed"
done </modules.list
mark "modules loaded"

# insmod probes the virtio devices synchronously, but be patient with a
# slow (TCG) guest anyway.
i=0
mkdir -p $H
until mount -t 9p -o "$OPT9P,ro,cache=loose" /dev/root $H 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || die "cannot mount the host root over 9p"
	sleep 0.1
done
mark "9p root mounted"
if [ -z "$dstmvm_init" ] || [ ! -f "$H$dstmvm_init" ]; then
	die "no guest init: '$dstmvm_init'"
fi
mirror_root
mark "root mirrored"

mnt tmpfs tmpfs $R/run mode=755
mkdir -p $R$SHARE $R/run/netns $R/run/lock $R/run/dstm-vm-overlay
mnt 9p dstmvm $R$SHARE $OPT9P
[ -r $R$SHARE/vm.env ] || die "no vm.env in the shared directory"
# KVER MODLAYER RWDIRS (plain words, blanks in RWDIRS escaped as \040)
# shellcheck source=/dev/null
. $R$SHARE/vm.env
[ "$(uname -r)" = "$KVER" ] || die "booted $(uname -r), expected $KVER"

mount --move /dev $R/dev || die "cannot move /dev"
mnt proc proc $R/proc
mark "/dev moved, mounting the tree"
mnt sysfs sysfs $R/sys
mkdir -p $R/dev/pts $R/dev/shm
mnt devpts devpts $R/dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs tmpfs $R/dev/shm mode=1777
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
mount -t bpf bpf $R/sys/fs/bpf 2>/dev/null
mount -t configfs configfs $R/sys/kernel/config 2>/dev/null

for d in /etc /var /root /tmp; do
	overlay_rw $d
done
chmod 1777 $R/tmp
[ -d $R/var/tmp ] && chmod 1777 $R/var/tmp

# Our dstm.ko: vm.sh ran depmod on the host into a layer holding only the
# modules.* indexes and updates/dstm.ko; it goes above the kernel's modules.
if [ -n "$MODLAYER" ]; then
	[ -d "$H$MODLAYER" ] || die "module layer $MODLAYER missing"
	overlay_rw "/lib/modules/$KVER" "$H$MODLAYER"
fi

mark "overlays mounted"
n=0
for d in $RWDIRS; do
	d=$(printf '%b' "$d")
	mnt 9p "dstmrw$n" "$R$d" $OPT9P
	n=$((n + 1))
done

echo dstm-vm >$R/proc/sys/kernel/hostname
mount -o remount,ro $R || die "cannot make / read-only"
mark "switching root"
# shellcheck disable=SC2093 # die runs only if the exec fails
exec switch_root $R /bin/bash "$dstmvm_init"
die "switch_root failed"
