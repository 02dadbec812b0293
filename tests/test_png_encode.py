"""core/png_encode.py: the strip-parallel PNG encoder gives back exactly the pixels, with
the Paeth filter of the PNG specification and one valid zlib stream."""
from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image

from core import codec, png_encode
from core.engine import Engine


def noisy(mode: str, size=(157, 93)) -> Image.Image:
    # Deterministic content with edges, gradients and noise (every Paeth branch is taken).
    W, H = size
    rng = random.Random(7)
    raw = bytes((x * 7 + y * 13 + (x * y) % 29 + (x ^ y) * 3 + rng.randrange(9)) % 256
                for y in range(H) for x in range(W) for _ in range(len(mode)))
    return Image.frombytes(mode, size, raw)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        data = png[pos + 8:pos + 8 + length]
        assert struct.unpack_from(">I", png, pos + 8 + length)[0] == \
            zlib.crc32(data, zlib.crc32(kind))
        out.append((kind, data))
        pos += 12 + length
    return out


def paeth_reference(a: int, b: int, c: int) -> int:
    # PNG specification, 9.4 (filter type 4)
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


@pytest.fixture(params=["zlib", "zlib-ng"])
def deflater(request, monkeypatch):
    if request.param == "zlib":
        monkeypatch.setattr(png_encode, "_deflate", zlib)
    else:
        zlib_ng = pytest.importorskip("zlib_ng.zlib_ng")
        monkeypatch.setattr(png_encode, "_deflate", zlib_ng)
    return request.param


def test_adler32_combine_is_zlibs():
    data = bytes(range(256)) * 300 + b"tail"
    for cut in (0, 1, 255, 65521, len(data) - 1, len(data)):
        a, b = data[:cut], data[cut:]
        assert png_encode.adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == \
            zlib.adler32(data)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("strip_bytes,threads", [(1 << 30, 1), (2000, 1), (2000, 3), (1, 2)])
def test_round_trip_exact(mode, strip_bytes, threads, deflater, monkeypatch):
    monkeypatch.setattr(png_encode, "FILTER_BYTES", 700)  # several filter blocks per strip
    im = noisy(mode)
    data = png_encode.encode(im, strip_bytes=strip_bytes, threads=threads)
    back = Image.open(io.BytesIO(data))
    assert back.format == "PNG" and back.mode == mode and back.size == im.size
    assert back.tobytes() == im.tobytes()


@pytest.mark.parametrize("size", [(1, 1), (1, 40), (40, 1), (2, 2)])
def test_tiny_and_thin_pictures(size):
    im = noisy("RGB", size)
    back = Image.open(io.BytesIO(png_encode.encode(im, strip_bytes=3, threads=2)))
    assert back.tobytes() == im.tobytes()


def test_scanlines_are_paeth_filtered_per_the_spec():
    im = noisy("RGB", (9, 5))
    kinds = chunks(png_encode.encode(im, strip_bytes=30, threads=2))
    assert [k for k, _ in kinds][0] == b"IHDR" and kinds[-1] == (b"IEND", b"")
    W, H, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", kinds[0][1])
    assert (W, H, depth, colour, comp, filt, interlace) == (9, 5, 8, 2, 0, 0, 0)
    rows = zlib.decompress(b"".join(d for k, d in kinds if k == b"IDAT"))
    raw = im.tobytes()
    n, bpp = 9 * 3, 3
    assert len(rows) == H * (n + 1)
    for y in range(H):
        line = rows[y * (n + 1):(y + 1) * (n + 1)]
        assert line[0] == 4
        for i in range(n):
            x = raw[y * n + i]
            a = raw[y * n + i - bpp] if i >= bpp else 0
            b = raw[(y - 1) * n + i] if y else 0
            c = raw[(y - 1) * n + i - bpp] if y and i >= bpp else 0
            assert line[1 + i] == (x - paeth_reference(a, b, c)) % 256


def test_icc_profile_is_kept():
    icc = bytes(range(200)) * 3
    back = Image.open(io.BytesIO(png_encode.encode(noisy("RGBA"), icc, threads=1)))
    assert back.info.get("icc_profile") == icc


def test_size_close_to_pillows_adaptive_filters():
    # Pillow picks a filter per row; Paeth for every row costs well under 1% on a photo.
    from PIL import ImageFilter

    from tests.helpers import EXAMPLE

    im = Image.open(EXAMPLE).convert("RGB").filter(ImageFilter.DETAIL)
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=codec.PNG_LEVEL, compress_type=codec.PNG_STRATEGY)
    ours = len(png_encode.encode(im, strip_bytes=20_000, threads=2))
    assert abs(ours - len(buf.getvalue())) <= 0.01 * len(buf.getvalue())


def test_engine_takes_it_for_large_pictures_only(monkeypatch):
    calls = []
    real = png_encode.encode
    monkeypatch.setattr(png_encode, "encode", lambda im, *a, **k: calls.append(im.size) or
                        real(im, *a, **k))
    from tests.helpers import EXAMPLE

    engine = Engine(cache_entries=0)
    small = engine.process(EXAMPLE, "image/format,png").data
    assert calls == []  # 400x267 keeps Pillow's encoder (and OSS's size, test_oss_file_sizes)
    monkeypatch.setattr(png_encode, "MIN_PIXELS", 100 * 100)
    big = engine.process(EXAMPLE, "image/format,png").data
    assert calls == [(400, 267)]
    assert Image.open(io.BytesIO(big)).tobytes() == Image.open(io.BytesIO(small)).tobytes()


def test_without_threads_it_encodes_on_one_core(monkeypatch):
    def no_thread(*args, **kwargs):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(png_encode, "ThreadPoolExecutor", no_thread)
    im = noisy("RGBA")
    data = png_encode.encode(im, strip_bytes=2000, threads=4)
    assert Image.open(io.BytesIO(data)).tobytes() == im.tobytes()
