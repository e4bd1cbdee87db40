#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interop: the same client exchange (dstmd-load, built on tools/proto)
# against ISC Kea 2.2's dhcp4o6 pair (kea-dhcp6 + kea-dhcp4) and against
# dstmd, in network namespaces: Information-request -> Reply with option
# 88 and 96 holding 90 (the BR/TEP), DISCOVER/OFFER, REQUEST/ACK, renewal
# (REQUEST with ciaddr) and RELEASE.  Both must answer correctly; the
# answers are checked field by field by dstmd-load.
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/dstmd-kea.sh"

if ! command -v kea-dhcp6 >/dev/null || ! command -v kea-dhcp4 >/dev/null; then
	echo "# SKIP $TEST_NAME: kea-dhcp4-server / kea-dhcp6-server not installed (make deps)"
	exit 4
fi
T=$TOPO_TOP/tools/dstmd
cp "$T/dstmd" "$T/dstmd-load" "$TMPD/" || { echo "# FAIL: make -C tools first"; exit 1; }
DK_SRV=dk_srv DK_CL=dk_cl
TOPO_NS+=(dk_srv dk_cl)

exchange() { # NAME: 3 clients, full exchange, renewal, release
	dk_load "$TMPD/dstmd-load" -n 3 -v -t 2000 -R 2 --renew --release \
		--expect-br "$DK_BR" --seed "$1"
}
leased() { grep -c "^client [0-9]: 10\.20\." "$TMPD/last.out"; }

check "namespaces and veth" dk_topo
check "kea-dhcp4 and kea-dhcp6 (dhcp4o6) start" dk_kea_start "$TMPD"
check "against Kea: Reply 88 + 96/90, OFFER, ACK, renewal ACK" exchange 1
check "against Kea: 3 leases, renewed (6 ACKs)" eq "$(leased)" 6
check "Kea persisted the leases (memfile)" eval "grep -c '^10\.20\.' '$TMPD/kea-dhcp4.leases' | grep -qv '^0$'"
dk_kea_stop
check "dstmd starts on the same interface" dk_dstmd_start "$TMPD" "$TMPD/dstmd"
check "against dstmd: Reply 88 + 96/90, OFFER, ACK, renewal ACK" exchange 1
check "against dstmd: 3 leases, renewed (6 ACKs)" eq "$(leased)" 6
check "released: none left in dstmd's store" eq \
	"$("$TMPD/dstmd" --leases --db "$TMPD/dstmd.db" -j)" "[]"
dk_dstmd_stop
topo_done
