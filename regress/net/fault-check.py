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
    Walks a lease journal as mcgwd.conf's state directory holds it, past
    damaged ranges as replay does, and prints "GOOD-OFFSET ACTIVE-LEASES
    HEADER RANGES AFTER".  GOOD-OFFSET is where the writer must append:
    the end of the last good record, or the file size if only zeros
    follow it.  ACTIVE-LEASES counts the active leases that the good
    records leave.  HEADER is 1 for a good file header, 2 for a damaged
    one with good records after it, and 0 for a file that replay must
    set aside.  RANGES counts the damaged ranges before GOOD-OFFSET, and
    AFTER the good records that follow the first of them.
fault-check.py end FILE
    Prints the offset where the good records of a journal end.
fault-check.py flip FILE N LIMIT
    XORs N bytes at random offsets below LIMIT in FILE with random
    non-zero values.
"""

import json
import os
import random
import re
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
# Record headers that replay accepts after damage: type -> (version,
# payload maximum), the LEASE4_MAX, BINDING_MAX and HISTORY_MAX of
# routed-engine/journal.c.
REC_STRICT = {1: (1, 377), 2: (1, 618), 3: (1, 318)}
NONZERO = re.compile(rb"[^\x00]")
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


def record_at(data, off, strict):
    """Returns the size of the record at off if it passes replay's
    checks, else 0.  Strict checks, after damage, also require a header
    that mcgwd writes."""
    if off + REC_HDR > len(data):
        return 0
    plen, rtype, ver, flags = struct.unpack("!IHBB", data[off:off + 8])
    if strict:
        want, limit = REC_STRICT.get(rtype, (None, 0))
        if flags != 0 or ver != want or plen == 0 or plen > limit:
            return 0
    elif plen > REC_MAX:
        return 0
    if off + REC_HDR + plen > len(data):
        return 0
    crc = struct.unpack("!I", data[off + 8:off + 12])[0]
    payload = data[off + REC_HDR:off + REC_HDR + plen]
    if crc != crc32c(payload, crc32c(data[off + 4:off + 8])):
        return 0
    return REC_HDR + plen


def header_state(data):
    """Returns 1 for a good file header, 2 for a damaged one and 0 for
    a file that is no journal."""
    hdr = data[:HDR_SIZE]
    if len(hdr) < HDR_SIZE:
        return 0
    if (hdr[:8] != JOURNAL_MAGIC or
            struct.unpack("!I", hdr[28:32])[0] != crc32c(hdr[:28])):
        return 2
    return 1 if struct.unpack("!II", hdr[8:16]) == (1, HDR_SIZE) else 0


def walk(data):
    """Replays the records of a journal whose header is not foreign:
    (end of the last good record, {address: state}, good records,
    damaged ranges, good records after the first range)."""
    state = {}
    off = good = HDR_SIZE
    dmg = None
    strict_until = records = ranges = after = 0
    while off < len(data):
        strict = dmg is not None or off < strict_until
        n = record_at(data, off, strict)
        if n:
            if dmg is not None:
                ranges += 1
                dmg = None
            after += 1 if ranges else 0
            records += 1
            plen, rtype, ver = struct.unpack("!IHB", data[off:off + 7])
            if rtype == REC_LEASE4 and ver == 1 and plen >= 4 + 1:
                state[data[off + 12:off + 16]] = data[off + 16]
            off = good = off + n
            continue
        if dmg is None:
            dmg = off
            if not strict and off + REC_HDR <= len(data):
                plen = struct.unpack("!I", data[off:off + 4])[0]
                if plen <= REC_MAX:
                    strict_until = off + REC_HDR + plen
        # A record after damage has a length other than 0: skip zeros.
        m = NONZERO.search(data, off + 1)
        off = len(data) if m is None else max(off + 1, m.start() - 3)
    return good, state, records, ranges, after


def cmd_end(path):
    with open(path, "rb") as f:
        data = f.read()
    print(walk(data)[0] if header_state(data) else 0)
    return 0


def cmd_journal(path):
    with open(path, "rb") as f:
        data = f.read()
    header = header_state(data)
    good, state, records, ranges, after = walk(data) if header else \
        (0, {}, 0, 0, 0)
    if header != 1 and records == 0:
        print("0 0 0 0 0")
        return 0
    # Zeros past the records are preallocated space, not a torn tail.
    if data[good:].count(0) == len(data) - good:
        good = len(data)
    active = sum(1 for s in state.values() if s == LEASE_ACTIVE)
    print("%d %d %d %d %d" % (good, active, header, ranges, after))
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
            "end": (cmd_end, 1), "flip": (cmd_flip, 3)}
    if len(argv) < 2 or argv[1] not in cmds or \
            len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
