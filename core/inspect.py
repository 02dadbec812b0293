"""Read-only inspection of a source: ``image/info`` and ``image/average-hue`` (the JPEG
quality estimate that ``quality,q_``/``Q_`` need is in :mod:`core.jpeg_quality`).

Pure functions over bytes or a Pillow image; nothing here touches the engine or Qt.

``image_info`` reproduces the OSS ``info`` object; its EXIF part is exiv2's text
(:mod:`core.exif_text`).
"""
from __future__ import annotations

import io
import json
import struct
import warnings

from PIL import Image

from .errors import OssError
from .exif_text import PILLOW_TO_EXIV2, exif_fields, print_degrees, tiff_from_exif_blob
from .jpeg_quality import estimate_jpeg_quality
from .picture import has_alpha

__all__ = [
    "image_info", "info_json", "average_hue", "average_hue_json", "estimate_jpeg_quality",
    "print_degrees", "PILLOW_TO_EXIV2",
]


def _unsupported() -> OssError:
    return OssError("BadRequest", "This image format is not supported.", ec="0040-00000005")


# Pillow format id -> OSS name. Only the formats OSS accepts as sources are opened at all,
# so a PPM or ICO is "not supported" exactly like garbage.
_FORMATS = {
    "JPEG": "jpg", "MPO": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "BMP": "bmp",
    "TIFF": "tiff", "HEIF": "heic", "AVIF": "avif",
}
_OPENERS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "HEIF", "AVIF")
_plugins_ready = False


def _open_formats() -> list[str]:
    global _plugins_ready
    if not _plugins_ready:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # HEIC is then simply "not supported"
            pass
        Image.init()
        _plugins_ready = True
    # Image.open raises KeyError for a format id nobody registered.
    return [f for f in _OPENERS if f in Image.OPEN]


# ---------------------------------------------------------------------------------------
# Resolution without EXIF. Rationals are written exactly (no float rounding): JFIF
# densities are integers; PNG/BMP store pixels per metre, i.e. "<ppm>/100" per centimetre.

def _png_phys(data: bytes) -> tuple[int, int, int] | None:
    pos = 8
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        ctype = data[pos + 4:pos + 8]
        if ctype == b"pHYs" and length >= 9 and pos + 17 <= len(data):
            x, y, unit = struct.unpack_from(">IIB", data, pos + 8)
            return x, y, unit
        if ctype in (b"IDAT", b"IEND"):
            return None
        pos += 12 + length
    return None


def _resolution(fmt: str, data: bytes, info: dict) -> dict[str, str]:
    if fmt == "jpg":
        density = info.get("jfif_density")
        unit = info.get("jfif_unit")
        if (isinstance(density, tuple) and len(density) == 2 and unit in (0, 1, 2)
                and all(isinstance(v, int) and v > 0 for v in density)):
            return {"ResolutionUnit": str(unit + 1), "XResolution": f"{density[0]}/1",
                    "YResolution": f"{density[1]}/1"}
    elif fmt == "png":
        phys = _png_phys(data)
        if phys and phys[0] > 0 and phys[1] > 0:
            x, y, unit = phys
            if unit == 1:
                return {"ResolutionUnit": "3", "XResolution": f"{x}/100",
                        "YResolution": f"{y}/100"}
            if unit == 0:
                return {"ResolutionUnit": "1", "XResolution": f"{x}/1",
                        "YResolution": f"{y}/1"}
    elif fmt == "bmp" and len(data) >= 46:
        header_size = int.from_bytes(data[14:18], "little")
        if header_size >= 40:
            x, y = struct.unpack_from("<ii", data, 38)
            if x > 0 and y > 0:
                return {"ResolutionUnit": "3", "XResolution": f"{x}/100",
                        "YResolution": f"{y}/100"}
    return {}


_RESOLUTION_KEYS = ("ResolutionUnit", "XResolution", "YResolution")


def _open(data: bytes) -> Image.Image:
    formats = _open_formats()
    try:
        return Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError:
        raise OssError("ImageTooLarge", "The source image has too many pixels.",
                       ec="0040-00000012") from None
    except Exception:
        raise _unsupported() from None


def _probe(data: bytes) -> tuple[str, int, int, int, dict]:
    """Format, stored size, frame count and Pillow's ``info`` -- headers only."""
    im = _open(data)
    try:
        fmt = _FORMATS.get(im.format or "")
        width, height = im.size
        if fmt == "tiff":
            # Pillow swaps a TIFF's size when its Orientation is 5..8; info reports the
            # stored size.
            tags = getattr(im, "tag_v2", {})
            width, height = int(tags.get(256, width)), int(tags.get(257, height))
        if fmt is None or width <= 0 or height <= 0:
            raise _unsupported()
        if fmt == "jpg":
            frames = 1  # an MPO's secondary images are not frames
        else:
            try:
                frames = max(1, int(getattr(im, "n_frames", 1)))
            except Exception:  # a broken frame chain still has a first frame
                frames = 1
        return fmt, width, height, frames, dict(im.info)
    except OssError:
        raise
    except Exception:
        raise _unsupported() from None
    finally:
        try:
            im.close()
        except Exception:
            pass


