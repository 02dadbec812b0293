"""Decoding sources and encoding results, with OSS's limits.

Limits are checked from the header, before any pixel is decoded, so a decompression bomb
costs nothing. Every failure is an :class:`OssError`; no Pillow exception escapes.
"""
from __future__ import annotations

import io
import struct
import sys
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from . import png_encode, png_fast
from .errors import OssError
from .picture import FORMAT_NAMES, Picture, has_alpha, pixel_bytes

MAX_SOURCE_BYTES = 20 * 1024 * 1024
MAX_SOURCE_SIDE = 30_000
MAX_SOURCE_PIXELS = 250_000_000          # W x H x frames
MAX_TIFF_SIDE = 16_384
MAX_WEBP_SIDE = 16_383
MAX_AVIF_ENCODE_PIXELS = 4096 * 2304
MAX_AVIF_DECODE_SIDE = 10_000
MAX_ORIENT_SIDE = 4096                   # auto-orient applies only below this
DEFAULT_QUALITY = 90                     # when neither the source nor the cascade says
# Bytes of pixels a request may hold at once: the decode (pixels x bands x bytes per
# sample x frames held, plus the normalised copy), then each step's input plus what the
# step allocates (Operation.working_bytes). The engine's memory guard, not an OSS limit:
# with it, peak RSS stays near 1.6 GB for anything OSS accepts (250 MP), and what cannot
# fit is refused with OSS's ImageTooLarge (bench/bench_big.py, docs/PERFORMANCE.md).
# Engine(decode_budget=...) changes it; image workers size it to their address space.
DEFAULT_DECODE_BUDGET = 1400 * 1024 * 1024
# A process needs address space besides its pixels (interpreter, Pillow, numpy, thread
# stacks, malloc arenas of the PNG encoder's threads): measured VmPeak minus the peak RSS
# of a worker encoding a 12 MP RGBA PNG, ~320 MB, rounded up. An image worker whose
# address space is capped (oss-img serve --worker-memory-mb) gets the rest as its budget.
ADDRESS_OVERHEAD = 512 * 1024 * 1024


