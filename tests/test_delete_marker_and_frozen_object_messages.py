"""The whole error answers OSS gives for reading a delete marker by its versionId, for
reading or copying a frozen Archive object, and for a RestoreObject body that is not a
RestoreRequest; from the service in process (no sockets).

Expected values from outside the code:
- aliyun-oss-java-sdk, src/test/java/com/aliyun/oss/common/parser/ResponseParsersTest.java
  (testParseErrorResponse): OSS's answer to a GET of a delete marker (HostId
  ``versioning-get...``, ResourceType DeleteMarker) is Code MethodNotAllowed, Message "The
  specified method is not allowed against this resource.", Method GET, ResourceType
  DeleteMarker; the OSS API reference (GetObject, versioning) adds HTTP 405 with
  ``x-oss-delete-marker: true`` and the marker's ``x-oss-version-id``.
- aliyun-oss-java-sdk, integrationtests/AccessPointTest.java: GetObject of an Archive
  object that is not restored answers Message "The operation is not valid for the
  object's state" (Code InvalidObjectState, HTTP 403: the OSS API reference). The same
  refusal for UploadPartCopy from it (OSS: a frozen object cannot be a copy source).
- aliyun-oss-java-sdk, integrationtests/BucketHttpsConfigTest.java: MalformedXML's
  Message is "The XML you provided was not well-formed or did not validate against our
  published schema." (HTTP 400).
"""
from __future__ import annotations

import pytest

from tests.service_env import (calls_to, error_fields, one_bucket_service, set_versioning,
                               xml_document)

BUCKET = "marker-messages"
NOT_ALLOWED = "The specified method is not allowed against this resource."
FROZEN = "The operation is not valid for the object's state"
MALFORMED = ("The XML you provided was not well-formed or did not validate against our "
             "published schema.")


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


call = calls_to(BUCKET)


def test_get_of_a_delete_marker_by_its_version_id(svc):
    set_versioning(svc, BUCKET, "Enabled")
    assert call(svc, "PUT", "gone.txt", body=b"was here").status == 200
    deleted = call(svc, "DELETE", "gone.txt")
    assert (deleted.status, deleted.headers["x-oss-delete-marker"]) == (204, "true")
    marker = deleted.headers["x-oss-version-id"]

    resp = call(svc, "GET", "gone.txt", {"versionId": marker})
    err = error_fields(resp, 405, "MethodNotAllowed")
    assert (err["Message"], err["Method"]) == (NOT_ALLOWED, "GET")
    assert err["ResourceType"] == "DeleteMarker"
    assert resp.headers["x-oss-delete-marker"] == "true"
    assert resp.headers["x-oss-version-id"] == marker


def put_archive(svc, key: str, data: bytes = b"cold bytes") -> None:
    assert call(svc, "PUT", key, body=data,
                headers={"x-oss-storage-class": "Archive"}).status == 200


def test_get_of_a_frozen_archive_object(svc):
    put_archive(svc, "cold.bin")
    for query in (None, {"x-oss-process": "image/resize,w_10"}):
        err = error_fields(call(svc, "GET", "cold.bin", query), 403, "InvalidObjectState")
        assert err["Message"] == FROZEN
    head = call(svc, "HEAD", "cold.bin")          # HEAD works on a frozen object
    assert (head.status, head.headers["x-oss-storage-class"]) == (200, "Archive")


def test_a_frozen_archive_object_is_no_part_copy_source(svc):
    put_archive(svc, "cold.bin")
    uid = xml_document(call(svc, "POST", "target.bin", {"uploads": ""}),
                       "InitiateMultipartUploadResult").findtext("UploadId")
    resp = call(svc, "PUT", "target.bin", {"partNumber": "1", "uploadId": uid},
                headers={"x-oss-copy-source": f"/{BUCKET}/cold.bin"})
    assert error_fields(resp, 403, "InvalidObjectState")["Message"] == FROZEN
    parts = xml_document(call(svc, "GET", "target.bin", {"uploadId": uid}), "ListPartsResult")
    assert parts.findall("Part") == []


@pytest.mark.parametrize("body", [
    b"<RestoreObject><Days>1</Days></RestoreObject>",          # not the RestoreRequest root
    b"<RestoreRequest><Days>1</Days><Tier>Bulk</Tier></RestoreRequest>",   # Tier outside
])
def test_a_restore_body_that_is_not_a_restore_request_is_malformed(svc, body):
    put_archive(svc, "cold.bin")
    err = error_fields(call(svc, "POST", "cold.bin", {"restore": ""}, body), 400, "MalformedXML")
    assert err["Message"] == MALFORMED
    # nothing started: the object is still frozen, and a good request then starts it
    assert "x-oss-restore" not in call(svc, "HEAD", "cold.bin").headers
    assert call(svc, "POST", "cold.bin", {"restore": ""}).status == 202
