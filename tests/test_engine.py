"""Executor behaviour: caching by prefix, cancellation, draft decoding, limits, bad input,
encoder rules (quality, interlace, alpha, animation)."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from core.engine import Engine, Source
from core.errors import Cancelled, OssError
from tests.helpers import EXAMPLE, decode, encode, quadrants, solid


def test_changing_step_k_recomputes_from_k_only():
    engine = Engine()
    src = Source.of(EXAMPLE)
    engine.process(src, "image/resize,w_300/rotate,90/blur,r_3,s_2")
    r = engine.process(src, "image/resize,w_300/rotate,90/blur,r_5,s_3")
    labels = [(t.label, t.cached) for t in r.timings]
    assert labels[:3] == [("decode", True), ("resize,w_300", True), ("rotate,90", True)]
    assert labels[3] == ("blur,r_5,s_3", False)


def test_upto_returns_the_picture_after_k_steps():
    engine = Engine()
    r = engine.process(EXAMPLE, "image/resize,w_200/rotate,90", upto=1)
    assert (r.width, r.height) == (200, 134)


def test_cancellation_between_steps():
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(Cancelled):
        Engine().process(EXAMPLE, "image/resize,w_200/rotate,90/blur,r_2,s_2",
                         cancelled=cancelled)


def test_error_names_the_failing_step():
    with pytest.raises(OssError) as info:
        Engine().process(EXAMPLE, "image/resize,w_100/crop,x_500")
    assert (info.value.step, info.value.action) == (1, "crop")


def test_jpeg_draft_decoding_keeps_the_exact_output_size():
    big = encode(quadrants(1600, 1067), "JPEG", quality=90)
    engine = Engine()
    src = Source.of(big)
    steps = __import__("core").parse("image/resize,w_100").steps
    assert engine._draft_size(src, steps, True) is not None   # the shortcut is taken
    for proc, size in [("image/resize,w_100", (100, 67)), ("image/resize,w_333", (333, 222)),
                       ("image/resize,m_fill,w_150,h_80", (150, 80)),
                       ("image/resize,p_10", (160, 107))]:
        r = engine.process(src, proc)
        assert (r.width, r.height) == size
        im = decode(r.data).convert("RGB")
        # Colours survive the DCT-scaled decode (top-left red, bottom-right yellow).
        tl = im.getpixel((2, 2))
        br = im.getpixel((im.width - 3, im.height - 3))
        assert tl[0] > 200 and tl[1] < 60
        assert br[0] > 200 and br[1] > 200 and br[2] < 60


def test_draft_not_used_when_it_could_change_the_size():
    engine = Engine()
    src = Source.of(encode(Image.new("RGB", (1001, 1001)), "JPEG"))
    steps = __import__("core").parse("image/resize,p_99").steps
    assert engine._draft_size(src, steps, True) is None


# -- limits and bad input ----------------------------------------------------------------
def _png_header_only(w: int, h: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) \
        + chunk(b"IEND", b"")


@pytest.mark.parametrize("w,h,ec", [(30001, 10, "0040-00000019"), (20000, 20000, "0040-00000012")])
def test_source_limits_checked_before_decoding(w, h, ec):
    with pytest.raises(OssError) as info:
        Engine().process(_png_header_only(w, h), "image/resize,w_10")
    assert (info.value.code, info.value.ec) == ("ImageTooLarge", ec)


def test_decompression_bomb_is_refused_cheaply():
    # 16000 x 16000 zeros compress to a few hundred KB but would need 768 MB decoded.
    im = Image.new("L", (16000, 16000))
    bomb = encode(im, "PNG", optimize=False)
    assert len(bomb) < 2_000_000
    with pytest.raises(OssError) as info:
        Engine().process(bomb, "image/resize,w_10")
    assert info.value.code == "ImageTooLarge"


def test_source_over_20_mb_is_refused():
    with pytest.raises(OssError) as info:
        Engine().process(b"\xff\xd8" + b"\0" * (20 * 1024 * 1024), "image/resize,w_10")
    assert info.value.code == "ImageTooLarge"


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x89PNG\r\n\x1a\n",
                                  b"GIF89a\x01\x00", b"%PDF-1.4\n"])
def test_garbage_is_bad_request(data):
    with pytest.raises(OssError) as info:
        Engine().process(data, "image/resize,w_10")
    assert (info.value.code, info.value.status) == ("BadRequest", 400)


@pytest.mark.parametrize("cut", [200, 2000, 21839 // 2])
def test_truncated_jpeg_is_bad_request(cut):
    # docs/COMPATIBILITY.md (codec errors): corrupt or truncated -> BadRequest 400.
    data = EXAMPLE.read_bytes()
    assert len(data) == 21839
    with pytest.raises(OssError) as info:
        Engine().process(data[:cut], "image/resize,w_10")
    assert (info.value.code, info.value.status) == ("BadRequest", 400)


def test_missing_file_is_reported():
    with pytest.raises(OssError):
        Engine().process("/nonexistent/file.jpg", "image/resize,w_10")


# -- encoder rules -----------------------------------------------------------------------
def _jpeg(quality: int) -> bytes:
    return encode(quadrants(64, 64), "JPEG", quality=quality)


@pytest.mark.parametrize("src_q,proc,want", [
    (100, "image/quality,q_90", 90),    # doc: source 100, q_90 -> 90
    (80, "image/quality,q_90", 72),     # doc: source 80, q_90 -> 72
    (95, "image/quality,Q_90", 90),     # doc: source 95, Q_90 -> 90
    (80, "image/quality,Q_90", 80),     # doc: never above the source quality
    (80, "image/quality,q_50,Q_70", 70),  # both: Q wins
])
def test_quality_rules(src_q, proc, want):
    from core.inspect import estimate_jpeg_quality

    r = Engine().process(_jpeg(src_q), proc)
    out = decode(r.data)
    assert estimate_jpeg_quality(out.quantization) == want


def test_interlace_gives_progressive_jpeg():
    assert decode(Engine().process(EXAMPLE, "image/interlace,1").data).info.get("progressive")
    assert not decode(Engine().process(EXAMPLE, "image/interlace,0").data).info.get("progressive")


def test_png_to_jpg_flattens_transparency_to_white():
    src = encode(Image.new("RGBA", (20, 20), (0, 0, 0, 0)), "PNG")
    r = Engine().process(src, "image/format,jpg")
    assert r.format == "jpg"
    assert min(decode(r.data).convert("RGB").getpixel((10, 10))) > 245


def test_format_gif_only_applies_to_gif_sources():
    assert Engine().process(EXAMPLE, "image/format,gif").format == "jpg"


def _gif(frames: int) -> bytes:
    ims = [Image.new("RGB", (40, 30), (i * 40 % 256, 0, 0)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=50, loop=0)
    return out.getvalue()


def test_gif_resize_keeps_animation_and_never_enlarges():
    r = Engine().process(_gif(4), "image/resize,w_20")
    im = decode(r.data)
    assert r.format == "gif" and im.n_frames == 4 and im.size == (20, 15)
    r2 = Engine().process(_gif(4), "image/resize,w_80,limit_0")
    assert (r2.width, r2.height) == (40, 30)


def test_gif_rotate_and_p_resize_are_static():
    assert decode(Engine().process(_gif(3), "image/rotate,90").data).n_frames == 1
    assert decode(Engine().process(_gif(3), "image/resize,p_50").data).n_frames == 1


def test_animated_gif_to_png_takes_first_frame():
    r = Engine().process(_gif(3), "image/format,png")
    assert r.format == "png" and (r.width, r.height) == (40, 30)


@pytest.mark.parametrize("fmt", ["png", "webp", "bmp", "tiff", "avif", "heic", "jpg"])
def test_every_output_format_round_trips(fmt):
    r = Engine().process(EXAMPLE, f"image/resize,w_64/format,{fmt}")
    assert r.format == fmt
    im = decode(r.data)
    assert im.size == (64, 43)


def test_alpha_survives_into_png_webp():
    for fmt in ("png", "webp"):
        r = Engine().process(EXAMPLE, f"image/rounded-corners,r_40/format,{fmt}")
        assert decode(r.data).convert("RGBA").getpixel((0, 0))[3] < 20


def test_rotate_exact_quarter_turns_are_lossless_in_png():
    src = encode(quadrants(40, 20), "PNG")
    im = decode(Engine().process(src, "image/rotate,90").data).convert("RGB")
    # clockwise: the top-left red quadrant goes to the top-right.
    assert im.size == (20, 40)
    assert im.getpixel((15, 5)) == (255, 0, 0)
    assert im.getpixel((5, 5)) == (0, 0, 255)


def test_rotate_refuses_sources_over_4096():
    src = solid(4100, 10)
    with pytest.raises(OssError):
        Engine().process(src, "image/rotate,90")


def test_bright_contrast_directions():
    src = solid(10, 10, (100, 100, 100))
    brighter = decode(Engine().process(src, "image/bright,50").data).getpixel((5, 5))
    darker = decode(Engine().process(src, "image/bright,-50").data).getpixel((5, 5))
    assert brighter[0] > 100 > darker[0]
    two = encode(Image.merge("RGB", [Image.linear_gradient("L").resize((16, 16))] * 3), "PNG")
    flat = decode(Engine().process(two, "image/contrast,-80").data).convert("L")
    steep = decode(Engine().process(two, "image/contrast,80").data).convert("L")
    def span(im):
        lo, hi = im.getextrema()
        return hi - lo
    assert span(flat) < span(decode(two).convert("L")) <= span(steep)


def test_blur_and_sharpen_change_detail_but_not_size():
    src = encode(quadrants(40, 40), "PNG")
    blurred = decode(Engine().process(src, "image/blur,r_5,s_5").data).convert("RGB")
    assert blurred.size == (40, 40)
    assert blurred.getpixel((19, 5)) != (255, 0, 0)   # the edge got soft
    assert blurred.getpixel((2, 2))[0] > 240           # far from the edge: unchanged red


def test_cache_is_bounded_by_bytes():
    engine = Engine(cache_entries=100, cache_bytes=1_000_000)
    src = Source.of(encode(quadrants(600, 400), "PNG"))   # 720 kB decoded
    engine.process(src, "image/resize,w_500,limit_0")
    engine.process(src, "image/rotate,90")
    assert 0 < engine.cache_bytes <= 1_000_000
    engine.clear_cache()
    assert engine.cache_bytes == 0
