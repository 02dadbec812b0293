"""The object ACL a write names, and AppendObject's refusals, call by call; oss2 (an
official client) against a private ``oss-img serve`` on loopback.

Expected values:
- PutObjectACL (OSS API reference): an object's ACL is one of ``default`` (the bucket's),
  ``private``, ``public-read``, ``public-read-write``; PutObject, AppendObject, CopyObject,
  PutSymlink and InitiateMultipartUpload take it in ``x-oss-object-acl`` too, and
  GetObjectACL answers it. Another value is 400 InvalidArgument naming the header; OSS's EC
  pages give PutObjectACL's ECs: 0017-00000104 for a value that is not an ACL (their
  example: ``public``), 0017-00000105 for a missing or empty header.
- AppendObject's EC pages: no ``position`` is 0016-00000501; a ``position`` that is not a
  number (their example: ``test``) is 0016-00000502; a position other than the object's
  length is 409 PositionNotEqualToLength, 0026-00000016 -- "position 0 succeeds when there
  is no appendable object of that name or it is empty; otherwise this error" -- and the
  answer's ``x-oss-next-append-position`` is the position to use; appending to an object
  that is not appendable is 409 ObjectNotAppendable, 0026-00000017. The message of
  PositionNotEqualToLength is OSS's "Position is not equal to file length": ali-oss's
  object tests (test/node/object.test.js, "should throw error when position not match")
  assert it whole against OSS, and alibabacloud-oss-go-sdk-v2's tests quote the same
  error body (EC 0026-00000016).
- AppendObject answers ``x-oss-next-append-position`` and the CRC-64 of the whole object
  so far (API reference; computed here with alibabacloud-oss-v2's CRC-64).
"""
from __future__ import annotations

import oss2
import pytest
from oss2.models import PartInfo

from core.oss.credentials import Credentials
from tests.documented_env import crc64
from tests.helpers import running_server

CREDS = Credentials("LTAI5tAclAppendErrors1", "Acl+Append/Errors=1")
B = "acl-append"
ACLS = ("default", "private", "public-read", "public-read-write")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("acl-append-root")
    (root / B).mkdir()
    with running_server(root, "private", (CREDS,)) as srv:
        yield srv


@pytest.fixture
def bucket(server) -> oss2.Bucket:
    return oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), server.url, B)


def server_error(call) -> oss2.exceptions.ServerError:
    with pytest.raises(oss2.exceptions.ServerError) as e:
        call()
    return e.value


def acl_header(acl: str) -> dict[str, str]:
    return {"x-oss-object-acl": acl}


def write_with_acl(bucket: oss2.Bucket, how: str, key: str, acl: str) -> None:
    """Create ``key`` by the call ``how``, naming ``acl``."""
    h = acl_header(acl)
    if how == "put":
        bucket.put_object(key, b"put", headers=h)
    elif how == "append":
        bucket.append_object(key, 0, b"append", headers=h)
    elif how == "copy":
        bucket.put_object(key + ".src", b"source")
        bucket.copy_object(B, key + ".src", key, headers=h)
    elif how == "symlink":
        bucket.put_object(key + ".target", b"target")
        bucket.put_symlink(key + ".target", key, headers=h)
    else:   # multipart
        upload = bucket.init_multipart_upload(key, headers=h).upload_id
        part = bucket.upload_part(key, upload, 1, b"part")
        bucket.complete_multipart_upload(key, upload, [PartInfo(1, part.etag)])


CALLS = ("put", "append", "copy", "symlink", "multipart")


@pytest.mark.parametrize("how", CALLS)
@pytest.mark.parametrize("acl", ACLS)
def test_a_write_keeps_the_acl_it_names(bucket, how, acl):
    key = f"acl/{how}-{acl}"
    write_with_acl(bucket, how, key, acl)
    assert bucket.get_object_acl(key).acl == acl


@pytest.mark.parametrize("how", CALLS)
@pytest.mark.parametrize("acl", ["public", "Private", "public read", "authenticated-read"])
def test_a_write_naming_another_acl_is_refused_naming_the_header(bucket, how, acl):
    key = f"bad-acl/{how}"
    err = server_error(lambda: write_with_acl(bucket, how, key, acl))
    assert (err.status, err.code) == (400, "InvalidArgument")
    assert err.details["ArgumentName"] == "x-oss-object-acl"
    assert not bucket.object_exists(key)


