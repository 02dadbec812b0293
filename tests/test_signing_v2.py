"""Signature version 2 (OSS2) against its oracle, oss2 2.19.x's ``ProviderAuthV2``.

Over a matrix of keys, query parameters, headers, additional headers and AK/STS
credentials: our string to sign is byte-for-byte oss2's, and the verifier accepts what
oss2 signs (Authorization header and presigned URL) and refuses it once anything signed
is changed. oss2's clocks are frozen (tests/sdk_clock.py), so nothing depends on time.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import oss2
import oss2.auth
import oss2.http
import pytest

from core.errors import OssError
from core.oss import verify
from core.oss.credentials import Credentials
from core.oss.signing_v2 import (canonical_resource_v2, signature_v2, string_to_sign_v2,
                                 uri_encode_v2)
from tests.sdk_clock import freeze_sdk_clocks

NOW = 1700000000
BUCKET = "example-bucket"
ENDPOINT = "https://oss-cn-hangzhou.aliyuncs.com"
PLAIN = ("LTAI5tTestKeyId0000", "TestSecret/With+Chars=0123456789", None)
STS = ("STS.NTestKeyId1234", "StsSecret0123456789abcdef", "CAIS+fake/Security=Token0123456789")
KEYS = ["cat.jpg", "photos/2024/cat.jpg", "my photo (1).jpg", "a+b=c&d.jpg",
        "猫/写真 テスト.png", "odd %25 #hash ?q ~tilde.gif", "😀 smile.png"]
QUERIES = [
    {},
    {"x-oss-process": "image/resize,w_100/watermark,text_SGk+Pz8="},
    {"acl": ""},
    {"uploadId": "0004B9894A22E5B1888A1E29F823****", "partNumber": "3"},
    {"response-content-type": "text/plain; charset=utf-8", "custom": "a b/ü", "empty": ""},
]
HEADERS = [
    {},
    {"Content-Type": "image/png", "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==",
     "x-oss-meta-Author": "Ann", "x-oss-object-acl": "private"},
    {"x-oss-meta-name": "写真", "Range": "bytes=0-9", "If-Modified-Since":
     "Tue, 14 Nov 2023 22:00:00 GMT", "custom-header": "abc"},
]
ADDITIONAL = [None, {"custom-header", "Range"}, {"content-length", "missing-header"}]


def _lookup(*triples):
    table = {t[0]: Credentials(*t) for t in triples}
    return table.get


LOOKUP = _lookup(PLAIN, STS)


def _auth(triple):
    return oss2.ProviderAuthV2(oss2.credentials.StaticCredentialsProvider(*triple))


def _oss2_request(method, query, headers):
    url = f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/"
    return oss2.http.Request(method, url, params=dict(query), headers=dict(headers))


def _decoded_query(url: str) -> dict[str, str]:
    query = {}
    for pair in filter(None, urlsplit(url).query.split("&")):
        name, _, value = pair.partition("=")
        query[unquote(name)] = unquote(value)
    return query


MATRIX = [pytest.param(k, q, h, a, t, id=f"k{ki}-q{qi}-h{hi}-a{ai}-{tn}")
          for ki, k in enumerate(KEYS) for qi, q in enumerate(QUERIES)
          for hi, h in enumerate(HEADERS) for ai, a in enumerate(ADDITIONAL)
          for tn, t in (("ak", PLAIN), ("sts", STS))
          if (ki + qi + hi + ai) % 3 == 0 or ki == 0]


@pytest.mark.parametrize("key,query,headers,additional,triple", MATRIX)
def test_header_signature_matches_oss2_and_verifies(monkeypatch, key, query, headers,
                                                    additional, triple):
    freeze_sdk_clocks(monkeypatch, NOW)
    auth = _auth(triple)
    req = _oss2_request("PUT", query, headers)
    auth._sign_request(req, BUCKET, key, additional)
    sent = dict(req.headers)
    names = auth._ProviderAuthV2__get_additional_headers(
        req, additional if additional is not None else oss2.auth._DEFAULT_ADDITIONAL_HEADERS)
    theirs = auth._ProviderAuthV2__get_bytes_to_sign(req, BUCKET, key, names)
    ours = string_to_sign_v2("PUT", BUCKET, key, dict(req.params), sent, sent["date"], names)
    assert ours.encode("utf-8") == theirs
    assert sent["authorization"].endswith("Signature:" + signature_v2(triple[1], ours))

    verified = verify.verify_request("PUT", BUCKET, key, dict(req.params), sent, LOOKUP,
                                      now=NOW + 30)
    assert (verified.access_key_id, verified.version, verified.via) == \
        (triple[0], "v2", "header")
    assert verified.security_token == triple[2]

    tampered = {**sent, "x-oss-meta-extra": "1"}
    with pytest.raises(OssError) as err:
        verify.verify_request("PUT", BUCKET, key, dict(req.params), tampered, LOOKUP,
                               now=NOW)
    assert err.value.code == "SignatureDoesNotMatch" and err.value.status == 403
    assert "x-oss-meta-extra:1\n" in err.value.details["StringToSign"]


@pytest.mark.parametrize("key,query,headers,additional,triple", MATRIX)
def test_presigned_url_from_oss2_verifies(monkeypatch, key, query, headers, additional,
                                          triple):
    freeze_sdk_clocks(monkeypatch, NOW)
    bucket = oss2.Bucket(_auth(triple), ENDPOINT, BUCKET)
    url = bucket.sign_url("GET", key, 600, headers=dict(headers), params=dict(query),
                          additional_headers=additional)
    params = _decoded_query(url)
    assert params["x-oss-signature-version"] == "OSS2"
    assert params["x-oss-expires"] == str(NOW + 600)
    sent = {k: v for k, v in headers.items()}
    verified = verify.verify_request("GET", BUCKET, key, params, sent, LOOKUP, now=NOW + 599)
    assert (verified.version, verified.via, verified.security_token) == \
        ("v2", "query", triple[2])
    signed_names = [h for h in params.get("x-oss-additional-headers", "").split(";") if h]
    if signed_names:     # an additional header is signed: changing it breaks the URL
        changed = {k: (v + "x" if k.lower() in signed_names else v) for k, v in sent.items()}
        with pytest.raises(OssError) as err:
            verify.verify_request("GET", BUCKET, key, params, changed, LOOKUP, now=NOW)
        assert err.value.code == "SignatureDoesNotMatch"
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, key, {**params, "extra": "1"}, sent, LOOKUP,
                               now=NOW)
    assert err.value.code == "SignatureDoesNotMatch"   # every parameter is signed in V2
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, key, params, sent, LOOKUP, now=NOW + 601)
    assert (err.value.code, err.value.ec) == ("AccessDenied", "0002-00000069")


def test_uri_encoding_is_oss2s():
    for text in ["/", "/b/k", "a b+c=&?#%~._-", "猫😀", "\x00\x7f"]:
        assert uri_encode_v2(text) == oss2.auth.v2_uri_encode(text)
    # The whole resource is encoded, slashes included; valueless parameters stand alone.
    assert canonical_resource_v2(BUCKET, "a/b c.jpg", {"acl": "", "x": "1/2"}) == \
        "%2Fexample-bucket%2Fa%2Fb%20c.jpg?acl&x=1%2F2"
    assert canonical_resource_v2(None, None, {}) == "%2F"


def test_header_date_skew_and_x_oss_date(monkeypatch):
    """x-oss-date, when sent, is the time checked (oss2's test_sign_v2_x_oss_date)."""
    freeze_sdk_clocks(monkeypatch, NOW)
    req = _oss2_request("GET", {}, {"x-oss-date": "Mon, 13 Nov 2023 22:13:20 GMT"})
    _auth(PLAIN)._sign_request(req, BUCKET, "k.jpg")
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, "k.jpg", {}, dict(req.headers), LOOKUP,
                               now=NOW)
    assert err.value.code == "RequestTimeTooSkewed" and err.value.status == 403
    assert err.value.message == ("The difference between the request time and the current "
                                 "time is too large.")
    req = _oss2_request("GET", {}, {})
    _auth(PLAIN)._sign_request(req, BUCKET, "k.jpg")
    assert verify.verify_request("GET", BUCKET, "k.jpg", {}, dict(req.headers), LOOKUP,
                                  now=NOW + 900)
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, "k.jpg", {}, dict(req.headers), LOOKUP,
                               now=NOW + 901)
    assert err.value.code == "RequestTimeTooSkewed"


