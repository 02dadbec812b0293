"""The quality explorer: bytes and SSIM against quality for the current cascade, as a plot.

A thin view over the Document: the sweep (viewer/model/quality.py) runs for the document's whole
cascade in a pool of its own, the latest request wins, points arrive one by one while it
runs, and a click on a point writes that quality into the cascade (one undo step). The plot
is pyqtgraph's: a real plotting widget for Qt that is fast with live updates and needs only
numpy; its colours follow the application palette (light or dark theme).
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QThreadPool, QTimer, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.engine import Engine
from core.errors import OssError
from core.ops.output import Quality
from core.picture import ObjectResolver

from ..model import quality
from ..model.document import Document
from .forms import message_label
from ..model.texts import error_text
from ..model.render import LatestTask

ACCENT = QColor("#2f7fd8")
MARKER = QColor("#e0803a")


def _kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


class QualityPanel(QWidget):
    """``sweepFinished(Sweep)`` when a sweep completes (tests wait on it)."""

    sweepFinished = Signal(object)
    sweepFailed = Signal(object)
    _point = Signal(int, object)           # worker -> GUI: (request id, SweepPoint)

    def __init__(self, doc: Document, parent: QWidget | None = None, *,
                 engine: Engine | None = None, resolver: ObjectResolver | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qualityPanel")
        self.doc = doc
        self.engine = engine or Engine()
        self.resolver = resolver
        self.sweep: quality.Sweep | None = None
        self.points: list[quality.SweepPoint] = []
        self._key = "q"
        self._signature: tuple | None = None   # what the shown (or running) sweep is of
        self._request = 0
        # One thread: the sweep encodes one quality after another, and a second core
        # stays free for the preview.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.task = LatestTask(self, pool=self.pool, debounce_ms=300)
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self._on_failed)
        self.task.busyChanged.connect(self._on_busy)
        self._point.connect(self._on_point)
        # Bound here, on the GUI thread, and only called by the worker: the soak once saw
        # the worker's own lookup of ``self._point`` (PySide's per-object signal cache,
        # shared with the GUI thread) hand back a signal of no arguments ("only accepts 0
        # argument(s), 2 given!"), an unexpected TypeError that lost the sweep.
        self._emit_point = self._point.emit
        # Points can arrive faster than a plot repaint on a busy machine: redraw at most
        # every 150 ms while a sweep runs.
        self._redraw_timer = QTimer(self, singleShot=True, interval=150)
        self._redraw_timer.timeout.connect(self._redraw)

        self.title = QLabel(self)
        self.title.setObjectName("qualityTitle")
        self.title.setWordWrap(True)
        self.run_button = QPushButton("Explore", self)
        self.run_button.setToolTip("Render every quality from 10 to 100 for this cascade")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.target_button = QPushButton(self)
        self.target_button.setEnabled(False)
        self.readout = QLabel(self)
        self.readout.setObjectName("qualityReadout")
        self.readout.setWordWrap(True)
        self.message = message_label("qualityError", self)

        self.plot_view = pg.GraphicsLayoutWidget(self)
        self.plot_view.setMinimumSize(260, 300)
        self.bytes_plot = self.plot_view.addPlot(row=0, col=0)
        self.score_plot = self.plot_view.addPlot(row=1, col=0)
        self.score_plot.setXLink(self.bytes_plot)
        self.bytes_plot.setLabel("left", "Size", units="KB")
        self.score_plot.setLabel("left", "SSIM")
        self.score_plot.setLabel("bottom", "Quality")
        self.bytes_plot.hideAxis("bottom")
        for plot in (self.bytes_plot, self.score_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.setXRange(5, 103, padding=0)
        self.bytes_curve = self.bytes_plot.plot([], [], antialias=True)
        self.score_curve = self.score_plot.plot([], [], antialias=True)
        self.bytes_dots = pg.ScatterPlotItem(size=9, hoverable=True)
        self.score_dots = pg.ScatterPlotItem(size=9, hoverable=True)
        self.bytes_plot.addItem(self.bytes_dots)
        self.score_plot.addItem(self.score_dots)
        self.markers = [pg.InfiniteLine(angle=90, movable=False) for _ in range(2)]
        self.bytes_plot.addItem(self.markers[0])
        self.score_plot.addItem(self.markers[1])
        self.target_line = pg.InfiniteLine(pos=quality.TARGET_SCORE, angle=0, movable=False)
        self.score_plot.addItem(self.target_line)
        for dots in (self.bytes_dots, self.score_dots):
            dots.sigClicked.connect(self._on_dots_clicked)

        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(self.title)
        lay.addLayout(buttons)
        lay.addWidget(self.target_button)
        lay.addWidget(self.message)
        lay.addWidget(self.plot_view, 1)
        lay.addWidget(self.readout)

        self.run_button.clicked.connect(lambda: self.start(force=True))
        self.cancel_button.clicked.connect(self.cancel)
        self.target_button.clicked.connect(self.pick_target)
        doc.stepsChanged.connect(self._on_doc_changed)
        doc.sourceChanged.connect(self._on_doc_changed)
        self._apply_theme()
        self._update_title()

    # -- integration -------------------------------------------------------------------------
    def set_resolver(self, resolver: ObjectResolver) -> None:
        self.resolver = resolver

    # -- requests ----------------------------------------------------------------------------
    def signature(self) -> tuple | None:
        """What a sweep depends on: the source and the cascade without its quality."""
        if self.doc.source is None:
            return None
        cascade = self.doc.cascade()
        try:
            fmt = quality.output_format(cascade, self.doc.source)
        except OssError:
            return None
        steps = tuple(op for op in cascade.steps if not isinstance(op, Quality))
        return (self.doc.source.digest, steps, fmt, quality.sweep_key(cascade, fmt),
                id(self.resolver))

    def start(self, *, force: bool = False) -> None:
        """Sweep the current cascade (unless the shown sweep is already of it)."""
        sig = self.signature()
        if sig is None or (sig == self._signature and not force):
            return
        self._signature = sig
        self._request += 1
        rid = self._request
        self.points = []
        self.sweep = None
        self._redraw()
        self.message.setVisible(False)
        engine, source, cascade, resolver = (self.engine, self.doc.source, self.doc.cascade(),
                                             self.resolver)

        emit_point = self._emit_point

        def progress(point: quality.SweepPoint) -> None:
            try:
                emit_point(rid, point)
            except RuntimeError:
                pass  # the panel went away meanwhile

        self.task.submit(lambda cancelled: quality.sweep(
            engine, source, cascade, resolver=resolver, cancelled=cancelled,
            progress=progress), immediate=force)

    def cancel(self) -> None:
        self._request += 1
        self._signature = None
        self.task.cancel()
        self.readout.setText(f"Cancelled after {len(self.points)} of "
                             f"{len(quality.SWEEP_VALUES)} qualities.")

    def shutdown(self, msecs: int = 5000) -> None:
        self.task.cancel()
        self.pool.waitForDone(msecs)

    def _on_doc_changed(self) -> None:
        self._update_title()
        self._update_marker()
        if self.isVisible():
            self.start()

    def showEvent(self, e) -> None:  # noqa: N802
        super().showEvent(e)
        self.start()

    # -- results -----------------------------------------------------------------------------
    @Slot(int, object)
    def _on_point(self, rid: int, point: quality.SweepPoint) -> None:
        if rid != self._request:
            return
        self.points.append(point)
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()
        self.readout.setText(f"{len(self.points)} of {len(quality.SWEEP_VALUES)} qualities…")

    @Slot(object)
    def _on_finished(self, sweep: quality.Sweep) -> None:
        self.sweep = sweep
        self.points = list(sweep.points)
        self._key = sweep.key
        self._redraw_timer.stop()
        self._redraw()
        best = sweep.smallest_reaching()
        self.target_button.setEnabled(best is not None)
        self.target_button.setText(
            f"Use {sweep.key}_{best.value}: smallest with SSIM ≥ {quality.TARGET_SCORE:.2f} "
            f"({_kb(best.bytes)})" if best else
            f"No {sweep.key} reaches SSIM {quality.TARGET_SCORE:.2f}")
        self.readout.setText(self._readout_text())
        self.sweepFinished.emit(sweep)

    @Slot(object)
    def _on_failed(self, err: OssError) -> None:
        if err.code == "Cancelled":
            return
        self._signature = None
        self.message.setText(error_text(err))
        self.message.setVisible(True)
        self.readout.clear()
        self.sweepFailed.emit(err)

    def _on_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        if busy:
            self.target_button.setEnabled(False)

    # -- intents -----------------------------------------------------------------------------
    def set_quality(self, value: int) -> None:
        """Write ``key``=``value`` into the cascade: the last enabled quality step is
        replaced, or one is added at the end (one undo step)."""
        op = Quality(**{self._key: value})
        steps = self.doc.steps
        for i in range(len(steps) - 1, -1, -1):
            if steps[i].enabled and isinstance(steps[i].op, Quality):
                self.doc.replace_op(i, op)
                return
        self.doc.add_step(op)

    def pick_target(self) -> None:
        best = self.sweep.smallest_reaching() if self.sweep else None
        if best is not None:
            self.set_quality(best.value)

    def _on_dots_clicked(self, _item, spots, _ev=None) -> None:
        if len(spots):
            self.set_quality(int(spots[0].data()))

    # -- drawing -----------------------------------------------------------------------------
    def _redraw(self) -> None:
        pts = sorted(self.points, key=lambda p: p.value)
        xs = [p.value for p in pts]
        kb = [p.bytes / 1024 for p in pts]
        ss = [p.score for p in pts]
        self.bytes_curve.setData(xs, kb)
        self.score_curve.setData(xs, ss)
        self.bytes_dots.setData(x=xs, y=kb, data=xs)
        self.score_dots.setData(x=xs, y=ss, data=xs)
        if ss:
            self.score_plot.setYRange(min(min(ss), quality.TARGET_SCORE) - 0.02, 1.005)
        self._update_marker()

    def _update_marker(self) -> None:
        value = quality.current_value(self.doc.cascade(), self._key)
        shown = value if value is not None else 100 if self.sweep else None
        for m in self.markers:
            m.setVisible(shown is not None)
            if shown is not None:
                m.setValue(shown)
        if self.sweep is not None:
            self.readout.setText(self._readout_text())

    def current_point(self) -> quality.SweepPoint | None:
        if self.sweep is None:
            return None
        value = quality.current_value(self.doc.cascade(), self._key)
        return self.sweep.point(value if value is not None else 100) \
            or (None if value is None else self._nearest(value))

    def _nearest(self, value: int) -> quality.SweepPoint | None:
        return min(self.sweep.points, key=lambda p: abs(p.value - value), default=None)

    def _readout_text(self) -> str:
        s = self.sweep
        cur = self.current_point()
        scale = f", SSIM on {s.factor}×{s.factor} averages" if s.factor > 1 else ""
        head = (f"{s.format} {s.width}×{s.height}, {len(s.points)} qualities in "
                f"{s.seconds:.1f} s{scale}.")
        if cur is None:
            return head
        value = quality.current_value(self.doc.cascade(), s.key)
        name = f"{s.key}_{value}" if value is not None else "no quality step (as 100)"
        approx = "" if value is None or value == cur.value else f" (nearest: {cur.value})"
        return (f"{head}<br><b>Current</b> {name}{approx}: {_kb(cur.bytes)}, SSIM "
                f"{cur.score:.3f}, encoder quality {cur.quality}.")

    def _update_title(self) -> None:
        src = self.doc.source
        if src is None:
            self.title.setText("Open an image to explore its quality.")
            return
        cascade = self.doc.cascade()
        try:
            fmt = quality.output_format(cascade, src)
        except OssError as e:
            self.title.setText(error_text(e))
            return
        if fmt not in quality.QUALITY_FORMATS:
            self.title.setText(f"Output is {fmt}: quality applies to "
                               + ", ".join(quality.QUALITY_FORMATS) + " only.")
            self.run_button.setEnabled(False)
            return
        self.run_button.setEnabled(True)
        key = quality.sweep_key(cascade, fmt)
        self._key = key
        self.title.setText(f"<b>{fmt}</b> output: size and SSIM (vs {key}_100) for {key} "
                           "from 10 to 100. Click a point to use it.")

    # -- theme -------------------------------------------------------------------------------
    def changeEvent(self, e) -> None:  # noqa: N802
        if e.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(e)

    def _apply_theme(self) -> None:
        pal = self.palette()
        fg = pal.color(QPalette.ColorRole.WindowText)
        self.plot_view.setBackground(pal.color(QPalette.ColorRole.Base))
        for plot in (self.bytes_plot, self.score_plot):
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(fg))
                axis.setTextPen(pg.mkPen(fg))
        line = pg.mkPen(ACCENT, width=2)
        self.bytes_curve.setPen(line)
        self.score_curve.setPen(line)
        for dots in (self.bytes_dots, self.score_dots):
            dots.setBrush(pg.mkBrush(ACCENT))
            dots.setPen(pg.mkPen(pal.color(QPalette.ColorRole.Base), width=1))
        for m in self.markers:
            m.setPen(pg.mkPen(MARKER, width=2))
        self.target_line.setPen(pg.mkPen(fg, width=1, style=Qt.PenStyle.DashLine))
