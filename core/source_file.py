"""Reading a source or watermark object from disk without trusting what the path is.

Only regular files are read (a FIFO named ``f.jpg`` would block forever, ``/dev/zero``
never ends), and the size is checked on the open descriptor before a byte is read, so a
3 GB file in a bucket folder costs a ``stat``, not 3 GB of memory.
"""
from __future__ import annotations

import errno
import os

from .errors import OssError
from .storage import open_regular


def too_large(limit: int) -> OssError:
    return OssError("ImageTooLarge",
                    f"The source image is larger than {limit // (1024 * 1024)} MB.",
                    ec="0040-00000009")


def read_regular_file(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises FileNotFoundError / IsADirectoryError / NotADirectoryError for the caller to
    phrase, and :class:`OssError` (BadRequest for anything but a regular file,
    ImageTooLarge past ``limit``). Opening is :func:`core.storage.open_regular`'s, which
    the service uses too: never waits on a FIFO, checks the size before reading.
    """
    if os.path.isdir(path):
        raise IsADirectoryError(path)
    try:
        f, _ = open_regular(path, limit)
    except FileNotFoundError:
        if os.path.lexists(path):   # there, but a FIFO, device or socket
            raise OssError("BadRequest", f"Not a regular file: {os.fspath(path)}") from None
        raise
    except OSError as e:
        if e.errno == errno.EFBIG:
            raise too_large(limit) from None
        raise
    with f:
        data = f.read(limit + 1)    # the file may grow while we read: never past limit + 1
    if len(data) > limit:
        raise too_large(limit)
    return data
