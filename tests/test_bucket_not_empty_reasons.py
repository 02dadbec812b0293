"""DeleteBucket refused for each thing that keeps a bucket, with oss2 as the client.

Expected values from outside the server: OSS's DeleteBucket reference (a bucket that holds
objects, parts of multipart uploads in progress, previous versions or delete markers, or
LiveChannels cannot be deleted: 409 BucketNotEmpty), oss2 (raises
``oss2.exceptions.BucketNotEmpty``, a ``Conflict``), and ossutil's ``rm`` (lib/rm.go),
which recognises the refusal by OSS's message, "bucket you tried to delete is not empty",
whatever kept the bucket. After the obstacle is gone the same call answers 204 and the
bucket's folder and settings go.
"""
from __future__ import annotations

import pytest

import oss2

from core.oss.credentials import Credentials
from tests.helpers import running_server

CREDS = Credentials("LTAI5tNotEmptyKey0001", "Not+Empty/Secret=0001")
OSSUTIL_MATCH = "bucket you tried to delete is not empty"


@pytest.fixture
def env(tmp_path):
    with running_server(tmp_path, "private", (CREDS,), region="cn-hangzhou") as srv:
        yield srv, tmp_path


def _bucket(srv, name: str) -> oss2.Bucket:
    b = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url, name)
    b.create_bucket()
    return b


def _refused(bucket: oss2.Bucket, root) -> None:
    with pytest.raises(oss2.exceptions.BucketNotEmpty) as e:
        bucket.delete_bucket()
    err = e.value
    assert (err.status, err.code) == (409, "BucketNotEmpty")
    assert OSSUTIL_MATCH in err.message
    assert err.message.startswith("The bucket you tried to delete is not empty.")
    assert err.details["BucketName"] == bucket.bucket_name
    assert (root / bucket.bucket_name).is_dir()


def test_an_object(env):
    srv, root = env
    b = _bucket(srv, "nonempty-object")
    b.put_object("a.txt", b"a")
    _refused(b, root)
    b.delete_object("a.txt")
    assert b.delete_bucket().status == 204
    assert not (root / "nonempty-object").exists()


def test_a_multipart_upload_in_progress(env):
    srv, root = env
    b = _bucket(srv, "nonempty-upload")
    upload_id = b.init_multipart_upload("big.bin").upload_id
    _refused(b, root)
    b.abort_multipart_upload("big.bin", upload_id)
    assert b.delete_bucket().status == 204
    assert not (root / "nonempty-upload").exists()


def test_a_previous_version(env):
    srv, root = env
    b = _bucket(srv, "nonempty-version")
    config = oss2.models.BucketVersioningConfig()
    config.status = oss2.BUCKET_VERSIONING_ENABLE
    b.put_bucket_versioning(config)
    b.put_object("k", b"1")
    b.put_object("k", b"2")
    versions = b.list_object_versions().versions
    assert len(versions) == 2
    for v in versions:
        b.delete_object("k", params={"versionId": v.versionid})
    b.put_object("gone", b"x")
    b.delete_object("gone")                      # leaves a version and a delete marker
    _refused(b, root)
    listed = b.list_object_versions()
    for v in listed.versions + listed.delete_marker:
        b.delete_object(v.key, params={"versionId": v.versionid})
    assert b.delete_bucket().status == 204


def test_a_live_channel(env):
    srv, root = env
    b = _bucket(srv, "nonempty-live")
    b.create_live_channel("cam", oss2.models.LiveChannelInfo(
        target=oss2.models.LiveChannelInfoTarget()))
    _refused(b, root)
    b.delete_live_channel("cam")
    assert b.delete_bucket().status == 204
    assert not (root / "nonempty-live").exists()
