"""The encoder-setting actions (core/ops/output.py): ``format`` and its aliases, ``format,gif``
on GIF and non-GIF sources (spec 13), and the error of a ``quality`` with neither ``q`` nor
``Q`` (spec 14.1, EC 0040-00000307; spec 19: MissingArgument is HTTP 400)."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from core.cascade import parse
from core.engine import Engine
from core.errors import OssError


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _gif(frames: int = 1) -> bytes:
    ims = [Image.new("RGB", (12, 8), (60 * i % 256, 90, 30)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=frames > 1, append_images=ims[1:], duration=80, loop=0)
    return out.getvalue()


@pytest.mark.parametrize("process", ["image/format,jpeg", "image/format,png/format,jpeg"])
def test_format_jpeg_is_the_jpg_alias(process):
    """docs/COMPATIBILITY.md: `format,jpeg` is accepted as an alias of jpg and the output
    reports jpg; the bytes are a JPEG (SOI marker) with the JPEG content type."""
    result = Engine().process(_png(Image.new("RGB", (9, 7), (10, 200, 30))), process)
    assert result.format == "jpg"
    assert result.content_type == "image/jpeg"
    assert result.data[:3] == b"\xff\xd8\xff"
    assert Image.open(io.BytesIO(result.data)).format == "JPEG"


def test_a_later_format_gif_wins_on_a_gif_source():
    """Spec 13: format,gif takes effect on GIF sources; actions run left to right, so the
    last format is the output's."""
    result = Engine().process(_gif(), "image/format,png/format,gif")
    assert result.format == "gif"
    assert result.data[:6] in (b"GIF87a", b"GIF89a")


def test_a_later_format_gif_is_ignored_on_a_png_source():
    """Spec 13: on other sources format,gif does nothing -- the earlier format stands."""
    result = Engine().process(_png(Image.new("RGB", (9, 7))), "image/format,webp/format,gif")
    assert result.format == "webp"
    assert result.data[:4] == b"RIFF" and result.data[8:12] == b"WEBP"


def test_format_gif_keeps_an_animated_gif_animated():
    result = Engine().process(_gif(3), "image/format,jpg/format,gif")
    assert result.format == "gif"
    assert getattr(Image.open(io.BytesIO(result.data)), "n_frames", 1) == 3


def test_quality_without_q_or_Q_is_missing_argument_on_q():
    with pytest.raises(OssError) as info:
        parse("image/quality")
    err = info.value
    assert (err.code, err.status, err.ec, err.key) == ("MissingArgument", 400,
                                                      "0040-00000307", "q")
    # the message names both keys the user can give
    assert re.search(r"\bq\b", err.message) and re.search(r"\bQ\b", err.message)
