"""Bucket versioning and ListObjectVersions of ``oss-img serve``, driven by the official
alibabacloud-oss-v2 SDK (its models parse the answers, as they parse OSS's).

Expected behaviour from the OSS documentation (PutBucketVersioning, ListObjectVersions,
DeleteObject/DeleteMultipleObjects with versions): an unversioned bucket lists each
object once with VersionId ``null``; with versioning Enabled every PUT makes a new
version and keeps the old one, listed newest first with only the newest IsLatest; a
DELETE without versionId adds a delete marker that hides the key (404, delete marker
header), deleting the marker brings the object back; deleting a given version is
permanent; Suspended writes the ``null`` version in place; a bucket with versions left
cannot be deleted.
"""
from __future__ import annotations

import pytest

import alibabacloud_oss_v2 as osv2

from core.oss.credentials import Credentials
from tests.helpers import running_server

CREDS = Credentials("LTAI5tVersionsKey001", "Versions+Secret/001=")
REGION = "cn-hangzhou"
B = "vbkt"


@pytest.fixture
def env(tmp_path):
    (tmp_path / B).mkdir()
    with running_server(tmp_path, "private", (CREDS,), region=REGION) as srv:
        cfg = osv2.config.load_default()
        cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
            CREDS.access_key_id, CREDS.access_key_secret)
        cfg.region, cfg.endpoint = REGION, srv.url
        cfg.retry_max_attempts = 1        # a 501 is an answer, not worth a retry
        yield osv2.Client(cfg), tmp_path


def put(client, key, body, **kw):
    return client.put_object(osv2.PutObjectRequest(bucket=B, key=key, body=body, **kw))


def get(client, key, version_id=None) -> bytes:
    return client.get_object(osv2.GetObjectRequest(bucket=B, key=key,
                                                   version_id=version_id)).body.content


def versions(client, **kw) -> list[tuple]:
    """(key, version id, is latest, delete marker) of one ListObjectVersions page, in the
    answer's order (versions then markers, as the XML lists them per kind)."""
    r = client.list_object_versions(osv2.ListObjectVersionsRequest(bucket=B, **kw))
    return ([(v.key, v.version_id, v.is_latest, False) for v in r.version or []]
            + [(d.key, d.version_id, d.is_latest, True) for d in r.delete_marker or []])


def enable(client, status="Enabled"):
    client.put_bucket_versioning(osv2.PutBucketVersioningRequest(
        bucket=B, versioning_configuration=osv2.VersioningConfiguration(status=status)))


def service_error(call) -> osv2.exceptions.ServiceError:
    with pytest.raises(osv2.exceptions.OperationError) as e:
        call()
    err = e.value.unwrap()
    assert isinstance(err, osv2.exceptions.ServiceError)
    return err


def test_unversioned_bucket_lists_null_versions(env):
    client, root = env
    etag = put(client, "a.txt", b"alpha").etag
    put(client, "b/c.txt", b"gamma")
    status = client.get_bucket_versioning(osv2.GetBucketVersioningRequest(bucket=B))
    assert status.version_status is None
    r = client.list_object_versions(osv2.ListObjectVersionsRequest(bucket=B))
    assert [(v.key, v.version_id, v.is_latest, v.size) for v in r.version] == [
        ("a.txt", "null", True, 5), ("b/c.txt", "null", True, 5)]
    assert r.version[0].etag == etag and r.delete_marker is None
    # deleting the null version deletes the object, as the SDK suites' clean-up does
    client.delete_multiple_objects(osv2.DeleteMultipleObjectsRequest(
        bucket=B, objects=[osv2.DeleteObject(key="a.txt", version_id="null")]))
    assert not (root / B / "a.txt").exists()
    assert versions(client) == [("b/c.txt", "null", True, False)]
    # no versions were kept anywhere: the bucket can go
    client.delete_object(osv2.DeleteObjectRequest(bucket=B, key="b/c.txt"))
    client.delete_bucket(osv2.DeleteBucketRequest(bucket=B))


def test_enabled_keeps_every_version(env):
    client, root = env
    put(client, "old.txt", b"from before")          # the null version
    enable(client)
    assert client.get_bucket_versioning(osv2.GetBucketVersioningRequest(
        bucket=B)).version_status == "Enabled"
    ids = [put(client, "k", f"data-{i}".encode()).version_id for i in range(3)]
    assert len(set(ids)) == 3 and "null" not in ids and None not in ids
    assert versions(client, prefix="k") == [("k", ids[2], True, False),
                                            ("k", ids[1], False, False),
                                            ("k", ids[0], False, False)]
    assert get(client, "k") == b"data-2"
    assert get(client, "k", ids[0]) == b"data-0"
    head = client.head_object(osv2.HeadObjectRequest(bucket=B, key="k", version_id=ids[1]))
    assert (head.version_id, head.content_length) == (ids[1], 6)
    assert client.head_object(osv2.HeadObjectRequest(bucket=B, key="k")).version_id == ids[2]
    # previous versions are kept apart: ListObjects and the bucket folder show one file
    listed = client.list_objects(osv2.ListObjectsRequest(bucket=B)).contents
    assert [o.key for o in listed] == ["k", "old.txt"]
    assert sorted(p.name for p in (root / B).iterdir()) == ["k", "old.txt"]
    # overwriting the pre-versioning object keeps it as version null
    new = put(client, "old.txt", b"after").version_id
    assert versions(client, prefix="old") == [("old.txt", new, True, False),
                                              ("old.txt", "null", False, False)]
    assert get(client, "old.txt", "null") == b"from before"


