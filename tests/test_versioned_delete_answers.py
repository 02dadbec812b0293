"""DeleteObject in a bucket with versioning, case by case, headers and what is left; from
the service in process (no sockets).

Expected values from the OSS API reference (DeleteObject, "versioning"; the same rules
as S3's): without ``versionId`` an Enabled bucket adds a delete marker with a new id, a
Suspended one a delete marker whose id is ``null`` (replacing the null version); the
answer is 204 with ``x-oss-delete-marker: true`` and the marker's id in
``x-oss-version-id``. With ``versionId`` that version is removed for good: the answer
names it in ``x-oss-version-id``, and says ``x-oss-delete-marker: true`` only when it was
a delete marker; when the current version goes, the newest remaining one becomes
current; removing a previous version leaves the current one as it is. A key hidden by a
delete marker answers 404 NoSuchKey with ``x-oss-delete-marker: true``. A delete
marker is listed with the time it was made as LastModified (ISO 8601, ``.000Z``).
ListObjectVersions reads the bucket like ListObjects: anonymous users may list a
public-read bucket's versions, not a private one's (403 AccessDenied). ``max-keys``
caps a page's versions, delete markers and common prefixes together; a page cut short
says IsTruncated true and names the last item as NextKeyMarker.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

from core.oss.credentials import Credentials

from tests.service_env import SettableClock, calls_to, one_bucket_service, set_versioning

BUCKET = "ver-deletes"


@pytest.fixture
def svc(tmp_path):
    service = one_bucket_service(tmp_path, BUCKET)
    set_versioning(service, BUCKET, "Enabled")
    return service


call = calls_to(BUCKET)


def put(svc, key: str, data: bytes) -> str:
    resp = call(svc, "PUT", key, None, data)
    assert resp.status == 200, resp.body
    return resp.headers["x-oss-version-id"]


def delete(svc, key: str, version_id: str | None = None):
    resp = call(svc, "DELETE", key, {"versionId": version_id} if version_id else None)
    assert (resp.status, resp.body) == (204, b""), resp.body
    return resp.headers.get("x-oss-version-id"), resp.headers.get("x-oss-delete-marker")


def current(svc, key: str):
    resp = call(svc, "GET", key)
    if resp.status != 200:
        return resp.status, resp.headers.get("x-oss-delete-marker")
    body = b"".join(resp.stream) if resp.stream is not None else resp.body
    return body, resp.headers["x-oss-version-id"]


def listed(svc) -> list[tuple[str, str, str, str]]:
    root = ET.fromstring(call(svc, "GET", None, {"versions": ""}).body)
    return [(e.tag, e.findtext("Key"), e.findtext("VersionId"), e.findtext("IsLatest"))
            for e in root if e.tag in ("Version", "DeleteMarker")]


def test_a_delete_without_version_id_adds_a_marker(svc):
    v1 = put(svc, "k", b"one")
    marker, flag = delete(svc, "k")
    assert flag == "true" and marker not in (None, "", "null", v1)
    assert current(svc, "k") == (404, "true")
    assert listed(svc) == [("DeleteMarker", "k", marker, "true"), ("Version", "k", v1, "false")]
    # a second delete adds a second marker
    second, flag = delete(svc, "k")
    assert flag == "true" and second not in (marker, v1)
    assert [e[2] for e in listed(svc)] == [second, marker, v1]


def test_removing_a_previous_version_leaves_the_current_one(svc):
    v1, v2, v3 = put(svc, "k", b"one"), put(svc, "k", b"two"), put(svc, "k", b"three")
    assert delete(svc, "k", v2) == (v2, None)
    assert current(svc, "k") == (b"three", v3)
    assert listed(svc) == [("Version", "k", v3, "true"), ("Version", "k", v1, "false")]


def test_removing_the_current_version_makes_the_newest_left_current(svc):
    v1, v2 = put(svc, "k", b"one"), put(svc, "k", b"two")
    assert delete(svc, "k", v2) == (v2, None)
    assert current(svc, "k") == (b"one", v1)
    assert delete(svc, "k", v1) == (v1, None)          # the last one: nothing left
    assert current(svc, "k") == (404, None)
    assert listed(svc) == []


def test_removing_the_marker_brings_the_object_back(svc):
    v1 = put(svc, "k", b"one")
    marker, _ = delete(svc, "k")
    assert delete(svc, "k", marker) == (marker, "true")
    assert current(svc, "k") == (b"one", v1)
    assert listed(svc) == [("Version", "k", v1, "true")]


def test_removing_an_older_marker_keeps_the_newer_one(svc):
    v1 = put(svc, "k", b"one")
    old, _ = delete(svc, "k")
    new, _ = delete(svc, "k")
    assert delete(svc, "k", old) == (old, "true")
    assert current(svc, "k") == (404, "true")
    assert listed(svc) == [("DeleteMarker", "k", new, "true"), ("Version", "k", v1, "false")]


def test_a_suspended_bucket_deletes_with_a_null_marker(svc):
    kept = put(svc, "k", b"enabled")
    set_versioning(svc, BUCKET, "Suspended")
    assert call(svc, "PUT", "k", None, b"null one").status == 200
    assert delete(svc, "k") == ("null", "true")
    assert current(svc, "k") == (404, "true")
    # the null version was replaced by the marker; the Enabled version is kept
    assert listed(svc) == [("DeleteMarker", "k", "null", "true"),
                           ("Version", "k", kept, "false")]
    assert delete(svc, "k", "null") == ("null", "true")
    assert current(svc, "k") == (b"enabled", kept)


def test_a_marker_is_listed_with_the_time_it_was_made(tmp_path):
    clock = SettableClock()
    svc = one_bucket_service(tmp_path, BUCKET, clock=clock)
    set_versioning(svc, BUCKET, "Enabled")
    put(svc, "k", b"one")
    clock.now += 3661
    marker, _ = delete(svc, "k")
    root = ET.fromstring(call(svc, "GET", None, {"versions": ""}).body)
    (listed_marker,) = root.findall("DeleteMarker")
    assert (listed_marker.findtext("VersionId"), listed_marker.findtext("LastModified")) == (
        marker, "2023-11-14T23:14:21.000Z")


@pytest.mark.parametrize("acl,status", [("public-read", 200), ("private", 403)])
def test_anonymous_listing_of_versions_follows_the_bucket_acl(tmp_path, acl, status):
    creds = (Credentials("LTAI5tVersionsAcl001", "Versions+Secret"),)
    svc = one_bucket_service(tmp_path, BUCKET, acl=acl, credentials=creds)
    resp = call(svc, "GET", None, {"versions": ""})
    assert resp.status == status, resp.body
    root = ET.fromstring(resp.body)
    if status == 200:
        assert (root.tag, root.findtext("Name")) == ("ListVersionsResult", BUCKET)
    else:
        assert root.findtext("Code") == "AccessDenied"


def test_max_keys_counts_common_prefixes_too(svc):
    put(svc, "a", b"a")
    for key in ("b/1", "c/1", "d/1"):
        put(svc, key, b"x")
    root = ET.fromstring(call(svc, "GET", None, {"versions": "", "delimiter": "/",
                                                 "max-keys": "2"}).body)
    items = [(e.tag, e.findtext("Key") or e.findtext("Prefix"))
             for e in root if e.tag in ("Version", "CommonPrefixes")]
    assert items == [("Version", "a"), ("CommonPrefixes", "b/")]
    assert (root.findtext("IsTruncated"), root.findtext("NextKeyMarker")) == ("true", "b/")
    rest = ET.fromstring(call(svc, "GET", None, {"versions": "", "delimiter": "/",
                                                 "max-keys": "2", "key-marker": "b/"}).body)
    assert [p.findtext("Prefix") for p in rest.findall("CommonPrefixes")] == ["c/", "d/"]
    assert rest.findtext("IsTruncated") == "false"


def test_a_version_folder_the_file_system_will_not_remove_fails_nothing(svc, monkeypatch):
    """Removing the last previous version of a key answers as always (204 naming it) even
    when the file system refuses to remove the emptied folder that held it: the version
    is gone from the listing and the current one stays."""
    v1, v2 = put(svc, "k", b"one"), put(svc, "k", b"two")
    real_rmdir = os.rmdir

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "rmdir", refuse)
    try:
        assert delete(svc, "k", v1) == (v1, None)
    finally:
        monkeypatch.setattr(os, "rmdir", real_rmdir)
    assert current(svc, "k") == (b"two", v2)
    assert listed(svc) == [("Version", "k", v2, "true")]
