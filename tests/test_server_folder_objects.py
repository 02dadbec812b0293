"""Keys ending in ``/`` ("folder objects", what the OSS console creates for a folder) on
``oss-img serve``, with oss2 as the client.

On OSS ``a/b/`` is an ordinary key beside ``a/b/c``: it is listed (under prefix ``a/b/``
and as the common prefix ``a/b/`` with delimiter ``/``), read, copied and deleted like any
other. The local store keeps it as ``a/b/.oss-folder-object`` (core.serve.config.
FOLDER_OBJECT); files dropped into ROOT by hand keep working and make no such key.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import oss2

from core.oss.credentials import Credentials
from core.serve.config import FOLDER_OBJECT
from tests.helpers import running_server

REGION = "cn-hangzhou"
CREDS = Credentials("LTAI5tFolderTestKey01", "Folder+Secret/For=Tests01")
BUCKET = "folder-bucket"


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    (r / BUCKET / "photos").mkdir(parents=True)
    (r / BUCKET / "photos" / "cat.jpg").write_bytes(b"dropped by hand")
    return r


@pytest.fixture
def bucket(root):
    with running_server(root, "private", (CREDS,), region=REGION) as srv:
        yield oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                          BUCKET, region=REGION)


def keys(bucket, **kw) -> list[str]:
    return [o.key for o in oss2.ObjectIterator(bucket, **kw)]


def test_folder_object_beside_its_contents(bucket, root):
    bucket.put_object("a/b/c", b"file")
    bucket.put_object("a/b/", b"")
    bucket.put_object("a/", b"top")
    assert keys(bucket) == ["a/", "a/b/", "a/b/c", "photos/cat.jpg"]
    page = bucket.list_objects(prefix="a/", delimiter="/")
    assert [o.key for o in page.object_list] == ["a/"] and page.prefix_list == ["a/b/"]
    page = bucket.list_objects_v2(prefix="a/b/", delimiter="/")
    assert [o.key for o in page.object_list] == ["a/b/", "a/b/c"]
    assert [o.size for o in page.object_list] == [0, 4]
    assert bucket.get_object("a/").read() == b"top"
    assert bucket.head_object("a/b/").content_length == 0
    assert (root / BUCKET / "a" / "b" / FOLDER_OBJECT).is_file()

    bucket.delete_object("a/b/")
    assert keys(bucket, prefix="a/") == ["a/", "a/b/c"]
    assert not bucket.object_exists("a/b/") and bucket.object_exists("a/b/c")
    bucket.delete_object("a/b/c")
    assert not (root / BUCKET / "a" / "b").exists()           # emptied folders pruned
    bucket.delete_object("a/")
    assert not (root / BUCKET / "a").exists()


def test_copy_and_batch_delete(bucket):
    key = "阿里云/加油/:?;@&=+$, /<>{}[]|/"                     # oss2's escape test key
    bucket.put_object(key, b"x" * 36)
    bucket.copy_object(BUCKET, key, "copied.bin")
    assert bucket.get_object("copied.bin").read() == b"x" * 36
    bucket.copy_object(BUCKET, "copied.bin", "dir/")
    assert bucket.get_object("dir/").read() == b"x" * 36
    result = bucket.batch_delete_objects([key, "dir/", "copied.bin"])
    assert sorted(result.deleted_keys) == sorted([key, "dir/", "copied.bin"])
    assert keys(bucket) == ["photos/cat.jpg"]


def test_files_dropped_into_root_make_no_folder_key(bucket):
    assert keys(bucket) == ["photos/cat.jpg"]
    assert not bucket.object_exists("photos/")
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("photos/")
    bucket.put_object("photos/", b"")
    assert keys(bucket) == ["photos/", "photos/cat.jpg"]


def test_reserved_name_and_clashes(bucket):
    with pytest.raises(oss2.exceptions.InvalidObjectName):
        bucket.put_object(f"x/{FOLDER_OBJECT}", b"x")
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object(f"photos/{FOLDER_OBJECT}")
    bucket.put_object("file", b"f")
    with pytest.raises(oss2.exceptions.InvalidObjectName):   # a folder where a file is
        bucket.put_object("file/", b"")
    with pytest.raises(oss2.exceptions.InvalidObjectName):
        bucket.put_object("a//", b"")


def test_folder_object_in_a_non_empty_bucket_and_symlinks(bucket):
    bucket.put_object("only/", b"")
    bucket.put_symlink("only/", "link")
    assert bucket.get_symlink("link").target_key == "only/"
    bucket.delete_object("link")
    bucket.delete_object("photos/cat.jpg")
    with pytest.raises(oss2.exceptions.BucketNotEmpty):
        bucket.delete_bucket()
    bucket.delete_object("only/")
    bucket.delete_bucket()


def test_copying_a_dropped_in_file_keeps_the_type_it_is_served_with(bucket):
    """photos/cat.jpg was put into ROOT by hand: no stored Content-Type, served as
    image/jpeg from its extension. OSS copies the source's Content-Type (with COPY, and
    with REPLACE when the request names none), so the copies are image/jpeg too, whatever
    their own keys say."""
    assert bucket.head_object("photos/cat.jpg").content_type == "image/jpeg"
    bucket.copy_object(BUCKET, "photos/cat.jpg", "copies/cat.bin")
    bucket.copy_object(BUCKET, "photos/cat.jpg", "copies/cat-replaced.txt",
                       headers={"x-oss-metadata-directive": "REPLACE",
                                "x-oss-meta-note": "replaced"})
    for key in ("copies/cat.bin", "copies/cat-replaced.txt"):
        got = bucket.get_object(key)
        assert (got.content_type, got.read()) == ("image/jpeg", b"dropped by hand"), key
    assert bucket.head_object("copies/cat-replaced.txt").headers["x-oss-meta-note"] == \
        "replaced"


def test_a_dropped_in_file_name_that_is_not_utf8_is_skipped_not_the_rest(bucket, root):
    """A name no OSS key can spell (bytes that are not UTF-8) is left out of the listing;
    every other file of that folder is still listed."""
    import os
    folder = root / BUCKET / "mixed"
    folder.mkdir()
    names = [f"f{i:02d}.txt" for i in range(30)]
    for name in names:
        (folder / name).write_bytes(b"x")
    with open(os.path.join(os.fsencode(folder), b"bad-\xff.txt"), "wb") as f:
        f.write(b"not listable")
    assert keys(bucket, prefix="mixed/") == [f"mixed/{n}" for n in names]
    assert keys(bucket, prefix="mixed/f2") == [f"mixed/{n}" for n in names[20:]]


def test_a_stray_folder_object_file_in_a_bucket_folder_is_not_a_key(tmp_path):
    """A .oss-folder-object put straight into a bucket's folder by hand would be the key ""
    (no object can be): it is skipped and every other file still listed. The stray file is
    made first, last and in between in five buckets, so it sits inside the list in
    whatever order a folder gives (creation order, its reverse as tmpfs has it, a hash)."""
    from tests.service_env import handle, one_bucket_service
    svc = one_bucket_service(tmp_path, "stray-0")
    names = [f"k{i}.txt" for i in range(4)]
    for n in range(5):
        folder = tmp_path / f"stray-{n}"
        folder.mkdir(exist_ok=True)
        for i, name in enumerate(names + [None]):
            if i == n:
                (folder / FOLDER_OBJECT).write_bytes(b"")
            if name is not None:
                (folder / name).write_bytes(name.encode())
        listed = handle(svc, "GET", f"stray-{n}")
        assert listed.status == 200, listed.body
        keys = [k.text for k in ET.fromstring(listed.body).iter("Key")]
        assert keys == names, (n, keys)
