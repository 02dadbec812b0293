"""The preview canvas: fit never enlarges, 100% is one image pixel per device pixel, zoom
and pan are shared by every canvas, Ctrl+wheel zooms about the pointer, the split line
drags, and transparent pixels show a checkerboard."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.helpers import solid
from viewer.canvas.canvas import CompareMode
from viewer.canvas.preview import PreviewPanel
from viewer.model.render import decode_for_display


@pytest.fixture
def panel(qtbot):
    p = PreviewPanel()
    qtbot.addWidget(p)
    p.resize(900, 700)
    p.show()
    qtbot.waitExposed(p)
    return p


def frames(w, h, color=(200, 30, 30), mode="RGB"):
    return decode_for_display(solid(w, h, color, mode=mode))


def image_point(canvas, pos: QPointF) -> tuple[float, float]:
    r = canvas.image_rect()
    s = canvas.zoom() / canvas.dpr()
    return (pos.x() - r.left()) / s, (pos.y() - r.top()) / s


def test_fit_enlarges_a_small_image_unless_never_enlarge(panel):
    # Issue 9: a 134x200 result stayed tiny in a 700 px canvas. Fit now fills the view.
    panel.show_images(frames(100, 80), frames(134, 200))
    c = panel.single
    r = c.image_rect()
    assert panel.zoom() > 1.0
    # The limiting side fills the canvas less the 16 px margin on each side.
    assert r.height() == pytest.approx(c.height() - 32, abs=1)
    assert r.width() == pytest.approx(134 * (c.height() - 32) / 200, abs=1)
    panel.act_never_enlarge.trigger()
    assert panel.state.never_enlarge and panel.zoom() == 1.0
    r = c.image_rect()
    assert (r.width(), r.height()) == (134, 200)
    panel.set_never_enlarge(False)
    assert not panel.act_never_enlarge.isChecked() and panel.zoom() > 1.0


def test_error_and_notes_float_over_the_canvas(qtbot, panel):
    panel.show_images(frames(100, 80), frames(60, 40))
    before = panel.stack.geometry()
    panel.show_error("<b>Step 1 (resize)</b>: InvalidArgument: w must be 1-16384")
    panel.set_notes(["a note", "another"])
    qtbot.waitUntil(lambda: panel.banner.isVisible())
    assert panel.stack.geometry() == before            # the canvas did not move
    assert panel.banner.parentWidget() is panel.stack
    assert panel.banner.geometry().top() == 8
    assert panel.notes.geometry().bottom() < panel.stack.height()


def test_fit_shrinks_a_large_image(panel):
    panel.show_images(frames(3000, 1500), frames(3000, 1500))
    c = panel.single
    assert c.zoom() < 1.0
    r = c.image_rect()
    assert r.width() <= c.width() and r.height() <= c.height()
    assert r.center().x() == pytest.approx(c.width() / 2)


def test_zoom_buttons_step_through_stops(panel):
    panel.show_images(frames(400, 300), frames(400, 300))
    panel.set_mode(CompareMode.AFTER)
    panel.act_actual.trigger()
    assert panel.zoom() == 1.0 and panel.zoom_label.text() == "100%"
    panel.act_zoom_in.trigger()
    assert panel.zoom() == 1.5
    panel.act_zoom_out.trigger()
    panel.act_zoom_out.trigger()
    assert panel.zoom() == pytest.approx(2 / 3)
    panel.act_fit.trigger()
    assert panel.state.fit


def test_side_by_side_shares_zoom_and_pan(qtbot, panel):
    panel.show_images(frames(1600, 1200), frames(800, 600))
    panel.set_mode(CompareMode.SIDE_BY_SIDE)
    left, right = panel.left, panel.right
    right.zoom_at(2.0)
    assert left.zoom() == right.zoom() == 2.0
    qtbot.mousePress(right, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    qtbot.mouseMove(right, QPoint(150, 170))
    qtbot.mouseRelease(right, Qt.MouseButton.LeftButton, pos=QPoint(150, 170))
    assert panel.state.cx > 0.5 and panel.state.cy > 0.5
    # Like with like: both halves draw at one scale, their centres at the same place.
    lr, rr = left.image_rect(), right.image_rect()
    assert lr.width() / 1600 == pytest.approx(rr.width() / 800) == pytest.approx(2.0 / left.dpr())
    assert lr.center().x() - left.width() / 2 == pytest.approx(rr.center().x() - right.width() / 2,
                                                                abs=1)
    assert lr.center().y() == pytest.approx(rr.center().y(), abs=1)


def test_ctrl_wheel_zooms_about_the_pointer(panel):
    panel.show_images(frames(1600, 1200), frames(1600, 1200))
    panel.set_mode(CompareMode.AFTER)
    c = panel.single
    panel.act_actual.trigger()
    pos = QPointF(300, 220)
    before = image_point(c, pos)
    ev = QWheelEvent(pos, c.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(c, ev)
    assert c.zoom() > 1.0
    after = image_point(c, pos)
    assert after == pytest.approx(before, abs=0.5)


def test_plain_wheel_pans(panel):
    panel.show_images(frames(1600, 1200), frames(1600, 1200))
    panel.set_mode(CompareMode.AFTER)
    panel.act_actual.trigger()
    c = panel.single
    y0 = c.image_rect().top()
    ev = QWheelEvent(QPointF(100, 100), c.mapToGlobal(QPointF(100, 100)), QPoint(0, 0),
                     QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(c, ev)
    assert c.image_rect().top() < y0 and c.zoom() == 1.0


def test_split_line_drags(qtbot, panel):
    panel.show_images(frames(400, 300, (0, 0, 255)), frames(400, 300, (255, 0, 0)))
    panel.set_mode(CompareMode.SPLIT)
    c = panel.single
    r = c.image_rect()
    handle = QPoint(int(r.left() + r.width() / 2), int(r.center().y()))
    quarter = QPoint(round(r.width() / 4), 0)   # a quarter of the image, whatever the zoom
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=handle)
    qtbot.mouseMove(c, handle + quarter)
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=handle + quarter)
    assert panel.state.split == pytest.approx(0.75, abs=0.01)
    img = c.grab().toImage()
    y = int(r.center().y()) + 30
    assert img.pixelColor(int(r.left() + 0.6 * r.width()), y) == QColor(0, 0, 255)   # before
    assert img.pixelColor(int(r.left() + 0.9 * r.width()), y) == QColor(255, 0, 0)   # after


def test_checkerboard_under_transparent_pixels(panel):
    clear = frames(64, 64, (0, 0, 0, 0), mode="RGBA")
    panel.show_images(clear, clear)
    panel.set_mode(CompareMode.AFTER)
    c = panel.single
    r = c.image_rect()
    img = c.grab().toImage()
    inside = {img.pixelColor(int(r.left()) + dx, int(r.top()) + 4).name()
              for dx in (4, 12, 20, 28)}
    assert len(inside) == 2  # two alternating checker colours
    outside = img.pixelColor(5, 5).name()
    assert outside not in inside


def test_error_dims_the_last_image_and_clears(panel):
    panel.show_images(frames(50, 50), frames(50, 50))
    panel.show_error("<b>Step 1</b>: boom")
    assert panel.banner.isVisibleTo(panel) and panel.single.stale
    panel.show_images(frames(50, 50), frames(40, 40))
    panel.show_error(None)
    assert not panel.banner.isVisibleTo(panel) and not panel.single.stale
