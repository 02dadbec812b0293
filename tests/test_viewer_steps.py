"""The cascade builder and the process string: both edit one Document, stay in sync both
ways, and every edit is undoable. Reordering goes through the model's drop handler --
the same call a drag in the list view makes."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt

from viewer.model.document import Document
from viewer.panels.process_field import ProcessField
from viewer.panels.steps_panel import StepsPanel


@pytest.fixture
def ui(qtbot):
    doc = Document()
    steps = StepsPanel(doc)
    field = ProcessField(doc)
    qtbot.addWidget(steps)
    qtbot.addWidget(field)
    return doc, steps, field


def names(doc):
    return [s.op.NAME for s in doc.steps]


def drag(steps, src, row):
    """What QListView does on a drop between rows: mimeData of the dragged row, then
    dropMimeData at the target row."""
    m = steps.model
    mime = m.mimeData([m.index(src)])
    return m.dropMimeData(mime, Qt.DropAction.MoveAction, row, 0, QModelIndex())


def test_widgets_and_string_agree(ui):
    doc, steps, field = ui
    steps.add_actions["resize"].trigger()
    steps.form.editor("w").spin.setValue(200)
    steps.add_actions["format"].trigger()
    combo = steps.form.editor("value").combo
    combo.setCurrentIndex(combo.findData("webp"))
    assert field.text() == "image/resize,w_200/format,webp"
    assert names(doc) == ["resize", "format"]


def test_editing_the_string_updates_the_forms(ui):
    doc, steps, field = ui
    field.set_text("image/resize,w_120/rotate,90")
    assert names(doc) == ["resize", "rotate"]
    doc.select(0)
    assert steps.form.editor("w").value() == 120
    field.set_text("image/resize,w_150,h_80/rotate,90")
    assert steps.form.editor("w").value() == 150
    assert steps.form.editor("h").value() == 80
    doc.select(1)
    assert steps.form.editor("value").value() == 90


@pytest.mark.parametrize("text, token", [
    ("image/resize,w_0", "w_0"),
    ("image/resize,w_100/rotat,90", "rotat"),
    ("image/resize,w_100/blur,r_3", "blur,r_3"),       # missing s: the whole action
    ("image/crop,g_middle", "g_middle"),
    ("image/watermark,text_!!!", "text_!!!"),
    ("image/rotate,90,180", "180"),
])
def test_invalid_string_marks_the_token_and_keeps_the_cascade(ui, text, token):
    doc, steps, field = ui
    field.set_text("image/resize,w_100")
    good = doc.process_string()
    depth = doc.undo_stack.count()
    field.set_text(text)
    start = text.index(token)
    assert field.error is not None
    assert field.error_span() == (start, start + len(token))
    assert field.message.isVisibleTo(field)
    assert field.error.code in field.message.text()
    assert doc.process_string() == good and doc.undo_stack.count() == depth
    assert field.text() == text  # the user's text stays for fixing
    field.set_text("image/resize,w_90")
    assert field.error is None and not field.message.isVisibleTo(field)
    assert doc.process_string() == "image/resize,w_90"


def test_revert_restores_the_last_valid_string(ui):
    doc, steps, field = ui
    field.set_text("image/resize,w_100")
    field.edit.setPlainText("image/resize,w_")
    field.apply_text()
    assert field.revert_button.isVisibleTo(field)
    field.revert_button.click()
    assert field.text() == "image/resize,w_100" and field.error is None


def test_user_spelling_is_kept_while_it_means_the_same(ui):
    doc, steps, field = ui
    field.set_text("image/resize,h_50,w_100")  # not canonical order
    assert doc.process_string() == "image/resize,w_100,h_50"
    assert field.text() == "image/resize,h_50,w_100"
    field.edit.submitted.emit()  # editing ends: canonical form
    assert field.text() == "image/resize,w_100,h_50"


def test_pasting_an_oss_url_takes_its_process_string(ui):
    from PySide6.QtCore import QMimeData

    doc, steps, field = ui
    mime = QMimeData()
    mime.setText("https://b.oss-cn-hangzhou.aliyuncs.com/a.jpg?x-oss-process=image/resize,w_64"
                 "&versionId=1")
    field.edit.insertFromMimeData(mime)
    field.apply_text()
    assert doc.process_string() == "image/resize,w_64"


def test_a_style_reference_is_explained_not_applied(ui):
    doc, steps, field = ui
    field.set_text("image/resize,w_100")
    field.set_text("style/thumb")
    assert field.error is not None and "Style library" in field.message.text()
    assert doc.process_string() == "image/resize,w_100"


def test_undo_redo_every_kind_of_edit(ui):
    doc, steps, field = ui
    history = []

    def record():
        history.append(doc.process_string())

    record()
    steps.add("resize"); record()
    steps.form.editor("w").spin.setValue(210); record()
    steps.add("rotate"); record()
    field.set_text("image/resize,w_210/rotate,180"); record()
    doc.select(1)
    steps.toggle_selected(); record()
    steps.toggle_selected(); record()
    steps.move_selected(-1); record()
    steps.duplicate_selected(); record()
    steps.remove_selected(); record()
    assert history[-1] == "image/rotate,180/resize,w_210"
    for expected in reversed(history[:-1]):
        doc.undo_stack.undo()
        assert doc.process_string() == expected
    for expected in history[1:]:
        doc.undo_stack.redo()
        assert doc.process_string() == expected
    assert field.text() == history[-1]


def test_reorder_by_drag(ui):
    doc, steps, field = ui
    field.set_text("image/resize,w_100/rotate,90/format,png")
    assert drag(steps, 0, 3) is False  # the view must not remove rows itself
    assert names(doc) == ["rotate", "format", "resize"]
    assert doc.selected == 2
    drag(steps, 2, 0)
    assert names(doc) == ["resize", "rotate", "format"]
    drag(steps, 1, 2)  # dropping just below itself changes nothing
    assert names(doc) == ["resize", "rotate", "format"]
    # Dropping onto a row (not between rows) puts the step there.
    m = steps.model
    m.dropMimeData(m.mimeData([m.index(2)]), Qt.DropAction.MoveAction, -1, -1, m.index(0))
    assert names(doc) == ["format", "resize", "rotate"]
    doc.undo_stack.undo()
    assert names(doc) == ["resize", "rotate", "format"]


def test_enable_disable_by_check_box(ui):
    doc, steps, field = ui
    field.set_text("image/resize,w_100/rotate,90")
    m = steps.model
    assert m.data(m.index(1), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    m.setData(m.index(1), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert [s.enabled for s in doc.steps] == [True, False]
    assert field.text() == "image/resize,w_100"
    assert "Disabled" in m.data(m.index(1), Qt.ItemDataRole.ToolTipRole)
    # Touching the string without changing it keeps the disabled step.
    field.edit.submitted.emit()
    assert len(doc.steps) == 2
    m.setData(m.index(1), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert field.text() == "image/resize,w_100/rotate,90"
    doc.undo_stack.undo()
    assert field.text() == "image/resize,w_100"


def test_selection_follows_the_list_and_the_document(ui):
    doc, steps, field = ui
    field.set_text("image/resize,w_100/rotate,90")
    steps.list.setCurrentIndex(steps.model.index(0))
    assert doc.selected == 0 and steps.form.cls.NAME == "resize"
    doc.select(1)
    assert steps.list.currentIndex().row() == 1 and steps.form.cls.NAME == "rotate"


def test_actions_enable_with_the_selection(ui):
    doc, steps, field = ui
    assert not steps.act_remove.isEnabled()
    field.set_text("image/resize,w_100/rotate,90")
    doc.select(0)
    assert steps.act_remove.isEnabled() and not steps.act_up.isEnabled()
    assert steps.act_down.isEnabled()
