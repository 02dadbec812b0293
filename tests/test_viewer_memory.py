"""Issue 17: freed image memory goes back to the system (glibc). The soak showed the live
C heap flat while RSS climbed: image buffers freed into glibc's heap stayed there."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from viewer import memory
from tests.helpers import mappings_of
from viewer.model.render import Renderer

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(memory.glibc() is None, reason="glibc's allocator only")


class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def free_heap_bytes() -> int:
    fn = memory.glibc().mallinfo2
    fn.restype = MallInfo2
    return fn().fordblks


def test_the_renderer_tunes_the_allocator_and_trims_when_idle(qtbot):
    renderer = Renderer()
    assert memory.tune() is True          # done by the renderer; idempotent
    renderer.idle_trim.poke()
    qtbot.waitUntil(lambda: renderer.idle_trim.trims == 1, timeout=10_000)


def test_going_idle_closes_the_font_faces_and_unmaps_their_files(qtbot):
    """A face keeps every page of its font file that its glyphs touched resident while it
    is open; going idle closes them (reopening costs about a millisecond)."""
    from core import fonts

    # (no gc.collect(): a face is freed when its last reference goes. Collecting what
    # earlier viewer tests left behind used to crash this process now and then: see
    # tests/viewer_windows.py, issue 17c)
    fonts.release_faces()
    path = fonts.font_info("wqy-microhei").path
    before = mappings_of(path)
    font = fonts.load_font("wqy-microhei", 37)
    box = font.getbbox("\u6c34\u5370 idle")        # CJK text: the auto-hinter's pages
    assert box[2] - box[0] > 37                     # two CJK glyphs at 37 px and more
    assert mappings_of(path) == before + 1 and fonts.open_faces() == 1
    del font
    idle = memory.IdleTrim()
    idle.poke()
    qtbot.waitUntil(lambda: idle.releases == 1, timeout=10_000)
    assert fonts.open_faces() == 0
    assert mappings_of(path) == before
    # drawn again after that: a fresh face, same glyphs
    assert fonts.load_font("wqy-microhei", 37).getbbox("\u6c34\u5370 idle") == box
    assert fonts.open_faces() == 1


def resident_bytes(path) -> int:
    """Resident bytes of this process's mappings of the file ``path`` (/proc smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            if line[:1] in "0123456789abcdef" and "-" in line.split(None, 1)[0]:
                inside = line.rstrip().endswith(str(path))
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1]) * 1024
    return total


def test_going_idle_drops_the_font_pages_qt_faces_keep(qtbot):
    """Qt keeps its font faces for the session, and every page of the font file a glyph
    lookup touched stays resident (CJK text: 2.6 MB of WenQuanYi Micro Hei per face, the
    auto-hinter's reference glyphs). Going idle gives them back; the text still draws."""
    from PySide6.QtWidgets import QLineEdit

    from core import fonts
    from viewer.bundled_fonts import with_cjk_fallback

    edit = QLineEdit("\u56fe\u7247\u670d\u52a1 idle")   # CJK: Micro Hei, first fallback
    edit.setFont(with_cjk_fallback(edit.font()))
    edit.resize(240, 30)
    qtbot.addWidget(edit)
    drawn = edit.grab().toImage()
    fonts.release_faces()     # Pillow's faces (earlier tests): only Qt's mappings remain
    path = fonts.font_info("wqy-microhei").path
    maps = [(a, b) for a, b, p in memory.font_mappings() if p == str(path)]
    assert maps, "Qt drew the CJK text without mapping the bundled font"
    for start, end in maps:   # whatever Qt's lookups touched: here, every page
        ctypes.string_at(start, end - start)
    assert resident_bytes(path) >= path.stat().st_size - (64 << 10)
    idle = memory.IdleTrim()
    idle.poke()
    qtbot.waitUntil(lambda: idle.releases == 1, timeout=10_000)
    assert resident_bytes(path) < 256 << 10
    assert [(a, b) for a, b, p in memory.font_mappings() if p == str(path)] == maps
    edit.update()
    assert edit.grab().toImage() == drawn


