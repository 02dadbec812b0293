"""oss2's AuthV2 (signature version 2) as a client of a private ``oss-img serve``.

The byte-level comparison with oss2 is tests/test_signing_v2.py; here the whole path runs
over HTTP: header-signed calls, presigned URLs with additional headers (oss2's
test_sign_v2_additional_headers) and an x-oss-date a day off (test_sign_v2_x_oss_date).
"""
from __future__ import annotations

import time

import oss2
import pytest
import requests

from core.oss.credentials import Credentials
from core.serve.runner import serve

CREDS = Credentials("LTAI5tSignV2Key00001", "Sign+V2/Secret=0001")


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    root = tmp_path_factory.mktemp("v2-root")
    (root / "v2-bucket").mkdir()
    srv = serve(root, "127.0.0.1", 0, "private", (CREDS,))
    srv.start()
    yield oss2.Bucket(oss2.AuthV2(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                      "v2-bucket")
    srv.stop()


def test_header_signed_calls(bucket):
    key = "猫/a b+c.txt"
    bucket.put_object(key, b"hello v2", headers={"x-oss-meta-who": "写真".encode("utf-8"),
                                                 "Content-Type": "text/plain"})
    assert bucket.get_object(key, byte_range=(0, 4)).read() == b"hello"
    who = bucket.head_object(key).headers["x-oss-meta-who"]   # UTF-8 bytes, read as latin-1
    assert who.encode("latin-1").decode("utf-8") == "写真"
    assert [o.key for o in bucket.list_objects(prefix="猫/").object_list] == [key]
    bucket.delete_object(key)
    assert not bucket.object_exists(key)


def test_presigned_urls_with_additional_headers(bucket):
    headers = {"Content-Length": "9", "custom-header": "abc"}
    extra = {"Content-Length", "custom-header"}
    url = bucket.sign_url("PUT", "add.txt", 600, slash_safe=True, headers=headers,
                          additional_headers=extra)
    assert "x-oss-signature-version=OSS2" in url
    assert bucket.put_object_with_url(url, "Hello OSS", headers=headers).status == 200
    url = bucket.sign_url("GET", "add.txt", 600, headers=headers, additional_headers=extra)
    assert bucket.get_object_with_url(url, byte_range=(2, 3), headers=headers).read() == b"ll"
    # a signed additional header that differs is refused
    resp = requests.get(url, headers={"custom-header": "abd"}, timeout=10)
    assert resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content
    # and every query parameter is signed in V2
    resp = requests.get(url + "&response-content-type=text/html", timeout=10)
    assert resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content


def test_skewed_x_oss_date(bucket):
    day_ago = oss2.utils.http_date(int(time.time()) - 24 * 60 * 60)
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.list_objects(headers={"x-oss-date": day_ago})
    assert err.value.status == 403 and err.value.code == "RequestTimeTooSkewed"
    assert err.value.message == ("The difference between the request time and the current "
                                 "time is too large.")
