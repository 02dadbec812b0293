"""Issue 16 final pass (group C): behaviour pinned by the last sample's survivors.

* a fixed-size resize given only ``w`` is a square (spec 2.2: "the missing side takes the
  same value as the given one");
* ``fill_1`` tiles reach the right edge even when the leftmost tile starts left of the image;
* rotating a watermark layer keeps its colour up to its edges (no dark fringe) and is not
  refused for a long thin layer turned by a small angle (the real rotated size is small).
"""
import base64
import io
import math

import pytest
from PIL import Image

from core import codec
from core.engine import Engine, process
from core.errors import OssError
from core.geometry import resize_plan
from core.ops.watermark import rotate_clockwise


def _png(size, colour) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, colour).save(buf, "PNG")
    return buf.getvalue()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_fixed_resize_with_only_width_is_a_square():
    # Spec 2.2: under fixed-size scaling the missing side takes the given side's value.
    plan = resize_plan(200, 100, m="fixed", w=50)
    assert plan.canvas == (50, 50)
    out = _decode(process(_png((200, 100), (0, 0, 255, 255)),
                          "image/resize,m_fixed,w_50/format,png").data)
    assert out.size == (50, 50)


def test_fixed_resize_with_only_height_is_a_square():
    out = _decode(process(_png((200, 100), (0, 0, 255, 255)),
                          "image/resize,m_fixed,h_40/format,png").data)
    assert out.size == (40, 40)


def test_tiles_cover_the_whole_image_when_the_first_tile_starts_left_of_it():
    # A 30x30 opaque red watermark tiled with no gaps from x=10: the lattice's leftmost
    # tile starts at x=-20, and the tiles must still reach the right edge of a 100 px image.
    objects = {"wm.png": _png((30, 30), (255, 0, 0, 255))}
    res = process(_png((100, 60), (255, 255, 255, 255)),
                  "image/watermark,image_" + _b64("wm.png")
                  + ",g_nw,x_10,y_10,fill_1,padx_0,pady_0/format,png",
                  resolver=objects.__getitem__)
    out = _decode(res.data).convert("RGB")
    assert out.size == (100, 60)
    colours = {out.getpixel((x, y)) for x in range(100) for y in range(60)}
    assert colours == {(255, 0, 0)}


def test_rotated_white_layer_stays_white_to_its_edges():
    # A layer like a text layer: white ink, transparent (0,0,0,0) around it. Turning it
    # only changes where it is opaque, never its colour: the resampled pixels along the
    # ink's edge are white with partial alpha (premultiplied resampling), not grey.
    layer = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (10, 10, 30, 30))
    turned = rotate_clockwise(layer, 30)
    pixels = [turned.getpixel((x, y)) for x in range(turned.width)
              for y in range(turned.height)]
    partial = [px for px in pixels if 0 < px[3] < 255]
    assert partial, "a 30 degree turn resamples the ink's edges"
    assert all(min(px[:3]) >= 250 for px in partial)


def test_long_thin_layer_turned_a_little_is_not_too_large():
    # A 4000x2 layer turned by 1 degree is about 4001x72: far below any layer limit.
    layer = Image.new("RGBA", (4000, 2), (0, 0, 0, 255))
    turned = rotate_clockwise(layer, 1)
    rad = math.radians(1)
    assert abs(turned.width - (4000 * math.cos(rad) + 2 * math.sin(rad))) <= 2
    assert abs(turned.height - (4000 * math.sin(rad) + 2 * math.cos(rad))) <= 2


def _gif(frames: int, size=(40, 30)) -> bytes:
    images = [Image.new("RGB", size, (40 * i, 0, 255 - 40 * i)) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buf.getvalue()


def test_animation_within_the_decode_budget_is_decoded_whole():
    # Engine(decode_budget=N): a source whose decode takes N bytes (codec.decoded_bytes,
    # every frame held) is decoded; one byte less is ImageTooLarge. A cascade with no
    # per-frame leading step (format,gif keeps the animation) holds every source frame.
    data = _gif(3)
    need = codec.decoded_bytes(Image.open(io.BytesIO(data)), 3)
    res = Engine(decode_budget=need).process(data, "image/format,gif")
    assert (res.width, res.height) == (40, 30)
    assert _decode(res.data).n_frames == 3
    with pytest.raises(OssError) as err:
        Engine(decode_budget=need - 1).process(data, "image/format,gif")
    assert err.value.code == "ImageTooLarge"
