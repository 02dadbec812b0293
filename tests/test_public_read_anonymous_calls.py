"""Anonymous calls on a ``public-read`` bucket, call by call, as docs/COMPATIBILITY.md
("Bucket ACLs") states OSS's rule: anyone may read objects -- GetObject, HeadObject,
GetObjectMeta, GetSymlink, ListObjects (v1 and v2), HeadBucket, GetObjectAcl -- and
nothing else: every write (PutObject, AppendObject, CopyObject, DeleteObject,
DeleteMultipleObjects, PutSymlink, multipart) and every bucket setting is 403
AccessDenied. A ``private`` bucket lets an anonymous client do none of them.

oss2 with ``AnonymousAuth`` is the client; its parse of each answer gives the status and
code. The objects are set up by a signed client.
"""
from __future__ import annotations

import oss2
import pytest
import requests

from core.oss.credentials import Credentials
from tests.helpers import running_server

B = "pubread"
CREDS = Credentials("LTAI5tPublicReadKey1", "Public+Read/Secret=01")


@pytest.fixture(scope="module", params=["public-read", "private"])
def env(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("pubread")
    (root / B).mkdir()
    with running_server(root, request.param, (CREDS,)) as srv:
        signed = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret),
                             srv.url, B)
        signed.put_object("a.txt", b"alpha")
        signed.put_symlink("a.txt", "link")
        yield request.param, srv, oss2.Bucket(oss2.AnonymousAuth(), srv.url, B), root


READS = {
    "GetObject": lambda b: b.get_object("a.txt").read() == b"alpha",
    "HeadObject": lambda b: b.head_object("a.txt").content_length == 5,
    "GetObjectMeta": lambda b: b.get_object_meta("a.txt").content_length == 5,
    "GetSymlink": lambda b: b.get_symlink("link").target_key == "a.txt",
    "GetObjectAcl": lambda b: b.get_object_acl("a.txt").acl == "default",
    "ListObjects": lambda b: [o.key for o in b.list_objects().object_list] == [
        "a.txt", "link"],
    "ListObjectsV2": lambda b: [o.key for o in b.list_objects_v2().object_list] == [
        "a.txt", "link"],
}


@pytest.mark.parametrize("call", sorted(READS))
def test_anonymous_reads(env, call):
    acl, _, anonymous, _ = env
    if acl == "public-read":
        assert READS[call](anonymous)
    else:
        with pytest.raises(oss2.exceptions.OssError) as e:
            READS[call](anonymous)
        assert (e.value.status, e.value.code) == (403, "AccessDenied")


def test_anonymous_head_bucket(env):
    acl, srv, _, _ = env
    r = requests.head(f"{srv.url}/{B}", timeout=10)
    assert r.status_code == (200 if acl == "public-read" else 403)


WRITES = {
    "PutObject": lambda b: b.put_object("new.txt", b"x"),
    "AppendObject": lambda b: b.append_object("log.txt", 0, b"x"),
    "CopyObject": lambda b: b.copy_object(B, "a.txt", "copy.txt"),
    "DeleteObject": lambda b: b.delete_object("a.txt"),
    "DeleteMultipleObjects": lambda b: b.batch_delete_objects(["a.txt"]),
    "PutSymlink": lambda b: b.put_symlink("a.txt", "link2"),
    "InitiateMultipartUpload": lambda b: b.init_multipart_upload("mp.bin"),
    "ListMultipartUploads": lambda b: b.list_multipart_uploads(),
    "PutObjectAcl": lambda b: b.put_object_acl("a.txt", oss2.OBJECT_ACL_PUBLIC_READ_WRITE),
    "GetBucketAcl": lambda b: b.get_bucket_acl(),
    "PutBucketAcl": lambda b: b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE),
    "DeleteBucket": lambda b: b.delete_bucket(),
}


@pytest.mark.parametrize("call", sorted(WRITES))
def test_anonymous_writes_and_settings_are_403(env, call):
    _, _, anonymous, root = env
    with pytest.raises(oss2.exceptions.OssError) as e:
        WRITES[call](anonymous)
    assert (e.value.status, e.value.code) == (403, "AccessDenied")
    # nothing changed
    assert sorted(p.name for p in (root / B).iterdir() if not p.name.startswith(".")) \
        == ["a.txt", "link"]
    assert (root / B / "a.txt").read_bytes() == b"alpha"
