"""What every answer of ``oss-img serve`` carries on the wire, and what reaches the service
of what a client sent.

OSS's common response headers (Alibaba Cloud OSS API reference, "Common HTTP headers"):
``Content-Length``, ``Connection``, ``Date``, ``Server`` (OSS's own is ``AliyunOSS``;
this server names itself ``oss-img``, docs/COMPATIBILITY.md) and ``x-oss-request-id``; an
error answer is ``Content-Type: application/xml``. Every request header a client signs
must reach the signature check unchanged, proxy headers (``X-Forwarded-For``,
``Forwarded``) included: a V4 signer may list any header in ``AdditionalHeaders``
(oss2's ``sign_url(..., additional_headers=...)``), and there is no proxy in front of
this server whose word these headers would be.
"""
from __future__ import annotations

import email.utils
import http.client
import re

import oss2
import pytest
import requests

from core.oss.credentials import Credentials
from core.serve.messages import Request
from tests.helpers import one_bucket_server

B = "wirebkt"
CREDS = Credentials("LTAI5tWireHeaders001", "Wire+Headers/Secret=01")
BODY = b"wire headers"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, B, "private", (CREDS,)) as (server, root):
        (root / B / "a.txt").write_bytes(BODY)
        yield server


def raw(server, method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers (every one, in order) and body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def signed_path(server, key: str) -> str:
    url = oss2_bucket(server).sign_url("GET", key, 300)
    return url[len(server.url):]


def oss2_bucket(server) -> oss2.Bucket:
    auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret))
    return oss2.Bucket(auth, server.url, B, region="cn-hangzhou")


def check_common(headers: list[tuple[str, str]], body: bytes) -> dict[str, str]:
    named = {name.lower(): value for name, value in headers}
    assert named["server"] == "oss-img"
    assert email.utils.parsedate_to_datetime(named["date"]).tzname() == "UTC"
    assert named["content-length"] == str(len(body))
    assert re.fullmatch(r"[0-9A-F]{24}", named["x-oss-request-id"])
    return named


def test_a_successful_answer_has_the_common_headers(srv):
    status, headers, body = raw(srv, "GET", signed_path(srv, "a.txt"))
    assert (status, body) == (200, BODY)
    check_common(headers, body)


@pytest.mark.parametrize("path, status, code", [
    (f"/{B}/a.txt", 403, "AccessDenied"),                # anonymous on a private server
    ("/nobucket/a.txt", 404, "NoSuchBucket"),
])
def test_an_error_answer_has_the_common_headers_and_content_type(srv, path, status, code):
    got, headers, body = raw(srv, "GET", path)
    assert got == status and f"<Code>{code}</Code>".encode() in body
    named = check_common(headers, body)
    assert named["content-type"] == "application/xml"


def test_a_signed_missing_key_is_a_404_with_content_type(srv):
    status, headers, body = raw(srv, "GET", signed_path(srv, "missing.txt"))
    assert status == 404 and b"<Code>NoSuchKey</Code>" in body
    assert check_common(headers, body)["content-type"] == "application/xml"


def test_the_service_api_names_content_type_as_http_does(srv):
    # OssService.handle is the HTTP-free API (embedding, other WSGI servers): its error
    # answers carry the header under its canonical name, as every other answer does
    resp = srv.service.handle(Request("GET", B, "a.txt"))
    assert resp.status == 403
    assert resp.headers["Content-Type"] == "application/xml"
    head = srv.service.handle(Request("HEAD", B, "a.txt"))
    assert head.status == 403 and head.headers["Content-Type"] == "application/xml"


@pytest.mark.parametrize("name, value", [
    ("X-Forwarded-For", "203.0.113.7"),
    ("X-Forwarded-Host", "images.example.com"),
    ("Forwarded", "for=203.0.113.7;proto=https"),
])
def test_signed_proxy_headers_reach_the_signature_check(tmp_path_factory, name, value):
    with one_bucket_server(tmp_path_factory, B, "private", (CREDS,)) as (srv, root):
        (root / B / "a.txt").write_bytes(BODY)
        signed_proxy_headers(srv, name, value)


def signed_proxy_headers(srv, name: str, value: str) -> None:
    url = oss2_bucket(srv).sign_url("GET", "a.txt", 300, headers={name: value},
                                    additional_headers=[name.lower()])
    assert f"x-oss-additional-headers={name.lower()}" in url
    r = requests.get(url, headers={name: value}, timeout=10)
    assert (r.status_code, r.content) == (200, BODY)
    other = requests.get(url, headers={name: value + "0"}, timeout=10)
    assert other.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in other.content
