"""URL builder: forms, encoding and regions, checked against alibabacloud-oss-v2 where it
has an equivalent (its endpoint table and its URL encoding), and against the OSS URL
grammar (round trips) elsewhere."""
from __future__ import annotations

import datetime as _dt
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, strategies as st

import alibabacloud_oss_v2 as osv2
from alibabacloud_oss_v2 import endpoints as v2_endpoints

from core.errors import OssError
from core.oss.urls import (AddressStyle, BucketAddress, build_query, encode_key, parse_query,
                       process_url, region_from_endpoint, resolve_region, separator_url,
                       style_url)

BUCKET = "example-bucket"
REGIONS = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-hongkong", "us-west-1",
           "ap-southeast-1", "eu-central-1", "me-east-1", "rg-china-mainland"]


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("etype", ["default", "internal", "dualstack"])
@pytest.mark.parametrize("ssl", [True, False])
def test_region_round_trips_through_sdk_endpoint_table(region, etype, ssl):
    endpoint = v2_endpoints.from_region(region, not ssl, etype)
    assert region_from_endpoint(endpoint) == region
    assert region_from_endpoint(f"{BUCKET}.{urlsplit(endpoint).netloc}") == region


@pytest.mark.parametrize("endpoint", [
    "oss-accelerate.aliyuncs.com", "oss-accelerate-overseas.aliyuncs.com",
    "img.example.com", "127.0.0.1:9000", "localhost", "", "aliyuncs.com"])
def test_region_unknown(endpoint):
    assert region_from_endpoint(endpoint) is None
    with pytest.raises(OssError) as err:
        resolve_region(endpoint)
    assert err.value.key == "region"


def test_region_with_port_and_scheme():
    assert region_from_endpoint("https://oss-cn-hangzhou.aliyuncs.com:443/") == "cn-hangzhou"


def test_region_override():
    assert resolve_region("img.example.com", "cn-shenzhen") == "cn-shenzhen"
    assert resolve_region("oss-cn-hangzhou.aliyuncs.com", "cn-beijing") == "cn-beijing"
    assert resolve_region("oss-cn-hangzhou.aliyuncs.com", "") == "cn-hangzhou"
    for bad in ("oss-cn-hangzhou", "CN HZ", "cn_hangzhou"):
        with pytest.raises(OssError):
            resolve_region("oss-cn-hangzhou.aliyuncs.com", bad)


# ----------------------------------------------------------------------------- forms

def _address(**kw) -> BucketAddress:
    return BucketAddress.from_endpoint(kw.pop("endpoint", "oss-cn-hangzhou.aliyuncs.com"),
                                       BUCKET, **kw)


def _v2_unsigned(key: str, process: str | None, **cfg_kw) -> str:
    """alibabacloud-oss-v2's presigned URL with the signature parameters removed, so what
    is left is exactly its URL builder's output, byte for byte."""
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider("id", "secret")
    cfg.region = "cn-hangzhou"
    cfg.endpoint = "oss-cn-hangzhou.aliyuncs.com"
    for name, value in cfg_kw.items():
        setattr(cfg, name, value)
    request = osv2.models.GetObjectRequest(bucket=BUCKET, key=key, process=process)
    expiration = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(minutes=5)
    url = osv2.Client(cfg).presign(request, expiration=expiration).url
    base, _, query = url.partition("?")
    kept = [p for p in query.split("&") if not p.startswith("x-oss-")
            or p.startswith("x-oss-process=")]
    return base + ("?" + "&".join(kept) if kept else "")


KEYS = ["cat.jpg", "photos/2024/cat.jpg", "a b+c=d&e.jpg", "猫/写真 1.png",
        "dir//x.webp", "odd %25 #hash ?q ~t.gif"]
PROCESS = "image/resize,w_100/watermark,text_SGk+Pz8=,g_se"


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("form,ours,theirs", [
    ("virtual", dict(https=True), {}),
    ("http", dict(https=False), dict(disable_ssl=True)),
    ("path", dict(https=True, path_style=True), dict(use_path_style=True)),
    ("cname", dict(https=True, cname="img.example.com"),
     dict(endpoint="img.example.com", use_cname=True)),
])
def test_process_url_is_byte_identical_to_sdk(key, form, ours, theirs):
    assert process_url(_address(**ours), key, PROCESS) == _v2_unsigned(key, PROCESS, **theirs)


