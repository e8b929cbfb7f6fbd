#!/usr/bin/env python3
"""Builds MP4 fixtures with the box STRUCTURE of files podcast tools make, from a tiny AAC file.

usage: make_mp4_structures.py TINY.m4a IMAGE.jpg OUT_DIR

TINY.m4a is a short AAC file FFmpeg wrote with moov after mdat; IMAGE.jpg a tiny JPEG. Writes:

  auphonic-like.m4a    moov first; audio track 1 with tref/chap [2, 3, 4]: a text chapter track
                       (tx3g, "Chapter Titles"), a second text track with the same titles and href
                       links ("Chapter URLs", enabled), and an enabled vide/jpeg chapter-image
                       track (3 JPEG samples), samples interleaved in the mdat, as Auphonic writes.
  hindenburg-like.m4a  moov first; text track 1 ("Chapter Marker N"), audio track 2 with
                       tref/chap [1, 3, 4], text track 3 ("URL Title for Chapter N" + href) and
                       jpeg track 4, as Hindenburg Journalist Pro writes.
  he-aac.m4a           TINY with its AudioSpecificConfig replaced by explicit HE-AAC signalling
                       (object type 5: 22,050 Hz core, 44,100 Hz SBR output; ffmpeg here has no
                       HE-AAC encoder). The audio frames stay plain AAC-LC.
  damaged-rate.m4a     TINY with the audio mdhd time scale set to 134,261,828.
  isom-brand.mp4       TINY with the major brand 'isom' (ffmpeg -f mp4), moov first.

Deterministic: the same inputs give the same bytes.
"""

import struct
import sys

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"tref", b"dinf"}


def parse(data):
    out, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 0:
            size = len(data) - at
        body = data[at + 8 : at + size]
        out.append([kind, parse(body) if kind in CONTAINERS else body])
        at += size
    return out


def ser(boxes):
    out = b""
    for kind, body in boxes:
        payload = ser(body) if isinstance(body, list) else body
        out += struct.pack(">I4s", 8 + len(payload), kind) + payload
    return out


def box(kind, body):
    return [kind, body]


def full(kind, version, flags, rest):
    return [kind, struct.pack(">I", (version << 24) | flags) + rest]


def child(boxes, kind):
    return next(b for b in boxes if b[0] == kind)


def path(boxes, *kinds):
    for k in kinds:
        boxes = child(boxes, k)[1]
    return boxes


def u32s(*vals):
    return b"".join(struct.pack(">I", v) for v in vals)