def test_delete_marker_hides_and_deleting_it_restores(env):
    client, _ = env
    enable(client)
    v1 = put(client, "k", b"one").version_id
    v2 = put(client, "k", b"two").version_id
    d = client.delete_object(osv2.DeleteObjectRequest(bucket=B, key="k"))
    assert d.delete_marker is True and d.version_id not in (None, v1, v2)
    marker = d.version_id
    err = service_error(lambda: get(client, "k"))
    assert (err.status_code, err.code) == (404, "NoSuchKey")
    assert err.headers.get("x-oss-delete-marker") == "true"
    assert client.list_objects(osv2.ListObjectsRequest(bucket=B)).contents is None
    assert versions(client) == [("k", v2, False, False), ("k", v1, False, False),
                                ("k", marker, True, True)]
    # a GET of the marker itself is 405, as OSS
    err = service_error(lambda: get(client, "k", marker))
    assert err.status_code == 405
    # removing the marker makes the newest version current again
    d = client.delete_object(osv2.DeleteObjectRequest(bucket=B, key="k", version_id=marker))
    assert (d.version_id, d.delete_marker) == (marker, True)
    assert get(client, "k") == b"two"
    # deleting the current version for good: the one before becomes current
    client.delete_object(osv2.DeleteObjectRequest(bucket=B, key="k", version_id=v2))
    assert get(client, "k") == b"one"
    assert versions(client) == [("k", v1, True, False)]
    err = service_error(lambda: get(client, "k", v2))
    assert (err.status_code, err.code) == (404, "NoSuchVersion")


def test_list_object_versions_paging_and_delimiter(env):
    client, _ = env
    enable(client)
    for i in range(3):
        put(client, "a", f"a{i}".encode())
    put(client, "b", b"b")
    put(client, "dir/x", b"x")
    put(client, "dir/y", b"y")
    client.delete_object(osv2.DeleteObjectRequest(bucket=B, key="b"))
    everything = versions(client)
    assert len(everything) == 7
    seen, pages = [], 0
    for page in client.list_object_versions_paginator(limit=2).iter_page(
            osv2.ListObjectVersionsRequest(bucket=B)):
        pages += 1
        assert len(page.version or []) + len(page.delete_marker or []) <= 2
        seen += [(v.key, v.version_id) for v in page.version or []]
        seen += [(d.key, d.version_id) for d in page.delete_marker or []]
    assert pages == 4
    assert sorted(seen) == sorted((k, v) for k, v, _, _ in everything)
    assert len(set(seen)) == 7
    r = client.list_object_versions(osv2.ListObjectVersionsRequest(bucket=B, delimiter="/"))
    assert [p.prefix for p in r.common_prefixes] == ["dir/"]
    assert {v.key for v in r.version} == {"a", "b"}
    # key-marker alone starts after every version of that key
    assert {k for k, *_ in versions(client, key_marker="a")} == {"b", "dir/x", "dir/y"}


def test_suspended_writes_the_null_version(env):
    client, _ = env
    err = service_error(lambda: enable(client, "Suspended"))
    assert err.status_code == 400            # never enabled: cannot be suspended
    enable(client)
    kept = put(client, "k", b"enabled").version_id
    enable(client, "Suspended")
    assert put(client, "k", b"null-1").version_id == "null"
    assert put(client, "k", b"null-2").version_id == "null"    # in place of null-1
    assert versions(client) == [("k", "null", True, False), ("k", kept, False, False)]
    assert get(client, "k") == b"null-2"
    d = client.delete_object(osv2.DeleteObjectRequest(bucket=B, key="k"))
    assert (d.version_id, d.delete_marker) == ("null", True)
    assert versions(client) == [("k", kept, False, False), ("k", "null", True, True)]


