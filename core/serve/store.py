"""Buckets as folders under ROOT, objects as files; writes are atomic.

Only regular files are ever opened (a FIFO or device in ROOT is "no such key", never a
hung thread): files are opened non-blocking, ``fstat``-ed, and their size is checked
before a byte is read. In-flight writes are ``.oss-tmp-*`` files next to their object:
never listed, ignored by DeleteBucket, and removed when the store starts (a ``kill -9``
during a PUT leaves one behind).

A key ending in ``/`` (a "folder object", ``a/b/``) is the file ``a/b/.oss-folder-object``
(:data:`FOLDER_OBJECT`): it lives in the folder that also holds ``a/b/c``, and the listing
maps it back to ``a/b/``; no other key may use that name as a segment.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import errno
import os
import stat
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from ..errors import OssError
from ..oss.urls import validate_bucket
from ..resolver import no_such_key, safe_join
from ..storage import keep_mode, open_regular, open_temp, removed_on_failure
from .config import (BUCKET_TAKEN, FOLDER_OBJECT, TMP_PREFIX, entity_too_large, error,
                     invalid_digest, log, quoted_etag)
from .crc64 import Crc64


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    mtime: float
    etag: str          # quoted upper-case MD5 hex
    crc64: str = ""    # decimal, as x-oss-hash-crc64ecma
    md5_hex: str = ""


def identity(st: os.stat_result) -> tuple:
    """What ties metadata to one version of a file (kept by rename, changed by rewrite)."""
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class _Md5Cache:
    """MD5 by file identity, so listings do not re-read unchanged files."""

    def __init__(self, capacity: int = 8192) -> None:
        self._data: OrderedDict[tuple, str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, st: os.stat_result) -> str | None:
        with self._lock:
            return self._data.get((st.st_dev,) + identity(st))

    def put(self, st: os.stat_result, md5_hex: str) -> None:
        ident = (st.st_dev,) + identity(st)
        with self._lock:
            self._data[ident] = md5_hex
            self._data.move_to_end(ident)
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)


# The longest file name (one segment of a key) the local store can hold: 255 bytes on
# Linux and macOS file systems (NAME_MAX); Windows counts 255 UTF-16 units, which 255
# UTF-8 bytes never exceed.
NAME_MAX = 255


def invalid_object_name(key: str, why: str) -> OssError:
    return error("InvalidObjectName", f"The object key {key!r} {why}.", 400)


def check_key_shape(key: str, *, for_write: bool) -> None:
    """Keys the local store can hold: 1-1023 UTF-8 bytes, no empty/./.. segments (but
    one trailing ``/``: a folder object), segments of at most NAME_MAX bytes, no backslash
    or NUL, no reserved names. Reads of other keys are NoSuchKey; writes are
    InvalidObjectName (so a client learns why)."""
    problem = None
    try:
        size = len(key.encode("utf-8")) if key else 0
    except UnicodeEncodeError:
        size, problem = 0, "is not valid UTF-8"
    if problem is None:
        if size > 1023 and for_write:   # OSS's words (its "HTTP status code 400" page)
            raise error("InvalidObjectName", "The Length of Object name must be less than 1024.",
                        400)
        if not 1 <= size <= 1023:
            problem = "must be 1-1023 bytes"
        elif key.startswith("/") or "\\" in key or "\x00" in key:
            problem = "must not start with '/' or contain a backslash or NUL"
        elif any(p in ("", ".", "..") for p in key.removesuffix("/").split("/")):
            problem = ("has an empty, '.' or '..' segment, which the local store cannot "
                       "hold")
        elif any(len(p.encode("utf-8")) > NAME_MAX for p in key.split("/")):
            problem = (f"has a segment longer than {NAME_MAX} bytes, which the local store "
                       "cannot hold (a file name's limit)")
        elif any(p.startswith(TMP_PREFIX) for p in key.split("/")):
            problem = f"uses the reserved prefix {TMP_PREFIX}"
        elif FOLDER_OBJECT in key.split("/"):
            problem = f"uses the reserved name {FOLDER_OBJECT}"
    if problem:
        raise invalid_object_name(key, problem) if for_write else no_such_key(key)


def key_path(key: str) -> str:
    """The relative file path of ``key``: itself, or ``<folder>/FOLDER_OBJECT`` for a
    key ending in ``/``."""
    return key + FOLDER_OBJECT if key.endswith("/") else key


def path_key(rel: str) -> str:
    """The key of a file path relative to its bucket (``/``-separated): the inverse of
    :func:`key_path`."""
    return rel.removesuffix(FOLDER_OBJECT) if rel.endswith("/" + FOLDER_OBJECT) else rel


def decode_content_md5(value: str) -> bytes:
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise invalid_digest()
    return digest


TEMP_GRACE = 60.0   # seconds: a temporary file untouched this long belongs to no live PUT


def remove_temp_files(root: Path, *, grace: float = TEMP_GRACE) -> int:
    """Delete ``.oss-tmp-*`` files under ``root`` untouched for ``grace`` seconds (left by
    a killed server; a younger one may be another host's PUT in flight on a shared ROOT,
    and stays invisible until its owner renames or removes it). Returns the count."""
    removed = 0
    cutoff = time.time() - grace
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.startswith(TMP_PREFIX):
                path = os.path.join(dirpath, name)
                try:
                    if os.lstat(path).st_mtime < cutoff:
                        os.unlink(path)
                        removed += 1
                except OSError:
                    pass
    if removed:
        log.warning("removed %d unfinished upload file(s) under %s", removed, root)
    return removed


class ObjectStore:
    """Buckets as folders under ``root``, objects as files; writes are atomic."""

    def __init__(self, root: Path, *, clean: bool = False) -> None:
        self.root = root
        self._md5 = _Md5Cache()
        # Serialises creating a parent folder + its temporary file against pruning empty
        # folders after a delete, so a PUT never loses its folder to a concurrent DELETE.
        self._tree_lock = threading.Lock()
        if clean:
            remove_temp_files(root)

    # -- buckets -----------------------------------------------------------------------
    def bucket_dir(self, bucket: str) -> Path:
        """The folder of an existing bucket, or NoSuchBucket."""
        validate_bucket(bucket)
        path = self.root / bucket
        if not path.is_dir():
            raise error("NoSuchBucket", "The specified bucket does not exist.", 404,
                        "0015-00000101", BucketName=bucket)
        return path

    def buckets(self) -> list[tuple[str, float]]:
        out = []
        with os.scandir(self.root) as it:
            for entry in it:
                try:
                    validate_bucket(entry.name)
                except OssError:
                    continue
                if entry.is_dir():
                    out.append((entry.name, entry.stat().st_mtime))
        return sorted(out)

    def create_bucket(self, bucket: str) -> None:
        validate_bucket(bucket)
        try:
            (self.root / bucket).mkdir(exist_ok=True)
        except FileExistsError:
            raise error("BucketAlreadyExists", BUCKET_TAKEN, 409) from None

    def delete_bucket(self, bucket: str) -> None:
        path = self.bucket_dir(bucket)
        if path.is_symlink():
            raise error("BucketNotEmpty", "This bucket is a linked folder; remove the link "
                        "by hand.", 409, BucketName=bucket)
        with self._tree_lock:
            for dirpath, dirnames, filenames in os.walk(path):
                if (any(not f.startswith(TMP_PREFIX) for f in filenames)
                        or any(os.path.islink(os.path.join(dirpath, d)) for d in dirnames)):
                    raise error("BucketNotEmpty", "The bucket you tried to delete is not "
                                "empty.", 409, BucketName=bucket)
            for dirpath, _, filenames in sorted(os.walk(path), key=lambda t: -len(t[0])):
                for name in filenames:
                    os.unlink(os.path.join(dirpath, name))
                os.rmdir(dirpath)

    # -- paths -------------------------------------------------------------------------
    def paths(self, bucket: str, key: str, *, for_write: bool = False) -> tuple[Path, Path]:
        """(literal path, resolved path) of ``key``; both checked to stay in the bucket.

        Reads use the resolved path; writes and deletes the literal one, so deleting a
        key that is a symlink removes the link, not its target.
        """
        check_key_shape(key, for_write=for_write)
        base = self.bucket_dir(bucket)
        rel = key_path(key)
        try:
            resolved = safe_join(base, rel)
        except OssError:
            if for_write:
                raise invalid_object_name(key, "leads outside its bucket") from None
            raise no_such_key(key) from None
        return base.joinpath(*rel.split("/")), resolved

    def exists(self, bucket: str, key: str) -> bool:
        try:
            _, resolved = self.paths(bucket, key)
            st = os.stat(resolved)
        except (OssError, OSError):
            return False
        return stat.S_ISREG(st.st_mode)

    # -- reading -----------------------------------------------------------------------
    def open(self, bucket: str, key: str, limit: int | None = None
             ) -> tuple[BinaryIO, os.stat_result]:
        """An open regular file and its ``fstat`` (one consistent version)."""
        _, resolved = self.paths(bucket, key)
        try:
            return open_regular(resolved, limit)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise no_such_key(key) from None
        except PermissionError:
            raise error("AccessDenied", "The server cannot read this object.", 403) from None
        except OSError as e:
            if e.errno == errno.EFBIG:
                raise OssError("ImageTooLarge", f"The object {key} is larger than "
                               f"{(limit or 0) // (1024 * 1024)} MB.",
                               ec="0040-00000009") from None
            raise

    def read(self, bucket: str, key: str, limit: int | None = None
             ) -> tuple[bytes, os.stat_result]:
        f, st = self.open(bucket, key, limit)
        with f:
            return f.read(), st

    def md5_of(self, f: BinaryIO, st: os.stat_result) -> str:
        cached = self._md5.get(st)
        if cached is not None:
            return cached
        h = hashlib.md5()
        f.seek(0)
        while chunk := f.read(1 << 20):
            h.update(chunk)
        f.seek(0)
        digest = h.hexdigest()
        self._md5.put(st, digest)
        return digest

    def stat_listed(self, path: str) -> os.stat_result | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st if stat.S_ISREG(st.st_mode) else None

    def listed_md5(self, path: str, st: os.stat_result) -> str | None:
        cached = self._md5.get(st)
        if cached is not None:
            return cached
        try:
            f, st2 = open_regular(path)
        except OSError:
            return None
        with f:
            return self.md5_of(f, st2)

    def listing(self, bucket: str, prefix: str = "") -> list[tuple[str, str]]:
        """(key, file path) of every object under ``prefix``, in OSS order."""
        base = self.bucket_dir(bucket)
        base_real = os.path.realpath(base)
        out: list[tuple[str, str]] = []

        def walk(folder: str, rel: str) -> None:
            try:
                it = os.scandir(folder)
            except OSError:
                return
            with it:
                for entry in it:
                    name = entry.name
                    if name.startswith(TMP_PREFIX) or "\\" in name:
                        continue
                    try:
                        name.encode("utf-8")
                    except UnicodeEncodeError:  # not representable as an OSS key
                        continue
                    folder_object = name == FOLDER_OBJECT     # the object rel ("a/b/")
                    if folder_object and not rel:
                        continue
                    key = rel if folder_object else rel + name
                    try:
                        if entry.is_symlink():
                            # Listed only when it stays inside the bucket; linked folders
                            # are not descended into (no cycles).
                            target = os.path.realpath(entry.path)
                            if (target.startswith(base_real + os.sep)
                                    and os.path.isfile(target) and key.startswith(prefix)):
                                out.append((key, target))
                        elif entry.is_dir(follow_symlinks=False):
                            if folder_object:
                                continue
                            sub = key + "/"
                            if prefix.startswith(sub) or sub.startswith(prefix):
                                walk(entry.path, sub)
                        elif (entry.is_file(follow_symlinks=False)
                              and key.startswith(prefix)):
                            out.append((key, entry.path))
                    except OSError:
                        continue

        walk(str(base), "")
        out.sort()  # code-point order of str == byte order of UTF-8
        return out

    # -- writing -----------------------------------------------------------------------
    def write(self, bucket: str, key: str, chunks: Iterable[bytes] | BinaryIO | None, *,
              limit: int, content_md5: str | None = None, content_sha256: str | None = None,
              forbid_overwrite: bool = False,
              before_rename: Callable[[ObjectInfo, os.stat_result], None] | None = None,
              ) -> ObjectInfo:
        """Stream the body into a temporary file next to the object, fsync, rename.

        Readers see the old or the new version, never a mix. The declared Content-MD5 (and
        a non-UNSIGNED ``x-oss-content-sha256``) are checked before the rename;
        ``before_rename`` (e.g. writing the metadata) runs just before it.
        """
        literal, _ = self.paths(bucket, key, for_write=True)
        expected_md5 = decode_content_md5(content_md5) if content_md5 else None
        folder = literal.parent
        with self._tree_lock:
            self._drop_leftover_folder(literal)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                fd, tmp = open_temp(folder, prefix=TMP_PREFIX)  # 0666 & ~umask
            except (FileExistsError, NotADirectoryError):
                raise invalid_object_name(key, "needs a folder where an object of the "
                                          "same name exists (the local store keeps keys "
                                          "as files)") from None
        with removed_on_failure(tmp):
            md5, sha = hashlib.md5(), hashlib.sha256() if content_sha256 else None
            crc = Crc64()
            size = 0
            with os.fdopen(fd, "wb") as f:
                keep_mode(f.fileno(), literal)  # an overwritten object keeps its mode
                for chunk in _chunks(chunks):
                    size += len(chunk)
                    if size > limit:
                        raise entity_too_large(limit)
                    md5.update(chunk)
                    crc.update(chunk)
                    if sha is not None:
                        sha.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
                st = os.fstat(f.fileno())
            if expected_md5 is not None and expected_md5 != md5.digest():
                raise invalid_digest()
            if sha is not None and sha.hexdigest() != content_sha256.lower():
                raise error("InvalidDigest", "The x-oss-content-sha256 you specified did "
                            "not match what was received.", 400)
            info = ObjectInfo(key, size, st.st_mtime, quoted_etag(md5.hexdigest()),
                              str(crc.value), md5.hexdigest())
            if before_rename is not None:
                before_rename(info, st)
            try:
                if forbid_overwrite:
                    os.link(tmp, literal)  # fails atomically if the key exists
                    os.unlink(tmp)
                else:
                    os.replace(tmp, literal)
            except FileExistsError:
                raise error("FileAlreadyExists", "The object you specified already "
                            "exists and can not be overwritten.", 409) from None
            except IsADirectoryError:
                raise invalid_object_name(key, "names a folder of other objects (the "
                                          "local store keeps keys as files)") from None
        self._md5.put(st, md5.hexdigest())
        return info

    def _drop_leftover_folder(self, literal: Path) -> None:
        """A folder at the key's path holding only temporary files (a killed PUT under
        it) is removed, so it does not block the key."""
        if literal.is_symlink() or not literal.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(literal):
            if any(not f.startswith(TMP_PREFIX) for f in filenames) or any(
                    os.path.islink(os.path.join(dirpath, d)) for d in dirnames):
                return
        for dirpath, _, filenames in sorted(os.walk(literal), key=lambda t: -len(t[0])):
            for name in filenames:
                os.unlink(os.path.join(dirpath, name))
            os.rmdir(dirpath)

    def put_file(self, bucket: str, key: str, source: Path) -> os.stat_result:
        """Move the file ``source`` (on ROOT's file system) into place as ``key``."""
        literal, _ = self.paths(bucket, key, for_write=True)
        with self._tree_lock:
            self._drop_leftover_folder(literal)
            try:
                literal.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, literal)
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                raise invalid_object_name(key, "collides with a folder or an object of "
                                          "the local store") from None
        return os.stat(literal)

    def delete(self, bucket: str, key: str) -> bool:
        """Remove ``key`` (absent keys are fine, as in OSS) and prune emptied folders;
        True if something was removed."""
        try:
            literal, _ = self.paths(bucket, key)
        except OssError as e:
            if e.code == "NoSuchKey":
                return False
            raise
        base = self.bucket_dir(bucket)
        with self._tree_lock:
            try:
                if literal.is_symlink() or literal.is_file():
                    literal.unlink()
                else:
                    return False
            except FileNotFoundError:
                return False
            folder = literal.parent
            while folder != base and base in folder.parents:
                try:
                    folder.rmdir()
                except OSError:
                    break
                folder = folder.parent
        return True


def _chunks(body: Iterable[bytes] | BinaryIO | None) -> Iterable[bytes]:
    if body is None:
        return
    if hasattr(body, "read"):
        while chunk := body.read(1 << 16):
            yield chunk
    else:
        yield from body
