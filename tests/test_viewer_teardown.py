"""Issue 17c: every Qt test leaves no window behind. The ``main_window`` fixture's windows
are deleted at teardown with their background work stopped, the autouse guard in
tests/conftest.py fails a test that leaves a top-level widget alive, naming it, and
deletes the test's parentless documents. Left alive, all of it stayed in reference cycles
until a later ``gc.collect()``, which crashed the test process now and then.

The guard and the fixture are exercised in an inner pytest session (pytester, in this
process: it shares the QApplication, as the suite's tests do)."""
from __future__ import annotations

import sys
import types

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from tests import viewer_windows
from viewer.model.document import Document
from viewer.panels.quality_panel import QualityPanel

pytest_plugins = ["pytester"]

INNER_CONFTEST = ("from tests.conftest import (_isolated_qt_settings, _no_leaked_windows, "
                  "main_window, settings)\n")


@pytest.fixture
def probe(monkeypatch):
    """What the inner session's tests hand back: the widgets they made."""
    probe = types.SimpleNamespace(seen=[])
    monkeypatch.setitem(sys.modules, "_teardown_probe", probe)
    return probe


@pytest.fixture
def inner(pytester, qapp):
    pytester.makeini("[pytest]\nqt_api = pyside6\n")
    pytester.makeconftest(INNER_CONFTEST)
    return pytester


def test_the_guard_fails_a_test_that_leaves_a_window_alive_and_deletes_it(inner, probe):
    before = viewer_windows.top_level_keys()
    inner.makepyfile(test_inner="""
        from PySide6.QtWidgets import QWidget
        import _teardown_probe as probe

        def test_leaves_one(qtbot):
            w = QWidget()
            w.setObjectName("leaky")
            w.setWindowTitle("Left behind")
            probe.seen.append(w)      # what a reference cycle did in the real tests

        def test_registers_one(qtbot):
            w = QWidget()
            qtbot.addWidget(w)
            w.show()
            probe.seen.append(w)

        def test_makes_none():
            pass
    """)
    result = inner.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_leaves_one*",
        "*1 top-level widget(s) left alive by the test: QWidget #leaky 'Left behind' "
        "hidden (register them with qtbot.addWidget*"])
    assert "test_registers_one" not in "".join(
        line for line in result.stdout.lines if line.startswith("ERROR"))
    leaky, registered = probe.seen
    # The guard deleted the leaked one, pytest-qt and the guard the registered one.
    assert not shiboken6.isValid(leaky) and not shiboken6.isValid(registered)
    assert viewer_windows.leaked_since(before) == []


def test_a_main_window_is_deleted_at_teardown_with_its_work_stopped(inner, probe):
    inner.makepyfile(test_inner="""
        import _teardown_probe as probe

        def test_window(main_window):
            w = main_window(rendered=True)
            probe.seen.append(w)
            probe.seen.append(w.renderer)
            probe.seen.extend(w.findChildren(type(w.renderer.pool)))
            w.process_field.set_text("image/resize,w_40/blur,r_3,s_2")  # a render in flight
    """)
    result = inner.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    window, renderer, *pools = probe.seen
    assert len(pools) >= 3      # the preview's, the compare side's, the canvas editor's...
    assert not any(shiboken6.isValid(o) for o in (window, renderer, *pools))


def test_a_deferred_delete_outside_an_event_loop_waits_for_flush_deletes(qtbot):
    """Why pytest-qt's close-and-deleteLater was not enough: outside an event loop,
    processing events leaves the deferred delete queued."""
    w = QWidget()
    w.deleteLater()
    QCoreApplication.processEvents()
    assert shiboken6.isValid(w)
    viewer_windows.flush_deletes()
    assert not shiboken6.isValid(w)


def test_plot_menus_go_with_their_panel(qtbot):
    """pyqtgraph's plot menus are parentless windows held only by its Python objects;
    once adopted they are deleted with the panel instead of by a later collection."""
    before = viewer_windows.top_level_keys()
    panel = QualityPanel(Document())
    menus = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, QMenu) and w.parentWidget() is None
             and shiboken6.getCppPointer(w)[0] not in before]
    assert len(menus) == 2     # "Plot Options" of the size plot and of the SSIM plot
    viewer_windows.adopt_plot_menus(panel)
    assert all(m.parentWidget() is not None for m in menus)
    panel.shutdown()
    panel.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not any(shiboken6.isValid(m) for m in menus)


def test_parentless_documents_are_deleted_with_their_undo_commands(qtbot):
    """Left to the collector, a document's cycle (document -> undo stack -> commands ->
    document) crashed it in QUndoStack::clear; deleted through Qt, every wrapper is
    invalidated first."""
    holder = QWidget()
    qtbot.addWidget(holder)
    init = Document.__init__
    with viewer_windows.documents_deleted():
        loose = Document()
        loose.set_process_string("image/resize,w_100")
        loose.set_process_string("image/rotate,90")
        commands = [loose.undo_stack.command(i) for i in range(loose.undo_stack.count())]
        loose.cycle = loose
        owned = Document(holder)
        assert all(shiboken6.isValid(c) for c in commands)
    assert len(commands) == 2
    assert not shiboken6.isValid(loose)
    assert not any(shiboken6.isValid(c) for c in commands)
    assert shiboken6.isValid(owned)           # goes with its parent, as in the window
    assert Document.__init__ is init
