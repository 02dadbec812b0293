"""Multipart-upload rules, answered by the service in process (no sockets).

Expected values from the OSS API reference:
- CompleteMultipartUpload: parts must be listed in ascending part-number order, else
  400 InvalidPartOrder; every part but the last is at least 100 KiB, else 400
  EntityTooSmall naming the PartNumber and MinSizeAllowed; a part never uploaded or
  whose ETag differs (compared without quotes or case), or no part at all, is 400
  InvalidPart; a body that is not a CompleteMultipartUpload document is 400
  MalformedXML; a PartNumber that is not a number (of at most 6 digits) is 400
  InvalidArgument naming PartNumber. An upload id that is not an upload of this key is 404 NoSuchUpload
  naming the UploadId, for every call on it.
- ListMultipartUploads: ``max-uploads`` caps the uploads (and common prefixes) of one
  page, 1 to 1000; a page cut short says IsTruncated true with NextKeyMarker and
  NextUploadIdMarker; any other value is 400 InvalidArgument naming ``max-uploads``.
- UploadPart: a body over the size this server takes is 400 EntityTooLarge with
  MaxSizeAllowed, whether it declared its length or came chunked (no Content-Length).
- Bucket ACL public-read-write: anyone, anonymous users included, may write objects of
  the bucket, so may run every step of a multipart upload; private: none of them.
"""
from __future__ import annotations

import shutil

import pytest

from core.oss.credentials import Credentials
from core.serve.config import BUCKET_ACL_DIR, ServiceConfig
from core.serve.service import OssService

from tests.service_env import error_fields as error, xml_document as xml
from tests.service_env import handle, one_bucket_service

OPEN, CLOSED = "mp-open", "mp-private"
LIMIT = 1000                          # the server's largest body, bytes
PART = 100 * 1024                     # OSS's smallest part but the last


@pytest.fixture
def svc(tmp_path):
    acls = tmp_path / BUCKET_ACL_DIR
    acls.mkdir()
    for bucket, acl in ((OPEN, "public-read-write"), (CLOSED, "private")):
        (tmp_path / bucket).mkdir()
        (acls / bucket).write_text(acl)
    config = ServiceConfig(tmp_path, acl="private", max_body_bytes=LIMIT,     # signed: none
                           credentials=(Credentials("LTAI5tMultipartRules1", "Secret+01"),))
    return OssService(config, clock=lambda: 1_700_000_000.0)


def call(svc, method, key=None, query=None, body=b"", headers=None, *, bucket=OPEN,
         length="auto"):
    """An unsigned request (the bucket's ACL decides)."""
    return handle(svc, method, bucket, key, query, body, headers, length=length)


def start(svc, key: str, bucket: str = OPEN) -> str:
    return xml(call(svc, "POST", key, {"uploads": ""}, bucket=bucket),
               "InitiateMultipartUploadResult").findtext("UploadId")


def part(svc, key, uid, n, data) -> str:
    resp = call(svc, "PUT", key, {"partNumber": str(n), "uploadId": uid}, data)
    assert resp.status == 200, resp.body
    return resp.headers["ETag"]


def complete_body(parts) -> bytes:
    return ("<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in parts)
        + "</CompleteMultipartUpload>").encode()


def test_parts_out_of_order_are_400_invalid_part_order(open_svc):
    svc = open_svc
    uid = start(svc, "o.bin")
    e1 = part(svc, "o.bin", uid, 1, b"a" * PART)
    e2 = part(svc, "o.bin", uid, 2, b"b")
    resp = call(svc, "POST", "o.bin", {"uploadId": uid}, complete_body([(2, e2), (1, e1)]))
    error(resp, 400, "InvalidPartOrder")
    # a part listed twice is not ascending either
    resp = call(svc, "POST", "o.bin", {"uploadId": uid}, complete_body([(1, e1), (1, e1)]))
    error(resp, 400, "InvalidPartOrder")
    # the upload is still there: in order it completes
    resp = call(svc, "POST", "o.bin", {"uploadId": uid}, complete_body([(1, e1), (2, e2)]))
    xml(resp, "CompleteMultipartUploadResult")


def test_max_uploads_cuts_the_page_and_names_the_next_marker(svc):
    uids = {key: start(svc, key) for key in ("a.bin", "b.bin", "c.bin")}
    page = xml(call(svc, "GET", None, {"uploads": "", "max-uploads": "2"}),
               "ListMultipartUploadsResult")
    assert page.findtext("MaxUploads") == "2"
    assert page.findtext("IsTruncated") == "true"
    assert [u.findtext("Key") for u in page.findall("Upload")] == ["a.bin", "b.bin"]
    assert page.findtext("NextKeyMarker") == "b.bin"
    assert page.findtext("NextUploadIdMarker") == uids["b.bin"]
    rest = xml(call(svc, "GET", None, {"uploads": "", "max-uploads": "2",
                                       "key-marker": "b.bin",
                                       "upload-id-marker": uids["b.bin"]}),
               "ListMultipartUploadsResult")
    assert rest.findtext("IsTruncated") == "false"
    assert [(u.findtext("Key"), u.findtext("UploadId")) for u in rest.findall("Upload")] == [
        ("c.bin", uids["c.bin"])]


@pytest.mark.parametrize("value", ["0", "1001", "abc", "-1"])
def test_max_uploads_outside_1_to_1000_is_invalid_argument(svc, value):
    start(svc, "a.bin")
    fields = error(call(svc, "GET", None, {"uploads": "", "max-uploads": value}),
                   400, "InvalidArgument")
    assert fields["ArgumentName"] == "max-uploads"


def test_a_chunked_part_over_the_limit_is_entity_too_large(svc, tmp_path):
    uid = start(svc, "big.bin")
    query = {"partNumber": "1", "uploadId": uid}
    fields = error(call(svc, "PUT", "big.bin", query, b"x" * (LIMIT + 1), length=None),
                   400, "EntityTooLarge")
    assert fields["MaxSizeAllowed"] == str(LIMIT)
    declared = error(call(svc, "PUT", "big.bin", query, b"x" * (LIMIT + 1)),
                     400, "EntityTooLarge")
    assert declared["MaxSizeAllowed"] == str(LIMIT)
    listed = xml(call(svc, "GET", "big.bin", {"uploadId": uid}), "ListPartsResult")
    assert listed.findall("Part") == []                  # nothing of it kept
    # exactly the limit, chunked or with its Content-Length, is a part
    part_resp = call(svc, "PUT", "big.bin", query, b"x" * LIMIT, length=None)
    assert part_resp.status == 200
    declared_resp = call(svc, "PUT", "big.bin", {**query, "partNumber": "2"}, b"y" * LIMIT)
    assert declared_resp.status == 200
    listed = xml(call(svc, "GET", "big.bin", {"uploadId": uid}), "ListPartsResult")
    assert [p.findtext("Size") for p in listed.findall("Part")] == [str(LIMIT)] * 2


def test_anyone_may_run_a_multipart_upload_in_a_public_read_write_bucket(svc):
    uid = start(svc, "anon.bin")
    etag = part(svc, "anon.bin", uid, 1, b"hello")
    listed = xml(call(svc, "GET", "anon.bin", {"uploadId": uid}), "ListPartsResult")
    assert [p.findtext("ETag") for p in listed.findall("Part")] == [etag]
    uploads = xml(call(svc, "GET", None, {"uploads": ""}), "ListMultipartUploadsResult")
    assert [u.findtext("UploadId") for u in uploads.findall("Upload")] == [uid]
    assert call(svc, "DELETE", "anon.bin", {"uploadId": uid}).status == 204
    error(call(svc, "GET", "anon.bin", {"uploadId": uid}), 404, "NoSuchUpload")
    uid = start(svc, "anon.bin")
    etag = part(svc, "anon.bin", uid, 1, b"hello")
    xml(call(svc, "POST", "anon.bin", {"uploadId": uid}, complete_body([(1, etag)])),
        "CompleteMultipartUploadResult")
    assert call(svc, "GET", "anon.bin").body == b"hello"


@pytest.mark.parametrize("method, query", [
    ("POST", {"uploads": ""}),
    ("PUT", {"partNumber": "1", "uploadId": "0" * 32}),
    ("POST", {"uploadId": "0" * 32}),
    ("DELETE", {"uploadId": "0" * 32}),
    ("GET", {"uploadId": "0" * 32}),
])
def test_no_step_of_a_multipart_upload_is_anonymous_in_a_private_bucket(svc, method, query):
    error(call(svc, method, "k.bin", query, b"x", bucket=CLOSED), 403, "AccessDenied")


def test_listing_uploads_of_a_private_bucket_is_denied_to_anyone(svc):
    error(call(svc, "GET", None, {"uploads": ""}, bucket=CLOSED), 403, "AccessDenied")


@pytest.fixture
def open_svc(tmp_path):
    return one_bucket_service(tmp_path, OPEN)


def test_every_part_but_the_last_is_at_least_100_kib(open_svc):
    svc = open_svc
    uid = start(svc, "s.bin")
    small = part(svc, "s.bin", uid, 1, b"a" * (PART - 1))
    last = part(svc, "s.bin", uid, 2, b"z")
    fields = error(call(svc, "POST", "s.bin", {"uploadId": uid},
                        complete_body([(1, small), (2, last)])), 400, "EntityTooSmall")
    assert (fields["PartNumber"], fields["MinSizeAllowed"]) == ("1", str(PART))
    exact = part(svc, "s.bin", uid, 1, b"a" * PART)              # replaces part 1
    done = xml(call(svc, "POST", "s.bin", {"uploadId": uid},
                    complete_body([(1, exact), (2, last)])), "CompleteMultipartUploadResult")
    assert done.findtext("Key") == "s.bin"
    assert call(svc, "GET", "s.bin").body == b"a" * PART + b"z"


