#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dstmd over UDP on [::1] (loopback only): full exchanges with
# dstmd-load, same-address-back, renewal, release, a shared (PSID) pool,
# authentication, hostile datagrams, config errors, --leases.
# Then the kill -9 durability test: the server is killed repeatedly under
# load and restarted; every lease a client was ACKed must be in the store,
# and no (address, port set) may have been ACKed to two clients.
#
#   tools/tests/dstmd_server.sh [KILLS]      (default 8 kills)
# Ends with "N passed, N failed".
set -u
T=$(cd "$(dirname "$0")/.." && pwd)
D=$T/dstmd
KILLS=${1:-8}
W=$(mktemp -d /tmp/dstmd-server-test.XXXXXX)
PORT=$((20000 + RANDOM % 20000))
pass=0 fail=0
PID=

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok; else ko "$what"; fi; }
not() { ! "$@"; }
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

conf() { # extra-pool-lines
	cat > "$W/d.conf" <<CONF
[server]
listen = ::1
port = $PORT
lease-db = $W/leases.db
sync = ${SYNC:-full}
rate-limit = ${RATE:-0}
dhcp4o6-server = ::1
[pool main]
range = 10.9.0.1-10.9.0.254
lease-time = 3600
tep = 2002:100::1
$1
[auth]
key = ka 000102030405060708090a0b0c0d0e0f
CONF
}

