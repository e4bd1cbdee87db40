#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KVER OUT.cpio
#
# Build the test bench's initramfs for kernel KVER: busybox-static, our /init
# (initramfs-init.sh) and the modules needed to mount the host's root over
# virtio-9p, with their dependencies from /lib/modules/KVER/modules.dep,
# decompressed on the host (busybox's insmod reads plain .ko only). Modules
# that KVER has built in are skipped. The archive is uncompressed: QEMU loads
# it straight into guest memory, which is faster under TCG than inflating it.
#
# Prints nothing on success. The caller (vm.sh) caches OUT by fingerprint();
# `mkinitramfs.sh --fingerprint KVER` prints that fingerprint.
set -euo pipefail

LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# What the initramfs needs: virtio-pci devices, 9p, overlayfs, and the
# virtio-serial ports that carry the command's stdout and stderr.
WANT_MODULES=(virtio_pci 9pnet_virtio 9p overlay virtio_console)
BUSYBOX=${DSTM_VM_BUSYBOX:-/bin/busybox}
# Files that tests open over and over: the programs test scripts run most,
# their libraries, ld.so.cache and the C.UTF-8 locale (every coreutils
# program loads it). They ride in the initramfs and the guest bind-mounts
# these copies over the 9p originals: opening a file over 9p costs three
# round trips, milliseconds each on a busy host, and a `cat` under
# LANG=C.UTF-8 opens 20 files. (Measured on test_basic.sh: 22,000 round
# trips without this.)
HOT_PROGRAMS=(bash sh ip cat cp mv rm ln mkdir chmod touch ls stat readlink
	dirname basename uname mktemp sleep true false env id date seq timeout
	grep sed awk sort uniq head tail wc cut tr tee xargs sysctl ping tc)
HOT_PATHS=(/etc/ld.so.cache /usr/lib/locale /usr/share/locale/locale.alias
	/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache
	/usr/lib/x86_64-linux-gnu/libnl-3.so.200 /usr/lib/x86_64-linux-gnu/libnl-genl-3.so.200
	/usr/lib/x86_64-linux-gnu/libnl-route-3.so.200)

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

ORDER=() # modules to load, dependencies first (paths relative to /lib/modules/KVER)

# Resolve WANT_MODULES against modules.builtin and modules.dep (which lists
# every module's dependencies transitively); awk, as bash is slow at this.
resolve() {
	local dir=/lib/modules/$KVER out
	[ -r "$dir/modules.dep" ] || die "no $dir/modules.dep"
	out=$(awk -v want="${WANT_MODULES[*]}" '
		function modname(p,   n) {
			n = p; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); gsub(/-/, "_", n)
			return n
		}
		function visit(p,   i, n, d) {
			if (p in seen) return
			seen[p] = 1
			n = split(dep[p], d, " ")
			for (i = 1; i <= n; i++) visit(d[i])
			print p
		}
		FILENAME ~ /modules\.builtin$/ { builtin[modname($0)] = 1; next }
		{
			p = $1; sub(/:$/, "", p)
			d = $0; sub(/^[^:]*:[ ]*/, "", d)
			dep[p] = d; byname[modname(p)] = p
		}
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) {
				m = w[i]; gsub(/-/, "_", m)
				if (m in builtin) continue
				if (!(m in byname)) { print "MISSING " m; exit 1 }
				visit(byname[m])
			}
		}' "$dir/modules.builtin" "$dir/modules.dep" 2>/dev/null) ||
		die "cannot resolve ${WANT_MODULES[*]} for $KVER: ${out##*MISSING }"
	mapfile -t ORDER <<<"$out"
	[ -n "${ORDER[0]}" ] || ORDER=()
}

