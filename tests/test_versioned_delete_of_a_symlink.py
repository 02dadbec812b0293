"""DeleteObject of a symlink object in a bucket with versioning, from the service in process.

Expected values from the OSS API reference (DeleteObject, PutSymlink, GetSymlink): in a
bucket with versioning Enabled a DeleteObject without versionId answers 204 with
``x-oss-delete-marker: true`` and the new marker's ``x-oss-version-id``; the key is then
gone: GetObject answers 404 NoSuchKey with ``x-oss-delete-marker: true``, GetSymlink 404
NoSuchKey, and the key is no longer listed by ListObjects. A symlink whose target does not
exist is an object all the same (PutSymlink does not check the target) and is deleted the
same way; the symlinks here were made before versioning was enabled (PutSymlink is not done
by this server in a bucket with versioning: docs/COMPATIBILITY.md).
"""
from __future__ import annotations

import pytest

from tests.service_env import calls_to, error_fields, one_bucket_service, set_versioning
from tests.service_env import xml_document

BUCKET = "ver-links"


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


call = calls_to(BUCKET)


def listed_keys(svc) -> list[str]:
    root = xml_document(call(svc, "GET"), "ListBucketResult")
    return [c.findtext("Key") for c in root.findall("Contents")]


@pytest.mark.parametrize("target_exists", [False, True])
def test_deleting_a_symlink_in_a_versioned_bucket_hides_it(svc, target_exists):
    if target_exists:
        assert call(svc, "PUT", "target.txt", body=b"the target").status == 200
    made = call(svc, "PUT", "ln", {"symlink": ""},
                headers={"x-oss-symlink-target": "target.txt"})
    assert made.status == 200
    assert call(svc, "GET", "ln", {"symlink": ""}).headers["x-oss-symlink-target"] \
        == "target.txt"
    set_versioning(svc, BUCKET, "Enabled")

    gone = call(svc, "DELETE", "ln")
    assert gone.status == 204
    assert gone.headers["x-oss-delete-marker"] == "true"
    marker = gone.headers["x-oss-version-id"]
    assert marker and marker != "null"

    got = call(svc, "GET", "ln")
    error_fields(got, 404, "NoSuchKey")
    assert got.headers["x-oss-delete-marker"] == "true"
    error_fields(call(svc, "GET", "ln", {"symlink": ""}), 404, "NoSuchKey")
    assert listed_keys(svc) == (["target.txt"] if target_exists else [])
    root = xml_document(call(svc, "GET", None, {"versions": ""}), "ListVersionsResult")
    markers = [(m.findtext("Key"), m.findtext("VersionId"), m.findtext("IsLatest"))
               for m in root.findall("DeleteMarker")]
    assert markers == [("ln", marker, "true")]
