"""Rules of the actions the second seeded mutation sample (seed 1602) showed unpinned:
animations (spec 2.7/21: a GIF is shrunk frame by frame and stays animated; a tone action
that changes nothing keeps it animated), a mask never writes into the cached input, crop's
out-of-image error (vector 20), the memory rule at a 1x1 source and OSS's 4096 px rotate
limit winning over it, and watermark errors naming their parameter."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core import codec
from core.engine import Engine
from core.errors import OssError
from core.params import b64encode_text


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _gif(W: int, H: int, frames: int = 3) -> bytes:
    ims = [Image.new("RGB", (W, H), (70 * i % 256, 100, 20)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=70, loop=0)
    return out.getvalue()


def _frames(data: bytes) -> int:
    return getattr(Image.open(io.BytesIO(data)), "n_frames", 1)


def test_a_tall_gif_is_shrunk_by_width_and_stays_animated():
    """Spec 2.7: a GIF can be shrunk by w/h with its animation kept (20x60, w_10 -> 10x30)."""
    result = Engine().process(_gif(20, 60), "image/resize,w_10")
    assert (result.format, result.width, result.height) == ("gif", 10, 30)
    assert _frames(result.data) == 3


def test_a_wide_gif_is_not_enlarged():
    result = Engine().process(_gif(60, 20), "image/resize,w_90,limit_0")
    assert (result.width, result.height) == (60, 20) and _frames(result.data) == 3


@pytest.mark.parametrize("process,frames", [("image/contrast,0", 3), ("image/contrast,1", 1),
                                            ("image/bright,0", 3), ("image/bright,-1", 1)])
def test_a_tone_action_takes_the_first_frame_unless_it_changes_nothing(process, frames):
    assert _frames(Engine().process(_gif(12, 8), process).data) == frames


def test_rounded_corners_on_a_transparent_source_leave_the_cached_decode_alone():
    src = Image.new("RGBA", (30, 20), (10, 200, 10, 255))
    engine = Engine()
    cut = Image.open(io.BytesIO(engine.process(_png(src), "image/rounded-corners,r_8/format,png")
                                .data))
    assert cut.getpixel((0, 0))[3] == 0
    again = Image.open(io.BytesIO(engine.process(_png(src), "image/format,png").data))
    assert again.convert("RGBA").getpixel((0, 0)) == (10, 200, 10, 255)


def test_a_crop_starting_outside_the_image_is_the_documented_bad_request_on_x():
    """Vector 20: crop,x_1000,y_0 on 400x267 -> 400 BadRequest `Advance cut's position is
    out of image.`"""
    with pytest.raises(OssError) as info:
        Engine().process(_png(Image.new("RGB", (400, 267))), "image/crop,x_1000,y_0")
    err = info.value
    assert (err.code, err.status, err.message, err.key) == (
        "BadRequest", 400, "Advance cut's position is out of image.", "x")


def test_resizing_a_one_pixel_source_counts_its_output_twice():
    """docs/COMPATIBILITY.md memory budget: resize holds its output twice (4 bytes a pixel
    for RGB), on top of its input."""
    need = 4 + 2 * 100 * 100 * 4
    data = _png(Image.new("RGB", (1, 1), (5, 6, 7)))
    assert Engine(decode_budget=need).process(data, "image/resize,w_100,limit_0").width == 100
    with pytest.raises(OssError) as info:
        Engine(decode_budget=need - 1).process(data, "image/resize,w_100,limit_0")
    assert (info.value.code, info.value.action) == ("ImageTooLarge", "resize")


@pytest.mark.parametrize("W,H", [(4097, 10), (10, 4097)])
def test_rotating_a_source_over_4096_on_one_side_is_the_rotate_limit_not_memory(W, H):
    """Spec 7: each side <= 4096, else BadRequest -- whatever the memory budget, which
    here admits the decode and nothing more."""
    data = _png(Image.new("RGB", (W, H)))
    with pytest.raises(OssError) as info:
        Engine(decode_budget=W * H * 4 + codec.FRAME_OVERHEAD).process(data, "image/rotate,90")
    assert (info.value.code, info.value.status) == ("BadRequest", 400)


def test_a_watermark_without_text_or_image_is_missing_argument_on_text():
    with pytest.raises(OssError) as info:
        Engine().process(_png(Image.new("RGB", (8, 8))), "image/watermark,t_50")
    assert (info.value.code, info.value.status, info.value.key) == ("MissingArgument", 400,
                                                                   "text")


def test_a_resolver_error_without_a_key_is_put_on_the_image_parameter():
    def resolver(key):
        raise OssError("AccessDenied", "no")

    with pytest.raises(OssError) as info:
        Engine().process(_png(Image.new("RGB", (8, 8))),
                         f"image/watermark,image_{b64encode_text('m.png')}", resolver=resolver)
    assert (info.value.code, info.value.status, info.value.key) == ("AccessDenied", 403,
                                                                   "image")


def test_the_largest_text_turned_by_one_degree_is_drawn():
    """Spec 15.3: size up to 1000 and rotate 0-360 are valid; the turned layer of a few
    characters at size 1000 (ink ~855x1145) is about 1 megapixel, well inside what is
    drawn (the turned canvas is (w cos + h sin) x (w sin + h cos))."""
    text = b64encode_text("\u00c9j|")
    result = Engine().process(_png(Image.new("RGB", (64, 48), (255, 255, 255))),
                              f"image/watermark,text_{text},size_1000,rotate_1,g_nw,x_0,y_0"
                              "/format,png")
    assert (result.format, result.width, result.height) == ("png", 64, 48)  # not refused


# -- watermark objects decoded under the engine's rules ------------------------------------

def test_a_watermark_object_over_the_engines_budget_is_image_too_large():
    """docs/COMPATIBILITY.md memory budget: every decode a request makes is bounded, the
    watermark object's too (300x300 RGB = 360 KB of pixels > a 50 KB budget)."""
    from core.resolver import MappingResolver
    resolver = MappingResolver({"m.png": _png(Image.new("RGB", (300, 300), (1, 2, 3)))})
    with pytest.raises(OssError) as info:
        Engine(decode_budget=50_000).process(
            _png(Image.new("RGB", (20, 20))), f"image/watermark,image_{b64encode_text('m.png')}",
            resolver=resolver)
    assert (info.value.code, info.value.ec) == ("ImageTooLarge", "0040-00000012")


