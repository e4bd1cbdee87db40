#!/bin/bash
# make lint: checkpatch.pl --strict (from the linux-source package) and
# sparse on the kernel code, for every supported kernel installed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/build/lint
mkdir -p "$cache"

tarball=$(ls /usr/src/linux-source-6.1*.tar.* 2>/dev/null | head -n1 || true)
if [ -z "$tarball" ]; then
	echo "lint: no /usr/src/linux-source-6.1 tarball; run 'make deps'" >&2
	exit 1
fi
if [ ! -x "$cache/scripts/checkpatch.pl" ]; then
	tar -xf "$tarball" -C "$cache" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
fi

rc=0
echo "== checkpatch --strict"
# Out of tree: no kernel git tree, no MAINTAINERS; our SPDX lines are ours.
if ! perl "$cache/scripts/checkpatch.pl" --strict --no-tree --terse \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
	-f "$top"/kernel/*.c "$top"/kernel/*.h "$top"/uapi/linux/dstm.h; then
	rc=1
fi

echo "== sparse"
for kver in $(ls /lib/modules); do
	case $kver in 6.1.*|6.12.*) ;; *) continue ;; esac
	[ -f "/lib/modules/$kver/build/Makefile" ] || continue
	make -s -C "$top" KVERS="$kver" modules MAKEFLAGS= >/dev/null 2>&1 || { echo "$kver: build failed"; rc=1; continue; }
	out=$( \
	      make -C "/lib/modules/$kver/build" M="$top/build/$kver" C=2 \
		CF="-D__CHECK_ENDIAN__" modules 2>&1 | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error)' || true)
	if [ -n "$out" ]; then
		echo "$kver:"; echo "$out"; rc=1
	else
		echo "$kver: clean"
	fi
done
exit $rc
