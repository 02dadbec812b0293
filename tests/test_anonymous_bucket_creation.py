"""Creating a bucket without a signature, with oss2's AnonymousAuth as the client.

OSS's rule ("Bucket ACL"; oss2's test_anonymous): setting an ACL is the owner's business,
so an unsigned PutBucket that carries ``x-oss-acl`` is refused with 403 AccessDenied
whatever the server's mode, and the bucket is not created. Without the header, an
unsigned PutBucket is allowed only by this server's documented open mode (``--acl
public-read-write``: no checks); a ``public-read`` or ``private`` server refuses it.
"""
from __future__ import annotations

import pytest

import oss2

from core.oss.credentials import Credentials
from core.serve.config import BUCKET_ACL_DIR
from tests.helpers import running_server

REGION = "cn-hangzhou"
CREDS = Credentials("LTAI5tAnonBucketKey01", "Anon+Bucket/Secret=Tests01")


def _anonymous(server, name: str) -> oss2.Bucket:
    return oss2.Bucket(oss2.AnonymousAuth(), server.url, name)


def _denied(call, *args) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.AccessDenied) as e:
        call(*args)
    assert (e.value.status, e.value.code) == (403, "AccessDenied")
    return e.value


@pytest.mark.parametrize("acl", [oss2.BUCKET_ACL_PRIVATE, oss2.BUCKET_ACL_PUBLIC_READ,
                                 oss2.BUCKET_ACL_PUBLIC_READ_WRITE])
def test_open_server_refuses_an_unsigned_bucket_with_an_acl(tmp_path, acl):
    with running_server(tmp_path, "public-read-write", (CREDS,), region=REGION) as server:
        _denied(_anonymous(server, "anon-acl").create_bucket, acl)
        assert not (tmp_path / "anon-acl").exists()
        assert not (tmp_path / BUCKET_ACL_DIR / "anon-acl").exists()
        # the same request without the ACL: the open mode lets it through
        assert _anonymous(server, "anon-plain").create_bucket().status == 200
        assert (tmp_path / "anon-plain").is_dir()
        assert not (tmp_path / BUCKET_ACL_DIR / "anon-plain").exists()
        signed = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret),
                             server.url, "anon-plain", region=REGION)
        assert signed.get_bucket_acl().acl == "public-read-write"   # the server's


@pytest.mark.parametrize("server_acl", ["private", "public-read"])
def test_closed_server_refuses_any_unsigned_bucket(tmp_path, server_acl):
    with running_server(tmp_path, server_acl, (CREDS,), region=REGION) as server:
        _denied(_anonymous(server, "anon-plain").create_bucket)
        _denied(_anonymous(server, "anon-acl").create_bucket, oss2.BUCKET_ACL_PUBLIC_READ)
        assert not (tmp_path / "anon-plain").exists()
        assert not (tmp_path / "anon-acl").exists()


def test_an_unsigned_put_bucket_is_judged_by_the_servers_mode_not_the_buckets_acl(tmp_path):
    # an existing bucket with a private ACL of its own, on an open server: an unsigned
    # PutBucket of it (no x-oss-acl) is the server's open mode's to allow, and changes
    # nothing -- the bucket keeps its ACL, so unsigned reads stay refused
    with running_server(tmp_path, "public-read-write", (CREDS,), region=REGION) as server:
        signed = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret),
                             server.url, "owned", region=REGION)
        signed.create_bucket(oss2.BUCKET_ACL_PRIVATE)
        assert _anonymous(server, "owned").create_bucket().status == 200
        assert signed.get_bucket_acl().acl == "private"
        _denied(_anonymous(server, "owned").get_bucket_info)
        _denied(lambda: list(oss2.ObjectIterator(_anonymous(server, "owned"))))
