"""Error messages that official OSS clients read, not just their codes, with oss2 as the
client of a private ``oss-img serve``.

Expected values come from the clients' own sources:
- PreconditionFailed: ali-oss's object tests (test/node/object.test.js) assert the whole
  message OSS sends, "At least one of the pre-conditions you specified did not hold.
  (condition: If-Match)" / "(condition: If-Unmodified-Since)", for GetObject and for
  CopyObject (whose ``If-Match`` ali-oss sends as ``x-oss-copy-source-if-match``), with HTTP
  status 412.
- BucketNotEmpty: ossutil's ``rm`` (lib/rm.go) matches "bucket you tried to delete is not
  empty" in the error to tell the user that objects were uploaded during the deletion;
  oss2 raises BucketNotEmpty, a Conflict (409).
"""
from __future__ import annotations

import oss2
import pytest

from tests.documented_env import B, CREDS, T_HTTP, etag, oss2_bucket, serve_documented

PRE = "At least one of the pre-conditions you specified did not hold."
BEFORE = "Mon, 13 Nov 2023 00:00:00 GMT"        # a day before the objects' mtime (T)


@pytest.fixture
def bucket(tmp_path):
    for _, srv, _ in serve_documented(tmp_path):
        yield oss2_bucket(srv)


def failed(call) -> oss2.exceptions.PreconditionFailed:
    with pytest.raises(oss2.exceptions.PreconditionFailed) as e:
        call()
    assert (e.value.status, e.value.code) == (412, "PreconditionFailed")
    return e.value


@pytest.mark.parametrize("method", ["get_object", "head_object"])
def test_get_if_match_names_the_condition(bucket, method):
    err = failed(lambda: getattr(bucket, method)("a.txt", headers={"If-Match": '"foo"'}))
    if method == "get_object":      # a HEAD answer has no body to carry a message
        assert err.message == f"{PRE} (condition: If-Match)"


def test_get_if_unmodified_since_names_the_condition(bucket):
    err = failed(lambda: bucket.get_object("a.txt", headers={"If-Unmodified-Since": BEFORE}))
    assert err.message == f"{PRE} (condition: If-Unmodified-Since)"
    # a matching If-Match decides alone: the If-Unmodified-Since beside it is not checked
    got = bucket.get_object("a.txt", headers={"If-Match": etag(b"alpha"),
                                              "If-Unmodified-Since": BEFORE})
    assert got.read() == b"alpha"


def test_copy_source_if_match_names_the_condition(bucket):
    err = failed(lambda: bucket.copy_object(
        B, "a.txt", "copy.txt", headers={"x-oss-copy-source-if-match": '"foo-bar"'}))
    assert err.message == f"{PRE} (condition: If-Match)"
    err = failed(lambda: bucket.copy_object(
        B, "a.txt", "copy.txt", headers={"x-oss-copy-source-if-unmodified-since": BEFORE}))
    assert err.message == f"{PRE} (condition: If-Unmodified-Since)"
    # CopyObject answers 412 (not 304) for a source that is "not modified", too, naming the
    # condition as ali-oss's examples name the other two: by the header's name without
    # x-oss-copy-source- (docs/COMPATIBILITY.md, "PreconditionFailed messages")
    err = failed(lambda: bucket.copy_object(
        B, "a.txt", "copy.txt", headers={"x-oss-copy-source-if-none-match": etag(b"alpha")}))
    assert err.message == f"{PRE} (condition: If-None-Match)"
    err = failed(lambda: bucket.copy_object(
        B, "a.txt", "copy.txt", headers={"x-oss-copy-source-if-modified-since": T_HTTP}))
    assert err.message == f"{PRE} (condition: If-Modified-Since)"
    assert not bucket.object_exists("copy.txt")


def test_a_bucket_with_objects_is_not_deleted_and_says_so(bucket):
    with pytest.raises(oss2.exceptions.BucketNotEmpty) as e:
        bucket.delete_bucket()
    assert (e.value.status, e.value.code) == (409, "BucketNotEmpty")
    assert "bucket you tried to delete is not empty" in e.value.message
    assert bucket.get_object("a.txt").read() == b"alpha"
