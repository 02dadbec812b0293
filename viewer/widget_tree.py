"""Where a widget sits in the widget tree."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget


def within(widget: QWidget, ancestor: QWidget) -> bool:
    """``widget`` is ``ancestor`` or inside it, floating docks included (unlike
    ``isAncestorOf``, which stops at window boundaries)."""
    w: QWidget | None = widget
    while w is not None:
        if w is ancestor:
            return True
        w = w.parentWidget()
    return False
