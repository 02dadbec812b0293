"""``oss-img serve``: a local, OSS-compatible object and image service over core.

Each folder under ROOT is a bucket and each file in it an object (``ROOT/<bucket>/<key>``).
GetObject/HeadObject run ``x-oss-process`` (``image/...``, ``style/...`` and the custom
separator form ``<key><sep><style>``) through :class:`core.engine.Engine`; PutObject,
DeleteObject, ListObjects (V1 and V2), the style APIs (PutStyle/GetStyle/ListStyle/
DeleteStyle, persisted in ``ROOT/.oss-styles/<bucket>.json``) and the bucket calls
(ListBuckets, PutBucket, DeleteBucket) answer in OSS's XML, headers and error format, so
oss2 and alibabacloud-oss-v2 talk to it unchanged.

Layers:

* :class:`ObjectStore` and :class:`StyleStore`: the filesystem, with path-escape
  protection (:func:`core.resolver.safe_join`) and atomic writes.
* :class:`OssService`: the OSS semantics, HTTP-free (``handle(Request) -> Response``) so
  tests drive it directly; signatures are checked with :mod:`core.oss.signing`.
* :class:`OssHTTPServer` and its handler: stdlib ``http.server`` plumbing only.

Decisions (why, and how to change them) are in ``docs/COMPATIBILITY.md``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import mimetypes
import os
import re
import secrets
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Sequence
from urllib.parse import quote, unquote_to_bytes, urlsplit
from xml.sax.saxutils import escape

from .. import codec
from ..oss import signing
from ..cascade import Cascade, parse, resolve, validate_style_name
from ..oss.credentials import Credentials, mask, static_lookup
from ..engine import Engine, Result
from ..errors import Cancelled, OssError
from ..resolver import no_such_key, safe_join
from ..storage import atomic_write, keep_mode, open_temp
from ..oss.urls import parse_query, validate_bucket

log = logging.getLogger("core.serve.server")

ACLS = ("private", "public-read", "public-read-write")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9000
DEFAULT_REGION = "cn-hangzhou"
DEFAULT_DOMAIN = "localhost"
DEFAULT_SEPARATORS = "-_/!"
DEFAULT_MAX_BODY = 20 * 1024 * 1024     # same as OSS IMG's source limit
DEFAULT_PROCESS_TIMEOUT = 30.0          # seconds of processing per request
DEFAULT_SOCKET_TIMEOUT = 30.0           # idle seconds before a connection is dropped
DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_CACHE_ENTRIES = 8
MAX_XML_BODY = 64 * 1024                # PutStyle/PutBucket bodies
IN_MEMORY_LIMIT = 64 * 1024 * 1024      # raw GETs above this are streamed from disk
STYLE_DIR = ".oss-styles"
TMP_PREFIX = ".oss-tmp-"                # in-flight PutObject files; never listed or served
STYLE_FILE_FORMAT = "oss-img-styles/1"
MAX_STYLES = 50                         # per bucket (OSS documentation)
OWNER_ID = "oss-img"

READ_OPERATIONS = frozenset({"GetObject", "HeadObject", "GetObjectMeta", "ListObjects",
                             "ListObjectsV2", "HeadBucket"})
# Query names that are sub-resources OSS knows but this server does not implement; a
# request that carries one gets 501 instead of being silently served as something else.
_BUCKET_SUBRESOURCES_OK = frozenset({"style", "styleName", "security-token",
                                     "continuation-token", "acl"})
_OBJECT_SUBRESOURCES_OK = frozenset({
    "x-oss-process", "security-token", "objectMeta", "x-oss-traffic-limit", "acl",
    "response-content-type", "response-content-language", "response-expires",
    "response-cache-control", "response-content-disposition", "response-content-encoding",
})
_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
_SECRET_QUERY_RE = re.compile(
    r"(?i)((?:^|[?&\s'\"])(?:Signature|x-oss-signature|security-token|x-oss-security-token"
    r"|OSSAccessKeyId|x-oss-credential)=)[^&\s'\"]*")

# Content-Type by extension: our codec's table first (webp, heic, avif ...), then the
# standard library's built-in table only (not /etc/mime.types: same answer on every host).
_MIME = mimetypes.MimeTypes(filenames=())
_IMAGE_TYPES = {f".{ext}": ctype for ext, ctype in codec.CONTENT_TYPES.items()}
_IMAGE_TYPES.update({".jpeg": "image/jpeg", ".tif": "image/tiff", ".heif": "image/heic"})


def content_type_for(key: str) -> str:
    """The Content-Type served for ``key``: guessed from its extension (see notes)."""
    ext = os.path.splitext(key)[1].lower()
    if ext in _IMAGE_TYPES:
        return _IMAGE_TYPES[ext]
    guessed, _ = _MIME.guess_type("x" + ext, strict=False) if ext else (None, None)
    return guessed or "application/octet-stream"


def new_request_id() -> str:
    """24 upper-case hex digits, like OSS's ``x-oss-request-id``."""
    return secrets.token_hex(12).upper()


def redact(text: str) -> str:
    """``text`` with signature, token and key-id query values replaced by ``***``."""
    return _SECRET_QUERY_RE.sub(r"\1***", text)


def http_date(ts: float) -> str:
    return formatdate(int(ts), usegmt=True)


def iso_time(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(ts)))


def quoted_etag(md5_hex: str) -> str:
    return f'"{md5_hex.upper()}"'


def _error(code: str, message: str, status: int | None = None, ec: str | None = None,
           **details: str) -> OssError:
    return OssError(code, message, ec=ec, status=status, details=dict(details))


def _entity_too_large(limit: int) -> OssError:
    return _error("EntityTooLarge", f"Your proposed upload exceeds the maximum allowed size "
                  f"({limit} bytes on this server).", 400, MaxSizeAllowed=str(limit))


def _timeout(seconds: float) -> OssError:
    return _error("RequestTimeout", f"Image processing took longer than this server allows "
                  f"({seconds:g} s).", 400)


# ----------------------------------------------------------------------------- config

@dataclass(frozen=True)
class ServiceConfig:
    """Everything :class:`OssService` needs; the CLI flags map one-to-one onto fields.

    ``acl``: ``private`` (every request signed), ``public-read`` (anonymous GET/HEAD of
    objects and ListObjects; everything else signed) or ``public-read-write`` (no checks).
    ``credentials``: the keys a signed request may use. ``region``: the V4 region the
    server verifies against. ``domain``: ``Host: <bucket>.<domain>`` is virtual-hosted.
    ``separators``: the style separators enabled for every bucket (empty: none).
    ``process_timeout``: seconds of processing per request (None: no limit).
    """

    root: Path
    acl: str = "public-read"
    credentials: tuple[Credentials, ...] = ()
    region: str = DEFAULT_REGION
    domain: str = DEFAULT_DOMAIN
    separators: str = DEFAULT_SEPARATORS
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_source_pixels: int = codec.MAX_SOURCE_PIXELS
    process_timeout: float | None = DEFAULT_PROCESS_TIMEOUT
    max_concurrent_processing: int = max(2, os.cpu_count() or 2)
    cache_entries: int = DEFAULT_CACHE_ENTRIES
    socket_timeout: float = DEFAULT_SOCKET_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    def __post_init__(self) -> None:
        root = Path(os.path.realpath(self.root))
        if not root.is_dir():
            raise OssError("InvalidArgument", f"The root {self.root} is not a directory.",
                           key="root")
        object.__setattr__(self, "root", root)
        if self.acl not in ACLS:
            raise OssError("InvalidArgument", f"Unknown ACL {self.acl!r}; choose one of "
                           + ", ".join(ACLS) + ".", key="acl")
        creds = self.credentials
        if isinstance(creds, Credentials):
            creds = (creds,)
        object.__setattr__(self, "credentials", tuple(creds or ()))
        if self.acl == "private" and not self.credentials:
            raise OssError("MissingArgument", "A private server needs credentials: export "
                           "OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and "
                           "OSS_SESSION_TOKEN for STS).", key="credentials")
        bad = set(self.separators) - set(DEFAULT_SEPARATORS)
        if bad:
            raise OssError("InvalidArgument", f"Separators must be among {DEFAULT_SEPARATORS!r}"
                           f", not {''.join(sorted(bad))!r}.", key="separators")
        if not self.region or not self.region.strip():
            raise OssError("InvalidArgument", "The region must not be empty.", key="region")
        object.__setattr__(self, "domain", self.domain.strip().lower().strip("."))


