"""Files: atomic writes (a crash mid-write never leaves a half-written file behind) and
reads of regular files only (a FIFO or device is never waited on)."""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: str | os.PathLike, data: bytes | str, *, encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync, rename."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
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
