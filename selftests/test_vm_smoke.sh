#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test bench proves itself: inside the guest we are root, in the
# directory we were started from, with no network interface but lo, with a
# writable /tmp and /run, on the kernel we asked for; and two network
# namespaces joined by a veth pair reach each other over IPv6 and IPv4.
# Packets only ever go between the namespaces this test creates, to
# documentation addresses (2001:db8::/32, 192.0.2.0/24).
#
# TAP output; exit 0 on success, 4 (skip) outside the bench's VM.
set -uo pipefail

if [ "${DSTM_VM:-}" != 1 ]; then
	echo "# SKIP: runs inside the test VM only: bash selftests/vm.sh -- selftests/test_vm_smoke.sh"
	exit 4
fi

N=0
FAIL=0
NS1=smoke-a-$$
NS2=smoke-b-$$

ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $1"; }
check() { # what cmd...: ok if cmd exits 0; its output as # lines on failure
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

cleanup() {
	ip netns del "$NS1" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
}
trap cleanup EXIT

# --- the guest itself
check "running as root (uid 0)" test "$(id -u)" = 0
check "cwd preserved: $PWD is the repository" test -f "$PWD/selftests/test_vm_smoke.sh"
check "DSTM_TOP is the cwd's repository" test "$DSTM_TOP" -ef "$PWD"
check "booted the requested kernel $DSTM_KVER" test "$(uname -r)" = "$DSTM_KVER"
check "no network interface but lo (-nic none)" \
	test "$(ls /sys/class/net)" = lo
check "host root is read-only" sh -c '! touch /usr/.dstm-vm-ro-test 2>/dev/null'
tmpf=$(mktemp)
check "/tmp is writable" sh -c "echo x >$tmpf && rm $tmpf"
check "/run is a fresh tmpfs" test "$(stat -f -c %T /run)" = tmpfs
check "stdin is not the host's (it is /dev/null)" test "$(readlink /proc/self/fd/0)" = /dev/null
if [ -n "${DSTM_KO:-}" ]; then
	check "dstm.ko is installed as updates/dstm.ko" \
		test "$(modinfo -n dstm)" = "/lib/modules/$DSTM_KVER/updates/dstm.ko"
	check "dstm.ko in the guest is the freshly built one" \
		cmp -s "$DSTM_KO" "/lib/modules/$DSTM_KVER/updates/dstm.ko"
fi

# --- two namespaces, one veth pair, both address families
check "create namespaces" sh -c "ip netns add $NS1 && ip netns add $NS2"
check "veth pair between them" \
	ip link add veth-a netns "$NS1" type veth peer name veth-b netns "$NS2"
check "configure $NS1" sh -c "
	ip -n $NS1 link set lo up &&
	ip -n $NS1 addr add 2001:db8:5::1/64 dev veth-a nodad &&
	ip -n $NS1 addr add 192.0.2.1/24 dev veth-a &&
	ip -n $NS1 link set veth-a up"
check "configure $NS2" sh -c "
	ip -n $NS2 link set lo up &&
	ip -n $NS2 addr add 2001:db8:5::2/64 dev veth-b nodad &&
	ip -n $NS2 addr add 192.0.2.2/24 dev veth-b &&
	ip -n $NS2 link set veth-b up"
check "ping IPv6 $NS1 -> $NS2" ip netns exec "$NS1" ping -6 -c 2 -i 0.2 -W 5 2001:db8:5::2
check "ping IPv4 $NS1 -> $NS2" ip netns exec "$NS1" ping -4 -c 2 -i 0.2 -W 5 192.0.2.2
check "ping IPv6 $NS2 -> $NS1" ip netns exec "$NS2" ping -6 -c 2 -i 0.2 -W 5 2001:db8:5::1
check "ping IPv4 $NS2 -> $NS1" ip netns exec "$NS2" ping -4 -c 2 -i 0.2 -W 5 192.0.2.1
check "the root namespace still has only lo" test "$(ls /sys/class/net)" = lo

echo "1..$N"
[ "$FAIL" = 0 ]
