"""Every way ``core.oss.verify`` accepts or refuses a V4 request (URL and header), as OSS
answers it: see tests/test_verify_errors.py for the sources and the V1 half."""
from __future__ import annotations

import hashlib
from urllib.parse import quote, unquote, urlsplit

import oss2
import pytest

from core.errors import OssError
from core.oss.verify import Verified, verify_header_v4
from tests.verify_env import (  # noqa: F401 (frozen_sdk_clocks: the autouse fixture)
    AK, BUCKET, HOST, KEY, MISMATCH, NOW, REGION, STS, denied, frozen_sdk_clocks, hex_bytes,
    iso, lookup, names, provider, refused, signed_headers, url_query, verify, without)


# ----------------------------------------------------------------------------- V4 in the URL

@pytest.mark.parametrize("change,ec", [
    (lambda q: {**q, "x-oss-signature-version": "ABC"}, "0002-00000066"),   # the page's example
    (lambda q: without(q, "x-oss-signature-version"), "0002-00000066"),
    (lambda q: without(q, "x-oss-credential"), "0002-00000217"),
    (lambda q: without(q, "x-oss-expires"), "0002-00000215"),
    (lambda q: without(q, "x-oss-signature"), "0002-00000219"),
    (lambda q: {**q, "x-oss-expires": "0"}, "0002-00000070"),
    (lambda q: {**q, "x-oss-expires": "604801"}, "0002-00000070"),
    (lambda q: {**q, "x-oss-expires": "abc"}, "0002-00000070"),
    (lambda q: {**q, "x-oss-expires": ""}, "0002-00000070"),
    (lambda q: {**q, "x-oss-date": "2023-11-14T22:13:20Z"}, "0002-00000505"),
], ids=["version-abc", "no-version", "no-credential", "no-expires", "no-signature",
        "expires-0", "expires-604801", "expires-abc", "expires-empty", "date-extended"])
def test_v4_url_without_or_with_bad_parameters(change, ec):
    e = denied(ec, query=change(url_query("v4")))
    missing = {"0002-00000217": "x-oss-credential", "0002-00000215": "x-oss-expires",
               "0002-00000219": "x-oss-signature", "0002-00000066": "x-oss-signature-version"}
    if ec in missing:
        assert names(e.message, missing[ec])
    if ec == "0002-00000070":             # names the parameter and its documented range
        assert names(e.message, "x-oss-expires") and "604800" in e.message


CREDENTIALS = {
    "bad-terminator": f"{AK[0]}/20231114/{REGION}/oss/abc",     # the 0002-00000224 example
    "dashed-date": f"{AK[0]}/2023-11-14/{REGION}/oss/aliyun_v4_request",
    "short-date": f"{AK[0]}/2023111/{REGION}/oss/aliyun_v4_request",
    "four-parts": f"{AK[0]}/20231114/{REGION}/aliyun_v4_request",
    "six-parts": f"{AK[0]}/20231114/{REGION}/oss/aliyun_v4_request/x",
    "no-key-id": f"/20231114/{REGION}/oss/aliyun_v4_request",
    "no-product": f"{AK[0]}/20231114/{REGION}//aliyun_v4_request",
    "no-region": f"{AK[0]}/20231114//oss/aliyun_v4_request",
}


# The EC pages: a SignDate that is not yyyymmdd is 0002-00000223 in a URL and 0002-00000212
# in the header (both pages' example: 2022-12-20); the rest malformed is 224 / 213, and wins
# when both are (224's example: AK**ID/2022-12-20/cn-hangzhou/oss/abc).
BAD_DATES = ("dashed-date", "short-date")


def _credential_ec(name: str, where: str) -> str:
    if name in BAD_DATES:
        return {"url": "0002-00000223", "header": "0002-00000212"}[where]
    return {"url": "0002-00000224", "header": "0002-00000213"}[where]


@pytest.mark.parametrize("name", CREDENTIALS)
def test_v4_url_malformed_credential(name):
    e = denied(_credential_ec(name, "url"),
               query={**url_query("v4"), "x-oss-credential": CREDENTIALS[name]})
    if name == "no-region":
        # OSS's own words (oss2's test_sign_v4_no_region asserts them)
        assert e.message == "The signing region in credential is invalid."


