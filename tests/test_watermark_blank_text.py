"""A text watermark that has no ink (spaces, the ideographic space, tabs and newlines,
which are drawn as spaces) draws nothing: every pixel of the image stays as it was, at
every opacity, anchor and with tiling (spec 15.3: the text is drawn; nothing else is)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core.engine import Engine
from core.params import b64encode_text


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("text", [" ", "   ", "\u3000", "\t\n "])
@pytest.mark.parametrize("extra", ["", ",g_nw,x_0,y_0", ",t_50,g_center", ",fill_1"])
def test_a_text_without_ink_leaves_every_pixel_alone(text, extra):
    src = Image.new("RGB", (61, 43), (255, 255, 255))
    src.paste((10, 20, 30), (0, 0, 30, 43))
    out = Image.open(io.BytesIO(Engine().process(
        _png(src), f"image/watermark,text_{b64encode_text(text)}{extra}/format,png").data))
    assert out.convert("RGB").tobytes() == src.tobytes()
