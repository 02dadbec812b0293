"""One transparency rule in core (core.picture.has_alpha): an alpha band, or a
``transparency`` entry -- a palette index, or a PNG tRNS colour key on L/RGB. Decoding,
average-hue and the viewer all follow it."""
from __future__ import annotations

import io

from PIL import Image

from core import codec
from core.engine import Engine
from core.inspect import average_hue
from core.picture import has_alpha
from tests import hostile_files as hf


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_the_rule():
    assert has_alpha(Image.new("RGBA", (1, 1)))
    assert has_alpha(Image.new("LA", (1, 1)))
    assert not has_alpha(Image.new("RGB", (1, 1)))
    assert not has_alpha(Image.new("L", (1, 1)))
    assert has_alpha(opened(hf.trns_rgb_png()))    # RGB + tRNS colour key
    assert has_alpha(opened(hf.trns_grey_png()))   # L + tRNS grey key
    p = Image.new("P", (1, 1))
    assert not has_alpha(p)
    p.info["transparency"] = 0
    assert has_alpha(p)


def test_a_colour_key_becomes_alpha_when_decoded():
    # PNG spec 11.3.2.1: pixels of exactly the tRNS colour are fully transparent.
    pic = codec.decode(hf.trns_rgb_png(4, 2, key=(255, 0, 0)))
    assert pic.image.mode == "RGBA"
    assert pic.image.getpixel((0, 0))[3] == 0
    assert pic.image.getpixel((1, 0)) == (0, 255, 0, 255)
    grey = codec.decode(hf.trns_grey_png(4, 2, key=0)).image
    assert grey.mode == "RGBA" and grey.getpixel((0, 0))[3] == 0
    assert grey.getpixel((1, 0)) == (200, 200, 200, 255)


def test_keyed_pixels_stay_transparent_through_a_png_output():
    out = Engine(cache_entries=0).process(hf.trns_rgb_png(4, 2), "image/resize,w_8")
    im = opened(out.data).convert("RGBA")
    assert im.getpixel((0, 0))[3] == 0 and im.getpixel((3, 0))[3] == 255


def test_average_hue_ignores_keyed_pixels():
    # Half the pixels are the red key: the visible colour is the green.
    assert average_hue(opened(hf.trns_rgb_png(4, 2, key=(255, 0, 0)))) == "0x00ff00"
    assert average_hue(codec.decode(hf.trns_rgb_png(4, 2)).image) == "0x00ff00"
