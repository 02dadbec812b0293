"""The preview's canvas: before/after compare with synced zoom and pan, over a checkerboard.

Geometry is kept as one shared :class:`ViewState` -- a zoom factor (device pixels per image
pixel, or "fit") and the image point at the view's centre as fractions of the image -- so
the split view and both halves of the side-by-side view always show the same region, even
when before and after differ in size. Zoom is counted in device pixels, so "100%" is one
image pixel per screen pixel on high-DPI screens too. :class:`ImageCanvas` paints one
view of it (the after image, the before image, or both split by a draggable line).
"""
from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..model.render import Frames

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


class Animation:
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
        self.before = Animation(None)
        self.after = Animation(None)
        self.stale = False            # the last render failed: the image shown is older
        self.labels = ("Before", "After")
        self.readouts = ("", "")       # per-side text drawn at the bottom of each image
        self.focus_side: int | None = None   # the side whose tag is highlighted
        self.overlay = None            # canvas editing (viewer/canvas/canvas_edit.py), or None
        self._drag: tuple[str, QPointF, float, float] | None = None
        self._checker = checker_brush(self.palette())
        self._scaled: dict[tuple[int, int, int], QPixmap] = {}
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        state.changed.connect(self.update)

    # -- content ------------------------------------------------------------------------------
    def set_images(self, before: Animation, after: Animation) -> None:
        self.before, self.after = before, after
        self.update()

    def primary(self) -> Animation:
        """The image this canvas shows (both in split mode: then the after one)."""
        if self.role is CompareMode.BEFORE:
            return self.before
        return self.anchor()

    def anchor(self) -> Animation:
        """The image that defines zoom and pan: the after image, if there is one."""
        return self.after if self.after.pixmaps else self.before

    def side_of(self, anim: Animation) -> int:
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
