"""Which Debian packages does Qt's platform plugin lack? Install them, or say which.

Called by scripts/setup.sh (``ensure_qt_libs``) only when ``ldd`` on the plugin inside
the venv's PySide6 (``libqxcb.so``, ``libqoffscreen.so`` ...) printed "not found" lines;
those lines arrive on stdin. Asking the plugin itself is the only reliable check: Qt's
own abort names one library ("xcb-cursor0 or libxcb-cursor0 is needed") even when that
one is installed and another is missing, and a fixed list goes stale with every Qt.

A soname maps to its Debian package by the Debian Policy naming rule (section 8.1: the
library name and its SONAME version, lower case, a hyphen between them when the name
ends in a digit), e.g. libxcb-cursor.so.0 -> libxcb-cursor0, libX11.so.6 -> libx11-6;
:data:`EXCEPTIONS` lists the libraries packaged under another name. (``dpkg -S`` only
knows installed files and ``apt-file`` needs its own download, so neither can name the
package of a missing library.) On Debian releases that renamed packages for the 64-bit
time_t transition (libglib2.0-0 -> libglib2.0-0t64), apt selects the new package for the
old name by itself.

Usage: ``ldd PLUGIN | grep 'not found' | python3 syslibs.py PLUGIN PLATFORM``. Exit status
0 when nothing is missing any more (after installing, as root with apt-get), else 1 with
the one ``apt-get install`` line to run printed on stderr. Standard library only.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

# Libraries whose Debian package does not follow the naming rule.
EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libgmodule-2.0.so.0": "libglib2.0-0",
    "libGLdispatch.so.0": "libglvnd0",
    "libz.so.1": "zlib1g",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libjpeg.so.62": "libjpeg62-turbo",
    "libc.so.6": "libc6",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6",
    "librt.so.1": "libc6",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")
_SONAME = re.compile(r"^(lib[^/]+?)\.so\.([0-9][0-9.]*)$")


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` could not find, in order, each once."""
    out: list[str] = []
    for line in ldd_output.splitlines():
        m = _NOT_FOUND.match(line)
        if m and m.group(1) not in out:
            out.append(m.group(1))
    return out


def debian_package(soname: str) -> str:
    """The Debian package that ships ``soname``."""
    if soname in EXCEPTIONS:
        return EXCEPTIONS[soname]
    m = _SONAME.match(soname)
    if not m:
        raise ValueError(f"not a library soname: {soname!r}")
    name, version = m.group(1).lower().replace("_", "-"), m.group(2).split(".")[0]
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def debian_packages(sonames: list[str]) -> list[str]:
    """The packages for ``sonames``, each once, sorted (the order apt prints them)."""
    return sorted({debian_package(s) for s in sonames})


def install_line(packages: list[str], *, root: bool) -> str:
    return ("" if root else "sudo ") + "apt-get install -y " + " ".join(packages)


def message(platform: str, sonames: list[str], *, root: bool, has_apt: bool) -> str:
    """What to tell the user instead of Qt's abort."""
    lines = [f"Qt's {platform} platform plugin cannot start: these system libraries are "
             f"missing: {', '.join(sonames)}."]
    packages = debian_packages(sonames)
    if has_apt:
        lines += ["Install them with:", "  " + install_line(packages, root=root)]
    else:
        lines += ["Install the packages of your distribution that provide them (on Debian "
                  f"and Ubuntu: {' '.join(packages)})."]
    return "\n".join(lines)


def _apt_install(packages: list[str]) -> bool:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"Installing the system libraries Qt needs: {' '.join(packages)}", file=sys.stderr)
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            return False
    return True


def _ldd(plugin: str) -> str:
    proc = subprocess.run(["ldd", plugin], capture_output=True, text=True)
    return proc.stdout


def main(argv: list[str]) -> int:
    plugin, platform = argv[1], argv[2]
    sonames = missing_libraries(sys.stdin.read())
    if not sonames:
        return 0
    has_apt = shutil.which("apt-get") is not None
    root = os.geteuid() == 0
    if has_apt and root and _apt_install(debian_packages(sonames)):
        sonames = missing_libraries(_ldd(plugin))
        if not sonames:
            return 0
    print(message(platform, sonames, root=root, has_apt=has_apt), file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
