"""The main window's remembered state: geometry, dock layout, preview options, theme, and
the last session's source and cascade (QSettings), restored on start and saved on close.

A mix-in of MainWindow (like WindowSources): it uses the window's settings, preview, doc,
compare controller and theme actions, and owns nothing of its own.
"""
from __future__ import annotations

import os

from PySide6.QtWidgets import QApplication

from core.cascade import parse
from core.errors import OssError

from .canvas.canvas import CompareMode
from .model.sources import DEFAULT_SAMPLE, sample_path
from .theme import apply_theme

# The first of these that the engine accepts opens with the app (watermark is newer).
# Written in canonical order, so the process field shows them exactly as here.
STARTER_CASCADES = (
    "image/resize,m_fill,w_320,h_240/rounded-corners,r_24"
    "/watermark,g_se,x_14,y_12,text_T1NTIFN0eWxlIFZpZXdlcg,color_FFFFFF,size_18,shadow_60"
    "/format,png",
    "image/resize,m_fill,w_320,h_240/rounded-corners,r_24/format,png",
)


class WindowSettings:
    """Restore and save the window's state (see the module docstring)."""

    def _restore(self, restore: bool) -> None:
        s = self.settings
        geometry = s.value("window/geometry") if restore else None
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = s.value("window/state") if restore else None
        if state is not None:
            self._layout_restored = self.restoreState(state)
        mode = s.value("preview/mode", str(CompareMode.SPLIT)) if restore else CompareMode.SPLIT
        try:
            self.preview.set_mode(CompareMode(mode))
        except ValueError:
            self.preview.set_mode(CompareMode.SPLIT)
        follow = s.value("preview/follow", True, type=bool) if restore else True
        self.preview.act_follow.setChecked(follow)
        self.preview.set_never_enlarge(
            s.value("preview/never_enlarge", False, type=bool) if restore else False)
        theme = s.value("view/theme", "system") if restore else "system"
        for act in self.theme_group.actions():
            act.setChecked(act.data() == theme)

        opened = False
        last = s.value("session/source", "") if restore else ""
        if last and os.path.isfile(last):
            opened = self.open_path(last)
        if not opened:
            self.open_path(str(sample_path(DEFAULT_SAMPLE)))
        process = s.value("session/process", None) if restore else None
        if not self._apply_initial(process):
            for starter in STARTER_CASCADES:
                if self._apply_initial(starter):
                    break
        # Opening is not an edit: start with a clean undo history.
        self.doc.undo_stack.clear()
        self.doc.select(len(self.doc.steps) - 1)

    def _apply_initial(self, process) -> bool:
        if not isinstance(process, str):
            return False
        try:
            cascade = parse(process)
            if cascade.is_style:
                return False
            self.doc.set_process_string(process)
        except (OssError, ValueError):
            return False
        return True

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("preview/mode", str(self.preview.mode))
        s.setValue("preview/follow", self.preview.act_follow.isChecked())
        s.setValue("preview/never_enlarge", self.preview.state.never_enlarge)
        s.setValue("session/process", self.compare.current_process())   # A, with A/B on
        # Only local files are remembered: a URL may carry a signature (a secret).
        s.setValue("session/source", self.source_path or "")
        s.sync()

    def set_theme(self, name: str) -> None:
        apply_theme(QApplication.instance(), name)
        self.settings.setValue("view/theme", name)

