"""Geometry the cascade relies on, pinned from plane geometry and the spec: the bounding
box of a rotated image for any angle (core.geometry.rotated_size), the visible part of a
watermark layer partly off the canvas (core.ops.watermark_layout.clip_box), a rotation by
an angle that is not a multiple of 90 smooths its edges, and an animated GIF narrowed at
its own height stays an animation (spec 5 / 23: resize by w/h keeps animation, shrink only)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core.engine import Engine
from core.geometry import rotated_size
from core.ops.watermark_layout import clip_box


@pytest.mark.parametrize("degrees", [-90, 270, 450, -270, 90])
def test_a_quarter_turn_either_way_swaps_the_sides(degrees):
    assert rotated_size(100, 50, degrees) == (50, 100)


@pytest.mark.parametrize("degrees", [0, 360, 720, -360, 180, -180, 540])
def test_a_half_or_whole_turn_keeps_the_sides(degrees):
    assert rotated_size(100, 50, degrees) == (100, 50)


def test_an_eighth_turn_backwards_has_the_same_box_as_forwards():
    # 300x200 at 45 degrees: (300+200)/sqrt(2) = 353.55 -> 354 each side (spec 7's example)
    assert rotated_size(300, 200, 45) == (354, 354)
    assert rotated_size(300, 200, -45) == (354, 354)
    assert rotated_size(300, 200, 315) == (354, 354)


@pytest.mark.parametrize("W, H, w, h, x, y, expected", [
    # fully inside: the whole layer, at (x, y)
    (100, 80, 10, 10, 5, 7, ((5, 7), (0, 0, 10, 10))),
    # past the right and bottom edges: the layer's top-left 6x4
    (100, 80, 10, 10, 94, 76, ((94, 76), (0, 0, 6, 4))),
    # past the left and top edges: the layer's bottom-right 7x8, at the corner
    (100, 80, 10, 10, -3, -2, ((0, 0), (3, 2, 10, 10))),
    # wider than the canvas on both sides
    (20, 20, 40, 5, -10, 3, ((0, 3), (10, 0, 30, 5))),
])
def test_the_visible_part_of_a_layer(W, H, w, h, x, y, expected):
    assert clip_box(W, H, w, h, x, y) == expected


@pytest.mark.parametrize("x, y", [(100, 0), (0, 80), (-10, 0), (0, -10), (150, 150)])
def test_a_layer_off_the_canvas_is_not_drawn(x, y):
    assert clip_box(100, 80, 10, 10, x, y) is None


def _png(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def test_an_oblique_rotation_smooths_its_edges():
    """A black square on white turned by 30 degrees: the slanted edges are blended (grey
    levels between black and white), not a staircase of pure black and white pixels."""
    im = Image.new("L", (60, 60), 255)
    im.paste(0, (15, 15, 45, 45))
    result = Engine(cache_entries=0).process(_png(im), "image/rotate,30/format,png")
    with Image.open(io.BytesIO(result.data)) as out:
        rgba = out.convert("RGBA")
    data = rgba.tobytes()
    opaque_reds = [r for r, a in zip(data[0::4], data[3::4]) if a == 255]
    greys = {r for r in opaque_reds if 20 < r < 235}
    assert len(greys) >= 20


def _gif(size, frames: int = 3) -> bytes:
    ims = [Image.new("RGB", size, (60 * i % 256, 120, 40)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=60, loop=0)
    return out.getvalue()


@pytest.mark.parametrize("process, size", [
    ("image/resize,m_fixed,w_20,h_30", (20, 30)),
    ("image/resize,m_fixed,w_40,h_15", (40, 15)),
])
def test_an_animation_narrowed_at_its_own_height_is_resized_and_stays_animated(process, size):
    result = Engine(cache_entries=0).process(_gif((40, 30)), process)
    with Image.open(io.BytesIO(result.data)) as im:
        assert (im.format, im.size, im.n_frames) == ("GIF", size, 3)
