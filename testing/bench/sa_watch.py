#!/usr/bin/python3
"""sa_watch.py: when a namespace's IKE starts and its ESP SAs arrive.

Run inside one network namespace (ip netns exec NS sa_watch.py ...) by
peers.sh. It listens, without polling, to
  - every IPv4 UDP datagram to or from port 500 (an AF_PACKET socket), and
    prints the first IKE_SA_INIT request it sees: "T ike_sa_init SRC DST";
  - the kernel's XFRM SA events (NETLINK_XFRM, group XFRMGRP_SA), keeping
    the set of ESP SPIs installed (a new or updated SA adds its SPI, a
    deleted one removes it; an SPI only allocated, larval, raises no event):
    "T sa COUNT" at each change.
T is the wall clock (time.time(), seconds), the same clock as bash's
EPOCHREALTIME. It prints "ready" once both sockets listen, and exits 0
with "done T COUNT" when COUNT reaches --target; it has no deadline of its
own (peers.sh runs it under timeout). Should the kernel drop events
(ENOBUFS, a full socket buffer) it says "overrun" and exits 3: its count
could no longer be trusted.
A benchmark tool of testing/bench/, no part of the daemon.
"""
import argparse
import errno
import select
import socket
import struct
import sys
import time

NETLINK_XFRM = 6
XFRMGRP_SA = 4
XFRM_MSG_NEWSA, XFRM_MSG_DELSA, XFRM_MSG_UPDSA = 0x10, 0x11, 0x1A
ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800
IKE_SA_INIT = 34
IKE_FLAG_RESPONSE = 0x20
IPPROTO_ESP = 50
# struct xfrm_usersa_info: a 56-byte xfrm_selector, then xfrm_id
# (daddr[16], spi, proto). struct xfrm_usersa_id: daddr[16], spi, family, proto.
USERSA_INFO_SPI, USERSA_INFO_PROTO = 56 + 16, 56 + 20
USERSA_ID_SPI, USERSA_ID_PROTO = 16, 22


def say(*words):
    print(" ".join(str(w) for w in words), flush=True)


def xfrm_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)
    # SO_RCVBUFFORCE (root): 2000 SAs arrive within seconds.
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
    s.bind((0, XFRMGRP_SA))
    return s


def packet_socket():
    # ETH_P_ALL: a tap for one protocol would not see what this host sends.
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)
    return s


def ike_sa_init_request(ip):
    """(src, dst) when the IPv4 packet ip is an IKE_SA_INIT request on port 500."""
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_UDP:
        return None
    ihl = (ip[0] & 15) * 4
    udp = ip[ihl:ihl + 8]
    ike = ip[ihl + 8:]
    if len(udp) < 8 or len(ike) < 28 or struct.unpack("!H", udp[2:4])[0] != 500:
        return None
    if ike[18] != IKE_SA_INIT or ike[19] & IKE_FLAG_RESPONSE:
        return None
    return socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])


def sa_events(buf, spis):
    """Applies the netlink messages in buf to spis; True when it changed."""
    changed = False
    off = 0
    while off + 16 <= len(buf):
        length, kind = struct.unpack_from("=IH", buf, off)
        if length < 16:
            break
        body = buf[off + 16:off + length]
        if kind in (XFRM_MSG_NEWSA, XFRM_MSG_UPDSA) and len(body) > USERSA_INFO_PROTO:
            if body[USERSA_INFO_PROTO] == IPPROTO_ESP:
                spi = body[USERSA_INFO_SPI:USERSA_INFO_SPI + 4]
                changed |= spi not in spis
                spis.add(spi)
        elif kind == XFRM_MSG_DELSA and len(body) > USERSA_ID_PROTO:
            if body[USERSA_ID_PROTO] == IPPROTO_ESP:
                spi = body[USERSA_ID_SPI:USERSA_ID_SPI + 4]
                changed |= spi in spis
                spis.discard(spi)
        off += (length + 3) & ~3
    return changed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=int, required=True, help="ESP SAs to wait for")
    args = ap.parse_args()
    xs, ps = xfrm_socket(), packet_socket()
    spis = set()
    seen_init = False
    say("ready")
    while True:
        readable, _, _ = select.select([xs, ps], [], [])
        now = time.time()
        if ps in readable:
            pkt, addr = ps.recvfrom(65535)
            who = None
            if not seen_init and addr[1] == ETH_P_IP:
                who = ike_sa_init_request(pkt)
            if who:
                seen_init = True
                say("%.6f" % now, "ike_sa_init", *who)
        if xs in readable:
            try:
                buf = xs.recv(1 << 20)
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    say("overrun")
                    sys.exit(3)
                raise
            if sa_events(buf, spis):
                say("%.6f" % now, "sa", len(spis))
                if len(spis) >= args.target:
                    say("done", "%.6f" % now, len(spis))
                    return


if __name__ == "__main__":
    main()
