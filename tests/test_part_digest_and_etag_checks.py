"""What UploadPart checks of a part's bytes, and what CompleteMultipartUpload checks of the
ETags it is given, from the service in process.

Expected values from the OSS API reference:
- UploadPart takes ``Content-MD5`` (the Base64 of the part's 128-bit MD5, RFC 1864) and
  answers 400 InvalidDigest when the part received does not match it; a part sent with its
  right Content-MD5 is stored and its ETag is the part's MD5 in upper-case hex, quoted.
  A part refused this way is not stored: ListParts does not list it, and a part of the same
  number uploaded before stays as it was.
- CompleteMultipartUpload names each part by PartNumber and ETag; an ETag that is not the
  uploaded part's (here: the right one with one character more, before or after) is 400
  InvalidPart naming the PartNumber; the quotes around the ETag are optional (oss2 and
  alibabacloud-oss-v2 send them, ``x-oss-complete-all`` answers name them).
"""
from __future__ import annotations

import hashlib

import pytest

from tests.helpers import md5_b64
from tests.service_env import error_fields, handle, one_bucket_service, xml_document

BUCKET = "part-checks"
PART = 100 * 1024                      # OSS's smallest part but the last


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


def call(svc, method, key, query=None, body=b"", headers=None):
    return handle(svc, method, BUCKET, key, query, body, headers)


def initiate(svc, key: str) -> str:
    return xml_document(call(svc, "POST", key, {"uploads": ""}),
                        "InitiateMultipartUploadResult").findtext("UploadId")


def put_part(svc, key, uid, number, data, headers=None):
    return call(svc, "PUT", key, {"partNumber": str(number), "uploadId": uid}, data, headers)


def listed_parts(svc, key, uid) -> list[tuple[str, str, str]]:
    root = xml_document(call(svc, "GET", key, {"uploadId": uid}), "ListPartsResult")
    return [(p.findtext("PartNumber"), p.findtext("ETag"), p.findtext("Size"))
            for p in root.findall("Part")]


def etag_of(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest().upper()}"'


def test_a_part_with_its_right_content_md5_is_stored(svc):
    uid = initiate(svc, "d.bin")
    data = b"part one " * 1000
    resp = put_part(svc, "d.bin", uid, 1, data, {"content-md5": md5_b64(data)})
    assert resp.status == 200
    assert resp.headers["ETag"] == etag_of(data)
    assert listed_parts(svc, "d.bin", uid) == [("1", etag_of(data), str(len(data)))]


@pytest.mark.parametrize("md5_of", [b"other bytes", b""])
def test_a_part_whose_content_md5_does_not_match_is_invalid_digest(svc, md5_of):
    uid = initiate(svc, "d.bin")
    data = b"the part sent " * 100
    error_fields(put_part(svc, "d.bin", uid, 1, data, {"content-md5": md5_b64(md5_of)}),
                 400, "InvalidDigest")
    assert listed_parts(svc, "d.bin", uid) == []             # nothing stored


def test_a_refused_part_leaves_the_part_uploaded_before_as_it_was(svc):
    uid = initiate(svc, "keep.bin")
    first = b"first upload of part 2"
    assert put_part(svc, "keep.bin", uid, 2, first).status == 200
    error_fields(put_part(svc, "keep.bin", uid, 2, b"a corrupted second upload",
                          {"content-md5": md5_b64(b"what was meant")}),
                 400, "InvalidDigest")
    assert listed_parts(svc, "keep.bin", uid) == [("2", etag_of(first), str(len(first)))]
    root = xml_document(call(svc, "POST", "keep.bin", {"uploadId": uid}, b"",
                             {"x-oss-complete-all": "yes"}), "CompleteMultipartUploadResult")
    assert root.findtext("Key") == "keep.bin"
    got = call(svc, "GET", "keep.bin")
    data = b"".join(got.stream) if got.stream is not None else got.body
    assert (got.status, data) == (200, first)


def complete_body(parts: list[tuple[int, str]]) -> bytes:
    return ("<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in parts)
        + "</CompleteMultipartUpload>").encode()


@pytest.mark.parametrize("spoil", [lambda e: e[:-1] + 'X"', lambda e: '"X' + e[1:],
                                   lambda e: e.strip('"') + "X", lambda e: "X" + e.strip('"'),
                                   lambda e: e[:-2] + '"'])
def test_an_etag_that_is_not_the_parts_is_invalid_part(svc, spoil):
    uid = initiate(svc, "e.bin")
    one, two = b"1" * PART, b"two"
    e1 = put_part(svc, "e.bin", uid, 1, one).headers["ETag"]
    e2 = put_part(svc, "e.bin", uid, 2, two).headers["ETag"]
    err = error_fields(call(svc, "POST", "e.bin", {"uploadId": uid},
                            complete_body([(1, e1), (2, spoil(e2))])), 400, "InvalidPart")
    assert err["PartNumber"] == "2"
    assert listed_parts(svc, "e.bin", uid) == [("1", e1, str(PART)), ("2", e2, "3")]


def test_the_quotes_around_an_etag_are_optional(svc):
    uid = initiate(svc, "q.bin")
    one, two = b"1" * PART, b"two"
    e1 = put_part(svc, "q.bin", uid, 1, one).headers["ETag"]
    e2 = put_part(svc, "q.bin", uid, 2, two).headers["ETag"]
    root = xml_document(call(svc, "POST", "q.bin", {"uploadId": uid},
                             complete_body([(1, e1), (2, e2.strip('"'))])),
                        "CompleteMultipartUploadResult")
    digest = hashlib.md5(hashlib.md5(one).digest() + hashlib.md5(two).digest())
    assert root.findtext("ETag") == f'"{digest.hexdigest().upper()}-2"'