start() {
	"$D/dstmd" -c "$W/d.conf" >>"$W/log" 2>&1 &
	PID=$!
	for _ in $(seq 50); do
		grep -q "serving" "$W/log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null; PID=; : >"$W/log"; }
load() { "$D/dstmd-load" -p "$PORT" "$@"; }

conf ""
check "server starts" start
check "100 full exchanges" load -n 100 --expect-br 2002:100::1 --renew -j >"$W/r1"
check "same clients, same addresses" load -n 100 -v >"$W/v1"
load -n 100 -v >"$W/v2"
check "addresses stable" cmp -s <(grep ^client "$W/v1") <(grep ^client "$W/v2")
n=$("$D/dstmd" --leases --db "$W/leases.db" | grep -c bound)
check "100 leases stored ($n)" [ "$n" = 100 ]
check "--leases -j is JSON" python3 -c "import json,sys; l=json.load(open(sys.argv[1])); assert len(l)==100 and l[0]['state']=='bound'" <("$D/dstmd" --leases --db "$W/leases.db" -j)
check "release frees" load -n 100 --seed 5 --release -j >/dev/null
sleep 0.3
n=$("$D/dstmd" --leases --db "$W/leases.db" | grep -c bound)
check "released leases gone ($n)" [ "$n" = 100 ]
# hostile datagrams: the server must survive and keep answering
python3 - "$PORT" <<'PY'
import socket, sys, os, random
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
random.seed(1)
pk = [b"", b"\x0b", b"\x14\x00\x00\x00\x00\x57\xff\xff", b"\x0b\x00\x00\x00\x00\x60\x00\x08\x00\x5a\x00\x10\x00\x00\x00\x00"]
pk += [bytes([random.choice([11, 20])]) + os.urandom(random.randrange(0, 600)) for _ in range(3000)]
for p in pk:
    s.sendto(p, ("::1", int(sys.argv[1])))
PY
sleep 0.5
check "alive after 3000 hostile datagrams" kill -0 "$PID"
check "still serving" load -n 10 --seed 77 -j >/dev/null
stop

# shared addresses: 4 port sets per address, 2 addresses
conf "psid-len = 2"
sed -i 's/^range = .*/range = 10.9.1.1-10.9.1.2/' "$W/d.conf"
rm -f "$W"/leases.db*
start
load -n 8 -v >"$W/psid"; rc=$?
check "8 port-set leases" [ $rc = 0 ]
check "8 distinct (address, psid)" [ "$(grep -o '10.9.1.[12] psid [0-9]*' "$W/psid" | sort -u | wc -l)" = 8 ]
check "9th client gets nothing" not load -n 1 --seed 9 -R 1 -t 300 -j >/dev/null
stop

# authentication required
conf "auth = yes"
rm -f "$W"/leases.db*
start
check "unauthenticated: no lease" not load -n 1 -R 1 -t 300 -j >/dev/null
check "authenticated: lease" load -n 5 --key ka:000102030405060708090a0b0c0d0e0f -j >/dev/null
check "wrong key: no lease" not load -n 1 --seed 3 -R 1 -t 300 --key ka:ff0102030405060708090a0b0c0d0e0f -j >/dev/null
stop

# config errors name file:line and stop the server
printf '[server]\nport = 0\n' > "$W/bad.conf"
out=$("$D/dstmd" -c "$W/bad.conf" 2>&1); rc=$?
check "bad config refused ($out)" [ $rc = 1 ]
check "error names file:line" grep -q "bad.conf:2: bad port '0'" <<<"$out"

# a flood from one client is rate-limited (rate-limit = 20/s, burst 20)
RATE=20 conf ""
sed -i 's/^rate-limit = 20/rate-limit = 20\nrate-burst = 20/' "$W/d.conf"
rm -f "$W"/leases.db*
start
got=$(python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(0.5)
req = bytes.fromhex("0b000001" "0001000a00020000ab1101020304" "000600040058" "0060")
for i in range(500):
    s.sendto(req, ("::1", int(sys.argv[1])))
n = 0
try:
    while True:
        s.recv(1500)
        n += 1
except socket.timeout:
    pass
print(n)
PY
)
inrange() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
check "flood of 500: about the burst answered ($got)" inrange "$got" 15 40
check "still alive after the flood" kill -0 "$PID"
stop

# Type=notify: READY=1 on $NOTIFY_SOCKET once serving, STOPPING=1 at the end
conf ""
rm -f "$W"/leases.db*
python3 - "$W/notify.sock" >"$W/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
for _ in range(2):
    try:
        print(s.recv(512).decode().replace("\n", " "), flush=True)
    except socket.timeout:
        break
PY
NP=$!
for _ in $(seq 100); do [ -S "$W/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$W/notify.sock start
stop
wait $NP
check "sd_notify READY=1 ($(head -1 "$W/notify.out"))" grep -q "^READY=1 STATUS=serving" "$W/notify.out"
check "sd_notify STOPPING=1" grep -q "^STOPPING=1" "$W/notify.out"

# kill -9 durability
conf ""
sed -i 's|^range = .*|prefix = 10.8.0.0/18|' "$W/d.conf"
rm -f "$W"/leases.db* "$W/acks"
start
for k in $(seq "$KILLS"); do
	load -n 300 --seed $((1000 + k)) -w 32 -t 300 -R 40 --ack-log "$W/acks" -j >"$W/load$k" 2>&1 &
	LP=$!
	sleep 0.$((2 + RANDOM % 6))
	kill -9 "$PID"; wait "$PID" 2>/dev/null
	sleep 0.2
	start || ko "restart $k"
	wait $LP || ko "load $k: $(tail -1 "$W/load$k")"
done
sleep 0.3
"$D/dstmd" --leases --db "$W/leases.db" -j >"$W/store.json"
python3 - "$W/acks" "$W/store.json" <<'PY'
import json, sys
acks = [l.split() for l in open(sys.argv[1])]
store = {(l["ipv4"], l["psid"]): l for l in json.load(open(sys.argv[2]))}
owner, bad = {}, 0
for ip, psid, duid, lease in acks:
    k = (ip, int(psid))
    if owner.setdefault(k, duid) != duid:
        print("FAIL: %s psid %s ACKed to two clients" % k); bad += 1
    s = store.get(k)
    if not s or duid not in s["client"] or s["state"] != "bound":
        print("FAIL: acked lease %s psid %s of %s lost" % (ip, psid, duid)); bad += 1
print("kill -9: %d ACKs, %d distinct leases, %d in store, %d problems" % (len(acks), len(owner), len(store), bad))
sys.exit(1 if bad else 0)
PY
check "kill -9: no acked lease lost, none doubled" [ $? = 0 ]
n=$(sort -u -k3,3 "$W/acks" | wc -l)
check "kill -9: all $((KILLS * 300)) clients acked ($n)" [ "$n" = $((KILLS * 300)) ]
stop
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
