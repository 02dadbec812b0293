"""The seven OSS watermark fonts, mapped to open fonts shipped in ``resources/fonts``
(found through :mod:`core.resources`, installed or not).

OSS names a font with the watermark ``type`` parameter. Three of OSS's fonts are open and
shipped as they are; the four "fangzheng" (FounderType) fonts are proprietary and are drawn
with the closest open face, which :class:`FontInfo` reports (``substitute``) so that a user
interface can say so. See ``resources/fonts/README.md`` for the files and their licences.

Text is split into runs by glyph coverage (:func:`font_runs`): characters the chosen font
lacks are drawn with :data:`FALLBACK_FONT` instead of as missing-glyph boxes. Droid Sans
Fallback, for one, has no Latin letters at all.
"""
from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Set as AbcSet
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from .resources import resource_path

FONT_DIR_ENV = "OSS_IMG_FONT_DIR"
DEFAULT_FONT = "wqy-zenhei"
FALLBACK_FONT = "wqy-zenhei"


@dataclass(frozen=True)
class FontInfo:
    name: str            # OSS ``type`` value, e.g. "fangzhengkaiti"
    oss_family: str      # the font OSS itself uses for that name
    family: str          # the font we render with
    file: str            # path relative to the font folder
    index: int = 0       # face index inside a .ttc collection
    substitute: bool = False
    licence: str = ""

    @property
    def path(self) -> Path:
        return font_dir() / self.file

    @property
    def note(self) -> str | None:
        """One sentence for the user when the OSS font is replaced, else None."""
        if not self.substitute:
            return None
        return (f"Font {self.name} ({self.oss_family}) is proprietary; "
                f"rendered with {self.family}.")


_ZENHEI = "wqy-zenhei/wqy-zenhei.ttc"
_SONG = "arphic/gbsn00lp.ttf"
_KAI = "arphic/gkai00mp.ttf"
_APL = "Arphic Public License"

# Order = OSS documentation order; the viewer's font picker shows them in this order.
_FONTS: tuple[FontInfo, ...] = (
    FontInfo("wqy-zenhei", "WenQuanYi Zen Hei", "WenQuanYi Zen Hei", _ZENHEI, 0,
             licence="GPL-2 with font embedding exception"),
    FontInfo("wqy-microhei", "WenQuanYi Micro Hei", "WenQuanYi Micro Hei",
             "wqy-microhei/wqy-microhei.ttc", 0, licence="Apache-2.0"),
    FontInfo("fangzhengshusong", "FZ ShuSong", "AR PL SungtiL GB", _SONG, 0,
             substitute=True, licence=_APL),
    FontInfo("fangzhengkaiti", "FZ KaiTi", "AR PL KaitiM GB", _KAI, 0,
             substitute=True, licence=_APL),
    FontInfo("fangzhengheiti", "FZ HeiTi", "WenQuanYi Zen Hei", _ZENHEI, 0,
             substitute=True, licence="GPL-2 with font embedding exception"),
    FontInfo("fangzhengfangsong", "FZ FangSong", "AR PL SungtiL GB", _SONG, 0,
             substitute=True, licence=_APL),
    FontInfo("droidsansfallback", "Droid Sans Fallback", "Droid Sans Fallback",
             "droid/DroidSansFallback.ttf", 0, licence="Apache-2.0"),
)
_BY_NAME = {f.name: f for f in _FONTS}

OSS_FONT_NAMES: tuple[str, ...] = tuple(f.name for f in _FONTS)


def font_dir() -> Path:
    """The folder holding the font files (``$OSS_IMG_FONT_DIR`` overrides it)."""
    override = os.environ.get(FONT_DIR_ENV)
    if override:
        return Path(override)
    return resource_path("fonts")


def available_fonts() -> tuple[FontInfo, ...]:
    """Every OSS font name with what renders it, for a font picker."""
    return _FONTS


def font_info(name: str) -> FontInfo:
    """The entry for an OSS font name; ``KeyError`` for a name OSS does not have."""
    return _BY_NAME[name]


def substitution_note(name: str) -> str | None:
    return font_info(name).note


# Open faces kept (LRU). Each Pillow face is a FreeType face of its own, which maps the
# font file anew; and the shipped CJK fonts have no hinting programs, so FreeType's
# auto-hinter measures its CJK reference glyphs for every new face: the first CJK
# character a face draws faults in 3 MB of WenQuanYi Zen Hei's pages (a Latin one,
# 0.07 MB), plus ~180 KB of heap per face. 64 faces at
# different sizes held 220 MB resident, and a viewer session trying watermark sizes
# filled such a cache slowly: the soak's steady RSS growth (issue 17, PERFORMANCE.md).
# A face costs ~0.2 ms to open and ~1.5 ms for its first CJK text, small beside
# drawing the text; four cover a watermark in a font with the fallback font, twice.
FONT_FACES = 4


