"""The preview: before/after compare with synced zoom and pan, over a checkerboard.

Geometry is kept as one shared :class:`ViewState` -- a zoom factor (device pixels per image
pixel, or "fit") and the image point at the view's centre as fractions of the image -- so
the split view and both halves of the side-by-side view always show the same region, even
when before and after differ in size. Zoom is counted in device pixels, so "100%" is one
image pixel per screen pixel on high-DPI screens too.
"""
from __future__ import annotations

import math
import re
from enum import StrEnum

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (QAction, QActionGroup, QBrush, QColor, QFont, QFontDatabase,
                           QKeySequence, QPainter, QPainterPath, QPalette, QPen, QPixmap)
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPlainTextEdit, QSizePolicy, QSplitter, QStackedWidget,
                               QToolBar, QVBoxLayout, QWidget)

from .elide import ElidedLabel
from .forms import message_label
from .render import Frames

ZOOM_STOPS = (1 / 16, 1 / 8, 1 / 6, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 1, 1.5, 2, 3, 4, 6, 8, 12, 16,
              24, 32)
MIN_ZOOM, MAX_ZOOM = ZOOM_STOPS[0], ZOOM_STOPS[-1]
SPLIT_GRAB_PX = 8


class CompareMode(StrEnum):
    AFTER = "after"
    SPLIT = "split"
    SIDE_BY_SIDE = "side"
    BEFORE = "before"


class ViewState(QObject):
    """Zoom and pan shared by every canvas of the preview."""

    changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.fit = True
        self.zoom = 1.0            # device px per image px (when not fit)
        self.cx = 0.5              # image point at the view centre, as fractions
        self.cy = 0.5
        self.split = 0.5           # split position, fraction of the image width
        self.never_enlarge = False  # Fit shrinks only (small images stay small)

    def set_fit(self) -> None:
        self.fit, self.cx, self.cy = True, 0.5, 0.5
        self.changed.emit()

    def set_zoom(self, zoom: float, cx: float | None = None, cy: float | None = None) -> None:
        self.fit = False
        self.zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if cx is not None:
            self.cx = cx
        if cy is not None:
            self.cy = cy
        self.changed.emit()

    def pan_to(self, cx: float, cy: float) -> None:
        self.cx, self.cy = cx, cy
        self.changed.emit()

    def set_split(self, t: float) -> None:
        self.split = max(0.0, min(1.0, t))
        self.changed.emit()


def _clamp_center(cx: float, cy: float, w: float, h: float, view_w: float, view_h: float
                  ) -> tuple[float, float]:
    """Keep an image of w x h (view pixels) from being panned past its edges; an image
    smaller than the view along an axis stays centred on that axis."""
    def axis(c: float, extent: float, view: float) -> float:
        if extent <= view:
            return 0.5
        half = view / (2 * extent)
        return max(half, min(1 - half, c))

    return axis(cx, w, view_w), axis(cy, h, view_h)


def checker_brush(palette: QPalette, square: int = 8) -> QBrush:
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    a, b = (QColor("#3b3b3b"), QColor("#2b2b2b")) if dark else (QColor("#ffffff"),
                                                              QColor("#dcdcdc"))
    pm = QPixmap(square * 2, square * 2)
    pm.fill(a)
    p = QPainter(pm)
    p.fillRect(0, 0, square, square, b)
    p.fillRect(square, square, square, square, b)
    p.end()
    return QBrush(pm)


class _Animation:
    """Frames of one image as QPixmaps (made on the GUI thread) and the current frame."""

    def __init__(self, frames: Frames | None) -> None:
        self.frames = frames
        self.pixmaps: list[QPixmap] = [QPixmap.fromImage(i) for i in frames.images] \
            if frames else []
        self.index = 0

    @property
    def animated(self) -> bool:
        return len(self.pixmaps) > 1

    @property
    def size(self) -> QSize:
        return self.pixmaps[0].size() if self.pixmaps else QSize(0, 0)

    def current(self) -> QPixmap | None:
        return self.pixmaps[self.index] if self.pixmaps else None

    def duration(self) -> int:
        d = self.frames.durations if self.frames else ()
        return max(20, d[self.index] if self.index < len(d) else 100)

    def advance(self) -> None:
        if self.pixmaps:
            self.index = (self.index + 1) % len(self.pixmaps)


