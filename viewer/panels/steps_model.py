"""The steps list's model and delegate, and what a new step starts as.

:class:`StepsModel` is a thin adapter over :class:`viewer.model.document.Document`: it reads
``doc.steps`` and turns check-box toggles and drops into document intents; it never moves
rows itself, so the document (and its undo stack) is the only place the order changes.
:func:`starter_op` gives a new step of an action a valid, useful example value.
"""
from __future__ import annotations

import zlib

from PySide6.QtCore import (QAbstractListModel, QByteArray, QMimeData, QModelIndex, QRect,
                            QSize, Qt)
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from core.cascade import parse
from core.errors import OssError
from core.params import REGISTRY, Kind, Operation

from ..model.document import Document
from ..model.texts import error_text

MIME = "application/x-oss-style-viewer-step"
ERROR_COLOR = QColor("#e5484d")

# What a new step starts as: a valid, useful example of the action rather than the bare
# minimum. Names missing here (or whose example no longer parses) fall back to
# :func:`generic_starter`, so new core actions appear in the palette with no change here.
STARTERS = {
    "resize": "resize,w_300",
    "crop": "crop,w_200,h_200,g_center",
    "indexcrop": "indexcrop,x_100,i_0",
    "circle": "circle,r_100",
    "rounded-corners": "rounded-corners,r_30",
    "rotate": "rotate,90",
    "auto-orient": "auto-orient,1",
    "blur": "blur,r_3,s_2",
    "bright": "bright,20",
    "contrast": "contrast,20",
    "sharpen": "sharpen,100",
    "format": "format,png",
    "quality": "quality,q_80",
    "interlace": "interlace,1",
    # text_ is base64 of "OSS Style Viewer"
    "watermark": "watermark,text_T1NTIFN0eWxlIFZpZXdlcg,size_24,color_FFFFFF,shadow_50,g_se",
}

# Palette sections by the core module that defines the action.
GROUPS = {"geometry": "Geometry", "adjust": "Tone and detail", "output": "Output",
          "watermark": "Watermark", "query": "Query (JSON answers)"}


def _example_value(cls: type[Operation], spec) -> object:
    if spec.default is not None:
        return spec.default
    if spec.kind is Kind.ENUM and spec.choices:
        return spec.choices[0]
    if spec.kind is Kind.COLOR:
        return "000000"
    if spec.kind is Kind.BASE64:
        return spec.choices[0] if spec.choices else cls.TITLE
    return spec.min if spec.min is not None and spec.min > 0 else 1


def generic_starter(cls: type[Operation]) -> Operation:
    """A valid instance built from the declarations alone: required keys get an example
    value, then each key a cross-parameter check asks for ("resize needs w, h, ...")."""
    values = {s.key: _example_value(cls, s) for s in cls.SPECS
              if s.required or cls.SINGLE_VALUE}
    for _ in range(len(cls.SPECS) + 1):
        op = cls(**values)
        try:
            op.check()
            return op
        except OssError as e:
            spec = cls.spec(e.key or "")
            if spec is None or spec.key in values:
                raise
            values[spec.key] = _example_value(cls, spec)
    raise AssertionError("unreachable")


def starter_op(name: str) -> Operation:
    cls = REGISTRY[name]
    snippet = STARTERS.get(name)
    if snippet:
        try:
            (op,) = parse("image/" + snippet).steps
            return op
        except (OssError, ValueError):
            pass
    return generic_starter(cls)


def merge_id(index: int, key: str) -> int:
    """Undo merge id for "edit key of step index" (non-negative, as QUndoCommand wants)."""
    return zlib.crc32(f"{index}:{key}".encode()) & 0x7FFFFFFF


def params_text(op: Operation) -> str:
    """The step's parameters as they appear on the wire (after the action name)."""
    return op.to_string().partition(",")[2]