def test_v4_url_date_must_be_on_the_credentials_day():
    e = refused(query={**url_query("v4"), "x-oss-date": "20231115T000000Z"})
    assert (e.code, e.status) == ("AccessDenied", 403) and names(e.message, "x-oss-date")


@pytest.mark.parametrize("stamp", ["20231113T221320Z", "20231114T256100Z", "20231114"])
def test_v4_url_date_on_another_day_or_not_a_time_is_refused_for_the_date(stamp):
    """The spec (4.1): x-oss-date is a yyyymmddTHHMMSSZ time on the credential's day; a day
    before it, or a stamp that only starts with that day, is refused for x-oss-date itself
    (not as an expired URL, nor with a crash)."""
    e = refused(query={**url_query("v4"), "x-oss-date": stamp})
    assert (e.code, e.status) == ("AccessDenied", 403) and names(e.message, "x-oss-date")
    assert e.ec not in ("0002-00000069", "0002-00000235")


def test_v4_url_window_is_x_oss_date_minus_15_minutes_to_plus_x_oss_expires():
    query = url_query("v4", expires=600)
    assert verify(query, now=NOW - 900) and verify(query, now=NOW + 600)
    e = denied("0002-00000235", query=query, now=NOW - 901)
    assert e.details == {"ServerTime": "2023-11-14T21:58:19.000Z"}
    e = denied("0002-00000069", query=query, now=NOW + 601)
    assert e.message == "Request has expired."
    assert e.details == {"Expires": "2023-11-14T22:23:20.000Z",
                         "ServerTime": "2023-11-14T22:23:21.000Z"}


def test_v4_url_security_token_must_match_the_key():
    sts = url_query("v4", STS)
    e = refused(query=without(sts, "x-oss-security-token"))
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000003")
    e = refused(query={**url_query("v4"), "x-oss-security-token": "x"})
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000008")


@pytest.mark.parametrize("region", ["", "  "])
def test_v4_url_against_a_server_with_an_empty_region(region):
    denied("0002-00000224", query=url_query("v4"), region=region)


def test_v4_url_region_is_the_servers_trimmed_else_the_credentials():
    assert verify(url_query("v4"), region=f" {REGION} ").version == "v4"
    beijing = url_query("v4", region="cn-beijing")
    assert verify(beijing, region=None).access_key_id == AK[0]
    e = refused(query=beijing, region=REGION)
    assert e.code == "SignatureDoesNotMatch"
    assert e.details["StringToSign"].split("\n")[2] == f"20231114/{REGION}/oss/aliyun_v4_request"


def test_v4_url_of_a_cloudbox_is_verified_with_the_credentials_product():
    """CloudBox (spec 2.3): the region is the CloudBox id, the product oss-cloudbox."""
    query = url_query("v4", cloudbox_id="cb-f8z7yvzgwfkl9q0h")
    assert query["x-oss-credential"].endswith("/cb-f8z7yvzgwfkl9q0h/oss-cloudbox/aliyun_v4_request")
    assert verify(query, region=None) == Verified(AK[0], "v4", "query", None)


def test_v4_url_mismatch_answers_with_the_servers_canonical_request():
    query = {**url_query("v4", STS), "x-oss-process": "image/resize,w_11"}
    e = refused(query=query)
    assert (e.code, e.status, e.ec, e.message) == ("SignatureDoesNotMatch", 403,
                                                   "0002-00000201", MISMATCH)
    # Spec 2.2: every parameter but x-oss-signature, encoded (only A-Z a-z 0-9 - _ . ~ kept),
    # sorted by encoded name; no headers for a presigned GET; UNSIGNED-PAYLOAD.
    enc = lambda t: quote(t, safe="-_.~")  # noqa: E731
    pairs = sorted((enc(k), enc(v)) for k, v in query.items() if k != "x-oss-signature")
    canonical = "\n".join(["GET", f"/{BUCKET}/{KEY}", "&".join(f"{k}={v}" for k, v in pairs),
                           "", "", "UNSIGNED-PAYLOAD"])
    sts = "\n".join(["OSS4-HMAC-SHA256", "20231114T221320Z",
                     f"20231114/{REGION}/oss/aliyun_v4_request",
                     hashlib.sha256(canonical.encode()).hexdigest()])
    assert e.details == {"OSSAccessKeyId": STS[0], "SignatureProvided": query["x-oss-signature"],
                         "StringToSign": sts, "StringToSignBytes": hex_bytes(sts),
                         "CanonicalRequest": canonical}


