"""Objects that are files put into ROOT by hand (no upload, so no metadata record): what
ListObjects, HeadObject and GetObject answer for them, and that an edit by hand is seen;
oss2 against a private ``oss-img serve`` on loopback.

Expected values: the ETag of an object uploaded in one piece is the MD5 of its bytes,
upper-case hex in quotes (OSS "ETag" in the API reference; oss2 checks it against its own
MD5), computed here with hashlib; the listed size and time are the file's (its size and
modification time, set here with os.utime); such an object is Normal, Standard. The
server keeps the MD5 of an unchanged file (same inode, size and modification time) instead
of reading it again for every listing (core/serve/store.py, "_Md5Cache"); a file rewritten
by hand is a new version, listed with its new ETag.
"""
from __future__ import annotations

import hashlib
import os

import oss2
import pytest

from core.oss.credentials import Credentials
from tests.helpers import running_server

CREDS = Credentials("LTAI5tFilesPutByHand1", "Files+Put/ByHand=1")
B = "by-hand"
T = 1_600_000_000            # 2020-09-13T12:26:40Z


def etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


@pytest.fixture
def env(tmp_path):
    (tmp_path / B / "docs").mkdir(parents=True)
    with running_server(tmp_path, "private", (CREDS,)) as srv:
        yield (oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                           B), tmp_path / B)


def by_hand(folder, name: str, data: bytes, mtime: int = T):
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def listed(bucket: oss2.Bucket) -> dict[str, oss2.models.SimplifiedObjectInfo]:
    return {o.key: o for o in bucket.list_objects(max_keys=1000).object_list}


def test_a_file_put_by_hand_is_listed_with_its_md5_size_and_time(env):
    bucket, folder = env
    by_hand(folder, "docs/readme.txt", b"read me, please")
    info = listed(bucket)["docs/readme.txt"]
    assert info.etag == etag(b"read me, please").strip('"')      # oss2 strips the quotes
    assert (info.size, info.last_modified, info.type, info.storage_class) == (
        15, T, "Normal", "Standard")
    head = bucket.head_object("docs/readme.txt")
    assert head.headers["ETag"] == etag(b"read me, please")
    assert head.headers["Last-Modified"] == "Sun, 13 Sep 2020 12:26:40 GMT"
    assert head.content_length == 15


def test_an_unchanged_file_is_read_once_for_many_listings(env, monkeypatch):
    bucket, folder = env
    path = by_hand(folder, "once.bin", b"\x01" * 5000)
    opened = []
    real_open = os.open

    def counting_open(p, flags, *args, **kwargs):
        if os.path.realpath(p) == str(path.resolve()):
            opened.append(p)
        return real_open(p, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    for _ in range(3):
        assert listed(bucket)["once.bin"].etag == etag(b"\x01" * 5000).strip('"')
    assert len(opened) == 1


@pytest.mark.parametrize("same_size", [True, False])
def test_a_file_rewritten_by_hand_is_listed_with_its_new_etag(env, same_size):
    bucket, folder = env
    by_hand(folder, "edit.txt", b"version one")
    assert listed(bucket)["edit.txt"].etag == etag(b"version one").strip('"')
    new = b"version two" if same_size else b"the second version"
    by_hand(folder, "edit.txt", new, T + 60)
    info = listed(bucket)["edit.txt"]
    assert (info.etag, info.size, info.last_modified) == (etag(new).strip('"'), len(new),
                                                          T + 60)
    assert bucket.head_object("edit.txt").headers["ETag"] == etag(new)
    assert bucket.get_object("edit.txt").read() == new


def test_a_file_touched_by_hand_keeps_its_etag(env):
    bucket, folder = env
    by_hand(folder, "touched.txt", b"same bytes")
    first = listed(bucket)["touched.txt"]
    by_hand(folder, "touched.txt", b"same bytes", T + 3600)
    again = listed(bucket)["touched.txt"]
    assert again.etag == first.etag == etag(b"same bytes").strip('"')
    assert again.last_modified == T + 3600
