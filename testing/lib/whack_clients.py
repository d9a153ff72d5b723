#!/usr/bin/env python3
"""whack_clients.py: whack clients that misbehave, for the process tests.

  capture SOCK            listen on SOCK, print (hex) the first request
                          frame a client sends, close without answering
  burst SOCK HEX N        N clients in turn: connect, send HEX, close at once
  slow SOCK HEX S T       S clients that send nothing and T that send HEX one
                          byte every 2 s; prints, for each, how long pluto
                          kept it and what it sent and got
  crowd SOCK N RELEASE    N clients that connect and send nothing; prints
                          "ready" once all are connected or pluto takes no
                          more, then, when pluto has closed them all or the
                          file RELEASE exists, how many pluto closed early
                          (within 5 s of their connecting), later, or not
Every loop is bounded, and an alarm ends whatever still runs after
LIMIT_S + 30 seconds.
"""
import os
import select
import signal
import socket
import struct
import sys
import time

LIMIT_S = 90
EARLY_S = 5  # closed this soon after connecting: refused, not timed out


def connect(path, wait=True):
    """A connected client; with wait=False, a full backlog is an error
    (BlockingIOError) instead of a wait."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(wait)
    s.connect(path)
    s.setblocking(False)
    return s


def capture(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(LIMIT_S)
    print("listening", flush=True)
    c, _ = srv.accept()
    c.settimeout(10)
    data = b""
    while len(data) < 12 or len(data) < struct.unpack(">I", data[8:12])[0]:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    print(data.hex(), flush=True)
    c.close()
    srv.close()


def burst(path, frame, n):
    # Past its cap of sessions pluto may close a connection before the
    # request is written (EPIPE, seen under ASan): that client is done too.
    cut = 0
    for _ in range(n):
        s = connect(path)
        s.setblocking(True)
        try:
            s.sendall(frame)
        except (BrokenPipeError, ConnectionResetError):
            cut += 1
        s.close()
    print("sent %d" % n)
    if cut:
        print("%d of them closed by pluto before their request went" % cut)


def closed_by_peer(s):
    """True when the peer has closed (EOF or an error); data is discarded."""
    try:
        return s.recv(4096) == b""
    except (ConnectionError, OSError):
        return True


def slow(path, frame, nsilent, ntrickle):
    start = time.monotonic()
    clients = []  # [socket, kind, bytes sent, bytes received, closed at]
    for i in range(nsilent + ntrickle):
        s = connect(path)
        clients.append([s, "silent" if i < nsilent else "trickle", 0, 0, None])
    print("ready", flush=True)
    next_byte = start
    while time.monotonic() - start < LIMIT_S:
        live = [c for c in clients if c[4] is None]
        if not live:
            break
        now = time.monotonic()
        if now >= next_byte:
            for c in live:
                if c[1] == "trickle" and c[2] < len(frame):
                    try:
                        c[2] += c[0].send(frame[c[2]:c[2] + 1])
                    except OSError:
                        pass
            next_byte += 2
        ready, _, _ = select.select([c[0] for c in live], [], [], max(0.05, next_byte - now))
        for c in live:
            if c[0] in ready:
                try:
                    data = c[0].recv(4096)
                except OSError:
                    data = b""
                c[3] += len(data)
                if not data:
                    c[4] = time.monotonic() - start
    for s, kind, sent, got, at in clients:
        s.close()
        print("%s %s sent=%d/%d got=%d" % (kind, "%.1f" % at if at is not None else "open",
                                          sent, len(frame), got))


def crowd(path, n, release):
    start = time.monotonic()
    socks = []
    connected_at = {}
    # A full backlog is retried until pluto has taken no one for 3 s (it
    # may be out of descriptors: then the rest stay unconnected).
    progress = time.monotonic()
    while len(socks) < n and time.monotonic() - progress < 3:
        try:
            socks.append(connect(path, wait=False))
            progress = connected_at[socks[-1]] = time.monotonic()
        except BlockingIOError:
            time.sleep(0.05)
    unconnected = n - len(socks)
    print("ready", flush=True)
    closed = {}
    while time.monotonic() - start < LIMIT_S and len(closed) < len(socks):
        if os.path.exists(release):
            break
        live = [s for s in socks if s not in closed]
        ready, _, _ = select.select(live, [], [], 0.2)
        for s in ready:
            if closed_by_peer(s):
                closed[s] = time.monotonic() - connected_at[s]
    early = sum(1 for t in closed.values() if t < EARLY_S)
    print("connected=%d unconnected=%d early=%d later=%d open=%d" %
          (len(socks), unconnected, early, len(closed) - early, len(socks) - len(closed)))
    for s in socks:
        s.close()


def main(argv):
    signal.alarm(LIMIT_S + 30)  # whatever pluto does, this ends
    mode = argv[1]
    if mode == "capture":
        capture(argv[2])
    elif mode == "burst":
        burst(argv[2], bytes.fromhex(argv[3]), int(argv[4]))
    elif mode == "slow":
        slow(argv[2], bytes.fromhex(argv[3]), int(argv[4]), int(argv[5]))
    elif mode == "crowd":
        crowd(argv[2], int(argv[3]), argv[4])
    else:
        sys.exit("whack_clients.py: unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)
