"""The ``watermark`` action (spec section 15): text, an image of the same bucket, or both,
placed at one of nine anchors or tiled over the whole image.

The geometry lives in small pure helpers (:func:`anchor_origin`, :func:`tile_grid`,
:func:`layout_block`, :func:`percent_size`, :func:`shadow_offset`) so each rule the spec
leaves open is one function, tested alone and described in ``docs/COMPATIBILITY.md``.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, UnidentifiedImageError

from .. import fonts
from ..binder import bind_actions
from ..errors import OssError, invalid
from ..geometry import ANCHOR_FACTORS
from ..params import CASCADE_CHECKS, GRAVITIES, Kind, Operation, operation, param
from ..picture import Context, Picture

# Positive voffset moves the watermark up (towards the top edge). Unverified; see the notes.
VOFFSET_UP = True
# OSS: "up to three different image watermarks" (distinct objects); its error page shows
# seven image watermark actions failing and a 2024 page says six, so both limits apply.
MAX_IMAGE_WATERMARK_OBJECTS = 3
MAX_IMAGE_WATERMARK_STEPS = 6
PREPROCESS_ACTIONS = ("resize", "crop", "indexcrop", "rounded-corners", "rotate", "auto-orient")
PROCESS_MARKER = "?x-oss-process="
EC_TOO_MANY_IMAGES = "0040-00000026"
EC_NESTED_WATERMARK = "0040-00000373"
EC_EMPTY_TEXT = "0040-00000258"
# A local safety limit, not an OSS one: size_1000 + rotate_45 on 64 bytes of text, or P on
# a 1 px wide strip, would otherwise ask for gigabytes. 64 MP is 256 MB as RGBA.
MAX_LAYER_PIXELS = 64_000_000
# JPEG quality of a watermarked result when the cascade sets none: OSS answers the SDK's
# text watermark on example.jpg (quality 82) with 26355 bytes, which only a re-encode at
# about 90 gives (at 82: 22129). Inferred; see docs/COMPATIBILITY.md.
WATERMARK_DEFAULT_QUALITY = 90


# -- geometry ------------------------------------------------------------------------------

def anchor_origin(W: int, H: int, w: int, h: int, g: str, x: int, y: int,
                  voffset: int) -> tuple[int, int]:
    """Top-left corner of a ``w`` x ``h`` watermark on a ``W`` x ``H`` image.

    ``x`` is the margin to the left or right edge (ignored for the centre column), ``y`` the
    margin to the top or bottom edge (ignored for the middle row), ``voffset`` moves the
    middle row off the horizontal centre line. The result may be negative or past the edge
    when the watermark is larger than the image; drawing clips it.
    """
    col, row = ANCHOR_FACTORS[g]
    left = (x, (W - w) // 2, W - w - x)[col]
    shift = -voffset if VOFFSET_UP else voffset
    top = (y, (H - h) // 2 + shift, H - h - y)[row]
    return left, top


def tile_grid(W: int, H: int, w: int, h: int, x0: int, y0: int, padx: int,
              pady: int) -> tuple[range, range]:
    """Tile origins for ``fill_1``: the tile at (x0, y0) repeated every ``w + padx`` /
    ``h + pady`` pixels in both directions, keeping every tile that touches the image."""
    sx, sy = w + padx, h + pady

    def axis(start: int, step: int, size: int, extent: int) -> range:
        # The leftmost (topmost) tile of the lattice that still reaches into the image.
        first = start - step * ((start + size - 1) // step)
        return range(first, extent, step)

    return axis(x0, sx, w, W), axis(y0, sy, h, H)


@dataclass(frozen=True)
class Block:
    """Layout of an image + text watermark: the block size and where each part goes."""

    size: tuple[int, int]
    image_at: tuple[int, int]
    text_at: tuple[int, int]


def layout_block(image_size: tuple[int, int], text_size: tuple[int, int], order: int,
                 align: int, interval: int) -> Block:
    """Side by side: ``order`` 0 puts the image left of the text, 1 the text first;
    ``interval`` px between them; ``align`` 0/1/2 aligns the tops, the middles or the
    bottoms of the two parts."""
    (iw, ih), (tw, th) = image_size, text_size
    H = max(ih, th)

    def top(h: int) -> int:
        return (0, (H - h) // 2, H - h)[align]

    if order == 0:
        ix, tx = 0, iw + interval
    else:
        tx, ix = 0, tw + interval
    return Block((iw + tw + interval, H), (ix, top(ih)), (tx, top(th)))


def percent_size(main_width: int, w: int, h: int, P: int) -> tuple[int, int]:
    """Size of a ``w`` x ``h`` watermark scaled by ``resize,P_`` so that its width is P% of
    the main image's width, keeping its aspect ratio (at least 1 x 1)."""
    nw = max(1, math.floor(main_width * P / 100 + 0.5))
    nh = max(1, math.floor(h * nw / w + 0.5))
    return nw, nh


def shadow_offset(size: int) -> int:
    """Shadow displacement (right and down) for text of ``size`` px: 5%, at least 1 px."""
    return max(1, math.floor(size / 20 + 0.5))


def check_layer_size(w: int, h: int, key: str) -> None:
    if w * h > MAX_LAYER_PIXELS:
        raise OssError("ImageTooLarge",
                       f"The watermark would be {w}x{h} pixels, more than this engine draws "
                       f"({MAX_LAYER_PIXELS} pixels).", key=key)


