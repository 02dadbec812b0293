"""The watermark action (spec section 15): placement, tiling, opacity, rotation, shadow,
image + text blocks, P preprocessing, errors and the SDK vector.

Expected values come from the spec's placement formulas and published error codes; the
images are synthetic (solid colours on white) so that pixel probes are exact.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from core import codec, fonts
from core.cascade import parse
from core.engine import process
from core.errors import OssError
from core.ops.watermark import Watermark, render_text, rotate_clockwise
from core.ops.watermark_image import parse_image_value
from core.ops.watermark_layout import (anchor_origin, layout_block, percent_size, shadow_offset,
                                       tile_grid)
from core.picture import Context, Picture
from core.resolver import FolderResolver, MappingResolver

ROOT = Path(__file__).resolve().parent.parent
SDK_EXAMPLE = ROOT.parent / "shared" / "fixtures" / "example.jpg"
EXAMPLE = SDK_EXAMPLE if SDK_EXAMPLE.is_file() else ROOT / "resources" / "samples" / "example.jpg"

WHITE = (255, 255, 255)
RED = (255, 0, 0)
BLUE = (0, 0, 255)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def png(w: int, h: int, color=RED, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (w, h), color).save(out, "PNG")
    return out.getvalue()


def picture(w: int, h: int, color=WHITE, mode: str = "RGB") -> Picture:
    img = Image.new(mode, (w, h), color)
    return Picture(frames=(img,), source_format="png", source_size=img.size)


def context(**objects: bytes) -> Context:
    objects = {k.replace("__", "/"): v for k, v in objects.items()}
    return Context(resolver=MappingResolver(objects), decode=lambda d: codec.decode(d))


def watermark(params: str) -> Watermark:
    (op,) = parse("image/watermark," + params).steps
    return op


def run(params: str, pic: Picture, ctx: Context | None = None) -> Picture:
    return watermark(params).apply(pic, ctx or context())


def ink_size(text: str, size: int = 40) -> tuple[int, int]:
    """Ink box of ``text`` drawn in the default font (wqy-zenhei) by Pillow directly -- an
    oracle that does not go through core's text renderer (runs, fallback, shadow, crop)."""
    face = ImageFont.truetype(str(ROOT / "resources" / "fonts" / "wqy-zenhei" /
                                  "wqy-zenhei.ttc"), size)
    canvas = Image.new("L", (size * (len(text) + 2), size * 3), 0)
    ImageDraw.Draw(canvas).text((size, size * 2), text, font=face, fill=255, anchor="ls")
    left, top, right, bottom = canvas.getbbox()
    return right - left, bottom - top


def changed_box(before: Image.Image, after: Image.Image, threshold: int = 0):
    """Bounding box of the pixels that differ by more than ``threshold`` in any band."""
    r, g, b = ImageChops.difference(before.convert("RGB"), after.convert("RGB")).split()
    most = ImageChops.lighter(ImageChops.lighter(r, g), b)
    return most.point(lambda v: 255 if v > threshold else 0).getbbox()


# -- anchors -------------------------------------------------------------------------------

# Spec §15.1 placement table: (left, top) for a w x h watermark on W x H.
W, H, w, h = 200, 120, 40, 20
X, Y, V = 7, 5, 12


def spec_origin(g: str, x: int, y: int, voffset: int) -> tuple[int, int]:
    cx, cy = (W - w) // 2, (H - h) // 2 - voffset  # positive voffset = up (our choice)
    return {
        "nw": (x, y), "north": (cx, y), "ne": (W - w - x, y),
        "west": (x, cy), "center": (cx, cy), "east": (W - w - x, cy),
        "sw": (x, H - h - y), "south": (cx, H - h - y), "se": (W - w - x, H - h - y),
    }[g]


ANCHORS = ["nw", "north", "ne", "west", "center", "east", "sw", "south", "se"]


@pytest.mark.parametrize("g", ANCHORS)
def test_anchor_origin_follows_the_spec_table(g):
    assert anchor_origin(W, H, w, h, g, X, Y, V) == spec_origin(g, X, Y, V)


