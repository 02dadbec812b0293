"""``oss-img serve`` over HTTP: a real server on loopback (port 0), chunked uploads, bad
requests answered in XML, keep-alive, logs without secrets, the CLI and the connection cap.
See test_server.py for the OSS semantics driven directly."""
from __future__ import annotations

import base64
import http.client
import logging
import re
import socket
import xml.etree.ElementTree as ET

import pytest
import requests

from core.oss import signing
from core.serve.config import redact
from core.oss.urls import BucketAddress
from tests.helpers import running_server

from tests.server_env import (BUCKET, CREDS, IMG, STS, TRAVERSALS, size_of)
from tests.server_env import root  # noqa: F401 (fixtures)


# ----------------------------------------------------------------------------- HTTP

def running(root, acl="public-read-write", **kw):
    return running_server(root, acl, (CREDS,), **kw)


@pytest.fixture
def web(root):
    with running(root) as server:
        yield server


def raw_request(server, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_http_round_trip_and_virtual_hosted(web):
    s = requests.Session()
    r = s.put(f"{web.url}/{BUCKET}/h/x.png", data=IMG)
    assert r.status_code == 200 and r.headers["ETag"]
    r = s.get(f"{web.url}/{BUCKET}/h/x.png", params={"x-oss-process": "image/resize,w_20"})
    assert r.status_code == 200 and size_of(r.content) == (20, 15)
    assert r.headers["Content-Length"] == str(len(r.content))
    assert re.fullmatch(r"[0-9A-F]{24}", r.headers["x-oss-request-id"])
    status, headers, body = raw_request(web, "GET", "/h/x.png",
                                        {"Host": f"{BUCKET}.localhost:{web.port}"})
    assert status == 200 and body == IMG
    r = s.head(f"{web.url}/{BUCKET}/missing")
    assert r.status_code == 404 and r.content == b""
    assert b"NoSuchKey" in base64.b64decode(r.headers["x-oss-err"])
    r = s.get(f"{web.url}/{BUCKET}/missing")
    assert r.headers["Content-Type"] == "application/xml"
    assert ET.fromstring(r.content).find("Code").text == "NoSuchKey"
    r = s.delete(f"{web.url}/{BUCKET}/h/x.png")
    assert r.status_code == 204


def test_http_chunked_upload(web, root):
    def gen():
        yield b"part1-"
        yield b"part2"

    r = requests.put(f"{web.url}/{BUCKET}/chunked.txt", data=gen())
    assert r.status_code == 200
    assert (root / BUCKET / "chunked.txt").read_bytes() == b"part1-part2"


def test_http_body_too_large_is_refused_and_the_connection_stays_usable(root):
    with running(root, max_body_bytes=100) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("PUT", f"/{BUCKET}/big", body=b"x" * 101)
            resp = conn.getresponse()
            assert resp.status == 400 and b"EntityTooLarge" in resp.read()
            # the unread body never reaches the next request on the same connection
            conn.request("GET", f"/{BUCKET}/img.png")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read() == IMG
        finally:
            conn.close()
        assert not (root / BUCKET / "big").exists()


@pytest.mark.parametrize("raw", TRAVERSALS + ["/../../secret.txt"])
def test_http_traversal_refused(web, tmp_path, raw):
    for method in ("GET", "PUT"):
        status, _, body = raw_request(web, method, f"/{BUCKET}/{raw}",
                                      body=b"pwned" if method == "PUT" else None)
        assert status in (400, 404), (raw, method, status)
        assert b"top secret" not in body
    status, _, body = raw_request(web, "GET", f"/{raw}",
                                  {"Host": f"{BUCKET}.localhost:{web.port}"})
    assert status in (400, 404) and b"top secret" not in body
    assert (tmp_path / "secret.txt").read_bytes() == b"top secret"


def send_raw(port: int, data: bytes) -> bytes:
    """Send bytes, read the whole answer (the server closes after a bad request)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_http_bad_requests_get_xml_and_the_server_survives(web):
    data = send_raw(web.port, b"GARBAGE\r\n\r\n")
    assert data.startswith(b"HTTP/1.") and b"<Error>" in data
    data = send_raw(web.port, b"PUT /bkt/x HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n")
    assert b" 400 " in data.split(b"\r\n")[0] and b"<Error>" in data
    rid = re.search(rb"(?i)x-oss-request-id: (\w+)", data)[1]
    assert b"<RequestId>" + rid + b"</RequestId>" in data
    data = send_raw(web.port, b"PUT /bkt/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
                              b"\r\n\r\nzz\r\n")
    assert b" 400 " in data.split(b"\r\n")[0]
    status, _, body = raw_request(web, "BREW", f"/{BUCKET}/img.png")
    assert status in (405, 501) and b"<Error>" in body
    assert requests.get(f"{web.url}/{BUCKET}/img.png").status_code == 200


def test_http_keep_alive_serves_several_requests(web):
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", f"/{BUCKET}/img.png")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read() == IMG
    finally:
        conn.close()


def test_http_logs_never_carry_secrets(root, caplog):
    with running(root, acl="private") as server:
        address = BucketAddress.from_endpoint(f"127.0.0.1:{server.port}", BUCKET)
        url = signing.presign(address, "img.png", STS, version="v1").url
        with caplog.at_level(logging.INFO, "core.serve"):
            requests.get(url)
            requests.get(f"{server.url}/{BUCKET}/img.png?security-token=CAIS%2Bleak&x=1")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "img.png" in text
    assert "CAIS" not in text and STS.access_key_id not in text
    assert redact("/b/k?Signature=abc&x-oss-process=image/x&security-token=t") == \
        "/b/k?Signature=***&x-oss-process=image/x&security-token=***"


def test_cli_registers_serve_and_private_needs_credentials(root, monkeypatch, capsys):
    from core.cli import main as cli_main, build_parser

    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    args = build_parser().parse_args(["serve", str(root), "--port", "0", "--acl",
                                          "private", "--separators", "!"])
    assert args.port == 0 and args.separators == "!" and callable(args.func)
    assert cli_main(["serve", str(root), "--acl", "private"]) == 1
    assert capsys.readouterr().err.startswith("MissingArgument: ")


def test_connections_beyond_the_cap_get_slow_down(root):
    with running(root, max_connections=1) as server:
        held = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            held.request("GET", f"/{BUCKET}/img.png")   # accepted: holds the only slot
            assert held.getresponse().read() == IMG
            data = send_raw(server.port, b"GET /bkt/img.png HTTP/1.1\r\nHost: a\r\n\r\n")
            assert data.startswith(b"HTTP/1.1 503") and b"<Code>SlowDown</Code>" in data
        finally:
            held.close()
