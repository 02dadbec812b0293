"""core must not import Qt (nor the viewer): a script, a server or a CI job uses it
without a display."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import core
from tests.helpers import ROOT


def test_importing_every_core_module_loads_no_qt():
    modules = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")
               if m.name != "core.__main__"]
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'viewer'):\n"
        "            raise ImportError('core must not import ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "assert not any(k.startswith(('PySide6', 'viewer')) for k in sys.modules)\n"
        "print(len(sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert len(modules) >= 10
