"""Start-up to a visible window: the app alone vs ``bash scripts/run.sh`` (run by hand,
record results in docs/PERFORMANCE.md).

    DISPLAY=:92 python bench/bench_startup.py [--runs 5] [--venv .venv]

Needs an X server (e.g. ``Xvfb :92 -screen 0 1280x720x24 &``) and ``xdotool``. Each run
starts a fresh process and polls every 10 ms for a visible window of WM_CLASS
``oss-style-viewer``; the time from the start to that window is recorded, then the app is
ended. The cases:

- app: ``$VENV/bin/oss-style-viewer`` itself (Python, Qt, the window, the first preview
  being scheduled);
- run.sh: ``bash scripts/run.sh`` with an installed, up-to-date venv (the stamp matches,
  the xcb plugin finds its libraries), i.e. every run after the first;
- run.sh checks only: the shell part of run.sh before the ``exec`` (stamp + ldd check).

Settings go to a temporary XDG_CONFIG_HOME so the user's are not touched.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def window_visible() -> bool:
    proc = subprocess.run(["xdotool", "search", "--onlyvisible", "--classname",
                           "oss-style-viewer"], capture_output=True, text=True)
    return bool(proc.stdout.strip())


def time_to_window(cmd: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    assert not window_visible(), "an oss-style-viewer window is already open"
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while not window_visible():
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited with {proc.returncode}")
            if time.perf_counter() - start > timeout:
                raise TimeoutError(cmd)
            time.sleep(0.01)
        return time.perf_counter() - start
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        while window_visible():
            time.sleep(0.01)


def time_command(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--venv", default=os.environ.get("OSS_VIEWER_VENV", str(ROOT / ".venv")))
    args = ap.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("DISPLAY is not set (start Xvfb :92 and export DISPLAY=:92)")
    venv = str(Path(args.venv).absolute())
    config = tempfile.mkdtemp(prefix="bench-startup-")
    env = dict(os.environ, OSS_VIEWER_VENV=venv, XDG_CONFIG_HOME=config)
    env.pop("QT_QPA_PLATFORM", None)
    # First run.sh: installs if pyproject.toml changed; not timed.
    time_to_window(["bash", "scripts/run.sh"], env)
    checks = ["bash", "-c", "set -euo pipefail; source scripts/setup.sh; setup_venv .; "
              "ensure_qt_libs xcb"]
    cases = {
        "app: $VENV/bin/oss-style-viewer": lambda: time_to_window(
            [f"{venv}/bin/oss-style-viewer"], env),
        "run.sh (second and later runs)": lambda: time_to_window(
            ["bash", "scripts/run.sh"], env),
        "run.sh checks only (stamp + ldd)": lambda: time_command(checks, env),
    }
    print(f"| case | median s | min s | max s |  (runs: {args.runs})")
    print("|---|---:|---:|---:|")
    for name, fn in cases.items():
        times = [fn() for _ in range(args.runs)]
        print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | "
              f"{max(times):.2f} |")


if __name__ == "__main__":
    main()
