"""Entry point of the ``oss-style-viewer`` gui-script (and ``python -m viewer``)."""
from __future__ import annotations

import sys
import traceback

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from . import logs, memory
from .theme import apply_theme

ORG = "oss-style-viewer"
APP = "oss-style-viewer"


def set_app_icon(app: QApplication) -> None:
    """The icon of every window and of the taskbar entry; the desktop file name links the
    running app to its desktop entry (Wayland app id, KDE/GNOME task grouping)."""
    from core.resources import resource_path

    from .desktop import APP_ID, ICON_SOURCE

    QGuiApplication.setDesktopFileName(APP_ID)
    icon = QIcon(str(resource_path(*ICON_SOURCE)))
    if not icon.isNull():
        app.setWindowIcon(icon)


def _excepthook(kind, value, tb) -> None:
    # PySide reports exceptions from slots through here; log them and keep running
    # rather than letting one bug take the user's cascade down with the process.
    traceback.print_exception(kind, value, tb)
    logs.log.error("Unexpected %s in the user interface: %s", kind.__name__, value,
                   exc_info=(kind, value, tb))
    app = QApplication.instance()
    win = getattr(app, "main_window", None) if app else None
    if win is not None:
        try:
            win.statusBar().showMessage(f"Internal error: {kind.__name__}: {value}", 10000)
        except RuntimeError:
            pass


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    from .options import run as run_options

    done = run_options(argv[1:])  # --install-desktop-entry, --list-samples ...: no window
    if done is not None:
        return done
    # Before Qt and the first pictures allocate: glibc's arenas and thresholds for
    # image-sized buffers (viewer/memory.py; the soak's RSS grew without it, issue 17).
    memory.tune()
    QCoreApplication.setOrganizationName(ORG)
    QCoreApplication.setApplicationName(APP)
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv)
    memory.limit_caches()
    set_app_icon(app)
    settings = QSettings()
    apply_theme(app, str(settings.value("view/theme", "system")))
    sys.excepthook = _excepthook
    logs.install()
    logs.install_thread_hook()

    from .mainwindow import MainWindow

    win = MainWindow(settings)
    app.main_window = win
    logs.add_secret_source(logs.session_secrets(win.session))
    for arg in argv[1:]:
        if arg.startswith(("http://", "https://")):
            win.open_url(arg)
        elif not arg.startswith("-"):
            win.open_path(arg)
        break
    win.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
