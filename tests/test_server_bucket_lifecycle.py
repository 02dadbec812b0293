"""What a bucket's and an object's stored state looks like after deletes and hand edits,
read by the SDKs (written after the fresh mutation sample of issue 16c, from its
survivors):

- DeleteBucket forgets the bucket's settings: a bucket created again under the same name
  without a StorageClass is Standard again (CreateBucketConfiguration applies to the new
  bucket only).
- AppendObject answers an ETag (oss2's AppendObjectResult reads one), the same one HEAD
  then reports.
- A metadata record reduced to its identity, ETag and CRC (an older or hand-written one)
  means the defaults: Normal, ACL default, Standard.
- A full-format style file without CreateTime/LastModifyTime reports the file's own
  modification time for both.
"""
from __future__ import annotations

import json
import os

import oss2
import pytest
import requests

from tests.helpers import running_server

B = "lifebkt"
T = 1_700_000_000
T_HTTP = "Tue, 14 Nov 2023 22:13:20 GMT"


@pytest.fixture
def srv(tmp_path):
    (tmp_path / B).mkdir()
    with running_server(tmp_path, "public-read-write") as server:
        server.root = tmp_path
        yield server


def test_a_bucket_created_again_does_not_inherit_the_old_class(srv):
    url = f"{srv.url}/again-bkt"
    config = (b"<CreateBucketConfiguration><StorageClass>IA</StorageClass>"
              b"</CreateBucketConfiguration>")
    assert requests.put(url, data=config).status_code == 200
    requests.put(f"{url}/o", data=b"x")
    assert requests.head(f"{url}/o").headers["x-oss-storage-class"] == "IA"
    assert requests.delete(f"{url}/o").status_code == 204
    assert requests.delete(url).status_code == 204
    assert requests.put(url).status_code == 200
    requests.put(f"{url}/o", data=b"x")
    assert requests.head(f"{url}/o").headers["x-oss-storage-class"] == "Standard"


def test_append_answers_the_etag_head_reports(srv):
    bucket = oss2.Bucket(oss2.AnonymousAuth(), srv.url, B)
    first = bucket.append_object("log", 0, b"abc")
    assert first.etag and first.next_position == 3
    second = bucket.append_object("log", 3, b"de")
    assert second.etag == bucket.head_object("log").etag
    assert second.etag != first.etag


def test_a_minimal_metadata_record_means_the_defaults(srv):
    requests.put(f"{srv.url}/{B}/m.txt", data=b"m",
                 headers={"x-oss-object-acl": "public-read", "Content-Type": "text/x-m"})
    (record,) = (srv.root / ".oss-meta" / B).rglob("*.json")
    full = json.loads(record.read_text("utf-8"))
    record.write_text(json.dumps({k: full[k] for k in ("ident", "etag", "crc64")}), "utf-8")
    h = requests.head(f"{srv.url}/{B}/m.txt")
    assert h.headers["x-oss-object-type"] == "Normal"
    assert h.headers["x-oss-storage-class"] == "Standard"
    assert h.headers["Content-Type"] == "text/plain"          # no stored type: by extension
    acl = requests.get(f"{srv.url}/{B}/m.txt?acl").content
    assert b"<Grant>default</Grant>" in acl


def test_a_style_file_without_times_reports_its_modification_time(srv):
    folder = srv.root / ".oss-styles"
    folder.mkdir()
    path = folder / f"{B}.json"
    path.write_text(json.dumps({"format": "oss-img-styles/1", "styles": {
        "s": {"Content": "image/resize,w_5"}}}), "utf-8")
    os.utime(path, (T, T))
    body = requests.get(f"{srv.url}/{B}?style&styleName=s").content
    assert b"<CreateTime>" + T_HTTP.encode() + b"</CreateTime>" in body
    assert b"<LastModifyTime>" + T_HTTP.encode() + b"</LastModifyTime>" in body
    assert b"<Category>image</Category>" in body
