"""The signing rules and signer options that the SDK matrix of ``test_signing.py`` does not
reach, each pinned against oss2 / alibabacloud-oss-v2 (frozen clock) or the spec
(``/work/shared/spec/oss-signing.md``): the service-level resource ``/``, V1's x-oss-date line,
a stale Authorization, the V4 payload hash, a clock with a fraction of a second, CloudBox
scopes, region trimming, the V4 encoding of every ASCII character, the key derivation's
defaults, the reserved parameters and the version switch of ``presign``."""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
from urllib.parse import unquote, urlsplit

import alibabacloud_oss_v2 as osv2
import alibabacloud_oss_v2.signer.v4 as v2_signer_v4
import oss2
import oss2.http
import pytest
from alibabacloud_oss_v2.types import HttpRequest, SigningContext

from core.errors import OssError
from core.oss.credentials import Credentials
from core.oss.signing import (V1_URL_PARAMS, V4_URL_PARAMS, additional_headers_v4,
                              canonical_request_v4, presign, presign_v1, presign_v4, scope_v4,
                              sign_headers_v1, sign_headers_v4, signature_v4, signing_key_v4,
                              string_to_sign_v4, uri_encode_v4)
from core.oss.urls import BucketAddress
from tests.sdk_clock import freeze_sdk_clocks

NOW = 1700000000                     # 2023-11-14T22:13:20Z
BUCKET, KEY, REGION = "example-bucket", "photos/k.jpg", "cn-hangzhou"
ENDPOINT = "oss-cn-hangzhou.aliyuncs.com"
TRIPLE = ("LTAI5tRulesKeyId0001", "Rules/Secret+Value=01", None)
STS = ("STS.NRulesKeyId00002", "StsRulesSecret00002", "CAIS+rules/Token=0002")
CLOUDBOX = "cb-f8z7yvzgwfkl9q0h"


