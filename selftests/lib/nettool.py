#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Small traffic tools for the netns scenario tests (selftests/test_*.sh).

Each subcommand does one exchange and exits 0 only if it fully worked, so a
test can assert on it; what happened goes to stdout for the test's log.

  udp-server IP PORT COUNT LOG    echo COUNT datagrams back, log each peer
                                  ("ip:port len") to LOG; LOG.ready once bound
  udp-client DST PORT [--sport P] [--src IP] [--size N] [--timeout S]
                                  send one datagram, expect the same echo
  udp-send DST PORT [--sport P] [--src IP] [--count N]
                                  fire datagrams, expect nothing back
  ping-id DST ID [--src IP] [--timeout S]
                                  one ICMP echo with identifier ID (a ping
                                  socket bound to ID: needs ping_group_range),
                                  expect the reply
  raw6 DST PROTO HEX [--count N]  send HEX as the payload of an IPv6 packet
                                  with next header PROTO (a raw socket)
  tcp-server IP PORT LOG          accept one connection, read to EOF, send
                                  the data back, close; LOG gets
                                  "ip:port len sha256"; LOG.ready once listening
  tcp-client DST PORT SIZE [--sport P] [--src IP] [--timeout S]
                                  send SIZE random bytes, half-close, expect
                                  them back unchanged (sha256 compared)
