"""PutSymlink and GetSymlink with names the store cannot take, and their error answers.

Expected values: OSS's "PutSymlink" writes an object named by the request's key and
pointing at x-oss-symlink-target, both object names: a name the store refuses for a write is
InvalidObjectName, HTTP 400, for the link and for its target alike (the local store's
contract, core.serve.store.check_key_shape: writes are InvalidObjectName, reads NoSuchKey),
and nothing is created. "GetSymlink": a missing link is NoSuchKey, HTTP 404, its error
carrying the ``Key`` (OSS's NoSuchKey answer names the key); an ordinary object is
NotSymlink, HTTP 400.
"""
from __future__ import annotations

import pytest

from tests.service_env import error_fields, handle, one_bucket_service

B = "symlink-names"
BAD = ["a//b", "a/../b", "./b", "a/.oss-tmp-x"]


@pytest.fixture
def svc(tmp_path):
    service = one_bucket_service(tmp_path, B)
    assert handle(service, "PUT", B, "t.txt", body=b"target").status == 200
    return service


def files(root):
    return sorted(str(p.relative_to(root)) for p in (root / B).rglob("*"))


def put_symlink(svc, key, target):
    return handle(svc, "PUT", B, key, {"symlink": ""},
                  headers={"x-oss-symlink-target": target})


@pytest.mark.parametrize("key", BAD)
def test_a_link_name_the_store_cannot_hold_is_invalid_object_name(svc, tmp_path, key):
    before = files(tmp_path)
    error_fields(put_symlink(svc, key, "t.txt"), 400, "InvalidObjectName")
    assert files(tmp_path) == before


@pytest.mark.parametrize("target", BAD + ["../outside.txt"])
def test_a_target_name_the_store_cannot_hold_is_invalid_object_name(svc, tmp_path, target):
    before = files(tmp_path)
    error_fields(put_symlink(svc, "link", target), 400, "InvalidObjectName")
    assert files(tmp_path) == before
    error_fields(handle(svc, "GET", B, "link", {"symlink": ""}), 404, "NoSuchKey")


@pytest.mark.parametrize("key", ["missing", "dir/missing.txt", "中文 链接"])
def test_get_symlink_of_a_missing_key_is_no_such_key_naming_it(svc, key):
    fields = error_fields(handle(svc, "GET", B, key, {"symlink": ""}), 404, "NoSuchKey")
    assert fields["Key"] == key


def test_get_symlink_of_an_ordinary_object_is_not_symlink(svc):
    error_fields(handle(svc, "GET", B, "t.txt", {"symlink": ""}), 400, "NotSymlink")
    assert put_symlink(svc, "link", "t.txt").status == 200
    got = handle(svc, "GET", B, "link", {"symlink": ""})
    assert (got.status, got.headers["x-oss-symlink-target"]) == (200, "t.txt")
