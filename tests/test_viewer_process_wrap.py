"""The process field (issue 9): wraps only at "/" and ",", keeps one height, and the
zero-width break characters that make that possible never reach the user."""
from __future__ import annotations

import pytest

from viewer.model.document import Document


@pytest.fixture
def doc():
    return Document()

def _lines(field):
    """The text of each visual line of the field, zero-width spaces removed."""
    from viewer.panels.process_field import strip_breaks
    out = []
    block = field.edit.document().firstBlock()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            out.append(strip_breaks(
                block.text()[line.textStart():line.textStart() + line.textLength()]))
        block = block.next()
    return out


def test_process_string_wraps_only_at_separators(qtbot, doc):
    from viewer.panels.process_field import ProcessField
    field = ProcessField(doc)
    qtbot.addWidget(field)
    field.resize(420, 80)   # every token fits a line
    field.show()
    qtbot.waitExposed(field)
    text = ("image/resize,m_fill,w_320,h_240/rounded-corners,r_24/blur,r_3,s_2"
            "/watermark,g_se,x_14,y_12,text_T1NTIFN0eWxlIFZpZXdlcg,color_FFFFFF")
    height = field.edit.height()
    field.set_text(text)
    lines = _lines(field)
    assert len(lines) > 2 and "".join(lines) == text
    for line in lines[:-1]:
        assert line[-1] in "/,", f"broke inside a token: {line!r}"
    assert field.text() == text
    assert field.edit.height() == height           # fixed: the canvas below never jumps
    # An error keeps the same room (the message line is reserved).
    room = field.sizeHint().height()
    field.set_text("image/resize,w_0")
    assert field.error is not None and field.message.isVisible()
    assert field.sizeHint().height() == room
    assert field.message.toolTip().startswith("InvalidArgument")


def test_zero_width_breaks_are_invisible_to_the_user(qtbot, doc):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextCursor
    from viewer.panels.process_field import ProcessField, ZWSP
    field = ProcessField(doc)
    qtbot.addWidget(field)
    field.set_text("image/resize,w_100")
    edit = field.edit
    cur = edit.textCursor()
    cur.movePosition(QTextCursor.MoveOperation.End)
    edit.setTextCursor(cur)
    qtbot.keyClicks(edit, ",h_50")
    assert field.text() == "image/resize,w_100,h_50"
    # Backspace right after a separator deletes the separator, not the invisible break.
    for _ in range(4):
        qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    assert field.text() == "image/resize,w_100,"
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    assert field.text() == "image/resize,w_100"
    edit.selectAll()
    assert edit.createMimeDataFromSelection().text() == "image/resize,w_100"
    field.set_text("image/resize,w_100")
    field.apply_text()
    assert ZWSP not in doc.process_string()
