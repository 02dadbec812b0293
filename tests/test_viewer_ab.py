"""A/B compare through the window: B starts as a copy of A, a click on an image focuses
its side, edits (process string, undo) go to the focused side only, the URLs follow
focus, each side carries its readout, swap / make-B-current / toggle work, and source
and output are compared like with like (same scale, same centre)."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from PySide6.QtCore import QPoint, Qt

from viewer.canvas.ab import Pair, Side
from viewer.canvas.canvas import CompareMode

WAIT = 15_000
A = "image/resize,m_fill,w_320,h_240/format,webp"
B = "image/resize,m_fill,w_160,h_120/format,png"


@pytest.fixture
def win(main_window):
    w = main_window(size=(1280, 800), rendered=True)
    w.doc.set_process_string(A)
    w.doc.undo_stack.clear()
    return w


def settled(w) -> bool:
    c = w.compare
    return not w.renderer.task.busy and not c.renderer.task.busy and all(
        c.outputs[s] is not None and c._matches(c.outputs[s], s) for s in
        ((Side.A, Side.B) if c.ws.active else (c.ws.focused,)))


def wait_settled(qtbot, w):
    qtbot.waitUntil(lambda: settled(w), timeout=WAIT)


def type_process(qtbot, w, text: str) -> None:
    field = w.process_field
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, text)
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.doc.process_string() == text, timeout=WAIT)


def click_side(qtbot, w, side: int) -> None:
    """Click the left (0) or right (1) half of the split canvas."""
    c = w.preview.single
    r = c.compare_rect()
    x = r.left() + r.width() * (0.2 if side == 0 else 0.8)
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=QPoint(int(x), int(r.center().y())))


def test_b_is_a_copy_and_edits_go_to_the_focused_side(qtbot, win):
    c = win.compare
    win.preview.set_mode(CompareMode.SPLIT)
    qtbot.mouseClick(c.bar.widgetForAction(c.act_ab), Qt.MouseButton.LeftButton)
    assert c.ws.active and c.ws.focused is Side.A
    assert c.expected(Side.B) == A
    wait_settled(qtbot, win)
    assert win.preview.single.labels == ("A", "B")
    click_side(qtbot, win, 1)                          # the right image is B
    assert c.ws.focused is Side.B and c.act_focus[Side.B].isChecked()
    assert win.preview.single.focus_side == 1
    type_process(qtbot, win, B)
    assert c.expected(Side.A) == A                     # A untouched
    assert win.process_field.text() == B
    wait_settled(qtbot, win)
    # Readouts: w x h after m_fill is exactly w_ x h_ (spec: fill = mfit then crop).
    left, right = win.preview.single.readouts
    assert left.startswith("A · 320×240 · webp · ") and left.endswith(" ms")
    assert right.startswith("B · 160×120 · png · ")
    b_out = c.outputs[Side.B]
    src = len(win.doc.source.data)
    change = (len(b_out.result.data) - src) / src * 100
    assert f"{change:+.0f}% vs source" in right
    # Focus back on A through its image: the process field follows.
    click_side(qtbot, win, 0)
    assert c.ws.focused is Side.A and win.process_field.text() == A


def test_undo_is_per_side(qtbot, win):
    c = win.compare
    c.act_ab.trigger()
    c.act_focus[Side.B].trigger()
    type_process(qtbot, win, B)
    assert win.undo_group.activeStack() is win.doc.undo_stack
    assert c.ws.stack_of(Side.A).count() == 0
    win.act_undo.trigger()
    assert win.doc.process_string() == A               # B's edit undone, on B
    assert c.ws.focused is Side.B
    win.act_redo.trigger()
    c.act_focus[Side.A].trigger()
    assert win.doc.process_string() == A and not win.doc.undo_stack.canUndo()
    assert c.expected(Side.B) == B


def test_urls_follow_the_focused_side(qtbot, win):
    urls = win.extra_panels["urlDock"]
    urls.bucket.setText("example-bucket")
    c = win.compare
    c.act_ab.trigger()
    c.act_focus[Side.B].trigger()
    type_process(qtbot, win, B)
    qtbot.waitUntil(lambda: "w_160" in urls.results.texts.get("plain", ""), timeout=WAIT)
    assert "x-oss-process=" + quote(B, safe="") in urls.results.texts["plain"]
    c.act_focus[Side.A].trigger()
    qtbot.waitUntil(lambda: "w_320" in urls.results.texts.get("plain", ""), timeout=WAIT)


def test_swap_and_make_b_current(qtbot, win):
    c = win.compare
    c.act_ab.trigger()
    c.act_focus[Side.B].trigger()
    type_process(qtbot, win, B)
    c.act_swap.trigger()
    assert (c.expected(Side.A), c.expected(Side.B)) == (B, A)
    assert c.ws.focused is Side.B and win.process_field.text() == A
    c.act_swap.trigger()
    c.act_make_current.trigger()
    assert c.ws.focused is Side.A
    assert c.expected(Side.A) == B == c.expected(Side.B)
    win.act_undo.trigger()                              # make-current is one undo step of A
    assert win.doc.process_string() == A


def test_toggle_flips_a_and_b_in_place(qtbot, win):
    c = win.compare
    c.act_ab.trigger()
    c.act_focus[Side.B].trigger()
    type_process(qtbot, win, B)
    wait_settled(qtbot, win)
    pv = win.preview
    pv.act_actual.trigger()
    pv.set_mode(CompareMode.AFTER)
    canvas = pv.single
    assert canvas.image_rect().width() * canvas.dpr() == pytest.approx(160)   # B
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert pv.mode is CompareMode.BEFORE
    assert canvas.image_rect().width() * canvas.dpr() == pytest.approx(320)   # A
    assert canvas.image_rect().center() == canvas.anchor_rect().center()      # same place
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert pv.mode is CompareMode.AFTER


def test_source_and_rotated_output_are_compared_like_with_like(qtbot, win):
    c = win.compare
    c.act_ab.trigger()
    c.act_focus[Side.B].trigger()
    type_process(qtbot, win, "image/rotate,90")
    c.set_pair(Pair.SOURCE_B)
    wait_settled(qtbot, win)
    pv = win.preview
    pv.set_mode(CompareMode.SPLIT)
    pv.act_actual.trigger()
    canvas = pv.single
    assert canvas.labels == ("Source", "B")
    after = canvas.anchor_rect()
    before = canvas.before_rect(after)
    dpr = canvas.dpr()
    # rotate,90 of 400x267 is 267x400 (spec: multiples of 90 swap the sides); both at 1:1.
    assert (round(after.width() * dpr), round(after.height() * dpr)) == (267, 400)
    assert (round(before.width() * dpr), round(before.height() * dpr)) == (400, 267)
    assert before.center() == after.center()
    left, right = canvas.readouts
    assert left == "Source · 400×267 · jpg · 21.3 KB"
    assert right.startswith("B · 267×400 · jpg · ")


def test_stop_keeps_a(qtbot, win):
    c = win.compare
    c.act_ab.trigger()
    c.act_focus[Side.B].trigger()
    type_process(qtbot, win, B)
    c.act_ab.trigger()
    assert not c.ws.active and not c.act_swap.isVisible()
    assert win.doc.process_string() == A
    wait_settled(qtbot, win)
    assert win.preview.single.labels == ("Before", "After")


def test_a_is_remembered_on_quit_even_with_b_focused(qtbot, win, settings):
    c = win.compare
    c.act_ab.trigger()
    c.act_focus[Side.B].trigger()
    type_process(qtbot, win, B)
    win.save_settings()
    assert settings.value("session/process") == A


def test_no_two_window_actions_share_a_shortcut(win):
    # An ambiguous shortcut does nothing at all. A window-wide key must belong to one
    # action, and to no action scoped to a widget (inside that widget both would die);
    # scoped keys may repeat in different widgets (Del in the steps and the styles).
    from collections import Counter

    from PySide6.QtGui import QAction

    window, scoped = Counter(), set()
    for act in set(win.findChildren(QAction)):
        keys = [seq.toString() for seq in act.shortcuts()]
        if act.shortcutContext() in (Qt.ShortcutContext.WindowShortcut,
                                     Qt.ShortcutContext.ApplicationShortcut):
            window.update(keys)
        else:
            scoped.update(keys)
    assert [k for k, n in window.items() if n > 1] == []
    assert sorted(scoped & set(window)) == []
