#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test bench's initramfs (busybox sh, PID 1).
#
# Debian's kernels build virtio_pci, 9p and overlayfs as modules, so this
# stage loads them (mkinitramfs.sh resolved the list and order from
# modules.dep on the host), mounts the host's root read-only over virtio-9p
# like virtme-ng does, builds the guest's filesystem tree, and switch_roots
# into guest-init.sh (its path is on the kernel command line as
# dstmvm_init=..., which the kernel passes to init in the environment).
#
# The tree: the host's / read-only; /proc /sys /dev /dev/pts /dev/shm; fresh
# tmpfs on /run; overlays with a tmpfs upper on /etc /var /root /tmp (writable,
# still showing the host's files, so a cwd under /tmp exists); the shared
# directory of vm.sh at /run/dstm-vm; /lib/modules/KVER with the layer that
# holds our dstm.ko and its depmod indexes on top; --rwdir shares.
#
# It is built for speed under TCG on a busy host, where every process costs
# tens of milliseconds and every 9p round trip milliseconds:
#  - The root is a small tmpfs (read-only once built) mirroring the host's
#    top level: directories are bind mounts of the 9p mount, symlinks are
#    copies. v9fs never caches symlink targets, and with a merged /usr every
#    exec and library load goes through /bin, /lib or /lib64: 8 of the 19
#    round trips of a plain /bin/true.
#  - The programs tests run most and their libraries come in this initramfs
#    (mkinitramfs.sh's HOT_PROGRAMS) and are bind-mounted over the 9p
#    originals: opening a file over 9p costs three round trips.
#  - Everything is mounted by two `mount -a` runs over generated fstabs,
#    and the shell's builtins do the rest: about a dozen processes in all.

PATH=/bin
export PATH
R=/newroot
H=/host
SHARE=/run/dstm-vm
OV=/run/dstm-vm-overlay
HOT=/run/dstm-vm-hot
OPT9P=trans=virtio,version=9p2000.L,msize=262144

die() {
	echo "dstm-vm initramfs: $*" >/dev/console
	{ echo "guest setup failed: $*" >>"$R$SHARE/notes"; } 2>/dev/null
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

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc # busybox's mount reads /proc/mounts

while read -r m; do
	insmod "/modules/$m" || die "insmod $m failed"
done </modules.list
mark "modules loaded"

# insmod probes the virtio devices synchronously, but be patient with a
# slow (TCG) guest anyway.
mkdir -p $H $R
i=0
until mount -t 9p -o "$OPT9P,ro,cache=loose" /dev/root $H 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || die "cannot mount the host root over 9p"
	sleep 0.1
done
if [ -z "$dstmvm_init" ] || [ ! -f "$H$dstmvm_init" ]; then
	die "no guest init: '$dstmvm_init'"
fi
mount -t tmpfs -o mode=755 tmpfs $R || die "cannot mount the root tmpfs"
mark "9p root mounted"

# Stage 1: the root's skeleton and everything that does not need /run.
dirs="/dev/pts /dev/shm"
links=
: >/fstab1
for p in "$H"/* "$H"/.[!.]*; do
	[ -e "$p" ] || [ -L "$p" ] || continue
	e=${p#"$H"/}
	case $e in *[[:space:]]*) continue ;; esac # not expressible in fstab
	if [ -L "$p" ]; then
		links="$links $p"
	elif [ -d "$p" ]; then
		dirs="$dirs $R/$e"
		case $e in
		proc | sys | dev | run | etc | var | root | tmp) ;; # below
		*) echo "$p $R/$e none bind 0 0" >>/fstab1 ;;
		esac
	else
		: >"$R/$e"
		echo "$p $R/$e none bind 0 0" >>/fstab1
	fi
done
# shellcheck disable=SC2086 # lists of words
mkdir -p $dirs || die "mkdir failed"
# shellcheck disable=SC2086
[ -z "$links" ] || cp -a $links $R/ || die "cannot copy the top-level symlinks"
mount --move /dev $R/dev || die "cannot move /dev"
cat >>/fstab1 <<EOF
proc $R/proc proc defaults 0 0
sysfs $R/sys sysfs defaults 0 0
devpts $R/dev/pts devpts gid=5,mode=620,ptmxmode=666 0 0
tmpfs $R/dev/shm tmpfs mode=1777 0 0
tmpfs $R/run tmpfs mode=755 0 0
EOF
mount -a -T /fstab1 || die "mounting the tree (stage 1) failed"
mark "root mirrored"

# Stage 2: /run's contents, the shared directory, what vm.env asks for.
mkdir -p $R$SHARE $R/run/netns $R/run/lock $R$HOT \
	$R$OV/_etc/upper $R$OV/_etc/work $R$OV/_var/upper $R$OV/_var/work \
	$R$OV/_root/upper $R$OV/_root/work $R$OV/_tmp/upper $R$OV/_tmp/work \
	$R$OV/_lib_modules/upper $R$OV/_lib_modules/work || die "mkdir /run failed"
mount -t 9p -o $OPT9P dstmvm $R$SHARE || die "cannot mount the shared directory"
[ -r $R$SHARE/vm.env ] || die "no vm.env in the shared directory"
# KVER MODLAYER RWDIRS (plain words, blanks in RWDIRS escaped as \040)
# shellcheck source=/dev/null
. $R$SHARE/vm.env
read -r osrelease </proc/sys/kernel/osrelease
[ "$osrelease" = "$KVER" ] || die "booted $osrelease, expected $KVER"
if [ -n "$MODLAYER" ] && [ ! -d "$H$MODLAYER" ]; then
	die "module layer $MODLAYER missing"
fi
[ ! -s /hot.list ] || cp -a /hot/. $R$HOT/ || die "cannot copy the hot files"

{
	for fs in debugfs:/sys/kernel/debug tracefs:/sys/kernel/tracing \
		cgroup2:/sys/fs/cgroup bpf:/sys/fs/bpf; do
		echo "${fs%%:*} $R${fs#*:} ${fs%%:*} defaults 0 0"
	done
	for d in etc var root tmp; do
		[ -d "$H/$d" ] || continue
		u=$R$OV/_$d
		echo "overlay $R/$d overlay lowerdir=$H/$d,upperdir=$u/upper,workdir=$u/work 0 0"
	done
	# Our dstm.ko: vm.sh ran depmod on the host into a layer holding only
	# the modules.* indexes and updates/dstm.ko; it goes above the kernel's.
	if [ -n "$MODLAYER" ]; then
		u=$R$OV/_lib_modules
		echo "overlay $R/lib/modules/$KVER overlay lowerdir=$H$MODLAYER:$H/lib/modules/$KVER,upperdir=$u/upper,workdir=$u/work 0 0"
	fi
	if [ -s /hot.list ]; then
		while read -r f; do
			echo "$R$HOT$f $R$f none bind 0 0"
		done </hot.list
	fi
	n=0
	for d in $RWDIRS; do
		echo "dstmrw$n $R$d 9p $OPT9P 0 0"
		n=$((n + 1))
	done
} >/fstab2
mount -a -T /fstab2 || die "mounting the tree (stage 2) failed"
chmod 1777 $R/tmp
[ ! -d $R/root ] || chmod 700 $R/root
mark "tree mounted"

echo dstm-vm >$R/proc/sys/kernel/hostname
mount -o remount,ro $R || die "cannot make / read-only"
# shellcheck disable=SC2093 # die runs only if the exec fails
exec switch_root $R /bin/bash "$dstmvm_init"
die "switch_root failed"
