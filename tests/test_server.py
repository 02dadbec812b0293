"""``oss-img serve``: the OSS semantics (driven directly through OssService) and the HTTP
plumbing (a real server on loopback, port 0). Fixed clocks, tiny Pillow images, no sleeps.

The official SDKs as clients are in test_server_sdk.py; concurrency in test_server_load.py.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import logging
import os
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from core.errors import OssError
from core.oss import signing
from core.oss.credentials import Credentials
from core.serve.config import (FOLDER_OBJECT, MAX_STYLES, STYLE_DIR, TMP_PREFIX,
                               ServiceConfig, content_type_for, redact)
from core.serve.messages import Request
from core.serve.service import OssService
from core.serve.wsgi import split_target
from core.oss.urls import BucketAddress, parse_query
from tests.helpers import decode, encode, quadrants, running_server, solid

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


# ----------------------------------------------------------------------------- routing

@pytest.mark.parametrize("host, path, expected", [
    ("127.0.0.1:9000", "/", (None, None)),
    ("127.0.0.1:9000", "/bkt", ("bkt", None)),
    ("127.0.0.1:9000", "/bkt/", ("bkt", "")),
    ("127.0.0.1:9000", "/bkt/a/b.jpg", ("bkt", "a/b.jpg")),
    ("127.0.0.1:9000", "/bkt/a%2Fb%20c%2B.jpg", ("bkt", "a/b c+.jpg")),   # oss2 encodes '/'
    ("localhost:9000", "/bkt/x", ("bkt", "x")),
    ("[::1]:9000", "/bkt/x", ("bkt", "x")),
    ("bkt.localhost:9000", "/x/y.png", ("bkt", "x/y.png")),
    ("bkt.localhost", "/", ("bkt", "")),
    ("BKT.LOCALHOST:9000", "/x", ("bkt", "x")),
    ("a.b.localhost:9000", "/bkt/x", ("bkt", "x")),        # not a single label: path-style
    ("localhost", "/%E7%8C%AB.png", ("%E7%8C%AB.png", None)),
])
def test_split_target(host, path, expected):
    if expected == ("%E7%8C%AB.png", None):
        expected = ("猫.png", None)
    assert split_target(host, path, "localhost") == expected


def test_split_target_refuses_invalid_utf8():
    with pytest.raises(OssError) as e:
        split_target("127.0.0.1", "/bkt/%FF", "localhost")
    assert e.value.code == "InvalidURI"


@pytest.mark.parametrize("key, ctype", [
    ("a.jpg", "image/jpeg"), ("a.JPEG", "image/jpeg"), ("a.png", "image/png"),
    ("a.webp", "image/webp"), ("a.gif", "image/gif"), ("a.txt", "text/plain"),
    ("noext", "application/octet-stream"), ("a.json", "application/json"),
])
def test_content_type_from_extension(key, ctype):
    assert content_type_for(key) == ctype


# ----------------------------------------------------------------------------- objects

def test_put_then_get_round_trip_with_oss_headers(svc, root):
    body = b"\x00binary\xffdata" * 100
    put = svc.handle(req("PUT", "new/obj.bin", body=body))
    assert put.status == 200, put.body
    etag = '"' + hashlib.md5(body).hexdigest().upper() + '"'
    assert put.headers["ETag"] == etag
    assert put.headers["Content-MD5"] == base64.b64encode(hashlib.md5(body).digest()).decode()
    assert re.fullmatch(r"[0-9A-F]{24}", put.headers["x-oss-request-id"])
    assert (root / BUCKET / "new" / "obj.bin").read_bytes() == body

    get = svc.handle(req("GET", "new/obj.bin"))
    assert get.status == 200 and get.body == body
    assert get.headers["ETag"] == etag
    assert get.headers["Content-Type"] == "application/octet-stream"
    assert get.headers["Last-Modified"].endswith(" GMT")
    assert get.content_length == len(body)
    assert get.headers["x-oss-request-id"] != put.headers["x-oss-request-id"]


def test_head_has_headers_and_no_body(svc):
    head = svc.handle(req("HEAD", "img.png"))
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(IMG))
    assert head.headers["Content-Type"] == "image/png"
    meta = svc.handle(req("HEAD", "img.png", query={"objectMeta": ""}))
    assert meta.status == 200 and meta.headers["ETag"] == head.headers["ETag"]


def test_get_with_process_resizes(svc):
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "image/resize,w_20"}))
    assert resp.status == 200, resp.body
    assert size_of(resp.body) == (20, 15)
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["ETag"] == '"' + hashlib.md5(resp.body).hexdigest().upper() + '"'
    head = svc.handle(req("HEAD", "img.png", query={"x-oss-process": "image/resize,w_20"}))
    assert head.headers["Content-Length"] == str(len(resp.body)) and head.body == b""


def test_format_and_info_json(svc):
    jpg = svc.handle(req("GET", "img.png", query={"x-oss-process": "image/format,jpg"}))
    assert jpg.headers["Content-Type"] == "image/jpeg" and jpg.body[:2] == b"\xff\xd8"
    info = svc.handle(req("GET", "img.png", query={"x-oss-process": "image/info"}))
    assert info.headers["Content-Type"] == "application/json"
    data = json.loads(info.body)
    assert data["ImageWidth"]["value"] == "40" and data["ImageHeight"]["value"] == "30"


def test_processing_errors_are_oss_errors(svc):
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "image/resize,w_0"}))
    assert resp.status == 400
    err = error_of(resp)
    assert err["Code"] == "InvalidArgument" and err["EC"] == resp.headers["x-oss-ec"]
    assert err["RequestId"] == resp.headers["x-oss-request-id"]
    assert err["HostId"] == "127.0.0.1:9000"
    text = svc.handle(req("GET", "dir/a.txt", query={"x-oss-process": "image/resize,w_10"}))
    assert text.status == 400 and error_of(text)["Code"] == "BadRequest"


def test_missing_key_and_bucket(svc):
    resp = svc.handle(req("GET", "nope.png"))
    assert resp.status == 404
    err = error_of(resp)
    assert err["Code"] == "NoSuchKey" and err["Key"] == "nope.png"
    assert err["Message"] == "The specified key does not exist."
    resp = svc.handle(req("GET", "x.png", bucket="nobucket"))
    assert resp.status == 404 and error_of(resp)["Code"] == "NoSuchBucket"
    resp = svc.handle(req("GET", "x.png", bucket="Bad_Name"))
    assert resp.status == 400 and error_of(resp)["Code"] == "InvalidBucketName"


def test_head_error_carries_x_oss_err(svc):
    resp = svc.handle(req("HEAD", "nope.png"))
    assert resp.status == 404
    xml = base64.b64decode(resp.headers["x-oss-err"])
    assert ET.fromstring(xml).find("Code").text == "NoSuchKey"
    assert "x-oss-err" not in svc.handle(req("GET", "nope.png")).headers


def test_delete_is_idempotent_and_prunes_folders(svc, root):
    assert svc.handle(req("PUT", "p/q/r.txt", body=b"x")).status == 200
    assert svc.handle(req("DELETE", "p/q/r.txt")).status == 204
    assert not (root / BUCKET / "p").exists()
    assert svc.handle(req("DELETE", "p/q/r.txt")).status == 204
    assert svc.handle(req("DELETE", "never/was")).status == 204
    assert svc.handle(req("GET", "p/q/r.txt")).status == 404
    # a key that names a folder of other objects is not an object
    assert svc.handle(req("DELETE", "dir")).status == 204
    assert (root / BUCKET / "dir" / "a.txt").exists()


def test_keys_the_local_store_cannot_hold(svc, root):
    assert svc.handle(req("PUT", "f", body=b"file")).status == 200
    for key in ("f/under-a-file", "f/", "dir", "a//b", "a//", f"{TMP_PREFIX}x",
                f"x/{FOLDER_OBJECT}", FOLDER_OBJECT):
        resp = svc.handle(req("PUT", key, body=b"x"))
        assert resp.status == 400, key
        assert error_of(resp)["Code"] == "InvalidObjectName", key


def test_forbid_overwrite(svc):
    h = {"x-oss-forbid-overwrite": "true"}
    assert svc.handle(req("PUT", "once.txt", body=b"1", headers=h)).status == 200
    resp = svc.handle(req("PUT", "once.txt", body=b"2", headers=h))
    assert resp.status == 409 and error_of(resp)["Code"] == "FileAlreadyExists"
    assert svc.handle(req("GET", "once.txt")).body == b"1"


def test_content_md5_checked_before_anything_is_written(svc, root):
    good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    assert svc.handle(req("PUT", "m.txt", body=b"abc", headers={"Content-MD5": good})).status == 200
    resp = svc.handle(req("PUT", "m2.txt", body=b"abd", headers={"Content-MD5": good}))
    assert resp.status == 400 and error_of(resp)["Code"] == "InvalidDigest"
    resp = svc.handle(req("PUT", "m2.txt", body=b"abd", headers={"Content-MD5": "zzz"}))
    assert error_of(resp)["Code"] == "InvalidDigest"
    assert not (root / BUCKET / "m2.txt").exists()
    assert not list((root / BUCKET).glob(TMP_PREFIX + "*"))


def test_range_requests(svc):
    body = bytes(range(100))
    svc.handle(req("PUT", "r.bin", body=body))
    part = svc.handle(req("GET", "r.bin", headers={"Range": "bytes=10-19"}))
    assert part.status == 206 and part.body == body[10:20]
    assert part.headers["Content-Range"] == "bytes 10-19/100"
    tail = svc.handle(req("GET", "r.bin", headers={"Range": "bytes=-5"}))
    assert tail.body == body[-5:]
    # OSS answers an invalid or unsatisfiable range with the whole object
    for bad in ("bytes=200-300", "bytes=5-1", "items=1-2", "bytes=1-2,4-5"):
        whole = svc.handle(req("GET", "r.bin", headers={"Range": bad}))
        assert whole.status == 200 and whole.body == body, bad


def test_conditional_requests(svc):
    etag = svc.handle(req("HEAD", "img.png")).headers["ETag"]
    assert svc.handle(req("GET", "img.png", headers={"If-None-Match": etag})).status == 304
    assert svc.handle(req("GET", "img.png", headers={"If-None-Match": '"0"'})).status == 200
    assert svc.handle(req("GET", "img.png", headers={"If-Match": etag})).status == 200
    resp = svc.handle(req("GET", "img.png", headers={"If-Match": '"0"'}))
    assert resp.status == 412 and error_of(resp)["Code"] == "PreconditionFailed"
    later = "Tue, 01 Jan 2999 00:00:00 GMT"
    assert svc.handle(req("GET", "img.png", headers={"If-Modified-Since": later})).status == 304


def test_response_header_overrides(svc):
    q = {"response-content-disposition": 'attachment; filename="x.png"',
         "response-cache-control": "no-cache"}
    resp = svc.handle(req("GET", "img.png", query=q))
    assert resp.headers["Content-Disposition"] == 'attachment; filename="x.png"'
    assert resp.headers["Cache-Control"] == "no-cache"
    bad = svc.handle(req("GET", "img.png", query={"response-content-type": "a\r\nSet-Cookie: x"}))
    assert bad.status == 400 and "Set-Cookie" not in bad.headers


def test_unimplemented_and_not_allowed(svc):
    resp = svc.handle(req("GET", "img.png", query={"objectInfo": ""}))
    assert resp.status == 501 and error_of(resp)["Code"] == "NotImplemented"
    # (versionId is implemented: tests/test_server_versioning.py)
    resp = svc.handle(req("GET", "img.png", query={"versionId": "v1"}))
    assert resp.status == 404 and error_of(resp)["Code"] == "NoSuchVersion"
    resp = svc.handle(req("GET", None, query={"tagging": ""}))     # bucket tagging
    assert resp.status == 501 and error_of(resp)["Code"] == "NotImplemented"
    # OSS documents 501 for features it does not offer; accepting and dropping them would
    # tell a client its object is encrypted when it is not (storage classes: see
    # tests/test_server_archive.py)
    for header, value in (("x-oss-server-side-encryption", "AES256"),):
        resp = svc.handle(req("PUT", "c.png", headers={header: value}, body=b"x"))
        assert resp.status == 501 and error_of(resp)["Code"] == "NotImplemented", header
    assert not svc.store.exists(BUCKET, "c.png")
    resp = svc.handle(req("PUT", "c.png", query={"partNumber": "1", "uploadId": "0" * 32},
                          headers={"x-oss-copy-source": "/bkt/img.png"}))
    # UploadPartCopy is implemented (tests/test_server_v2_client.py): an unknown upload
    assert resp.status == 404 and error_of(resp)["Code"] == "NoSuchUpload"
    resp = svc.handle(req("PATCH", "img.png"))
    assert resp.status == 405 and error_of(resp)["Code"] == "MethodNotAllowed"


def test_an_unexpected_failure_is_a_500_and_the_service_goes_on(svc, monkeypatch, caplog):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(svc.store, "open", boom)
    with caplog.at_level(logging.ERROR, "core.serve"):
        resp = svc.handle(req("GET", "img.png"))
    assert resp.status == 500 and error_of(resp)["Code"] == "InternalError"
    assert "disk on fire" not in resp.body.decode()  # no internals in the response
    monkeypatch.undo()
    assert svc.handle(req("GET", "img.png")).status == 200


# ----------------------------------------------------------------------------- buckets

def test_bucket_calls(svc, root):
    assert svc.handle(req("PUT", None, bucket="fresh")).status == 200
    assert (root / "fresh").is_dir()
    assert svc.handle(req("PUT", None, bucket="fresh")).status == 200  # owner re-create
    assert svc.handle(req("HEAD", None, bucket="fresh")).status == 200
    listing = svc.handle(req("GET", None, bucket=None))
    names = [n.text for n in ET.fromstring(listing.body).iter("Name")]
    assert names == ["bkt", "fresh"]
    resp = svc.handle(req("DELETE", None, bucket=BUCKET))
    assert resp.status == 409 and error_of(resp)["Code"] == "BucketNotEmpty"
    svc.handle(req("PUT", None, bucket="fresh", query={"style": "", "styleName": "s"},
                   body=b"<Style><Content>image/resize,w_1</Content></Style>"))
    assert svc.handle(req("DELETE", None, bucket="fresh")).status == 204
    assert not (root / "fresh").exists()
    assert not (root / STYLE_DIR / "fresh.json").exists()
    gone = svc.handle(req("HEAD", None, bucket="fresh"))
    assert gone.status == 404
    assert b"NoSuchBucket" in base64.b64decode(gone.headers["x-oss-err"])


def test_acl_reads(svc):
    acl = ET.fromstring(svc.handle(req("GET", None, query={"acl": ""})).body)
    assert acl.find("AccessControlList/Grant").text == "private"
    obj = ET.fromstring(svc.handle(req("GET", "img.png", query={"acl": ""})).body)
    assert obj.find("AccessControlList/Grant").text == "default"
    assert svc.handle(req("GET", "nope", query={"acl": ""})).status == 404
    assert svc.handle(req("GET", None, bucket="nobucket", query={"acl": ""})).status == 404


def test_hidden_folders_are_not_buckets(svc, root):
    (root / STYLE_DIR).mkdir(exist_ok=True)
    listing = svc.handle(req("GET", None, bucket=None))
    assert STYLE_DIR not in listing.body.decode()
    resp = svc.handle(req("GET", "x", bucket=STYLE_DIR))
    assert resp.status == 400 and error_of(resp)["Code"] == "InvalidBucketName"


# ----------------------------------------------------------------------------- listing

def listed(resp):
    root = ET.fromstring(resp.body)
    keys = [c.find("Key").text for c in root.findall("Contents")]
    prefixes = [p.find("Prefix").text for p in root.findall("CommonPrefixes")]
    return root, keys, prefixes


@pytest.fixture
def many(svc):
    for k in ("a/1.txt", "a/2.txt", "a/b/3.txt", "b.txt", "c/4.txt", "猫.txt", "z z+.txt"):
        assert svc.handle(req("PUT", k, body=k.encode())).status == 200
    return svc


def test_list_all_in_byte_order(many):
    root, keys, prefixes = listed(many.handle(req("GET", None)))
    assert keys == sorted(["a/1.txt", "a/2.txt", "a/b/3.txt", "b.txt", "c/4.txt", "dir/a.txt",
                           "img.png", "logo.png", "猫.txt", "z z+.txt"],
                          key=lambda k: k.encode())
    assert root.find("IsTruncated").text == "false" and prefixes == []
    c = root.find("Contents")
    assert c.find("ETag").text == '"' + hashlib.md5(b"a/1.txt").hexdigest().upper() + '"'
    assert c.find("Size").text == "7"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", c.find("LastModified").text)


def test_list_prefix_delimiter_marker_max_keys(many):
    _, keys, prefixes = listed(many.handle(req("GET", None, query={"prefix": "a/"})))
    assert keys == ["a/1.txt", "a/2.txt", "a/b/3.txt"]
    _, keys, prefixes = listed(many.handle(req("GET", None, query={"delimiter": "/"})))
    assert prefixes == ["a/", "c/", "dir/"] and "b.txt" in keys and "a/1.txt" not in keys
    _, keys, prefixes = listed(many.handle(req("GET", None,
                                               query={"prefix": "a/", "delimiter": "/"})))
    assert keys == ["a/1.txt", "a/2.txt"] and prefixes == ["a/b/"]

    # page through with max-keys 3: every entry exactly once, in order
    seen, marker = [], ""
    for _ in range(10):
        root, keys, prefixes = listed(many.handle(req(
            "GET", None, query={"max-keys": "3", "marker": marker, "delimiter": "/"})))
        page = sorted(keys + prefixes, key=lambda k: k.encode())
        assert len(page) <= 3
        seen += page
        if root.find("IsTruncated").text == "false":
            break
        marker = root.find("NextMarker").text
    _, all_keys, all_prefixes = listed(many.handle(req("GET", None, query={"delimiter": "/"})))
    assert seen == sorted(all_keys + all_prefixes, key=lambda k: k.encode())


def test_list_url_encoding_and_v2_tokens(many):
    root, keys, _ = listed(many.handle(req("GET", None, query={"encoding-type": "url",
                                                                "prefix": "z"})))
    assert root.find("EncodingType").text == "url"
    assert keys == [quote("z z+.txt", safe="/")]
    seen, token = [], None
    for _ in range(20):
        q = {"list-type": "2", "max-keys": "4"}
        if token:
            q["continuation-token"] = token
        root, keys, _ = listed(many.handle(req("GET", None, query=q)))
        assert int(root.find("KeyCount").text) == len(keys)
        seen += keys
        if root.find("IsTruncated").text == "false":
            break
        token = root.find("NextContinuationToken").text
    assert len(seen) == 10 and len(set(seen)) == 10
    _, keys, _ = listed(many.handle(req("GET", None, query={"list-type": "2",
                                                             "start-after": "c/4.txt"})))
    assert keys[0] == "dir/a.txt"


@pytest.mark.parametrize("bad", ["0", "1001", "x", "-1"])
def test_list_rejects_bad_max_keys(svc, bad):
    resp = svc.handle(req("GET", None, query={"max-keys": bad}))
    assert resp.status == 400 and error_of(resp)["Code"] == "InvalidArgument"


# ----------------------------------------------------------------------------- styles

def put_style(svc, name, content, bucket=BUCKET, **kw):
    body = f"<Style><Content>{content}</Content></Style>".encode()
    return svc.handle(req("PUT", None, bucket=bucket, query={"style": "", "styleName": name},
                          body=body, **kw))


def test_style_api_round_trip_and_persistence(svc, root):
    assert put_style(svc, "thumb", "image/resize,w_10").status == 200
    assert put_style(svc, "big.v2", "image/resize,w_30/quality,q_80").status == 200
    got = svc.handle(req("GET", None, query={"style": "", "styleName": "thumb"}))
    st = ET.fromstring(got.body)
    assert st.tag == "Style" and st.find("Name").text == "thumb"
    assert st.find("Content").text == "image/resize,w_10"
    assert st.find("Category").text == "image"
    assert st.find("CreateTime").text == "Tue, 14 Nov 2023 22:13:20 GMT"
    listing = ET.fromstring(svc.handle(req("GET", None, query={"style": ""})).body)
    assert listing.tag == "StyleList"
    assert [s.find("Name").text for s in listing.findall("Style")] == ["big.v2", "thumb"]

    # persisted under ROOT, readable by a new service
    stored = json.loads((root / STYLE_DIR / f"{BUCKET}.json").read_text())
    assert stored["styles"]["thumb"]["Content"] == "image/resize,w_10"
    again = make_service(root)
    resp = again.handle(req("GET", "img.png", query={"x-oss-process": "style/thumb"}))
    assert size_of(resp.body) == (10, 8)

    # an update keeps CreateTime, moves LastModifyTime
    later = make_service(root, clock=lambda: NOW + 60)
    assert put_style(later, "thumb", "image/resize,w_12", now=NOW + 60).status == 200
    st = ET.fromstring(later.handle(req("GET", None, query={"style": "", "styleName": "thumb"},
                                        now=NOW + 60)).body)
    assert st.find("CreateTime").text == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert st.find("LastModifyTime").text == "Tue, 14 Nov 2023 22:14:20 GMT"

    assert svc.handle(req("DELETE", None, query={"style": "", "styleName": "thumb"})).status == 204
    resp = svc.handle(req("GET", None, query={"style": "", "styleName": "thumb"}))
    assert resp.status == 404 and error_of(resp)["Code"] == "NoSuchStyle"


def test_style_validation(svc):
    resp = put_style(svc, "bad name", "image/resize,w_10")
    assert resp.status == 400 and error_of(resp)["Code"] == "InvalidArgument"
    resp = put_style(svc, "../../etc", "image/resize,w_10")
    assert resp.status == 400
    # OSS stores the content as given (oss2's test_bucket_style_content: 'csdar5324');
    # it fails when a request uses it
    assert put_style(svc, "odd", "csdar5324").status == 200
    got = ET.fromstring(svc.handle(req("GET", None, query={"style": "", "styleName": "odd"})).body)
    assert got.find("Content").text == "csdar5324"
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "style/odd"}))
    assert resp.status == 400
    # ... but an empty one is refused in OSS's words (oss2's test_bucket_style_exception)
    resp = put_style(svc, "ok", "")
    assert resp.status == 400 and error_of(resp)["Message"] == "Style content is invalid."
    resp = svc.handle(req("PUT", None, query={"style": "", "styleName": "ok"}, body=b"<Style>"))
    assert resp.status == 400 and error_of(resp)["Code"] == "MalformedXML"
    resp = svc.handle(req("PUT", None, query={"style": "", "styleName": "ok"}, body=b""))
    assert resp.status == 400 and error_of(resp)["Message"] == "Style content is invalid."
    # a category XML cannot carry is refused, so GetStyle/ListStyle always parse
    resp = svc.handle(req("PUT", None, query={"style": "", "styleName": "ctl",
                                              "category": "\x01\x02"},
                          body=b"<Style><Content>image/resize,w_5</Content></Style>"))
    assert resp.status == 400 and error_of(resp)["Code"] == "InvalidArgument"
    listed = svc.handle(req("GET", None, query={"style": ""}))
    assert [n.text for n in ET.fromstring(listed.body).iter("Name")] == ["odd"]
    for i in range(MAX_STYLES - 1):
        assert put_style(svc, f"s{i}", "image/resize,w_5").status == 200
    assert put_style(svc, "one-too-many", "image/resize,w_5").status == 400
    assert put_style(svc, "s0", "image/resize,w_6").status == 200  # updating is fine


def test_missing_style_is_no_such_style(svc):
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "style/none"}))
    assert resp.status == 404 and error_of(resp)["Code"] == "NoSuchStyle"


def test_hand_written_style_mapping_is_read(svc, root):
    (root / STYLE_DIR).mkdir()
    (root / STYLE_DIR / f"{BUCKET}.json").write_text('{"small": "image/resize,w_4"}')
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "style/small"}))
    assert size_of(resp.body) == (4, 3)
    assert put_style(svc, "other", "image/resize,w_5").status == 200
    assert "small" in json.loads((root / STYLE_DIR / f"{BUCKET}.json").read_text())["styles"]


def test_corrupt_style_file_is_reported_and_kept(svc, root):
    (root / STYLE_DIR).mkdir()
    path = root / STYLE_DIR / f"{BUCKET}.json"
    path.write_text("{not json")
    resp = put_style(svc, "x", "image/resize,w_5")
    assert resp.status == 500 and error_of(resp)["Code"] == "InternalError"
    assert path.read_text() == "{not json"
    assert svc.handle(req("GET", "img.png")).status == 200  # objects still served


@pytest.mark.parametrize("url_key, size", [
    ("img.png-thumb", (10, 8)), ("img.png_thumb", (10, 8)), ("img.png/thumb", (10, 8)),
    ("img.png!thumb", (10, 8)), ("img.png-my-style", (6, 5)),
])
def test_style_separators(svc, url_key, size):
    put_style(svc, "thumb", "image/resize,w_10")
    put_style(svc, "my-style", "image/resize,w_6")
    resp = svc.handle(req("GET", url_key))
    assert resp.status == 200, resp.body
    assert size_of(resp.body) == size


def test_separator_rules(svc, root):
    put_style(svc, "thumb", "image/resize,w_10")
    put_style(svc, "b-thumb", "image/resize,w_5")
    # an existing object is always served as itself
    (root / BUCKET / "img.png-thumb").write_bytes(b"real object")
    assert svc.handle(req("GET", "img.png-thumb")).body == b"real object"
    # the longest existing object key wins: "a-b" + "thumb" over "a" + "b-thumb"
    svc.handle(req("PUT", "a", body=IMG))
    svc.handle(req("PUT", "a-b", body=encode(quadrants(20, 20))))
    assert size_of(svc.handle(req("GET", "a-b-thumb")).body) == (10, 10)
    assert size_of(svc.handle(req("GET", "a-b_thumb")).body) == (10, 10)
    # an unknown style or object stays NoSuchKey
    assert error_of(svc.handle(req("GET", "img.png-nostyle")))["Code"] == "NoSuchKey"
    assert error_of(svc.handle(req("GET", "nothing-thumb")))["Code"] == "NoSuchKey"
    # both a separator and x-oss-process: refused, not guessed
    resp = svc.handle(req("GET", "img.png!thumb", query={"x-oss-process": "image/rotate,90"}))
    assert resp.status == 400
    # disabled separators
    off = make_service(root, separators="")
    assert off.handle(req("GET", "img.png!thumb")).status == 404
    only_bang = make_service(root, separators="!")
    assert only_bang.handle(req("GET", "img.png!thumb")).status == 200
    assert only_bang.handle(req("GET", "img.png_thumb")).status == 404


def test_watermark_from_the_same_bucket_is_not_cached_stale(svc):
    process = f"image/watermark,image_{b64('logo.png')},g_nw,x_0,y_0"
    first = svc.handle(req("GET", "img.png", query={"x-oss-process": process}))
    assert first.status == 200, first.body
    assert decode(first.body).convert("RGB").getpixel((1, 1)) == (0, 0, 255)
    svc.handle(req("PUT", "logo.png", body=solid(8, 6, (0, 255, 0))))
    second = svc.handle(req("GET", "img.png", query={"x-oss-process": process}))
    assert decode(second.body).convert("RGB").getpixel((1, 1)) == (0, 255, 0)
    missing = svc.handle(req("GET", "img.png", query={
        "x-oss-process": f"image/watermark,image_{b64('none.png')}"}))
    assert missing.status == 404 and error_of(missing)["Code"] == "NoSuchKey"


# ----------------------------------------------------------------------------- limits

def test_body_limit_declared_and_streamed(root):
    svc = make_service(root, max_body_bytes=1000)
    resp = svc.handle(req("PUT", "big.bin", body=b"x" * 1001))
    assert resp.status == 400 and error_of(resp)["Code"] == "EntityTooLarge"
    # a chunked body declares no length: refused while streaming, nothing left behind
    resp = svc.handle(req("PUT", "big.bin", body=b"x" * 5000, length=None))
    assert resp.status == 400 and error_of(resp)["Code"] == "EntityTooLarge"
    assert not (root / BUCKET / "big.bin").exists()
    assert not list((root / BUCKET).rglob(TMP_PREFIX + "*"))
    assert svc.handle(req("PUT", "ok.bin", body=b"x" * 1000)).status == 200


def test_pixel_limit(root):
    svc = make_service(root, max_source_pixels=40 * 30 - 1)
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "image/resize,w_10"}))
    assert resp.status == 400 and error_of(resp)["Code"] == "ImageTooLarge"
    assert svc.handle(req("GET", "img.png")).status == 200  # raw access is not processing


def test_processing_timeout(root):
    ticks = iter(range(0, 10_000, 10))    # every look at the clock is 10 s later
    svc = make_service(root, process_timeout=5.0, monotonic=lambda: next(ticks))
    resp = svc.handle(req("GET", "img.png", query={"x-oss-process": "image/resize,w_10"}))
    assert resp.status == 400 and error_of(resp)["Code"] == "RequestTimeout"
    fine = make_service(root, process_timeout=None)
    assert fine.handle(req("GET", "img.png", query={"x-oss-process": "image/resize,w_10"})
                       ).status == 200


# ----------------------------------------------------------------------------- access

def test_private_refuses_anonymous(svc):
    for method, key in (("GET", "img.png"), ("HEAD", "img.png"), ("PUT", "x"), ("GET", None)):
        resp = svc.handle(req(method, key, creds=None))
        assert resp.status == 403, (method, key)
        assert error_of(resp)["Code"] == "AccessDenied"


def test_public_read_and_public_read_write(root):
    pr = make_service(root, acl="public-read")
    assert pr.handle(req("GET", "img.png", creds=None)).status == 200
    assert pr.handle(req("GET", "img.png", creds=None,
                         query={"x-oss-process": "image/resize,w_5"})).status == 200
    assert pr.handle(req("GET", None, creds=None)).status == 200          # ListObjects
    for method, key, query in (("PUT", "x", {}), ("DELETE", "img.png", {}),
                               ("GET", None, {"style": ""})):
        resp = pr.handle(req(method, key, creds=None, query=query))
        assert resp.status == 403 and error_of(resp)["Code"] == "AccessDenied"
    assert pr.handle(req("PUT", "x", body=b"signed")).status == 200
    prw = ServiceConfig(root, acl="public-read-write")
    open_svc = OssService(prw, clock=lambda: NOW)
    assert open_svc.handle(req("PUT", "y", creds=None, body=b"y")).status == 200
    # a signature is still checked when present
    assert open_svc.handle(req("GET", "y")).status == 403


@pytest.mark.parametrize("version", ["v1", "v4"])
@pytest.mark.parametrize("creds", [CREDS, STS], ids=["plain", "sts"])
def test_header_signatures(svc, version, creds):
    resp = svc.handle(req("GET", "img.png", version=version, creds=creds,
                          query={"x-oss-process": "image/resize,w_10"}))
    assert resp.status == 200, resp.body
    body = b"signed body"
    assert svc.handle(req("PUT", "s.txt", version=version, creds=creds, body=body,
                          headers={"Content-Type": "text/plain"})).status == 200


@pytest.mark.parametrize("version", ["v1", "v4"])
@pytest.mark.parametrize("creds", [CREDS, STS], ids=["plain", "sts"])
def test_presigned_urls(svc, version, creds):
    resp = svc.handle(presigned("img.png", version=version, creds=creds,
                                process="image/resize,w_10"))
    assert resp.status == 200, resp.body
    assert size_of(resp.body) == (10, 8)


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_wrong_signature_returns_the_servers_string_to_sign(svc, version):
    wrong = Credentials(CREDS.access_key_id, "not-the-secret")
    address = BucketAddress.from_endpoint("127.0.0.1:9000", BUCKET)
    kwargs = {"region": REGION} if version == "v4" else {}
    signed = signing.presign(address, "img.png", wrong, version=version,
                             process="image/resize,w_10", now=NOW, **kwargs)
    r = Request("GET", BUCKET, "img.png", parse_query(urlsplit(signed.url).query), {})
    resp = svc.handle(r)
    assert resp.status == 403
    err = error_of(resp)
    assert err["Code"] == "SignatureDoesNotMatch"
    assert err["EC"] == ("0002-00000040" if version == "v1" else "0002-00000201")
    assert err["StringToSign"] == signed.string_to_sign   # same string, different key
    assert err["OSSAccessKeyId"] == CREDS.access_key_id
    assert CREDS.access_key_secret not in resp.body.decode()


def test_tampered_process_is_refused(svc):
    for version in ("v1", "v4"):
        r = presigned("img.png", version=version, process="image/resize,w_10")
        r.query["x-oss-process"] = "image/resize,w_39"
        assert svc.handle(r).status == 403


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_expired_urls(svc, version):
    resp = svc.handle(presigned("img.png", version=version, now=NOW - 3600, expires=60))
    assert resp.status == 403
    err = error_of(resp)
    assert err["Code"] == "AccessDenied" and err["EC"] == "0002-00000069"


def test_wrong_region_unknown_key_and_token_problems(svc):
    resp = svc.handle(presigned("img.png", region="cn-shanghai"))
    assert resp.status == 403 and error_of(resp)["Code"] == "SignatureDoesNotMatch"
    stranger = Credentials("LTAI5tUnknownKey0000", "whatever")
    resp = svc.handle(presigned("img.png", creds=stranger))
    assert resp.status == 403 and error_of(resp)["Code"] == "InvalidAccessKeyId"
    no_token = Credentials(STS.access_key_id, STS.access_key_secret)
    resp = svc.handle(presigned("img.png", creds=no_token))
    assert resp.status == 403 and error_of(resp)["EC"] == "0002-00000003"
    bad_token = Credentials(STS.access_key_id, STS.access_key_secret, "CAIS-other")
    resp = svc.handle(presigned("img.png", creds=bad_token))
    assert resp.status == 403 and error_of(resp)["EC"] == "0002-00000008"


def test_config_validation(root, tmp_path):
    cases = [(dict(acl="private"), "MissingArgument", "credentials"),
             (dict(acl="open"), "InvalidArgument", "ACL"),
             (dict(root=tmp_path / "missing"), "InvalidArgument", "not a directory"),
             (dict(separators="-+"), "InvalidArgument", "Separators")]
    for kwargs, code, words in cases:
        with pytest.raises(OssError, match=words) as e:
            ServiceConfig(kwargs.pop("root", root), **kwargs)
        assert (e.value.code, e.value.status) == (code, 400)


# ----------------------------------------------------------------------------- traversal

TRAVERSALS = [
    "../secret.txt", "..%2Fsecret.txt", "%2e%2e/secret.txt", "%2E%2E%2Fsecret.txt",
    "dir/../../secret.txt", "dir/..%2F..%2Fsecret.txt", "%2Fetc%2Fpasswd", "/etc/passwd",
    "..%5Csecret.txt", "..\\secret.txt", "dir/%00", "./img.png", "dir/./a.txt",
    "..", ".", "%2e%2e",
]


@pytest.mark.parametrize("raw", TRAVERSALS)
def test_traversal_refused_by_the_service(svc, raw):
    _, key = split_target("127.0.0.1", f"/{BUCKET}/{raw}", "localhost")
    for method in ("GET", "HEAD"):
        resp = svc.handle(req(method, key))
        assert resp.status == 404, (raw, method)
    put = svc.handle(req("PUT", key, body=b"pwned"))
    assert put.status in (400, 404), raw
    assert svc.handle(req("DELETE", key)).status in (204, 400, 404)


def test_traversal_leaves_everything_outside_untouched(svc, root, tmp_path):
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    for raw in TRAVERSALS:
        _, key = split_target("127.0.0.1", f"/{BUCKET}/{raw}", "localhost")
        svc.handle(req("PUT", key, body=b"pwned"))
        svc.handle(req("DELETE", key))
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert not any(b"pwned" == p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_symlinks_out_of_the_bucket_are_refused(svc, root, tmp_path):
    os.symlink(tmp_path / "secret.txt", root / BUCKET / "link-out.txt")
    os.symlink(tmp_path, root / BUCKET / "dir-out")
    os.symlink(root / BUCKET / "img.png", root / BUCKET / "link-in.png")
    assert svc.handle(req("GET", "link-out.txt")).status == 404
    assert svc.handle(req("GET", "dir-out/secret.txt")).status == 404
    assert svc.handle(req("PUT", "dir-out/new.txt", body=b"x")).status == 400
    assert not (tmp_path / "new.txt").exists()
    assert svc.handle(req("GET", "link-in.png")).body == IMG
    _, keys, _ = listed(svc.handle(req("GET", None)))
    assert "link-in.png" in keys and "link-out.txt" not in keys
    assert not any(k.startswith("dir-out") for k in keys)
    # deleting a link removes the link, never its target
    assert svc.handle(req("DELETE", "link-in.png")).status == 204
    assert (root / BUCKET / "img.png").read_bytes() == IMG
    assert svc.handle(req("DELETE", "link-out.txt")).status == 204
    assert (tmp_path / "secret.txt").read_bytes() == b"top secret"


def test_watermark_and_style_names_cannot_escape(svc, root):
    for key in ("../secret.png", "../../secret.png", "/etc/passwd"):
        process = f"image/watermark,image_{b64(key)}"
        resp = svc.handle(req("GET", "img.png", query={"x-oss-process": process}))
        assert resp.status in (400, 404), key
    resp = svc.handle(req("GET", None, query={"style": "", "styleName": "../x"}))
    assert resp.status == 400


# ----------------------------------------------------------------------------- HTTP

def running(root, acl="public-read-write", **kw):
    return running_server(root, acl, (CREDS,), **kw)


@pytest.fixture
def web(root):
    with running(root) as server:
        yield server


def raw_request(server, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_http_round_trip_and_virtual_hosted(web):
    s = requests.Session()
    r = s.put(f"{web.url}/{BUCKET}/h/x.png", data=IMG)
    assert r.status_code == 200 and r.headers["ETag"]
    r = s.get(f"{web.url}/{BUCKET}/h/x.png", params={"x-oss-process": "image/resize,w_20"})
    assert r.status_code == 200 and size_of(r.content) == (20, 15)
    assert r.headers["Content-Length"] == str(len(r.content))
    assert re.fullmatch(r"[0-9A-F]{24}", r.headers["x-oss-request-id"])
    status, headers, body = raw_request(web, "GET", "/h/x.png",
                                        {"Host": f"{BUCKET}.localhost:{web.port}"})
    assert status == 200 and body == IMG
    r = s.head(f"{web.url}/{BUCKET}/missing")
    assert r.status_code == 404 and r.content == b""
    assert b"NoSuchKey" in base64.b64decode(r.headers["x-oss-err"])
    r = s.get(f"{web.url}/{BUCKET}/missing")
    assert r.headers["Content-Type"] == "application/xml"
    assert ET.fromstring(r.content).find("Code").text == "NoSuchKey"
    r = s.delete(f"{web.url}/{BUCKET}/h/x.png")
    assert r.status_code == 204


def test_http_chunked_upload(web, root):
    def gen():
        yield b"part1-"
        yield b"part2"

    r = requests.put(f"{web.url}/{BUCKET}/chunked.txt", data=gen())
    assert r.status_code == 200
    assert (root / BUCKET / "chunked.txt").read_bytes() == b"part1-part2"


def test_http_body_too_large_is_refused_and_the_connection_stays_usable(root):
    with running(root, max_body_bytes=100) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("PUT", f"/{BUCKET}/big", body=b"x" * 101)
            resp = conn.getresponse()
            assert resp.status == 400 and b"EntityTooLarge" in resp.read()
            # the unread body never reaches the next request on the same connection
            conn.request("GET", f"/{BUCKET}/img.png")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read() == IMG
        finally:
            conn.close()
        assert not (root / BUCKET / "big").exists()


@pytest.mark.parametrize("raw", TRAVERSALS + ["/../../secret.txt"])
def test_http_traversal_refused(web, tmp_path, raw):
    for method in ("GET", "PUT"):
        status, _, body = raw_request(web, method, f"/{BUCKET}/{raw}",
                                      body=b"pwned" if method == "PUT" else None)
        assert status in (400, 404), (raw, method, status)
        assert b"top secret" not in body
    status, _, body = raw_request(web, "GET", f"/{raw}",
                                  {"Host": f"{BUCKET}.localhost:{web.port}"})
    assert status in (400, 404) and b"top secret" not in body
    assert (tmp_path / "secret.txt").read_bytes() == b"top secret"


def send_raw(port: int, data: bytes) -> bytes:
    """Send bytes, read the whole answer (the server closes after a bad request)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_http_bad_requests_get_xml_and_the_server_survives(web):
    data = send_raw(web.port, b"GARBAGE\r\n\r\n")
    assert data.startswith(b"HTTP/1.") and b"<Error>" in data
    data = send_raw(web.port, b"PUT /bkt/x HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n")
    assert b" 400 " in data.split(b"\r\n")[0] and b"<Error>" in data
    rid = re.search(rb"(?i)x-oss-request-id: (\w+)", data)[1]
    assert b"<RequestId>" + rid + b"</RequestId>" in data
    data = send_raw(web.port, b"PUT /bkt/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
                              b"\r\n\r\nzz\r\n")
    assert b" 400 " in data.split(b"\r\n")[0]
    status, _, body = raw_request(web, "BREW", f"/{BUCKET}/img.png")
    assert status in (405, 501) and b"<Error>" in body
    assert requests.get(f"{web.url}/{BUCKET}/img.png").status_code == 200


