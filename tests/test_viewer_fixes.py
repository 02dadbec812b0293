"""The issue 9 list of fixes, one test each: width 0, CJK in the Text field, dark radio
buttons, the style library's height, the Remote panel's sizes and message, the URL
panel's widths and placeholders."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QRadioButton, QWidget, QVBoxLayout

from core.cascade import parse
from core.errors import OssError
from viewer.theme import apply_theme
from viewer.bundled_fonts import cjk_families
from viewer.model.document import Document
from viewer.model.texts import error_text
from viewer.model.remote_fetch import Side
from viewer.model.session import Session
from viewer.panels.steps_panel import StepsPanel

from tests.theme_helpers import theme_restored


@pytest.fixture
def win(main_window):
    return main_window(restore=False, session=Session(environ={}), size=(1280, 720),
                       exposed=True)


def test_width_zero_gives_the_same_error_as_w_0(qtbot):
    doc = Document()
    panel = StepsPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    panel.add("resize")
    before = doc.process_string()
    w = panel.form.editor("w")
    w.spin.setFocus()
    w.spin.lineEdit().selectAll()
    qtbot.keyClicks(w.spin.lineEdit(), "0")
    with pytest.raises(OssError) as parsed:
        parse("image/resize,w_0")
    row_error = panel.form._rows["w"].error
    assert row_error.isVisibleTo(panel.form)
    assert row_error.text() == error_text(parsed.value)      # InvalidArgument, key w
    assert "MissingArgument" not in row_error.text()
    assert doc.process_string() == before                     # the last valid step stays


def test_text_field_falls_back_to_the_bundled_cjk_fonts(qtbot):
    families = cjk_families()
    assert families, "the bundled fonts register with Qt"
    # At least one bundled family really covers 世界 ...
    assert any(QFontMetrics(QFont(f)).inFont("世") for f in families)
    doc = Document()
    panel = StepsPanel(doc)
    qtbot.addWidget(panel)
    panel.add("watermark")
    editor = panel.form.editor("text")
    # ... and the Text field lists them after its own font.
    fams = editor.edit.font().families()
    assert any(f in fams for f in families)
    editor.show_value("Hello 世界", True)
    assert editor.edit.text() == "Hello 世界"


def _indicator_contrast(theme: str, qtbot) -> float:
    apply_theme(QApplication.instance(), theme)
    host = QWidget()
    qtbot.addWidget(host)
    lay = QVBoxLayout(host)
    rb = QRadioButton("Source", host)
    lay.addWidget(rb)
    host.resize(120, 40)
    host.show()
    qtbot.waitExposed(host)
    img = rb.grab().toImage()
    bg = img.pixelColor(img.width() - 2, img.height() // 2)   # past the text
    ys = range(img.height())
    xs = range(0, min(20, img.width()))   # the indicator sits at the left
    best = 0.0
    for x in xs:
        for y in ys:
            c = img.pixelColor(x, y)
            best = max(best, abs(c.lightnessF() - bg.lightnessF()))
    return best


def test_radio_buttons_are_visible_in_the_dark_theme(qtbot):
    with theme_restored():
        dark = _indicator_contrast("dark", qtbot)
        light = _indicator_contrast("light", qtbot)
    # The indicator's outline stands out from the window as clearly as in the light theme.
    assert dark >= 0.35, dark
    assert dark >= 0.6 * light


def test_style_library_shows_eight_rows(win):
    tree = win.extra_panels["styleDock"].tree
    row = tree.fontMetrics().height()
    assert tree.minimumHeight() >= 8 * row


def test_remote_panel_sizes_and_message_placement(qtbot, win):
    dock = win.extra_docks["remoteDock"]
    dock.raise_()
    remote = win.extra_panels["remoteDock"]
    qtbot.waitUntil(lambda: remote.local_view.isVisible())
    qtbot.waitUntil(lambda: remote.local_view.width() >= 200)
    assert remote.remote_view.width() >= 200
    remote.set_form(remote.form().__class__(bucket=""))
    remote.fetch()
    assert remote.status.text() == "Enter a bucket name."
    # Right under the Fetch button, not under the images.
    below = remote.status.mapTo(remote, remote.status.rect().topLeft()).y()
    button = remote.fetch_button.mapTo(remote, remote.fetch_button.rect().bottomLeft()).y()
    assert 0 <= below - button <= 40
    # The size never wraps inside "13.9 KB".
    caption = Side(nbytes=14234, width=20, height=15, format="png", seconds=0.01,
                   pil=object()).caption("Remote")
    assert "13.9\u00a0KB" in caption


def test_url_panel_fields_get_the_dock_width(qtbot, win):
    win.extra_docks["urlDock"].raise_()
    urls = win.extra_panels["urlDock"]
    win.connection.update(bucket="mybucket", key="photos/cat.jpg")
    line = urls.fields["plain"]
    qtbot.waitUntil(lambda: line.isVisible())
    dock_width = win.extra_docks["urlDock"].width()
    assert line.width() >= dock_width * 0.6
    assert line.toolTip() == line.text() and line.text().startswith("https://mybucket.")
    # Placeholders no longer look like values.
    assert "examplebucket" not in urls.bucket.placeholderText()
