"""InitiateMultipartUpload, ListMultipartUploads and AbortMultipartUpload answers, whole
document by document, from the service in process (no sockets).

Expected values from the OSS API reference and alibabacloud-oss-v2's deserialisation
test of it (tests/unit/models/test_object_basic.py, ``ListMultipartUploadsResult``):
- InitiateMultipartUploadResult holds Bucket, Key and UploadId, in that order, as
  application/xml; an upload id is 32 upper-case hex digits (the reference's
  ``0004B9894A22E5B1888A1E29F8236E2D``).
- ListMultipartUploadsResult: Bucket, KeyMarker, UploadIdMarker, NextKeyMarker,
  NextUploadIdMarker, Delimiter, Prefix, MaxUploads, IsTruncated, then one Upload per
  upload (Key, UploadId, Initiated: the time it was initiated, ISO 8601 with
  milliseconds and ``Z``) in key order, and one CommonPrefixes per prefix grouped by
  the delimiter; NextKeyMarker / NextUploadIdMarker name the last upload of the page
  (the reference's example: ``oss.avi`` with IsTruncated false); the markers are
  echoed; MaxUploads defaults to 1000.
- AbortMultipartUpload answers 204 with no body; the upload is gone afterwards: every
  call on it is 404 NoSuchUpload naming the UploadId, and it is no longer listed.
"""
from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET

import pytest


from tests.service_env import SettableClock, calls_to, one_bucket_service, xml_document

BUCKET = "mp-docs"
T0 = 1_700_000_000                    # 2023-11-14T22:13:20Z


@pytest.fixture
def clock():
    return SettableClock(T0)


@pytest.fixture
def svc(tmp_path, clock):
    return one_bucket_service(tmp_path, BUCKET, clock=clock)


call = calls_to(BUCKET)


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def initiate(svc, key: str) -> str:
    root = xml_document(call(svc, "POST", key, {"uploads": ""}), "InitiateMultipartUploadResult")
    assert [c.tag for c in root] == ["Bucket", "Key", "UploadId"]
    assert (root.findtext("Bucket"), root.findtext("Key")) == (BUCKET, key)
    uid = root.findtext("UploadId")
    assert re.fullmatch(r"[0-9A-F]{32}", uid)
    return uid


HEAD = ["Bucket", "KeyMarker", "UploadIdMarker", "NextKeyMarker", "NextUploadIdMarker",
        "Delimiter", "Prefix", "MaxUploads", "IsTruncated"]


def listing(svc, **query) -> ET.Element:
    query = {"uploads": "", **query}
    root = xml_document(call(svc, "GET", None, query), "ListMultipartUploadsResult")
    tags = [c.tag for c in root]
    assert tags[:len(HEAD)] == HEAD
    assert set(tags[len(HEAD):]) <= {"Upload", "CommonPrefixes"}
    assert root.findtext("Bucket") == BUCKET
    return root


def uploads(root) -> list[tuple[str, str, str]]:
    return [(u.findtext("Key"), u.findtext("UploadId"), u.findtext("Initiated"))
            for u in root.findall("Upload")]


def test_initiate_answers_a_fresh_upload_id_each_time(svc):
    first, second = initiate(svc, "same.bin"), initiate(svc, "same.bin")
    assert first != second
    assert [u[1] for u in uploads(listing(svc))] == sorted([first, second])


def test_every_element_of_a_listing_of_uploads(svc, clock):
    ids = {}
    for i, key in enumerate(["b/2.bin", "a.bin", "b/1.bin", "c.bin"]):
        clock.now = T0 + 60 * i
        ids[key] = initiate(svc, key)
    root = listing(svc)
    assert [root.findtext(t) for t in HEAD] == [
        BUCKET, "", "", "c.bin", ids["c.bin"], "", "", "1000", "false"]
    assert uploads(root) == [("a.bin", ids["a.bin"], iso(T0 + 60)),
                             ("b/1.bin", ids["b/1.bin"], iso(T0 + 120)),
                             ("b/2.bin", ids["b/2.bin"], iso(T0)),
                             ("c.bin", ids["c.bin"], iso(T0 + 180))]
    assert root.findall("CommonPrefixes") == []


