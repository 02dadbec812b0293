"""OSS request signing, V1 (HMAC-SHA1) and V4 (OSS4-HMAC-SHA256); verification is
:mod:`core.oss.verify`.

Pure functions: no I/O, and the clock is a parameter (``now``, Unix seconds) wherever
time matters. The oracle for every byte here is the pair of official Python SDKs (oss2 and
alibabacloud-oss-v2), run side by side in ``tests/test_signing.py`` with a frozen clock;
``/work/shared/spec/oss-signing.md`` has the background.

Each signing result carries the string-to-sign (and, for V4, the canonical request) so a
user interface can put it next to the ``StringToSign`` OSS returns with
``SignatureDoesNotMatch``. The verifier raises exactly that error, with the server's
strings in ``details``, ready for :meth:`core.errors.OssError.to_xml`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Iterable, Mapping
from urllib.parse import quote

from .credentials import Credentials
from ..errors import OssError
from .urls import BucketAddress, resolve_region
from .verify_checks import (  # noqa: F401  (re-exported: callers name them signing.X)
    CLOCK_SKEW, EC_BAD_DATE, EC_NO_DATE, EC_SKEWED, EC_STS_TOKEN_INVALID,
    EC_STS_TOKEN_MISSING, EC_STS_TOKEN_TWICE, EC_URL_BAD_EXPIRES, EC_URL_EXPIRED,
    EC_V1_MISMATCH, EC_V4_BAD_CREDENTIAL_HEADER, EC_V4_BAD_CREDENTIAL_QUERY,
    EC_V4_MISMATCH, EC_V4_NOT_YET_VALID, _MISMATCH_MESSAGE, CredentialLookup, Verified,
    _check_header_date, _check_token, _compare, _denied, _header_token, _is_ascii_number,
    _iso_stamp, _lookup, _lower_headers, _mismatch, _parse_date, _server_time, _utc,
    string_to_sign_bytes)

V4_ALGORITHM = "OSS4-HMAC-SHA256"
V4_TERMINATOR = "aliyun_v4_request"
V4_MAX_EXPIRES = 604800
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
PRODUCT = "oss"

# V1 signs only these query parameters: the documented sub-resource list united with
# oss2 2.19.1's list and alibabacloud-oss-v2's fixed set (whose ``cloudboxes``, for
# ListCloudBoxes, oss2 lacks), plus ``cleanRestoredObject``, which alibabacloud-oss-v2
# signs for CleanRestoredObject (an operation oss2 lacks). ``x-oss-process`` is here.
V1_SUBRESOURCES = frozenset("""
    acl uploads location cors logging website referer lifecycle delete append tagging
    objectMeta uploadId partNumber security-token position img style styleName
    replication replicationProgress replicationLocation cname bucketInfo comp qos live
    status vod startTime endTime symlink x-oss-process response-content-type
    response-content-language response-expires response-cache-control
    response-content-disposition response-content-encoding
    objectInfo group link restore stat callback callback-var encryption versions
    versioning versionId policy requestPayment x-oss-traffic-limit qosInfo asyncFetch
    x-oss-request-payer sequential inventory inventoryId continuation-token worm wormId
    wormExtend transferAcceleration metaQuery x-oss-ac-source-ip x-oss-ac-subnet-mask
    x-oss-ac-vpc-id x-oss-ac-forward-allow resourceGroup x-oss-async-process regionList
    x-oss-write-get-object-response bucketArchiveDirectRead httpsConfig
    redundancyTransition x-oss-target-redundancy-type x-oss-redundancy-transition-taskid
    accessPoint accessPointPolicy publicAccessBlock x-oss-access-point-name
    requesterQosInfo qosRequester resourcePoolInfo resourcePool resourcePoolBuckets
    cleanRestoredObject cloudboxes
