"""Pure geometry helpers against the documentation's formulas and examples."""
from __future__ import annotations

import pytest

from core.geometry import circle_radius, crop_box, index_slice, resize_plan, round_div


def test_round_half_up():
    assert [round_div(n, 4) for n in (1, 2, 3, 5, 6)] == [0, 1, 1, 1, 2]  # .25 .5 .75 1.25 1.5
    assert round_div(26700, 400) == 67  # 66.75


def test_doc_example_legacy_fjpg_rounding():
    # 424x333 to width 100 -> 100x79 (78.5 rounds up); oriented 333x424 -> 100x127.
    assert resize_plan(424, 333, w=100).canvas == (100, 79)
    assert resize_plan(333, 424, w=100).canvas == (100, 127)


@pytest.mark.parametrize("m,scaled,canvas", [
    ("lfit", (150, 75), (150, 75)),
    ("mfit", (160, 80), (160, 80)),
    ("fill", (160, 80), (150, 80)),
    ("pad", (150, 75), (150, 80)),
    ("fixed", (150, 80), (150, 80)),
])
def test_doc_200x100_table(m, scaled, canvas):
    plan = resize_plan(200, 100, m=m, w=150, h=80)
    assert (plan.scaled, plan.canvas) == (scaled, canvas)


def test_fill_crop_and_pad_offsets_are_centred():
    assert resize_plan(200, 100, m="fill", w=150, h=80).crop_box == (5, 0, 155, 80)
    assert resize_plan(200, 100, m="pad", w=150, h=80).pad_offset == (0, 2)


def test_long_and_short_side():
    assert resize_plan(400, 267, l=100).canvas == (100, 67)
    assert resize_plan(400, 267, s=100).canvas == (150, 100)
    assert resize_plan(267, 400, l=100).canvas == (67, 100)
    assert resize_plan(400, 267, w=50, l=300).canvas == (50, 33)  # l ignored when w given


def test_percent_wins_only_without_w_h_and_ignores_limit():
    assert resize_plan(400, 267, p=50).canvas == (200, 134)
    assert resize_plan(400, 267, p=200).canvas == (800, 534)
    assert resize_plan(400, 267, p=50, w=100).canvas == (100, 67)


def test_limit():
    plan = resize_plan(400, 267, w=500)
    assert plan.limited and plan.canvas == (400, 267) and plan.requested_canvas == (500, 334)
    assert resize_plan(400, 267, w=500, limit=0).canvas == (500, 334)


@pytest.mark.parametrize("g,origin", [
    ("nw", (0, 0)), ("north", (100, 0)), ("ne", (200, 0)),
    ("west", (0, 33)), ("center", (100, 33)), ("east", (200, 33)),
    ("sw", (0, 67)), ("south", (100, 67)), ("se", (200, 67)),
])
def test_crop_anchor_formula_table(g, origin):
    # srcW/2 - w/2 etc. for a 400x267 source and a 200x200 box (vectors: g_se -> (200,67)).
    box = crop_box(400, 267, w=200, h=200, x=0, y=0, g=g)
    assert box[:2] == origin
    assert (box[2] - box[0], box[3] - box[1]) == (200, 200)


def test_crop_offsets_and_clamping():
    assert crop_box(400, 267, w=200, h=200, x=10, y=10, g="nw") == (10, 10, 210, 210)
    assert crop_box(400, 267, w=None, h=None, x=100, y=50, g="nw") == (100, 50, 400, 267)
    assert crop_box(400, 267, w=350, h=100, x=100, y=0, g="nw") == (100, 0, 400, 100)
    assert crop_box(400, 267, w=0, h=0, x=0, y=0, g="nw") == (0, 0, 400, 267)
    assert crop_box(400, 267, w=None, h=None, x=400, y=0, g="nw") is None
    assert crop_box(400, 267, w=10, h=10, x=0, y=267, g="nw") is None


def test_index_slices():
    assert index_slice(400, 267, x=100, y=None, i=3) == (300, 0, 400, 267)
    assert index_slice(400, 267, x=150, y=None, i=2) == (300, 0, 400, 267)
    assert index_slice(400, 267, x=100, y=None, i=4) is None
    assert index_slice(400, 267, x=100, y=100, i=1) == (0, 100, 400, 200)  # y wins
    assert index_slice(400, 267, x=500, y=None, i=0) == (0, 0, 400, 267)


def test_circle_radius_cap():
    assert circle_radius(400, 267, 500) == 133
    assert circle_radius(400, 267, 100) == 100
    assert circle_radius(200, 200, 100) == 99
