# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for the network-namespace scenario tests (test_*.sh).
# Source it first thing:  . "$(dirname "$0")/lib/topo.sh"
#
# The tests run as root inside a QEMU guest (selftests/vm.sh); they refuse to
# run anywhere else (exit 4, kselftest's "skip"), since they create network
# namespaces and load the module. Everything they send stays inside their own
# namespaces and uses documentation addresses only.
#
# The standard topology (topo_standard):
#
#   a (DSTM client)           tep (TEP, router)              b (IPv4 host)
#   a0 2001:db8:1::2/64 ---- ta0 2001:db8:1::1/64
#   dstm0 client              lo 2001:db8:100::1 (TEP)
#     198.51.100.10/32        dstm0 tep, 198.51.100.0/24 -> dstm0
#     default dev dstm0       tb0 192.0.2.1/24 ----------- b0 192.0.2.2/24
#                                                          default via 192.0.2.1
#   c (second client, topo_standard c)
#   c0 2001:db8:2::2/64 ---- tc0 2001:db8:2::1/64
#   dstm0 client 198.51.100.20/32
#
# Output is TAP-like: "ok N - what" / "not ok N - what", with the failing
# command's output as "#" lines; topo_done prints the summary and exits 1 if
# anything failed.

set -uo pipefail

TOPO_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOPO_TOP=${DSTM_TOP:-$(cd "$TOPO_LIB/../.." && pwd -P)}
DSTMCTL=${DSTMCTL:-$TOPO_TOP/tools/dstmctl/dstmctl}
NETTOOL=$TOPO_LIB/nettool.py
TEST_NAME=$(basename "$0" .sh)

# Addresses (RFC 3849 / RFC 5737 documentation ranges only).
TEP6=2001:db8:100::1
A6=2001:db8:1::2
A6_GW=2001:db8:1::1
C6=2001:db8:2::2
C6_GW=2001:db8:2::1
B4=192.0.2.2
B4_GW=192.0.2.1
POOL=198.51.100.0/24
A4=198.51.100.10
C4=198.51.100.20

T_N=0
T_FAIL=0
T_FAILED=()
TOPO_NS=()
TOPO_PIDS=()
TOPO_START=$SECONDS

if [ "${DSTM_VM:-}" != 1 ]; then
	echo "# SKIP $TEST_NAME: runs inside the test VM only:" \
		"bash selftests/vm.sh -- selftests/$TEST_NAME.sh"
	exit 4
fi
if [ ! -x "$DSTMCTL" ]; then
	echo "# FAIL $TEST_NAME: $DSTMCTL not built (make -C tools)"
	exit 1
fi

TMPD=$(mktemp -d "/tmp/$TEST_NAME.XXXXXX")
# A private copy: tmpfs is faster to exec from than 9p, and a concurrent
# rebuild of the tools on the host cannot pull it away mid-test.
for _ in 1 2 3 4 5; do
	cp "$DSTMCTL" "$TMPD/dstmctl" 2>/dev/null && break
	sleep 1
done
DSTMCTL=$TMPD/dstmctl

# ---------------------------------------------------------------- reporting

say() { echo "# $*"; }

# check "what" CMD [ARGS...]: run CMD (in this shell, so that it may set
# things up), ok if it exits 0. Its output stays in $TMPD/last.out until
# the next check is done (for checks on what the previous one printed).
check() {
	local desc=$1 rc t=$SECONDS
	shift
	T_N=$((T_N + 1))
	T_CURRENT=$desc
	"$@" >"$TMPD/check.out" 2>&1
	rc=$?
	T_CURRENT=
	cp "$TMPD/check.out" "$TMPD/last.out"
	[ -z "${DSTM_TEST_TIMING:-}" ] || desc+=" # $((SECONDS - t))s"
	if [ "$rc" = 0 ]; then
		echo "ok $T_N - $desc"
	else
		T_FAIL=$((T_FAIL + 1))
		T_FAILED+=("$desc")
		echo "not ok $T_N - $desc"
		echo "#   command: $* (exit $rc)"
		sed 's/^/#   /' "$TMPD/check.out" | tail -n 30
	fi
	return "$rc"
}

