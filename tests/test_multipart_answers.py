"""Multipart-upload answers over raw HTTP to an open server, beyond what the SDKs send.

Expected values from the OSS API reference: UploadPart's partNumber is an integer from 1
to 10,000 (anything else: 400 InvalidArgument naming ``partNumber``);
CompleteMultipartUpload with ``x-oss-complete-all: yes`` and no body completes with every
uploaded part in part-number order, the ETag being the MD5 of the parts' MD5s and ``-N``
(see tests/test_server_oss_api.py); ListPartsResult is application/xml. A part whose
record on disk is unreadable is left out of ListParts, the others are still listed.
"""
from __future__ import annotations

import hashlib

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, error_answer, xml_answer

BUCKET = "mp-answers"
PART = 100 * 1024                      # OSS's smallest part but the last


@pytest.fixture
def served(tmp_path):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, region="cn-hangzhou") as server:
        yield server, tmp_path


def start(srv, key: str) -> str:
    root = xml_answer(call(srv, "POST", f"/{BUCKET}/{key}?uploads"),
                      "InitiateMultipartUploadResult")
    return root.findtext("UploadId")


def upload(srv, key: str, upload_id: str, number: int, data: bytes) -> str:
    status, headers, _ = call(srv, "PUT", f"/{BUCKET}/{key}?partNumber={number}"
                                          f"&uploadId={upload_id}", data)
    assert status == 200
    return headers["etag"]


@pytest.mark.parametrize("number", ["0", "10001", "abc", "-1", "1.5"])
def test_part_numbers_outside_1_to_10000_are_invalid(served, number):
    srv, _ = served
    uid = start(srv, "n.bin")
    err = error_answer(call(srv, "PUT", f"/{BUCKET}/n.bin?partNumber={number}"
                                        f"&uploadId={uid}", b"x"), 400, "InvalidArgument")
    assert err["ArgumentName"] == "partNumber"
    assert upload(srv, "n.bin", uid, 10000, b"x")       # the last valid number


def test_complete_all_takes_every_part_in_order(served):
    srv, _ = served
    uid = start(srv, "all.bin")
    parts = {3: b"c" * 10, 1: b"a" * PART, 2: b"b" * PART}
    for n, data in parts.items():                      # uploaded out of order
        upload(srv, "all.bin", uid, n, data)
    root = xml_answer(call(srv, "POST", f"/{BUCKET}/all.bin?uploadId={uid}", b"",
                           {"x-oss-complete-all": "yes"}), "CompleteMultipartUploadResult")
    digest = hashlib.md5(b"".join(hashlib.md5(parts[n]).digest() for n in (1, 2, 3)))
    assert root.findtext("ETag") == f'"{digest.hexdigest().upper()}-3"'
    assert (root.findtext("Bucket"), root.findtext("Key")) == (BUCKET, "all.bin")
    status, _, body = call(srv, "GET", f"/{BUCKET}/all.bin")
    assert (status, body) == (200, parts[1] + parts[2] + parts[3])


def test_an_unreadable_part_record_is_left_out_of_list_parts(served):
    srv, root = served
    uid = start(srv, "rec.bin")
    for n in range(1, 11):
        upload(srv, "rec.bin", uid, n, bytes([n]) * 5)
    [record] = root.rglob(f"{uid}/5.json")
    record.write_text("{not json")
    listed = xml_answer(call(srv, "GET", f"/{BUCKET}/rec.bin?uploadId={uid}"),
                        "ListPartsResult")
    assert [p.findtext("PartNumber") for p in listed.findall("Part")] == [
        str(n) for n in range(1, 11) if n != 5]
    assert [p.findtext("Size") for p in listed.findall("Part")] == ["5"] * 9


def test_a_delimiter_at_the_start_of_a_key_makes_a_common_prefix(served):
    """ListMultipartUploads groups by the first delimiter after the prefix, wherever it
    falls, the very first character included: with delimiter ``a`` and no prefix,
    ``abc`` is summed up as the common prefix ``a``, as ListObjects does."""
    srv, _ = served
    for key in ("abc", "bad", "xyz"):
        start(srv, key)
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?uploads&delimiter=a"),
                      "ListMultipartUploadsResult")
    assert [p.findtext("Prefix") for p in root.iter("CommonPrefixes")] == ["a", "ba"]
    assert [u.findtext("Key") for u in root.iter("Upload")] == ["xyz"]


def test_an_upload_record_without_an_acl_completes_with_the_default_acl(served):
    """An upload's record written without its ``acl`` (an older record, or one edited by
    hand) still completes; the object gets the ACL an upload that names none gets."""
    import json
    srv, root = served
    uid = start(srv, "old.bin")
    (record,) = [p for p in root.rglob("info.json") if uid in str(p)]
    info = json.loads(record.read_text(encoding="utf-8"))
    del info["acl"]
    record.write_text(json.dumps(info), encoding="utf-8")
    upload(srv, "old.bin", uid, 1, b"z" * 10)
    xml_answer(call(srv, "POST", f"/{BUCKET}/old.bin?uploadId={uid}", b"",
                    {"x-oss-complete-all": "yes"}), "CompleteMultipartUploadResult")
    acl = xml_answer(call(srv, "GET", f"/{BUCKET}/old.bin?acl"), "AccessControlPolicy")
    assert acl.findtext("AccessControlList/Grant") == "default"
    assert call(srv, "GET", f"/{BUCKET}/old.bin")[2] == b"z" * 10


def test_a_part_copied_from_an_unversioned_object_names_the_null_version(served):
    """UploadPartCopy answers x-oss-copy-source-version-id; a source in a bucket without
    versioning is its "null" version (the id ListObjectVersions gives such objects)."""
    srv, _ = served
    assert call(srv, "PUT", f"/{BUCKET}/src.bin", b"s" * 10)[0] == 200
    uid = start(srv, "dst.bin")
    status, headers, _ = call(srv, "PUT", f"/{BUCKET}/dst.bin?partNumber=1&uploadId={uid}",
                              b"", {"x-oss-copy-source": f"/{BUCKET}/src.bin"})
    assert (status, headers["x-oss-copy-source-version-id"]) == (200, "null")
    listed = xml_answer(call(srv, "GET", f"/{BUCKET}?versions&prefix=src"),
                        "ListVersionsResult")
    assert listed.findtext("Version/VersionId") == "null"


def test_a_part_record_without_its_crc_is_listed_without_one(served):
    """A part record written without its CRC-64 (an older record, or one edited by hand)
    is still listed: its Part simply has no HashCrc64ecma, and nothing else is added."""
    import json
    srv, root = served
    uid = start(srv, "nocrc.bin")
    upload(srv, "nocrc.bin", uid, 1, b"c" * 5)
    [record] = root.rglob(f"{uid}/1.json")
    info = json.loads(record.read_text(encoding="utf-8"))
    assert [k for k in info if "crc" in k.lower()]
    for k in [k for k in info if "crc" in k.lower()]:
        del info[k]
    record.write_text(json.dumps(info), encoding="utf-8")
    listed = xml_answer(call(srv, "GET", f"/{BUCKET}/nocrc.bin?uploadId={uid}"),
                        "ListPartsResult")                 # no stray text either
    [part] = listed.findall("Part")
    assert [c.tag for c in part] == ["PartNumber", "LastModified", "ETag", "Size"]
