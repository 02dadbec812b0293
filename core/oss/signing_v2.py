"""OSS signature version 2 (``OSS2``, HMAC-SHA256): the string to sign and its verification.

The older of OSS's two SHA-256 schemes, still signed by oss2's ``AuthV2``/``ProviderAuthV2``
(the oracle for every byte here, compared in ``tests/test_signing_v2.py``). It differs
from V1 in three ways: HMAC-SHA256 instead of SHA1, *every* query parameter is signed (not
only the sub-resources), and the resource is percent-encoded whole (``/`` too). Headers
other than ``x-oss-*`` may be signed by naming them in ``AdditionalHeaders``.

Header form::

    Authorization: OSS2 AccessKeyId:<id>,AdditionalHeaders:<h1;h2>,Signature:<b64>

URL form: ``x-oss-signature-version=OSS2&x-oss-expires=<unix>&x-oss-access-key-id=<id>
[&x-oss-additional-headers=<h1;h2>]&x-oss-signature=<b64>``; every parameter but
``x-oss-signature`` is part of the canonical query, and the expiry stands where the
header form has its Date.

String to sign::

    VERB \\n Content-MD5 \\n Content-Type \\n Date-or-Expires \\n
    <x-oss-* and additional headers, lower-case, sorted, "name:value\\n" each>
    <additional header names, sorted, ";"-joined> \\n
    <uri_encode("/bucket/key")>[?<encoded name[=encoded value]>&... sorted]
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Mapping

from ..errors import OssError
from .verify_checks import (_MISMATCH_MESSAGE, CredentialLookup, Verified, _absent,
                            _check_header_date, _check_token, _compare, _denied,
                            _header_token, _lookup, _lower_headers, _request_date,
                            check_url_expiry,
                            string_to_sign_bytes)

V2_ALGORITHM = "OSS2"
V2_URL_PARAMS = ("x-oss-signature-version", "x-oss-expires", "x-oss-access-key-id",
                 "x-oss-additional-headers", "x-oss-signature")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~.")


def uri_encode_v2(text: str) -> str:
    """Percent-encode every UTF-8 byte but ``A-Z a-z 0-9 _ - ~ .`` (upper-case hex)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def canonical_resource_v2(bucket: str | None, key: str | None,
                          query: Mapping[str, str] | None) -> str:
    """``uri_encode("/bucket/key")`` and every query parameter, encoded, sorted by name."""
    resource = uri_encode_v2(f"/{bucket}/{key or ''}" if bucket else "/")
    encoded = sorted((uri_encode_v2(k), uri_encode_v2(v)) for k, v in (query or {}).items())
    if encoded:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in encoded)
    return resource


def canonical_headers_v2(headers: Mapping[str, str], additional: list[str]) -> str:
    """``name:value\\n`` for every ``x-oss-*`` header and every additional one, sorted."""
    lowered = _lower_headers(headers)
    wanted = set(additional)
    return "".join(f"{k}:{lowered[k]}\n" for k in sorted(lowered)
                   if k.startswith("x-oss-") or k in wanted)


def string_to_sign_v2(method: str, bucket: str | None, key: str | None,
                      query: Mapping[str, str] | None, headers: Mapping[str, str] | None,
                      date: str, additional: list[str] | None = None) -> str:
    """The OSS2 string to sign; ``additional`` holds lower-case header names that the
    request carries (others are left out, as oss2 leaves them out when signing)."""
    lowered = _lower_headers(headers)
    names = sorted({h.lower() for h in additional or ()} & set(lowered))
    return ("\n".join([method.upper(), lowered.get("content-md5", ""),
                       lowered.get("content-type", ""), date, ""])
            + canonical_headers_v2(lowered, names) + ";".join(names) + "\n"
            + canonical_resource_v2(bucket, key, query))


