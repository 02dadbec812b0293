"""GetBucketStat's answer element by element (OSS API reference "GetBucketStat").

The documented elements: Storage, ObjectCount, MultipartUploadCount, LiveChannelCount,
LastModifiedTime (a Unix time in seconds), then per storage class ``<Class>Storage``,
``<Class>ObjectCount`` and, for every class but Standard, ``<Class>RealStorage`` (the
bytes actually stored; Standard has no billable minimum, so no such element), and
DeleteMarkerCount. Previous versions count as objects of their class; delete markers are
counted apart. alibabacloud-oss-v2 parses the same answer (``GetBucketStatResult``).
"""
from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

import pytest

import alibabacloud_oss_v2 as osv2

from tests.helpers import running_server
from tests.server_http_helpers import call, children, xml_answer
from tests.service_env import handle, one_bucket_service, xml_document

BUCKET = "stat-elements"
VERSIONING = (b"<VersioningConfiguration><Status>Enabled</Status>"
              b"</VersioningConfiguration>")


@pytest.fixture
def srv(tmp_path):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, region="cn-hangzhou") as server:
        yield server


def put(srv, key: str, data: bytes, storage_class: str | None = None) -> None:
    headers = {"x-oss-storage-class": storage_class} if storage_class else {}
    assert call(srv, "PUT", f"/{BUCKET}/{key}", data, headers)[0] == 200


def stat(srv):
    return xml_answer(call(srv, "GET", f"/{BUCKET}?stat"), "BucketStat")


def last_modified(srv, key: str) -> int:
    status, headers, _ = call(srv, "HEAD", f"/{BUCKET}/{key}")
    assert status == 200
    return int(parsedate_to_datetime(headers["last-modified"]).timestamp())


def test_every_class_its_elements_and_counts(srv):
    put(srv, "std-1", b"12345")
    put(srv, "std-2", b"123")
    put(srv, "ia", b"1234567", "IA")
    put(srv, "arc", b"1" * 11, "Archive")
    put(srv, "cold", b"1" * 13, "ColdArchive")
    put(srv, "deep", b"1" * 17, "DeepColdArchive")
    assert call(srv, "POST", f"/{BUCKET}/up?uploads")[0] == 200
    root = stat(srv)
    assert children(root) == [
        "Storage", "ObjectCount", "MultipartUploadCount", "LiveChannelCount",
        "LastModifiedTime",
        "StandardStorage", "StandardObjectCount",
        "InfrequentAccessStorage", "InfrequentAccessRealStorage",
        "InfrequentAccessObjectCount",
        "ArchiveStorage", "ArchiveRealStorage", "ArchiveObjectCount",
        "ColdArchiveStorage", "ColdArchiveRealStorage", "ColdArchiveObjectCount",
        "DeepColdArchiveStorage", "DeepColdArchiveRealStorage", "DeepColdArchiveObjectCount",
        "DeleteMarkerCount"]
    newest = max(last_modified(srv, k) for k in ("std-1", "std-2", "ia", "arc", "cold",
                                                  "deep"))
    assert {c.tag: c.text for c in root} == {
        "Storage": str(5 + 3 + 7 + 11 + 13 + 17), "ObjectCount": "6",
        "MultipartUploadCount": "1", "LiveChannelCount": "0",
        "LastModifiedTime": str(newest),
        "StandardStorage": "8", "StandardObjectCount": "2",
        "InfrequentAccessStorage": "7", "InfrequentAccessRealStorage": "7",
        "InfrequentAccessObjectCount": "1",
        "ArchiveStorage": "11", "ArchiveRealStorage": "11", "ArchiveObjectCount": "1",
        "ColdArchiveStorage": "13", "ColdArchiveRealStorage": "13",
        "ColdArchiveObjectCount": "1",
        "DeepColdArchiveStorage": "17", "DeepColdArchiveRealStorage": "17",
        "DeepColdArchiveObjectCount": "1",
        "DeleteMarkerCount": "0"}


def test_previous_versions_and_each_delete_marker_count(srv):
    assert call(srv, "PUT", f"/{BUCKET}?versioning", VERSIONING)[0] == 200
    put(srv, "a", b"aaaa", "IA")
    put(srv, "a", b"aa")                       # the IA version becomes a previous one
    put(srv, "b", b"bbbbbb")
    for key in ("b", "b", "gone"):             # three delete markers (one of a new key)
        assert call(srv, "DELETE", f"/{BUCKET}/{key}")[0] == 204
    root = stat(srv)
    got = {c.tag: c.text for c in root}
    assert (got["Storage"], got["ObjectCount"]) == ("12", "3")
    assert (got["StandardStorage"], got["StandardObjectCount"]) == ("8", "2")
    assert (got["InfrequentAccessStorage"], got["InfrequentAccessRealStorage"],
            got["InfrequentAccessObjectCount"]) == ("4", "4", "1")
    assert got["DeleteMarkerCount"] == "3"
    # the same answer, as the official SDK reads it
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.AnonymousCredentialsProvider()
    cfg.region, cfg.endpoint, cfg.retry_max_attempts = "cn-hangzhou", srv.url, 1
    result = osv2.Client(cfg).get_bucket_stat(osv2.GetBucketStatRequest(bucket=BUCKET))
    assert (result.storage, result.object_count, result.delete_marker_count,
            result.infrequent_access_real_storage) == (12, 3, 3, 4)


def test_totals_count_an_object_whose_recorded_class_is_unknown(tmp_path):
    # Storage and ObjectCount are the bucket's totals, of every object: one whose metadata
    # names a class this server does not list (written by another version, or by hand)
    # still counts there, though in no per-class element
    svc = one_bucket_service(tmp_path, BUCKET)
    for key, data in (("a", b"12345"), ("b", b"123")):
        assert handle(svc, "PUT", BUCKET, key, body=data).status == 200
    sidecar = svc.metas._path(BUCKET, "b")
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    record["storage_class"] = "Premium"
    sidecar.write_text(json.dumps(record), encoding="utf-8")
    got = {c.tag: c.text for c in xml_document(handle(svc, "GET", BUCKET, None, {"stat": ""}),
                                               "BucketStat")}
    assert (got["Storage"], got["ObjectCount"]) == ("8", "2")
    assert (got["StandardStorage"], got["StandardObjectCount"]) == ("5", "1")


def test_a_file_dropped_in_by_hand_counts_as_standard(srv, tmp_path):
    """A file put into ROOT by hand has no metadata record: it is listed as Standard
    (ListObjects' StorageClass), and GetBucketStat counts it there too."""
    (tmp_path / BUCKET / "by-hand.bin").write_bytes(b"123456")
    put(srv, "put.bin", b"12", "IA")
    got = {c.tag: c.text for c in stat(srv)}
    listed = xml_answer(call(srv, "GET", f"/{BUCKET}"), "ListBucketResult")
    assert (got["StandardStorage"], got["StandardObjectCount"]) == ("6", "1")
    assert (got["InfrequentAccessStorage"], got["InfrequentAccessObjectCount"]) == ("2", "1")
    assert (got["Storage"], got["ObjectCount"]) == ("8", "2")
    assert {c.findtext("Key"): c.findtext("StorageClass")
            for c in listed.iter("Contents")} == {"by-hand.bin": "Standard", "put.bin": "IA"}
