"""Background work for the viewer: the latest request wins, the UI never waits.

Following superqt's throttler and Qt's mandelbrot example: a request is an immutable
snapshot, it waits on a debounce timer, runs in a QThreadPool, and its result is applied
on the GUI thread only if no newer request was made meanwhile. A superseded job also
stops early: the engine polls ``cancelled`` between steps. Worker code never touches
widgets or QPixmap -- only QImage, which is safe off the GUI thread.
"""
from __future__ import annotations

import json
import time
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from PIL import Image
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from core import codec
from core.cascade import Cascade, parse
from core.engine import Engine, Result, Source, StepTiming
from core.errors import Cancelled, OssError
from core.picture import ObjectResolver

from .. import memory
from ..logs import is_unexpected, log_unexpected

# An animation preview holds decoded frames in memory; beyond this many only the first
# frames are shown (the status bar still reports the full count).
MAX_PREVIEW_FRAMES = 120


def as_oss_error(exc: BaseException) -> OssError:
    """Any failure as an OssError, so every panel shows errors the same way."""
    if isinstance(exc, OssError):
        return exc
    if isinstance(exc, MemoryError):
        return OssError("ImageTooLarge", "Not enough memory to process the image.")
    # A bug, not bad input: logged with its traceback by LatestTask. The engine noted the
    # step it happened in (core.engine.mark_step), so the steps list can still point at it.
    tail = f"{type(exc).__name__}: {exc}".strip()
    return OssError("InternalError", f"Unexpected failure: {tail}",
                    step=getattr(exc, "oss_step", None), action=getattr(exc, "oss_action", None))


def start_in_pool(pool: QThreadPool, fn: Callable[[], None]) -> None:
    """Run ``fn`` on ``pool`` and keep nothing of it once it has run.

    Not a Python ``QRunnable`` subclass: PySide makes the pool the owner of the Python
    wrapper only after ``QThreadPool.start`` returns, and a job that finishes (and is
    auto-deleted) before that -- a superseded render bails out at once -- left a dead
    wrapper owned by the pool for good, and with it the job's closure: the request, its
    source bytes and the engine's result (issue 17: about 3% of jobs). With a plain
    callable PySide wraps it in a C++ runnable that drops its reference when done.
    """
    pool.start(fn)


class LatestTask(QObject):
    """Runs ``fn(cancelled)`` in a pool; only the newest submission's outcome is delivered.

    ``finished(payload)`` / ``failed(OssError)`` fire on the GUI thread for the latest
    generation only; ``busyChanged(bool)`` tracks whether that generation is pending.
    ``stale`` counts results that were dropped (tests and the status bar use it).
    """

    finished = Signal(object)
    failed = Signal(object)
    busyChanged = Signal(bool)
    ended = Signal()                        # any job, delivered or dropped, is over
    _delivered = Signal(int, bool, object)  # worker -> GUI thread hop

    def __init__(self, parent: QObject | None = None, *, pool: QThreadPool | None = None,
                 debounce_ms: int = 0) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        # Read from worker threads; a Python int assignment is atomic under the GIL.
        self._generation = 0
        self._busy = False
        self.stale = 0
        self._pending: Callable[[Callable[[], bool]], Any] | None = None
        self._pending_what = ""
        self._timer = QTimer(self, singleShot=True, interval=debounce_ms)
        self._timer.timeout.connect(self._start_pending)
        self._delivered.connect(self._on_delivered)

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def busy(self) -> bool:
        return self._busy

    def submit(self, fn: Callable[[Callable[[], bool]], Any], *, immediate: bool = False,
               what: str = "a background job") -> int:
        """Queue ``fn``; with a debounce interval, rapid submissions collapse into one.
        ``what`` names the job (and its input) in the log if it fails unexpectedly."""
        self._generation += 1  # supersedes whatever is running now
        self._pending = fn
        self._pending_what = what
        self._set_busy(True)
        if immediate or self._timer.interval() == 0:
            self._timer.stop()
            self._start_pending()
        else:
            self._timer.start()
        return self._generation

    def cancel(self) -> None:
        """Forget the pending and running requests (their results will be dropped)."""
        self._generation += 1
        self._pending = None
        self._timer.stop()
        self._set_busy(False)

    def wait(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    @Slot()
    def _start_pending(self) -> None:
        fn, self._pending = self._pending, None
        if fn is None:
            return
        gen = self._generation
        what = self._pending_what

        def cancelled() -> bool:
            return self._generation != gen

        def work() -> None:
            try:
                if cancelled():
                    raise Cancelled()
                payload, ok = fn(cancelled), True
            except BaseException as exc:  # noqa: BLE001 - a worker must never take the app down
                payload, ok = as_oss_error(exc), False
                if is_unexpected(exc):
                    log_unexpected(exc, what)  # a bug: its traceback goes to the log file
            try:
                self._delivered.emit(gen, ok, payload)
            except RuntimeError:
                pass  # the receiver was deleted while we worked (window closed)

        start_in_pool(self._pool, work)

    @Slot(int, bool, object)
    def _on_delivered(self, gen: int, ok: bool, payload: object) -> None:
        if gen != self._generation:
            self.stale += 1
        else:
            self._set_busy(False)
            (self.finished if ok else self.failed).emit(payload)
        self.ended.emit()

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)


