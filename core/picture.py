"""The value that flows through a cascade: decoded frames plus encoder settings.

A :class:`Picture` is treated as immutable: operations return a new one (``replace`` or
``with_frames``) and never modify a frame in place, which is what lets the engine cache
intermediate results by cascade prefix.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from PIL import Image

from .errors import Cancelled, OssError

# OSS format names for Pillow format ids.
FORMAT_NAMES = {
    "JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp", "GIF": "gif",
    "TIFF": "tiff", "HEIF": "heic", "AVIF": "avif",
}


def pixel_bytes(mode: str) -> int:
    """Bytes Pillow stores per pixel of ``mode``: 1 for 1/L/P, 2 for 16-bit grey, 4 for
    everything else -- RGB too (Pillow keeps it as RGBX), and LA/PA."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


@dataclass(frozen=True)
class Picture:
    frames: tuple[Image.Image, ...]
    source_format: str                      # OSS name of the decoded source format
    source_size: tuple[int, int]            # stored (un-oriented) size of the source
    durations: tuple[int, ...] = ()         # per frame, ms (animations only)
    loop: int = 0
    source_quality: int | None = None       # estimated JPEG quality of the source
    format: str | None = None               # requested by `format`
    q: int | None = None                    # `quality,q_`
    Q: int | None = None                    # `quality,Q_`
    interlace: int | None = None            # `interlace`
    icc_profile: bytes | None = None
    notes: tuple[str, ...] = field(default=())  # e.g. font substitutions, for the viewer
    # Frames of an animation that were never decoded because the output is static (the
    # engine decodes only the first frame then); actions still see an animation.
    skipped_frames: int = 0
    default_quality: int | None = None      # replaces the source quality as the default

    @property
    def image(self) -> Image.Image:
        return self.frames[0]

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0].size

    @property
    def width(self) -> int:
        return self.frames[0].width

    @property
    def height(self) -> int:
        return self.frames[0].height

    @property
    def nbytes(self) -> int:
        """Bytes held by the decoded frames (width x height x bands, summed)."""
        return sum(f.width * f.height * pixel_bytes(f.mode) for f in self.frames)

    @property
    def animated(self) -> bool:
        return len(self.frames) + self.skipped_frames > 1

    def replace(self, **changes) -> "Picture":
        return dataclasses.replace(self, **changes)

    def with_image(self, image: Image.Image) -> "Picture":
        """A static picture (animation dropped) holding ``image``."""
        return dataclasses.replace(self, frames=(image,), durations=(), skipped_frames=0)

    def map_frames(self, fn: Callable[[Image.Image], Image.Image]) -> "Picture":
        """Apply ``fn`` to every frame (keeps an animation)."""
        return dataclasses.replace(self, frames=tuple(fn(f) for f in self.frames))

    def first_frame(self, fn: Callable[[Image.Image], Image.Image]) -> "Picture":
        """Apply ``fn`` to the first frame only; the result is static."""
        return self.with_image(fn(self.frames[0]))

    def add_note(self, note: str) -> "Picture":
        if note in self.notes:
            return self
        return dataclasses.replace(self, notes=self.notes + (note,))


class ObjectResolver(Protocol):
    """Looks up an object of the same bucket by key (watermark images).

    Returns the object's bytes, or raises ``OssError("NoSuchKey", ...)``.
    """

    def __call__(self, key: str) -> bytes: ...


def deadline_exceeded(seconds: float | None) -> OssError:
    """OSS's answer when processing outlives its time (the code the service uses too)."""
    limit = f" ({seconds:g} s)" if seconds else ""
    return OssError("RequestTimeout", f"Image processing took longer than allowed{limit}.")


@dataclass
class Context:
    """What an operation may consult besides the picture.

    ``decode`` turns object bytes into a picture under the engine's limits (watermark
    images); ``deadline`` is a ``time.monotonic()`` instant, ``timeout`` the seconds it
    stands for. Long operations call :meth:`check` between frames and pieces of work.
    """

    resolver: ObjectResolver | None = None
    cancelled: Callable[[], bool] = lambda: False
    decode: Callable[[bytes], Picture] | None = None   # set by the engine (watermark images)
    deadline: float | None = None
    timeout: float | None = None

    def check(self) -> None:
        """Raise ``Cancelled`` when cancelled, ``RequestTimeout`` past the deadline."""
        if self.cancelled():
            raise Cancelled()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise deadline_exceeded(self.timeout)


ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def has_alpha(image: Image.Image) -> bool:
    """The one transparency rule of core: an alpha band, or a ``transparency`` entry in
    the image's info -- a palette index (P) or a tRNS colour key on L/RGB (PNG), which
    Pillow turns into alpha when converting to RGBA."""
    return image.mode in ALPHA_MODES or "transparency" in image.info


def to_rgba(image: Image.Image) -> Image.Image:
    return image if image.mode == "RGBA" else image.convert("RGBA")
