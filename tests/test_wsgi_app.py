"""The WSGI application on its own (no socket): what gunicorn & co. get.

- ``create_app()`` reads OSS_IMG_ROOT, OSS_IMG_ACL, OSS_IMG_REGION, OSS_IMG_DOMAIN,
  OSS_IMG_WORKERS and the OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN
  credentials (its documented variables), with the documented defaults.
- The request target: the raw URI (``%2F`` stays inside the key, as oss2 sends it), an
  absolute-form target (``GET http://host/path``, RFC 9112), or PATH_INFO + QUERY_STRING
  when the server gives no raw URI.
- Header values are UTF-8 as the SDKs send them (x-oss-meta-*), and come back so.
- Status lines carry the standard reason phrase.
"""
from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from core.oss.credentials import Credentials
from core.serve.wsgi import create_app

B = "wsgibkt"


@pytest.fixture
def env_app(tmp_path, monkeypatch):
    for name in ("OSS_IMG_ACL", "OSS_IMG_REGION", "OSS_IMG_DOMAIN", "OSS_IMG_WORKERS",
                 "OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OSS_IMG_ROOT", str(tmp_path))
    (tmp_path / B).mkdir()
    apps = []

    def make(**env):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        apps.append(create_app())
        return apps[-1]

    yield make
    for app in apps:
        app.service.close()


def call(app, method, path, query="", headers=None, body=b"", raw_uri=None,
         raw_name="REQUEST_URI", **extra):
    environ = EnvironBuilder(method=method, path=path, query_string=query,
                             headers=headers or {}, data=body).get_environ()
    for name in ("REQUEST_URI", "RAW_URI"):
        environ.pop(name, None)
    if raw_uri is not None:
        environ[raw_name] = raw_uri
    environ.update(extra)
    out, status, resp_headers = run_wsgi_app(app, environ, buffered=True)
    return status, dict(resp_headers), b"".join(out)


def test_create_app_defaults(env_app):
    cfg = env_app().service.config
    assert (cfg.acl, cfg.region, cfg.domain, cfg.workers) == (
        "public-read", "cn-hangzhou", "localhost", 1)
    assert cfg.credentials == ()


def test_create_app_reads_its_environment(env_app):
    app = env_app(OSS_IMG_ACL="private", OSS_IMG_REGION="cn-shanghai",
                  OSS_IMG_DOMAIN="img.example", OSS_IMG_WORKERS="0",
                  OSS_ACCESS_KEY_ID="LTAI5tWsgiKey000001", OSS_ACCESS_KEY_SECRET="s3cret",
                  OSS_SESSION_TOKEN="CAIStoken")
    cfg = app.service.config
    assert (cfg.acl, cfg.region, cfg.domain, cfg.workers) == (
        "private", "cn-shanghai", "img.example", 0)
    assert cfg.credentials == (Credentials("LTAI5tWsgiKey000001", "s3cret", "CAIStoken"),)
    status, _, body = call(app, "GET", f"/{B}")
    assert status.startswith("403 Forbidden")
    assert ET.fromstring(body).findtext("Code") == "AccessDenied"


@pytest.mark.parametrize("raw_name", ["REQUEST_URI", "RAW_URI"])
def test_request_targets(env_app, raw_name):
    """The request target as sent: REQUEST_URI (waitress, uWSGI, mod_wsgi) or RAW_URI
    (gunicorn) wins over PATH_INFO ("/x" here)."""
    app = env_app(OSS_IMG_ACL="public-read-write", OSS_IMG_WORKERS="0")
    status, _, _ = call(app, "PUT", f"/{B}/a/b.txt", body=b"ab",
                        raw_uri=f"/{B}/a%2Fb.txt", raw_name=raw_name)
    assert status.startswith("200 OK")
    status, _, body = call(app, "GET", "/x", raw_uri=f"http://h.example/{B}/a/b.txt",
                           raw_name=raw_name)
    assert status.startswith("200") and body == b"ab"
    status, _, body = call(app, "GET", "/x", raw_uri=f"http://h.example/{B}?prefix=a/",
                           raw_name=raw_name)
    assert ET.fromstring(body).findtext("Contents/Key") == "a/b.txt"
    status, _, body = call(app, "GET", f"/{B}/a/b.txt")          # from PATH_INFO
    assert body == b"ab"
    status, _, body = call(app, "GET", f"/{B}", query="prefix=a/&max-keys=1")
    assert ET.fromstring(body).findtext("MaxKeys") == "1"
    status, _, body = call(app, "GET", f"/{B}/none")
    assert status.startswith("404 Not Found")


