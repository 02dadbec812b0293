"""Take any OSS URL apart: address style, bucket, key, region, x-oss-process, signature.

Pure and clock-free: the caller passes ``now`` (Unix seconds) for anything relative to
the present. This module only reads the URL; :mod:`core.oss.explain` recomputes and
compares signatures. Everything is decoded the way OSS (and ``oss-img serve``) reads it:
the path is percent-decoded once (``+`` stays a plus), the query by
:func:`core.oss.urls.parse_query`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from urllib.parse import unquote_to_bytes, urlsplit

from ..errors import OssError
from .signing import (CLOCK_SKEW, V1_SUBRESOURCES, V1_URL_PARAMS, V4_ALGORITHM,
                      V4_TERMINATOR, V4_URL_PARAMS)
from .urls import (PROCESS_PARAM, SEPARATORS, is_ip_or_localhost, parse_query,
                   region_from_endpoint)

# <bucket>.<endpoint>: the public/internal endpoints, the dual-stack form, acceleration,
# and ``<bucket>.localhost`` (``oss-img serve``'s virtual-hosted form).
_BUCKET_LABEL = r"(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])"
_ENDPOINT = (r"(?P<endpoint>oss-[a-z0-9-]+\.aliyuncs\.com|[a-z]{2}-[a-z0-9-]+\.oss\.aliyuncs\.com"
             r"|localhost)")
_VIRTUAL_RE = re.compile(_BUCKET_LABEL + r"\." + _ENDPOINT + r"\Z")
_PATH_RE = re.compile(_ENDPOINT + r"\Z")
TOKEN_PARAMS = {"v1": "security-token", "v4": "x-oss-security-token"}


@dataclass(frozen=True)
class Address:
    style: str                  # "virtual-hosted", "path", "cname", "ip"
    scheme: str
    host: str                   # as written, port included
    endpoint: str | None        # the OSS endpoint (None for a custom domain)
    bucket: str | None
    bucket_source: str          # "host", "path", "given", "error XML", "unknown"
    region: str | None          # the bucket's region, when something says so
    region_source: str          # "endpoint", "given", "error XML", "unknown"


@dataclass(frozen=True)
class ProcessInfo:
    raw: str                    # as written in the URL (still encoded)
    value: str                  # decoded
    kind: str                   # "image", "style" or "other"
    canonical: str | None       # core's canonical form, None when it does not parse
    steps: tuple[str, ...] = ()
    style: str | None = None
    error: dict | None = None   # code, message, ec, step, action, key, span
    unencoded: tuple[str, ...] = ()  # characters written raw that a signer encodes


@dataclass(frozen=True)
class SeparatorCandidate:
    separator: str
    key: str
    style: str


@dataclass(frozen=True)
class SignatureInfo:
    version: str                # "v1", "v4" or "none"
    access_key_id: str = ""
    provided: str = ""
    credential: str = ""        # V4 x-oss-credential as written (decoded)
    scope: str = ""             # V4 <date>/<region>/<product>/aliyun_v4_request
    scope_date: str = ""
    scope_region: str = ""
    product: str = ""
    signed_at: int | None = None   # V4 x-oss-date as Unix seconds
    date_text: str = ""            # V4 x-oss-date / V1 Expires as written
    expires_at: int | None = None  # absolute expiry, Unix seconds
    expires_param: str = ""        # V1 Expires / V4 x-oss-expires as written
    additional_headers: tuple[str, ...] = ()
    signed_params: tuple[str, ...] = ()  # query names covered by the signature
    sts_token: bool = False


@dataclass(frozen=True)
class UrlAnatomy:
    url: str
    address: Address | None
    key: str | None                 # decoded
    key_encoded: str | None         # as written in the path
    query: tuple[tuple[str, str], ...]        # decoded, in URL order (last value wins)
    raw_query: tuple[tuple[str, str], ...]    # as written
    process: ProcessInfo | None
    separators: tuple[SeparatorCandidate, ...]
    signature: SignatureInfo
    problems: tuple[OssError, ...] = field(default=())

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def parseable(self) -> bool:
        return self.address is not None


def _fatal(code: str, message: str, key: str | None = None) -> OssError:
    return OssError(code, message, key=key, details={"fatal": True})


def _decode_path(text: str) -> str:
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise _fatal("InvalidURI", "The URL path is not valid UTF-8 once decoded.",
                     "key") from None


def _address(parts, path: str, bucket_hint: str | None, region_hint: str | None
             ) -> tuple[Address, str]:
    """The address and the encoded key part of ``path``."""
    netloc = parts.netloc
    host = (parts.hostname or "").lower()
    given_region = region_hint.strip() if region_hint and region_hint.strip() else None

    def region_of(endpoint: str | None) -> tuple[str | None, str]:
        derived = region_from_endpoint(endpoint) if endpoint else None
        if derived:
            return derived, "endpoint"
        return (given_region, "given") if given_region else (None, "unknown")

    virtual = _VIRTUAL_RE.match(host)
    if virtual:
        endpoint = virtual["endpoint"] + (f":{parts.port}" if parts.port else "")
        region, source = region_of(endpoint)
        return Address("virtual-hosted", parts.scheme, netloc, endpoint, virtual["bucket"],
                       "host", region, source), path[1:]
    if is_ip_or_localhost(netloc) or _PATH_RE.match(host):
        style = "path" if _PATH_RE.match(host) and host != "localhost" else "ip"
        first, slash, rest = path[1:].partition("/")
        bucket = _decode_path(first) if first else None
        region, source = region_of(netloc)
        return Address(style, parts.scheme, netloc, netloc, bucket,
                       "path" if bucket else "unknown", region, source), \
            (rest if slash else "")
    bucket = bucket_hint.strip() if bucket_hint and bucket_hint.strip() else None
    region, source = region_of(None)
    return Address("cname", parts.scheme, netloc, None, bucket,
                   "given" if bucket else "unknown", region, source), path[1:]


def _raw_pairs(raw: str) -> tuple[tuple[str, str], ...]:
    out = []
    for pair in raw.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            out.append((name, value))
    return tuple(out)


def describe_process(raw: str, value: str) -> ProcessInfo:
    """Decode an x-oss-process value into steps, with core's canonical form or its error."""
    from ..cascade import parse

    unencoded = tuple(sorted({c for c in raw if c in "/,+= &#"}))
    kind = value.partition("/")[0] if "/" in value else "other"
    kind = kind if kind in ("image", "style") else "other"
    try:
        cascade = parse(value)
    except OssError as e:
        return ProcessInfo(raw, value, kind, None, error={
            "code": e.code, "message": e.message, "ec": e.ec, "step": e.step,
            "action": e.action, "key": e.key, "span": list(e.span) if e.span else None},
            unencoded=unencoded)
    return ProcessInfo(raw, value, kind, cascade.to_string(),
                       tuple(op.to_string() for op in cascade.steps), cascade.style,
                       unencoded=unencoded)


