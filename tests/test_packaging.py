"""pyproject.toml lists every package and ships every resource file.

The package list is explicit (find cannot see resources/ under its installed name), so a
new package folder must be added to it; this test says which. The wheel itself is built
and run in test_wheel.py."""
from __future__ import annotations

import fnmatch
import tomllib

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
