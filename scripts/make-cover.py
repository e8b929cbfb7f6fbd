#!/usr/bin/env python3
"""Make the sample show's artwork: a 1400x1400 RGB PNG (Apple's minimum), flat colour and blocky
text, a few KB. Standard library only, deterministic output.

    python3 scripts/make-cover.py episodes/cover.png
"""
import struct
import sys
import zlib

SIZE = 1400
BG = (22, 48, 82)
FG = (242, 183, 5)
FONT = {  # 5x7 bitmaps
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "H": ["10001", "10001", "10001", "11111", "10001", "10001", "10001"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
    "I": ["11111", "00100", "00100", "00100", "00100", "00100", "11111"],
    "G": ["01110", "10001", "10000", "10111", "10001", "10001", "01111"],
    "N": ["10001", "11001", "10101", "10011", "10001", "10001", "10001"],
    "C": ["01110", "10001", "10000", "10000", "10000", "10001", "01110"],
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    " ": ["00000"] * 7,
}


def text_mask(lines, scale):
    """Set of (x, y) pixels covered by the text, centred."""
    mask = set()
    line_h = 7 * scale
    gap = 3 * scale
    total_h = len(lines) * line_h + (len(lines) - 1) * gap
    y0 = (SIZE - total_h) // 2
    for li, line in enumerate(lines):
        width = len(line) * 6 * scale - scale
        x0 = (SIZE - width) // 2
        for ci, ch in enumerate(line):
            for row, bits in enumerate(FONT[ch]):
                for col, bit in enumerate(bits):
                    if bit == "1":
                        for dy in range(scale):
                            for dx in range(scale):
                                mask.add((x0 + (ci * 6 + col) * scale + dx, y0 + li * (line_h + gap) + row * scale + dy))
    return mask


def png(path):
    mask = text_mask(["THE", "EIGENCAST"], 21)
    raw = bytearray()
    for y in range(SIZE):
        raw.append(0)  # filter: none
        for x in range(SIZE):
            border = x < 40 or y < 40 or x >= SIZE - 40 or y >= SIZE - 40
            raw.extend(FG if (x, y) in mask or border else BG)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)
    print(f"{path}: {SIZE}x{SIZE} RGB PNG, {len(data)} bytes")


if __name__ == "__main__":
    png(sys.argv[1] if len(sys.argv) > 1 else "episodes/cover.png")
