"""What the watermark tests share: synthetic pictures, a context with objects, ink probes."""
from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

from core import codec
from core.cascade import parse
from core.ops.watermark import Watermark
from core.picture import Context, Picture
from core.resolver import MappingResolver

ROOT = Path(__file__).resolve().parent.parent
SDK_EXAMPLE = ROOT.parent / "shared" / "fixtures" / "example.jpg"
EXAMPLE = SDK_EXAMPLE if SDK_EXAMPLE.is_file() else ROOT / "resources" / "samples" / "example.jpg"

WHITE = (255, 255, 255)
RED = (255, 0, 0)
BLUE = (0, 0, 255)
ANCHORS = ["nw", "north", "ne", "west", "center", "east", "sw", "south", "se"]


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def png(w: int, h: int, color=RED, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (w, h), color).save(out, "PNG")
    return out.getvalue()


def picture(w: int, h: int, color=WHITE, mode: str = "RGB") -> Picture:
    img = Image.new(mode, (w, h), color)
    return Picture(frames=(img,), source_format="png", source_size=img.size)


def context(**objects: bytes) -> Context:
    objects = {k.replace("__", "/"): v for k, v in objects.items()}
    return Context(resolver=MappingResolver(objects), decode=lambda d: codec.decode(d))


def watermark(params: str) -> Watermark:
    (op,) = parse("image/watermark," + params).steps
    return op


def run(params: str, pic: Picture, ctx: Context | None = None) -> Picture:
    return watermark(params).apply(pic, ctx or context())


def ink_size(text: str, size: int = 40) -> tuple[int, int]:
    """Ink box of ``text`` drawn in the default font (wqy-zenhei) by Pillow directly -- an
    oracle that does not go through core's text renderer (runs, fallback, shadow, crop)."""
    face = ImageFont.truetype(str(ROOT / "resources" / "fonts" / "wqy-zenhei" /
                                  "wqy-zenhei.ttc"), size)
    canvas = Image.new("L", (size * (len(text) + 2), size * 3), 0)
    ImageDraw.Draw(canvas).text((size, size * 2), text, font=face, fill=255, anchor="ls")
    left, top, right, bottom = canvas.getbbox()
    return right - left, bottom - top


def changed_box(before: Image.Image, after: Image.Image, threshold: int = 0):
    """Bounding box of the pixels that differ by more than ``threshold`` in any band."""
    r, g, b = ImageChops.difference(before.convert("RGB"), after.convert("RGB")).split()
    most = ImageChops.lighter(ImageChops.lighter(r, g), b)
    return most.point(lambda v: 255 if v > threshold else 0).getbbox()