modname() { # path -> module name with '-' folded to '_'
	local n=${1##*/}
	n=${n%%.ko*}
	echo "${n//-/_}"
}

# Cheap on purpose (vm.sh asks on every boot): package upgrades rewrite
# modules.dep, so its identity stands for the module files it lists, and
# dpkg's status file and ld.so.cache for the hot programs' files.
fingerprint() {
	local dir=/lib/modules/$KVER
	{
		echo "kver $KVER want ${WANT_MODULES[*]} hot ${HOT_PROGRAMS[*]} ${HOT_PATHS[*]}"
		sha256sum "$LIB/initramfs-init.sh" "${BASH_SOURCE[0]}"
		stat -L -c '%n %s %Y %i' "$BUSYBOX" "$dir/modules.dep" "$dir/modules.builtin" \
			/var/lib/dpkg/status /etc/ld.so.cache 2>/dev/null || true
	} | sha256sum | cut -d' ' -f1
}

# HOT_PROGRAMS with their shared libraries, and HOT_PATHS: real paths.
hot_files() {
	local p q
	for p in "${HOT_PROGRAMS[@]}"; do
		q=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$p") || continue
		[[ $q == /* ]] || continue
		realpath "$q"
		ldd "$q" 2>/dev/null | grep -oE '/[^ ]+' | xargs -r realpath
	done
	for p in "${HOT_PATHS[@]}"; do
		[ -e "$p" ] && realpath "$p"
	done
	return 0
}

# A newc cpio entry for /dev/console (character device 5:1), so the kernel
# can open the initial console before /init runs, without needing mknod
# (and root) on the host. The newc header is ASCII: "070701" and 13 fields
# of 8 hex digits; the name is NUL-terminated and padded to 4 bytes.
console_cpio() {
	local name=dev/console
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 $((0020600)) 0 0 1 0 0 0 0 5 1 $((${#name} + 1)) 0
	printf '%s\0\0\0' "$name" # 110 + 12 = 122 -> pad 2 (one NUL is the terminator)
	name='TRAILER!!!'
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 0 0 0 1 0 0 0 0 0 0 $((${#name} + 1)) 0
	printf '%s\0\0\0\0' "$name" # 110 + 11 = 121 -> pad 3
}

build() {
	local out=$1 stage p n
	command -v cpio >/dev/null || die "cpio is not installed (make deps)"
	[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: install busybox-static (make deps)"
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		die "$BUSYBOX is dynamically linked: install busybox-static (make deps)"
	fi
	stage=$(mktemp -d "${out}.stage.XXXXXX")
	# shellcheck disable=SC2064 # expand now: stage is local
	trap "rm -rf '$stage'" EXIT
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
	cp "$BUSYBOX" "$stage/bin/busybox"
	for n in sh mount insmod sleep poweroff switch_root mkdir chmod cat cp; do
		ln -s busybox "$stage/bin/$n"
	done
	install -m 0755 "$LIB/initramfs-init.sh" "$stage/init"
	: >"$stage/modules.list"
	for p in "${ORDER[@]}"; do
		n=$(modname "$p").ko
		case $p in
		*.ko.xz) xz -dc "/lib/modules/$KVER/$p" >"$stage/modules/$n" ;;
		*.ko.zst) zstd -q -dc "/lib/modules/$KVER/$p" >"$stage/modules/$n" ;;
		*.ko.gz) gzip -dc "/lib/modules/$KVER/$p" >"$stage/modules/$n" ;;
		*.ko) cp "/lib/modules/$KVER/$p" "$stage/modules/$n" ;;
		*) die "unknown module file type: $p" ;;
		esac
		echo "$n" >>"$stage/modules.list"
	done
	: >"$stage/hot.list"
	hot_files | LC_ALL=C sort -u | while read -r p; do
		case $p in /usr/* | /etc/*) ;; *) continue ;; esac
		[ -f "$p" ] || [ -d "$p" ] || continue
		mkdir -p "$stage/hot${p%/*}"
		cp -a "$p" "$stage/hot$p"
		echo "$p" >>"$stage/hot.list"
	done
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc --owner 0:0 --quiet) >"$out.tmp"
	console_cpio >>"$out.tmp"
	mv -f "$out.tmp" "$out"
}

main() {
	local fp=0
	if [ "${1:-}" = --fingerprint ]; then
		fp=1
		shift
	fi
	[ $# -eq $((2 - fp)) ] || die "usage: mkinitramfs.sh KVER OUT.cpio | --fingerprint KVER"
	KVER=$1
	if [ "$fp" = 1 ]; then
		fingerprint
	else
		resolve
		build "$2"
	fi
}

main "$@"
