#!/usr/bin/python3
"""Sends one crafted DHCPv4 message as a raw Ethernet frame and prints
the reply that matches its xid, one "key=value" line per field, for the
wire tests in t_dhcp4proto.  With no reply within the timeout it prints
"reply=none".  The options of the reply are decoded by this script, not
by scapy, so that overloaded file and sname fields (RFC 2131 4.1) and
split long options (RFC 3396) are seen as the client would see them.

Run it inside a client namespace; it touches only the interface named
with -i."""

import argparse
import random
import select
import socket
import struct
import sys
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

MAGIC = b"\x63\x82\x53\x63"
TYPES = {"discover": 1, "offer": 2, "request": 3, "decline": 4,
         "ack": 5, "nak": 6, "release": 7, "inform": 8}
NAMES = {v: k for k, v in TYPES.items()}
ADDR_OPTS = {1, 3, 6, 28, 42, 50, 54}
U32_OPTS = {51, 58, 59}
TEXT_OPTS = {15, 56}
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4


def fail(msg):
    print("dhcp4probe: " + msg, file=sys.stderr)
    sys.exit(2)


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def build_options(a):
    """Builds the options field of the request, in the order given."""
    opts = [(53, bytes([TYPES[a.type]]))]
    if a.cid is not None:
        opts.append((61, bytes.fromhex(a.cid.replace(":", ""))))
    if a.req is not None:
        opts.append((50, socket.inet_aton(a.req)))
    if a.sid is not None:
        opts.append((54, socket.inet_aton(a.sid)))
    if a.prl is not None:
        opts.append((55, bytes(int(c) for c in a.prl.split(","))))
    if a.mms is not None:
        opts.append((57, struct.pack("!H", a.mms)))
    if a.rapid:
        opts.append((80, b""))
    for o in a.opt:
        code, _, val = o.partition("=")
        opts.append((int(code), bytes.fromhex(val.replace(":", ""))))
    # RFC 3046 2.1: a relay agent appends option 82 last.
    if a.agent is not None:
        opts.append((82, bytes.fromhex(a.agent.replace(":", ""))))
    out = b""
    for code, val in opts:
        out += bytes([code, len(val)]) + val
    return out + b"\xff"


def build_bootp(a, xid):
    chaddr = mac_bytes(a.mac)
    flags = 0x8000 if a.bcast else 0
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, a.hops, xid,
                      0, flags, socket.inet_aton(a.ciaddr),
                      socket.inet_aton("0.0.0.0"),
                      socket.inet_aton("0.0.0.0"),
                      socket.inet_aton(a.giaddr), chaddr, b"", b"")
    msg = hdr + MAGIC + build_options(a)
    # RFC 1542 2.1: a BOOTP message is at least 300 octets.
    return msg + b"\0" * max(0, 300 - len(msg))


def walk(field, main, found):
    """Appends (code, data, main) for each option of one field.  Returns
    the option 52 value of the options field (else 0) and whether the
    field ends with END."""
    i, overload = 0, 0
    while i < len(field):
        code = field[i]
        i += 1
        if code == 0:
            continue
        if code == 255:
            return overload, True
        if i >= len(field):
            fail("option %d has no length" % code)
        n = field[i]
        i += 1
        if i + n > len(field):
            fail("option %d runs past its field" % code)
        data = field[i:i + n]
        i += n
        if code == 52 and main:
            overload = data[0]
        found.append((code, data, main))
    return overload, False


def fmt(code, data):
    if code in ADDR_OPTS and len(data) % 4 == 0:
        return ",".join(socket.inet_ntoa(data[i:i + 4])
                        for i in range(0, len(data), 4))
    if code in U32_OPTS and len(data) == 4:
        return str(struct.unpack("!I", data)[0])
    if code == 53 and len(data) == 1:
        return str(data[0])
    if code in TEXT_OPTS:
        return data.decode("ascii", "replace")
    return data.hex()


