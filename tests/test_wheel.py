"""The wheel works on its own: built from the sources, installed with ``--no-deps`` into a
folder outside the checkout and run from another folder outside it, the command line
finds its fonts (a CJK text watermark draws real glyphs) and the viewer its samples.

The wheel is built once per test session, without build isolation (setuptools comes with
the ``test`` extra), from a copy of the sources so that no ``build/`` folder of the
checkout can leak stale files into it. Nothing is downloaded: ``--no-index``.
"""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import ROOT, decode, solid

SOURCES = ("core", "viewer", "resources", "pyproject.toml", "README.md")


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
          "--no-build-isolation", "-w", str(dist), str(src)])
    (whl,) = dist.glob("oss_style_viewer-*.whl")
    return whl


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
          "--target", str(target), str(wheel)])
    assert not target.is_relative_to(ROOT)
    return target


@pytest.fixture
def outside(tmp_path, installed):
    """(cwd, env) for running the installed copy from a folder outside the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OSS_IMG_FONT_DIR", "PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(installed)
    env["QT_QPA_PLATFORM"] = "offscreen"
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    assert not cwd.is_relative_to(ROOT)
    return cwd, env


def test_wheel_ships_the_resources_under_their_own_package_name(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for path in ("oss_style_viewer_resources/fonts/wqy-zenhei/wqy-zenhei.ttc",
                 "oss_style_viewer_resources/fonts/wqy-zenhei/GPL-2.txt",
                 "oss_style_viewer_resources/fonts/arphic/gkai00mp.ttf",
                 "oss_style_viewer_resources/samples/example.jpg",
                 "oss_style_viewer_resources/icons/app.svg"):
        assert path in names
    assert not any(n.startswith("resources/") for n in names)  # no bare top-level name
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_installed_copy_uses_its_own_files(outside, installed):
    cwd, env = outside
    proc = _run([sys.executable, "-c",
                 "import core, core.fonts as f, viewer.model.sources as s;"
                 "print(core.__file__); print(f.font_dir()); print(s.sample_path('logo.png'))"],
                cwd=cwd, env=env)
    for line in proc.stdout.splitlines():
        assert Path(line).is_relative_to(installed), line
        assert Path(line).exists()


def test_cli_draws_cjk_text_from_the_bundled_font(outside, installed):
    cwd, env = outside
    (cwd / "white.png").write_bytes(solid(300, 160, (255, 255, 255)))
    # U+4E00 (yi, "one") is a single horizontal stroke: a real glyph is a wide, flat
    # mark; the missing-glyph box (or a fallback glyph) is about as tall as it is wide.
    process = f"image/watermark,text_{b64('一')},size_100,color_000000,g_center"
    proc = _run([str(installed / "bin" / "oss-img"), "process", "white.png", process,
                 "-o", "out.png"], cwd=cwd, env=env)
    assert "Traceback" not in proc.stderr
    ink = decode((cwd / "out.png").read_bytes()).convert("L").point(lambda v: 255 * (v < 128))
    box = ink.getbbox()
    assert box is not None, "nothing drawn"
    width, height = box[2] - box[0], box[3] - box[1]
    assert width > 60 and height < width / 4, f"ink {width}x{height}: not the glyph of 一"


def test_cli_image_watermark_from_a_bucket_folder(outside, installed):
    cwd, env = outside
    bucket = cwd / "bucket"
    bucket.mkdir()
    (bucket / "mark.png").write_bytes(solid(20, 20, (255, 0, 0)))
    Image.new("RGB", (100, 80), (255, 255, 255)).save(cwd / "src.png")
    proc = _run([str(installed / "bin" / "oss-img"), "process", "src.png",
                 f"image/watermark,image_{b64('mark.png')},g_nw,x_5,y_5",
                 "--bucket-dir", "bucket", "-o", "out.png"], cwd=cwd, env=env)
    assert '"width": 100' in proc.stdout
    out = decode((cwd / "out.png").read_bytes()).convert("RGB")
    assert out.getpixel((14, 14)) == (255, 0, 0)      # inside the mark
    assert out.getpixel((50, 50)) == (255, 255, 255)  # untouched


def test_viewer_lists_the_bundled_samples(outside, installed):
    cwd, env = outside
    proc = _run([str(installed / "bin" / "oss-style-viewer"), "--list-samples"],
                cwd=cwd, env=env)
    paths = [Path(line.split("\t")[0]) for line in proc.stdout.splitlines()]
    assert [p.name for p in paths] == ["example.jpg", "transparent.png", "animated.gif",
                                       "exif-rotated.jpg", "logo.png"]
    for p in paths:
        assert p.is_relative_to(installed) and p.is_file()
    assert decode(paths[0].read_bytes()).size == (400, 267)


def test_font_dir_override_still_wins(outside, tmp_path):
    cwd, env = outside
    env = dict(env, OSS_IMG_FONT_DIR=str(tmp_path / "no-fonts"))
    proc = subprocess.run([sys.executable, "-c", "import core.fonts as f; print(f.font_dir())"],
                          capture_output=True, text=True, cwd=cwd, env=env)
    assert proc.stdout.strip() == str(tmp_path / "no-fonts")
