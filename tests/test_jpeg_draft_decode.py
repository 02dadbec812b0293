"""A JPEG whose cascade starts by shrinking is decoded DCT-reduced (1/2, 1/4 or 1/8: the
largest that still keeps the target size, like libvips' shrink-on-load); the output size
must be exactly what spec 2.3 gives for the full source -- on odd sizes too, where a
decoder asked for the wrong draft size picks a different scale than the one checked."""
from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from core.cascade import parse
from core.engine import Engine, Source
from tests.helpers import with_orientation


def _jpeg(W: int, H: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (W, H), (20, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _half_up(v: float) -> int:
    return math.floor(v + 0.5)


@pytest.mark.parametrize("W,H,w", [(202, 133, 25), (202, 199, 50), (204, 133, 25),
                                   (401, 301, 100), (1601, 1067, 100), (803, 77, 19),
                                   (400, 267, 100), (161, 101, 19)])
def test_lfit_width_on_an_odd_jpeg_rounds_the_height_half_up(W, H, w):
    """Spec 2.2/2.3: only w given, lfit: h = H * w / W rounded half-up. (202x133, w_25:
    16.46 -> 16; the 1/4 draft decoded at 1/2 made it 25x17.)"""
    result = Engine().process(_jpeg(W, H), f"image/resize,w_{w}")
    assert (result.width, result.height) == (w, _half_up(H * w / W))


@pytest.mark.parametrize("W,H,process,scale", [
    (1601, 1067, "image/resize,w_100", 8),   # ceil(1601/8) = 201 >= 100, 134 >= 67
    (1601, 1067, "image/resize,w_300", 4),   # 1/8 would give 201 < 300
    (1601, 1067, "image/resize,w_700", 2),
    (803, 611, "image/resize,h_100", 4),     # w = 131.4 -> 131; 1/8: 101 < 131
])
def test_the_decode_is_reduced_by_the_largest_dct_scale_that_keeps_the_target(
        W, H, process, scale):
    engine = Engine()
    steps = parse(process).steps
    pic, _ = engine.run(Source.of(_jpeg(W, H)), steps, engine.context(), upto=0)
    assert pic.size == (-(-W // scale), -(-H // scale))
    result = engine.process(_jpeg(W, H), process)
    if steps[0].w:
        assert (result.width, result.height) == (steps[0].w, _half_up(H * steps[0].w / W))
    else:
        assert (result.width, result.height) == (_half_up(W * steps[0].h / H), steps[0].h)


def test_an_exif_rotated_jpeg_is_reduced_in_its_upright_orientation():
    """Orientation 6 (rotate 90 CW): stored 1601x1067 is shown 1067x1601; w_100 gives
    h = 1601 * 100 / 1067 = 150.05 -> 150, and the decode is 1/8 of the upright size."""
    data = with_orientation(Image.new("RGB", (1601, 1067), (200, 40, 40)), 6)
    engine = Engine()
    pic, _ = engine.run(Source.of(data), parse("image/resize,w_100").steps,
                        engine.context(), upto=0)
    assert pic.size == (134, 201)
    result = engine.process(data, "image/resize,w_100")
    assert (result.width, result.height) == (100, 150)


def test_a_source_smaller_than_the_scale_on_one_side_is_decoded_whole():
    """A 5 px high strip cannot be cut to 1/8 of its height by the decoder's rule; it is
    decoded at full size and resized like any other (h = 5 * 10 / 900 = 0.06 -> 1 px)."""
    engine = Engine()
    data = _jpeg(900, 5)
    pic, _ = engine.run(Source.of(data), parse("image/resize,w_10").steps,
                        engine.context(), upto=0)
    assert pic.size == (900, 5)
    result = engine.process(data, "image/resize,w_10")
    assert (result.width, result.height) == (10, 1)


def test_a_side_of_exactly_the_scale_is_still_reduced():
    """The other side of the limit above: 1600x8, w_100 (h = 0.5 -> 1) decodes at 1/8,
    200x1 -- the decoder can cut 8 rows to one."""
    engine = Engine()
    data = _jpeg(1600, 8)
    pic, _ = engine.run(Source.of(data), parse("image/resize,w_100").steps,
                        engine.context(), upto=0)
    assert pic.size == (200, 1)
    result = engine.process(data, "image/resize,w_100")
    assert (result.width, result.height) == (100, 1)


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_every_side_swapping_orientation_plans_the_draft_on_the_upright_size(orientation):
    """EXIF orientations 5-8 (transpose, rotate 90 CW, transverse, rotate 270 CW) all swap
    width and height. Stored 1600x400 is shown 400x1600; w_100 gives 100x400 (spec 2.3),
    so the decode may only be cut to 1/4 (400/4 = 100): 1/8 of the stored size (200x50,
    upright 50x200) would be enlarged back to 100x400."""
    data = with_orientation(Image.new("RGB", (1600, 400), (200, 40, 40)), orientation)
    engine = Engine()
    pic, _ = engine.run(Source.of(data), parse("image/resize,w_100").steps,
                        engine.context(), upto=0)
    assert pic.size == (100, 400)
    result = engine.process(data, "image/resize,w_100")
    assert (result.width, result.height) == (100, 400)
