#!/usr/bin/python3
"""Sends a corpus of malformed DHCPv4 packets out of one interface.

pkt-corpus.py IFACE COUNT [SEED]

Run it inside a test's client namespace only: every packet goes out of
IFACE as an Ethernet broadcast towards the gateway under test.  The
packets cycle through the classes below; SEED (default: random) makes a
run repeatable, and the seed is printed first.
"""

import random
import struct
import sys
import time

from scapy.all import Ether, IP, UDP, Raw, conf, fragment

MAGIC = b"\x63\x82\x53\x63"
GATEWAY = "10.20.0.1"
# Seconds after which sending stops, whatever COUNT is.
TIME_LIMIT = 60


def opt(code, value):
    return bytes([code, len(value)]) + value


def bootp(rnd, msgtype=1, options=b"", op=1, htype=1, hlen=6, hops=0,
          ciaddr=b"\0" * 4, giaddr=b"\0" * 4, sname=b"", file=b"",
          magic=MAGIC, end=True):
    """Builds a BOOTP/DHCP message with these fields and a random client."""
    chaddr = bytes([0x02]) + bytes(rnd.randrange(256) for _ in range(5))
    hdr = struct.pack("!BBBBIHH", op, htype, hlen, hops,
                      rnd.randrange(1 << 32), 0, 0x8000)
    hdr += ciaddr + b"\0" * 8 + giaddr + chaddr + b"\0" * 10
    hdr += sname[:64].ljust(64, b"\0") + file[:128].ljust(128, b"\0")
    body = b""
    if msgtype is not None:
        body += opt(53, bytes([msgtype]))
    body += options
    if end:
        body += b"\xff"
    return hdr + magic + body


def frame(payload, sport=68, dport=67, src="0.0.0.0",
          dst="255.255.255.255"):
    return (Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:01:01") /
            IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) /
            Raw(payload))


def rand_bytes(rnd, n):
    return bytes(rnd.randrange(256) for _ in range(n))


def truncated(rnd):
    raw = bootp(rnd, options=opt(55, b"\x01\x03\x06\x0f"))
    return [frame(raw[:rnd.randrange(len(raw))])]


def bad_options(rnd):
    kind = rnd.randrange(4)
    if kind == 0:
        # The last option claims more bytes than the packet holds.
        o = bytes([rnd.randrange(1, 255), rnd.randrange(2, 256)]) + \
            rand_bytes(rnd, 1)
        return [frame(bootp(rnd, options=o, end=False))]
    if kind == 1:
        # No end option, then nothing.
        return [frame(bootp(rnd, options=opt(55, b"\x01\x03"), end=False))]
    if kind == 2:
        # Wrong sizes for fixed-size options.
        code = rnd.choice([1, 3, 6, 50, 51, 54, 57, 58, 59])
        size = rnd.choice([1, 2, 3, 5, 7, 255])
        return [frame(bootp(rnd, msgtype=3,
                            options=opt(code, rand_bytes(rnd, size))))]
    # Random option bytes.
    return [frame(bootp(rnd, options=rand_bytes(rnd, rnd.randrange(300)),
                        end=False))]


def overload(rnd):
    # RFC 2132 9.3: option 52 value 1 (file), 2 (sname) or 3 (both)
    # moves more options into those fields.  Each field here contains
    # option 52 again, or options without an end.
    loop = opt(52, bytes([rnd.choice([1, 2, 3])]))
    variants = [
        (loop, loop, loop),
        (loop, loop + opt(52, b"\x03"), b""),
        (loop, b"\0" * 64, b"\0" * 128),
        (opt(52, b""), b"", b""),
        (opt(52, bytes([rnd.choice([0, 4, 255])])), b"", b""),
        (opt(52, b"\x03\x03"), b"", b""),
        (loop, opt(12, b"x" * 200), opt(12, b"y" * 200)),
        (loop, rand_bytes(rnd, 64), rand_bytes(rnd, 128)),
        (loop, b"\x0c\xff" + b"z" * 62, b"\x0c\xff" + b"z" * 126),
    ]
    o, sname, file = rnd.choice(variants)
    return [frame(bootp(rnd, options=o, sname=sname, file=file))]


def huge_lengths(rnd):
    kind = rnd.randrange(5)
    if kind == 0:
        # RFC 3396 concatenation: one option split over many instances.
        o = b"".join(opt(12, b"h" * 255) for _ in range(4))
        return [frame(bootp(rnd, options=o))]
    if kind == 1:
        # UDP length larger than the datagram.
        p = frame(bootp(rnd))
        p[UDP].len = rnd.choice([65535, 2000, 600])
        return [p]
    if kind == 2:
        # UDP length shorter than the header, or than a BOOTP message.
        p = frame(bootp(rnd))
        p[UDP].len = rnd.choice([0, 1, 7, 8, 100, 239])
        return [p]
    if kind == 3:
        # IP total length that lies.
        p = frame(bootp(rnd))
        p[IP].len = rnd.choice([20, 28, 100, 65535])
        return [p]
    # A hardware address length past chaddr's 16 bytes.
    return [frame(bootp(rnd, hlen=rnd.choice([0, 17, 64, 255]),
                        htype=rnd.choice([0, 1, 6, 255])))]


def bad_magic(rnd):
    magic = rand_bytes(rnd, 4)
    if magic == MAGIC:
        magic = b"\0\0\0\0"
    return [frame(bootp(rnd, magic=magic))]


