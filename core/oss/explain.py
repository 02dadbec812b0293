"""Explain any OSS URL: its parts, whether its signature holds, and why OSS rejects it.

:func:`explain` is pure: the clock (``now``), the credentials, the request's method and
headers and OSS's error XML are all parameters. It returns an :class:`ExplainReport`;
:func:`core.oss.explain_render.render_text` prints it and :meth:`ExplainReport.to_dict`
gives its JSON form.

The two sides compared:

* **server** -- the StringToSign (and V4 CanonicalRequest) OSS verified: from its
  ``SignatureDoesNotMatch`` XML when given, else computed as OSS would for the request
  (the bucket's region when the endpoint names it);
* **ours** -- what the client signed: with credentials, the reading of the request whose
  signature equals the URL's (:func:`core.oss.explain_causes.client_variants`), else the
  URL as it is.

Secrets never enter the report: the AccessKey secret is only used to compute HMACs, and
the STS token is masked wherever it would appear (URL, query, strings).
"""
from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field, replace
from datetime import tzinfo
from typing import Mapping
from urllib.parse import quote

from ..errors import OssError
from .credentials import Credentials, mask
from .explain_causes import (Cause, causes_from_error, classify, client_variants, suspects)
from .explain_strings import (SignedRequest, StringDiff, Strings, diff_all, parse_strings,
                              signature_for, strings_for)
from .explain_url import (TOKEN_PARAMS, UrlAnatomy, format_moment, parse_url, relative,
                          timing_problem)

AUTH_ERROR_CODES = frozenset(("SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId",
                              "RequestTimeTooSkewed"))


# ----------------------------------------------------------------------------- error XML

@dataclass(frozen=True)
class ErrorXml:
    code: str
    message: str
    ec: str
    request_id: str
    fields: dict[str, str]
    string_to_sign: str | None
    canonical_request: str | None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "ec": self.ec,
                "request_id": self.request_id,
                "fields": {k: v for k, v in self.fields.items()
                           if k not in ("StringToSign", "StringToSignBytes",
                                        "CanonicalRequest", "CanonicalRequestBytes")}}


def parse_headers(items) -> dict[str, str]:
    """``NAME:VALUE`` items (``--header``, the viewer's header field) as a header dict."""
    out = {}
    for item in items or ():
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise OssError("InvalidArgument", f"The header {item!r} is not NAME:VALUE.",
                           key="header")
        out[name.strip()] = value.strip()
    return out


def _from_bytes(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return bytes.fromhex(text.replace(" ", "")).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def parse_error_xml(text: str) -> ErrorXml:
    """Read OSS's ``<Error>`` body (or the base64 ``x-oss-err`` header of a HEAD).

    The ``...Bytes`` forms win over the text forms when present: they survive copy and
    paste and XML line-ending normalisation byte for byte.
    """
    text = (text or "").strip()
    if text and not text.startswith("<"):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8").strip()
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise OssError("InvalidArgument", "The error is neither XML nor the base64 "
                           "x-oss-err header.", key="error-xml") from None
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise OssError("InvalidArgument", f"The error XML is not well-formed: {e}.",
                       key="error-xml") from None
    if root.tag.rsplit("}", 1)[-1] != "Error":
        raise OssError("InvalidArgument", "The XML is not an OSS <Error> document.",
                       key="error-xml")
    fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in root}
    sts = _from_bytes(fields.get("StringToSignBytes")) or fields.get("StringToSign")
    canonical = (_from_bytes(fields.get("CanonicalRequestBytes"))
                 or fields.get("CanonicalRequest"))
    return ErrorXml(fields.get("Code", ""), fields.get("Message", ""), fields.get("EC", ""),
                    fields.get("RequestId", ""), fields, sts, canonical)


# ----------------------------------------------------------------------------- report

@dataclass(frozen=True)
class Side:
    source: str                 # where the strings come from, in words
    strings: Strings | None
    confirmed: bool = False     # ours: the credentials reproduce the URL's signature

    def to_dict(self) -> dict:
        return {"source": self.source, "confirmed": self.confirmed,
                "string_to_sign": self.strings.string_to_sign if self.strings else None,
                "canonical_request": self.strings.canonical_request if self.strings else None}


