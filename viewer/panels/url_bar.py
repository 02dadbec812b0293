"""The URL in plain sight: under the canvas, the current object's URL with the cascade.

Shown in full in a monospace, selectable view that wraps only after ``/ , ? & =`` (a
zero-width space follows each; copying leaves them out), with one-click copy for the
plain, style and signed URL -- the signed one is signed afresh on click and its expiry
shown -- and a "Code" button for ready-to-paste snippets (:mod:`core.oss.snippets`).
Everything is computed by :func:`viewer.model.url_model.build_urls` from the
:class:`viewer.model.connection.Connection` and the current document, again on every edit.

``set_document`` changes which document it follows (the A/B compare of issue 10 points it
at the focused side).
"""
from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextOption
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel,
                               QPlainTextEdit, QPushButton, QSizePolicy, QTextEdit,
                               QToolButton, QVBoxLayout, QWidget)

from core.errors import OssError
from core.oss.credentials import mask
from core.oss.snippets import LANGUAGES, TITLES, SnippetTarget, snippet
from core.oss.urls import encode_query_component

from ..model.connection import Connection
from ..model.document import Document
from .elide import ElidedLabel
from .process_field import whole_lines_height
from .url_copy import copy_output
from ..model.url_model import UrlResults, build_urls

ZWSP = "\u200b"
URL_BREAKS = "/,?&="
URL_LINES = 3


def mask_token(text: str, token: str | None) -> str:
    """``text`` with the STS token (raw or query-encoded) replaced by its masked form."""
    if not token or not text:
        return text
    return text.replace(encode_query_component(token), mask(token)).replace(token, mask(token))


def breakable(url: str) -> str:
    return "".join(c + ZWSP if c in URL_BREAKS else c for c in url)


