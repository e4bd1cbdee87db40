#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run each unit-test binary given, pass its output through without its
# own "N passed, N failed" line, and end with the sum of them all on one
# such line.  Exit status 1 if anything failed or a binary crashed.
pass=0 fail=0 status=0
for t in "$@"; do
	out=$("$t" 2>&1) || status=1
	printf '%s\n' "$out" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$' || true
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL: $t ended without a summary (crashed?)"
		fail=$((fail + 1))
		status=1
		continue
	fi
	pass=$((pass + ${line%% passed*}))
	f=${line#*passed, }
	fail=$((fail + ${f%% failed}))
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && exit $status
exit 1