@pytest.fixture(autouse=True)
def frozen_sdk_clocks(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


def creds(triple=TRIPLE) -> Credentials:
    return Credentials(*triple)


def address() -> BucketAddress:
    return BucketAddress.from_endpoint(ENDPOINT, BUCKET, https=True)


def _provider(triple=TRIPLE):
    return oss2.credentials.StaticCredentialsProvider(*triple)


def oss2_headers(version, bucket, key, *, params=None, headers=None, triple=TRIPLE,
                 cloudbox_id=None, product="oss") -> dict:
    req = oss2.http.Request("GET", f"https://{ENDPOINT}/", params=dict(params or {}),
                            headers=dict(headers or {}), region=REGION, product=product,
                            cloudbox_id=cloudbox_id)
    if version == "v4":
        oss2.ProviderAuthV4(_provider(triple))._sign_request(req, bucket, key)
    else:
        oss2.ProviderAuth(_provider(triple))._sign_request(req, bucket, key)
    return {k.lower(): v for k, v in req.headers.items()}


def oss2_url(version, key=KEY, expires=3600, params=None, **bucket) -> str:
    auth = (oss2.ProviderAuthV4 if version == "v4" else oss2.ProviderAuth)(_provider())
    return oss2.Bucket(auth, f"https://{ENDPOINT}", BUCKET, region=REGION, **bucket).sign_url(
        "GET", key, expires, params=dict(params) if params else None)


def query_of(url: str) -> dict:
    pairs = (p.partition("=") for p in urlsplit(url).query.split("&") if p)
    return {unquote(k): unquote(v) for k, _, v in pairs}


def v2_context(bucket, key, headers, region=REGION) -> SigningContext:
    request = HttpRequest("GET", f"https://{ENDPOINT}/", headers=dict(headers))
    return SigningContext(product="oss", region=region, bucket=bucket, key=key, request=request,
                          credentials=osv2.credentials.StaticCredentialsProvider(
                              *TRIPLE).get_credentials(),
                          signing_time=_dt.datetime.fromtimestamp(NOW, _dt.timezone.utc))


# ----------------------------------------------------------------------------- resources

@pytest.mark.parametrize("params", [{}, {"regionList": ""}], ids=["list-buckets", "regions"])
def test_a_service_level_request_signs_the_root(params):
    """No bucket (ListBuckets, DescribeRegions): V1 resource and V4 URI are "/" (spec 1.2)."""
    v1 = sign_headers_v1("GET", None, None, creds(), query=params, now=NOW)
    assert v1.headers["authorization"] == oss2_headers("v1", "", "", params=params)[
        "authorization"]
    assert v1.string_to_sign.endswith("\n/" + ("?regionList" if params else ""))
    v4 = sign_headers_v4("GET", None, None, creds(), region=REGION, query=params, now=NOW)
    assert v4.headers["authorization"].replace(",", ", ") == oss2_headers(
        "v4", "", "", params=params)["authorization"]
    assert v4.canonical_request.split("\n")[1] == "/"


def test_a_bucket_without_a_key_signs_the_bucket_root():
    v1 = sign_headers_v1("GET", BUCKET, None, creds(), query={"acl": ""}, now=NOW)
    assert v1.string_to_sign.endswith(f"\n/{BUCKET}/?acl")
    assert v1.headers["authorization"] == oss2_headers("v1", BUCKET, "", params={"acl": ""})[
        "authorization"]
    v4 = sign_headers_v4("GET", BUCKET, None, creds(), region=REGION, query={"acl": ""},
                         now=NOW)
    assert v4.canonical_request.split("\n")[1:3] == [f"/{BUCKET}/", "acl"]


def test_v1_takes_the_x_oss_date_header_as_its_date_line():
    """Spec 1.2 (header mode): the fourth line is x-oss-date when that header is present."""
    moment = "Tue, 14 Nov 2023 22:13:21 GMT"
    ours = sign_headers_v1("GET", BUCKET, KEY, creds(), headers={"x-oss-date": moment}, now=NOW)
    assert ours.string_to_sign.split("\n")[3] == moment
    assert ours.headers["date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    theirs = oss2_headers("v1", BUCKET, KEY, headers={"x-oss-date": moment})
    assert ours.headers["authorization"] == theirs["authorization"]


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_a_stale_authorization_header_is_replaced_not_signed(version):
    stale = {"Authorization": "OSS old:c2ln", "x-oss-meta-a": "1"}
    if version == "v1":
        ours = sign_headers_v1("GET", BUCKET, KEY, creds(), headers=stale, now=NOW)
    else:
        ours = sign_headers_v4("GET", BUCKET, KEY, creds(), region=REGION, headers=stale,
                               now=NOW)
    theirs = oss2_headers(version, BUCKET, KEY, headers={"x-oss-meta-a": "1"})
    assert ours.headers["authorization"].replace(",", ", ") == theirs["authorization"]
    assert "Authorization" not in ours.headers


def test_v4_a_stale_authorization_is_never_an_additional_header():
    """The Authorization is replaced, so it cannot be signed, even when named: only the
    headers the request will carry are listed (alibabacloud-oss-v2 signs the same)."""
    ours = sign_headers_v4("GET", BUCKET, KEY, creds(), region=REGION, now=NOW,
                           headers={"Authorization": "OSS old:c2ln", "Range": "bytes=0-9"},
                           additional_headers=["authorization", "range"])
    ctx = v2_context(BUCKET, KEY, {"Range": "bytes=0-9"})
    ctx.additional_headers = {"range"}
    v2_signer_v4.SignerV4().sign(ctx)
    assert ours.headers["authorization"] == ctx.request.headers["Authorization"]
    assert "AdditionalHeaders=range," in ours.headers["authorization"]


def test_v1_signed_headers_carry_the_spec_strings():
    ours = sign_headers_v1("PUT", BUCKET, KEY, creds(STS), now=NOW,
                           headers={"Content-Type": "image/png", "Content-MD5": "bWQ1"})
    assert (ours.version, ours.canonical_request) == ("v1", None)
    assert ours.string_to_sign == ("PUT\nbWQ1\nimage/png\nTue, 14 Nov 2023 22:13:20 GMT\n"
                                   f"x-oss-security-token:{STS[2]}\n/{BUCKET}/{KEY}")
    assert ours.headers["x-oss-security-token"] == STS[2]
    assert ours.headers["authorization"] == f"OSS {STS[0]}:{ours.signature}"


# ----------------------------------------------------------------------------- V4 details

def test_v4_hashed_payload_is_the_x_oss_content_sha256_header():
    """Both SDKs' canonical requests end with the x-oss-content-sha256 header's value, and
    with UNSIGNED-PAYLOAD only when there is none (spec 2.2)."""
    digest = hashlib.sha256(b"hello").hexdigest()
    headers = {"x-oss-content-sha256": digest, "x-oss-date": "20231114T221320Z"}
    ours = canonical_request_v4("GET", BUCKET, KEY, {}, headers)
    req = oss2.http.Request("GET", f"https://{ENDPOINT}/", headers=dict(headers), region=REGION,
                            product="oss")
    auth = oss2.ProviderAuthV4(_provider())
    assert ours == auth._ProviderAuthV4__get_canonical_request(req, BUCKET, KEY, [])
    v2 = v2_signer_v4.SignerV4()._calc_canonical_request(v2_context(BUCKET, KEY, headers), [])
    assert ours == v2 and ours.endswith("\n" + digest)
    assert canonical_request_v4("GET", BUCKET, KEY, {}, {}).endswith("\n\n\nUNSIGNED-PAYLOAD")
    signed = sign_headers_v4("PUT", BUCKET, KEY, creds(), region=REGION, now=NOW,
                             headers={"x-oss-content-sha256": digest})
    assert signed.headers["x-oss-content-sha256"] == digest
    assert signed.canonical_request.endswith("\n" + digest)


def test_v4_header_signing_with_sts_matches_the_sdks_field_by_field():
    ours = sign_headers_v4("GET", BUCKET, KEY, creds(STS), region=REGION, now=NOW)
    theirs = oss2_headers("v4", BUCKET, KEY, triple=STS)
    assert ours.headers["x-oss-security-token"] == theirs["x-oss-security-token"] == STS[2]
    # alibabacloud-oss-v2 also sends Date (RFC 1123), which V4 does not sign; oss2 sends none.
    assert ours.headers["date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert ours.headers["authorization"].replace(",", ", ") == theirs["authorization"]
    assert (ours.version, ours.signature) == ("v4", theirs["authorization"].rsplit("=", 1)[1])
    assert ours.string_to_sign.split("\n")[:3] == [
        "OSS4-HMAC-SHA256", "20231114T221320Z", f"20231114/{REGION}/oss/aliyun_v4_request"]


def test_v4_cloudbox_scope_and_key_match_oss2():
    """CloudBox (spec 2.3): the CloudBox id replaces the region, the product is oss-cloudbox."""
    ours = sign_headers_v4("GET", BUCKET, KEY, creds(), region=CLOUDBOX, product="oss-cloudbox",
                           now=NOW)
    theirs = oss2_headers("v4", BUCKET, KEY, cloudbox_id=CLOUDBOX, product="oss-cloudbox")
    assert ours.headers["authorization"].replace(",", ", ") == theirs["authorization"]
    assert f"/{CLOUDBOX}/oss-cloudbox/aliyun_v4_request" in ours.string_to_sign
    url = presign_v4(address(), KEY, creds(), region=CLOUDBOX, product="oss-cloudbox", now=NOW)
    assert query_of(url.url) == query_of(oss2_url("v4", cloudbox_id=CLOUDBOX))


def test_v4_region_is_trimmed_and_never_empty():
    ours = sign_headers_v4("GET", BUCKET, KEY, creds(), region=f"  {REGION} ", now=NOW)
    assert ours.headers["authorization"].replace(",", ", ") == oss2_headers(
        "v4", BUCKET, KEY)["authorization"]
    for region in ("", "   "):
        with pytest.raises(OssError) as err:
            sign_headers_v4("GET", BUCKET, KEY, creds(), region=region, now=NOW)
        assert (err.value.code, err.value.status, err.value.key) == ("InvalidArgument", 400,
                                                                     "region")


def test_v4_encoding_keeps_only_the_unreserved_characters():
    """Spec 2.2: only A-Z a-z 0-9 - _ . ~ stay, upper-case hex; oss2's encoder as oracle."""
    encode = oss2.ProviderAuthV4(_provider())._ProviderAuthV4__v4_uri_encode
    text = "".join(chr(c) for c in range(32, 127)) + "é猫😀"
    assert uri_encode_v4(text, False) == encode(text, False)
    assert uri_encode_v4(text, True) == encode(text, True)
    assert "/" in uri_encode_v4("/a/b", True) and "%2F" in uri_encode_v4("/a/b", False)


def test_v4_additional_headers_are_those_present_with_a_value():
    """alibabacloud-oss-v2 lists an additional header only when the request has it with a
    non-empty value, lower-cased and sorted, never a default-signed one."""
    headers = {"host": "h", "range": "bytes=0-1", "if-match": "", "content-type": "t",
               "x-oss-meta-a": "1"}
    names = {"Range", "HOST", "if-match", "absent", "Content-Type", "x-oss-meta-a"}
    request = HttpRequest("GET", f"https://{ENDPOINT}/", headers=dict(headers))
    expected = list(v2_signer_v4.SignerV4()._common_additional_headers(request, names))
    assert expected == ["host", "range"]
    assert additional_headers_v4(headers, sorted(names) + ["", "  "]) == expected


def test_v4_key_derivation_defaults_to_the_oss_product():
    """Spec 2.3, written out with hmac here: scope and key for product "oss"."""
    date, secret = "20231114", TRIPLE[1]
    assert scope_v4(date, REGION) == f"{date}/{REGION}/oss/aliyun_v4_request"
    key = ("aliyun_v4" + secret).encode()
    for part in (date, REGION, "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert signing_key_v4(secret, date, REGION) == key
    sts = string_to_sign_v4("20231114T221320Z", scope_v4(date, REGION), "GET\n/\n\n\n\nX")
    assert sts == ("OSS4-HMAC-SHA256\n20231114T221320Z\n" + scope_v4(date, REGION) + "\n"
                   + hashlib.sha256(b"GET\n/\n\n\n\nX").hexdigest())
    assert signature_v4(secret, date, REGION, sts) == hmac.new(
        key, sts.encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- the clock

def test_a_clock_with_a_fraction_of_a_second_signs_as_the_sdks(monkeypatch):
    """oss2 truncates the clock to whole seconds (int(time.time()), strftime)."""
    freeze_sdk_clocks(monkeypatch, NOW + 0.75)
    v1 = presign_v1(address(), KEY, creds(), expires=60, now=NOW + 0.75)
    assert query_of(v1.url) == query_of(oss2_url("v1", expires=60))
    assert v1.expires_at == NOW + 60 == int(query_of(v1.url)["Expires"])
    v4 = presign_v4(address(), KEY, creds(), expires=60, now=NOW + 0.75)
    assert query_of(v4.url) == query_of(oss2_url("v4", expires=60))
    assert v4.expires_at == NOW + 60
    h1 = sign_headers_v1("GET", BUCKET, KEY, creds(), now=NOW + 0.75)
    assert h1.headers["authorization"] == oss2_headers("v1", BUCKET, KEY)["authorization"]
    h4 = sign_headers_v4("GET", BUCKET, KEY, creds(), region=REGION, now=NOW + 0.75)
    assert h4.headers["date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert h4.headers["authorization"].replace(",", ", ") == oss2_headers(
        "v4", BUCKET, KEY)["authorization"]


def test_without_a_clock_the_signers_read_the_system_clock(monkeypatch):
    import core.oss.signing as signing
    monkeypatch.setattr(signing.time, "time", lambda: NOW + 0.5)
    assert presign_v1(address(), KEY, creds(), expires=60).expires_at == NOW + 60
    assert presign_v4(address(), KEY, creds(), expires=60).url == presign_v4(
        address(), KEY, creds(), expires=60, now=NOW).url
    assert sign_headers_v1("GET", BUCKET, KEY, creds()).headers == sign_headers_v1(
        "GET", BUCKET, KEY, creds(), now=NOW).headers
    assert sign_headers_v4("GET", BUCKET, KEY, creds(), region=REGION).headers == \
        sign_headers_v4("GET", BUCKET, KEY, creds(), region=REGION, now=NOW).headers


# ----------------------------------------------------------------------------- presign options

@pytest.mark.parametrize("expires", [0, 604801, "60", 1.5])
def test_presign_v4_expiry_outside_1_to_604800_seconds_is_an_invalid_argument(expires):
    """Spec 2.1: x-oss-expires is 1..604800 seconds (alibabacloud-oss-v2 refuses more)."""
    with pytest.raises(OssError) as err:
        presign_v4(address(), KEY, creds(), expires=expires, now=NOW)
    e = err.value
    assert (e.code, e.status, e.key) == ("InvalidArgument", 400, "expires")
    assert repr(expires) in e.message and "604800" in e.message


def test_presign_v1_expiry_of_one_second_and_its_strings():
    signed = presign_v1(address(), KEY, creds(), expires=1, now=NOW)
    assert query_of(signed.url) == query_of(oss2_url("v1", expires=1))
    assert (signed.version, signed.canonical_request, signed.expires_at) == ("v1", None, NOW + 1)
    assert signed.string_to_sign == f"GET\n\n\n{NOW + 1}\n/{BUCKET}/{KEY}"
    assert query_of(signed.url)["Signature"] == signed.signature


@pytest.mark.parametrize("version,names", [
    ("v1", (*V1_URL_PARAMS, "security-token")),
    ("v4", (*V4_URL_PARAMS, "x-oss-security-token")),
])
def test_the_signature_parameters_cannot_be_passed_in(version, names):
    sign = presign_v1 if version == "v1" else presign_v4
    for name in names:
        with pytest.raises(OssError) as err:
            sign(address(), KEY, creds(), params={name: "x", "x-oss-process": "image/info"},
                 now=NOW)
        e = err.value
        assert (e.code, e.status, e.key) == ("InvalidArgument", 400, name)
        assert name in e.message
    with pytest.raises(OssError) as err:
        sign(address(), KEY, creds(), params=dict.fromkeys(names[:2], "x"), now=NOW)
    assert err.value.key in names[:2] and all(n in err.value.message for n in names[:2])


def test_presign_does_not_change_the_params_it_is_given():
    """oss2's sign_url adds the auth parameters to the caller's dict (spec pitfall 10)."""
    params = {"x-oss-process": "image/resize,w_10"}
    for version in ("v1", "v4"):
        presign(address(), KEY, creds(STS), version=version, params=params, now=NOW)
        assert params == {"x-oss-process": "image/resize,w_10"}


def test_presign_switches_on_the_version_and_adds_the_process():
    for version in ("v1", "v4"):
        plain = presign(address(), KEY, creds(), version=version, process="", now=NOW)
        assert query_of(plain.url) == query_of(oss2_url(version))   # no x-oss-process at all
        with_process = presign(address(), KEY, creds(), version=version, now=NOW,
                               process="image/resize,w_10")
        assert query_of(with_process.url) == query_of(
            oss2_url(version, params={"x-oss-process": "image/resize,w_10"}))
    # V1 has no region, additional headers or product: they are ignored, not an error.
    v1 = presign(address(), KEY, creds(), version="v1", region="cn-beijing",
                 additional_headers=["host"], product="oss-cloudbox", now=NOW)
    assert query_of(v1.url) == query_of(oss2_url("v1"))
    assert presign(address(), KEY, creds(), now=NOW).version == "v4"   # the default
    for version in ("v2", "V4", ""):
        with pytest.raises(OssError) as err:
            presign(address(), KEY, creds(), version=version, now=NOW)
        assert (err.value.code, err.value.status, err.value.key) == ("InvalidArgument", 400,
                                                                     "version")
        assert repr(version) in err.value.message
