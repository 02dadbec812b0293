"""POST ?x-oss-process with sys/saveas, and POST ?x-oss-async-process, with oss2 as the
client of a private ``oss-img serve`` on loopback.

Expected values are OSS's: the saveas answer is JSON with bucket (the b_ value as given,
"" without it: oss2's own test_process_object checks both), fileSize, object and status
"OK" ("Save processed images"); a resize to w_100 of a 400x300 source is 100x75; OSS
refuses image actions in async mode with code "Imm Client" (oss2's
test_async_process_object).
"""
from __future__ import annotations

import base64
import json

import oss2
import pytest
import requests

from core.oss.credentials import Credentials
from tests.helpers import WORKER_CODE, decode, running_server, solid

CREDS = Credentials("LTAI5tSaveAsServerKey1", "SaveAs+Server/Secret=1")
BUCKET, OTHER = "saveas-bucket", "saveas-other"
SOURCE = solid(400, 300, (10, 120, 240))


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("saveas-root")
    (root / BUCKET).mkdir()
    (root / OTHER).mkdir()
    (root / BUCKET / "src.png").write_bytes(SOURCE)
    with running_server(root, "public-read", (CREDS,)) as srv:
        yield srv


@pytest.fixture
def bucket(server) -> oss2.Bucket:
    return oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), server.url,
                       BUCKET)


def test_saveas_to_the_same_bucket(bucket):
    result = bucket.process_object("src.png",
                                   f"image/resize,w_100|sys/saveas,o_{b64('thumbs/a.jpg')}")
    assert result.status == 200
    assert (result.bucket, result.object, result.process_status) == ("", "thumbs/a.jpg", "OK")
    saved = bucket.get_object("thumbs/a.jpg")
    data = saved.read()
    assert result.fileSize == len(data)
    assert decode(data).size == (100, 75)
    assert saved.headers["Content-Type"] == "image/png"    # the source's format is kept


def test_saveas_to_another_bucket_with_format_and_no_padding(bucket, server):
    process = (f"image/resize,w_100/format,jpg|sys/saveas,o_{b64('x.jpg').rstrip('=')},"
               f"b_{b64(OTHER).rstrip('=')}")
    result = bucket.process_object("src.png", process)
    assert (result.bucket, result.object) == (OTHER, "x.jpg")
    other = oss2.Bucket(bucket.auth, server.url, OTHER)
    saved = other.get_object("x.jpg")
    data = saved.read()
    assert data[:3] == b"\xff\xd8\xff" and saved.headers["Content-Type"] == "image/jpeg"
    assert result.fileSize == len(data)
    assert not bucket.object_exists("x.jpg")


def test_saveas_with_a_style(bucket):
    bucket.put_bucket_style("small", "image/resize,w_40")
    result = bucket.process_object("src.png", f"style/small|sys/saveas,o_{b64('s.png')}")
    assert decode(bucket.get_object("s.png").read()).size == (40, 30)
    assert result.object == "s.png"


@pytest.mark.parametrize("process, code, status", [
    ("image/resize,w_100", "InvalidArgument", 400),                       # no saveas
    (f"image/resize,w_100|sys/saveas,b_{b64(BUCKET)}", "MissingArgument", 400),
    ("image/resize,w_100|sys/saveas,o_!!!notbase64", "InvalidArgument", 400),
    (f"image/resize,w_100|sys/saveas,o_{b64('a.png')},b_{b64('no-such-bucket')}",
     "NoSuchBucket", 404),
    (f"image/resize,w_100|sys/saveas,o_{b64('a.png')},b_{b64('Bad_Name')}",
     "InvalidBucketName", 400),
    (f"image/resize,w_100|sys/saveas,o_{b64('../escape.png')}", "InvalidObjectName", 400),
    (f"image/resize,w_100|sys/other,o_{b64('a.png')}", "InvalidArgument", 400),
    (f"image/resize,w_0|sys/saveas,o_{b64('a.png')}", "InvalidArgument", 400),
])
def test_saveas_errors(bucket, process, code, status):
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.process_object("src.png", process)
    assert (info.value.code, info.value.status) == (code, status)
    assert not bucket.object_exists("a.png")