class UrlView(QTextEdit):
    """Read-only, selectable, monospace; wraps at URL separators; copies clean text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("urlView")
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(whole_lines_height(self, URL_LINES))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._url = ""

    def url(self) -> str:
        return self._url

    def set_url(self, url: str, placeholder: str = "") -> None:
        self._url = url
        if url:
            self.setPlainText(breakable(url))
        else:
            self.clear()
            self.setPlaceholderText(placeholder)

    def createMimeDataFromSelection(self):  # noqa: N802 - Qt override
        mime = super().createMimeDataFromSelection()
        mime.setText(mime.text().replace(ZWSP, ""))
        return mime


class SnippetDialog(QDialog):
    """One snippet at a time, chosen by language, with a Copy button."""

    def __init__(self, bar: "UrlBar") -> None:
        super().__init__(bar.window())
        self.setWindowTitle("Code to fetch this object")
        self.bar = bar
        self.language = QComboBox(self)
        for lang in LANGUAGES:
            self.language.addItem(TITLES[lang], lang)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.clicked.connect(self.copy)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Language", self))
        top.addWidget(self.language, 1)
        top.addWidget(self.copy_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.note)
        lay.addWidget(buttons)
        self.resize(760, 460)
        self.language.currentIndexChanged.connect(self.refresh)
        bar.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        code, why = self.bar.snippet(self.language.currentData())
        self._code = code or ""
        # A signed URL (curl) carries the STS token by design: copied whole, shown masked.
        creds = self.bar.connection.credentials()
        self.text.setPlainText(mask_token(self._code, creds.security_token if creds else None))
        self.note.setText(why or "Credentials are read from OSS_ACCESS_KEY_ID / "
                          "OSS_ACCESS_KEY_SECRET when the code runs; nothing secret is "
                          "in it.")
        self.copy_button.setEnabled(bool(code))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._code)
        self.note.setText(f"Copied the {self.language.currentText()} snippet.")


class UrlBar(QWidget):
    """The current URL and its copy buttons. ``copied(kind)`` after a copy."""

    copied = Signal(str)
    changed = Signal()

    KINDS = {"plain": "URL", "style": "Style URL", "signed": "Signed URL"}

    def __init__(self, doc: Document, connection: Connection, parent: QWidget | None = None,
                 *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.setObjectName("urlBar")
        self.connection = connection
        self.clock = clock
        self.doc: Document | None = None
        self.results = UrlResults()
        self.view = UrlView(self)
        self.buttons: dict[str, QToolButton] = {}
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(QLabel("Copy", self))
        for kind, label in (("plain", "URL"), ("style", "Style URL"),
                            ("signed", "Signed URL")):
            b = QToolButton(self)
            b.setText(label)
            b.clicked.connect(lambda _=False, k=kind: self.copy(k))
            self.buttons[kind] = b
            buttons.addWidget(b)
        self.code_button = QToolButton(self)
        self.code_button.setText("Code…")
        self.code_button.setToolTip("Code that fetches this object with this cascade: .NET, "
                                    "Java, Go, Node.js, PHP, Python, ossutil, curl")
        self.code_button.clicked.connect(self.show_snippets)
        buttons.addWidget(self.code_button)
        self.status = ElidedLabel(self)
        self.status.setObjectName("urlStatus")
        buttons.addWidget(self.status, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(2)
        lay.addWidget(self.view)
        lay.addLayout(buttons)
        self.dialog: SnippetDialog | None = None
        connection.changed.connect(self.refresh)
        self.set_document(doc)

    # -- the document it follows -----------------------------------------------------------
    def set_document(self, doc: Document) -> None:
        """Follow ``doc`` from now on (its cascade and its source name)."""
        if self.doc is doc:
            return
        if self.doc is not None:
            for sig in (self.doc.stepsChanged, self.doc.sourceChanged):
                try:
                    sig.disconnect(self.refresh)
                except (RuntimeError, TypeError):
                    pass
        self.doc = doc
        doc.stepsChanged.connect(self.refresh)
        doc.sourceChanged.connect(self.refresh)
        self.refresh()

    def document(self) -> Document | None:
        return self.doc

    # -- outputs ---------------------------------------------------------------------------
    def refresh(self, *_args) -> None:
        c = self.connection
        creds = c.credentials()
        self.results = build_urls(c.url_form(), self.doc.source_name if self.doc else "",
                                  self.doc.process_string() if self.doc else "", creds,
                                  c.session.problem(), self.clock())
        plain = self.results.texts.get("plain", "")
        why = self.results.errors.get("plain", "")
        self.view.set_url(plain, f"{why} The URL appears here once the connection names "
                          "a bucket (Connection › Edit…)." if why else "")
        for kind, b in self.buttons.items():
            b.setEnabled(kind in self.results.texts)
            b.setToolTip(self.results.errors.get(kind) or self._tip(kind))
        self.changed.emit()

    def _tip(self, kind: str) -> str:
        if kind == "signed":
            return (f"Signed now, valid {self.connection.profile.expiry} s "
                    f"({self.connection.profile.version.upper()})")
        return f"Copy the {self.KINDS[kind]}"

    def copy(self, kind: str) -> bool:
        """Put one URL on the clipboard; a signed URL is signed afresh, now."""
        self.refresh()
        if not copy_output(self.results, kind, self.KINDS[kind], self.status):
            return False
        self.copied.emit(kind)
        return True

    def snippet_target(self) -> SnippetTarget:
        """What the snippets fetch; OssError says what the connection lacks."""
        c = self.connection
        address = c.address()
        key = c.profile.key or (self.doc.source_name if self.doc else "")
        if not key:
            raise OssError("MissingArgument", "Open an image or set an object key.",
                           key="key")
        region = c.signing_region() if c.profile.version == "v4" else None
        url = self.results.texts.get("signed" if c.profile.private else "plain", "")
        return SnippetTarget(address, key, self.doc.process_string() if self.doc else "",
                             region=region, anonymous=not c.profile.private, url=url,
                             expires=c.profile.expiry)

    def snippet(self, language: str) -> tuple[str | None, str | None]:
        try:
            target = self.snippet_target()
        except OssError as e:
            return None, e.message
        if language == "curl" and not target.url:
            return None, self.results.errors.get("signed") or "No URL to download."
        return snippet(language, target), None

    def show_snippets(self) -> SnippetDialog:
        if self.dialog is None:
            self.dialog = SnippetDialog(self)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog
