"""The system-library check of scripts/setup.sh: ldd on Qt's platform plugin, the missing
sonames mapped to Debian packages, installed as root or named in one apt-get line.

The mapping is checked against the Debian package names of the libraries Qt's xcb and
offscreen plugins load (packages.debian.org, bookworm). The shell function is run for
real with stand-ins for ldd and apt-get on PATH, fed the ldd output of a slim image.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

spec = importlib.util.spec_from_file_location("syslibs", ROOT / "scripts" / "syslibs.py")
syslibs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(syslibs)

# ldd of libqxcb.so on a slim Debian with libxcb-cursor0 installed but not icccm/keysyms
# (the case of the issue: Qt's abort then still blames xcb-cursor).
LDD_SLIM = """\
\tlinux-vdso.so.1 (0x00007ffd5b9f2000)
\tlibQt6XcbQpa.so.6 => /v/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f1)
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f2)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibEGL.so.1 => not found
\tlibX11-xcb.so.1 => not found
\tlibglib-2.0.so.0 => not found
\tlibgthread-2.0.so.0 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f4)
"""


def test_missing_libraries_from_ldd_output():
    assert syslibs.missing_libraries(LDD_SLIM) == [
        "libxkbcommon-x11.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libEGL.so.1",
        "libX11-xcb.so.1", "libglib-2.0.so.0", "libgthread-2.0.so.0"]
    assert syslibs.missing_libraries("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


@pytest.mark.parametrize("soname, package", [
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-xinerama.so.0", "libxcb-xinerama0"),
    ("libxcb.so.1", "libxcb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libxkbcommon.so.0", "libxkbcommon0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libX11.so.6", "libx11-6"),
    ("libEGL.so.1", "libegl1"),
    ("libGL.so.1", "libgl1"),
    ("libOpenGL.so.0", "libopengl0"),
    ("libGLX.so.0", "libglx0"),
    ("libGLdispatch.so.0", "libglvnd0"),
    ("libfontconfig.so.1", "libfontconfig1"),
    ("libfreetype.so.6", "libfreetype6"),
    ("libdbus-1.so.3", "libdbus-1-3"),
    ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libgthread-2.0.so.0", "libglib2.0-0"),
    ("libpng16.so.16", "libpng16-16"),
    ("libz.so.1", "zlib1g"),
    ("libgcc_s.so.1", "libgcc-s1"),
    ("libwayland-client.so.0", "libwayland-client0"),
    ("libSM.so.6", "libsm6"),
])
def test_debian_package_of_each_library(soname, package):
    assert syslibs.debian_package(soname) == package


def test_packages_once_and_sorted():
    sonames = syslibs.missing_libraries(LDD_SLIM)
    assert syslibs.debian_packages(sonames) == [
        "libegl1", "libglib2.0-0", "libx11-xcb1", "libxcb-icccm4", "libxcb-keysyms1",
        "libxkbcommon-x11-0"]


def test_message_for_a_user_is_one_apt_get_line():
    text = syslibs.message("xcb", ["libxcb-icccm.so.4", "libEGL.so.1"], root=False,
                           has_apt=True)
    lines = text.splitlines()
    assert lines[0] == ("Qt's xcb platform plugin cannot start: these system libraries are "
                        "missing: libxcb-icccm.so.4, libEGL.so.1.")
    assert [l for l in lines if "apt-get" in l] == [
        "  sudo apt-get install -y libegl1 libxcb-icccm4"]
    other = syslibs.message("xcb", ["libxcb-icccm.so.4"], root=False, has_apt=False)
    assert "apt-get" not in other and "libxcb-icccm4" in other


# -- the shell function, with stand-ins for ldd and apt-get -----------------------------

def _fake_tools(tmp_path: Path, ldd_before: str, ldd_after: str) -> Path:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (tmp_path / "ldd-before").write_text(ldd_before)
    (tmp_path / "ldd-after").write_text(ldd_after)
    state = tmp_path / "installed"
    (bin_dir / "ldd").write_text(
        f"#!/bin/sh\nif [ -e '{state}' ]; then cat '{tmp_path}/ldd-after'; "
        f"else cat '{tmp_path}/ldd-before'; fi\n")
    (bin_dir / "apt-get").write_text(
        f"#!/bin/sh\necho \"$@\" >> '{tmp_path}/apt-calls'\n"
        f"case \"$1\" in install) touch '{state}';; esac\n")
    for tool in ("ldd", "apt-get"):
        (bin_dir / tool).chmod(0o755)
    return bin_dir


def _venv_with_plugin(tmp_path: Path, platform: str) -> Path:
    """A fake venv: the plugin file where setup.sh looks for it, and a python."""
    venv = tmp_path / "venv"
    plugins = venv / "lib" / "python3.11" / "site-packages" / "PySide6" / "Qt" / "plugins"
    (plugins / "platforms").mkdir(parents=True)
    (plugins / "platforms" / f"libq{platform}.so").write_bytes(b"")
    (venv / "bin").mkdir()
    (venv / "bin" / "python").symlink_to(os.path.realpath(os.sys.executable))
    return venv


def _ensure(tmp_path, platform, ldd_before, ldd_after=""):
    fakebin = _fake_tools(tmp_path, ldd_before, ldd_after)
    venv = _venv_with_plugin(tmp_path, platform)
    env = dict(os.environ, PATH=f"{fakebin}:{os.environ['PATH']}", OSS_VIEWER_VENV=str(venv))
    return subprocess.run(["bash", "-c", f"set -euo pipefail; source scripts/setup.sh; "
                           f"ensure_qt_libs {platform}; echo REACHED"],
                          capture_output=True, text=True, cwd=ROOT, env=env)


def test_nothing_missing_is_silent(tmp_path):
    proc = _ensure(tmp_path, "xcb", "\tlibc.so.6 => /lib/libc.so.6 (0x1)\n")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "REACHED\n", "")
    assert not (tmp_path / "apt-calls").exists()


def test_missing_libraries_installed_as_root_or_named_for_a_user(tmp_path):
    proc = _ensure(tmp_path, "offscreen", LDD_SLIM, "\tlibc.so.6 => /lib/libc.so.6 (0x1)\n")
    packages = ("libegl1 libglib2.0-0 libx11-xcb1 libxcb-icccm4 libxcb-keysyms1 "
                "libxkbcommon-x11-0")
    if os.geteuid() == 0:
        assert proc.returncode == 0 and proc.stdout == "REACHED\n", proc.stderr
        calls = (tmp_path / "apt-calls").read_text().splitlines()
        assert calls == ["update -qq",
                         f"install -y -qq --no-install-recommends {packages}"]
    else:
        assert proc.returncode == 1 and "REACHED" not in proc.stdout
        assert f"  sudo apt-get install -y {packages}" in proc.stderr.splitlines()
        assert not (tmp_path / "apt-calls").exists()


def test_still_missing_after_install_exits_with_the_message(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the install path runs as root only")
    still = "\tlibxcb-icccm.so.4 => not found\n"
    proc = _ensure(tmp_path, "xcb", LDD_SLIM, still)
    assert proc.returncode == 1 and "REACHED" not in proc.stdout
    assert "missing: libxcb-icccm.so.4." in proc.stderr
    assert "  apt-get install -y libxcb-icccm4" in proc.stderr.splitlines()


def test_user_path_with_python_main(monkeypatch, capsys):
    """Not root: nothing is installed, the apt-get line is printed, exit status 1."""
    monkeypatch.setattr(syslibs.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(syslibs.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(syslibs, "_apt_install", lambda pkgs: pytest.fail("installed"))
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(LDD_SLIM))
    assert syslibs.main(["syslibs.py", "/x/libqxcb.so", "xcb"]) == 1
    assert "  sudo apt-get install -y libegl1 libglib2.0-0" in capsys.readouterr().err


def test_real_offscreen_plugin_needs_nothing():
    """The check against this venv's PySide6: test.sh ran it before pytest, so nothing
    is missing and ldd resolved Qt's own libraries inside the wheel."""
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqoffscreen.so"
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout
    assert "libQt6Gui.so.6 => " in out
    assert syslibs.missing_libraries(out) == []
