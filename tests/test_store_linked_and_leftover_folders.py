"""Folders the local store finds in a bucket that no object made, and a HEAD with gzip.

* A killed PUT of ``k/sub/x`` leaves ``k/sub/.oss-tmp-*`` behind: a folder holding only
  temporary files, at any depth, must not block a later PUT of ``k`` (OSS has no folders;
  core/serve/store.py: in-flight writes are never objects). A folder holding a link is not
  a leftover: it stays, and ``k`` cannot be written over it.
* DeleteBucket of a bucket whose only entry is a link to a folder (put there by hand) is
  BucketNotEmpty, HTTP 409 (OSS's code for a bucket that still holds something), and the
  link and what it points to are kept: nothing the user has is lost.
* HeadObject with Accept-Encoding: gzip answers the gzip headers of the GET (OSS FAQ on
  gzip downloads: Content-Encoding gzip, no ETag) and, being a HEAD, no body (RFC 9110 9.3.2).
"""
from __future__ import annotations

import gzip
import os

from core.serve.config import TMP_PREFIX
from tests.service_env import error_fields, handle, one_bucket_service

B = "linked-folders"


def test_a_folder_of_leftover_temporary_files_at_depth_does_not_block_a_key(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    leftover = tmp_path / B / "k" / "sub" / "deeper"
    leftover.mkdir(parents=True)
    (leftover / f"{TMP_PREFIX}123").write_bytes(b"half a put")
    (tmp_path / B / "k" / "sub" / f"{TMP_PREFIX}456").write_bytes(b"another half")
    assert handle(svc, "PUT", B, "k", body=b"the object").status == 200
    assert handle(svc, "GET", B, "k").body == b"the object"
    assert (tmp_path / B / "k").is_file()


def test_a_folder_holding_a_link_is_not_a_leftover(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep.txt").write_bytes(b"keep")
    (tmp_path / B / "k" / "sub").mkdir(parents=True)
    (tmp_path / B / "k" / "sub" / f"{TMP_PREFIX}1").write_bytes(b"half")
    os.symlink(tmp_path / "elsewhere", tmp_path / B / "k" / "sub" / "linked")
    error_fields(handle(svc, "PUT", B, "k", body=b"x"), 400, "InvalidObjectName")
    assert (tmp_path / B / "k" / "sub" / "linked").is_symlink()
    assert (tmp_path / "elsewhere" / "keep.txt").read_bytes() == b"keep"


def test_delete_bucket_holding_only_a_link_to_a_folder_is_bucket_not_empty(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    (tmp_path / "empty-elsewhere").mkdir()
    os.symlink(tmp_path / "empty-elsewhere", tmp_path / B / "linked")
    fields = error_fields(handle(svc, "DELETE", B), 409, "BucketNotEmpty")
    assert fields["BucketName"] == B
    assert (tmp_path / B / "linked").is_symlink()
    assert (tmp_path / "empty-elsewhere").is_dir()
    os.unlink(tmp_path / B / "linked")           # removed by hand: the bucket is empty
    assert handle(svc, "DELETE", B).status == 204
    assert not (tmp_path / B).exists()


def test_head_with_gzip_has_the_gets_headers_and_no_body(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    text = b"a line of plain text\n" * 200           # over OSS's 1 KB gzip minimum
    assert handle(svc, "PUT", B, "t.txt", body=text,
                  headers={"Content-Type": "text/plain"}).status == 200
    enc = {"accept-encoding": "gzip"}
    got = handle(svc, "GET", B, "t.txt", headers=enc)
    head = handle(svc, "HEAD", B, "t.txt", headers=enc)
    assert got.status == head.status == 200
    assert gzip.decompress(got.body) == text
    for resp in (got, head):
        assert resp.headers["Content-Encoding"] == "gzip"
        assert "ETag" not in resp.headers and "Content-Length" not in resp.headers
    assert head.body == b"" and head.stream is None
