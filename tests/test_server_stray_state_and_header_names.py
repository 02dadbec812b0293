"""Answers of the service that the broad response tests left unpinned: the exact header
names OSS sends (``Content-Type``, ``ETag`` -- spelled so in the OSS API reference's
response examples; WSGI passes the service's names to the wire unchanged), the HTTP status
and ``Method``/``MaxSizeAllowed`` elements of documented errors (OSS error-code table:
MissingArgument 400, MethodNotAllowed 405, EntityTooLarge 400), and the service's own
state folders when they hold something stray: a channel file that is not a channel, a
metadata file that cannot be read (the warning must name what is broken), a bucket's
settings folder left behind when the bucket folder was removed by hand."""
from __future__ import annotations

import io
import logging
import shutil
import xml.etree.ElementTree as ET

import pytest

from core.errors import OssError
from core.serve.live import LiveChannelStore
from core.serve.config import META_DIR
from core.serve.meta import MetaStore
from core.serve.messages import Request
from core.serve.xmlio import read_small
from tests.server_env import BUCKET, error_of, req, root, svc  # noqa: F401 (fixtures)


def test_put_bucket_acl_without_x_oss_acl_is_400_missing_argument(svc):
    resp = svc.handle(req("PUT", query={"acl": ""}))
    assert resp.status == 400
    doc = error_of(resp)
    assert doc["Code"] == "MissingArgument"
    assert doc["ArgumentName"] == "x-oss-acl"


@pytest.mark.parametrize("method", ["PUT", "HEAD", "PATCH"])
def test_method_not_allowed_on_an_upload_names_the_method(svc, method):
    # PUT with uploadId but no partNumber is no multipart call: 405 with <Method>
    resp = svc.handle(req(method, "big.bin", query={"uploadId": "0123456789abcdef"}))
    assert resp.status == 405
    if method != "HEAD":
        doc = error_of(resp)
        assert doc["Code"] == "MethodNotAllowed"
        assert doc["Method"] == method


def test_list_style_answer_is_sent_with_content_type_spelled_as_oss(svc):
    resp = svc.handle(req("GET", query={"style": ""}))
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/xml"
    assert ET.fromstring(resp.body).tag == "StyleList"


def test_not_modified_answer_carries_etag_spelled_as_oss(svc):
    first = svc.handle(req("GET", "dir/a.txt"))
    etag = first.headers["ETag"]
    resp = svc.handle(req("GET", "dir/a.txt", headers={"If-None-Match": etag}))
    assert resp.status == 304
    assert resp.headers["ETag"] == etag
    assert "Last-Modified" in resp.headers


def test_streamed_body_over_the_limit_names_the_limit():
    # no Content-Length (chunked): the size is only known after reading
    r = Request("PUT", BUCKET, None, {}, {}, io.BytesIO(b"x" * 11), None)
    with pytest.raises(OssError) as e:
        read_small(r, 10)
    assert e.value.code == "EntityTooLarge"
    assert e.value.status == 400
    assert e.value.details["MaxSizeAllowed"] == "10"


def _only_file(folder):
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) == 1
    return files[0]


@pytest.mark.parametrize("stray", ["[]", '"text"', '{"Name": "other"}'])
def test_a_channel_file_that_is_not_this_channel_is_no_channel(tmp_path, stray):
    store = LiveChannelStore(tmp_path)
    store.put(BUCKET, {"Name": "cam", "Status": "enabled"})
    assert store.get(BUCKET, "cam")["Name"] == "cam"
    _only_file(store.folder).write_text(stray, encoding="utf-8")
    assert store.get(BUCKET, "cam") is None


def test_an_unreadable_channel_file_is_logged_by_channel_and_bucket(tmp_path, caplog):
    store = LiveChannelStore(tmp_path)
    store.put(BUCKET, {"Name": "cam-7", "Status": "enabled"})
    _only_file(store.folder).write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="core.serve"):
        assert store.get(BUCKET, "cam-7") is None
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "cam-7" in text and BUCKET in text


def test_an_unreadable_metadata_file_is_logged_by_its_path(svc, root, caplog):
    assert svc.handle(req("PUT", "m.txt", body=b"meta",
                          headers={"x-oss-meta-a": "1"})).status == 200
    meta_file = _only_file(root / META_DIR / BUCKET)
    meta_file.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="core.serve"):
        resp = svc.handle(req("HEAD", "m.txt"))
    assert resp.status == 200 and "x-oss-meta-a" not in resp.headers
    text = " ".join(r.getMessage() for r in caplog.records)
    assert str(meta_file) in text


def test_put_bucket_with_class_over_a_stale_settings_folder(svc, root):
    # the bucket folder removed by hand: its metadata folder is still there
    assert svc.handle(req("PUT", "m.txt", body=b"meta",
                          headers={"x-oss-meta-a": "1"})).status == 200
    assert (root / META_DIR / BUCKET).is_dir()
    shutil.rmtree(root / BUCKET)
    body = (b"<CreateBucketConfiguration><StorageClass>IA</StorageClass>"
            b"</CreateBucketConfiguration>")
    assert svc.handle(req("PUT", body=body)).status == 200
    assert svc.handle(req("PUT", "n.txt", body=b"new")).status == 200
    head = svc.handle(req("HEAD", "n.txt"))
    assert head.headers["x-oss-storage-class"] == "IA"
    assert MetaStore(root).bucket_class(BUCKET) == "IA"


def test_promoting_a_version_through_a_folder_leading_outside_is_refused_as_put(tmp_path):
    # Deleting a delete marker makes the previous version current again: a write of the
    # key. When the key's folder became a symlink out of the bucket, the answer is the
    # one PutObject of that key gets, and nothing is written outside.
    from tests.server_env import make_service
    top = tmp_path / "root"
    (top / BUCKET).mkdir(parents=True)
    s = make_service(top)
    on = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    assert s.handle(req("PUT", query={"versioning": ""}, body=on)).status == 200
    for data in (b"one", b"two"):
        assert s.handle(req("PUT", "d/k", body=data)).status == 200
    marker = s.handle(req("DELETE", "d/k")).headers["x-oss-version-id"]
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(top / BUCKET / "d", ignore_errors=True)
    (top / BUCKET / "d").symlink_to(outside, target_is_directory=True)
    put = s.handle(req("PUT", "d/k", body=b"three"))
    assert put.status == 400
    undelete = s.handle(req("DELETE", "d/k", query={"versionId": marker}))
    assert undelete.status == put.status
    assert error_of(undelete)["Code"] == error_of(put)["Code"]
    assert list(outside.iterdir()) == []


def test_an_oversized_bucket_acl_file_is_not_read(tmp_path, caplog):
    """A bucket's own ACL file holds one ACL name; a big file there (put by hand) is not
    read into memory -- it is refused unread, logged, and the server's ACL applies, even
    when it starts with a valid name."""
    from core.serve.access import BucketAclStore
    store = BucketAclStore(tmp_path)
    store.put(BUCKET, "private")
    assert store.get(BUCKET) == "private"
    path = store.folder / BUCKET
    path.write_bytes(b"private" + b" " * (1 << 20))
    with caplog.at_level(logging.WARNING, logger="core.serve"):
        assert store.get(BUCKET) is None
    assert str(path) in " ".join(r.getMessage() for r in caplog.records)