def zero_length(rnd):
    codes = [53, 50, 54, 61, 12, 55, 57, 82, 81, 51, 52, 1, 3, 118]
    code = rnd.choice(codes)
    o = opt(code, b"")
    return [frame(bootp(rnd, msgtype=None if code == 53 else
                        rnd.choice([1, 3]), options=o))]


def fragments(rnd):
    p = frame(bootp(rnd, options=opt(12, b"f" * 250) +
                    opt(15, b"g" * 60)))
    frags = fragment(p, fragsize=rnd.choice([8, 64, 200]))
    kind = rnd.randrange(3)
    if kind == 0:
        return frags[:1]
    if kind == 1:
        return frags[1:]
    # Every fragment, the second one twice with other bytes.
    out = list(frags)
    if len(out) > 1:
        dup = out[1].copy()
        dup[Raw].load = rand_bytes(rnd, len(dup[Raw].load))
        out.insert(1, dup)
    return out


def bad_checksums(rnd):
    p = frame(bootp(rnd))
    if rnd.randrange(2):
        p[UDP].chksum = rnd.randrange(1, 65536)
    else:
        p[IP].chksum = rnd.randrange(1, 65536)
    return [p]


def wrong_ports(rnd):
    sport = rnd.choice([0, 67, 68, 546, 547, rnd.randrange(65536)])
    dport = rnd.choice([0, 68, 546, 547, 4011, rnd.randrange(65536)])
    return [frame(bootp(rnd), sport=sport, dport=dport)]


def relay_garbage(rnd):
    giaddr = rnd.choice([b"\x0a\x14\x00\x01", b"\x7f\0\0\x01",
                         b"\xff\xff\xff\xff", b"\xe0\0\0\x01",
                         b"\x0a\x14\x00\x32", rand_bytes(rnd, 4)])
    kind = rnd.randrange(4)
    if kind == 0:
        # Sub-option length past the end of option 82.
        o = opt(82, b"\x01\x20abc")
    elif kind == 1:
        o = opt(82, rand_bytes(rnd, rnd.randrange(256)))
    elif kind == 2:
        o = opt(82, b"\x01\x00\x02\x00" + b"\x00" * 10)
    else:
        o = opt(82, b"\x01\x04abcd") * 3
    return [frame(bootp(rnd, options=o, giaddr=giaddr,
                        hops=rnd.choice([0, 1, 16, 17, 255])), sport=67,
                  src="10.20.0.50")]


def bad_fields(rnd):
    kind = rnd.randrange(5)
    if kind == 0:
        return [frame(bootp(rnd, op=rnd.choice([0, 2, 3, 255])))]
    if kind == 1:
        return [frame(bootp(rnd, msgtype=rnd.choice([0, 2, 5, 6, 9, 18,
                                                     255])))]
    if kind == 2:
        # A REQUEST for an address that no client may get.
        want = rnd.choice([b"\0\0\0\0", b"\xff\xff\xff\xff",
                           b"\x0a\x14\x00\x01", b"\x7f\0\0\x01",
                           b"\x0a\x14\xff\xff"])
        return [frame(bootp(rnd, msgtype=3, options=opt(50, want)))]
    if kind == 3:
        # Server identifier of someone else, or garbage.
        return [frame(bootp(rnd, msgtype=3,
                            options=opt(54, rand_bytes(rnd, 4)) +
                            opt(50, b"\x0a\x14\x01\x05")))]
    # A RELEASE and a DECLINE for an address of another client.
    return [frame(bootp(rnd, msgtype=rnd.choice([4, 7]),
                        ciaddr=b"\x0a\x14\x01" + bytes([rnd.randrange(256)]),
                        options=opt(50, b"\x0a\x14\x01\x05") +
                        opt(54, b"\x0a\x14\x00\x01")))]


def bit_flips(rnd):
    raw = bytearray(bootp(rnd, msgtype=rnd.choice([1, 3]),
                          options=opt(61, b"\x01" + rand_bytes(rnd, 6)) +
                          opt(12, b"host") + opt(55, b"\x01\x03\x06")))
    for _ in range(rnd.randrange(1, 8)):
        raw[rnd.randrange(len(raw))] ^= 1 << rnd.randrange(8)
    return [frame(bytes(raw))]


CLASSES = [truncated, bad_options, overload, huge_lengths, bad_magic,
           zero_length, fragments, bad_checksums, wrong_ports,
           relay_garbage, bad_fields, bit_flips]


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    iface, count = argv[1], int(argv[2])
    seed = int(argv[3]) if len(argv) == 4 else random.randrange(1 << 31)
    print("seed %d" % seed)
    rnd = random.Random(seed)
    sent = {c.__name__: 0 for c in CLASSES}
    sock = conf.L2socket(iface=iface)
    deadline = time.monotonic() + TIME_LIMIT
    try:
        for i in range(count):
            if time.monotonic() > deadline:
                print("time limit reached after %d packets" % i)
                break
            cls = CLASSES[i % len(CLASSES)]
            for p in cls(rnd):
                sock.send(p)
                sent[cls.__name__] += 1
            # A pause lets a slow receiver keep up, so that packets are
            # not lost in its socket buffer.
            if i % 100 == 99:
                time.sleep(0.02)
    finally:
        sock.close()
    for name, n in sent.items():
        print("%-14s %d" % (name, n))
    print("total          %d" % sum(sent.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
