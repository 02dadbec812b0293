"""The strip-wise reduce for images with alpha is Pillow's resize with reducing_gap, byte
for byte, without the full-size premultiplied copy (core/ops/geometry.py)."""
from __future__ import annotations

import random

import pytest
from PIL import Image

from core.ops.geometry import REDUCING_GAP, _resample


@pytest.mark.parametrize("src,dst,mode", [((900, 700), (90, 70), "RGBA"),
                                          ((1001, 777), (97, 50), "RGBA"),
                                          ((640, 1301), (33, 100), "LA"),
                                          ((2000, 37), (100, 5), "RGBA")])
def test_strip_reduce_equals_pillow(src, dst, mode, monkeypatch):
    monkeypatch.setattr("core.ops.geometry._STRIP_BYTES", 64 * 1024)  # many strips
    rnd = random.Random(7)
    im = Image.frombytes(mode, src, rnd.randbytes(src[0] * src[1] * len(mode)))
    ours = _resample(im, dst)
    pillow = im.resize(dst, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    assert ours.mode == mode and ours.tobytes() == pillow.tobytes()