@dataclass(frozen=True)
class ExplainReport:
    url: str                    # the URL, STS token masked
    verdict: str                # valid, invalid, unchecked, unsigned, unparseable
    summary: str
    anatomy: UrlAnatomy
    method: str
    now: float
    times: dict[str, str] = field(default_factory=dict)
    check: dict = field(default_factory=dict)
    error: ErrorXml | None = None
    server: Side | None = None
    ours: Side | None = None
    diffs: tuple[StringDiff, ...] = ()
    causes: tuple[Cause, ...] = ()
    suspects: tuple[Cause, ...] = ()
    notes: tuple[str, ...] = ()
    signed_headers: tuple[str, ...] = ()   # the sent headers the signature covers

    @property
    def valid(self) -> bool:
        return self.verdict == "valid"

    @property
    def exit_status(self) -> int:
        return 1 if self.verdict in ("invalid", "unparseable") else 0

    @property
    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    def to_dict(self) -> dict:
        a = self.anatomy
        token = _token(a)
        return {
            "url": self.url, "verdict": self.verdict, "summary": self.summary,
            "method": self.method,
            "address": asdict(a.address) if a.address else None,
            "key": {"decoded": a.key, "encoded": a.key_encoded},
            "query": [[k, _mask_in(v, token)] for k, v in a.query],
            "process": asdict(a.process) if a.process else None,
            "separators": [asdict(s) for s in a.separators],
            "signature": {**asdict(a.signature),
                          "provided": a.signature.provided},
            "times": self.times, "check": self.check,
            "error": self.error.to_dict() if self.error else None,
            "server": self.server.to_dict() if self.server else None,
            "ours": self.ours.to_dict() if self.ours else None,
            "diffs": [d.to_dict() for d in self.diffs],
            "causes": [c.to_dict() for c in self.causes],
            "suspects": [c.to_dict() for c in self.suspects],
            "problems": [{"code": p.code, "message": p.message, "key": p.key}
                         for p in a.problems],
            "notes": list(self.notes),
            "signed_headers": list(self.signed_headers),
        }


def _token(anatomy: UrlAnatomy) -> str | None:
    params = anatomy.params
    return params.get("x-oss-security-token") or params.get("security-token")


def _mask_in(text: str | None, token: str | None) -> str | None:
    if text is None or not token:
        return text
    for form in (quote(token, safe=""), token):
        text = text.replace(form, mask(token))
    return text


def _masked(strings: Strings | None, token: str | None) -> Strings | None:
    if strings is None:
        return None
    return Strings(_mask_in(strings.string_to_sign, token),
                   _mask_in(strings.canonical_request, token))


# ----------------------------------------------------------------------------- explain

ONE_PER_REPORT = frozenset(("region", "expired", "clock-skew", "sts-token-missing",
                            "token-invalid", "wrong-secret", "method"))


def _dedupe(causes: list[Cause]) -> tuple[Cause, ...]:
    seen, out = set(), []
    for c in causes:
        mark = c.id if c.id in ONE_PER_REPORT else (c.id, c.detail)
        if mark not in seen:
            seen.add(mark)
            out.append(c)
    return tuple(out)


def _times(anatomy: UrlAnatomy, now: float, tz: tzinfo | None) -> dict[str, str]:
    sig, out = anatomy.signature, {}
    if sig.signed_at is not None:
        utc, local = format_moment(sig.signed_at, tz)
        out["signed_at"], out["signed_at_local"] = utc, local
        out["signed_relative"] = relative(sig.signed_at, now)
    if sig.expires_at is not None:
        utc, local = format_moment(sig.expires_at, tz)
        out["expires_at"], out["expires_at_local"] = utc, local
        out["expires_relative"] = relative(sig.expires_at, now)
    return out


