"""Atomic file writes: a crash mid-write never leaves a half-written file behind; reads of
regular files only (``open_regular``: a FIFO or device is never waited on).

Files get the permissions any other program would give them: a new file is created with
mode ``0666`` and the kernel applies the process umask (``0644`` under the usual ``022``);
a file that is replaced keeps its own mode. (``tempfile.mkstemp`` always creates ``0600``,
which made every output private to its owner.) The umask is never read or changed here --
``os.umask`` can only be read by setting it, which races with other threads creating files.
"""
from __future__ import annotations

import errno
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

NEW_FILE_MODE = 0o666  # the umask is applied by the kernel (open(2))


def open_temp(folder: str | os.PathLike, prefix: str = ".tmp-",
              suffix: str = ".tmp") -> tuple[int, str]:
    """Create a new, empty temporary file in ``folder`` for writing; returns ``(fd, path)``.

    Like ``tempfile.mkstemp`` (exclusive creation, a random name) but with mode
    ``0666 & ~umask`` instead of ``0600``.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = os.path.join(folder, f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            return os.open(path, flags, NEW_FILE_MODE), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def keep_mode(fd: int, target: str | os.PathLike) -> None:
    """Give the open temporary file ``fd`` the permission bits of ``target`` when that
    exists, so replacing a file does not change who may read it."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    except OSError:
        return  # e.g. a path through a non-folder: the rename reports the real problem
    os.fchmod(fd, mode)


def atomic_write(path: str | os.PathLike, data: bytes | str, *, encoding: str = "utf-8",
                 parents: bool = True) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync, rename.

    With ``parents`` missing folders are created; without, a missing folder is a
    ``FileNotFoundError`` naming it.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise FileNotFoundError(2, "No such folder", str(path.parent))
    fd, tmp = open_temp(path.parent, prefix=f".{path.name}.")
    with removed_on_failure(tmp):
        with os.fdopen(fd, "wb") as f:
            keep_mode(f.fileno(), path)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


@contextmanager
def removed_on_failure(path: str | os.PathLike):
    """Remove the (temporary) file ``path`` if the block raises anything, interrupts
    included, then re-raise: a failed write leaves no half-written file behind."""
    try:
        yield
    except BaseException:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise


def open_regular(path: str | os.PathLike, limit: int | None = None
                 ) -> tuple[BinaryIO, os.stat_result]:
    """``path`` opened for reading if it is a regular file (else FileNotFoundError), with
    its ``fstat``; a FIFO or device is never waited on. ``limit``: refuse bigger files
    (OSError with errno EFBIG) before reading."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileNotFoundError(f"{path} is not a regular file")
        if limit is not None and st.st_size > limit:
            raise OSError(errno.EFBIG, "file too large")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise
