"""Decoding sources and encoding results, with OSS's limits.

Limits are checked from the header, before any pixel is decoded, so a decompression bomb
costs nothing. Every failure is an :class:`OssError`; no Pillow exception escapes.
"""
from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from .errors import OssError
from .picture import FORMAT_NAMES, Picture, has_alpha

MAX_SOURCE_BYTES = 20 * 1024 * 1024
MAX_SOURCE_SIDE = 30_000
MAX_SOURCE_PIXELS = 250_000_000          # W x H x frames
MAX_TIFF_SIDE = 16_384
MAX_WEBP_SIDE = 16_383
MAX_AVIF_ENCODE_PIXELS = 4096 * 2304
MAX_AVIF_DECODE_SIDE = 10_000
MAX_ORIENT_SIDE = 4096                   # auto-orient applies only below this
DEFAULT_QUALITY = 90                     # when neither the source nor the cascade says

# Our own header check runs first; Pillow's bomb guard stays as a backstop at OSS's limit.
Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # HEIC then reports "not supported"
            pass
        _heif_registered = True


def unsupported() -> OssError:
    return OssError("BadRequest", "This image format is not supported.", ec="0040-00000005")


def corrupt(detail: str = "") -> OssError:
    msg = "The image is corrupt or truncated."
    return OssError("BadRequest", msg + (f" ({detail})" if detail else ""), ec="0040-00000005")


@dataclass(frozen=True)
class Header:
    """What the container says, read without decoding pixels."""

    format: str
    width: int
    height: int
    frames: int
    orientation: int


def open_image(data: bytes, *, max_bytes: int | None = MAX_SOURCE_BYTES) -> Image.Image:
    """Open ``data`` lazily, enforcing byte, side and pixel limits from the header.

    ``max_bytes=None`` skips the source byte limit: for showing an output the engine just
    wrote (an uncompressed BMP of a valid cascade can well exceed 20 MB).
    """
    if not data:
        raise OssError("BadRequest", "The object is empty (0 bytes).", ec="0040-00000005")
    if max_bytes is not None and len(data) > max_bytes:
        raise OssError("ImageTooLarge",
                       f"The source image is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB.",
                       ec="0040-00000009")
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise OssError("ImageTooLarge", "The source image has too many pixels.",
                       ec="0040-00000012") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            TypeError, IndexError, KeyError, struct.error):
        raise unsupported() from None
    fmt = FORMAT_NAMES.get(im.format or "")
    if fmt is None:
        raise unsupported()
    W, H = im.size
    if W <= 0 or H <= 0:
        raise corrupt("zero size")
    if W > MAX_SOURCE_SIDE or H > MAX_SOURCE_SIDE:
        raise OssError("ImageTooLarge",
                       f"The width and height of the source image must not exceed {MAX_SOURCE_SIDE}.",
                       ec="0040-00000019")
    if fmt == "tiff" and (W > MAX_TIFF_SIDE or H > MAX_TIFF_SIDE):
        raise OssError("ImageTooLarge",
                       f"The width and height of a TIFF source must not exceed {MAX_TIFF_SIDE}.",
                       ec="0040-00000018")
    if fmt == "avif" and (W > MAX_AVIF_DECODE_SIDE or H > MAX_AVIF_DECODE_SIDE):
        raise OssError("ImageTooLarge",
                       f"The width and height of an AVIF source must not exceed {MAX_AVIF_DECODE_SIDE}.",
                       ec="0040-00000014")
    if W * H > MAX_SOURCE_PIXELS or W * H * _frame_count(im) > MAX_SOURCE_PIXELS:
        raise OssError("ImageTooLarge",
                       f"The source image must not exceed {MAX_SOURCE_PIXELS} pixels "
                       "(all frames counted).", ec="0040-00000012")
    return im


def _frame_count(im: Image.Image) -> int:
    try:
        return max(1, int(getattr(im, "n_frames", 1)))
    except Exception:  # a broken frame table: decoding will report it
        return 1


