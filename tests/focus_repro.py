"""Issue 17's focus crash as a program: ``python -m tests.focus_repro click|focus|press``.

Type a cascade with another first action into the process field (no Enter), then move
focus to the selected step's form: the field's focus-out applies the text, which swaps the
form for the new first step while Qt is still focusing (and delivering the click to) a
widget of the old form. Before the fix the process died with SIGSEGV inside
``QWidget::setFocus``; run in a subprocess, a crash is a failed exit instead of the death
of the test run. Prints one JSON line with what the window holds afterwards.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(gesture: str) -> int:
    from PySide6.QtCore import QPoint, QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from viewer.mainwindow import MainWindow

    # The test gives its own tmp_path as XDG_CONFIG_HOME; by hand, a folder removed after.
    given = os.environ.get("XDG_CONFIG_HOME")
    scratch = None if given else tempfile.TemporaryDirectory(prefix="focus-repro-")
    tmp = given or scratch.name
    os.environ["XDG_CONFIG_HOME"] = tmp
    settings = QSettings(os.path.join(tmp, "viewer.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, restore=False)
    win.show()
    QTest.qWaitForWindowExposed(win)
    win.doc.select(0)
    spin = win.steps_panel.form.editor("w").spin
    win.process_field.focus()
    QTest.keyClicks(win.process_field.edit, "image/rotate,90")
    if gesture == "click":
        QTest.mouseClick(spin, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(10, 10))
    elif gesture == "press":  # press, let the event loop run, then release at that spot
        at = win.mapFromGlobal(spin.mapToGlobal(QPoint(10, 10)))
        QTest.mousePress(spin, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(10, 10))
        for _ in range(3):
            app.processEvents()
        QTest.mouseRelease(win, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    else:
        spin.setFocus()
    for _ in range(3):
        app.processEvents()
    focus = QApplication.focusWidget()
    print(json.dumps({"process": win.doc.process_string(),
                      "form": win.steps_panel.form.cls.NAME,
                      "focus_in_form": focus is not None
                      and win.steps_panel.form.isAncestorOf(focus)}))
    win.renderer.shutdown()
    win.close()
    if scratch is not None:
        scratch.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "click"))
