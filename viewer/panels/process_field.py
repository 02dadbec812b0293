"""The ``x-oss-process`` string, editable, in sync with the steps both ways.

Typing is parsed after a short pause. A valid string replaces the cascade (one undo step);
an invalid one underlines the exact token the parser blames, explains it in OSS terms
(code, message, step and key, EC) and leaves the document -- the last valid cascade --
untouched. While the user's text parses to what the document holds, their spelling is
kept (no reformatting under the cursor); it is canonicalised when editing ends.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QKeyEvent, QPalette, QSyntaxHighlighter,
                           QTextCharFormat, QTextCursor)
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QPlainTextEdit, QSizePolicy,
                               QTextEdit, QToolButton, QVBoxLayout, QWidget)

from core.cascade import parse
from core.errors import OssError

from ..model.document import Document
from .forms import message_label
from ..model.texts import error_text
from ..model.sources import process_from_text

PARSE_DELAY_MS = 250
FIELD_LINES = 3          # the field's fixed height: it never grows (the canvas never jumps)
# Line breaks are allowed only after "/" and ",": the edit holds a zero-width space after
# each (Qt breaks lines there and nowhere else in a token); text() never shows them.
# A word joiner after "-" stops the break Unicode allows there ("rounded-|corners").
ZWSP = "\u200b"
WJ = "\u2060"
INVISIBLE = ZWSP + WJ
BREAK_AFTER = "/,"


def whole_lines_height(edit, lines: int) -> int:
    """The height of a text edit that shows exactly ``lines`` lines of its font."""
    margin = edit.document().documentMargin()
    return int(lines * edit.fontMetrics().lineSpacing() + margin + 2 * edit.frameWidth())


def with_breaks(plain: str) -> str:
    """``plain`` with a zero-width space after every ``/`` and ``,`` (and a word joiner
    after every ``-``)."""
    return "".join(c + ZWSP if c in BREAK_AFTER else c + WJ if c == "-" else c
                   for c in plain)


def strip_breaks(shown: str) -> str:
    return shown.replace(ZWSP, "").replace(WJ, "")


def plain_to_shown(shown: str, pos: int) -> int:
    """Index in the shown text (with breaks) of plain-text offset ``pos``; after the break
    that may follow, so typing continues after the separator."""
    count = 0
    for i, c in enumerate(shown):
        if c in INVISIBLE:
            continue
        if count == pos:
            return i
        count += 1
    return len(shown)


class _Highlighter(QSyntaxHighlighter):
    """Action names stand out from their parameters, so a long string reads as steps."""

    def __init__(self, doc) -> None:
        super().__init__(doc)
        self.action = QTextCharFormat()
        self.action.setFontWeight(QFont.Weight.Bold)
        self.sep = QTextCharFormat()

    def set_palette(self, pal: QPalette) -> None:
        self.sep.setForeground(pal.color(QPalette.ColorRole.PlaceholderText))
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        pos = 0
        for i, seg in enumerate(text.split("/")):
            if i == 0:
                self.setFormat(pos, len(seg), self.sep)  # "image" / "style"
            else:
                name = seg.split(",", 1)[0]
                self.setFormat(pos, len(name), self.action)
            pos += len(seg)
            if pos < len(text):
                self.setFormat(pos, 1, self.sep)
            pos += 1


class _Edit(QPlainTextEdit):
    """A one-line-at-heart text field that wraps long strings at ``/`` and ``,`` only.

    The zero-width spaces that allow those breaks are invisible to the user: the cursor
    steps over them, Backspace after a separator deletes the separator, copy leaves them
    out."""

    submitted = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._going_left = False
        self._adjusting = False
        self.cursorPositionChanged.connect(self._skip_break)

    def _char(self, pos: int) -> str:
        return self.document().characterAt(pos) if pos >= 0 else ""

    def _skip_break(self) -> None:
        cur = self.textCursor()
        if self._adjusting or not self._char(cur.position()) \
                or self._char(cur.position()) not in INVISIBLE:
            return
        mode = (QTextCursor.MoveMode.KeepAnchor if cur.hasSelection()
                else QTextCursor.MoveMode.MoveAnchor)
        cur.movePosition(QTextCursor.MoveOperation.PreviousCharacter if self._going_left
                         else QTextCursor.MoveOperation.NextCharacter, mode)
        self.setTextCursor(cur)

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
            return
        cur = self.textCursor()
        self._going_left = e.key() in (Qt.Key.Key_Left, Qt.Key.Key_Home, Qt.Key.Key_Up,
                                       Qt.Key.Key_Backspace)
        try:
            before = self._char(cur.position() - 1)
            if e.key() == Qt.Key.Key_Backspace and not cur.hasSelection() \
                    and before and before in INVISIBLE:
                cur.movePosition(QTextCursor.MoveOperation.PreviousCharacter)
                self._adjusting = True   # land between the separator and its break
                self.setTextCursor(cur)
                self._adjusting = False
            super().keyPressEvent(e)
        finally:
            self._going_left = False

    def createMimeDataFromSelection(self):  # noqa: N802 - Qt override
        mime = super().createMimeDataFromSelection()
        mime.setText(strip_breaks(mime.text()))
        return mime

    def insertFromMimeData(self, source) -> None:  # noqa: N802 - Qt override
        # A pasted URL or "x-oss-process=..." becomes just the process string; newlines go.
        if source.hasText():
            self.insertPlainText(process_from_text(source.text().replace("\n", "")))
        else:
            super().insertFromMimeData(source)

    def focusOutEvent(self, e) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(e)
        self.submitted.emit()


class ProcessField(QWidget):
    """``errorChanged(OssError | None)`` tells others (the steps list) which step is bad."""

    errorChanged = Signal(object)

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.error: OssError | None = None

        self.label = QLabel("x-oss-process", self)
        self.label.setToolTip("The processing string OSS receives. Edit it here or with the "
                              "steps; paste a whole OSS URL to take its x-oss-process.")
        self.edit = _Edit(self)
        self.edit.setObjectName("processEdit")
        self.edit.setTabChangesFocus(True)
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Break at word boundaries only: with a zero-width space after every "/" and ","
        # those are the only boundaries inside a process string.
        self.edit.setWordWrapMode(self.edit.wordWrapMode().WrapAtWordBoundaryOrAnywhere)
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setPlaceholderText("image/resize,w_300/format,png")
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit_height()
        self.highlighter = _Highlighter(self.edit.document())
        self.highlighter.set_palette(self.palette())

        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the process string")
        self.copy_button.clicked.connect(self.copy)
        self.revert_button = QToolButton(self)
        self.revert_button.setText("Revert")
        self.revert_button.setToolTip("Discard the invalid text and show the current cascade")
        self.revert_button.clicked.connect(self.revert)
        self.revert_button.setVisible(False)

        self.message = message_label("processError", self)
        # One reserved line: an error appearing or going never moves what is below.
        self.message.setWordWrap(False)
        policy = self.message.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.message.setSizePolicy(policy)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.edit, 1)
        buttons = QVBoxLayout()
        buttons.setSpacing(2)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        top.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addLayout(top)
        outer.addWidget(self.message)

        self._timer = QTimer(self, singleShot=True, interval=PARSE_DELAY_MS)
        self._timer.timeout.connect(self.apply_text)
        self.edit.textChanged.connect(self._on_text_changed)
        self.edit.submitted.connect(self._on_submitted)
        doc.stepsChanged.connect(self._on_steps_changed)
        self._show_canonical()

    # -- public ------------------------------------------------------------------------------
    def text(self) -> str:
        return strip_breaks(self.edit.toPlainText())

    def set_text(self, text: str) -> None:
        """Type ``text`` as if the user did (tests, paste from the main window)."""
        self.edit.setPlainText(with_breaks(text))
        self.apply_text()

    def copy(self) -> None:
        QApplication.clipboard().setText(self.doc.process_string())

    def revert(self) -> None:
        self._show_canonical()

    def focus(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    # -- sync ----------------------------------------------------------------------------------
    def _on_text_changed(self) -> None:
        self._insert_breaks()
        self._timer.start()

    def _insert_breaks(self) -> None:
        """Keep a zero-width space after every separator (and nowhere else) as the user
        types; the cursor keeps its place in the plain text."""
        shown = self.edit.toPlainText()
        plain = strip_breaks(shown)
        want = with_breaks(plain)
        if shown == want:
            return
        cur = self.edit.textCursor()
        pos = len(strip_breaks(shown[:cur.position()]))
        with QSignalBlocker(self.edit):
            edit = QTextCursor(self.edit.document())
            edit.joinPreviousEditBlock()    # one undo step with the user's own edit
            edit.select(QTextCursor.SelectionType.Document)
            edit.insertText(want)
            edit.endEditBlock()
            cur = self.edit.textCursor()
            cur.setPosition(plain_to_shown(want, pos))
            self.edit.setTextCursor(cur)

    def _on_submitted(self) -> None:
        self._timer.stop()
        self.apply_text()
        if self.error is None and self.text() != self.doc.process_string():
            self._show_canonical()

    def apply_text(self) -> None:
        self._timer.stop()
        text = self.text()
        try:
            cascade = parse(text)
            if cascade.is_style:
                raise OssError("InvalidArgument",
                               f"style/{cascade.style} is a style reference: open it from the "
                               "Style library to edit its actions.", key="stylename",
                               span=(0, len(text)))
        except OssError as e:
            self._set_error(e)
            return
        self._set_error(None)
        if cascade != self.doc.cascade():
            self.doc.set_process_string(text)

    def _on_steps_changed(self) -> None:
        # Keep the user's own spelling while it means the same cascade.
        try:
            same = parse(self.text()) == self.doc.cascade()
        except OssError:
            same = False
        if not same:
            self._show_canonical()

    def _show_canonical(self) -> None:
        with QSignalBlocker(self.edit):
            self.edit.setPlainText(with_breaks(self.doc.process_string()))
        self._set_error(None)

    # -- presentation --------------------------------------------------------------------------
    def _set_error(self, error: OssError | None) -> None:
        self.error = error
        self.revert_button.setVisible(error is not None)
        self.message.setVisible(error is not None)
        selections = []
        if error is not None:
            where = error.where()
            full = (error_text(error) + (f" — at {where}" if where else "")
                    + ". The preview keeps the last valid cascade.")
            self.message.setToolTip(full)
            self._elide_message()
            span = error.span or (0, len(self.text()))
            sel = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor("#e5484d"))
            fmt.setBackground(QColor(229, 72, 77, 60))
            sel.format = fmt
            cur = QTextCursor(self.edit.document())
            start = max(0, min(span[0], len(self.text())))
            end = max(start, min(span[1], len(self.text())))
            if end == start:  # e.g. a missing value at the end: mark the last character
                start = max(0, end - 1)
            shown = self.edit.toPlainText()
            cur.setPosition(plain_to_shown(shown, start))
            cur.setPosition(plain_to_shown(shown, end), QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cur
            selections.append(sel)
        self.edit.setExtraSelections(selections)
        self.errorChanged.emit(error)

    def error_span(self) -> tuple[int, int] | None:
        sels = self.edit.extraSelections()
        if not sels:
            return None
        c = sels[0].cursor
        shown = self.edit.toPlainText()

        def plain(pos: int) -> int:
            return len(strip_breaks(shown[:pos]))
        return (plain(c.selectionStart()), plain(c.selectionEnd()))

    def _fit_height(self) -> None:
        # A fixed height of whole lines (no half line peeking at the bottom): longer
        # strings scroll inside the field rather than push the canvas down as they grow.
        self.edit.setFixedHeight(whole_lines_height(self.edit, FIELD_LINES))

    def resizeEvent(self, e) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(e)
        self._elide_message()

    def _elide_message(self) -> None:
        """The message fits its one line; the whole of it is in the tooltip."""
        full = self.message.toolTip()
        if full:
            self.message.setText(self.message.fontMetrics().elidedText(
                full, Qt.TextElideMode.ElideRight, max(80, self.width() - 16)))

    def changeEvent(self, e) -> None:  # noqa: N802 - Qt override
        if e.type() == e.Type.PaletteChange:
            self.highlighter.set_palette(self.palette())
        super().changeEvent(e)
