"""A/B compare: two cascades over one source, each with its own undo history.

The live :class:`Document` always holds the side that has focus, so every view of it --
the steps, the form, the process string, the URLs, the quality explorer -- follows focus
without knowing about A and B. The other side waits in the :class:`Workspace` with its
steps, selection and undo stack, and is swapped in by :meth:`Document.exchange`.

:class:`CompareController` is the glue to the window: a second renderer for the side
that is not focused, the pair shown (A | B, Source | A, Source | B), the per-side
readouts on the canvas, and the actions (A/B on, focus A or B, swap, make B current).
"""
from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoGroup, QUndoStack
from PySide6.QtWidgets import QComboBox, QMenu, QToolBar

from core import codec
from core.cascade import Cascade
from core.errors import OssError

from ..model.document import Document, Step
from ..model.texts import error_text, human_bytes
from ..model.render import RenderOutput, RenderRequest, Renderer


class Side(StrEnum):
    A = "A"
    B = "B"


class Pair(StrEnum):
    AB = "ab"
    SOURCE_A = "source-a"
    SOURCE_B = "source-b"


SOURCE = "Source"
PAIRS = {Pair.AB: (Side.A, Side.B), Pair.SOURCE_A: (SOURCE, Side.A),
         Pair.SOURCE_B: (SOURCE, Side.B)}
PAIR_TITLES = {Pair.AB: "A | B", Pair.SOURCE_A: "Source | A", Pair.SOURCE_B: "Source | B"}


