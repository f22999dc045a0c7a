#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes the seed corpora of the fuzz targets into corpus/<target>/ (seed-*.bin): valid regions and ring states
laid out by hand from the wire format (include/tzchan/wire.h), plus the classic broken ones. Inputs the fuzzers
found worth keeping (regressions) are added next to them by hand as regress-*.bin and are not touched here.
Usage: tests/fuzz/gen_corpus.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC, FIRST, LAST, PAD, SELF = 0x48435A54, 1, 2, 4, 8
UNKNOWN = (1 << 64) - 1


def header(lanes, ring, version=2, flags=0):
    stride = 768 + 2 * ring
    h = struct.pack("<IIIIQQQIII", MAGIC, version, lanes, ring, 128 + lanes * stride, 128, stride, 768, 768 + ring,
                    flags)
    return h + bytes(128 - len(h))


def region(lanes, ring, **kw):
    return bytearray(header(lanes, ring, **kw) + bytes(lanes * (768 + 2 * ring)))


def records(msgs):
    """msgs: list of (flags, payload, total or None) -> record bytes (no wrap handling). A record with SELF
    (wire format version 2) publishes itself; the others are published by prod."""
    out = b""
    for flags, payload, total in msgs:
        if flags & FIRST and not flags & LAST:
            hdr = struct.pack("<IIQ", len(payload), flags, total)
        else:
            hdr = struct.pack("<II", len(payload), flags)
        pad = (-len(payload)) % 8
        out += hdr + payload + bytes(pad)
    return out


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name + ".bin"), "wb") as f:
        f.write(bytes(data))


def lane_ab(reg, lane, ring):
    return 128 + lane * (768 + 2 * ring)


# ---- open: control byte + region -------------------------------------------------------------------------------
for side in (0, 1):
    write("open", "valid-1lane-side%d" % side, bytes([side | (31 << 3)]) + region(1, 1024))
r = region(2, 1024)
write("open", "valid-2lanes-lane1", bytes([1 | (1 << 1) | (31 << 3)]) + r)
r = region(1, 1024)
base = lane_ab(r, 0, 1024)
msgs = records([(FIRST | LAST, b"hello", None), (FIRST, b"x" * 40, 100), (0, b"y" * 40, None), (LAST, b"z" * 20, None)])
r[base + 768:base + 768 + len(msgs)] = msgs
struct.pack_into("<I", r, base + 0x000, len(msgs))  # ab_prod
write("open", "valid-with-messages", bytes([1 | (31 << 3)]) + r)
struct.pack_into("<I", r, base + 0x000, 2000)  # producer more than a ring ahead
write("open", "prod-ahead", bytes([1 | (31 << 3)]) + r)
write("open", "version1", bytes([1]) + region(1, 1024, version=1))  # refused: this library speaks version 2
write("open", "version3", bytes([1]) + region(1, 1024, version=3))
write("open", "flags1", bytes([1]) + region(1, 1024, flags=1))
write("open", "truncated", bytes([0]) + region(1, 1024)[:2000])
r = region(1, 1024)
r[0] ^= 1
write("open", "bad-magic", bytes([0]) + r)
r = region(1, 1024)
struct.pack_into("<I", r, 12, 2048)  # ring that disagrees with region_bytes
write("open", "ring-mismatch", bytes([0]) + r)
write("open", "ring-2048", bytes([1 | (31 << 3)]) + region(1, 2048))

# ---- recv: cons (bit 0: the victim's side), prod, 8 call bytes, ring data from cons on ---------------------------
def recv_seed(name, cons, data, prod=None, calls=(0xfc, 0x01 | (10 << 2), 0x06, 0x03, 0x41, 0xfd, 0x00, 0xfc)):
    if prod is None:
        prod = cons + len(data)
    for side in (0, 1):  # each ring state once for a victim on side A (B->A ring) and once on side B (A->B ring)
        write("recv", name + ("" if side == 0 else "-side-b"),
              struct.pack("<II", (cons | side) & 0xFFFFFFFF, prod & 0xFFFFFFFF) + bytes(calls) + data)


recv_seed("one", 0, records([(FIRST | LAST, b"abcdefgh" * 3, None)]))
recv_seed("three", 64, records([(FIRST | LAST, b"a" * 100, None), (FIRST | LAST, b"", None),
                                (FIRST | LAST, b"b" * 13, None)]))