def read_header(data: bytes) -> Header:
    im = open_image(data)
    try:
        orientation = int(im.getexif().get(0x0112, 1) or 1)
    except Exception:
        orientation = 1
    return Header(FORMAT_NAMES[im.format], im.width, im.height, _frame_count(im), orientation)


def _normalize(frame: Image.Image) -> Image.Image:
    """Bring any decoded mode to RGB or RGBA (the modes every action handles)."""
    if frame.mode in ("RGB", "RGBA"):
        return frame
    if frame.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        frame = frame.convert("I").point(lambda v: v / 256).convert("L")
    if has_alpha(frame):
        return frame.convert("RGBA")
    return frame.convert("RGB")


def draft_scale(W: int, H: int, want_w: int, want_h: int) -> int:
    """Largest JPEG DCT scale (1, 2, 4, 8) that keeps both sides >= the wanted size."""
    scale = 1
    for s in (2, 4, 8):
        if -(-W // s) >= want_w and -(-H // s) >= want_h:
            scale = s
    return scale


def decode(data: bytes, *, orient: bool = True, draft: tuple[int, int] | None = None,
           source_quality=None, max_bytes: int | None = MAX_SOURCE_BYTES) -> Picture:
    """Decode ``data`` into a :class:`Picture`.

    ``orient`` applies the EXIF Orientation (OSS auto-orient, only below 4096 px a side).
    ``draft`` asks a JPEG decoder for a DCT-reduced image at least that large (stored
    orientation); the caller guarantees this cannot change the output size.
    ``source_quality`` estimates a JPEG's quality from its quantization tables.
    """
    im = open_image(data, max_bytes=max_bytes)
    fmt = FORMAT_NAMES[im.format]
    stored = im.size
    quality = None
    icc = im.info.get("icc_profile")
    try:
        if fmt == "jpg":
            if source_quality is not None:
                quality = source_quality(getattr(im, "quantization", None) or {})
            if draft is not None:
                im.draft("RGB", draft)
        frames: list[Image.Image] = []
        durations: list[int] = []
        animated = getattr(im, "is_animated", False) and fmt in ("gif", "webp")
        if animated:
            for frame in ImageSequence.Iterator(im):
                frames.append(_normalize(frame.convert("RGBA")))
                durations.append(int(frame.info.get("duration", 100) or 100))
        else:
            im.load()
            frames.append(im)
        loop = int(im.info.get("loop", 0) or 0)
        if orient and stored[0] < MAX_ORIENT_SIDE and stored[1] < MAX_ORIENT_SIDE:
            frames = [ImageOps.exif_transpose(f) if i == 0 and not animated else f
                      for i, f in enumerate(frames)]
        frames = [_normalize(f) for f in frames]
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError,
            struct.error, ZeroDivisionError, MemoryError) as e:
        raise corrupt(type(e).__name__) from None
    return Picture(frames=tuple(frames), source_format=fmt, source_size=stored,
                   durations=tuple(durations) if animated else (), loop=loop,
                   source_quality=quality, icc_profile=icc)


# -- encoding --------------------------------------------------------------------------

CONTENT_TYPES = {
    "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "bmp": "image/bmp",
    "gif": "image/gif", "tiff": "image/tiff", "heic": "image/heic", "avif": "image/avif",
}


def output_format(pic: Picture) -> str:
    return pic.format or pic.source_format


def target_quality(pic: Picture, fmt: str) -> int:
    """JPEG/WebP quality per OSS's quality rules (spec 14.1)."""
    src = pic.source_quality
    if pic.Q is not None:
        return min(pic.Q, src) if src else pic.Q
    if pic.q is not None:
        if fmt == "webp":  # q acts like Q for WebP
            return min(pic.q, src) if src else pic.q
        base = src or 100
        return max(1, round(base * pic.q / 100))
    return src or DEFAULT_QUALITY


