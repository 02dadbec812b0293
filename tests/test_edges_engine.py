"""Edges of core.engine that the mutation run showed untested: ``info()`` and the
``image/info`` Result against the 2021 doc example (the demo ``example.jpg``: FileSize
21839, Format jpg, ImageHeight 267, ImageWidth 400), and ``apply_steps`` (the loop the
watermark preprocessing runs): it passes the context to each step and tags an error with
the failing step."""
from __future__ import annotations

import io
import json
import threading
import time

import pytest
from PIL import Image

from core.codec import MAX_SOURCE_BYTES
from core.engine import Engine, Source, StepTiming, info
from core.errors import OssError
from core.params import b64encode_text
from core.resolver import MappingResolver

from tests.helpers import EXAMPLE


DOC_EXAMPLE = {"FileSize": "21839", "Format": "jpg", "ImageHeight": "267", "ImageWidth": "400"}


def _example():
    assert EXAMPLE.stat().st_size == 21839  # the OSS demo image, byte for byte
    return EXAMPLE


def test_info_returns_the_doc_fields_as_strings():
    body = info(_example())
    for name, value in DOC_EXAMPLE.items():
        assert body[name] == {"value": value}


def test_info_of_bytes_equals_info_of_the_path():
    path = _example()
    assert info(path.read_bytes()) == info(path)


def test_the_info_result_carries_the_stored_size_and_one_info_timing():
    path = _example()
    before = time.perf_counter()
    result = Engine().process(path, "image/info")
    elapsed = time.perf_counter() - before
    assert result.is_json
    assert result.format == "json"
    assert result.content_type == "application/json"
    assert (result.width, result.height) == (400, 267)
    assert len(result.timings) == 1
    (timing,) = result.timings
    assert isinstance(timing, StepTiming)
    assert timing.label == "info"
    assert not timing.cached
    # A duration measured inside the call: never negative, never longer than the call.
    assert 0.0 <= timing.seconds <= elapsed


