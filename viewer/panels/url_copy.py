"""Copying one of the URL outputs (plain, style, signed URL, snippets) to the clipboard, as
the URL bar and the URLs panel both do: the status line says what was copied (and until when
a signed URL works) or why there is nothing to copy."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

from ..model.url_model import UrlResults


def copy_output(results: UrlResults, kind: str, label: str, status: QLabel) -> bool:
    """Put ``results``' output ``kind`` (shown as ``label``) on the clipboard and say so in
    ``status``; False, with the reason in ``status``, when there is none."""
    status.setText(results.copy_note(kind, label))
    text = results.texts.get(kind)
    if text is None:
        return False
    QGuiApplication.clipboard().setText(text)
    return True
