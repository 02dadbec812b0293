"""The whole window: opens alive on a sample, builds cascades through the widgets, shows
the image after a clicked step, reports every failure inline, never loses the cascade,
remembers settings (never secrets), opens files, URLs (loopback only), pastes and drops."""
from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from tests.helpers import EXAMPLE, decode, solid
from viewer.window_settings import STARTER_CASCADES
from viewer.model.sources import SAMPLES, sample_path

WAIT = 15_000


@pytest.fixture
def win(main_window):
    return main_window(rendered=True)


def wait_output(qtbot, w, check=lambda out: True):
    qtbot.waitUntil(lambda: w.last_output is not None and w.last_error is None
                    and check(w.last_output) and not w.renderer.task.busy, timeout=WAIT)
    return w.last_output


def test_opens_alive_on_a_sample_with_a_starter_cascade(qtbot, win):
    assert win.doc.source_name == "example.jpg"
    assert win.doc.process_string() == STARTER_CASCADES[0]
    out = wait_output(qtbot, win, lambda o: o.process == STARTER_CASCADES[0])
    assert (out.result.width, out.result.height) == (320, 240)
    assert out.result.format == "png"
    assert (out.after.width, out.after.height) == (320, 240)
    assert (out.before.width, out.before.height) == (400, 267)
    status = win.status_output.text()
    assert "320×240" in status and "png" in status and "vs source 21.3 KB" in status
    timings = win.status_timings.text()
    for label in ("decode", "resize", "rounded-corners", "watermark", "encode"):
        assert label in timings
    assert win.doc.undo_stack.count() == 0  # opening is not an edit


def test_build_a_cascade_through_the_widgets(qtbot, win):
    sp = win.steps_panel
    win.act_clear.trigger()
    sp.add_actions["resize"].trigger()
    spin = sp.form.editor("w").spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "200")
    sp.add_actions["rotate"].trigger()
    sp.add_actions["format"].trigger()
    combo = sp.form.editor("value").combo
    combo.setCurrentIndex(combo.findData("webp"))
    assert win.process_field.text() == "image/resize,w_200/rotate,90/format,webp"
    out = wait_output(qtbot, win, lambda o: o.process == win.doc.process_string())
    assert (out.result.width, out.result.height) == (134, 200)
    assert out.result.format == "webp"
    assert decode(out.result.data).size == (134, 200)


def test_clicking_a_step_shows_the_image_after_it(qtbot, win):
    win.process_field.set_text("image/resize,w_200/rotate,90/format,png")
    win.doc.select(0)
    out = wait_output(qtbot, win, lambda o: o.process == "image/resize,w_200")
    assert (out.result.width, out.result.height) == (200, 134)
    assert out.result.format == "jpg"  # format comes later in the cascade
    assert "After step 1 of 3" in win.preview.caption.text()
    win.doc.select(1)
    out = wait_output(qtbot, win, lambda o: o.process == "image/resize,w_200/rotate,90")
    assert (out.result.width, out.result.height) == (134, 200)
    win.preview.act_follow.setChecked(False)
    out = wait_output(qtbot, win, lambda o: o.process == win.doc.process_string())
    assert out.result.format == "png"
    assert "whole cascade" in win.preview.caption.text()


def test_a_failing_step_is_reported_inline_and_recovers(qtbot, win):
    win.process_field.set_text("image/resize,w_200")
    wait_output(qtbot, win, lambda o: o.process == "image/resize,w_200")
    good = win.last_output
    # A watermark image that is not in the "bucket": valid syntax, fails when rendered.
    win.process_field.set_text("image/resize,w_200/watermark,image_bWlzc2luZy5wbmc")
    qtbot.waitUntil(lambda: win.last_error is not None, timeout=WAIT)
    assert win.last_error.code == "NoSuchKey"
    assert win.preview.banner.isVisibleTo(win) and "Step 2 (watermark)" in win.preview.banner.text()
    assert win.steps_panel.model.errors.keys() == {1}
    assert win.last_output is good  # the last good result stays on screen, dimmed
    assert win.preview.single.stale
    win.doc.select(1)
    assert win.steps_panel.form._rows["image"].error.isVisibleTo(win.steps_panel.form)
    win.doc.undo_stack.undo()
    wait_output(qtbot, win, lambda o: o.process == "image/resize,w_200")
    assert not win.preview.banner.isVisibleTo(win) and not win.steps_panel.model.errors


def test_a_failure_on_a_new_source_does_not_show_the_old_image(qtbot, win):
    win.open_path(str(sample_path("transparent.png")))
    win.process_field.set_text("image/watermark,image_bWlzc2luZy5wbmc")
    qtbot.waitUntil(lambda: win.last_error is not None, timeout=WAIT)
    assert win.last_output.request.source.name == "example.jpg"
    assert win.preview.single.after.size.isEmpty()
    assert "Nothing to show" in win.preview.banner.text()
    assert win.status_output.text().startswith("No output")


def test_watermark_objects_come_from_the_samples(qtbot, win):
    # logo.png is a bundled sample: usable as a watermark object with no set-up.
    win.process_field.set_text("image/watermark,image_bG9nby5wbmc,g_center")
    out = wait_output(qtbot, win, lambda o: "watermark" in o.process)
    assert (out.result.width, out.result.height) == (400, 267)


def test_info_and_average_hue_of_source_and_output(qtbot, win):
    panel = win.info_panel
    qtbot.waitUntil(lambda: panel.current is not None and panel.current.label == "source",
                    timeout=WAIT)
    info = json.loads(panel.text.toPlainText())
    assert info["ImageWidth"] == {"value": "400"} and info["FileSize"] == {"value": "21839"}
    # Published vector 13: average-hue of example.jpg is 0x5c783b (ours is within 1 per
    # channel, see docs/COMPATIBILITY.md); the swatch and the label show the same value.
    shown = panel.swatch.color
    published = (0x5C, 0x78, 0x3B)
    assert all(abs(int(shown[i:i + 2], 16) - c) <= 1 for i, c in zip((0, 2, 4), published))
    assert f'"0x{shown}"' in panel.hue_label.text()
    panel.rb_output.setChecked(True)
    qtbot.waitUntil(lambda: panel.current is not None and panel.current.label == "output",
                    timeout=WAIT)
    out_info = json.loads(panel.text.toPlainText())
    assert out_info["ImageWidth"] == {"value": str(win.last_output.result.width)}


def test_a_json_cascade_is_shown_as_json(qtbot, win):
    win.process_field.set_text("image/average-hue")
    out = wait_output(qtbot, win, lambda o: o.process == "image/average-hue")
    assert out.result.is_json
    assert win.preview.stack.currentWidget() is win.preview.json_view
    assert "RGB" in win.preview.json_view.toPlainText()
    win.process_field.set_text("image/resize,w_50")
    wait_output(qtbot, win, lambda o: o.process == "image/resize,w_50")
    assert win.preview.stack.currentWidget() is not win.preview.json_view


def test_a_bad_file_is_reported_and_the_image_stays(qtbot, win, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 definitely not a jpeg")
    source = win.doc.source
    assert win.open_path(str(bad)) is False
    assert win.doc.source is source
    msg = win.source_bar.message
    assert msg.isVisibleTo(win) and "broken.jpg" in msg.text() and "BadRequest" in msg.text()
    assert win.open_path(str(tmp_path / "missing.png")) is False
    assert "NoSuchKey" in msg.text()


def test_open_every_sample(qtbot, win):
    win.process_field.set_text("image/resize,w_100")
    for sample in SAMPLES:
        assert win.open_path(str(sample_path(sample)))
        out = wait_output(qtbot, win, lambda o, s=sample: o.request.source.name == s.file)
        assert out.result.width == min(100, out.before.width)  # limit_1: never enlarged
    # Samples are not "recent files": that list is the user's own.
    assert win.settings.value("sources/recent", []) in ([], None)


def test_exif_rotated_sample_is_upright(qtbot, win):
    win.process_field.set_text("image/resize,w_200")
    win.open_path(str(sample_path("exif-rotated.jpg")))
    out = wait_output(qtbot, win, lambda o: o.request.source.name == "exif-rotated.jpg")
    assert (out.result.width, out.result.height) == (200, 134)
    assert (out.before.width, out.before.height) == (400, 267)
    win.process_field.set_text("image/auto-orient,0/resize,w_200")
    out = wait_output(qtbot, win, lambda o: "auto-orient" in o.process)
    assert (out.result.width, out.result.height) == (200, 300)


def test_animated_gif_plays_in_the_preview(qtbot, win):
    win.process_field.set_text("image/resize,w_100")
    win.open_path(str(sample_path("animated.gif")))
    out = wait_output(qtbot, win, lambda o: o.request.source.name == "animated.gif")
    assert out.after.total == 12 and "12 frames" in win.status_output.text()
    assert win.preview.act_play.isVisible()
    anim = win.preview._after
    qtbot.waitUntil(lambda: anim.index > 0, timeout=WAIT)


def test_recent_files_are_remembered(qtbot, win, tmp_path):
    path = tmp_path / "red.png"
    path.write_bytes(solid(30, 20))
    assert win.open_path(str(path))
    win._fill_recent()
    titles = [a.text() for a in win.recent_menu.actions()]
    assert "red.png" in titles
    out = wait_output(qtbot, win, lambda o: o.request.source.name == "red.png")
    assert out.before.width == 30


class _Handler(http.server.BaseHTTPRequestHandler):
    hold = threading.Event()   # /slow/... answers only once the test sets it

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/slow/"):
            self.hold.wait(WAIT / 1000)
        if self.path in ("/bucket/cat.jpg", "/slow/cat.jpg"):
            body = EXAMPLE.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
        else:
            body = b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>"
            self.send_response(404)
            self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    _Handler.hold.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _Handler.hold.set()
    httpd.shutdown()
    httpd.server_close()


def test_open_url_in_the_background(qtbot, win, server):
    win.process_field.set_text("image/resize,w_100")
    with qtbot.waitSignal(win.fetcher.fetched, timeout=WAIT):
        win.open_url(server + "/bucket/cat.jpg")
    assert win.doc.source_name == "cat.jpg"
    out = wait_output(qtbot, win, lambda o: o.request.source.name == "cat.jpg")
    assert out.before.width == 400
    assert not win.source_bar.message.isVisibleTo(win)
    assert win.source_path is None  # a URL is never remembered as the session source


def test_url_errors_are_inline(qtbot, win, server):
    source = win.doc.source
    with qtbot.waitSignal(win.fetcher.failed, timeout=WAIT):
        win.open_url(server + "/bucket/nothing.jpg")
    text = win.source_bar.message.text()
    assert "404" in text and "NoSuchKey" in text
    assert win.doc.source is source
    with qtbot.waitSignal(win.fetcher.failed, timeout=WAIT):
        win.open_url("ftp://example.invalid/x.jpg")
    assert "http" in win.source_bar.message.text()


def test_url_timeout_is_inline(qtbot, win, server, monkeypatch):
    import viewer.model.sources as sources

    monkeypatch.setattr(sources, "FETCH_TIMEOUT", (2, 0.3))
    with qtbot.waitSignal(win.fetcher.failed, timeout=WAIT) as blocker:
        win.open_url(server + "/slow/cat.jpg")
    assert blocker.args[0].code == "RequestTimeout"
    assert "RequestTimeout" in win.source_bar.message.text()
    assert win.doc.source_name == "example.jpg"


def test_the_latest_url_wins(qtbot, win, server):
    fetched = []
    win.fetcher.fetched.connect(lambda src, url: fetched.append(url))
    win.open_url(server + "/slow/cat.jpg")          # held by the server
    with qtbot.waitSignal(win.fetcher.fetched, timeout=WAIT):
        win.open_url(server + "/bucket/cat.jpg")
    _Handler.hold.set()                              # now the first one completes too
    qtbot.waitUntil(lambda: win.fetcher.task.stale == 1, timeout=WAIT)
    assert fetched == [server + "/bucket/cat.jpg"]


def test_url_connection_refused_is_inline(qtbot, win):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with qtbot.waitSignal(win.fetcher.failed, timeout=WAIT):
        win.open_url(f"http://127.0.0.1:{port}/x.jpg")
    assert "Could not connect" in win.source_bar.message.text()


def test_paste_an_image_a_file_or_a_process_string(qtbot, win, tmp_path):
    mime = QMimeData()
    img = QImage(24, 16, QImage.Format.Format_ARGB32)
    img.fill(QColor(0, 128, 255, 128))
    mime.setImageData(img)
    assert win.accept_mime(mime, "clipboard")
    assert win.doc.source_name == "clipboard.png"
    out = wait_output(qtbot, win, lambda o: o.request.source.name == "clipboard.png")
    assert out.before.width == 24 and out.before.has_alpha

    path = tmp_path / "dropped.png"
    path.write_bytes(solid(12, 10))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert win.accept_mime(mime, "drop")
    assert win.doc.source_name == "dropped.png"

    mime = QMimeData()
    mime.setText("x-oss-process=image/rotate,180")
    assert win.accept_mime(mime, "clipboard")
    assert win.doc.process_string() == "image/rotate,180"

    QApplication.clipboard().setText("image/resize,w_77")
    win.act_paste.trigger()
    assert win.doc.process_string() == "image/resize,w_77"


def test_settings_persist_without_secrets(main_window, settings, tmp_path):
    path = tmp_path / "mine.png"
    path.write_bytes(solid(40, 30))
    w = main_window()
    w.open_path(str(path))
    w.process_field.set_text("image/resize,w_33/format,png")
    w.preview.set_mode("side")
    w.close()
    again = main_window()
    assert again.doc.process_string() == "image/resize,w_33/format,png"
    assert again.doc.source_name == "mine.png"
    assert again.preview.mode == "side"
    assert again.doc.undo_stack.count() == 0
    again.close()
    text = Path(settings.fileName()).read_text(encoding="utf-8", errors="replace").lower()
    for word in ("secret", "accesskey", "token", "password", "signature"):
        assert word not in text


def test_undo_redo_through_the_menu(qtbot, win):
    start = win.doc.process_string()
    win.steps_panel.add("blur")
    assert win.act_undo.isEnabled()
    win.act_undo.trigger()
    assert win.doc.process_string() == start
    win.act_redo.trigger()
    assert "blur,r_3,s_2" in win.doc.process_string()


def _focus(qtbot, widget) -> None:
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


def test_ctrl_z_undoes_in_the_panel_that_has_focus(qtbot, win):
    """Cascade edits and library edits are on two stacks in one QUndoGroup: Ctrl+Z follows
    focus, the document by default."""
    styles = win.extra_panels["styleDock"]
    win.extra_docks["styleDock"].raise_()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    assert win.undo_group.activeStack() is win.doc.undo_stack
    start = win.doc.process_string()
    assert styles.save_current("thumb")
    win.steps_panel.add("blur")
    edited = win.doc.process_string()
    assert edited != start

    _focus(qtbot, win.steps_panel.list)
    assert win.act_undo.text() == "&Undo Add blur"
    qtbot.keyClick(win.steps_panel.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.process_string() == start            # the cascade edit, undone
    assert styles.library.names() == ["thumb"]           # the library untouched

    _focus(qtbot, styles.tree)
    assert win.undo_group.activeStack() is styles.undo_stack
    assert win.act_undo.text() == "&Undo Save style thumb"
    qtbot.keyClick(styles.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert styles.library.names() == []                  # the save, undone
    assert win.doc.process_string() == start             # the cascade untouched
    qtbot.keyClick(styles.tree, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert styles.library.names() == ["thumb"]           # redo follows focus too

    # Back in the document's part of the window: the document's stack again.
    _focus(qtbot, win.steps_panel.list)
    win.act_redo.trigger()
    assert win.doc.process_string() == edited
    assert styles.library.names() == ["thumb"]


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_palettes_are_readable(qtbot, win, theme):
    from viewer.theme import apply_theme

    app = QApplication.instance()
    old_palette, old_sheet, old_style = app.palette(), app.styleSheet(), app.style().name()
    try:
        apply_theme(app, theme)
        pal = app.palette()
        R = QPalette.ColorRole
        assert _contrast(pal.color(R.Text), pal.color(R.Base)) >= 7
        assert _contrast(pal.color(R.WindowText), pal.color(R.Window)) >= 7
        assert _contrast(pal.color(R.HighlightedText), pal.color(R.Highlight)) >= 3
        assert _contrast(pal.color(R.PlaceholderText), pal.color(R.Base)) >= 3
        assert (pal.color(R.Window).lightness() < 128) == (theme == "dark")
        win.grab()  # paints every widget with the palette without errors
    finally:
        app.setStyle(old_style)
        app.setPalette(old_palette)
        app.setStyleSheet(old_sheet)


def test_colleague_panels_are_docked_over_the_same_document(win):
    import importlib.util

    from viewer.mainwindow import OPTIONAL_DOCKS

    for module, _cls, title, name in OPTIONAL_DOCKS:
        if importlib.util.find_spec(module) is None:
            assert name not in win.extra_docks
            continue
        assert win.extra_docks[name].windowTitle() == title
        assert win.extra_panels[name].doc is win.doc
    assert not win.dock_errors


def test_docked_panels_fit_the_docks_natural_width(qtbot, win):
    for name, panel in win.extra_panels.items():
        dock = win.extra_docks[name]
        dock.raise_()
        qtbot.waitUntil(panel.isVisible)
        assert panel.minimumSizeHint().width() <= dock.widget().viewport().width(), name
        # The scroll area updates its bars on the next layout pass.
        bar = dock.widget().horizontalScrollBar()
        qtbot.waitUntil(lambda: not bar.isVisible())


def test_a_missing_or_broken_panel_never_stops_the_app(main_window, monkeypatch):
    import viewer.mainwindow as mw

    monkeypatch.setattr(mw, "OPTIONAL_DOCKS", (
        ("viewer.not_written_yet", "Panel", "Later", "laterDock"),
        ("viewer.model.sources", "NoSuchPanel", "Broken", "brokenDock"),
    ))
    w = main_window()
    assert not w.extra_docks
    assert len(w.dock_errors) == 1 and "Broken" in w.dock_errors[0]
    w.close()


def test_engine_notes_appear_next_to_the_preview(qtbot, win):
    # fangzhengkaiti is proprietary: core renders a substitute and says so in the notes.
    win.process_field.set_text(
        "image/watermark,text_5rC05Y2w,type_ZmFuZ3poZW5na2FpdGk,size_30")
    out = wait_output(qtbot, win, lambda o: "type_" in o.process)
    assert out.result.notes
    assert win.preview.notes.isVisibleTo(win)
    assert "proprietary" in win.preview.notes.text()
    win.process_field.set_text("image/resize,w_90")
    wait_output(qtbot, win, lambda o: o.process == "image/resize,w_90")
    assert not win.preview.notes.isVisibleTo(win)
