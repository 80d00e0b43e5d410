#!/usr/bin/env python3
"""Writes seed inputs for watchpost-fuzz-stream (format in stream_fuzz.cc) into DIR.

Each seed is a small TCP story the fuzzer mutates from: split data, reordering, an
acknowledged gap beyond the reassembly depth, forged and valid resets and FINs, split
handshakes, sequence wrap-around.  Usage: stream_seeds.py DIR
"""
import os
import struct
import sys

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
FROM_SERVER, ABSOLUTE = 0x80, 0x40


def header(config, handshake=True, port=0, cisn=1000, sisn=5000):
    return struct.pack(">BBII", config, (1 if handshake else 0) | (port << 1), cisn, sisn)


def rec(flags, seq, ack, data=b"", server=False, absolute=False, window=65535, opts=0):
    ctl = flags | (FROM_SERVER if server else 0) | (ABSOLUTE if absolute else 0)
    return struct.pack(">BIIHBH", ctl, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, window, opts, len(data)) + data


SEEDS = {
    "split": header(0) + rec(PSH | ACK, 0, 0, b"GET AB\x00\x90xxCX") + rec(PSH | ACK, 12, 0, b"ZZ 0001"),
    "reorder": header(0) + rec(PSH | ACK, 6, 0, b"PATTERN") + rec(PSH | ACK, 0, 0, b"QQ\x02\x01YY"),
    "gap-beyond-depth": header(0) + rec(ACK, 0, (2 << 20) + 100, server=True)
    + rec(PSH | ACK, 2 << 20, 0, b"EVILPATTERN"),
    "gap-small-depth": header(3) + rec(PSH | ACK, 0, 0, b"xxxx") + rec(ACK, 0, 40, server=True)
    + rec(PSH | ACK, 30, 0, b"EVILPATTERN"),
    "ack-half-space": header(0) + rec(PSH | ACK, 0, 0, b"EVIL") + rec(ACK, 0, 4 + 0x80000000, server=True)
    + rec(PSH | ACK, 4, 0, b"PATTERN"),
    "forged-rst": header(0) + rec(RST, 0x40000000, 0) + rec(PSH | ACK, 0, 0, b"Z0001 K\x00"),
    "valid-rst": header(0) + rec(PSH | ACK, 0, 0, b"hello") + rec(RST | ACK, 0, 5, server=True)
    + rec(PSH | ACK, 5, 0, b"after"),
    "fins": header(0) + rec(FIN | ACK, 3, 0) + rec(PSH | ACK, 0, 0, b"data==aGk=") + rec(FIN | ACK, 0, 11, server=True),
    "split-handshake": header(0x20, handshake=False) + rec(SYN, -1, 0) + rec(SYN, -1, 0, server=True)
    + rec(SYN | ACK, -1, 0) + rec(ACK, 0, 0, server=True) + rec(PSH | ACK, 0, 0, b"GET  /a HTTP"),
    "midstream": header(0x04, handshake=False) + rec(PSH | ACK, 0, 0, b"XY\x03abcYYY")
    + rec(PSH | ACK, 0, 10, b"  MxxxxM", server=True),
    "async": header(0x08, handshake=False) + rec(SYN, -1, 0) + rec(ACK, 0, 0) + rec(PSH | ACK, 0, 0, b"L\x00\x01"),
    "wrap": header(0x80, cisn=0xFFFFFFF0) + rec(PSH | ACK, 0, 0, b"A" * 40) + rec(PSH | ACK, 40, 0, b"B" * 40),
    "overlap-linux": header(0x20) + rec(PSH | ACK, 10, 0, b"1111") + rec(PSH | ACK, 8, 0, b"222222")
    + rec(PSH | ACK, 0, 0, b"00000000"),
    "window-scale": header(0x10, handshake=False) + rec(SYN, -1, 0, opts=0x17)
    + rec(SYN | ACK, -1, 0, server=True, window=100, opts=0x12) + rec(ACK, 0, 0, window=10)
    + rec(PSH | ACK, 500, 0, b"far") + rec(ACK, 0, 0, server=True, window=1, opts=0x80),
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: stream_seeds.py DIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