def decode(frame):
    """Decodes one reply frame into key=value lines."""
    eth = Ether(frame)
    ip, udp = eth[IP], eth[UDP]
    msg = bytes(udp.payload)
    if len(msg) < 240 or msg[236:240] != MAGIC:
        fail("reply without the magic cookie")
    (op, htype, hlen, hops, xid, secs, flags) = struct.unpack(
        "!BBBBIHH", msg[:12])
    out = ["op=%d" % op, "htype=%d" % htype, "hlen=%d" % hlen,
           "hops=%d" % hops, "xid=%08x" % xid, "secs=%d" % secs,
           "flags=%04x" % flags]
    for name, off in (("ciaddr", 12), ("yiaddr", 16), ("siaddr", 20),
                      ("giaddr", 24)):
        out.append("%s=%s" % (name, socket.inet_ntoa(msg[off:off + 4])))
    out.append("chaddr=%s" % mac_str(msg[28:28 + min(hlen, 16)]))
    out += ["eth_src=%s" % eth.src, "eth_dst=%s" % eth.dst,
            "ip_src=%s" % ip.src, "ip_dst=%s" % ip.dst,
            "ip_len=%d" % ip.len, "sport=%d" % udp.sport,
            "dport=%d" % udp.dport, "size=%d" % len(msg)]

    found = []
    overload, end = walk(msg[240:], True, found)
    out.append("end=%d" % end)
    # RFC 2131 4.1: file is read before sname.
    if overload & 1:
        if not walk(msg[108:236], False, found)[1]:
            fail("overloaded file field without END")
    if overload & 2:
        if not walk(msg[44:108], False, found)[1]:
            fail("overloaded sname field without END")
    order, data, count = [], {}, {}
    for code, val, main in found:
        if code not in data:
            order.append(code)
            data[code] = b""
            count[code] = 0
        # RFC 3396 7: instances of one code are concatenated.
        data[code] += val
        count[code] += 1
    main_codes = [c for c, _, m in found if m]
    out.append("order=%s" % ",".join(str(c) for c in order))
    out.append("main_order=%s" % ",".join(str(c) for c in main_codes))
    out.append("split=%s" % ",".join(str(c) for c in order
                                     if count[c] > 1))
    for code in order:
        out.append("opt%d=%s" % (code, fmt(code, data[code])))
    mt = data.get(53, b"\0")[0]
    return ["reply=%s" % NAMES.get(mt, str(mt))] + out


def matches(frame, xid, dport):
    if len(frame) < 14 + 20 + 8 + 240:
        return False
    eth = Ether(frame)
    if IP not in eth or UDP not in eth:
        return False
    udp = eth[UDP]
    if udp.sport != 67 or udp.dport != dport:
        return False
    msg = bytes(udp.payload)
    return len(msg) >= 240 and msg[0] == 2 and \
        struct.unpack("!I", msg[4:8])[0] == xid


def main():
    p = argparse.ArgumentParser()
    p.add_argument("type", choices=sorted(TYPES))
    p.add_argument("-i", dest="ifname", default="eth0")
    p.add_argument("--mac", required=True, help="chaddr")
    p.add_argument("--src-mac", help="Ethernet source, default chaddr")
    p.add_argument("--xid", type=lambda s: int(s, 16))
    p.add_argument("--bcast", action="store_true", help="flag B")
    p.add_argument("--hops", type=int, default=0)
    p.add_argument("--ciaddr", default="0.0.0.0")
    p.add_argument("--giaddr", default="0.0.0.0")
    p.add_argument("--cid", help="option 61, hex")
    p.add_argument("--req", help="option 50")
    p.add_argument("--sid", help="option 54")
    p.add_argument("--prl", help="option 55, codes a,b,c")
    p.add_argument("--mms", type=int, help="option 57")
    p.add_argument("--rapid", action="store_true", help="option 80")
    p.add_argument("--agent", help="option 82, hex, sent last")
    p.add_argument("--opt", action="append", default=[],
                   help="CODE=HEX, any other option")
    p.add_argument("--src", default="0.0.0.0")
    p.add_argument("--dst", default="255.255.255.255")
    p.add_argument("--dst-mac", default="ff:ff:ff:ff:ff:ff")
    p.add_argument("--sport", type=int, default=68)
    p.add_argument("--reply-port", type=int,
                   help="where the reply goes, default the source port")
    p.add_argument("--timeout", type=float, default=3.0)
    a = p.parse_args()

    xid = a.xid if a.xid is not None else random.getrandbits(32)
    dport = a.reply_port or a.sport
    frame = Ether(src=a.src_mac or a.mac, dst=a.dst_mac) / \
        IP(src=a.src, dst=a.dst, ttl=64) / \
        UDP(sport=a.sport, dport=67) / build_bootp(a, xid)

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_IP))
    s.bind((a.ifname, ETH_P_IP))
    s.send(bytes(frame))
    deadline = time.monotonic() + a.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            print("reply=none")
            print("xid=%08x" % xid)
            return 0
        pkt, addr = s.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING or not matches(pkt, xid, dport):
            continue
        print("\n".join(decode(pkt)))
        return 0


if __name__ == "__main__":
    sys.exit(main())