# -- preview rendering ---------------------------------------------------------------------

@dataclass(frozen=True)
class RenderRequest:
    """Everything a render needs, snapshotted on the GUI thread."""

    source: Source
    cascade: Cascade               # the steps to preview (a prefix when a step is selected)
    resolver: ObjectResolver | None = None
    want_before: bool = True


@dataclass(frozen=True)
class Frames:
    """Decoded frames for display (QImage is safe to build off the GUI thread)."""

    images: tuple[QImage, ...]
    durations: tuple[int, ...] = ()
    total: int = 1                 # frames in the file (may exceed len(images))

    @property
    def width(self) -> int:
        return self.images[0].width() if self.images else 0

    @property
    def height(self) -> int:
        return self.images[0].height() if self.images else 0

    @property
    def has_alpha(self) -> bool:
        return bool(self.images) and self.images[0].hasAlphaChannel()


@dataclass(frozen=True)
class RenderOutput:
    request: RenderRequest
    process: str                   # canonical string that was rendered
    result: Result
    after: Frames | None           # None for JSON answers (info / average-hue)
    before: Frames | None
    seconds: float                 # wall time of the whole job (engine + decoding for display)

    @property
    def source_bytes(self) -> int:
        return len(self.request.source.data)


def qimage_from_pil(image: Image.Image) -> QImage:
    """An owning QImage copy of a Pillow image (RGBA8888 keeps alpha exact)."""
    if image.mode not in ("RGBA", "RGB"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info
                              else "RGB")
    if image.mode == "RGB":
        data = image.tobytes("raw", "RGB")
        q = QImage(data, image.width, image.height, image.width * 3, QImage.Format.Format_RGB888)
    else:
        data = image.tobytes("raw", "RGBA")
        q = QImage(data, image.width, image.height, image.width * 4,
                   QImage.Format.Format_RGBA8888)
    return q.copy()  # detach from the Python buffer


def decode_for_display(data: bytes, *, orient: bool = True, output: bool = False) -> Frames:
    """Decode image bytes the way a browser would show them (first frames of animations).
    ``output``: bytes the engine wrote, which the source size limit does not concern."""
    pic = codec.decode(data, orient=orient, max_bytes=None if output else codec.MAX_SOURCE_BYTES)
    images = tuple(qimage_from_pil(f) for f in pic.frames[:MAX_PREVIEW_FRAMES])
    return Frames(images, tuple(pic.durations[:MAX_PREVIEW_FRAMES]), len(pic.frames))