def test_only_the_first_frame_of_an_animated_watermark_object_is_decoded():
    """A watermark object is drawn from its first frame; one 60x60 frame fits a 30 KB
    budget, three would not."""
    from core.resolver import MappingResolver
    resolver = MappingResolver({"m.gif": _gif(60, 60, 3)})
    result = Engine(decode_budget=30_000).process(
        _png(Image.new("RGB", (10, 10))), f"image/watermark,image_{b64encode_text('m.gif')}",
        resolver=resolver)
    assert (result.width, result.height) == (10, 10)


def test_a_font_substitution_note_reaches_the_result():
    """docs/COMPATIBILITY.md: a proprietary OSS font is drawn with an open substitute and
    the result says so."""
    from core import fonts
    result = Engine().process(
        _png(Image.new("RGB", (120, 60), (255, 255, 255))),
        f"image/watermark,text_{b64encode_text('水印')},type_{b64encode_text('fangzhengkaiti')}")
    assert fonts.substitution_note("fangzhengkaiti") in result.notes


def test_a_P_scaled_watermark_object_is_resampled_with_lanczos_like_the_image():
    """docs/COMPATIBILITY.md: resampling is Lanczos; the P-scaled watermark object is
    resized premultiplied (no colour bleeding from transparent pixels) and composited at
    its anchor. Expected pixels built with Pillow directly: 40x40 -> 50x50 (P_50 of a
    100 px wide image) at g_nw, x_0, y_0 on white."""
    from core.resolver import MappingResolver
    mark = Image.new("RGBA", (40, 40))
    mark.putdata([((x * 53) % 256, (y * 31) % 256, (x * y) % 256, 255 if (x + y) % 7 else 90)
                  for y in range(40) for x in range(40)])
    resolver = MappingResolver({"m.png": _png(mark)})
    key = b64encode_text("m.png?x-oss-process=image/resize,P_50")
    result = Engine().process(_png(Image.new("RGB", (100, 100), (255, 255, 255))),
                              f"image/watermark,image_{key},g_nw,x_0,y_0/format,png",
                              resolver=resolver)
    got = Image.open(io.BytesIO(result.data)).convert("RGB").crop((0, 0, 50, 50))
    scaled = mark.convert("RGBa").resize((50, 50), Image.Resampling.LANCZOS).convert("RGBA")
    want = Image.new("RGBA", (50, 50), (255, 255, 255, 255))
    want.alpha_composite(scaled)
    assert got.tobytes() == want.convert("RGB").tobytes()


def test_a_watermark_object_that_is_not_an_image_has_the_documented_message():
    """Spec 19: a non-image is 400 BadRequest `This image format is not supported.`
    (EC 0040-00000005) -- also when the Context has no engine decoder."""
    from core.ops.watermark_image import WatermarkObject, load_watermark_image
    from core.picture import Context
    from core.resolver import MappingResolver
    ctx = Context(resolver=MappingResolver({"m.png": b"not an image"}))
    with pytest.raises(OssError) as info:
        load_watermark_image(WatermarkObject("m.png"), (10, 10), ctx)
    err = info.value
    assert (err.code, err.status, err.ec, err.key, err.message) == (
        "BadRequest", 400, "0040-00000005", "image", "This image format is not supported.")


def test_rotating_over_4096_names_the_rotate_value():
    with pytest.raises(OssError) as info:
        Engine().process(_png(Image.new("RGB", (4097, 2))), "image/rotate,90")
    assert (info.value.code, info.value.key, info.value.action) == ("BadRequest", "value",
                                                                   "rotate")
