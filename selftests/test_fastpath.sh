#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The TEP fast path ("dstmctl set DEV fastpath IF,IF...", kernel/fastpath.c):
# IPv4 packets arriving on a listed device for a mapped client are
# encapsulated at ingress, and 4over6 packets arriving on a listed device
# for the TEP are decapsulated at ingress and handed straight to
# ip_forward; everything the fast path does not handle takes the normal
# path, with the normal path's answers (ICMP errors, fragmentation,
# anti-spoofing drops).
#
# Every claim is checked with real traffic against counters read before
# and after: the device's fast_tx/fast_rx_packets, its tx/rx stats (which
# count both paths), the mapping's counters, and nftables counters on the
# TEP's netfilter hooks, which show what the fast path bypasses:
#   encap  IPv4 PREROUTING, FORWARD, POSTROUTING
#   decap  IPv6 PREROUTING and INPUT, IPv4 PREROUTING (FORWARD and
#          POSTROUTING still run)
# Then the fast path under teardown: a listed veth deleted under traffic,
# one moved to another namespace, one whose peer's namespace is deleted
# (each leaves the set by itself); dstm0 deleted, the module removed and the
# TEP's namespace deleted, all with the fast path set and traffic flowing
# (vm.sh fails the run on any kernel warning).
#
# Over veth a packet arrives still owned by its sender's socket (skb->sk,
# from the sending namespace); IPv4 and IPv6 input orphan it ("because of
# tproxy") and ip_forward() drops one that is still owned, so a fast path
# that skips IPv6 input must orphan the packets it decapsulates itself.
# Real NICs never show this; these veths (and the bench's) do.
#
# The standard topology, with a's link to the TEP at MTU 1280 (tunnel MTU
# 1240, below the TEP dstm0's 1460), plus an IPv4 host x on the TEP:
#
#   a (client) a0 --- ta0 tep (TEP) tb0 --- b0 b (IPv4 host 192.0.2.2)
#                               tx0 --- x0 x (IPv4 host 203.0.113.2)
#
# vm-options: --timeout 900
. "$(dirname "$0")/lib/topo.sh"

X4=203.0.113.2
X4_GW=203.0.113.1
ROGUE4=198.51.100.99	# in the pool, mapped to no one
STRAY4=198.51.100.77	# mapped, but to C6 (not a's IPv6 address)
FTX=stats.fast_tx_packets
FRX=stats.fast_rx_packets