"""
import os
import socket
import struct
import sys


def ready(log):
    with open(log + ".ready", "w"):
        pass


def bound_socket(kind, src, sport):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if src or sport:
        s.bind((src or "0.0.0.0", sport or 0))
    return s


def udp_server(a):
    s = bound_socket(socket.SOCK_DGRAM, a.ip, a.port)
    s.settimeout(a.timeout)
    ready(a.log)
    with open(a.log, "a") as f:
        for _ in range(a.count):
            try:
                data, peer = s.recvfrom(65535)
            except socket.timeout:
                print("udp-server: timeout")
                return 1
            f.write("%s:%d %d\n" % (peer[0], peer[1], len(data)))
            f.flush()
            s.sendto(data, peer)
    return 0


def udp_client(a):
    s = bound_socket(socket.SOCK_DGRAM, a.src, a.sport)
    s.settimeout(a.timeout)
    payload = os.urandom(a.size)
    s.sendto(payload, (a.dst, a.port))
    local = s.getsockname()
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        print("udp-client: no echo from %s:%d to %s:%d" %
              (a.dst, a.port, local[0], local[1]))
        return 1
    ok = data == payload and peer == (a.dst, a.port)
    print("udp-client: %s:%d -> %s:%d echo %s" %
          (local[0], local[1], a.dst, a.port, "ok" if ok else "MISMATCH"))
    return 0 if ok else 1


def udp_send(a):
    s = bound_socket(socket.SOCK_DGRAM, a.src, a.sport)
    for _ in range(a.count):
        s.sendto(b"x" * a.size, (a.dst, a.port))
    print("udp-send: %d datagrams %s:%d -> %s:%d" %
          ((a.count,) + s.getsockname() + (a.dst, a.port)))
    return 0


def ping_id(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    s.bind((a.src or "0.0.0.0", a.id))
    s.settimeout(a.timeout)
    payload = os.urandom(32)
    # The kernel fills in the identifier (the bound "port") and checksum.
    s.sendto(struct.pack("!BBHHH", 8, 0, 0, 0, 1) + payload, (a.dst, 0))
    try:
        data, peer = s.recvfrom(2048)
    except socket.timeout:
        print("ping-id: no reply from %s to id %d" % (a.dst, a.id))
        return 1
    typ, _, _, ident, seq = struct.unpack("!BBHHH", data[:8])
    ok = typ == 0 and ident == a.id and data[8:] == payload
    print("ping-id: %s id %d: reply type %d id %d seq %d %s" %
          (peer[0], a.id, typ, ident, seq, "ok" if ok else "MISMATCH"))
    return 0 if ok else 1


def raw6(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, a.proto)
    payload = bytes.fromhex(a.hex)
    for _ in range(a.count):
        s.sendto(payload, (a.dst, 0))
    print("raw6: %d x %d bytes, next header %d -> %s" %
          (a.count, len(payload), a.proto, a.dst))
    return 0


def recv_all(c):
    chunks = []
    while True:
        d = c.recv(65536)
        if not d:
            return b"".join(chunks)
        chunks.append(d)


def tcp_server(a):
    import hashlib

    s = bound_socket(socket.SOCK_STREAM, a.ip, a.port)
    s.listen(1)
    s.settimeout(a.timeout)
    ready(a.log)
    try:
        c, peer = s.accept()
    except socket.timeout:
        print("tcp-server: no connection")
        return 1
    c.settimeout(a.timeout)
    data = recv_all(c)
    c.sendall(data)
    c.close()
    with open(a.log, "a") as f:
        f.write("%s:%d %d %s\n" % (peer[0], peer[1], len(data),
                                   hashlib.sha256(data).hexdigest()))
    return 0


def tcp_client(a):
    import hashlib

    s = bound_socket(socket.SOCK_STREAM, a.src, a.sport)
    s.settimeout(a.timeout)
    payload = os.urandom(a.size)
    try:
        s.connect((a.dst, a.port))
        local = s.getsockname()
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        data = recv_all(s)
    except OSError as e:
        print("tcp-client: %s:%d: %s" % (a.dst, a.port, e))
        return 1
    want = hashlib.sha256(payload).hexdigest()
    got = hashlib.sha256(data).hexdigest()
    print("tcp-client: %s:%d -> %s:%d sent %d sha256 %s, got back %d sha256 %s"
          % (local[0], local[1], a.dst, a.port, len(payload), want,
             len(data), got))
    return 0 if want == got else 1


# Subcommand: (function, positional (name, type) list, option defaults).
# No argparse: it costs more to import than everything else here, and the
# tests start this tool many times under slow emulation.
CMDS = {
    "udp-server": (udp_server, (("ip", str), ("port", int), ("count", int),
                                ("log", str)), {"timeout": 30.0}),
    "udp-client": (udp_client, (("dst", str), ("port", int)),
                   {"sport": 0, "src": "", "size": 64, "timeout": 5.0}),
    "udp-send": (udp_send, (("dst", str), ("port", int)),
                 {"sport": 0, "src": "", "size": 64, "count": 1}),
    "ping-id": (ping_id, (("dst", str), ("id", int)),
                {"src": "", "timeout": 5.0}),
    "raw6": (raw6, (("dst", str), ("proto", int), ("hex", str)),
             {"count": 1}),
    "tcp-server": (tcp_server, (("ip", str), ("port", int), ("log", str)),
                   {"timeout": 30.0}),
    "tcp-client": (tcp_client, (("dst", str), ("port", int), ("size", int)),
                   {"sport": 0, "src": "", "timeout": 15.0}),
}


class Args:
    pass


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.stderr.write(__doc__)
        return 2
    fn, pos, opts = CMDS[sys.argv[1]]
    a = Args()
    rest = sys.argv[2:]
    for k, v in opts.items():
        setattr(a, k, v)
    args = []
    while rest:
        w = rest.pop(0)
        if w.startswith("--"):
            k = w[2:]
            if k not in opts or not rest:
                sys.stderr.write("nettool: bad option %s\n" % w)
                return 2
            setattr(a, k, type(opts[k])(rest.pop(0)))
        else:
            args.append(w)
    if len(args) != len(pos):
        sys.stderr.write("nettool %s: expected %s\n" %
                         (sys.argv[1], " ".join(n.upper() for n, _ in pos)))
        return 2
    for (name, typ), v in zip(pos, args):
        setattr(a, name, typ(v))
    return fn(a)


if __name__ == "__main__":
    sys.exit(main())
