"""The desktop entry and icon (``--install-desktop-entry`` / ``--uninstall-desktop-entry``)
under a temporary $XDG_DATA_HOME, checked against the Desktop Entry and Icon Theme
specifications, and the app icon on the window and the taskbar."""
from __future__ import annotations

import configparser
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core.resources import resource_path
from viewer import desktop
from viewer.app import main as app_main

ICON_SVG = resource_path("icons", "app.svg")


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    old = os.umask(0o022)
    yield home
    os.umask(old)


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_install_writes_entry_and_icon(xdg, capsys):
    assert app_main(["oss-style-viewer", "--install-desktop-entry"]) == 0
    entry = xdg / "applications" / "oss-style-viewer.desktop"
    icon = xdg / "icons" / "hicolor" / "scalable" / "apps" / "oss-style-viewer.svg"
    assert capsys.readouterr().out.splitlines() == [f"Installed {entry}", f"Installed {icon}"]
    fields = read_entry(entry)
    assert fields["Type"] == "Application"
    assert fields["Name"] == "OSS Style Viewer"
    assert fields["Icon"] == "oss-style-viewer"  # a theme name: found in hicolor
    assert fields["Terminal"] == "false"
    assert fields["StartupWMClass"] == "oss-style-viewer"
    assert "Graphics" in fields["Categories"].split(";")
    assert "image/jpeg" in fields["MimeType"].split(";")
    assert fields["Exec"].endswith(" %f")
    program = fields["TryExec"]
    assert Path(program).is_absolute() and os.access(program, os.X_OK)
    assert icon.read_bytes() == ICON_SVG.read_bytes()
    assert ET.fromstring(icon.read_bytes()).tag == "{http://www.w3.org/2000/svg}svg"
    for path in (entry, icon):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_uninstall_removes_both(xdg, capsys):
    desktop.install()
    capsys.readouterr()
    assert app_main(["oss-style-viewer", "--uninstall-desktop-entry"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 1)[0] for line in out] == ["Removed", "Removed"]
    assert not (xdg / "applications" / "oss-style-viewer.desktop").exists()
    assert not list((xdg / "icons").rglob("*.svg"))
    assert app_main(["oss-style-viewer", "--uninstall-desktop-entry"]) == 0
    assert capsys.readouterr().out == "No desktop entry was installed.\n"


def test_other_files_in_the_folders_are_left_alone(xdg):
    apps = xdg / "applications"
    apps.mkdir(parents=True)
    (apps / "other.desktop").write_text("[Desktop Entry]\n")
    desktop.install()
    desktop.uninstall()
    assert [p.name for p in apps.iterdir()] == ["other.desktop"]


@pytest.mark.parametrize("value", ["", "relative/path"])
def test_default_data_home_is_local_share(monkeypatch, tmp_path, value):
    # XDG Base Directory spec: unset, empty or relative -> $HOME/.local/share
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", value)
    assert desktop.data_home() == tmp_path / ".local" / "share"


@pytest.mark.parametrize("arg, quoted", [
    ("/usr/bin/oss-style-viewer", "/usr/bin/oss-style-viewer"),
    ("/home/a b/bin/oss-style-viewer", '"/home/a b/bin/oss-style-viewer"'),
    # in quotes " ` $ \ are escaped with a backslash, and the file format doubles it
    ('/x/$HOME"q', '"/x/\\\\$HOME\\\\"q"'),
    ("/x/100%", "/x/100%%"),
])
def test_exec_quoting_follows_the_spec(arg, quoted):
    assert desktop.exec_quote(arg) == quoted


def test_launcher_is_the_running_script(tmp_path):
    script = tmp_path / "bin" / "oss-style-viewer"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert desktop.launcher(str(script)) == ([str(script)], None)


def test_entry_for_a_checkout_without_install_sets_the_folder():
    text = desktop.desktop_entry(["/usr/bin/python3", "-m", "viewer"], Path("/src/my app"))
    assert "Exec=/usr/bin/python3 -m viewer %f\n" in text
    assert "Path=/src/my app\n" in text


def test_window_and_taskbar_show_the_app_icon(main_window):
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from viewer.app import set_app_icon
    app = QApplication.instance()
    set_app_icon(app)
    assert QGuiApplication.desktopFileName() == "oss-style-viewer"
    pixmap = app.windowIcon().pixmap(QSize(64, 64))
    assert not pixmap.isNull()
    # The SVG's rounded square is an orange gradient (#ffb15c -> #ff6a00); its corner is
    # transparent.
    image = pixmap.toImage()
    left = image.pixelColor(8, 40)
    assert (left.red(), left.alpha()) == (255, 255) and 100 < left.green() < 180
    assert image.pixelColor(0, 0).alpha() == 0
    w = main_window()
    assert not w.windowIcon().isNull()
