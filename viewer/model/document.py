"""The one document model every widget is a thin view of.

It owns the step list (each step an immutable core operation plus an enabled flag), the
selection, and the source image. Every edit goes through the QUndoStack; widgets never
talk to each other -- they call the intents below and listen to the signals.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.cascade import Cascade, parse
from core.engine import Source
from core.params import Operation


@dataclass(frozen=True)
class Step:
    op: Operation
    enabled: bool = True


# The document keeps this many undo steps (older ones are dropped, oldest first). An undo
# step is two tuples of immutable operations, so the history costs little; the bound is
# there so a long session cannot grow without end. Consecutive edits of one parameter
# (typing in a spin box) merge into one undo step, whatever their number.
UNDO_LIMIT = 500


class _SetSteps(QUndoCommand):
    """One undo step: the step list before and after.

    Merging is done by :meth:`Document.set_steps` before anything is pushed; ``id()`` stays
    -1 so QUndoStack never merges by itself. (When Qt merges, it deletes the pushed command
    inside ``push()``, and PySide then gives the stack ownership of the already-deleted
    wrapper: every merged edit left a Python object behind for the life of the stack.)
    """

    def __init__(self, doc: "Document", before: tuple[Step, ...], after: tuple[Step, ...],
                 text: str, merge_id: int = -1) -> None:
        super().__init__(text)
        self.doc, self.before, self.after, self.merge_id = doc, before, after, merge_id

    def redo(self) -> None:
        self.doc._assign(self.after)

    def undo(self) -> None:
        self.doc._assign(self.before)


class Document(QObject):
    stepsChanged = Signal()            # the step list (ops or enabled flags) changed
    selectionChanged = Signal(int)     # selected step index, -1 for none
    sourceChanged = Signal()           # a new source image

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self._steps: tuple[Step, ...] = ()
        self._selected = -1
        self.source: Source | None = None
        self.source_name: str = ""     # display name; default object key for URLs

    # -- reading -----------------------------------------------------------------------
    @property
    def steps(self) -> tuple[Step, ...]:
        return self._steps

    @property
    def selected(self) -> int:
        return self._selected

    def cascade(self, upto: int | None = None) -> Cascade:
        """The enabled steps (of the first ``upto`` steps) as a core cascade."""
        steps = self._steps if upto is None else self._steps[:upto]
        return Cascade(tuple(s.op for s in steps if s.enabled))

    def process_string(self) -> str:
        return self.cascade().to_string()

    # -- intents (all undoable) --------------------------------------------------------
    def set_steps(self, steps: tuple[Step, ...] | list[Step], text: str = "Edit cascade",
                  merge_id: int = -1) -> None:
        steps = tuple(steps)
        if steps == self._steps:
            return
        top = self._mergeable_top(merge_id)
        if top is not None:
            top.after = steps
            self._assign(steps)
            return
        self.undo_stack.push(_SetSteps(self, self._steps, steps, text, merge_id))

    def _mergeable_top(self, merge_id: int) -> "_SetSteps | None":
        """The command an edit with ``merge_id`` extends, by QUndoStack's own rule: the
        latest command (nothing to redo), same id, and not the clean state."""
        stack = self.undo_stack
        i = stack.index()
        if merge_id < 0 or i == 0 or i != stack.count() or i == stack.cleanIndex():
            return None
        top = stack.command(i - 1)
        if not isinstance(top, _SetSteps) or top.merge_id != merge_id \
                or top.after != self._steps:
            return None
        return top

    def set_process_string(self, process: str) -> None:
        """Replace the cascade by a parsed string. Raises core.OssError if invalid, in which
        case nothing changes (the last valid cascade is kept)."""
        cascade = parse(process)
        if cascade.is_style:
            raise ValueError("a style reference must be resolved before editing")
        count = len(self._steps)
        self.set_steps(tuple(Step(op) for op in cascade.steps), "Edit process string")
        if len(self._steps) != count:
            # A different cascade: select its last step, so a preview that follows the
            # selection shows the whole result. A tweak of a value keeps the selection.
            self.select(len(self._steps) - 1)

    def add_step(self, op: Operation, index: int | None = None) -> None:
        steps = list(self._steps)
        index = len(steps) if index is None else index
        steps.insert(index, Step(op))
        self.set_steps(steps, f"Add {op.NAME}")
        self.select(index)

    def remove_step(self, index: int) -> None:
        steps = list(self._steps)
        op = steps.pop(index)
        self.set_steps(steps, f"Remove {op.op.NAME}")
        self.select(min(index, len(steps) - 1))

    def replace_op(self, index: int, op: Operation, merge_key: int = -1) -> None:
        steps = list(self._steps)
        steps[index] = Step(op, steps[index].enabled)
        self.set_steps(steps, f"Edit {op.NAME}", merge_id=merge_key)

    def move_step(self, src: int, dst: int) -> None:
        steps = list(self._steps)
        step = steps.pop(src)
        steps.insert(dst, step)
        self.set_steps(steps, f"Move {step.op.NAME}")
        self.select(dst)

    def duplicate_step(self, index: int) -> None:
        steps = list(self._steps)
        steps.insert(index + 1, steps[index])
        self.set_steps(steps, f"Duplicate {steps[index].op.NAME}")
        self.select(index + 1)

    def set_enabled(self, index: int, enabled: bool) -> None:
        steps = list(self._steps)
        steps[index] = Step(steps[index].op, enabled)
        self.set_steps(steps, ("Enable " if enabled else "Disable ") + steps[index].op.NAME)

    def select(self, index: int) -> None:
        index = index if 0 <= index < len(self._steps) else -1
        if index != self._selected:
            self._selected = index
            self.selectionChanged.emit(index)

    def set_source(self, source: Source, name: str = "") -> None:
        self.source = source
        self.source_name = name or source.name
        self.sourceChanged.emit()

    def exchange(self, steps: tuple[Step, ...], selected: int, undo_stack: QUndoStack
                 ) -> tuple[tuple[Step, ...], int, QUndoStack]:
        """Show another cascade with its own history (the A/B workspace keeps the side
        that is not focused); returns the state it replaces. Not an edit: nothing is
        pushed, the views just follow."""
        old = (self._steps, self._selected, self.undo_stack)
        self._steps, self.undo_stack = tuple(steps), undo_stack
        self._selected = selected if 0 <= selected < len(self._steps) else -1
        self.stepsChanged.emit()
        self.selectionChanged.emit(self._selected)
        return old

    # -- internal ----------------------------------------------------------------------
    def _assign(self, steps: tuple[Step, ...]) -> None:
        self._steps = steps
        if self._selected >= len(steps):
            self._selected = len(steps) - 1
            self.selectionChanged.emit(self._selected)
        self.stepsChanged.emit()
