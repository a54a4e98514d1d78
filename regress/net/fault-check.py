#!/usr/bin/python3
"""Checks for regress/net/t_faults, independent of mcgwd's own code.

fault-check.py acks PCAP
    Lists every DHCPACK in a client-side capture, one per line:
    "yiaddr chaddr time lease-seconds".
fault-check.py overlap ACKS
    Fails if one address was acknowledged to two clients whose leases
    overlap in time.
fault-check.py stored ACKS LEASES-JSON
    Fails unless every acknowledged (address, MAC) is an active lease in
    the output of "mcgwctl -j show leases".
fault-check.py journal FILE
    Walks a lease journal as mcgwd.conf's state directory holds it and
    prints "GOOD-OFFSET ACTIVE-LEASES HEADER-OK": where replay must stop,
    and how many active leases the records before that point leave.
fault-check.py flip FILE N LIMIT
    XORs N bytes at random offsets below LIMIT in FILE with random
    non-zero values.
"""

import json
import os
import random
import struct
import sys

# Bootstrap message types and option codes, RFC 2131 and RFC 2132.
BOOTREPLY = 2
DHCPACK = 5
OPT_LEASE_TIME = 51
OPT_MSG_TYPE = 53

# The journal layout, as described at the top of routed-engine/journal.c.
JOURNAL_MAGIC = b"MCGWJRNL"
HDR_SIZE = 32
REC_HDR = 12
REC_MAX = 65536
REC_LEASE4 = 1
LEASE_FREE = 0
LEASE_ACTIVE = 2


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), reflected polynomial 0x82f63b78."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def dhcp_options(raw):
    """Returns {code: value} of a DHCP packet's options, or None."""
    if len(raw) < 240 or raw[236:240] != b"\x63\x82\x53\x63":
        return None
    opts = {}
    i = 240
    while i < len(raw):
        code = raw[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(raw) or i + 2 + raw[i + 1] > len(raw):
            return None
        opts[code] = raw[i + 2:i + 2 + raw[i + 1]]
        i += 2 + raw[i + 1]
    return opts


def cmd_acks(path):
    # Imported here so that the other commands run without scapy.
    from scapy.all import PcapReader, UDP

    for pkt in PcapReader(path):
        if UDP not in pkt:
            continue
        raw = bytes(pkt[UDP].payload)
        if len(raw) < 240 or raw[0] != BOOTREPLY:
            continue
        opts = dhcp_options(raw)
        if opts is None or opts.get(OPT_MSG_TYPE) != bytes([DHCPACK]):
            continue
        yiaddr = ".".join(str(b) for b in raw[16:20])
        hlen = min(raw[2], 16)
        chaddr = ":".join("%02x" % b for b in raw[28:28 + hlen])
        lease_opt = opts.get(OPT_LEASE_TIME)
        lease = 0
        if lease_opt is not None and len(lease_opt) == 4:
            lease = struct.unpack("!I", lease_opt)[0]
        print("%s %s %.6f %d" % (yiaddr, chaddr, float(pkt.time), lease))
    return 0


def read_acks(path):
    acks = []
    with open(path) as f:
        for line in f:
            addr, mac, when, lease = line.split()
            acks.append((addr, mac, float(when), int(lease)))
    return acks


def cmd_overlap(path):
    holders = {}
    bad = 0
    acks = sorted(read_acks(path), key=lambda ack: ack[2])
    for addr, mac, when, lease in acks:
        for other, start, end in holders.get(addr, []):
            if other != mac and when < end:
                print("%s: acknowledged to %s at %.6f while %s holds it "
                      "from %.6f to %.6f" % (addr, mac, when, other, start,
                                             end))
                bad += 1
        holders.setdefault(addr, []).append((mac, when, when + lease))
    print("%d acks, %d addresses, %d overlaps" %
          (len(acks), len(holders), bad))
    return 1 if bad else 0


def cmd_stored(ackpath, leasepath):
    with open(leasepath) as f:
        leases = json.load(f)["leases"]
    active = {}
    for entry in leases:
        if entry.get("state") == "active":
            active[entry["address"]] = (entry.get("mac") or "").lower()
    # The last client that each address was acknowledged to.
    last = {}
    for addr, mac, _, _ in sorted(read_acks(ackpath),
                                  key=lambda ack: ack[2]):
        last[addr] = mac
    bad = 0
    for addr, mac in sorted(last.items()):
        if active.get(addr) != mac:
            print("%s acknowledged to %s, store has %s" %
                  (addr, mac, active.get(addr, "nothing")))
            bad += 1
    print("%d acknowledged leases, %d active in the store, %d missing" %
          (len(last), len(active), bad))
    return 1 if bad else 0


def cmd_journal(path):
    with open(path, "rb") as f:
        data = f.read()
    hdr = data[:HDR_SIZE]
    if (len(hdr) < HDR_SIZE or hdr[:8] != JOURNAL_MAGIC or
            struct.unpack("!I", hdr[28:32])[0] != crc32c(hdr[:28]) or
            struct.unpack("!II", hdr[8:16]) != (1, HDR_SIZE)):
        print("0 0 0")
        return 0
    state = {}
    off = HDR_SIZE
    while off + REC_HDR <= len(data):
        plen, rtype, ver = struct.unpack("!IHB", data[off:off + 7])
        if plen > REC_MAX or off + REC_HDR + plen > len(data):
            break
        crc = struct.unpack("!I", data[off + 8:off + 12])[0]
        payload = data[off + REC_HDR:off + REC_HDR + plen]
        if crc != crc32c(payload, crc32c(data[off + 4:off + 8])):
            break
        if rtype == REC_LEASE4 and ver == 1 and plen >= 4 + 1:
            state[payload[0:4]] = payload[4]
        off += REC_HDR + plen
    # Zeros past the records are preallocated space, not a torn tail.
    if data[off:].count(0) == len(data) - off:
        off = len(data)
    active = sum(1 for s in state.values() if s == LEASE_ACTIVE)
    print("%d %d 1" % (off, active))
    return 0


def cmd_flip(path, n, limit):
    rnd = random.SystemRandom()
    size = min(os.path.getsize(path), int(limit))
    with open(path, "r+b") as f:
        for _ in range(int(n)):
            off = rnd.randrange(size)
            f.seek(off)
            old = f.read(1)[0]
            new = old ^ rnd.randrange(1, 256)
            f.seek(off)
            f.write(bytes([new]))
            print("offset %d: %02x -> %02x" % (off, old, new))
    return 0


def main(argv):
    cmds = {"acks": (cmd_acks, 1), "overlap": (cmd_overlap, 1),
            "stored": (cmd_stored, 2), "journal": (cmd_journal, 1),
            "flip": (cmd_flip, 3)}
    if len(argv) < 2 or argv[1] not in cmds or \
            len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
