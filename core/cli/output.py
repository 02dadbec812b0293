"""What ``oss-img`` prints and writes, kept to its contract.

* :func:`write_output` -- an image to a file (atomic, ``0666 & ~umask``; the folder must
  exist) or to stdout for ``-o -``.
* :class:`CollectedWarnings` -- warnings of libraries (Pillow's ``UserWarning`` on a
  damaged EXIF block, ...) and the CLI's own notes are held back while a command runs and
  printed after its result or its ``<Code>: <Message>`` line.
* :class:`UsageError` -- a bad command line also answers ``<Code>: <Message>`` first and
  exits 1 (argparse alone prints the usage first and exits 2).
* :func:`error_hint` -- one line of advice under some errors (NoSuchStyle: ``--styles``).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from collections import deque
from pathlib import Path

from ..errors import OssError
from ..suggest import closest, did_you_mean

STDOUT = "-"
MAX_WARNINGS = 50


def write_output(output: str, data: bytes) -> None:
    """Write ``data`` to the file ``output``, or to stdout when it is ``-``."""
    from ..storage import atomic_write

    if output == STDOUT:
        if sys.stdout.isatty():
            raise OssError("InvalidArgument", "Refusing to write image data to a terminal; "
                           "redirect stdout (-o - > out.jpg) or name a file.", key="output")
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    path = Path(output)
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise OssError("InvalidArgument", f"The output folder {folder} {what}.", key="output")
    try:
        atomic_write(path, data, parents=False)
    except OSError as e:
        raise OssError("InternalError", f"Cannot write {path}: {e.strerror or e}") from None


class CollectedWarnings:
    """Context manager: warnings and notes raised inside are kept (at most
    :data:`MAX_WARNINGS`, each once) for :meth:`report`."""

    _active: list["CollectedWarnings"] = []

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=MAX_WARNINGS)
        self.dropped = 0
        self._seen: set[str] = set()

    def __enter__(self) -> "CollectedWarnings":
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("default")
        warnings.showwarning = self._show
        CollectedWarnings._active.append(self)
        return self

    def __exit__(self, *exc) -> None:
        CollectedWarnings._active.remove(self)
        self._catch.__exit__(*exc)

    def _show(self, message, category, filename, lineno, file=None, line=None) -> None:
        self.add(f"warning: {category.__name__}: {message}")

    def add(self, line: str) -> None:
        if line in self._seen:
            return
        self._seen.add(line)
        if len(self.lines) == self.lines.maxlen:
            self.dropped += 1
        self.lines.append(line)

    @classmethod
    def note(cls, text: str) -> None:
        """A note of the CLI's own, printed with the warnings (at once when none are
        being collected)."""
        if cls._active:
            cls._active[-1].add(f"note: {text}")
        else:
            print(f"note: {text}", file=sys.stderr)

    def report(self, stream) -> None:
        if self.dropped:
            print(f"warning: {self.dropped} earlier warnings not shown", file=stream)
        for line in self.lines:
            print(line, file=stream)


class UsageError(Exception):
    """A bad command line, raised by the parsers :meth:`parser` makes."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.message, self.usage = message, usage

    @staticmethod
    def parser(**kwargs) -> argparse.ArgumentParser:
        return _Parser(**kwargs)

    def report(self) -> int:
        code = "MissingArgument" if "required" in self.message else "InvalidArgument"
        message = self.message[:1].upper() + self.message[1:]
        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", self.message)
        if m:
            choices = re.findall(r"'([^']*)'", m.group(2)) or [
                c.strip() for c in m.group(2).split(",")]
            message += did_you_mean(closest(m.group(1), choices), ". ")
        print(f"{code}: {message}", file=sys.stderr)
        sys.stderr.write(self.usage)
        return 2  # the usage error, as argparse and every Unix tool: 1 is an OSS error


class _Parser(argparse.ArgumentParser):
    # add_subparsers() makes sub-command parsers of the same class, so the sub-commands
    # other modules register behave alike.
    def error(self, message: str):
        raise UsageError(message, self.format_usage())


def error_hint(error: OssError, args: argparse.Namespace) -> str | None:
    """One line of advice for an error of ``oss-img process``, or None."""
    if error.code != "NoSuchStyle" or not hasattr(args, "styles"):
        return None
    name = error.details.get("StyleName", "NAME")
    if not args.styles:
        return (f"style/{name} is looked up in a styles file: add --styles FILE, a JSON "
                f"object such as {json.dumps({name: 'image/resize,w_100'})}.")
    try:
        names = list(json.loads(Path(args.styles).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        names = []
    return f"{args.styles} has no style {name}." + did_you_mean(closest(name, names))
