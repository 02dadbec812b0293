"""Where bucket versioning keeps its state: the bucket's status and previous versions.

The current version of a key stays the file at ``ROOT/<bucket>/<key>`` (what GET,
ListObjects and image processing read, as in an unversioned bucket); its version id is
in its metadata (:class:`core.serve.meta.ObjectMeta`). Previous versions and delete
markers live apart, in ``ROOT/.oss-versions/<bucket>/<sha1[:2]>/<sha1(key)>/``:
``index.json`` (the key and its versions, newest first: id, delete marker or not, time,
metadata) and one data file per version, named by its id. A version moves there by a
hard link taken before the new file is renamed over the old one (no copy, no moment
without a current version), and back by a rename. ``ROOT/.oss-versions/<bucket>/
versioning`` holds the status (``Enabled`` or ``Suspended``; absent: never enabled).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import threading
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

from ..oss.urls import validate_bucket
from ..storage import atomic_write
from .config import error, log
from .meta import ObjectMeta

VERSIONS_DIR = ".oss-versions"
NULL = "null"
STATUSES = ("Enabled", "Suspended")
_VERSION_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")
_STRIPES = 64


def new_version_id() -> str:
    return "CAE" + secrets.token_hex(16).upper()


def check_version_id(value: str) -> str:
    if value != NULL and not _VERSION_ID.fullmatch(value or ""):
        raise error("InvalidArgument", "Invalid version id specified.", 400,
                    ArgumentName="versionId", ArgumentValue=value[:64])
    return value


def no_such_version(key: str, version_id: str) -> Exception:
    return error("NoSuchVersion", "The specified version does not exist.", 404,
                 Key=key, VersionId=version_id)


class VersionStore:
    """Status and previous versions per bucket; one lock stripe per key hash."""

    def __init__(self, root: Path) -> None:
        self.folder = root / VERSIONS_DIR
        self._locks = [threading.RLock() for _ in range(_STRIPES)]

    # -- status ------------------------------------------------------------------------
    def status(self, bucket: str) -> str:
        """``Enabled``, ``Suspended`` or "" (never enabled)."""
        try:
            value = (self.folder / validate_bucket(bucket) / "versioning").read_text(
                encoding="utf-8").strip()
        except FileNotFoundError:
            return ""
        return value if value in STATUSES else ""

    def set_status(self, bucket: str, status: str) -> None:
        path = self.folder / validate_bucket(bucket) / "versioning"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, status)

    # -- per key -----------------------------------------------------------------------
    def _dir(self, bucket: str, key: str) -> Path:
        h = hashlib.sha1(key.encode("utf-8")).hexdigest()
        return self.folder / validate_bucket(bucket) / h[:2] / h

    @contextmanager
    def lock(self, bucket: str, key: str) -> Iterator[None]:
        """Serialises version changes of one key (within this process)."""
        stripe = hashlib.sha1(f"{bucket}/{key}".encode("utf-8")).digest()[0] % _STRIPES
        with self._locks[stripe]:
            yield

    def records(self, bucket: str, key: str) -> list[dict]:
        """The previous versions and delete markers of ``key``, newest first."""
        return self._read_index(self._dir(bucket, key) / "index.json")

    @staticmethod
    def _read_index(path: Path) -> list[dict]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return list(data["versions"])
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("version index %s is unreadable (%s); not listed", path, e)
            return []

    def save(self, bucket: str, key: str, records: list[dict]) -> None:
        """Write the version list of ``key`` (none left: its folder goes)."""
        folder = self._dir(bucket, key)
        if not records:
            shutil.rmtree(folder, ignore_errors=True)
            return
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "index.json", json.dumps({"key": key, "versions": records},
                                                       ensure_ascii=False))

    def data_path(self, bucket: str, key: str, version_id: str) -> Path:
        return self._dir(bucket, key) / check_version_id(version_id)

    def archive(self, bucket: str, key: str, source: Path, meta: ObjectMeta,
                mtime: float) -> None:
        """Keep the file ``source`` (about to be replaced or removed) as a previous
        version, newest first; its id is ``meta.version_id`` or null."""
        vid = meta.version_id or NULL
        records = [r for r in self.records(bucket, key) if r["id"] != vid]
        folder = self._dir(bucket, key)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / vid
        target.unlink(missing_ok=True)
        try:
            if os.path.islink(source):   # a symlink object: keep what it showed
                raise OSError
            os.link(source, target, follow_symlinks=False)
        except OSError:       # or another file system (a linked bucket folder): copy
            shutil.copy2(source, target)
        records.insert(0, {"id": vid, "marker": False, "mtime": mtime, "meta": asdict(meta)})
        self.save(bucket, key, records)

    def add_marker(self, bucket: str, key: str, version_id: str, mtime: float) -> None:
        records = [r for r in self.records(bucket, key) if r["id"] != version_id]
        if version_id == NULL:
            self.data_path(bucket, key, NULL).unlink(missing_ok=True)
        records.insert(0, {"id": version_id, "marker": True, "mtime": mtime, "meta": None})
        self.save(bucket, key, records)

    def remove(self, bucket: str, key: str, version_id: str) -> dict | None:
        """Forget one previous version (or marker); its record, or None if unknown."""
        records = self.records(bucket, key)
        found = next((r for r in records if r["id"] == version_id), None)
        if found is None:
            return None
        self.data_path(bucket, key, version_id).unlink(missing_ok=True)
        self.save(bucket, key, [r for r in records if r is not found])
        return found

    def all_keys(self, bucket: str, prefix: str = "") -> dict[str, list[dict]]:
        """Every key with previous versions or markers under ``prefix``."""
        out: dict[str, list[dict]] = {}
        base = self.folder / validate_bucket(bucket)
        if not base.is_dir():
            return out
        for index in base.glob("*/*/index.json"):
            try:
                key = json.loads(index.read_text(encoding="utf-8"))["key"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                log.warning("version index %s is unreadable (%s); not listed", index, e)
                continue
            if isinstance(key, str) and key.startswith(prefix):
                records = self._read_index(index)
                if records:
                    out[key] = records
        return out

    def any(self, bucket: str) -> bool:
        base = self.folder / validate_bucket(bucket)
        return base.is_dir() and next(base.glob("*/*/index.json"), None) is not None

    def drop_bucket(self, bucket: str) -> None:
        shutil.rmtree(self.folder / validate_bucket(bucket), ignore_errors=True)
