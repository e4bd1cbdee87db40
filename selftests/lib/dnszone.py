#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A tiny authoritative DNS server over UDP for the agent's DNS trigger test
(test_client_dns.sh): the upstream resolver the agent's stub forwards to.

  dnszone.py ADDR PORT LOG NAME=TYPE:VALUE[,TYPE:VALUE...] ...

answers A/AAAA for the NAMEs given (NOERROR with no answer for a type the
name lacks), NXDOMAIN for other names; logs "qname qtype" per query to LOG;
LOG.ready once bound.  Runs until killed.
"""
import socket
import struct
import sys

TYPES = {"A": (1, socket.AF_INET), "AAAA": (28, socket.AF_INET6)}


def main():
    addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    zone = {}
    for spec in sys.argv[4:]:
        name, rrs = spec.split("=", 1)
        z = zone.setdefault(name.lower().rstrip("."), {})
        for rr in rrs.split(","):
            t, v = rr.split(":", 1)
            code, fam = TYPES[t]
            z.setdefault(code, []).append(socket.inet_pton(fam, v))
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    open(log + ".ready", "w").close()
    with open(log, "a") as f:
        while True:
            q, peer = s.recvfrom(512)
            if len(q) < 17:
                continue
            qid, flags = struct.unpack("!HH", q[:4])
            off, labels = 12, []
            while off < len(q) and q[off]:
                n = q[off]
                labels.append(q[off + 1:off + 1 + n].decode("ascii", "replace"))
                off += 1 + n
            off += 1
            qtype, _ = struct.unpack("!HH", q[off:off + 4])
            name = ".".join(labels).lower()
            f.write("%s %d\n" % (name, qtype))
            f.flush()
            rrs = zone.get(name)
            ans = rrs.get(qtype, []) if rrs is not None else []
            rcode = 0 if rrs is not None else 3
            hdr = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode,
                              1, len(ans), 0, 0)
            body = q[12:off + 4]
            for rd in ans:
                body += struct.pack("!HHHIH", 0xc00c, qtype, 1, 60, len(rd)) + rd
            s.sendto(hdr + body, peer)


if __name__ == "__main__":
    sys.exit(main())
