"""``oss-img serve``: the OSS semantics (driven directly through OssService) and the HTTP
plumbing (a real server on loopback, port 0). Fixed clocks, tiny Pillow images, no sleeps.

The official SDKs as clients are in test_server_sdk.py; concurrency in test_server_load.py.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from core.errors import OssError
from core.serve.config import FOLDER_OBJECT, STYLE_DIR, TMP_PREFIX, content_type_for
from core.serve.wsgi import split_target

from tests.server_env import (BUCKET, IMG, error_of, listed, req, size_of)
from tests.server_env import root, svc  # noqa: F401 (fixtures)


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
    assert (e.value.code, e.value.status) == ("InvalidURI", 400)
    assert "UTF-8" in e.value.message       # what is wrong with the path, said


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
    for bad in ("bytes=200-300", "bytes=5-1", "items=1-2", "bytes=1-2,4-5", "items=-5",
                "bytes=-5,10-19", "bytes=1-2,-5"):
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
