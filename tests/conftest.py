"""Shared test set-up: Qt runs offscreen, and no test reads or writes the user's settings."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests import hypothesis_profiles  # noqa: E402

hypothesis_profiles.load()


@pytest.fixture(autouse=True)
def _isolated_qt_settings(tmp_path, monkeypatch):
    """QSettings() and QStandardPaths point into the test's tmp dir."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # core-only environments
        yield
        return
    config = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
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
