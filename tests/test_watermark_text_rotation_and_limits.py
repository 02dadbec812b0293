"""A rotated text watermark (docs/COMPATIBILITY.md, watermark ``rotate``: "turns the text
clockwise about its centre; the block grows to the rotated bounding box (bicubic,
premultiplied alpha; 90/180/270 are exact)") and the local limit on the size of a text
layer (``MAX_LAYER_PIXELS``: the error names the parameter that made it too big).

Oracle for the pixels: Pillow run directly -- a bicubic rotation of the premultiplied
layer, which is what the compatibility notes promise -- and two properties any bicubic,
premultiplied rotation has: anti-aliased edges (alpha between 0 and 255) and no dark fringe
(a partly transparent edge pixel keeps the text's colour)."""
from __future__ import annotations

import math

import pytest
from PIL import Image

from core.errors import OssError
from core.ops.watermark import render_text, rotate_clockwise
from core.ops.watermark_layout import MAX_LAYER_PIXELS
from tests.watermark_env import b64, picture, run

RED = (255, 0, 0, 255)


def _bar(size=(41, 13)) -> Image.Image:
    """A red bar with a transparent 3 px margin, as rendered text has around its ink."""
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    layer.paste(RED, (3, 3, size[0] - 3, size[1] - 3))
    return layer


@pytest.mark.parametrize("degrees", [30, 45, 135, 200, 315])
def test_a_rotated_layer_is_pillows_bicubic_rotation_of_the_premultiplied_layer(degrees):
    layer = _bar()
    expected = layer.convert("RGBa").rotate(-degrees, Image.Resampling.BICUBIC,
                                            expand=True).convert("RGBA")
    assert rotate_clockwise(layer, degrees).tobytes() == expected.tobytes()


@pytest.mark.parametrize("degrees", [30, 45, 300])
def test_a_rotated_layer_has_soft_edges_in_the_text_colour(degrees):
    turned = rotate_clockwise(_bar(), degrees)
    w, h = 41, 13
    rad = math.radians(degrees)
    box = (math.ceil(w * abs(math.cos(rad)) + h * abs(math.sin(rad))),
           math.ceil(w * abs(math.sin(rad)) + h * abs(math.cos(rad))))
    # the rotated bounding box (Pillow's expanded canvas may add a transparent pixel)
    assert 0 <= turned.width - box[0] <= 1 and 0 <= turned.height - box[1] <= 1
    alphas = set(turned.getchannel("A").get_flattened_data())
    assert 255 in alphas and 0 in alphas
    assert any(0 < a < 255 for a in alphas)              # anti-aliased, not jagged
    for r, g, b, a in turned.get_flattened_data():
        if a >= 64:                                      # no black fringe at the edge
            assert r >= 250 and g <= 5 and b <= 5


def test_rotated_text_on_the_picture_blends_its_edges():
    src = picture(200, 120)
    out = run(f"text_{b64('一')},color_FF0000,size_60,rotate_30,g_center", src).image
    reds = {px for px in out.get_flattened_data() if px != (255, 255, 255)}
    assert (255, 0, 0) in reds
    # edge pixels: red over white, so R stays 255 and G = B (no dark fringe)
    assert any(p[1] not in (0, 255) for p in reds)
    assert all(p[0] >= 250 and abs(p[1] - p[2]) <= 2 for p in reds)


def test_text_too_large_to_draw_names_the_size_parameter():
    """64 ASCII characters at size_1000: 'W' x 63 and a '|' need ~52,700 x 1,250 px,
    more than the 64 MP a layer may have -- refused before anything is drawn."""
    text = "W" * 63 + "|"
    with pytest.raises(OssError) as info:
        render_text(text, size=1000)
    assert (info.value.code, info.value.key) == ("ImageTooLarge", "size")
    assert str(MAX_LAYER_PIXELS) in info.value.message
    with pytest.raises(OssError) as info:
        run(f"text_{b64(text)},size_1000", picture(100, 100))
    assert (info.value.code, info.value.key, info.value.status) == ("ImageTooLarge", "size", 400)


def test_the_same_text_at_a_smaller_size_is_drawn():
    layer = render_text("W" * 63 + "|", size=100)
    assert layer.width > 63 * 70 and layer.getbbox() is not None
