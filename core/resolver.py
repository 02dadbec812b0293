"""Object resolvers: how core finds other objects of "the same bucket" (watermark images).

Core never reaches for the network or a bucket itself; callers pass a resolver:
a folder for the CLI's ``--bucket-dir``, the served bucket for ``oss-img serve``, the
sample set for the viewer.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Mapping

from .codec import MAX_SOURCE_BYTES
from .errors import OssError
from .storage import open_regular


def no_such_key(key: str) -> OssError:
    return OssError("NoSuchKey", "The specified key does not exist.", key="image",
                    details={"Key": key})


def safe_join(root: Path, key: str) -> Path:
    """``root / key`` for an object key, refusing anything that would leave ``root``
    (``..`` segments, absolute paths, NUL bytes, symlinks pointing outside)."""
    if not key or "\x00" in key or key.startswith("/") or "\\" in key:
        raise no_such_key(key)
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise no_such_key(key)
    root_real = Path(os.path.realpath(root))
    candidate = Path(os.path.realpath(root_real.joinpath(*parts)))
    if candidate != root_real and root_real not in candidate.parents:
        raise no_such_key(key)
    return candidate


class FolderResolver:
    """Object keys are paths relative to a folder."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def __call__(self, key: str) -> bytes:
        path = safe_join(self.root, key)
        try:
            f, _ = open_regular(path, MAX_SOURCE_BYTES)   # no FIFO; size before reading
            with f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise no_such_key(key) from None
        except OSError as e:
            if e.errno == errno.EFBIG:
                raise OssError("ImageTooLarge", f"The object {key} is larger than "
                               f"{MAX_SOURCE_BYTES // (1024 * 1024)} MB.",
                               ec="0040-00000009") from None
            raise OssError("InternalError", f"Cannot read object {key}: {e.strerror}") from None

    def __repr__(self) -> str:
        return f"FolderResolver({str(self.root)!r})"


class MappingResolver:
    """Object keys looked up in a mapping of key -> bytes (tests, the viewer's samples)."""

    def __init__(self, objects: Mapping[str, bytes]) -> None:
        self.objects = objects

    def __call__(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise no_such_key(key) from None