def _separators(key: str | None) -> tuple[SeparatorCandidate, ...]:
    """Ways to read ``<key><sep><style>`` when the bucket has custom separators enabled."""
    from ..cascade import STYLE_NAME_RE

    if not key:
        return ()
    out = []
    for sep in SEPARATORS:
        at = key.rfind(sep)
        if at <= 0:
            continue
        base, style = key[:at], key[at + 1:]
        last = base.rsplit("/", 1)[-1]
        if "." in last and STYLE_NAME_RE.match(style):
            out.append(SeparatorCandidate(sep, base, style))
    return tuple(out)


def _iso_to_unix(text: str) -> int | None:
    try:
        return int(datetime.strptime(text, "%Y%m%dT%H%M%SZ")
                   .replace(tzinfo=timezone.utc).timestamp())
    except (TypeError, ValueError):
        return None


def _signature(params: dict[str, str], problems: list[OssError]) -> SignatureInfo:
    if "x-oss-signature" in params or "x-oss-credential" in params:
        cred = params.get("x-oss-credential", "")
        parts = cred.split("/")
        if len(parts) != 5 or parts[4] != V4_TERMINATOR or not re.fullmatch(r"\d{8}", parts[1]):
            problems.append(_fatal("AccessDenied", f"The credential {cred!r} is malformed: "
                                   "expected <AccessKeyId>/<yyyymmdd>/<region>/oss/"
                                   "aliyun_v4_request.", "x-oss-credential"))
            parts = (parts + [""] * 5)[:5]
        if params.get("x-oss-signature-version") != V4_ALGORITHM:
            problems.append(_fatal("AccessDenied", "x-oss-signature-version must be "
                                   "OSS4-HMAC-SHA256.", "x-oss-signature-version"))
        date_text = params.get("x-oss-date", "")
        signed_at = _iso_to_unix(date_text)
        if signed_at is None:
            problems.append(_fatal("AccessDenied", f"x-oss-date {date_text!r} is not a "
                                   "yyyymmddTHHMMSSZ time.", "x-oss-date"))
        elif parts[1] and date_text[:8] != parts[1]:
            problems.append(_fatal("AccessDenied", "x-oss-date is not on the credential's "
                                   "date.", "x-oss-date"))
        expires = params.get("x-oss-expires", "")
        expires_at = None
        if expires.isdigit() and signed_at is not None:
            expires_at = signed_at + int(expires)
        else:
            problems.append(_fatal("AccessDenied", f"x-oss-expires {expires!r} must be a "
                                   "number of seconds (1..604800).", "x-oss-expires"))
        additional = tuple(h for h in params.get("x-oss-additional-headers", "").split(";")
                           if h)
        return SignatureInfo(
            "v4", parts[0], params.get("x-oss-signature", ""), cred, "/".join(parts[1:]),
            parts[1], parts[2], parts[3], signed_at, date_text, expires_at, expires,
            additional, tuple(k for k in params if k != "x-oss-signature"),
            "x-oss-security-token" in params)
    if "Signature" in params or "OSSAccessKeyId" in params:
        expires = params.get("Expires", "")
        if not expires.isdigit():
            problems.append(_fatal("AccessDenied", "Invalid argument: Expires must be a Unix "
                                   "time in seconds.", "Expires"))
        signed = tuple(sorted(k for k in params if k in V1_SUBRESOURCES))
        return SignatureInfo(
            "v1", params.get("OSSAccessKeyId", ""), params.get("Signature", ""),
            date_text=expires, expires_at=int(expires) if expires.isdigit() else None,
            expires_param=expires, signed_params=signed,
            sts_token="security-token" in params)
    return SignatureInfo("none")


