"""Build OSS object URLs: virtual-hosted, path-style and custom-domain (CNAME) forms.

Nothing here signs; :mod:`core.oss.signing` adds the signature query parameters to what this
module builds. Encoding follows the official SDKs: the key keeps ``/`` literal and
percent-encodes every other byte outside ``A-Z a-z 0-9 - _ . ~`` (alibabacloud-oss-v2);
query names and values encode everything, ``/`` included (both SDKs).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping
from urllib.parse import quote, unquote_plus, urlsplit

from ..errors import OssError

PROCESS_PARAM = "x-oss-process"
SEPARATORS = ("-", "_", "/", "!")

_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\Z")
_REGION_RE = re.compile(r"[a-z0-9-]+\Z")
# oss-<region>[-internal].aliyuncs.com, optionally behind a bucket label; and the
# dual-stack form <region>.oss.aliyuncs.com.
_ENDPOINT_REGION_RES = (
    re.compile(r"(?:^|\.)oss-(?P<region>[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com\Z"),
    re.compile(r"(?:^|\.)(?P<region>[a-z]{2}-[a-z0-9-]+)\.oss\.aliyuncs\.com\Z"),
)
# Global endpoints have no region of their own: the bucket's region must be given.
_REGIONLESS = {"accelerate", "accelerate-overseas"}


class AddressStyle(StrEnum):
    VIRTUAL = "virtual"
    PATH = "path"
    CNAME = "cname"


def encode_key(key: str) -> str:
    """Percent-encode an object key for the URL path; ``/`` stays literal."""
    return quote(key, safe="/")


def encode_query_component(value: str) -> str:
    """Percent-encode a query name or value; ``/``, ``+``, ``=``, ``,`` and space included."""
    return quote(value, safe="")


def build_query(params: Mapping[str, str]) -> str:
    """``name=value`` pairs joined by ``&``, in the given order; an empty value gives ``name``."""
    parts = []
    for name, value in params.items():
        name_enc = encode_query_component(name)
        parts.append(f"{name_enc}={encode_query_component(value)}" if value else name_enc)
    return "&".join(parts)


def parse_query(raw: str) -> dict[str, str]:
    """Decode a query string the way OSS reads it: ``+`` is a space (form encoding), as
    the official SDKs rely on: oss2 sends its parameters through requests, which writes a
    space in ``prefix``/``marker``/... as ``+``, and signs them (V4) as ``%20``. A plus is
    ``%2B``, as every encoder here and in both SDKs writes it.

    A repeated name keeps its last value. ``name`` alone decodes to ``name: ""``.
    """
    out: dict[str, str] = {}
    for pair in raw.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        out[unquote_plus(name)] = unquote_plus(value)
    return out


def _host_of(endpoint: str) -> tuple[str | None, str]:
    """Split ``[scheme://]host[:port][/...]`` into (scheme or None, host[:port])."""
    endpoint = endpoint.strip()
    if "://" in endpoint:
        parts = urlsplit(endpoint)
        return parts.scheme.lower(), parts.netloc.lower()
    return None, endpoint.split("/", 1)[0].lower()


def _hostname(netloc: str) -> str:
    if netloc.startswith("["):
        return netloc[1:netloc.index("]")]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def is_ip_or_localhost(netloc: str) -> bool:
    name = _hostname(netloc)
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def region_from_endpoint(endpoint: str) -> str | None:
    """``oss-cn-hangzhou.aliyuncs.com`` -> ``cn-hangzhou``; None when it cannot be told.

    Handles the public, ``-internal`` and dual-stack (``cn-hangzhou.oss.aliyuncs.com``)
    forms, with or without a scheme, port or bucket label. Global acceleration endpoints
    and custom hosts give None.
    """
    _, netloc = _host_of(endpoint)
    host = _hostname(netloc)
    for pattern in _ENDPOINT_REGION_RES:
        match = pattern.search(host)
        if match and match["region"] not in _REGIONLESS:
            return match["region"]
    return None


def resolve_region(endpoint: str, region: str | None = None) -> str:
    """The region for V4 signing: ``region`` when given, else derived from ``endpoint``.

    An empty result is an error: both SDKs would silently sign an empty region, which OSS
    rejects with a message that does not point at the cause.
    """
    if region is not None and region.strip():
        region = region.strip()
        if not _REGION_RE.match(region):
            raise OssError("InvalidArgument", f"The region {region!r} is not a region id "
                           "(expected e.g. cn-hangzhou).", key="region")
        if region.startswith("oss-"):
            raise OssError("InvalidArgument", f"The region is {region[4:]}, not {region} "
                           "(drop the oss- prefix).", key="region")
        return region
    derived = region_from_endpoint(endpoint)
    if not derived:
        raise OssError("InvalidArgument",
                       f"Cannot derive the region from endpoint {endpoint!r}; give the "
                       "region explicitly (e.g. cn-hangzhou).", key="region")
    return derived


def validate_bucket(bucket: str) -> str:
    if not _BUCKET_RE.match(bucket or ""):
        raise OssError("InvalidBucketName",
                       f"The bucket name {bucket!r} is invalid: 3-63 characters from "
                       "a-z, 0-9 and '-', not starting or ending with '-'.", status=400,
                       key="bucket")
    return bucket


def validate_key(key: str) -> str:
    if not key or len(key.encode("utf-8")) > 1023 or key.startswith("/"):
        raise OssError("InvalidObjectName",
                       "The object key must be 1-1023 bytes and must not start with '/'.",
                       status=400, key="key")
    return key


@dataclass(frozen=True)
class BucketAddress:
    """Where a bucket is reached.

    ``endpoint`` is the OSS endpoint (``oss-cn-hangzhou.aliyuncs.com``, or ``host:port``
    for a local server); it also gives the region for V4 signing. ``domain`` is the custom
    domain for the CNAME style. The signed resource is ``/bucket/key`` in every style.
    """

    bucket: str
    endpoint: str
    scheme: str = "http"
    style: AddressStyle = AddressStyle.VIRTUAL
    domain: str | None = None

    def __post_init__(self) -> None:
        validate_bucket(self.bucket)
        if self.scheme not in ("http", "https"):
            raise OssError("InvalidArgument", f"Unsupported scheme {self.scheme!r}.",
                           key="scheme")
        if self.style is AddressStyle.CNAME and not self.domain:
            raise OssError("InvalidArgument", "The CNAME style needs a custom domain.",
                           key="cname")

    @classmethod
    def from_endpoint(cls, endpoint: str, bucket: str, *, https: bool | None = None,
                      cname: str | None = None, path_style: bool = False) -> "BucketAddress":
        """Parse a user-supplied endpoint (``[scheme://]host[:port]``).

        The scheme comes from ``https`` when given, else from ``cname`` or the endpoint,
        else http (as oss2). An IP or ``localhost`` endpoint is always path-style, as in both SDKs.
        """
        scheme, host = _host_of(endpoint)
        if not host:
            raise OssError("InvalidArgument", "The endpoint is empty.", key="endpoint")
        cname_scheme, domain = _host_of(cname) if cname else (None, None)
        scheme = cname_scheme or scheme
        if https is not None:
            scheme = "https" if https else "http"
        if domain:
            style = AddressStyle.CNAME
        elif path_style or is_ip_or_localhost(host):
            style = AddressStyle.PATH
        else:
            style = AddressStyle.VIRTUAL
        return cls(bucket, host, scheme or "http", style, domain)

    @property
    def host(self) -> str:
        if self.style is AddressStyle.CNAME:
            return self.domain or ""
        if self.style is AddressStyle.PATH:
            return self.endpoint
        return f"{self.bucket}.{self.endpoint}"

    def path(self, key: str | None = None) -> str:
        """The encoded URL path for ``key`` (the bucket root when None)."""
        encoded = encode_key(key) if key else ""
        if self.style is AddressStyle.PATH:
            return f"/{self.bucket}/{encoded}"
        return f"/{encoded}"

    def url(self, key: str | None = None, params: Mapping[str, str] | None = None) -> str:
        query = build_query(params) if params else ""
        base = f"{self.scheme}://{self.host}{self.path(key)}"
        return f"{base}?{query}" if query else base


def process_url(address: BucketAddress, key: str, process: str) -> str:
    """``...key?x-oss-process=image/...`` (unsigned)."""
    return address.url(validate_key(key), {PROCESS_PARAM: process} if process else None)


def style_process(style: str) -> str:
    from ..cascade import validate_style_name

    return f"style/{validate_style_name(style)}"


def style_url(address: BucketAddress, key: str, style: str) -> str:
    """``...key?x-oss-process=style/<name>`` (unsigned)."""
    return process_url(address, key, style_process(style))


def separator_url(address: BucketAddress, key: str, style: str, separator: str) -> str:
    """The custom-separator form ``.../<key><sep><style>`` (unsigned, see docs/COMPATIBILITY.md).

    The separator stays literal so the URL reads as the console shows it; the key's own
    characters are encoded as usual.
    """
    if separator not in SEPARATORS:
        raise OssError("InvalidArgument", f"The separator {separator!r} is not one of "
                       + " ".join(SEPARATORS) + ".", key="separator")
    from ..cascade import validate_style_name

    validate_style_name(style)
    return f"{address.url(validate_key(key))}{separator}{encode_key(style)}"
