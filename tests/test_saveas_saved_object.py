"""The object ``sys/saveas`` writes, read back as any client reads an object, and the
answers of x-oss-async-process's refusals.

Expected values come from outside the service: OSS's "Save processed images" (the saved
object is an ordinary Normal object with the bucket's storage class and ACL, its Content-Type
the result's format; the answer is JSON bucket/fileSize/object/status), the OSS object
answers every client reads (ETag the quoted upper-case MD5 of the bytes for a simple upload,
``x-oss-hash-crc64ecma`` the CRC-64/ECMA of the bytes, here computed by alibabacloud-oss-v2's
own Crc64), and Pillow decoding the result. x-oss-async-process with an unknown kind is
InvalidArgument, HTTP 400, ArgumentName ``x-oss-async-process`` (OSS's answer for a bad
parameter value).
"""
from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from alibabacloud_oss_v2.crc import Crc64
from PIL import Image

from tests.helpers import solid
from core.serve.config import ServiceConfig
from core.serve.service import OssService
from tests.service_env import T0, error_fields, handle, one_bucket_service, xml_document

B, OTHER = "saved-bucket", "saved-other"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def crc64(data: bytes) -> str:
    c = Crc64(0)
    c.update(data)
    return str(c.sum64())


@pytest.fixture
def svc(tmp_path):
    service = one_bucket_service(tmp_path, B)
    (tmp_path / OTHER).mkdir()
    assert handle(service, "PUT", B, "src.png", body=solid(64, 48, (200, 30, 30))).status == 200
    return service


def saveas(svc, process: str):
    return handle(svc, "POST", B, "src.png", {"x-oss-process": ""},
                  f"x-oss-process={process}".encode())


@pytest.mark.parametrize("target_bucket", [None, OTHER])
def test_the_saved_object_reads_back_as_a_normal_object_of_its_bytes(svc, target_bucket):
    if target_bucket is not None:
        # the target bucket's own storage class (IA) is what the saved object gets
        body = (b"<CreateBucketConfiguration><StorageClass>IA</StorageClass>"
                b"</CreateBucketConfiguration>")
        handle(svc, "DELETE", OTHER)
        assert handle(svc, "PUT", OTHER, None, body=body).status == 200
    suffix = f",b_{b64(target_bucket)}" if target_bucket else ""
    resp = saveas(svc, f"image/resize,w_32/format,jpg|sys/saveas,o_{b64('out/t.jpg')}{suffix}")
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
    answer = json.loads(resp.body)
    bucket = target_bucket or B
    got = handle(svc, "GET", bucket, "out/t.jpg")
    assert got.status == 200
    data = got.body
    assert answer == {"bucket": target_bucket or "", "fileSize": len(data),
                      "object": "out/t.jpg", "status": "OK"}
    with Image.open(io.BytesIO(data)) as im:
        assert (im.format, im.size) == ("JPEG", (32, 24))
    h = got.headers
    assert h["Content-Type"] == "image/jpeg"
    assert h["ETag"] == '"' + hashlib.md5(data).hexdigest().upper() + '"'
    assert h["x-oss-hash-crc64ecma"] == crc64(data)
    assert h["x-oss-object-type"] == "Normal"
    assert h["x-oss-storage-class"] == ("IA" if target_bucket else "Standard")
    head = handle(svc, "HEAD", bucket, "out/t.jpg")
    assert (head.headers["ETag"], head.headers["Content-Length"]) == (h["ETag"], str(len(data)))
    acl = xml_document(handle(svc, "GET", bucket, "out/t.jpg", {"acl": ""}),
                       "AccessControlPolicy")
    assert acl.findtext("AccessControlList/Grant") == "default"


def test_a_saveas_over_an_object_replaces_its_bytes_and_digests(svc):
    assert handle(svc, "PUT", B, "t.png", body=b"old bytes").status == 200
    assert saveas(svc, f"image/resize,w_16|sys/saveas,o_{b64('t.png')}").status == 200
    got = handle(svc, "GET", B, "t.png")
    with Image.open(io.BytesIO(got.body)) as im:
        assert (im.format, im.size) == ("PNG", (16, 12))
    assert got.headers["ETag"] == '"' + hashlib.md5(got.body).hexdigest().upper() + '"'
    assert got.headers["x-oss-hash-crc64ecma"] == crc64(got.body)


@pytest.mark.parametrize("process", ["foo/bar", "image2/resize,w_1", "x"])
def test_async_process_of_an_unknown_kind_is_invalid_argument_400(svc, process):
    resp = handle(svc, "POST", B, "src.png", {"x-oss-async-process": ""},
                  f"x-oss-async-process={process}".encode())
    fields = error_fields(resp, 400, "InvalidArgument")
    assert fields["ArgumentName"] == "x-oss-async-process"


def test_async_process_of_a_missing_object_is_no_such_key_first(svc):
    resp = handle(svc, "POST", B, "missing.png", {"x-oss-async-process": ""},
                  b"x-oss-async-process=foo/bar")
    error_fields(resp, 404, "NoSuchKey")


@pytest.mark.parametrize("key", ["???.png", "a>>b~.png", "目录/图?.png"])
def test_a_target_key_whose_base64url_holds_underscore_and_dash(svc, key):
    # urlsafe base64 writes '/' and '+' as '_' and '-' ("Save processed images": o_ and b_
    # are URL-safe base64): the first '_' after o/b ends the name, the rest is the value
    encoded = b64(key)
    assert "_" in encoded or "-" in encoded
    resp = saveas(svc, f"image/resize,w_8|sys/saveas,o_{encoded}")
    assert resp.status == 200, resp.body
    assert json.loads(resp.body)["object"] == key
    with Image.open(io.BytesIO(handle(svc, "GET", B, key).body)) as im:
        assert im.size == (8, 6)


def test_anonymous_saveas_follows_the_target_objects_own_acl(svc, tmp_path):
    # OSS: an object's ACL, when set, decides over its bucket's ("Object ACL"); an
    # unsigned saveas is a write of the target object, so a public-read-write object in a
    # public-read bucket may be overwritten and a private one in the same bucket may not
    # (the source bucket has no ACL of its own: the server's open mode lets the call in)
    for key, acl in (("open.png", "public-read-write"), ("closed.png", "private")):
        assert handle(svc, "PUT", OTHER, key, body=b"before",
                      headers={"x-oss-object-acl": acl}).status == 200
    (tmp_path / ".oss-bucket-acl").mkdir()           # the target bucket's own ACL
    (tmp_path / ".oss-bucket-acl" / OTHER).write_text("public-read")
    svc = OssService(ServiceConfig(tmp_path, acl="public-read-write"), clock=lambda: T0)
    to_other = f",b_{b64(OTHER)}"
    resp = saveas(svc, f"image/resize,w_8|sys/saveas,o_{b64('open.png')}{to_other}")
    assert resp.status == 200, resp.body
    with Image.open(io.BytesIO(handle(svc, "GET", OTHER, "open.png").body)) as im:
        assert im.size == (8, 6)
    for key in ("closed.png", "new.png"):
        error_fields(saveas(svc, f"image/resize,w_8|sys/saveas,o_{b64(key)}{to_other}"), 403,
                     "AccessDenied")
    error_fields(handle(svc, "GET", OTHER, "closed.png"), 403, "AccessDenied")
    assert (tmp_path / OTHER / "closed.png").read_bytes() == b"before"
    error_fields(handle(svc, "GET", OTHER, "new.png"), 404, "NoSuchKey")