# check_not "what" CMD...: ok if CMD fails.
check_not() {
	local desc=$1
	shift
	check "$desc" not "$@"
}
not() {
	"$@" && { echo "(succeeded, expected failure)"; return 1; }
	return 0
}

# Comparisons with a diagnostic, for use under check.
eq() { [ "$1" = "$2" ] || { echo "got '$1', expected '$2'"; return 1; }; }
ge() { [ "$1" -ge "$2" ] 2>/dev/null || { echo "got '$1', expected >= $2"; return 1; }; }
le() { [ "$1" -le "$2" ] 2>/dev/null || { echo "got '$1', expected <= $2"; return 1; }; }
between() { # VALUE MIN MAX
	[ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ] ||
		{ echo "got '$1', expected $2..$3"; return 1; }
}
contains() { # FILE-or-- REGEX: grep -E, showing the text on failure
	local f=$1 text
	if [ "$f" = - ]; then text=$(cat); else text=$(cat "$f" 2>/dev/null); fi
	grep -Eq -- "$2" <<<"$text" && return 0
	echo "no match for /$2/ in:"
	printf '%s\n' "$text" | tail -n 20
	return 1
}

# ------------------------------------------------------------- environment

topo_cleanup() {
	local pid ns
	if [ -n "${T_CURRENT:-}" ]; then
		echo "not ok $T_N - $T_CURRENT"
		echo "# BAIL OUT: the script died in this check:"
		sed 's/^/#   /' "$TMPD/check.out" | tail -n 30
	fi
	for pid in "${TOPO_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${TOPO_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "${TOPO_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMPD"
}
trap topo_cleanup EXIT

topo_done() {
	local secs=$((SECONDS - TOPO_START)) d
	echo "1..$T_N"
	if [ "$T_FAIL" = 0 ]; then
		echo "# PASS $TEST_NAME: $T_N checks passed (${secs}s, $(uname -r))"
		exit 0
	fi
	echo "# FAIL $TEST_NAME: $T_FAIL of $T_N checks failed (${secs}s, $(uname -r)):"
	for d in "${T_FAILED[@]}"; do
		echo "#   $d"
	done
	exit 1
}

# The plain command line behind our wrappers (nsx, ctl, nettool), so that
# a background job is the process itself, not a subshell running a shell
# function: killing a subshell would leave its child running, and a process
# left in a namespace keeps that namespace alive. Sets CMDV.
cmdv() {
	case $1 in
	nsx) CMDV=(ip netns exec "${@:2}") ;;
	ctl) CMDV=(ip netns exec "$2" "$DSTMCTL" "${@:3}") ;;
	nettool) CMDV=(ip netns exec "$2" python3 -I -S "$NETTOOL" "${@:3}") ;;
	*) CMDV=("$@") ;;
	esac
}

# bg CMD...: start CMD in the background, output appended to
# $TMPD/bg.log; it is killed at exit. Sets BG_PID.
bg() {
	cmdv "$@"
	"${CMDV[@]}" >>"$TMPD/bg.log" 2>&1 &
	BG_PID=$!
	TOPO_PIDS+=("$BG_PID")
}

