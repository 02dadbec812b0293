"""Settings, constants and small OSS helpers shared by the service's modules."""
from __future__ import annotations

import logging
import mimetypes
import os
import re
import secrets
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from .. import codec
from ..errors import OssError
from ..oss.credentials import Credentials
from .callback_sign import load_signing_key

# One logger for the whole service (tests and operators filter on it).
log = logging.getLogger("core.serve")

ACLS = ("private", "public-read", "public-read-write")
OBJECT_ACLS = ("default",) + ACLS
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9000
DEFAULT_REGION = "cn-hangzhou"
DEFAULT_DOMAIN = "localhost"
DEFAULT_SEPARATORS = "-_/!"
DEFAULT_MAX_BODY = 20 * 1024 * 1024     # same as OSS IMG's source limit
DEFAULT_PROCESS_TIMEOUT = 30.0          # seconds of processing per request
DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_THREADS = 16                    # WSGI threads of the embedded server
DEFAULT_WORKER_MEMORY_MB = 2048         # address space of one image worker process
DEFAULT_CACHE_ENTRIES = 8
MAX_XML_BODY = 64 * 1024                # PutStyle/PutBucket/DeleteMultipleObjects bodies
STYLE_DIR = ".oss-styles"
META_DIR = ".oss-meta"                  # per-object metadata (Content-Type, x-oss-meta-*)
UPLOAD_DIR = ".oss-uploads"             # multipart uploads in progress
TMP_PREFIX = ".oss-tmp-"                # in-flight writes; never listed, removed at start
FOLDER_OBJECT = ".oss-folder-object"    # the file of a key ending in "/" inside its folder
BUCKET_ACL_DIR = ".oss-bucket-acl"      # per-bucket ACLs set by PutBucketAcl / PutBucket
MAX_STYLES = 50                         # per bucket (OSS documentation)
OWNER_ID = "oss-img"


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServiceConfig:
    """Everything :class:`core.serve.service.OssService` needs; CLI flags map onto fields.

    ``acl``: ``private`` (every request signed), ``public-read`` (anonymous GET/HEAD of
    objects and ListObjects; everything else signed) or ``public-read-write`` (no checks).
    ``credentials``: the keys a signed request may use. ``region``: the V4 region the
    server verifies against. ``domain``: ``Host: <bucket>.<domain>`` is virtual-hosted.
    ``separators``: the style separators enabled for every bucket (empty: none).
    ``process_timeout``: seconds of processing per request (None: no limit).
    ``workers``: image worker processes (0: process in the serving process, without
    isolation; for tests and embedding). ``worker_memory_mb``: address-space cap of each
    worker; it also sizes the engines' memory budget (codec.budget_for_address_space),
    in workers and in-process alike. ``max_concurrent_processing``: image requests in flight (running or queued for
    a worker); beyond it the answer is 503 SlowDown, so plain GET/PUT always find a thread.
    ``threads``/``max_connections``: the embedded WSGI server's. ``restore_seconds``:
    how long RestoreObject takes (see :mod:`core.serve.archive`). ``callback_hosts``: where
    upload callbacks may go (``loopback``, ``*``, ``*.domain``, names; see
    :mod:`core.serve.callback`); ``callback_timeout``: seconds per callback request.
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
    workers: int = 0
    worker_memory_mb: int = DEFAULT_WORKER_MEMORY_MB
    max_concurrent_processing: int = DEFAULT_THREADS - 4
    cache_entries: int = DEFAULT_CACHE_ENTRIES
    threads: int = DEFAULT_THREADS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    restore_seconds: float = 60.0       # RestoreObject's duration (core/serve/archive.py)
    callback_hosts: tuple[str, ...] = ("loopback",)   # see core/serve/callback.py
    callback_timeout: float = 5.0
    callback_key: Path | None = None          # PEM RSA private key: sign callbacks as OSS
    callback_pub_key_url: str | None = None   # where its public half is published

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
        if self.workers < 0 or self.threads < 1 or self.worker_memory_mb < 64:
            raise OssError("InvalidArgument", "workers must be >= 0, threads >= 1 and the "
                           "worker memory at least 64 MB.", key="workers")
        object.__setattr__(self, "domain", self.domain.strip().lower().strip("."))
        if not 0 <= self.restore_seconds <= 365 * 86400:
            raise OssError("InvalidArgument", "restore_seconds must be 0 to one year.",
                           key="restore_seconds")
        hosts = self.callback_hosts
        if isinstance(hosts, str):
            hosts = hosts.split(",")
        object.__setattr__(self, "callback_hosts", tuple(h.strip() for h in hosts if h.strip()))
        if (self.callback_key is None) != (not self.callback_pub_key_url):
            raise OssError("InvalidArgument", "Signing callbacks needs both the key and the "
                           "URL where its public half is published.", key="callback_key")
        if self.callback_key is not None:
            load_signing_key(self.callback_key)        # a bad key fails at start-up


# ----------------------------------------------------------------------------- helpers

_SECRET_QUERY_RE = re.compile(
    r"(?i)((?:^|[?&\s'\"])(?:Signature|x-oss-signature|security-token|x-oss-security-token"
    r"|OSSAccessKeyId|x-oss-credential)=)[^&\s'\"]*")

# Content-Type by extension: our codec's table first (webp, heic, avif ...), then the
# standard library's built-in table only (not /etc/mime.types: same answer on every host).
_MIME = mimetypes.MimeTypes(filenames=())
_IMAGE_TYPES = {f".{ext}": ctype for ext, ctype in codec.CONTENT_TYPES.items()}
_IMAGE_TYPES.update({".jpeg": "image/jpeg", ".tif": "image/tiff", ".heif": "image/heic"})


def content_type_for(key: str) -> str:
    """The Content-Type served for ``key`` when its PUT gave none: from its extension."""
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


def small_int(raw: str | None, what: str, *, digits: int = 18) -> int | None:
    """``raw`` as a non-negative int of at most ``digits`` ASCII digits; None if absent.

    ``str.isdigit`` accepts '²' and Arabic-Indic digits and ``int`` accepts 5,000 of them
    (slowly); both are InvalidArgument here."""
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > digits:
        raise error("InvalidArgument", f"The value of {what} is not a valid number.", 400,
                    ArgumentName=what)
    return int(raw)


# OSS's own messages, where OSS publishes them (docs/COMPATIBILITY.md, "Error messages").
# MethodNotAllowed: OSS's "HTTP status code 405" error page.
NOT_ALLOWED = "The specified method is not allowed against this resource."
# BucketAlreadyExists: aliyun-oss-java-sdk's TestConstants.BUCKET_ALREADY_EXIST_ERR
# (CreateBucketTest, against the live service) and alibabacloud-oss-go-sdk-v2's mock.
BUCKET_TAKEN = ("The requested bucket name is not available. The bucket namespace is shared "
                "by all users of the system. Please select a different name and try again.")


def error(code: str, message: str, status: int | None = None, ec: str | None = None,
          **details: str) -> OssError:
    return OssError(code, message, ec=ec, status=status, details=dict(details))


def entity_too_large(limit: int) -> OssError:
    return error("EntityTooLarge", f"Your proposed upload exceeds the maximum allowed size "
                 f"({limit} bytes on this server).", 400, MaxSizeAllowed=str(limit))


def timeout_error(seconds: float | None) -> OssError:
    return error("RequestTimeout", f"Image processing took longer than this server allows "
                 f"({seconds or 0:g} s).", 400)


def not_implemented(what: str) -> OssError:
    return error("NotImplemented", f"{what} is not implemented by this server.", 501)


def invalid_digest() -> OssError:
    """A malformed or a mismatched Content-MD5 alike, in OSS's words: its "HTTP status code
    400" page and its FAQ on this error; aliyun-oss-java-sdk's integration tests
    (TestConstants.INVALID_DIGEST_ERR) assert the text against the live service."""
    return error("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)


def malformed_xml(ec: str | None = None) -> OssError:
    """An XML body that does not parse or is not the document asked for, in OSS's words:
    its "HTTP status code 400" page; alibabacloud-oss-go-sdk-v2's integration test asserts
    the text against the live service (S3 uses the same words)."""
    return error("MalformedXML", "The XML you provided was not well-formed or did not "
                 "validate against our published schema.", 400, ec)


def internal_error() -> OssError:
    return OssError("InternalError", "We encountered an internal error. Please try again.",
                    status=500)
