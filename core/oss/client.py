"""A small OSS client over ``requests``: objects (with processing) and image styles.

Every call has a timeout; only idempotent calls are retried, and only on connection
failures, timeouts and 5xx answers (all the calls here are idempotent: GET, HEAD, DELETE
and whole-object PUT). Backoff and sleep are injectable so tests never really wait.

Errors: OSS answers become :class:`OssServiceError` (code, message, request id, host id,
EC, and the server's StringToSign/CanonicalRequest on a signature mismatch, next to ours).
Failures before any answer become :class:`OssNetworkError` with ``status == 0`` and one of
the codes ``NameResolutionError``, ``TLSError``, ``RequestTimeout``, ``ConnectionError``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import os
import socket
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping
from xml.sax.saxutils import escape

import requests

from .credentials import Credentials
from .listing import ObjectListing, list_query, parse_listing
from ..errors import OssError
from .signing import SignedHeaders, SignedUrl, presign, sign_headers_v1, sign_headers_v4
from .urls import BucketAddress, resolve_region, validate_key

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
DEFAULT_RETRIES = 2
NETWORK_CODES = ("NameResolutionError", "TLSError", "RequestTimeout", "ConnectionError")
# Error codes for answers that carry no error document (a HEAD, or a proxy in the way).
_BODILESS_CODES = {400: "BadRequest", 403: "AccessDenied", 404: "NoSuchKey",
                   405: "MethodNotAllowed", 409: "Conflict", 412: "PreconditionFailed",
                   416: "InvalidRange"}
_KNOWN_FIELDS = ("Code", "Message", "RequestId", "HostId", "EC")


@dataclass
class OssServiceError(OssError):
    """An error document returned by OSS (or by a compatible server).

    ``string_to_sign``/``canonical_request`` are the server's, from the error XML;
    ``client_string_to_sign``/``client_canonical_request`` are what this client signed,
    so a viewer can show the two side by side.
    """

    request_id: str = ""
    host_id: str = ""
    string_to_sign: str | None = None
    canonical_request: str | None = None
    client_string_to_sign: str | None = None
    client_canonical_request: str | None = None


@dataclass
class OssNetworkError(OssError):
    """No HTTP answer at all: DNS, TLS, timeout or connection failure (``status`` is 0)."""

    host: str = ""


@dataclass(frozen=True)
class ObjectResult:
    data: bytes
    content_type: str
    headers: dict[str, str] = field(repr=False)
    status: int = 200

    @property
    def request_id(self) -> str:
        return self.headers.get("x-oss-request-id", "")

    @property
    def etag(self) -> str:
        return self.headers.get("etag", "").strip('"')


@dataclass(frozen=True)
class Style:
    name: str
    content: str
    category: str = ""
    create_time: str = ""
    last_modify_time: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "content": self.content, "category": self.category,
                "create_time": self.create_time, "last_modify_time": self.last_modify_time}


# ----------------------------------------------------------------------------- errors

def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _error_fields(body: bytes, content_type: str) -> dict[str, str]:
    if not body:
        return {}
    if "json" in content_type:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        inner = data.get("Error", data) if isinstance(data, dict) else {}
        return {str(k): str(v) for k, v in inner.items()} if isinstance(inner, dict) else {}
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return {}
    if _strip_ns(root.tag) != "Error":
        return {}
    return {_strip_ns(child.tag): (child.text or "") for child in root}


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> OssServiceError:
    """Turn an OSS error answer into an :class:`OssServiceError`.

    Reads the XML body; for a body-less answer (HEAD) the base64 ``x-oss-err`` header;
    a JSON ``{"Error": {...}}`` body when the content type says JSON.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    content_type = lowered.get("content-type", "")
    fields = _error_fields(body, content_type)
    if not fields and lowered.get("x-oss-err"):
        try:
            fields = _error_fields(base64.b64decode(lowered["x-oss-err"]), "application/xml")
        except ValueError:
            fields = {}
    code = fields.get("Code") or _BODILESS_CODES.get(status, "BadErrorResponse")
    message = fields.get("Message") or (
        f"HTTP {status} without an OSS error document"
        + (f": {body[:200].decode('utf-8', 'replace')}" if body and not fields else "."))
    details = {k: v for k, v in fields.items() if k not in _KNOWN_FIELDS}
    return OssServiceError(
        code, message, ec=fields.get("EC") or lowered.get("x-oss-ec") or None, status=status,
        details=details, request_id=fields.get("RequestId") or lowered.get("x-oss-request-id", ""),
        host_id=fields.get("HostId", ""), string_to_sign=fields.get("StringToSign"),
        canonical_request=fields.get("CanonicalRequest"))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        stack.extend(x for x in (getattr(current, "reason", None), current.__cause__,
                                 current.__context__) if isinstance(x, BaseException))


