"""Edges of the actions (core/ops) and of the engine's step loop that issue 16's mutation
run showed untested: masks (rounded corners, the source's own transparency), rotate's 4096
limit and transparent-white corners, watermark objects (missing, EXIF-rotated, scaled),
indexcrop/resize/watermark argument errors with their ECs, contrast's documented curve,
errors and bugs named by their step, the decode cache's timing, format,gif on a non-GIF
animation. Expected values come from the spec and docs/COMPATIBILITY.md."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core.engine import Engine
from core.errors import OssError
from core.params import b64encode_text
from core.resolver import MappingResolver


# -- ops the mutation run showed untested --------------------------------------------------

def _png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _rgba(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGBA")


def test_rounded_corners_cut_only_the_four_corners():
    """Spec (rounded-corners): the corners are rounded with radius r; the rest is kept."""
    out = _rgba(Engine().process(_png_of(Image.new("RGB", (40, 30), (200, 0, 0))),
                                 "image/rounded-corners,r_8/format,png").data)
    assert out.size == (40, 30)
    for corner in ((0, 0), (39, 0), (0, 29), (39, 29)):
        assert out.getpixel(corner)[3] == 0, corner
    for inside in ((20, 0), (20, 29), (0, 15), (39, 15), (20, 15)):
        assert out.getpixel(inside) == (200, 0, 0, 255), inside


@pytest.mark.parametrize("W,H,r", [(400, 267, 30), (7, 9, 3), (8, 8, 4), (9, 8, 4),
                                   (101, 57, 28), (33, 120, 16), (64, 31, 15), (5, 5, 1),
                                   (3, 2, 1), (1, 1, 0)])
def test_rounded_corner_mask_is_the_whole_rectangle_drawn_at_4x(W, H, r):
    """The mask is Pillow's anti-aliased rounded rectangle (drawn at 4x, reduced); it is
    supersampled only in the corner squares, which must not change a single pixel --
    odd sizes, r = half the shorter side (corners meeting) and r = 0 included."""
    from PIL import ImageDraw

    from core.ops.geometry import _rounded_mask
    k = 4
    big = Image.new("L", (W * k, H * k), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, W * k - 1, H * k - 1), radius=r * k,
                                          fill=255)
    assert _rounded_mask(W, H, r).tobytes() == big.reduce(k).tobytes()


def test_rounded_corners_budget_does_not_count_a_4x_mask_of_the_whole_picture():
    """A 60 MP photo (OSS accepts up to 250 MP) with small corners fits the default budget:
    the step holds its mask and RGBA result (5 bytes a pixel) and one 4x corner, not a
    16-byte-a-pixel supersampled mask of the whole picture."""
    from core.cascade import parse
    from core.picture import Picture

    def step(r):
        return parse(f"image/rounded-corners,r_{r}").steps[0]

    pic = Picture((Image.new("RGB", (10, 6)),), "png", (10, 6))
    assert step(2).working_bytes(pic) == 10 * 6 * 5 + (2 * 4) ** 2 + 2 * 2
    rgba = Picture((Image.new("RGBA", (10, 6)),), "png", (10, 6))
    assert step(2).working_bytes(rgba) == 10 * 6 * 6 + (2 * 4) ** 2 + 2 * 2
    assert step(100).working_bytes(pic) == 10 * 6 * 5 + (3 * 4) ** 2 + 3 * 3


@pytest.mark.parametrize("process", ["image/circle,r_20/format,png",
                                     "image/rounded-corners,r_8/format,png"])
def test_a_mask_keeps_the_sources_own_transparency(process):
    src = Image.new("RGBA", (41, 41), (0, 0, 255, 255))
    src.paste((0, 0, 255, 0), (0, 15, 41, 26))    # a transparent band across the middle
    out = _rgba(Engine().process(_png_of(src), process).data)
    assert out.getpixel((20, 20))[3] == 0          # inside the shape, transparent at source
    assert out.getpixel((20, 10)) == (0, 0, 255, 255)


def test_a_scaled_watermark_does_not_bleed_the_colour_of_its_transparent_pixels():
    """Resizing a mark must weigh colours by their alpha: a fully transparent pixel has no
    colour to give. Red over white then stays (255, v, v) at every edge pixel."""
    mark = Image.new("RGBA", (40, 40), (0, 255, 0, 0))       # transparent *green*
    mark.paste((255, 0, 0, 255), (0, 0, 20, 40))             # opaque red left half
    resolver = MappingResolver({"m.png": _png_of(mark)})
    p = b64encode_text("m.png?x-oss-process=image/resize,P_25")
    out = Image.open(io.BytesIO(Engine().process(
        _png_of(Image.new("RGB", (80, 80), (255, 255, 255))),
        f"image/watermark,image_{p},g_nw,x_0,y_0/format,png", resolver=resolver).data))
    out = out.convert("RGB")
    assert out.getpixel((2, 2))[0] == 255 and out.getpixel((2, 2))[1] < 10
    for x in range(out.width):
        for y in range(20):
            r, g, b = out.getpixel((x, y))
            assert abs(g - b) <= 1, ((x, y), (r, g, b))


@pytest.mark.parametrize("resolver", [MappingResolver({}), None])
def test_a_missing_watermark_object_is_no_such_key_on_the_image_parameter(resolver):
    """With no object store at all (resolver None) as with one that lacks the object."""
    with pytest.raises(OssError) as err:
        Engine().process(_png_of(Image.new("RGB", (20, 20))),
                         f"image/watermark,image_{b64encode_text('gone.png')}",
                         resolver=resolver)
    assert (err.value.code, err.value.status, err.value.key) == ("NoSuchKey", 404, "image")


def test_a_bug_in_a_step_is_noted_with_its_one_based_step_number(monkeypatch):
    """engine.mark_step: an exception an action should never raise keeps its type and
    says which step raised it (for logs, and oss_step/oss_action for the viewer)."""
    from core.ops.geometry import Rotate

    def broken(self, pic, ctx):
        raise ValueError("boom")

    monkeypatch.setattr(Rotate, "apply", broken)
    with pytest.raises(ValueError) as err:
        Engine(cache_entries=0).process(_png_of(Image.new("RGB", (20, 10))),
                                        "image/resize,w_10/rotate,45")
    assert (err.value.oss_step, err.value.oss_action) == (1, "rotate")
    assert "(in step 2 of the cascade: rotate)" in err.value.__notes__


@pytest.mark.parametrize("process", ["image/rotate,45", "image/rotate,90"])
def test_rotate_refuses_a_source_over_4096_a_side(process):
    """Spec (rotate): the source must not exceed 4096 x 4096; docs/COMPATIBILITY.md: code
    BadRequest (400) with the operator-reported message."""
    for size in ((4096, 2), (2, 4096)):
        assert Engine().process(_png_of(Image.new("RGB", size)), process).width > 0
    for size in ((4097, 2), (2, 4097)):
        with pytest.raises(OssError) as err:
            Engine().process(_png_of(Image.new("RGB", size)), process)
        assert (err.value.code, err.value.status) == ("BadRequest", 400)
        assert err.value.message == "Picture exceed the maximum allowable rotation range."


def test_a_rotated_text_watermark_does_not_bleed_black_into_its_edges():
    """Rotating the text layer must weigh colours by their alpha: the layer's transparent
    background has no colour to give, so red text over white keeps R = 255 everywhere."""
    text = b64encode_text("Hi")
    out = Image.open(io.BytesIO(Engine().process(
        _png_of(Image.new("RGB", (120, 120), (255, 255, 255))),
        f"image/watermark,text_{text},color_FF0000,size_40,rotate_30,g_center,shadow_0"
        "/format,png").data)).convert("RGB")
    reds = [out.getpixel((x, y))[0] for x in range(120) for y in range(120)]
    assert min(reds) >= 254
    assert min(out.getpixel((x, y))[1] for x in range(120) for y in range(120)) < 50


def _animation(frames: int = 3) -> bytes:
    ims = [Image.new("RGB", (40, 30), (60 * i, 0, 0)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=50, loop=0)
    return out.getvalue()


@pytest.mark.parametrize("process,step,action", [
    ("image/crop,x_100,y_0,w_10,h_10", 0, "crop"),
    ("image/resize,w_40/crop,x_100,y_0,w_10,h_10", 1, "crop"),
])
def test_an_error_in_a_frame_by_frame_step_names_its_step(process, step, action):
    """On an animation, leading resize/crop steps run frame by frame as it is decoded; an
    error there still says which step and action (spec: crop start outside the image)."""
    with pytest.raises(OssError) as err:
        Engine().process(_animation(), process)
    e = err.value
    assert e.message == "Advance cut's position is out of image."
    assert (e.status, e.step, e.action) == (400, step, action)


def test_indexcrop_without_x_or_y_is_missing_argument():
    from core.cascade import parse
    with pytest.raises(OssError) as err:
        parse("image/indexcrop,i_0")
    e = err.value
    assert (e.code, e.status, e.ec, e.key) == ("MissingArgument", 400, "0040-00000230", "x")
    assert "x or y" in e.message


def test_an_empty_watermark_text_is_invalid_with_the_documented_ec():
    from core.ops.watermark import Watermark
    with pytest.raises(OssError) as err:
        Watermark(text="").check()
    e = err.value
    assert (e.code, e.status, e.ec, e.key) == ("InvalidArgument", 400, "0040-00000258", "text")


@pytest.mark.parametrize("process,size", [("image/resize,w_20/format,png", (20, 15)),
                                          ("image/resize,m_pad,w_40,h_40/format,png", (40, 40))])
def test_resizing_an_opaque_picture_adds_no_alpha_channel(process, size):
    """A JPEG resized (or padded with an opaque colour) and written as PNG stays RGB."""
    src = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(src, "JPEG")
    out = Image.open(io.BytesIO(Engine().process(src.getvalue(), process).data))
    assert (out.mode, out.size) == ("RGB", size)


def test_running_out_of_memory_in_a_step_is_image_too_large_at_that_step(monkeypatch):
    from core.ops.geometry import Rotate

    def exhausted(self, pic, ctx):
        raise MemoryError

    monkeypatch.setattr(Rotate, "apply", exhausted)
    with pytest.raises(OssError) as err:
        Engine(cache_entries=0).process(_png_of(Image.new("RGB", (20, 10))),
                                        "image/resize,w_10/rotate,45")
    e = err.value
    assert (e.code, e.step, e.action, e.status) == ("ImageTooLarge", 1, "rotate", 400)
    assert isinstance(e.message, str) and "memory" in e.message.lower()  # says why


def test_a_decode_served_from_the_cache_takes_no_decode_time():
    engine, src = Engine(), _png_of(Image.new("RGB", (20, 10)))
    engine.process(src, "image/resize,w_10")
    timing = engine.process(src, "image/resize,w_8").timings[0]
    assert (timing.label, timing.cached, timing.seconds) == ("decode", True, 0.0)


def test_a_watermark_object_is_shown_upright_per_its_exif_orientation():
    """docs/COMPATIBILITY.md (watermark): watermark objects are decoded with EXIF
    orientation applied. Stored 30x10 with Orientation 6 -> stamped 10x30."""
    from tests.helpers import with_orientation

    resolver = MappingResolver({"m.jpg": with_orientation(Image.new("RGB", (30, 10),
                                                                    (0, 0, 0)), 6)})
    out = Image.open(io.BytesIO(Engine().process(
        _png_of(Image.new("RGB", (60, 60), (255, 255, 255))),
        f"image/watermark,image_{b64encode_text('m.jpg')},g_nw,x_0,y_0/format,png",
        resolver=resolver).data)).convert("L")
    box = out.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert (box[2] - box[0], box[3] - box[1]) == (10, 30)


@pytest.mark.parametrize("value,expected", [(50, 163), (-50, 132), (0, 140)])
def test_contrast_follows_the_documented_curve(value, expected):
    """docs/COMPATIBILITY.md: c = v x 2.55, f = 259(c+255) / (255(259-c)), out = f(i-128)+128.
    v=50: f = 99067.5 / 33532.5 = 2.9544, 140 -> 163.45 -> 163; v=-50: f = 0.33506,
    140 -> 132.02 -> 132."""
    out = Image.open(io.BytesIO(Engine().process(
        _png_of(Image.new("RGB", (4, 4), (140, 140, 140))),
        f"image/contrast,{value}/format,png").data)).convert("RGB")
    assert out.getpixel((1, 1)) == (expected,) * 3


def test_rotate_fills_the_new_corners_with_transparent_white():
    """Spec (rotate): the grown canvas is white in JPG and transparent in PNG; the PNG's
    transparent pixels are white, so a reader that ignores alpha shows what a JPG shows."""
    out = _rgba(Engine().process(_png_of(Image.new("RGB", (40, 20), (200, 0, 0))),
                                 "image/rotate,45/format,png").data)
    assert out.getpixel((0, 0)) == (255, 255, 255, 0)
    assert out.getpixel((out.width - 1, out.height - 1)) == (255, 255, 255, 0)
    jpg = Image.open(io.BytesIO(Engine().process(
        _png_of(Image.new("RGB", (40, 20), (200, 0, 0))), "image/rotate,45/format,jpg").data))
    assert all(v >= 250 for v in jpg.convert("RGB").getpixel((0, 0)))


def test_format_gif_on_an_animated_webp_is_ignored_and_decodes_one_frame():
    """Spec (animation): format,gif is only meaningful for GIF sources; docs/COMPATIBILITY.md:
    it is ignored elsewhere, and a result that cannot be animated decodes the first frame
    only -- so a budget for three frames is enough for this ten-frame animation."""
    from core import codec

    frames = [Image.new("RGB", (200, 200), (20 * i, 0, 0)) for i in range(10)]
    src = io.BytesIO()
    frames[0].save(src, "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    budget = 3 * (200 * 200 * 4 + codec.FRAME_OVERHEAD)
    result = Engine(decode_budget=budget).process(src.getvalue(), "image/format,gif")
    assert (result.format, result.width, result.height) == ("webp", 200, 200)
    with pytest.raises(OssError) as err:     # the budget is real: all ten frames do not fit
        codec.decode(src.getvalue(), budget=budget, first_frame_only=False)
    assert err.value.code == "ImageTooLarge"


def test_resize_with_both_sides_zero_is_the_documented_error():
    """Spec: EC 0040-00000321 (resize w and h both 0), in OSS's message form
    "The value: <v> of parameter: <p> is invalid."."""
    with pytest.raises(OssError) as err:
        Engine().process(_png_of(Image.new("RGB", (20, 10))), "image/resize,w_0,h_0")
    e = err.value
    assert (e.code, e.status, e.ec) == ("InvalidArgument", 400, "0040-00000321")
    assert e.message == "The value: 0 of parameter: w and h is invalid."