@pytest.mark.parametrize("g", ANCHORS)
@pytest.mark.parametrize("extra, xyv", [("", (10, 10, 0)), (f",x_{X},y_{Y},voffset_{V}", (X, Y, V)),
                                        (",x_0,y_0,voffset_-30", (0, 0, -30))])
def test_image_watermark_lands_on_its_anchor(g, extra, xyv):
    ctx = context(**{"logo.png": png(w, h)})
    src = picture(W, H)
    out = run(f"image_{b64('logo.png')},g_{g}{extra}", src, ctx)
    left, top = spec_origin(g, *xyv)
    assert out.size == (W, H)
    assert changed_box(src.image, out.image) == (left, top, left + w, top + h)
    assert out.image.getpixel((left, top)) == RED
    assert out.image.getpixel((left + w - 1, top + h - 1)) == RED


def test_default_anchor_is_se_with_10px_margins():
    ctx = context(**{"logo.png": png(w, h)})
    src = picture(W, H)
    out = run(f"image_{b64('logo.png')}", src, ctx)
    assert changed_box(src.image, out.image) == (W - w - 10, H - h - 10, W - 10, H - 10)


def test_positive_voffset_moves_up():
    ctx = context(**{"logo.png": png(w, h)})
    src = picture(W, H)
    up = changed_box(src.image, run(f"image_{b64('logo.png')},g_center,voffset_30", src, ctx).image)
    mid = changed_box(src.image, run(f"image_{b64('logo.png')},g_center", src, ctx).image)
    assert up[1] == mid[1] - 30


def test_voffset_is_ignored_outside_the_middle_row():
    ctx = context(**{"logo.png": png(w, h)})
    src = picture(W, H)
    a = run(f"image_{b64('logo.png')},g_north,voffset_30", src, ctx).image
    b = run(f"image_{b64('logo.png')},g_north", src, ctx).image
    assert changed_box(a, b) is None


def test_watermark_larger_than_the_image_is_clipped():
    ctx = context(**{"big.png": png(300, 300)})
    out = run(f"image_{b64('big.png')},g_nw,x_20,y_20", picture(100, 80), ctx)
    assert out.size == (100, 80)
    assert out.image.getpixel((19, 19)) == WHITE
    assert out.image.getpixel((20, 20)) == RED
    assert out.image.getpixel((99, 79)) == RED


def test_transparent_parts_of_an_image_watermark_leave_the_image_alone():
    logo = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    logo.paste((0, 0, 255, 255), (5, 5, 15, 15))
    out_b = io.BytesIO()
    logo.save(out_b, "PNG")
    ctx = context(**{"ring.png": out_b.getvalue()})
    src = picture(60, 60)
    out = run(f"image_{b64('ring.png')},g_nw,x_0,y_0", src, ctx)
    assert changed_box(src.image, out.image) == (5, 5, 15, 15)


# -- text ----------------------------------------------------------------------------------

def test_text_ink_sits_at_the_margins():
    src = picture(300, 150)
    text = b64("Hello 图片")
    nw = run(f"text_{text},color_FF0000,g_nw,x_0,y_0", src).image
    # The ink's size as FreeType measures it with the default font, independently of
    # render_text; the anchored edges are exact, the far edges within a pixel of the outline.
    tw, th = ink_size("Hello 图片")
    left, top, right, bottom = changed_box(src.image, nw)
    assert (left, top) == (0, 0)
    assert abs(right - tw) <= 1 and abs(bottom - th) <= 1
    se = run(f"text_{text},color_FF0000", src).image  # g_se, x_10, y_10 by default
    left, top, right, bottom = changed_box(src.image, se)
    assert (right, bottom) == (290, 140)
    assert abs(left - (290 - tw)) <= 1 and abs(top - (140 - th)) <= 1


def test_text_defaults_size_40_black():
    src = picture(400, 200)
    layer = render_text("图片服务")
    out = run(f"text_{b64('图片服务')}", src).image
    box = changed_box(src.image, out)
    assert (box[2] - box[0], box[3] - box[1]) == layer.size
    # ~ 4 glyphs of a 40 px CJK font
    assert 150 <= layer.width <= 170 and 30 <= layer.height <= 42
    darkest = min(out.crop(box).convert("L").get_flattened_data())
    assert darkest == 0


