"""pyproject.toml lists every package and ships every resource file.

The package list is explicit (find cannot see resources/ under its installed name), so a
new package folder must be added to it; this test says which. The wheel itself is built
and run in test_wheel.py."""
from __future__ import annotations

import fnmatch
import subprocess
import sys
import tomllib
from pathlib import Path

from core import resources
from tests.helpers import ROOT

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = CONFIG["tool"]["setuptools"]


def test_every_package_folder_is_listed():
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for top in ("core", "viewer") for p in (ROOT / top).rglob("__init__.py")
             if "__pycache__" not in p.parts}
    missing = sorted(found - set(SETUPTOOLS["packages"]))
    assert missing == [], f"add {missing} to [tool.setuptools] packages in pyproject.toml"


def test_resources_are_a_package_under_their_own_name():
    assert SETUPTOOLS["package-dir"] == {resources.PACKAGE: "resources"}
    assert resources.PACKAGE in SETUPTOOLS["packages"]
    assert "resources" not in SETUPTOOLS["packages"]


def test_every_resource_file_is_package_data():
    globs = SETUPTOOLS["package-data"][resources.PACKAGE]
    files = [p.relative_to(ROOT / "resources").as_posix()
             for p in (ROOT / "resources").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.name != "__init__.py"]
    assert files
    unshipped = [f for f in files if not any(fnmatch.fnmatchcase(f, g) and
                                             f.count("/") == g.count("/") for g in globs)]
    assert unshipped == []


def test_resource_lookup_in_this_checkout():
    assert resources.resource_path("samples", "example.jpg").is_file()
    assert resources.resource_path("fonts") == resources.CHECKOUT_DIR / "fonts"


def test_editable_install_maps_the_package_name_onto_the_checkout():
    """test.sh installs the checkout editable: importlib finds the resources package
    through setuptools' finder, in this checkout."""
    import importlib.util

    spec = importlib.util.find_spec(resources.PACKAGE)
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin).resolve() == ROOT / "resources" / "__init__.py"


def test_bare_checkout_falls_back_to_the_folder(tmp_path):
    """Nothing installed (the editable finder removed): the folder beside core/."""
    code = ("import sys\n"
            "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
            "import importlib.util, core.resources as r\n"
            f"assert importlib.util.find_spec({resources.PACKAGE!r}) is None\n"
            "print(r.resource_root())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(ROOT / "resources")
