"""The watermark action (spec section 15), continued: image + text blocks, P preprocessing,
errors with their published codes, animation and alpha, and the SDK vector (see
tests/test_watermark.py for placement, text, opacity, rotation and tiling)."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from core.cascade import parse
from core.engine import process
from core.errors import OssError
from core.ops.watermark import Watermark, render_text
from core.ops.watermark_image import parse_image_value
from core.ops.watermark_layout import layout_block, percent_size
from core.picture import Context, Picture
from core.resolver import FolderResolver, MappingResolver

from tests.watermark_env import (ANCHORS, BLUE, EXAMPLE, RED, WHITE, b64, changed_box, context,
                                 ink_size, picture, png, run, watermark)


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
    ("image/resize,w_0", "0040-00000312"),     # the inner step's EC is kept (spec 2.1)
    ("image/rotate,400", "0040-00000217"),
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
    # It answers as an OSS error document: Code, EC and a Message that says something.
    import xml.etree.ElementTree as ET
    doc = ET.fromstring(e.value.to_xml())
    assert (doc.findtext("Code"), doc.findtext("EC")) == ("InvalidArgument", "0040-00000258")
    assert doc.findtext("Message").strip()


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
