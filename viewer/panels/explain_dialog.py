"""The "Explain URL" tool: paste an OSS URL (and OSS's error response), read why it fails.

The same report as ``oss-img explain`` (core.oss.explain), shown with the differing
characters of OSS's and our StringToSign / CanonicalRequest highlighted. The URL field and
the error field are paste and drop targets; the report follows every edit. "Load object
and cascade" hands the URL's object and its x-oss-process to the main window
(:attr:`ExplainDialog.loadRequested`), which opens them through its usual URL path.

Credentials come from the shared :class:`viewer.model.session.Session`; the clock is a parameter
so tests never depend on the wall clock.
"""
from __future__ import annotations

import time
from typing import Callable

import re

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QTextOption
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QPushButton, QSplitter,
                               QTextBrowser, QVBoxLayout, QWidget)

from core.errors import OssError
from core.oss.explain import ExplainReport, explain, load_target
from core.oss.explain import parse_headers as core_parse_headers
from core.oss.explain_causes import METHODS
from core.oss.explain_render import render_text

from .explain_view import report_html
from .forms import message_label
from ..model.texts import error_text
from ..model.session import Session


class _PasteField(QPlainTextEdit):
    """Plain text only (a pasted rich-text URL must not bring its formatting)."""

    def __init__(self, placeholder: str, lines: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        height = self.fontMetrics().lineSpacing() * lines + 12
        self.setMinimumHeight(height)
        self.setMaximumHeight(2 * height)

    def insertFromMimeData(self, source) -> None:  # noqa: N802
        if source.hasText():
            self.insertPlainText(source.text().strip())
        elif source.hasUrls():
            self.insertPlainText(source.urls()[0].toString())


def parse_headers(text: str) -> dict[str, str]:
    """``K:V`` pairs, one a line or separated by ``;`` (blank lines skipped)."""
    return core_parse_headers(item.strip() for item in text.replace(";", "\n").splitlines()
                              if item.strip())


class ExplainDialog(QDialog):
    """Non-modal: it stays open next to the main window while the user tries URLs."""

    loadRequested = Signal(str, str)   # object URL ('' when it cannot be fetched), process
    explained = Signal(object)         # the ExplainReport (None when the field is empty)

    def __init__(self, session: Session | None = None, parent: QWidget | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.setObjectName("explainDialog")
        self.setWindowTitle("Explain URL")
        self.session = session if session is not None else Session(self)
        self._clock = clock
        self.report: ExplainReport | None = None

        self.url_edit = _PasteField("Paste or drop an OSS URL (signed or not)…", 3)
        self.url_edit.setObjectName("explainUrl")
        self.method = QComboBox()
        self.method.addItems(METHODS)
        self.headers = QLineEdit()
        self.headers.setPlaceholderText("headers sent, e.g. Content-Type:image/jpeg; "
                                        "x-oss-meta-a:1")
        self.bucket = QLineEdit()
        self.bucket.setPlaceholderText("bucket (custom domain only)")
        self.error_edit = _PasteField("Optional: paste OSS's error response (the <Error> "
                                      "XML, or the x-oss-err header of a HEAD)", 3)
        self.error_edit.setObjectName("explainErrorXml")
        self.message = message_label("errorMessage")
        self.credentials_label = QLabel()
        self.credentials_label.setWordWrap(True)
        self.view = QTextBrowser()
        self.view.setObjectName("explainReport")
        self.view.setOpenExternalLinks(False)
        # Canonical queries are long and have no spaces: wrap them anywhere.
        self.view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.load_button = QPushButton("Load object and cascade")
        self.load_button.setToolTip("Open the URL's object in the viewer with its "
                                    "x-oss-process as the cascade")
        self.copy_button = QPushButton("Copy report")
        self.load_note = message_label("noteMessage")

        request = QHBoxLayout()
        request.addWidget(QLabel("Method"))
        request.addWidget(self.method)
        request.addWidget(self.headers, 3)
        request.addWidget(self.bucket, 1)
        top = QWidget()
        form = QVBoxLayout(top)
        form.setContentsMargins(0, 0, 0, 0)
        form.addWidget(QLabel("URL"))
        form.addWidget(self.url_edit)
        form.addLayout(request)
        form.addWidget(QLabel("OSS error response (optional)"))
        form.addWidget(self.error_edit)
        form.addWidget(self.credentials_label)
        form.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.view)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 600])
        split.setChildrenCollapsible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.load_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.load_note)
        layout.addWidget(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.refresh)
        for signal in (self.url_edit.textChanged, self.error_edit.textChanged,
                       self.headers.textChanged, self.bucket.textChanged,
                       self.method.currentTextChanged):
            signal.connect(lambda *_: self._timer.start())
        self.session.changed.connect(self.refresh)
        self.load_button.clicked.connect(self.load)
        self.copy_button.clicked.connect(self.copy_report)
        self.resize(980, 760)
        self.refresh()

    # -- intents -------------------------------------------------------------------------
    def set_url(self, url: str, error_xml: str | None = None) -> None:
        self.url_edit.setPlainText(url.strip())
        if error_xml is not None:
            self.error_edit.setPlainText(error_xml)
        self.refresh()

    def refresh(self) -> None:
        self._timer.stop()
        creds = self.session.credentials()
        self.credentials_label.setText("Credentials: " + self.session.describe())
        url = self.url_edit.toPlainText().strip()
        self.message.setVisible(False)
        self.load_note.setVisible(False)
        if not url:
            self.report = None
            self.view.setHtml("<p style='color:#777'>Paste an OSS URL above. With OSS's error "
                              "response too, the tool compares OSS's StringToSign with ours "
                              "and names the cause.</p>")
            self.load_button.setEnabled(False)
            self.explained.emit(None)
            return
        try:
            report = explain(url, now=self._clock(), method=self.method.currentText(),
                             headers=parse_headers(self.headers.text()), credentials=creds,
                             error_xml=self.error_edit.toPlainText().strip() or None,
                             bucket=self.bucket.text().strip() or None)
        except OssError as e:
            self.message.setText(error_text(e))
            self.message.setVisible(True)
            return
        self.report = report
        self.view.setHtml(report_html(report))
        self.load_button.setEnabled(report.anatomy.key is not None)
        self.explained.emit(report)

    def load(self) -> None:
        if self.report is None:
            return
        url, process, note = load_target(self.report, self.session.credentials(),
                                         now=self._clock())
        if note:
            self.load_note.setText(note)
            self.load_note.setVisible(True)
        if url or process:
            self.loadRequested.emit(url or "", process or "")

    def copy_report(self) -> None:
        if self.report is not None:
            QGuiApplication.clipboard().setText(render_text(self.report))