def test_text_colour():
    src = picture(200, 100)
    out = run(f"text_{b64('一')},color_00FF00,size_60,g_center", src).image
    box = changed_box(src.image, out)
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    assert out.getpixel((cx, cy)) == (0, 255, 0)


def test_chinese_text_is_not_drawn_as_missing_glyph_boxes():
    for name in fonts.OSS_FONT_NAMES:
        real = render_text("图片服务", name, 40)
        boxes = render_text("\ue000" * 4, name, 40)
        assert real.getbbox() is not None
        assert real.size != boxes.size or ImageChops.difference(real, boxes).getbbox()


def test_latin_in_droid_falls_back_and_says_so():
    op = watermark(f"text_{b64('Hi 图片')},type_{b64('droidsansfallback')}")
    out = op.apply(picture(300, 100), context())
    assert any("droidsansfallback" in n and "Hi" in n for n in out.notes)
    layer = render_text("Hi", "droidsansfallback", 40)
    assert layer.getbbox() == render_text("Hi", "wqy-zenhei", 40).getbbox()


@pytest.mark.parametrize("name", ["fangzhengshusong", "fangzhengkaiti", "fangzhengheiti",
                                  "fangzhengfangsong"])
def test_proprietary_font_substitution_is_reported(name):
    out = run(f"text_{b64('水印')},type_{b64(name)}", picture(200, 100))
    assert fonts.substitution_note(name) in out.notes
    assert fonts.font_info(name).family in fonts.substitution_note(name)


def test_open_fonts_add_no_note():
    for name in ("wqy-zenhei", "wqy-microhei"):
        assert run(f"text_{b64('水印')},type_{b64(name)}", picture(200, 100)).notes == ()


def test_padded_and_unpadded_base64_are_equal():
    a = watermark("text_SGVsbG8gV29ybGQ")
    b = watermark("text_SGVsbG8gV29ybGQ=")
    assert a == b and a.text == "Hello World"
    assert watermark("text_SGVsbG8g5Zu-54mH5pyN5YqhIQ").text == "Hello 图片服务!"
    assert watermark("text_YQ,type_d3F5LXplbmhlaQ==").type == "wqy-zenhei"


def test_size_changes_the_text_height():
    small, big = render_text("图", size=20), render_text("图", size=80)
    assert 3.5 < big.height / small.height < 4.5


# -- opacity, shadow, rotate ---------------------------------------------------------------

def test_opacity():
    ctx = context(**{"logo.png": png(10, 10)})
    src = picture(40, 40)
    half = run(f"image_{b64('logo.png')},t_50,g_nw,x_0,y_0", src, ctx).image
    r, g, b = half.getpixel((5, 5))
    assert r == 255 and abs(g - 128) <= 1 and abs(b - 128) <= 1
    none = run(f"image_{b64('logo.png')},t_0", src, ctx).image
    assert changed_box(src.image, none) is None


def test_opacity_applies_to_text():
    src = picture(200, 100)
    full = run(f"text_{b64('一')},size_80,g_center", src).image
    faint = run(f"text_{b64('一')},size_80,g_center,t_30", src).image
    box = changed_box(src.image, full)
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    assert full.getpixel((cx, cy)) == (0, 0, 0)
    assert abs(faint.getpixel((cx, cy))[0] - round(255 * 0.7)) <= 1


def test_shadow_is_a_darker_copy_offset_down_right():
    d = shadow_offset(40)
    assert d == 2
    plain = render_text("一", size=40)
    shaded = render_text("一", size=40, shadow=100)
    assert shaded.size == (plain.width + d, plain.height + d)
    # White text over white: only the shadow shows, shifted by d.
    src = picture(200, 100)
    out = run(f"text_{b64('一')},color_FFFFFF,shadow_100,g_nw,x_0,y_0", src).image
    box = changed_box(src.image, out)
    assert box[0] >= d - 1 and box[1] >= d - 1
    assert min(out.crop(box).convert("L").get_flattened_data()) < 60
    assert changed_box(src.image, run(f"text_{b64('一')},color_FFFFFF,g_nw", src).image) is None


