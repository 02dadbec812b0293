"""The preview: a toolbar, the canvases (:mod:`viewer.canvas.canvas`: before/after compare with
synced zoom and pan, over a checkerboard), the inline error banner and the notes of one
render output; animations play frame by frame.
"""
from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPlainTextEdit, QSizePolicy, QSplitter, QStackedWidget,
                               QToolBar, QVBoxLayout, QWidget)

from .canvas import (MAX_ZOOM, MIN_ZOOM, ZOOM_STOPS, Animation, CompareMode, ImageCanvas,
                     ViewState)
from ..panels.elide import ElidedLabel
from ..panels.forms import message_label
from ..model.render import Frames

class PreviewPanel(QWidget):
    """Toolbar + canvases + inline error banner + notes, for one render output."""

    modeChanged = Signal(str)
    followSelectionChanged = Signal(bool)
    sideClicked = Signal(int)          # 0 = left/before image, 1 = right/after image

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = ViewState(self)
        self.mode = CompareMode.SPLIT
        self._before = Animation(None)
        self._after = Animation(None)

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
            self._before = Animation(before)
        self._after = Animation(after)
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

    def _lead(self) -> Animation:
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
