#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers of selftests/bench_dns.sh (the DNS section of "make bench").

  dns_bench.py zone DB ORIGIN NS6 ZONEFILE QUERYFILE [--nx N] [--seed S]
      The names and addresses dstmd knows (its SQLite store DB: the clients
      table has name -> IPv6 from the Client FQDN option, the leases table
      the IPv4 leases; a lease's client key starts with the DUID's length
      and the DUID) as a static zone file for Knot and NSD (SOA, NS, and an
      A and an AAAA record per host with a lease), and a dnsperf query file:
      A and AAAA for every host and N names that do not exist, shuffled
      (the same order for the same seed).  Prints the host count.

  dns_bench.py query SERVER PORT NAME/TYPE... [--timeout S]
      Queries over UDP, one after the other (one process: no start-up time
      in between), each timed (monotonic clock, send to answer); prints
      "sent_unix_ms=... ms=... rcode=... answers=ADDR,... ttl=..." for each.

  dns_bench.py check SERVER PORT ZONEFILE N
      Asks SERVER for the A and AAAA records of N names of ZONEFILE (and
      one name that does not exist), compares with the zone file; prints
      the differences, exit 1 if any.
"""
import argparse
import ipaddress
import random
import socket
import sqlite3
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "SOA": 6, "AAAA": 28}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}


# ------------------------------------------------------------------- zone
def cmd_zone(a):
    con = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    clients = {}
    for duid, v6, fqdn in con.execute("SELECT duid, ipv6, fqdn FROM clients"):
        if fqdn and v6 and len(v6) == 16:
            clients[bytes(duid)] = (fqdn.lower().rstrip("."), str(ipaddress.IPv6Address(bytes(v6))))
    origin = a.origin.lower().rstrip(".")
    hosts = []
    for ipv4, key, state in con.execute("SELECT ipv4, client, state FROM leases"):
        if not key:
            continue
        key = bytes(key)
        c = clients.get(key[1:1 + key[0]])
        if not c or not c[0].endswith("." + origin):
            continue
        hosts.append((c[0], str(ipaddress.IPv4Address(ipv4)), c[1]))
    hosts.sort()
    with open(a.zonefile, "w") as f:
        f.write("$ORIGIN %s.\n$TTL 60\n" % origin)
        f.write("@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n" % (origin, origin))
        f.write("@ IN NS ns.%s.\n" % origin)
        f.write("ns IN AAAA %s\n" % a.ns6)
        for name, v4, v6 in hosts:
            rel = name[:-len(origin) - 1]
            f.write("%s IN A %s\n%s IN AAAA %s\n" % (rel, v4, rel, v6))
    qs = []
    for name, _, _ in hosts:
        qs.append("%s A" % name)
        qs.append("%s AAAA" % name)
    for i in range(a.nx):
        qs.append("nx%d.%s %s" % (i, origin, "A" if i % 2 else "AAAA"))
    random.Random(a.seed).shuffle(qs)
    with open(a.queryfile, "w") as f:
        f.write("\n".join(qs) + "\n")
    print(len(hosts))


# ------------------------------------------------------------------- wire
def build_query(name, qtype, qid):
    q = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode("ascii")
    return q + b"\0" + struct.pack("!HH", TYPES[qtype], 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xc0 == 0xc0:
            return off + 2
        off += 1 + n


def parse_answer(msg):
    qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    answers, ttls = [], []
    for _ in range(an):
        off = skip_name(msg, off)
        t, _, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rdlen]
        off += rdlen
        if t == 1 and rdlen == 4:
            answers.append(socket.inet_ntop(socket.AF_INET, rd))
        elif t == 28 and rdlen == 16:
            answers.append(socket.inet_ntop(socket.AF_INET6, rd))
        else:
            continue
        ttls.append(ttl)
    return qid, flags & 0xf, answers, ttls


def query(server, port, name, qtype, timeout):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    qid = random.randrange(65536)
    q = build_query(name, qtype, qid)
    sent_unix = time.time()
    t0 = time.monotonic_ns()
    s.sendto(q, (server, port))
    while True:
        try:
            msg, _ = s.recvfrom(4096)
        except socket.timeout:
            return sent_unix, None, "TIMEOUT", [], []
        t1 = time.monotonic_ns()
        if len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
            rid, rcode, ans, ttls = parse_answer(msg)
            return sent_unix, (t1 - t0) / 1e6, RCODES.get(rcode, str(rcode)), ans, ttls


def cmd_query(a):
    rc = 0
    for q in a.queries:
        name, qtype = q.rsplit("/", 1)
        sent, ms, rcode, ans, ttls = query(a.server, a.port, name, qtype, a.timeout)
        print("sent_unix_ms=%.3f ms=%s rcode=%s answers=%s ttl=%s" % (
            sent * 1000, "%.3f" % ms if ms is not None else "-", rcode,
            ",".join(ans) or "-", min(ttls) if ttls else "-"), flush=True)
        rc |= ms is None
    return rc


def cmd_check(a):
    origin, recs = None, {}
    with open(a.zonefile) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "$ORIGIN":
                origin = w[1]
            elif len(w) == 4 and w[1] == "IN" and w[2] in ("A", "AAAA") and w[0] != "ns":
                recs.setdefault(w[0] + "." + origin, {})[w[2]] = w[3]
    names = sorted(recs)
    rnd = random.Random(1)
    bad = 0
    for name in rnd.sample(names, min(a.n, len(names))):
        for t in ("A", "AAAA"):
            _, ms, rcode, ans, _ = query(a.server, a.port, name, t, 5)
            want = recs[name].get(t)
            if rcode != "NOERROR" or ans != [want]:
                print("%s %s: %s %s, zone file: %s" % (name, t, rcode, ans, want))
                bad += 1
    _, ms, rcode, ans, _ = query(a.server, a.port, "nosuch." + origin, "A", 5)
    if rcode != "NXDOMAIN":
        print("nosuch.%s A: %s, expected NXDOMAIN" % (origin, rcode))
        bad += 1
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    z = sub.add_parser("zone")
    for k in ("db", "origin", "ns6", "zonefile", "queryfile"):
        z.add_argument(k)
    z.add_argument("--nx", type=int, default=0)
    z.add_argument("--seed", type=int, default=1)
    q = sub.add_parser("query")
    q.add_argument("server")
    q.add_argument("port", type=int)
    q.add_argument("queries", nargs="+", metavar="NAME/TYPE")
    q.add_argument("--timeout", type=float, default=5)
    c = sub.add_parser("check")
    c.add_argument("server")
    c.add_argument("port", type=int)
    c.add_argument("zonefile")
    c.add_argument("n", type=int)
    a = p.parse_args()
    if a.cmd == "zone":
        cmd_zone(a)
        return 0
    return cmd_query(a) if a.cmd == "query" else cmd_check(a)


if __name__ == "__main__":
    sys.exit(main())