def test_a_delimiter_groups_keys_into_common_prefixes(svc):
    ids = {key: initiate(svc, key) for key in ["a.bin", "b/1.bin", "b/2.bin", "b/c/3.bin",
                                               "d/4.bin", "e.bin"]}
    root = listing(svc, delimiter="/")
    assert [root.findtext(t) for t in HEAD] == [
        BUCKET, "", "", "e.bin", ids["e.bin"], "/", "", "1000", "false"]
    assert [u[0] for u in uploads(root)] == ["a.bin", "e.bin"]
    assert [p.findtext("Prefix") for p in root.findall("CommonPrefixes")] == ["b/", "d/"]
    # within a prefix the delimiter groups what lies below the next level
    root = listing(svc, delimiter="/", prefix="b/")
    assert (root.findtext("Prefix"), root.findtext("Delimiter")) == ("b/", "/")
    assert uploads(root) == [(k, ids[k], iso(T0)) for k in ("b/1.bin", "b/2.bin")]
    assert [p.findtext("Prefix") for p in root.findall("CommonPrefixes")] == ["b/c/"]


def test_a_page_of_common_prefixes_names_the_last_prefix_as_next_marker(svc):
    for key in ["a/1", "a/2", "b/1", "c/1"]:
        initiate(svc, key)
    root = listing(svc, delimiter="/", **{"max-uploads": "2"})
    assert [p.findtext("Prefix") for p in root.findall("CommonPrefixes")] == ["a/", "b/"]
    assert (root.findtext("IsTruncated"), root.findtext("NextKeyMarker"),
            root.findtext("NextUploadIdMarker")) == ("true", "b/", "")
    rest = listing(svc, delimiter="/", **{"max-uploads": "2", "key-marker": "b/"})
    assert rest.findtext("KeyMarker") == "b/"
    assert [p.findtext("Prefix") for p in rest.findall("CommonPrefixes")] == ["c/"]
    assert rest.findtext("IsTruncated") == "false"


def test_markers_are_echoed_and_the_upload_id_marker_is_exclusive(svc):
    ids = sorted(initiate(svc, "k.bin") for _ in range(3))
    root = listing(svc, **{"key-marker": "k.bin", "upload-id-marker": ids[0]})
    assert (root.findtext("KeyMarker"), root.findtext("UploadIdMarker")) == ("k.bin", ids[0])
    assert [u[1] for u in uploads(root)] == ids[1:]
    assert (root.findtext("NextKeyMarker"), root.findtext("NextUploadIdMarker")) == (
        "k.bin", ids[2])
    # a key marker without an upload-id marker: after every upload of that key
    assert uploads(listing(svc, **{"key-marker": "k.bin"})) == []
    # before the key: all of them
    assert [u[1] for u in uploads(listing(svc, **{"key-marker": "j"}))] == ids


def test_abort_answers_204_and_the_upload_is_gone(svc):
    uid = initiate(svc, "gone.bin")
    assert call(svc, "PUT", "gone.bin", {"partNumber": "1", "uploadId": uid},
                b"part").status == 200
    resp = call(svc, "DELETE", "gone.bin", {"uploadId": uid})
    assert (resp.status, resp.body) == (204, b"")
    assert uploads(listing(svc)) == []
    for method, query in [("GET", {}), ("DELETE", {}), ("PUT", {"partNumber": "1"})]:
        resp = call(svc, method, "gone.bin", {"uploadId": uid, **query}, b"x")
        assert resp.status == 404
        err = {c.tag: c.text for c in ET.fromstring(resp.body)}
        assert (err["Code"], err["UploadId"]) == ("NoSuchUpload", uid)
    assert call(svc, "GET", "gone.bin").status == 404        # no object was made


def test_an_upload_recorded_without_a_class_is_standard(svc, tmp_path):
    """An upload left on disk by a server from before storage classes (its info.json
    names none) lists and completes as Standard, OSS's default class."""
    import json

    from core.serve.config import UPLOAD_DIR

    uid = initiate(svc, "old.bin")
    info_path = tmp_path / UPLOAD_DIR / BUCKET / uid / "info.json"
    info = json.loads(info_path.read_text())
    del info["storage_class"]
    info_path.write_text(json.dumps(info))
    etag = call(svc, "PUT", "old.bin", {"partNumber": "1", "uploadId": uid},
                b"old").headers["ETag"]
    parts = xml_document(call(svc, "GET", "old.bin", {"uploadId": uid}), "ListPartsResult")
    assert parts.findtext("StorageClass") == "Standard"
    body = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag>"
            "</Part></CompleteMultipartUpload>").encode()
    xml_document(call(svc, "POST", "old.bin", {"uploadId": uid}, body),
                 "CompleteMultipartUploadResult")
    head = call(svc, "HEAD", "old.bin")
    assert (head.status, head.headers["x-oss-storage-class"]) == (200, "Standard")