def clip_box(W: int, H: int, w: int, h: int, x: int, y: int
             ) -> tuple[tuple[int, int], tuple[int, int, int, int]] | None:
    """Where a ``w`` x ``h`` layer at (x, y) lands on a ``W`` x ``H`` canvas: (destination,
    source box inside the layer), or None when nothing of it is visible."""
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + w, W), min(y + h, H)
    if right <= left or bottom <= top:
        return None
    return (left, top), (left - x, top - y, right - x, bottom - y)


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


def resize_layer(layer: Image.Image, size: tuple[int, int]) -> Image.Image:
    if layer.size == size:
        return layer
    return layer.convert("RGBa").resize(size, Image.Resampling.LANCZOS).convert("RGBA")


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


# -- image watermark objects ---------------------------------------------------------------

@dataclass(frozen=True)
class PercentScale:
    """``resize,P_<n>`` inside watermark preprocessing: relative to the main image, so it
    is bound to the main image's width just before it runs."""

    P: int
    main_width: int = 0
    NAME = "resize"

    def bound(self, main_width: int) -> "PercentScale":
        return PercentScale(self.P, main_width)

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        size = percent_size(self.main_width, pic.width, pic.height, self.P)
        check_layer_size(*size, "image")
        return pic.map_frames(lambda f: resize_layer(f.convert("RGBA"), size))

    def to_string(self) -> str:
        return f"resize,P_{self.P}"


@dataclass(frozen=True)
class WatermarkObject:
    """A decoded ``image`` value: the object key and its preprocessing steps."""

    key: str
    steps: tuple = ()


def _image_error(message: str, ec: str | None = None, code: str = "InvalidArgument"
                 ) -> OssError:
    return OssError(code, message, ec=ec, key="image")


@lru_cache(maxsize=256)
def parse_image_value(value: str) -> WatermarkObject:
    """Split ``key[?x-oss-process=image/...]`` and parse the preprocessing, allowing only
    the actions OSS allows there plus ``P`` under ``resize``."""
    key, marker, process = value.partition(PROCESS_MARKER)
    if not key:
        raise _image_error("The watermark image object key is empty.")
    if not marker or process == "":
        return WatermarkObject(key)
    kind, slash, body = process.partition("/")
    if kind != "image" or not slash or not body:
        raise _image_error(f"The watermark image preprocessing {process} is invalid."
                           "reason:must be image/<actions>")
    steps: list = []
    for segment in body.strip("/").split("/"):
        name, _, rest = segment.partition(",")
        if name == "watermark":
            raise _image_error("A watermark image cannot itself have a watermark.",
                               EC_NESTED_WATERMARK)
        if name not in PREPROCESS_ACTIONS:
            raise _image_error(f"The action: {name} is not allowed in watermark image "
                               "preprocessing (allowed: " + ", ".join(PREPROCESS_ACTIONS) + ").")
        tokens = rest.split(",") if rest else []
        if name == "resize":
            percents = [t for t in tokens if t.startswith("P_")]
            tokens = [t for t in tokens if not t.startswith("P_")]
            for tok in percents[-1:]:  # a repeated key: the later one wins
                raw = tok[2:]
                if not raw.isdigit() or not 1 <= int(raw) <= 100:
                    raise invalid("image", raw, "Value must be in [1,100]", None, "P")
                steps.append(PercentScale(int(raw)))
            if percents and not tokens:
                continue
        steps.extend(_parse_steps(",".join([name] + tokens)))
    return WatermarkObject(key, tuple(steps))


def _parse_steps(segment: str) -> tuple[Operation, ...]:
    try:
        return bind_actions(segment)
    except OssError as e:
        raise _rehome(e, "In the watermark image preprocessing: ") from None


def _rehome(e: OssError, prefix: str) -> OssError:
    """An error from the watermark's own preprocessing, re-pointed at the ``image`` key of
    the watermark step (its step index and span meant the inner cascade)."""
    return OssError(e.code, prefix + e.message, ec=e.ec, status=e.status, key="image",
                    details=e.details)


def load_watermark_image(obj: WatermarkObject, main_size: tuple[int, int],
                         ctx: Context) -> Image.Image:
    """Fetch, decode and preprocess a watermark object; its first frame, as RGBA."""
    if ctx.resolver is None:
        raise OssError("NoSuchKey", "The specified key does not exist.", key="image",
                       details={"Key": obj.key})
    try:
        data = ctx.resolver(obj.key)
    except OssError as e:
        e.key = e.key or "image"
        raise
    pic = (ctx.decode or _decode)(data)
    if pic.animated:
        pic = pic.with_image(pic.image)
    steps = tuple(s.bound(main_size[0]) if isinstance(s, PercentScale) else s
                  for s in obj.steps)
    try:
        for op in steps:
            ctx.check()
            pic = op.apply(pic, ctx)
    except OssError as e:
        if e.code in ("Cancelled", "RequestTimeout"):
            raise
        raise _rehome(e, f"Watermark image {obj.key}: ") from None
    return pic.image.convert("RGBA")


def _decode(data: bytes) -> Picture:
    """Used only when the caller's Context has no decoder (unit tests, scripts)."""
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except (UnidentifiedImageError, OSError, ValueError):
        raise _image_error("This image format is not supported.", "0040-00000005",
                           "BadRequest") from None
    return Picture(frames=(im.convert("RGBA"),), source_format="png", source_size=im.size)


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