def test_shadow_opacity():
    src = picture(200, 100)
    out = run(f"text_{b64('一')},color_FFFFFF,shadow_50,size_80,g_nw,x_0,y_0", src).image
    darkest = min(out.convert("L").get_flattened_data())
    assert abs(darkest - 128) <= 2


def test_rotate_clockwise_helper():
    layer = Image.new("RGBA", (30, 10), (0, 0, 0, 0))
    layer.putpixel((29, 0), (255, 0, 0, 255))  # top-right corner
    turned = rotate_clockwise(layer, 90)
    assert turned.size == (10, 30)
    assert turned.getpixel((9, 29)) == (255, 0, 0, 255)  # now bottom-right
    assert rotate_clockwise(layer, 360) is layer
    assert rotate_clockwise(layer, 180).getpixel((0, 9)) == (255, 0, 0, 255)


def test_rotated_text_block_grows():
    flat = render_text("一二三四五", size=40)
    src = picture(400, 400)
    box90 = changed_box(src.image, run(f"text_{b64('一二三四五')},rotate_90,g_center", src).image)
    assert (box90[2] - box90[0], box90[3] - box90[1]) == (flat.height, flat.width)
    box45 = changed_box(src.image, run(f"text_{b64('一二三四五')},rotate_45,g_center", src).image)
    assert box45[3] - box45[1] > flat.height * 2
    assert box45[2] - box45[0] < flat.width


def test_rotated_text_goes_down_to_the_right():
    # Clockwise: the end of a horizontal line of text ends lower than its start.
    src = picture(400, 400)
    out = run(f"text_{b64('一一一一一')},rotate_30,g_center,color_FF0000", src).image
    box = changed_box(src.image, out)
    left_col = [y for y in range(box[1], box[3]) if out.getpixel((box[0] + 3, y)) != WHITE]
    right_col = [y for y in range(box[1], box[3]) if out.getpixel((box[2] - 4, y)) != WHITE]
    assert sum(right_col) / len(right_col) > sum(left_col) / len(left_col)


# -- tiling --------------------------------------------------------------------------------

def test_tile_grid_covers_the_image_from_the_anchor():
    xs, ys = tile_grid(100, 60, 10, 8, 37, 21, 5, 2)
    assert 37 in xs and 21 in ys
    assert xs.step == 15 and ys.step == 10
    assert xs.start + 10 > 0 and xs.start - 15 + 10 <= 0
    assert ys.start + 8 > 0 and ys.start - 10 + 8 <= 0
    assert xs[-1] < 100 and xs[-1] + 15 >= 100


def test_tile_grid_with_the_anchor_tile_off_the_image():
    xs, ys = tile_grid(10, 10, 5, 5, -50, -3, 0, 0)
    assert list(xs) == [0, 5] and list(ys) == [-3, 2, 7]


def test_fill_tiles_with_padding():
    ctx = context(**{"tile.png": png(10, 10)})
    src = picture(100, 100)
    out = run(f"image_{b64('tile.png')},fill_1,padx_5,pady_7,g_nw,x_0,y_0", src, ctx).image
    for ty in range(0, 100, 17):
        for tx in range(0, 100, 15):
            assert out.getpixel((tx, ty)) == RED
            if tx + 9 < 100 and ty + 9 < 100:
                assert out.getpixel((tx + 9, ty + 9)) == RED
            if tx + 10 < 100:
                assert out.getpixel((tx + 10, ty)) == WHITE  # horizontal gap
            if ty + 10 < 100:
                assert out.getpixel((tx, ty + 10)) == WHITE  # vertical gap


def test_fill_keeps_the_anchor_tile_in_place():
    ctx = context(**{"tile.png": png(10, 10)})
    src = picture(100, 100)
    out = run(f"image_{b64('tile.png')},fill_1,padx_5,pady_5", src, ctx).image  # g_se
    # Anchor tile at (80, 80); the lattice repeats every 15 px in both directions.
    for x0 in (80, 65, 50, 5, -10):
        for y0 in (80, 35, 5):
            for x in range(max(x0, 0), x0 + 10):
                assert out.getpixel((x, y0)) == RED
    assert out.getpixel((79, 80)) == WHITE and out.getpixel((90, 80)) == WHITE
    assert out.getpixel((0, 0)) == WHITE  # rows at y = -10..-1 are off the image


