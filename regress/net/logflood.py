#!/usr/bin/python3
"""Floods mcgwd's authorisation port and control socket with bad input,
for the log-growth test t_logflood.

logflood.py auth IFACE GWMAC GWADDR COUNT
    Sends COUNT malformed authorisation datagrams to GWADDR:4767 out of
    IFACE: half from random addresses of 10.20.0.0/16 that hold no
    lease (spoofed, as raw frames to GWMAC), half from IFACE's own
    address through a UDP socket.  Run it inside a client namespace.

logflood.py control SOCKET COUNT
    Opens COUNT sessions on the control socket SOCKET, one after the
    other, and sends each a malformed message.  The message is a header
    whose length is under the header size or over the maximum, or one
    with a request type that does not exist.

Prints one line per kind with the number sent.
"""

import os
import random
import socket
import struct
import sys
import time

AUTH_PORT = 4767
AUTH_MAGIC = b"MCGA"
AUTH_VERSION = 1
# Seconds after which sending stops, whatever COUNT is.
TIME_LIMIT = 60


def auth_garbage(rnd):
    """Returns a datagram that fails to decode: random bytes, or a valid
    header followed by elements that lie about their length."""
    kind = rnd.randrange(3)
    if kind == 0:
        return bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 64)))
    hdr = AUTH_MAGIC + bytes([AUTH_VERSION, rnd.choice([1, 2, 3, 4])])
    hdr += struct.pack("!H", rnd.randrange(65536))
    if kind == 1:
        # An element whose length runs past the datagram.
        return hdr + struct.pack("!HH", rnd.randrange(1, 16), 900) + b"x"
    return hdr + bytes(rnd.randrange(256) for _ in range(rnd.randrange(200)))


def flood_auth(iface, gwmac, gwaddr, count):
    from scapy.all import Ether, IP, UDP, Raw, conf, get_if_hwaddr

    rnd = random.Random(4767)
    l2 = conf.L2socket(iface=iface)
    mymac = get_if_hwaddr(iface)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE,
                   iface.encode())
    sent = {"spoofed": 0, "own": 0}
    deadline = time.monotonic() + TIME_LIMIT
    try:
        for i in range(count):
            if time.monotonic() > deadline:
                print("time limit reached after %d datagrams" % i)
                break
            payload = auth_garbage(rnd)
            if i % 2 == 0:
                # 10.20.200.0/22 lies outside every lease the test makes.
                src = "10.20.%d.%d" % (rnd.randrange(200, 204),
                                       rnd.randrange(1, 255))
                p = (Ether(dst=gwmac, src=mymac) /
                     IP(src=src, dst=gwaddr) /
                     UDP(sport=rnd.randrange(1024, 65536),
                         dport=AUTH_PORT) / Raw(payload))
                l2.send(p)
                sent["spoofed"] += 1
            else:
                udp.sendto(payload, (gwaddr, AUTH_PORT))
                sent["own"] += 1
            if i % 100 == 99:
                time.sleep(0.01)
    finally:
        l2.close()
        udp.close()
    for k, v in sent.items():
        print("%-8s %d" % (k, v))


def control_garbage(rnd):
    kind = rnd.randrange(3)
    pid = os.getpid()
    if kind == 0:
        # struct imsg_hdr: type, len, flags, peerid, pid; len under 16.
        return struct.pack("=IHHII", 1, rnd.randrange(16), 0, 0, pid)
    if kind == 1:
        return struct.pack("=IHHII", 0xdead0000 + rnd.randrange(256), 16,
                           0, 0, pid)
    # A header that promises more than MAX_IMSGSIZE.
    return struct.pack("=IHHII", rnd.randrange(1, 64), 65535, 0, 0, pid)


def flood_control(path, count):
    rnd = random.Random(16384)
    sent = 0
    deadline = time.monotonic() + TIME_LIMIT
    for i in range(count):
        if time.monotonic() > deadline:
            print("time limit reached after %d sessions" % i)
            break
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(path)
            s.sendall(control_garbage(rnd))
            # mcgwd closes the session: wait for it, so that sessions
            # do not pile up past its limit.
            while s.recv(4096):
                pass
            sent += 1
        except OSError:
            pass
        finally:
            s.close()
    print("sessions %d" % sent)


def main(argv):
    if len(argv) == 6 and argv[1] == "auth":
        flood_auth(argv[2], argv[3], argv[4], int(argv[5]))
        return 0
    if len(argv) == 4 and argv[1] == "control":
        flood_control(argv[2], int(argv[3]))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