def test_a_part_that_is_not_there_or_not_that_etag_is_invalid_part(open_svc):
    svc = open_svc
    uid = start(svc, "p.bin")
    etag = part(svc, "p.bin", uid, 1, b"only")
    for parts, number in (([(2, etag)], "2"),                     # never uploaded
                          ([(1, '"0123456789ABCDEF0123456789ABCDEF"')], "1")):   # other ETag
        fields = error(call(svc, "POST", "p.bin", {"uploadId": uid}, complete_body(parts)),
                       400, "InvalidPart")
        assert fields["PartNumber"] == number
    error(call(svc, "POST", "p.bin", {"uploadId": uid}, complete_body([])), 400,
          "InvalidPart")
    # the ETag as the client may send it back: unquoted, lower-case
    done = xml(call(svc, "POST", "p.bin", {"uploadId": uid},
                    complete_body([(1, etag.strip('"').lower())])),
               "CompleteMultipartUploadResult")
    assert done.findtext("Key") == "p.bin"


def test_complete_all_of_an_upload_without_parts_is_invalid_part(open_svc):
    uid = start(open_svc, "e.bin")
    error(call(open_svc, "POST", "e.bin", {"uploadId": uid}, b"",
               {"x-oss-complete-all": "yes"}), 400, "InvalidPart")


@pytest.mark.parametrize("body", [b"not xml", b"<Complete><Part/></Complete>"])
def test_a_complete_body_that_is_not_the_document_is_malformed_xml(open_svc, body):
    uid = start(open_svc, "m.bin")
    error(call(open_svc, "POST", "m.bin", {"uploadId": uid}, body), 400, "MalformedXML")


@pytest.mark.parametrize("method, query", [
    ("PUT", {"partNumber": "1"}), ("POST", {}), ("DELETE", {}), ("GET", {})])
def test_an_upload_of_another_key_or_no_upload_id_is_404_no_such_upload(open_svc, method,
                                                                         query):
    uid = start(open_svc, "mine.bin")
    for other_key, upload_id in (("other.bin", uid), ("mine.bin", uid.lower()),
                                 ("mine.bin", uid[:-1]), ("mine.bin", "0" * 32)):
        fields = error(call(open_svc, method, other_key, {**query, "uploadId": upload_id},
                            b"<CompleteMultipartUpload/>" if method == "POST" else b"x"),
                       404, "NoSuchUpload")
        assert fields["UploadId"] == upload_id
    assert call(open_svc, "DELETE", "mine.bin", {"uploadId": uid}).status == 204


def test_an_upload_completed_while_being_aborted_is_not_an_internal_error(open_svc):
    """Another request may remove the upload's folder between Abort's check and its
    removal (a Complete or a second Abort of the same id): Abort still answers 204."""
    svc = open_svc
    uid = start(svc, "race.bin")
    part(svc, "race.bin", uid, 1, b"x")
    info = svc.uploads.info

    def removed_meanwhile(*args):
        folder, data = info(*args)
        shutil.rmtree(folder)
        return folder, data

    svc.uploads.info = removed_meanwhile
    assert call(svc, "DELETE", "race.bin", {"uploadId": uid}).status == 204
    del svc.uploads.info
    error(call(svc, "GET", "race.bin", {"uploadId": uid}), 404, "NoSuchUpload")


@pytest.mark.parametrize("number", ["abc", "1.5", "-1", "", "1234567"])
def test_a_part_number_that_is_no_number_is_invalid_argument(open_svc, number):
    uid = start(open_svc, "n.bin")
    etag = part(open_svc, "n.bin", uid, 1, b"x")
    body = complete_body([(number, etag)])
    fields = error(call(open_svc, "POST", "n.bin", {"uploadId": uid}, body), 400,
                   "InvalidArgument")
    assert fields["ArgumentName"] == "PartNumber"
    # a number no part can have is a part that is not there
    fields = error(call(open_svc, "POST", "n.bin", {"uploadId": uid},
                        complete_body([(10001, etag)])), 400, "InvalidPart")
    assert fields["PartNumber"] == "10001"


def test_a_part_request_without_a_body_stream_is_an_empty_part(svc):
    """``Request.body`` may be None (core.serve.messages: the service used as a library,
    without HTTP): an UploadPart with no body stores an empty part, as one with an empty
    body does."""
    from core.serve.messages import Request
    uid = start(svc, "empty.bin")
    resp = svc.handle(Request("PUT", OPEN, "empty.bin", {"partNumber": "1", "uploadId": uid},
                              {}, None, 0, host="127.0.0.1:9000"))
    assert resp.status == 200, resp.body
    assert resp.headers["ETag"] == '"D41D8CD98F00B204E9800998ECF8427E"'     # MD5 of b""
    listed = xml(call(svc, "GET", "empty.bin", {"uploadId": uid}), "ListPartsResult")
    assert [p.findtext("Size") for p in listed.findall("Part")] == ["0"]