# ----------------------------------------------------------------------------- request

@dataclass
class Request:
    """One request in OSS terms, independent of HTTP.

    ``key`` is the decoded object key ("" or None for bucket and service calls); ``query``
    holds decoded values (:func:`core.oss.urls.parse_query`); ``headers`` lower-case names.
    ``body`` is read by the service, at most ``max_body_bytes`` (+1 to detect excess);
    ``content_length`` is the declared length (None for a chunked body).
    """

    method: str
    bucket: str | None = None
    key: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: BinaryIO | None = None
    content_length: int | None = 0
    host: str = ""

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.headers = {k.lower(): str(v) for k, v in self.headers.items()}


@dataclass
class Response:
    """``body`` bytes, or ``stream`` (an open file) of ``length`` bytes from its position."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: BinaryIO | None = None
    length: int | None = None

    @property
    def content_length(self) -> int:
        return self.length if self.stream is not None else len(self.body)


# ----------------------------------------------------------------------------- storage

@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    mtime: float
    etag: str          # quoted upper-case MD5 hex


class _Md5Cache:
    """MD5 by file identity (device, inode, mtime, ctime, size), for listings only.

    GET and HEAD always hash the bytes they serve; a listing of a big folder would
    otherwise read every file on every call. PutObject primes the cache from the
    temporary file's own ``fstat`` before the rename, so an entry can never describe
    someone else's bytes.
    """

    def __init__(self, capacity: int = 8192) -> None:
        self._data: OrderedDict[tuple, str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    @staticmethod
    def identity(st: os.stat_result) -> tuple:
        return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)

    def get(self, st: os.stat_result) -> str | None:
        with self._lock:
            return self._data.get(self.identity(st))

    def put(self, st: os.stat_result, md5_hex: str) -> None:
        with self._lock:
            self._data[self.identity(st)] = md5_hex
            self._data.move_to_end(self.identity(st))
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)


def _invalid_object_name(key: str, why: str) -> OssError:
    return _error("InvalidObjectName", f"The object key {key!r} {why}.", 400)


def _check_key_shape(key: str, *, for_write: bool) -> None:
    """Keys the local store can hold: 1-1023 UTF-8 bytes, no empty/./.. segments, no
    backslash or NUL, no reserved temporary names. Reads of other keys are NoSuchKey;
    writes are InvalidObjectName (so a client learns why)."""
    problem = None
    try:
        size = len(key.encode("utf-8")) if key else 0
    except UnicodeEncodeError:
        size, problem = 0, "is not valid UTF-8"
    if problem is None:
        if not 1 <= size <= 1023:
            problem = "must be 1-1023 bytes"
        elif key.startswith("/") or "\\" in key or "\x00" in key:
            problem = "must not start with '/' or contain a backslash or NUL"
        elif any(p in ("", ".", "..") for p in key.split("/")):
            problem = ("has an empty, '.' or '..' segment, which the local store cannot "
                       "hold")
        elif any(p.startswith(TMP_PREFIX) for p in key.split("/")):
            problem = f"uses the reserved prefix {TMP_PREFIX}"
    if problem:
        raise _invalid_object_name(key, problem) if for_write else no_such_key(key)


class ObjectStore:
    """Buckets as folders under ``root``, objects as files; writes are atomic."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._md5 = _Md5Cache()
        # Serialises creating a parent folder + its temporary file against pruning empty
        # folders after a delete, so a PUT never loses its folder to a concurrent DELETE.
        self._tree_lock = threading.Lock()

    # -- buckets -----------------------------------------------------------------------
    def bucket_dir(self, bucket: str) -> Path:
        """The folder of an existing bucket, or NoSuchBucket."""
        validate_bucket(bucket)
        path = self.root / bucket
        if not path.is_dir():
            raise _error("NoSuchBucket", "The specified bucket does not exist.", 404,
                         BucketName=bucket)
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
            raise _error("BucketAlreadyExists", "The requested bucket name is not available "
                         "(a file of that name is in the root).", 409) from None

    def delete_bucket(self, bucket: str) -> None:
        path = self.bucket_dir(bucket)
        if path.is_symlink():
            raise _error("BucketNotEmpty", "This bucket is a linked folder; remove the link "
                         "by hand.", 409, BucketName=bucket)
        with self._tree_lock:
            for dirpath, dirnames, filenames in os.walk(path):
                if filenames or any(os.path.islink(os.path.join(dirpath, d))
                                    for d in dirnames):
                    raise _error("BucketNotEmpty", "The bucket you tried to delete is not "
                                 "empty.", 409, BucketName=bucket)
            for dirpath, _, _ in sorted(os.walk(path), key=lambda t: -len(t[0])):
                os.rmdir(dirpath)

    # -- paths -------------------------------------------------------------------------
    def paths(self, bucket: str, key: str, *, for_write: bool = False) -> tuple[Path, Path]:
        """(literal path, resolved path) of ``key``; both checked to stay in the bucket.

        Reads use the resolved path; writes and deletes the literal one, so deleting a
        key that is a symlink removes the link, not its target.
        """
        _check_key_shape(key, for_write=for_write)
        base = self.bucket_dir(bucket)
        try:
            resolved = safe_join(base, key)
        except OssError:
            if for_write:
                raise _invalid_object_name(key, "leads outside its bucket") from None
            raise
        return base.joinpath(*key.split("/")), resolved

    def exists(self, bucket: str, key: str) -> bool:
        try:
            _, resolved = self.paths(bucket, key)
        except OssError:
            return False
        return resolved.is_file()

    # -- reading -----------------------------------------------------------------------
    def open(self, bucket: str, key: str) -> tuple[BinaryIO, os.stat_result]:
        """An open file and its ``fstat`` (one consistent version, even if replaced)."""
        _, resolved = self.paths(bucket, key)
        try:
            f = open(resolved, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise no_such_key(key) from None
        except PermissionError:
            raise _error("AccessDenied", "The server cannot read this object.", 403) from None
        st = os.fstat(f.fileno())
        if not _is_regular(st):
            f.close()
            raise no_such_key(key)
        return f, st

    def read(self, bucket: str, key: str, limit: int | None = None) -> tuple[bytes, os.stat_result]:
        f, st = self.open(bucket, key)
        with f:
            if limit is not None and st.st_size > limit:
                raise OssError("ImageTooLarge", f"The object {key} is larger than "
                               f"{limit // (1024 * 1024)} MB.", ec="0040-00000009")
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

    def info(self, key: str, path: str) -> ObjectInfo | None:
        """Size, time and ETag of a listed object (None if it vanished meanwhile).

        ``path`` comes from :meth:`listing`, which has already checked it stays inside
        the bucket; re-resolving every key would dominate the cost of a listing.
        """
        try:
            f = open(path, "rb")
        except OSError:
            return None
        with f:
            st = os.fstat(f.fileno())
            if not _is_regular(st):
                return None
            return ObjectInfo(key, st.st_size, st.st_mtime, quoted_etag(self.md5_of(f, st)))

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key under ``prefix``, in OSS order (UTF-8 byte order)."""
        return [key for key, _ in self.listing(bucket, prefix)]

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
                    key = rel + name
                    try:
                        if entry.is_symlink():
                            # Listed only when it stays inside the bucket; linked folders
                            # are not descended into (no cycles).
                            target = os.path.realpath(entry.path)
                            if (target.startswith(base_real + os.sep)
                                    and os.path.isfile(target) and key.startswith(prefix)):
                                out.append((key, target))
                        elif entry.is_dir(follow_symlinks=False):
                            sub = key + "/"
                            if prefix.startswith(sub) or sub.startswith(prefix):
                                walk(entry.path, sub)
                        elif entry.is_file(follow_symlinks=False) and key.startswith(prefix):
                            out.append((key, entry.path))
                    except OSError:
                        continue

        walk(str(base), "")
        out.sort()  # code-point order of str == byte order of UTF-8
        return out

    # -- writing -----------------------------------------------------------------------
    def write(self, bucket: str, key: str, body: BinaryIO, *, limit: int,
              content_md5: str | None = None, content_sha256: str | None = None,
              forbid_overwrite: bool = False) -> ObjectInfo:
        """Stream ``body`` into a temporary file next to the object, fsync, rename.

        Readers see the old or the new version, never a mix. The declared Content-MD5 (and
        a non-UNSIGNED ``x-oss-content-sha256``) are checked before the rename.
        """
        literal, _ = self.paths(bucket, key, for_write=True)
        expected_md5 = _decode_content_md5(content_md5) if content_md5 else None
        folder = literal.parent
        with self._tree_lock:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                fd, tmp = open_temp(folder, prefix=TMP_PREFIX)  # 0666 & ~umask
            except (FileExistsError, NotADirectoryError):
                raise _invalid_object_name(key, "needs a folder where an object of the "
                                           "same name exists (the local store keeps keys "
                                           "as files)") from None
        try:
            md5, sha = hashlib.md5(), hashlib.sha256() if content_sha256 else None
            size = 0
            with os.fdopen(fd, "wb") as f:
                keep_mode(f.fileno(), literal)  # an overwritten object keeps its mode
                while True:
                    chunk = body.read(1 << 16) if body is not None else b""
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise _entity_too_large(limit)
                    md5.update(chunk)
                    if sha is not None:
                        sha.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
                st = os.fstat(f.fileno())
            if expected_md5 is not None and expected_md5 != md5.digest():
                raise _error("InvalidDigest", "The Content-MD5 you specified did not match "
                             "what was received.", 400)
            if sha is not None and sha.hexdigest() != content_sha256.lower():
                raise _error("InvalidDigest", "The x-oss-content-sha256 you specified did "
                             "not match what was received.", 400)
            try:
                if forbid_overwrite:
                    os.link(tmp, literal)  # fails atomically if the key exists
                    os.unlink(tmp)
                else:
                    os.replace(tmp, literal)
            except FileExistsError:
                raise _error("FileAlreadyExists", "The object you specified already "
                             "exists and can not be overwritten.", 409) from None
            except IsADirectoryError:
                raise _invalid_object_name(key, "names a folder of other objects (the "
                                           "local store keeps keys as files)") from None
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        self._md5.put(st, md5.hexdigest())
        return ObjectInfo(key, size, st.st_mtime, quoted_etag(md5.hexdigest()))

    def delete(self, bucket: str, key: str) -> None:
        """Remove ``key`` (absent keys are fine, as in OSS) and prune emptied folders."""
        try:
            literal, _ = self.paths(bucket, key)
        except OssError as e:
            if e.code == "NoSuchKey":
                return
            raise
        base = self.bucket_dir(bucket)
        with self._tree_lock:
            try:
                if literal.is_symlink() or literal.is_file():
                    literal.unlink()
                else:
                    return
            except FileNotFoundError:
                return
            folder = literal.parent
            while folder != base and base in folder.parents:
                try:
                    folder.rmdir()
                except OSError:
                    break
                folder = folder.parent


def _is_regular(st: os.stat_result) -> bool:
    import stat as _stat

    return _stat.S_ISREG(st.st_mode)


def _decode_content_md5(value: str) -> bytes:
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise _error("InvalidDigest", "The Content-MD5 you specified is not valid.", 400)
    return digest


@dataclass(frozen=True)
class StyleEntry:
    name: str
    content: str
    category: str
    create_time: str
    last_modify_time: str


class StyleStore:
    """Styles per bucket in ``ROOT/.oss-styles/<bucket>.json`` (written atomically).

    The file is ``{"format": "oss-img-styles/1", "styles": {name: {"Content",
    "Category", "CreateTime", "LastModifyTime"}}}``. A plain ``{name: "image/..."}``
    mapping (the CLI's ``--styles`` file, an exported viewer library) is read too, so
    such a file can be dropped in by hand; it is rewritten in the full shape on the next
    change. A file that cannot be read is never overwritten.
    """

    def __init__(self, root: Path) -> None:
        self.folder = root / STYLE_DIR
        self._lock = threading.RLock()
        self._cache: dict[str, tuple[tuple, dict[str, StyleEntry]]] = {}

    def _path(self, bucket: str) -> Path:
        return self.folder / f"{validate_bucket(bucket)}.json"

    def _load(self, bucket: str) -> dict[str, StyleEntry]:
        path = self._path(bucket)
        with self._lock:
            try:
                st = path.stat()
            except FileNotFoundError:
                self._cache.pop(bucket, None)
                return {}
            ident = (st.st_ino, st.st_mtime_ns, st.st_size)
            hit = self._cache.get(bucket)
            if hit is not None and hit[0] == ident:
                return hit[1]
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                styles = self._decode(data, http_date(st.st_mtime))
            except (OSError, ValueError, TypeError, AttributeError, KeyError) as e:
                log.error("style file %s is unreadable: %s", path, e)
                raise _error("InternalError", f"The style file of bucket {bucket} is "
                             "unreadable; fix or remove it.", 500) from None
            self._cache[bucket] = (ident, styles)
            return styles

    @staticmethod
    def _decode(data: object, fallback_time: str) -> dict[str, StyleEntry]:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") == STYLE_FILE_FORMAT:
            raw = data.get("styles", {})
            if not isinstance(raw, dict):
                raise ValueError("styles is not an object")
            return {name: StyleEntry(name, str(v["Content"]), str(v.get("Category", "image")),
                                     str(v.get("CreateTime", fallback_time)),
                                     str(v.get("LastModifyTime", fallback_time)))
                    for name, v in raw.items()}
        return {name: StyleEntry(name, str(content), "image", fallback_time, fallback_time)
                for name, content in data.items() if isinstance(content, str)}

    def _save(self, bucket: str, styles: dict[str, StyleEntry]) -> None:
        doc = {"format": STYLE_FILE_FORMAT, "styles": {
            s.name: {"Content": s.content, "Category": s.category,
                     "CreateTime": s.create_time, "LastModifyTime": s.last_modify_time}
            for s in sorted(styles.values(), key=lambda s: s.name)}}
        atomic_write(self._path(bucket), json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        self._cache.pop(bucket, None)

    def get(self, bucket: str, name: str) -> StyleEntry | None:
        return self._load(bucket).get(name)

    def content(self, bucket: str, name: str) -> str | None:
        entry = self.get(bucket, name)
        return entry.content if entry else None

    def names(self, bucket: str) -> frozenset[str]:
        return frozenset(self._load(bucket))

    def list(self, bucket: str) -> list[StyleEntry]:
        return [v for _, v in sorted(self._load(bucket).items())]

    def put(self, bucket: str, name: str, content: str, category: str, now: float) -> None:
        with self._lock:
            styles = dict(self._load(bucket))
            old = styles.get(name)
            if old is None and len(styles) >= MAX_STYLES:
                raise _error("InvalidArgument", f"A bucket holds at most {MAX_STYLES} "
                             "styles.", 400)
            stamp = http_date(now)
            styles[name] = StyleEntry(name, content, category,
                                      old.create_time if old else stamp, stamp)
            self._save(bucket, styles)

    def delete(self, bucket: str, name: str) -> bool:
        with self._lock:
            styles = dict(self._load(bucket))
            if styles.pop(name, None) is None:
                return False
            self._save(bucket, styles)
            return True

    def drop_bucket(self, bucket: str) -> None:
        with self._lock:
            try:
                self._path(bucket).unlink()
            except FileNotFoundError:
                pass
            self._cache.pop(bucket, None)


# ----------------------------------------------------------------------------- XML

def _xml(root: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{body}</{root}>\n'
            ).encode("utf-8")


def _el(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _read_xml(req: Request, what: str) -> ET.Element | None:
    """Parse a small XML request body (None when empty)."""
    data = _read_small(req, MAX_XML_BODY)
    if not data.strip():
        return None
    try:
        return ET.fromstring(data)
    except ET.ParseError:
        raise _error("MalformedXML", f"The XML you provided for {what} was not well-formed.",
                     400) from None


def _read_small(req: Request, limit: int) -> bytes:
    if req.content_length is not None and req.content_length > limit:
        raise _entity_too_large(limit)
    if req.body is None:
        return b""
    data = req.body.read(limit + 1)
    if len(data) > limit:
        raise _entity_too_large(limit)
    return data


# ----------------------------------------------------------------------------- service

@dataclass(frozen=True)
class _Operation:
    name: str
    run: Callable[[Request], Response]


class OssService:
    """OSS semantics over an :class:`ObjectStore`; no HTTP here.

    ``clock`` (Unix seconds) is what signatures and expiry are checked against;
    ``monotonic`` drives the processing deadline. Tests pass fakes for both.
    """

    def __init__(self, config: ServiceConfig, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.store = ObjectStore(config.root)
        self.styles = StyleStore(config.root)
        self._clock = clock
        self._monotonic = monotonic
        self._lookup = static_lookup(*config.credentials)
        # Cascades that read other objects (image watermarks) run uncached: their result
        # depends on objects that a PutObject may change at any time.
        self._engine = Engine(cache_entries=config.cache_entries)
        self._engine_uncached = Engine(cache_entries=0)
        self._processing = threading.BoundedSemaphore(max(1, config.max_concurrent_processing))

    # -- entry point -------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        """Answer ``req``; never raises. Errors become OSS error responses."""
        request_id = new_request_id()
        try:
            verified = signing.verify_request(
                req.method, req.bucket, req.key or None, req.query, req.headers,
                self._lookup, now=self._clock(), region=self.config.region)
            op = self._route(req)
            self._authorize(op.name, verified)
            resp = op.run(req)
        except Cancelled:
            resp = self.error_response(_timeout(self.config.process_timeout or 0), req,
                                       request_id)
        except OssError as e:
            resp = self.error_response(e, req, request_id)
        except Exception:  # the boundary: one bad request never takes the server down
            log.exception("internal error in request %s (%s %s)", request_id, req.method,
                          redact(f"/{req.bucket or ''}/{req.key or ''}"))
            resp = self.error_response(
                OssError("InternalError", "We encountered an internal error. Please try "
                         "again."), req, request_id)
        resp.headers["x-oss-request-id"] = request_id
        return resp

    def error_response(self, error: OssError, req: Request, request_id: str) -> Response:
        status = error.status or 400
        if status == 499:
            status = 400
        host_id = req.host or (f"{req.bucket}.{self.config.domain}" if req.bucket
                               else self.config.domain)
        body = error.to_xml(request_id, host_id).encode("utf-8")
        headers = {"Content-Type": "application/xml", "x-oss-request-id": request_id}
        if error.ec:
            headers["x-oss-ec"] = error.ec
        if req.method == "HEAD":
            # No body on HEAD: both SDKs decode the error from this header instead.
            headers["x-oss-err"] = base64.b64encode(body).decode("ascii")
        return Response(status, headers, body)

    # -- routing and access ------------------------------------------------------------
    def _route(self, req: Request) -> _Operation:
        m, q = req.method, req.query
        if not req.bucket:
            if m == "GET":
                return _Operation("ListBuckets", self._list_buckets)
            raise self._not_allowed(m, "the service")
        validate_bucket(req.bucket)
        if not req.key:
            if "style" in q:
                has_name = "styleName" in q
                if m == "PUT" and has_name:
                    return _Operation("PutStyle", self._put_style)
                if m == "GET":
                    return _Operation("GetStyle" if has_name else "ListStyle",
                                      self._get_style if has_name else self._list_style)
                if m == "DELETE" and has_name:
                    return _Operation("DeleteStyle", self._delete_style)
                if m in ("PUT", "DELETE"):
                    raise _error("MissingArgument", "Missing styleName.", 400)
                raise self._not_allowed(m, "a style")
            self._refuse_subresources(q, _BUCKET_SUBRESOURCES_OK)
            if "acl" in q:
                if m == "GET":
                    return _Operation("GetBucketAcl", self._get_acl)
                raise _error("NotImplemented", "Changing the ACL is not implemented: the "
                             "server's --acl applies to every bucket.", 501)
            table = {"GET": ("ListObjects", self._list_objects),
                     "HEAD": ("HeadBucket", self._head_bucket),
                     "PUT": ("PutBucket", self._put_bucket),
                     "DELETE": ("DeleteBucket", self._delete_bucket)}
            if m == "GET" and q.get("list-type") == "2":
                return _Operation("ListObjectsV2", self._list_objects)
            if m in table:
                return _Operation(*table[m])
            raise self._not_allowed(m, "a bucket")
        self._refuse_subresources(q, _OBJECT_SUBRESOURCES_OK)
        if "acl" in q:
            if m == "GET":
                return _Operation("GetObjectAcl", self._get_acl)
            raise _error("NotImplemented", "Changing the ACL is not implemented: the "
                         "server's --acl applies to every object.", 501)
        if m == "GET":
            return _Operation("GetObject", self._get_object)
        if m == "HEAD":
            return _Operation("GetObjectMeta" if "objectMeta" in q else "HeadObject",
                              self._get_object)
        if m == "PUT":
            if "x-oss-copy-source" in req.headers:
                raise _error("NotImplemented", "CopyObject is not implemented by this "
                             "server.", 501)
            return _Operation("PutObject", self._put_object)
        if m == "DELETE":
            return _Operation("DeleteObject", self._delete_object)
        if m == "POST":
            raise _error("NotImplemented", "POST object operations (append, multipart, "
                         "sys/saveas) are not implemented by this server.", 501)
        raise self._not_allowed(m, "an object")

    @staticmethod
    def _refuse_subresources(query: dict[str, str], allowed: frozenset[str]) -> None:
        unknown = sorted(k for k in query if k in signing.V1_SUBRESOURCES and k not in allowed)
        if unknown:
            raise _error("NotImplemented", f"The sub-resource {unknown[0]} is not "
                         "implemented by this server.", 501)

    @staticmethod
    def _not_allowed(method: str, what: str) -> OssError:
        return _error("MethodNotAllowed", f"The specified method {method} is not allowed "
                      f"against {what}.", 405, Method=method)

    def _authorize(self, operation: str, verified: signing.Verified | None) -> None:
        if verified is not None:
            return
        acl = self.config.acl
        if acl == "public-read-write":
            return
        if acl == "public-read" and operation in READ_OPERATIONS:
            return
        raise _error("AccessDenied", "You have no right to access this object because of "
                     "bucket acl.", 403)

    # -- objects -----------------------------------------------------------------------
    def _get_object(self, req: Request) -> Response:
        head = req.method == "HEAD"
        bucket, key = req.bucket, req.key
        process = req.query.get("x-oss-process")
        if "objectMeta" in req.query:
            process = None
        if not self.store.exists(bucket, key):
            split = self._split_separator(bucket, key)
            if split is None:
                self.store.paths(bucket, key)   # NoSuchBucket / NoSuchKey as appropriate
                raise no_such_key(key)
            if process:
                raise _error("InvalidArgument", "A style separator URL cannot also carry "
                             "x-oss-process.", 400)
            key, style = split
            process = f"style/{style}"
        if process:
            return self._processed(req, bucket, key, process, head)
        return self._raw(req, bucket, key, head)

    def _split_separator(self, bucket: str, key: str) -> tuple[str, str] | None:
        """(object key, style) for ``<key><sep><style>``, or None.

        Applies only when ``key`` itself is not an object. Candidates are tried from the
        last separator leftwards (the longest object key first); the first whose suffix
        names a style of the bucket and whose prefix is an object wins.
        """
        seps = self.config.separators
        if not seps or not key:
            return None
        try:
            names = self.styles.names(bucket)
        except OssError:
            return None
        if not names:
            return None
        lowest = max(0, len(key) - 64)   # a style name is at most 63 characters
        for i in range(len(key) - 1, lowest - 1, -1):
            if key[i] in seps:
                obj, style = key[:i], key[i + 1:]
                if obj and style in names and self.store.exists(bucket, obj):
                    return obj, style
        return None

    def _raw(self, req: Request, bucket: str, key: str, head: bool) -> Response:
        f, st = self.store.open(bucket, key)
        keep_open = False
        try:
            etag = quoted_etag(self.store.md5_of(f, st))
            headers = self._object_headers(content_type_for(key), etag, st.st_mtime)
            headers["Accept-Ranges"] = "bytes"
            not_modified = self._conditions(req, etag, st.st_mtime)
            if not_modified is not None:
                return not_modified
            self._overrides(req, headers)
            size = st.st_size
            start, length, status = 0, size, 200
            rng = _parse_range(req.headers.get("range"), size)
            if rng is not None:
                start, end = rng
                length, status = end - start + 1, 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            if head:
                headers["Content-Length"] = str(length)
                return Response(status, headers)
            f.seek(start)
            if length <= IN_MEMORY_LIMIT:
                return Response(status, headers, f.read(length))
            keep_open = True
            return Response(status, headers, stream=f, length=length)
        finally:
            if not keep_open:
                f.close()

    def _processed(self, req: Request, bucket: str, key: str, process: str,
                   head: bool) -> Response:
        data, st = self.store.read(bucket, key, limit=codec.MAX_SOURCE_BYTES)
        result = self.process(bucket, data, process)
        etag = quoted_etag(hashlib.md5(result.data).hexdigest())
        headers = self._object_headers(result.content_type, etag, st.st_mtime)
        not_modified = self._conditions(req, etag, st.st_mtime)
        if not_modified is not None:
            return not_modified
        self._overrides(req, headers)
        if head:
            headers["Content-Length"] = str(len(result.data))
            return Response(200, headers)
        return Response(200, headers, result.data)

    def process(self, bucket: str, data: bytes, process: str | Cascade) -> Result:
        """Run ``process`` on ``data`` with the bucket's styles and objects, within the
        server's pixel, concurrency and time limits."""
        cascade = parse(process) if isinstance(process, str) else process
        cascade = resolve(cascade, lambda name: self.styles.content(bucket, name))
        header = codec.read_header(data)
        pixels = header.width * header.height * max(1, header.frames)
        if pixels > self.config.max_source_pixels:
            raise OssError("ImageTooLarge", f"The source image has {pixels} pixels; this "
                           f"server allows {self.config.max_source_pixels}.",
                           ec="0040-00000012")
        uses_objects = any(op.uses_objects() for op in cascade.steps)
        engine = self._engine_uncached if uses_objects else self._engine
        timeout = self.config.process_timeout
        deadline = None if timeout is None else self._monotonic() + timeout

        def cancelled() -> bool:
            return deadline is not None and self._monotonic() > deadline

        if not self._processing.acquire(timeout=timeout):
            raise _timeout(timeout or 0)
        try:
            if cancelled():
                raise Cancelled()
            return engine.process(data, cascade, resolver=_BucketResolver(self.store, bucket),
                                  cancelled=cancelled)
        finally:
            self._processing.release()

    @staticmethod
    def _object_headers(content_type: str, etag: str, mtime: float) -> dict[str, str]:
        return {"Content-Type": content_type, "ETag": etag, "Last-Modified": http_date(mtime),
                "x-oss-object-type": "Normal", "x-oss-storage-class": "Standard"}

    @staticmethod
    def _conditions(req: Request, etag: str, mtime: float) -> Response | None:
        """Evaluate If-Match / If-Unmodified-Since (412) and If-None-Match /
        If-Modified-Since (304)."""
        h = req.headers
        bare = etag.strip('"')

        def matches(value: str) -> bool:
            tags = [t.strip().removeprefix("W/").strip('"') for t in value.split(",")]
            return "*" in tags or bare in tags or bare.lower() in tags

        failed = None
        if "if-match" in h and not matches(h["if-match"]):
            failed = True
        elif "if-unmodified-since" in h:
            since = _parse_http_date(h["if-unmodified-since"])
            if since is not None and int(mtime) > since:
                failed = True
        if failed:
            raise _error("PreconditionFailed", "At least one of the pre-conditions you "
                         "specified did not hold.", 412)
        not_modified = False
        if "if-none-match" in h:
            not_modified = matches(h["if-none-match"])
        elif "if-modified-since" in h:
            since = _parse_http_date(h["if-modified-since"])
            not_modified = since is not None and int(mtime) <= since
        if not_modified:
            return Response(304, {"ETag": etag, "Last-Modified": http_date(mtime)})
        return None

    @staticmethod
    def _overrides(req: Request, headers: dict[str, str]) -> None:
        for param, header in _RESPONSE_OVERRIDES.items():
            value = req.query.get(param)
            if value is None:
                continue
            if any(ord(c) < 32 or ord(c) > 255 or ord(c) == 127 for c in value):
                raise _error("InvalidArgument", f"The value of {param} contains characters "
                             "not allowed in a header.", 400)
            headers[header] = value

    def _put_object(self, req: Request) -> Response:
        limit = self.config.max_body_bytes
        if req.content_length is not None and req.content_length > limit:
            raise _entity_too_large(limit)
        sha = req.headers.get("x-oss-content-sha256")
        info = self.store.write(
            req.bucket, req.key, req.body, limit=limit,
            content_md5=req.headers.get("content-md5"),
            content_sha256=sha if sha and sha != signing.UNSIGNED_PAYLOAD else None,
            forbid_overwrite=req.headers.get("x-oss-forbid-overwrite", "").lower() == "true")
        md5_b64 = base64.b64encode(bytes.fromhex(info.etag.strip('"'))).decode("ascii")
        return Response(200, {"ETag": info.etag, "Content-MD5": md5_b64})

    def _delete_object(self, req: Request) -> Response:
        self.store.delete(req.bucket, req.key)
        return Response(204)

    # -- listing -----------------------------------------------------------------------
    def _list_objects(self, req: Request) -> Response:
        q = req.query
        v2 = q.get("list-type") == "2"
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        max_keys = _max_keys(q.get("max-keys"))
        url = q.get("encoding-type", "") == "url"
        if v2:
            token = q.get("continuation-token")
            marker = _decode_token(token) if token else q.get("start-after", "")
        else:
            marker = q.get("marker", "")
        listing = self.store.listing(req.bucket, prefix)
        paths = dict(listing)
        page = _page([k for k, _ in listing], prefix, marker, delimiter, max_keys)

        enc = (lambda s: quote(s, safe="/")) if url else (lambda s: s)
        parts = [_el("Name", req.bucket), _el("Prefix", enc(prefix))]
        if v2:
            if "start-after" in q:
                parts.append(_el("StartAfter", enc(q["start-after"])))
            if "continuation-token" in q:
                parts.append(_el("ContinuationToken", q["continuation-token"]))
        else:
            parts.append(_el("Marker", enc(marker)))
        parts += [_el("MaxKeys", max_keys), _el("Delimiter", enc(delimiter)),
                  _el("IsTruncated", "true" if page.truncated else "false")]
        if url:
            parts.append(_el("EncodingType", "url"))
        if page.truncated:
            if v2:
                parts.append(_el("NextContinuationToken", _encode_token(page.next_marker)))
            else:
                parts.append(_el("NextMarker", enc(page.next_marker)))
        if v2:
            parts.append(_el("KeyCount", len(page.contents) + len(page.prefixes)))
        owner = (f"<Owner>{_el('ID', OWNER_ID)}{_el('DisplayName', OWNER_ID)}</Owner>"
                 if not v2 or q.get("fetch-owner") == "true" else "")
        for key in page.contents:
            info = self.store.info(key, paths[key])
            if info is None:
                continue
            parts.append("<Contents>" + _el("Key", enc(key))
                         + _el("LastModified", iso_time(info.mtime)) + _el("ETag", info.etag)
                         + _el("Type", "Normal") + _el("Size", info.size)
                         + _el("StorageClass", "Standard") + owner + "</Contents>")
        for p in page.prefixes:
            parts.append("<CommonPrefixes>" + _el("Prefix", enc(p)) + "</CommonPrefixes>")
        return Response(200, {"Content-Type": "application/xml"},
                        _xml("ListBucketResult", "".join(parts)))

    def _list_buckets(self, req: Request) -> Response:
        q = req.query
        prefix, marker = q.get("prefix", ""), q.get("marker", "")
        max_keys = _max_keys(q.get("max-keys"))
        buckets = [(n, t) for n, t in self.store.buckets() if n.startswith(prefix) and n > marker]
        truncated = len(buckets) > max_keys
        buckets = buckets[:max_keys]
        region = self.config.region
        parts = [f"<Owner>{_el('ID', OWNER_ID)}{_el('DisplayName', OWNER_ID)}</Owner>"]
        if prefix:
            parts.append(_el("Prefix", prefix))
        if marker:
            parts.append(_el("Marker", marker))
        parts.append(_el("IsTruncated", "true" if truncated else "false"))
        if truncated:
            parts.append(_el("NextMarker", buckets[-1][0]))
        parts.append("<Buckets>")
        host = req.host or self.config.domain
        for name, mtime in buckets:
            parts.append("<Bucket>" + _el("CreationDate", iso_time(mtime))
                         + _el("ExtranetEndpoint", host) + _el("IntranetEndpoint", host)
                         + _el("Location", f"oss-{region}") + _el("Name", name)
                         + _el("Region", region) + _el("StorageClass", "Standard")
                         + "</Bucket>")
        parts.append("</Buckets>")
        return Response(200, {"Content-Type": "application/xml"},
                        _xml("ListAllMyBucketsResult", "".join(parts)))

    # -- buckets -----------------------------------------------------------------------
    def _get_acl(self, req: Request) -> Response:
        """GetBucketAcl (the server's ACL) and GetObjectAcl (``default``: as the bucket)."""
        if req.key:
            _, resolved = self.store.paths(req.bucket, req.key)
            if not resolved.is_file():
                raise no_such_key(req.key)
            grant = "default"
        else:
            self.store.bucket_dir(req.bucket)
            grant = self.config.acl
        owner = f"<Owner>{_el('ID', OWNER_ID)}{_el('DisplayName', OWNER_ID)}</Owner>"
        body = owner + f"<AccessControlList>{_el('Grant', grant)}</AccessControlList>"
        return Response(200, {"Content-Type": "application/xml"},
                        _xml("AccessControlPolicy", body))

    def _head_bucket(self, req: Request) -> Response:
        self.store.bucket_dir(req.bucket)
        return Response(200)

    def _put_bucket(self, req: Request) -> Response:
        _read_xml(req, "CreateBucketConfiguration")
        self.store.create_bucket(req.bucket)
        return Response(200, {"Location": f"/{req.bucket}"})

    def _delete_bucket(self, req: Request) -> Response:
        self.store.delete_bucket(req.bucket)
        self.styles.drop_bucket(req.bucket)
        return Response(204)

    # -- styles ------------------------------------------------------------------------
    def _put_style(self, req: Request) -> Response:
        from ..style_library import validate_content

        self.store.bucket_dir(req.bucket)
        name = validate_style_name(req.query.get("styleName", ""))
        root = _read_xml(req, "PutStyle")
        node = root.find("Content") if root is not None and root.tag == "Style" else None
        if node is None or not (node.text or "").strip():
            raise _error("MissingArgument", "The request body needs <Style><Content>image/..."
                         "</Content></Style>.", 400)
        content = validate_content(node.text)
        category = req.query.get("category") or "image"
        self.styles.put(req.bucket, name, content, category, self._clock())
        return Response(200)

    def _get_style(self, req: Request) -> Response:
        self.store.bucket_dir(req.bucket)
        name = req.query.get("styleName", "")
        entry = self.styles.get(req.bucket, validate_style_name(name))
        if entry is None:
            raise _error("NoSuchStyle", "The specified style does not exist.", 404,
                         StyleName=name)
        return Response(200, {"Content-Type": "application/xml"},
                        _xml("Style", _style_xml(entry)))

    def _list_style(self, req: Request) -> Response:
        self.store.bucket_dir(req.bucket)
        body = "".join(f"<Style>{_style_xml(e)}</Style>" for e in self.styles.list(req.bucket))
        return Response(200, {"Content-Type": "application/xml"}, _xml("StyleList", body))

    def _delete_style(self, req: Request) -> Response:
        self.store.bucket_dir(req.bucket)
        self.styles.delete(req.bucket, validate_style_name(req.query.get("styleName", "")))
        return Response(204)


def _style_xml(e: StyleEntry) -> str:
    return (_el("Name", e.name) + _el("Content", e.content) + _el("Category", e.category)
            + _el("CreateTime", e.create_time) + _el("LastModifyTime", e.last_modify_time))


class _BucketResolver:
    """Watermark images from the same bucket, through the store's path checks."""

    def __init__(self, store: ObjectStore, bucket: str) -> None:
        self.store, self.bucket = store, bucket

    def __call__(self, key: str) -> bytes:
        return self.store.read(self.bucket, key, limit=codec.MAX_SOURCE_BYTES)[0]


@dataclass(frozen=True)
class _Page:
    contents: list[str]
    prefixes: list[str]
    truncated: bool
    next_marker: str


def _page(keys: Sequence[str], prefix: str, marker: str, delimiter: str,
          max_keys: int) -> _Page:
    """One page of a listing: keys and common prefixes after ``marker``, together at most
    ``max_keys``, in order."""
    contents: list[str] = []
    prefixes: list[str] = []
    last = ""
    truncated = False
    for key in keys:
        if key <= marker or not key.startswith(prefix):
            continue
        if delimiter:
            i = key.find(delimiter, len(prefix))
            if i >= 0:
                common = key[:i + len(delimiter)]
                if common <= marker or (prefixes and prefixes[-1] == common):
                    continue
                if len(contents) + len(prefixes) >= max_keys:
                    truncated = True
                    break
                prefixes.append(common)
                last = common
                continue
        if len(contents) + len(prefixes) >= max_keys:
            truncated = True
            break
        contents.append(key)
        last = key
    return _Page(contents, prefixes, truncated, last)


def _max_keys(raw: str | None) -> int:
    if raw is None or raw == "":
        return 100
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise _error("InvalidArgument", f"The value: {raw} of parameter: max-keys is "
                     "invalid.reason:must be 1-1000", 400)
    return int(raw)


def _encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode("ascii")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        raise _error("InvalidArgument", "The continuation-token is not valid.", 400) from None


def _parse_range(value: str | None, size: int) -> tuple[int, int] | None:
    """A single satisfiable ``bytes=`` range as (first, last); None means the whole
    object, as OSS answers an invalid or multi-part range by default."""
    if not value or size == 0:
        return None
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value)
    if not m or (m[1] == "" and m[2] == ""):
        return None
    if m[1] == "":
        n = int(m[2])
        if n == 0:
            return None
        return max(0, size - n), size - 1
    first = int(m[1])
    last = int(m[2]) if m[2] else size - 1
    if first >= size or last < first:
        return None
    return first, min(last, size - 1)


def _parse_http_date(value: str) -> int | None:
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# ----------------------------------------------------------------------------- HTTP

class _BodyReader:
    """At most ``length`` bytes of the request body."""

    def __init__(self, rfile: BinaryIO, length: int) -> None:
        self._rfile, self.remaining = rfile, length

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0

    def read(self, n: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        n = self.remaining if n < 0 else min(n, self.remaining)
        try:
            data = self._rfile.read(n)
        except (TimeoutError, socket.timeout):
            raise _error("RequestTimeout", "Your socket connection to the server was not "
                         "read from or written to within the timeout period.", 400) from None
        if not data:
            raise _error("IncompleteBody", "The request body is shorter than its "
                         "Content-Length.", 400)
        self.remaining -= len(data)
        return data


class _ChunkedReader:
    """A ``Transfer-Encoding: chunked`` request body, decoded."""

    def __init__(self, rfile: BinaryIO) -> None:
        self._rfile, self._left, self._done = rfile, 0, False

    @property
    def exhausted(self) -> bool:
        return self._done

    def _line(self) -> bytes:
        try:
            line = self._rfile.readline(1026)
        except (TimeoutError, socket.timeout):
            raise _error("RequestTimeout", "Timed out reading the request body.", 400) from None
        if not line.endswith(b"\n"):
            raise _error("IncompleteBody", "The chunked request body is malformed.", 400)
        return line

    def read(self, n: int = -1) -> bytes:
        out = bytearray()
        while not self._done and (n < 0 or len(out) < n):
            if self._left == 0:
                try:
                    size = int(self._line().split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise _error("IncompleteBody", "The chunked request body is malformed.",
                                 400) from None
                if size == 0:
                    while self._line() not in (b"\r\n", b"\n"):
                        pass
                    self._done = True
                    break
                self._left = size
            want = self._left if n < 0 else min(self._left, n - len(out))
            data = self._rfile.read(want)
            if not data:
                raise _error("IncompleteBody", "The chunked request body ended early.", 400)
            out += data
            self._left -= len(data)
            if self._left == 0:
                self._line()
        return bytes(out)


def split_target(host: str, raw_path: str, domain: str) -> tuple[str | None, str | None]:
    """(bucket, key) from the Host header and the raw (still encoded) request path.

    ``Host: <bucket>.<domain>[:port]`` is virtual-hosted; anything else (an IP,
    ``localhost``, the domain itself) is path-style, ``/<bucket>/<key>``. The key is
    decoded once (``%2F`` is a ``/`` inside the key, as oss2 sends it); the store then
    refuses ``..``, absolute and escaping paths.
    """
    name = host.strip().lower()
    if name.startswith("["):
        name = name[:name.find("]") + 1]
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    bucket = None
    if domain and name.endswith("." + domain):
        label = name[:-len(domain) - 1]
        if label and "." not in label:
            bucket = label
    path = raw_path.lstrip("/") if bucket is None else raw_path[1:]
    if bucket is None:
        if not path:
            return None, None
        first, slash, rest = path.partition("/")
        bucket, path = _decode(first), rest
        return bucket, (_decode(path) if slash else None)
    return bucket, _decode(path)


def _decode(text: str) -> str:
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise _error("InvalidURI", "The request path is not valid UTF-8 once decoded.",
                     400) from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, the body then waits for
    # the client's delayed ACK (~40 ms on Linux) on every keep-alive response.
    disable_nagle_algorithm = True
    server: "OssHTTPServer"

    def version_string(self) -> str:
        return "oss-img"

    def setup(self) -> None:
        self.timeout = self.server.service.config.socket_timeout
        super().setup()

    # Every method goes through the same path; the service answers 405/501 itself.
    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_PUT = do_DELETE = do_POST = do_OPTIONS = do_PATCH = do_GET

    def _handle(self) -> None:
        started = time.perf_counter()
        service = self.server.service
        reader: _BodyReader | _ChunkedReader | None = None
        host = self.headers.get("Host", "")
        req = Request(self.command, host=host)
        try:
            target = self.path
            if not target.startswith("/"):
                target = urlsplit(target).path or "/"  # absolute-form request target
                target += ("?" + urlsplit(self.path).query) if "?" in self.path else ""
            raw_path, _, raw_query = target.partition("?")
            headers = {k.lower(): v for k, v in self.headers.items()}
            if "chunked" in headers.get("transfer-encoding", "").lower():
                reader, length = _ChunkedReader(self.rfile), None
            else:
                raw_len = headers.get("content-length", "0").strip() or "0"
                if not raw_len.isdigit():
                    raise _error("InvalidArgument", "Content-Length is not a number.", 400)
                length = int(raw_len)
                reader = _BodyReader(self.rfile, length)
            bucket, key = split_target(host, raw_path, service.config.domain)
            req = Request(self.command, bucket, key, parse_query(raw_query), headers,
                          reader, length, host)
            resp = service.handle(req)
        except OssError as e:
            resp = service.error_response(e, req, new_request_id())
        except Exception:
            log.exception("internal error parsing %s", redact(self.path))
            resp = service.error_response(OssError("InternalError", "We encountered an "
                                                   "internal error."), req, new_request_id())
        if reader is None or not reader.exhausted:
            self.close_connection = True  # an unread body would poison the next request
        self._send(resp)
        log.info("%s %s %s %d %.1fms", resp.headers.get("x-oss-request-id", "-"),
                 self.command, redact(self.path), resp.status,
                 (time.perf_counter() - started) * 1000)

    def _send(self, resp: Response) -> None:
        try:
            try:
                self.send_response(resp.status)
                for name, value in resp.headers.items():
                    self.send_header(name, value)
                if resp.status != 304 and "Content-Length" not in resp.headers:
                    self.send_header("Content-Length", str(resp.content_length))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD" and resp.status not in (204, 304):
                    if resp.stream is not None:
                        left = resp.length or 0
                        while left > 0:
                            chunk = resp.stream.read(min(left, 1 << 20))
                            if not chunk:
                                break
                            self.wfile.write(chunk)
                            left -= len(chunk)
                    else:
                        self.wfile.write(resp.body)
            finally:
                if resp.stream is not None:
                    resp.stream.close()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, socket.timeout):
            self.close_connection = True

    # The stdlib's own errors (malformed request line, over-long URI or headers) in OSS
    # XML too, never the default HTML page.
    def send_error(self, code: int, message: str | None = None, explain: str | None = None
                   ) -> None:
        codes = {400: "InvalidRequest", 414: "InvalidURI", 431: "RequestHeaderSectionTooLarge",
                 501: "NotImplemented", 505: "InvalidRequest"}
        err = OssError(codes.get(code, "InvalidRequest"), message or "Bad request.",
                       status=code)
        rid = new_request_id()
        body = err.to_xml(rid, "").encode("utf-8")
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # no HTTP/0.9 here: always a status line
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-oss-request-id", rid)
            self.send_header("Connection", "close")
            self.end_headers()
            if getattr(self, "command", None) != "HEAD" and code >= 200:
                self.wfile.write(body)
        except OSError:
            pass

    def log_request(self, code="-", size="-") -> None:
        pass  # _handle logs each request once, redacted

    def log_message(self, format: str, *args) -> None:
        log.warning("%s %s", self.address_string(), redact(format % args))


class OssHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server around one :class:`OssService`.

    ``start()`` serves in a background thread; ``stop()`` shuts down and closes the
    socket. Connections beyond ``max_connections`` are answered 503 SlowDown at once.
    """

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = True   # stop() joins every connection thread

    def __init__(self, address: tuple[str, int], service: OssService) -> None:
        self.service = service
        self._slots = threading.BoundedSemaphore(max(1, service.config.max_connections))
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        host = self.server_address[0]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            body = OssError("SlowDown", "Too many connections; try again later.",
                            status=503).to_xml(new_request_id(), "").encode("utf-8")
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                                b"application/xml\r\nConnection: close\r\nContent-Length: "
                                + str(len(body)).encode() + b"\r\n\r\n" + body)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)
            self._slots.release()

    def start(self) -> threading.Thread:
        # A short poll interval: stop() returns within ~50 ms instead of 500 ms.
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,),
                                        name="oss-img-serve", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Stop accepting, end open (keep-alive) connections, join their threads."""
        if self._thread is not None:
            self.shutdown()
        with self._connections_lock:
            open_connections = list(self._connections)
        for conn in open_connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> "OssHTTPServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(root: str | os.PathLike, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          acl: str = "public-read",
          credentials: Credentials | Iterable[Credentials] | None = None,
          **options) -> OssHTTPServer:
    """A bound (not yet serving) server for ``root``; call ``start()`` or
    ``serve_forever()``. ``options`` are further :class:`ServiceConfig` fields;
    ``clock``/``monotonic`` go to :class:`OssService`. Port 0 picks a free port."""
    service_kwargs = {k: options.pop(k) for k in ("clock", "monotonic") if k in options}
    if isinstance(credentials, Credentials):
        credentials = (credentials,)
    config = ServiceConfig(Path(root), acl=acl, credentials=tuple(credentials or ()),
                           **options)
    return OssHTTPServer((host, port), OssService(config, **service_kwargs))


# ----------------------------------------------------------------------------- CLI

def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="serve a folder as a local OSS endpoint with x-oss-process",
        description="Each folder under ROOT is a bucket. Credentials for signed requests "
                    "come from OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET and "
                    "OSS_SESSION_TOKEN.")
    p.add_argument("root", metavar="ROOT", help="folder whose sub-folders are buckets")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 9000; 0 = any)")
    p.add_argument("--acl", choices=ACLS, default="public-read",
                   help="who may do what without a signature (default public-read)")
    p.add_argument("--region", default=DEFAULT_REGION,
                   help="region that V4 signatures must name (default cn-hangzhou)")
    p.add_argument("--domain", default=DEFAULT_DOMAIN,
                   help="Host <bucket>.<domain> is virtual-hosted (default localhost)")
    p.add_argument("--separators", default=DEFAULT_SEPARATORS,
                   help="style separators, any of -_/! ('' disables; default all)")
    p.add_argument("--max-body-mb", type=float, default=DEFAULT_MAX_BODY / (1024 * 1024),
                   help="largest PutObject body in MB (default 20)")
    p.add_argument("--max-pixels", type=int, default=codec.MAX_SOURCE_PIXELS,
                   help="largest source image (width x height x frames) to process")
    p.add_argument("--process-timeout", type=float, default=DEFAULT_PROCESS_TIMEOUT,
                   help="seconds of processing per request; 0 = no limit (default 30)")
    p.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2),
                   help="images processed at once (default: CPU count)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not log each request")
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args) -> int:
    import sys

    credentials: tuple[Credentials, ...] = ()
    try:
        credentials = (Credentials.from_env(),)
    except OssError:
        if args.acl == "private":
            raise
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    server = serve(args.root, args.host, args.port, args.acl, credentials,
                   region=args.region, domain=args.domain, separators=args.separators,
                   max_body_bytes=int(args.max_body_mb * 1024 * 1024),
                   max_source_pixels=args.max_pixels,
                   process_timeout=args.process_timeout or None,
                   max_concurrent_processing=args.workers)
    cfg = server.service.config
    buckets = ", ".join(n for n, _ in server.service.store.buckets()) or "(none yet)"
    key = mask(credentials[0].access_key_id) if credentials else "none"
    print(f"oss-img serve: {cfg.root} at {server.url}\n"
          f"  acl {cfg.acl}, region {cfg.region} (V4 signers must use it), key {key}"
          f"{' (STS)' if credentials and credentials[0].is_sts else ''}\n"
          f"  virtual-hosted: http://<bucket>.{cfg.domain}:{server.port}/; "
          f"separators {cfg.separators or 'off'}\n  buckets: {buckets}", file=sys.stderr)
    if not credentials and cfg.acl == "public-read":
        print("  no credentials: only anonymous reads work (export OSS_ACCESS_KEY_ID/"
              "OSS_ACCESS_KEY_SECRET, or use --acl public-read-write)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


__all__ = ["ServiceConfig", "OssService", "OssHTTPServer", "ObjectStore", "StyleStore",
           "Request", "Response", "serve", "register", "split_target", "content_type_for"]
