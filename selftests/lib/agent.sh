# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the host agent's scenario tests (test_client_*.sh), on top
# of lib/topo.sh (source that first): dstmd in the TEP's namespace, and
# "dstmctl -j client" agents whose JSON events and log lines go to
# $TMPD/agent.NAME.log.

DSTMD_BIN=$TOPO_TOP/tools/dstmd/dstmd

# dstmd_conf [POOL-LINES...]: $TMPD/dstmd.conf, dstmd on the TEP address
# programming the TEP device; extra lines go into [pool main] (after the
# defaults, so "lease-time = 10" wins).
dstmd_conf() {
	local l
	{
		echo "[server]"
		echo "listen = $TEP6"
		echo "lease-db = $TMPD/leases.db"
		echo "sync = normal"
		echo "dhcp4o6-server = $TEP6"
		echo "reconcile-interval = 0"
		echo "rate-limit = 0"
		echo "[pool main]"
		echo "tep = $TEP6"
		echo "tep-device = dstm0"
		for l in "$@"; do
			echo "$l"
		done
	} >"$TMPD/dstmd.conf"
}

# dstmd_start [EXTRA-CONF-FILE]: in namespace tep, waits until it serves;
# sets DSTMD_PID (dstmd's own pid).
dstmd_start() {
	[ -x "$TMPD/dstmd" ] || cp "$DSTMD_BIN" "$TMPD/dstmd" || return 1
	rm -f "$TMPD/dstmd.pid"
	: >"$TMPD/dstmd.log"
	bglog "$TMPD/dstmd.log" ip netns exec tep sh -c \
		'echo $$ >"$1"; exec "$2" -c "$3" -d' sh "$TMPD/dstmd.pid" \
		"$TMPD/dstmd" "$TMPD/dstmd.conf"
	wait_for 20 grep -q serving "$TMPD/dstmd.log" || { cat "$TMPD/dstmd.log"; return 1; }
	DSTMD_PID=$(cat "$TMPD/dstmd.pid")
}

dstmd_stop() {
	[ -n "${DSTMD_PID:-}" ] || return 0
	kill "$DSTMD_PID" 2>/dev/null
	wait_for 10 eval "! kill -0 $DSTMD_PID 2>/dev/null"
	DSTMD_PID=
}

# dstmd_leases: the store's leases as JSON.
dstmd_leases() {
	"$TMPD/dstmd" --leases --db "$TMPD/leases.db" -j
}

# client_dev NS: an empty client-mode device, the agent does the rest.
client_dev() {
	ip -n "$1" link add dstm0 type dstm && ctl "$1" set dstm0 mode client
}

# agent_start NAME NS [client args...]: "dstmctl -j client dstm0 ARGS" in
# NS with a state file of its own; waits for its "ready" event. Its pid is
# AGENT_PID[NAME], its log $TMPD/agent.NAME.log.
declare -A AGENT_PID
agent_start() {
	local name=$1 ns=$2
	shift 2
	: >"$TMPD/agent.$name.log"
	bglog "$TMPD/agent.$name.log" ip netns exec "$ns" "$DSTMCTL" -j client dstm0 \
		state-file "$TMPD/agent.$name.state" "$@"
	AGENT_PID[$name]=$BG_PID
	wait_for 20 grep -q '"event":"ready"' "$TMPD/agent.$name.log" ||
		{ cat "$TMPD/agent.$name.log"; return 1; }
}

# agent_events NAME EVENT: how many EVENT events NAME has printed.
agent_events() {
	grep -c "\"event\":\"$2\"" "$TMPD/agent.$1.log"
}

# agent_wait NAME EVENT N SECONDS: until NAME printed EVENT N times.
agent_wait() {
	local end=$((SECONDS + $4))
	while [ "$(agent_events "$1" "$2")" -lt "$3" ]; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "no $3 '$2' events from agent $1 in $4 s; its log:"
			tail -n 25 "$TMPD/agent.$1.log"
			return 1
		fi
		sleep 0.2
	done
}

# agent_field NAME EVENT KEY: KEY of NAME's last EVENT event.
agent_field() {
	grep "\"event\":\"$2\"" "$TMPD/agent.$1.log" | tail -n 1 | jkey "$3"
}

# agent_stop NAME RC [SIGNAL]: signal it (TERM), wait for it to exit with
# status RC. Not in a $(...): only this shell can wait for its children.
agent_stop() {
	local pid=${AGENT_PID[$1]} rc
	kill "-${3:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	[ "$rc" = "$2" ] || { echo "exit status $rc, expected $2"; return 1; }
}

# agent_log NAME REGEX: a log line of NAME matches.
agent_log() {
	contains "$TMPD/agent.$1.log" "$2"
}

# has_addr4 NS ADDR: ADDR/32 is on dstm0.
addr4_on() {
	ip -n "$1" -4 -o addr show dev dstm0 | grep -c " $2/32 "
}

# routes4 NS: the IPv4 routes via dstm0, one line.
routes4() {
	ip -n "$1" -4 route show dev dstm0 | tr '\n' ';'
}
