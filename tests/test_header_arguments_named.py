"""Bad header arguments are a 400 InvalidArgument naming the header, with oss2 as the client
of a private ``oss-img serve``.

Expected values:
- ``x-oss-tagging`` is "encoded as UTF-8 then URLEncoded" (OSS error page 0010-00000219,
  whose message this is); percent-escapes that decode to bytes which are not UTF-8, in a
  tag's key or value, break that rule: InvalidArgument, EC 0010-00000219, ArgumentName
  ``x-oss-tagging``, and nothing is written.
- ``x-oss-acl`` of PutBucketAcl is private, public-read or public-read-write (OSS
  "PutBucketAcl"); another value is InvalidArgument with ArgumentName ``x-oss-acl`` and
  ArgumentValue the value given (OSS's error documents carry both), and the ACL stays.
"""
from __future__ import annotations

import oss2
import pytest

from tests.documented_env import oss2_bucket, serve_documented


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    for _, srv, _ in serve_documented(tmp_path_factory.mktemp("named")):
        yield oss2_bucket(srv)


def invalid(call) -> oss2.exceptions.ServerError:
    with pytest.raises(oss2.exceptions.ServerError) as e:
        call()
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")
    return e.value


@pytest.mark.parametrize("header", ["%FF=v", "k=%C3%28", "ok=1&%E2%82=x"])
def test_tagging_that_is_not_utf8_is_named(bucket, header):
    err = invalid(lambda: bucket.put_object("tagged.txt", b"x",
                                            headers={"x-oss-tagging": header}))
    assert err.details["EC"] == "0010-00000219"
    assert err.details["ArgumentName"] == "x-oss-tagging"
    assert not bucket.object_exists("tagged.txt")


@pytest.mark.parametrize("acl", ["bogus", "Private", "public-write"])
def test_an_unknown_bucket_acl_is_named_with_its_value(bucket, acl):
    before = bucket.get_bucket_acl().acl
    err = invalid(lambda: bucket.put_bucket_acl(acl))
    assert (err.details["ArgumentName"], err.details["ArgumentValue"]) == ("x-oss-acl", acl)
    assert bucket.get_bucket_acl().acl == before == "private"