def signature_v2(secret: str, string_to_sign: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _additional(text: str) -> list[str]:
    return [h.strip().lower() for h in text.split(";") if h.strip()]


def _mismatch_v2(access_key_id: str, provided: str, sts: str) -> OssError:
    return OssError("SignatureDoesNotMatch", _MISMATCH_MESSAGE, status=403,
                    details={"OSSAccessKeyId": access_key_id, "SignatureProvided": provided,
                             "StringToSign": sts,
                             "StringToSignBytes": string_to_sign_bytes(sts)})


# The EC pages 0002-00000102..110, each with its example: fewer than two key:value pairs
# ("AccessKeyId:44**07,") 102, a pair without ':' 103, a key other than the three 104,
# AccessKeyId absent 105 / empty 106, Signature absent 108 / empty 109, AdditionalHeaders
# empty 110.
_V2_KEYS = ("AccessKeyId", "AdditionalHeaders", "Signature")


def _strict_fields_v2(auth: str) -> dict[str, str]:
    items = [i.strip() for i in auth[len(V2_ALGORITHM):].split(",")]
    fields: dict[str, str] = {}
    for item in filter(None, items):
        name, colon, value = item.partition(":")
        if not colon:
            raise _denied(f"The OSS2 Authorization pair {item!r} has no ':'.", "0002-00000103")
        if name.strip() not in _V2_KEYS:
            raise _denied(f"The OSS2 Authorization has an unknown key {name.strip()!r}.",
                          "0002-00000104")
        fields[name.strip()] = value.strip()
    if len(fields) < 2:
        raise _denied("The OSS2 Authorization header needs AccessKeyId and Signature.",
                      "0002-00000102")
    for name, absent, empty in (("AccessKeyId", "0002-00000105", "0002-00000106"),
                                ("Signature", "0002-00000108", "0002-00000109")):
        if name not in fields:
            raise _absent(f"{name} in the OSS2 Authorization", absent)
        if not fields[name]:
            raise _denied(f"The {name} in the OSS2 Authorization is empty.", empty)
    if "AdditionalHeaders" in fields and not fields["AdditionalHeaders"]:
        raise _denied("The AdditionalHeaders in the OSS2 Authorization is empty.",
                      "0002-00000110")
    return fields


def verify_header_v2(method: str, bucket: str | None, key: str | None,
                     query: Mapping[str, str], headers: Mapping[str, str],
                     lookup: CredentialLookup, *, now: float) -> Verified:
    """Check ``Authorization: OSS2 AccessKeyId:..,Signature:..`` and the request date
    (``x-oss-date`` when given, else ``Date``; 15 minutes either way, as V1)."""
    headers = _lower_headers(headers)
    fields = _strict_fields_v2(headers.get("authorization", ""))
    access_key_id, provided = fields["AccessKeyId"], fields["Signature"]
    _check_header_date(_request_date(headers), now)
    creds = _lookup(lookup, access_key_id)
    _check_token(creds, _header_token(headers, query))
    sts = string_to_sign_v2(method, bucket, key, query, headers, headers.get("date", ""),
                            _additional(fields.get("AdditionalHeaders", "")))
    if not _compare(signature_v2(creds.access_key_secret, sts), provided):
        raise _mismatch_v2(access_key_id, provided, sts)
    return Verified(access_key_id, "v2", "header", creds.security_token)


def verify_presigned_v2(method: str, bucket: str | None, key: str | None,
                        query: Mapping[str, str], headers: Mapping[str, str],
                        lookup: CredentialLookup, *, now: float) -> Verified:
    """Check an OSS2 presigned URL (``x-oss-signature-version=OSS2``)."""
    headers = _lower_headers(headers)
    access_key_id = query.get("x-oss-access-key-id", "")
    provided = query.get("x-oss-signature", "")
    expires = query.get("x-oss-expires", "")
    check_url_expiry(expires, now, "x-oss-expires")
    creds = _lookup(lookup, access_key_id)
    _check_token(creds, query.get("security-token"))
    signed = {k: v for k, v in query.items() if k != "x-oss-signature"}
    sts = string_to_sign_v2(method, bucket, key, signed, headers, expires,
                            _additional(query.get("x-oss-additional-headers", "")))
    if not _compare(signature_v2(creds.access_key_secret, sts), provided):
        raise _mismatch_v2(access_key_id, provided, sts)
    return Verified(access_key_id, "v2", "query", creds.security_token)


def is_v2_request(query: Mapping[str, str], lowered_headers: Mapping[str, str]) -> str | None:
    """"header" or "query" when the request carries an OSS2 signature, else None."""
    if lowered_headers.get("authorization", "").startswith(V2_ALGORITHM + " "):
        return "header"
    if query.get("x-oss-signature-version") == V2_ALGORITHM:
        return "query"
    return None


__all__ = ["uri_encode_v2", "canonical_resource_v2", "canonical_headers_v2",
           "string_to_sign_v2", "signature_v2",
           "verify_header_v2", "verify_presigned_v2", "is_v2_request"]
