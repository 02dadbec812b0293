"""The window fits and nothing in it is clipped (issue 9).

The main window is shown at 1280x720 and 1920x1080, light and dark; every dock tab is
brought forward in turn and every visible widget is walked. A widget fails when it is
narrower than its minimum size hint, when a label's text (or a line edit's placeholder,
or a button's text) does not fit and is not elided, when a wrapping label is cut at the
bottom, or when a panel in a scroll area needs a horizontal scroll bar.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (QAbstractButton, QApplication, QCheckBox, QDockWidget,
                               QLabel, QLineEdit, QPushButton, QRadioButton, QScrollArea,
                               QToolButton, QWidget)

from viewer.theme import apply_theme
from viewer.panels.elide import ElidedLabel
from viewer.model.session import Session

from tests.theme_helpers import theme_restored

SIZES = ((1024, 640), (1280, 720), (1920, 1080))


def _shown(w: QWidget, top: QWidget) -> bool:
    # Tabbed docks behind the current tab stay "visible", parked outside the window: only
    # what is on screen counts.
    return (w.isVisibleTo(top) and w.width() > 0 and w.height() > 0
            and not w.visibleRegion().isEmpty())


def _label_width(label: QLabel) -> int:
    text = label.text()
    if not text:
        return 0
    if ("<" in text and ">" in text) or label.textFormat() == Qt.TextFormat.RichText:
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        return int(doc.idealWidth())
    return max(label.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))


def problems(top: QWidget) -> list[str]:
    out = []
    for w in top.findChildren(QWidget):
        if not _shown(w, top) or w.window() is not top:
            continue
        text = w.text() if isinstance(w, (QLabel, QAbstractButton, QLineEdit)) else ""
        name = f"{type(w).__name__}({w.objectName() or text[:40]!r})"
        hint = w.minimumSizeHint()
        min_w = max(hint.width(), w.minimumWidth()) if w.sizePolicy().horizontalPolicy() \
            != w.sizePolicy().Policy.Ignored else w.minimumWidth()
        if w.width() + 1 < min_w:
            out.append(f"{name} is {w.width()} px wide, its minimum is {min_w}")
        if isinstance(w, ElidedLabel):
            if w.is_elided() and w.full_text() not in w.toolTip():
                out.append(f"{name} is elided without the whole text in its tooltip")
            continue
        if isinstance(w, QLabel) and w.pixmap().isNull() and w.text():
            room = w.contentsRect().width() - 2 * w.margin() - 2 * max(0, w.indent())
            if w.wordWrap():
                if w.heightForWidth(w.width()) > w.height() + 2:
                    out.append(f"{name}: wrapped text needs {w.heightForWidth(w.width())} px "
                               f"of height, has {w.height()}")
            elif _label_width(w) > room + 1:
                out.append(f"{name}: text needs {_label_width(w)} px, has {room}")
        elif isinstance(w, QLineEdit) and not w.text() and w.placeholderText():
            need = w.fontMetrics().horizontalAdvance(w.placeholderText())
            room = w.width() - 12   # frame and text margins of Fusion's line edit
            if need > room:
                out.append(f"{name}: placeholder {w.placeholderText()!r} needs {need} px, "
                           f"has {room}")
        elif isinstance(w, (QPushButton, QToolButton, QCheckBox, QRadioButton)) and \
                isinstance(w, QAbstractButton) and w.text():
            if w.width() + 1 < w.sizeHint().width() and not (
                    isinstance(w, QToolButton) and w.toolButtonStyle()
                    == Qt.ToolButtonStyle.ToolButtonIconOnly):
                out.append(f"{name}: needs {w.sizeHint().width()} px for its text, has "
                           f"{w.width()}")
        elif isinstance(w, QScrollArea) and w.widgetResizable() and w.widget() is not None:
            need = w.widget().minimumSizeHint().width()
            if need > w.viewport().width() + 1:
                out.append(f"{name}: its panel needs {need} px, the dock gives "
                           f"{w.viewport().width()} (a horizontal scroll bar)")
    return out


@pytest.fixture
def window(main_window):
    with theme_restored():
        win = main_window(restore=False, session=Session(environ={}))
        yield win
        win.close()


def test_minimum_width_fits_a_1024_screen(window):
    assert window.minimumSizeHint().width() <= 1000
    assert window.minimumSizeHint().height() <= 640


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_nothing_is_clipped(qtbot, window, theme, size):
    apply_theme(QApplication.instance(), theme)
    # Shrunk to the smallest supported screen first, then enlarged (issue 9: the side
    # panels stayed narrow and clipped after that).
    window.resize(1024, 640)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.size().width() == 1024)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.size().width() == size[0])
    qtbot.waitUntil(lambda: window.last_output is not None, timeout=10000)
    # Every tab of the right dock area in turn (tabified docks hide each other).
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisibleTo(window)]
    assert len(docks) >= 6
    found = []
    for dock in docks:
        dock.raise_()
        QApplication.processEvents()
        found += [f"[{dock.windowTitle()}] {p}" for p in problems(window)]
    assert not sorted(set(found)), "\n".join(sorted(set(found)))


def test_the_walk_catches_clipping(qtbot):
    """The check itself can fail: a cut label, a squeezed button, a long placeholder."""
    from PySide6.QtWidgets import QHBoxLayout
    host = QWidget()
    qtbot.addWidget(host)
    row = QHBoxLayout(host)
    label = QLabel("A caption far too long to fit in the little room it is given here", host)
    label.setMinimumWidth(0)
    label.setSizePolicy(label.sizePolicy().Policy.Ignored, label.sizePolicy().Policy.Preferred)
    edit = QLineEdit(host)
    edit.setPlaceholderText("access key secret (kept in memory only)")
    edit.setFixedWidth(90)
    row.addWidget(label)
    row.addWidget(edit)
    elided = ElidedLabel(host, "the same long caption, but elided with a tooltip")
    row.addWidget(elided)
    host.resize(260, 40)
    host.show()
    qtbot.waitExposed(host)
    found = problems(host)
    assert any("A caption far too long" in p for p in found), found
    assert any("placeholder" in p for p in found), found
    assert not any("ElidedLabel" in p for p in found), found


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_connection_editor_and_snippets_are_not_clipped(qtbot, window, theme):
    apply_theme(QApplication.instance(), theme)
    window.resize(1280, 720)
    window.show()
    editor = window.connection_bar.open_editor()
    editor.access.setCurrentIndex(editor.access.findData(True))
    cf = editor.credential_fields
    cf.source.setCurrentIndex(cf.source.findData("typed"))
    qtbot.waitExposed(editor)
    QApplication.processEvents()
    assert not problems(editor), "\n".join(problems(editor))
    editor.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_tabbed_docks_show_whole_titles(qtbot, window, size):
    # Six panels share the right dock area: at 1280 px Qt used to cut their titles to
    # "U...", "St...". Each tab must be wide enough for its whole title; tabs that do not
    # fit are reached with the tab bar's arrows.
    from PySide6.QtWidgets import QTabBar

    apply_theme(QApplication.instance(), "light")
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    bars = [b for b in window.findChildren(QTabBar) if b.parent() is window and b.isVisible()]
    assert bars, "the default layout tabs the side panels"
    titles = []
    for bar in bars:
        assert bar.elideMode() == Qt.TextElideMode.ElideNone and bar.usesScrollButtons()
        metrics = bar.fontMetrics()
        for i in range(bar.count()):
            titles.append(bar.tabText(i))
            assert bar.tabRect(i).width() >= metrics.horizontalAdvance(bar.tabText(i)), \
                bar.tabText(i)
    assert {"URLs", "Styles"} <= set(titles)
