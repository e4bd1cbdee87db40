#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# extract-vmlinux.sh BZIMAGE OUT
#
# Write the uncompressed ELF kernel inside a bzImage to OUT (as the kernel's
# scripts/extract-vmlinux does: find a compressed stream by its magic, then
# decompress from there). vm.sh boots that ELF through its PVH entry point
# (CONFIG_PVH), which spares the guest decompressing itself: seconds under
# TCG (xz for Debian's 6.1, zstd for 6.12). Exits 1 if no ELF was found.
set -euo pipefail

[ $# -eq 2 ] || {
	echo "usage: extract-vmlinux.sh BZIMAGE OUT" >&2
	exit 2
}
img=$1
out=$2
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

try() { # perl-regex-magic decompressor...
	local magic=$1 pos
	shift
	for pos in $(LC_ALL=C grep -abo -P "$magic" "$img" 2>/dev/null | cut -d: -f1 | head -n 5); do
		tail -c +$((pos + 1)) "$img" | "$@" >"$tmp" 2>/dev/null || true
		if [ -s "$tmp" ] && is_elf "$tmp"; then
			mv -f "$tmp" "$out"
			exit 0
		fi
	done
}

command -v zstd >/dev/null && try '\x28\xb5\x2f\xfd' zstd -dcq
try '\xfd7zXZ\x00' xz -dcq
try '\x1f\x8b\x08' gzip -dcq
try '\x5d\x00\x00\x00' xz -dcq --format=lzma
echo "extract-vmlinux: no ELF kernel found in $img" >&2
exit 1
