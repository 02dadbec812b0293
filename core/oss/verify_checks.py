"""What every OSS signature check shares: dates, credentials, STS tokens, errors.

Split from :mod:`core.oss.signing` so each signature version's verifier (V1 and V4 in
``signing``, V2 in :mod:`core.oss.signing_v2`) can use them without importing another.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Mapping

from ..errors import OssError
from .credentials import Credentials

# OSS accepts a request up to 15 minutes before its signing time (clock skew), and a
# header-signed request whose Date is within 15 minutes of the server clock.
CLOCK_SKEW = 15 * 60
CredentialLookup = Callable[[str], "Credentials | None"]


@dataclass(frozen=True)
class Verified:
    """Who signed a request that passed verification."""

    access_key_id: str
    version: str
    via: str  # "query" or "header"
    security_token: str | None


def _lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k.lower(): str(v).strip() for k, v in (headers or {}).items()}


def _utc(now: float) -> datetime:
    return datetime.fromtimestamp(int(now), timezone.utc)


def string_to_sign_bytes(text: str) -> str:
    """The ``StringToSignBytes`` form OSS returns: space-separated upper-case hex."""
    return " ".join(f"{b:02X}" for b in text.encode("utf-8"))


_MISMATCH_MESSAGE = ("The request signature we calculated does not match the signature you "
                     "provided. Check your key and signing method.")
EC_V1_MISMATCH = "0002-00000040"
EC_V4_MISMATCH = "0002-00000201"
EC_URL_EXPIRED = "0002-00000069"
EC_URL_BAD_EXPIRES = "0002-00000070"
EC_V4_NOT_YET_VALID = "0002-00000235"
EC_V4_BAD_CREDENTIAL_QUERY = "0002-00000224"
EC_V4_BAD_CREDENTIAL_HEADER = "0002-00000213"
# The EC pages 0002-00000212 (header) and 0002-00000223 (URL): the credential's SignDate is
# not yyyymmdd (their example: 2022-12-20); a malformed rest wins (0002-00000224's example
# has both a dashed date and a bad terminator).
EC_V4_BAD_DATE_HEADER = "0002-00000212"
EC_V4_BAD_DATE_QUERY = "0002-00000223"
EC_NO_DATE = "0002-00000503"
EC_SKEWED = "0002-00000504"
EC_BAD_DATE = "0002-00000505"
# The 0002-00000502 page: a Date that is not in GMT form, or a V4 x-oss-date that is not
# yyyymmddTHHMMSSZ (its examples are exactly the other header's form).
EC_WRONG_DATE_FORM = "0002-00000502"
EC_STS_TOKEN_MISSING = "0002-00000003"
EC_STS_TOKEN_INVALID = "0002-00000008"
EC_STS_TOKEN_TWICE = "0002-00000010"


def _denied(message: str, ec: str, **details: str) -> OssError:
    return OssError("AccessDenied", message, ec=ec, status=403, details=dict(details))


def _mismatch(version: str, access_key_id: str, provided: str, sts: str,
              canonical: str | None = None) -> OssError:
    details = {"OSSAccessKeyId": access_key_id, "SignatureProvided": provided,
               "StringToSign": sts, "StringToSignBytes": string_to_sign_bytes(sts)}
    if canonical is not None:
        details["CanonicalRequest"] = canonical
    return OssError("SignatureDoesNotMatch", _MISMATCH_MESSAGE,
                    ec=EC_V1_MISMATCH if version == "v1" else EC_V4_MISMATCH,
                    status=403, details=details)


def _compare(expected: str, provided: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), provided.encode("utf-8"))


def _lookup(lookup: CredentialLookup, access_key_id: str) -> Credentials:
    creds = lookup(access_key_id) if access_key_id else None
    if creds is None:
        raise OssError("InvalidAccessKeyId", "The OSS Access Key Id you provided does not "
                       "exist in our records.", status=403,
                       details={"OSSAccessKeyId": access_key_id})
    return creds


def _check_token(creds: Credentials, provided: str | None) -> None:
    if creds.security_token is None:
        if provided:
            raise OssError("InvalidAccessKeyId", "The security token you provided is invalid.",
                           ec=EC_STS_TOKEN_INVALID, status=403)
        return
    if not provided:
        raise OssError("InvalidAccessKeyId", "The access key id is a temporary (STS) key but "
                       "the request carries no security token.", ec=EC_STS_TOKEN_MISSING,
                       status=403)
    if not _compare(creds.security_token, provided):
        raise OssError("InvalidAccessKeyId", "The security token you provided is invalid.",
                       ec=EC_STS_TOKEN_INVALID, status=403)


def _header_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    token = headers.get("x-oss-security-token")
    if token and query.get("security-token"):
        raise OssError("InvalidArgument", "The security token must not be in both the "
                       "header and the query.", ec=EC_STS_TOKEN_TWICE)
    # alibabacloud-oss-v2 sends a bare "security-token" header in V1 header mode.
    return token or headers.get("security-token") or query.get("security-token")


def _iso_stamp(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def _server_time(now: float) -> str:
    return _utc(now).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _is_ascii_number(text: str, digits: int = 12) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts '²' and other scripts' digits, which
    ``int`` then refuses) and short enough for a time (``int`` of 5,000 digits raises)."""
    return text.isascii() and text.isdigit() and len(text) <= digits


def check_url_expiry(expires: str, now: float, name: str) -> None:
    """A presigned URL's absolute expiry (V1 ``Expires``, V2 ``x-oss-expires``): Unix
    seconds in ASCII digits, not past ``now``."""
    if not _is_ascii_number(expires):
        raise _denied(f"Invalid argument: {name} must be a Unix time in seconds.",
                      EC_URL_BAD_EXPIRES)
    if now > int(expires):
        raise _denied("Request has expired.", EC_URL_EXPIRED,
                      Expires=_server_time(int(expires)), ServerTime=_server_time(now))


def _parse_date(text: str) -> datetime | None:
    """An RFC 1123 date (``Date``) or an ISO 8601 basic stamp (``x-oss-date``)."""
    moment = _iso_stamp(text)
    if moment is not None:
        return moment
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None


def _absent(what: str, ec: str) -> OssError:
    """AccessDenied for a request without something its signature needs, named."""
    return _denied(f"The request has no {what}.", ec)


def _request_date(headers: Mapping[str, str]) -> str | None:
    """The date a V1/V2 header signature counts: ``x-oss-date`` when present (in GMT form, as
    ali-oss sends it for V1, or ISO 8601), else ``Date``, which must be in GMT form."""
    if headers.get("x-oss-date"):
        return headers["x-oss-date"]
    date = headers.get("date")
    if date and _iso_stamp(date) is not None:
        raise _denied(f"The Date header {date!r} is not in GMT format "
                      "(e.g. Tue, 20 Dec 2022 08:48:18 GMT).", EC_WRONG_DATE_FORM)
    return date


def _check_header_date(text: str | None, now: float) -> None:
    if not text:
        raise _denied("The request has neither a Date nor an x-oss-date header.", EC_NO_DATE)
    moment = _parse_date(text)
    if moment is None or moment.tzinfo is None:
        raise _denied(f"The request date {text!r} is not valid.", EC_BAD_DATE)
    if abs(moment.timestamp() - now) > CLOCK_SKEW:
        raise OssError("RequestTimeTooSkewed", "The difference between the request time and "
                       "the current time is too large.", ec=EC_SKEWED, status=403,
                       details={"RequestTime": text, "ServerTime": _server_time(now)})
