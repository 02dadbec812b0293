"""The style library panel: save/rename/delete/apply/import/export with undo, atomic and
crash-safe storage, inline errors, its layout in a side dock. The bucket section:
tests/test_viewer_style_bucket.py."""
from __future__ import annotations

import json

import pytest

from core import storage
from core.style_library import LIMIT, StyleLibrary
from viewer.model.document import Document

from tests.style_panel_env import KEY_ID, ROTATE, SECRET, THUMB, make_panel, on_disk
from tests.style_panel_env import doc, lib_path  # noqa: F401 (fixtures)


# -- local library -----------------------------------------------------------------------

def test_save_current_apply_and_reload(qtbot, doc, lib_path, settings):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.name_edit.setText("thumb")
    assert panel.save_button.isEnabled()
    panel.save_button.click()
    assert panel.names() == ["thumb"] and on_disk(lib_path) == {"thumb": THUMB}
    assert panel.selected_name() == "thumb"

    doc.set_process_string(ROTATE)
    assert panel.apply("thumb")
    assert doc.process_string() == THUMB
    doc.undo_stack.undo()  # applying is a document edit, undoable there
    assert doc.process_string() == ROTATE

    again = make_panel(qtbot, doc, lib_path, settings)
    assert again.names() == ["thumb"]


def test_save_button_reflects_name_validity_and_existence(qtbot, doc, lib_path, settings):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.name_edit.setText("bad name")
    assert not panel.save_button.isEnabled()
    assert "stylename is invalid" in panel.name_edit.toolTip()
    panel.name_edit.setText("ok.name-1")
    assert panel.save_button.isEnabled() and panel.save_button.text() == "Save current as"
    panel.save_current_from_field()
    assert panel.save_button.text() == "Replace with current"


@pytest.mark.parametrize("name", ["", "with space", "x" * 64, "semi;colon"])
def test_invalid_name_is_refused_inline(qtbot, doc, lib_path, settings, name):
    panel = make_panel(qtbot, doc, lib_path, settings)
    assert panel.save_current(name) is False
    assert panel.error_label.text() == f"The value: {name} of parameter: stylename is invalid."
    assert not panel.error_label.isHidden()
    assert not lib_path.exists() and panel.undo_stack.count() == 0


def test_empty_cascade_cannot_be_saved(qtbot, lib_path, settings):
    panel = make_panel(qtbot, Document(), lib_path, settings)
    assert panel.save_current("x") is False
    assert "empty" in panel.error_label.text()


def test_rename_delete_and_undo_redo_each_edit(qtbot, doc, lib_path, settings):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("a")
    doc.set_process_string(ROTATE)
    panel.save_current("b")
    panel.select("a")
    panel.name_edit.setText("c")
    assert panel.rename_button.isEnabled()
    panel.rename_button.click()
    assert on_disk(lib_path) == {"b": ROTATE, "c": THUMB}
    panel.select("b")
    panel.delete_button.click()
    assert on_disk(lib_path) == {"c": THUMB}
    assert panel.undo_stack.count() == 4

    states = [{"b": ROTATE, "c": THUMB}, {"a": THUMB, "b": ROTATE}, {"a": THUMB}, {}]
    for expected in states:
        panel.undo_button.click()
        assert on_disk(lib_path) == expected
        assert panel.names() == sorted(expected)
    assert not panel.undo_button.isEnabled()
    for expected in reversed([{"c": THUMB}] + states[:-1]):
        panel.redo_button.click()
        assert on_disk(lib_path) == expected
    assert StyleLibrary(lib_path).as_dict() == {"c": THUMB}


def test_rename_to_existing_or_invalid_is_inline_error(qtbot, doc, lib_path, settings):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("a")
    panel.save_current("b")
    assert panel.rename("a", "b") is False
    assert "already exists" in panel.error_label.text()
    assert panel.rename("a", "bad/name") is False
    assert on_disk(lib_path) == {"a": THUMB, "b": THUMB}


def test_apply_of_an_unparsable_kept_entry_is_inline_and_keeps_the_cascade(
        qtbot, doc, lib_path, settings):
    lib_path.parent.mkdir(parents=True)
    lib_path.write_text(json.dumps({"future": "image/resize,w_1|sys/saveas,o_eA"}))
    panel = make_panel(qtbot, doc, lib_path, settings)
    item = panel.tree.topLevelItem(0)
    assert item.toolTip(0)  # flagged with the parser's reason
    assert panel.apply("future") is False
    assert "Cannot apply future" in panel.error_label.text()
    assert doc.process_string() == THUMB


def test_failed_save_leaves_the_old_file_byte_identical(qtbot, doc, lib_path, settings,
                                                        monkeypatch):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    before = lib_path.read_bytes()

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", disk_full)
    doc.set_process_string(ROTATE)
    assert panel.save_current("other") is False
    assert panel.save_current("thumb") is False  # replacing fails the same way
    assert panel.delete("thumb") is False
    monkeypatch.undo()
    assert lib_path.read_bytes() == before
    assert "No space left on device" in panel.error_label.text()
    assert panel.names() == ["thumb"] and panel.undo_stack.count() == 1
    assert [p.name for p in lib_path.parent.iterdir()] == ["styles.json"]


