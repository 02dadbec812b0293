"""Geometry rules the fresh seed-2911 mutation sample found unpinned, with the spec's figures:
the 16384-pixel limit on each side (spec section 2, "Output: each side <= 16,384", EC
0040-00000007), ``resize,s_`` on a portrait image (the short side is the width), and a
rotation that keeps a one-pixel side."""
from __future__ import annotations

import pytest

from core.geometry import MAX_OUTPUT_SIDE, check_output_size, resize_plan, rotated_size


@pytest.mark.parametrize("size", [(1, MAX_OUTPUT_SIDE), (MAX_OUTPUT_SIDE, 1)])
def test_a_side_of_exactly_16384_is_allowed(size):
    assert MAX_OUTPUT_SIDE == 16384
    assert check_output_size(*size) is None


@pytest.mark.parametrize("size", [(1, MAX_OUTPUT_SIDE + 1), (MAX_OUTPUT_SIDE + 1, 1)])
def test_a_side_of_16385_is_refused(size):
    assert "16384" in check_output_size(*size)


@pytest.mark.parametrize("W,H,expected", [(200, 400, (100, 200)),   # portrait: w = s
                                          (400, 200, (200, 100)),   # landscape: h = s
                                          (300, 300, (100, 100))])
def test_resize_s_scales_the_short_side(W, H, expected):
    plan = resize_plan(W, H, s=100)
    assert plan.scaled == plan.canvas == expected


@pytest.mark.parametrize("degrees", [0, 180, 360])
def test_a_one_pixel_tall_image_stays_one_pixel_tall_when_turned_half_way(degrees):
    assert rotated_size(7, 1, degrees) == (7, 1)
    assert rotated_size(1, 7, degrees) == (1, 7)
