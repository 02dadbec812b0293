"""A step's form, generated from its operation's declarations (``cls.SPECS``).

One editor per parameter kind (:mod:`viewer.panels.param_editors`: spin box with the declared
range, combo box, colour picker, decoded text, check box, and a font picker for the
watermark ``type``). Like Qt Designer's property editor, a parameter that is given is
shown in bold with a reset button; a parameter that is not given shows its default and
stays out of the process string until the user changes it.

The form never holds state of its own: :meth:`StepForm.set_op` paints an operation,
user edits emit :attr:`StepForm.edited` with a new, validated operation. An edit that
would make the step invalid is explained inline and not emitted, so the document always
holds the last valid cascade.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from core.errors import OssError
from core.params import Operation, ParamSpec

from ..model.texts import error_text
from .param_editors import describe, dim, make_editor


# -- the form -----------------------------------------------------------------------------

class _Row:
    def __init__(self, spec: ParamSpec, label: QLabel, editor: QWidget,
                 reset: QToolButton | None, error: QLabel) -> None:
        self.spec, self.label, self.editor, self.reset, self.error = \
            spec, label, editor, reset, error


class StepForm(QWidget):
    """The parameters of one step. ``edited(op, key)`` carries a valid new operation and
    the key that changed (consecutive edits of one key merge into one undo step)."""

    edited = Signal(object, str)

    def __init__(self, cls: type[Operation], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cls = cls
        self._op: Operation | None = None
        self._rows: dict[str, _Row] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        self.header = QLabel(f"<b>{cls.TITLE}</b> <code>{cls.NAME}</code>", self)
        self.help = QLabel(cls.HELP, self)
        self.help.setWordWrap(True)
        dim(self.help)
        outer.addWidget(self.header)
        outer.addWidget(self.help)
        self.banner = message_label("formError", self)
        outer.addWidget(self.banner)

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setHorizontalSpacing(8)
        self.form.setVerticalSpacing(4)
        outer.addLayout(self.form)
        outer.addStretch(1)

        for spec in cls.SPECS:
            optional = not (spec.required or cls.SINGLE_VALUE)
            label = QLabel(spec.title + ("" if optional else " *"), self)
            tip = describe(spec)
            label.setToolTip(tip)
            editor = make_editor(cls, spec, optional)
            editor.setParent(self)
            editor.setToolTip(tip)
            editor.setObjectName(f"param_{spec.key}")
            editor.changed.connect(lambda key=spec.key: self._on_changed(key))
            label.setBuddy(editor)
            reset = None
            field = QWidget(self)
            h = QHBoxLayout(field)
            h.setContentsMargins(0, 0, 0, 0)
            h.setSpacing(2)
            h.addWidget(editor, 1)
            if optional:
                reset = QToolButton(field)
                reset.setText("↺")
                reset.setAutoRaise(True)
                reset.setObjectName(f"reset_{spec.key}")
                reset.setToolTip(f"Remove {spec.key}_ from the string"
                                 + (f" (OSS then uses {spec.default})" if spec.default is not None
                                    else ""))
                reset.clicked.connect(lambda _=False, key=spec.key: self._reset(key))
                h.addWidget(reset, 0, Qt.AlignmentFlag.AlignTop)
            error = message_label("fieldError", field)
            col = QVBoxLayout()
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(1)
            col.addWidget(field)
            col.addWidget(error)
            self.form.addRow(label, col)
            self._rows[spec.key] = _Row(spec, label, editor, reset, error)

    # -- model -> widgets ------------------------------------------------------------------
    def set_op(self, op: Operation) -> None:
        assert type(op) is self.cls, (type(op), self.cls)
        self._op = op
        for key, row in self._rows.items():
            value = getattr(op, key)
            row.editor.show_value(value, value is not None)
            self._style_row(row, value is not None)
            row.error.setVisible(False)
        self._show_banner(None)

    def op(self) -> Operation | None:
        return self._op

    def editor(self, key: str) -> QWidget:
        return self._rows[key].editor

    def focus_key(self, key: str | None = None) -> None:
        """Keyboard focus to the editor of ``key``, or of the first parameter."""
        row = self._rows.get(key or "") or next(iter(self._rows.values()), None)
        (row.editor if row is not None else self).setFocus(Qt.FocusReason.OtherFocusReason)

    def reset_button(self, key: str) -> QToolButton | None:
        return self._rows[key].reset

    def show_error(self, error: OssError | None) -> None:
        """An error from rendering this step: next to its key when it names one."""
        for row in self._rows.values():
            row.error.setVisible(False)
        if error is None:
            self._show_banner(None)
            return
        row = self._rows.get(error.key or "")
        if row is None and self.cls.SINGLE_VALUE:
            row = next(iter(self._rows.values()), None)
        text = error_text(error)
        if row is not None:
            row.error.setText(text)
            row.error.setVisible(True)
            self._show_banner(None)
        else:
            self._show_banner(text)

    def _style_row(self, row: _Row, given: bool) -> None:
        f = row.label.font()
        f.setBold(given)
        row.label.setFont(f)
        if row.reset is not None:
            row.reset.setEnabled(given)

    def _show_banner(self, text: str | None) -> None:
        self.banner.setVisible(bool(text))
        self.banner.setText(text or "")

    # -- widgets -> model --------------------------------------------------------------------
    def _reset(self, key: str) -> None:
        self._propose(key, None)

    def _on_changed(self, key: str) -> None:
        self._propose(key, self._rows[key].editor.value())

    def _propose(self, key: str, value: Any) -> None:
        if self._op is None:
            return
        row = self._rows[key]
        try:
            if value is not None:
                value = row.spec.validate(value)
            op = self._op.replace(**{key: value})
            op.check()
        except OssError as e:
            # Keep the document on the last valid step; say what is wrong where it is.
            target = self._rows.get(e.key or "") or row
            target.error.setText(error_text(e))
            target.error.setVisible(True)
            return
        for r in self._rows.values():
            r.error.setVisible(False)
        self._show_banner(None)
        self._style_row(row, value is not None)
        if op != self._op:
            self._op = op
            self.edited.emit(op, key)
        if value is None:
            row.editor.show_value(None, False)


def message_label(name: str, parent: QWidget | None = None) -> QLabel:
    """A hidden, wrapping, selectable label for an inline message; ``name`` picks its look
    in the app style sheet (errors red, notes blue: see viewer.theme.stylesheet)."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setVisible(False)
    return label
