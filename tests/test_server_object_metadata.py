"""Object metadata a PUT sets comes back on GET/HEAD, as the OSS PutObject page lists it:
Content-Type, Content-Disposition, Content-Encoding, Content-Language, Cache-Control,
Expires and every ``x-oss-meta-*`` header; other request headers are not stored.
alibabacloud-oss-v2 reads it back (``HeadObjectResult``); the ETag is OSS's quoted
upper-case MD5. Metadata belongs to one version of the file: a file rewritten by hand in
ROOT is served as a file put there (type from the extension, MD5 ETag), and so is one
whose metadata record is unreadable. It outlives the server.
"""
from __future__ import annotations

import hashlib
import os

import pytest

import alibabacloud_oss_v2 as osv2

from core.oss.credentials import Credentials
from tests.helpers import running_server

CREDS = Credentials("LTAI5tObjectMeta0001", "Object+Meta/Secret=01")
REGION = "cn-hangzhou"
B = "metabkt"
HEADERS = {"Content-Disposition": 'attachment; filename="r.txt"', "Content-Encoding": "identity",
           "Content-Language": "de-CH", "Cache-Control": "no-cache",
           "Expires": "Wed, 21 Oct 2015 07:28:00 GMT"}


def etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


def meta(result) -> dict[str, str]:
    """x-oss-meta-* as the SDK read them, names lower-case (HTTP names are caseless)."""
    return {k.lower(): v for k, v in (result.metadata or {}).items()}


def client_for(url: str) -> osv2.Client:
    cfg = osv2.config.load_default()
    cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret)
    cfg.region, cfg.endpoint, cfg.retry_max_attempts = REGION, url, 1
    return osv2.Client(cfg)


@pytest.fixture
def root(tmp_path):
    (tmp_path / B).mkdir()
    return tmp_path


def put_with_metadata(c, key: str, data: bytes):
    return c.put_object(osv2.PutObjectRequest(
        bucket=B, key=key, body=data, content_type="text/x-report",
        content_disposition=HEADERS["Content-Disposition"],
        content_encoding=HEADERS["Content-Encoding"], cache_control=HEADERS["Cache-Control"],
        expires=HEADERS["Expires"], metadata={"author": "Zoe", "Project": "x1"},
        headers={"Content-Language": HEADERS["Content-Language"],
                 "x-oss-unstored": "1"}))


def test_put_metadata_comes_back_on_head_and_get(root):
    with running_server(root, "private", (CREDS,), region=REGION) as srv:
        c = client_for(srv.url)
        put_with_metadata(c, "r.txt", b"report")
        h = c.head_object(osv2.HeadObjectRequest(bucket=B, key="r.txt"))
        assert h.content_type == "text/x-report" and h.etag == etag(b"report")
        assert (h.content_disposition, h.content_encoding, h.cache_control, h.expires) == (
            HEADERS["Content-Disposition"], "identity", "no-cache", HEADERS["Expires"])
        assert h.headers["Content-Language"] == "de-CH"
        assert meta(h) == {"author": "Zoe", "project": "x1"}
        assert "x-oss-unstored" not in h.headers
        g = c.get_object(osv2.GetObjectRequest(bucket=B, key="r.txt"))
        assert g.body.read() == b"report"
        assert meta(g) == {"author": "Zoe", "project": "x1"}
        assert g.content_disposition == HEADERS["Content-Disposition"]
    with running_server(root, "private", (CREDS,), region=REGION) as srv:   # persisted
        h = client_for(srv.url).head_object(osv2.HeadObjectRequest(bucket=B, key="r.txt"))
        assert h.content_type == "text/x-report"
        assert meta(h) == {"author": "Zoe", "project": "x1"}


def test_a_file_rewritten_by_hand_loses_the_metadata(root):
    with running_server(root, "private", (CREDS,), region=REGION) as srv:
        c = client_for(srv.url)
        put_with_metadata(c, "r.txt", b"report")
        path = root / B / "r.txt"
        path.write_bytes(b"changed by hand")
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        h = c.head_object(osv2.HeadObjectRequest(bucket=B, key="r.txt"))
        assert h.content_type == "text/plain" and h.etag == etag(b"changed by hand")
        assert not h.metadata and h.content_disposition is None
        assert h.content_length == len(b"changed by hand")


def test_an_unreadable_metadata_record_serves_defaults(root):
    with running_server(root, "private", (CREDS,), region=REGION) as srv:
        c = client_for(srv.url)
        put_with_metadata(c, "r.txt", b"report")
        records = [p for p in (root / ".oss-meta" / B).rglob("*.json")]
        assert len(records) == 1
        records[0].write_text("{not json", "utf-8")
        h = c.head_object(osv2.HeadObjectRequest(bucket=B, key="r.txt"))
        assert h.content_type == "text/plain" and h.etag == etag(b"report")
        assert not h.metadata
        records[0].write_text('{"ident": [1, 2, 3]}', "utf-8")   # no etag: unreadable
        h = c.head_object(osv2.HeadObjectRequest(bucket=B, key="r.txt"))
        assert h.content_type == "text/plain" and not h.metadata