def test_a_date_header_in_iso_form_is_the_wrong_form(monkeypatch):
    """The 0002-00000502 page: Date must be in GMT form; its example is 20221220T084818Z."""
    freeze_sdk_clocks(monkeypatch, NOW)
    req = _oss2_request("GET", {}, {})
    _auth(PLAIN)._sign_request(req, BUCKET, "k.jpg")
    headers = {**dict(req.headers), "Date": "20231114T221320Z"}
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, "k.jpg", {}, headers, LOOKUP, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == ("AccessDenied", 403,
                                                                "0002-00000502")


def test_malformed_and_unknown_key(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)
    req = _oss2_request("GET", {}, {})
    _auth(PLAIN)._sign_request(req, BUCKET, "k.jpg")
    headers = dict(req.headers)
    for bad in ("OSS2 ", "OSS2 AccessKeyId:x", "OSS2 Signature:abc"):
        with pytest.raises(OssError) as err:
            verify.verify_request("GET", BUCKET, "k.jpg", {}, {**headers,
                                   "authorization": bad}, LOOKUP, now=NOW)
        assert err.value.code == "AccessDenied"
    unknown = headers["authorization"].replace(PLAIN[0], "LTAI5tNobody")
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, "k.jpg", {}, {**headers,
                               "authorization": unknown}, LOOKUP, now=NOW)
    assert err.value.code == "InvalidAccessKeyId"
    url_query = {"x-oss-signature-version": "OSS2", "x-oss-expires": "soon",
                 "x-oss-access-key-id": PLAIN[0], "x-oss-signature": "x"}
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, "k.jpg", url_query, {}, LOOKUP, now=NOW)
    assert err.value.ec == "0002-00000070"


