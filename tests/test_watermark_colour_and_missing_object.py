"""Watermark details the fresh seed-2911 mutation sample found unpinned: the text colour is
read as hexadecimal RRGGBB (spec section 15.3: ``color``, default 000000), digits as well as
letters, and a watermark object that cannot be fetched is NoSuchKey naming its key (the
Key element OSS's NoSuchKey answer carries)."""
from __future__ import annotations

import pytest

from core.errors import OssError
from core.ops.watermark import render_text
from core.ops.watermark_image import WatermarkObject, load_watermark_image
from core.picture import Context


@pytest.mark.parametrize("color,rgb", [("102030", (16, 32, 48)), ("0A0B0C", (10, 11, 12)),
                                       ("FF8000", (255, 128, 0))])
def test_text_colour_is_hexadecimal_rrggbb(color, rgb):
    layer = render_text("H", size=60, color=color)
    raw = layer.convert("RGBA").tobytes()
    opaque = {tuple(raw[i:i + 3]) for i in range(0, len(raw), 4) if raw[i + 3] == 255}
    assert opaque == {rgb}


def test_a_watermark_object_without_a_resolver_is_no_such_key_naming_it():
    with pytest.raises(OssError) as err:
        load_watermark_image(WatermarkObject("marks/logo.png"), (100, 100), Context())
    e = err.value
    assert (e.code, e.status, e.key) == ("NoSuchKey", 404, "image")
    assert e.details == {"Key": "marks/logo.png"}
