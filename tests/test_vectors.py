"""Every published vector of oss-img-vectors.md that needs no watermark, plus the derived
ones. Sizes and formats must match exactly; OSS's byte counts come from its own encoder
and are not compared."""
from __future__ import annotations

import json

import pytest
from PIL import Image

from core import process
from core.errors import OssError
from tests.helpers import EXAMPLE, decode, encode, with_orientation

PUBLISHED = [
    ("image/resize,m_fixed,w_100,h_100", (100, 100), "jpg"),            # 2
    ("image/resize,h_100,w_100,m_fixed", (100, 100), "jpg"),            # 2 (php key order)
    ("image/crop,w_100,h_100,x_100,y_100,r_1", (100, 100), "jpg"),      # 3
    ("image/crop,w_110,h_120,x_100,y_100,r_1", (110, 120), "jpg"),      # 4
    ("image/rotate,90", (267, 400), "jpg"),                             # 5
    ("image/sharpen,100", (400, 267), "jpg"),                           # 6
    ("image/format,png", (400, 267), "png"),                            # 8
    ("image/indexcrop,y_100,i_10", (400, 267), "jpg"),                  # 15
]

DERIVED = [
    ("image/resize,w_100", (100, 67)),
    ("image/resize,l_100", (100, 67)),
    ("image/resize,s_100", (150, 100)),
    ("image/resize,w_500", (400, 267)),
    ("image/resize,w_500,limit_0", (500, 334)),
    ("image/crop,x_100,y_50", (300, 217)),
    ("image/crop,w_200,h_200,g_se", (200, 200)),
    ("image/indexcrop,x_100,i_0", (100, 267)),
    ("image/indexcrop,x_100,i_3", (100, 267)),
    ("image/indexcrop,x_100,i_4", (400, 267)),
    ("image/indexcrop,x_150,i_2", (100, 267)),
    ("image/circle,r_500", (267, 267)),
    ("image/rounded-corners,r_30/format,png", (400, 267)),
    ("image/resize,p_50", (200, 134)),
]


@pytest.mark.parametrize("proc,size,fmt", PUBLISHED)
def test_published_vectors(proc, size, fmt):
    r = process(EXAMPLE, proc)
    assert (r.width, r.height, r.format) == (*size, fmt)
    im = decode(r.data)
    assert im.size == size
    assert im.format == {"jpg": "JPEG", "png": "PNG"}[fmt]


@pytest.mark.parametrize("proc,size", DERIVED)
def test_derived_vectors(proc, size):
    r = process(EXAMPLE, proc)
    assert (r.width, r.height) == size
    assert decode(r.data).size == size


def test_info_on_example_jpg():  # vectors 1 and 14
    r = process(EXAMPLE, "image/info")
    assert r.is_json and r.content_type == "application/json"
    body = json.loads(r.data)
    assert body["ImageHeight"] == {"value": "267"}
    assert body["ImageWidth"] == {"value": "400"}
    assert body["FileSize"] == {"value": "21839"}
    assert body["Format"] == {"value": "jpg"}
    assert body["ResolutionUnit"] == {"value": "1"}
    assert body["XResolution"] == {"value": "1/1"}
    assert body["YResolution"] == {"value": "1/1"}
    assert all(set(v) == {"value"} and isinstance(v["value"], str) for v in body.values())
    assert list(body) == sorted(body)


def test_average_hue_on_example_jpg():  # vector 13
    r = process(EXAMPLE, "image/average-hue")
    body = json.loads(r.data)
    assert set(body) == {"RGB"}
    value = body["RGB"]
    assert value.startswith("0x") and len(value) == 8
    got = [int(value[i:i + 2], 16) for i in (2, 4, 6)]
    for g, want in zip(got, (0x5C, 0x78, 0x3B)):
        assert abs(g - want) <= 2, value


def test_resize_table_on_200x100():  # vector 10, exactly
    src = encode(Image.new("RGB", (200, 100), (10, 120, 200)), "PNG")
    expected = {"lfit": (150, 75), "mfit": (160, 80), "fill": (150, 80), "pad": (150, 80),
                "fixed": (150, 80)}
    for mode, size in expected.items():
        r = process(src, f"image/resize,m_{mode},w_150,h_80")
        assert (r.width, r.height) == size, mode
        assert decode(r.data).size == size


def test_pad_centres_the_image_on_white():  # vector 10, pad detail
    src = encode(Image.new("RGB", (200, 100), (0, 0, 0)), "PNG")
    im = decode(process(src, "image/resize,m_pad,w_150,h_80").data).convert("RGB")
    # 150x75 centred in 150x80: 2 px white above, 3 below.
    assert im.getpixel((75, 0)) == (255, 255, 255)
    assert im.getpixel((75, 79)) == (255, 255, 255)
    assert im.getpixel((75, 40)) == (0, 0, 0)
    assert im.getpixel((75, 3)) == (0, 0, 0)


def test_fixed_with_one_side_is_square():
    src = encode(Image.new("RGB", (200, 100)), "PNG")
    r = process(src, "image/resize,m_fixed,h_100")
    assert (r.width, r.height) == (100, 100)


def test_auto_orient_acts_before_resize():  # vector 11: f.jpg is 424x333, Orientation 7
    src = with_orientation(Image.new("RGB", (424, 333), (90, 90, 90)), 7)
    r = process(src, "image/resize,w_100/auto-orient,1")
    assert (r.width, r.height) == (100, 127)
    r0 = process(src, "image/resize,w_100/auto-orient,0")
    assert (r0.width, r0.height) == (100, 79)


def test_output_limits():  # vector 17
    with pytest.raises(OssError) as info:
        process(EXAMPLE, "image/resize,m_fixed,w_5000,h_5000")
    assert info.value.status == 400 and info.value.ec == "0040-00000007"


def test_crop_start_outside_the_image():  # vector 20
    with pytest.raises(OssError) as info:
        process(EXAMPLE, "image/crop,x_1000,y_0")
    err = info.value
    assert (err.code, err.status) == ("BadRequest", 400)
    assert err.message == "Advance cut's position is out of image."


def test_rotate_45_grows_the_canvas_with_white_corners_in_jpg():
    r = process(EXAMPLE, "image/rotate,45")
    assert (r.width, r.height) == (472, 472)
    corner = decode(r.data).convert("RGB").getpixel((2, 2))
    assert min(corner) > 240


def test_circle_outside_is_transparent_in_png_and_white_in_jpg():
    png = decode(process(EXAMPLE, "image/circle,r_100/format,png").data)
    assert png.size == (201, 201) and png.mode == "RGBA"
    assert png.getpixel((0, 0))[3] == 0 and png.getpixel((100, 100))[3] == 255
    jpg = decode(process(EXAMPLE, "image/circle,r_100").data).convert("RGB")
    assert min(jpg.getpixel((1, 1))) > 240
