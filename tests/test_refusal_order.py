"""In which order the service refuses a request it would answer 405 MethodNotAllowed
(a method the resource does not take) or 501 NotImplemented (a sub-resource this server
does not serve): after the bucket's existence (404 NoSuchBucket) and after the
signature and the access check (403), as for every other call -- an anonymous or
badly signed client learns nothing about a private bucket from a 405/501.

The signed requests are oss2's (its V1 signer signs any method); the error fields are
oss2's parse of the answer.
"""
from __future__ import annotations

import oss2
import pytest

from core.oss.credentials import Credentials
from tests.helpers import one_bucket_server

B = "ordbkt"
CREDS = Credentials("LTAI5tRefusalOrder01", "Refusal+Order/Secret=01")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, B, "private", (CREDS,)) as (server, root):
        (root / B / "a.txt").write_bytes(b"alpha")
        yield server


def answer(server, method: str, bucket: str, key: str = "", params=None, *,
           secret: str | None = None, anonymous: bool = False):
    """(status, code, details) of a call oss2 makes; raises if it succeeded."""
    auth = (oss2.AnonymousAuth() if anonymous
            else oss2.Auth(CREDS.access_key_id, secret or CREDS.access_key_secret))
    client = oss2.Bucket(auth, server.url, bucket)
    with pytest.raises(oss2.exceptions.OssError) as e:
        client._do(method, bucket, key, params=params or {})
    return e.value.status, e.value.code, e.value.details


@pytest.mark.parametrize("method, key, params, status, code", [
    ("PATCH", "a.txt", {}, 405, "MethodNotAllowed"),        # no such method on an object
    ("POST", "", {}, 405, "MethodNotAllowed"),              # nor POST on a bucket
    ("GET", "", {"cors": ""}, 501, "NotImplemented"),       # a sub-resource not served
    ("GET", "a.txt", {"website": ""}, 501, "NotImplemented"),
])
def test_refusals_come_after_the_bucket_and_the_signature(srv, method, key, params,
                                                          status, code):
    got = answer(srv, method, B, key, params)
    assert got[:2] == (status, code)
    if code == "MethodNotAllowed":
        assert got[2]["Method"] == method
    # a missing bucket is named first, signed or not
    assert answer(srv, method, "nobkt", key, params)[:2] == (404, "NoSuchBucket")
    assert answer(srv, method, "nobkt", key, params, anonymous=True)[:2] == (
        404, "NoSuchBucket")
    # then the signature, then the access check
    assert answer(srv, method, B, key, params, secret="wrong")[:2] == (
        403, "SignatureDoesNotMatch")
    assert answer(srv, method, B, key, params, anonymous=True)[:2] == (403, "AccessDenied")