# The EC pages 0002-00000102..110, each case as the page's example writes it
# (https://help.aliyun.com/en/oss/user-guide/<EC>).
V2_MALFORMED = [
    ("OSS2 AccessKeyId:{id},", "0002-00000102"),                                  # 102's example
    ("OSS2 AccessKeyId:{id},AdditionalHeadershost,Signature:{sig}", "0002-00000103"),
    ("OSS2 AccessKeyId:{id},Signature:{sig},UnknownKey:ABC", "0002-00000104"),
    ("OSS2 AdditionalHeaders:host,Signature:{sig}", "0002-00000105"),
    ("OSS2 AccessKeyId:,AdditionalHeaders:host,Signature:{sig}", "0002-00000106"),
    ("OSS2 AccessKeyId:{id},AdditionalHeaders:host", "0002-00000108"),
    ("OSS2 AccessKeyId:{id},AdditionalHeaders:host,Signature:", "0002-00000109"),
    ("OSS2 AccessKeyId:{id},AdditionalHeaders:,Signature:{sig}", "0002-00000110"),
]


@pytest.mark.parametrize("template,ec", V2_MALFORMED, ids=[ec[-3:] for _, ec in V2_MALFORMED])
def test_malformed_v2_authorization_answers_its_ec_page(monkeypatch, template, ec):
    freeze_sdk_clocks(monkeypatch, NOW)
    req = _oss2_request("GET", {}, {})
    _auth(PLAIN)._sign_request(req, BUCKET, "k.jpg")
    headers = dict(req.headers)
    signature = headers["authorization"].rpartition("Signature:")[2]
    bad = template.format(id=PLAIN[0], sig=signature)
    with pytest.raises(OssError) as err:
        verify.verify_request("GET", BUCKET, "k.jpg", {}, {**headers, "authorization": bad},
                              LOOKUP, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == ("AccessDenied", 403, ec)
