"""An image watermark without an alpha band (an RGB PNG or a JPEG logo) through the ``P_``
preprocessing (OSS docs, image watermark: ``resize,P_<n>`` scales the watermark to n% of the
main image's width) and the watermark transparency ``t`` (0-100, 100 opaque): also when the
percentage gives back the logo's own size, the logo covers exactly its box and is blended
with the main image by ``t`` -- nothing else changes."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.watermark_env import BLUE, WHITE, b64, changed_box, context, picture, run


def _logo(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (50, 50), BLUE).save(buf, fmt, quality=95)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("P,box", [(50, (0, 0, 50, 50)), (25, (0, 0, 25, 25))])
@pytest.mark.parametrize("t,expected", [(100, BLUE), (50, (127, 127, 255))])
def test_an_opaque_logo_scaled_by_P_and_blended_by_t(fmt, P, box, t, expected):
    ctx = context(**{"logo": _logo(fmt)})
    src = picture(100, 100, WHITE)
    key = b64(f"logo?x-oss-process=image/resize,P_{P}")
    out = run(f"image_{key},g_nw,x_0,y_0,t_{t}", src, ctx).image.convert("RGB")
    assert changed_box(src.image, out, threshold=8) == box
    inside = out.getpixel((box[2] // 2, box[3] // 2))
    assert all(abs(a - b) <= 3 for a, b in zip(inside, expected)), inside
    assert out.getpixel((box[2] + 2, box[3] + 2)) == WHITE