def render(engine: Engine, req: RenderRequest, cancelled: Callable[[], bool]) -> RenderOutput:
    """Run on a worker thread: validate, process, decode the encoded output for display."""
    t0 = time.perf_counter()
    process = req.cascade.to_string()
    # Round-trip through the parser: it applies the cascade-level rules (terminal actions,
    # watermark counts) that a cascade assembled by widgets has not been through yet, and
    # its errors carry the step index the steps panel marks.
    cascade = parse(process)
    if not cascade.steps:
        # No x-oss-process at all: OSS serves the stored object byte for byte.
        header = codec.read_header(req.source.data)
        result = Result(req.source.data, header.format, header.width, header.height,
                        timings=(StepTiming("original object", 0.0),))
        after = decode_for_display(req.source.data)
    else:
        result = engine.process(req.source, cascade, resolver=req.resolver,
                                cancelled=cancelled)
        if cancelled():
            raise Cancelled()
        # The engine has applied the orientation and writes no EXIF: show pixels as stored.
        after = None if result.is_json else decode_for_display(result.data, orient=False,
                                                               output=True)
    before = decode_for_display(req.source.data) if req.want_before else None
    return RenderOutput(req, process, result, after, before, time.perf_counter() - t0)


class Renderer(QObject):
    """The preview pipeline: debounced, latest request wins, errors as signals."""

    rendered = Signal(object)      # RenderOutput
    failed = Signal(object)        # OssError
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, engine: Engine | None = None,
                 debounce_ms: int = 40) -> None:
        super().__init__(parent)
        self.engine = engine or Engine()
        # Its own small pool: renders never queue behind other background work, and a
        # superseded render bails out at its next step boundary.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.task = LatestTask(self, pool=self.pool, debounce_ms=debounce_ms)
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self.failed)
        self.task.busyChanged.connect(self.busyChanged)
        self._before_digest: str | None = None
        self._before: Frames | None = None
        self.last: RenderOutput | None = None
        # Image-sized buffers go back to the system when freed, and free heap is returned
        # once the preview is idle (viewer/memory.py: the soak's RSS grew without this).
        # Every job counts, superseded ones too: they free their pictures when they end.
        memory.tune()
        self.idle_trim = memory.IdleTrim(self)
        self.task.ended.connect(self.idle_trim.poke)

    def request(self, req: RenderRequest, *, immediate: bool = False) -> int:
        req = dataclasses.replace(req, want_before=req.source.digest != self._before_digest)
        engine = self.engine
        what = f"the render of {req.cascade.to_string() or '(no steps)'} on {req.source.name}"
        return self.task.submit(lambda cancelled: render(engine, req, cancelled),
                                immediate=immediate, what=what)

    def cancel(self) -> None:
        self.task.cancel()

    def shutdown(self, msecs: int = 5000) -> None:
        self.task.cancel()
        self.pool.waitForDone(msecs)

    @Slot(object)
    def _on_finished(self, out: RenderOutput) -> None:
        if out.before is not None:
            self._before_digest, self._before = out.request.source.digest, out.before
        elif out.request.source.digest == self._before_digest:
            out = dataclasses.replace(out, before=self._before)
        self.last = out
        self.rendered.emit(out)


# -- info / average hue -------------------------------------------------------------------

@dataclass(frozen=True)
class Inspection:
    """``image/info`` and ``image/average-hue`` answers for one image."""

    label: str                     # "source" / "output"
    info: dict | None
    info_text: str
    hue: str | None                # "0xRRGGBB"
    error: OssError | None = None


def inspect_image(engine: Engine, data: bytes, label: str,
                  cancelled: Callable[[], bool]) -> Inspection:
    try:
        info_res = engine.process(data, "image/info", cancelled=cancelled)
        text = info_res.data.decode("utf-8")
        info = json.loads(text)
    except OssError as e:
        return Inspection(label, None, "", None, e)
    if cancelled():
        raise Cancelled()
    hue = None
    error = None
    try:
        hue_res = engine.process(data, "image/average-hue", cancelled=cancelled)
        hue = json.loads(hue_res.data).get("RGB")
    except OssError as e:
        error = e
    return Inspection(label, info, text, hue, error)

