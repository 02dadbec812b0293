"""One editor per parameter kind, for :class:`viewer.panels.forms.StepForm`: a spin box with the
declared range, a check box for flags, a combo box for enums, a colour picker, decoded text,
and a font picker for the watermark ``type`` (:func:`make_editor` picks one from a
:class:`core.params.ParamSpec`); :func:`describe` is a parameter's tooltip.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRegularExpression, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPalette, QPixmap, QRegularExpressionValidator
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QComboBox, QHBoxLayout, QLabel,
                               QLineEdit, QSizePolicy, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from core.params import Kind, Operation, ParamSpec

from ..bundled_fonts import with_cjk_fallback

INT_LIMIT = 2**31 - 1
UNSET = "—"


def describe(spec: ParamSpec) -> str:
    """Rich tooltip for a parameter: help text, wire key, range, default, error code."""
    lines = [f"<b>{spec.title}</b> <code>{spec.key}</code>"]
    if spec.help:
        lines.append(spec.help)
    facts = []
    if spec.kind in (Kind.INT, Kind.FLAG) and (spec.min is not None or spec.max is not None):
        lo = "" if spec.min is None else spec.min
        hi = "" if spec.max is None else spec.max
        facts.append(f"range [{lo}, {hi}]{' ' + spec.unit if spec.unit else ''}")
    if spec.kind is Kind.ENUM and spec.choices:
        facts.append("one of " + ", ".join(spec.choices))
    if spec.default is not None:
        facts.append(f"default {spec.default}")
    if spec.required:
        facts.append("required")
    if spec.max_bytes:
        facts.append(f"at most {spec.max_bytes} bytes")
    if spec.ec:
        facts.append(f"EC {spec.ec}")
    if facts:
        lines.append("<span style='color:gray'>" + " · ".join(facts) + "</span>")
    return "<br>".join(lines)


# -- editors ----------------------------------------------------------------------------
# Each editor: ``changed`` when the user edits, ``value()`` (None = not given) and
# ``show_value(value, given)``. ``show_value`` never emits and leaves an unchanged editor
# alone, so an echo from the model cannot move the cursor of a field being typed in.

class _QuietSpinBox(QSpinBox):
    """A spin box that ignores the wheel unless focused: scrolling a long form must not
    change values under the pointer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _QuietComboBox(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Long item texts (font names) must not widen the form past its dock.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class IntEditor(QWidget):
    changed = Signal()

    def __init__(self, spec: ParamSpec, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.spin = _QuietSpinBox(self)
        lo = -INT_LIMIT + 1 if spec.min is None else spec.min
        hi = INT_LIMIT if spec.max is None else spec.max
        # An optional key without a default has nothing to show when unset: one step
        # below the minimum reads "—" and means "not given".
        self._blank = optional and spec.default is None
        self.spin.setRange(lo - 1 if self._blank else lo, hi)
        if self._blank:
            self.spin.setSpecialValueText(UNSET)
        if spec.unit:
            self.spin.setSuffix(" " + spec.unit if spec.unit not in ("°", "%") else spec.unit)
        self.spin.setAccelerated(True)
        self.spin.setKeyboardTracking(True)
        self.spin.valueChanged.connect(self.changed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.spin)
        self.setFocusProxy(self.spin)

    def value(self) -> int | None:
        v = self.spin.value()
        if self._blank and v == self.spin.minimum():
            # The "—" slot is one below the minimum, so for w (1-16384) it is 0: a 0 the
            # user typed is a value (refused like w_0), not "not given" (issue 9).
            typed = self.spin.cleanText().strip()
            if typed.lstrip("-").isdigit() and int(typed) == v:
                return v
            return None
        return v

    def show_value(self, value: Any, given: bool) -> None:
        if value is None:
            v = self.spin.minimum() if self._blank else (
                self.spec.default if self.spec.default is not None else self.spin.minimum())
        else:
            v = int(value)
        if self.spin.value() != v:
            with QSignalBlocker(self.spin):
                self.spin.setValue(v)


class FlagEditor(QWidget):
    changed = Signal()

    def __init__(self, spec: ParamSpec, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.box = QCheckBox(self)
        self.box.toggled.connect(self._relabel)
        self.box.toggled.connect(self.changed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.box)
        self.setFocusProxy(self.box)
        self._relabel(self.box.isChecked())

    def _relabel(self, on: bool) -> None:
        self.box.setText("1 (on)" if on else "0 (off)")

    def value(self) -> int:
        return 1 if self.box.isChecked() else 0

    def show_value(self, value: Any, given: bool) -> None:
        v = self.spec.default if value is None else value
        on = bool(v)
        if self.box.isChecked() != on:
            with QSignalBlocker(self.box):
                self.box.setChecked(on)
            self._relabel(on)


class EnumEditor(QWidget):
    changed = Signal()

    def __init__(self, spec: ParamSpec, optional: bool, parent: QWidget | None = None,
                 labels: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.combo = _QuietComboBox(self)
        self._blank = optional and spec.default is None
        if self._blank:
            self.combo.addItem(UNSET, None)
        for choice in spec.choices:
            self.combo.addItem((labels or {}).get(choice, choice), choice)
        self.combo.currentIndexChanged.connect(self.changed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.combo)
        self.setFocusProxy(self.combo)

    def value(self) -> str | None:
        return self.combo.currentData()

    def show_value(self, value: Any, given: bool) -> None:
        v = self.spec.default if value is None else value
        i = self.combo.findData(v)
        if i < 0:
            i = 0
        if self.combo.currentIndex() != i:
            with QSignalBlocker(self.combo):
                self.combo.setCurrentIndex(i)


def swatch_icon(hex_rgb: str, size: int = 16) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor("#" + hex_rgb))
    return QIcon(pm)


class ColorEditor(QWidget):
    """Hex field plus a swatch button that opens the colour dialog."""

    changed = Signal()

    def __init__(self, spec: ParamSpec, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.button = QToolButton(self)
        self.button.setToolTip("Pick a colour")
        self.button.setAutoRaise(False)
        self.button.clicked.connect(self._pick)
        self.edit = QLineEdit(self)
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression("[0-9A-Fa-f]{0,6}"),
                                                           self.edit))
        self.edit.setPlaceholderText("RRGGBB")
        self.edit.setMaxLength(6)
        self.edit.setFont(QFont("monospace"))
        self.edit.textEdited.connect(self._typed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.button)
        lay.addWidget(self.edit, 1)
        self.setFocusProxy(self.edit)
        self._value: str | None = None

    def _typed(self, text: str) -> None:
        if len(text) == 6:
            self._value = text.upper()
            self._paint(self._value)
            self.changed.emit()
        elif not text:
            self._value = None
            self.changed.emit()

    def _pick(self) -> None:
        start = QColor("#" + (self._value or self.spec.default or "000000"))
        color = QColorDialog.getColor(start, self, self.spec.title)
        if color.isValid():
            self._value = color.name()[1:].upper()
            self.edit.setText(self._value)
            self._paint(self._value)
            self.changed.emit()

    def _paint(self, hex_rgb: str | None) -> None:
        if hex_rgb and len(hex_rgb) == 6:
            self.button.setIcon(swatch_icon(hex_rgb, 18))

    def value(self) -> str | None:
        return self._value

    def show_value(self, value: Any, given: bool) -> None:
        self._value = value
        shown = value if value is not None else (self.spec.default or "")
        if self.edit.text().upper() != shown.upper():
            self.edit.setText(shown)
        self._paint(shown)


class TextEditor(QWidget):
    """Decoded text of a base64 parameter; the wire form and byte count shown beneath."""

    changed = Signal()

    def __init__(self, spec: ParamSpec, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.edit = QLineEdit(self)
        # The bundled fonts as fallbacks: the field shows 世界 as the preview draws it.
        self.edit.setFont(with_cjk_fallback(self.edit.font()))
        if spec.default:
            self.edit.setPlaceholderText(str(spec.default))
        self.edit.textEdited.connect(self._typed)
        self.hint = QLabel(self)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The wire form is one long token: let it be clipped (full text in the tooltip)
        # rather than widen the form.
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        dim(self.hint)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.edit)
        lay.addWidget(self.hint)
        self.setFocusProxy(self.edit)

    def _typed(self, _text: str) -> None:
        self._update_hint()
        self.changed.emit()

    def _update_hint(self) -> None:
        text = self.edit.text()
        if not text:
            self.hint.setText("")
            self.hint.setVisible(False)
            return
        encoded = self.spec.encode(text)
        n = len(text.encode("utf-8"))
        limit = f" · {n}/{self.spec.max_bytes} bytes" if self.spec.max_bytes else ""
        self.hint.setText(f"{self.spec.key}_{encoded}{limit}")
        self.hint.setToolTip(self.hint.text())
        self.hint.setVisible(True)

    def value(self) -> str | None:
        return self.edit.text() or None

    def show_value(self, value: Any, given: bool) -> None:
        shown = value or ""
        if self.edit.text() != shown:
            self.edit.setText(shown)
        self._update_hint()


class FontEditor(QWidget):
    """The watermark font: OSS names, with the face we render each with and whether it is
    a substitute for a proprietary OSS font."""

    changed = Signal()

    def __init__(self, spec: ParamSpec, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.combo = _QuietComboBox(self)
        for name, label, tip in font_choices(spec):
            self.combo.addItem(label, name)
            self.combo.setItemData(self.combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.combo.currentIndexChanged.connect(self.changed)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        dim(self.hint)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.combo)
        lay.addWidget(self.hint)
        self.setFocusProxy(self.combo)
        self.combo.currentIndexChanged.connect(self._update_hint)
        self._update_hint()

    def _update_hint(self) -> None:
        tip = self.combo.currentData(Qt.ItemDataRole.ToolTipRole) or ""
        self.hint.setText(tip)
        self.hint.setVisible(bool(tip))

    def value(self) -> str | None:
        return self.combo.currentData()

    def show_value(self, value: Any, given: bool) -> None:
        v = value if value is not None else self.spec.default
        i = self.combo.findData(v)
        if i < 0 and v:
            # A font name we do not know (typed into the process string): show it as is.
            self.combo.addItem(v, v)
            i = self.combo.count() - 1
        if self.combo.currentIndex() != i:
            with QSignalBlocker(self.combo):
                self.combo.setCurrentIndex(max(i, 0))
        self._update_hint()


def font_choices(spec: ParamSpec) -> list[tuple[str, str, str]]:
    """(OSS name, label, note) for the font picker, from core.fonts when present."""
    try:
        from core import fonts
    except ImportError:
        fonts = None
    out = []
    if fonts is not None and hasattr(fonts, "available_fonts"):
        for f in fonts.available_fonts():
            label = f"{f.name} — {f.family}"
            note = (f.note or f"{f.oss_family}, as on OSS") + (
                f" ({f.licence})" if getattr(f, "licence", "") else "")
            out.append((f.name, label, note))
        return out
    return [(c, c, "") for c in spec.choices]


def dim(label: QLabel) -> None:
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(pal)
    f = label.font()
    f.setPointSizeF(f.pointSizeF() * 0.9)
    label.setFont(f)


def make_editor(cls: type[Operation], spec: ParamSpec, optional: bool) -> QWidget:
    if spec.kind is Kind.BASE64 and cls.NAME == "watermark" and spec.key == "type":
        return FontEditor(spec, optional)
    if spec.kind is Kind.INT:
        return IntEditor(spec, optional)
    if spec.kind is Kind.FLAG:
        return FlagEditor(spec, optional)
    if spec.kind is Kind.ENUM:
        return EnumEditor(spec, optional)
    if spec.kind is Kind.COLOR:
        return ColorEditor(spec, optional)
    if spec.kind is Kind.BASE64:
        return TextEditor(spec, optional)
    raise AssertionError(spec.kind)
