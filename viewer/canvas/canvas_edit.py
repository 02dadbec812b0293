"""Editing on the canvas: drag a crop, a watermark, a circle or rounded-corners radius.

With *Edit on canvas* on and one of those steps selected, the canvas shows the step's
input image (rendered in the background, at the preview's scale and centre) with handles.
Every drag writes through the Document as the mouse moves -- the form and the process
string follow live -- and the whole drag is one undo step (one merge id per drag). Values
are written as OSS measures them (spec sections 3, 15.1) and kept in the declared ranges.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from PySide6.QtCore import QObject, QPointF, QRectF, QThreadPool, Qt, Signal, Slot
from PySide6.QtGui import (QAction, QColor, QImage, QKeySequence, QPainter, QPainterPath, QPen,
                           QPixmap)

from core import codec
from core import geometry as geo
from core.engine import Engine, Source
from core.ops.geometry import Circle, Crop, RoundedCorners
from core.ops.watermark import Watermark, with_opacity
from core.ops.watermark_layout import VOFFSET_UP, anchor_origin
from core.params import Operation
from core.picture import Context, ObjectResolver

from ..model.texts import error_text
from ..model.render import LatestTask, qimage_from_pil

EDITABLE = (Crop, Watermark, Circle, RoundedCorners)
HANDLE_PX = 8          # handle size on screen
GRAB_PX = 9            # how close a press must be to a handle
SNAP_PX = 6            # a watermark this close to the centre line snaps onto it
_DRAG_IDS = itertools.count(0x7FFE0000)   # undo merge ids, one per drag
CROP_HANDLES = ("nw", "n", "ne", "e", "se", "s", "sw", "w")


@dataclass(frozen=True)
class StepInput:
    """The selected step's input picture (and a watermark's block) for display."""

    image: QImage
    width: int
    height: int
    block: QImage | None = None


def _position_free(op: Operation) -> Operation:
    """The op without the values a drag changes (the block does not depend on them)."""
    if isinstance(op, Watermark):
        return dataclasses.replace(op, g=None, x=None, y=None, voffset=None)
    return type(op).__name__     # crop, circle, rounded-corners: the input is all


def prepare(engine: Engine, source: Source, steps: tuple, op: Operation,
            resolver: ObjectResolver | None, cancelled) -> StepInput:
    """Worker side: the picture before ``op`` and, for a watermark, its block."""
    ctx = Context(resolver=resolver, cancelled=cancelled)
    ctx.decode = lambda data: codec.decode(data, orient=True)
    pic, _ = engine.run(source, steps, ctx)
    block = None
    if isinstance(op, Watermark):
        block = qimage_from_pil(with_opacity(op.block(pic.size, ctx), op.get("t")))
    return StepInput(qimage_from_pil(pic.image), pic.width, pic.height, block)


def clamp(value: int, spec_min: int | None, spec_max: int | None) -> int:
    if spec_min is not None:
        value = max(spec_min, value)
    if spec_max is not None:
        value = min(spec_max, value)
    return value


def _range(op: Operation, key: str) -> tuple[int | None, int | None]:
    spec = op.spec(key)
    return spec.min, spec.max


def crop_values(W: int, H: int, box: tuple[int, int, int, int], g: str) -> dict:
    """crop w/h/x/y/g for ``box``: offsets from the current anchor (spec 3: they go right
    and down from it), or from nw when the box lies before that anchor."""
    x0, y0, x1, y1 = box
    cw, ch = x1 - x0, y1 - y0
    ax, ay, _, _ = geo.crop_box(W, H, w=cw, h=ch, x=0, y=0, g=g)    # the anchor's origin
    x, y = x0 - ax, y0 - ay
    if x < 0 or y < 0:
        g, x, y = "nw", x0, y0
    return {"w": cw, "h": ch, "x": x, "y": y, "g": g}


def watermark_values(W: int, H: int, w: int, h: int, left: int, top: int,
                     op: Watermark, snap: float) -> dict:
    """g/x/y/voffset for a w x h mark whose top-left is at (left, top): the anchor is the
    ninth of the image the mark's centre is in; the margins are measured as OSS does
    (spec 15.1: nw (x, y), ne (W-ww-x, y), sw (x, H-wh-y), middle row centre+voffset)."""
    cx, cy = left + w / 2, top + h / 2
    col = 0 if cx < W / 3 else 1 if cx < 2 * W / 3 else 2
    row = 0 if cy < H / 3 else 1 if cy < 2 * H / 3 else 2
    g = next(k for k, v in geo.ANCHOR_FACTORS.items() if v == (col, row))
    out: dict = {"g": g}
    xmin, xmax = _range(op, "x")
    if col != 1:                          # x is not used in the centre column
        out["x"] = clamp(left if col == 0 else W - w - left, xmin, xmax)
    if row == 1:
        centre = (H - h) // 2
        shift = centre - top if VOFFSET_UP else top - centre
        if abs(shift) <= snap:
            shift = 0
        out["voffset"] = clamp(shift, *_range(op, "voffset"))
    else:
        out["y"] = clamp(top if row == 0 else H - h - top, *_range(op, "y"))
    return out


class CanvasEditor(QObject):
    """The overlay the preview canvases call (paint / press / move / release / cursor)."""

    prepared = Signal()                # the step input arrived (tests wait on it)

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win, self.doc, self.preview = win, win.doc, win.preview
        self.engine: Engine = win.renderer.engine
        self.input: StepInput | None = None
        self._pixmaps: tuple[QPixmap, QPixmap | None] | None = None
        self._key: tuple | None = None
        self._drag: dict | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.task = LatestTask(self, pool=self.pool, debounce_ms=30)
        self.task.finished.connect(self._on_prepared)
        self.task.failed.connect(self._on_failed)
        self.act = QAction("Edit on canvas", win, checkable=True)
        self.act.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.act.setToolTip("Drag the crop, the watermark or the radius of the selected step "
                            "on the image (Ctrl+Shift+E)")
        self.act.toggled.connect(lambda _on: self.refresh())
        win.addAction(self.act)
        bar = getattr(getattr(win, "compare", None), "bar", None)
        if bar is not None:
            bar.addSeparator()
            bar.addAction(self.act)
        else:
            self.preview.toolbar.insertAction(self.preview.act_play, self.act)
        self.doc.stepsChanged.connect(self.refresh)
        self.doc.selectionChanged.connect(lambda _i: self.refresh())
        self.doc.sourceChanged.connect(self.refresh)
        self.refresh()

    # -- which step -------------------------------------------------------------------------
    def target(self) -> tuple[int, Operation] | None:
        i = self.doc.selected
        if 0 <= i < len(self.doc.steps):
            step = self.doc.steps[i]
            if step.enabled and isinstance(step.op, EDITABLE):
                return i, step.op
        return None

    def active(self) -> bool:
        return self.act.isChecked() and self.target() is not None

    def refresh(self) -> None:
        t = self.target()
        self.act.setEnabled(t is not None)
        if not self.act.isChecked() or t is None or self.doc.source is None:
            self.preview.set_overlay(None)
            return
        index, op = t
        steps = self.doc.cascade(upto=index).steps
        key = (self.doc.source.digest, steps, _position_free(op), id(self.win.resolver))
        if key != self._key:
            self._key = key
            self.input, self._pixmaps = None, None    # never handles over another input
            engine, source, resolver = self.engine, self.doc.source, self.win.resolver
            self.task.submit(lambda cancelled: prepare(engine, source, steps, op, resolver,
                                                       cancelled))
        self.preview.set_overlay(self)

    @Slot(object)
    def _on_prepared(self, inp: StepInput) -> None:
        self.input = inp
        self._pixmaps = (QPixmap.fromImage(inp.image),
                         QPixmap.fromImage(inp.block) if inp.block is not None else None)
        for c in self.preview.canvases():
            c.update()
        self.prepared.emit()

    @Slot(object)
    def _on_failed(self, err) -> None:
        if err.code == "Cancelled":
            return
        # The step's input cannot be made (the preview says why, inline): no handles.
        self.input, self._pixmaps, self._key = None, None, None
        for c in self.preview.canvases():
            c.update()
        self.win.statusBar().showMessage(f"Edit on canvas: {error_text(err)}", 8000)

    # -- geometry ---------------------------------------------------------------------------
    def frame(self, canvas) -> QRectF:
        """Where the step input lands: the preview's zoom and pan, applied to the input
        itself (the output under it changes size while a crop is dragged)."""
        if self.input is None or canvas.anchor_rect().isEmpty():
            return QRectF()
        s = canvas.zoom() / canvas.dpr()
        w, h = self.input.width * s, self.input.height * s
        cx, cy = canvas._clamped_center(w, h)
        return QRectF(canvas.width() / 2 - cx * w, canvas.height() / 2 - cy * h, w, h)

    def _scale(self, canvas) -> float:
        return canvas.zoom() / canvas.dpr()

    def to_widget(self, canvas, x: float, y: float) -> QPointF:
        f, s = self.frame(canvas), self._scale(canvas)
        return QPointF(f.left() + x * s, f.top() + y * s)

    def to_image(self, canvas, pos: QPointF) -> tuple[float, float]:
        f, s = self.frame(canvas), self._scale(canvas)
        return (pos.x() - f.left()) / s, (pos.y() - f.top()) / s

    def crop_box(self) -> tuple[int, int, int, int] | None:
        _, op = self.target()
        W, H = self.input.width, self.input.height
        return geo.crop_box(W, H, w=op.w, h=op.h, x=op.get("x"), y=op.get("y"), g=op.get("g"))

    def mark_rect(self) -> tuple[int, int, int, int]:
        _, op = self.target()
        W, H = self.input.width, self.input.height
        w, h = self.input.block.width(), self.input.block.height()
        x0, y0 = anchor_origin(W, H, w, h, op.get("g"), op.get("x"), op.get("y"),
                               op.get("voffset"))
        return x0, y0, w, h

    def radius_handle(self) -> tuple[float, float]:
        """Image position of the radius handle (circle: right edge; corners: top edge)."""
        _, op = self.target()
        W, H = self.input.width, self.input.height
        if isinstance(op, Circle):
            r = geo.circle_radius(W, H, op.r)
            return W // 2 + r + 1, H // 2 + 0.5
        return min(op.r, min(W, H) // 2), 0.0

    def crop_handles(self, canvas) -> dict[str, QPointF]:
        x0, y0, x1, y1 = self.crop_box()
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        pts = {"nw": (x0, y0), "n": (xm, y0), "ne": (x1, y0), "e": (x1, ym),
               "se": (x1, y1), "s": (xm, y1), "sw": (x0, y1), "w": (x0, ym)}
        return {k: self.to_widget(canvas, *v) for k, v in pts.items()}

    # -- painting ---------------------------------------------------------------------------
    def _ready(self, canvas) -> bool:
        from .canvas import CompareMode
        return (self.input is not None and self._pixmaps is not None
                and canvas.role is not CompareMode.BEFORE and self.target() is not None
                and not self.frame(canvas).isEmpty())

    def covers(self, canvas) -> bool:
        """The canvas shows the step input under handles instead of its compare."""
        return self._ready(canvas)

    def label(self) -> str:
        t = self.target()
        return f"Editing step {t[0] + 1}: {t[1].NAME} (its input)" if t else ""

    def paint(self, p: QPainter, canvas) -> None:
        if not self._ready(canvas):
            return
        index, op = self.target()
        f = self.frame(canvas)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, canvas.zoom() < 1)
        p.fillRect(f, canvas.palette().base())
        p.drawPixmap(f, self._pixmaps[0], QRectF(self._pixmaps[0].rect()))
        dim = QColor(0, 0, 0, 130)
        outline = QPen(QColor(255, 255, 255), 1.5)
        shadow = QPen(QColor(0, 0, 0, 160), 3)
        s = self._scale(canvas)
        outside = QPainterPath()
        outside.addRect(f)
        shape = QPainterPath()
        if isinstance(op, Crop):
            box = self.crop_box()
            if box is not None:
                x0, y0, x1, y1 = box
                shape.addRect(QRectF(self.to_widget(canvas, x0, y0),
                                     self.to_widget(canvas, x1, y1)))
        elif isinstance(op, Circle):
            W, H = self.input.width, self.input.height
            r = geo.circle_radius(W, H, op.r)
            left, top = W // 2 - r, H // 2 - r
            shape.addEllipse(QRectF(self.to_widget(canvas, left, top),
                                    self.to_widget(canvas, left + 2 * r + 1, top + 2 * r + 1)))
        elif isinstance(op, RoundedCorners):
            r = min(op.r, min(self.input.width, self.input.height) // 2) * s
            shape.addRoundedRect(f, r, r)
        if not shape.isEmpty():
            p.fillPath(outside.subtracted(shape), dim)
            for pen in (shadow, outline):
                p.strokePath(shape, pen)
        if isinstance(op, Watermark) and self._pixmaps[1] is not None:
            self._paint_grid(p, f)
            x0, y0, w, h = self.mark_rect()
            r = QRectF(self.to_widget(canvas, x0, y0), self.to_widget(canvas, x0 + w, y0 + h))
            p.drawPixmap(r, self._pixmaps[1], QRectF(self._pixmaps[1].rect()))
            for pen in (shadow, QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine)):
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(r)
        handles = []
        if isinstance(op, Crop) and self.crop_box() is not None:
            handles = list(self.crop_handles(canvas).values())
        elif isinstance(op, (Circle, RoundedCorners)):
            handles = [self.to_widget(canvas, *self.radius_handle())]
        p.setPen(QPen(QColor(0, 0, 0, 180), 1))
        p.setBrush(QColor(255, 255, 255))
        for h in handles:
            p.drawRect(QRectF(h.x() - HANDLE_PX / 2, h.y() - HANDLE_PX / 2, HANDLE_PX,
                              HANDLE_PX))
        p.restore()

    def _paint_grid(self, p: QPainter, f: QRectF) -> None:
        """The nine anchors a watermark snaps to."""
        p.setPen(QPen(QColor(255, 255, 255, 90), 1, Qt.PenStyle.DotLine))
        for k in (1, 2):
            x = f.left() + f.width() * k / 3
            y = f.top() + f.height() * k / 3
            p.drawLine(QPointF(x, f.top()), QPointF(x, f.bottom()))
            p.drawLine(QPointF(f.left(), y), QPointF(f.right(), y))

    # -- interaction ------------------------------------------------------------------------
    def cursor(self, canvas, pos: QPointF):
        if not self._ready(canvas):
            return None
        hit = self._hit(canvas, pos)
        if hit is None:
            return None
        if hit in ("move", "mark"):
            return Qt.CursorShape.SizeAllCursor
        if hit == "radius":
            return Qt.CursorShape.SizeHorCursor
        return {"n": Qt.CursorShape.SizeVerCursor, "s": Qt.CursorShape.SizeVerCursor,
                "e": Qt.CursorShape.SizeHorCursor, "w": Qt.CursorShape.SizeHorCursor,
                "nw": Qt.CursorShape.SizeFDiagCursor, "se": Qt.CursorShape.SizeFDiagCursor,
                "ne": Qt.CursorShape.SizeBDiagCursor, "sw": Qt.CursorShape.SizeBDiagCursor}[hit]

    def _hit(self, canvas, pos: QPointF) -> str | None:
        _, op = self.target()
        near = lambda q: abs(q.x() - pos.x()) <= GRAB_PX and abs(q.y() - pos.y()) <= GRAB_PX
        if isinstance(op, Crop):
            if self.crop_box() is None:
                return None
            for name, q in self.crop_handles(canvas).items():
                if near(q):
                    return name
            x, y = self.to_image(canvas, pos)
            x0, y0, x1, y1 = self.crop_box()
            return "move" if x0 <= x < x1 and y0 <= y < y1 else None
        if isinstance(op, (Circle, RoundedCorners)):
            return "radius" if near(self.to_widget(canvas, *self.radius_handle())) else None
        if isinstance(op, Watermark) and self.input.block is not None:
            x, y = self.to_image(canvas, pos)
            x0, y0, w, h = self.mark_rect()
            return "mark" if x0 <= x < x0 + w and y0 <= y < y0 + h else None
        return None

    def press(self, canvas, pos: QPointF) -> bool:
        if not self._ready(canvas):
            return False
        hit = self._hit(canvas, pos)
        if hit is None:
            return False
        index, op = self.target()
        self._drag = {"hit": hit, "index": index, "op": op, "start": self.to_image(canvas, pos),
                      "merge": next(_DRAG_IDS),
                      "box": self.crop_box() if isinstance(op, Crop) else None,
                      "mark": self.mark_rect() if isinstance(op, Watermark) else None}
        return True

    def move(self, canvas, pos: QPointF) -> None:
        d = self._drag
        if d is None or self.input is None:
            return
        x, y = self.to_image(canvas, pos)
        dx, dy = round(x - d["start"][0]), round(y - d["start"][1])
        op: Operation = d["op"]
        W, H = self.input.width, self.input.height
        if isinstance(op, (Crop, Watermark)):
            if isinstance(op, Crop):
                values = crop_values(W, H, self._moved_box(d, dx, dy, W, H), op.get("g"))
            else:
                x0, y0, w, h = d["mark"]
                values = watermark_values(W, H, w, h, x0 + dx, y0 + dy, op,
                                          SNAP_PX / self._scale(canvas))
            if op.g is None and values["g"] == op.get("g"):
                values["g"] = None        # the anchor did not change: keep it implicit
            new = dataclasses.replace(op, **values)
        else:
            lo, hi = _range(op, "r")
            if isinstance(op, Circle):
                r = round(x - (W // 2 + 1))
            else:
                r = round(x)
            new = dataclasses.replace(op, r=clamp(r, lo, hi))
        if new != self.doc.steps[d["index"]].op:
            self.doc.replace_op(d["index"], new, merge_key=d["merge"])
        canvas.update()

    def _moved_box(self, d: dict, dx: int, dy: int, W: int, H: int
                   ) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = d["box"]
        hit = d["hit"]
        if hit == "move":
            dx = max(-x0, min(W - x1, dx))
            dy = max(-y0, min(H - y1, dy))
            return x0 + dx, y0 + dy, x1 + dx, y1 + dy
        if "w" in hit:
            x0 = max(0, min(x1 - 1, x0 + dx))
        if "e" in hit:
            x1 = min(W, max(x0 + 1, x1 + dx))
        if "n" in hit:
            y0 = max(0, min(y1 - 1, y0 + dy))
        if "s" in hit:
            y1 = min(H, max(y0 + 1, y1 + dy))
        return x0, y0, x1, y1

    def release(self, canvas, pos: QPointF) -> None:
        if self._drag is not None:
            self.move(canvas, pos)
        self._drag = None

    def shutdown(self, msecs: int = 3000) -> None:
        self.task.cancel()
        self.pool.waitForDone(msecs)
