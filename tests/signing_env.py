"""What the signing tests share: the frozen clock, the keys, processes and URL forms of the
matrix, the header-signing cases, and the two official SDKs (oss2, alibabacloud-oss-v2) as
oracles."""
from __future__ import annotations

import datetime as _dt
from urllib.parse import unquote, urlencode, quote, urlsplit

import pytest

import oss2
import oss2.auth
import oss2.http
import oss2.utils
import alibabacloud_oss_v2 as osv2
import alibabacloud_oss_v2.signer.v1 as v2_signer_v1
import alibabacloud_oss_v2.signer.v4 as v2_signer_v4
from alibabacloud_oss_v2.types import HttpRequest, SigningContext

from core.oss.credentials import Credentials
from tests.helpers import md5_b64
from tests.sdk_clock import freeze_sdk_clocks
from core.oss.urls import BucketAddress

NOW = 1700000000  # 2023-11-14T22:13:20Z
BUCKET = "example-bucket"
REGION = "cn-hangzhou"
PLAIN = ("LTAI5tTestKeyId0000", "TestSecret/With+Chars=0123456789", None)
STS = ("STS.NTestKeyId1234", "StsSecret0123456789abcdef", "CAIS+fake/Security=Token0123456789")

KEYS = [
    "cat.jpg",
    "photos/2024/cat.jpg",
    "my photo (1).jpg",
    "a+b=c&d.jpg",
    "猫/写真 テスト.png",
    "dir//double//slash/x.webp",
    "odd %25 #hash ?q ~tilde.gif",
    "😀 smile.png",
]
PROCESSES = [
    None,
    "image/resize,w_100",
    "image/resize,m_fill,w_200,h_100/crop,x_10,y_10,w_50,h_50/rotate,90/format,webp/quality,q_80",
    "image/watermark,text_SGVsbG8gV29ybGQ,type_d3F5LXplbmhlaQ,size_30,color_FFFFFF,g_se,x_10",
    "image/watermark,text_SGk-Pz8_,t_90",
    "image/watermark,text_SGk+Pz8=",  # standard base64: '+' and '=' must survive encoding
    "style/thumb_small-1.v2",
]
# name -> (our address, oss2 endpoint + flags, alibabacloud-oss-v2 config)
FORMS = {
    "virtual-https": (dict(endpoint="oss-cn-hangzhou.aliyuncs.com", https=True),
                      dict(endpoint="https://oss-cn-hangzhou.aliyuncs.com"),
                      dict(endpoint="oss-cn-hangzhou.aliyuncs.com")),
    "virtual-http": (dict(endpoint="oss-cn-hangzhou.aliyuncs.com", https=False),
                     dict(endpoint="http://oss-cn-hangzhou.aliyuncs.com"),
                     dict(endpoint="oss-cn-hangzhou.aliyuncs.com", disable_ssl=True)),
    "path-style": (dict(endpoint="oss-cn-hangzhou.aliyuncs.com", https=True, path_style=True),
                   dict(endpoint="https://oss-cn-hangzhou.aliyuncs.com", is_path_style=True),
                   dict(endpoint="oss-cn-hangzhou.aliyuncs.com", use_path_style=True)),
    "cname": (dict(endpoint="oss-cn-hangzhou.aliyuncs.com", https=True, cname="img.example.com"),
              dict(endpoint="https://img.example.com", is_cname=True),
              dict(endpoint="img.example.com", use_cname=True)),
    "ip-port": (dict(endpoint="127.0.0.1:8080", https=False),
                dict(endpoint="http://127.0.0.1:8080"),
                dict(endpoint="127.0.0.1:8080", disable_ssl=True)),
}


