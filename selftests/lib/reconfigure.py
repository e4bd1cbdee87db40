#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send a DHCPv6 Reconfigure (RFC 8415 section 16.11) to a DSTM host agent,
as dstmd's DNS extension does, for the agent's tests (test_client_auth.sh).

  reconfigure.py DST CLIENT-DUID-HEX [--db LEASES.DB | --key HEX | --no-auth]
                 [--replay N] [--msg 11|5] [--as-duid HEX]
                 [--save FILE | --load FILE]

The message: ServerID, ClientID, OPTION_RECONF_MSG (19), and the
Authentication option (11) with protocol 3 (reconfigure key), algorithm 1
(HMAC-MD5), RDM 0, the replay counter, type 2 and the HMAC-MD5 of the
message (computed with the value field zeroed).  The key is the one dstmd
gave the client (read from dstmd's store with --db), or any other (--key:
a forgery).  --as-duid puts another DUID in the ClientID (the key is still
looked up for CLIENT-DUID-HEX).  --save writes the datagram to FILE, --load resends one (a
replay).
"""
import argparse
import hashlib
import hmac
import socket
import sqlite3
import struct
import sys
import time


def opt(code, data):
    return struct.pack("!HH", code, len(data)) + data


def build(a):
    duid = bytes.fromhex(a.duid)
    key = None
    if a.db:
        con = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
        row = con.execute("SELECT reconf_key FROM clients WHERE duid = ?",
                          (duid,)).fetchone()
        if not row or not row[0]:
            print("no Reconfigure Key for this DUID in", a.db)
            return None
        key = bytes(row[0])
    elif a.key:
        key = bytes.fromhex(a.key)
    replay = a.replay if a.replay is not None else (int(time.time()) + 1) << 20
    body = opt(2, bytes.fromhex("000400112233445566778899aabbccddeeff"))
    body += opt(1, bytes.fromhex(a.as_duid) if a.as_duid else duid)
    body += opt(19, bytes([a.msg]))
    msg = bytes([10, 0, 0, 0]) + body
    if key is None:
        return msg
    auth_hdr = struct.pack("!BBBQ", 3, 1, 0, replay) + bytes([2])
    msg += opt(11, auth_hdr + bytes(16))
    mac = hmac.new(key, msg, hashlib.md5).digest()
    return msg[:-16] + mac


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dst")
    p.add_argument("duid")
    p.add_argument("--db")
    p.add_argument("--key")
    p.add_argument("--no-auth", action="store_true")
    p.add_argument("--replay", type=int)
    p.add_argument("--msg", type=int, default=11)
    p.add_argument("--as-duid")
    p.add_argument("--save")
    p.add_argument("--load")
    a = p.parse_args()
    if a.load:
        with open(a.load, "rb") as f:
            msg = f.read()
    else:
        msg = build(a)
        if msg is None:
            return 1
    if a.save:
        with open(a.save, "wb") as f:
            f.write(msg)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.sendto(msg, (a.dst, 546))
    print("sent a Reconfigure of %d bytes to [%s]:546" % (len(msg), a.dst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
