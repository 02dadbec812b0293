"""The object ACL on every path that reaches an object, with oss2 as owner and as
AnonymousAuth, on a private server.

Expected values from OSS's documentation ("Object ACL"): an object whose ACL is not
``default`` is governed by its own ACL, whatever its bucket's -- ``public-read`` lets anyone
read it (GetObject, HeadObject, GetObjectMeta), ``public-read-write`` also write it
(PutObject, AppendObject, DeleteObject); ``default`` means the bucket's ACL, and is what
an upload without ``x-oss-object-acl`` gives. "Image
style" (shared/spec/oss-img.md section 18): ``<object><separator><style>`` is
``<object>?x-oss-process=style/<style>``, so it is the object's read, decided by the same
ACL. CopyObject (OSS API reference): a source bucket that does not exist is 404
NoSuchBucket.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image

import oss2

from core.oss.credentials import Credentials
from tests.helpers import running_server, solid

CREDS = Credentials("LTAI5tObjectAclPaths1", "Object+Acl/Paths=Secret1")
REGION = "cn-hangzhou"
BUCKET = "acl-paths"


@pytest.fixture
def env(tmp_path):
    (tmp_path / BUCKET).mkdir()
    with running_server(tmp_path, "private", (CREDS,), region=REGION) as srv:
        owner = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret),
                            srv.url, BUCKET, region=REGION)
        yield owner, oss2.Bucket(oss2.AnonymousAuth(), srv.url, BUCKET), srv


def _denied(call, *args, **kw) -> None:
    with pytest.raises(oss2.exceptions.AccessDenied) as e:
        call(*args, **kw)
    assert (e.value.status, e.value.code) == (403, "AccessDenied")


def test_a_style_separator_url_follows_the_objects_own_acl(env):
    owner, anon, _ = env
    owner.put_bucket_style("thumb", "image/resize,w_10")
    owner.put_object("pic.png", solid(40, 20))
    owner.put_object("own.png", solid(40, 20))
    _denied(anon.get_object, "pic.png-thumb")                   # default: the bucket's
    owner.put_object_acl("pic.png", oss2.OBJECT_ACL_PUBLIC_READ)
    for url_key in ("pic.png-thumb", "pic.png_thumb", "pic.png!thumb"):
        got = Image.open(io.BytesIO(anon.get_object(url_key).read()))
        assert got.size == (10, 5)
    _denied(anon.get_object, "own.png-thumb")                   # another object: private
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    assert Image.open(io.BytesIO(anon.get_object("own.png-thumb").read())).size == (10, 5)
    owner.put_object_acl("pic.png", oss2.OBJECT_ACL_PRIVATE)
    _denied(anon.get_object, "pic.png-thumb")                   # its own ACL wins
    _denied(anon.get_object, "pic.png")


def test_public_read_object_in_a_private_bucket_is_read_but_not_written(env):
    owner, anon, _ = env
    owner.put_object("doc.txt", b"document", headers={"x-oss-object-acl": "public-read"})
    assert anon.get_object("doc.txt").read() == b"document"
    assert anon.head_object("doc.txt").content_length == 8
    assert anon.get_object_meta("doc.txt").content_length == 8
    _denied(anon.put_object, "doc.txt", b"replaced")
    _denied(anon.delete_object, "doc.txt")
    _denied(anon.append_object, "doc.txt", 8, b"more")
    assert owner.get_object("doc.txt").read() == b"document"
    _denied(anon.get_object_acl, "doc.txt")            # the ACL itself: the owner's
    _denied(anon.put_object_acl, "doc.txt", oss2.OBJECT_ACL_PUBLIC_READ_WRITE)
    assert owner.get_object_acl("doc.txt").acl == "public-read"


def test_public_read_write_object_in_a_private_bucket_is_written_and_deleted(env):
    owner, anon, _ = env
    owner.append_object("log.txt", 0, b"a",
                        headers={"x-oss-object-acl": "public-read-write"})
    assert anon.append_object("log.txt", 1, b"b").next_position == 2
    assert owner.get_object("log.txt").read() == b"ab"
    anon.put_object("log.txt", b"rewritten")
    assert owner.get_object("log.txt").read() == b"rewritten"
    # an upload without x-oss-object-acl gives the new object the ACL default
    assert owner.get_object_acl("log.txt").acl == "default"
    _denied(anon.delete_object, "log.txt")
    owner.put_object_acl("log.txt", oss2.OBJECT_ACL_PUBLIC_READ_WRITE)
    anon.delete_object("log.txt")
    assert not owner.object_exists("log.txt")
    _denied(anon.put_object, "new.txt", b"n")          # no such object: the bucket's
    _denied(anon.list_objects)


def test_anonymous_copy_from_a_missing_bucket_is_no_such_bucket(env):
    owner, _, srv = env
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    anon = oss2.Bucket(oss2.AnonymousAuth(), srv.url, BUCKET)
    with pytest.raises(oss2.exceptions.NoSuchBucket) as e:
        anon.copy_object("no-such-source", "a.txt", "copy.txt")
    assert (e.value.status, e.value.code) == (404, "NoSuchBucket")
    assert not owner.object_exists("copy.txt")
