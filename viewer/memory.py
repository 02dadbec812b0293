"""Give freed image memory back to the system (glibc, i.e. Linux).

The soak (bench/soak_viewer.py) showed the viewer's live C heap flat at 30-40 MB while its
resident size kept climbing: freed image buffers stayed in glibc's heap. Decoded pictures,
encoded outputs and QImages are megabytes each; glibc serves allocations above its mmap
threshold with mmap (returned to the system on free), but after the first such buffer is
freed it raises that threshold to the buffer's size (up to 32 MB), so later image buffers
come from the heap, and two worker threads spread them over several heap arenas whose free
space is rarely returned. Two remedies, both glibc's documented knobs:

- :func:`tune` fixes the mmap threshold at glibc's starting 128 KB (which turns the
  dynamic raise off) and caps the heap arenas at 2: image-sized buffers are mmapped and
  go back on free.
- :func:`trim` (``malloc_trim``) hands free heap pages back; the renderer calls it once
  the preview has been idle for a moment, and every few seconds while it is busy
  (:class:`IdleTrim`).

- :func:`release_font_pages` (``madvise``) drops the pages of font files that glyph
  lookups faulted in, with the idle trim: Qt keeps its font faces for the session.

Elsewhere (macOS, Windows, musl) these do nothing.

``OSS_VIEWER_MALLOC`` overrides the settings for an experiment or a machine that needs
others, e.g. ``OSS_VIEWER_MALLOC=arena_max=4,mmap_threshold=131072`` (names below, in
bytes), or ``OSS_VIEWER_MALLOC=off`` to leave glibc's defaults alone.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QPixmapCache

from core import fonts

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

MMAP_THRESHOLD = 128 << 10   # glibc's starting value, now fixed: image buffers (a 400 px
                             # RGB frame is 320 KB) are mmapped and freed straight back
TRIM_THRESHOLD = 8 << 20     # free heap top beyond 8 MB is returned as it appears
ARENA_MAX = 2                # one per render worker
IDLE_MS = 500
TRIM_EVERY_S = 3.0           # and at least this often while renders keep coming

_libc = None
_tuned = False


def glibc():
    """The C library when it is glibc, else None."""
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            try:
                lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                lib.gnu_get_libc_version  # noqa: B018 - glibc only
                lib.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
                lib.malloc_trim.argtypes = (ctypes.c_size_t,)
                lib.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
                _libc = lib
            except (OSError, AttributeError):
                pass
    return _libc or None


ENV = "OSS_VIEWER_MALLOC"


def settings(env: str | None = None) -> dict[int, int]:
    """The mallopt settings to apply: the defaults above, overridden by ``OSS_VIEWER_MALLOC``
    (``name=value`` pairs, comma-separated; ``off`` for none). ValueError if malformed."""
    env = os.environ.get(ENV, "") if env is None else env
    names = {"mmap_threshold": M_MMAP_THRESHOLD, "trim_threshold": M_TRIM_THRESHOLD,
             "arena_max": M_ARENA_MAX}
    if env.strip() == "off":
        return {}
    out = {M_MMAP_THRESHOLD: MMAP_THRESHOLD, M_TRIM_THRESHOLD: TRIM_THRESHOLD,
           M_ARENA_MAX: ARENA_MAX}
    for item in filter(None, (part.strip() for part in env.split(","))):
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in names or not value.strip().isdigit():
            raise ValueError(f"{ENV}: expected name=value (bytes, a count) with a name "
                             f"among {', '.join(names)}, got {item!r}")
        out[names[name.strip()]] = int(value)
    return out


def tune() -> bool:
    """Set the allocator up for image-sized buffers (once per process; the viewer does it
    first thing at startup, viewer/app.py). True if applied. A malformed
    ``OSS_VIEWER_MALLOC`` is reported in the log and the defaults are used."""
    global _tuned
    lib = glibc()
    if lib is None:
        return False
    if not _tuned:
        try:
            wanted = settings()
        except ValueError as e:
            logging.getLogger(__name__).warning("%s; using the defaults", e)
            wanted = settings("")
        _tuned = all(lib.mallopt(param, value) == 1 for param, value in wanted.items())
    return _tuned


# Qt's process-wide pixmap cache, where the Fusion style keeps the widget parts it has
# drawn (frames, buttons, spin boxes ... per size and state). Qt's default, 10 MB, filled
# slowly over a session as forms were rebuilt at new sizes: 3.3 MB of the soak's C heap
# after 2,000 gestures, and growing. 4 MB holds a window's worth.
PIXMAP_CACHE_KB = 4096


def limit_caches() -> None:
    """Bound Qt's pixmap cache (call once the QApplication exists)."""
    QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)