def test_http_keep_alive_serves_several_requests(web):
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", f"/{BUCKET}/img.png")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read() == IMG
    finally:
        conn.close()


def test_http_logs_never_carry_secrets(root, caplog):
    with running(root, acl="private") as server:
        address = BucketAddress.from_endpoint(f"127.0.0.1:{server.port}", BUCKET)
        url = signing.presign(address, "img.png", STS, version="v1").url
        with caplog.at_level(logging.INFO, "core.serve"):
            requests.get(url)
            requests.get(f"{server.url}/{BUCKET}/img.png?security-token=CAIS%2Bleak&x=1")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "img.png" in text
    assert "CAIS" not in text and STS.access_key_id not in text
    assert redact("/b/k?Signature=abc&x-oss-process=image/x&security-token=t") == \
        "/b/k?Signature=***&x-oss-process=image/x&security-token=***"


def test_cli_registers_serve_and_private_needs_credentials(root, monkeypatch, capsys):
    from core.cli import main as cli_main, build_parser

    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    args = build_parser().parse_args(["serve", str(root), "--port", "0", "--acl",
                                          "private", "--separators", "!"])
    assert args.port == 0 and args.separators == "!" and callable(args.func)
    assert cli_main(["serve", str(root), "--acl", "private"]) == 1
    assert capsys.readouterr().err.startswith("MissingArgument: ")


def test_connections_beyond_the_cap_get_slow_down(root):
    with running(root, max_connections=1) as server:
        held = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            held.request("GET", f"/{BUCKET}/img.png")   # accepted: holds the only slot
            assert held.getresponse().read() == IMG
            data = send_raw(server.port, b"GET /bkt/img.png HTTP/1.1\r\nHost: a\r\n\r\n")
            assert data.startswith(b"HTTP/1.1 503") and b"<Code>SlowDown</Code>" in data
        finally:
            held.close()
