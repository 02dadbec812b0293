"""When only an animation's first frame can reach the output, only that frame is decoded
(docs/COMPATIBILITY.md, "Animations": a result that is not GIF is the first frame; a
watermark image is its object's first frame) -- and that decode stays under the engine's
rules like any other: the memory budget of one frame, the caller's cancel.

An animation of exactly two frames is the boundary of "is it an animation" and is used
throughout."""
from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from core import codec
from core.engine import Engine
from core.errors import Cancelled, OssError

W, H = 120, 90


def _gif(frames: int, size: tuple[int, int] = (W, H)) -> bytes:
    ims = [Image.new("RGB", size, (60 * i % 256, 100, 30)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=50, loop=0)
    return out.getvalue()


def _one_frame_budget(data: bytes) -> int:
    """The engine's own measure of one decoded frame of ``data`` (codec.decoded_bytes)."""
    with Image.open(io.BytesIO(data)) as im:
        return codec.decoded_bytes(im, 1)


@pytest.mark.parametrize("process, fmt", [
    ("image/format,jpg", "JPEG"),
    ("image/format,png", "PNG"),
    ("image/format,webp", "WEBP"),
])
def test_a_two_frame_gif_with_a_static_output_fits_the_budget_of_one_frame(process, fmt):
    gif = _gif(2)
    budget = _one_frame_budget(gif)
    assert codec.decoded_bytes(Image.open(io.BytesIO(gif)), 2) > budget  # two would not fit
    result = Engine(cache_entries=0, decode_budget=budget).process(gif, process)
    with Image.open(io.BytesIO(result.data)) as out:
        assert out.format == fmt
        assert getattr(out, "n_frames", 1) == 1
        # the first frame's colour (GIF palettes are exact for a flat colour)
        assert out.convert("RGB").getpixel((5, 5)) == pytest.approx((0, 100, 30), abs=3)


def test_a_two_frame_gif_kept_animated_needs_both_frames_in_the_budget():
    gif = _gif(2)
    with pytest.raises(OssError) as info:
        Engine(cache_entries=0, decode_budget=_one_frame_budget(gif)).process(
            gif, "image/rotate,90/format,gif")
    assert (info.value.code, info.value.ec) == ("ImageTooLarge", "0040-00000012")


def test_the_static_result_of_a_two_frame_gif_says_it_skipped_one_frame():
    result = Engine(cache_entries=0).process(_gif(2), "image/format,png")
    assert result.picture.skipped_frames == 1
    assert len(result.picture.frames) == 1


def _watermark(key: str) -> str:
    return "image/watermark,image_" + base64.urlsafe_b64encode(key.encode()).decode()


def test_a_cancel_while_an_animated_watermark_object_is_fetched_stops_in_the_watermark_step():
    """The viewer cancels a stale render: the decode of the watermark object (its first
    frame) is the next point that looks, so the error names the watermark step, not the
    encode that would follow it."""
    cancelled = []

    def resolver(key: str) -> bytes:
        assert key == "logo.gif"
        cancelled.append(True)          # the user cancels while the object is read
        return _gif(2, (20, 10))

    main = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(main, "PNG")
    with pytest.raises(Cancelled) as info:
        Engine(cache_entries=0).process(main.getvalue(), _watermark("logo.gif"),
                                        resolver=resolver, cancelled=lambda: bool(cancelled))
    assert (info.value.step, info.value.action) == (0, "watermark")


def test_an_animated_watermark_object_is_stamped_with_its_first_frame_when_not_cancelled():
    def resolver(key: str) -> bytes:
        ims = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 0, 255))]
        out = io.BytesIO()
        ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=50)
        return out.getvalue()

    main = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(main, "PNG")
    result = Engine(cache_entries=0).process(
        main.getvalue(), _watermark("logo.gif") + ",g_nw,x_0,y_0,t_100/format,png",
        resolver=resolver, cancelled=lambda: False)
    with Image.open(io.BytesIO(result.data)) as out:
        assert out.convert("RGB").getpixel((10, 5)) == (255, 0, 0)     # frame 1: red
        assert out.convert("RGB").getpixel((40, 30)) == (255, 255, 255)


@pytest.mark.parametrize("W, H", [(4096, 1000), (1000, 4096)])
def test_a_jpeg_4096_px_a_side_is_processed_as_stored_whatever_its_orientation_tag(W, H):
    """Spec (auto-orient): the EXIF Orientation applies only below 4096 px a side. At
    4096 the tag is ignored everywhere -- also in the choice of a DCT-reduced decode -- so
    the result is byte for byte that of the same picture without the tag."""
    from tests.helpers import with_orientation

    ramp = Image.linear_gradient("L").resize((W, H)).convert("RGB")
    tagged = with_orientation(ramp, 6)
    plain = io.BytesIO()
    ramp.save(plain, "JPEG", quality=95)
    process = "image/resize,w_500/format,png"
    a = Engine(cache_entries=0).process(tagged, process)
    b = Engine(cache_entries=0).process(plain.getvalue(), process)
    assert (a.width, a.height) == (500, round(H * 500 / W))
    assert Image.open(io.BytesIO(a.data)).tobytes() == Image.open(io.BytesIO(b.data)).tobytes()