def test_fill_with_text_covers_the_whole_image():
    src = picture(300, 300)
    out = run(f"text_{b64('水印')},fill_1,size_20,padx_10,pady_10", src).image
    box = changed_box(src.image, out)
    assert box[0] < 30 and box[1] < 30 and box[2] > 270 and box[3] > 270


def test_fill_with_a_tiny_watermark_on_a_large_image():
    ctx = context(**{"dot.png": png(1, 1)})
    src = picture(3000, 2000)
    out = run(f"image_{b64('dot.png')},fill_1,padx_1,pady_1", src, ctx).image
    assert out.getpixel((0, 0)) in (RED, WHITE)
    # Every other pixel in both directions: the lattice through (2989, 1989).
    assert out.getpixel((2989, 1989)) == RED and out.getpixel((2990, 1989)) == WHITE
    assert out.getpixel((1, 1)) == RED and out.getpixel((2, 1)) == WHITE


# -- image + text --------------------------------------------------------------------------

def test_layout_block():
    # order 0: image left; align 2 (default): bottoms aligned
    blk = layout_block((30, 60), (50, 20), 0, 2, 7)
    assert blk.size == (87, 60) and blk.image_at == (0, 0) and blk.text_at == (37, 40)
    blk = layout_block((30, 60), (50, 20), 1, 0, 7)
    assert blk.size == (87, 60) and blk.text_at == (0, 0) and blk.image_at == (57, 0)
    blk = layout_block((30, 10), (50, 20), 0, 1, 0)
    assert blk.size == (80, 20) and blk.image_at == (0, 5) and blk.text_at == (30, 0)