# Read-only mappings of font files: FreeType maps each face's file, Qt's faces for the text
# fields too (the bundled CJK fonts, viewer/bundled_fonts.py). Every page a glyph lookup
# touches stays resident while the face is open -- and Qt keeps its faces for the session.
# FreeType's auto-hinter measures a set of reference glyphs the first time a face draws
# CJK text, which faults in 2.6 MB of WenQuanYi Micro Hei (of 5 MB) and 3.4 MB of Zen Hei
# per face: in the soak, Qt's mappings of the two went from 0.3 to 9 MB as the text fields
# showed CJK text (docs/PERFORMANCE.md, fourth pass).
FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")
MADV_DONTNEED = 4


def font_mappings() -> list[tuple[int, int, str]]:
    """(start, end, path) of this process's read-only private mappings of font files
    (Linux /proc; empty elsewhere)."""
    out = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[1] == "r--p" \
                        and parts[5].rstrip("\n").lower().endswith(FONT_SUFFIXES):
                    start, _, end = parts[0].partition("-")
                    out.append((int(start, 16), int(end, 16), parts[5].rstrip("\n")))
    except OSError:
        pass
    return out


def release_font_pages() -> int:
    """Drop the resident pages of the font files' mappings from this process
    (``madvise(MADV_DONTNEED)``). The mappings are read-only and never written, so the
    pages stay in the system's page cache and a later glyph lookup faults back what it
    needs from there (redrawing CJK text: 0.3-0.5 ms and 64-256 KB; the auto-hinter's
    pass runs once per face). Takes ~0.7 ms. Bytes of mappings advised; 0 where this is
    not glibc."""
    lib = glibc()
    if lib is None:
        return 0
    done = 0
    for start, end, _path in font_mappings():
        if lib.madvise(ctypes.c_void_p(start), ctypes.c_size_t(end - start),
                       MADV_DONTNEED) == 0:
            done += end - start
    return done


def trim() -> bool:
    """Return free heap memory to the system now. True if there was any to return."""
    lib = glibc()
    return bool(lib.malloc_trim(0)) if lib is not None else False


class IdleTrim(QObject):
    """Calls :func:`trim` once things have been quiet for ``IDLE_MS`` -- :meth:`poke` after
    each piece of work (every render job that ends, superseded ones too) restarts the
    wait -- and, while work keeps coming, also every ``TRIM_EVERY_S`` (a trim takes about
    a millisecond)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.trims = 0
        self.releases = 0
        self._last = time.monotonic()
        self._timer = QTimer(self, singleShot=True, interval=IDLE_MS)
        self._timer.timeout.connect(self._idle)

    def poke(self, *_args) -> None:
        if glibc() is not None and time.monotonic() - self._last >= TRIM_EVERY_S:
            self._trim()
        # And once things are quiet: what the poker still holds (a render's result, the
        # job that just ended) is freed after this returns.
        self._timer.start()

    def _idle(self) -> None:
        # Open font faces go too: each maps its font file, and the pages its glyphs touched
        # stay resident for as long as the face is open -- up to the whole file per face
        # for random CJK text (the soak: 4.8 -> 16.6 MB of WenQuanYi pages in 10 minutes).
        # Reopening one for the next text watermark costs about a millisecond.
        fonts.release_faces()
        # Qt's faces stay open; the pages their glyph lookups touched go (see above).
        release_font_pages()
        self.releases += 1
        if glibc() is not None:
            self._trim()

    def _trim(self) -> None:
        self._timer.stop()
        trim()
        self._last = time.monotonic()
        self.trims += 1
