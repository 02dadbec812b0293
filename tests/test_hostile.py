"""Hostile input: crafted files (tests/hostile_files.py, built at test time), special
files, deadlines, encoder failures and fuzzed input all end in an OSS error, within the
decode budget, never in a traceback or a hang."""
from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image, ImageFile

from core import codec, parse
from core.cli import main
from core.engine import Engine, Source
from core.errors import OssError
from core.resolver import FolderResolver
from tests import hostile_files as hf
from tests.helpers import EXAMPLE, encode, solid
from tests.hypothesis_profiles import examples


def run(data, process, **engine_kw):
    return Engine(cache_entries=0, **engine_kw).process(data, process)


# -- the crafted set -------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(hf.HOSTILE))
def test_crafted_file_gets_an_oss_answer(name):
    build, process, code = hf.HOSTILE[name]
    data = build() if name != "lossless-webp" else hf.lossless_webp(3000, 2000)
    # A lowered budget: the default admits most of these (OSS accepts them), at a cost of
    # up to ~1.5 GB each that tests must not pay; the rule is the same at any budget.
    kw = {"decode_budget": 8 * 1024 * 1024 if name == "lossless-webp" else 256 * 1024 * 1024}
    if code is None:
        result = run(data, process, **kw)
        assert result.data
    else:
        with pytest.raises(OssError) as e:
            run(data, process, **kw)
        assert e.value.code == code


def test_long_gif_delays_are_capped_not_a_crash():
    # The file: two identical 1x1 frames of 4000 s each; a GIF frame says at most
    # 655.35 s, and Pillow sums the delays of the identical frames it merges.
    result = run(hf.LONG_DELAY_GIF, "image/resize,w_100")
    out = Image.open(io.BytesIO(result.data))
    assert out.info["duration"] == codec.MAX_GIF_FRAME_MS == 655_350


def test_gif_timeline_merges_identical_frames_and_caps_delays():
    a = Image.new("P", (2, 2), 0)
    b = Image.new("P", (2, 2), 1)
    frames, delays = codec.gif_timeline([a, a.copy(), b, b.copy(), a],
                                        [400_000, 400_000, 700_000, 50, 30])
    assert delays == [655_350, 655_350, 30]
    assert [f.getpixel((0, 0)) for f in frames] == [0, 1, 0]


def test_many_frames_over_the_budget_are_refused_before_decoding(monkeypatch):
    data = hf.many_frames_gif(200_000)
    with pytest.raises(OssError) as e:
        run(data, "image/resize,w_100", decode_budget=256 * 1024 * 1024)
    assert e.value.code == "ImageTooLarge" and "200000 frame" in e.value.message


def test_an_animation_under_the_budget_keeps_its_frames():
    data = hf.many_frames_gif(300)
    out = Image.open(io.BytesIO(run(data, "image/crop,w_1,h_1").data))
    # 300 identical frames of 20 ms: one frame of 6 s.
    assert out.n_frames == 1 and out.info["duration"] == 6000


