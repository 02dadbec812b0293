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