def test_saveas_of_a_missing_source_is_no_such_key(bucket):
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.process_object("missing.png", f"image/resize,w_10|sys/saveas,o_{b64('m.png')}")


def test_saveas_needs_write_permission(server):
    # public-read: an anonymous GET processes, an anonymous saveas is refused
    url = f"{server.url}/{BUCKET}/src.png"
    assert requests.get(url, params={"x-oss-process": "image/resize,w_10"}).status_code == 200
    resp = requests.post(url + "?x-oss-process",
                         data=f"x-oss-process=image/resize,w_10|sys/saveas,o_{b64('anon.png')}")
    assert resp.status_code == 403 and b"<Code>AccessDenied</Code>" in resp.content
    assert requests.head(f"{server.url}/{BUCKET}/anon.png").status_code == 404


def test_saveas_in_a_get_is_refused(server):
    resp = requests.get(f"{server.url}/{BUCKET}/src.png",
                        params={"x-oss-process": f"image/resize,w_10|sys/saveas,o_{b64('g.png')}"})
    assert resp.status_code == 400 and b"<Code>InvalidArgument</Code>" in resp.content
    assert requests.head(f"{server.url}/{BUCKET}/g.png").status_code == 404


@pytest.mark.parametrize("process", ["image/resize,w_100", "image/resize,w_100/rotate,90",
                                     "style/small"])
def test_async_image_processing_is_refused_as_oss_does(bucket, process):
    # the kind is the first segment of the process, however many steps follow
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.async_process_object(
            "src.png", f"{process}|sys/saveas,o_{b64('async.png')},b_{b64(BUCKET)}")
    assert info.value.code == "Imm Client" and info.value.status == 400
    assert not bucket.object_exists("async.png")


@pytest.mark.parametrize("process", ["video/convert,f_mp4", "doc/convert,target_png",
                                     "audio/convert,f_mp3", "image/deblindwatermark",
                                     "video"])
def test_async_imm_processing_is_not_implemented(bucket, process):
    """What OSS does run asynchronously needs IMM (or blind watermarks): 501 here. The kind
    is what precedes the first '/' of the first '|' segment, also when that segment is
    the kind alone ("video|sys/saveas,...")."""
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.async_process_object(
            "src.png", f"{process}|sys/saveas,o_{b64('v.out')},b_{b64(BUCKET)}")
    assert (info.value.code, info.value.status) == ("NotImplemented", 501)


def test_saveas_json_is_what_oss_documents(server):
    """The raw answer: JSON with exactly OSS's four fields."""
    auth = oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret)
    url = oss2.Bucket(auth, server.url, BUCKET).sign_url("POST", "src.png", 60,
                                                          params={"x-oss-process": ""})
    resp = requests.post(url, data=f"x-oss-process=image/crop,w_10,h_20|sys/saveas,"
                                   f"o_{b64('raw.png')},b_{b64(BUCKET)}")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json"
    body = json.loads(resp.content)
    assert set(body) == {"bucket", "fileSize", "object", "status"}
    assert (body["bucket"], body["object"], body["status"]) == (BUCKET, "raw.png", "OK")


@pytest.mark.mutation_scope(*WORKER_CODE, "core.serve.saveas")
def test_saveas_runs_in_the_image_workers(tmp_path):
    """With worker processes (the CLI's default) the result is the same."""
    (tmp_path / BUCKET).mkdir()
    (tmp_path / BUCKET / "src.png").write_bytes(SOURCE)
    with running_server(tmp_path, "private", (CREDS,), workers=1) as srv:
        b = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), srv.url,
                        BUCKET)
        result = b.process_object("src.png", f"image/resize,w_80|sys/saveas,o_{b64('w.png')}")
        assert result.process_status == "OK"
        assert decode(b.get_object("w.png").read()).size == (80, 60)


