"""Geometry actions (core/ops/geometry.py) where the spec fixes the answer: the circle is
centred (its disc symmetric about both axes and the diagonal, for every radius, odd sides
only), m_pad keeps a transparent source transparent and pads it with the colour, and
resize's argument and output-size errors (spec 2, 2.7, 19)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core.cascade import parse
from core.engine import Engine
from core.errors import OssError


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _run(image: Image.Image, process: str) -> Image.Image:
    out = Image.open(io.BytesIO(Engine().process(_png(image), process).data))
    out.load()
    return out


@pytest.mark.parametrize("r", [1, 2, 3, 5, 8, 13, 21, 34])
def test_the_circle_disc_is_the_same_seen_from_every_side(r):
    """Spec 5: a circle of radius r centred on the image, on a 2r+1 square."""
    out = _run(Image.new("RGB", (80, 77), (30, 60, 90)), f"image/circle,r_{r}/format,png")
    assert out.size == (2 * r + 1, 2 * r + 1)
    alpha = out.getchannel("A")
    for flip in (Image.Transpose.FLIP_TOP_BOTTOM, Image.Transpose.FLIP_LEFT_RIGHT,
                 Image.Transpose.TRANSPOSE):
        assert alpha.transpose(flip).tobytes() == alpha.tobytes(), (r, flip)
    assert alpha.getpixel((r, r)) == 255          # the centre is inside
    assert alpha.getpixel((0, 0)) < 255           # the corners are (partly) outside


def test_pad_keeps_the_sources_transparency_and_pads_with_the_opaque_colour():
    """Spec 2.1 (pad: lfit, centred on a w x h canvas of `color`); spec 13: an alpha
    format keeps transparency. 40x20 half transparent -> lfit 30x15 on 30x25, 5 px of
    padding above and below."""
    src = Image.new("RGBA", (40, 20), (200, 10, 10, 255))
    src.paste((0, 0, 255, 0), (0, 0, 20, 20))                     # left half transparent
    out = _run(src, "image/resize,m_pad,w_30,h_25,color_00FF00/format,png")
    assert out.mode == "RGBA" and out.size == (30, 25)
    assert out.getpixel((15, 0)) == (0, 255, 0, 255)              # the padding
    assert out.getpixel((15, 24)) == (0, 255, 0, 255)
    assert out.getpixel((3, 12))[3] == 0                         # still transparent
    assert out.getpixel((26, 12)) == (200, 10, 10, 255)


def test_resize_without_a_size_is_missing_argument_on_w():
    for process in ("image/resize", "image/resize,limit_0,m_fixed"):
        with pytest.raises(OssError) as info:
            parse(process)
        assert (info.value.code, info.value.status, info.value.key) == \
            ("MissingArgument", 400, "w")
        assert "resize" in info.value.message   # says which action lacks its size


@pytest.mark.parametrize("W,H,process,limit", [
    (10, 10, "image/resize,m_fixed,w_5000,h_5000", "16777216"),   # vector 17: 25 MP
    (2000, 10, "image/resize,p_1000", "16384"),                   # 20000 px wide
])
def test_an_output_over_the_limits_is_refused_naming_the_limit(W, H, process, limit):
    """Spec 2.7 / vector 17: each side <= 16384 and at most 16,777,216 pixels, else 400
    with EC 0040-00000007."""
    with pytest.raises(OssError) as info:
        Engine().process(_png(Image.new("RGB", (W, H))), process)
    err = info.value
    assert (err.code, err.status, err.ec) == ("InvalidArgument", 400, "0040-00000007")
    assert limit in err.message
