"""Linux desktop integration: a desktop entry and the app icon in the user's data folder.

``oss-style-viewer --install-desktop-entry`` writes

* ``$XDG_DATA_HOME/applications/oss-style-viewer.desktop`` (Desktop Entry Specification
  1.5) that starts the program it was run from, so launchers, file managers ("Open with")
  and taskbars know the app, and
* ``$XDG_DATA_HOME/icons/hicolor/scalable/apps/oss-style-viewer.svg`` (Icon Theme
  Specification: the user's hicolor theme takes scalable SVG icons),

``$XDG_DATA_HOME`` being ``~/.local/share`` when unset or not absolute (XDG Base Directory
Specification). ``--uninstall-desktop-entry`` removes both. No Qt here: this runs without
a display.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from core.resources import resource_path
from core.storage import atomic_write

APP_ID = "oss-style-viewer"        # desktop file name, icon name, Wayland app id, WM_CLASS
ICON_SOURCE = ("icons", "app.svg")
MIME_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp",
              "image/tiff", "image/heic", "image/heif", "image/avif")

# Characters that make the Desktop Entry spec require quoting an Exec argument.
_RESERVED = re.compile(r"""[\s"'\\><~|&;$*?#()`]""")


def data_home(environ: os._Environ | dict = os.environ) -> Path:
    value = environ.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def entry_file(home: Path) -> Path:
    return home / "applications" / f"{APP_ID}.desktop"


def icon_file(home: Path) -> Path:
    return home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def exec_quote(arg: str) -> str:
    """One Exec argument as the Desktop Entry spec wants it, escaped for the file too."""
    arg = arg.replace("%", "%%")
    if _RESERVED.search(arg):
        arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
    return arg.replace("\\", "\\\\")  # the value-level escape of the .desktop format


def launcher(argv0: str | None = None) -> tuple[list[str], Path | None]:
    """The command that starts this installation of the viewer, and the working folder it
    needs (only when run from a checkout with nothing installed)."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    candidates = []
    if argv0 and Path(argv0).name == APP_ID:
        candidates.append(Path(argv0))
    candidates.append(Path(sys.executable).parent / APP_ID)
    found = shutil.which(APP_ID)
    if found:
        candidates.append(Path(found))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return [str(c.absolute())], None
    package_parent = Path(__file__).resolve().parent.parent
    return [sys.executable, "-m", "viewer"], package_parent


def desktop_entry(command: list[str], workdir: Path | None = None) -> str:
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        "Name=OSS Style Viewer",
        "GenericName=Image Processing Preview",
        "Comment=Preview Alibaba Cloud OSS image processing (x-oss-process) and styles",
        "Exec=" + " ".join(exec_quote(a) for a in command) + " %f",
        "TryExec=" + command[0].replace("\\", "\\\\"),
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Graphics;Viewer;RasterGraphics;",
        "MimeType=" + ";".join(MIME_TYPES) + ";",
        "Keywords=OSS;Alibaba;Aliyun;image;watermark;resize;x-oss-process;",
        "StartupNotify=true",
        f"StartupWMClass={APP_ID}",
    ]
    if workdir is not None:
        lines.append("Path=" + str(workdir).replace("\\", "\\\\"))
    return "\n".join(lines) + "\n"


def install(home: Path | None = None) -> list[Path]:
    """Write the desktop entry and the icon; returns the files written."""
    home = data_home() if home is None else home
    command, workdir = launcher()
    entry, icon = entry_file(home), icon_file(home)
    atomic_write(icon, resource_path(*ICON_SOURCE).read_bytes())
    atomic_write(entry, desktop_entry(command, workdir))
    _refresh(entry.parent)
    return [entry, icon]


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove the desktop entry and the icon; returns the files that were there."""
    home = data_home() if home is None else home
    removed = []
    for path in (entry_file(home), icon_file(home)):
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    if removed:
        _refresh(entry_file(home).parent)
    return removed


def _refresh(applications: Path) -> None:
    """Let the desktop notice at once (MIME associations); optional, never fatal."""
    tool = shutil.which("update-desktop-database")
    if tool and applications.is_dir():
        try:
            subprocess.run([tool, "-q", str(applications)], timeout=20,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            pass
