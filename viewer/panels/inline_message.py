"""A warning shown in place of a dialog, and labels that wrap without widening their dock."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QStyle, QWidget


def narrow_wrapping(label: QLabel) -> None:
    """A wrapped label that never widens the panel: its minimum width is otherwise its
    longest unbreakable word, and a host name or a requests error
    ("HTTPSConnectionPool(host='bucket.oss-cn-hangzhou.aliyuncs.com', ...") pushed the
    panel past the dock's width. Such a word is cut at the edge instead."""
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)


class InlineMessage(QWidget):
    """A warning shown in place: the style's warning icon and selectable, wrapped text in
    the palette's own text colour (readable in light and dark palettes; the icon is
    re-rendered when the device pixel ratio changes). Hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.icon = QLabel(self)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        narrow_wrapping(self.label)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.label, 1)
        self._render_icon()
        self.setVisible(False)

    def _render_icon(self) -> None:
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(icon.pixmap(QSize(size, size), self.devicePixelRatioF()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        if event.type() in (QEvent.Type.DevicePixelRatioChange, QEvent.Type.StyleChange):
            self._render_icon()
        super().changeEvent(event)

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel-like)
        self.label.setText(text)
        self.label.setToolTip(text)   # whole, should a long token be cut at the edge
        self.setVisible(bool(text))

    def text(self) -> str:
        return self.label.text()

    def clear(self) -> None:
        self.setText("")