def _png(color: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


# Steps run in order against the given resolver; an error names the failing step.

def test_steps_run_in_order_with_the_given_resolver():
    seen = []

    def resolver(key: str) -> bytes:
        seen.append(key)
        return _png((255, 0, 0), (4, 4))

    white = io.BytesIO()
    Image.new("RGB", (20, 10), (255, 255, 255)).save(white, "PNG")
    result = Engine().process(white.getvalue(), "image/resize,w_10,h_5,m_fixed/watermark,"
                              "image_" + b64encode_text("mark.png") + ",g_nw,x_0,y_0/format,png",
                              resolver=resolver)
    out = Image.open(io.BytesIO(result.data)).convert("RGB")
    assert seen == ["mark.png"]
    assert out.size == (10, 5)
    # The 4x4 red mark sits at the top-left corner (nw, x_0, y_0); the rest stays white.
    assert out.getpixel((0, 0)) == (255, 0, 0) and out.getpixel((3, 3)) == (255, 0, 0)
    assert out.getpixel((9, 4)) == (255, 255, 255)


def test_an_error_is_tagged_with_the_failing_step_and_action():
    white = io.BytesIO()
    Image.new("RGB", (20, 10), (255, 255, 255)).save(white, "PNG")
    with pytest.raises(OssError) as err:
        Engine().process(white.getvalue(), "image/resize,w_10/watermark,image_"
                         + b64encode_text("gone.png"), resolver=MappingResolver({}))
    e = err.value
    assert e.code == "NoSuchKey" and e.status == 404
    assert (e.step, e.action) == (1, "watermark")


def test_the_average_hue_result_is_the_documented_colour_with_two_timings():
    # Vector 13: example.jpg -> {"RGB": "0x5c783b"} (published; our quantiser lands within 2
    # per channel, see tests/test_inspect.py).
    path = _example()
    before = time.perf_counter()
    result = Engine().process(path, "image/average-hue")
    elapsed = time.perf_counter() - before
    body = json.loads(result.data)
    assert list(body) == ["RGB"]
    got = int(body["RGB"], 16)
    want = 0x5C783B
    assert all(abs((got >> s & 0xFF) - (want >> s & 0xFF)) <= 2 for s in (16, 8, 0))
    assert result.is_json is True
    assert result.format == "json"
    assert result.content_type == "application/json"
    # No EXIF, 400x267: the decoded picture is the stored size (no DCT reduction under 512).
    assert (result.width, result.height) == (400, 267)
    assert [t.label for t in result.timings] == ["decode", "average-hue"]
    assert all(not t.cached and 0.0 <= t.seconds <= elapsed for t in result.timings)
    assert sum(t.seconds for t in result.timings) <= elapsed


# ----------------------------------------------------------------------------- sources

def _sparse(tmp_path, size: int):
    path = tmp_path / f"big-{size}.jpg"
    with open(path, "wb") as f:
        f.truncate(size)      # sparse: no 20 MB actually written
    return path


def test_a_source_file_over_20_mb_is_refused_before_reading(tmp_path):
    # spec: source <= 20 MB (EC 0040-00000009).
    e = pytest.raises(OssError, Engine().process, _sparse(tmp_path, MAX_SOURCE_BYTES + 1),
                      "image/resize,w_10").value
    assert (e.code, e.status, e.ec) == ("ImageTooLarge", 400, "0040-00000009")
    assert "20 MB" in e.message


def test_a_source_file_of_exactly_20_mb_is_read(tmp_path):
    # At the limit the file is read; all zeros is then no image at all.
    e = pytest.raises(OssError, Engine().process, _sparse(tmp_path, MAX_SOURCE_BYTES),
                      "image/resize,w_10").value
    assert (e.code, e.status) == ("BadRequest", 400)


def test_a_missing_file_is_no_such_key_and_a_folder_is_a_bad_request(tmp_path):
    e = pytest.raises(OssError, Engine().process, tmp_path / "gone.jpg", "image/info").value
    assert (e.code, e.status) == ("NoSuchKey", 404)
    assert str(tmp_path / "gone.jpg") in e.message      # the user learns which file
    e = pytest.raises(OssError, Engine().process, tmp_path, "image/info").value
    assert (e.code, e.status) == ("BadRequest", 400)
    assert str(tmp_path) in e.message
    # A path through a file (an OSError other than not-found / is-a-directory).
    e = pytest.raises(OssError, Engine().process, EXAMPLE / "x.jpg", "image/info").value
    assert (e.code, e.status) == ("BadRequest", 400)
    assert str(EXAMPLE / "x.jpg") in e.message


def test_sources_from_a_path_and_from_bytes():
    by_path = Source.of(EXAMPLE)
    by_bytes = Source.of(EXAMPLE.read_bytes())
    assert by_path.name == "example.jpg" and by_bytes.name == ""
    assert by_path.data == by_bytes.data == EXAMPLE.read_bytes()
    assert by_path.digest == by_bytes.digest
    assert Source.of(by_path) is by_path
    assert Source.of(bytearray(b"abc")).digest == Source.of(memoryview(b"abc")).digest
    assert Source.of(b"abc").digest != Source.of(b"abd").digest


# ----------------------------------------------------------------------------- cache
# example.jpg decodes to 400x267 RGB (PIL): 400 * 267 * 3 bytes per cached picture.
PICTURE = 400 * 267 * 3


def test_a_cache_of_zero_entries_keeps_nothing():
    engine = Engine(cache_entries=0)
    engine.process(EXAMPLE, "image/rotate,90")
    assert engine.cache_bytes == 0


def test_one_entry_keeps_the_latest_picture_only():
    engine = Engine(cache_entries=1)
    engine.process(EXAMPLE, "image/bright,10")   # decode, then bright: same size
    assert engine.cache_bytes == PICTURE
    engine = Engine(cache_entries=2)
    engine.process(EXAMPLE, "image/bright,10")
    assert engine.cache_bytes == 2 * PICTURE


def test_a_picture_of_exactly_the_byte_budget_is_kept_one_byte_more_is_not():
    engine = Engine(cache_bytes=PICTURE)
    engine.process(EXAMPLE, "image/bright,10")
    assert engine.cache_bytes == PICTURE
    engine = Engine(cache_bytes=PICTURE - 1)
    engine.process(EXAMPLE, "image/bright,10")
    assert engine.cache_bytes == 0


def test_a_second_run_resumes_from_the_cached_prefix():
    engine = Engine()
    engine.process(EXAMPLE, "image/resize,w_100/rotate,90")
    again = engine.process(EXAMPLE, "image/resize,w_100/rotate,90/bright,10")
    labels = [(t.label, t.cached) for t in again.timings]
    assert labels == [("decode", True), ("resize,w_100", True), ("rotate,90", True),
                      ("bright,10", False), ("encode", False)]
    assert (again.width, again.height) == (67, 100)


@pytest.mark.parametrize("upto,size", [(0, (400, 267)), (-3, (400, 267)), (1, (267, 400)),
                                       (2, (100, 150)), (9, (100, 150)), (None, (100, 150))])
def test_upto_is_clamped_to_the_cascade(upto, size):
    # rotate,90 swaps the sides; resize,w_100 of 267x400 -> 100x150 (400*100/267 = 149.8,
    # half-up). Rotate first: no DCT-reduced decode, so step 0 is the stored size.
    result = Engine().process(EXAMPLE, "image/rotate,90/resize,w_100", upto=upto)
    assert (result.width, result.height) == size


def test_a_cached_image_watermark_result_is_never_served_for_another_resolver():
    # The same cascade on the same source, but the watermark object differs per resolver
    # (two buckets): a shared Engine must not hand back the first bucket's result.
    engine = Engine()
    process = "image/watermark,image_" + b64encode_text("mark.png") + ",g_nw,x_0,y_0"
    for color in ((255, 0, 0), (0, 0, 255), (255, 0, 0)):
        png = _png(color, (8, 8))
        result = engine.process(EXAMPLE, process + "/format,png", resolver=lambda key: png)
        with Image.open(io.BytesIO(result.data)) as im:
            assert im.convert("RGB").getpixel((2, 2)) == color


def test_an_oversized_picture_is_not_cached_and_evicts_nothing():
    engine = Engine(cache_bytes=PICTURE)
    engine.process(EXAMPLE, "image/bright,10")
    assert engine.cache_bytes == PICTURE
    # resize,w_800 doubles each side: 4 x PICTURE, over the budget -> not cached, and the
    # pictures already cached stay.
    engine.process(EXAMPLE, "image/bright,10/resize,w_800,limit_0")
    assert engine.cache_bytes == PICTURE


def test_the_least_recently_used_picture_is_evicted_first():
    engine = Engine(cache_entries=2)
    engine.process(EXAMPLE, "image/bright,10/contrast,10")   # three same-size pictures
    assert engine.cache_bytes == 2 * PICTURE
    # Kept: the two newest (after bright, after contrast). The second run decodes again
    # (evicting the oldest, bright) and resumes from the full cached prefix.
    again = engine.process(EXAMPLE, "image/bright,10/contrast,10")
    assert [(t.label, t.cached) for t in again.timings] == [
        ("decode", False), ("bright,10", True), ("contrast,10", True), ("encode", False)]
    assert engine.cache_bytes == 2 * PICTURE


def test_two_threads_computing_the_same_picture_count_its_bytes_once():
    # Both threads look the step up (a miss) before either has computed it; the barrier in
    # the cancellation callback (called before each step) makes that certain.
    engine = Engine()
    engine.process(EXAMPLE, "image/contrast,10")      # decoded + after contrast
    barrier = threading.Barrier(2, timeout=30)
    errors = []

    def work():
        first = [True]

        def cancelled():
            if first[0]:
                first[0] = False
                barrier.wait()
            return False
        try:
            engine.process(EXAMPLE, "image/bright,10", cancelled=cancelled)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # Decoded, after contrast and after bright, whoever stored bright first.
    assert engine.cache_bytes == 3 * PICTURE


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
    assert (e.code, e.step, e.action) == ("ImageTooLarge", 1, "rotate")


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
