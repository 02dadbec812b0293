"""``limit_1`` on a resize that would enlarge only one side, and the memory rule of
``rounded-corners`` on an odd-sided picture (docs/COMPATIBILITY.md):

* "limit_1 trigger: whenever the scaled image would be larger than the source on *either*
  side, the step returns the source unchanged (for every mode)";
* memory budget: rounded-corners holds "5 bytes a pixel (6 on RGBA: the mask and the RGBA
  result) plus one 4x4 corner", the radius "capped to half the shorter side" -- a whole
  number of pixels, so 30 on a 101 x 61 picture, not 30.5."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core.engine import Engine
from core.errors import OssError


def _png(size, mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (20, 120, 220, 255)[:len(mode)]).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("process", ["image/resize,m_fixed,w_200,h_50",
                                     "image/resize,m_fixed,w_50,h_200",
                                     "image/resize,m_fixed,w_101,h_10"])
def test_limit_1_keeps_the_source_when_only_one_side_would_grow(process):
    result = Engine(cache_entries=0).process(_png((100, 100)), process + "/format,png")
    assert (result.width, result.height) == (100, 100)


@pytest.mark.parametrize("process, size", [("image/resize,m_fixed,w_200,h_50,limit_0", (200, 50)),
                                           ("image/resize,m_fixed,w_50,h_20", (50, 20))])
def test_without_limit_or_without_growth_the_fixed_size_is_made(process, size):
    result = Engine(cache_entries=0).process(_png((100, 100)), process + "/format,png")
    assert (result.width, result.height) == size


@pytest.mark.parametrize("mode, per_pixel", [("RGB", 5), ("RGBA", 6)])
def test_rounded_corners_budget_on_an_odd_sided_picture(mode, per_pixel):
    W, H = 101, 61
    r = H // 2                                      # r_4096 capped to 30
    held = W * H * 4                                # the input: 4 bytes a pixel (RGB, RGBA)
    need = held + W * H * per_pixel + (4 * r) ** 2 + r * r
    data = _png((W, H), mode)
    out = Engine(cache_entries=0, decode_budget=need).process(
        data, "image/rounded-corners,r_4096/format,png")
    assert (out.width, out.height) == (W, H)
    with pytest.raises(OssError) as info:
        Engine(cache_entries=0, decode_budget=need - 1).process(
            data, "image/rounded-corners,r_4096/format,png")
    assert (info.value.code, info.value.ec, info.value.action) == (
        "ImageTooLarge", "0040-00000012", "rounded-corners")


# docs/COMPATIBILITY.md, memory budget, for the other geometry steps: "crop its box",
# "circle 26 bytes a masked pixel (its anti-aliasing mask is drawn at 4x4 over the
# circle's square)", "one copy for every other action, e.g. watermark" -- each on top of
# the step's input (4 bytes a pixel for RGB). Each step here needs more than the decode
# (the picture plus a 3 KB frame object), so the step is what the budget refuses.
W, H = 90, 70
HELD = W * H * 4


@pytest.mark.parametrize("process, working", [
    ("image/crop,w_60,h_40,g_center", 60 * 40 * 4),
    ("image/crop,x_40,y_30", 50 * 40 * 4),                   # to the edge: a 50 x 40 box
    ("image/circle,r_10", 21 * 21 * 26),                     # a (2r+1) square
    ("image/circle,r_100", 69 * 69 * 26),                    # capped: 2r+1 <= 70 -> r 34
    ("image/indexcrop,x_40,i_1", HELD),                      # one copy
    (f"image/watermark,text_{'SGk'}", HELD),                 # one copy
])
def test_a_geometry_step_must_fit_with_its_input_and_what_it_allocates(process, working):
    data = _png((W, H))
    need = HELD + working
    out = Engine(cache_entries=0, decode_budget=need).process(data, process + "/format,png")
    assert out.width <= W and out.height <= H
    with pytest.raises(OssError) as info:
        Engine(cache_entries=0, decode_budget=need - 1).process(data, process + "/format,png")
    assert (info.value.code, info.value.ec, info.value.step) == (
        "ImageTooLarge", "0040-00000012", 0)