def _is_dns_failure(exc: BaseException) -> bool:
    for item in _chain(exc):
        if isinstance(item, socket.gaierror) or type(item).__name__ == "NameResolutionError":
            return True
    return False


def _root_reason(exc: BaseException) -> str:
    *_, last = _chain(exc)
    text = str(last) or type(last).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def network_error(exc: requests.exceptions.RequestException, host: str,
                  timeout: tuple[float, float]) -> OssNetworkError:
    """A clear, secret-free error for a failure before any HTTP answer."""
    if isinstance(exc, requests.exceptions.SSLError):
        code, message = "TLSError", f"TLS handshake with {host} failed: {_root_reason(exc)}"
    elif isinstance(exc, requests.exceptions.Timeout):
        which = "connect" if isinstance(exc, requests.exceptions.ConnectTimeout) else "read"
        seconds = timeout[0] if which == "connect" else timeout[1]
        code, message = "RequestTimeout", f"{host} did not answer in time ({which} timeout " \
                                          f"of {seconds:g} s)."
    elif _is_dns_failure(exc):
        code, message = "NameResolutionError", (f"Cannot resolve host {host}: check the "
                                                "endpoint and the bucket name.")
    else:
        code, message = "ConnectionError", f"Cannot connect to {host}: {_root_reason(exc)}"
    return OssNetworkError(code, message, status=0, host=host)


def _retryable(error: OssNetworkError) -> bool:
    # A wrong name or a bad certificate will not fix itself between attempts.
    return error.code in ("RequestTimeout", "ConnectionError")


