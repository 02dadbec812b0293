"""The viewer's own command-line options, answered before any window (or display) exists.

``oss-style-viewer [FILE | URL]`` opens the window; the options below do one thing and
exit. Options Qt knows (``-platform``, ``-style`` ...) are left to QApplication.
"""
from __future__ import annotations

import argparse
import sys

from .desktop import install, uninstall


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="oss-style-viewer",
        description="Preview Alibaba Cloud OSS image processing (x-oss-process) locally.")
    p.add_argument("source", nargs="?", metavar="FILE|URL",
                   help="an image file to open, or an http(s) URL to fetch")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--install-desktop-entry", action="store_true",
                       help="add the app and its icon to the desktop's application menu "
                            "($XDG_DATA_HOME, default ~/.local/share) and exit")
    group.add_argument("--uninstall-desktop-entry", action="store_true",
                       help="remove what --install-desktop-entry added and exit")
    group.add_argument("--list-samples", action="store_true",
                       help="print the bundled sample images (path, tab, title) and exit")
    return p


def run(argv: list[str]) -> int | None:
    """Handle ``argv`` (without the program name) when it asks for one of the options
    above; ``None`` means: start the app."""
    if not any(a.startswith("--") and a != "--" or a == "-h" for a in argv):
        return None  # the common case: no argparse, nothing to import
    args, _qt_options = build_parser().parse_known_args(argv)
    if args.install_desktop_entry:
        for path in install():
            print(f"Installed {path}")
        return 0
    if args.uninstall_desktop_entry:
        removed = uninstall()
        for path in removed:
            print(f"Removed {path}")
        if not removed:
            print("No desktop entry was installed.")
        return 0
    if args.list_samples:
        from .model.sources import SAMPLES, sample_path

        for s in SAMPLES:
            sys.stdout.write(f"{sample_path(s)}\t{s.title} ({s.note})\n")
        return 0
    return None