def budget_for_address_space(limit: int) -> int:
    """The decode budget of a process whose address space (RLIMIT_AS) is ``limit`` bytes:
    what the overhead leaves, at least a quarter of the limit (small caps: the pictures
    are small too, and so is the overhead they cause), never more than the default."""
    return min(DEFAULT_DECODE_BUDGET, max(limit // 4, limit - ADDRESS_OVERHEAD))


# Python and Pillow keep ~3 KB per frame besides its pixels (the decoded frame object
# and its palette copy for the GIF encoder): 200,000 one-pixel frames peaked at 568 MB.
FRAME_OVERHEAD = 3 * 1024
MAX_GIF_FRAME_MS = 65_535 * 10
JPEG_OPTIMIZE_MAX_PIXELS = 50_000_000    # above: no Huffman optimisation (memory, see encode)
# zlib level 6 with the RLE strategy (docs/COMPATIBILITY.md); one setting for both paths.
PNG_LEVEL = png_encode.LEVEL
PNG_STRATEGY = png_encode.STRATEGY

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


def _orientation(im: Image.Image) -> int:
    """EXIF Orientation from what the header parse already holds. ``getexif()`` is not
    used: on a PNG it loads the whole image to look for an eXIf chunk after the pixels."""
    blob = im.info.get("exif")
    try:
        if isinstance(blob, (bytes, bytearray)) and blob:
            exif = Image.Exif()
            exif.load(bytes(blob))
            return int(exif.get(0x0112, 1) or 1)
        if im.format == "TIFF":
            return int(getattr(im, "tag_v2", {}).get(0x0112, 1) or 1)
    except Exception:  # damaged EXIF: upright, as when there is none
        pass
    return 1


def read_header(data: bytes) -> Header:
    """Format, size, frame count and orientation; never decodes a pixel."""
    im = open_image(data)
    return Header(FORMAT_NAMES[im.format], im.width, im.height, _frame_count(im),
                  _orientation(im))


def decoded_bytes(im: Image.Image, frames_held: int) -> int:
    """Memory a decode of ``im`` (as opened, after any JPEG draft) will hold at its peak:
    the decoded frames as Pillow stores them (:func:`pixel_bytes`: RGB takes 4 bytes a
    pixel), plus the RGB/RGBA copy :func:`_normalize` makes (and the 8-bit step of a
    16-bit picture), plus libspng's or libwebp's own buffer while it is copied out."""
    W, H = im.size
    src = pixel_bytes(im.mode)
    if im.format == "WEBP":  # libwebp decodes into a buffer of its own, copied from
        src += 4
    if frames_held > 1:  # animations are decoded frame by frame into RGBA
        return frames_held * (W * H * 4 + FRAME_OVERHEAD) + W * H * src
    if im.mode == "RGBA" or (im.mode == "RGB" and not has_alpha(im)):
        return W * H * src + png_fast.transient_bytes(im) + FRAME_OVERHEAD
    step = W * H if im.mode.startswith("I;16") else 0
    return W * H * (src + 4) + step + FRAME_OVERHEAD


def check_budget(im: Image.Image, frames_held: int, budget: int | None) -> None:
    if budget is None:
        return
    need = decoded_bytes(im, frames_held)
    if need > budget:
        raise OssError("ImageTooLarge",
                       f"Decoding the source image would take {need // (1024 * 1024)} MB "
                       f"({im.width}x{im.height}, {frames_held} frame(s)); this engine "
                       f"allows {budget // (1024 * 1024)} MB.", ec="0040-00000012")


def _normalize(frame: Image.Image) -> Image.Image:
    """Bring any decoded mode to RGB or RGBA (the modes every action handles)."""
    if frame.mode == "RGBA" or (frame.mode == "RGB" and not has_alpha(frame)):
        return frame
    if frame.mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        # The high byte of each sample (v // 256), strip by strip: no 4-byte "I" copy.
        big = frame.mode == "I;16B" or (frame.mode == "I;16N" and sys.byteorder == "big")
        out = Image.new("L", frame.size)
        W, H = frame.size
        rows = max(1, (1 << 22) // max(1, W))
        for top in range(0, H, rows):
            strip = frame.crop((0, top, W, min(H, top + rows))).tobytes()
            out.paste(Image.frombytes("L", (W, min(rows, H - top)), strip[0 if big else 1::2]),
                      (0, top))
        frame = out
    elif frame.mode in ("I", "F"):
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
           source_quality=None, budget: int | None = DEFAULT_DECODE_BUDGET,
           first_frame_only: bool = False, check=None, frame_fn=None,
           max_bytes: int | None = MAX_SOURCE_BYTES) -> Picture:
    """Decode ``data`` into a :class:`Picture`.

    ``orient`` applies the EXIF Orientation (OSS auto-orient, only below 4096 px a side).
    ``draft`` asks a JPEG decoder for a DCT-reduced image at least that large (stored
    orientation); the caller guarantees this cannot change the output size.
    ``source_quality`` estimates a JPEG's quality from its quantization tables.
    ``budget`` bounds the decoded bytes (:func:`decoded_bytes`), checked before any pixel
    is decoded. ``first_frame_only`` decodes only an animation's first frame (the caller
    knows the output is static); the picture then remembers how many frames it skipped.
    ``check`` is called between frames (cancellation, deadline) and may raise.
    ``frame_fn(frame, frames)`` transforms each frame of an animation as soon as it is
    decoded (the engine passes the cascade's leading resize/crop steps), so only the
    transformed frames are held: the budget then counts one source frame plus every
    transformed frame at the size the first one came out.
    ``max_bytes``: the source byte limit (None for an output to show, see open_image).
    """
    im = open_image(data, max_bytes=max_bytes)
    fmt = FORMAT_NAMES[im.format]
    stored = im.size
    W0, H0 = stored
    quality = None
    icc = im.info.get("icc_profile")
    try:
        animated = bool(getattr(im, "is_animated", False)) and fmt in ("gif", "webp")
        total = _frame_count(im) if animated else 1
        held = 1 if first_frame_only else total
        streaming = animated and frame_fn is not None and held > 1
        if fmt == "jpg":
            if source_quality is not None:
                quality = source_quality(getattr(im, "quantization", None) or {})
            if draft is not None:
                im.draft("RGB", draft)
        check_budget(im, 1 if streaming else held, budget)
        frames: list[Image.Image] = []
        durations: list[int] = []
        if animated:
            for index, frame in enumerate(ImageSequence.Iterator(im)):
                if check is not None:
                    check()
                decoded = _normalize(frame.convert("RGBA"))
                if streaming:
                    decoded = frame_fn(decoded, total)
                    if index == 0:
                        check_budget(decoded, total, budget and budget - W0 * H0 * 4)
                frames.append(decoded)
                durations.append(int(frame.info.get("duration", 100) or 100))
                if index + 1 >= held:
                    break
        else:
            fast = png_fast.decode(data, im) if fmt == "png" else None
            if fast is None:
                im.load()
            frames.append(im if fast is None else fast)
        loop = int(im.info.get("loop", 0) or 0)
        if orient and stored[0] < MAX_ORIENT_SIDE and stored[1] < MAX_ORIENT_SIDE:
            if not animated:  # in place: no full-size copy when there is nothing to turn
                ImageOps.exif_transpose(frames[0], in_place=True)
        frames = [_normalize(f) for f in frames]
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError,
            struct.error, ZeroDivisionError, OverflowError) as e:
        raise corrupt(type(e).__name__) from None
    except MemoryError:
        raise OssError("ImageTooLarge", "Not enough memory to decode the source image.",
                       ec="0040-00000012") from None
    return Picture(frames=tuple(frames), source_format=fmt, source_size=stored,
                   durations=tuple(durations) if animated else (), loop=loop,
                   source_quality=quality, icc_profile=icc,
                   skipped_frames=total - len(frames) if animated else 0)


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
    return pic.default_quality or src or DEFAULT_QUALITY


def flatten(image: Image.Image, background=(255, 255, 255)) -> Image.Image:
    """Composite transparency onto ``background`` (OSS fills white for JPG)."""
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, background)
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def encode(pic: Picture, check=None) -> tuple[bytes, str]:
    """Encode ``pic`` in its output format; returns (bytes, OSS format name).

    Every failure is an :class:`OssError` (MemoryError is ImageTooLarge, anything else
    the encoder raises is InternalError). ``check`` runs between GIF frames.
    """
    try:
        return _encode(pic, check)
    except OssError:
        raise
    except MemoryError:
        raise OssError("ImageTooLarge", "Not enough memory to encode the image.") from None
    except (OSError, ValueError, OverflowError, struct.error, KeyError, TypeError,
            EOFError, IndexError, ZeroDivisionError, RuntimeError) as e:
        raise OssError("InternalError",
                       f"Encoding {output_format(pic)} failed: {type(e).__name__}: {e}") from None


