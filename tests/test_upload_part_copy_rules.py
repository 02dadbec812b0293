"""UploadPartCopy: the source's conditions, its range, a source that cannot be read, and
the CopyPartResult document; from the service in process (no sockets).

Expected values from the OSS API reference (UploadPartCopy) and alibabacloud-oss-v2's
UploadPartCopyRequest: ``x-oss-copy-source-if-match`` / ``-if-unmodified-since`` that
do not hold are 412 PreconditionFailed, ``-if-none-match`` / ``-if-modified-since`` that
do not hold make no part (304 or 412); the conditions that hold copy the part;
``x-oss-copy-source-range: bytes=first-last`` copies those bytes (inclusive), none the
whole source; a source that does not exist is 404 NoSuchKey (NoSuchBucket for its
bucket); an Archive source not restored is 403 InvalidObjectState (RestoreObject: a
frozen object cannot be read or copied). CopyPartResult holds LastModified and ETag in
that order (the part's ETag: the quoted upper-case MD5 of its bytes, RFC 1864 style as
for UploadPart), as application/xml, and ``ETag`` is also a header.
"""
from __future__ import annotations

import hashlib
import os
import time
import xml.etree.ElementTree as ET

import pytest

from tests.service_env import calls_to, one_bucket_service


BUCKET = "part-copy"
T = 1_700_000_000
T_HTTP = "Tue, 14 Nov 2023 22:13:20 GMT"
BEFORE = "Tue, 14 Nov 2023 22:13:19 GMT"
SOURCE = bytes(range(256)) * 4


def etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest().upper()}"'


@pytest.fixture
def svc(tmp_path):
    service = one_bucket_service(tmp_path, BUCKET, clock=lambda: float(T + 3600))
    assert call(service, "PUT", "src.bin", None, SOURCE).status == 200
    os.utime(tmp_path / BUCKET / "src.bin", (T, T))
    return service


call = calls_to(BUCKET)


def start(svc) -> str:
    return ET.fromstring(call(svc, "POST", "dst.bin", {"uploads": ""}).body).findtext(
        "UploadId")


def copy_part(svc, uid, n=1, source=f"/{BUCKET}/src.bin", **headers):
    h = {"x-oss-copy-source": source}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    return call(svc, "PUT", "dst.bin", {"partNumber": str(n), "uploadId": uid}, b"", h)


def parts(svc, uid) -> list[tuple[str, str, str]]:
    root = ET.fromstring(call(svc, "GET", "dst.bin", {"uploadId": uid}).body)
    return [(p.findtext("PartNumber"), p.findtext("ETag"), p.findtext("Size"))
            for p in root.findall("Part")]


def code(resp) -> str:
    return ET.fromstring(resp.body).findtext("Code")


def test_a_copied_part_and_its_document(svc):
    uid = start(svc)
    resp = copy_part(svc, uid, 3)
    assert resp.status == 200, resp.body
    assert resp.headers["Content-Type"] == "application/xml"
    root = ET.fromstring(resp.body)
    assert root.tag == "CopyPartResult"
    assert [c.tag for c in root] == ["LastModified", "ETag"]
    assert root.findtext("LastModified") == time.strftime(
        "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(T + 3600))
    assert root.findtext("ETag") == resp.headers["ETag"] == etag(SOURCE)
    assert parts(svc, uid) == [("3", etag(SOURCE), str(len(SOURCE)))]


@pytest.mark.parametrize("first,last", [(0, 0), (10, 109), (1000, 1023)])
def test_a_range_copies_those_bytes(svc, first, last):
    uid = start(svc)
    resp = copy_part(svc, uid, x_oss_copy_source_range=f"bytes={first}-{last}")
    assert resp.status == 200, resp.body
    chunk = SOURCE[first:last + 1]
    assert parts(svc, uid) == [("1", etag(chunk), str(len(chunk)))]


@pytest.mark.parametrize("header,value", [
    ("x_oss_copy_source_if_match", etag(SOURCE)),
    ("x_oss_copy_source_if_none_match", '"0123"'),
    ("x_oss_copy_source_if_unmodified_since", T_HTTP),
    ("x_oss_copy_source_if_modified_since", BEFORE),
])
def test_conditions_that_hold_copy_the_part(svc, header, value):
    uid = start(svc)
    assert copy_part(svc, uid, **{header: value}).status == 200
    assert parts(svc, uid) == [("1", etag(SOURCE), str(len(SOURCE)))]


@pytest.mark.parametrize("header,value,statuses", [
    ("x_oss_copy_source_if_match", '"0123"', (412,)),
    ("x_oss_copy_source_if_unmodified_since", BEFORE, (412,)),
    ("x_oss_copy_source_if_none_match", etag(SOURCE), (304, 412)),
    ("x_oss_copy_source_if_modified_since", T_HTTP, (304, 412)),
])
def test_conditions_that_do_not_hold_make_no_part(svc, header, value, statuses):
    uid = start(svc)
    resp = copy_part(svc, uid, **{header: value})
    assert resp.status in statuses
    if resp.status == 412:
        assert code(resp) == "PreconditionFailed"
    assert parts(svc, uid) == []
    # the plain (unprefixed) header is not a condition of the source
    plain = header.replace("x_oss_copy_source_", "")
    assert copy_part(svc, uid, **{plain: value}).status == 200


def test_a_source_that_cannot_be_read(svc):
    uid = start(svc)
    resp = copy_part(svc, uid, source=f"/{BUCKET}/missing.bin")
    assert (resp.status, code(resp)) == (404, "NoSuchKey")
    resp = copy_part(svc, uid, source="/no-such-bucket/src.bin")
    assert (resp.status, code(resp)) == (404, "NoSuchBucket")
    assert call(svc, "PUT", "frozen.bin", None, b"ice",
                {"x-oss-storage-class": "Archive"}).status == 200
    resp = copy_part(svc, uid, source=f"/{BUCKET}/frozen.bin")
    assert (resp.status, code(resp)) == (403, "InvalidObjectState")
    assert parts(svc, uid) == []
