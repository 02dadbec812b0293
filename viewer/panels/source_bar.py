"""The source bar above the canvas: the source's name and size, the ways to open another
one, and an inline URL field whose errors stay next to it."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from .elide import ElidedLabel
from .forms import message_label


class SourceBar(QWidget):
    """Source name and size, the ways to open another one, and an inline URL field whose
    errors stay next to it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ElidedLabel(self, mode=Qt.TextElideMode.ElideMiddle)
        self.title.setObjectName("sourceTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QToolButton(self)
        self.samples_button = QToolButton(self)
        self.samples_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.url_button = QToolButton(self)
        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("urlEdit")
        self.url_edit.setPlaceholderText("https://bucket.oss-cn-hangzhou.aliyuncs.com/photo.jpg")
        self.url_edit.setClearButtonEnabled(True)
        self.url_go = QToolButton(self)
        self.url_go.setText("Fetch")
        self.url_cancel = QToolButton(self)
        self.url_cancel.setText("Cancel")
        self.message = message_label("sourceError", self)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("<b>Source</b>", self))
        row.addWidget(self.title, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.samples_button)
        row.addWidget(self.url_button)
        self.url_row = QWidget(self)
        ur = QHBoxLayout(self.url_row)
        ur.setContentsMargins(0, 0, 0, 0)
        ur.addWidget(QLabel("URL", self.url_row))
        ur.addWidget(self.url_edit, 1)
        ur.addWidget(self.url_go)
        ur.addWidget(self.url_cancel)
        self.url_row.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 2)
        lay.setSpacing(4)
        lay.addLayout(row)
        lay.addWidget(self.url_row)
        lay.addWidget(self.message)

    def show_message(self, text: str | None, error: bool = True) -> None:
        self.message.setProperty("error", error)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text or "")
        self.message.setVisible(bool(text))
