"""Remembered flags read back from QSettings: strings from INI files, bools from native
backends, junk from hand-edited files."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from viewer.model.settings import to_bool

VIEWER = Path(__file__).resolve().parent.parent / "viewer"


@pytest.mark.parametrize("raw, expected", [
    ("true", True), ("True", True), (" yes ", True), ("on", True), ("1", True),
    ("false", False), ("0", False), ("no", False), ("", False), ("garbage", False),
    (True, True), (False, False), (1, True), (0, False), (None, False),
])
def test_to_bool(raw, expected):
    assert to_bool(raw) is expected


def test_a_flag_read_from_an_ini_file_is_a_string(tmp_path):
    # Written by hand: within one process QSettings would hand back its cached bool.
    path = tmp_path / "s.ini"
    path.write_text("[styles]\nhttps=false\nreplace_on_import=true\n", "utf-8")
    s = QSettings(str(path), QSettings.Format.IniFormat)
    assert s.value("styles/https") == "false"   # bool() of it would be True
    assert to_bool(s.value("styles/https")) is False
    assert to_bool(s.value("styles/replace_on_import")) is True


def test_no_viewer_module_imports_another_ones_private_names():
    for path in VIEWER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or 0) > 0:
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from .{node.module}"
