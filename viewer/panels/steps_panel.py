"""The cascade builder: the list of steps, the palette of actions, the selected step's form.

The list's model (:mod:`viewer.panels.steps_model`) is a thin adapter over :class:`Document`; the
document (and its undo stack) is the only place the order changes.
"""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHBoxLayout, QLabel,
                               QListView, QMenu, QScrollArea, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from core.errors import OssError
from core.params import REGISTRY, Operation

from ..model.document import Document
from .forms import StepForm
from .steps_model import GROUPS, StepDelegate, StepsModel, merge_id, starter_op
from ..widget_tree import within


def _param_key(widget: QWidget | None) -> str | None:
    """The parameter whose editor holds ``widget`` (editors are named ``param_<key>``)."""
    while widget is not None:
        if widget.objectName().startswith("param_"):
            return widget.objectName()[len("param_"):]
        widget = widget.parentWidget()
    return None


class StepsPanel(QWidget):
    """Steps list + palette + the selected step's generated form."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.model = StepsModel(doc, self)
        self.form: StepForm | None = None
        self._form_index = -1
        self._retired: list[QWidget] = []   # replaced forms awaiting deleteLater
        self._refocus = False
        self._refocus_key: str | None = None

        self.list = QListView(self)
        self.list.setObjectName("stepsList")
        self.list.setModel(self.model)
        self.list.setItemDelegate(StepDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setDragEnabled(True)
        self.list.setAcceptDrops(True)
        self.list.setDropIndicatorShown(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setDragDropOverwriteMode(False)
        self.list.setUniformItemSizes(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.selectionModel().currentChanged.connect(self._on_current_changed)
        self.model.modelReset.connect(self._restore_selection)

        self.palette_menu = QMenu("Add step", self)
        self.add_actions: dict[str, QAction] = {}
        self._build_palette()
        self.add_button = QToolButton(self)
        self.add_button.setText("Add step")
        self.add_button.setToolTip("Add an action after the selected step (Ctrl+Shift+A)")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_button.setMenu(self.palette_menu)

        self.act_duplicate = self._action("Duplicate", "Duplicate the selected step (Ctrl+D)",
                                          QKeySequence("Ctrl+D"), self.duplicate_selected)
        self.act_remove = self._action("Remove", "Remove the selected step (Delete)",
                                       QKeySequence(QKeySequence.StandardKey.Delete),
                                       self.remove_selected)
        self.act_up = self._action("Up", "Move the selected step up (Alt+Up)",
                                   QKeySequence("Alt+Up"), lambda: self.move_selected(-1))
        self.act_down = self._action("Down", "Move the selected step down (Alt+Down)",
                                     QKeySequence("Alt+Down"), lambda: self.move_selected(+1))
        self.act_toggle = self._action("Enable/disable", "Leave the selected step out of the "
                                       "string or put it back (Ctrl+E)", QKeySequence("Ctrl+E"),
                                       self.toggle_selected)
        # Compact button faces (the menu items keep their words): the dock fits 260 px.
        self.act_up.setIconText("↑")
        self.act_down.setIconText("↓")
        for act in (self.act_duplicate, self.act_remove, self.act_up, self.act_down,
                    self.act_toggle):
            # Shortcuts act while the list has focus; the main window's Edit menu offers
            # them everywhere else.
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.list.addAction(act)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        for act in (self.act_up, self.act_down, self.act_duplicate, self.act_remove):
            b = QToolButton(self)
            b.setDefaultAction(act)
            b.setAutoRaise(True)
            bar.addWidget(b)

        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(4)
        tl.addLayout(bar)
        tl.addWidget(self.list, 1)
        self.empty_hint = QLabel("No steps: the preview shows the source as OSS would serve "
                                 "it. Add an action or type a process string.", top)
        self.empty_hint.setWordWrap(True)
        tl.addWidget(self.empty_hint)

        self.form_area = QScrollArea(self)
        self.form_area.setWidgetResizable(True)
        self.form_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.form_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.placeholder = QLabel("Select a step to edit its parameters.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.form_area.setWidget(self.placeholder)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.form_area)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([260, 420])
        split.setChildrenCollapsible(False)
        self.splitter = split
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(split)

        doc.stepsChanged.connect(self._on_steps_changed)
        doc.selectionChanged.connect(self._on_selection_changed)
        self._on_steps_changed()

    def _action(self, text, tip, shortcut, slot) -> QAction:
        act = QAction(text, self)
        act.setToolTip(tip)
        act.setShortcut(shortcut)
        act.triggered.connect(slot)
        return act

    def _build_palette(self) -> None:
        groups: dict[str, list[type[Operation]]] = {}
        for name, cls in REGISTRY.items():
            module = cls.__module__.rsplit(".", 1)[-1]
            groups.setdefault(GROUPS.get(module, module.title()), []).append(cls)
        order = list(GROUPS.values())
        for group in sorted(groups, key=lambda g: order.index(g) if g in order else len(order)):
            self.palette_menu.addSection(group)
            for cls in groups[group]:
                act = self.palette_menu.addAction(f"{cls.TITLE}  ({cls.NAME})")
                act.setToolTip(cls.HELP)
                act.setStatusTip(cls.HELP)
                act.triggered.connect(lambda _=False, n=cls.NAME: self.add(n))
                self.add_actions[cls.NAME] = act
        self.palette_menu.setToolTipsVisible(True)

    # -- intents ---------------------------------------------------------------------------------
    def add(self, name: str) -> None:
        op = starter_op(name)
        at = self.doc.selected + 1 if self.doc.selected >= 0 else len(self.doc.steps)
        self.doc.add_step(op, at)

    def duplicate_selected(self) -> None:
        if self.doc.selected >= 0:
            self.doc.duplicate_step(self.doc.selected)

    def remove_selected(self) -> None:
        if self.doc.selected >= 0:
            self.doc.remove_step(self.doc.selected)

    def move_selected(self, delta: int) -> None:
        i = self.doc.selected
        j = i + delta
        if i >= 0 and 0 <= j < len(self.doc.steps):
            self.doc.move_step(i, j)

    def toggle_selected(self) -> None:
        i = self.doc.selected
        if i >= 0:
            self.doc.set_enabled(i, not self.doc.steps[i].enabled)

    def set_step_error(self, index: int | None, error: OssError | None) -> None:
        """Mark the step the engine rejected (None clears)."""
        self.model.set_error(index, error)
        if self.form is not None:
            self.form.show_error(error if index == self._form_index else None)

    # -- document -> view --------------------------------------------------------------------
    def _on_steps_changed(self) -> None:
        n = len(self.doc.steps)
        self.empty_hint.setVisible(n == 0)
        self._sync_form()
        self._update_actions()

    def _restore_selection(self) -> None:
        self._on_selection_changed(self.doc.selected)

    def _on_selection_changed(self, index: int) -> None:
        sm = self.list.selectionModel()
        with QSignalBlocker(sm):
            if index >= 0:
                mi = self.model.index(index)
                sm.setCurrentIndex(mi, sm.SelectionFlag.ClearAndSelect)
                self.list.scrollTo(mi)
            else:
                sm.clear()
        self.list.viewport().update()
        self._sync_form()
        self._update_actions()

    def _update_actions(self) -> None:
        i, n = self.doc.selected, len(self.doc.steps)
        has = i >= 0
        self.act_duplicate.setEnabled(has)
        self.act_remove.setEnabled(has)
        self.act_toggle.setEnabled(has)
        self.act_up.setEnabled(has and i > 0)
        self.act_down.setEnabled(has and i < n - 1)

    def _sync_form(self) -> None:
        i = self.doc.selected
        if i < 0 or i >= len(self.doc.steps):
            if self.form is not None:
                self.form = None
                self._form_index = -1
                self.placeholder = QLabel("Select a step to edit its parameters."
                                          if self.doc.steps else "")
                self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.placeholder.setWordWrap(True)
                self._replace_form_widget(self.placeholder)
            return
        op = self.doc.steps[i].op
        if self.form is None or self.form.cls is not type(op):
            form = StepForm(type(op))
            form.setContentsMargins(4, 4, 4, 4)
            form.edited.connect(self._on_form_edited)
            self._replace_form_widget(form)
            self.form = form
        self._form_index = i
        self.form.set_op(op)
        err = self.model.errors.get(i)
        self.form.show_error(err)

    def _replace_form_widget(self, widget: QWidget) -> None:
        """Show ``widget`` in the form area; the old one is deleted later, never now.

        This runs inside focus changes: type a new cascade in the process field, click a
        widget of this form, and the field's focus-out applies the text while Qt is still
        giving focus to (and will then deliver the click to) the widget under the pointer.
        ``QScrollArea.setWidget`` deleted the old form on the spot and Qt went on with a
        dangling pointer (a segfault in ``QWidget::setFocus``). The retired form stays
        alive, hidden and mute (its ``edited`` is blocked, so a click still on its way
        cannot edit the new step) until control is back in the event loop.
        """
        focus = QApplication.focusWidget()
        old = self.form_area.takeWidget()  # reparents to None: Python owns it now
        self.form_area.setWidget(widget)
        if old is None:
            return
        old.blockSignals(True)
        # Taking a form that holds focus out of the window moved focus on to some other
        # widget: give it back to the form area once the dust has settled.
        if focus is not None and within(focus, old):
            self._refocus = True
            self._refocus_key = _param_key(focus)
        old.setParent(self)  # owned by Qt again: dropping a Python reference cannot free it
        old.hide()
        self._retired.append(old)
        if len(self._retired) == 1:
            QTimer.singleShot(0, self, self._dispose_retired)

    def _dispose_retired(self) -> None:
        retired, self._retired = self._retired, []
        focus = QApplication.focusWidget()
        refocus, self._refocus = self._refocus, False
        key, self._refocus_key = self._refocus_key, None
        if refocus or (focus is not None and any(within(focus, w) for w in retired)):
            # The user was on (or clicking into) the old form: stay in the form area, on
            # the same parameter when the new form has it.
            if self.form is not None:
                self.form.focus_key(key or _param_key(focus))
            else:
                self.list.setFocus(Qt.FocusReason.OtherFocusReason)
        for w in retired:
            w.deleteLater()

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.doc.select(current.row() if current.isValid() else -1)

    def _on_form_edited(self, op: Operation, key: str) -> None:
        i = self._form_index
        if 0 <= i < len(self.doc.steps):
            self.doc.replace_op(i, op, merge_key=merge_id(i, key))

    def _context_menu(self, pos) -> None:
        index = self.list.indexAt(pos)
        menu = QMenu(self)
        if index.isValid():
            self.doc.select(index.row())
            menu.addAction(self.act_toggle)
            menu.addAction(self.act_duplicate)
            menu.addAction(self.act_remove)
            menu.addSeparator()
            menu.addAction(self.act_up)
            menu.addAction(self.act_down)
            menu.addSeparator()
        menu.addMenu(self.palette_menu)
        menu.exec(self.list.viewport().mapToGlobal(pos))
