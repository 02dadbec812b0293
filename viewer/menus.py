"""The main window's actions and menus, built onto the window (``win.act_open`` ...): one
place to read every command and its shortcut."""
from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from .canvas.canvas import CompareMode
from .model.sources import SAMPLES, sample_path

APP_NAME = "oss-style-viewer"


def make_action(parent, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    act = QAction(text, parent)
    if shortcut is not None:
        if isinstance(shortcut, QKeySequence.StandardKey):
            act.setShortcuts(shortcut)
        else:
            act.setShortcut(QKeySequence(shortcut))
    if tip:
        act.setToolTip(tip)
        act.setStatusTip(tip)
    act.triggered.connect(slot)
    return act


def build_actions(win) -> None:
    K = QKeySequence.StandardKey
    win.act_open = make_action(win, "&Open image…", win.open_dialog, K.Open,
                              "Open an image file")
    win.act_open_url = make_action(win, "Open &URL…", win.show_url_row, "Ctrl+U",
                                  "Fetch an image over http(s)")
    win.act_save = make_action(win, "&Save output as…", win.save_output, K.Save,
                              "Save the processed image shown in the preview")
    win.act_quit = make_action(win, "&Quit", win.close, K.Quit)
    win.act_batch = make_action(win, "&Batch…", win.show_batch, "Ctrl+B",
                               "Run the cascade over a folder or a bucket prefix")
    win.act_undo = win.undo_group.createUndoAction(win, "&Undo")
    win.act_undo.setShortcuts(K.Undo)
    win.act_redo = win.undo_group.createRedoAction(win, "&Redo")
    redo_keys = QKeySequence.keyBindings(K.Redo)
    if QKeySequence("Ctrl+Y") not in redo_keys:
        # Listed twice (Windows' bindings already have it), a key is "ambiguous" and
        # does nothing at all.
        redo_keys.append(QKeySequence("Ctrl+Y"))
    win.act_redo.setShortcuts(redo_keys)
    win.act_paste = make_action(win, "&Paste", win.paste, K.Paste,
                               "Paste an image, a file, a URL or a process string")
    win.act_copy_process = make_action(win, "&Copy process string", win.process_field.copy,
                                      "Ctrl+Shift+C")
    win.act_edit_process = make_action(win, "Edit process &string", win.process_field.focus,
                                      "Ctrl+L", "Put the cursor in the process string")
    win.act_add = make_action(win, "&Add step…", win._show_palette, "Ctrl+Shift+A")
    win.act_clear = make_action(win, "Clear all steps", lambda: win.doc.set_steps((), "Clear steps"))
    from .panels.explain_dialog import ExplainTool
    win.explain_tool = ExplainTool(win)  # Tools > Explain URL, and a paste target
    for a in (win.act_open, win.act_open_url, win.act_save, win.act_undo, win.act_redo,
              win.act_paste, win.act_copy_process, win.act_edit_process, win.act_add):
        win.addAction(a)


def build_menus(win) -> None:
    mb = win.menuBar()
    m = mb.addMenu("&File")
    m.addAction(win.act_open)
    m.addAction(win.act_open_url)
    win.samples_menu = m.addMenu("Open &sample")
    for s in SAMPLES:
        act = win.samples_menu.addAction(f"{s.title} — {s.file}")
        act.setToolTip(s.note)
        act.setStatusTip(s.note)
        act.triggered.connect(lambda _=False, s=s: win.open_path(str(sample_path(s))))
    win.samples_menu.setToolTipsVisible(True)
    win.recent_menu = m.addMenu("Open &recent")
    win.recent_menu.aboutToShow.connect(win._fill_recent)
    m.addSeparator()
    m.addAction(win.act_save)
    m.addAction(win.act_batch)
    m.addSeparator()
    m.addAction(win.act_quit)

    m = mb.addMenu("&Edit")
    m.addAction(win.act_undo)
    m.addAction(win.act_redo)
    m.addSeparator()
    m.addAction(win.act_paste)
    m.addAction(win.act_copy_process)
    m.addAction(win.act_edit_process)
    m.addSeparator()
    m.addAction(win.act_add)
    sp = win.steps_panel
    for a in (sp.act_toggle, sp.act_duplicate, sp.act_remove, sp.act_up, sp.act_down):
        m.addAction(a)
    m.addAction(win.act_clear)

    m = mb.addMenu("&View")
    for mode in CompareMode:
        m.addAction(win.preview.mode_actions[mode])
    m.addSeparator()
    pv = win.preview
    for a in (pv.act_fit, pv.act_never_enlarge, pv.act_actual, pv.act_zoom_in,
              pv.act_zoom_out):
        m.addAction(a)
    m.addAction(pv.act_follow)
    m.addSeparator()
    for dock in (win.steps_dock, win.info_dock, *win.extra_docks.values(),
                 win.bucket_dock):
        m.addAction(dock.toggleViewAction())
    m.addSeparator()
    theme = m.addMenu("&Theme")
    win.theme_group = QActionGroup(win)
    for name in ("system", "light", "dark"):
        act = theme.addAction(name.title())
        act.setCheckable(True)
        act.setData(name)
        act.triggered.connect(lambda _=False, n=name: win.set_theme(n))
        win.theme_group.addAction(act)

    m = mb.addMenu("&Tools")
    m.addActions([win.explain_tool.act_explain, win.explain_tool.act_paste])

    m = mb.addMenu("&Help")
    m.addAction(make_action(win, "Sample images and licences", win._about_samples))
    m.addAction(make_action(win, f"&About {APP_NAME}", win._about))

    win.source_bar.open_button.setDefaultAction(win.act_open)
    win.source_bar.open_button.setText("Open…")
    win.source_bar.samples_button.setText("Samples")
    win.source_bar.samples_button.setMenu(win.samples_menu)
    win.source_bar.url_button.setDefaultAction(win.act_open_url)
    win.source_bar.url_button.setText("URL…")