@pytest.fixture(autouse=True)
def frozen_sdk_clocks(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


# ----------------------------------------------------------------------------- oracles

def creds_of(triple) -> Credentials:
    return Credentials(*triple)


def oss2_bucket(form: str, triple, version: str) -> oss2.Bucket:
    provider = oss2.credentials.StaticCredentialsProvider(*triple)
    auth = oss2.ProviderAuthV4(provider) if version == "v4" else oss2.ProviderAuth(provider)
    cfg = dict(FORMS[form][1])
    endpoint = cfg.pop("endpoint")
    return oss2.Bucket(auth, endpoint, BUCKET, region=REGION, **cfg)


def v2_client(form: str, triple, version: str) -> osv2.Client:
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(*triple)
    cfg.region = REGION
    cfg.signature_version = version
    for name, value in FORMS[form][2].items():
        setattr(cfg, name, value)
    return osv2.Client(cfg)


def our_address(form: str) -> BucketAddress:
    spec = dict(FORMS[form][0])
    return BucketAddress.from_endpoint(spec.pop("endpoint"), BUCKET, **spec)


def oss2_presign(form, triple, version, key, process, expires=3600, **kw) -> str:
    params = {"x-oss-process": process} if process else None  # fresh dict: oss2 mutates it
    return oss2_bucket(form, triple, version).sign_url("GET", key, expires, params=params, **kw)


def v2_presign(form, triple, version, key, process, expires=3600) -> str:
    request = osv2.models.GetObjectRequest(bucket=BUCKET, key=key, process=process)
    expiration = _dt.datetime.fromtimestamp(NOW + expires, _dt.timezone.utc)
    return v2_client(form, triple, version).presign(request, expiration=expiration).url


def decoded(url: str):
    """(scheme, host, decoded path, decoded query) -- independent of core.oss.urls."""
    parts = urlsplit(url)
    query = {}
    for pair in filter(None, parts.query.split("&")):
        name, _, value = pair.partition("=")
        query[unquote(name)] = unquote(value)
    return parts.scheme, parts.netloc, unquote(parts.path), query


def sig_param(version):
    return "Signature" if version == "v1" else "x-oss-signature"




# ----------------------------------------------------------------------------- header signing

def style_xml(content: str) -> bytes:
    return f"<Style><Content>{content}</Content></Style>".encode()


# (method, key, query, headers, V2-SDK sub-resources)
HEADER_CASES = {
    "get-object": ("GET", "猫/a b+c.jpg", {}, {}, []),
    "get-object-process": ("GET", "a.jpg", {"x-oss-process": "image/resize,w_100"}, {}, None),
    "put-object-meta": ("PUT", "dir/a.png", {}, {"Content-Type": "image/png",
                                                 "x-oss-meta-Author": "Ann"}, []),
    "head-object": ("HEAD", "a.jpg", {}, {}, []),
    "put-style": ("PUT", None, {"style": "", "styleName": "thumb"},
                  {"Content-Type": "application/xml",
                   "Content-MD5": md5_b64(style_xml("image/resize,p_50"))}, ["style", "styleName"]),
    "get-style": ("GET", None, {"style": "", "styleName": "thumb"}, {}, ["style", "styleName"]),
    "list-style": ("GET", None, {"style": ""}, {}, ["style"]),
    "delete-style": ("DELETE", None, {"style": "", "styleName": "thumb"}, {},
                     ["style", "styleName"]),
}


def oss2_headers(version, triple, method, key, query, headers, additional=None):
    provider = oss2.credentials.StaticCredentialsProvider(*triple)
    url = f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/"
    req = oss2.http.Request(method, url, params=dict(query), headers=dict(headers),
                            region=REGION, product="oss")
    if version == "v4":
        oss2.ProviderAuthV4(provider)._sign_request(req, BUCKET, key or "", additional)
    else:
        oss2.ProviderAuth(provider)._sign_request(req, BUCKET, key or "")
    return req.headers


def v2_headers(version, triple, method, key, query, headers, sub_resource, additional=None):
    url = f"https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/{quote(key or '')}"
    if query:
        url += "?" + urlencode(query, quote_via=quote)
    request = HttpRequest(method, url, headers=dict(headers))
    ctx = SigningContext(product="oss", region=REGION, bucket=BUCKET, key=key, request=request,
                         credentials=osv2.credentials.StaticCredentialsProvider(
                             *triple).get_credentials(),
                         signing_time=_dt.datetime.fromtimestamp(NOW, _dt.timezone.utc),
                         additional_headers=set(additional) if additional else None)
    ctx.sub_resource = sub_resource or []
    (v2_signer_v4.SignerV4() if version == "v4" else v2_signer_v1.SignerV1()).sign(ctx)
    return request.headers


def auth_fields(value: str) -> dict:
    algorithm, _, rest = value.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    return {"algorithm": algorithm, **fields}
