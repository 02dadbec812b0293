"""Per-bucket ACLs and the object ACL deciding anonymous access, with oss2 as the client.

Expected behaviour from OSS's documentation ("Bucket ACL", "Object ACL"): private lets
only signed requests in; public-read lets anyone read objects; public-read-write lets
anyone read and write objects; an object's own ACL, unless ``default``, takes precedence
over its bucket's; changing an ACL is the owner's (signed) business. oss2's
test_anonymous: put_bucket_acl('public-read-write') opens a bucket to AnonymousAuth,
put_bucket_acl('private') closes it again (AccessDenied).
"""
from __future__ import annotations

import os

import pytest
import requests

import oss2

from core.oss.credentials import Credentials
from core.serve.config import BUCKET_ACL_DIR
from tests.helpers import running_server

REGION = "cn-hangzhou"
CREDS = Credentials("LTAI5tAccessTestKey01", "Access+Secret/For=Tests01")


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    (r / "acl-bucket").mkdir(parents=True)
    (r / "acl-other").mkdir()
    return r


@pytest.fixture
def server(root):
    with running_server(root, "private", (CREDS,), region=REGION) as srv:
        yield srv


def signed(server, name="acl-bucket") -> oss2.Bucket:
    return oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), server.url,
                       name, region=REGION)


def anonymous(server, name="acl-bucket") -> oss2.Bucket:
    return oss2.Bucket(oss2.AnonymousAuth(), server.url, name)


def denied(call, *args, **kw) -> None:
    with pytest.raises(oss2.exceptions.AccessDenied):
        call(*args, **kw)


def test_bucket_acl_decides_anonymous_access(server, root):
    owner, anon = signed(server), anonymous(server)
    assert owner.get_bucket_acl().acl == "private"            # the server's --acl
    owner.put_object("o.txt", b"owner's")
    denied(anon.get_object, "o.txt")

    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    assert owner.get_bucket_acl().acl == "public-read"
    assert (root / BUCKET_ACL_DIR / "acl-bucket").read_text() == "public-read"
    assert anon.get_object("o.txt").read() == b"owner's"
    assert [o.key for o in oss2.ObjectIterator(anon)] == ["o.txt"]
    denied(anon.put_object, "anon.txt", b"x")
    denied(anon.delete_object, "o.txt")

    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    anon.put_object("anon.txt", b"anonymous")
    assert anon.get_object("anon.txt").read() == b"anonymous"
    url = anon.sign_url("GET", "anon.txt", 100, params={"para1": "test"})
    assert requests.get(url, timeout=10).content == b"anonymous"
    anon.append_object("anon.log", 0, b"a")
    anon.delete_object("anon.log")
    # the bucket's settings stay the owner's
    denied(anon.put_bucket_acl, oss2.BUCKET_ACL_PRIVATE)
    denied(anon.get_bucket_acl)
    denied(anon.delete_bucket)
    denied(anon.put_bucket_style, "s", "image/resize,w_10")
    denied(anon.get_object_tagging, "anon.txt")                # tags are the owner's too
    denied(anon.put_object_tagging, "anon.txt", oss2.models.Tagging())

    owner.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    denied(anon.put_object, "anon.txt", b"again")
    denied(anon.get_object, "anon.txt")
    # other buckets keep the server's ACL
    denied(anonymous(server, "acl-other").get_object, "x")


