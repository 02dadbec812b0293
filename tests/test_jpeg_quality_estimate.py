"""core.inspect.estimate_jpeg_quality: the IJG quality a JPEG's quantization tables were
written with (what the engine needs for relative quality, ``quality,q_``/``Q_``).

Expected values come from libjpeg's own scaling of the standard tables (_ijg_table is the
IJG formula, checked against Pillow's encoder, which is libjpeg) and from Pillow encodes at
a known quality.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from core.inspect import estimate_jpeg_quality
from core.jpeg_quality import _STD_CHROMA, _STD_LUMA, _ZIGZAG, _ijg_table

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "example.jpg"


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("quality", [10, 50, 75, 90, 95, 100])
def test_quality_estimate_exact_for_pillow_encodes(quality):
    src = Image.radial_gradient("L").convert("RGB").resize((64, 64))
    with Image.open(io.BytesIO(_save(src, "JPEG", quality=quality))) as im:
        assert estimate_jpeg_quality(im.quantization) == quality


def test_quality_estimate_every_ijg_quality_both_orders():
    for q in range(1, 101):
        tables = {0: list(_ijg_table(_STD_LUMA, q)), 1: list(_ijg_table(_STD_CHROMA, q))}
        assert estimate_jpeg_quality(tables) == q
        zigzag = {k: [t[i] for i in _ZIGZAG] for k, t in tables.items()}
        assert estimate_jpeg_quality(zigzag) == q


def test_quality_estimate_grayscale_and_bad_input():
    with Image.open(io.BytesIO(_save(Image.new("L", (16, 16)), "JPEG", quality=33))) as im:
        assert estimate_jpeg_quality(im.quantization) == 33
    assert estimate_jpeg_quality({}) is None
    assert estimate_jpeg_quality(None) is None
    assert estimate_jpeg_quality({0: [1, 2, 3]}) is None


def test_quality_estimate_example_jpg_is_an_ijg_table():
    with Image.open(EXAMPLE) as im:
        q = estimate_jpeg_quality(im.quantization)
        print(f"example.jpg estimated IJG quality: {q}")
        # The SDK image was written by libjpeg: its tables are the IJG tables at q.
        assert im.quantization[0] == list(_ijg_table(_STD_LUMA, q))
        assert im.quantization[1] == list(_ijg_table(_STD_CHROMA, q))