def test_failed_undo_write_is_reported_and_retried(qtbot, doc, lib_path, settings,
                                                   monkeypatch):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    before = lib_path.read_bytes()
    monkeypatch.setattr(storage.os, "replace",
                        lambda *a, **k: (_ for _ in ()).throw(OSError(5, "I/O error")))
    panel.undo_stack.undo()
    assert "Could not write the library" in panel.error_label.text()
    assert lib_path.read_bytes() == before and panel.names() == ["thumb"]
    monkeypatch.undo()
    panel.undo_stack.redo()
    panel.undo_stack.undo()
    assert on_disk(lib_path) == {}


def test_corrupt_library_is_preserved_and_reported_inline(qtbot, doc, lib_path, settings):
    lib_path.parent.mkdir(parents=True)
    lib_path.write_bytes(b"{oops")
    panel = make_panel(qtbot, doc, lib_path, settings)
    assert "styles.json.corrupt-1" in panel.error_label.text()
    assert (lib_path.parent / "styles.json.corrupt-1").read_bytes() == b"{oops"
    assert panel.save_current("thumb")
    assert (lib_path.parent / "styles.json.corrupt-1").read_bytes() == b"{oops"


def test_import_export_round_trip_through_the_panel(qtbot, doc, lib_path, settings, tmp_path):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    doc.set_process_string(ROTATE)
    panel.save_current("turn")
    out = tmp_path / "exported.json"
    assert panel.export_file(out)
    assert json.loads(out.read_text("utf-8")) == {"thumb": THUMB, "turn": ROTATE}

    other = make_panel(qtbot, doc, tmp_path / "other" / "styles.json", settings)
    assert other.import_file(out)
    assert other.names() == ["thumb", "turn"]
    assert on_disk(tmp_path / "other" / "styles.json") == on_disk(lib_path)
    assert "2 added" in other.status.text()
    other.undo_stack.undo()  # an import is one undoable edit
    assert other.names() == []


def test_import_reports_conflicts_and_invalid_entries_inline(qtbot, doc, lib_path, settings,
                                                             tmp_path):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"thumb": ROTATE, "new": ROTATE, "bad name": THUMB,
                               "broken": "image/resize,w_0"}))
    assert panel.import_file(src)
    assert on_disk(lib_path) == {"thumb": THUMB, "new": ROTATE}
    text = panel.error_label.text()
    assert "thumb" in text and "bad name" in text and "broken" in text
    assert panel.import_file(src, replace=True)
    assert on_disk(lib_path)["thumb"] == ROTATE


def test_import_of_garbage_is_inline_error(qtbot, doc, lib_path, settings, tmp_path):
    panel = make_panel(qtbot, doc, lib_path, settings)
    src = tmp_path / "in.json"
    src.write_text("[1,2,3]")
    assert panel.import_file(src) is False
    assert "in.json" in panel.error_label.text()
    assert panel.import_file(tmp_path / "missing.json") is False


def test_export_failure_is_inline(qtbot, doc, lib_path, settings, tmp_path, monkeypatch):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    target = tmp_path / "out.json"
    target.write_text("old export")
    monkeypatch.setattr(storage.os, "replace",
                        lambda *a, **k: (_ for _ in ()).throw(OSError(13, "Permission denied")))
    assert panel.export_file(target) is False
    assert "Permission denied" in panel.error_label.text()
    assert target.read_text() == "old export"


def test_limit_warning_at_fifty(qtbot, doc, lib_path, settings):
    lib = StyleLibrary(lib_path)
    lib.merge({f"s{i:02}": THUMB for i in range(LIMIT - 1)})
    panel = make_panel(qtbot, doc, lib_path, settings)
    assert panel.limit_label.isHidden()
    panel.save_current("the-fiftieth")
    assert not panel.limit_label.isHidden() and "50" in panel.limit_label.text()
    panel.undo_stack.undo()
    assert panel.limit_label.isHidden()


def test_delete_key_in_the_list_deletes_undoably(qtbot, doc, lib_path, settings):
    from PySide6.QtCore import Qt

    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    panel.show()
    qtbot.waitExposed(panel)
    panel.tree.setFocus()
    qtbot.waitUntil(panel.tree.hasFocus)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    assert panel.names() == [] and on_disk(lib_path) == {}
    panel.undo_button.click()
    assert panel.names() == ["thumb"]


# -- layout ------------------------------------------------------------------------------

DOCK_WIDTH = 320   # the main window's side docks start at 330 px, frame included


def test_fits_a_side_dock_without_horizontal_scrolling(qtbot, doc, lib_path, settings):
    env = {"OSS_ACCESS_KEY_ID": "LTAI5tStylePanelEnv01", "OSS_ACCESS_KEY_SECRET": "x"}
    panel = make_panel(qtbot, doc, lib_path, settings, environ=env)
    assert panel.minimumSizeHint().width() <= DOCK_WIDTH
    # The widest states: the longest button texts, messages with long unbreakable words.
    panel.save_current("a-rather-long-style-name.for.the-banner")
    panel.name_edit.setText("a-rather-long-style-name.for.the-banner")
    assert panel.save_button.text() == "Replace with current"
    panel._show_error("Could not write /home/someone/.config/oss-style-viewer/styles.json")
    panel.bucket_error.setText("Cannot reach the server: HTTPSConnectionPool(host="
                               "'examplebucket.oss-cn-hangzhou.aliyuncs.com', port=443)")
    panel.set_typed_credentials(KEY_ID, SECRET)
    assert panel.minimumSizeHint().width() <= DOCK_WIDTH
    # A cut message is still readable whole.
    assert "port=443" in panel.bucket_error.label.toolTip()