class Workspace(QObject):
    """Cascades A and B. ``changed`` fires on start/stop, focus, swap and make-current."""

    changed = Signal()

    def __init__(self, doc: Document, undo_group: QUndoGroup | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.group = undo_group
        self.active = False
        self.focused = Side.A
        self._other: tuple[tuple[Step, ...], int, QUndoStack] | None = None

    def other(self) -> Side:
        return Side.B if self.focused is Side.A else Side.A

    def steps_of(self, side: Side) -> tuple[Step, ...]:
        if side is self.focused or self._other is None:
            return self.doc.steps
        return self._other[0]

    def selected_of(self, side: Side) -> int:
        if side is self.focused or self._other is None:
            return self.doc.selected
        return self._other[1]

    def stack_of(self, side: Side) -> QUndoStack:
        if side is self.focused or self._other is None:
            return self.doc.undo_stack
        return self._other[2]

    # -- intents -------------------------------------------------------------------------
    def start(self) -> None:
        """B starts as a copy of A, with an empty history of its own; A keeps focus."""
        if self.active:
            return
        stack = QUndoStack(self.doc)
        if self.group is not None:
            self.group.addStack(stack)
        self._other = (self.doc.steps, self.doc.selected, stack)
        self.active, self.focused = True, Side.A
        self.changed.emit()

    def stop(self) -> None:
        """Back to one cascade: A stays (make B current first to keep B)."""
        if not self.active:
            return
        self.focus(Side.A)
        stack = self._other[2]
        if self.group is not None:
            self.group.removeStack(stack)
        stack.deleteLater()
        self._other = None
        self.active = False
        self.changed.emit()

    def focus(self, side: Side) -> None:
        side = Side(side)
        if not self.active or side is self.focused:
            return
        self._exchange()
        self.focused = side
        self.changed.emit()

    def swap(self) -> None:
        """A gets B's cascade and history and B gets A's; focus stays on its letter."""
        if self.active:
            self._exchange()
            self.changed.emit()

    def make_current(self) -> None:
        """A takes B's cascade, as an undoable edit of A; focus goes to A."""
        if not self.active:
            return
        self.focus(Side.A)
        self.doc.set_steps(self._other[0], "Make B current")
        self.doc.select(self._other[1])
        self.changed.emit()

    def _exchange(self) -> None:
        was_active = self.group is not None and self.group.activeStack() is self.doc.undo_stack
        self._other = self.doc.exchange(*self._other)
        if was_active:
            self.group.setActiveStack(self.doc.undo_stack)


def readout(out: RenderOutput | None, error: OssError | None = None) -> str:
    """One line for the canvas: w×h · format · bytes · change vs source · render time."""
    if error is not None:
        return error_text(error)
    if out is None:
        return "rendering…"
    res = out.result
    if res.is_json:
        return f"JSON · {human_bytes(len(res.data))}"
    src = out.source_bytes
    change = f" · {(len(res.data) - src) / src * 100:+.0f}% vs source" if src else ""
    return (f"{res.width}×{res.height} · {res.format} · {human_bytes(len(res.data))}"
            f"{change} · {out.seconds * 1000:.0f} ms")


def source_readout(out: RenderOutput | None) -> str:
    if out is None or out.before is None:
        return ""
    try:
        fmt = codec.read_header(out.request.source.data).format
    except OssError:
        fmt = "?"
    return f"{out.before.width}×{out.before.height} · {fmt} · {human_bytes(out.source_bytes)}"


class CompareController(QObject):
    """What the preview shows, for one cascade or for A and B."""

    shown = Signal()                   # the preview was updated (tests wait on it)

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        self.preview = win.preview
        self.ws = Workspace(win.doc, win.undo_group, self)
        self.renderer = Renderer(self, engine=win.renderer.engine)   # the unfocused side
        self.pair = Pair.AB
        self.outputs: dict[Side, RenderOutput | None] = {Side.A: None, Side.B: None}
        self.errors: dict[Side, OssError | None] = {Side.A: None, Side.B: None}
        self.source_out: RenderOutput | None = None   # holds the source frames
        self._build_actions()
        self.ws.changed.connect(self._on_workspace_changed)
        self.renderer.rendered.connect(self._on_other_rendered)
        self.renderer.failed.connect(self._on_other_failed)
        win.doc.sourceChanged.connect(self._on_source_changed)
        self.preview.followSelectionChanged.connect(lambda _on: self._request_other())
        self.preview.sideClicked.connect(self._on_side_clicked)
        self._sync_actions()

    # -- actions -----------------------------------------------------------------------------
    def _act(self, text: str, tip: str, slot, key: str | None = None,
             checkable: bool = False) -> QAction:
        act = QAction(text, self.win, checkable=checkable)
        act.setToolTip(tip + (f" ({key})" if key else ""))
        act.setStatusTip(tip)
        if key:
            act.setShortcut(QKeySequence(key))
        act.triggered.connect(slot)
        self.win.addAction(act)
        return act

    def _build_actions(self) -> None:
        self.act_ab = self._act("A/B", "Compare two cascades: B starts as a copy of A",
                                self._on_ab_toggled, "Ctrl+Shift+B", checkable=True)
        self.focus_group = QActionGroup(self)
        self.act_focus = {}
        for side, key in ((Side.A, "Alt+1"), (Side.B, "Alt+2")):
            act = self._act(f"Edit {side}", f"Edits, the process string and the URLs go to "
                            f"{side}; or click its image", lambda _=False, s=side:
                            self.ws.focus(s), key, checkable=True)
            self.focus_group.addAction(act)
            self.act_focus[side] = act
        self.act_swap = self._act("Swap", "Swap the cascades of A and B", self.ws.swap)
        self.act_make_current = self._act("Make B current", "A takes B's cascade (undoable)",
                                          self.ws.make_current)
        self.pair_box = QComboBox(self.preview)
        self.pair_box.setObjectName("comparePair")
        self.pair_box.setToolTip("What the compare modes show side by side")
        for pair, title in PAIR_TITLES.items():
            self.pair_box.addItem(title, str(pair))
        self.pair_box.activated.connect(
            lambda i: self.set_pair(Pair(self.pair_box.itemData(i))))

        # A second toolbar row (the first is full at common widths): A/B and what goes
        # with it, Flip, and room for other canvas tools (Edit on canvas).
        tb = self.preview.toolbar
        self.bar = QToolBar(self.preview)
        self.bar.setObjectName("compareBar")
        self.bar.setIconSize(tb.iconSize())
        self.bar.setToolButtonStyle(tb.toolButtonStyle())
        self.bar.addAction(self.act_ab)
        self.ab_only = [self.bar.addWidget(self.pair_box)]
        for act in (*self.act_focus.values(), self.act_swap, self.act_make_current):
            self.bar.addAction(act)
            self.ab_only.append(act)
        self.ab_only.append(self.bar.addSeparator())
        self.bar.addAction(self.preview.act_flip)
        self.preview.layout().insertWidget(1, self.bar)

        menu = QMenu("&Compare", self.win)
        for act in (self.act_ab, *self.act_focus.values(), self.act_swap,
                    self.act_make_current, self.preview.act_flip):
            menu.addAction(act)
        bar = self.win.menuBar()
        help_menu = next((a for a in bar.actions() if a.text() == "&Help"), None)
        bar.insertMenu(help_menu, menu) if help_menu else bar.addMenu(menu)
        self.menu = menu

    def _on_ab_toggled(self, on: bool) -> None:
        if on:
            self.ws.start()
        else:
            self.ws.stop()

    def _sync_actions(self) -> None:
        on = self.ws.active
        self.act_ab.setChecked(on)
        for act in self.ab_only:
            act.setVisible(on)
        self.act_focus[self.ws.focused].setChecked(True)

    def set_pair(self, pair: Pair) -> None:
        self.pair = Pair(pair)
        self.pair_box.setCurrentIndex(self.pair_box.findData(str(self.pair)))
        self._show()

    def current_process(self) -> str:
        """The current cascade (A's, whichever side has focus), e.g. to remember it."""
        return Cascade(tuple(s.op for s in self.ws.steps_of(Side.A) if s.enabled)).to_string()

    # -- rendering ---------------------------------------------------------------------------
    def upto(self, side: Side) -> int | None:
        """Preview steps of ``side``: the same "result after the selected step" rule as
        the main window applies to the focused side."""
        steps, sel = self.ws.steps_of(side), self.ws.selected_of(side)
        if self.preview.act_follow.isChecked() and 0 <= sel < len(steps) - 1:
            return sel + 1
        return None

    def expected(self, side: Side) -> str:
        steps = self.ws.steps_of(side)
        upto = self.upto(side)
        steps = steps if upto is None else steps[:upto]
        return Cascade(tuple(s.op for s in steps if s.enabled)).to_string()

    def _matches(self, out: RenderOutput, side: Side) -> bool:
        src = self.win.doc.source
        return src is not None and out.request.source.digest == src.digest \
            and out.process == self.expected(side)

    def present(self, out: RenderOutput) -> None:
        """The main renderer's output (the focused side): show it, alone or paired."""
        if out.before is not None:
            self.source_out = out
        for side in Side:
            if side is self.ws.focused or self._matches(out, side):
                self.outputs[side], self.errors[side] = out, None
        self._show()

    def _request_other(self) -> None:
        if not self.ws.active or self.win.doc.source is None:
            return
        side = self.ws.other()
        for out in (self.outputs[side], self.outputs[self.ws.focused]):
            if out is not None and self._matches(out, side):
                self.outputs[side], self.errors[side] = out, None
                return
        steps = self.ws.steps_of(side)
        upto = self.upto(side)
        steps = steps if upto is None else steps[:upto]
        req = RenderRequest(self.win.doc.source, Cascade(tuple(s.op for s in steps
                                                               if s.enabled)),
                            resolver=self.win.resolver)
        self.renderer.request(req, immediate=True)

    @Slot(object)
    def _on_other_rendered(self, out: RenderOutput) -> None:
        if out.before is not None and self.source_out is None:
            self.source_out = out
        for side in Side:
            if self._matches(out, side):
                self.outputs[side], self.errors[side] = out, None
        self._show()

    @Slot(object)
    def _on_other_failed(self, err: OssError) -> None:
        if err.code == "Cancelled" or not self.ws.active:
            return
        self.errors[self.ws.other()] = err
        self._show()

    def _on_source_changed(self) -> None:
        self.outputs = {Side.A: None, Side.B: None}
        self.source_out = None
        self._request_other()

    def _on_workspace_changed(self) -> None:
        self._sync_actions()
        self._request_other()
        self._show()

    def _on_side_clicked(self, index: int) -> None:
        if not self.ws.active:
            return
        item = PAIRS[self.pair][index]
        if item is not SOURCE:
            self.ws.focus(item)

    # -- showing -----------------------------------------------------------------------------
    def _frames(self, item):
        if item is SOURCE:
            return self.source_out.before if self.source_out else None
        out = self.outputs[item]
        return None if out is None or out.result.is_json else out.after

    def _readout(self, item) -> str:
        if item is SOURCE:
            return f"Source · {source_readout(self.source_out)}"
        out = self.outputs[item]
        if out is not None and not self._matches(out, item):
            out = None if self.errors[item] is None else out
        return f"{item} · {readout(out, self.errors[item])}"

    def _show(self) -> None:
        pv = self.preview
        if not self.ws.active:
            out = self.outputs[Side.A] if self.ws.focused is Side.A else None
            out = out or self.win.last_output
            if out is None:
                return
            src = out.before if out.before is not None else (
                self.source_out.before if self.source_out else None)
            if not out.result.is_json:
                pv.show_images(src, out.after)
            pv.set_labels("Before", "After")
            pv.set_focus_side(None)
            pv.set_readouts(f"Source · {source_readout(self.source_out or out)}",
                            f"Output · {readout(out)}")
            self.shown.emit()
            return
        left, right = PAIRS[self.pair]
        pv.show_images(self._frames(left), self._frames(right))
        pv.set_labels(str(left), str(right))
        pv.set_readouts(self._readout(left), self._readout(right))
        focused = self.ws.focused
        pv.set_focus_side(0 if left is focused else 1 if right is focused else None)
        self.shown.emit()