class StepsModel(QAbstractListModel):
    OpRole = Qt.ItemDataRole.UserRole + 1
    ParamsRole = Qt.ItemDataRole.UserRole + 2
    ErrorRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.errors: dict[int, OssError] = {}
        doc.stepsChanged.connect(self._reset)

    def _reset(self) -> None:
        self.beginResetModel()
        self.errors.clear()
        self.endResetModel()

    def set_error(self, index: int | None, error: OssError | None) -> None:
        old = set(self.errors)
        self.errors = {index: error} if index is not None and error is not None else {}
        for row in old | set(self.errors):
            if 0 <= row < self.rowCount():
                i = self.index(row)
                self.dataChanged.emit(i, i)

    # -- read ------------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.doc.steps)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.doc.steps):
            return None
        step = self.doc.steps[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return step.op.NAME
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if step.enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"<b>{step.op.TITLE}</b><br>{step.op.HELP}<br><code>{step.op.to_string()}</code>"
            err = self.errors.get(index.row())
            if err is not None:
                tip += f"<br><span style='color:{ERROR_COLOR.name()}'>{error_text(err)}</span>"
            if not step.enabled:
                tip += "<br><i>Disabled: left out of the process string.</i>"
            return tip
        if role == self.OpRole:
            return step.op
        if role == self.ParamsRole:
            return params_text(step.op)
        if role == self.ErrorRole:
            return self.errors.get(index.row())
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled
        if not index.isValid():
            return base | Qt.ItemFlag.ItemIsDropEnabled
        return (base | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsDragEnabled)

    # -- write: every change is a document intent -----------------------------------------------
    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role == Qt.ItemDataRole.CheckStateRole and index.isValid():
            enabled = Qt.CheckState(value) == Qt.CheckState.Checked
            if enabled != self.doc.steps[index.row()].enabled:
                self.doc.set_enabled(index.row(), enabled)
            return True
        return False

    def supportedDropActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime.setData(MIME, QByteArray(",".join(map(str, rows)).encode()))
        return mime

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        if action != Qt.DropAction.MoveAction or not data.hasFormat(MIME):
            return False
        try:
            (src,) = [int(r) for r in bytes(data.data(MIME)).decode().split(",") if r]
        except ValueError:
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else self.rowCount()
        dst = row if row <= src else row - 1
        if 0 <= src < self.rowCount() and dst != src:
            self.doc.move_step(src, min(dst, self.rowCount() - 1))
        # False: the view must not remove the dragged row; the document already moved it.
        return False


class StepDelegate(QStyledItemDelegate):
    """Action name in bold, then its wire parameters dimmed; disabled steps struck through;
    a step the engine rejected gets a red marker."""

    def sizeHint(self, option, index) -> QSize:
        s = super().sizeHint(option, index)
        return QSize(s.width(), max(s.height(), option.fontMetrics.height() + 10))

    def paint(self, painter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        enabled = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        error = index.data(StepsModel.ErrorRole)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        pal = opt.palette
        fg = pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        dim = QColor(fg)
        dim.setAlphaF(0.62 if enabled else 0.45)
        if not enabled:
            fg = QColor(fg)
            fg.setAlphaF(0.5)
        painter.save()
        number = f"{index.row() + 1}."
        f = QFont(opt.font)
        fm = painter.fontMetrics()
        x = text_rect.left() + 2
        painter.setPen(dim)
        painter.drawText(QRect(x, text_rect.top(), fm.horizontalAdvance("00."), text_rect.height()),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, number)
        x += fm.horizontalAdvance("00.") + 6
        f.setBold(True)
        f.setStrikeOut(not enabled)
        painter.setFont(f)
        painter.setPen(fg)
        name = index.data(Qt.ItemDataRole.DisplayRole)
        bold_fm = painter.fontMetrics()
        painter.drawText(QRect(x, text_rect.top(), text_rect.right() - x, text_rect.height()),
                         Qt.AlignmentFlag.AlignVCenter, name)
        x += bold_fm.horizontalAdvance(name) + 8
        f.setBold(False)
        painter.setFont(f)
        painter.setPen(dim)
        right = text_rect.right() - (18 if error is not None else 0)
        params = painter.fontMetrics().elidedText(index.data(StepsModel.ParamsRole) or "",
                                                  Qt.TextElideMode.ElideRight, max(0, right - x))
        painter.drawText(QRect(x, text_rect.top(), max(0, right - x), text_rect.height()),
                         Qt.AlignmentFlag.AlignVCenter, params)
        if error is not None:
            d = 10
            painter.setRenderHint(painter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(ERROR_COLOR)
            cy = text_rect.center().y()
            painter.drawEllipse(text_rect.right() - d - 4, cy - d // 2, d, d)
        painter.restore()