def test_v4_url_additional_headers_are_checked():
    auth = oss2.ProviderAuthV4(provider(AK))
    url = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", BUCKET, region=REGION
                      ).sign_url("GET", KEY, 600, headers={"Host": HOST},
                                 additional_headers=["host"])
    query = {unquote(k): unquote(v) for k, _, v in
             (p.partition("=") for p in urlsplit(url).query.split("&"))}
    assert query["x-oss-additional-headers"] == "host"
    assert verify(query, {"Host": HOST}).via == "query"
    e = refused(query=query, headers={"Host": "elsewhere.example.com"})
    assert "host:elsewhere.example.com\n\nhost\nUNSIGNED-PAYLOAD" in e.details["CanonicalRequest"]


def test_v4_url_with_two_additional_headers():
    """x-oss-additional-headers is a ;-separated list (spec 2.1): each one is signed."""
    headers = {"Host": HOST, "Range": "bytes=0-9"}
    auth = oss2.ProviderAuthV4(provider(AK))
    url = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", BUCKET, region=REGION
                      ).sign_url("GET", KEY, 600, headers=headers,
                                 additional_headers=["host", "range"])
    query = {unquote(k): unquote(v) for k, _, v in
             (p.partition("=") for p in urlsplit(url).query.split("&"))}
    assert query["x-oss-additional-headers"] == "host;range"
    assert verify(query, headers).via == "query"
    e = refused(query=query, headers={**headers, "Range": "bytes=0-8"})
    assert "host:" + HOST + "\nrange:bytes=0-8\n\nhost;range\n" in e.details["CanonicalRequest"]


# ----------------------------------------------------------------------------- V4 in the header

def _v4_auth(headers: dict, **fields) -> dict:
    """The oss2 headers with the Authorization's fields replaced (None drops one)."""
    parts = dict(p.strip().split("=", 1) for p in
                 headers["authorization"][len("OSS4-HMAC-SHA256 "):].split(","))
    parts.update(fields)
    value = ", ".join(f"{k}={v}" for k, v in parts.items() if v is not None)
    return {**headers, "authorization": f"OSS4-HMAC-SHA256 {value}"}


@pytest.mark.parametrize("field", ["Credential", "Signature"])
def test_v4_authorization_without_a_required_field(field):
    e = denied("0002-00000202", headers=_v4_auth(signed_headers("v4"), **{field: None}))
    assert names(e.message, field) and names(e.message, "Authorization")


@pytest.mark.parametrize("name", CREDENTIALS)
def test_v4_authorization_with_a_malformed_credential(name):
    headers = _v4_auth(signed_headers("v4"), Credential=CREDENTIALS[name])
    e = denied(_credential_ec(name, "header"), headers=headers)
    if name == "no-region":
        assert e.message == "The signing region in credential is invalid."


def test_v4_header_region_is_the_servers_else_the_credentials():
    headers = signed_headers("v4")
    assert verify(headers=headers, region=None) == Verified(AK[0], "v4", "header", None)
    assert verify(headers=headers, region=f" {REGION} ").via == "header"
    e = refused(headers=headers, region="cn-beijing")
    assert e.details["StringToSign"].split("\n")[2] == "20231114/cn-beijing/oss/aliyun_v4_request"


def test_v4_header_against_a_server_with_an_empty_region():
    denied("0002-00000213", headers=signed_headers("v4"), region="")