URL_RE = re.compile(r"https?://\S+\Z")


class ExplainTool(QObject):
    """The tool as the main window sees it: two actions and a dialog made on first use.

    ``window`` must offer ``session``, ``process_field.set_text(str)`` and
    ``open_url(str)`` (the usual way the viewer opens a URL).
    """

    def __init__(self, window, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(window)
        self.window = window
        self._clock = clock
        self.dialog: ExplainDialog | None = None
        self.act_explain = QAction("&Explain URL…", window)
        self.act_explain.setShortcut(QKeySequence("Ctrl+Shift+X"))
        self.act_explain.setToolTip("Take an OSS URL apart and say why its signature fails")
        self.act_explain.triggered.connect(lambda: self.show())
        self.act_paste = QAction("Explain &pasted URL", window)
        self.act_paste.setShortcut(QKeySequence("Ctrl+Shift+V"))
        self.act_paste.setToolTip("Explain the URL on the clipboard")
        self.act_paste.triggered.connect(self.paste)
        for a in (self.act_explain, self.act_paste):
            window.addAction(a)

    def show(self, url: str | None = None) -> ExplainDialog:
        if self.dialog is None:
            self.dialog = ExplainDialog(self.window.session, self.window, clock=self._clock)
            self.dialog.loadRequested.connect(self._load)
        if url:
            self.dialog.set_url(url)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def paste(self) -> ExplainDialog:
        text = QGuiApplication.clipboard().text().strip()
        return self.show(text if URL_RE.match(text) else None)

    def _load(self, url: str, process: str) -> None:
        if process:
            self.window.process_field.set_text(process)
        if url:
            self.window.open_url(url)


__all__ = ["ExplainDialog", "ExplainTool", "parse_headers"]