@pytest.mark.parametrize("acl", ACLS)
def test_put_object_acl_changes_the_acl_and_nothing_else(bucket, acl):
    bucket.put_object("set-acl.txt", b"body", headers={"x-oss-meta-kept": "yes",
                                                      "Content-Type": "text/x-kept"})
    before = bucket.head_object("set-acl.txt").headers
    assert bucket.put_object_acl("set-acl.txt", acl).status == 200
    assert bucket.get_object_acl("set-acl.txt").acl == acl
    after = bucket.head_object("set-acl.txt").headers
    for name in ("ETag", "x-oss-meta-kept", "Content-Type", "x-oss-hash-crc64ecma"):
        assert after[name] == before[name]
    assert bucket.get_object("set-acl.txt").read() == b"body"


@pytest.mark.parametrize("headers, ec", [
    ({"x-oss-object-acl": "public"}, "0017-00000104"),      # the EC page's example
    ({"x-oss-object-acl": "Private"}, "0017-00000104"),
    ({"x-oss-object-acl": ""}, "0017-00000105"),
    ({}, "0017-00000105"),
])
def test_put_object_acl_refusals_carry_osss_ec(bucket, headers, ec):
    bucket.put_object("acl-refused.txt", b"x", headers=acl_header("public-read"))
    err = server_error(lambda: bucket._do("PUT", B, "acl-refused.txt", params={"acl": ""},
                                          headers=headers))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", ec)
    assert err.details["ArgumentName"] == "x-oss-object-acl"
    assert bucket.get_object_acl("acl-refused.txt").acl == "public-read"   # unchanged


# -- AppendObject --------------------------------------------------------------------------

def append_raw(bucket: oss2.Bucket, key: str, params: dict[str, str], data: bytes = b"x"):
    return bucket._do("POST", B, key, params={"append": "", **params}, data=data)


def test_append_without_position_is_missing_argument(bucket):
    err = server_error(lambda: append_raw(bucket, "ap/none", {}))
    assert (err.status, err.code, err.ec) == (400, "MissingArgument", "0016-00000501")
    assert not bucket.object_exists("ap/none")


@pytest.mark.parametrize("position", ["test", "", "-1", "1.5", "0x10"])
def test_append_with_a_position_that_is_not_a_number_is_invalid(bucket, position):
    err = server_error(lambda: append_raw(bucket, "ap/nan", {"position": position}))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0016-00000502")
    assert err.details["ArgumentName"] == "position"
    assert not bucket.object_exists("ap/nan")


def test_append_to_a_normal_object_is_not_appendable(bucket):
    bucket.put_object("ap/normal", b"12345")
    for position in (0, 5):
        err = server_error(lambda: bucket.append_object("ap/normal", position, b"!"))
        assert (err.status, err.code, err.ec) == (409, "ObjectNotAppendable", "0026-00000017")
    assert bucket.get_object("ap/normal").read() == b"12345"


@pytest.mark.parametrize("position", [0, 3, 5])
def test_append_at_another_position_than_the_length_is_refused(bucket, position):
    key = f"ap/wrong-{position}"
    bucket.append_object(key, 0, b"four")
    err = server_error(lambda: bucket.append_object(key, position, b"!"))
    assert (err.status, err.code, err.ec) == (409, "PositionNotEqualToLength", "0026-00000016")
    assert err.message == "Position is not equal to file length"
    assert err.headers["x-oss-next-append-position"] == "4"
    assert bucket.get_object(key).read() == b"four"


def test_append_at_position_0_of_a_missing_or_empty_object_succeeds(bucket):
    first = bucket.append_object("ap/empty", 0, b"")
    assert (first.status, first.next_position) == (200, 0)
    again = bucket.append_object("ap/empty", 0, b"data")     # empty: 0 is its length
    assert again.next_position == 4


def test_each_append_answers_the_next_position_and_the_whole_objects_crc(bucket):
    data = b""
    for piece in (b"alpha ", b"", b"bravo ", b"\x00\xff" * 3000):
        result = bucket.append_object("ap/log", len(data), piece)
        data += piece
        assert result.status == 200
        assert result.next_position == len(data)
        assert result.headers["x-oss-hash-crc64ecma"] == crc64(data)
    head = bucket.head_object("ap/log").headers
    assert (head["x-oss-object-type"], head["x-oss-next-append-position"]) == (
        "Appendable", str(len(data)))
    assert head["x-oss-hash-crc64ecma"] == crc64(data)
    assert bucket.get_object("ap/log").read() == data
