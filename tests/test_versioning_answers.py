"""Versioned reads and ListObjectVersions element by element, over raw HTTP to an open
server.

Expected values from the OSS API reference: GetObject/HeadObject with a ``versionId``
that names a delete marker is 405 MethodNotAllowed with ``x-oss-delete-marker: true`` and
``x-oss-version-id`` (GetObject, "versioning"); an unknown version is 404 NoSuchVersion
naming the key and the version; a DELETE in an Enabled bucket adds a delete marker even
for a key that never existed; ListVersionsResult lists Version (Key, VersionId, IsLatest,
LastModified, ETag, Type, Size, StorageClass, Owner) and DeleteMarker (Key, VersionId,
IsLatest, LastModified, Owner) as application/xml.
"""
from __future__ import annotations

import hashlib

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, children, error_answer, xml_answer

BUCKET = "ver-answers"
ENABLE = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"


@pytest.fixture
def srv(tmp_path):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, region="cn-hangzhou") as server:
        assert call(server, "PUT", f"/{BUCKET}?versioning", ENABLE)[0] == 200
        yield server


def test_reading_a_delete_marker_is_405_with_its_headers(srv):
    assert call(srv, "PUT", f"/{BUCKET}/k", b"data")[0] == 200
    status, headers, _ = call(srv, "DELETE", f"/{BUCKET}/k")
    assert (status, headers["x-oss-delete-marker"]) == (204, "true")
    marker = headers["x-oss-version-id"]
    answer = call(srv, "GET", f"/{BUCKET}/k?versionId={marker}")
    err = error_answer(answer, 405, "MethodNotAllowed")
    assert err["Method"] == "GET"
    assert (answer[1]["x-oss-delete-marker"], answer[1]["x-oss-version-id"]) == (
        "true", marker)
    status, headers, body = call(srv, "HEAD", f"/{BUCKET}/k?versionId={marker}")
    assert (status, body) == (405, b"")
    assert (headers["x-oss-delete-marker"], headers["x-oss-version-id"]) == ("true", marker)


def test_an_unknown_version_is_404_no_such_version(srv):
    assert call(srv, "PUT", f"/{BUCKET}/dir/k.txt", b"data")[0] == 200
    vid = "CAE" + "0" * 32
    err = error_answer(call(srv, "GET", f"/{BUCKET}/dir/k.txt?versionId={vid}"), 404,
                       "NoSuchVersion")
    assert (err["Key"], err["VersionId"]) == ("dir/k.txt", vid)


def test_markers_of_keys_that_never_existed_are_listed(srv):
    keys = [f"never-{i}" for i in range(8)]        # several hash folders, none made yet
    markers = {}
    for key in keys:
        status, headers, _ = call(srv, "DELETE", f"/{BUCKET}/{key}")
        assert (status, headers["x-oss-delete-marker"]) == (204, "true")
        markers[key] = headers["x-oss-version-id"]
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?versions"), "ListVersionsResult")
    listed = root.findall("DeleteMarker")
    assert [(d.findtext("Key"), d.findtext("VersionId"), d.findtext("IsLatest"))
            for d in listed] == [(k, markers[k], "true") for k in sorted(keys)]
    assert children(listed[0]) == ["Key", "VersionId", "IsLatest", "LastModified", "Owner"]
    assert root.findall("Version") == []


def test_version_elements(srv):
    assert call(srv, "PUT", f"/{BUCKET}/v", b"first", {"x-oss-storage-class": "IA"})[0] == 200
    status, headers, _ = call(srv, "PUT", f"/{BUCKET}/v", b"second!")
    assert status == 200
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?versions"), "ListVersionsResult")
    assert [root.findtext(t) for t in ("Name", "Prefix", "KeyMarker", "VersionIdMarker",
                                       "MaxKeys", "Delimiter", "IsTruncated")] == [
        BUCKET, "", "", "", "100", "", "false"]
    newest, oldest = root.findall("Version")
    assert children(newest) == ["Key", "VersionId", "IsLatest", "LastModified", "ETag",
                                "Type", "Size", "StorageClass", "Owner"]
    assert [(v.findtext("IsLatest"), v.findtext("ETag"), v.findtext("Size"),
             v.findtext("StorageClass"), v.findtext("Type")) for v in (newest, oldest)] == [
        ("true", f'"{hashlib.md5(b"second!").hexdigest().upper()}"', "7", "Standard",
         "Normal"),
        ("false", f'"{hashlib.md5(b"first").hexdigest().upper()}"', "5", "IA", "Normal")]
    assert newest.findtext("VersionId") == headers["x-oss-version-id"]


def test_a_delimiter_at_the_start_of_a_key_groups_its_versions(srv):
    """ListObjectVersions groups by the first delimiter after the prefix, the very first
    character included (as ListObjects): with delimiter ``a`` and no prefix, the versions
    of ``abc`` and ``ab/d`` are the one common prefix ``a``; ``bad`` is ``ba``."""
    for key in ("abc", "ab/d", "bad", "xyz", "xyz"):
        assert call(srv, "PUT", f"/{BUCKET}/{key}", b"v")[0] == 200
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?versions&delimiter=a"),
                      "ListVersionsResult")
    assert [p.findtext("Prefix") for p in root.iter("CommonPrefixes")] == ["a", "ba"]
    assert [v.findtext("Key") for v in root.iter("Version")] == ["xyz", "xyz"]


def test_a_previous_version_keeps_the_time_it_was_written(srv, tmp_path):
    """Overwriting a key in a versioned bucket keeps the old bytes as a previous version
    whose LastModified is still the one it had as the current version, not the time it
    was moved aside or listed (the file's time is set back to 2020 to tell them apart)."""
    import os
    assert call(srv, "PUT", f"/{BUCKET}/kept.txt", b"first")[0] == 200
    os.utime(tmp_path / BUCKET / "kept.txt", (1577836800, 1577836800))
    before = xml_answer(call(srv, "GET", f"/{BUCKET}?prefix=kept"), "ListBucketResult")
    first_time = before.findtext("Contents/LastModified")
    assert first_time == "2020-01-01T00:00:00.000Z"
    assert call(srv, "PUT", f"/{BUCKET}/kept.txt", b"second")[0] == 200
    listed = xml_answer(call(srv, "GET", f"/{BUCKET}?versions&prefix=kept"),
                        "ListVersionsResult")
    versions = [(v.findtext("IsLatest"), v.findtext("Size"), v.findtext("LastModified"))
                for v in listed.iter("Version")]
    assert versions[1] == ("false", "5", first_time)
    assert versions[0][:2] == ("true", "6")
