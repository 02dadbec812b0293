"""The watermark action (spec section 15): placement, tiling, opacity, rotation, shadow,
image + text blocks, P preprocessing, errors and the SDK vector.

Expected values come from the spec's placement formulas and published error codes; the
images are synthetic (solid colours on white) so that pixel probes are exact.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageDraw

from core import fonts
from core.ops.watermark import render_text, rotate_clockwise
from core.ops.watermark_layout import anchor_origin, shadow_offset, tile_grid

from tests.watermark_env import (ANCHORS, RED, WHITE, b64, changed_box, context, ink_size, picture,
                                 png, run, watermark)


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


@pytest.mark.parametrize("x0, first", [(20, 5), (21, -9), (22, -8)])
def test_tile_grid_keeps_a_tile_one_pixel_into_the_image_and_no_more(x0, first):
    # 10 px tiles every 15 px: from x0 = 21 the tile at -9 covers column 0 (kept); from
    # x0 = 20 the tile at -10 ends exactly at the left edge (dropped)
    xs, _ = tile_grid(100, 60, 10, 8, x0, 21, 5, 2)
    assert xs.start == first and xs.start + 10 >= 1 and xs.start - 15 + 10 <= 0


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


def test_fallback_runs_are_laid_side_by_side_at_each_runs_advance():
    """'Hi图片' in droidsansfallback is two runs ('Hi' in wqy-zenhei, '图片' in Droid):
    the second starts where the first one's advance (Pillow's getlength) ends, as Pillow
    draws them on one baseline -- the layer's alpha is exactly that ink."""
    latin, cjk = fonts.load_font("wqy-zenhei", 40), fonts.load_font("droidsansfallback", 40)
    mask = Image.new("L", (400, 120), 0)
    draw = ImageDraw.Draw(mask)
    draw.text((20, 80), "Hi", font=latin, fill=255, anchor="ls")
    draw.text((20 + latin.getlength("Hi"), 80), "图片", font=cjk, fill=255, anchor="ls")
    expected = mask.crop(mask.getbbox())
    layer = render_text("Hi图片", "droidsansfallback", 40)
    assert layer.size == expected.size
    assert layer.getchannel("A").tobytes() == expected.tobytes()


@pytest.mark.parametrize("degrees,transpose", [(90, Image.Transpose.ROTATE_270),
                                               (180, Image.Transpose.ROTATE_180),
                                               (270, Image.Transpose.ROTATE_90)])
def test_quarter_turns_move_pixels_without_touching_translucent_colours(degrees, transpose):
    """A multiple of 90 degrees is a pure pixel permutation (Pillow's transpose): a
    translucent pixel keeps its exact colour -- no premultiplied round trip, which would
    turn (200, 100, 50, 3) into (170, 85, 0, 3)."""
    layer = Image.new("RGBA", (7, 4), (0, 0, 0, 0))
    for x in range(7):
        for y in range(4):
            layer.putpixel((x, y), (200 - 20 * x, 100 + 30 * y, 50, 1 + 9 * x + 2 * y))
    turned = rotate_clockwise(layer, degrees)
    assert turned.tobytes() == layer.transpose(transpose).tobytes()
    assert turned.size == layer.transpose(transpose).size