class ImageCanvas(QWidget):
    """Paints the after image, the before image, or both split by a draggable line.

    Like with like: whatever their sizes, both images are drawn at the same scale with
    their centres at the same point (as Squoosh does), so a rotated or cropped output is
    never compared with a squeezed source. The "after" image anchors zoom and pan.
    """

    zoomChanged = Signal()
    sideClicked = Signal(int)          # 0 = the left/before image, 1 = the right/after one

    def __init__(self, state: ViewState, role: CompareMode, parent: QWidget | None = None,
                 label: str = "") -> None:
        super().__init__(parent)
        self.state = state
        self.role = role
        self.label = label
        self.before = _Animation(None)
        self.after = _Animation(None)
        self.stale = False            # the last render failed: the image shown is older
        self.labels = ("Before", "After")
        self.readouts = ("", "")       # per-side text drawn at the bottom of each image
        self.focus_side: int | None = None   # the side whose tag is highlighted
        self.overlay = None            # canvas editing (viewer/canvas_edit.py), or None
        self._drag: tuple[str, QPointF, float, float] | None = None
        self._checker = checker_brush(self.palette())
        self._scaled: dict[tuple[int, int, int], QPixmap] = {}
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        state.changed.connect(self.update)

    # -- content ------------------------------------------------------------------------------
    def set_images(self, before: _Animation, after: _Animation) -> None:
        self.before, self.after = before, after
        self.update()

    def primary(self) -> _Animation:
        """The image this canvas shows (both in split mode: then the after one)."""
        if self.role is CompareMode.BEFORE:
            return self.before
        return self.anchor()

    def anchor(self) -> _Animation:
        """The image that defines zoom and pan: the after image, if there is one."""
        return self.after if self.after.pixmaps else self.before

    def side_of(self, anim: _Animation) -> int:
        return 0 if anim is self.before else 1

    # -- geometry -----------------------------------------------------------------------------
    def dpr(self) -> float:
        return self.devicePixelRatioF() or 1.0

    def fit_zoom(self) -> float:
        # Both images are drawn at one scale, so "fit" fits the larger of the two.
        sizes = [a.size for a in (self.before, self.after) if not a.size.isEmpty()]
        if not sizes:
            return 1.0
        margin = 16
        w = max(1, self.width() - 2 * margin) * self.dpr()
        h = max(1, self.height() - 2 * margin) * self.dpr()
        # Fit fills the view, small images included, unless "never enlarge" is on.
        zoom = min(min(w / s.width(), h / s.height()) for s in sizes)
        return min(1.0, zoom) if self.state.never_enlarge else zoom

    def zoom(self) -> float:
        return self.fit_zoom() if self.state.fit else self.state.zoom

    def anchor_rect(self) -> QRectF:
        """Where the anchor image lands, in logical widget coordinates."""
        size = self.anchor().size
        if size.isEmpty():
            return QRectF()
        s = self.zoom() / self.dpr()
        w, h = size.width() * s, size.height() * s
        cx, cy = self._clamped_center(w, h)
        return QRectF(self.width() / 2 - cx * w, self.height() / 2 - cy * h, w, h)

    def image_rect(self) -> QRectF:
        """Where the image this canvas shows lands, in logical widget coordinates."""
        anchor = self.anchor_rect()
        return anchor if self.primary() is self.anchor() else self.before_rect(anchor)

    def compare_rect(self) -> QRectF:
        """Both images together (the split line runs across this)."""
        anchor = self.anchor_rect()
        if self.role is CompareMode.SPLIT and self.before.pixmaps and self.after.pixmaps:
            return anchor.united(self.before_rect(anchor))
        return self.image_rect()

    def _clamped_center(self, w: float, h: float) -> tuple[float, float]:
        return _clamp_center(self.state.cx, self.state.cy, w, h, self.width(), self.height())

    def before_rect(self, after_rect: QRectF) -> QRectF:
        """The before image at the after image's scale, centred on the same point."""
        b = self.before.size
        if b.isEmpty() or after_rect.isEmpty():
            return QRectF()
        s = self.zoom() / self.dpr()
        w, h = b.width() * s, b.height() * s
        return QRectF(after_rect.center().x() - w / 2, after_rect.center().y() - h / 2, w, h)

    # -- painting -----------------------------------------------------------------------------
    def changeEvent(self, e) -> None:  # noqa: N802
        if e.type() == e.Type.PaletteChange:
            self._checker = checker_brush(self.palette())
        super().changeEvent(e)

    def paintEvent(self, _e) -> None:  # noqa: N802
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base).darker(104)
                   if pal.color(QPalette.ColorRole.Base).lightness() > 128
                   else pal.color(QPalette.ColorRole.Base).lighter(115))
        rect = self.image_rect()
        if rect.isEmpty():
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No image")
            return
        smooth = self.zoom() < 1.0  # nearest-neighbour when zoomed in, to see pixels
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        if self.stale:
            p.setOpacity(0.45)
        editing = self.overlay is not None and self.overlay.covers(self)
        if self.role is CompareMode.SPLIT and self.before.pixmaps and self.after.pixmaps \
                and not editing:
            both = self.compare_rect()
            split_x = self.split_x()
            brect = self.before_rect(rect)
            p.save()
            p.setClipRect(QRectF(0, 0, split_x, self.height()))
            self._draw(p, self.before.current(), brect)
            p.restore()
            p.save()
            p.setClipRect(QRectF(split_x, 0, self.width() - split_x, self.height()))
            self._draw(p, self.after.current(), rect)
            p.restore()
            p.setOpacity(1.0)
            if self.overlay is not None:
                self.overlay.paint(p, self)
            self._draw_split_handle(p, split_x, both)
            top = max(both.top(), 0) + 8
            left, right = max(both.left(), 0) + 8, min(both.right(), self.width()) - 8
            self._draw_tag(p, self.labels[0], QPointF(left, top), left=True,
                           focused=self.focus_side == 0)
            self._draw_tag(p, self.labels[1], QPointF(right, top), left=False,
                           focused=self.focus_side == 1)
            self._draw_readouts(p, both)
        else:
            self._draw(p, self.primary().current(), rect)
            p.setOpacity(1.0)
            if self.overlay is not None:
                self.overlay.paint(p, self)
            side = self.side_of(self.primary())
            label = self.overlay.label() if editing else self.label or self.labels[side]
            if editing:
                rect = self.overlay.frame(self)     # tags go by the image being edited
            at = QPointF(max(rect.left(), 0) + 8, max(rect.top(), 0) + 8)
            if label:
                self._draw_tag(p, label, at, left=True, focused=self.focus_side == side)
            self._draw_readouts(p, rect, only=side)
        p.end()

    def _draw_readouts(self, p: QPainter, rect: QRectF, only: int | None = None) -> None:
        """Each image's readout under it (inside its bottom edge if the view has no room
        below); left-aligned for the left image, right-aligned for the right one, one
        above the other when they would overlap."""
        sides = [i for i in (0, 1) if self.readouts[i] and only in (None, i)]
        if not sides:
            return
        fm = self.fontMetrics()
        h = fm.height() + 6
        widths = [fm.horizontalAdvance(self.readouts[i]) + 16 for i in sides]
        stacked = len(sides) == 2 and sum(widths) + 8 > min(rect.width(), self.width())
        lines = 2 if stacked else 1
        below = rect.bottom() + 6 + lines * h <= self.height()
        y = rect.bottom() + 6 + h if below else min(rect.bottom(), self.height()) - 6 \
            - (lines - 1) * h
        left, right = max(rect.left(), 0), min(rect.right(), self.width())
        for n, i in enumerate(sides):
            is_left = only is not None or i == 0
            at = QPointF(left if is_left else right, y + (h if stacked and n == 1 else 0))
            self._draw_tag(p, self.readouts[i], at, left=is_left, up=True)

    def split_x(self) -> float:
        both = self.compare_rect()
        return both.left() + self.state.split * both.width()

    def _draw(self, p: QPainter, pm: QPixmap | None, rect: QRectF) -> None:
        if pm is None or rect.isEmpty():
            return
        if pm.hasAlphaChannel():
            p.save()
            p.setBrushOrigin(rect.topLeft())
            p.fillRect(rect.intersected(QRectF(self.rect())), self._checker)
            p.restore()
        dpr = self.dpr()
        w, h = round(rect.width() * dpr), round(rect.height() * dpr)
        if w < pm.width() and h < pm.height():
            # Shrinking a large pixmap smoothly on every paint costs tens of ms (dragging
            # the split line, animations); scale once per zoom level and reuse it.
            key = (pm.cacheKey(), w, h)
            scaled = self._scaled.get(key)
            if scaled is None:
                scaled = pm.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
                if len(self._scaled) > 8:
                    self._scaled.clear()
                self._scaled[key] = scaled
            pm = scaled
        p.drawPixmap(rect, pm, QRectF(pm.rect()))

    def _draw_split_handle(self, p: QPainter, x: float, rect: QRectF) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        top, bottom = max(rect.top(), 0), min(rect.bottom(), self.height())
        p.setPen(QPen(QColor(0, 0, 0, 90), 3))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        p.setPen(QPen(QColor(255, 255, 255), 1.5))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        c = QPointF(x, (top + bottom) / 2)
        p.setBrush(QColor(255, 255, 255))
        p.setPen(QPen(QColor(0, 0, 0, 120), 1))
        p.drawEllipse(c, 9, 9)
        p.setPen(QPen(QColor(60, 60, 60), 1.5))
        for d in (-1, 1):
            path = QPainterPath()
            path.moveTo(c + QPointF(d * 2, -4))
            path.lineTo(c + QPointF(d * 6, 0))
            path.lineTo(c + QPointF(d * 2, 4))
            p.drawPath(path)

    def _draw_tag(self, p: QPainter, text: str, at: QPointF, left: bool,
                  focused: bool = False, up: bool = False) -> None:
        if not text:
            return
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() * 0.85)
        f.setBold(focused)
        p.setFont(f)
        fm = p.fontMetrics()
        text = fm.elidedText(text, Qt.TextElideMode.ElideRight, max(20, self.width() - 20))
        w, h = fm.horizontalAdvance(text) + 12, fm.height() + 4
        x = at.x() if left else at.x() - w
        x = max(4.0, min(x, self.width() - 4 - w))     # keep the whole tag in view
        r = QRectF(x, at.y() - h if up else at.y(), w, h)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(47, 127, 216, 220) if focused else QColor(0, 0, 0, 150))
        p.drawRoundedRect(r, 4, 4)
        p.setPen(QColor(255, 255, 255))
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)

    # -- interaction --------------------------------------------------------------------------
    def _on_split_handle(self, pos: QPointF) -> bool:
        if self.role is not CompareMode.SPLIT or not (self.before.pixmaps and self.after.pixmaps):
            return False
        if self.overlay is not None and self.overlay.covers(self):
            return False
        rect = self.compare_rect()
        return abs(pos.x() - self.split_x()) <= SPLIT_GRAB_PX \
            and rect.top() - 4 <= pos.y() <= rect.bottom() + 4

    def side_at(self, pos: QPointF) -> int:
        """Which image is under ``pos``: 0 before (left), 1 after (right)."""
        if self.role is CompareMode.SPLIT and self.before.pixmaps and self.after.pixmaps:
            return 0 if pos.x() < self.split_x() else 1
        return self.side_of(self.primary())

    def mousePressEvent(self, e) -> None:  # noqa: N802
        if e.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(e)
        pos = e.position()
        if self.overlay is not None and self.overlay.press(self, pos):
            self._drag = ("overlay", pos, 0, 0)
            return
        if self._on_split_handle(pos):
            self._drag = ("split", pos, 0, 0)
        else:
            self.sideClicked.emit(self.side_at(pos))
            rect = self.anchor_rect()
            self._freeze_fit()
            self._drag = ("pan", pos, self.state.cx, self.state.cy) if not rect.isEmpty() else None
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, e) -> None:  # noqa: N802
        pos = e.position()
        if self._drag is None:
            cursor = self.overlay.cursor(self, pos) if self.overlay is not None else None
            self.setCursor(cursor if cursor is not None
                           else Qt.CursorShape.SplitHCursor if self._on_split_handle(pos)
                           else Qt.CursorShape.OpenHandCursor)
            return
        kind, start, cx0, cy0 = self._drag
        if kind == "overlay":
            self.overlay.move(self, pos)
            return
        rect = self.anchor_rect()
        if rect.isEmpty():
            return
        if kind == "split":
            both = self.compare_rect()
            self.state.set_split((pos.x() - both.left()) / both.width())
        else:
            dx, dy = pos.x() - start.x(), pos.y() - start.y()
            cx, cy = cx0 - dx / rect.width(), cy0 - dy / rect.height()
            self.state.pan_to(*self._clamp_fractions(cx, cy, rect))

    def _clamp_fractions(self, cx: float, cy: float, rect: QRectF) -> tuple[float, float]:
        return _clamp_center(cx, cy, rect.width(), rect.height(), self.width(), self.height())

    def mouseReleaseEvent(self, e) -> None:  # noqa: N802
        if self._drag is not None and self._drag[0] == "overlay":
            self.overlay.release(self, e.position())
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseDoubleClickEvent(self, e) -> None:  # noqa: N802
        if self.state.fit:
            self.zoom_at(1.0, e.position())
        else:
            self.state.set_fit()
        self.zoomChanged.emit()

    def wheelEvent(self, e) -> None:  # noqa: N802
        delta = e.angleDelta()
        if e.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = delta.y() / 120 or delta.x() / 120
            self.zoom_at(self.zoom() * (2 ** (steps / 4)), e.position())
            self.zoomChanged.emit()
            e.accept()
            return
        rect = self.anchor_rect()
        if rect.isEmpty():
            return
        dx, dy = delta.x(), delta.y()
        if e.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            dx, dy = dy, dx
        self._freeze_fit()
        cx = self.state.cx - dx / 2 / rect.width()
        cy = self.state.cy - dy / 2 / rect.height()
        self.state.pan_to(*self._clamp_fractions(cx, cy, rect))
        e.accept()

    def _freeze_fit(self) -> None:
        """Turn "fit" into its concrete zoom before panning, so panning has a fixed frame."""
        if self.state.fit:
            z = self.fit_zoom()
            self.state.fit = False
            self.state.zoom = z

    def zoom_at(self, zoom: float, pos: QPointF | None = None) -> None:
        """Zoom keeping the image point under ``pos`` (default: the centre) in place."""
        rect = self.anchor_rect()
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if rect.isEmpty():
            self.state.set_zoom(zoom)
            return
        pos = pos or QPointF(self.width() / 2, self.height() / 2)
        fx = (pos.x() - rect.left()) / rect.width()
        fy = (pos.y() - rect.top()) / rect.height()
        size = self.anchor().size
        s = zoom / self.dpr()
        w, h = size.width() * s, size.height() * s
        # New centre fraction such that (fx, fy) stays under pos.
        cx = fx - (pos.x() - self.width() / 2) / w
        cy = fy - (pos.y() - self.height() / 2) / h
        cx, cy = self._clamp_fractions(cx, cy, QRectF(0, 0, w, h))
        self.state.set_zoom(zoom, cx, cy)


