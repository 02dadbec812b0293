"""Watermark opacity and the text shadow, value by value (docs/COMPATIBILITY.md, "Shadow
geometry": a *black* copy of the text at ``shadow``% opacity; ``t`` scales the whole block's
alpha by ``t``%, rounded half up). The expected values are computed here from those
definitions, with exact fractions, not read from the renderer."""
from __future__ import annotations

from fractions import Fraction
import math

import pytest
from PIL import Image

from core.ops.watermark import render_text, scale_alpha, with_opacity
from tests.watermark_env import b64, changed_box, picture, run


def _half_up(v: int, percent: int) -> int:
    return math.floor(Fraction(v * percent, 100) + Fraction(1, 2))


def _ramp() -> Image.Image:
    """A 256 x 1 RGBA layer whose alpha runs 0..255, its colour (10, 200, 30)."""
    layer = Image.new("RGBA", (256, 1), (10, 200, 30, 0))
    layer.putalpha(Image.frombytes("L", (256, 1), bytes(range(256))))
    return layer


@pytest.mark.parametrize("percent", [0, 1, 29, 30, 50, 51, 99])
def test_opacity_scales_every_alpha_value_rounded_half_up(percent):
    out = with_opacity(_ramp(), percent)
    assert list(out.getchannel("A").get_flattened_data()) == [_half_up(v, percent) for v in range(256)]
    # the colour is kept, only the alpha changes
    assert {px[:3] for px in out.get_flattened_data()} == {(10, 200, 30)}


def test_opacity_100_and_shadow_100_keep_the_layer_as_it_is():
    layer = _ramp()
    assert with_opacity(layer, 100) is layer
    alpha = layer.getchannel("A")
    assert scale_alpha(alpha, 100) is alpha


def test_opacity_does_not_write_into_the_layer_it_was_given():
    layer = _ramp()
    with_opacity(layer, 40)
    assert list(layer.getchannel("A").get_flattened_data()) == list(range(256))


@pytest.mark.parametrize("percent", [1, 33, 50, 67])
def test_scale_alpha_rounds_half_up(percent):
    alpha = Image.frombytes("L", (256, 1), bytes(range(256)))
    assert list(scale_alpha(alpha, percent).get_flattened_data()) == [_half_up(v, percent)
                                                            for v in range(256)]


def test_the_shadow_is_black_at_full_opacity():
    """White text with shadow_100 on white: what changes is the shadow alone, black where
    it is solid, grey (R = G = B) at its anti-aliased edge."""
    src = picture(240, 120)
    out = run(f"text_{b64('一二')},color_FFFFFF,size_80,shadow_100,g_nw,x_0,y_0", src).image
    box = changed_box(src.image, out)
    assert box is not None
    colours = set(out.crop(box).get_flattened_data()) - {(255, 255, 255)}
    assert (0, 0, 0) in colours
    assert all(r == g == b for r, g, b in colours)


@pytest.mark.parametrize("shadow", [50, 100])
def test_the_shadow_layer_is_black_with_the_shadow_opacity(shadow):
    """In the rendered layer, the shadow's solid pixels that the text does not cover are
    (0, 0, 0) with alpha shadow% of 255."""
    layer = render_text("一", size=80, color="FFFFFF", shadow=shadow)
    solid = [px for px in layer.get_flattened_data() if px[:3] == (0, 0, 0) and px[3] > 0]
    assert solid, "no uncovered shadow pixel"
    assert max(px[3] for px in solid) == _half_up(255, shadow)
    # every pixel is the black shadow, the white text, or a blend of white over black
    assert all(r == g == b for r, g, b, a in layer.get_flattened_data() if a)