def test_saveas_with_the_v2_sdk(server):
    """alibabacloud-oss-v2 parses the same JSON into its ProcessObjectResult."""
    import alibabacloud_oss_v2 as osv2

    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret)
    cfg.region, cfg.endpoint = "cn-hangzhou", server.url
    client = osv2.Client(cfg)
    result = client.process_object(osv2.ProcessObjectRequest(
        bucket=BUCKET, key="src.png",
        process=f"image/resize,w_100|sys/saveas,o_{b64('v2.png')},b_{b64(BUCKET)}"))
    assert (result.bucket, result.key, result.process_status) == (BUCKET, "v2.png", "OK")
    stored = client.get_object(osv2.GetObjectRequest(bucket=BUCKET, key="v2.png"))
    assert result.file_size == len(stored.body.read())


def test_saveas_of_a_frozen_archive_object_is_refused(bucket):
    """Archive objects must be restored before they are read, processing included."""
    bucket.put_object("cold.png", SOURCE, headers={"x-oss-storage-class": "Archive"})
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.process_object("cold.png", f"image/resize,w_10|sys/saveas,o_{b64('c.png')}")
    assert (info.value.code, info.value.status) == ("InvalidObjectState", 403)
    assert not bucket.object_exists("c.png")


def test_saveas_target_gets_the_target_buckets_storage_class(bucket, server):
    cold = oss2.Bucket(bucket.auth, server.url, "saveas-cold")
    cold.create_bucket(oss2.BUCKET_ACL_PRIVATE,
                       oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_IA))
    bucket.process_object("src.png", f"image/resize,w_10|sys/saveas,o_{b64('ia.png')},"
                                     f"b_{b64('saveas-cold')}")
    assert cold.head_object("ia.png").headers["x-oss-storage-class"] == "IA"
    assert bucket.head_object("src.png").headers["x-oss-storage-class"] == "Standard"


def test_anonymous_saveas_needs_write_access_to_the_target_bucket(tmp_path):
    """On a public-read-write server an unsigned saveas may write an open bucket, not one
    whose own ACL is private (per-bucket ACLs, PutBucketAcl)."""
    for name in (BUCKET, OTHER):
        (tmp_path / name).mkdir()
    (tmp_path / BUCKET / "src.png").write_bytes(SOURCE)
    with running_server(tmp_path, "public-read-write", (CREDS,)) as srv:
        auth = oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret)
        oss2.Bucket(auth, srv.url, OTHER).put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
        anon = oss2.Bucket(oss2.AnonymousAuth(), srv.url, BUCKET)
        ok = anon.process_object("src.png", f"image/resize,w_10|sys/saveas,o_{b64('o.png')}")
        assert ok.object == "o.png" and anon.object_exists("o.png")
        with pytest.raises(oss2.exceptions.AccessDenied):
            anon.process_object("src.png", f"image/resize,w_10|sys/saveas,o_{b64('p.png')},"
                                           f"b_{b64(OTHER)}")
        assert not oss2.Bucket(auth, srv.url, OTHER).object_exists("p.png")


@pytest.mark.parametrize("process, named", [
    (f"image/resize,w_100|sys/other,o_{b64('a.png')}", "(got 'sys/other')"),
    ("image/resize,w_100|saveas", "(got 'saveas')"),
    (f"image/resize,w_100|sys/saveas,o_{b64('a.png')}|sys/saveas,o_{b64('b.png')}",
     "Only one '|sys/saveas'"),
])
def test_a_wrong_tail_is_named_in_the_error(bucket, process, named):
    """The 400 says which part after '|' is wrong: the action it found, or the second
    pipe; nothing is written."""
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.process_object("src.png", process)
    err = info.value
    assert (err.status, err.code, err.details.get("ArgumentName")) == (
        400, "InvalidArgument", "x-oss-process")
    assert named in err.message
    assert not bucket.object_exists("a.png") and not bucket.object_exists("b.png")
