"""Object calls' answers that other tests leave unpinned, with oss2 (an official client) and
raw HTTP against a private ``oss-img serve``.

Expected values:
- PutObjectACL answers 200 with no body (OSS API reference, "PutObjectACL": the response
  has only the common headers); GetObjectACL then reports the ACL set.
- HTTP field values may hold a horizontal tab (RFC 9110 5.5); CopyObject with the COPY
  directive keeps the source's user metadata as it was stored.
- A style URL is ``<object><separator><style>`` (OSS "Set style separators"): the style
  part is never empty and the object part never the whole key; a key that is not an object
  and whose only split leaves no style is NoSuchKey (404), even when a style happens to be
  named like the whole key.
- sys/saveas parameters are ``o`` and ``b`` ("Save processed images"); a bad one is an
  InvalidArgument naming it (ArgumentName, as OSS's error documents name parameters).
- A source above the 20 MB source limit (shared/spec/oss-img.md, "Source: ... <= 20 MB",
  EC 0040-00000009) is ImageTooLarge, 400, for GET ?x-oss-process and for sys/saveas; the
  service refuses it when reading it, before processing.
- An object's metadata record holding only what every record holds (ident, ETag, CRC-64; a
  record written by hand, or by an older server) is served with OSS's defaults: object type
  Normal, storage class Standard, ACL ``default``, no tags.
- CopyObject answers 200 with ``<CopyObjectResult>`` holding ETag and LastModified (OSS API
  reference, "CopyObject"); the copy's ETag is the source's (same bytes, simple upload).
- A processed image is a representation with its own ETag; a conditional GET of it follows
  HTTP (RFC 9110 13.1.2 If-None-Match, 13.1.3 If-Modified-Since): 304 Not Modified when
  the ETag matches or it is not newer.
- GetSymlink answers the target key as PutSymlink gave it (OSS "GetSymlink"), whatever
  it ends with.
- DeleteMultipleObjects answers 200 with a Deleted entry per key: one key the local store
  cannot restore does not fail the others.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import xml.etree.ElementTree as ET

import oss2
import pytest
from oss2.models import (BatchDeleteObjectVersion, BatchDeleteObjectVersionList,
                         BucketVersioningConfig)

from core import codec
from tests.documented_env import B, T_HTTP, crc64, etag, oss2_bucket, serve_documented
from tests.helpers import solid

MB = 1024 * 1024


@pytest.fixture
def env(tmp_path):
    for _, srv, root in serve_documented(tmp_path):
        yield oss2_bucket(srv), root


def server_error(call) -> oss2.exceptions.ServerError:
    with pytest.raises(oss2.exceptions.ServerError) as e:
        call()
    return e.value


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def test_put_object_acl_answers_200_without_a_body(env):
    bucket, _ = env
    result = bucket.put_object_acl("a.txt", oss2.OBJECT_ACL_PUBLIC_READ)
    assert result.status == 200
    assert result.resp.read() == b""
    assert bucket.get_object_acl("a.txt").acl == oss2.OBJECT_ACL_PUBLIC_READ


def test_copy_keeps_user_metadata_holding_a_tab(env):
    bucket, _ = env
    bucket.put_object("tab.txt", b"t", headers={"x-oss-meta-note": "one\ttwo"})
    assert bucket.head_object("tab.txt").headers["x-oss-meta-note"] == "one\ttwo"
    result = bucket.copy_object(B, "tab.txt", "tab-copy.txt")
    assert result.status == 200
    copy = bucket.head_object("tab-copy.txt")
    assert copy.headers["x-oss-meta-note"] == "one\ttwo"


def test_a_key_whose_only_split_leaves_no_style_is_no_such_key(env):
    bucket, root = env
    (root / B / "s").write_bytes(solid(20, 10))
    bucket.put_bucket_style("s-", "image/resize,w_10")
    bucket.put_bucket_style("small", "image/resize,w_10")
    assert bucket.get_object("s-small").read()[:8] == b"\x89PNG\r\n\x1a\n"   # <s>-<small>
    err = server_error(lambda: bucket.get_object("s-"))
    assert (err.status, err.code) == (404, "NoSuchKey")


@pytest.mark.parametrize("params, name", [
    ("o_{o},b_!!!", "b"),
    ("o_!!!,b_{b}", "o"),
])
def test_a_bad_saveas_parameter_is_named(env, params, name):
    bucket, root = env
    (root / B / "src.png").write_bytes(solid(40, 20))
    process = "image/resize,w_10|sys/saveas," + params.format(o=b64("out.png"), b=b64(B))
    err = server_error(lambda: bucket.process_object("src.png", process))
    assert (err.status, err.code) == (400, "InvalidArgument")
    assert err.details["ArgumentName"] == name
    assert not bucket.object_exists("out.png")


def test_a_source_over_20_mb_is_image_too_large_naming_the_limit(env):
    bucket, root = env
    png = solid(20, 10)
    (root / B / "big.png").write_bytes(png + b"\0" * (20 * MB + 1 - len(png)))
    err = server_error(lambda: bucket.get_object("big.png", process="image/resize,w_10"))
    assert (err.status, err.code, err.ec) == (400, "ImageTooLarge", "0040-00000009")
    assert "20 MB" in err.message


def test_the_source_limit_is_applied_when_the_source_is_read(env, monkeypatch):
    """The service reads at most the source limit of an object it processes (a larger one
    is refused before it is decoded, whatever the engine would accept)."""
    bucket, root = env
    monkeypatch.setattr(codec, "MAX_SOURCE_BYTES", 1000)
    png = solid(20, 10)
    (root / B / "over.png").write_bytes(png + b"\0" * (1001 - len(png)))
    (root / B / "at.png").write_bytes(png + b"\0" * (1000 - len(png)))
    err = server_error(lambda: bucket.get_object("over.png", process="image/resize,w_10"))
    assert (err.status, err.code, err.ec) == (400, "ImageTooLarge", "0040-00000009")
    err = server_error(lambda: bucket.process_object(
        "over.png", f"image/resize,w_10|sys/saveas,o_{b64('o.png')}"))
    assert (err.status, err.code, err.ec) == (400, "ImageTooLarge", "0040-00000009")
    assert not bucket.object_exists("o.png")
    assert bucket.get_object("at.png", process="image/resize,w_10").status == 200


def test_multi_delete_goes_on_past_a_key_the_store_cannot_restore(env):
    """Versioned: deleting the delete marker of ``d`` would make its older version current
    again, but ``d`` is now a folder of ``d/e`` (the local store keeps keys as files)."""
    bucket, _ = env
    config = BucketVersioningConfig()
    config.status = oss2.BUCKET_VERSIONING_ENABLE
    bucket.put_bucket_versioning(config)
    bucket.put_object("d", b"older")
    marker = bucket.delete_object("d").versionid
    bucket.put_object("d/e", b"inside")
    other = bucket.put_object("x.txt", b"x").versionid
    result = bucket.delete_object_versions(BatchDeleteObjectVersionList([
        BatchDeleteObjectVersion("d", marker), BatchDeleteObjectVersion("x.txt", other)]))
    assert result.status == 200
    assert [v.key for v in result.delete_versions] == ["d", "x.txt"]
    assert result.delete_versions[1].versionid == other
    assert not bucket.object_exists("x.txt")
    assert bucket.get_object("d/e").read() == b"inside"


def test_a_minimal_metadata_record_is_served_with_the_defaults(env):
    bucket, root = env
    path = root / B / "old.csv"
    path.write_bytes(b"1,2")
    st = os.stat(path)
    h = hashlib.sha1(b"old.csv").hexdigest()
    record = root / ".oss-meta" / B / h[:2] / f"{h}.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"ident": [st.st_ino, st.st_size, st.st_mtime_ns],
                                  "etag": etag(b"1,2"), "crc64": crc64(b"1,2"),
                                  "headers": {"x-oss-meta-origin": "by hand"}}))
    head = bucket.head_object("old.csv").headers
    assert head["x-oss-meta-origin"] == "by hand"        # the record is the one served
    assert (head["x-oss-object-type"], head["x-oss-storage-class"]) == ("Normal", "Standard")
    assert "x-oss-tagging-count" not in head and "x-oss-version-id" not in head
    assert bucket.get_object_acl("old.csv").acl == "default"
    assert bucket.get_object_tagging("old.csv").tag_set.tagging_rule == {}


@pytest.mark.parametrize("source", [f"/{B}", f"/{B}/", "/", "//a.txt"])
def test_a_copy_source_without_bucket_or_key_is_named(env, source):
    """x-oss-copy-source is /<bucket>/<key> (OSS "CopyObject")."""
    bucket, _ = env
    err = server_error(lambda: bucket.put_object("c.txt", b"",
                                                 headers={"x-oss-copy-source": source}))
    assert (err.status, err.code) == (400, "InvalidArgument")
    assert err.details["ArgumentName"] == "x-oss-copy-source"
    assert not bucket.object_exists("c.txt")


def test_copy_object_answers_its_documented_result(env):
    bucket, _ = env
    resp = bucket._do("PUT", B, "copied.txt", headers={"x-oss-copy-source": f"/{B}/a.txt"})
    assert resp.status == 200
    root = ET.fromstring(resp.read())
    assert root.tag == "CopyObjectResult"
    assert [child.tag for child in root] == ["ETag", "LastModified"]
    assert root.findtext("ETag") == etag(b"alpha") == resp.headers["ETag"]
    assert root.findtext("LastModified").endswith("Z")
    assert bucket.get_object("copied.txt").read() == b"alpha"


def test_a_processed_image_answers_conditional_gets(env):
    bucket, root = env
    path = root / B / "cond.png"
    path.write_bytes(solid(40, 20))
    os.utime(path, (1_700_000_000, 1_700_000_000))          # T of tests.documented_env
    process = "image/resize,w_10"
    first = bucket.get_object("cond.png", process=process)
    data, tag = first.read(), first.headers["ETag"]
    assert tag == '"' + hashlib.md5(data).hexdigest().upper() + '"'
    assert first.headers["Last-Modified"] == T_HTTP
    for headers in ({"If-None-Match": tag}, {"If-Modified-Since": T_HTTP}):
        with pytest.raises(oss2.exceptions.NotModified) as e:
            bucket.get_object("cond.png", process=process, headers=headers)
        assert e.value.status == 304
    again = bucket.get_object("cond.png", process=process, headers={"If-None-Match": '"x"'})
    assert again.read() == data


@pytest.mark.parametrize("target", ["dir/", "notes.oss-folder-object", "a/b.txt"])
def test_get_symlink_answers_the_target_as_given(env, target):
    bucket, _ = env
    bucket.put_symlink(target, "link-to")
    assert bucket.get_symlink("link-to").target_key == target
