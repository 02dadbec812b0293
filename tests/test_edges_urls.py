"""Edges of core.oss.urls and core.oss.signing that the mutation run showed untested: the
1023-byte key limit from both sides, the error each builder raises (code, HTTP status,
key), an empty process value (no processing: the plain object URL, as the SDKs build it
without params), and the headers a presigned URL covers."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from core.errors import OssError
from core.oss.credentials import Credentials
from core.oss.signing import (additional_headers_v4, presign_v1, presign_v4, sign_headers_v1,
                              sign_headers_v4)
from core.oss.verify import (verify_header_v1, verify_header_v4, verify_presigned_v1,
                             verify_presigned_v4)
from core.oss.urls import (SEPARATORS, AddressStyle, BucketAddress, build_query,
                           is_ip_or_localhost, parse_query, resolve_region,
                           process_url, separator_url)

BUCKET = "example-bucket"
HOST = f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com"


def _address() -> BucketAddress:
    return BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", BUCKET, https=True)


# OSS object naming rule: "The name must be 1 to 1,023 bytes in length" (UTF-8), and must
# not start with '/'. "中" is 3 bytes in UTF-8, so 341 of them are exactly 1023 bytes.
@pytest.mark.parametrize("key", ["a" * 1023, "中" * 341, "a" * 1021 + "é"])
def test_a_key_of_exactly_1023_bytes_is_accepted(key):
    url = process_url(_address(), key, "image/resize,w_1")
    assert url.startswith(f"{HOST}/")
    assert url.endswith("?x-oss-process=image%2Fresize%2Cw_1")


@pytest.mark.parametrize("key", ["a" * 1024, "中" * 342, "a" * 1022 + "é", "", "/a.jpg"])
def test_a_key_over_1023_bytes_empty_or_rooted_is_invalid_object_name(key):
    with pytest.raises(OssError) as err:
        process_url(_address(), key, "image/resize,w_1")
    e = err.value
    assert (e.code, e.status, e.key) == ("InvalidObjectName", 400, "key")
    assert isinstance(e.message, str) and "1023" in e.message


def test_an_empty_process_value_gives_the_plain_object_url():
    # The SDKs add no x-oss-process parameter when no process is given; an empty value
    # means "no processing", so there is no query at all (not a bare "?x-oss-process").
    assert process_url(_address(), "photos/cat.jpg", "") == f"{HOST}/photos/cat.jpg"


@pytest.mark.parametrize("sep", ["@", "", "--", "."])
def test_a_separator_outside_the_console_set_is_an_invalid_argument(sep):
    with pytest.raises(OssError) as err:
        separator_url(_address(), "a.jpg", "thumb", sep)
    e = err.value
    assert (e.code, e.status, e.key) == ("InvalidArgument", 400, "separator")
    # The message names the rejected separator and every allowed one.
    assert repr(sep) in e.message
    assert all(s in e.message for s in SEPARATORS)


@pytest.mark.parametrize("raw", ["a=1&&b=2", "&a=1&b=2", "a=1&b=2&", "a=1&&&x-oss-process=image%2Fresize%2Cw_1&b=2"])
def test_empty_pairs_in_a_query_are_skipped_not_the_end(raw):
    # As the standard library reads a query (no '+' here, where OSS and WHATWG differ):
    # an empty pair between '&'s is skipped and the pairs after it still count.
    assert parse_query(raw) == dict(parse_qsl(raw, keep_blank_values=True))
    assert parse_query(raw)["b"] == "2"


@pytest.mark.parametrize("netloc,expected", [
    ("::1", True), ("2001:db8::1", True),            # bare IPv6: its colons are not a port
    ("[::1]", True), ("[2001:db8::1]:9000", True),   # bracketed IPv6, with or without port
    ("127.0.0.1", True), ("127.0.0.1:9000", True), ("localhost:8080", True),
    ("oss-cn-hangzhou.aliyuncs.com", False), ("example.com:80", False),
])
def test_ip_or_localhost_endpoints(netloc, expected):
    assert is_ip_or_localhost(netloc) is expected


def test_a_bare_ipv6_endpoint_is_path_style():
    # Both SDKs address an IP endpoint path-style (no bucket label in front of an IP).
    address = BucketAddress.from_endpoint("::1", BUCKET)
    assert address.style == "path"


# ----------------------------------------------------------------------------- errors
# OSS bucket naming rule: 3-63 characters of a-z, 0-9 and '-', starting and ending with a
# letter or digit (InvalidBucketName, 400).

@pytest.mark.parametrize("bucket", ["abc", "a-c", "0" * 63, "a" + "-" * 61 + "z"])
def test_bucket_names_within_the_rule(bucket):
    assert BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", bucket).bucket == bucket


@pytest.mark.parametrize("bucket", ["ab", "a" * 64, "-abc", "abc-", "aBc", "a_c", "a.c", ""])
def test_bucket_names_outside_the_rule(bucket):
    with pytest.raises(OssError) as err:
        BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", bucket)
    e = err.value
    assert (e.code, e.status, e.key) == ("InvalidBucketName", 400, "bucket")
    assert repr(bucket) in e.message


def test_address_argument_errors_name_their_key():
    cases = [
        (lambda: BucketAddress(BUCKET, "oss-cn-hangzhou.aliyuncs.com", scheme="ftp"), "scheme"),
        (lambda: BucketAddress(BUCKET, "oss-cn-hangzhou.aliyuncs.com",
                               style=AddressStyle.CNAME), "cname"),
        (lambda: BucketAddress.from_endpoint("", BUCKET), "endpoint"),
        (lambda: BucketAddress.from_endpoint("   ", BUCKET), "endpoint"),
        (lambda: BucketAddress.from_endpoint("https:///x", BUCKET), "endpoint"),
    ]
    for build, key in cases:
        with pytest.raises(OssError) as err:
            build()
        assert (err.value.code, err.value.status, err.value.key) == ("InvalidArgument", 400, key)
        assert isinstance(err.value.message, str) and err.value.message


def test_region_errors_are_invalid_arguments_on_the_region_key():
    for endpoint, region in [("oss-cn-hangzhou.aliyuncs.com", "CN HZ"),
                             ("oss-cn-hangzhou.aliyuncs.com", "oss-cn-beijing"),
                             ("img.example.com", None), ("img.example.com", "  ")]:
        with pytest.raises(OssError) as err:
            resolve_region(endpoint, region)
        assert (err.value.code, err.value.status, err.value.key) == ("InvalidArgument", 400,
                                                                     "region")
        assert isinstance(err.value.message, str)
        if region and region.strip():
            assert repr(region) in err.value.message or region[4:] in err.value.message
    # The oss- prefix mistake names the region to use instead.
    with pytest.raises(OssError) as err:
        resolve_region("oss-cn-hangzhou.aliyuncs.com", "oss-cn-beijing")
    assert "cn-beijing" in err.value.message.replace("oss-cn-beijing", "")
    assert resolve_region("oss-cn-hangzhou.aliyuncs.com", " cn-beijing ") == "cn-beijing"
    assert resolve_region("oss-cn-hangzhou.aliyuncs.com", "  ") == "cn-hangzhou"


# ----------------------------------------------------------------------------- schemes

def test_the_scheme_comes_from_https_then_cname_then_endpoint_then_http():
    ep = "oss-cn-hangzhou.aliyuncs.com"
    assert BucketAddress.from_endpoint(ep, BUCKET).scheme == "http"          # as oss2
    assert BucketAddress.from_endpoint("https://" + ep, BUCKET).scheme == "https"
    assert BucketAddress.from_endpoint("HTTPS://" + ep.upper(), BUCKET).endpoint == ep
    assert BucketAddress.from_endpoint("https://" + ep, BUCKET, https=False).scheme == "http"
    assert BucketAddress.from_endpoint(ep, BUCKET, https=True).scheme == "https"
    a = BucketAddress.from_endpoint("http://" + ep, BUCKET, cname="https://img.example.com/")
    assert (a.scheme, a.style, a.host) == ("https", "cname", "img.example.com")
    a = BucketAddress.from_endpoint("https://" + ep, BUCKET, cname="img.example.com")
    assert (a.scheme, a.host) == ("https", "img.example.com")
    assert a.url("k.jpg") == "https://img.example.com/k.jpg"


def test_the_bucket_root_in_each_style():
    ep = "oss-cn-hangzhou.aliyuncs.com"
    assert BucketAddress.from_endpoint(ep, BUCKET).url() == f"http://{BUCKET}.{ep}/"
    path = BucketAddress.from_endpoint(ep, BUCKET, path_style=True)
    assert path.url() == f"http://{ep}/{BUCKET}/"
    assert path.url("a b.jpg") == f"http://{ep}/{BUCKET}/a%20b.jpg"
    local = BucketAddress.from_endpoint("127.0.0.1:9000", BUCKET)
    assert local.url("k") == f"http://127.0.0.1:9000/{BUCKET}/k"


def test_build_query_keeps_order_and_writes_an_empty_value_as_the_bare_name():
    # Both SDKs: a sub-resource without value is written as its bare name (?acl).
    assert build_query({"b": "2", "acl": "", "a": "1/2"}) == "b=2&acl&a=1%2F2"
    assert parse_query("b=2&acl&a=1%2F2") == {"b": "2", "acl": "", "a": "1/2"}


# -- signing: what the mutation run showed untested in core.oss.signing ----------------------

SIGN_NOW = 1700000000
SIGN_CREDS = Credentials("LTAI5tEdgeKeyId00001", "Edge/Secret+Value=001")


def _lookup(access_key_id):
    return SIGN_CREDS if access_key_id == SIGN_CREDS.access_key_id else None


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


@pytest.mark.parametrize("expires", [0, -1, "60", 1.5])
def test_presign_v1_refuses_an_expiry_that_is_not_a_positive_int(expires):
    with pytest.raises(OssError) as err:
        presign_v1(_address(), "k.jpg", SIGN_CREDS, expires=expires, now=SIGN_NOW)
    assert (err.value.code, err.value.key) == ("InvalidArgument", "expires")
    assert repr(expires) in err.value.message


def test_each_signer_reports_its_version():
    assert presign_v1(_address(), "k", SIGN_CREDS, now=SIGN_NOW).version == "v1"
    assert presign_v4(_address(), "k", SIGN_CREDS, now=SIGN_NOW).version == "v4"
    assert sign_headers_v1("GET", BUCKET, "k", SIGN_CREDS, now=SIGN_NOW).version == "v1"
    assert sign_headers_v4("GET", BUCKET, "k", SIGN_CREDS, region="cn-hangzhou",
                           now=SIGN_NOW).version == "v4"


def test_v1_presigned_url_covers_the_headers_it_was_signed_with():
    """V1's StringToSign has Content-Type and the x-oss-* headers (spec, V1 section): the
    URL is good only with the headers it was signed with."""
    headers = {"Content-Type": "image/png", "x-oss-meta-owner": "ada"}
    url = presign_v1(_address(), "k.png", SIGN_CREDS, method="PUT", headers=headers,
                     now=SIGN_NOW).url
    query = _query(url)
    ok = verify_presigned_v1("PUT", BUCKET, "k.png", query, headers, _lookup, now=SIGN_NOW)
    assert ok.access_key_id == SIGN_CREDS.access_key_id
    for other in ({}, {"Content-Type": "image/png"}, {**headers, "x-oss-meta-owner": "bob"}):
        with pytest.raises(OssError) as err:
            verify_presigned_v1("PUT", BUCKET, "k.png", query, other, _lookup, now=SIGN_NOW)
        assert (err.value.code, err.value.status) == ("SignatureDoesNotMatch", 403)


def test_v1_presigned_url_without_a_signature_is_a_mismatch_not_a_crash():
    query = _query(presign_v1(_address(), "k", SIGN_CREDS, now=SIGN_NOW).url)
    del query["Signature"]
    with pytest.raises(OssError) as err:
        verify_presigned_v1("GET", BUCKET, "k", query, {}, _lookup, now=SIGN_NOW)
    assert (err.value.code, err.value.status) == ("SignatureDoesNotMatch", 403)


def test_v4_presigned_url_covers_its_additional_headers():
    headers = {"Host": f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com", "x-oss-meta-owner": "ada"}
    url = presign_v4(_address(), "k.png", SIGN_CREDS, headers=headers,
                     additional_headers=["host"], now=SIGN_NOW).url
    query = _query(url)
    ok = verify_presigned_v4("GET", BUCKET, "k.png", query, headers, _lookup, now=SIGN_NOW,
                             region="cn-hangzhou")
    assert ok.access_key_id == SIGN_CREDS.access_key_id
    with pytest.raises(OssError) as err:
        verify_presigned_v4("GET", BUCKET, "k.png", query, {**headers, "Host": "elsewhere"},
                            _lookup, now=SIGN_NOW, region="cn-hangzhou")
    assert (err.value.code, err.value.status) == ("SignatureDoesNotMatch", 403)


def _signed_v1(date: str) -> dict[str, str]:
    signed = sign_headers_v1("GET", BUCKET, "k", SIGN_CREDS, now=SIGN_NOW)
    return {**signed.headers, "date": date}


@pytest.mark.parametrize("date", ["yesterday", "Tue, 14 Nov 2023 22:13:20"])   # no zone
def test_an_unreadable_request_date_is_access_denied_naming_it(date):
    with pytest.raises(OssError) as err:
        verify_header_v1("GET", BUCKET, "k", {}, _signed_v1(date), _lookup, now=SIGN_NOW)
    e = err.value
    assert (e.code, e.status) == ("AccessDenied", 403)
    assert date in e.message and e.ec.startswith("0002-")


def test_a_skewed_request_says_both_times():
    """OSS's RequestTimeTooSkewed answer carries RequestTime and ServerTime (as S3's)."""
    date = "Tue, 14 Nov 2023 20:00:00 GMT"
    with pytest.raises(OssError) as err:
        verify_header_v1("GET", BUCKET, "k", {}, _signed_v1(date), _lookup, now=SIGN_NOW)
    e = err.value
    assert (e.code, e.status) == ("RequestTimeTooSkewed", 403)
    assert e.details["RequestTime"] == date
    assert e.details["ServerTime"].startswith("2023-11-14T22:13:20")


def test_an_unknown_access_key_id_is_named_in_the_error():
    signed = sign_headers_v1("GET", BUCKET, "k", Credentials("LTAI5tUnknown0000001", "s"),
                             now=SIGN_NOW)
    with pytest.raises(OssError) as err:
        verify_header_v1("GET", BUCKET, "k", {}, signed.headers, _lookup, now=SIGN_NOW)
    assert (err.value.code, err.value.status) == ("InvalidAccessKeyId", 403)
    assert err.value.details["OSSAccessKeyId"] == "LTAI5tUnknown0000001"


def test_a_malformed_v4_x_oss_date_header_is_access_denied_naming_it():
    signed = sign_headers_v4("GET", BUCKET, "k", SIGN_CREDS, region="cn-hangzhou",
                             now=SIGN_NOW)
    headers = {**signed.headers, "x-oss-date": "2023-11-14 22:13:20"}
    with pytest.raises(OssError) as err:
        verify_header_v4("GET", BUCKET, "k", {}, headers, _lookup, now=SIGN_NOW,
                         region="cn-hangzhou")
    e = err.value
    assert (e.code, e.status) == ("AccessDenied", 403)
    assert "2023-11-14 22:13:20" in e.message and e.ec.startswith("0002-")


def test_v4_additional_headers_never_list_what_is_signed_anyway():
    """Spec (V4): x-oss-* headers, Content-Type and Content-MD5 are always signed, so only
    other headers are worth listing in x-oss-additional-headers."""
    headers = {"Host": "h", "Content-Type": "t", "Content-MD5": "m", "x-oss-meta-a": "1",
               "Range": "bytes=0-1"}
    assert additional_headers_v4(headers, ["x-oss-meta-a", "Content-Type", "content-md5",
                                           "host", "RANGE", "absent"]) == ["host", "range"]


@pytest.mark.parametrize("endpoint", ["oss-cn-hangzhou.aliyuncs.com/",
                                      "oss-cn-hangzhou.aliyuncs.com/some/path",
                                      "OSS-CN-HANGZHOU.aliyuncs.com"])
def test_an_endpoint_without_scheme_is_its_host_whatever_follows(endpoint):
    address = BucketAddress.from_endpoint(endpoint, BUCKET, https=True)
    assert process_url(address, "k.jpg", "") == f"{HOST}/k.jpg"


@pytest.mark.parametrize("expires,ok", [(1, True), (604800, True), (0, False), (604801, False)])
def test_v4_x_oss_expires_is_1_to_604800_seconds(expires, ok):
    """Spec (V4 query): x-oss-expires is documented as 1-604800 seconds; both sides of
    each end. The URL is built by hand from a valid one so 0 and 604801 can be tried."""
    query = _query(presign_v4(_address(), "k", SIGN_CREDS, expires=3600, now=SIGN_NOW).url)
    query["x-oss-expires"] = str(expires)
    if ok:   # re-signed with the new expiry: the verifier must accept the range's ends
        query = _query(presign_v4(_address(), "k", SIGN_CREDS, expires=expires,
                                  now=SIGN_NOW).url)
        assert verify_presigned_v4("GET", BUCKET, "k", query, {}, _lookup, now=SIGN_NOW,
                                   region="cn-hangzhou").access_key_id
    else:
        with pytest.raises(OssError) as err:
            verify_presigned_v4("GET", BUCKET, "k", query, {}, _lookup, now=SIGN_NOW,
                                region="cn-hangzhou")
        assert (err.value.code, err.value.status) == ("AccessDenied", 403)