# bglog FILE CMD...: the same, output to FILE (truncated first).
bglog() {
	local f=$1
	shift
	cmdv "$@"
	"${CMDV[@]}" >"$f" 2>&1 &
	BG_PID=$!
	TOPO_PIDS+=("$BG_PID")
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# wait_eq SECONDS WANT CMD...: poll until CMD prints WANT (for counters
# that move a little after the packet was sent); says what it last got.
wait_eq() {
	local end=$((SECONDS + $1)) want=$2 got
	shift 2
	while :; do
		got=$("$@" 2>&1)
		[ "$got" = "$want" ] && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			echo "got '$got', expected '$want' (after waiting)"
			return 1
		fi
		sleep 0.2
	done
}

# --------------------------------------------------------------- namespaces
# Every process costs a lot under TCG: configuration uses "ip -n NS" (no
# "ip netns exec" in between) and batches ("ip -n NS -b -") where it can.

nsx() { # NS CMD...
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

ctl() { # NS dstmctl-args...
	local ns=$1
	shift
	ip netns exec "$ns" "$DSTMCTL" "$@"
}

nsip() { # NS "ip" commands on stdin, one a line
	ip -n "$1" -b -
}

ns_add() { # NAME: a namespace with lo up, no DAD delays, no RAs
	ip netns add "$1" || return 1
	TOPO_NS+=("$1")
	ip -n "$1" link set lo up
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
}

ns_router() { # NS: forward IPv4 and IPv6
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# veth NS1 IF1 NS2 IF2 [MTU]: a pair, both ends up.
veth() {
	ip link add "$2" netns "$1" ${5:+mtu "$5"} type veth \
		peer name "$4" netns "$3" ${5:+mtu "$5"} || return 1
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

addr6() { # NS IF ADDR/LEN
	ip -n "$1" -6 addr add "$3" dev "$2" nodad
}

addr4() { # NS IF ADDR/LEN
	ip -n "$1" addr add "$3" dev "$2"
}

topo_modprobe() {
	modprobe dstm 2>/dev/null && return 0
	[ -n "${DSTM_KO:-}" ] && insmod "$DSTM_KO"
}

# ----------------------------------------------------------------- devices

# tep_setup NS LOCAL6: the TEP device, pool routed to it, forwarding on.
# Hairpinned packets leave by the device they came in on, and with
# shared_media on (the default) the kernel would answer each with an ICMP
# redirect, meaningless to hosts behind a tunnel: a TEP turns them off (as
# routers usually do; all.send_redirects=1 would win over the device's 0).
tep_setup() {
	local ns=$1 local6=$2
	ns_router "$ns"
	nsx "$ns" sysctl -qw net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.default.send_redirects=0
	ip -n "$ns" link add dstm0 type dstm || return 1
	ctl "$ns" set dstm0 mode tep local "$local6" || return 1
	nsip "$ns" <<-EOF
		addr replace $local6/128 dev lo
		link set dstm0 up
		route add $POOL dev dstm0
	EOF
}

# client_setup NS LOCAL6 TEP6 [ADDR4 [dstmctl set args...]]: a client
# device with the IPv4 address on it (if given) and the default route.
client_setup() {
	local ns=$1 local6=$2 tep6=$3 addr=${4:-}
	shift 3
	[ $# -gt 0 ] && shift
	ip -n "$ns" link add dstm0 type dstm || return 1
	ctl "$ns" set dstm0 mode client local "$local6" tep "$tep6" \
		${addr:+addr "$addr"} "$@" || return 1
	nsip "$ns" <<-EOF
		link set dstm0 up
		${addr:+addr add $addr/32 dev dstm0}
		route add default dev dstm0
	EOF
}

# client_link NS IF TEPNS TEPIF ADDR6 GW6 [MTU]: a client's IPv6 link to
# the TEP's namespace (or a router), with its default route.
client_link() {
	veth "$3" "$4" "$1" "$2" "${7:-}" || return 1
	addr6 "$3" "$4" "$6/64" && addr6 "$1" "$2" "$5/64" &&
		ip -n "$1" route add ::/0 via "$6"
}

# The standard topology above; "topo_standard c" adds the second client.
# TOPO_A_MTU sets the MTU of a's link to the TEP. Mappings are the test's
# business (map_add).
topo_standard() {
	local with_c=${1:-}
	topo_modprobe || return 1
	ns_add tep && ns_add a && ns_add b || return 1
	tep_setup tep "$TEP6" || return 1
	client_link a a0 tep ta0 "$A6" "$A6_GW" "${TOPO_A_MTU:-}" || return 1

	veth tep tb0 b b0 || return 1
	addr4 tep tb0 "$B4_GW/24" && addr4 b b0 "$B4/24" &&
		ip -n b route add default via "$B4_GW" || return 1

	if [ -n "$with_c" ]; then
		ns_add c || return 1
		client_link c c0 tep tc0 "$C6" "$C6_GW" || return 1
	fi
}

map_add() { # NS DEV map-add-args...
	local ns=$1 dev=$2
	shift 2
	ctl "$ns" map add "$dev" "$@"
}

# ---------------------------------------------------------------- counters

# dstmctl's JSON is one line of flat objects (the device's stats and drops
# are nested once, with keys of their own), so plain bash reads it: python
# would cost a second or two per call under TCG.

# jkey KEY: the value of "KEY" in the JSON on stdin (first occurrence),
# strings unquoted; "missing" if there is none.
jkey() {
	local text re v
	text=$(cat)
	re="\"$1\":(\"[^\"]*\"|[^,}]*)"
	if [[ $text =~ $re ]]; then
		v=${BASH_REMATCH[1]}
		v=${v#\"}
		echo "${v%\"}"
	else
		echo missing
	fi
}

# jpath PATH: like jkey, but "stats.x" / "drops.x" look inside that nested
# object only (DEV_GET has a queue_timeout setting and a queue_timeout
# drop counter).
jpath() {
	local text re
	text=$(cat)
	if [[ $1 == *.* ]]; then
		re="\"${1%%.*}\":\\{([^}]*)\\}"
		[[ $text =~ $re ]] || { echo missing; return; }
		text="{${BASH_REMATCH[1]}}"
	fi
	jkey "${1##*.}" <<<"$text"
}

# dev_get NS DEV PATH: e.g. dev_get tep dstm0 drops.spoofed
dev_get() {
	ctl "$1" -j show "$2" | jpath "$3"
}

# drops_other NS DEV [REASON...]: the sum of every drop counter of DEV
# except the REASONs given.
drops_other() {
	local text re sum=0 kv k
	text=$(ctl "$1" -j show "$2")
	shift 2
	re='"drops":\{([^}]*)\}'
	[[ $text =~ $re ]] || { echo missing; return; }
	IFS=, read -ra kv <<<"${BASH_REMATCH[1]}"
	for k in "${kv[@]}"; do
		k=${k//\"/}
		[[ " $* " == *" ${k%%:*} "* ]] && continue
		sum=$((sum + ${k#*:}))
	done
	echo "$sum"
}

# map_find IPV4 PSID FIELD: from "dstmctl -j map show" on stdin; prints
# "missing" if there is no such mapping.
map_find() {
	local text obj
	text=$(cat)
	text=${text#[}
	while [[ $text == *'}'* ]]; do
		obj=${text%%\}*}
		text=${text#*\}}
		text=${text#,}
		[[ $obj == *"\"ipv4\":\"$1\","* ]] || continue
		[[ $obj == *"\"psid\":$2,"* ]] ||
			{ [ "$2" = 0 ] && [[ $obj == *'"psid":null,'* ]]; } || continue
		jkey "$3" <<<"$obj}"
		return 0
	done
	echo missing
}

# map_get NS DEV IPV4 [PSID] FIELD: a mapping's field, "missing" if there
# is no such mapping (map show, not map get: "gone" is not an error here).
map_get() {
	local ns=$1 dev=$2 ip4=$3 psid=0 field
	if [ $# = 5 ]; then psid=$4; field=$5; else field=$4; fi
	ctl "$ns" -j map show "$dev" | map_find "$ip4" "$psid" "$field"
}

# snap NAME NS DEV: remember the device's and its mappings' counters;
# delta / map_delta NAME ... then print how much one has moved since.
snap() {
	ctl "$2" -j show "$3" >"$TMPD/snap.$1"
	ctl "$2" -j map show "$3" >"$TMPD/snapmap.$1" 2>/dev/null
}

numdiff() { # A B: A - B, or "NaN(A,B)" if either is not a number
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then
		echo $(($1 - $2))
	else
		echo "NaN($1,$2)"
	fi
}

delta() { # NAME NS DEV PATH
	local before now
	before=$(jpath "$4" <"$TMPD/snap.$1")
	now=$(dev_get "$2" "$3" "$4")
	numdiff "$now" "$before"
}

map_delta() { # NAME NS DEV IPV4 PSID FIELD (a mapping absent before = 0)
	local before now
	before=$(map_find "$4" "$5" "$6" <"$TMPD/snapmap.$1")
	now=$(map_get "$2" "$3" "$4" "$5" "$6")
	[ "$before" = missing ] && before=0
	numdiff "$now" "$before"
}

# link_get NS DEV rx|tx packets|bytes|dropped: from ip -s -j link
link_get() {
	local text re
	text=$(ip -n "$1" -s -j link show dev "$2")
	re="\"$3\":\{([^}]*)\}"
	if [[ $text =~ $re ]]; then
		jkey "$4" <<<"{${BASH_REMATCH[1]}}"
	else
		echo missing
	fi
}

# ------------------------------------------------------------------ traffic

# ping_all NS DST [ping args...]: 3 echo requests, every one answered.
ping_all() {
	local ns=$1 dst=$2 out
	shift 2
	out=$(nsx "$ns" ping -n -c 3 -i 0.2 -W 2 "$@" "$dst" 2>&1)
	echo "$out"
	grep -q ' 0% packet loss' <<<"$out"
}

# ping_none NS DST [ping args...]: 3 echo requests, none answered.
ping_none() {
	local ns=$1 dst=$2 out
	shift 2
	out=$(nsx "$ns" ping -n -c 3 -i 0.2 -W 1 "$@" "$dst" 2>&1)
	echo "$out"
	grep -q ' 0 received' <<<"$out"
}

nettool() { # NS nettool-args...
	local ns=$1
	shift
	nsx "$ns" python3 -I -S "$NETTOOL" "$@"
}

# udp_server NS IP PORT COUNT LOGNAME: echo server in the background; waits
# until it is bound. Its log is $TMPD/LOGNAME.
udp_server() {
	rm -f "$TMPD/$5" "$TMPD/$5.ready"
	bg nettool "$1" udp-server "$2" "$3" "$4" "$TMPD/$5" --timeout 60
	wait_for 10 test -e "$TMPD/$5.ready"
}

# tcp_server NS IP PORT LOGNAME: one-connection echo server, as above.
tcp_server() {
	rm -f "$TMPD/$4" "$TMPD/$4.ready"
	bg nettool "$1" tcp-server "$2" "$3" "$TMPD/$4" --timeout 60
	TCP_SERVER_PID=$BG_PID
	wait_for 10 test -e "$TMPD/$4.ready"
}

# tcp_echo CLIENT_NS SERVER_NS SERVER_IP PORT SIZE [client args]: a TCP
# round trip of SIZE bytes each way; the data must come back unchanged and
# the server must have seen all of it. The server's log is $TMPD/tcp.PORT.
tcp_echo() {
	local cns=$1 sns=$2 ip=$3 port=$4 size=$5 log=tcp.$4 rc
	shift 5
	tcp_server "$sns" "$ip" "$port" "$log" || { echo "server did not start"; return 1; }
	nettool "$cns" tcp-client "$ip" "$port" "$size" "$@"
	rc=$?
	wait "$TCP_SERVER_PID" 2>/dev/null
	echo "server: $(cat "$TMPD/$log" 2>/dev/null)"
	[ "$rc" = 0 ] && grep -q " $size " "$TMPD/$log"
}