def test_forms_golden():
    key = "photos/cat 1.jpg"
    assert process_url(_address(https=True), key, "image/resize,w_100") == (
        "https://example-bucket.oss-cn-hangzhou.aliyuncs.com/photos/cat%201.jpg"
        "?x-oss-process=image%2Fresize%2Cw_100")
    assert _address(path_style=True).url(key) == (
        "http://oss-cn-hangzhou.aliyuncs.com/example-bucket/photos/cat%201.jpg")
    assert _address(cname="https://img.example.com").url(key) == (
        "https://img.example.com/photos/cat%201.jpg")
    assert style_url(_address(https=True), key, "thumb") == (
        "https://example-bucket.oss-cn-hangzhou.aliyuncs.com/photos/cat%201.jpg"
        "?x-oss-process=style%2Fthumb")


def test_address_parsing():
    assert _address().scheme == "http"  # as oss2 (and the CLI's --https flag) imply
    assert _address(endpoint="https://oss-cn-hangzhou.aliyuncs.com").scheme == "https"
    assert _address(endpoint="https://oss-cn-hangzhou.aliyuncs.com", https=False).scheme == "http"
    for local in ("127.0.0.1:8080", "localhost:9000", "[::1]:9000"):
        address = _address(endpoint=local)
        assert address.style is AddressStyle.PATH
        assert address.url("k") == f"http://{local}/{BUCKET}/k"
    assert _address().url() == f"http://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/"
    assert _address(path_style=True).url(None, {"style": ""}) == (
        f"http://oss-cn-hangzhou.aliyuncs.com/{BUCKET}/?style")


@pytest.mark.parametrize("bucket", ["ab", "-abc", "abc-", "Upper", "a_b", "x" * 64])
def test_bad_bucket_names(bucket):
    with pytest.raises(OssError):
        BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", bucket)


def test_bad_keys_and_cname_without_domain():
    for key in ("", "/leading.jpg", "x" * 1024):
        with pytest.raises(OssError):
            process_url(_address(), key, "image/resize,w_1")
    with pytest.raises(OssError):
        BucketAddress(BUCKET, "oss-cn-hangzhou.aliyuncs.com", style=AddressStyle.CNAME)


# ----------------------------------------------------------------------------- separator

@pytest.mark.parametrize("sep,expected", [
    ("-", "photo%201.jpg-thumb"), ("_", "photo%201.jpg_thumb"),
    ("/", "photo%201.jpg/thumb"), ("!", "photo%201.jpg!thumb")])
def test_separator_form(sep, expected):
    assert separator_url(_address(https=True), "photo 1.jpg", "thumb", sep) == (
        f"https://example-bucket.oss-cn-hangzhou.aliyuncs.com/{expected}")


def test_separator_keeps_key_bang_encoded_and_rejects_bad_input():
    url = separator_url(_address(path_style=True), "a!b/c.jpg", "s", "!")
    assert url.endswith(f"/{BUCKET}/a%21b/c.jpg!s")
    with pytest.raises(OssError):
        separator_url(_address(), "a.jpg", "thumb", "@")
    with pytest.raises(OssError):
        separator_url(_address(), "a.jpg", "bad name", "-")
    with pytest.raises(OssError):
        style_url(_address(), "a.jpg", "x" * 64)


# ----------------------------------------------------------------------------- encoding

UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/%")


@given(st.text(min_size=1))
def test_encode_key_round_trips_and_stays_in_alphabet(key):
    encoded = encode_key(key)
    assert set(encoded) <= UNRESERVED
    assert unquote(encoded) == key


@given(st.dictionaries(st.text(min_size=1), st.text()))
def test_query_round_trips(params):
    assert parse_query(build_query(params)) == params


def test_plus_is_always_encoded_and_a_raw_plus_reads_as_a_space():
    assert build_query({"x-oss-process": "image/watermark,text_SGk+Pz8="}) == (
        "x-oss-process=image%2Fwatermark%2Ctext_SGk%2BPz8%3D")
    # form encoding, as requests writes oss2's parameters: a space is '+', a plus '%2B'
    assert parse_query("a=b+c&d&e=&f=g%2Bh&i%20j=k") == {
        "a": "b c", "d": "", "e": "", "f": "g+h", "i j": "k"}
    assert encode_key("a b+c/猫.jpg") == "a%20b%2Bc/%E7%8C%AB.jpg"