def test_delete_multiple_with_versions_and_bucket_not_empty(env):
    client, root = env
    enable(client)
    ids = [put(client, "k", f"{i}".encode()).version_id for i in range(2)]
    err = service_error(lambda: client.delete_object(osv2.DeleteObjectRequest(
        bucket=B, key="k", version_id="not a/version")))
    assert (err.status_code, err.code) == (400, "InvalidArgument")
    r = client.delete_multiple_objects(osv2.DeleteMultipleObjectsRequest(
        bucket=B, objects=[osv2.DeleteObject(key="k")]))
    assert r.deleted_objects[0].delete_marker is True
    marker = r.deleted_objects[0].delete_marker_version_id
    err = service_error(lambda: client.delete_bucket(osv2.DeleteBucketRequest(bucket=B)))
    assert (err.status_code, err.code) == (409, "BucketNotEmpty")
    r = client.delete_multiple_objects(osv2.DeleteMultipleObjectsRequest(
        bucket=B, objects=[osv2.DeleteObject(key="k", version_id=v)
                           for v in [*ids, marker]]))
    assert [(d.key, d.version_id) for d in r.deleted_objects] == [
        ("k", ids[0]), ("k", ids[1]), ("k", marker)]
    assert r.deleted_objects[2].delete_marker is True
    assert versions(client) == []
    client.delete_bucket(osv2.DeleteBucketRequest(bucket=B))
    assert not (root / ".oss-versions" / B).exists()


def test_what_is_not_done_is_501(env):
    client, _ = env
    enable(client)
    vid = put(client, "p.png", b"x").version_id
    for call in (
        lambda: client.get_object_acl(osv2.GetObjectAclRequest(bucket=B, key="p.png",
                                                               version_id=vid)),
        lambda: client.get_object(osv2.GetObjectRequest(bucket=B, key="p.png",
                                                        version_id=vid,
                                                        process="image/resize,w_1")),
        lambda: client.append_object(osv2.AppendObjectRequest(bucket=B, key="ap",
                                                              position=0, body=b"a")),
        lambda: client.put_symlink(osv2.PutSymlinkRequest(bucket=B, key="ln",
                                                          symlink_target="p.png")),
        lambda: client.copy_object(osv2.CopyObjectRequest(bucket=B, key="c",
                                                          source_key="p.png",
                                                          source_version_id=vid)),
    ):
        err = service_error(call)
        assert (err.status_code, err.code) == (501, "NotImplemented")


def test_storage_class_ia_is_kept(env):
    client, _ = env
    put(client, "ia.txt", b"infrequent", storage_class="IA")
    assert client.head_object(osv2.HeadObjectRequest(bucket=B, key="ia.txt")
                              ).storage_class == "IA"
    listed = client.list_objects(osv2.ListObjectsRequest(bucket=B)).contents
    assert [(o.key, o.storage_class) for o in listed] == [("ia.txt", "IA")]
    # ... and ListObjectVersions says it too
    r = client.list_object_versions(osv2.ListObjectVersionsRequest(bucket=B))
    assert [(v.key, v.storage_class) for v in r.version] == [("ia.txt", "IA")]


def test_overwriting_a_symlink_object_keeps_what_it_showed(env):
    client, _ = env
    put(client, "target.txt", b"the target")
    client.put_symlink(osv2.PutSymlinkRequest(bucket=B, key="link", symlink_target="target.txt"))
    enable(client)
    put(client, "link", b"a plain object now")
    assert get(client, "link") == b"a plain object now"
    assert get(client, "link", "null") == b"the target"
    assert get(client, "target.txt") == b"the target"


def test_bad_versioning_input_is_an_oss_400(tmp_path):
    """Hostile or malformed input gets OSS's 4xx, never a 500 (raw HTTP, no SDK)."""
    import requests
    import xml.etree.ElementTree as ET

    (tmp_path / B).mkdir()
    (tmp_path / B / "k").write_bytes(b"x")
    with running_server(tmp_path) as srv:
        base = f"{srv.url}/{B}"

        def code(r):
            return r.status_code, ET.fromstring(r.content).findtext("Code")

        assert code(requests.get(f"{base}/k?versionId=")) == (400, "InvalidArgument")
        assert code(requests.get(f"{base}/k?versionId=../../etc")) == (400, "InvalidArgument")
        assert code(requests.get(f"{base}/k?versionId=CAE0123")) == (404, "NoSuchVersion")
        assert code(requests.put(f"{base}?versioning", data=b"<Versioning")) == (
            400, "MalformedXML")
        assert code(requests.put(f"{base}?versioning", data=b"<VersioningConfiguration>"
                                 b"<Status>On</Status></VersioningConfiguration>")) == (
            400, "MalformedXML")
        assert code(requests.get(f"{base}?versions&max-keys=0")) == (400, "InvalidArgument")
        assert code(requests.get(f"{base}?versions&encoding-type=base64")) == (
            400, "InvalidArgument")
        assert code(requests.post(f"{base}?versions")) == (405, "MethodNotAllowed")
        r = requests.get(f"{base}?versions&key-marker=" + "z" * 2000)
        assert r.status_code == 200 and b"<IsTruncated>false</IsTruncated>" in r.content
