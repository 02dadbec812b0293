"""What the OssService tests share: a one-bucket root with a few objects, the service over
it, requests built and signed as the SDKs do, and readers of the answers."""
from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.oss import signing
from core.oss.credentials import Credentials
from core.serve.config import ServiceConfig
from core.serve.messages import Request
from core.serve.service import OssService
from core.oss.urls import BucketAddress, parse_query
from tests.helpers import decode, encode, quadrants, solid

NOW = 1700000000  # 2023-11-14T22:13:20Z
REGION = "cn-hangzhou"
CREDS = Credentials("LTAI5tServerTestKey01", "Server+Secret/For=Tests01")
STS = Credentials("STS.NServerTestKey0002", "StsServerSecret0123456789", "CAIS+fake/Token=01")
BUCKET = "bkt"
IMG = encode(quadrants(40, 30))            # 40x30 PNG
LOGO = solid(8, 6, (0, 0, 255))            # 8x6 PNG


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
def root(tmp_path) -> Path:
    r = tmp_path / "root"
    (r / BUCKET / "dir").mkdir(parents=True)
    (r / BUCKET / "img.png").write_bytes(IMG)
    (r / BUCKET / "logo.png").write_bytes(LOGO)
    (r / BUCKET / "dir" / "a.txt").write_bytes(b"hello")
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    (tmp_path / "secret.png").write_bytes(LOGO)
    return r


def make_service(root, acl="private", **kw) -> OssService:
    clock = kw.pop("clock", lambda: NOW)
    monotonic = kw.pop("monotonic", None)
    extra = {"monotonic": monotonic} if monotonic else {}
    config = ServiceConfig(root, acl=acl, credentials=(CREDS, STS), **kw)
    return OssService(config, clock=clock, **extra)


@pytest.fixture
def svc(root) -> OssService:
    return make_service(root)


def req(method, key=None, *, bucket=BUCKET, query=None, headers=None, body=b"",
        creds=CREDS, version="v4", now=NOW, length="auto") -> Request:
    """A request signed in the Authorization header (``creds=None``: anonymous)."""
    query = dict(query or {})
    headers = dict(headers or {})
    if creds is not None:
        if version == "v4":
            signed = signing.sign_headers_v4(method, bucket, key or None, creds, region=REGION,
                                             query=query, headers=headers, now=now)
        else:
            signed = signing.sign_headers_v1(method, bucket, key or None, creds, query=query,
                                             headers=headers, now=now)
        headers = signed.headers
    content_length = len(body) if length == "auto" else length
    return Request(method, bucket, key, query, headers, io.BytesIO(body), content_length,
                   host="127.0.0.1:9000")


def presigned(key, *, creds=CREDS, version="v4", process=None, now=NOW, expires=600,
              region=REGION, bucket=BUCKET) -> Request:
    address = BucketAddress.from_endpoint("127.0.0.1:9000", bucket)
    kwargs = {"region": region} if version == "v4" else {}
    url = signing.presign(address, key, creds, version=version, process=process,
                          expires=expires, now=now, **kwargs).url
    return Request("GET", bucket, key, parse_query(urlsplit(url).query), {})


def error_of(resp) -> dict[str, str]:
    root = ET.fromstring(resp.body)
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


def size_of(data: bytes) -> tuple[int, int]:
    return decode(data).size


def listed(resp):
    root = ET.fromstring(resp.body)
    keys = [c.find("Key").text for c in root.findall("Contents")]
    prefixes = [p.find("Prefix").text for p in root.findall("CommonPrefixes")]
    return root, keys, prefixes


TRAVERSALS = [
    "../secret.txt", "..%2Fsecret.txt", "%2e%2e/secret.txt", "%2E%2E%2Fsecret.txt",
    "dir/../../secret.txt", "dir/..%2F..%2Fsecret.txt", "%2Fetc%2Fpasswd", "/etc/passwd",
    "..%5Csecret.txt", "..\\secret.txt", "dir/%00", "./img.png", "dir/./a.txt",
    "..", ".", "%2e%2e",
]
