"""Files we write get ``0666 & ~umask`` like any other program's (existing files keep their
mode), and stay atomic: the CLI's output, the style library and objects stored by the
service. Each test sets an explicit umask and restores the old one."""
from __future__ import annotations

import os
import stat
import threading

import pytest

from core.cli import main
from core.storage import atomic_write, open_temp
from core.style_library import StyleLibrary
from tests.helpers import EXAMPLE
from tests.server_env import BUCKET, make_service, req


@pytest.fixture
def umask():
    """``umask(value)`` sets the process umask for the test."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600),
                                            (0o002, 0o664), (0o000, 0o666)])
def test_new_file_gets_0666_minus_umask(tmp_path, umask, mask, expected):
    umask(mask)
    atomic_write(tmp_path / "f.txt", "x")
    assert mode(tmp_path / "f.txt") == expected


def test_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "f.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert mode(target) == 0o640
    os.chmod(target, 0o604)  # more open than the umask allows: still kept
    atomic_write(target, "newer")
    assert mode(target) == 0o604


def test_no_temporary_file_left_behind(tmp_path, umask):
    umask(0o022)
    atomic_write(tmp_path / "a.bin", b"1")
    atomic_write(tmp_path / "a.bin", b"2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_failed_write_keeps_the_old_file(tmp_path, umask, monkeypatch):
    umask(0o022)
    target = tmp_path / "keep.txt"
    target.write_text("precious")

    def boom(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        atomic_write(target, "half")
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_missing_folder_without_parents_names_it(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        atomic_write(tmp_path / "no" / "f.txt", "x", parents=False)
    assert e.value.filename == str(tmp_path / "no")
    assert not (tmp_path / "no").exists()


def test_open_temp_names_are_unique_under_threads(tmp_path, umask):
    umask(0o022)
    paths, lock = [], threading.Lock()

    def make():
        for _ in range(50):
            fd, path = open_temp(tmp_path, prefix=".t-")
            os.close(fd)
            with lock:
                paths.append(path)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(paths)) == 200
    assert {mode(p) for p in paths} == {0o644}


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640)])
def test_cli_output_mode(tmp_path, umask, capsys, mask, expected):
    umask(mask)
    out = tmp_path / "o.webp"
    assert main(["process", str(EXAMPLE), "image/resize,w_20/format,webp", "-o", str(out)]) == 0
    assert mode(out) == expected
    os.chmod(out, 0o644)
    umask(0o077)
    assert main(["process", str(EXAMPLE), "image/resize,w_30/format,webp", "-o", str(out)]) == 0
    assert mode(out) == 0o644  # an existing file keeps its mode


def test_style_library_file_mode(tmp_path, umask):
    umask(0o002)
    lib = StyleLibrary(tmp_path / "styles.json")
    lib.save("thumb", "image/resize,w_100")
    assert mode(tmp_path / "styles.json") == 0o664
    exported = tmp_path / "export.json"
    lib.export_file(exported)
    assert mode(exported) == 0o664


def test_server_objects_mode(tmp_path, umask):
    root = tmp_path / "root"
    (root / BUCKET).mkdir(parents=True)
    svc = make_service(root)
    umask(0o022)
    assert svc.handle(req("PUT", "a/new.bin", body=b"data")).status == 200
    stored = root / BUCKET / "a" / "new.bin"
    assert stored.read_bytes() == b"data"
    assert mode(stored) == 0o644
    os.chmod(stored, 0o600)
    assert svc.handle(req("PUT", "a/new.bin", body=b"data2")).status == 200
    assert stored.read_bytes() == b"data2"
    assert mode(stored) == 0o600
    # the bucket's style file (PutStyle) is written through atomic_write
    umask(0o027)
    put_style = req("PUT", None, query={"style": "", "styleName": "thumb"},
                    body=b"<Style><Content>image/resize,w_10</Content></Style>")
    assert svc.handle(put_style).status == 200, svc.handle(put_style).body
    style_files = [p for p in (root / ".oss-styles").rglob("*")
                   if p.is_file() and p.suffix == ".json"]
    assert style_files and all(mode(p) == 0o640 for p in style_files)


def test_viewer_save_output_mode(tmp_path, umask, qtbot, settings, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from viewer.mainwindow import MainWindow

    w = MainWindow(settings)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.last_output is not None, timeout=15_000)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "saved.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    umask(0o022)
    w.save_output()
    assert target.read_bytes() == w.last_output.result.data
    assert mode(target) == 0o644
    os.chmod(target, 0o660)
    w.save_output()
    assert mode(target) == 0o660
    assert [p.name for p in target.parent.iterdir()] == ["saved.png"]  # no temporary left
