"""Previous versions whose records on disk lack what this server writes (a record kept by
hand, or by an older server): they are still listed and counted from their data file,
never with a made-up value.

The layout is core/serve/versions.py's (``ROOT/.oss-versions/<bucket>/<sha1[:2]>/
<sha1(key)>/index.json`` plus one data file per version id). Expected values:
- ListObjectVersions: a version without metadata has the documented defaults of OSS's
  ListVersionsResult for an object with nothing special -- Type Normal, StorageClass
  Standard -- its Size is its data file's, and its ETag is empty (none was recorded).
- GetBucketStat: Storage and ObjectCount are the totals over every current object and
  previous version (OSS API reference "GetBucketStat"), whatever class a record names;
  the per-class elements count only the five classes OSS has.
- An index that cannot be read hides that key's previous versions only (logged by its
  path); a version whose data file is gone is left out of both answers; a status file
  holding neither Enabled nor Suspended means versioning was never set (GetBucketVersioning
  has no Status, a PUT gets no version id).
- A file put into the bucket folder by hand (no metadata record at all) is the current
  ``null`` version: IsLatest, the MD5 of its bytes as ETag, Normal, Standard.
"""
from __future__ import annotations

import hashlib
import json
import logging

import pytest

from tests.helpers import running_server
from tests.server_http_helpers import call, xml_answer

BUCKET = "ver-records"
ENABLE = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"


@pytest.fixture
def served(tmp_path):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, region="cn-hangzhou") as server:
        assert call(server, "PUT", f"/{BUCKET}?versioning", ENABLE)[0] == 200
        yield server, tmp_path


def index_of(root, key: str):
    h = hashlib.sha1(key.encode()).hexdigest()
    return root / ".oss-versions" / BUCKET / h[:2] / h / "index.json"


def two_versions(srv, key: str, first: bytes, second: bytes) -> None:
    for data in (first, second):
        assert call(srv, "PUT", f"/{BUCKET}/{key}", data)[0] == 200


def edit_previous(root, key: str, change) -> None:
    path = index_of(root, key)
    doc = json.loads(path.read_text())
    [record] = doc["versions"]
    change(record)
    path.write_text(json.dumps(doc))


def test_a_version_without_metadata_is_listed_with_the_defaults(served):
    srv, root = served
    two_versions(srv, "k", b"first version", b"2nd")
    edit_previous(root, "k", lambda r: r.update(meta=None))
    listed = xml_answer(call(srv, "GET", f"/{BUCKET}?versions"), "ListVersionsResult")
    latest, previous = listed.findall("Version")
    assert latest.findtext("IsLatest") == "true"
    assert [previous.findtext(t) for t in ("Key", "IsLatest", "ETag", "Type", "Size",
                                           "StorageClass")] == [
        "k", "false", "", "Normal", str(len(b"first version")), "Standard"]


def test_a_version_of_an_unknown_class_counts_in_the_totals_only(served):
    srv, root = served
    two_versions(srv, "k", b"x" * 37, b"y" * 5)
    edit_previous(root, "k", lambda r: r["meta"].update(storage_class="Glacier"))
    got = {c.tag: c.text for c in xml_answer(call(srv, "GET", f"/{BUCKET}?stat"),
                                             "BucketStat")}
    assert (got["Storage"], got["ObjectCount"]) == ("42", "2")
    assert (got["StandardStorage"], got["StandardObjectCount"]) == ("5", "1")
    assert [got[f"{c}Storage"] for c in ("InfrequentAccess", "Archive", "ColdArchive",
                                         "DeepColdArchive")] == ["0"] * 4


def test_an_unreadable_index_hides_only_that_keys_previous_versions(served, caplog):
    srv, root = served
    two_versions(srv, "bad", b"old", b"new!")
    two_versions(srv, "good", b"1", b"22")
    index_of(root, "bad").write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="core.serve"):
        listed = xml_answer(call(srv, "GET", f"/{BUCKET}?versions"), "ListVersionsResult")
    assert [(v.findtext("Key"), v.findtext("Size")) for v in listed.findall("Version")] == [
        ("bad", "4"), ("good", "2"), ("good", "1")]
    assert any(str(index_of(root, "bad")) in r.getMessage() for r in caplog.records)


def test_a_version_whose_data_file_is_gone_is_left_out(served):
    srv, root = served
    two_versions(srv, "k", b"old", b"new!")
    [record] = json.loads(index_of(root, "k").read_text())["versions"]
    (index_of(root, "k").parent / record["id"]).unlink()
    listed = xml_answer(call(srv, "GET", f"/{BUCKET}?versions"), "ListVersionsResult")
    assert [v.findtext("Size") for v in listed.findall("Version")] == ["4"]
    got = {c.tag: c.text for c in xml_answer(call(srv, "GET", f"/{BUCKET}?stat"),
                                             "BucketStat")}
    assert (got["Storage"], got["ObjectCount"]) == ("4", "1")


def test_a_status_file_that_is_no_status_is_never_enabled(served):
    srv, root = served
    (root / ".oss-versions" / BUCKET / "versioning").write_text("Sometimes")
    doc = xml_answer(call(srv, "GET", f"/{BUCKET}?versioning"), "VersioningConfiguration")
    assert list(doc) == []
    status, headers, _ = call(srv, "PUT", f"/{BUCKET}/plain", b"x")
    assert status == 200 and "x-oss-version-id" not in headers


def test_a_file_put_in_the_bucket_folder_by_hand_is_the_null_version(served):
    srv, root = served
    (root / BUCKET / "by-hand.txt").write_bytes(b"dropped in")
    listed = xml_answer(call(srv, "GET", f"/{BUCKET}?versions"), "ListVersionsResult")
    [version] = listed.findall("Version")
    assert [version.findtext(t) for t in ("Key", "VersionId", "IsLatest", "ETag", "Type",
                                          "Size", "StorageClass")] == [
        "by-hand.txt", "null", "true", f'"{hashlib.md5(b"dropped in").hexdigest().upper()}"',
        "Normal", "10", "Standard"]
