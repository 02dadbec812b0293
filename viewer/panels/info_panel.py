"""What OSS's ``image/info`` and ``image/average-hue`` answer for the source or the output.

Both are computed by the engine itself (core.inspect) on a worker, once per image (cached
by content digest), and only for the image the panel is showing.
"""
from __future__ import annotations

import hashlib
import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QPlainTextEdit, QRadioButton,
                               QToolButton, QVBoxLayout, QWidget)

from core.engine import Engine

from .forms import message_label
from ..model.texts import error_text
from ..model.render import Inspection, LatestTask, inspect_image


class Swatch(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(44, 44)
        self.set_color(None)

    def set_color(self, hex_rgb: str | None) -> None:
        self.color = hex_rgb
        if hex_rgb:
            border = self.palette().color(QPalette.ColorRole.Mid).name()
            self.setStyleSheet(f"background:#{hex_rgb}; border:1px solid {border};"
                               "border-radius:6px;")
        else:
            self.setStyleSheet("border:1px dashed gray; border-radius:6px;")


class InfoPanel(QWidget):
    inspected = Signal(object)     # Inspection (tests)

    def __init__(self, engine: Engine | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine or Engine(cache_entries=4)
        self.task = LatestTask(self)
        self.task.finished.connect(self._on_done)
        self.task.failed.connect(self._on_failed)
        self._images: dict[str, bytes | None] = {"source": None, "output": None}
        self._cache: dict[str, Inspection] = {}
        self.current: Inspection | None = None

        self.which = QButtonGroup(self)
        self.rb_source = QRadioButton("Source", self)
        self.rb_output = QRadioButton("Output", self)
        self.rb_source.setToolTip("What OSS answers for the stored object")
        self.rb_output.setToolTip("The same questions asked of the processed image")
        self.rb_source.setChecked(True)
        self.which.addButton(self.rb_source)
        self.which.addButton(self.rb_output)
        self.which.buttonToggled.connect(lambda *_: self.refresh())

        self.swatch = Swatch(self)
        self.hue_label = QLabel("average-hue", self)
        self.hue_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hue_label.setWordWrap(True)   # never wider than the dock
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setObjectName("infoJson")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy JSON")
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        self.message = message_label("infoError", self)

        top = QHBoxLayout()
        top.addWidget(self.rb_source)
        top.addWidget(self.rb_output)
        top.addStretch(1)
        top.addWidget(self.copy_button)
        hue = QHBoxLayout()
        hue.addWidget(self.swatch)
        hue.addWidget(self.hue_label, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addLayout(hue)
        lay.addWidget(self.message)
        lay.addWidget(QLabel("<b>info</b>", self))
        lay.addWidget(self.text, 1)

    def set_image(self, which: str, data: bytes | None) -> None:
        """Offer new bytes for "source" or "output"; recomputed only if shown."""
        if self._images.get(which) is data:
            return
        self._images[which] = data
        if which == self.showing():
            self.refresh()

    def showing(self) -> str:
        return "output" if self.rb_output.isChecked() else "source"

    def refresh(self) -> None:
        which = self.showing()
        data = self._images.get(which)
        if data is None:
            self.task.cancel()
            self._show(None)
            return
        key = which + ":" + hashlib.blake2b(data, digest_size=12).hexdigest()
        if key in self._cache:
            self.task.cancel()
            self._show(self._cache[key])
            return
        engine = self.engine
        self.hue_label.setText("average-hue: …")

        def job(cancelled):
            return key, inspect_image(engine, data, which, cancelled)

        self.task.submit(job)

    def _on_done(self, payload) -> None:
        key, insp = payload
        if len(self._cache) > 16:
            self._cache.clear()
        self._cache[key] = insp
        self._show(insp)
        self.inspected.emit(insp)

    def _on_failed(self, err) -> None:
        self.message.setText(error_text(err))
        self.message.setVisible(True)

    def _show(self, insp: Inspection | None) -> None:
        self.current = insp
        if insp is None:
            self.text.setPlainText("")
            self.swatch.set_color(None)
            self.hue_label.setText("average-hue")
            self.message.setVisible(False)
            return
        self.text.setPlainText(insp.info_text if insp.info is not None else "")
        if insp.hue:
            rgb = insp.hue[2:] if insp.hue.lower().startswith("0x") else insp.hue
            self.swatch.set_color(rgb)
            c = QColor("#" + rgb)
            self.hue_label.setText(f"<b>average-hue</b> <code>{json.dumps({'RGB': insp.hue})}"
                                   f"</code><br>rgb({c.red()}, {c.green()}, {c.blue()})")
        else:
            self.swatch.set_color(None)
            self.hue_label.setText("average-hue: —")
        self.message.setVisible(insp.error is not None)
        if insp.error is not None:
            self.message.setText(error_text(insp.error))