recv_seed("multi-declared", 0, records([(FIRST, b"1" * 64, 150), (0, b"2" * 64, None), (LAST, b"3" * 22, None)]))
recv_seed("multi-unknown", 0, records([(FIRST, b"1" * 64, UNKNOWN), (0, b"2" * 64, None), (LAST, b"", None)]))
recv_seed("giant-record", 0, records([(FIRST | LAST, b"g" * 600, None)]))
# a PAD at 1024-64, then a message at offset 0
pad = struct.pack("<II", 64 - 8, PAD) + bytes(56)
recv_seed("pad-wrap", 1024 - 64, pad + records([(FIRST | LAST, b"w" * 30, None)]))
recv_seed("near-2-32", 0xFFFFFFFF - 63 & ~7, pad + records([(FIRST | LAST, b"w" * 30, None)]))
recv_seed("header-only", 0, records([(FIRST, b"h" * 64, 64), (LAST, b"", None)]), prod=16)
recv_seed("endless", 0, records([(FIRST, b"e" * 8, UNKNOWN)] + [(0, b"f" * 40, None)] * 20))
recv_seed("total-short", 0, records([(FIRST, b"1" * 64, 8), (LAST, b"2" * 8, None)]))
recv_seed("bad-flags", 0, records([(FIRST | LAST | 0x10, b"q" * 8, None)]))
recv_seed("len-past-end", 1024 - 32, struct.pack("<II", 32, FIRST | LAST) + bytes(24))
recv_seed("prod-ahead", 0, records([(FIRST | LAST, b"a", None)]), prod=1024 + 8)
# a ring full of valid messages and a producer index 8 past it: only the index check can tell (the calls never get
# to the bytes that are not there)
recv_seed("prod-ahead-ring-full", 0, records([(FIRST | LAST, b"v" * 8, None)] * 64), prod=1024 + 8)
recv_seed("prod-behind", 512, records([(FIRST | LAST, b"a", None)]), prod=504)
# version 2: self-published records (taken without prod), and what a hostile producer does with them
FLS = FIRST | LAST | SELF
recv_seed("self-one", 0, records([(FLS, b"abcdefgh" * 3, None)]), prod=0)
recv_seed("self-three", 64, records([(FLS, b"a" * 100, None), (FLS, b"", None), (FLS, b"b" * 13, None)]), prod=64)
recv_seed("self-then-prod", 0, records([(FLS, b"s" * 20, None), (FIRST | LAST, b"p" * 20, None)]), prod=0)
self_pad = struct.pack("<II", 64 - 8, PAD | SELF) + bytes(56)
recv_seed("self-pad-wrap", 1024 - 64, self_pad + records([(FLS, b"w" * 30, None)]), prod=1024 - 64)
recv_seed("self-first-only", 0, records([(FIRST | SELF, b"f" * 8, 8)]), prod=0)
recv_seed("self-junk-bits", 0, records([(FLS | 0x10, b"j" * 8, None)]), prod=0)
recv_seed("self-len-past-end", 1024 - 32, struct.pack("<II", 32, FLS) + bytes(24), prod=1024 - 32)
recv_seed("self-too-big", 0, records([(FLS, b"t" * 600, None)]), prod=0)
recv_seed("self-prod-far-behind", 0, records([(FLS, b"x" * 40, None)] * 20), prod=(-1024) & 0xFFFFFFFF)

# ---- seq: 7-byte commands ------------------------------------------------------------------------------------
# slots: 0 side A sends and receives, 1 side B receives only, 2 side B sends only, 3 side A sends only
def cmd(op, slot=0, x=0, a=0, w=None):
    """op byte, slot | x << 2, then a (bytes 2-3) and w (bytes 3-6) overlap in byte 3: w's low byte is a's high one."""
    if w is None:
        w = a >> 8
    return bytes([op, slot | (x << 2), a & 0xFF]) + struct.pack("<I", w & 0xFFFFFFFF)


def seq(name, cmds):
    write("seq", name, b"".join(cmds))


honest = []
for lane in (0, 1, 2, 3):
    honest += [cmd(16, lane, a=100), cmd(8, lane, a=4000), cmd(0, lane, a=200), cmd(17, lane), cmd(18, lane, x=1, a=2500),
               cmd(15, lane, a=700), cmd(3, lane, a=300), cmd(4, lane, a=300), cmd(17, lane), cmd(10, lane),
               cmd(11, lane), cmd(16, lane, a=512), cmd(10, lane), cmd(12, lane), cmd(11, lane)]
seq("honest", honest)
seq("stream-both", [cmd(5, 0, x=0, a=3000), cmd(6, 0, a=1000), cmd(17, 0), cmd(6, 0, a=1000), cmd(17, 0),
                    cmd(6, 0, a=1000), cmd(7, 0), cmd(18, 0, x=0, a=1500), cmd(9, 0, a=100), cmd(12, 0),
                    cmd(15, 0, a=100), cmd(13, 0, x=1), cmd(13, 0, x=2), cmd(13, 0, x=3)])
seq("hostile-indices", [cmd(16, 1, a=50), cmd(21, 1, x=0, a=1032), cmd(9, 1, a=100), cmd(14, 1),
                        cmd(22, 0, x=0, a=8), cmd(0, 0, a=400), cmd(0, 0, a=400), cmd(0, 0, a=400)])
seq("hostile-records", [cmd(20, 0, x=(3 << 3), a=64, w=0x00000030), cmd(8, 0, a=1000), cmd(14, 0),
                        cmd(20, 0, x=(1 << 3), a=16, w=0x00000040), cmd(9, 0, a=100), cmd(10, 0), cmd(8, 0, a=100)])
# content: messages in several records (streams of unknown length) taken whole by recv, by recv_some and by peek
# (refused: EMSGSIZE), on both receiving slots, before and after a hostile write and the victim's reopen
content = []
for slot in (0, 1):
    content += [cmd(18, slot, x=1, a=300), cmd(8, slot, a=4000), cmd(18, slot, x=1, a=700), cmd(10, slot),
                cmd(9, slot, a=100), cmd(15, slot, a=50), cmd(16, slot, a=333), cmd(10, slot), cmd(11, slot),
                cmd(21, slot, x=0, a=0), cmd(16, slot, a=20), cmd(8, slot, a=100), cmd(14, slot),
                cmd(18, slot, x=1, a=40), cmd(18, slot, x=0, a=500), cmd(8, slot, a=4000), cmd(8, slot, a=4000)]
seq("content-multi", content)
seq("hostile-doorbell", [cmd(23, 0, x=0, a=0xffff, w=0xffffffff), cmd(0, 0, a=10), cmd(23, 0, x=3, a=2, w=2),
                         cmd(0, 0, a=10), cmd(8, 0, a=100), cmd(13, 0, x=1), cmd(24, 1, a=5, w=77), cmd(25, 0, a=1),
                         cmd(14, 0), cmd(25, 0, x=1), cmd(14, 0)])
