"""Shared test set-up: Qt runs offscreen, and no test reads or writes the user's settings."""
from __future__ import annotations

import itertools
import os
from collections import Counter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests import hypothesis_profiles  # noqa: E402

hypothesis_profiles.load()


_mutant_tests: list[str] = []   # the node ids mutmut asked for, in its order
_WHOLE_FILE = 300               # node ids of one file from which collecting it whole is cheaper


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "mutation_scope(*code): under mutation testing, run this (slow) test only "
        "for mutants of this code (dotted prefixes: core.serve.imaging, "
        "core.serve.service.OssService.close); faster tests cover the rest (docs/TESTING.md)")
    _mutant_tests.clear()     # (mutmut's forks share this module with their parent)
    if _mutated_function() is not None and config.args and all("::" in a for a in config.args):
        # mutmut names each test that covers the mutant (fastest first): pytest matches
        # every such node id against every test of its file, which for the 1,100 signing
        # tests of a signing or URL mutant took twice as long as collecting the file. A
        # file named that often is collected whole; pytest_collection_modifyitems keeps
        # exactly the tests mutmut named, in its order.
        files = Counter(a.partition("::")[0] for a in config.args)
        _mutant_tests[:] = dict.fromkeys(config.args)
        config.args[:] = dict.fromkeys(
            f if files[f] >= _WHOLE_FILE else a for a in config.args
            for f in [a.partition("::")[0]])


def _mutated_function() -> str | None:
    """``core.serve.service.OssService.close`` for mutmut's mutant
    ``core.serve.service.xǁOssServiceǁclose__mutmut_3`` (MUTANT_UNDER_TEST); None outside
    a mutant's run (normal runs, and mutmut's stats, clean and forced-fail runs)."""
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in name:
        return None
    module, _, function = name.partition("__mutmut_")[0].rpartition(".")
    return f"{module}.{function[2:].replace('ǁ', '.').strip('.')}"


def pytest_collection_modifyitems(config, items):
    function = _mutated_function()
    if function is None:
        return
    if _mutant_tests:
        by_id = {item.nodeid: item for item in items}
        wanted = set(_mutant_tests)
        config.hook.pytest_deselected(items=[i for i in items if i.nodeid not in wanted])
        items[:] = [by_id[n] for n in _mutant_tests if n in by_id]
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("mutation_scope")
        in_scope = marker is None or any(
            function == code or function.startswith(code + ".") for code in marker.args)
        (keep if in_scope else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


_homes = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_qt_settings(tmp_path_factory, monkeypatch):
    """QSettings() and QStandardPaths point into a fresh folder of the test's own.

    Not ``tmp_path``: pytest numbers each one by listing every folder made before it in
    the session, so for this fixture of every test the cost grew with the test count (a
    third of the setup time of the 4,000 core tests, and of every mutant's run)."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # core-only environments
        yield
        return
    home = tmp_path_factory.getbasetemp() / "qt-homes" / str(next(_homes))
    home.mkdir(parents=True)
    config = home / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(config))
    yield


@pytest.fixture(autouse=True)
def _cold_default_engine():
    """Every test starts with the shared engine's picture cache empty (core.engine.process
    and info use one module-level Engine), so no test passes on a picture an earlier test
    computed. mutmut's fork runner runs the clean tests in its parent process and forks
    each mutant from it: without this, a mutant's tests were served the clean run's
    pictures and the mutant survived unseen."""
    import sys
    engine = sys.modules.get("core.engine")
    if engine is not None:
        engine._default_engine.clear_cache()
    yield


@pytest.fixture
def settings(tmp_path):
    """A QSettings of the test's own (INI, in tmp_path) for widgets that take one."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture(autouse=True)
def _no_leaked_windows(request):
    """A Qt test leaves no top-level widget of its own alive (issue 17c): after its
    teardown (pytest-qt closes what ``qtbot.addWidget`` registered) the deferred deletes
    are delivered, and a window still there fails the test by name -- left alone it lived
    on in reference cycles, wired to signals, until a later ``gc.collect()`` destroyed its
    wrapper and crashed the process now and then. Register widgets with
    ``qtbot.addWidget``, and make main windows with the ``main_window`` fixture. The
    viewer documents the test made without a parent are deleted too (documents_deleted
    in tests/viewer_windows.py: the collector crashed on their undo commands)."""
    if "qapp" not in request.fixturenames:      # not a Qt test (qtbot needs qapp)
        yield
        return
    from tests import viewer_windows

    before = viewer_windows.top_level_keys()
    with viewer_windows.documents_deleted():    # once the widgets are gone
        yield
        leaked = viewer_windows.leaked_since(before)
        names = [viewer_windows.describe(w) for w in leaked]
        for widget in leaked:         # so that later tests start clean
            viewer_windows.dispose(widget)
    if names:
        pytest.fail(f"{len(names)} top-level widget(s) left alive by the test: "
                    f"{', '.join(names)} (register them with qtbot.addWidget; main windows "
                    "come from the main_window fixture)", pytrace=False)


@pytest.fixture
def main_window(qtbot, settings):
    """Makes viewer main windows that are torn down cleanly:
    ``main_window(settings=None, *, size=None, show=False, exposed=False, rendered=False,
    **kwargs)``, kwargs for MainWindow (restore, session, renderer). The window is
    registered with qtbot; at teardown its background work is stopped (jobs cancelled,
    timers stopped, pools waited for, bounded) and its plot menus parented before pytest-qt
    closes it, and it is deleted (tests/viewer_windows.py).
    ``size`` resizes it, ``show`` shows it, ``exposed`` also waits until it is exposed,
    ``rendered`` until its first preview is there (both imply ``show``)."""
    from tests import viewer_windows
    from viewer.mainwindow import MainWindow

    made = []

    def make(own_settings=None, *, size=None, show=False, exposed=False, rendered=False,
             **kwargs):
        w = MainWindow(settings if own_settings is None else own_settings, **kwargs)
        viewer_windows.track(qtbot, w)
        made.append(w)
        if size is not None:
            w.resize(*size)
        if show or exposed or rendered:
            w.show()
        if exposed:
            qtbot.waitExposed(w)
        if rendered:
            qtbot.waitUntil(lambda: w.last_output is not None,
                            timeout=viewer_windows.WAIT_MS)
        return w

    yield make
    for w in made:                    # pytest-qt closed them; a replaced one too
        viewer_windows.dispose(w)
    viewer_windows.flush_deletes()
