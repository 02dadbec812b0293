"""The error messages OSS publishes for multipart uploads and RestoreObject, asserted
whole, from the service in process (no sockets).

Expected values: the messages the official SDKs' integration tests compare against
what OSS answers --
- aliyun-oss-java-sdk, src/test/java/com/aliyun/oss/integrationtests/TestConstants.java
  (used by UploadPartTest / UploadPartCopyTest with ``e.getMessage().startsWith``):
  InvalidPart "One or more of the specified parts could not be found or the specified
  entity tag might not have matched the part's entity tag.", InvalidPartOrder "The list
  of parts was not in ascending order. Parts list must specified in order by part
  number.", EntityTooSmall "Your proposed upload smaller than the minimum allowed
  size.", NoSuchUpload "The specified upload does not exist. The upload ID may be
  invalid, or the upload may have been aborted or completed.";
- alibabacloud-oss-v2, tests/integration/test_client.py (a second RestoreObject while
  the first runs): RestoreAlreadyInProgress "The restore operation is in progress.",
  409 (ali-oss's README error table: the same code, status and message).
A RestoreRequest without Days restores for 1 day (RestoreObject: Days defaults to 1), at
the priority its JobParameters names (answered in ``x-oss-object-restore-priority``).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.service_env import (SettableClock, calls_to, error_fields as error,
                               one_bucket_service)


BUCKET = "published-messages"
PART = 100 * 1024

INVALID_PART = ("One or more of the specified parts could not be found or the specified "
                "entity tag might not have matched the part's entity tag.")
INVALID_PART_ORDER = ("The list of parts was not in ascending order. Parts list must "
                      "specified in order by part number.")
ENTITY_TOO_SMALL = "Your proposed upload smaller than the minimum allowed size."
NO_SUCH_UPLOAD = ("The specified upload does not exist. The upload ID may be invalid, or "
                  "the upload may have been aborted or completed.")


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


call = calls_to(BUCKET)


def start(svc, key: str) -> str:
    return ET.fromstring(call(svc, "POST", key, {"uploads": ""}).body).findtext("UploadId")


def part(svc, key, uid, n, data) -> str:
    resp = call(svc, "PUT", key, {"partNumber": str(n), "uploadId": uid}, data)
    assert resp.status == 200, resp.body
    return resp.headers["ETag"]


def complete(svc, key, uid, parts):
    body = ("<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in parts)
        + "</CompleteMultipartUpload>").encode()
    return call(svc, "POST", key, {"uploadId": uid}, body)


def test_a_part_with_another_etag_or_never_uploaded_is_invalid_part(svc):
    uid = start(svc, "p.bin")
    e1, e2 = part(svc, "p.bin", uid, 1, b"a" * PART), part(svc, "p.bin", uid, 2, b"b")
    err = error(complete(svc, "p.bin", uid, [(1, e1), (2, '"Invalid-ETag"')]), 400,
                "InvalidPart")
    assert (err["Message"], err["PartNumber"]) == (INVALID_PART, "2")
    err = error(complete(svc, "p.bin", uid, [(1, e1), (3, e2)]), 400,
                "InvalidPart")
    assert (err["Message"], err["PartNumber"]) == (INVALID_PART, "3")


def test_parts_out_of_order_are_invalid_part_order(svc):
    uid = start(svc, "o.bin")
    e1, e2 = part(svc, "o.bin", uid, 1, b"a" * PART), part(svc, "o.bin", uid, 2, b"b")
    err = error(complete(svc, "o.bin", uid, [(2, e2), (1, e1)]), 400, "InvalidPartOrder")
    assert err["Message"] == INVALID_PART_ORDER


def test_a_small_part_before_the_last_is_entity_too_small(svc):
    uid = start(svc, "s.bin")
    e1, e2 = part(svc, "s.bin", uid, 1, b"a" * (PART - 1)), part(svc, "s.bin", uid, 2, b"b")
    err = error(complete(svc, "s.bin", uid, [(1, e1), (2, e2)]), 400, "EntityTooSmall")
    assert (err["Message"], err["PartNumber"], err["MinSizeAllowed"]) == (
        ENTITY_TOO_SMALL, "1", str(PART))


@pytest.mark.parametrize("method,query", [
    ("GET", {}), ("DELETE", {}), ("POST", {}), ("PUT", {"partNumber": "1"}),
])
def test_every_call_on_an_unknown_upload_is_no_such_upload(svc, method, query):
    uid = "0" * 31 + "A"
    err = error(call(svc, method, "u.bin", {"uploadId": uid, **query}, b"x"), 404,
                "NoSuchUpload")
    assert (err["Message"], err["UploadId"]) == (NO_SUCH_UPLOAD, uid)


@pytest.mark.parametrize("cls", ["Archive", "ColdArchive", "DeepColdArchive"])
def test_a_second_restore_while_the_first_runs(svc, cls):
    assert call(svc, "PUT", "a.bin", None, b"x", {"x-oss-storage-class": cls}).status == 200
    assert call(svc, "POST", "a.bin", {"restore": ""}).status == 202
    resp = call(svc, "POST", "a.bin", {"restore": ""})
    err = error(resp, 409, "RestoreAlreadyInProgress")
    assert (err["Message"], err["EC"]) == ("The restore operation is in progress.",
                                           "0016-00000701")


@pytest.mark.parametrize("cls,body,tier", [
    ("ColdArchive", b"<RestoreRequest><JobParameters><Tier>Expedited</Tier></JobParameters>"
                    b"</RestoreRequest>", "Expedited"),
    ("Archive", b"<RestoreRequest/>", None),
])
def test_a_restore_request_without_days_restores_for_one_day(tmp_path, cls, body, tier):
    from email.utils import formatdate

    clock = SettableClock()
    svc = one_bucket_service(tmp_path, BUCKET, clock=clock, restore_seconds=60)
    assert call(svc, "PUT", "d.bin", None, b"x", {"x-oss-storage-class": cls}).status == 200
    resp = call(svc, "POST", "d.bin", {"restore": ""}, body)
    assert resp.status == 202, resp.body
    assert resp.headers.get("x-oss-object-restore-priority") == tier
    clock.now += 60
    expiry = formatdate(1_700_000_000 + 60 + 86400, usegmt=True)
    assert call(svc, "HEAD", "d.bin").headers["x-oss-restore"] == (
        f'ongoing-request="false", expiry-date="{expiry}"')
