"""Editing on the canvas with real mouse drags: crop handles and move, the watermark
snapping to the nine anchors, circle and rounded-corners radius handles. Expected values
follow the OSS geometry rules (spec 3 crop: offsets right/down from the anchor; spec 15.1
watermark placement nw (x, y), se (W-ww-x, H-wh-y), middle row centre - voffset), each
drag is one undo step, and the form follows live."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from core.cascade import parse
from viewer.canvas.canvas import CompareMode

WAIT = 15_000
W, H = 400, 267          # resources/samples/example.jpg


@pytest.fixture
def win(main_window):
    return main_window(size=(1280, 800), rendered=True)


def start(qtbot, win, process: str, index: int = 0):
    win.doc.set_process_string(process)
    win.doc.select(index)
    win.doc.undo_stack.clear()
    win.preview.set_mode(CompareMode.AFTER)
    ed = win.canvas_editor
    assert ed.act.isEnabled()
    ed.act.setChecked(True)
    qtbot.waitUntil(lambda: ed.input is not None and not win.renderer.task.busy
                    and not ed.task.busy, timeout=WAIT)
    win.preview.act_actual.trigger()          # 1 image pixel = 1 screen pixel
    return ed


def drag(qtbot, canvas, start: QPointF, dx: int, dy: int) -> None:
    a = QPoint(round(start.x()), round(start.y()))
    b = a + QPoint(dx, dy)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(canvas, a + QPoint(dx // 2, dy // 2))
    qtbot.mouseMove(canvas, b)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=b)


def op_of(process: str):
    return parse(process).steps[0]


def test_crop_corner_handle_and_move(qtbot, win):
    ed = start(qtbot, win, "image/crop,x_10,y_10,w_100,h_80")
    c = win.preview.single
    drag(qtbot, c, ed.crop_handles(c)["se"], 50, 20)
    assert win.doc.steps[0].op == op_of("image/crop,x_10,y_10,w_150,h_100")
    assert win.doc.undo_stack.count() == 1                      # one drag, one step
    assert win.steps_panel.form.editor("w").spin.value() == 150  # the form follows
    assert "w_150" in win.process_field.text()
    # Move: inside the box; x/y shift, w/h stay.
    drag(qtbot, c, ed.to_widget(c, 60, 50), 30, 40)
    assert win.doc.steps[0].op == op_of("image/crop,x_40,y_50,w_150,h_100")
    assert win.doc.undo_stack.count() == 2
    # Moved far right, the box stops at the image edge: x = W - w.
    drag(qtbot, c, ed.to_widget(c, 100, 90), 900, 0)
    assert win.doc.steps[0].op.x == W - 150
    win.act_undo.trigger()
    assert win.doc.steps[0].op == op_of("image/crop,x_40,y_50,w_150,h_100")


def test_a_drag_writes_live_and_is_one_undo_step(qtbot, win):
    ed = start(qtbot, win, "image/circle,r_50")
    c = win.preview.single
    a = ed.to_widget(c, *ed.radius_handle()).toPoint()
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=a)
    for dx in (10, 20):
        qtbot.mouseMove(c, a + QPoint(dx, 0))
        # Mid-drag: the document, the form and the process string already say so.
        assert win.doc.process_string() == f"image/circle,r_{50 + dx}"
        assert win.steps_panel.form.editor("r").spin.value() == 50 + dx
        qtbot.waitUntil(lambda: win.process_field.text() == f"image/circle,r_{50 + dx}")
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=a + QPoint(20, 0))
    assert win.doc.undo_stack.count() == 1
    win.act_undo.trigger()
    assert win.doc.process_string() == "image/circle,r_50"


def test_crop_before_its_anchor_is_measured_from_nw(qtbot, win):
    # g_se: the box is the bottom-right 100x80, (300, 187)-(400, 267). OSS offsets only go
    # right/down from the anchor, so a box moved up-left is written from nw.
    ed = start(qtbot, win, "image/crop,w_100,h_80,g_se")
    c = win.preview.single
    assert ed.crop_box() == (300, 187, 400, 267)
    drag(qtbot, c, ed.to_widget(c, 350, 220), -50, -30)
    assert win.doc.steps[0].op == op_of("image/crop,x_250,y_157,w_100,h_80,g_nw")


TEXT = "image/watermark,text_T1NT,size_40,g_se,x_10,y_10"


def test_watermark_snaps_to_anchors_and_writes_oss_offsets(qtbot, win):
    ed = start(qtbot, win, TEXT)
    c = win.preview.single
    ww, wh = ed.input.block.width(), ed.input.block.height()
    left, top = W - ww - 10, H - wh - 10                # se: (W-ww-x, H-wh-y)
    assert ed.mark_rect() == (left, top, ww, wh)
    centre = ed.to_widget(c, left + ww / 2, top + wh / 2)
    # Into the top-left ninth, top-left corner at (20, 15): nw measures (x, y) directly.
    drag(qtbot, c, centre, 20 - left, 15 - top)
    op = win.doc.steps[0].op
    assert (op.g, op.x, op.y) == ("nw", 20, 15)
    assert win.doc.undo_stack.count() == 1
    # To the right edge, middle row, 12 px above the centre line: east, x from the right
    # edge, voffset positive = up (docs/COMPATIBILITY.md).
    target = (W - ww - 30, (H - wh) // 2 - 12)
    drag(qtbot, c, ed.to_widget(c, 20 + ww / 2, 15 + wh / 2), target[0] - 20, target[1] - 15)
    op = win.doc.steps[0].op
    assert (op.g, op.x, op.voffset) == ("east", 30, 12)
    assert ed.mark_rect()[:2] == target
    assert win.doc.undo_stack.count() == 2
    assert "g_east" in win.process_field.text() and "voffset_12" in win.process_field.text()
    # Close to the centre line it snaps onto it (voffset 0).
    drag(qtbot, c, ed.to_widget(c, target[0] + ww / 2, target[1] + wh / 2), 0, 9)
    assert win.doc.steps[0].op.voffset == 0
    win.act_undo.trigger()
    assert win.doc.steps[0].op.voffset == 12


def test_watermark_margins_stay_in_declared_range(qtbot, win):
    ed = start(qtbot, win, TEXT)
    c = win.preview.single
    left, top, ww, wh = ed.mark_rect()
    drag(qtbot, c, ed.to_widget(c, left + ww / 2, top + wh / 2), 200, 200)  # off the edge
    op = win.doc.steps[0].op
    assert (op.g, op.x, op.y) == ("se", 0, 0)          # x, y in [0, 4096]


def test_circle_radius_handle(qtbot, win):
    ed = start(qtbot, win, "image/circle,r_50")
    c = win.preview.single
    # The circle is the (2r+1) square centred at (W//2, H//2): its right edge at W//2+r+1.
    assert ed.radius_handle() == (W // 2 + 50 + 1, H // 2 + 0.5)
    drag(qtbot, c, ed.to_widget(c, *ed.radius_handle()), 30, 0)
    assert win.doc.process_string() == "image/circle,r_80"
    assert win.steps_panel.form.editor("r").spin.value() == 80
    drag(qtbot, c, ed.to_widget(c, *ed.radius_handle()), -400, 0)
    assert win.doc.process_string() == "image/circle,r_1"   # declared minimum
    assert win.doc.undo_stack.count() == 2


def test_rounded_corners_radius_handle(qtbot, win):
    ed = start(qtbot, win, "image/resize,w_300/rounded-corners,r_24", index=1)
    c = win.preview.single
    assert (ed.input.width, ed.input.height) == (300, 200)  # the step's input: resized
    assert ed.radius_handle() == (24, 0.0)
    drag(qtbot, c, ed.to_widget(c, *ed.radius_handle()), 16, 0)
    assert win.doc.process_string() == "image/resize,w_300/rounded-corners,r_40"
    assert win.doc.undo_stack.count() == 1


def test_no_handles_when_the_step_input_cannot_be_made(qtbot, win):
    import base64

    key = base64.urlsafe_b64encode(b"no-such-mark.png").decode().rstrip("=")
    win.doc.set_process_string(f"image/watermark,image_{key}")
    win.doc.select(0)
    ed = win.canvas_editor
    ed.act.setChecked(True)
    qtbot.waitUntil(lambda: "Edit on canvas" in win.statusBar().currentMessage(),
                    timeout=WAIT)
    assert "does not exist" in win.statusBar().currentMessage()
    assert ed.input is None and not ed.covers(win.preview.single)
