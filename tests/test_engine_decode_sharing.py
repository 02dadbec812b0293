"""One decode of a source serves every cascade on it, except where a JPEG's DCT-reduced
decode (core/engine.py ``_draft_size``: JPEG only -- PNG, WebP, GIF have no DCT scaling)
makes the decoded picture itself different. The viewer shows which steps came from the
cache (``StepTiming.cached``); these tests read that."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core.engine import Engine


def _encoded(fmt: str, size=(400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "BMP"])
def test_a_shrink_first_cascade_and_another_share_the_decode_of_a_non_jpeg(fmt):
    engine = Engine()
    src = _encoded(fmt)
    first = engine.process(src, "image/resize,w_50")
    assert (first.timings[0].label, first.timings[0].cached) == ("decode", False)
    second = engine.process(src, "image/rotate,90")
    assert (second.timings[0].label, second.timings[0].cached) == ("decode", True)
    assert (second.width, second.height) == (300, 400)


def test_a_jpeg_shrunk_first_is_decoded_reduced_so_another_cascade_decodes_again():
    """The contrast: a JPEG whose cascade starts with a large shrink gets a DCT-reduced
    decode of its own (1/8 here: 400x300 -> 50x38 covers w_50), which a cascade that
    needs the full picture cannot use."""
    engine = Engine()
    src = _encoded("JPEG")
    engine.process(src, "image/resize,w_50")
    second = engine.process(src, "image/rotate,90")
    assert (second.timings[0].label, second.timings[0].cached) == ("decode", False)
    assert (second.width, second.height) == (300, 400)


def test_an_animations_leading_steps_run_in_the_decoder_are_still_listed_by_name():
    """The leading resize/crop of an animation that stays animated run frame by frame
    inside the decode (docs/COMPATIBILITY.md, "Animations"); the timings still list each
    step by its own text, as for any other step."""
    frames = [Image.new("RGB", (80, 60), (40 * i, 90, 20)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=40)
    result = Engine(cache_entries=0).process(out.getvalue(),
                                             "image/resize,w_40/crop,w_20,h_10/format,gif")
    assert [t.label for t in result.timings] == [
        "decode", "resize,w_40", "crop,w_20,h_10", "format,gif", "encode"]
    assert (result.width, result.height) == (20, 10)
