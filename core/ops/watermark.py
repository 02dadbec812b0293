"""The ``watermark`` action (spec section 15): text, an image of the same bucket, or both,
placed at one of nine anchors or tiled over the whole image.

The placement rules are small pure helpers in :mod:`core.ops.watermark_layout`, the image
object and its preprocessing in :mod:`core.ops.watermark_image`; this module draws the text
and the layers and is the operation's declaration.
"""
from __future__ import annotations

import math

from PIL import Image, ImageDraw

from .. import fonts
from ..errors import OssError, invalid
from ..params import CASCADE_CHECKS, GRAVITIES, Kind, Operation, operation, param
from ..picture import Context, Picture
from .watermark_image import load_watermark_image, parse_image_value
from .watermark_layout import (anchor_origin, check_layer_size, clip_box, layout_block,
                               shadow_offset, tile_grid)

# OSS: "up to three different image watermarks" (distinct objects); its error page shows
# seven image watermark actions failing and a 2024 page says six, so both limits apply.
MAX_IMAGE_WATERMARK_OBJECTS = 3
MAX_IMAGE_WATERMARK_STEPS = 6
EC_TOO_MANY_IMAGES = "0040-00000026"
EC_EMPTY_TEXT = "0040-00000258"
# JPEG quality of a watermarked result when the cascade sets none: OSS answers the SDK's
# text watermark on example.jpg (quality 82) with 26355 bytes, which only a re-encode at
# about 90 gives (at 82: 22129). Inferred; see docs/COMPATIBILITY.md.
WATERMARK_DEFAULT_QUALITY = 90


# -- drawing -------------------------------------------------------------------------------

def _hex_rgb(color: str) -> tuple[int, int, int]:
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def text_runs(text: str, font: str) -> tuple[tuple[str, str], ...]:
    # Control characters would draw as boxes; OSS's handling of them is unpublished.
    clean = "".join(" " if ord(c) < 0x20 or c == "\x7f" else c for c in text)
    return fonts.font_runs(clean, font)


def render_text(text: str, font: str = fonts.DEFAULT_FONT, size: int = 40,
                color: str = "000000", shadow: int = 0) -> Image.Image:
    """The text as an RGBA image cropped to its ink (plus the shadow, when there is one).

    Characters missing from ``font`` are drawn with the fallback font (see core.fonts).
    """
    pen = 0.0
    placed = []
    left = top = math.inf
    right = bottom = -math.inf
    for run, name in text_runs(text, font):
        face = fonts.load_font(name, size)
        l, t, r, b = face.getbbox(run, anchor="ls")
        if r > l and b > t:
            left, top = min(left, pen + l), min(top, t)
            right, bottom = max(right, pen + r), max(bottom, b)
        placed.append((pen, face, run))
        pen += face.getlength(run)
    if left is math.inf:  # blank text: nothing to draw, keep the advance width
        return Image.new("RGBA", (max(1, math.ceil(pen)), 1), (0, 0, 0, 0))
    # getbbox is a layout box (it keeps side bearings), so draw with a margin and crop to
    # the pixels actually inked: margins are then measured to the visible glyphs.
    pad = 2 + size // 8
    left, top = math.floor(left) - pad, math.floor(top) - pad
    canvas = (math.ceil(right) - left + pad, math.ceil(bottom) - top + pad)
    check_layer_size(*canvas, "size")
    mask = Image.new("L", canvas, 0)
    draw = ImageDraw.Draw(mask)
    for x, face, run in placed:
        draw.text((x - left, -top), run, font=face, fill=255, anchor="ls")
    ink_box = mask.getbbox()
    if ink_box is None:
        return Image.new("RGBA", (max(1, math.ceil(pen)), 1), (0, 0, 0, 0))
    mask = mask.crop(ink_box)
    width, height = mask.size
    d = shadow_offset(size) if shadow else 0
    out = Image.new("RGBA", (width + d, height + d), (0, 0, 0, 0))
    if shadow:
        shade = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        shade.putalpha(scale_alpha(mask, shadow))
        out.paste(shade, (d, d))
    ink = Image.new("RGBA", (width, height), _hex_rgb(color) + (0,))
    ink.putalpha(mask)
    out.alpha_composite(ink)
    return out