def parse_url(url: str, *, bucket: str | None = None, region: str | None = None
              ) -> UrlAnatomy:
    """Every part of ``url`` that matters to OSS. Never raises: problems are collected."""
    url = (url or "").strip()
    problems: list[OssError] = []
    empty = UrlAnatomy(url, None, None, None, (), (), None, (), SignatureInfo("none"))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as e:
        return _with(empty, _fatal("InvalidURI", f"The URL cannot be parsed: {e}."))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _with(empty, _fatal("InvalidURI", "Not an http(s) URL with a host: "
                                   "expected e.g. https://bucket.oss-cn-hangzhou."
                                   "aliyuncs.com/key."))
    try:
        address, key_encoded = _address(parts, parts.path or "/", bucket, region)
        key = _decode_path(key_encoded) if key_encoded else None
    except OssError as e:
        return _with(empty, e)
    raw_query = _raw_pairs(parts.query)
    query = tuple(parse_query(parts.query).items())
    params = dict(query)
    process = None
    if PROCESS_PARAM in params:
        raw = dict(raw_query).get(PROCESS_PARAM, "")
        process = describe_process(raw, params[PROCESS_PARAM])
    signature = _signature(params, problems)
    if address.bucket is None:
        problems.append(OssError("Warning", "The bucket is not in the URL (custom domain): "
                                 "give it (--bucket) or an error XML to check the signature.",
                                 key="bucket"))
    return UrlAnatomy(url, address, key, key_encoded or None, query, raw_query, process,
                      _separators(key) if process is None else (), signature,
                      tuple(problems))


def _with(anatomy: UrlAnatomy, problem: OssError) -> UrlAnatomy:
    return UrlAnatomy(anatomy.url, None, None, None, (), (), None, (), anatomy.signature,
                      (problem,))


# ----------------------------------------------------------------------------- time

def human_duration(seconds: float) -> str:
    """``3 h 2 min``, ``59 min 40 s``, ``12 s``: the largest unit and the next one."""
    seconds = int(abs(seconds))
    units = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
    for i, (name, size) in enumerate(units):
        if seconds >= size or name == "s":
            text = f"{seconds // size} {name}"
            if i + 1 < len(units):
                sub_name, sub_size = units[i + 1]
                rest = seconds % size // sub_size
                if rest:
                    text += f" {rest} {sub_name}"
            return text
    return "0 s"


def relative(moment: int, now: float) -> str:
    delta = moment - now
    if abs(delta) < 1:
        return "now"
    return f"in {human_duration(delta)}" if delta > 0 else f"{human_duration(delta)} ago"


def format_moment(moment: int, tz: tzinfo | None = None) -> tuple[str, str]:
    """(UTC text, local text) for a Unix time; ``tz`` defaults to the machine's zone."""
    utc = datetime.fromtimestamp(moment, timezone.utc)
    local = utc.astimezone(tz) if tz is not None else utc.astimezone()
    return (utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
            local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or ""))


def timing_problem(sig: SignatureInfo, now: float) -> tuple[str, str] | None:
    """("expired" | "not-yet-valid", detail) relative to ``now``, or None."""
    if sig.expires_at is not None and now > sig.expires_at:
        return "expired", f"expired {human_duration(now - sig.expires_at)} before now"
    if sig.version == "v4" and sig.signed_at is not None and now < sig.signed_at - CLOCK_SKEW:
        return "not-yet-valid", (f"x-oss-date is {human_duration(sig.signed_at - now)} "
                                 "after now (OSS allows 15 min)")
    return None


SIGNATURE_PARAMS = frozenset((*V1_URL_PARAMS, *V4_URL_PARAMS))

__all__ = ["Address", "ProcessInfo", "SeparatorCandidate", "SignatureInfo", "UrlAnatomy",
           "parse_url", "describe_process", "human_duration", "relative", "format_moment",
           "timing_problem", "SIGNATURE_PARAMS", "TOKEN_PARAMS"]
