"""Viewer widgets in tests: made, stopped and deleted the same way in every test.

pytest-qt closes a widget registered with ``qtbot.addWidget`` and calls ``deleteLater``
on it, but outside a running event loop Qt never delivers that deferred delete: every
window of every test lived on (184 top-level widgets after two test files), with its
pools, timers and connections, and with it everything it referenced, until a later
``gc.collect()`` collected what was left in reference cycles -- and crashed the test
process now and then (issue 17c). What crashed was a parentless ``Document`` of a test:
clearing its cycle handed an undo command back to Python, which deleted it, and the
document then deleted it again (``documents_deleted``).

Here a widget's background work is stopped (its own ``shutdown()``, pending jobs
cancelled, timers stopped, every pool waited for, bounded) and its pyqtgraph menus get a
parent before it is closed (``track`` / ``prepare_close``), the deferred deletes are
delivered at the end of each test (``flush_deletes``), and the test's parentless documents
are deleted through Qt. ``leaked_since`` is what the autouse guard in tests/conftest.py
uses to fail a test that leaves a top-level widget alive.
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QWidget

WAIT_MS = 15_000                 # bound on the wait for a window's background jobs

# Top-level widgets Qt makes and keeps for itself (the tooltip label is one per app).
QT_OWNED = frozenset({"QTipLabel", "QWhatsThat"})


def stop_background(widget: QWidget, timeout_ms: int = WAIT_MS) -> None:
    """Stop ``widget``'s background work and wait until none runs: its latest-wins tasks
    forget their pending and running jobs, its timers stop, and each thread pool it owns
    (and the global one, which the URL fetcher and the info panel use) is waited for.
    Fails (AssertionError) if a job is still running after ``timeout_ms``."""
    from viewer.model.render import LatestTask

    if not shiboken6.isValid(widget):
        return
    for task in widget.findChildren(LatestTask):
        task.cancel()
    for timer in widget.findChildren(QTimer):
        timer.stop()
    busy = [pool for pool in [*widget.findChildren(QThreadPool), QThreadPool.globalInstance()]
            if not pool.waitForDone(timeout_ms)]
    assert not busy, (f"{describe(widget)}: {len(busy)} thread pool(s) still running after "
                      f"{timeout_ms} ms")


def adopt_plot_menus(widget: QWidget) -> None:
    """Give the pyqtgraph menus of ``widget``'s plots a parent, so that Qt deletes them
    with the window. A plot's "Plot Options" menu and its view box's menu are parentless
    QMenus that only pyqtgraph's Python objects hold: deleting the window left them alive
    in pyqtgraph's reference cycles, for a later collection to destroy. (Not
    ``PlotItem.close()``: a window restyled after it crashed in the theme tests.)"""
    import pyqtgraph as pg

    for view in widget.findChildren(pg.GraphicsView):
        scene = view.scene()
        for item in scene.items() if scene is not None else ():
            if isinstance(item, pg.PlotItem):
                menu = item.ctrlMenu
            elif isinstance(item, pg.ViewBox):
                menu = item.menu
            else:
                continue
            if menu is not None and shiboken6.isValid(menu) and menu.parentWidget() is None:
                menu.setParent(view, menu.windowFlags())


def prepare_close(widget: QWidget) -> None:
    """What runs before a tracked widget is closed and deleted: its own ``shutdown()``
    if it has one (the quality panel, the batch view), then its background work is
    stopped and its plots' menus get a parent."""
    if not shiboken6.isValid(widget):
        return
    shutdown = getattr(widget, "shutdown", None)
    if callable(shutdown):
        shutdown()
    stop_background(widget)
    adopt_plot_menus(widget)


def track(qtbot, widget: QWidget) -> QWidget:
    """Register ``widget`` with qtbot: at teardown it is prepared (``prepare_close``),
    closed and deleted."""
    qtbot.addWidget(widget, before_close_func=prepare_close)
    return widget


def flush_deletes(rounds: int = 5) -> None:
    """Deliver pending ``deleteLater`` calls now. Outside an event loop (a test's
    teardown) ``processEvents`` leaves them queued; deleting a widget may queue more."""
    app = QApplication.instance()
    if app is None:
        return
    for _ in range(rounds):
        before = len(app.topLevelWidgets())
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        if len(app.topLevelWidgets()) == before:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            return


def dispose(widget: QWidget) -> None:
    """Stop, close and delete ``widget`` now (no-op if Qt already deleted it)."""
    if not shiboken6.isValid(widget):
        return
    prepare_close(widget)
    widget.close()
    widget.deleteLater()
    flush_deletes()


def _key(widget: QWidget) -> int:
    return shiboken6.getCppPointer(widget)[0]


def top_level_keys() -> set[int]:
    """The live top-level widgets, by C++ address (not by wrapper: holding a wrapper would
    keep a widget Python owns alive)."""
    app = QApplication.instance()
    return {_key(w) for w in app.topLevelWidgets()} if app is not None else set()


def leaked_since(before: set[int]) -> list[QWidget]:
    """Parentless top-level widgets still alive that were not before, once deferred
    deletes are delivered; Qt's own (tooltips) aside. (Menus and dialogs with a parent
    are windows too, but go with their parent.)"""
    app = QApplication.instance()
    if app is None:
        return []
    flush_deletes()
    return [w for w in app.topLevelWidgets()
            if w.parentWidget() is None and _key(w) not in before
            and type(w).__name__ not in QT_OWNED]


def describe(widget: QWidget) -> str:
    if not shiboken6.isValid(widget):
        return f"{type(widget).__name__} (deleted)"
    bits = [type(widget).__name__]
    if widget.objectName():
        bits.append(f"#{widget.objectName()}")
    if widget.windowTitle():
        bits.append(f"{widget.windowTitle()!r}")
    bits.append("visible" if widget.isVisible() else "hidden")
    return " ".join(bits)


@contextmanager
def documents_deleted():
    """Every parentless viewer ``Document`` made inside is deleted on the way out.

    A document holds its undo stack, and the stack its commands, which hold the document:
    a Python reference cycle. Left to the garbage collector, the collector's clearing
    of a command's wrapper took it out of the stack's ownership and handed it back to
    Python, which deleted the command; the document deleted after it emptied its stack and
    deleted that command again (QUndoStack::clear in ~QUndoStack, a segfault in
    ``gc.collect()``, or whenever it ran, depending on the order of the cycle). Deleted
    here, through Qt, every wrapper is invalidated first and the cycle is harmless."""
    from viewer.model.document import Document

    made: list[weakref.ref] = []
    init = Document.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    Document.__init__ = recording_init
    try:
        yield
    finally:
        Document.__init__ = init
        for ref in made:
            doc = ref()
            if doc is not None and shiboken6.isValid(doc) and doc.parent() is None:
                shiboken6.delete(doc)
