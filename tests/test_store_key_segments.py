"""The local store refuses keys with a '..' (or '.', or empty) segment itself, whatever the
layers above it check: written, InvalidObjectName; read, NoSuchKey (the store's contract,
core.serve.store.check_key_shape). The fresh seed-2911 mutation sample found the '..' case
covered only by the service's own traversal checks.

A segment is also a file name, and file systems hold names of at most 255 bytes (NAME_MAX
on Linux and macOS): OSS takes any key of 1-1023 bytes, but a segment this store cannot
hold is refused as InvalidObjectName on every write and is NoSuchKey / 204 on reads and
deletes -- before, PutObject, CopyObject and AppendObject answered 500 InternalError."""
from __future__ import annotations

import pytest

from core.errors import OssError
from core.serve.store import check_key_shape
from tests.service_env import calls_to, error_fields, one_bucket_service, set_versioning

BUCKET = "key-segments"
call = calls_to(BUCKET)


@pytest.mark.parametrize("key", ["a/../b", "..", "a/..", "a/./b", "a//b"])
def test_dot_dot_dot_and_empty_segments_are_refused(key):
    with pytest.raises(OssError) as err:
        check_key_shape(key, for_write=True)
    assert err.value.code == "InvalidObjectName"
    with pytest.raises(OssError) as err:
        check_key_shape(key, for_write=False)
    assert err.value.code == "NoSuchKey"


def test_a_key_that_is_not_utf_8_is_refused():
    """A lone surrogate (what a WSGI path of undecodable bytes can become) has no UTF-8
    form, so no file name: InvalidObjectName saying so; NoSuchKey on reads."""
    with pytest.raises(OssError) as err:
        check_key_shape("a\udc80b", for_write=True)
    assert (err.value.code, err.value.status) == ("InvalidObjectName", 400)
    assert "UTF-8" in err.value.message
    with pytest.raises(OssError) as err:
        check_key_shape("a\udc80b", for_write=False)
    assert err.value.code == "NoSuchKey"


@pytest.mark.parametrize("key", ["a/b", "a..b/c", "...", "a/"])
def test_dots_inside_a_segment_and_a_folder_key_are_kept(key):
    check_key_shape(key, for_write=True)


@pytest.fixture
def svc(tmp_path):
    return one_bucket_service(tmp_path, BUCKET)


LONG = ["k" * 256, "d/" + "k" * 256, "k" * 256 + "/x", "k" * 256 + "/",
        "\u4e2d" * 85 + "kk"]                     # 257 bytes in 87 characters


@pytest.mark.parametrize("key", LONG, ids=["alone", "last", "folder", "folder-object", "utf-8"])
def test_a_segment_longer_than_255_bytes_is_refused_on_every_write(svc, tmp_path, key):
    assert call(svc, "PUT", "src", body=b"source").status == 200
    writes = [("PUT", None, b"x", {}),
              ("PUT", None, b"", {"x-oss-copy-source": f"/{BUCKET}/src"}),
              ("POST", {"append": "", "position": "0"}, b"x", {}),
              ("POST", {"uploads": ""}, b"", {})]
    for method, query, body, headers in writes:
        err = error_fields(call(svc, method, key, query, body, headers), 400,
                           "InvalidObjectName")
        assert "255 bytes" in err["Message"], err
    for method, status in (("GET", 404), ("HEAD", 404), ("DELETE", 204)):
        assert call(svc, method, key).status == status
    assert sorted(p.name for p in (tmp_path / BUCKET).iterdir()) == ["src"]


@pytest.mark.parametrize("key", ["k" * 255, "d/" + "k" * 255, "k" * 255 + "/x",
                                 "\u4e2d" * 85], ids=["alone", "last", "folder", "utf-8"])
def test_a_segment_of_255_bytes_is_a_key(svc, key):
    assert call(svc, "PUT", key, body=b"kept").status == 200
    assert call(svc, "GET", key).body == b"kept"
    assert call(svc, "DELETE", key).status == 204
    assert call(svc, "HEAD", key).status == 404


@pytest.mark.parametrize("key", ["k" * 256, "a//b", "a/../b"])
def test_a_versioned_delete_of_a_key_no_store_can_hold_is_204(svc, tmp_path, key):
    """OSS answers 204 to DeleteObject of a key that does not exist, with a versionId too;
    such a key never exists here, versioned or not, and no delete marker is made."""
    set_versioning(svc, BUCKET, "Enabled")
    for query in ({}, {"versionId": "CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFmZjYwYjcw"}):
        resp = call(svc, "DELETE", key, query)
        assert (resp.status, resp.body) == (204, b"")
        assert "x-oss-delete-marker" not in resp.headers
    listing = call(svc, "GET", None, {"versions": ""}).body.decode()
    assert "<DeleteMarker>" not in listing and "<Version>" not in listing


def test_a_file_whose_path_is_1024_bytes_is_no_object(svc, tmp_path):
    """OSS keys are 1-1023 bytes: a file put by hand at a 1024-byte path (five segments of
    204 bytes) is not an object, however it got there; 1023 bytes is."""
    key = "/".join(["k" * 204] * 5)
    assert len(key) == 1024
    path = tmp_path / BUCKET / key
    path.parent.mkdir(parents=True)
    path.write_bytes(b"by hand")
    assert call(svc, "GET", key).status == 404
    assert call(svc, "HEAD", key).status == 404
    shorter = key[:-1]
    (tmp_path / BUCKET / shorter).write_bytes(b"a key")
    assert call(svc, "GET", shorter).body == b"a key"