def default_backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt + 1``: 0.2, 0.4, 0.8 ... capped at 3."""
    return min(0.2 * 2 ** attempt, 3.0)


# ----------------------------------------------------------------------------- XML

def _style_from(element: ET.Element) -> Style:
    values = {_strip_ns(c.tag): (c.text or "") for c in element}
    return Style(values.get("Name", ""), values.get("Content", ""), values.get("Category", ""),
                 values.get("CreateTime", ""), values.get("LastModifyTime", ""))


def _parse_xml(body: bytes, what: str) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError as e:
        raise OssError("BadResponse", f"The {what} answer is not XML: {e}.", status=0) from None


def _md5_b64(chunks) -> str:
    digest = hashlib.md5()
    for chunk in chunks:
        digest.update(chunk)
    return base64.b64encode(digest.digest()).decode("ascii")


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            yield chunk


# ----------------------------------------------------------------------------- client

class OssClient:
    """Objects and image styles of one bucket.

    ``credentials`` None sends anonymous requests (public-read buckets). ``version`` picks
    header signing V4 (default; needs a region, derived from the endpoint unless given) or
    V1. ``clock`` gives the signing time; ``backoff(attempt)`` and ``sleep(seconds)`` shape
    retries.
    """

    def __init__(self, address: BucketAddress, credentials: Credentials | None = None, *,
                 version: str = "v4", region: str | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 retries: int = DEFAULT_RETRIES,
                 backoff: Callable[[int], float] = default_backoff,
                 sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if version not in ("v1", "v4"):
            raise OssError("InvalidArgument", f"Unknown signature version {version!r}.",
                           key="version")
        self.address = address
        self.credentials = credentials
        self.version = version
        self.region = resolve_region(address.endpoint, region) if (
            credentials and version == "v4") else region
        self.timeout = timeout
        self.retries = max(0, retries)
        self._backoff, self._sleep, self._clock = backoff, sleep, clock
        self._session = session or requests.Session()
        self._owns_session = session is None

    def __repr__(self) -> str:
        return (f"OssClient({self.address.bucket!r} at {self.address.host!r}, "
                f"version={self.version!r}, credentials={self.credentials!r})")

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> "OssClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- objects

    def get_object(self, key: str, *, process: str | None = None,
                   headers: Mapping[str, str] | None = None) -> ObjectResult:
        """GetObject, with ``process`` sent as ``x-oss-process``."""
        query = {"x-oss-process": process} if process else {}
        return self._result(self._send("GET", validate_key(key), query, headers))

    def list_objects(self, prefix: str = "", *, page_size: int = 1000) -> Iterator[str]:
        """Every object key under ``prefix`` (ListObjectsV2, following continuation
        tokens page by page, so millions of keys never sit in memory at once)."""
        from urllib.parse import unquote

        token = None
        while True:
            query = {"list-type": "2", "prefix": prefix, "max-keys": str(page_size),
                     "encoding-type": "url"}
            if token:
                query["continuation-token"] = token
            root = _parse_xml(self._send("GET", None, query).content, "ListObjectsV2")
            for element in root:
                if _strip_ns(element.tag) == "Contents":
                    for child in element:
                        if _strip_ns(child.tag) == "Key":
                            yield unquote(child.text or "")
            fields = {_strip_ns(e.tag): (e.text or "") for e in root}
            token = fields.get("NextContinuationToken")
            if fields.get("IsTruncated", "false").lower() != "true" or not token:
                return

    def head_object(self, key: str, *, headers: Mapping[str, str] | None = None) -> ObjectResult:
        return self._result(self._send("HEAD", validate_key(key), {}, headers))

    def put_object(self, key: str, source: str | os.PathLike | bytes, *,
                   content_type: str | None = None,
                   headers: Mapping[str, str] | None = None) -> ObjectResult:
        """Upload a local file (streamed) or bytes; Content-MD5 lets OSS check the body."""
        validate_key(key)
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        if isinstance(source, bytes):
            body: Callable[[], object] | bytes = source
            sent["content-md5"] = _md5_b64([source])
        else:
            path = Path(source)
            if not path.is_file():
                raise OssError("InvalidArgument", f"No such file: {path}.", key="source")
            sent["content-md5"] = _md5_b64(_file_chunks(path))
            body = lambda: path.open("rb")  # noqa: E731  (reopened per attempt)
            content_type = content_type or mimetypes.guess_type(path.name)[0]
        sent["content-type"] = content_type or sent.get("content-type") or \
            "application/octet-stream"
        return self._result(self._send("PUT", key, {}, sent, body))

    def presign(self, key: str, *, process: str | None = None, expires: int = 3600,
                now: float | None = None) -> SignedUrl:
        if self.credentials is None:
            raise OssError("MissingArgument", "Signing needs credentials.")
        return presign(self.address, key, self.credentials, version=self.version,
                       process=process, region=self.region, expires=expires,
                       now=self._clock() if now is None else now)

    def list_page(self, prefix: str = "", *, marker: str = "", max_keys: int = 100,
                  delimiter: str = "") -> ObjectListing:
        """ListObjects (V1): one page of keys under ``prefix`` with sizes and times;
        ``next_marker`` of a truncated page asks for the next (:meth:`list_objects`
        iterates every key instead)."""
        response = self._send("GET", None, list_query(prefix, marker, max_keys, delimiter))
        try:
            return parse_listing(response.content)
        finally:
            response.close()

    # -- styles

    def put_style(self, name: str, content: str, *, category: str | None = None) -> None:
        from ..cascade import validate_style_name

        query = {"style": "", "styleName": validate_style_name(name)}
        if category:
            query["category"] = category
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Style><Content>{escape(content)}</Content></Style>").encode("utf-8")
        headers = {"content-type": "application/xml", "content-md5": _md5_b64([body])}
        self._send("PUT", None, query, headers, body).close()

    def get_style(self, name: str) -> Style:
        from ..cascade import validate_style_name

        response = self._send("GET", None, {"style": "", "styleName": validate_style_name(name)})
        return _style_from(_parse_xml(response.content, "GetStyle"))

    def list_styles(self) -> list[Style]:
        root = _parse_xml(self._send("GET", None, {"style": ""}).content, "ListStyle")
        return [_style_from(e) for e in root if _strip_ns(e.tag) == "Style"]

    def delete_style(self, name: str) -> None:
        from ..cascade import validate_style_name

        query = {"style": "", "styleName": validate_style_name(name)}
        self._send("DELETE", None, query).close()

    # -- transport

    def _sign(self, method: str, key: str | None, query: Mapping[str, str],
              headers: Mapping[str, str]) -> SignedHeaders | None:
        if self.credentials is None:
            return None
        if self.version == "v1":
            return sign_headers_v1(method, self.address.bucket, key, self.credentials,
                                   query=query, headers=headers, now=self._clock())
        return sign_headers_v4(method, self.address.bucket, key, self.credentials,
                               region=self.region or "", query=query, headers=headers,
                               now=self._clock())

    def _send(self, method: str, key: str | None, query: Mapping[str, str],
              headers: Mapping[str, str] | None = None,
              body: bytes | Callable[[], object] | None = None) -> requests.Response:
        url = self.address.url(key, query)
        base = {k.lower(): v for k, v in (headers or {}).items()}
        attempt = 0
        while True:
            signed = self._sign(method, key, query, base)
            try:
                response = self._attempt(method, url, signed.headers if signed else base, body)
            except requests.exceptions.RequestException as exc:
                error = network_error(exc, self.address.host, self.timeout)
                log.debug("%s %s%s failed: %s", method, self.address.host,
                          self.address.path(key), error.code)
                if _retryable(error) and attempt < self.retries:
                    self._wait(attempt)
                    attempt += 1
                    continue
                raise error from exc
            log.debug("%s %s%s -> %s (request id %s)", method, self.address.host,
                      self.address.path(key), response.status_code,
                      response.headers.get("x-oss-request-id", "-"))
            if response.status_code >= 500 and attempt < self.retries:
                response.close()
                self._wait(attempt)
                attempt += 1
                continue
            if response.status_code >= 300:
                raise self._service_error(response, signed)
            return response

    def _attempt(self, method: str, url: str, headers: Mapping[str, str],
                 body: bytes | Callable[[], object] | None) -> requests.Response:
        data = body() if callable(body) else body
        try:
            return self._session.request(method, url, headers=dict(headers), data=data,
                                         timeout=self.timeout, allow_redirects=False)
        finally:
            if hasattr(data, "close"):
                data.close()

    def _wait(self, attempt: int) -> None:
        self._sleep(self._backoff(attempt))

    @staticmethod
    def _service_error(response: requests.Response,
                       signed: SignedHeaders | None) -> OssServiceError:
        error = parse_error(response.status_code, response.headers, response.content)
        response.close()
        if signed is not None:
            error.client_string_to_sign = signed.string_to_sign
            error.client_canonical_request = signed.canonical_request
        return error

    @staticmethod
    def _result(response: requests.Response) -> ObjectResult:
        headers = {k.lower(): v for k, v in response.headers.items()}
        data = response.content
        response.close()
        return ObjectResult(data, headers.get("content-type", ""), headers,
                            response.status_code)