def _with_xml_context(anatomy: UrlAnatomy, err: ErrorXml | None, bucket: str | None,
                      region: str | None, url: str) -> UrlAnatomy:
    """Fill a custom domain's bucket, or an IP endpoint's region, from OSS's strings."""
    if err is None or err.string_to_sign is None or anatomy.address is None:
        return anatomy
    version = anatomy.signature.version
    if version not in ("v1", "v4"):
        return anatomy
    parsed = parse_strings(version, Strings(err.string_to_sign, err.canonical_request))
    new_bucket = bucket or (parsed.bucket if anatomy.address.bucket is None else None)
    new_region = region or (parsed.scope_region if anatomy.address.region is None
                            and parsed.scope_region else None)
    if not new_bucket and not new_region:
        return anatomy
    out = parse_url(url, bucket=new_bucket or bucket, region=new_region or region)

    address = out.address
    if address and new_bucket and not bucket and address.bucket_source == "given":
        address = replace(address, bucket_source="error XML")
    if address and new_region and not region and address.region_source == "given":
        address = replace(address, region_source="error XML")
    return replace(out, address=address)


def explain(url: str, *, now: float, method: str = "GET",
            headers: Mapping[str, str] | None = None,
            credentials: Credentials | None = None, error_xml: str | ErrorXml | None = None,
            bucket: str | None = None, region: str | None = None,
            tz: tzinfo | None = None) -> ExplainReport:
    """Explain ``url`` as requested with ``method`` and ``headers`` at time ``now``.

    Raises :class:`OssError` only for an unreadable ``error_xml``; a bad URL gives a
    report with verdict ``unparseable``.
    """
    method = (method or "GET").upper()
    err = parse_error_xml(error_xml) if isinstance(error_xml, str) else error_xml
    anatomy = parse_url(url, bucket=bucket, region=region)
    anatomy = _with_xml_context(anatomy, err, bucket, region, url)
    token = _token(anatomy)
    shown_url = _mask_in(anatomy.url, token) or ""
    if not anatomy.parseable:
        problem = anatomy.problems[0]
        return ExplainReport(shown_url, "unparseable", f"{problem.code}: {problem.message}",
                             anatomy, method, now, error=err)
    sig, address = anatomy.signature, anatomy.address
    causes: list[Cause] = []
    notes: list[str] = []
    times = _times(anatomy, now, tz)
    if err is not None:
        causes += causes_from_error(err.code, err.ec, err.fields, anatomy)
        if err.code and err.code not in AUTH_ERROR_CODES:
            notes.append(f"OSS answered {err.code}: the signature was accepted; "
                         f"{err.message}")
    timing = timing_problem(sig, now)
    if timing and not any(c.id in ("expired", "clock-skew") for c in causes):
        causes.append(Cause("expired" if timing[0] == "expired" else "clock-skew",
                            timing[1]))
    for problem in anatomy.problems:
        if problem.details.get("fatal"):
            causes.append(Cause("malformed", f"{problem.code}: {problem.message}"))
    if sig.version == "none":
        verdict = "invalid" if causes else "unsigned"
        summary = (causes[0].title if causes else "No signature: this URL works only on a "
                   "public-read bucket or through a CNAME that allows it")
        return ExplainReport(shown_url, verdict, summary, anatomy, method, now, times,
                             error=err, causes=_dedupe(causes), notes=tuple(notes))
    if any(c.id == "malformed" for c in causes) or address.bucket is None:
        if address.bucket is None:
            notes.append("The bucket is unknown (custom domain): the signature cannot be "
                         "recomputed. Give --bucket or OSS's error XML.")
        return _finish(shown_url, anatomy, method, now, times, err, causes, notes, None,
                       None, (), {}, token)

    sent_headers = {k.lower(): str(v).strip() for k, v in (headers or {}).items()}
    if sig.version == "v4" and "host" in sig.additional_headers and "host" not in sent_headers:
        sent_headers["host"] = address.host
    for name in sig.additional_headers:
        if name not in sent_headers:
            causes.append(Cause("header-signed-not-sent", f"{name} is listed in "
                                "x-oss-additional-headers but the request does not send it"))
    sent = SignedRequest(sig.version, method, address.bucket, anatomy.key, anatomy.query,
                         tuple(sent_headers.items()))
    server_region = address.region or sig.scope_region
    emulated = strings_for(sent.with_(region=server_region))
    mismatch = err is not None and err.code == "SignatureDoesNotMatch"
    if err is not None and err.string_to_sign:
        server = Side(f"OSS error XML ({err.code})", Strings(err.string_to_sign,
                                                             err.canonical_request))
    else:
        server = Side("computed as OSS would verify the request"
                      + (f" (region {server_region})" if sig.version == "v4" else ""),
                      emulated)
    check: dict = {"credentials": None}
    base = sent.with_(region=None)
    ours = Side("the URL as it is", strings_for(base))
    if credentials is not None:
        check["credentials"] = mask(credentials.access_key_id)
        if credentials.access_key_id != sig.access_key_id:
            notes.append(f"The credentials are for {mask(credentials.access_key_id)}, the URL "
                         f"for {mask(sig.access_key_id)}: the signature was not recomputed.")
        else:
            expected = signature_for(sent.with_(region=server_region), emulated, credentials)
            check["signature_matches"] = expected == sig.provided
            check["expected_prefix"] = expected[:8]
            if not check["signature_matches"]:
                mismatch = True
            for label, variant in client_variants(base, anatomy.key_encoded):
                strings = strings_for(variant)
                if signature_for(variant, strings, credentials) == sig.provided:
                    ours = Side(label + " (reproduces the URL's signature)", strings, True)
                    break
            else:
                ours = Side("the URL as it is (no reading of the request reproduces the "
                            "URL's signature with these credentials)", ours.strings)
            causes += _token_causes(credentials, anatomy, causes)
    if (sig.version == "v4" and address.region and sig.scope_region != address.region
            and not any(c.id == "region" for c in causes)):
        causes.append(Cause("region", f"the URL's credential scope names "
                            f"{sig.scope_region or '(empty)'}, the bucket is in "
                            f"{address.region} (from the {address.region_source})"))
        mismatch = True
    diffs: tuple[StringDiff, ...] = ()
    if mismatch:
        diffs = diff_all(sig.version, server.strings, ours.strings)
        found = classify(sig.version, parse_strings(sig.version, server.strings),
                         parse_strings(sig.version, ours.strings))
        if not found and not any(c.confirmed for c in causes):
            found = [_secret_cause(credentials, ours, err)]
        causes += found
    report = _finish(shown_url, anatomy, method, now, times, err, causes, notes, server, ours,
                     diffs, check, token)
    return replace(report, signed_headers=_signed_headers(sig, sent_headers))


