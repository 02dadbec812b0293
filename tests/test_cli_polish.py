"""oss-img's finish: ``-o -``, missing folders, hints, suggestions, warnings after the
``<Code>: <Message>`` line, and command-line errors in the same contract."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys

import pytest
from PIL import Image

from core.cli import main
from tests.helpers import EXAMPLE, ROOT, decode


def bad_exif_jpeg() -> bytes:
    """A JPEG whose EXIF Make tag (271) points past the end of the block: Pillow warns
    "Tag data larger than file" when it reads the EXIF."""
    tiff = (b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
            + struct.pack(">HHII", 0x010F, 2, 100, 0x1000) + struct.pack(">I", 0))
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 0, 0)).save(out, "JPEG", exif=b"Exif\x00\x00" + tiff)
    return out.getvalue()


def run_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True,
                          cwd=cwd or ROOT)


# -- -o - ------------------------------------------------------------------------------

def test_dash_output_writes_the_image_to_stdout_and_json_to_stderr(tmp_path):
    proc = run_cli("process", str(EXAMPLE), "image/resize,w_50/format,png", "-o", "-",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout[:8] == b"\x89PNG\r\n\x1a\n"
    assert decode(proc.stdout).size == (50, 33)
    summary = json.loads(proc.stderr.decode().splitlines()[0])
    assert summary == {"width": 50, "height": 33, "format": "png", "bytes": len(proc.stdout)}
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_dash_output_of_info_prints_the_json_once(tmp_path, capsys):
    assert main(["process", str(EXAMPLE), "image/info", "-o", "-"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["ImageWidth"] == {"value": "400"}
    assert not (ROOT / "-").exists()


def test_dash_output_refuses_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["process", str(EXAMPLE), "image/resize,w_10", "-o", "-"]) == 1
    assert capsys.readouterr().err.startswith("InvalidArgument: Refusing to write image "
                                              "data to a terminal")


# -- output folder ----------------------------------------------------------------------

def test_missing_output_folder_is_an_error_naming_it(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "x.jpg"
    assert main(["process", str(EXAMPLE), "image/resize,w_10", "-o", str(target)]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first == f"InvalidArgument: The output folder {tmp_path / 'no' / 'such'} does not exist."
    assert not (tmp_path / "no").exists()


def test_output_folder_that_is_a_file(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["process", str(EXAMPLE), "image/resize,w_10", "-o",
                 str(tmp_path / "f" / "x.jpg")]) == 1
    assert "is not a folder" in capsys.readouterr().err.splitlines()[0]


# -- hints and suggestions ------------------------------------------------------------------

def test_no_such_style_hints_at_styles(tmp_path, capsys):
    assert main(["process", str(EXAMPLE), "style/thumb", "-o", str(tmp_path / "x.jpg")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "NoSuchStyle: The specified style does not exist."
    assert any(line.startswith("  hint: ") and "--styles FILE" in line
               and '{"thumb": "image/resize,w_100"}' in line for line in err)


def test_no_such_style_in_the_styles_file_suggests_the_closest(tmp_path, capsys):
    styles = tmp_path / "s.json"
    styles.write_text(json.dumps({"thumb": "image/resize,w_10", "banner": "image/crop,h_10"}))
    assert main(["process", str(EXAMPLE), "style/thumbs", "--styles", str(styles),
                 "-o", str(tmp_path / "x.jpg")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "NoSuchStyle: The specified style does not exist."
    assert f"  hint: {styles} has no style thumbs. Did you mean thumb?" in err


def test_unknown_action_suggests_and_keeps_the_oss_code(tmp_path, capsys):
    assert main(["process", str(EXAMPLE), "image/resiz,w_100", "-o",
                 str(tmp_path / "x.jpg")]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first == "InvalidArgument: The action: resiz is not supported. Did you mean resize?"


def test_ignored_keys_are_noted_after_the_result(tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["process", str(EXAMPLE), "image/resize,w_100,hieght_50/format,png",
                 "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["height"] == 67  # OSS ignores hieght_50: ratio kept
    assert captured.err.splitlines() == [
        "note: step 1 (resize): hieght is not a parameter of resize; OSS ignores it. "
        "Did you mean h_50?"]


def test_ignored_keys_are_noted_after_the_error_line(tmp_path, capsys):
    assert main(["process", str(EXAMPLE), "image/resize,width_100",
                 "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "MissingArgument: Missing argument: resize needs w, h, l, s or p."
    assert err[-1] == ("note: step 1 (resize): width is not a parameter of resize; OSS "
                       "ignores it. Did you mean w_100?")


# -- warnings never come first ------------------------------------------------------------

def test_library_warning_comes_after_the_error_line(tmp_path):
    src = tmp_path / "bad-exif.jpg"
    src.write_bytes(bad_exif_jpeg())
    proc = run_cli("process", str(src), "image/crop,x_1000", "-o", str(tmp_path / "o.jpg"))
    err = proc.stderr.decode().splitlines()
    assert proc.returncode == 1
    assert err[0] == "BadRequest: Advance cut's position is out of image."
    assert "warning: UserWarning: Tag data larger than file. Skipping tag 271" in err[1:]
    assert not any("TiffImagePlugin" in line for line in err)


def test_library_warning_after_success_goes_to_stderr_only(tmp_path):
    src = tmp_path / "bad-exif.jpg"
    src.write_bytes(bad_exif_jpeg())
    proc = run_cli("process", str(src), "image/resize,w_20", "-o", str(tmp_path / "o.jpg"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["width"] == 20
    assert proc.stderr.decode().splitlines() == [
        "warning: UserWarning: Tag data larger than file. Skipping tag 271"]


# -- command-line errors ------------------------------------------------------------------

def test_bad_command_line_answers_code_first_and_exits_2(capsys):
    assert main(["process", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "MissingArgument: The following arguments are required: process"
    assert err[1].startswith("usage: oss-img process")


def test_misspelt_command_suggests_the_closest(capsys):
    assert main(["proces", str(EXAMPLE), "image/info"]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("InvalidArgument: Argument command: invalid choice: 'proces'")
    assert first.endswith(". Did you mean process?")


def test_help_still_exits_0(capsys):
    with pytest.raises(SystemExit) as e:
        main(["process", "--help"])
    assert e.value.code == 0
    assert "- for stdout" in capsys.readouterr().out