def scale_alpha(alpha: Image.Image, percent: int) -> Image.Image:
    """An L image with every value multiplied by ``percent``/100 (rounded)."""
    if percent >= 100:
        return alpha
    return alpha.point([(v * percent + 50) // 100 for v in range(256)])


def with_opacity(layer: Image.Image, percent: int) -> Image.Image:
    if percent >= 100:
        return layer
    out = layer.copy()
    out.putalpha(scale_alpha(layer.getchannel("A"), percent))
    return out


def rotate_clockwise(layer: Image.Image, degrees: int) -> Image.Image:
    """Rotate an RGBA layer clockwise; the canvas grows to hold the whole result."""
    degrees %= 360
    if degrees == 0:
        return layer
    exact = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
             270: Image.Transpose.ROTATE_90}
    if degrees in exact:
        return layer.transpose(exact[degrees])
    rad = math.radians(degrees)
    c, s = abs(math.cos(rad)), abs(math.sin(rad))
    check_layer_size(math.ceil(layer.width * c + layer.height * s),
                     math.ceil(layer.width * s + layer.height * c), "rotate")
    # Premultiplied alpha, or the transparent border bleeds black into the edges.
    turned = layer.convert("RGBa").rotate(-degrees, Image.Resampling.BICUBIC, expand=True)
    return turned.convert("RGBA")


def stamp(frame: Image.Image, layer: Image.Image, positions) -> Image.Image:
    """A copy of ``frame`` with ``layer`` composited at each (x, y), clipped to the frame,
    in the frame's mode. Only the covered regions are converted to RGBA and back."""
    W, H = frame.size
    out = frame.copy()
    for x, y in positions:
        clip = clip_box(W, H, layer.width, layer.height, x, y)
        if clip is None:
            continue
        (left, top), (sl, st, sr, sb) = clip
        box = (left, top, left + sr - sl, top + sb - st)
        region = out.crop(box).convert("RGBA")
        region.alpha_composite(layer, source=(sl, st, sr, sb))
        out.paste(region if out.mode == "RGBA" else region.convert(out.mode), box[:2])
    return out


def tile_strip(layer: Image.Image, xs: range, W: int) -> Image.Image:
    """One row of tiles, from ``xs.start`` to the right edge, built by doubling so that a
    tiny watermark on a huge image costs log(n) pastes rather than n."""
    width = W - xs.start
    strip = Image.new("RGBA", (max(width, xs.step), layer.height), (0, 0, 0, 0))
    strip.paste(layer, (0, 0))
    filled = xs.step
    while filled < width:
        strip.paste(strip.crop((0, 0, filled, layer.height)), (filled, 0))
        filled *= 2
    return strip


# -- the operation -------------------------------------------------------------------------

@operation("watermark", "Watermark",
           "Draw text, an image of the same bucket, or both, at an anchor or tiled.")
class Watermark(Operation):
    t: int | None = param(Kind.INT, "Opacity", "Opacity of the watermark; 100 = opaque.",
                          min=0, max=100, default=100, ec="0040-00000263", unit="%")
    g: str | None = param(Kind.ENUM, "Anchor", "Which of the 9 grid positions the "
                          "watermark sits at.", choices=GRAVITIES, default="se")
    x: int | None = param(Kind.INT, "Horizontal margin", "Distance to the left or right "
                          "edge (not used in the centre column).", min=0, max=4096,
                          default=10, ec="0040-00000262", unit="px")
    y: int | None = param(Kind.INT, "Vertical margin", "Distance to the top or bottom edge "
                          "(not used in the middle row).", min=0, max=4096, default=10,
                          ec="0040-00000264", unit="px")
    voffset: int | None = param(Kind.INT, "Vertical offset", "Move a west/center/east "
                                "watermark off the centre line; positive = up.",
                                min=-1000, max=1000, default=0, ec="0040-00000268",
                                unit="px")
    fill: int | None = param(Kind.FLAG, "Tile", "1: repeat the watermark over the whole "
                             "image.", default=0, ec="0040-00000274")
    padx: int | None = param(Kind.INT, "Tile gap x", "Horizontal gap between tiles "
                             "(with fill_1).", min=0, max=4096, default=0,
                             ec="0040-00000276", unit="px")
    pady: int | None = param(Kind.INT, "Tile gap y", "Vertical gap between tiles "
                             "(with fill_1).", min=0, max=4096, default=0,
                             ec="0040-00000277", unit="px")
    image: str | None = param(Kind.BASE64, "Image", "Object key of a watermark image in the "
                              "same bucket, optionally key?x-oss-process=image/... with "
                              "resize (P_ = percent of the main image's width), crop, "
                              "indexcrop, rounded-corners, rotate, auto-orient.",
                              ec="0040-00000265")
    text: str | None = param(Kind.BASE64, "Text", "Watermark text, at most 64 bytes of "
                             "UTF-8.", max_bytes=64, ec="0040-00000257",
                             ec_missing=EC_EMPTY_TEXT)
    type: str | None = param(Kind.BASE64, "Font", "One of the OSS font names.",
                             choices=fonts.OSS_FONT_NAMES, default=fonts.DEFAULT_FONT,
                             ec="0040-00000250")
    color: str | None = param(Kind.COLOR, "Text colour", "RRGGBB.", default="000000")
    size: int | None = param(Kind.INT, "Font size", "Text size in pixels.", min=1, max=1000,
                             default=40, ec="0040-00000256", unit="px")
    shadow: int | None = param(Kind.INT, "Shadow", "Opacity of the text's drop shadow; "
                               "0 = none.", min=0, max=100, default=0, ec="0040-00000255",
                               unit="%")
    rotate: int | None = param(Kind.INT, "Text rotation", "Clockwise rotation of the text.",
                               min=0, max=360, default=0, ec="0040-00000272", unit="°")
    order: int | None = param(Kind.INT, "Order", "Image and text together: 0 = image "
                              "first (left), 1 = text first.", min=0, max=1, default=0,
                              ec="0040-00000269")
    align: int | None = param(Kind.INT, "Align", "Image and text together: 0 = tops, "
                              "1 = middles, 2 = bottoms aligned.", min=0, max=2, default=2,
                              ec="0040-00000271")
    interval: int | None = param(Kind.INT, "Interval", "Image and text together: gap "
                                 "between them.", min=0, max=1000, default=0,
                                 ec="0040-00000270", unit="px")

    def check(self) -> None:
        super().check()
        if self.text is None and self.image is None:
            raise OssError("MissingArgument",
                           "Missing argument: watermark needs text or image.", key="text")
        if self.text is not None and self.text == "":
            raise OssError("InvalidArgument", "The watermark text is empty.",
                           ec=EC_EMPTY_TEXT, key="text")
        if self.type is not None and self.type not in fonts.OSS_FONT_NAMES:
            raise invalid("type", self.type,
                          "Font must be one of " + ",".join(fonts.OSS_FONT_NAMES))
        if self.image is not None:
            parse_image_value(self.image)

    # -- rendering -----------------------------------------------------------------------
    def text_layer(self) -> Image.Image:
        layer = render_text(self.text, self.get("type"), self.get("size"),
                            self.get("color"), self.get("shadow"))
        return rotate_clockwise(layer, self.get("rotate"))

    def block(self, main_size: tuple[int, int], ctx: Context) -> Image.Image:
        """The watermark as one RGBA layer (before opacity)."""
        text = self.text_layer() if self.text is not None else None
        if self.image is None:
            return text
        picture = load_watermark_image(parse_image_value(self.image), main_size, ctx)
        if text is None:
            return picture
        lay = layout_block(picture.size, text.size, self.get("order"), self.get("align"),
                           self.get("interval"))
        out = Image.new("RGBA", lay.size, (0, 0, 0, 0))
        out.alpha_composite(picture, lay.image_at)
        out.alpha_composite(text, lay.text_at)
        return out

    def notes(self) -> list[str]:
        if self.text is None:
            return []
        name = self.get("type")
        out = [fonts.substitution_note(name)]
        fallback = "".join(r for r, f in text_runs(self.text, name) if f != name)
        if fallback.strip():
            out.append(f"Font {name} has no glyph for {fallback.strip()!r}; drawn with "
                       f"{fonts.font_info(fonts.FALLBACK_FONT).family}.")
        return [n for n in out if n]

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        W, H = pic.size
        layer = with_opacity(self.block((W, H), ctx), self.get("t"))
        w, h = layer.size
        x0, y0 = anchor_origin(W, H, w, h, self.get("g"), self.get("x"), self.get("y"),
                               self.get("voffset"))
        if self.get("fill"):
            xs, ys = tile_grid(W, H, w, h, x0, y0, self.get("padx"), self.get("pady"))
            positions = [(xs.start, y) for y in ys] if xs else []
            if positions:
                layer = tile_strip(layer, xs, W)
        else:
            positions = [(x0, y0)]
        out = pic.map_frames(lambda f: stamp(f, layer, positions))
        out = out.replace(default_quality=WATERMARK_DEFAULT_QUALITY)
        for note in self.notes():
            out = out.add_note(note)
        return out


def image_watermark_keys(steps: tuple[Operation, ...]) -> list[tuple[int, str]]:
    """(step index, object key) of every image watermark in a cascade."""
    return [(i, parse_image_value(op.image).key) for i, op in enumerate(steps)
            if isinstance(op, Watermark) and op.image is not None]


def check_image_watermark_count(steps: tuple[Operation, ...]) -> None:
    seen: list[str] = []
    for n, (index, key) in enumerate(image_watermark_keys(steps), start=1):
        if key not in seen:
            seen.append(key)
        if len(seen) > MAX_IMAGE_WATERMARK_OBJECTS or n > MAX_IMAGE_WATERMARK_STEPS:
            raise OssError("InvalidArgument",
                           f"Too many image watermarks: at most {MAX_IMAGE_WATERMARK_OBJECTS} "
                           f"different images in at most {MAX_IMAGE_WATERMARK_STEPS} "
                           "watermark actions.",
                           ec=EC_TOO_MANY_IMAGES, key="image", step=index, action="watermark")


CASCADE_CHECKS.append(check_image_watermark_count)
