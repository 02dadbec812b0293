"""Per-object metadata: the headers a PUT set, ACL, object type, ETag, CRC-64 and tags.

Stored as JSON in ``ROOT/.oss-meta/<bucket>/<sha1[:2]>/<sha1(key)>.json`` (keys can be
1,023 bytes, longer than a file name). Each record holds the identity (inode, size,
mtime) of the file version it describes; a file changed by hand no longer matches and
is served with defaults (type from the extension, MD5 ETag), as before metadata existed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..oss.urls import validate_bucket
from ..storage import atomic_write
from .config import META_DIR, log
from .store import identity

BUCKET_FILE = "bucket.json"     # next to the <sha1[:2]> folders: no key's record is named so

# Headers a PUT may set and GET/HEAD return (lower-case -> canonical spelling).
STORED_HEADERS = {
    "content-type": "Content-Type",
    "content-disposition": "Content-Disposition",
    "content-encoding": "Content-Encoding",
    "content-language": "Content-Language",
    "cache-control": "Cache-Control",
    "expires": "Expires",
}


@dataclass
class ObjectMeta:
    ident: list
    etag: str
    crc64: str
    headers: dict[str, str] = field(default_factory=dict)   # canonical name -> value
    acl: str = "default"
    type: str = "Normal"          # Normal, Appendable, Multipart
    storage_class: str = "Standard"
    restore: dict = field(default_factory=dict)   # {ready, expiry, tier}: core.serve.archive
    tags: dict[str, str] = field(default_factory=dict)      # object tagging, in order
    version_id: str = ""          # in a versioned bucket ("" is OSS's "null" version)

    @classmethod
    def from_json(cls, data: dict) -> "ObjectMeta":
        return cls(list(data["ident"]), str(data["etag"]), str(data["crc64"]),
                   {str(k): str(v) for k, v in data.get("headers", {}).items()},
                   str(data.get("acl", "default")), str(data.get("type", "Normal")),
                   str(data.get("storage_class", "Standard")),
                   dict(data.get("restore") or {}),
                   {str(k): str(v) for k, v in data.get("tags", {}).items()},
                   str(data.get("version_id", "")))


def headers_from_request(headers: dict[str, str]) -> dict[str, str]:
    """The stored headers of a PUT/initiate: standard ones plus ``x-oss-meta-*``."""
    out = {}
    for name, value in headers.items():
        if name in STORED_HEADERS:
            out[STORED_HEADERS[name]] = value
        elif name.startswith("x-oss-meta-"):
            out[name] = value
    return out


class MetaStore:
    def __init__(self, root: Path) -> None:
        self.folder = root / META_DIR

    def _path(self, bucket: str, key: str) -> Path:
        h = hashlib.sha1(key.encode("utf-8")).hexdigest()
        return self.folder / validate_bucket(bucket) / h[:2] / f"{h}.json"

    def get(self, bucket: str, key: str, st: os.stat_result) -> ObjectMeta | None:
        """The metadata of this version of the file, or None."""
        path = self._path(bucket, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            meta = ObjectMeta.from_json(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            log.warning("object metadata %s is unreadable (%s); defaults are served", path, e)
            return None
        return meta if tuple(meta.ident) == identity(st) else None

    def put(self, bucket: str, key: str, st: os.stat_result, meta: ObjectMeta) -> None:
        meta.ident = list(identity(st))
        path = self._path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(asdict(meta), ensure_ascii=False))

    def delete(self, bucket: str, key: str) -> None:
        try:
            self._path(bucket, key).unlink()
        except FileNotFoundError:
            pass

    # -- the bucket's default storage class (CreateBucketConfiguration/StorageClass) -----
    def bucket_class(self, bucket: str) -> str:
        """The storage class new objects of ``bucket`` get when a write names none."""
        path = self.folder / validate_bucket(bucket) / BUCKET_FILE
        try:
            value = json.loads(path.read_text(encoding="utf-8")).get("StorageClass")
        except FileNotFoundError:
            return "Standard"
        except (OSError, ValueError, AttributeError) as e:
            log.warning("bucket settings %s are unreadable (%s); Standard is used", path, e)
            return "Standard"
        return value if isinstance(value, str) and value else "Standard"

    def set_bucket_class(self, bucket: str, storage_class: str) -> None:
        path = self.folder / validate_bucket(bucket) / BUCKET_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({"StorageClass": storage_class}))

    def drop_bucket(self, bucket: str) -> None:
        shutil.rmtree(self.folder / validate_bucket(bucket), ignore_errors=True)
