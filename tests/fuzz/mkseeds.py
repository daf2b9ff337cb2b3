#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<name>/).

    tests/fuzz/mkseeds.py [CORPUS_DIR]

Deterministic: running it again rewrites the same files.  Only seeds named
seed-* are written; inputs found by fuzzing are kept next to them under other
names (crash-*, found-*).  Needs nothing but Python's standard library.
"""
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))


# ---- PNG writing ------------------------------------------------------------

def chunk(kind, data):
    c = struct.pack(">I", len(data)) + kind + data
    return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bits_per_pixel(color_type, depth):
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    return channels * depth


def raw_rows(width, height, color_type, depth, pixel):
    """Rows of packed samples; pixel(x, y) gives the sample tuple."""
    bpp = bits_per_pixel(color_type, depth)
    rows = []
    for y in range(height):
        bits, nbits, out = 0, 0, bytearray()
        for x in range(width):
            for s in pixel(x, y):
                if depth == 16:
                    out += struct.pack(">H", s & 0xFFFF)
                elif depth == 8:
                    out.append(s & 0xFF)
                else:
                    bits = (bits << depth) | (s & ((1 << depth) - 1))
                    nbits += depth
                    if nbits == 8:
                        out.append(bits)
                        bits, nbits = 0, 0
        if nbits:
            out.append(bits << (8 - nbits))
        assert len(out) == (width * bpp + 7) // 8
        rows.append(bytes(out))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def png(width, height, color_type, depth, pixel=None, interlace=False, palette=None,
        trns=None, extra=b""):
    pixel = pixel or (lambda x, y: [(x * 37 + y * 11) % 256] *
                      {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type])
    data = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub_w = max(0, (width - x0 + dx - 1) // dx)
            sub_h = max(0, (height - y0 + dy - 1) // dy)
            if sub_w == 0 or sub_h == 0:
                continue
            rows = raw_rows(sub_w, sub_h, color_type, depth,
                            lambda x, y: pixel(x0 + x * dx, y0 + y * dy))
            for r in rows:
                data += bytes([0]) + r
    else:
        for r in raw_rows(width, height, color_type, depth, pixel):
            data += bytes([0]) + r
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0,
                                      1 if interlace else 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += extra
    out += chunk(b"IDAT", zlib.compress(bytes(data), 9))
    out += chunk(b"IEND", b"")
    return out


def header_only(width, height, color_type, depth, idat=zlib.compress(b"\0" * 16)):
    """A PNG that declares its size with far too little IDAT for it."""
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0))
    if idat:
        out += chunk(b"IDAT", idat)
    out += chunk(b"IEND", b"")
    return out


# ---- fuzz_sim_scene -----------------------------------------------------------

F_IR870, F_VENDOR, F_NO_WHITE, F_ROTATE, F_NOISE, F_SHIFT, F_TWICE = (1, 2, 4, 8, 16, 32, 64)


def scene_input(flags, scene_json, png_bytes):
    if isinstance(scene_json, str):
        scene_json = scene_json.encode()
    return bytes([flags]) + struct.pack(">H", len(scene_json)) + scene_json + png_bytes


def sim_scene_seeds():
    # the default demo scene's manifest (drawn by docex synth at build time)
    default = json.dumps({"format": "docex.scene/1", "name": "UTO-P-2024 (docex synth)",
                          "dpi": 150, "page_mm": {"width": 125.0, "height": 88.0},
                          "background": [36, 36, 36], "exposure_us": {"white": 8000}}).encode()
    small = json.dumps({"format": "docex.scene/1", "dpi": 254, "name": "fuzz",
                        "background": [10, 20, 30], "exposure_us": {"white": 1234}})
    vendor = json.dumps({"dpi": 300, "illuminations": {"acme": {
        "band_nm": [390, 400], "geometry": "oblique", "description": "ACME UV"}}})
    g8 = png(5, 3, 0, 8)
    rgb = png(4, 4, 2, 8)
    seeds = {
        "seed-default-gray8": scene_input(0, default, g8),
        "seed-default-gray16-ir870": scene_input(
            F_IR870, default, png(6, 4, 0, 16, lambda x, y: [x * 9000 + y * 77])),
        "seed-rgb8": scene_input(0, small, rgb),
        "seed-rgb16-reduced": scene_input(0, small, png(3, 2, 2, 16,
                                                     lambda x, y: [x * 999, y * 4321, 65535])),
        "seed-rgba8": scene_input(0, small, png(3, 3, 6, 8)),
        "seed-gray-alpha8": scene_input(0, small, png(3, 3, 4, 8)),
        "seed-gray-alpha16": scene_input(0, small, png(2, 2, 4, 16)),
        "seed-gray1": scene_input(0, small, png(9, 2, 0, 1, lambda x, y: [(x + y) & 1])),
        "seed-gray2": scene_input(0, small, png(5, 2, 0, 2, lambda x, y: [x & 3])),
        "seed-gray4": scene_input(0, small, png(3, 3, 0, 4, lambda x, y: [x * 5 + y])),
        "seed-palette8": scene_input(0, small, png(4, 2, 3, 8, lambda x, y: [(x + y) % 3],
                                                  palette=[(255, 0, 0), (0, 255, 0),
                                                           (0, 0, 255)])),
        "seed-palette1-trns": scene_input(0, small, png(10, 2, 3, 1, lambda x, y: [x & 1],
                                                       palette=[(0, 0, 0), (255, 255, 255)],
                                                       trns=b"\x00")),
        "seed-gray8-trns": scene_input(0, small, png(3, 2, 0, 8, trns=b"\x00\x10")),
        "seed-interlaced-gray8": scene_input(0, small, png(9, 9, 0, 8, interlace=True)),
        "seed-interlaced-rgb16": scene_input(0, small, png(5, 3, 2, 16, interlace=True,
                                                         pixel=lambda x, y: [x, y, x * y])),
        "seed-1x1-rotate-noise": scene_input(F_ROTATE | F_NOISE | F_TWICE, small,
                                             png(1, 1, 0, 8)),
        "seed-1x7-rotate": scene_input(F_ROTATE, small, png(1, 7, 2, 8)),
        "seed-7x1-shift-gray16": scene_input(F_SHIFT | F_NOISE, small, png(7, 1, 0, 16)),
        "seed-vendor-light": scene_input(F_VENDOR | F_NO_WHITE, vendor, png(4, 3, 0, 8)),
        "seed-all-lights-rotate": scene_input(F_IR870 | F_VENDOR | F_ROTATE | F_SHIFT, vendor,
                                              rgb),
        "seed-truncated-idat": scene_input(0, small, png(40, 40, 2, 8)[:120]),
        "seed-bad-crc": scene_input(0, small, g8[:29] + b"\0\0\0\0" + g8[33:]),
        "seed-bad-signature": scene_input(0, small, b"\x89PNX\r\n\x1a\n" + g8[8:]),
        "seed-empty-png": scene_input(0, small, b""),
        "seed-short-idat": scene_input(0, small, header_only(8, 8, 0, 8,
                                                           zlib.compress(b"\0" * 9))),
        "seed-huge-rgb16": scene_input(0, small, header_only(65535, 65535, 2, 16)),
        "seed-huge-gray8": scene_input(0, small, header_only(32768, 32768, 0, 8)),
        "seed-100mp-gray8": scene_input(0, small, header_only(10000, 10000, 0, 8,
                                                            zlib.compress(b"\0" * 10001))),
        "seed-over-100mp-gray8": scene_input(0, small, header_only(10000, 10001, 0, 8)),
        "seed-too-wide": scene_input(0, small, header_only(100001, 1, 0, 8)),
        "seed-zero-size": scene_input(0, small, header_only(0, 5, 0, 8)),
        "seed-bad-depth": scene_input(0, small, header_only(4, 4, 2, 4)),
        "seed-no-images": scene_input(F_NO_WHITE, small, g8),
    }
    bad_json = {
        "seed-json-truncated": default[:100],
        "seed-json-empty": b"",
        "seed-json-not-object": b"[1, 2, 3]",
        "seed-json-no-dpi": b'{"format": "docex.scene/1"}',
        "seed-json-dpi-range": b'{"dpi": 49}',
        "seed-json-dpi-type": b'{"dpi": "300"}',
        "seed-json-format": b'{"dpi": 300, "format": "docex.scene/2"}',
        "seed-json-duplicate": b'{"dpi": 300, "dpi": 301}',
        "seed-json-background": b'{"dpi": 300, "background": [1, 2, 256]}',
        "seed-json-page": b'{"dpi": 300, "page_mm": {"width": 0, "height": 5}}',
        "seed-json-exposure": b'{"dpi": 300, "exposure_us": {"white": -1}}',
        "seed-json-vendor-name": b'{"dpi": 300, "illuminations": {"Bad-Name": {}}}',
        "seed-json-vendor-band": (b'{"dpi": 300, "illuminations": {"acme": {"band_nm": [500, 400],'
                                  b' "geometry": "oblique"}}}'),
        "seed-json-vendor-geometry": (b'{"dpi": 300, "illuminations": {"acme": {"band_nm": [1, 2],'
                                      b' "geometry": "sideways"}}}'),
        "seed-json-vendor-standard": (b'{"dpi": 300, "illuminations": {"white": {"band_nm": [1, 2],'
                                      b' "geometry": "oblique"}}}'),
        "seed-json-deep": b'{"dpi": 300, "x": ' + b"[" * 2000 + b"]" * 2000 + b"}",
        "seed-json-too-deep": b'{"dpi": 300, "x": ' + b"[" * 2100 + b"]" * 2100 + b"}",
        "seed-json-nul": b'{"dpi": 300, "name": "a\\u0000b"}',
        "seed-json-utf8": b'{"dpi": 300, "name": "\xff\xfe"}',
    }
    for name, text in bad_json.items():
        seeds[name] = scene_input(F_VENDOR, text, g8)
    seeds["seed-short"] = b"{}"
    return seeds


# ---- fuzz_settings ------------------------------------------------------------

# Option table of fuzz_settings.c, by index: flag count signed wide ratio angle any
# label colour single nochoice bogus
def settings_seeds():
    items = [
        (0, "true"), (0, "OFF"), (0, "maybe"),
        (1, "42"), (1, "0x10"), (1, "1000001"), (1, " 7"),
        (2, "-5"), (2, "-6"),
        (3, "-9223372036854775808"), (3, "9223372036854775808"), (3, "0777"),
        (4, "99.5"), (4, "1e3"), (4, "nan"),
        (5, "-180"), (5, "0x1p3"), (5, "inf"),
        (6, "1e308"), (6, "-1.7e308"),
        (7, "x" * 255), (7, "y" * 256),
        (8, "blue"), (8, ""), (8, "purple"),
        (9, "only"), (10, "anything"), (11, "1"),
        # log level specs (DOCEX_DEBUG) and host settings (DOCEX_SET)
        (0, "loader:debug,sim:trace,*:info"), (0, " 4 , capture:0,"), (0, "x" * 31 + ":1"),
        (0, "x" * 32 + ":1"), (0, ",".join("c%d:2" % i for i in range(17))), (0, ":debug"),
        (0, "sim.scene=/tmp;docex.datadir=x;a=b=c"), (0, "=x"), (0, ";;k=;"),
        (0, "noequals"),
        # device settings (dx_device_set_options on sim:0)
        (0, "delay_ms=0,noise=2.5,seed=7,fail_status=timeout"),
        (0, "rotation_deg=181"), (0, "unknown=1"), (0, " , ,busy=false,=1"),
        (0, "fail_status=nope"), (0, "shift_x_mm=-100,shift_y_mm=100,cover_open=yes"),
    ]
    seeds = {}
    for i, (index, text) in enumerate(items):
        seeds["seed-%02d" % i] = bytes([index]) + text.encode()
    seeds["seed-empty"] = b""
    seeds["seed-selector-only"] = b"\x05"
    return seeds


# ---- reference cache files (fuzz_refcache.c) -----------------------------------

REFCACHE_KEY = b"fuzz-0000-1x1@fuzz"
REFCACHE_HEADER = 65536


def refcache_file(w, h, ch, dpi=300.0, x=0.0, y=0.0, outside=0, key=REFCACHE_KEY, magic=b"DXREFPG2",
                  order=0x01020304, samples=None):
    """A cache file as refcache.c writes it on x86-64 (little-endian, the
    header struct's natural alignment): header, zeros to 64 KiB, floats."""
    head = struct.pack("<8sIIIIdddQ256s", magic, order, w, h, ch, dpi, x, y, outside, key)
    if samples is None:
        samples = w * h * ch
    body = b"".join(struct.pack("<f", (i * 37 % 256) * 1.0) for i in range(samples))
    return head + b"\0" * (REFCACHE_HEADER - len(head)) + body


def refcache_seeds():
    whole = refcache_file(3, 2, 3)
    return {
        "seed-grey-1x1": refcache_file(1, 1, 1),
        "seed-rgb-3x2": whole,
        "seed-cut-short": whole[:-4],
        "seed-other-key": refcache_file(1, 1, 1, key=b"another-key"),
        "seed-two-channels": refcache_file(2, 2, 2),
        "seed-outside-too-many": refcache_file(2, 2, 1, outside=5),
        "seed-header-says-more": refcache_file(64, 64, 3, samples=1),
    }


def write(corpus, name, seeds):
    d = os.path.join(corpus, name)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if old.startswith("seed-") and old not in seeds:
            os.unlink(os.path.join(d, old))
    for fname, data in sorted(seeds.items()):
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    write(corpus, "sim_scene", sim_scene_seeds())
    write(corpus, "settings", settings_seeds())
    write(corpus, "refcache", refcache_seeds())


if __name__ == "__main__":
    main()
