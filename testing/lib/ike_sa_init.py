#!/usr/bin/env python3
"""ike_sa_init.py SRC DST: sends one IKE_SA_INIT request (AES-GCM-256,
curve25519) from SRC to pluto on DST port 500 and waits up to 10 s for the
reply, leaving a half-open IKE SA on pluto (state R1) for the process tests
to look at. Exits non-zero when no reply comes."""
import os
import socket
import struct
import sys


def payload(np, body):
    return struct.pack(">BBH", np, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attr=b""):
    return struct.pack(">BBHBBH", last, 0, 8 + len(attr), ttype, 0, tid) + attr


def request():
    trans = transform(3, 1, 20, struct.pack(">HH", 0x800E, 256)) + transform(3, 2, 7) + transform(0, 4, 31)
    prop = struct.pack(">BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 3) + trans
    body = payload(34, prop) + payload(40, struct.pack(">HH", 31, 0) + os.urandom(32)) + payload(0, os.urandom(32))
    return os.urandom(8) + bytes(8) + struct.pack(">BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(body)) + body


def main():
    src, dst = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(10)
    s.sendto(request(), (dst, 500))
    s.recv(4096)


if __name__ == "__main__":
    main()