def test_image_sized_buffers_do_not_stay_in_the_heap():
    memory.tune()
    memory.trim()
    before = free_heap_bytes()
    keep = []
    big = bytearray(24 << 20)    # one large buffer freed: glibc now raises its threshold
    del big
    for i in range(16):   # 16 "images" of growing size, a small live object after each
        big = bytearray((2 << 20) + i * (128 << 10))
        keep.append(bytearray(200 + i))
        del big
    # Mmapped, so freeing them left nothing behind. Untuned, the 24 MB buffer raised
    # glibc's threshold, these came from the heap and left holes behind the small
    # objects (3.9 MB of free heap here; a session's worth grew by ~100 MB in the soak).
    assert free_heap_bytes() - before < (2 << 20)
    assert len(keep) == 16


def test_a_superseded_render_ending_last_still_leads_to_a_trim(qtbot):
    """The free heap is handed back after the last job of a burst ends, even when that
    job's result is dropped: its pictures are freed as it ends, after the latest one was
    shown (the trim used to follow delivered results only, leaving that memory resident)."""
    renderer = Renderer()
    task = renderer.task
    task.finished.disconnect(renderer._on_finished)   # plain strings stand in for renders
    started, release = threading.Event(), threading.Lock()
    release.acquire()

    def slow(cancelled):
        started.set()
        with release:
            return "stale"

    try:
        task.submit(slow, immediate=True)
        assert started.wait(10)
        with qtbot.waitSignal(task.finished, timeout=10_000):
            task.submit(lambda cancelled: "latest", immediate=True)
        qtbot.waitUntil(lambda: renderer.idle_trim.trims == 1, timeout=10_000)
    finally:
        release.release()        # the superseded job ends now, after that trim
    qtbot.waitUntil(lambda: task.stale == 1, timeout=10_000)
    qtbot.waitUntil(lambda: renderer.idle_trim.trims == 2, timeout=10_000)
    renderer.shutdown()


def test_settings_default_and_override():
    d = memory.settings("")
    assert d == {memory.M_MMAP_THRESHOLD: 128 << 10, memory.M_TRIM_THRESHOLD: 8 << 20,
                 memory.M_ARENA_MAX: 2}
    assert memory.settings(" arena_max=4 , mmap_threshold=65536")[memory.M_ARENA_MAX] == 4
    assert memory.settings("mmap_threshold=65536")[memory.M_MMAP_THRESHOLD] == 65536
    assert memory.settings("off") == {}
    for bad in ("arena_max", "arenas=2", "arena_max=two"):
        with pytest.raises(ValueError, match="OSS_VIEWER_MALLOC"):
            memory.settings(bad)


STARTUP_PROBE = r"""
import ctypes, sys
from PySide6.QtWidgets import QApplication
QApplication.exec = lambda self: 0          # start the viewer, return at once
from viewer import app
assert app.main(["oss-style-viewer"]) == 0
from PySide6.QtGui import QPixmapCache
print("pixmap-cache", QPixmapCache.cacheLimit())

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
big = bytearray(24 << 20)
del big               # untuned, glibc now serves blocks up to 24 MB from its heap
before = libc.mallinfo2().hblkhd
image = bytearray(2 << 20)
print("mmapped" if libc.mallinfo2().hblkhd - before >= (2 << 20) else "heap")
"""


@pytest.mark.parametrize("env, where", [("", "mmapped"), ("off", "heap")])
def test_the_viewer_tunes_the_allocator_at_startup(tmp_path, env, where):
    """viewer.app.main applies the settings before anything else (not only once a
    renderer exists): image-sized buffers are mmapped, so freeing one returns it.
    ``OSS_VIEWER_MALLOC=off`` leaves glibc's dynamic threshold alone (the control)."""
    envs = dict(os.environ, QT_QPA_PLATFORM="offscreen", OSS_VIEWER_MALLOC=env,
                XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
                XDG_STATE_HOME=str(tmp_path / "state"), HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", STARTUP_PROBE], env=envs, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-1] == where
    # Qt's pixmap cache (Fusion's drawn widget parts) is bounded below its 10 MB default.
    assert f"pixmap-cache {memory.PIXMAP_CACHE_KB}" in proc.stdout
    assert memory.PIXMAP_CACHE_KB <= 4096
