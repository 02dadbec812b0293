"""The ``image`` of a watermark (spec section 15.3): an object of the same bucket, with its
own preprocessing (``key?x-oss-process=image/...``, only the actions OSS allows there, and
``resize,P_`` relative to the main image), fetched through the context's resolver.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, UnidentifiedImageError

from ..binder import bind_actions
from ..errors import OssError, invalid
from ..params import Operation
from ..picture import Context, Picture
from .watermark_layout import check_layer_size, percent_size, resize_layer

PREPROCESS_ACTIONS = ("resize", "crop", "indexcrop", "rounded-corners", "rotate", "auto-orient")
PROCESS_MARKER = "?x-oss-process="
EC_NESTED_WATERMARK = "0040-00000373"


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
        pic = (ctx.decode or _decode)(data)
    except OssError as e:       # the object is missing, unreadable or not an image
        e.key = e.key or "image"
        raise
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
