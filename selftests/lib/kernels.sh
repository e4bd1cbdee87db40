#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh: print the supported kernels installed on this host, one a line,
# oldest first: Debian 12's 6.1 and bookworm-backports' 6.12 (the series the
# project supports, as in the top-level Makefile). A kernel counts when both
# its modules (/lib/modules/VER) and its image (/boot/vmlinuz-VER) are there.
set -euo pipefail

for d in /lib/modules/*; do
	v=${d##*/}
	[[ $v =~ ^6\.(1|12)\. ]] || continue
	if [ -e "/boot/vmlinuz-$v" ] && [ -f "$d/modules.dep" ]; then
		echo "$v"
	fi
done | sort -V