def image_info(data: bytes) -> dict[str, dict[str, str]]:
    """The OSS ``image/info`` object for the stored bytes ``data``.

    Reads headers and metadata only; pixels are never decoded. Keys come out sorted
    byte-wise. Raises only :class:`OssError` (``BadRequest``, EC 0040-00000005, for
    anything that is not a readable JPG/PNG/GIF/WebP/BMP/TIFF/HEIC/AVIF).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("image_info expects bytes")
    data = bytes(data)
    if not data:
        raise _unsupported()
    with warnings.catch_warnings():
        # Pillow warns about damaged EXIF and huge sizes while probing; the answer (or
        # the OssError) already says all there is to say.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)
        fmt, width, height, frames, info = _probe(data)

    fields: dict[str, str] = {}
    try:
        if fmt == "tiff":
            fields.update(exif_fields(data, thumbnail=False))
        elif fmt in ("jpg", "webp", "heic", "avif"):
            blob = info.get("exif")
            tiff = tiff_from_exif_blob(blob) if isinstance(blob, bytes) else None
            if tiff:
                fields.update(exif_fields(tiff, thumbnail=True))
        if not any(k in fields for k in _RESOLUTION_KEYS):
            fields.update(_resolution(fmt, data, info))
    except Exception:
        # Metadata is best effort: a damaged EXIF block must not hide the basic facts.
        fields = {k: v for k, v in fields.items() if isinstance(v, str)}

    fields.update({
        "FileSize": str(len(data)),
        "Format": fmt,
        "FrameCount": str(frames),
        "ImageHeight": str(height),
        "ImageWidth": str(width),
    })
    return {k: {"value": fields[k]} for k in sorted(fields)}


def info_json(data: bytes) -> bytes:
    """``image_info`` serialised like the OSS documentation shows it (UTF-8)::

        {
          "FileSize": {"value": "21839"},
          "Format": {"value": "jpg"}
        }
    """
    info = image_info(data)
    lines = [
        "  " + json.dumps(k, ensure_ascii=False) + ': {"value": '
        + json.dumps(v["value"], ensure_ascii=False) + "}"
        for k, v in info.items()
    ]
    return ("{\n" + ",\n".join(lines) + "\n}").encode("utf-8")


# ---------------------------------------------------------------------------------------
# average-hue

_HUE_MAX_SIDE = 256
_HUE_COLORS = 5


def _flat(im: Image.Image):
    getter = getattr(im, "get_flattened_data", None)  # Pillow >= 12.1
    return getter() if getter is not None else im.getdata()


def average_hue(image: Image.Image) -> str:
    """The dominant colour of ``image`` as ``0xrrggbb``.

    OSS's "average tone" is not a mean (the mean of example.jpg is 0x778b5c, OSS says
    0x5c783b): it behaves like the largest cluster of a median-cut palette. So: median cut
    to 5 colours, report the most populated palette entry. Fully transparent pixels are
    not part of the picture and are left out.
    """
    im = image
    if im.width <= 0 or im.height <= 0:
        raise OssError("BadRequest", "The image is empty.")
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    alpha = has_alpha(im)
    if im.mode not in ("RGB", "RGBA") or (im.mode == "RGB" and alpha):
        im = im.convert("RGBA" if alpha else "RGB")
    # Nearest-neighbour keeps the colours that are really there; a filtering resize
    # would blend neighbouring colours and move the cluster means.
    if max(im.size) > _HUE_MAX_SIDE:
        f = _HUE_MAX_SIDE / max(im.size)
        size = (max(1, round(im.width * f)), max(1, round(im.height * f)))
        im = im.resize(size, Image.Resampling.NEAREST)
    if im.mode == "RGBA":
        if im.getchannel("A").getextrema()[0] == 0:
            opaque = [p[:3] for p in _flat(im) if p[3]]
            if opaque:
                # Median cut works on the colour histogram, so a 1-row strip of the
                # visible pixels quantises exactly like the visible region.
                strip = Image.new("RGB", (len(opaque), 1))
                strip.putdata(opaque)
                im = strip
        im = im.convert("RGB")
    q = im.quantize(colors=_HUE_COLORS, method=Image.Quantize.MEDIANCUT)
    counts = q.getcolors(_HUE_COLORS + 1) or [(1, 0)]
    _, index = min(counts, key=lambda c: (-c[0], c[1]))
    palette = q.getpalette() or [0, 0, 0]
    r, g, b = (palette[index * 3:index * 3 + 3] + [0, 0, 0])[:3]
    return f"0x{r:02x}{g:02x}{b:02x}"


def average_hue_json(image: Image.Image) -> bytes:
    """``{"RGB": "0x5c783b"}`` (the shape client code parses from live responses)."""
    return json.dumps({"RGB": average_hue(image)}).encode("utf-8")