@lru_cache(maxsize=FONT_FACES)
def _truetype(path: str, size: int, index: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def release_faces() -> None:
    """Close the cached faces (a face still being drawn with closes when its text is done).
    Each open face keeps the font-file pages its glyphs have touched resident; the viewer
    calls this when it goes idle (viewer.memory.IdleTrim)."""
    _truetype.cache_clear()


def open_faces() -> int:
    """Faces the cache holds now."""
    return _truetype.cache_info().currsize


def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A Pillow font for an OSS font name at ``size`` px (cached)."""
    info = font_info(name)
    return _truetype(str(info.path), size, info.index)


# -- glyph coverage ------------------------------------------------------------------------

class Coverage(AbcSet):
    """A set of code points kept as a bitmap, one bit a code point up to the largest.

    The coverage of every font drawn with stays cached for the session; as a frozenset of
    ints, WenQuanYi Zen Hei's 42,285 code points took 3.3 MB, and the five bundled files
    10.3 MB, which a viewer session added font by font as watermarks tried them (issue 17's
    soak, PERFORMANCE.md fourth pass). As a bitmap: 24 KB for Zen Hei. A read-only
    :class:`collections.abc.Set`: ``in``, ``len``, iteration, and set operators (which
    return frozensets)."""

    __slots__ = ("_bits", "_len")

    def __init__(self, code_points: set[int] | frozenset[int]) -> None:
        bits = bytearray(max(code_points, default=-1) // 8 + 1)
        for cp in code_points:
            bits[cp >> 3] |= 1 << (cp & 7)
        self._bits = bytes(bits)
        self._len = len(code_points)

    def __contains__(self, cp: object) -> bool:
        return (isinstance(cp, int) and 0 <= cp < 8 * len(self._bits)
                and bool(self._bits[cp >> 3] >> (cp & 7) & 1))

    def __len__(self) -> int:
        return self._len

    def __iter__(self):
        for i, byte in enumerate(self._bits):
            if byte:
                for bit in range(8):
                    if byte >> bit & 1:
                        yield 8 * i + bit

    @classmethod
    def _from_iterable(cls, it):
        return frozenset(it)


def glyph_coverage(name: str) -> Coverage:
    """Code points the font maps to a real glyph (from its ``cmap`` table)."""
    info = font_info(name)
    return _coverage(str(info.path), info.index)


def has_glyph(name: str, char: str) -> bool:
    return ord(char) in glyph_coverage(name)


@lru_cache(maxsize=16)
def _coverage(path: str, index: int) -> Coverage:
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return Coverage(read_cmap(data, index))


def read_cmap(data: bytes | mmap.mmap, index: int = 0) -> set[int]:
    """Code points mapped to a non-zero glyph in a TrueType/OpenType font or collection.

    Pillow has no "does this font have a glyph" query, and rendering a character to compare
    with the missing-glyph box is slow and fragile, so the ``cmap`` table is read directly:
    the Unicode subtable of format 12 (full repertoire) or, failing that, format 4 (BMP).
    """
    u32 = lambda off: struct.unpack_from(">I", data, off)[0]  # noqa: E731
    u16 = lambda off: struct.unpack_from(">H", data, off)[0]  # noqa: E731
    base = 0
    if bytes(data[0:4]) == b"ttcf":
        count = u32(8)
        if not 0 <= index < count:
            raise ValueError(f"face index {index} not in collection of {count}")
        base = u32(12 + 4 * index)
    cmap = None
    for i in range(u16(base + 4)):
        rec = base + 12 + 16 * i
        if bytes(data[rec:rec + 4]) == b"cmap":
            cmap = u32(rec + 8)
            break
    if cmap is None:
        raise ValueError("font has no cmap table")
    subtables: dict[int, int] = {}
    for i in range(u16(cmap + 2)):
        rec = cmap + 4 + 8 * i
        platform, encoding, offset = u16(rec), u16(rec + 2), u32(rec + 4)
        if (platform, encoding) in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3), (0, 0), (0, 1)):
            fmt = u16(cmap + offset)
            subtables.setdefault(fmt, cmap + offset)
    if 12 in subtables:
        return _cmap_format12(data, subtables[12], u16, u32)
    if 4 in subtables:
        return _cmap_format4(data, subtables[4], u16)
    raise ValueError("font has no Unicode cmap of format 4 or 12")


def _cmap_format12(data, off, u16, u32) -> set[int]:
    out: set[int] = set()
    for i in range(u32(off + 12)):
        g = off + 16 + 12 * i
        start, end, glyph = u32(g), u32(g + 4), u32(g + 8)
        out.update(range(start + (glyph == 0), end + 1))
    return out


def _cmap_format4(data, off, u16) -> set[int]:
    seg = u16(off + 6) // 2
    ends, starts = off + 14, off + 16 + 2 * seg
    deltas, ranges = starts + 2 * seg, starts + 4 * seg
    out: set[int] = set()
    for i in range(seg):
        end, start = u16(ends + 2 * i), u16(starts + 2 * i)
        delta, range_off = u16(deltas + 2 * i), u16(ranges + 2 * i)
        if start == 0xFFFF:
            continue
        for c in range(start, end + 1):
            if range_off == 0:
                glyph = (c + delta) & 0xFFFF
            else:
                pos = ranges + 2 * i + range_off + 2 * (c - start)
                glyph = u16(pos)
                if glyph:
                    glyph = (glyph + delta) & 0xFFFF
            if glyph:
                out.add(c)
    return out


def font_runs(text: str, name: str) -> tuple[tuple[str, str], ...]:
    """Split ``text`` into ``(run, font name)`` pieces: each character is drawn with
    ``name`` when it has the glyph, else with :data:`FALLBACK_FONT` when that has it, else
    with ``name`` (which then shows its missing-glyph box)."""
    primary = glyph_coverage(name)
    fallback = glyph_coverage(FALLBACK_FONT)
    runs: list[list] = []
    for ch in text:
        cp = ord(ch)
        use = name if cp in primary or cp not in fallback else FALLBACK_FONT
        if runs and runs[-1][1] == use:
            runs[-1][0] += ch
        else:
            runs.append([ch, use])
    return tuple((r, n) for r, n in runs)
