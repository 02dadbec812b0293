"""GetObjectMeta (HEAD ?objectMeta) and a style URL that also names a process, with oss2
against a private ``oss-img serve`` on loopback.

Expected values:
- GetObjectMeta (OSS API reference) answers the stored object's ETag, size
  (Content-Length) and Last-Modified; it is not a processed read, so a process parameter
  on it changes nothing: the ETag is the stored bytes' MD5 (upper-case hex in quotes) and
  the size theirs, whereas HEAD with the same process answers the processed image's.
- A style URL is ``<object><separator><style>`` (OSS "Set style separators"); the style
  is the process, so a style URL that also carries ``x-oss-process`` has two and is
  refused, 400 InvalidArgument (docs/COMPATIBILITY.md, "Styles and separators", rule 3),
  for GET and HEAD alike, while the style URL alone is served.
"""
from __future__ import annotations

import hashlib
import os

import oss2
import pytest

from core.oss.credentials import Credentials
from tests.helpers import decode, running_server, solid

CREDS = Credentials("LTAI5tObjectMetaStyle1", "Object+Meta/Style=1")
B = "meta-style"
PNG = solid(40, 20, (30, 160, 90))
MTIME = 1_650_000_000        # Fri, 15 Apr 2022 05:20:00 GMT


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    root = tmp_path_factory.mktemp("meta-style-root")
    (root / B).mkdir()
    path = root / B / "photo.png"
    path.write_bytes(PNG)
    os.utime(path, (MTIME, MTIME))
    with running_server(root, "private", (CREDS,)) as srv:
        b = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url, B)
        b.put_bucket_style("small", "image/resize,w_10")
        yield b


def md5_etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


@pytest.mark.parametrize("params", [None, {"x-oss-process": "image/resize,w_10"},
                                    {"x-oss-process": "style/small"}])
def test_get_object_meta_answers_the_stored_object(bucket, params):
    meta = bucket.get_object_meta("photo.png", params=params)
    assert meta.status == 200
    assert (meta.content_length, meta.last_modified) == (len(PNG), MTIME)
    assert meta.headers["ETag"] == md5_etag(PNG)
    assert meta.headers["Last-Modified"] == "Fri, 15 Apr 2022 05:20:00 GMT"


def test_head_with_a_process_answers_the_processed_image(bucket):
    processed = bucket.get_object("photo.png", process="image/resize,w_10").read()
    assert decode(processed).size == (10, 5)
    head = bucket.head_object("photo.png", params={"x-oss-process": "image/resize,w_10"})
    assert head.content_length == len(processed) != len(PNG)
    assert head.headers["ETag"] == md5_etag(processed)


def test_get_object_meta_of_a_missing_object_is_404(bucket):
    with pytest.raises(oss2.exceptions.NotFound) as e:
        bucket.get_object_meta("missing.png")
    assert e.value.status == 404


def test_a_style_url_is_served(bucket):
    assert decode(bucket.get_object("photo.png!small").read()).size == (10, 5)
    assert decode(bucket.get_object("photo.png-small").read()).size == (10, 5)


@pytest.mark.parametrize("key", ["photo.png!small", "photo.png-small", "photo.png/small"])
def test_a_style_url_with_x_oss_process_is_invalid_argument(bucket, key):
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.get_object(key, process="image/rotate,90")
    assert (e.value.status, e.value.code) == (400, "InvalidArgument")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.head_object(key, params={"x-oss-process": "image/rotate,90"})
    assert e.value.status == 400
