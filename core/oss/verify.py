"""Verifying OSS request signatures (V1, V4; V2 in :mod:`core.oss.signing_v2`): what
``oss-img serve`` checks, and what the troubleshooter and the tests use as the server's
view. Signing itself (presigned URLs, Authorization headers) is :mod:`core.oss.signing`;
the checks every version shares are :mod:`core.oss.verify_checks`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from . import signing_v2
from .credentials import Credentials
from .signing import (V1_URL_PARAMS, V4_ALGORITHM, V4_MAX_EXPIRES, V4_TERMINATOR,
                      canonical_request_v4, scope_v4, signature_v1, signature_v4,
                      string_to_sign_v1, string_to_sign_v4)
from .verify_checks import (
    CLOCK_SKEW, EC_BAD_DATE, EC_URL_BAD_EXPIRES, EC_URL_EXPIRED,
    EC_V4_BAD_CREDENTIAL_HEADER, EC_V4_BAD_CREDENTIAL_QUERY, EC_V4_BAD_DATE_HEADER,
    EC_V4_BAD_DATE_QUERY, EC_V4_NOT_YET_VALID, EC_WRONG_DATE_FORM,
    CredentialLookup, Verified, _check_header_date, check_url_expiry, _check_token, _compare, _denied,
    _header_token, _is_ascii_number, _iso_stamp, _lookup, _lower_headers, _mismatch,
    _absent, _parse_date, _request_date, _server_time)

# Fine-grained codes from OSS's error-code pages (help.aliyun.com .../oss/user-guide/<EC>)
EC_AUTH_MALFORMED = "0002-00000061"            # Authorization starts with neither OSS nor AWS
EC_V1_AUTH_NO_COLON = "0002-00000062"          # "OSS <id><signature>": no ':'
EC_V1_AUTH_NO_ACCESS_KEY_ID = "0002-00000063"  # "OSS :<signature>"
EC_V1_AUTH_NO_SIGNATURE = "0002-00000065"      # "OSS <id>:"
EC_BAD_VERSION = "0002-00000066"               # x-oss-signature-version not a known version
EC_V1_URL_NO_EXPIRES = "0002-00000067"
EC_V1_URL_EMPTY_EXPIRES = "0002-00000068"
EC_V1_URL_NO_ACCESS_KEY_ID = "0002-00000071"
EC_V4_AUTH_INCOMPLETE = "0002-00000202"        # V4 Authorization without Credential/Signature
_V4_URL_REQUIRED = (("x-oss-credential", "0002-00000217"), ("x-oss-expires", "0002-00000215"),
                    ("x-oss-signature", "0002-00000219"))

__all__ = ["verify_request", "verify_presigned_v1", "verify_presigned_v4",
           "verify_header_v1", "verify_header_v4", "Verified", "CredentialLookup"]


def verify_presigned_v1(method: str, bucket: str | None, key: str | None,
                        query: Mapping[str, str], headers: Mapping[str, str],
                        lookup: CredentialLookup, *, now: float) -> Verified:
    """Check a V1 presigned URL (``OSSAccessKeyId``, ``Expires``, ``Signature``)."""
    headers = _lower_headers(headers)
    access_key_id = query.get("OSSAccessKeyId", "")
    provided = query.get("Signature", "")
    # The EC pages: 0002-00000071 no OSSAccessKeyId, 0002-00000067 no Expires, 0002-00000068
    # an empty one.
    if not access_key_id:
        raise _absent("OSSAccessKeyId", EC_V1_URL_NO_ACCESS_KEY_ID)
    if "Expires" not in query:
        raise _absent("Expires", EC_V1_URL_NO_EXPIRES)
    expires = query["Expires"]
    if not expires:
        raise _absent("value for Expires", EC_V1_URL_EMPTY_EXPIRES)
    check_url_expiry(expires, now, "Expires")
    creds = _lookup(lookup, access_key_id)
    _check_token(creds, query.get("security-token"))
    signed = {k: v for k, v in query.items() if k not in V1_URL_PARAMS}
    sts = string_to_sign_v1(method, bucket, key, signed, headers, expires)
    if not _compare(signature_v1(creds.access_key_secret, sts), provided):
        raise _mismatch("v1", access_key_id, provided, sts)
    return Verified(access_key_id, "v1", "query", creds.security_token)


def verify_header_v1(method: str, bucket: str | None, key: str | None,
                     query: Mapping[str, str], headers: Mapping[str, str],
                     lookup: CredentialLookup, *, now: float) -> Verified:
    """Check ``Authorization: OSS <id>:<signature>`` and the request date."""
    headers = _lower_headers(headers)
    auth = headers.get("authorization", "")
    if not auth.startswith("OSS "):
        raise _denied("The Authorization header is malformed.", EC_AUTH_MALFORMED)
    # The EC pages: 0002-00000062 no ':', 0002-00000063 no AccessKeyId, 0002-00000065 no
    # signature after the ':'.
    access_key_id, colon, provided = auth[len("OSS "):].partition(":")
    access_key_id, provided = access_key_id.strip(), provided.strip()
    if not colon:
        raise _absent("':' between AccessKeyId and signature in Authorization",
                      EC_V1_AUTH_NO_COLON)
    if not access_key_id:
        raise _absent("AccessKeyId in Authorization", EC_V1_AUTH_NO_ACCESS_KEY_ID)
    if not provided:
        raise _absent("signature in Authorization", EC_V1_AUTH_NO_SIGNATURE)
    date = _request_date(headers)
    _check_header_date(date, now)
    creds = _lookup(lookup, access_key_id)
    _check_token(creds, _header_token(headers, query))
    sts = string_to_sign_v1(method, bucket, key, query, headers, date or "")
    if not _compare(signature_v1(creds.access_key_secret, sts), provided):
        raise _mismatch("v1", access_key_id, provided, sts)
    return Verified(access_key_id, "v1", "header", creds.security_token)


@dataclass(frozen=True)
class _V4Credential:
    access_key_id: str
    date: str
    region: str
    product: str


def _parse_credential_v4(text: str, ec: str, date_ec: str) -> _V4Credential:
    parts = text.split("/")
    if len(parts) != 5 or parts[4] != V4_TERMINATOR or not parts[0] or not parts[3]:
        raise _denied(f"The credential {text!r} is malformed: expected "
                      "<AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.", ec)
    if not re.fullmatch(r"\d{8}", parts[1]):
        raise _denied(f"The signing date {parts[1]!r} in the credential is not yyyymmdd.",
                      date_ec)
    if not parts[2]:
        # OSS's own words (oss2's test_sign_v4_no_region asserts them)
        raise _denied("The signing region in credential is invalid.", ec,
                      Hint="V4 signatures name a region, e.g. cn-hangzhou.")
    return _V4Credential(*parts[:4])


def _check_region(cred: _V4Credential, region: str | None, ec: str) -> str:
    """The region to verify with: the server's when it knows it, else the credential's."""
    if region is not None and not region.strip():
        raise _denied("The server has an empty region; refusing to verify V4.", ec)
    return region.strip() if region else cred.region


def verify_presigned_v4(method: str, bucket: str | None, key: str | None,
                        query: Mapping[str, str], headers: Mapping[str, str],
                        lookup: CredentialLookup, *, now: float, region: str | None = None
                        ) -> Verified:
    """Check a V4 presigned URL: credential, x-oss-date + x-oss-expires, token, signature.

    ``region`` is the server's region; when None the credential's region is used (still
    never an empty one). The StringToSign in a mismatch is computed with the server's view.
    """
    headers = _lower_headers(headers)
    ec = EC_V4_BAD_CREDENTIAL_QUERY
    if query.get("x-oss-signature-version") != V4_ALGORITHM:
        raise _denied("x-oss-signature-version must be OSS4-HMAC-SHA256.", EC_BAD_VERSION)
    for name, missing_ec in _V4_URL_REQUIRED:
        if name not in query:
            raise _absent(name, missing_ec)
    cred = _parse_credential_v4(query["x-oss-credential"], ec, EC_V4_BAD_DATE_QUERY)
    region = _check_region(cred, region, ec)
    timestamp = query.get("x-oss-date", "")
    signed_at = _iso_stamp(timestamp)
    if signed_at is None or timestamp[:8] != cred.date:
        raise _denied(f"x-oss-date {timestamp!r} is not a yyyymmddTHHMMSSZ time on the "
                      "credential's date.", EC_BAD_DATE)
    expires = query["x-oss-expires"]
    if not _is_ascii_number(expires) or not 1 <= int(expires) <= V4_MAX_EXPIRES:
        raise _denied(f"x-oss-expires must be 1..{V4_MAX_EXPIRES} seconds.",
                      EC_URL_BAD_EXPIRES)
    start = signed_at.timestamp()
    if now < start - CLOCK_SKEW:
        raise _denied("The request is earlier than x-oss-date minus 15 minutes.",
                      EC_V4_NOT_YET_VALID, ServerTime=_server_time(now))
    if now > start + int(expires):
        raise _denied("Request has expired.", EC_URL_EXPIRED,
                      Expires=_server_time(start + int(expires)), ServerTime=_server_time(now))
    creds = _lookup(lookup, cred.access_key_id)
    _check_token(creds, query.get("x-oss-security-token"))
    additional = [h for h in query.get("x-oss-additional-headers", "").split(";") if h]
    provided = query["x-oss-signature"]
    return _finish_v4(method, bucket, key, query, headers, additional, creds, cred, region,
                      timestamp, provided, "query")


def _finish_v4(method: str, bucket: str | None, key: str | None, query: Mapping[str, str],
               headers: Mapping[str, str], additional: list[str], creds: Credentials,
               cred: _V4Credential, region: str, timestamp: str, provided: str,
               via: str) -> Verified:
    scope = scope_v4(cred.date, region, cred.product)
    canonical = canonical_request_v4(method, bucket, key, query, headers, additional)
    sts = string_to_sign_v4(timestamp, scope, canonical)
    expected = signature_v4(creds.access_key_secret, cred.date, region, sts, cred.product)
    if not _compare(expected, provided):
        raise _mismatch("v4", cred.access_key_id, provided, sts, canonical)
    return Verified(cred.access_key_id, "v4", via, creds.security_token)


def _parse_authorization_v4(auth: str) -> dict[str, str]:
    # oss2 separates the fields with ", ", alibabacloud-oss-v2 with ","; accept both.
    fields = {}
    for item in auth[len(V4_ALGORITHM):].split(","):
        name, _, value = item.strip().partition("=")
        if name:
            fields[name] = value.strip()
    return fields


def verify_header_v4(method: str, bucket: str | None, key: str | None,
                     query: Mapping[str, str], headers: Mapping[str, str],
                     lookup: CredentialLookup, *, now: float, region: str | None = None
                     ) -> Verified:
    """Check ``Authorization: OSS4-HMAC-SHA256 Credential=...,Signature=...``."""
    headers = _lower_headers(headers)
    ec = EC_V4_BAD_CREDENTIAL_HEADER
    fields = _parse_authorization_v4(headers.get("authorization", ""))
    if "Credential" not in fields or "Signature" not in fields:
        raise _absent("Credential or Signature in Authorization", EC_V4_AUTH_INCOMPLETE)
    cred = _parse_credential_v4(fields["Credential"], ec, EC_V4_BAD_DATE_HEADER)
    region = _check_region(cred, region, ec)
    timestamp = headers.get("x-oss-date", "")
    if _iso_stamp(timestamp) is None and timestamp:
        # a GMT-form date is the wrong form (0002-00000502); anything else no date (505)
        raise _denied(f"x-oss-date {timestamp!r} is not a yyyymmddTHHMMSSZ time.",
                      EC_WRONG_DATE_FORM if _parse_date(timestamp) else EC_BAD_DATE)
    _check_header_date(timestamp, now)
    if timestamp[:8] != cred.date:
        raise _denied("The credential date does not match x-oss-date.", EC_V4_BAD_DATE_HEADER)
    creds = _lookup(lookup, cred.access_key_id)
    _check_token(creds, _header_token(headers, query))
    additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
    return _finish_v4(method, bucket, key, query, headers, additional, creds, cred, region,
                      timestamp, fields["Signature"], "header")


def verify_request(method: str, bucket: str | None, key: str | None,
                   query: Mapping[str, str], headers: Mapping[str, str],
                   lookup: CredentialLookup, *, now: float, region: str | None = None
                   ) -> Verified | None:
    """Verify whichever signature a request carries; None for an anonymous request.

    ``query`` holds decoded values (see :func:`core.oss.urls.parse_query`); ``headers`` are
    the request headers as received (Host included, for V4 additional headers).
    """
    lowered = _lower_headers(headers)
    auth = lowered.get("authorization", "")
    v2 = signing_v2.is_v2_request(query, lowered)
    if v2 == "header":
        return signing_v2.verify_header_v2(method, bucket, key, query, lowered, lookup, now=now)
    if v2 == "query" and not auth:
        return signing_v2.verify_presigned_v2(method, bucket, key, query, lowered, lookup,
                                              now=now)
    if auth.startswith(V4_ALGORITHM):
        return verify_header_v4(method, bucket, key, query, lowered, lookup, now=now,
                                region=region)
    if auth.startswith("OSS "):
        return verify_header_v1(method, bucket, key, query, lowered, lookup, now=now)
    if auth:
        raise _denied("The Authorization header is malformed.", EC_AUTH_MALFORMED)
    if "x-oss-signature" in query or "x-oss-credential" in query:
        return verify_presigned_v4(method, bucket, key, query, lowered, lookup, now=now,
                                   region=region)
    if "Signature" in query or "OSSAccessKeyId" in query:
        return verify_presigned_v1(method, bucket, key, query, lowered, lookup, now=now)
    return None