def test_static_output_decodes_only_the_first_frame():
    frames = [Image.new("RGB", (10, 10), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    engine = Engine(cache_entries=0)
    ctx = engine.context()
    src = Source.of(gif)
    pic, _ = engine.run(src, parse("image/resize,w_20/format,jpg").steps, ctx)
    assert len(pic.frames) == 1 and pic.skipped_frames == 2
    # ...and an animation still refuses to be enlarged, as when every frame was decoded.
    assert pic.size == (10, 10)
    pic, _ = engine.run(src, parse("image/crop,w_5").steps, ctx)
    assert len(pic.frames) == 3 and pic.skipped_frames == 0


# -- the decode budget -------------------------------------------------------------------

def test_budget_counts_pixels_bands_and_the_normalised_copy():
    rgb = Image.open(io.BytesIO(solid(100, 50)))
    # Pillow stores RGB (and LA) as 4 bytes a pixel, L and P as 1, 16-bit grey as 2
    assert codec.decoded_bytes(rgb, 1) == 100 * 50 * 4 + codec.FRAME_OVERHEAD
    grey = Image.open(io.BytesIO(solid(100, 50, 7, mode="L")))
    assert codec.decoded_bytes(grey, 1) == 100 * 50 * (1 + 4) + codec.FRAME_OVERHEAD
    g16 = Image.open(io.BytesIO(hf.png(100, 50, bit_depth=16)))
    # the 16-bit samples, their 8-bit high bytes, the RGB copy
    assert codec.decoded_bytes(g16, 1) == 100 * 50 * (2 + 1 + 4) + codec.FRAME_OVERHEAD
    assert codec.decoded_bytes(rgb, 10) == 10 * (100 * 50 * 4 + codec.FRAME_OVERHEAD) + \
        100 * 50 * 4


def test_budget_boundary_is_exact():
    data = solid(100, 50)
    need = 100 * 50 * 4 + codec.FRAME_OVERHEAD     # the decode: pixels + frame object
    assert run(data, "image/format,png", decode_budget=need).width == 100
    with pytest.raises(OssError) as e:
        run(data, "image/format,png", decode_budget=need - 1)
    assert (e.value.code, e.value.ec) == ("ImageTooLarge", "0040-00000012")


def test_each_step_must_fit_with_its_input():
    data = solid(100, 50)
    pixels = 100 * 50 * 4                           # Pillow keeps RGB as 4 bytes a pixel
    # rotate,90 holds its input and a new picture of the same size
    assert run(data, "image/rotate,90", decode_budget=2 * pixels).width == 50
    with pytest.raises(OssError) as e:
        run(data, "image/rotate,90", decode_budget=2 * pixels - 1)
    assert (e.value.code, e.value.ec) == ("ImageTooLarge", "0040-00000012")
    assert (e.value.step, e.value.action) == (0, "rotate")
    # a resize holds the output twice (the resampler's passes), never the input again
    # (sizes chosen so that these needs are above the decode's own: pixels + 3 KB)
    need = pixels + 2 * 50 * 25 * 4
    assert run(data, "image/resize,w_50", decode_budget=need).width == 50
    with pytest.raises(OssError) as e:
        run(data, "image/resize,w_50", decode_budget=need - 1)
    assert e.value.action == "resize"
    # a crop holds its box; settings-only steps nothing more
    need = pixels + 60 * 40 * 4
    assert run(data, "image/crop,w_60,h_40/format,png", decode_budget=need).width == 60
    with pytest.raises(OssError) as e:
        run(data, "image/crop,w_60,h_40", decode_budget=need - 1)
    assert e.value.action == "crop"


def test_the_default_admits_the_largest_sources_oss_accepts():
    # OSS: at most 250 MP. Headers only (an IHDR and an empty IDAT): nothing is decoded.
    def header(color_type, width, height):
        ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
        return Image.open(io.BytesIO(b"\x89PNG\r\n\x1a\n" + hf._png_chunk(b"IHDR", ihdr)
                                     + hf._png_chunk(b"IDAT", zlib.compress(b""))))
    for color_type in (0, 2, 6):  # grey (+ its RGB copy), RGB, RGBA (1 GB)
        codec.check_budget(header(color_type, 25000, 10000), 1, codec.DEFAULT_DECODE_BUDGET)
    with pytest.raises(OssError):  # grey + alpha: 4 + 4 bytes a pixel cannot fit
        codec.check_budget(header(4, 25000, 10000), 1, codec.DEFAULT_DECODE_BUDGET)


def test_server_workers_get_the_engines_rule_sized_to_their_address_space():
    mib = 1024 * 1024
    assert codec.budget_for_address_space(2048 * mib) == \
        min(codec.DEFAULT_DECODE_BUDGET, 2048 * mib - codec.ADDRESS_OVERHEAD)
    assert codec.budget_for_address_space(256 * mib) == 64 * mib
    assert codec.budget_for_address_space(1 << 40) == codec.DEFAULT_DECODE_BUDGET


def test_jpeg_draft_decode_is_what_the_budget_counts():
    big = encode(Image.new("RGB", (1600, 1200), (10, 120, 200)), "JPEG")
    budget = 1600 * 1200 * 3 // 2   # less than the full decode, more than an 1/8 draft
    assert run(big, "image/resize,w_100", decode_budget=budget).width == 100
    with pytest.raises(OssError):
        run(big, "image/rotate,90", decode_budget=budget)


def test_16_bit_grey_keeps_the_high_byte():
    row = struct.pack(">4H", 0, 0x12FF, 0x8000, 0xFFFF)
    pic = codec.decode(hf.png(4, 2, bit_depth=16, row=row))
    assert [pic.image.getpixel((x, 0)) for x in range(4)] == \
        [(v, v, v) for v in (0, 0x12, 0x80, 0xFF)]


# -- header reads -------------------------------------------------------------------------

def test_header_and_info_decode_no_pixels(monkeypatch):
    data = hf.exif_after_pixels_png()

    def refuse(self, *a, **k):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    header = codec.read_header(data)
    assert (header.format, header.width, header.height) == ("png", 600, 400)
    body = run(data, "image/info").data
    assert b'"ImageWidth": {"value": "600"}' in body


def test_header_reads_jpeg_orientation_without_decoding(monkeypatch):
    from tests.helpers import quadrants, with_orientation

    data = with_orientation(quadrants(40, 20), 6)
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
    assert codec.read_header(data).orientation == 6


# -- special files ---------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_jpeg_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "f.jpg"
    os.mkfifo(fifo)
    with pytest.raises(OssError) as e:
        Source.of(fifo)
    assert e.value.code == "BadRequest" and "regular file" in e.value.message


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_refused(capsys):
    assert main(["process", "/dev/zero", "image/info"]) == 1
    assert capsys.readouterr().err.startswith("BadRequest: Not a regular file")


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(OssError) as e:
        Source.of(tmp_path)
    assert e.value.code == "BadRequest"


def _sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)   # no disk blocks, no memory: only the size says 3 GB


def test_a_huge_source_is_refused_from_its_size(tmp_path):
    _sparse(tmp_path / "big.jpg", 3 * 1024 ** 3)
    with pytest.raises(OssError) as e:
        Source.of(tmp_path / "big.jpg")
    assert (e.value.code, e.value.ec) == ("ImageTooLarge", "0040-00000009")


def test_a_huge_watermark_object_is_refused_from_its_size(tmp_path):
    _sparse(tmp_path / "logo.png", 3 * 1024 ** 3)
    import base64

    key = base64.urlsafe_b64encode(b"logo.png").decode().rstrip("=")
    with pytest.raises(OssError) as e:
        Engine(cache_entries=0).process(EXAMPLE, f"image/watermark,image_{key}",
                                        resolver=FolderResolver(tmp_path))
    assert e.value.code == "ImageTooLarge" and e.value.key == "image"
    with pytest.raises(OssError) as e:
        FolderResolver(tmp_path)("logo.png")
    assert e.value.code == "ImageTooLarge"


# -- deadline and cancellation -----------------------------------------------------------

@pytest.fixture
def ticking_clock(monkeypatch):
    """time.monotonic() advancing one second per call: deadlines without wall time."""
    import time

    now = [1000.0]

    def tick():
        now[0] += 1.0
        return now[0]

    monkeypatch.setattr(time, "monotonic", tick)
    return now


def test_deadline_is_checked_between_steps(ticking_clock):
    steps = "/".join(["rotate,1"] * 20)
    with pytest.raises(OssError) as e:
        Engine(cache_entries=0, deadline=3.5).process(solid(8, 8), "image/" + steps)
    assert e.value.code == "RequestTimeout" and e.value.step is not None
    assert 0 < e.value.step < 20


def test_deadline_is_checked_between_frames(ticking_clock):
    data = hf.many_frames_gif(50)
    with pytest.raises(OssError) as e:
        Engine(cache_entries=0).process(data, "image/crop,w_1", timeout=10.5)
    assert e.value.code == "RequestTimeout"


def test_cancel_between_frames():
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(OssError) as e:
        Engine(cache_entries=0).process(hf.many_frames_gif(50), "image/crop,w_1",
                                        cancelled=cancelled)
    assert e.value.code == "Cancelled" and len(calls) == 6


def test_cli_timeout(ticking_clock, tmp_path, capsys):
    out = tmp_path / "o.jpg"
    argv = ["process", str(EXAMPLE), "image/" + "/".join(["sharpen,100"] * 10), "-o",
            str(out), "--timeout", "2.5"]
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith("RequestTimeout:")
    assert not out.exists()


# -- encoder failures --------------------------------------------------------------------

@pytest.mark.parametrize("exc,code", [(OverflowError("x"), "InternalError"),
                                      (struct.error("x"), "InternalError"),
                                      (OSError("x"), "InternalError"),
                                      (ValueError("x"), "InternalError"),
                                      (MemoryError(), "ImageTooLarge")])
def test_every_encoder_error_is_an_oss_error(monkeypatch, exc, code):
    def fail(self, *a, **k):
        raise exc

    source = solid(8, 8)
    monkeypatch.setattr(Image.Image, "save", fail)
    with pytest.raises(OssError) as e:
        run(source, "image/format,png")
    assert e.value.code == code and e.value.action == "encode"


# -- fuzzers (bounded, derandomized) -------------------------------------------------------

# Derandomized and bounded under the suite's 'ci' profile (tests/hypothesis_profiles.py);
# ten times as many random examples under 'nightly'.
FUZZ = settings(max_examples=examples(120),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SMALL = {
    "png": solid(12, 9, (10, 200, 30, 128), mode="RGBA"),
    "gif": hf.many_frames_gif(3),
    "jpg": hf.small_jpeg(),
    "trns": hf.trns_rgb_png(),
}

_ACTIONS = ["resize", "crop", "rotate", "blur", "bright", "contrast", "sharpen", "circle",
            "rounded-corners", "indexcrop", "format", "quality", "interlace", "watermark",
            "auto-orient", "info", "average-hue", "", "x"]
_KEYS = ["w", "h", "m", "l", "s", "p", "x", "y", "g", "r", "i", "q", "Q", "t", "text",
         "size", "fill", "color", "limit", "image", "rotate", "shadow", "P", ""]
_VALUES = ["0", "1", "-1", "100", "4096", "30000", "99999999999", "lfit", "fill", "pad",
           "se", "SGk", "jpg", "png", "gif", "webp", "bmp", "FF0000", "", "_", "%00", "é"]

token = st.one_of(st.sampled_from(_VALUES),
                  st.builds(lambda k, v: f"{k}_{v}", st.sampled_from(_KEYS),
                            st.sampled_from(_VALUES)))
action = st.builds(lambda a, ts: ",".join([a] + ts), st.sampled_from(_ACTIONS),
                   st.lists(token, max_size=4))
cascade = st.builds(lambda acts: "image/" + "/".join(acts), st.lists(action, min_size=1,
                                                                     max_size=4))


@FUZZ
@given(process=cascade, kind=st.sampled_from(sorted(SMALL)))
def test_fuzzed_process_strings_end_in_a_result_or_an_oss_error(process, kind):
    try:
        run(SMALL[kind], process, decode_budget=64 * 1024 * 1024)
    except OssError:
        pass


@FUZZ
@given(kind=st.sampled_from(sorted(SMALL)), data=st.data())
def test_fuzzed_bytes_end_in_a_result_or_an_oss_error(kind, data):
    raw = bytearray(SMALL[kind])
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    process = data.draw(st.sampled_from(["image/info", "image/resize,w_7",
                                         "image/rotate,90/format,png", "image/average-hue",
                                         "image/format,gif", "image/format,webp"]))
    try:
        run(bytes(raw[:cut]), process, decode_budget=64 * 1024 * 1024)
    except OssError:
        pass


# -- animations frame by frame -------------------------------------------------------------

def _animation(w, h, n):
    frames = [Image.new("RGB", (w, h), ((i * 37) % 256, (i * 91) % 256, 128)) for i in range(n)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40)


def test_leading_resize_runs_frame_by_frame_with_the_same_result(monkeypatch):
    import core.engine as eng

    gif = _animation(400, 300, 6)
    steps = parse("image/resize,w_100/crop,w_50,h_50,g_center/watermark,text_SGk").steps
    streamed = Engine(cache_entries=0).run(Source.of(gif), steps, Engine().context())[0]
    # Every frame decoded first, then each step on them all:
    monkeypatch.setattr(eng, "per_frame_prefix", lambda steps: 0)
    whole = Engine(cache_entries=0).run(Source.of(gif), steps, Engine().context())[0]
    assert len(streamed.frames) == len(whole.frames) == 6
    assert [f.tobytes() for f in streamed.frames] == [f.tobytes() for f in whole.frames]
    assert streamed.durations == whole.durations


def test_frame_by_frame_budget_counts_the_resized_frames():
    gif = _animation(400, 300, 20)
    full = 20 * (400 * 300 * 4 + codec.FRAME_OVERHEAD)
    budget = full // 2      # the whole animation at full size does not fit...
    out = run(gif, "image/rotate,90/format,gif", decode_budget=budget)  # static: 1 frame
    assert Image.open(io.BytesIO(out.data)).n_frames == 1
    with pytest.raises(OssError):
        run(gif, "image/watermark,text_SGk", decode_budget=budget)
    out = run(gif, "image/resize,w_100/watermark,text_SGk", decode_budget=budget)
    assert Image.open(io.BytesIO(out.data)).n_frames == 20   # ...thumbnails do


def test_an_animation_is_not_enlarged_frame_by_frame_either():
    out = run(_animation(40, 30, 3), "image/resize,w_80")
    im = Image.open(io.BytesIO(out.data))
    assert im.size == (40, 30) and im.n_frames == 3


@pytest.mark.parametrize("process,static", [
    ("image/rotate,90", True), ("image/rotate,0", False), ("image/rotate,360", False),
    ("image/bright,10", True), ("image/bright,0", False), ("image/contrast,-5", True),
    ("image/blur,r_3,s_2", True), ("image/sharpen,100", True), ("image/circle,r_10", True),
    ("image/rounded-corners,r_5", True), ("image/resize,p_50", True),
    ("image/resize,p_150", True), ("image/resize,w_20,p_50", False),
    ("image/crop,w_20", False), ("image/watermark,text_SGk", False),
    ("image/format,png", True), ("image/format,gif", False)])
def test_static_outputs_match_what_the_actions_do(process, static, monkeypatch):
    import core.engine as eng

    steps = parse(process).steps
    assert eng.static_output("gif", steps) is static
    # ...and the actions agree when every frame is decoded (format,png is static because
    # of the encoder, not of an action).
    monkeypatch.setattr(eng, "static_output", lambda fmt, steps: False)
    whole = Engine(cache_entries=0).run(Source.of(_animation(40, 30, 3)), steps,
                                        Engine().context())[0]
    assert (len(whole.frames) == 1) is (static and process != "image/format,png")
