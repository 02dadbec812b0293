"""Tests that switch the application theme put it back exactly as they found it: an app
style sheet left behind changes how later tests' widgets take their palette."""
from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtWidgets import QApplication


@contextmanager
def theme_restored():
    app = QApplication.instance()
    old_palette, old_sheet, old_style = app.palette(), app.styleSheet(), app.style().name()
    try:
        yield app
    finally:
        app.setStyle(old_style)
        app.setPalette(old_palette)
        app.setStyleSheet(old_sheet)
