"""The oss-img command-line contract."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.cli import main
from tests.helpers import EXAMPLE, ROOT, decode


def test_process_writes_file_and_prints_json(tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["process", str(EXAMPLE), "image/resize,w_100/format,png", "-o", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert json.loads(line) == {"width": 100, "height": 67, "format": "png",
                                "bytes": out.stat().st_size}
    assert decode(out.read_bytes()).size == (100, 67)


def test_info_prints_oss_json(capsys):
    assert main(["process", str(EXAMPLE), "image/info"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["ImageWidth"] == {"value": "400"}


def test_average_hue_prints_json(capsys):
    assert main(["process", str(EXAMPLE), "image/average-hue"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"RGB"}


def test_styles_file(tmp_path, capsys):
    styles = tmp_path / "styles.json"
    styles.write_text(json.dumps({"thumb": "image/resize,m_fixed,w_50,h_40"}))
    out = tmp_path / "t.jpg"
    assert main(["process", str(EXAMPLE), "style/thumb", "--styles", str(styles),
                 "-o", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["width"] == 50


@pytest.mark.parametrize("args,first_line", [
    (["image/resize,w_0"], "InvalidArgument: The value: 0 of parameter: w is invalid."),
    (["style/missing"], "NoSuchStyle: The specified style does not exist."),
    (["image/crop,x_1000"], "BadRequest: Advance cut's position is out of image."),
])
def test_errors_exit_1_with_code_first(tmp_path, capsys, args, first_line):
    rc = main(["process", str(EXAMPLE), *args, "-o", str(tmp_path / "x.jpg")])
    assert rc == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(first_line)
    assert not (tmp_path / "x.jpg").exists()


def test_corrupt_source(tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    assert main(["process", str(bad), "image/resize,w_10", "-o", str(tmp_path / "o.jpg")]) == 1
    assert capsys.readouterr().err.startswith("BadRequest: This image format is not supported.")


def test_python_dash_m_core_is_the_same_cli(tmp_path):
    out = tmp_path / "o.jpg"
    proc = subprocess.run([sys.executable, "-m", "core", "process", str(EXAMPLE),
                           "image/rotate,90", "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["width"] == 267
