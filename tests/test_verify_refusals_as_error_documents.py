"""Each refusal of the request verifier (and of the V4 signer) as the client reads it: an OSS
error document (``<Error>`` with ``Code``, a ``Message``, ``RequestId``, ``HostId``, the
``EC`` of the OSS error-code pages and its ``RecommendDoc`` link
``https://api.aliyun.com/troubleshoot?q=<EC>``, as OSS answers every signed request it
refuses), with the HTTP status of that page. ECs: 0002-00000061 the Authorization does not
start with OSS (or is absent), 062 no ':' in it, 063 no AccessKeyId, 065 no signature, 503 no
request date, 069 an expired URL, 215/217/219 a V4 URL without x-oss-expires/x-oss-credential/
x-oss-signature, 003 an STS key without its token, 008 a token the key does not have, 010 a
token in both the header and the query.

Also: headers a presigned URL does not name are not part of its signature (oss2's AuthV2 and
AuthV4 sign only ``x-oss-*`` and the named additional headers), so a client may add any."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlsplit

import oss2
import oss2.http
import pytest

from core.errors import OssError
from core.oss.credentials import Credentials
from core.oss.signing import presign_v4, sign_headers_v4
from core.oss.urls import BucketAddress
from core.oss.verify import verify_header_v1, verify_request
from tests.verify_env import (  # noqa: F401 (frozen_sdk_clocks: the autouse fixture)
    AK, BUCKET, KEY, NOW, STS, frozen_sdk_clocks, lookup, provider, signed_headers,
    url_query, without)

TROUBLESHOOT = "https://api.aliyun.com/troubleshoot?q="


def _v2_url_query(triple=AK, expires=600) -> dict:
    signer = oss2.ProviderAuthV2(provider(triple))
    req = oss2.http.Request("GET", f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/",
                            params={"x-oss-process": "image/resize,w_10"}, headers={})
    url = signer._sign_url(req, BUCKET, KEY, expires)
    return {unquote(k): unquote(v) for k, _, v in
            (p.partition("=") for p in urlsplit(url).query.split("&") if p)}


def _sts_twice():
    headers = signed_headers("v1", STS)
    assert headers["x-oss-security-token"] == STS[2]
    return {"security-token": STS[2]}, headers


CASES = {
    "v1 header of another scheme": (lambda: ({}, {**signed_headers("v1"),
                                                  "authorization": "Bearer x"}),
                                    "AccessDenied", 403, "0002-00000061"),
    "v1 header without ':'": (lambda: ({}, {**signed_headers("v1"),
                                            "authorization": f"OSS {AK[0]}sig"}),
                              "AccessDenied", 403, "0002-00000062"),
    "v1 header without AccessKeyId": (lambda: ({}, {**signed_headers("v1"),
                                                    "authorization": "OSS  :c2lnbmF0dXJl"}),
                                      "AccessDenied", 403, "0002-00000063"),
    "v1 header without signature": (lambda: ({}, {**signed_headers("v1"),
                                                  "authorization": f"OSS {AK[0]}:"}),
                                    "AccessDenied", 403, "0002-00000065"),
    "v1 header without a date": (lambda: ({}, without(signed_headers("v1"), "date")),
                                 "AccessDenied", 403, "0002-00000503"),
    "v1 url expired": (lambda: (url_query("v1", expires=1), {}, NOW + 2),
                       "AccessDenied", 403, "0002-00000069"),
    "v2 url expired": (lambda: (_v2_url_query(expires=1), {}, NOW + 2),
                       "AccessDenied", 403, "0002-00000069"),
    "v2 url without x-oss-expires": (lambda: (without(_v2_url_query(), "x-oss-expires"), {}),
                                     "AccessDenied", 403, "0002-00000070"),
    "v4 url without x-oss-expires": (lambda: (without(url_query("v4"), "x-oss-expires"), {}),
                                     "AccessDenied", 403, "0002-00000215"),
    "v4 url without x-oss-credential": (lambda: (without(url_query("v4"), "x-oss-credential"),
                                                 {}),
                                        "AccessDenied", 403, "0002-00000217"),
    "v4 url without x-oss-signature": (lambda: (without(url_query("v4"), "x-oss-signature"),
                                                {}),
                                       "AccessDenied", 403, "0002-00000219"),
    "sts key without its token": (lambda: (without(url_query("v1", STS), "security-token"), {}),
                                  "InvalidAccessKeyId", 403, "0002-00000003"),
    "sts token forged": (lambda: ({**url_query("v1", STS), "security-token": "forged"}, {}),
                         "InvalidAccessKeyId", 403, "0002-00000008"),
    "sts token in header and query": (_sts_twice, "InvalidArgument", 400, "0002-00000010"),
}
# The OSS2 Authorization as the EC pages 0002-00000102..110 write their examples.
V2_MALFORMED = {
    "0002-00000102": "OSS2 AccessKeyId:{id},",
    "0002-00000103": "OSS2 AccessKeyId:{id},AdditionalHeadershost,Signature:{sig}",
    "0002-00000104": "OSS2 AccessKeyId:{id},Signature:{sig},UnknownKey:ABC",
    "0002-00000105": "OSS2 AdditionalHeaders:host,Signature:{sig}",
    "0002-00000106": "OSS2 AccessKeyId:,AdditionalHeaders:host,Signature:{sig}",
    "0002-00000108": "OSS2 AccessKeyId:{id},AdditionalHeaders:host",
    "0002-00000109": "OSS2 AccessKeyId:{id},AdditionalHeaders:host,Signature:",
    "0002-00000110": "OSS2 AccessKeyId:{id},AdditionalHeaders:,Signature:{sig}",
}


def _v2_header(form: str):
    def build():
        headers = {**signed_headers("v1"), "host": f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"}
        headers["authorization"] = form.format(id=AK[0], sig="c2lnbmF0dXJl")
        return {}, headers
    return build


CASES.update({f"v2 header {ec}": (_v2_header(form), "AccessDenied", 403, ec)
              for ec, form in V2_MALFORMED.items()})


@pytest.mark.parametrize("case", list(CASES))
def test_each_refusal_is_a_whole_oss_error_document(case):
    build, code, status, ec = CASES[case]
    query, headers, *when = build()
    with pytest.raises(OssError) as err:
        verify_request("GET", BUCKET, KEY, query, headers, lookup,
                       now=when[0] if when else NOW, region="cn-hangzhou")
    e = err.value
    assert (e.code, e.status, e.ec) == (code, status, ec)
    root = ET.fromstring(e.to_xml(request_id="5C3D9175B6FC201293AD****",
                                  host_id=f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"))
    assert root.tag == "Error"
    assert root.findtext("Code") == code
    assert isinstance(e.message, str) and root.findtext("Message") == e.message != ""
    assert root.findtext("RequestId") == "5C3D9175B6FC201293AD****"
    assert root.findtext("HostId") == f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"
    assert root.findtext("EC") == ec
    assert root.findtext("RecommendDoc") == TROUBLESHOOT + ec


def test_the_v1_header_verifier_called_without_an_authorization_header():
    """No Authorization at all does not start with "OSS ": the 0002-00000061 refusal."""
    headers = without(signed_headers("v1"), "authorization")
    with pytest.raises(OssError) as err:
        verify_header_v1("GET", BUCKET, KEY, {}, headers, lookup, now=NOW)
    assert (err.value.code, err.value.status, err.value.ec) == ("AccessDenied", 403,
                                                                "0002-00000061")
    assert err.value.message


@pytest.mark.parametrize("extra", [{"User-Agent": "aliyun-sdk-python/2.19.1"},
                                   {"Accept": "image/webp", "X-Forwarded-For": "10.0.0.1"},
                                   {"Xxxx": "1", "Range": "bytes=0-9"}])
def test_headers_a_presigned_url_does_not_name_are_not_signed(extra):
    for query in (url_query("v1"), url_query("v4"), _v2_url_query()):
        assert verify_request("GET", BUCKET, KEY, query, extra, lookup, now=NOW,
                              region="cn-hangzhou").access_key_id == AK[0]
    # a named one is: the V4 URL that names Range is refused when Range changes
    signed = presign_v4(BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", BUCKET),
                        KEY, Credentials(*AK), headers={"Range": "bytes=0-9"},
                        additional_headers=["range"], now=NOW)
    query = {unquote(k): unquote(v) for k, _, v in
             (p.partition("=") for p in urlsplit(signed.url).query.split("&") if p)}
    assert query["x-oss-additional-headers"] == "range"
    assert verify_request("GET", BUCKET, KEY, query, {"Range": "bytes=0-9"}, lookup,
                          now=NOW, region="cn-hangzhou").version == "v4"
    with pytest.raises(OssError) as err:
        verify_request("GET", BUCKET, KEY, query, {"Range": "bytes=0-8"}, lookup, now=NOW,
                       region="cn-hangzhou")
    assert (err.value.code, err.value.status) == ("SignatureDoesNotMatch", 403)


@pytest.mark.parametrize("region", ["", "  "])
def test_v4_signing_without_a_region_is_an_invalid_argument_document(region):
    with pytest.raises(OssError) as err:
        sign_headers_v4("GET", BUCKET, KEY, Credentials(*AK), region=region, now=NOW)
    e = err.value
    assert (e.code, e.status, e.key) == ("InvalidArgument", 400, "region")
    root = ET.fromstring(e.to_xml())
    assert root.findtext("Code") == "InvalidArgument"
    assert isinstance(e.message, str) and root.findtext("Message") == e.message != ""


def test_a_v2_url_without_a_signature_is_a_mismatch_that_shows_none_was_provided():
    query = without(_v2_url_query(), "x-oss-signature")
    with pytest.raises(OssError) as err:
        verify_request("GET", BUCKET, KEY, query, {}, lookup, now=NOW)
    e = err.value
    assert (e.code, e.status) == ("SignatureDoesNotMatch", 403)
    assert e.details["OSSAccessKeyId"] == AK[0] and e.details["SignatureProvided"] == ""
    root = ET.fromstring(e.to_xml())
    assert root.findtext("SignatureProvided") == "" and root.findtext("OSSAccessKeyId") == AK[0]


def test_a_url_valid_for_centuries_is_still_verified():
    """Expires is Unix seconds: a twelve-digit one (year 33658) is a time like any other."""
    far = 999_999_999_999
    for query in (url_query("v1", expires=far - NOW), _v2_url_query(expires=far - NOW)):
        assert query.get("Expires", query.get("x-oss-expires")) == str(far)
        assert verify_request("GET", BUCKET, KEY, query, {}, lookup,
                              now=NOW).access_key_id == AK[0]


def test_an_oss2_header_signature_dated_by_x_oss_date_alone_signs_an_empty_date_line():
    """OSS2 (oss2's AuthV2): the string to sign takes the Date header, empty when the
    request sends only x-oss-date (which then is the date checked against the clock)."""
    from email.utils import formatdate
    signer = oss2.ProviderAuthV2(provider(AK))
    req = oss2.http.Request("GET", f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/",
                            params={}, headers={"x-oss-date": formatdate(NOW, usegmt=True)})
    signature = signer._ProviderAuthV2__make_signature(req, BUCKET, KEY, [],
                                                       signer.credentials_provider
                                                       .get_credentials())
    headers = {**req.headers, "authorization": f"OSS2 AccessKeyId:{AK[0]},Signature:{signature}"}
    assert "date" not in {k.lower() for k in req.headers}
    assert verify_request("GET", BUCKET, KEY, {}, headers, lookup, now=NOW).version == "v2"