def _signed_headers(sig, headers: dict[str, str]) -> tuple[str, ...]:
    always = ("content-md5", "content-type")
    extra = sig.additional_headers if sig.version == "v4" else ()
    return tuple(sorted(h for h in headers
                        if h in always or h.startswith("x-oss-") or h in extra))


def _token_causes(credentials: Credentials, anatomy: UrlAnatomy,
                  causes: list[Cause]) -> list[Cause]:
    if any(c.id.startswith("sts-") or c.id == "token-invalid" for c in causes):
        return []
    name = TOKEN_PARAMS[anatomy.signature.version]
    given = anatomy.params.get(name)
    if credentials.is_sts and given is None:
        return [Cause("sts-token-missing", f"{mask(credentials.access_key_id)} is a temporary "
                      f"(STS) key but the URL has no {name}")]
    if given is not None and given != credentials.security_token:
        return [Cause("token-invalid", f"{name} in the URL is not the token of these "
                      "credentials")]
    return []


def _secret_cause(credentials: Credentials | None, ours: Side, err: ErrorXml | None) -> Cause:
    if credentials is not None and ours.confirmed and err is not None:
        return Cause("wrong-secret", "OSS computed the same strings, and your secret gives "
                     "the URL's signature: the secret OSS holds for this AccessKeyId is "
                     "another one (rotated or disabled key?)")
    if credentials is not None:
        return Cause("wrong-secret", "the strings are the same, but the URL's signature is "
                     "not what this secret gives: it was signed with another secret")
    return Cause("wrong-secret", "OSS computed exactly the strings the URL implies, so the "
                 "secret differs (or something only the signer knows)", confirmed=False)