@pytest.mark.parametrize("order, align", [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)])
def test_image_and_text_block(order, align):
    ctx = context(**{"logo.png": png(30, 80, BLUE)})
    src = picture(400, 200)
    text = render_text("一", size=40, color="FF0000")
    out = run(f"image_{b64('logo.png')},text_{b64('一')},color_FF0000,order_{order},"
              f"align_{align},interval_17,g_nw,x_0,y_0", src, ctx).image
    blue_mask = ImageChops.difference(out, Image.new("RGB", out.size, BLUE)).convert("L") \
        .point(lambda v: 255 if v == 0 else 0)
    changed = ImageChops.difference(out, src.image).convert("L").point(lambda v: 255 if v else 0)
    blue = blue_mask.getbbox()
    red = ImageChops.subtract(changed, blue_mask).getbbox()  # the text's ink
    if order == 0:
        assert blue[0] == 0 and red[0] == 30 + 17
    else:
        assert red[0] == 0 and blue[0] == text.width + 17
    expected_top = {0: 0, 1: (80 - text.height) // 2, 2: 80 - text.height}[align]
    assert blue[1] == 0 and blue[3] == 80
    assert (red[1], red[3] - red[1]) == (expected_top, text.height)


# -- P: preprocessing relative to the main image -------------------------------------------

@pytest.mark.parametrize("main, expected", [((100, 100), (10, 10)), ((200, 200), (20, 20)),
                                            ((300, 100), (30, 30)), ((100, 300), (10, 10))])
def test_P_scales_to_a_percentage_of_the_main_image_width(main, expected):
    # Doc example: P_10 on 100x100 -> 10x10, on 200x200 -> 20x20.
    ctx = context(**{"panda.png": png(50, 50)})
    src = picture(*main)
    key = b64("panda.png?x-oss-process=image/resize,P_10")
    out = run(f"image_{key},g_nw,x_0,y_0", src, ctx).image
    assert changed_box(src.image, out) == (0, 0) + expected


def test_P_on_a_non_square_watermark_keeps_its_aspect():
    assert percent_size(300, 40, 20, 50) == (150, 75)
    ctx = context(**{"bar.png": png(40, 20)})
    src = picture(300, 100)
    key = b64("bar.png?x-oss-process=image/resize,P_50")
    out = run(f"image_{key},g_nw,x_0,y_0", src, ctx).image
    assert changed_box(src.image, out) == (0, 0, 150, 75)


def test_P_may_enlarge_the_watermark():
    ctx = context(**{"dot.png": png(4, 4)})
    src = picture(400, 100)
    key = b64("dot.png?x-oss-process=image/resize,P_10")
    out = run(f"image_{key},g_nw,x_0,y_0", src, ctx).image
    assert changed_box(src.image, out) == (0, 0, 40, 40)


def test_doc_preprocessing_vector_decodes():
    obj = parse_image_value("panda.png?x-oss-process=image/resize,P_30")
    assert obj.key == "panda.png" and [s.to_string() for s in obj.steps] == ["resize,P_30"]
    op = watermark("image_cGFuZGEucG5nP3gtb3NzLXByb2Nlc3M9aW1hZ2UvcmVzaXplLFBfMzA")
    assert op.image == "panda.png?x-oss-process=image/resize,P_30"
    op = watermark("image_cGljcy9Lb2FsYS5qcGc_eC1vc3MtcHJvY2Vzcz1pbWFnZS9yZXNpemUsUF8yMA")
    assert parse_image_value(op.image).key == "pics/Koala.jpg"


def test_other_preprocessing_actions_run_in_order():
    ctx = context(**{"logo.png": png(60, 40)})
    src = picture(300, 200)
    key = b64("logo.png?x-oss-process=image/crop,w_30,h_20/rotate,90")
    out = run(f"image_{key},g_nw,x_0,y_0", src, ctx).image
    assert changed_box(src.image, out) == (0, 0, 20, 30)
    key = b64("logo.png?x-oss-process=image/resize,P_20,w_10")  # P first, then w
    out = run(f"image_{key},g_nw,x_0,y_0", src, ctx).image
    assert changed_box(src.image, out) == (0, 0, 10, 7)


@pytest.mark.parametrize("pre, ec", [
    ("image/watermark,text_YQ", "0040-00000373"),
    ("image/resize,w_10/watermark,text_YQ", "0040-00000373"),
    ("image/blur,r_3,s_2", None),
    ("image/format,png", None),
    ("style/small", None),
    ("image/resize,P_0", None),
    ("image/resize,P_101", None),
    ("image/resize,P_x", None),
    ("image/resize,w_0", None),
])
def test_bad_preprocessing_is_rejected_at_parse_time(pre, ec):
    with pytest.raises(OssError) as e:
        parse(f"image/watermark,image_{b64('logo.png?x-oss-process=' + pre)}")
    assert e.value.code in ("InvalidArgument", "MissingArgument")
    assert e.value.key == "image" and e.value.step == 0
    if ec:
        assert e.value.ec == ec


# -- errors --------------------------------------------------------------------------------

# Spec vector 19: each out-of-range value is a 400 with its EC.
VECTOR_19 = [
    ("t_200", "t", "0040-00000263"), ("x_8000", "x", "0040-00000262"),
    ("y_8000", "y", "0040-00000264"), ("voffset_2000", "voffset", "0040-00000268"),
    ("size_2000", "size", "0040-00000256"), ("shadow_200", "shadow", "0040-00000255"),
    ("rotate_400", "rotate", "0040-00000272"), ("fill_2", "fill", "0040-00000274"),
    ("padx_5000", "padx", "0040-00000276"), ("order_2", "order", "0040-00000269"),
    ("align_3", "align", "0040-00000271"), ("interval_2000", "interval", "0040-00000270"),
    ("text_notbase64", "text", "0040-00000257"), ("image_notbase64", "image", "0040-00000265"),
    ("type_notbase64", "type", "0040-00000250"),
]


@pytest.mark.parametrize("param, key, ec", VECTOR_19)
def test_published_error_codes(param, key, ec):
    process = f"image/watermark,text_{b64('a')},{param}"
    with pytest.raises(OssError) as e:
        parse(process)
    err = e.value
    assert (err.code, err.status, err.ec, err.key) == ("InvalidArgument", 400, ec, key)
    assert key in err.message or "base64" in err.message
    assert err.step == 0 and err.action == "watermark"


def test_not_base64_message():
    with pytest.raises(OssError) as e:
        parse("image/watermark,text_notbase64")
    assert e.value.message == "Input is not base64 decoding."


def test_empty_text():
    with pytest.raises(OssError) as e:
        parse("image/watermark,text_")
    assert (e.value.code, e.value.ec, e.value.key) == ("InvalidArgument", "0040-00000258", "text")
    with pytest.raises(OssError) as e:
        Watermark(text="").check()
    assert (e.value.ec, e.value.key) == ("0040-00000258", "text")


def test_text_longer_than_64_bytes():
    parse(f"image/watermark,text_{b64('图' * 21)}")  # 63 bytes
    with pytest.raises(OssError) as e:
        parse(f"image/watermark,text_{b64('图' * 22)}")  # 66 bytes
    assert (e.value.code, e.value.key) == ("InvalidArgument", "text")
    assert "64" in e.value.message


def test_unknown_font():
    with pytest.raises(OssError) as e:
        parse(f"image/watermark,text_YQ,type_{b64('simsun')}")
    assert (e.value.code, e.value.key) == ("InvalidArgument", "type")
    assert "simsun" in e.value.message


def test_neither_text_nor_image():
    with pytest.raises(OssError) as e:
        parse("image/watermark,t_50")
    assert e.value.code == "MissingArgument"


def test_seven_image_watermarks_are_too_many():
    step = f"watermark,image_{b64('logo.png')}"
    with pytest.raises(OssError) as e:
        parse("image/" + "/".join([step] * 7))
    assert (e.value.code, e.value.ec, e.value.step) == ("InvalidArgument", "0040-00000026", 6)


def test_four_different_watermark_images_are_too_many():
    steps = [f"watermark,image_{b64(f'logo{i}.png')}" for i in range(4)]
    parse("image/" + "/".join(steps[:3]))
    with pytest.raises(OssError) as e:
        parse("image/" + "/".join(steps))
    assert (e.value.ec, e.value.step) == ("0040-00000026", 3)


def test_doc_multi_watermark_example_is_accepted():
    # 2 text + 5 image actions over 3 distinct images, as the old multi-watermark example.
    imgs = ["a.png", "b.png", "c.png", "a.png", "b.png"]
    steps = [f"watermark,text_{b64('Watermark 1')}", f"watermark,text_{b64('Watermark 2')}"]
    steps += [f"watermark,image_{b64(k)},g_{g}" for k, g in zip(imgs, ANCHORS)]
    assert len(parse("image/" + "/".join(steps))) == 7


def test_missing_watermark_object():
    with pytest.raises(OssError) as e:
        process(EXAMPLE, f"image/resize,w_100/watermark,image_{b64('nope.png')}",
                resolver=MappingResolver({}))
    err = e.value
    assert (err.code, err.status, err.key, err.step) == ("NoSuchKey", 404, "image", 1)
    assert err.details.get("Key") == "nope.png"


def test_watermark_object_that_is_not_an_image():
    with pytest.raises(OssError) as e:
        process(EXAMPLE, f"image/watermark,image_{b64('notes.txt')}",
                resolver=MappingResolver({"notes.txt": b"hello"}))
    assert e.value.code == "BadRequest" and e.value.step == 0


def test_canonical_round_trip():
    s = (f"image/watermark,t_80,g_west,x_3,y_4,voffset_-20,fill_1,padx_2,pady_3,"
         f"image_{b64('a/b.png?x-oss-process=image/resize,P_30')},text_{b64('水印')},"
         f"type_{b64('fangzhengkaiti')},color_00FF00,size_30,shadow_50,rotate_45,"
         f"order_1,align_0,interval_5")
    c = parse(s)
    assert parse(c.to_string()) == c
    assert c.to_string() == s


# -- pictures: animation, alpha ------------------------------------------------------------

def test_every_frame_of_an_animation_is_watermarked():
    frames = tuple(Image.new("RGB", (60, 40), c) for c in (WHITE, (0, 255, 0)))
    pic = Picture(frames=frames, source_format="gif", source_size=(60, 40), durations=(50, 70))
    ctx = context(**{"logo.png": png(10, 10)})
    out = run(f"image_{b64('logo.png')}", pic, ctx)
    assert len(out.frames) == 2 and out.durations == (50, 70)
    for f in out.frames:
        assert f.getpixel((45, 25)) == RED
    assert out.frames[1].getpixel((0, 0)) == (0, 255, 0)


def test_transparent_source_keeps_its_alpha():
    src = picture(50, 50, (0, 0, 0, 0), mode="RGBA")
    ctx = context(**{"logo.png": png(10, 10)})
    out = run(f"image_{b64('logo.png')},g_nw,x_0,y_0", src, ctx)
    assert out.image.mode == "RGBA"
    assert out.image.getpixel((5, 5)) == (255, 0, 0, 255)
    assert out.image.getpixel((30, 30)) == (0, 0, 0, 0)


def test_source_picture_is_not_modified():
    src = picture(50, 50)
    before = src.image.tobytes()
    run(f"text_{b64('图')}", src)
    assert src.image.tobytes() == before


# -- end to end ----------------------------------------------------------------------------

def test_sdk_vector_7_text_watermark_on_example_jpg():
    assert EXAMPLE.stat().st_size == 21839
    result = process(EXAMPLE, "image/watermark,text_SGVsbG8g5Zu-54mH5pyN5YqhIQ")
    assert (result.width, result.height, result.format) == (400, 267, "jpg")
    out = Image.open(io.BytesIO(result.data))
    assert (out.format, out.size) == ("JPEG", (400, 267))
    src = Image.open(EXAMPLE)
    box = changed_box(src, out, threshold=80)  # JPEG noise stays under this
    tw, th = ink_size("Hello 图片服务!")
    # Black text, default size 40, anchored bottom-right 10 px from the edges.
    assert abs(box[2] - 390) <= 1 and abs(box[3] - 257) <= 1
    assert abs((box[2] - box[0]) - tw) <= 2
    assert abs((box[3] - box[1]) - th) <= 2


def test_bucket_dir_resolver(tmp_path):
    (tmp_path / "marks").mkdir()
    (tmp_path / "marks" / "logo.png").write_bytes(png(20, 10))
    result = process(EXAMPLE, f"image/watermark,image_{b64('marks/logo.png')},g_nw,x_0,y_0/"
                     "format,png", resolver=FolderResolver(tmp_path))
    out = Image.open(io.BytesIO(result.data)).convert("RGB")
    assert out.getpixel((0, 0)) == RED and out.getpixel((19, 9)) == RED


def test_cascade_of_several_watermarks():
    ctx_objects = {"a.png": png(10, 10, RED), "b.png": png(10, 10, BLUE)}
    result = process(EXAMPLE, f"image/watermark,image_{b64('a.png')},g_nw,x_0,y_0/"
                     f"watermark,image_{b64('b.png')},g_nw,x_5,y_5/format,png",
                     resolver=MappingResolver(ctx_objects))
    out = Image.open(io.BytesIO(result.data)).convert("RGB")
    assert out.getpixel((0, 0)) == RED and out.getpixel((6, 6)) == BLUE
    assert out.getpixel((14, 14)) == BLUE


def test_huge_rotated_text_is_refused_not_drawn():
    with pytest.raises(OssError) as e:
        run(f"text_{b64('图' * 21)},size_1000,rotate_45", picture(100, 100))
    assert (e.value.code, e.value.key) == ("ImageTooLarge", "rotate")


def test_P_on_a_thin_strip_is_refused_not_drawn():
    ctx = context(**{"strip.png": png(1, 4000)})
    key = b64("strip.png?x-oss-process=image/resize,P_100")
    with pytest.raises(OssError) as e:
        run(f"image_{key}", picture(16000, 100), ctx)
    assert (e.value.code, e.value.key) == ("ImageTooLarge", "image")


def test_empty_object_key():
    with pytest.raises(OssError) as e:
        parse(f"image/watermark,image_{b64('?x-oss-process=image/resize,P_10')}")
    assert (e.value.code, e.value.key) == ("InvalidArgument", "image")


def test_works_without_an_engine_decoder():
    ctx = Context(resolver=MappingResolver({"logo.png": png(10, 10)}))
    out = run(f"image_{b64('logo.png')},g_nw,x_0,y_0", picture(30, 30), ctx)
    assert out.image.getpixel((0, 0)) == RED
    with pytest.raises(OssError) as e:
        run(f"image_{b64('logo.png')}", picture(30, 30),
            Context(resolver=MappingResolver({"logo.png": b"not an image"})))
    assert (e.value.code, e.value.key) == ("BadRequest", "image")
