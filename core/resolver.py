"""Object resolvers: how core finds other objects of "the same bucket" (watermark images).

Core never reaches for the network or a bucket itself; callers pass a resolver:
a folder for the CLI's ``--bucket-dir``, the served bucket for ``oss-img serve``, the
sample set for the viewer.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from .codec import MAX_SOURCE_BYTES
from .errors import OssError
from .source_file import read_regular_file


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
        if not path.is_file():  # a FIFO, device or folder is no object (the service agrees)
            raise no_such_key(key)
        try:
            # An object larger than OSS's source limit can be no watermark either.
            return read_regular_file(path, MAX_SOURCE_BYTES)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise no_such_key(key) from None
        except OssError as e:
            e.key = e.key or "image"
            e.details = e.details or {"Key": key}
            raise
        except OSError as e:
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
