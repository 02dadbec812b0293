"""The object calls sent with POST (AppendObject, RestoreObject, ProcessObject) refuse a
feature this server does not have exactly as the PUT calls do: server-side encryption
(``x-oss-server-side-encryption`` / ``x-oss-server-side-data-encryption``, request headers
of AppendObject in the OSS API reference) is answered 501 ``NotImplemented`` naming the
header, never dropped -- an append stored unencrypted while the client asked for
encryption would tell it a lie. Nothing is written. A POST to an object with no call OSS
defines for it is 501 NotImplemented too.

oss2 is the client (its append_object / restore_object / process_object, with the headers
passed through); the status and code are its parse of the answer, the ``Header`` element
its ``details``.
"""
from __future__ import annotations

import oss2
import pytest

from core.oss.credentials import Credentials
from tests.helpers import encode, one_bucket_server, quadrants

B = "postbkt"
CREDS = Credentials("LTAI5tPostRefusals01", "Post+Refusals/Secret=01")
SSE = ("x-oss-server-side-encryption", "x-oss-server-side-data-encryption")
IMG = encode(quadrants(20, 10))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, B, "private", (CREDS,)) as (server, root):
        (root / B / "img.png").write_bytes(IMG)
        yield oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret),
                          server.url, B), root


def refused(call) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as e:
        call()
    return e.value


@pytest.mark.parametrize("header", SSE)
def test_append_with_server_side_encryption_is_501_and_nothing_is_written(env, header):
    bucket, root = env
    err = refused(lambda: bucket.append_object("log.txt", 0, b"first",
                                               headers={header: "AES256"}))
    assert (err.status, err.code) == (501, "NotImplemented")
    assert err.details["Header"] == header
    assert not (root / B / "log.txt").exists()
    # the same append without the header is an AppendObject (position 0 -> 5)
    result = bucket.append_object("log.txt", 0, b"first")
    assert result.status == 200 and result.next_position == 5
    err = refused(lambda: bucket.append_object("log.txt", 5, b"second",
                                               headers={header: "KMS"}))
    assert (err.status, err.code) == (501, "NotImplemented")
    assert bucket.get_object("log.txt").read() == b"first"
    bucket.delete_object("log.txt")


@pytest.mark.parametrize("header", SSE)
def test_process_and_save_with_server_side_encryption_is_501(env, header):
    bucket, root = env
    process = ("image/resize,w_10|sys/saveas,o_" + oss2.compat.to_string(
        oss2.utils.b64encode_as_string("small.png")).rstrip("="))
    err = refused(lambda: bucket.process_object("img.png", process,
                                                headers={header: "AES256"}))
    assert (err.status, err.code) == (501, "NotImplemented")
    assert err.details["Header"] == header
    assert not (root / B / "small.png").exists()


def test_restore_with_server_side_encryption_is_501(env):
    bucket, _ = env
    err = refused(lambda: bucket.restore_object(
        "img.png", headers={"x-oss-server-side-encryption": "AES256"}))
    assert (err.status, err.code) == (501, "NotImplemented")
    assert err.details["Header"] == "x-oss-server-side-encryption"


def test_a_post_to_an_object_with_no_such_call_is_501(env):
    bucket, _ = env
    err = refused(lambda: bucket._do("POST", B, "img.png"))
    assert (err.status, err.code) == (501, "NotImplemented")
    assert "Header" not in err.details
    assert bucket.get_object("img.png").read() == IMG
