"""Issue 17, item 1: typing a new cascade in the process field and then clicking (or
focusing) a widget of the step form must not crash.

The field applies its text on focus-out; the new cascade's first step has another action,
so the steps panel swaps the form while Qt is still focusing -- and about to deliver the
click to -- the old form's spin box. Before the fix the old form was deleted on the spot
(``QScrollArea.setWidget``) and the process died with SIGSEGV in ``QWidget::setFocus``.

The subprocess tests are the regression tests that can observe the crash (a segfault in
the pytest process would end the whole run instead of failing one test); the in-process
tests check what the user sees afterwards.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication


ROOT = Path(__file__).resolve().parent.parent
WAIT = 15_000


@pytest.mark.parametrize("gesture", ["click", "focus", "press"])
def test_the_gesture_does_not_crash_the_process(gesture, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "tests.focus_repro", gesture], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    # -11 is SIGSEGV (what the unfixed viewer did every time).
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    state = json.loads(proc.stdout.strip().splitlines()[-1])
    assert state == {"process": "image/rotate,90", "form": "rotate", "focus_in_form": True}


@pytest.fixture
def win(main_window):
    return main_window(restore=False, exposed=True, rendered=True)


def _type_new_cascade(qtbot, w):
    w.doc.select(0)
    old_form = w.steps_panel.form
    assert old_form.cls.NAME == "resize"
    spin = old_form.editor("w").spin
    w.process_field.focus()
    qtbot.keyClicks(w.process_field.edit, "image/rotate,90")
    assert w.doc.steps[0].op.NAME == "resize"  # not applied yet: no Enter, no pause
    return old_form, spin


def _assert_applied_and_settled(qtbot, w, old_form, undo_before):
    sp = w.steps_panel
    assert w.doc.process_string() == "image/rotate,90"
    assert sp.form.cls.NAME == "rotate"
    # The old form is deleted once control is back in the event loop, and the focus the
    # user asked for stays in the form area, on the new form.
    qtbot.waitUntil(lambda: not shiboken6.isValid(old_form), timeout=WAIT)
    focus = QApplication.focusWidget()
    assert focus is not None and sp.form.isAncestorOf(focus)
    assert focus is sp.form.editor("value").spin
    # One undo step (the string); the click on the old spin box edited nothing.
    assert w.doc.undo_stack.count() == undo_before + 1
    assert w.doc.undo_stack.undoText() == "Edit process string"


def test_click_on_the_form_applies_the_typed_string(qtbot, win):
    undo_before = win.doc.undo_stack.count()
    old_form, spin = _type_new_cascade(qtbot, win)
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(10, 10))
    _assert_applied_and_settled(qtbot, win, old_form, undo_before)


def test_set_focus_on_the_form_applies_the_typed_string(qtbot, win):
    undo_before = win.doc.undo_stack.count()
    old_form, spin = _type_new_cascade(qtbot, win)
    spin.setFocus()
    _assert_applied_and_settled(qtbot, win, old_form, undo_before)


def test_a_click_on_the_step_up_arrow_of_the_retired_form_edits_nothing(qtbot, win):
    # The click Qt delivers after the swap lands on the old (hidden) spin box: pressing
    # its up arrow must not write a resize width into the new rotate step.
    undo_before = win.doc.undo_stack.count()
    old_form, spin = _type_new_cascade(qtbot, win)
    up = QPoint(spin.width() - 4, 4)
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, up)
    _assert_applied_and_settled(qtbot, win, old_form, undo_before)


def test_a_form_swap_without_focus_in_the_form_leaves_focus_alone(qtbot, win):
    win.process_field.focus()
    win.process_field.set_text("image/rotate,90/format,png")
    win.doc.select(0)
    qtbot.waitUntil(lambda: win.steps_panel.form.cls.NAME == "rotate", timeout=WAIT)
    win.doc.select(1)
    assert win.steps_panel.form.cls.NAME == "format"
    qtbot.waitUntil(lambda: not win.steps_panel._retired, timeout=WAIT)
    assert QApplication.focusWidget() is win.process_field.edit


def test_focus_stays_on_the_clicked_parameter_when_the_new_form_has_it(qtbot, win):
    # The new cascade selects its last step, a resize again: the form is rebuilt twice
    # (rotate, then resize) under the click, and focus lands on the width the user chose.
    win.doc.select(0)
    old_form = win.steps_panel.form
    spin = old_form.editor("w").spin
    win.process_field.focus()
    qtbot.keyClicks(win.process_field.edit, "image/rotate,90/resize,w_200")
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(10, 10))
    assert win.doc.process_string() == "image/rotate,90/resize,w_200"
    assert win.doc.selected == 1
    sp = win.steps_panel
    qtbot.waitUntil(lambda: not shiboken6.isValid(old_form), timeout=WAIT)
    assert sp.form is not old_form and sp.form.cls.NAME == "resize"
    assert QApplication.focusWidget() is sp.form.editor("w").spin