class PreviewPanel(QWidget):
    """Toolbar + canvases + inline error banner + notes, for one render output."""

    modeChanged = Signal(str)
    followSelectionChanged = Signal(bool)
    sideClicked = Signal(int)          # 0 = left/before image, 1 = right/after image

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = ViewState(self)
        self.mode = CompareMode.SPLIT
        self._before = _Animation(None)
        self._after = _Animation(None)

        # Toolbar --------------------------------------------------------------------------
        self.toolbar = QToolBar(self)
        self.toolbar.setIconSize(QSize(16, 16))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[CompareMode, QAction] = {}
        for mode, text, tip, key in (
                (CompareMode.AFTER, "After", "Show the processed image", "Ctrl+Shift+1"),
                (CompareMode.SPLIT, "Split", "Before on the left, after on the right; drag "
                 "the line", "Ctrl+Shift+2"),
                (CompareMode.SIDE_BY_SIDE, "Side by side", "Before and after next to each "
                 "other, zoom and pan linked", "Ctrl+Shift+3"),
                (CompareMode.BEFORE, "Before", "Show the source image", "Ctrl+Shift+4")):
            act = QAction(text, self, checkable=True)
            act.setToolTip(f"{tip} ({key})")
            act.setShortcut(QKeySequence(key))
            act.triggered.connect(lambda _=False, m=mode: self.set_mode(m))
            self.mode_group.addAction(act)
            self.toolbar.addAction(act)
            self.mode_actions[mode] = act
        self.toolbar.addSeparator()
        self.act_fit = QAction("Fit", self)
        self.act_fit.setToolTip("Fit the image in the view (Ctrl+0); small images are "
                                "enlarged unless \"Never enlarge\" is on")
        self.act_fit.setShortcut(QKeySequence("Ctrl+0"))
        self.act_fit.triggered.connect(self.fit)
        self.act_actual = QAction("1:1", self)
        self.act_actual.setToolTip("One image pixel per screen pixel (Ctrl+1)")
        self.act_actual.setShortcut(QKeySequence("Ctrl+1"))
        self.act_actual.triggered.connect(lambda: self.set_zoom(1.0))
        self.act_zoom_in = QAction("+", self)
        self.act_zoom_in.setToolTip("Zoom in (Ctrl++ or Ctrl+wheel)")
        self.act_zoom_in.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomIn)
                                      + [QKeySequence("Ctrl+=")])
        self.act_zoom_in.triggered.connect(self.zoom_in)
        self.act_zoom_out = QAction("−", self)
        self.act_zoom_out.setToolTip("Zoom out (Ctrl+- or Ctrl+wheel)")
        self.act_zoom_out.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomOut))
        self.act_zoom_out.triggered.connect(self.zoom_out)
        self.act_never_enlarge = QAction("Never enlarge", self, checkable=True)
        self.act_never_enlarge.setToolTip("Fit shrinks large images but shows small ones at "
                                          "100%, as a browser would")
        self.act_never_enlarge.toggled.connect(self.set_never_enlarge)
        self.toolbar.addAction(self.act_fit)
        self.toolbar.addAction(self.act_actual)
        self.toolbar.addAction(self.act_zoom_out)
        self.zoom_label = QLabel(self)
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setToolTip("Current zoom")
        self.zoom_label.setMinimumWidth(52)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.toolbar.addWidget(self.zoom_label)
        self.toolbar.addAction(self.act_zoom_in)
        self.toolbar.addAction(self.act_never_enlarge)
        self.toolbar.addSeparator()
        self.act_follow = QAction("Result after selected step", self, checkable=True)
        self.act_follow.setChecked(True)
        self.act_follow.setToolTip("Show the image after the selected step instead of the "
                                   "whole cascade (click a step to inspect it)")
        self.act_follow.toggled.connect(self.followSelectionChanged)
        self.follow_box = QCheckBox("After selected step", self)
        self.follow_box.setToolTip(self.act_follow.toolTip())
        self.follow_box.setChecked(True)
        self.follow_box.toggled.connect(self.act_follow.setChecked)
        self.act_follow.toggled.connect(self.follow_box.setChecked)
        self.act_play = QAction("Pause", self, checkable=True)
        self.act_play.setToolTip("Pause or play the animation")
        self.act_play.toggled.connect(self._on_pause_toggled)
        self.act_play.setVisible(False)
        self.toolbar.addAction(self.act_play)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.busy_label = QLabel("Rendering…", self)
        self.busy_label.setVisible(False)
        self.busy_action = self.toolbar.addWidget(self.busy_label)
        self.busy_action.setVisible(False)

        # Caption, banner, notes --------------------------------------------------------------
        # One line, elided (whole text in the tooltip): a long caption must neither widen
        # the window nor wrap and push the canvas down.
        self.caption = ElidedLabel(self, mode=Qt.TextElideMode.ElideRight)
        self.caption.setObjectName("previewCaption")
        self.banner = message_label("previewError", self)
        self.notes = message_label("previewNotes", self)

        # Canvases ----------------------------------------------------------------------------
        self.single = ImageCanvas(self.state, CompareMode.SPLIT, self)
        self.left = ImageCanvas(self.state, CompareMode.BEFORE, self)
        self.right = ImageCanvas(self.state, CompareMode.AFTER, self)
        self.pair = QSplitter(Qt.Orientation.Horizontal, self)
        self.pair.addWidget(self.left)
        self.pair.addWidget(self.right)
        self.pair.setChildrenCollapsible(False)
        self.json_view = QPlainTextEdit(self)
        self.json_view.setReadOnly(True)
        self.json_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.json_view.setObjectName("previewJson")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.single)
        self.stack.addWidget(self.pair)
        self.stack.addWidget(self.json_view)
        for c in self.canvases():
            c.zoomChanged.connect(self._update_zoom_label)
            c.sideClicked.connect(self.sideClicked)
        # One key flips between the two images in place (same zoom and pan).
        self.act_flip = QAction("Flip", self)
        self.act_flip.setToolTip("Show the other image in place (Space on the image)")
        self.act_flip.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.act_flip.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_flip.triggered.connect(self.flip)
        self.addAction(self.act_flip)
        self.state.changed.connect(self._update_zoom_label)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.toolbar)
        info = QVBoxLayout()
        info.setContentsMargins(8, 4, 8, 4)
        info.setSpacing(4)
        caption_row = QHBoxLayout()
        caption_row.addWidget(self.caption, 1)
        caption_row.addWidget(self.follow_box)
        info.addLayout(caption_row)
        lay.addLayout(info)
        lay.addWidget(self.stack, 1)
        # The error banner and the notes float over the top and bottom of the canvas (the
        # stale image shows dimmed under them): showing one never moves the canvas.
        for label in (self.banner, self.notes):
            label.setParent(self.stack)
            label.setAutoFillBackground(True)
        self.stack.installEventFilter(self)

        self._frame_timer = QTimer(self, singleShot=True)
        self._frame_timer.timeout.connect(self._next_frame)
        self._busy_timer = QTimer(self, singleShot=True, interval=150)
        self._busy_timer.timeout.connect(lambda: self.busy_action.setVisible(True))
        self.set_mode(CompareMode.SPLIT)

    def canvases(self) -> tuple[ImageCanvas, ...]:
        return (self.single, self.left, self.right)

    def active_canvas(self) -> ImageCanvas:
        if self.mode is CompareMode.SIDE_BY_SIDE:
            return self.right
        return self.single

    # -- content ----------------------------------------------------------------------------
    def show_images(self, before: Frames | None, after: Frames | None) -> None:
        # The renderer hands back the same before-Frames while the source is unchanged;
        # converting a large source to a QPixmap again on every edit would stall the UI.
        if before is None or before is not self._before.frames:
            self._before = _Animation(before)
        self._after = _Animation(after)
        for c in self.canvases():
            c.stale = False
            c.set_images(self._before, self._after)
        if self.stack.currentWidget() is self.json_view:
            self._apply_mode()
        self._restart_animation()
        self._update_zoom_label()

    def show_json(self, text: str) -> None:
        self.json_view.setPlainText(text)
        self.stack.setCurrentWidget(self.json_view)
        self._frame_timer.stop()
        self.act_play.setVisible(False)

    def set_caption(self, text: str) -> None:
        self.caption.setText(re.sub(r"<[^>]+>", "", text))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.stack and event.type() == QEvent.Type.Resize:
            self._place_overlays()
        return super().eventFilter(obj, event)

    def _place_overlays(self) -> None:
        w = self.stack.width() - 16
        for label, top in ((self.banner, True), (self.notes, False)):
            if not label.isVisible():
                continue
            h = min(label.heightForWidth(w) if label.hasHeightForWidth() else
                    label.sizeHint().height(), max(24, self.stack.height() // 2))
            label.setGeometry(8, 8 if top else self.stack.height() - h - 8, w, h)
            label.raise_()

    def show_error(self, text: str | None) -> None:
        """Over the top of the image; the last good image stays, dimmed."""
        self.banner.setText(text or "")
        self.banner.setVisible(bool(text))
        self._place_overlays()
        for c in self.canvases():
            c.stale = bool(text) and not c.primary().size.isEmpty()
            c.update()

    def set_notes(self, notes: tuple[str, ...] | list[str]) -> None:
        self.notes.setText("\n".join(f"ⓘ {n}" for n in notes))
        self.notes.setVisible(bool(notes))
        self._place_overlays()

    def set_busy(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_action.setVisible(False)

    # -- modes and zoom ------------------------------------------------------------------------
    def set_mode(self, mode: CompareMode | str) -> None:
        self.mode = CompareMode(mode)
        self.mode_actions[self.mode].setChecked(True)
        self._apply_mode()
        self.modeChanged.emit(str(self.mode))

    def _apply_mode(self) -> None:
        if self.mode is CompareMode.SIDE_BY_SIDE:
            self.stack.setCurrentWidget(self.pair)
        else:
            self.single.role = self.mode
            self.stack.setCurrentWidget(self.single)
            self.single.update()
        self._update_zoom_label()

    def fit(self) -> None:
        self.state.set_fit()

    def flip(self) -> None:
        """Toggle: show the other image of the pair in place."""
        self.set_mode(CompareMode.BEFORE if self.mode is CompareMode.AFTER
                      else CompareMode.AFTER)

    def set_labels(self, left: str, right: str) -> None:
        """Names of the two images (tags on the canvas and the one-image modes)."""
        self.mode_actions[CompareMode.BEFORE].setText(left)
        self.mode_actions[CompareMode.AFTER].setText(right)
        for c in self.canvases():
            c.labels = (left, right)
            c.update()

    def set_readouts(self, left: str, right: str) -> None:
        """Size, format, bytes... of each image, drawn on the canvas under it."""
        for c in self.canvases():
            c.readouts = (left, right)
            c.update()

    def set_focus_side(self, side: int | None) -> None:
        for c in self.canvases():
            c.focus_side = side
            c.update()

    def set_overlay(self, overlay) -> None:
        """Canvas editing handles drawn over the shown image (None: none)."""
        for c in self.canvases():
            c.overlay = overlay
            c.update()

    def set_never_enlarge(self, on: bool) -> None:
        """Fit shows small images at 100% instead of filling the view."""
        if self.act_never_enlarge.isChecked() != on:
            self.act_never_enlarge.setChecked(on)   # comes back here through toggled
            return
        self.state.never_enlarge = on
        self.state.changed.emit()
        for c in self.canvases():
            c.update()
        self._update_zoom_label()

    def set_zoom(self, zoom: float) -> None:
        self.active_canvas().zoom_at(zoom)

    def zoom_in(self) -> None:
        z = self.active_canvas().zoom()
        self.set_zoom(next((s for s in ZOOM_STOPS if s > z * 1.001), MAX_ZOOM))

    def zoom_out(self) -> None:
        z = self.active_canvas().zoom()
        self.set_zoom(next((s for s in reversed(ZOOM_STOPS) if s < z / 1.001), MIN_ZOOM))

    def zoom(self) -> float:
        return self.active_canvas().zoom()

    def _update_zoom_label(self) -> None:
        z = self.active_canvas().zoom()
        pct = z * 100
        self.zoom_label.setText(f"{pct:.0f}%" if pct >= 10 else f"{pct:.1f}%")

    # -- animation ------------------------------------------------------------------------------
    def _restart_animation(self) -> None:
        animated = self._after.animated or self._before.animated
        self.act_play.setVisible(animated)
        self._frame_timer.stop()
        if animated and not self.act_play.isChecked():
            self._frame_timer.start(self._lead().duration())

    def _lead(self) -> _Animation:
        return self._after if self._after.animated else self._before

    def _next_frame(self) -> None:
        for a in (self._before, self._after):
            if a.animated:
                a.advance()
        for c in self.canvases():
            c.update()
        if not self.act_play.isChecked():
            self._frame_timer.start(self._lead().duration())

    def _on_pause_toggled(self, paused: bool) -> None:
        self.act_play.setText("Play" if paused else "Pause")
        self._restart_animation()


def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.2f} MB"


def ratio_text(out_bytes: int, src_bytes: int) -> str:
    if src_bytes <= 0:
        return ""
    change = (out_bytes - src_bytes) / src_bytes * 100
    if math.isclose(change, 0, abs_tol=0.05):
        return "same size as the source"
    return f"{change:+.0f}% vs source {human_bytes(src_bytes)}"