def test_deleting_the_object_drops_its_metadata(root):
    with running_server(root, "private", (CREDS,), region=REGION) as srv:
        c = client_for(srv.url)
        put_with_metadata(c, "r.txt", b"report")
        c.delete_object(osv2.DeleteObjectRequest(bucket=B, key="r.txt"))
        assert not list((root / ".oss-meta" / B).rglob("*.json"))
        (root / B / "r.txt").write_bytes(b"report")             # the same bytes by hand
        h = c.head_object(osv2.HeadObjectRequest(bucket=B, key="r.txt"))
        assert h.content_type == "text/plain" and not h.metadata


def test_copy_keeps_or_replaces_metadata(root):
    with running_server(root, "private", (CREDS,), region=REGION) as srv:
        c = client_for(srv.url)
        put_with_metadata(c, "r.txt", b"report")
        c.copy_object(osv2.CopyObjectRequest(bucket=B, key="copy", source_key="r.txt"))
        h = c.head_object(osv2.HeadObjectRequest(bucket=B, key="copy"))
        assert meta(h) == {"author": "Zoe", "project": "x1"}
        assert (h.content_type, h.cache_control) == ("text/x-report", "no-cache")
        c.copy_object(osv2.CopyObjectRequest(bucket=B, key="copy2", source_key="r.txt",
                                             metadata_directive="REPLACE",
                                             metadata={"other": "y"},
                                             cache_control="max-age=5"))
        h = c.head_object(osv2.HeadObjectRequest(bucket=B, key="copy2"))
        assert meta(h) == {"other": "y"} and h.cache_control == "max-age=5"
        assert h.content_type == "text/x-report"     # REPLACE without one keeps it
        assert h.content_disposition is None


def test_a_bucket_settings_file_without_a_class_name_means_standard(root):
    settings = root / ".oss-meta" / B / "bucket.json"
    settings.parent.mkdir(parents=True)
    with running_server(root, "private", (CREDS,), region=REGION) as srv:
        c = client_for(srv.url)
        for text in ('{"StorageClass": 123}', '{"StorageClass": ""}', "[1]", "{bad"):
            settings.write_text(text, "utf-8")
            c.put_object(osv2.PutObjectRequest(bucket=B, key="o", body=b"x"))
            h = c.head_object(osv2.HeadObjectRequest(bucket=B, key="o"))
            assert h.storage_class == "Standard", text
        settings.write_text('{"StorageClass": "IA"}', "utf-8")
        c.put_object(osv2.PutObjectRequest(bucket=B, key="o", body=b"x"))
        assert c.head_object(osv2.HeadObjectRequest(bucket=B, key="o")).storage_class == "IA"


@pytest.mark.parametrize("operation", ["PutObject", "InitiateMultipartUpload",
                                       "AppendObject"])
def test_a_kept_header_with_a_control_character_is_refused_by_any_front_end(tmp_path,
                                                                            operation):
    """waitress refuses a control character in a header before the service sees it;
    mounted behind another WSGI server the service refuses it itself (400
    InvalidArgument naming the header): a value kept and sent back on every read
    could end a header there. A tab is allowed (HTTP's field values may hold it)."""
    from tests.service_env import error_fields, handle, one_bucket_service
    svc = one_bucket_service(tmp_path, "ctl-bucket")
    query = {"PutObject": {}, "InitiateMultipartUpload": {"uploads": ""},
             "AppendObject": {"append": "", "position": "0"}}[operation]
    method = "PUT" if operation == "PutObject" else "POST"
    for name in ("x-oss-meta-note", "content-disposition"):
        resp = handle(svc, method, "ctl-bucket", "k.txt", query, b"x", {name: "a\x01b"})
        fields = error_fields(resp, 400, "InvalidArgument")
        assert fields["ArgumentName"].lower() == name
    assert handle(svc, "HEAD", "ctl-bucket", "k.txt").status == 404
    ok = handle(svc, method, "ctl-bucket", "k.txt", query, b"x", {"x-oss-meta-note": "a\tb"})
    assert ok.status == 200


@pytest.mark.parametrize("operation", ["PutObject", "AppendObject", "MultipartUpload"])
def test_an_upload_without_content_type_is_application_octet_stream(tmp_path, operation):
    """OSS API reference (PutObject, AppendObject, InitiateMultipartUpload): Content-Type
    defaults to application/octet-stream -- the server does not guess from the name
    (SDKs do that on their side); a file dropped in by hand is another matter (above)."""
    from tests.service_env import handle, one_bucket_service
    svc = one_bucket_service(tmp_path, "ctype-bucket")

    def call(method, query=None, body=b""):
        resp = handle(svc, method, "ctype-bucket", "note.txt", query, body)
        assert resp.status == 200, resp.body
        return resp

    if operation == "PutObject":
        call("PUT", None, b"text")
    elif operation == "AppendObject":
        call("POST", {"append": "", "position": "0"}, b"text")
    else:
        uid = call("POST", {"uploads": ""}).body.decode().split("<UploadId>")[1].split("<")[0]
        call("PUT", {"partNumber": "1", "uploadId": uid}, b"text")
        handle(svc, "POST", "ctype-bucket", "note.txt", {"uploadId": uid}, b"",
               {"x-oss-complete-all": "yes"})
    head = call("HEAD")
    assert head.headers["Content-Type"] == "application/octet-stream"