""".split())

V1_URL_PARAMS = ("OSSAccessKeyId", "Expires", "Signature")
V4_URL_PARAMS = ("x-oss-signature-version", "x-oss-credential", "x-oss-date",
                 "x-oss-expires", "x-oss-signature", "x-oss-additional-headers")
_V4_ALWAYS_SIGNED = ("content-type", "content-md5")



@dataclass(frozen=True)
class SignedUrl:
    """A presigned URL and the strings it was computed from."""

    url: str
    version: str
    signature: str
    string_to_sign: str
    canonical_request: str | None
    expires_at: int


@dataclass(frozen=True)
class SignedHeaders:
    """Headers to send (lower-case names, ``authorization`` included) and their strings."""

    headers: dict[str, str]
    version: str
    signature: str
    string_to_sign: str
    canonical_request: str | None




# ----------------------------------------------------------------------------- helpers





def iso8601(now: float) -> str:
    """``20231114T221320Z``: the V4 timestamp format."""
    return _utc(now).strftime("%Y%m%dT%H%M%SZ")


def http_date(now: float) -> str:
    """``Tue, 14 Nov 2023 22:13:20 GMT``: the V1 Date header (locale-independent)."""
    return formatdate(int(now), usegmt=True)


def _now(now: float | None) -> float:
    return time.time() if now is None else now




def _check_reserved(params: Mapping[str, str], reserved: Iterable[str]) -> None:
    clash = sorted(set(params) & set(reserved))
    if clash:
        raise OssError("InvalidArgument", "Signature parameters must not be passed in: "
                       + ", ".join(clash) + ".", key=clash[0])


# ----------------------------------------------------------------------------- V1

def canonical_headers_v1(headers: Mapping[str, str]) -> str:
    """``name:value\\n`` for every ``x-oss-*`` header, sorted; empty when there are none."""
    lowered = _lower_headers(headers)
    return "".join(f"{k}:{lowered[k]}\n" for k in sorted(lowered) if k.startswith("x-oss-"))


def canonical_resource_v1(bucket: str | None, key: str | None,
                          query: Mapping[str, str] | None = None) -> str:
    """``/bucket/key?subresources``: raw key, decoded values, names in byte order."""
    if bucket:
        resource = f"/{bucket}/{key or ''}"
    else:
        resource = "/"
    signed = sorted((k, v) for k, v in (query or {}).items() if k in V1_SUBRESOURCES)
    if signed:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in signed)
    return resource


def string_to_sign_v1(method: str, bucket: str | None, key: str | None,
                      query: Mapping[str, str] | None, headers: Mapping[str, str] | None,
                      date: str) -> str:
    """VERB, Content-MD5, Content-Type, Date (or Expires), OSS headers and resource."""
    lowered = _lower_headers(headers)
    return "\n".join([method.upper(), lowered.get("content-md5", ""),
                      lowered.get("content-type", ""), date,
                      canonical_headers_v1(lowered)
                      + canonical_resource_v1(bucket, key, query)])


def signature_v1(secret: str, string_to_sign: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# ----------------------------------------------------------------------------- V4

def uri_encode_v4(text: str, keep_slash: bool) -> str:
    """Encode all but ``A-Z a-z 0-9 - _ . ~`` (and ``/`` when asked), upper-case hex."""
    return quote(text, safe="/" if keep_slash else "")


def canonical_uri_v4(bucket: str | None, key: str | None) -> str:
    # The "/" between bucket and key must stay literal: encoding it breaks every URL.
    if not bucket:
        return "/"
    return uri_encode_v4(f"/{bucket}/{key or ''}", keep_slash=True)


def canonical_query_v4(query: Mapping[str, str] | None) -> str:
    """Every parameter but ``x-oss-signature``, encoded, sorted by encoded name."""
    pairs = sorted((uri_encode_v4(k, False), uri_encode_v4(v, False))
                   for k, v in (query or {}).items() if k != "x-oss-signature")
    return "&".join(f"{k}={v}" if v else k for k, v in pairs)


def additional_headers_v4(headers: Mapping[str, str] | None,
                          names: Iterable[str] = ()) -> list[str]:
    """The names worth listing in AdditionalHeaders: lower-cased, sorted, present in
    ``headers``, and not already signed by default (x-oss-*, content-type, content-md5)."""
    lowered = _lower_headers(headers)
    keep = {n.strip().lower() for n in names if n and n.strip()}
    keep = {n for n in keep if not n.startswith("x-oss-") and n not in _V4_ALWAYS_SIGNED}
    return sorted(n for n in keep if lowered.get(n))


def canonical_headers_v4(headers: Mapping[str, str] | None,
                         additional: Iterable[str] = ()) -> str:
    lowered = _lower_headers(headers)
    extra = set(additional)
    names = sorted(k for k in lowered
                   if k.startswith("x-oss-") or k in _V4_ALWAYS_SIGNED or k in extra)
    return "".join(f"{k}:{lowered[k]}\n" for k in names)


def canonical_request_v4(method: str, bucket: str | None, key: str | None,
                         query: Mapping[str, str] | None, headers: Mapping[str, str] | None,
                         additional: Iterable[str] = ()) -> str:
    additional = list(additional)
    lowered = _lower_headers(headers)
    payload = lowered.get("x-oss-content-sha256", UNSIGNED_PAYLOAD)
    return "\n".join([method.upper(), canonical_uri_v4(bucket, key),
                      canonical_query_v4(query),
                      canonical_headers_v4(lowered, additional),
                      ";".join(additional), payload])


def scope_v4(date: str, region: str, product: str = PRODUCT) -> str:
    return f"{date}/{region}/{product}/{V4_TERMINATOR}"


def string_to_sign_v4(timestamp: str, scope: str, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return "\n".join([V4_ALGORITHM, timestamp, scope, digest])


def signing_key_v4(secret: str, date: str, region: str, product: str = PRODUCT) -> bytes:
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, product, V4_TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature_v4(secret: str, date: str, region: str, string_to_sign: str,
                 product: str = PRODUCT) -> str:
    return hmac.new(signing_key_v4(secret, date, region, product),
                    string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _require_region(region: str | None) -> str:
    if not region or not region.strip():
        raise OssError("InvalidArgument", "V4 signing needs a region (e.g. cn-hangzhou); "
                       "an empty region is never signed.", key="region")
    return region.strip()


def _check_expires_v4(expires: int) -> int:
    if not isinstance(expires, int) or not 1 <= expires <= V4_MAX_EXPIRES:
        raise OssError("InvalidArgument", f"The V4 expiry {expires!r} must be 1..{V4_MAX_EXPIRES} "
                       "seconds.", key="expires")
    return expires


# ----------------------------------------------------------------------------- presign

def presign_v1(address: BucketAddress, key: str | None, credentials: Credentials, *,
               method: str = "GET", params: Mapping[str, str] | None = None,
               headers: Mapping[str, str] | None = None, expires: int = 3600,
               now: float | None = None) -> SignedUrl:
    """A V1 presigned URL, valid ``expires`` seconds from ``now``.

    ``params`` (e.g. ``{"x-oss-process": "image/resize,w_100"}``) are decoded values; the
    sub-resources among them are signed. ``headers`` are those the caller will send.
    """
    params = dict(params or {})
    _check_reserved(params, (*V1_URL_PARAMS, "security-token"))
    if not isinstance(expires, int) or expires < 1:
        raise OssError("InvalidArgument", f"The expiry {expires!r} must be a positive number "
                       "of seconds.", key="expires")
    expires_at = int(_now(now)) + expires
    if credentials.security_token:
        params["security-token"] = credentials.security_token
    sts = string_to_sign_v1(method, address.bucket, key, params, headers, str(expires_at))
    signature = signature_v1(credentials.access_key_secret, sts)
    params.update({"OSSAccessKeyId": credentials.access_key_id,
                   "Expires": str(expires_at), "Signature": signature})
    return SignedUrl(address.url(key, params), "v1", signature, sts, None, expires_at)


def presign_v4(address: BucketAddress, key: str | None, credentials: Credentials, *,
               region: str | None = None, method: str = "GET",
               params: Mapping[str, str] | None = None,
               headers: Mapping[str, str] | None = None,
               additional_headers: Iterable[str] = (), expires: int = 3600,
               now: float | None = None, product: str = PRODUCT) -> SignedUrl:
    """A V4 presigned URL. ``region`` defaults to the one derived from the endpoint.

    Every query parameter is signed, so nothing may be appended to the URL afterwards.
    ``additional_headers`` (e.g. ``["host"]``) are signed only when present in ``headers``.
    """
    params = dict(params or {})
    _check_reserved(params, (*V4_URL_PARAMS, "x-oss-security-token"))
    _check_expires_v4(expires)
    region = _require_region(resolve_region(address.endpoint, region))
    moment = int(_now(now))
    timestamp = iso8601(moment)
    scope = scope_v4(timestamp[:8], region, product)
    additional = additional_headers_v4(headers, additional_headers)
    if credentials.security_token:
        params["x-oss-security-token"] = credentials.security_token
    params.update({"x-oss-signature-version": V4_ALGORITHM,
                   "x-oss-date": timestamp, "x-oss-expires": str(expires),
                   "x-oss-credential": f"{credentials.access_key_id}/{scope}"})
    if additional:
        params["x-oss-additional-headers"] = ";".join(additional)
    canonical = canonical_request_v4(method, address.bucket, key, params, headers, additional)
    sts = string_to_sign_v4(timestamp, scope, canonical)
    signature = signature_v4(credentials.access_key_secret, timestamp[:8], region, sts, product)
    params["x-oss-signature"] = signature
    return SignedUrl(address.url(key, params), "v4", signature, sts, canonical,
                     moment + expires)


def presign(address: BucketAddress, key: str | None, credentials: Credentials, *,
            version: str = "v4", process: str | None = None, **kwargs) -> SignedUrl:
    """Presign a GET (by default) of ``key``, with ``process`` as ``x-oss-process``."""
    params = dict(kwargs.pop("params", None) or {})
    if process:
        params["x-oss-process"] = process
    if version == "v1":
        kwargs.pop("region", None)
        kwargs.pop("additional_headers", None)
        kwargs.pop("product", None)
        return presign_v1(address, key, credentials, params=params, **kwargs)
    if version == "v4":
        return presign_v4(address, key, credentials, params=params, **kwargs)
    raise OssError("InvalidArgument", f"Unknown signature version {version!r} (v1 or v4).",
                   key="version")


# ----------------------------------------------------------------------------- headers

def sign_headers_v1(method: str, bucket: str | None, key: str | None,
                    credentials: Credentials, *, query: Mapping[str, str] | None = None,
                    headers: Mapping[str, str] | None = None,
                    now: float | None = None) -> SignedHeaders:
    """``Authorization: OSS <id>:<signature>`` plus the Date (and STS token) it covers."""
    out = _lower_headers(headers)
    out.pop("authorization", None)
    out["date"] = http_date(_now(now))
    if credentials.security_token:
        # oss2 and the Go SDK send the token as x-oss-security-token, which V1 then signs.
        out["x-oss-security-token"] = credentials.security_token
    date = out.get("x-oss-date") or out["date"]
    sts = string_to_sign_v1(method, bucket, key, query, out, date)
    signature = signature_v1(credentials.access_key_secret, sts)
    out["authorization"] = f"OSS {credentials.access_key_id}:{signature}"
    return SignedHeaders(out, "v1", signature, sts, None)


def sign_headers_v4(method: str, bucket: str | None, key: str | None,
                    credentials: Credentials, *, region: str,
                    query: Mapping[str, str] | None = None,
                    headers: Mapping[str, str] | None = None,
                    additional_headers: Iterable[str] = (), now: float | None = None,
                    product: str = PRODUCT) -> SignedHeaders:
    """``Authorization: OSS4-HMAC-SHA256 Credential=...,Signature=...`` (SDK V2 layout)."""
    region = _require_region(region)
    moment = _now(now)
    timestamp = iso8601(moment)
    out = _lower_headers(headers)
    out.pop("authorization", None)
    out.update({"x-oss-date": timestamp, "date": http_date(moment)})
    out.setdefault("x-oss-content-sha256", UNSIGNED_PAYLOAD)
    if credentials.security_token:
        out["x-oss-security-token"] = credentials.security_token
    additional = additional_headers_v4(out, additional_headers)
    scope = scope_v4(timestamp[:8], region, product)
    canonical = canonical_request_v4(method, bucket, key, query, out, additional)
    sts = string_to_sign_v4(timestamp, scope, canonical)
    signature = signature_v4(credentials.access_key_secret, timestamp[:8], region, sts, product)
    auth = f"{V4_ALGORITHM} Credential={credentials.access_key_id}/{scope}"
    if additional:
        auth += f",AdditionalHeaders={';'.join(additional)}"
    out["authorization"] = f"{auth},Signature={signature}"
    return SignedHeaders(out, "v4", signature, sts, canonical)


__all__ = [
    "SignedUrl", "SignedHeaders", "Verified", "CredentialLookup", "V1_SUBRESOURCES",
    "presign", "presign_v1", "presign_v4", "sign_headers_v1", "sign_headers_v4",
    "canonical_resource_v1", "string_to_sign_v1", "signature_v1",
    "canonical_request_v4", "string_to_sign_v4", "signature_v4", "signing_key_v4",
    "scope_v4", "iso8601", "http_date",
]
