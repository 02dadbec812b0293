"""Crafted hostile sources, built at test time (no binaries in the repository).

Each builder returns the bytes of a small file that claims something expensive: a huge
canvas, a 16-bit sample depth, hundreds of thousands of frames, delays a GIF cannot hold,
metadata after the pixels. ``HOSTILE`` names them for parametrised tests and for
bench/bench_hostile.py, which measures the peak RSS each one costs.
"""
from __future__ import annotations

import base64
import io
import struct
import zlib

# The reproducer: two 1x1 frames of 4000 s each (more than a GIF delay can say).
LONG_DELAY_GIF = base64.b64decode(
    "R0lGODlhAQABAPAAAAAAAP///yH/C05FVFNDQVBFMi4wAwEAAAAh+QQAQJwAACwAAAAAAQABAAACAkQBACH5"
    "BABAnAAALAAAAAABAAEAAAICRAEAOw==")


def _gif_header(width: int, height: int) -> bytes:
    # GIF89a, logical screen, global colour table of 2 entries (black, white).
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF0, 0, 0)
            + b"\x00\x00\x00\xff\xff\xff")


_NETSCAPE_LOOP = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
# One 1x1 image at (0, 0): LZW min code size 2, data "44 01" encodes one black pixel.
_ONE_PIXEL = b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"


def _gce(delay_cs: int) -> bytes:
    return b"\x21\xf9\x04\x04" + struct.pack("<H", delay_cs) + b"\x00\x00"


def many_frames_gif(frames: int = 200_000, delay_cs: int = 2) -> bytes:
    """``frames`` one-pixel frames (the issue's 4.6 MB GIF has 200,000)."""
    body = (_gce(delay_cs) + _ONE_PIXEL) * frames
    return _gif_header(1, 1) + _NETSCAPE_LOOP + body + b"\x3b"


def huge_screen_gif(width: int = 30_000, height: int = 8_000, frames: int = 1) -> bytes:
    """A logical screen of ``width`` x ``height`` with one-pixel images: ~43 bytes that
    decode to width x height x 4 bytes per frame."""
    body = (_gce(10) + _ONE_PIXEL) * frames
    return _gif_header(width, height) + (_NETSCAPE_LOOP if frames > 1 else b"") + body + b"\x3b"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, *, bit_depth: int = 8, color_type: int = 0,
        extra_before: bytes = b"", extra_after: bytes = b"", row: bytes | None = None) -> bytes:
    """A PNG of identical rows (``row`` without the filter byte; zeros by default),
    compressed as a stream so a 15000 x 15000 picture costs little to build."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    row_bytes = (width * channels * bit_depth + 7) // 8
    line = b"\x00" + (row if row is not None else bytes(row_bytes))
    comp = zlib.compressobj(9)
    parts = []
    block = line * max(1, (1 << 20) // len(line))
    rows_per_block = len(block) // len(line)
    left = height
    while left > 0:
        n = min(rows_per_block, left)
        parts.append(comp.compress(block if n == rows_per_block else line * n))
        left -= n
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + extra_before
            + _png_chunk(b"IDAT", b"".join(parts)) + extra_after + _png_chunk(b"IEND", b""))


def grey16_png(side: int = 15_000) -> bytes:
    """The issue's 16-bit grey PNG: 437 KB that decode to side^2 x 2 bytes (and more)."""
    return png(side, side, bit_depth=16, color_type=0)


def exif_after_pixels_png(width: int = 600, height: int = 400, orientation: int = 6) -> bytes:
    """An RGBA PNG whose eXIf chunk (Orientation) follows the pixel data: Pillow's
    getexif() would have to decode the pixels to find it."""
    tiff = (b"MM\x00\x2a\x00\x00\x00\x08\x00\x01" + struct.pack(">HHIHH", 0x0112, 3, 1,
                                                                 orientation, 0)
            + b"\x00\x00\x00\x00")
    return png(width, height, color_type=6, extra_after=_png_chunk(b"eXIf", tiff),
               row=bytes(range(256)) * (width * 4 // 256) + bytes(width * 4 % 256))


def trns_rgb_png(width: int = 4, height: int = 2, key=(255, 0, 0)) -> bytes:
    """An RGB PNG with a tRNS colour key: pixels of colour ``key`` are transparent.
    Row: key, green, key, green..."""
    px = bytes(key) + b"\x00\xff\x00"
    row = (px * width)[:width * 3]
    trns = _png_chunk(b"tRNS", struct.pack(">HHH", *key))
    return png(width, height, color_type=2, extra_before=trns, row=row)


def trns_grey_png(width: int = 4, height: int = 2, key: int = 0) -> bytes:
    """A grey PNG with a tRNS key: grey ``key`` is transparent (row: key, 200, ...)."""
    row = bytes([key, 200] * width)[:width]
    return png(width, height, color_type=0, row=row,
               extra_before=_png_chunk(b"tRNS", struct.pack(">H", key)))


def lossless_webp(width: int = 16_383, height: int = 15_000) -> bytes:
    """A real lossless WebP of one flat colour: a few KB that decode to width x height x 3
    bytes (the issue's 9.4 KB file is 16383 x 15000; building it takes that memory once,
    so tests use a smaller one against a smaller budget)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, "WEBP", lossless=True,
                                                          method=0)
    return out.getvalue()


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[:max(1, int(len(data) * keep))]


def small_jpeg(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(out, "JPEG")
    return out.getvalue()


# name -> (builder, process string, the OSS code the engine must answer with, or None
# when the file must be processed)
HOSTILE = {
    "long-delay-gif": (lambda: LONG_DELAY_GIF, "image/resize,w_100", None),
    "many-frames-gif": (many_frames_gif, "image/resize,w_100", "ImageTooLarge"),
    "many-frames-to-jpg": (many_frames_gif, "image/format,jpg", None),
    "huge-screen-gif": (huge_screen_gif, "image/resize,w_100", "ImageTooLarge"),
    "huge-screen-anim": (lambda: huge_screen_gif(4000, 4000, 40), "image/resize,w_100",
                         "ImageTooLarge"),
    "grey16-png": (grey16_png, "image/resize,w_100", "ImageTooLarge"),
    "lossless-webp": (lossless_webp, "image/resize,w_100", "ImageTooLarge"),
    "exif-after-idat-info": (exif_after_pixels_png, "image/info", None),
    "truncated-png": (lambda: truncated(exif_after_pixels_png()), "image/resize,w_10",
                      "BadRequest"),
}