def test_object_acl_takes_precedence_unless_default(server):
    owner, anon = signed(server), anonymous(server)
    owner.put_object("pub.txt", b"p", headers={"x-oss-object-acl": "public-read"})
    owner.put_object("plain.txt", b"d")
    assert anon.get_object("pub.txt").read() == b"p"          # private bucket
    assert anon.head_object("pub.txt").content_length == 1
    denied(anon.get_object, "plain.txt")                        # default: the bucket's
    denied(anon.put_object, "pub.txt", b"overwrite")            # public-read: no writes
    owner.put_object_acl("pub.txt", oss2.OBJECT_ACL_PUBLIC_READ_WRITE)
    anon.put_object("pub.txt", b"rewritten")
    assert owner.get_object("pub.txt").read() == b"rewritten"

    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    assert anon.get_object("plain.txt").read() == b"d"
    owner.put_object_acl("plain.txt", oss2.OBJECT_ACL_PRIVATE)
    denied(anon.get_object, "plain.txt")
    denied(anon.get_object, "plain.txt", process="image/info")
    owner.put_object_acl("plain.txt", oss2.OBJECT_ACL_DEFAULT)
    assert anon.get_object("plain.txt").read() == b"d"


def test_anonymous_copy_needs_a_readable_source(server):
    owner = signed(server)
    owner.put_object("secret.txt", b"s")
    signed(server, "acl-other").put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    other = anonymous(server, "acl-other")
    denied(other.copy_object, "acl-bucket", "secret.txt", "stolen.txt")
    assert not signed(server, "acl-other").object_exists("stolen.txt")
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    other.copy_object("acl-bucket", "secret.txt", "copied.txt")
    assert other.get_object("copied.txt").read() == b"s"


def test_acl_set_on_create_and_dropped_with_the_bucket(server, root):
    b = signed(server, "acl-new")
    b.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    assert b.get_bucket_acl().acl == "public-read"
    b.delete_bucket()
    assert not (root / BUCKET_ACL_DIR / "acl-new").exists()
    b.create_bucket()
    assert b.get_bucket_acl().acl == "private"
    with pytest.raises(oss2.exceptions.OssError) as e:
        b.put_bucket_acl("everyone")
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")
    assert b.get_bucket_acl().acl == "private"
    denied(anonymous(server, "acl-anon").create_bucket, oss2.BUCKET_ACL_PUBLIC_READ_WRITE)


def test_open_server_stays_open_but_acls_are_signed(root):
    """``--acl public-read-write``: buckets without an ACL of their own need no signature
    for anything (the server's documented open mode), but only a signed request may give
    a bucket an ACL, and one that has its own is governed by it."""
    with running_server(root, "public-read-write", (CREDS,), region=REGION) as server:
        anon = anonymous(server)
        anon.put_object("a.txt", b"a")
        anon.put_bucket_style("thumb", "image/resize,w_10")
        denied(anon.put_bucket_acl, oss2.BUCKET_ACL_PRIVATE)
        signed(server).put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
        assert anon.get_object("a.txt").read() == b"a"
        denied(anon.put_object, "b.txt", b"b")
        denied(anon.delete_bucket_style, "thumb")
        assert anonymous(server, "acl-other").put_object("c.txt", b"c").status == 200


def test_anonymous_batch_delete_respects_each_object_acl(server):
    owner, anon = signed(server), anonymous(server)
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    anon.put_object("free.txt", b"f")
    owner.put_object("kept.txt", b"k", headers={"x-oss-object-acl": "private"})
    denied(anon.delete_object, "kept.txt")
    denied(anon.batch_delete_objects, ["free.txt", "kept.txt"])
    assert owner.object_exists("free.txt") and owner.object_exists("kept.txt")
    assert anon.batch_delete_objects(["free.txt"]).deleted_keys == ["free.txt"]
    assert owner.batch_delete_objects(["kept.txt"]).deleted_keys == ["kept.txt"]


def test_a_broken_acl_record_falls_back_to_the_servers(server, root):
    record = root / BUCKET_ACL_DIR / "acl-bucket"
    record.parent.mkdir(exist_ok=True)
    os.mkfifo(record)                                   # never waited on
    owner = signed(server)
    assert owner.get_bucket_acl().acl == "private"
    record.unlink()
    record.write_text("everyone")
    assert owner.get_bucket_acl().acl == "private"
    denied(anonymous(server).get_object, "x")
    owner.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)    # replaces the broken record
    assert record.read_text() == "public-read"
