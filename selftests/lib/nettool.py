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
  tcp-server IP PORT LOG          accept one connection, read to EOF, send
                                  the data back, close; LOG gets
                                  "ip:port len sha256"; LOG.ready once listening
  tcp-client DST PORT SIZE [--sport P] [--src IP] [--timeout S]
                                  send SIZE random bytes, half-close, expect
                                  them back unchanged (sha256 compared)
"""
import argparse
import hashlib
import os
import socket
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


def recv_all(c):
    chunks = []
    while True:
        d = c.recv(65536)
        if not d:
            return b"".join(chunks)
        chunks.append(d)


def tcp_server(a):
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


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)

    q = sub.add_parser("udp-server")
    q.add_argument("ip")
    q.add_argument("port", type=int)
    q.add_argument("count", type=int)
    q.add_argument("log")
    q.add_argument("--timeout", type=float, default=30)
    q.set_defaults(fn=udp_server)

    for name, fn in (("udp-client", udp_client), ("udp-send", udp_send)):
        q = sub.add_parser(name)
        q.add_argument("dst")
        q.add_argument("port", type=int)
        q.add_argument("--sport", type=int, default=0)
        q.add_argument("--src", default="")
        q.add_argument("--size", type=int, default=64)
        q.add_argument("--count", type=int, default=1)
        q.add_argument("--timeout", type=float, default=5)
        q.set_defaults(fn=fn)

    q = sub.add_parser("tcp-server")
    q.add_argument("ip")
    q.add_argument("port", type=int)
    q.add_argument("log")
    q.add_argument("--timeout", type=float, default=30)
    q.set_defaults(fn=tcp_server)

    q = sub.add_parser("tcp-client")
    q.add_argument("dst")
    q.add_argument("port", type=int)
    q.add_argument("size", type=int)
    q.add_argument("--sport", type=int, default=0)
    q.add_argument("--src", default="")
    q.add_argument("--timeout", type=float, default=15)
    q.set_defaults(fn=tcp_client)

    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