def flatten(image: Image.Image, background=(255, 255, 255)) -> Image.Image:
    """Composite transparency onto ``background`` (OSS fills white for JPG)."""
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, background)
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def encode(pic: Picture) -> tuple[bytes, str]:
    """Encode ``pic`` in its output format; returns (bytes, OSS format name)."""
    fmt = output_format(pic)
    W, H = pic.size
    out = io.BytesIO()
    frame = _own(pic.image)
    extra = {"icc_profile": pic.icc_profile} if pic.icc_profile else {}
    if fmt == "jpg":
        flatten(frame).save(out, "JPEG", quality=target_quality(pic, fmt),
                            progressive=bool(pic.interlace), optimize=bool(pic.interlace),
                            **extra)
    elif fmt == "png":
        frame.save(out, "PNG", compress_level=6, **extra)
    elif fmt == "webp":
        if W > MAX_WEBP_SIDE or H > MAX_WEBP_SIDE:
            raise OssError("BadRequest",
                           "Maximum width and height allowed is 16383 pixels for converting webp",
                           ec="0040-00000011")
        frame.save(out, "WEBP", quality=target_quality(pic, fmt), method=4, **extra)
    elif fmt == "bmp":
        frame.save(out, "BMP")
    elif fmt == "gif":
        _encode_gif(pic, out)
    elif fmt == "tiff":
        frame.save(out, "TIFF", compression="tiff_deflate", **extra)
    elif fmt == "heic":
        _register_heif()
        try:
            frame.save(out, "HEIF", quality=target_quality(pic, fmt))
        except (KeyError, OSError, ValueError) as e:
            raise OssError("NotImplemented", f"HEIC encoding is not available: {e}") from None
    elif fmt == "avif":
        if W * H > MAX_AVIF_ENCODE_PIXELS:
            raise OssError("BadRequest",
                           "The target image is too large for AVIF (at most 4096x2304 pixels).",
                           ec="0040-00000014")
        frame.save(out, "AVIF", quality=target_quality(pic, fmt))
    else:
        raise OssError("InvalidArgument", f"The value: {fmt} of parameter: format is invalid.",
                       ec="0040-00000206")
    return out.getvalue(), fmt


def _own(frame: Image.Image) -> Image.Image:
    """A new Image object over the same pixels, for ``save`` to scribble on.

    ``Image.save`` keeps its options on the image object while it runs (``encoderinfo``,
    ``encoderconfig``) and puts back what it found when done. The frames we encode are
    shared: the engine's cache hands one decoded picture to every cascade that starts
    with it, and format/quality steps pass frames through unchanged. Two threads saving
    one frame at once (the viewer renders two cascades in parallel) read each other's
    options -- ``format,tiff`` then failed with "quality setting only supported for
    'jpeg' compression", an InternalError -- and the last one to finish could leave the
    other's options on the cached frame for good (issue 17). A wrapper of its own costs
    no pixel copy (``_new`` shares the pixel memory; encoders only read it).
    """
    new = getattr(frame, "_new", None)
    return new(frame.im) if new is not None else frame.copy()


def _encode_gif(pic: Picture, out: io.BytesIO) -> None:
    frames = [_gif_frame(f) for f in pic.frames]
    if len(frames) > 1:
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:],
                       duration=list(pic.durations) or 100, loop=pic.loop, disposal=2)
    else:
        frames[0].save(out, "GIF")


def _gif_frame(frame: Image.Image) -> Image.Image:
    if frame.mode != "RGBA":
        return frame.convert("RGB").quantize(256)
    alpha = frame.getchannel("A")
    p = frame.convert("RGB").quantize(255)
    # Palette index 255 is reserved for transparency.
    mask = alpha.point(lambda a: 255 if a < 128 else 0)
    p.paste(255, mask=mask)
    p.info["transparency"] = 255
    return p
