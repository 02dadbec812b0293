"""What the style panel's tests share: a document with a cascade, where the library lives,
the panel made and tracked, the library file as JSON."""
from __future__ import annotations

import json

import pytest

from viewer.model.document import Document
from viewer.panels.style_panel import StyleLibraryPanel

from tests.viewer_windows import track

THUMB = "image/resize,w_100"
ROTATE = "image/rotate,90"
KEY_ID, SECRET = "LTAI5tStylePanelKey01", "Style+Panel/Secret=Never0123"


@pytest.fixture
def doc():
    d = Document()
    d.set_process_string(THUMB)
    return d


@pytest.fixture
def lib_path(tmp_path):
    return tmp_path / "config" / "styles.json"


def make_panel(qtbot, doc, lib_path, settings, **kw):
    kw.setdefault("environ", {})
    panel = track(qtbot, StyleLibraryPanel(doc, library_path=lib_path, settings=settings, **kw))
    return panel


def on_disk(path) -> dict:
    return json.loads(path.read_text("utf-8")) if path.exists() else {}
