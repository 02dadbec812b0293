"""Watermark rules the seed-3101/3103 mutation samples found unpinned:

- the layer limit (``MAX_LAYER_PIXELS``, a local safety limit described in
  docs/COMPATIBILITY.md) is inclusive: a layer of exactly that many pixels is drawn, one
  more row is ``ImageTooLarge`` naming the parameter that made it so big;
- an unknown font ``type`` is InvalidArgument and says which fonts there are (the seven
  names of spec section 15.3's font table);
- a cancel or a deadline while the watermark object's own preprocessing runs reaches the
  caller as the cancel / timeout itself, not as an error of the watermark image (the viewer
  and the service tell a cancel apart by its class and code).
"""
from __future__ import annotations

import io
import math
import time

import pytest
from PIL import Image

from core.cascade import parse
from core.errors import Cancelled, OssError
from core.ops.watermark_image import load_watermark_image, parse_image_value
from core.ops.watermark_layout import MAX_LAYER_PIXELS, check_layer_size
from core.params import b64encode_text
from core.picture import Context

# Spec section 15.3, "Font names and their URL-safe base64".
SPEC_FONTS = ("wqy-zenhei", "wqy-microhei", "fangzhengshusong", "fangzhengkaiti",
              "fangzhengheiti", "fangzhengfangsong", "droidsansfallback")


def _png(size=(12, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 10, 10, 255)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("w,h", [(8000, 8000), (MAX_LAYER_PIXELS, 1), (1, MAX_LAYER_PIXELS)])
def test_a_layer_of_exactly_the_limit_is_drawn(w, h):
    assert w * h == MAX_LAYER_PIXELS
    check_layer_size(w, h, "size")        # no error


@pytest.mark.parametrize("w,h", [(8000, 8001), (MAX_LAYER_PIXELS + 1, 1)])
def test_one_pixel_row_more_is_image_too_large_naming_the_parameter(w, h):
    with pytest.raises(OssError) as err:
        check_layer_size(w, h, "size")
    assert (err.value.code, err.value.key) == ("ImageTooLarge", "size")


def test_an_unknown_font_is_invalid_and_names_the_fonts_there_are():
    with pytest.raises(OssError) as err:
        parse(f"image/watermark,text_{b64encode_text('Hi')},type_{b64encode_text('arial')}")
    e = err.value
    assert (e.code, e.status, e.key) == ("InvalidArgument", 400, "type")
    assert "arial" in e.message
    for name in SPEC_FONTS:
        assert name in e.message


def _watermark(cancel_after_fetch: bool = False, deadline_after_fetch: bool = False):
    """A watermark object with preprocessing, and a context whose cancel / deadline
    fires once the object has been fetched (so during the preprocessing)."""
    fetched = {"done": False}

    def resolver(key: str) -> bytes:
        assert key == "marks/logo.png"
        fetched["done"] = True
        return _png()

    obj = parse_image_value("marks/logo.png?x-oss-process=image/resize,w_6")
    ctx = Context(resolver=resolver,
                  cancelled=lambda: cancel_after_fetch and fetched["done"])
    if deadline_after_fetch:
        ctx = Context(resolver=resolver, deadline=time.monotonic() - 1, timeout=5)
    return obj, ctx


def test_the_preprocessed_watermark_object_without_a_cancel():
    obj, ctx = _watermark()
    assert load_watermark_image(obj, (100, 100), ctx).size == (6, 4)


def test_a_cancel_during_the_watermark_preprocessing_is_the_cancel_itself():
    obj, ctx = _watermark(cancel_after_fetch=True)
    with pytest.raises(Cancelled) as err:
        load_watermark_image(obj, (100, 100), ctx)
    assert err.value.code == "Cancelled"
    assert err.value.message == Cancelled().message     # not "Watermark image ...: ..."


def test_a_deadline_during_the_watermark_preprocessing_is_the_timeout_itself():
    obj, ctx = _watermark(deadline_after_fetch=True)
    with pytest.raises(OssError) as err:
        load_watermark_image(obj, (100, 100), ctx)
    assert err.value.code == "RequestTimeout"
    assert "marks/logo.png" not in err.value.message


def test_a_percent_resize_past_the_layer_limit_is_image_too_large_of_the_image():
    """resize,P_100 of a 1 x 7000 watermark on a 10000 px wide image asks for 10000 x 70
    million pixels: refused before anything is drawn, naming the ``image`` parameter."""
    obj = parse_image_value("tall.png?x-oss-process=image/resize,P_100")
    ctx = Context(resolver=lambda key: _png((1, 7000)))
    with pytest.raises(OssError) as err:
        load_watermark_image(obj, (10000, 10), ctx)
    assert (err.value.code, err.value.key) == ("ImageTooLarge", "image")


@pytest.mark.parametrize("through_engine", [True, False], ids=["engine", "bare-context"])
def test_a_watermark_object_that_is_not_an_image_is_bad_request_of_the_image(through_engine):
    """Spec section 20: a source that is not an image is BadRequest 400, EC 0040-00000005,
    "This image format is not supported."; for a watermark object the error names the
    ``image`` parameter, whether the engine's decoder or the bare fallback reads it."""
    from core.engine import process
    with pytest.raises(OssError) as err:
        if through_engine:
            process(_png((40, 30)), f"image/watermark,image_{b64encode_text('notes.txt')}",
                    resolver=lambda key: b"hello")
        else:
            load_watermark_image(parse_image_value("notes.txt"), (40, 30),
                                 Context(resolver=lambda key: b"hello"))
    e = err.value
    assert (e.code, e.status, e.ec, e.key) == ("BadRequest", 400, "0040-00000005", "image")
    assert e.message == "This image format is not supported."
    if through_engine:
        assert (e.step, e.action) == (0, "watermark")


def test_a_turn_is_refused_before_drawing_when_its_bounding_box_is_over_the_limit():
    """A 5700 px square layer (32.5 MP) turned 45 degrees needs a 8062 px square canvas
    (65 MP): over the limit, refused up front naming ``rotate`` -- both sides of the turned
    box count, not the difference of its projections."""
    from core.ops.watermark import rotate_clockwise
    side = 5700
    turned = math.ceil(side * math.cos(math.pi / 4) * 2)
    assert side * side <= MAX_LAYER_PIXELS < turned * turned
    layer = Image.new("RGBA", (side, side), None)     # pages never touched
    with pytest.raises(OssError) as err:
        rotate_clockwise(layer, 45)
    assert (err.value.code, err.value.key) == ("ImageTooLarge", "rotate")
    assert f"{turned}x{turned}" in err.value.message
