"""Optional faster PNG decoding with libspng (the ``pyspng-seunglab`` package, extra ``fast``).

Pillow's PNG decoder spends most of a large PNG's time un-filtering rows byte by byte
(12 MP RGBA: ~600 ms, where libspng takes ~350 ms). PNG is lossless, so libspng's pixels
are Pillow's pixels, exactly (tests/test_png_fast.py); only the plain 8-bit RGB and RGBA
colour types take this path, the ones Pillow decodes to "RGB"/"RGBA" with nothing to
interpret (no palette, no tRNS colour key, no 16-bit samples, no animation). Anything
else, a missing package or a libspng error returns None and Pillow decodes as before
(and reports a corrupt file in OSS terms).
"""
from __future__ import annotations

import struct

from PIL import Image

_MODES = {2: "RGB", 6: "RGBA"}  # PNG colour type -> Pillow mode (8-bit samples)
# Below this many pixels Pillow is as quick, and importing pyspng (with numpy, ~17 MB
# resident) would cost a small request more than it saves.
MIN_PIXELS = 1 << 20
# An RGB result cannot share libspng's 3-byte buffer (Pillow keeps RGB as 4 bytes a
# pixel): it is copied, and both are held for a moment. Above this, Pillow decodes alone.
MAX_RGB_PIXELS = 50_000_000
_pyspng = None


def _module():
    """pyspng, imported on first use (None when the extra is not installed)."""
    global _pyspng
    if _pyspng is None:
        try:
            import pyspng
        except (ImportError, OSError):
            pyspng = False
        _pyspng = pyspng
    return _pyspng or None


def available() -> bool:
    return _module() is not None


def _takes(im: Image.Image, min_pixels: int | None = None) -> bool:
    """Whether :func:`decode` hands ``im`` to libspng (before reading its header)."""
    pixels = im.size[0] * im.size[1]
    if pixels < (MIN_PIXELS if min_pixels is None else min_pixels):
        return False
    if getattr(im, "n_frames", 1) != 1 or "transparency" in im.info:
        return False
    return im.mode == "RGBA" or (im.mode == "RGB" and pixels <= MAX_RGB_PIXELS)


def transient_bytes(im: Image.Image) -> int:
    """Bytes libspng's buffer adds while :func:`decode` copies an RGB PNG out of it (0 when
    the buffer is shared, RGBA, or libspng does not take the file)."""
    if im.format != "PNG" or im.mode != "RGB" or not _takes(im) or not available():
        return 0
    return im.size[0] * im.size[1] * 3


def decode(data: bytes, im: Image.Image, min_pixels: int | None = None
           ) -> Image.Image | None:
    """``im`` (Pillow's opened, not yet loaded PNG) decoded by libspng, or None.

    An RGBA result shares the decoded buffer (no copy; Pillow marks it read-only, so an
    in-place edit copies it first); an RGB one is copied into Pillow's 4-byte layout. ``im.info`` (ICC profile, DPI, text) is kept."""
    if not _takes(im, min_pixels):
        return None
    pyspng = _module()
    if pyspng is None:
        return None
    if "exif" not in im.info and _has_chunk(data, b"eXIf"):
        return None  # an eXIf after the pixels: Pillow reads it on load (orientation)
    try:
        head = pyspng.header(data)
        mode = _MODES.get(head["color_type"])
        if head["bit_depth"] != 8 or mode != im.mode or \
                (head["width"], head["height"]) != im.size:
            return None
        arr = pyspng.load(data, format=mode)
    except Exception:  # noqa: BLE001 - any libspng failure: Pillow decodes and reports
        return None
    if arr.shape != (im.size[1], im.size[0], len(mode)) or arr.dtype.itemsize != 1:
        return None
    out = Image.frombuffer(mode, im.size, arr, "raw", mode, 0, 1)
    out.info = dict(im.info)
    return out


def _has_chunk(data: bytes, kind: bytes) -> bool:
    """Whether a chunk of type ``kind`` occurs anywhere (walks the 8-byte chunk headers)."""
    pos = 8
    while pos + 8 <= len(data):
        length, tag = struct.unpack_from(">I4s", data, pos)
        if tag == kind:
            return True
        if tag == b"IEND":
            return False
        pos += 12 + length
    return False