def test_a_target_starting_with_two_slashes_is_a_path(env_app):
    # origin-form (RFC 9112 3.2.1): "//x/y" is a path, never "//authority/path"; the
    # path-style bucket is its first non-empty segment (split_target)
    app = env_app(OSS_IMG_ACL="public-read-write", OSS_IMG_WORKERS="0")
    status, _, _ = call(app, "PUT", f"/{B}/c.txt", body=b"cc")
    assert status.startswith("200 OK")
    status, _, body = call(app, "GET", "/x", raw_uri=f"//{B}/c.txt")
    assert status.startswith("200") and body == b"cc"


def test_utf8_header_values_round_trip(env_app):
    app = env_app(OSS_IMG_ACL="public-read-write", OSS_IMG_WORKERS="0")
    value = "Zoë – 猫".encode("utf-8").decode("latin-1")       # as WSGI hands it over
    status, _, _ = call(app, "PUT", f"/{B}/m.txt", body=b"m",
                        headers={"x-oss-meta-author": value})
    assert status.startswith("200")
    status, headers, body = call(app, "HEAD", f"/{B}/m.txt")
    assert headers["x-oss-meta-author"].encode("latin-1").decode("utf-8") == "Zoë – 猫"
    assert headers["Content-Length"] == "1" and body == b""      # a HEAD has no body


def test_a_head_error_has_no_body_but_says_it_in_x_oss_err(env_app):
    """HEAD answers carry no body (RFC 9110 9.3.2), errors included: OSS puts the error
    document base64-encoded in x-oss-err, which both SDKs decode; Content-Length is the
    document's, as a GET would get it."""
    app = env_app(OSS_IMG_ACL="public-read-write", OSS_IMG_WORKERS="0")
    status, headers, body = call(app, "HEAD", f"/{B}/missing.txt")
    assert status.startswith("404") and body == b""
    document = base64.b64decode(headers["x-oss-err"])
    assert ET.fromstring(document).findtext("Code") == "NoSuchKey"
    assert headers["Content-Length"] == str(len(document))


def test_get_ignores_a_declared_body(env_app):
    app = env_app(OSS_IMG_ACL="public-read-write", OSS_IMG_WORKERS="0")
    call(app, "PUT", f"/{B}/g.txt", body=b"g")
    status, _, body = call(app, "GET", f"/{B}/g.txt", CONTENT_LENGTH="x")
    assert status.startswith("200") and body == b"g"
    status, _, body = call(app, "PUT", f"/{B}/p.txt", CONTENT_LENGTH="x")
    assert status.startswith("400")
    assert ET.fromstring(body).findtext("Code") == "InvalidArgument"


def test_an_environ_without_path_info_is_the_service_root(env_app):
    """PEP 3333 (after CGI) lets a gateway leave PATH_INFO out for a request to the
    application's root, e.g. one mounted at SCRIPT_NAME=/oss asked for /oss: that is
    GetService (ListBuckets), as ``GET /`` is."""
    app = env_app(OSS_IMG_ACL="public-read-write", OSS_IMG_WORKERS="0")
    environ = EnvironBuilder(method="GET", path="/").get_environ()
    for name in ("REQUEST_URI", "RAW_URI", "PATH_INFO"):
        environ.pop(name, None)
    environ["SCRIPT_NAME"] = "/oss"
    out, status, _ = run_wsgi_app(app, environ, buffered=True)
    root = ET.fromstring(b"".join(out))
    assert status.startswith("200 OK") and root.tag == "ListAllMyBucketsResult"
    assert [b.findtext("Name") for b in root.iter("Bucket")] == [B]
