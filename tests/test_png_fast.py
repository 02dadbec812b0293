"""core/png_fast.py: libspng decodes exactly Pillow's pixels, and only where it may."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from core import codec, png_fast

pytestmark = pytest.mark.skipif(not png_fast.available(), reason="pyspng not installed")


def noisy(mode: str, size=(157, 93)) -> Image.Image:
    # Deterministic content that exercises every PNG row filter (edges, gradients, noise).
    W, H = size
    raw = bytes((x * 7 + y * 13 + (x * y) % 29 + (x ^ y) * 3) % 256
                for y in range(H) for x in range(W) for _ in range(len(mode)))
    return Image.frombytes(mode, size, raw)


def png(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", **kw)
    return buf.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("kw", [{}, {"compress_level": 1}, {"compress_level": 9}])
def test_same_pixels_as_pillow(mode, kw):
    data = png(noisy(mode), **kw)
    fast = png_fast.decode(data, Image.open(io.BytesIO(data)), 0)
    assert fast is not None and fast.mode == mode and fast.size == (157, 93)
    assert fast.tobytes() == Image.open(io.BytesIO(data)).tobytes()


@pytest.fixture
def any_size(monkeypatch):
    monkeypatch.setattr(png_fast, "MIN_PIXELS", 0)


def test_small_images_stay_with_pillow():
    data = png(noisy("RGBA"))
    assert png_fast.decode(data, Image.open(io.BytesIO(data))) is None  # below MIN_PIXELS
    assert not codec.decode(data).image.readonly


def test_engine_decode_takes_it_and_keeps_info(any_size):
    icc = b"not really a profile but carried as bytes"
    data = png(noisy("RGBA"), icc_profile=icc, dpi=(72, 72))
    pic = codec.decode(data)
    assert pic.image.readonly  # libspng's buffer, shared
    assert pic.image.tobytes() == Image.open(io.BytesIO(data)).tobytes()
    assert pic.icc_profile == icc
    # Read-only shared buffer: an in-place edit copies first, the decoded buffer survives.
    frame = pic.image
    frame.paste((1, 2, 3, 4), (0, 0, 10, 10))
    assert frame.getpixel((0, 0)) == (1, 2, 3, 4) and not frame.readonly
    # The encoder reads the shared pixels: a PNG out of it holds the same pixels.
    out = codec.encode(pic)[0]
    assert Image.open(io.BytesIO(out)).tobytes() == frame.tobytes()


@pytest.mark.parametrize("make", [
    lambda: png(noisy("L")),                                       # grey: Pillow's "L"
    lambda: png(noisy("RGB").quantize(16)),                        # palette
    lambda: png(noisy("RGB"), transparency=(0, 0, 0)),             # tRNS colour key
    lambda: png(noisy("LA").convert("LA")),                        # grey + alpha
    lambda: png(Image.new("I;16", (20, 10), 40000)),               # 16-bit grey
])
def test_other_kinds_go_to_pillow(make):
    data = make()
    assert png_fast.decode(data, Image.open(io.BytesIO(data)), 0) is None


def _with_chunk_after_idat(data: bytes, tag: bytes, body: bytes) -> bytes:
    end = data.rindex(b"IEND") - 4
    chunk = struct.pack(">I", len(body)) + tag + body
    chunk += struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
    return data[:end] + chunk + data[end:]


def test_exif_after_the_pixels_stays_with_pillow(any_size):
    # An eXIf chunk after IDAT is only seen by Pillow's load: Orientation 6 must still turn.
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _with_chunk_after_idat(png(noisy("RGB")), b"eXIf", exif.tobytes())
    assert png_fast.decode(data, Image.open(io.BytesIO(data)), 0) is None
    assert codec.decode(data).size == (93, 157)


def test_corrupt_pixels_fall_back_to_pillow_errors(any_size):
    data = bytearray(png(noisy("RGBA")))
    at = data.index(b"IDAT") + 40
    data[at:at + 30] = b"\xff" * 30
    assert png_fast.decode(bytes(data), Image.open(io.BytesIO(bytes(data))), 0) is None
    with pytest.raises(Exception) as err:
        codec.decode(bytes(data))
    assert type(err.value).__name__ == "OssError"