def test_an_empty_listing_names_no_next_marker(svc):
    root = listing(svc)
    assert [root.findtext(t) for t in HEAD] == [BUCKET, "", "", "", "", "", "", "1000",
                                                "false"]
    assert uploads(root) == []


@pytest.mark.parametrize("value", ["0", "1001", "x"])
def test_a_bad_max_parts_is_invalid_argument_naming_it(svc, value):
    uid = initiate(svc, "m.bin")
    resp = call(svc, "GET", "m.bin", {"uploadId": uid, "max-parts": value})
    assert resp.status == 400
    err = {c.tag: c.text for c in ET.fromstring(resp.body)}
    assert (err["Code"], err["ArgumentName"]) == ("InvalidArgument", "max-parts")


def test_what_initiate_names_the_completed_object_carries(svc):
    """InitiateMultipartUpload takes the object's Content-Type, x-oss-meta-*,
    x-oss-object-acl, x-oss-storage-class and x-oss-tagging (OSS API reference); the
    object made by Complete has them."""
    headers = {"Content-Type": "text/plain", "x-oss-meta-owner": "ann",
               "x-oss-object-acl": "public-read", "x-oss-storage-class": "IA",
               "x-oss-tagging": "team=img&stage=beta"}
    resp = call(svc, "POST", "carried.txt", {"uploads": ""}, b"", headers)
    uid = xml_document(resp, "InitiateMultipartUploadResult").findtext("UploadId")
    etag = call(svc, "PUT", "carried.txt", {"partNumber": "1", "uploadId": uid},
                b"text").headers["ETag"]
    body = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag>"
            "</Part></CompleteMultipartUpload>").encode()
    xml_document(call(svc, "POST", "carried.txt", {"uploadId": uid}, body),
                 "CompleteMultipartUploadResult")
    head = call(svc, "HEAD", "carried.txt")
    assert (head.headers["Content-Type"], head.headers["x-oss-meta-owner"],
            head.headers["x-oss-storage-class"], head.headers["x-oss-object-type"]) == (
        "text/plain", "ann", "IA", "Multipart")
    acl = xml_document(call(svc, "GET", "carried.txt", {"acl": ""}), "AccessControlPolicy")
    assert acl.findtext("AccessControlList/Grant") == "public-read"
    tags = xml_document(call(svc, "GET", "carried.txt", {"tagging": ""}), "Tagging")
    assert sorted((t.findtext("Key"), t.findtext("Value"))
                  for t in tags.findall("TagSet/Tag")) == [("stage", "beta"), ("team", "img")]


def test_complete_takes_an_acl_and_no_tags_of_its_own(svc):
    """CompleteMultipartUpload may set the object's ACL (x-oss-object-acl); x-oss-tagging
    is no header of it (the tags are Initiate's), so even a malformed one changes
    nothing."""
    resp = call(svc, "POST", "acl.bin", {"uploads": ""}, b"", {"x-oss-tagging": "team=img"})
    uid = xml_document(resp, "InitiateMultipartUploadResult").findtext("UploadId")
    etag = call(svc, "PUT", "acl.bin", {"partNumber": "1", "uploadId": uid},
                b"x").headers["ETag"]
    body = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag>"
            "</Part></CompleteMultipartUpload>").encode()
    resp = call(svc, "POST", "acl.bin", {"uploadId": uid}, body,
                {"x-oss-object-acl": "public-read", "x-oss-tagging": "a=b=c"})
    xml_document(resp, "CompleteMultipartUploadResult")
    acl = xml_document(call(svc, "GET", "acl.bin", {"acl": ""}), "AccessControlPolicy")
    assert acl.findtext("AccessControlList/Grant") == "public-read"
    tags = xml_document(call(svc, "GET", "acl.bin", {"tagging": ""}), "Tagging")
    assert [(t.findtext("Key"), t.findtext("Value"))
            for t in tags.findall("TagSet/Tag")] == [("team", "img")]