MATRIX = u32s(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def tkhd(track_id, flags, duration, width=0, height=0):
    rest = u32s(0, 0, track_id, 0, duration) + b"\0" * 8 + b"\0" * 8 + MATRIX + u32s(width << 16, height << 16)
    return full(b"tkhd", 0, flags, rest)


def mdhd(timescale, duration):
    return full(b"mdhd", 0, 0, u32s(0, 0, timescale, duration) + b"\x55\xc4\0\0")


def hdlr(kind, name):
    return full(b"hdlr", 0, 0, u32s(0) + kind + b"\0" * 12 + name + b"\0")


def dinf():
    return box(b"dinf", [full(b"dref", 0, 0, u32s(1) + ser([full(b"url ", 0, 1, b"")]))])


def tables(durations, sizes, offsets):
    """stts per sample, one sample per chunk, sizes and offsets."""
    stts = u32s(len(durations)) + b"".join(u32s(1, d) for d in durations)
    return [
        full(b"stts", 0, 0, stts),
        full(b"stsc", 0, 0, u32s(1, 1, 1, 1)),
        full(b"stsz", 0, 0, u32s(0, len(sizes), *sizes)),
        full(b"stco", 0, 0, u32s(len(offsets), *offsets)),
    ]


def tx3g_entry():
    ftab = ser([box(b"ftab", struct.pack(">HH", 1, 1) + bytes([5]) + b"Serif")])
    rest = b"\0" * 6 + struct.pack(">H", 1)  # SampleEntry
    rest += u32s(0) + b"\x01\xff" + b"\0\0\0\0" + b"\0" * 8  # flags, justification, colour, box
    rest += struct.pack(">HHHBB", 0, 0, 1, 0, 18) + b"\xff\xff\xff\xff"  # style record
    return ser([box(b"tx3g", rest + ftab)])


def jpeg_entry():
    rest = b"\0" * 6 + struct.pack(">H", 1) + b"\0" * 16 + struct.pack(">HH", 16, 16)
    rest += u32s(0x480000, 0x480000, 0) + struct.pack(">H", 1) + b"\0" * 32 + struct.pack(">Hh", 24, -1)
    return ser([box(b"jpeg", rest)])


def text_sample(title, url=None):
    t = title.encode()
    s = struct.pack(">H", len(t)) + t
    if url:
        u = url.encode()
        s += ser([box(b"href", struct.pack(">HHB", 0, len(title), len(u)) + u + b"\0")])
    return s


def chapter_trak(track_id, flags, handler, name, entry, durations, sizes, offsets, media_header):
    stbl = [full(b"stsd", 0, 0, u32s(1) + entry)] + tables(durations, sizes, offsets)
    minf = [media_header, dinf(), box(b"stbl", stbl)]
    total = sum(durations)
    mdia = [mdhd(1000, total), hdlr(handler, name), box(b"minf", minf)]
    w = 16 if handler == b"vide" else 0
    return box(b"trak", [tkhd(track_id, flags, total, w, w), box(b"mdia", mdia)])


class Tiny:
    """The tiny AAC file: its ftyp, audio trak, mvhd, and audio payload."""

    def __init__(self, data):
        tops = parse(data)
        self.ftyp = child(tops, b"ftyp")[1]
        moov = child(tops, b"moov")[1]
        self.mvhd = child(moov, b"mvhd")[1]
        self.udta = [b for b in moov if b[0] == b"udta"]
        self.trak = child(moov, b"trak")[1]
        # mdat payload offset in the source file
        at = 0
        for kind, body in tops:
            size = 8 + (len(ser(body)) if isinstance(body, list) else len(body))
            if kind == b"mdat":
                self.mdat_at = at + 8
                self.mdat = body
            at += size
        stco = path(self.trak, b"mdia", b"minf", b"stbl")
        co = child(stco, b"stco")[1]
        n = struct.unpack(">I", co[4:8])[0]
        self.chunks = [struct.unpack(">I", co[8 + 4 * i : 12 + 4 * i])[0] - self.mdat_at for i in range(n)]
        ts = struct.unpack(">I", child(path(self.trak, b"mdia"), b"mdhd")[1][12:16])[0]
        dur = struct.unpack(">I", child(path(self.trak, b"mdia"), b"mdhd")[1][16:20])[0]
        self.ms = dur * 1000 // ts

    def audio_trak(self, track_id, chap, chunk_base):
        trak = [list(b) for b in self.trak]
        tk = child(trak, b"tkhd")
        tk[1] = tk[1][:12] + struct.pack(">I", track_id) + tk[1][16:]
        stbl = path(trak, b"mdia", b"minf", b"stbl")
        co = child(stbl, b"stco")
        co[1] = u32s(0, len(self.chunks), *[chunk_base + c for c in self.chunks])
        if chap:
            at = next(i for i, b in enumerate(trak) if b[0] == b"tkhd") + 1
            trak.insert(at, box(b"tref", [box(b"chap", u32s(*chap))]))
        return box(b"trak", trak)

    def mvhd_with_next(self, next_id):
        return box(b"mvhd", self.mvhd[:96] + struct.pack(">I", next_id))


def moov_first(tiny, ftyp, make_traks, extra_samples, next_id):
    """ftyp, moov, mdat[extra samples..., audio]; make_traks(sample_offsets, audio_base) -> traks."""
    head = ser([box(b"ftyp", ftyp)])
    # Two passes: the moov size does not depend on the offsets (all stco, 32-bit).
    offsets = [0] * len(extra_samples)
    moov = None
    for _ in range(2):
        traks = make_traks(offsets, 0)
        moov = ser([box(b"moov", [tiny.mvhd_with_next(next_id)] + traks + tiny.udta)])
        data_at = len(head) + len(moov) + 8
        offsets, at = [], data_at
        for s in extra_samples:
            offsets.append(at)
            at += len(s)
        audio_base = at
        traks = make_traks(offsets, audio_base)
        moov = ser([box(b"moov", [tiny.mvhd_with_next(next_id)] + traks + tiny.udta)])
    mdat = b"".join(extra_samples) + tiny.mdat
    return head + moov + ser([box(b"mdat", mdat)])


def auphonic(tiny, jpeg):
    titles = ["Chapter 1 - ❤️😊", "Chapter 2 - ßöÄ", "Chapter 3 - 爱"]
    third = tiny.ms // 3
    durations = [third, third, tiny.ms - 2 * third]
    text = [text_sample(t) for t in titles]
    urls = [text_sample(t, "https://example.com") for t in titles]
    # Interleaved as Auphonic writes: title, url, image for each chapter.
    samples = []
    for i in range(3):
        samples += [text[i], urls[i], jpeg]

    def traks(offs, base):
        return [
            tiny.audio_trak(1, [2, 3, 4], base),
            chapter_trak(2, 0, b"text", b'"Chapter Titles"', tx3g_entry(), durations,
                         [len(s) for s in text], offs[0::3], full(b"nmhd", 0, 0, b"")),
            chapter_trak(3, 1, b"text", b'"Chapter URLs"', tx3g_entry(), durations,
                         [len(s) for s in urls], offs[1::3], full(b"nmhd", 0, 0, b"")),
            chapter_trak(4, 1, b"vide", b'"Chapter Images"', jpeg_entry(), durations,
                         [len(jpeg)] * 3, offs[2::3], full(b"vmhd", 0, 1, b"\0" * 8)),
        ]

    ftyp = b"M4A " + u32s(0) + b"M4A mp42isom\0\0\0\0"
    return moov_first(tiny, ftyp, traks, samples, 5)


def hindenburg(tiny, jpeg):
    half = tiny.ms // 2
    durations = [half, tiny.ms - half]
    markers = [text_sample(f"Chapter Marker {i}") for i in (1, 2)]
    titles = [text_sample(f"URL Title for Chapter {i}", f"https://example.com/chapter{i}url") for i in (1, 2)]
    samples = markers + titles + [jpeg, jpeg]

    def traks(offs, base):
        return [
            chapter_trak(1, 0, b"text", b"", tx3g_entry(), durations, [len(s) for s in markers], offs[0:2],
                         full(b"nmhd", 0, 0, b"")),
            tiny.audio_trak(2, [1, 3, 4], base),
            chapter_trak(3, 0, b"text", b"", tx3g_entry(), durations, [len(s) for s in titles], offs[2:4],
                         full(b"nmhd", 0, 0, b"")),
            chapter_trak(4, 1, b"vide", b"", jpeg_entry(), durations, [len(jpeg)] * 2, offs[4:6],
                         full(b"vmhd", 0, 1, b"\0" * 8)),
        ]

    ftyp = b"M4A " + u32s(0) + b"M4A mp42isom"
    return moov_first(tiny, ftyp, traks, samples, 5)


def rewrite_tiny(data, edit):
    """TINY (moov last) with `edit(moov)` applied; mdat offsets do not move."""
    tops = parse(data)
    edit(child(tops, b"moov")[1])
    return ser(tops)


def he_aac(data):
    def edit(moov):
        stsd = child(path(moov, b"trak", b"mdia", b"minf", b"stbl"), b"stsd")
        # FFmpeg's ASC for AAC-LC 22,050 Hz mono with the 0x2b7 sync extension saying "no SBR"
        # (13 88 56 e5 00) -> explicit SBR, same length: object type 5, core 22,050 Hz mono,
        # extension 44,100 Hz, AAC-LC: 00101 0111 0001 0100 00010 000, then a zero byte.
        old = b"\x13\x88\x56\xe5\x00"
        assert stsd[1].count(old) == 1, "the tiny file's AudioSpecificConfig"
        stsd[1] = stsd[1].replace(old, b"\x2b\x8a\x08\x00\x00")

    return rewrite_tiny(data, edit)


def damaged_rate(data):
    def edit(moov):
        md = child(path(moov, b"trak", b"mdia"), b"mdhd")
        md[1] = md[1][:12] + struct.pack(">I", 134_261_828) + md[1][16:]

    return rewrite_tiny(data, edit)


def isom(tiny):
    ftyp = b"isom" + u32s(0x200) + b"isomiso2mp41"
    return moov_first(tiny, ftyp, lambda offs, base: [tiny.audio_trak(1, None, base)], [], 2)


def main():
    tiny_path, jpeg_path, out = sys.argv[1:4]
    data = open(tiny_path, "rb").read()
    jpeg = open(jpeg_path, "rb").read()
    tiny = Tiny(data)
    files = {
        "auphonic-like.m4a": auphonic(tiny, jpeg),
        "hindenburg-like.m4a": hindenburg(tiny, jpeg),
        "he-aac.m4a": he_aac(data),
        "damaged-rate.m4a": damaged_rate(data),
        "isom-brand.mp4": isom(tiny),
    }
    for name, b in files.items():
        with open(f"{out}/{name}", "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main()
