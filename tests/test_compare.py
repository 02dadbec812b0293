"""core.compare: the pixel-difference figure the remote panel shows."""
from __future__ import annotations

import pytest
from PIL import Image

from core.compare import Comparison, compare
from tests.helpers import decode, encode, quadrants


def test_identical_images():
    im = quadrants(20, 10)
    c = compare(im, im.copy())
    assert c.identical and c.same_size
    assert c.mean_abs == (0.0, 0.0, 0.0, 0.0) and c.max_abs == 0 and c.differing == 0.0
    assert c.summary() == "Pixel-identical."


def test_modes_do_not_matter():
    im = quadrants(20, 10)
    assert compare(im, im.convert("RGBA")).identical
    assert compare(im.convert("P"), im.convert("RGBA")).identical  # 4 colours: exact palette


def test_one_pixel_off():
    a = Image.new("RGB", (10, 10), (100, 100, 100))
    b = a.copy()
    b.putpixel((3, 4), (120, 100, 90))          # R +20, B -10
    c = compare(a, b)
    assert c.max_abs == 20
    assert c.differing == pytest.approx(0.01)    # 1 of 100 pixels
    assert c.mean_abs == pytest.approx((0.2, 0.0, 0.1, 0.0))
    assert "1.00% of pixels differ by > 8 (max 20)" in c.summary()
    assert c.summary().startswith("mean |Δ| R 0.2 G 0.0 B 0.1 A 0.0;")


def test_threshold_is_strict():
    a = Image.new("RGB", (4, 4), (50, 50, 50))
    b = Image.new("RGB", (4, 4), (58, 50, 50))   # exactly 8
    assert compare(a, b).differing == 0.0
    assert compare(a, b, threshold=7).differing == 1.0
    with pytest.raises(ValueError):
        compare(a, b, threshold=300)


def test_hidden_colour_under_transparency_is_ignored_but_opacity_is_not():
    a = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    b = Image.new("RGBA", (4, 4), (0, 255, 0, 0))
    assert compare(a, b).identical
    c = Image.new("RGBA", (4, 4), (255, 0, 0, 128))
    result = compare(a, c)
    assert result.differing == 1.0 and result.mean_abs[3] == pytest.approx(128)


def test_different_sizes():
    c = compare(Image.new("RGB", (10, 5)), Image.new("RGB", (10, 6)))
    assert not c.same_size and c.mean_abs is None and c.differing is None
    assert c.summary() == "Sizes differ: 10×5 vs 10×6."


def test_jpeg_round_trip_is_close_but_not_identical():
    im = quadrants(64, 48)
    jpg = decode(encode(im, "JPEG", quality=90))
    c = compare(im, jpg)
    assert not c.identical
    assert max(c.mean_abs) < 5 and c.differing < 0.2


def test_is_a_value():
    assert compare(quadrants(8, 8), quadrants(8, 8)) == Comparison(
        (8, 8), (8, 8), 8, (0.0, 0.0, 0.0, 0.0), 0, 0.0)