def _encode(pic: Picture, check) -> tuple[bytes, str]:
    fmt = output_format(pic)
    W, H = pic.size
    out = io.BytesIO()
    # Encode a copy: Pillow (13) keeps the options of a save in progress on the image
    # object itself (encoderinfo) and lets them win over the caller's, so two threads
    # saving one cached picture (the viewer's A/B renderers, the quality sweep, the
    # server) swapped qualities and left the cached image stuck on the last one. A new
    # Image object over the same pixels is enough (the encoders only read them) and saves
    # a full-size copy (12 MP RGBA: ~35 ms).
    source = pic.image
    source.load()  # applies a pending palette change, as copy() would
    frame = source._new(source.im)
    frame.readonly = source.readonly  # a libspng buffer stays copy-on-write
    extra = {"icc_profile": pic.icc_profile} if pic.icc_profile else {}
    if fmt == "jpg":
        # Huffman tables optimised, 4:2:0, no metadata but the ICC profile: the settings
        # that reproduce OSS's FileSize for the SDK's example.jpg (docs/COMPATIBILITY.md).
        # Optimised tables make libjpeg hold every DCT coefficient until the end (~3 bytes
        # a pixel at 4:2:0: 750 MB for 250 MP), so very large outputs skip it (~2% larger).
        flatten(frame).save(out, "JPEG", quality=target_quality(pic, fmt),
                            progressive=bool(pic.interlace),
                            optimize=W * H <= JPEG_OPTIMIZE_MAX_PIXELS, subsampling=2,
                            **extra)
    elif fmt == "png":
        # zlib's RLE strategy: 3-4x faster than the default filtered deflate and closer
        # to OSS's bytes (SDK example.jpg: 161655 vs OSS 160733; default: 162285).
        if png_encode.supported(frame):  # >= 1 MP: filtered and deflated in parallel strips
            out.write(png_encode.encode(frame, pic.icc_profile))
        else:
            frame.save(out, "PNG", compress_level=PNG_LEVEL, compress_type=PNG_STRATEGY,
                       **extra)
    elif fmt == "webp":
        if W > MAX_WEBP_SIDE or H > MAX_WEBP_SIDE:
            raise OssError("BadRequest",
                           "Maximum width and height allowed is 16383 pixels for converting webp",
                           ec="0040-00000011")
        frame.save(out, "WEBP", quality=target_quality(pic, fmt), method=4, **extra)
    elif fmt == "bmp":
        frame.save(out, "BMP")
    elif fmt == "gif":
        _encode_gif(pic, out, check)
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


def gif_timeline(frames: list[Image.Image], durations: list[int]
                 ) -> tuple[list[Image.Image], list[int]]:
    """Merge runs of identical frames (as Pillow's GIF writer would) and cap each delay at
    what a GIF can say (65535/100 s); Pillow sums merged delays and overflows past it."""
    out_f: list[Image.Image] = []
    out_d: list[int] = []
    for frame, ms in zip(frames, durations):
        ms = max(0, int(ms))
        if out_f and frame.tobytes() == out_f[-1].tobytes() and \
                frame.getpalette() == out_f[-1].getpalette() and \
                frame.info.get("transparency") == out_f[-1].info.get("transparency"):
            out_d[-1] = min(MAX_GIF_FRAME_MS, out_d[-1] + ms)
            continue
        out_f.append(frame)
        out_d.append(min(MAX_GIF_FRAME_MS, ms))
    return out_f, out_d


def _encode_gif(pic: Picture, out: io.BytesIO, check=None) -> None:
    frames = []
    for f in pic.frames:
        if check is not None:
            check()
        frames.append(_gif_frame(f))
    durations = list(pic.durations) or [100] * len(frames)
    frames, durations = gif_timeline(frames, (durations + [100] * len(frames))[:len(frames)])
    if len(frames) > 1:
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:],
                       duration=durations, loop=pic.loop, disposal=2)
    elif len(pic.frames) > 1:  # an animation whose frames are all alike: one still frame
        frames[0].save(out, "GIF", duration=durations[0], loop=pic.loop)
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
