"""Every way ``core.oss.verify`` accepts or refuses a request, as OSS answers it.

Requests are signed by oss2 (the official SDK) with a frozen clock, then broken one thing at a
time. For each refusal the test pins the OSS ``Code``, the HTTP status and the ``EC`` of the
OSS error-code pages (https://help.aliyun.com/en/oss/user-guide/<EC>: 0002-00000061 the
Authorization does not start with OSS, 062 no ':' in it, 063 no AccessKeyId, 065 no signature,
066 a bad x-oss-signature-version, 067/068 no or an empty Expires, 069 an expired URL, 070 a
bad expiry, 071 no OSSAccessKeyId, 202 a V4 Authorization without Credential or Signature,
213/224 a malformed V4 credential in the header/URL, 215/217/219 a V4 URL without
x-oss-expires/x-oss-credential/x-oss-signature, 235 a V4 URL used before x-oss-date minus 15
minutes, 503/504/505 no, a skewed, an unreadable request date), and the elements OSS publishes
with it (ServerTime, Expires, RequestTime, OSSAccessKeyId, SignatureProvided, StringToSign,
StringToSignBytes, CanonicalRequest), with the server's strings built here from the spec
(``/work/shared/spec/oss-signing.md`` sections 1.2, 2.2, 2.3, 5)."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, unquote, urlsplit

import oss2
import oss2.http
import pytest

from core.errors import OssError
from core.oss.credentials import Credentials
from core.oss.verify import (Verified, verify_header_v1, verify_header_v4, verify_presigned_v1,
                             verify_presigned_v4, verify_request)
from tests.sdk_clock import freeze_sdk_clocks

NOW = 1700000000                     # 2023-11-14T22:13:20Z
BUCKET, KEY, REGION = "example-bucket", "k.jpg", "cn-hangzhou"
HOST = f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"
AK = ("LTAI5tVerifyKeyId001", "Verify/Secret+Value=01", None)
STS = ("STS.NVerifyKeyId0002", "StsVerifySecret0002", "CAIS+verify/Token=0002")
PROCESS = "image/resize,w_10"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.")


@pytest.fixture(autouse=True)
def frozen_sdk_clocks(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


def lookup(access_key_id):
    return {t[0]: Credentials(*t) for t in (AK, STS)}.get(access_key_id)


def _provider(triple):
    return oss2.credentials.StaticCredentialsProvider(*triple)


def url_query(version: str, triple=AK, expires=600, process=PROCESS, **bucket) -> dict:
    """The decoded query of a URL oss2 presigns for GET KEY (fresh params: oss2 mutates them)."""
    auth = (oss2.ProviderAuthV4 if version == "v4" else oss2.ProviderAuth)(_provider(triple))
    region = bucket.pop("region", REGION)
    url = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", BUCKET, region=region,
                      **bucket).sign_url("GET", KEY, expires,
                                         params={"x-oss-process": process} if process else None)
    pairs = (p.partition("=") for p in urlsplit(url).query.split("&") if p)
    return {unquote(k): unquote(v) for k, _, v in pairs}


def signed_headers(version: str, triple=AK, headers=None, additional=None) -> dict:
    """The headers oss2 sends for GET KEY (Date, x-oss-date, Authorization ...)."""
    req = oss2.http.Request("GET", f"https://{HOST}/{KEY}", headers=dict(headers or {}),
                            region=REGION, product="oss")
    if version == "v4":
        oss2.ProviderAuthV4(_provider(triple))._sign_request(req, BUCKET, KEY, additional)
    else:
        oss2.ProviderAuth(_provider(triple))._sign_request(req, BUCKET, KEY)
    return {k.lower(): v for k, v in req.headers.items()}


def verify(query=None, headers=None, now=NOW, region=REGION):
    return verify_request("GET", BUCKET, KEY, query or {}, headers or {}, lookup, now=now,
                          region=region)


def refused(**kwargs) -> OssError:
    with pytest.raises(OssError) as err:
        verify(**kwargs)
    return err.value


def denied(ec: str, **kwargs) -> OssError:
    e = refused(**kwargs)
    assert (e.code, e.status, e.ec) == ("AccessDenied", 403, ec)
    return e


def names(message: str, what: str) -> bool:
    """The message names ``what`` as a word of its own."""
    return re.search(rf"(?<![\w-]){re.escape(what)}(?![\w-])", message) is not None


def without(mapping: dict, name: str) -> dict:
    return {k: v for k, v in mapping.items() if k != name}


def hex_bytes(text: str) -> str:
    """StringToSignBytes as OSS writes it (spec 5): space-separated upper-case hex."""
    return " ".join("%02X" % b for b in text.encode("utf-8"))


def iso(seconds: int) -> str:
    """The ServerTime/Expires form of OSS's answers, written out for NOW's day."""
    offset = seconds - NOW
    assert 0 <= offset + 3600 < 7200
    minute, second = divmod(13 * 60 + 20 + offset, 60)
    hour, minute = divmod(minute, 60)
    return f"2023-11-14T{22 + hour:02d}:{minute:02d}:{second:02d}.000Z"


# ----------------------------------------------------------------------------- accepted

@pytest.mark.parametrize("triple", [AK, STS], ids=["ak", "sts"])
def test_each_way_of_signing_is_accepted_and_names_who_signed(triple):
    assert verify(url_query("v1", triple)) == Verified(triple[0], "v1", "query", triple[2])
    assert verify(url_query("v4", triple)) == Verified(triple[0], "v4", "query", triple[2])
    assert verify(headers=signed_headers("v1", triple)) == Verified(triple[0], "v1", "header",
                                                                    triple[2])
    assert verify(headers=signed_headers("v4", triple)) == Verified(triple[0], "v4", "header",
                                                                    triple[2])


def test_each_verifier_called_directly_accepts_its_own_kind():
    args = ("GET", BUCKET, KEY)
    assert verify_presigned_v1(*args, url_query("v1"), {}, lookup, now=NOW).version == "v1"
    assert verify_presigned_v4(*args, url_query("v4"), {}, lookup, now=NOW,
                               region=REGION).via == "query"
    assert verify_header_v1(*args, {}, signed_headers("v1"), lookup, now=NOW).via == "header"
    assert verify_header_v4(*args, {}, signed_headers("v4"), lookup, now=NOW,
                            region=REGION).version == "v4"


def test_an_anonymous_request_is_not_verified():
    assert verify({"x-oss-process": PROCESS}, {"Host": HOST}) is None


# ----------------------------------------------------------------------------- V1 in the URL

@pytest.mark.parametrize("change,ec,named", [
    (lambda q: without(q, "OSSAccessKeyId"), "0002-00000071", "OSSAccessKeyId"),
    (lambda q: without(q, "Expires"), "0002-00000067", "Expires"),
    (lambda q: {**q, "Expires": ""}, "0002-00000068", "Expires"),
    (lambda q: {**q, "Expires": "abc"}, "0002-00000070", "Expires"),   # the 070 page's example
    (lambda q: {**q, "Expires": "1700000600.5"}, "0002-00000070", "Expires"),
], ids=["no-access-key-id", "no-expires", "empty-expires", "expires-abc", "expires-fraction"])
def test_v1_url_without_its_parameters(change, ec, named):
    e = denied(ec, query=change(url_query("v1")))
    assert names(e.message, named)        # the message names the parameter at fault


def test_v1_url_without_a_signature_is_a_mismatch_that_shows_none_was_provided():
    e = refused(query=without(url_query("v1"), "Signature"))
    assert (e.code, e.status, e.ec) == ("SignatureDoesNotMatch", 403, "0002-00000040")
    assert e.details["SignatureProvided"] == ""


def test_v1_url_expires_after_its_expires_second_with_both_times():
    query = url_query("v1", expires=600)
    assert query["Expires"] == str(NOW + 600)
    assert verify(query, now=NOW + 600)
    e = denied("0002-00000069", query=query, now=NOW + 601)
    assert e.message == "Request has expired."
    assert e.details == {"Expires": "2023-11-14T22:23:20.000Z",
                         "ServerTime": "2023-11-14T22:23:21.000Z"}
    assert iso(NOW + 601) == e.details["ServerTime"]


def test_v1_url_of_an_unknown_access_key_id():
    query = {**url_query("v1"), "OSSAccessKeyId": "LTAI5tNobodyKnows001"}
    e = refused(query=query)
    assert (e.code, e.status) == ("InvalidAccessKeyId", 403)
    assert e.message == "The OSS Access Key Id you provided does not exist in our records."
    assert e.details == {"OSSAccessKeyId": "LTAI5tNobodyKnows001"}


def test_v1_url_security_token_must_match_the_key():
    sts = url_query("v1", STS)
    e = refused(query=without(sts, "security-token"))
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000003")
    e = refused(query={**sts, "security-token": "forged"})
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000008")
    e = refused(query={**url_query("v1"), "security-token": STS[2]})
    assert (e.code, e.status, e.ec) == ("InvalidAccessKeyId", 403, "0002-00000008")


def test_v1_url_mismatch_answers_with_the_servers_string_to_sign():
    query = {**url_query("v1"), "x-oss-process": "image/resize,w_11"}
    e = refused(query=query)
    assert (e.code, e.status, e.ec, e.message) == ("SignatureDoesNotMatch", 403,
                                                   "0002-00000040", MISMATCH)
    # Spec 1.2: VERB, Content-MD5, Content-Type, Expires, headers, resource with the decoded
    # sub-resources; the auth parameters are not part of it.
    sts = f"GET\n\n\n{NOW + 600}\n/{BUCKET}/{KEY}?x-oss-process=image/resize,w_11"
    assert e.details == {"OSSAccessKeyId": AK[0], "SignatureProvided": query["Signature"],
                         "StringToSign": sts, "StringToSignBytes": hex_bytes(sts)}


def test_v1_url_headers_signed_into_it_are_checked():
    """A V1 URL signed for a Content-Type covers it (spec 1.2, line 3)."""
    auth = oss2.ProviderAuth(_provider(AK))
    url = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", BUCKET).sign_url(
        "PUT", KEY, 600, headers={"Content-Type": "image/png"})
    query = {unquote(k): unquote(v) for k, _, v in
             (p.partition("=") for p in urlsplit(url).query.split("&"))}
    ok = verify_request("PUT", BUCKET, KEY, query, {"Content-Type": "image/png"}, lookup,
                        now=NOW)
    assert ok.version == "v1"
    with pytest.raises(OssError) as err:
        verify_request("PUT", BUCKET, KEY, query, {"Content-Type": "image/jpeg"}, lookup,
                       now=NOW)
    assert err.value.details["StringToSign"] == f"PUT\n\nimage/jpeg\n{NOW + 600}\n/{BUCKET}/{KEY}"


# ----------------------------------------------------------------------------- V1 in the header

@pytest.mark.parametrize("authorization,ec,named", [
    ("OSSxxx LTAI5tVerifyKeyId001:sig", "0002-00000061", None),   # the 061 page's example
    ("Bearer abc", "0002-00000061", None),
    ("OSS LTAI5tVerifyKeyId001sig", "0002-00000062", "Authorization"),   # no ':'
    ("OSS  :c2lnbmF0dXJl", "0002-00000063", "AccessKeyId"),              # the 063 example
    ("OSS LTAI5tVerifyKeyId001:", "0002-00000065", "signature"),         # the 065 example
])
def test_v1_authorization_header_malformed(authorization, ec, named):
    headers = {**signed_headers("v1"), "authorization": authorization}
    e = denied(ec, headers=headers)
    assert named is None or (names(e.message, named) and names(e.message, "Authorization"))


def test_v1_header_verifier_called_directly_refuses_another_scheme():
    with pytest.raises(OssError) as err:
        verify_header_v1("GET", BUCKET, KEY, {}, {"Authorization": "Bearer x", "Date": "x"},
                         lookup, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == ("AccessDenied", 403,
                                                                "0002-00000061")
    assert names(err.value.message, "Authorization")


def test_v4_header_verifier_called_directly_without_an_authorization_header():
    headers = without(signed_headers("v4"), "authorization")
    with pytest.raises(OssError) as err:
        verify_header_v4("GET", BUCKET, KEY, {}, headers, lookup, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == ("AccessDenied", 403,
                                                                "0002-00000202")


def test_v1_header_without_any_date():
    denied("0002-00000503", headers=without(signed_headers("v1"), "date"))


def test_v1_header_with_an_unreadable_date():
    denied("0002-00000505", headers={**signed_headers("v1"), "date": "yesterday"})


@pytest.mark.parametrize("offset", [-901, 901])
def test_v1_header_skewed_more_than_15_minutes(offset):
    headers = signed_headers("v1")
    assert verify(headers=headers, now=NOW + offset - (1 if offset > 0 else -1))
    e = refused(headers=headers, now=NOW + offset)
    assert (e.code, e.status, e.ec) == ("RequestTimeTooSkewed", 403, "0002-00000504")
    assert e.details == {"RequestTime": "Tue, 14 Nov 2023 22:13:20 GMT",
                         "ServerTime": iso(NOW + offset)}


def test_v1_header_x_oss_date_is_the_date_that_counts():
    """Spec 1.2 and oss2: with an x-oss-date header, it is the string-to-sign's date line and
    the time checked; the Date header is then neither."""
    headers = signed_headers("v1", headers={"x-oss-date": "Tue, 14 Nov 2023 22:13:20 GMT"})
    stale = {**headers, "date": "Tue, 14 Nov 2023 00:00:00 GMT"}
    assert verify(headers=stale).via == "header"
    e = refused(headers=headers, now=NOW + 901)
    assert e.details["RequestTime"] == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_v1_header_mismatch_answers_with_the_servers_string_to_sign():
    headers = {**signed_headers("v1", headers={"x-oss-meta-a": "1"}), "x-oss-meta-a": "2"}
    e = refused(headers=headers)
    assert (e.code, e.status, e.ec, e.message) == ("SignatureDoesNotMatch", 403,
                                                   "0002-00000040", MISMATCH)
    sts = f"GET\n\n\n{headers['date']}\nx-oss-meta-a:2\n/{BUCKET}/{KEY}"
    provided = headers["authorization"].split(":", 1)[1]
    assert e.details == {"OSSAccessKeyId": AK[0], "SignatureProvided": provided,
                         "StringToSign": sts, "StringToSignBytes": hex_bytes(sts)}


def test_v1_header_of_an_unknown_access_key_id():
    headers = signed_headers("v1", ("LTAI5tNobodyKnows001", "s", None))
    e = refused(headers=headers)
    assert (e.code, e.status, e.details) == ("InvalidAccessKeyId", 403,
                                             {"OSSAccessKeyId": "LTAI5tNobodyKnows001"})


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
               "0002-00000219": "x-oss-signature"}
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
    auth = oss2.ProviderAuthV4(_provider(AK))
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
    auth = oss2.ProviderAuthV4(_provider(AK))
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


# ----------------------------------------------------------------------------- which verifier

def test_a_signed_header_wins_over_signature_parameters_in_the_url():
    # V1 signs only sub-resources, none of which a V4 URL without a process carries.
    query = url_query("v4", process=None)
    assert verify(query, signed_headers("v1")) == Verified(AK[0], "v1", "header", None)
    # V4 signs every parameter: the header's check (EC 201), not the V1 URL's (EC 040).
    assert refused(query=url_query("v1"), headers=signed_headers("v4")).ec == "0002-00000201"


@pytest.mark.parametrize("query,ec", [
    ({"OSSAccessKeyId": AK[0]}, "0002-00000067"),        # V1, by its access key id alone
    ({"Signature": "c2ln"}, "0002-00000071"),            # V1, by its signature alone
    ({"x-oss-credential": "x"}, "0002-00000066"),        # V4, by its credential alone
    ({"x-oss-signature": "ab"}, "0002-00000066"),        # V4, by its signature alone
])
def test_a_url_is_taken_as_v1_or_v4_by_any_of_its_parameters(query, ec):
    denied(ec, query=query)