# fp_list NS DEV: the fast-path devices "dstmctl -j show" lists, sorted and
# space separated; "none" for an empty set, "missing" if there is no key.
fp_list() {
	local text re v
	text=$(ctl "$1" -j show "$2") || { echo "show failed"; return; }
	re='"fastpath": *(\[[^]]*\]|null)'
	[[ $text =~ $re ]] || { echo missing; return; }
	v=${BASH_REMATCH[1]}
	[ "$v" != null ] || { echo null; return; }
	v=${v#[}
	v=${v%]}
	v=${v//\"/}
	v=${v//,/ }
	[ -n "${v// /}" ] || { echo none; return; }
	# shellcheck disable=SC2086 # split the names
	printf '%s\n' $v | sort | tr '\n' ' ' | sed 's/ $//'
}

# deltas NAME NS DEV PATH...: how much each counter moved since "snap NAME",
# from a single dstmctl call, space separated.
deltas() {
	local name=$1 ns=$2 dev=$3 now p out=()
	shift 3
	now=$(ctl "$ns" -j show "$dev")
	for p in "$@"; do
		out+=("$(numdiff "$(jpath "$p" <<<"$now")" "$(jpath "$p" <"$TMPD/snap.$name")")")
	done
	echo "${out[*]}"
}

# The mapping of a's address: "rx tx" packets since "snap NAME".
map_rxtx() {
	echo "$(map_delta "$1" tep dstm0 "$A4" 0 rx_packets) $(map_delta "$1" tep dstm0 "$A4" 0 tx_packets)"
}

# rate NS DEV PATH: how much a counter moves in one second.
rate() {
	local before
	before=$(dev_get "$1" "$2" "$3")
	sleep 1
	numdiff "$(dev_get "$1" "$2" "$3")" "$before"
}

# moving NS DEV PATH MIN: ok once the counter moves by MIN or more a second.
moving() {
	wait_eq 30 ok eval "ge \"\$(rate $1 $2 $3)\" $4 >/dev/null && echo ok"
}

# nftables counters on the TEP's hooks (see the top).
NFT_ORDER="pre6_dec in6_dec pre_dec fwd_dec post_dec pre_enc fwd_enc post_enc"
nft_setup() {
	nsx tep nft -f - <<-EOF
	table ip fp {
		counter pre_dec { }
		counter fwd_dec { }
		counter post_dec { }
		counter pre_enc { }
		counter fwd_enc { }
		counter post_enc { }
		chain prerouting {
			type filter hook prerouting priority 0; policy accept;
			iifname "dstm0" counter name "pre_dec"
			iifname "tb0" ip daddr $POOL counter name "pre_enc"
		}
		chain forward {
			type filter hook forward priority 0; policy accept;
			iifname "dstm0" counter name "fwd_dec"
			oifname "dstm0" counter name "fwd_enc"
		}
		chain postrouting {
			type filter hook postrouting priority 0; policy accept;
			oifname "tb0" ip saddr $POOL counter name "post_dec"
			oifname "dstm0" counter name "post_enc"
		}
	}
	table ip6 fp6 {
		counter pre6_dec { }
		counter in6_dec { }
		chain prerouting {
			type filter hook prerouting priority 0; policy accept;
			iifname "ta0" ip6 nexthdr 4 counter name "pre6_dec"
		}
		chain input {
			type filter hook input priority 0; policy accept;
			ip6 nexthdr 4 counter name "in6_dec"
		}
	}
	EOF
}
nft_counters() { # -> "name packets" lines
	nsx tep nft list counters | awk '$1 == "counter" { n = $2 } $1 == "packets" { print n, $2 }'
}
nft_snap() { nft_counters >"$TMPD/nft.$1"; }
# nft_deltas NAME: the counters' deltas since nft_snap NAME, in NFT_ORDER.
nft_deltas() {
	local -A a b
	local k v out=()
	while read -r k v; do b[$k]=$v; done <"$TMPD/nft.$1"
	nft_counters >"$TMPD/nft.now"
	while read -r k v; do a[$k]=$v; done <"$TMPD/nft.now"
	for k in $NFT_ORDER; do
		out+=("$(numdiff "${a[$k]:-?}" "${b[$k]:-?}")")
	done
	echo "${out[*]}"
}

# snap_all NAME: the TEP's device and mapping counters and the nft counters.
snap_all() {
	snap "$1" tep dstm0
	nft_snap "$1"
}

# ------------------------------------------------------------------ setup
TOPO_A_MTU=1280 check "standard topology, a's link MTU 1280" topo_standard
check "client a ($A4)" client_setup a "$A6" "$TEP6" "$A4"
check "TEP maps a, and $STRAY4 to someone else ($C6)" eval "
	map_add tep dstm0 ipv4 $A4 ipv6 $A6 &&
	map_add tep dstm0 ipv4 $STRAY4 ipv6 $C6"
check "IPv4 host x ($X4) on the TEP's tx0" eval "ns_add x &&
	veth tep tx0 x x0 && addr4 tep tx0 $X4_GW/24 && addr4 x x0 $X4/24 &&
	ip -n x route add default via $X4_GW"
check "nftables counters on the TEP's IPv4 and IPv6 hooks" nft_setup
check "baseline: ping a -> B (normal path)" ping_all a "$B4"
check "no fast-path devices yet" eq "$(fp_list tep dstm0)" none
check "fast counters present, 0" eq "$(dev_get tep dstm0 $FTX) $(dev_get tep dstm0 $FRX)" "0 0"

check "set dstm0 fastpath ta0,tb0,tx0" ctl tep set dstm0 fastpath ta0,tb0,tx0
check "show lists ta0 tb0 tx0" eq "$(fp_list tep dstm0)" "ta0 tb0 tx0"

# ---------------------------------------------------- ping, both ways
snap_all t1
check "ping a -> B with the fast path on" ping_all a "$B4"
check "B's replies were TTL-decremented once by the TEP (ttl=63)" contains "$TMPD/last.out" "ttl=63"
check "TEP fast_rx +3 (requests), fast_tx +3 (replies)" eq "$(deltas t1 tep dstm0 $FRX $FTX)" "3 3"
check "TEP stats rx +3, tx +3 (they count the fast path too)" eq \
	"$(deltas t1 tep dstm0 stats.rx_packets stats.tx_packets)" "3 3"
check "a's mapping rx +3, tx +3" eq "$(map_rxtx t1)" "3 3"
# pre6_dec in6_dec pre_dec fwd_dec post_dec pre_enc fwd_enc post_enc
check "hooks: decap skips IPv6 pre/input and IPv4 pre, not fwd/post; encap skips all" \
	eq "$(nft_deltas t1)" "0 0 0 3 3 0 0 0"
check "no drops at the TEP" eq "$(drops_other tep dstm0 not_ipv4)" 0

snap_all t2
check "ping B -> a with the fast path on" ping_all b "$A4"
check "a's replies were TTL-decremented once by the TEP (ttl=63)" contains "$TMPD/last.out" "ttl=63"
check "TEP fast_tx +3, fast_rx +3, tx +3, rx +3" eq \
	"$(deltas t2 tep dstm0 $FTX $FRX stats.tx_packets stats.rx_packets)" "3 3 3 3"
check "a's mapping rx +3, tx +3" eq "$(map_rxtx t2)" "3 3"
check "hooks: the same as a -> B" eq "$(nft_deltas t2)" "0 0 0 3 3 0 0 0"

snap t3 tep dstm0
check "ping -t 2 B -> a: answered (TTL 2 > 1 is fast)" ping_all b "$A4" -t 2
check "TEP fast_tx +3" eq "$(deltas t3 tep dstm0 $FTX)" 3

# ------------------------------------------------------- TCP, both ways
snap t4 tep dstm0
check "TCP a -> B, 64 KiB each way" tcp_echo a b "$B4" 7001 65536
check "B saw a's address" contains "$TMPD/tcp.7001" "^$A4:[0-9]+ 65536 "
check "TCP B -> a, 64 KiB each way" tcp_echo b a "$A4" 7002 65536
check "a saw B's address" contains "$TMPD/tcp.7002" "^$B4:[0-9]+ 65536 "
read -r t4_ftx t4_frx t4_tx t4_rx <<<"$(deltas t4 tep dstm0 $FTX $FRX stats.tx_packets stats.rx_packets)"
say "TCP: fast_tx $t4_ftx of tx $t4_tx, fast_rx $t4_frx of rx $t4_rx"
check "TCP: fast_tx and fast_rx moved (>= 8 each)" eval "ge '$t4_ftx' 8 && ge '$t4_frx' 8"
check "TCP: stats tx/rx >= fast tx/rx" eval "ge '$t4_tx' '$t4_ftx' && ge '$t4_rx' '$t4_frx'"
check "TCP: a's mapping counted at least the stats' packets" eval \
	"set -- \$(map_rxtx t4) && ge \$1 '$t4_rx' && ge \$2 '$t4_tx'"
check "no drops at the TEP" eq "$(drops_other tep dstm0 not_ipv4)" 0

# ------------------------------------- what the fast path leaves alone
# IPv4 options (record route), both ways: B's request takes the normal
# path; a's reply (which echoes the option) is decapsulated at ingress
# (the outer packet is plain 4over6: IPv6 hooks skipped) and then takes
# the normal second pass through IPv4 (not counted as fast).
snap_all t5
check "ping -R B -> a (IPv4 options): answered" ping_all b "$A4" -R
check "options: fast_tx +0, fast_rx +0; tx +3, rx +3" eq \
	"$(deltas t5 tep dstm0 $FTX $FRX stats.tx_packets stats.rx_packets)" "0 0 3 3"
# pre6_dec in6_dec pre_dec fwd_dec post_dec pre_enc fwd_enc post_enc
check "options: every IPv4 hook saw them (the second pass)" eq "$(nft_deltas t5)" "0 0 3 3 3 3 3 3"

# Local delivery: a pings the TEP's own IPv4 address. The requests take
# the second pass (IPv4 PREROUTING, then INPUT); the TEP's replies are its
# own packets (OUTPUT, POSTROUTING, dstm0's transmit).
snap_all t6
check "ping a -> the TEP's $B4_GW (local delivery): answered" ping_all a "$B4_GW"
check "local: fast_rx +0, fast_tx +0; rx +3, tx +3" eq \
	"$(deltas t6 tep dstm0 $FRX $FTX stats.rx_packets stats.tx_packets)" "0 0 3 3"
check "local: IPv4 PREROUTING saw the requests, POSTROUTING the replies" eq \
	"$(nft_deltas t6)" "0 0 3 0 0 0 0 3"

# TTL 1 from B: time exceeded from the TEP, nothing encapsulated.
snap t7 tep dstm0
check "ping -t 1 B -> a: not answered" ping_none b "$A4" -t 1
check "B got time exceeded from the TEP" contains "$TMPD/last.out" \
	"From $B4_GW .*Time to live exceeded"
check "TTL 1: fast_tx +0, tx +0, a's mapping tx +0" eq \
	"$(deltas t7 tep dstm0 $FTX stats.tx_packets) $(map_delta t7 tep dstm0 "$A4" 0 tx_packets)" "0 0 0"

# TTL 1 from a: ip_forward answers it after the decapsulation, through
# the tunnel (the TEP's own packets: not fast).
snap t8 tep dstm0
check "ping -t 1 a -> B: not answered" ping_none a "$B4" -t 1
check "a got time exceeded from the TEP, through the tunnel" contains "$TMPD/last.out" \
	"From $B4_GW .*Time to live exceeded"
check "TTL 1: fast_tx +0, tx >= 1 (the errors)" eval \
	"set -- \$(deltas t8 tep dstm0 $FTX stats.tx_packets) && eq \$1 0 && ge \$2 1"

# DF and the tunnel MTU (1280 - 40 = 1240: the underlay route's, below
# dstm0's 1460).
snap t9 tep dstm0
check "B -> a, 1240 bytes with DF (exactly the tunnel MTU): answered" ping_all b "$A4" -M do -s 1212
check "1240 with DF: fast_tx +3, fast_rx +3" eq "$(deltas t9 tep dstm0 $FTX $FRX)" "3 3"
# Without DF first: B has not learned the path MTU yet and sends 1428-byte
# packets, which the normal path fragments (inner or outer: 3..6 sent).
snap t10 tep dstm0
check "B -> a, 1428 bytes without DF: answered (fragmented)" ping_all b "$A4" -M dont -s 1400
check "too big without DF: fast_tx +0, tx 3..6" eval \
	"set -- \$(deltas t10 tep dstm0 $FTX stats.tx_packets) && eq \$1 0 && between \$2 3 6"
snap t11 tep dstm0
check "B -> a, 1428 bytes with DF: not answered" ping_none b "$A4" -M do -s 1400
check "B got frag needed from the TEP, mtu 1240" contains "$TMPD/last.out" \
	"From $B4_GW .*Frag needed.*mtu ?= ?1240"
check "too big with DF: fast_tx +0, tx +0" eq "$(deltas t11 tep dstm0 $FTX stats.tx_packets)" "0 0"
snap t11b tep dstm0
check "still fast at 1240 with DF" eval "ping_all b $A4 -M do -s 1212 &&
	eq \"\$(deltas t11b tep dstm0 $FTX)\" 3"

# Anti-spoofing: an unmapped inner source, and one mapped to another
# client, from a: dropped and counted as spoofed, as on the normal path.
check "a: addresses $ROGUE4 and $STRAY4 on dstm0 too" eval \
	"addr4 a dstm0 $ROGUE4/32 && addr4 a dstm0 $STRAY4/32"
check "UDP server on B (counts what arrives)" udp_server b "$B4" 7000 100 udp
snap t12 tep dstm0
check "a -> B from $ROGUE4 (unmapped), 3 datagrams" nettool a udp-send "$B4" 7000 --src "$ROGUE4" --count 3
check "a -> B from $STRAY4 (mapped to $C6), 3 datagrams" nettool a udp-send "$B4" 7000 --src "$STRAY4" --count 3
check "TEP drops.spoofed +6" wait_eq 5 6 delta t12 tep dstm0 drops.spoofed
check "spoofed: fast_rx +0, rx +0" eq "$(deltas t12 tep dstm0 $FRX stats.rx_packets)" "0 0"
check "B received none of them" eq "$(wc -l <"$TMPD/udp" 2>/dev/null || echo 0)" 0
snap t13 tep dstm0
check "a -> B from its own address: echoed" nettool a udp-client "$B4" 7000 --src "$A4"
check "... B received exactly that one" eq "$(wc -l <"$TMPD/udp")" 1
check "... on the fast path both ways (fast_rx +1, fast_tx +1, spoofed +0)" eq \
	"$(deltas t13 tep dstm0 $FRX $FTX drops.spoofed)" "1 1 0"
check "remove a's extra addresses" eval \
	"ip -n a addr del $ROGUE4/32 dev dstm0 && ip -n a addr del $STRAY4/32 dev dstm0"

# Unmapped destinations: ordinary IPv4 routing.
snap_all t14
check "ping B -> $ROGUE4 (pool, unmapped): not answered" ping_none b "$ROGUE4"
check "B got the TEP's host unreachable" contains "$TMPD/last.out" \
	"From $B4_GW .*Destination Host Unreachable"
check "unmapped: fast_tx +0, drops.no_mapping +3" eq \
	"$(deltas t14 tep dstm0 $FTX drops.no_mapping)" "0 3"
check "... through IPv4 routing and the hooks (pre, fwd, post +3)" eq \
	"$(nft_deltas t14 | cut -d' ' -f6-)" "3 3 3"
snap t15 tep dstm0
check "ping B -> x ($X4, routed through the TEP): answered" ping_all b "$X4"
check "... and nothing fast or tunnelled (fast_tx, fast_rx, tx, rx +0)" eq \
	"$(deltas t15 tep dstm0 $FTX $FRX stats.tx_packets stats.rx_packets)" "0 0 0 0"

# net.ipv4.conf.tb0.forwarding=0: not fast, and IPv4 refuses it.
check "TEP: tb0 forwarding off" nsx tep sysctl -qw net.ipv4.conf.tb0.forwarding=0
snap t16 tep dstm0
check "ping B -> a: not answered" ping_none b "$A4"
check "forwarding off: fast_tx +0, tx +0" eq "$(deltas t16 tep dstm0 $FTX stats.tx_packets)" "0 0"
check "TEP: tb0 forwarding on" nsx tep sysctl -qw net.ipv4.conf.tb0.forwarding=1
snap t17 tep dstm0
check "ping B -> a: answered again, fast" eval "ping_all b $A4 &&
	eq \"\$(deltas t17 tep dstm0 $FTX)\" 3"

# ------------------------------------- the set replaced, then cleared
check "set fastpath tb0 (replaces the set)" ctl tep set dstm0 fastpath tb0
check "show lists tb0" eq "$(fp_list tep dstm0)" tb0
snap t18 tep dstm0
check "ping a -> B: encap fast, decap not" eval "ping_all a $B4 &&
	eq \"\$(deltas t18 tep dstm0 $FTX $FRX)\" '3 0'"
check "set fastpath none" ctl tep set dstm0 fastpath none
check "show lists none" eq "$(fp_list tep dstm0)" none
snap_all t19
check "ping a -> B with the fast path off" ping_all a "$B4"
check "ping B -> a with the fast path off" ping_all b "$A4"
check "off: fast_tx +0, fast_rx +0; tx +6, rx +6" eq \
	"$(deltas t19 tep dstm0 $FTX $FRX stats.tx_packets stats.rx_packets)" "0 0 6 6"
check "off: a's mapping rx +6, tx +6" eq "$(map_rxtx t19)" "6 6"
check "off: every hook saw every packet" eq "$(nft_deltas t19)" "6 6 6 6 6 6 6 6"
snap t20 tep dstm0
check "off: TCP a -> B, 16 KiB each way" tcp_echo a b "$B4" 7003 16384
check "off: TCP B -> a, 16 KiB each way" tcp_echo b a "$A4" 7004 16384
check "off: fast_tx +0, fast_rx +0, tx and rx moved" eval \
	"set -- \$(deltas t20 tep dstm0 $FTX $FRX stats.tx_packets stats.rx_packets) &&
	eq \"\$1 \$2\" '0 0' && ge \$3 8 && ge \$4 8"

# ------------------------------------- listed devices that go away
check "set fastpath ta0,tb0,tx0 again" eval "ctl tep set dstm0 fastpath ta0,tb0,tx0 &&
	eq \"\$(fp_list tep dstm0)\" 'ta0 tb0 tx0'"
bg nsx x ping -q -i 0.02 "$A4"
X_PING=$BG_PID
check "x's pings to a take the fast path (fast_tx >= 10/s)" moving tep dstm0 $FTX 10
check "ip link del tx0 (listed, under traffic)" timeout 30 ip -n tep link del tx0
check "tx0 left the set" eq "$(fp_list tep dstm0)" "ta0 tb0"
kill "$X_PING" 2>/dev/null
snap t21 tep dstm0
check "a -> B still fast" eval "ping_all a $B4 && eq \"\$(deltas t21 tep dstm0 $FTX $FRX)\" '3 3'"

check "veth tm0 (TEP) -- xm0 (x); fastpath ta0,tb0,tm0" eval "veth tep tm0 x xm0 &&
	ctl tep set dstm0 fastpath ta0,tb0,tm0 && eq \"\$(fp_list tep dstm0)\" 'ta0 tb0 tm0'"
check "ip link set tm0 netns x (listed)" timeout 30 ip -n tep link set tm0 netns x
check "tm0 left the set" eq "$(fp_list tep dstm0)" "ta0 tb0"
check "tm0 back in the TEP's namespace: still not in the set" eval \
	"timeout 30 ip -n x link set tm0 netns tep && eq \"\$(fp_list tep dstm0)\" 'ta0 tb0'"

check "veth ty0 (TEP) -- y0 (x), x routed by it; fastpath ta0,tb0,ty0" eval "
	veth tep ty0 x y0 && addr4 tep ty0 203.0.113.129/25 && addr4 x y0 203.0.113.130/25 &&
	ip -n x route add default via 203.0.113.129 &&
	ctl tep set dstm0 fastpath ta0,tb0,ty0 && eq \"\$(fp_list tep dstm0)\" 'ta0 tb0 ty0'"
snap t22 tep dstm0
check "x reaches a through ty0 (fast_tx +3)" eval "ping_all x $A4 &&
	eq \"\$(deltas t22 tep dstm0 $FTX)\" 3"
bg nsx x ping -q -i 0.02 "$A4"
Y_PING=$BG_PID
check "x's pings through ty0 take the fast path" moving tep dstm0 $FTX 10
# The namespace goes when its last process does: x's ping right after.
netns_del_x() {
	local rc
	timeout 30 ip netns del x
	rc=$?
	kill "$Y_PING"
	return "$rc"
}
check "ip netns del x (ty0's peer's namespace, under traffic)" netns_del_x
check "x's namespace is torn down: ty0 left the set" wait_eq 90 "ta0 tb0" fp_list tep dstm0
check "ty0 is gone" not ip -n tep link show ty0

# ------------------- dstm0, the module, the namespace, under traffic
TRAFFIC=()
traffic_start() {
	bg nsx b ping -q -i 0.005 "$A4"
	TRAFFIC+=("$BG_PID")
	bg nsx a ping -q -i 0.005 "$B4"
	TRAFFIC+=("$BG_PID")
}
traffic_stop() {
	local p
	for p in "${TRAFFIC[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	TRAFFIC=()
}
# moving_both: B's pings to a are encapsulated fast, a's to B decapsulated.
moving_both() {
	moving tep dstm0 "$FTX" 20 && moving tep dstm0 "$FRX" 20
}
tep_again() {
	tep_setup tep "$TEP6" && map_add tep dstm0 ipv4 "$A4" ipv6 "$A6" &&
		ctl tep set dstm0 fastpath ta0,tb0 && eq "$(fp_list tep dstm0)" "ta0 tb0"
}

traffic_start
check "traffic both ways on the fast path (>= 20/s each)" moving_both
check "ip link del dstm0 (fast path set, under traffic)" timeout 30 ip -n tep link del dstm0
check "dstm0 gone, ta0 and tb0 still there" eval "! ip -n tep link show dstm0 &&
	ip -n tep link show ta0 >/dev/null && ip -n tep link show tb0 >/dev/null"
check "a new dstm0 on the TEP: a's mapping, fastpath ta0,tb0" tep_again
check "traffic on the new dstm0's fast path" moving_both

check "modprobe -r dstm (fast path set, under traffic)" timeout 60 modprobe -r dstm
check "module gone" not test -d /sys/module/dstm
check "the TEP's and a's dstm0 went with it" eval \
	"! ip -n tep link show dstm0 && ! ip -n a link show dstm0"
traffic_stop

check "modprobe dstm; client a, and the TEP with the fast path, again" eval \
	"modprobe dstm && client_setup a $A6 $TEP6 $A4 && tep_again"
traffic_start
check "traffic on the fast path again" moving_both
check "ip netns del tep (fast path set, under traffic)" timeout 30 ip netns del tep
check "tep's namespace is torn down (a's a0 is gone)" wait_eq 90 ok eval \
	'ip -n a link show a0 >/dev/null 2>&1 || echo ok'
traffic_stop

topo_done
