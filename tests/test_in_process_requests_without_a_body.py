"""Requests handed to ``OssService.handle`` in process without a body (``Request.body`` is
None by default, core/serve/messages.py) are requests with an empty body, as over HTTP.

Expected values: OSS "PutBucket" without a CreateBucketConfiguration body creates a
Standard bucket (200); "PutObject" of no bytes makes an empty object whose ETag is the MD5
of nothing (d41d8cd98f00b204e9800998ecf8427e, RFC 1321's test suite) and whose CRC-64 is 0;
"DeleteMultipleObjects" needs its XML body: without one it is MalformedXML, HTTP 400.
"""
from __future__ import annotations

import base64
import hashlib

from core.serve.config import ServiceConfig
from core.serve.messages import Request
from core.serve.service import OssService
from tests.service_env import T0, error_fields, handle, xml_document

B = "no-body"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def test_put_bucket_and_put_object_without_a_body(tmp_path):
    svc = OssService(ServiceConfig(tmp_path, acl="public-read-write"), clock=lambda: T0)
    resp = svc.handle(Request("PUT", B))
    assert resp.status == 200, resp.body
    assert (tmp_path / B).is_dir()
    info = xml_document(handle(svc, "GET", B, None, {"bucketInfo": ""}), "BucketInfo")
    assert info.findtext("Bucket/StorageClass") == "Standard"
    put = svc.handle(Request("PUT", B, "empty.txt"))
    assert put.status == 200, put.body
    assert put.headers["ETag"] == f'"{EMPTY_MD5.upper()}"'
    assert put.headers["x-oss-hash-crc64ecma"] == "0"
    assert put.headers["Content-MD5"] == base64.b64encode(hashlib.md5(b"").digest()).decode()
    got = handle(svc, "GET", B, "empty.txt")
    assert (got.status, got.body) == (200, b"")


def test_delete_multiple_without_a_body_is_malformed_xml(tmp_path):
    svc = OssService(ServiceConfig(tmp_path, acl="public-read-write"), clock=lambda: T0)
    (tmp_path / B).mkdir()
    md5 = base64.b64encode(hashlib.md5(b"").digest()).decode()
    resp = svc.handle(Request("POST", B, None, {"delete": ""}, {"content-md5": md5}))
    error_fields(resp, 400, "MalformedXML")


def test_get_bucket_location_names_the_region(tmp_path):
    """OSS "GetBucketLocation": 200, Content-Type application/xml, a LocationConstraint
    of ``oss-<region>``."""
    svc = OssService(ServiceConfig(tmp_path, acl="public-read-write", region="cn-beijing"),
                     clock=lambda: T0)
    (tmp_path / B).mkdir()
    root = xml_document(handle(svc, "GET", B, None, {"location": ""}), "LocationConstraint")
    assert (root.text, len(root)) == ("oss-cn-beijing", 0)
