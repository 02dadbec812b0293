"""scripts/setup.sh installs only when pyproject.toml changed since the last install (a
stamp in the venv), quietly, and the stamp covers the extras asked for. pip is a
stand-in that records its calls, so this runs in milliseconds and offline."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.fixture
def project(tmp_path):
    """A checkout-like folder and a venv whose python records pip calls."""
    proj = tmp_path / "proj"
    (proj / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", proj / "scripts" / "setup.sh")
    (proj / "pyproject.toml").write_text('[project]\nname = "x"\n')
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    calls = tmp_path / "pip-calls"
    python = venv / "bin" / "python"
    python.write_text(f"#!/bin/sh\necho \"$@\" >> '{calls}'\n"
                      "echo '********** a setuptools banner **********' >&2\n"
                      f"touch '{venv}/bin/oss-style-viewer'; chmod +x '{venv}/bin/oss-style-viewer'\n")
    python.chmod(0o755)
    return proj, venv, calls


def setup(project, target):
    proj, venv, calls = project
    env = dict(os.environ, OSS_VIEWER_VENV=str(venv))
    proc = subprocess.run(["bash", "-c", f"set -euo pipefail; source scripts/setup.sh; "
                           f"setup_venv '{target}'"], capture_output=True, text=True,
                          cwd=proj, env=env)
    assert proc.returncode == 0, proc.stderr
    installs = calls.read_text().splitlines() if calls.exists() else []
    calls.unlink(missing_ok=True)
    return installs, proc.stderr


def test_installs_once_then_only_when_pyproject_changes(project):
    proj = project[0]
    installs, err = setup(project, ".[test]")
    assert installs == ["-m pip install --quiet -e .[test]"]
    assert "banner" not in err and "(no record of an earlier install;" in err  # pip's output: a log
    assert "banner" in (project[1] / "install.log").read_text()
    assert setup(project, ".[test]") == ([], "")      # second run: nothing at all
    assert setup(project, ".") == ([], "")            # fewer extras: covered
    with (proj / "pyproject.toml").open("a") as f:
        f.write('dependencies = ["pillow"]\n')
    installs, err = setup(project, ".")
    assert installs == ["-m pip install --quiet -e ."]
    assert "(pyproject.toml changed since the last install;" in err
    assert setup(project, ".")[0] == []


def test_more_extras_than_installed_reinstall(project):
    assert setup(project, ".")[0] == ["-m pip install --quiet -e ."]
    assert setup(project, ".[test]")[0] == ["-m pip install --quiet -e .[test]"]
    assert setup(project, ".[test]")[0] == []


def test_a_moved_checkout_or_a_lost_install_reinstalls(project):
    proj, venv, _ = project
    setup(project, ".")
    (venv / "bin" / "oss-style-viewer").unlink()
    assert setup(project, ".")[0] == ["-m pip install --quiet -e ."]
    stamp = venv / ".oss-style-viewer-install"
    lines = stamp.read_text().splitlines()
    assert lines[1] == str(proj)
    stamp.write_text("\n".join([lines[0], "/elsewhere", lines[2]]) + "\n")
    assert setup(project, ".")[0] == ["-m pip install --quiet -e ."]


def test_failed_install_shows_the_log_and_stops(project):
    proj, venv, calls = project
    (venv / "bin" / "python").write_text("#!/bin/sh\necho 'ERROR: no such package' >&2\nexit 1\n")
    env = dict(os.environ, OSS_VIEWER_VENV=str(venv))
    proc = subprocess.run(["bash", "-c", "source scripts/setup.sh; setup_venv .; echo AFTER"],
                          capture_output=True, text=True, cwd=proj, env=env)
    assert proc.returncode == 1 and "AFTER" not in proc.stdout
    assert "ERROR: no such package" in proc.stderr
    assert not (venv / ".oss-style-viewer-install").exists()
