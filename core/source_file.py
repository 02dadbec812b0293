"""Reading a source or watermark object from disk without trusting what the path is.

Only regular files are read (a FIFO named ``f.jpg`` would block forever, ``/dev/zero``
never ends), and the size is checked on the open descriptor before a byte is read, so a
3 GB file in a bucket folder costs a ``stat``, not 3 GB of memory.
"""
from __future__ import annotations

import os
import stat

from .errors import OssError


def too_large(limit: int) -> OssError:
    return OssError("ImageTooLarge",
                    f"The source image is larger than {limit // (1024 * 1024)} MB.",
                    ec="0040-00000009")


def read_regular_file(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises FileNotFoundError / IsADirectoryError / NotADirectoryError for the caller to
    phrase, and :class:`OssError` (BadRequest for anything but a regular file,
    ImageTooLarge past ``limit``).
    """
    # O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if os.path.isdir(path):
        raise IsADirectoryError(path)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(st.st_mode):
            raise OssError("BadRequest", f"Not a regular file: {os.fspath(path)}")
        if st.st_size > limit:
            raise too_large(limit)
        chunks, total = [], 0
        while True:  # the file may grow while we read: never past limit + 1
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise too_large(limit)
        return b"".join(chunks)
    finally:
        os.close(fd)
