"""PutSymlink's and GetSymlink's answers on the wire, with oss2 (an official client)
against a private ``oss-img serve`` on loopback.

Expected values (OSS API reference, "PutSymlink", "GetSymlink"): PutSymlink answers
200 with no body; GetSymlink answers 200 with the target in ``x-oss-symlink-target``,
URL-encoded (every byte outside RFC 3986's unreserved set, ``/`` included: the v2 SDK's
test_symlink round trip reads ``dir%2Fb.txt``), which oss2 decodes; a symlink's own
metadata (``x-oss-meta-*``) is its own, and a read of it answers the target's bytes.
"""
from __future__ import annotations

from urllib.parse import quote

import oss2
import pytest

from core.oss.credentials import Credentials
from tests.helpers import running_server

CREDS = Credentials("LTAI5tSymlinkAnswers1", "Symlink+Answers/Secret=1")
B = "symlinks"


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    root = tmp_path_factory.mktemp("symlink-root")
    (root / B).mkdir()
    with running_server(root, "private", (CREDS,)) as srv:
        yield oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                          B)


@pytest.mark.parametrize("target", ["plain.txt", "dir/sub/t x+y.txt", "ünï/ç~_-.txt",
                                    "XYZ/X X.txt"])
def test_put_symlink_is_200_without_a_body_and_get_symlink_encodes_the_target(bucket,
                                                                              target):
    bucket.put_object(target, b"target bytes")
    put = bucket.put_symlink(target, "link", headers={"x-oss-meta-own": "link's"})
    assert put.status == 200 and put.resp.read() == b""
    raw = bucket._do("GET", B, "link", params={"symlink": ""})
    assert raw.status == 200 and raw.read() == b""
    assert raw.headers["x-oss-symlink-target"] == quote(target.encode("utf-8"), safe="")
    assert bucket.get_symlink("link").target_key == target
    assert bucket.get_object("link").read() == b"target bytes"
    assert bucket.head_object("link").headers["x-oss-meta-own"] == "link's"