def test_v4_header_dates():
    headers = signed_headers("v4")
    assert headers["x-oss-date"] == "20231114T221320Z"
    denied("0002-00000503", headers=without(headers, "x-oss-date"))
    denied("0002-00000505", headers={**headers, "x-oss-date": "2023-11-14 22:13:20"})
    # the 0002-00000502 page's example 1: a V4 x-oss-date in GMT form is the wrong form
    denied("0002-00000502", headers={**headers, "x-oss-date": "Tue, 14 Nov 2023 22:13:20 GMT"})
    # the next day's midnight, within the 15 minutes, but not the credential's day
    e = refused(headers={**headers, "x-oss-date": "20231115T000000Z"}, now=1700006400)
    assert names(e.message, "x-oss-date")
    # a credential date that is not x-oss-date's day: the 212 page's "signature date in the
    # Authorization header is invalid"
    assert (e.code, e.status, e.ec) == ("AccessDenied", 403, "0002-00000212")
    for offset in (-901, 901):
        assert verify(headers=headers, now=NOW + offset - (1 if offset > 0 else -1))
        e = refused(headers=headers, now=NOW + offset)
        assert (e.code, e.status, e.ec) == ("RequestTimeTooSkewed", 403, "0002-00000504")
        assert e.details == {"RequestTime": "20231114T221320Z", "ServerTime": iso(NOW + offset)}


def test_v4_header_security_token():
    headers = signed_headers("v4", STS)
    assert verify(headers=headers).security_token == STS[2]
    e = refused(headers=without(headers, "x-oss-security-token"))
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000003")


def test_v4_header_additional_headers_are_checked():
    headers = signed_headers("v4", headers={"Host": HOST}, additional=["host"])
    assert "AdditionalHeaders=host" in headers["authorization"]
    assert verify(headers=headers).via == "header"
    e = refused(headers={**headers, "host": "elsewhere.example.com"})
    assert e.ec == "0002-00000201"
    assert e.details["CanonicalRequest"].endswith(
        "host:elsewhere.example.com\nx-oss-content-sha256:UNSIGNED-PAYLOAD\n"
        "x-oss-date:20231114T221320Z\n\nhost\nUNSIGNED-PAYLOAD")


def test_v4_header_with_two_additional_headers():
    headers = signed_headers("v4", headers={"Host": HOST, "Range": "bytes=0-9"},
                             additional=["host", "range"])
    assert "AdditionalHeaders=host;range" in headers["authorization"]
    assert verify(headers=headers).via == "header"
    e = refused(headers={**headers, "range": "bytes=0-8"})
    assert "\nrange:bytes=0-8\n" in e.details["CanonicalRequest"]
    assert e.details["CanonicalRequest"].endswith("\n\nhost;range\nUNSIGNED-PAYLOAD")


def test_v4_header_mismatch_answers_with_the_servers_canonical_request():
    headers = {**signed_headers("v4", headers={"x-oss-meta-a": "1"}), "x-oss-meta-a": "2"}
    e = refused(headers=headers)
    assert (e.code, e.status, e.ec, e.message) == ("SignatureDoesNotMatch", 403,
                                                   "0002-00000201", MISMATCH)
    canonical = "\n".join(["GET", f"/{BUCKET}/{KEY}", "",
                           "x-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231114T221320Z\n"
                           "x-oss-meta-a:2\n", "", "UNSIGNED-PAYLOAD"])
    sts = "\n".join(["OSS4-HMAC-SHA256", "20231114T221320Z",
                     f"20231114/{REGION}/oss/aliyun_v4_request",
                     hashlib.sha256(canonical.encode()).hexdigest()])
    provided = headers["authorization"].rsplit("Signature=", 1)[1]
    assert e.details == {"OSSAccessKeyId": AK[0], "SignatureProvided": provided,
                         "StringToSign": sts, "StringToSignBytes": hex_bytes(sts),
                         "CanonicalRequest": canonical}


def test_v4_header_verifier_called_directly_without_an_authorization_header():
    headers = without(signed_headers("v4"), "authorization")
    with pytest.raises(OssError) as err:
        verify_header_v4("GET", BUCKET, KEY, {}, headers, lookup, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == ("AccessDenied", 403,
                                                                "0002-00000202")