def _finish(url: str, anatomy: UrlAnatomy, method: str, now: float, times: dict,
            err: ErrorXml | None, causes: list[Cause], notes: list[str], server: Side | None,
            ours: Side | None, diffs: tuple[StringDiff, ...], check: dict,
            token: str | None) -> ExplainReport:
    causes_t = _dedupe(causes)
    auth_error = err is not None and err.code in AUTH_ERROR_CODES
    hints: tuple[Cause, ...] = ()
    if causes_t or auth_error or check.get("signature_matches") is False:
        verdict = "invalid"
        if not any(c.confirmed for c in causes_t):
            hints = tuple(s for s in suspects(anatomy, method)
                          if s.id not in {c.id for c in causes_t})
        first = next((c for c in causes_t if c.confirmed), causes_t[0] if causes_t else None)
        summary = first.title if first else (f"OSS says {err.code}" if err else "Invalid")
    elif check.get("signature_matches"):
        verdict = "valid"
        left = times.get("expires_relative", "")
        summary = (f"Signature {anatomy.signature.version.upper()} checked with "
                   f"{check['credentials']}; expires {left}")
    else:
        verdict = "unchecked"
        summary = ("Nothing wrong found; the signature was not recomputed (no credentials "
                   "for this AccessKeyId)")
    return ExplainReport(url, verdict, summary, anatomy, method, now, times, check, err,
                         _side_masked(server, token), _side_masked(ours, token),
                         _diffs_masked(diffs, token, anatomy, server, ours),
                         causes_t, hints, tuple(notes))


def _side_masked(side: Side | None, token: str | None) -> Side | None:
    if side is None or not token:
        return side
    return Side(side.source, _masked(side.strings, token), side.confirmed)


def _diffs_masked(diffs, token, anatomy, server, ours):
    if not diffs or not token:
        return diffs
    return diff_all(anatomy.signature.version, _masked(server.strings, token),
                    _masked(ours.strings, token))


# ----------------------------------------------------------------------------- loading

def load_target(report: ExplainReport, credentials: Credentials | None = None, *,
                now: float, expires: int = 900) -> tuple[str | None, str | None, str]:
    """(URL of the original object or None, x-oss-process or None, note) for a viewer
    that wants the URL's object and cascade apart.

    An unsigned URL just loses its x-oss-process. A signed one without a process is the
    object already. A signed one with a process cannot be stripped (the signature covers
    x-oss-process), so it is signed again for the bare object when the credentials are
    for its AccessKeyId; otherwise only the cascade can be loaded.
    """
    from .signing import presign
    from .urls import AddressStyle, BucketAddress
    from .explain_url import SIGNATURE_PARAMS

    a = report.anatomy
    if a.address is None or not a.key:
        return None, None, "This URL names no object."
    process = a.process.value if a.process else None
    sig = a.signature
    if sig.version == "none":
        base, _, _ = a.url.partition("?")
        rest = [f"{k}={v}" for k, v in a.raw_query if k != "x-oss-process"]
        return base + ("?" + "&".join(rest) if rest else ""), process, ""
    if process is None:
        return a.url, None, ""
    if (credentials is None or credentials.access_key_id != sig.access_key_id
            or not a.address.bucket):
        return None, process, ("The signature covers x-oss-process, so the original object "
                               "needs credentials for this AccessKeyId: only the cascade "
                               "is loaded.")
    ad = a.address
    style = {"virtual-hosted": AddressStyle.VIRTUAL, "cname": AddressStyle.CNAME}.get(
        ad.style, AddressStyle.PATH)
    address = BucketAddress(ad.bucket, ad.endpoint or ad.host, ad.scheme, style,
                            ad.host if style is AddressStyle.CNAME else None)
    params = {k: v for k, v in a.query if k not in SIGNATURE_PARAMS
              and k not in ("x-oss-process", "security-token", "x-oss-security-token")}
    kwargs = {"region": sig.scope_region} if sig.version == "v4" else {}
    signed = presign(address, a.key, credentials, version=sig.version, params=params,
                     expires=expires, now=now, **kwargs)
    return signed.url, process, "The original object is fetched with a new signature."


__all__ = ["explain", "ExplainReport", "ErrorXml", "Side", "parse_error_xml", "parse_headers",
           "load_target"]
