"""The size of a callback server's answer (docs/COMPATIBILITY.md, "Upload callbacks"): a
200 with a JSON body of at most 3 MB is the upload's response body, byte for byte; one
byte more is a failed callback, 203 CallbackFailed with the message OSS's "HTTP status
code 203" page publishes for it, "Error Status : 400.User server return too long
content-length value." (compared without case: that page writes "Error Status", the
live service's messages of the same family read "Error status : 502." in the C# SDK's
ObjectCallbackTest). The object stays stored either way, and the 203 carries the upload's
ETag. No more than 3 MB + 1 bytes are read: an answer declared larger that never
ends fails the same way at once, not after the callback timeout. A redirect is not
followed: a 302 is a failed callback like any non-200 answer.
"""
from __future__ import annotations

import base64
import hashlib
import json
import socketserver
import threading
import xml.etree.ElementTree as ET

import pytest

from tests.helpers import one_bucket_server
from tests.server_http_helpers import call
from tests.callback_env import callback_server  # noqa: F401 (fixture)

BUCKET = "cb-size"
LIMIT = 3 * 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, callback_timeout=10) as (srv, _):
        yield srv


def json_of_size(size: int) -> bytes:
    body = b'{"a":"' + b"x" * (size - 8) + b'"}'
    assert len(body) == size
    json.loads(body)
    return body


def upload(server, callback_server, key):
    spec = {"callbackUrl": callback_server.url, "callbackBody": "k=${object}"}
    headers = {"x-oss-callback": base64.b64encode(json.dumps(spec).encode()).decode()}
    return call(server, "PUT", f"/{BUCKET}/{key}", b"payload", headers)


def test_an_answer_of_3_mb_is_the_uploads_body(server, callback_server):
    callback_server.body = json_of_size(LIMIT)
    status, headers, body = upload(server, callback_server, "fits.txt")
    assert status == 200 and body == callback_server.body
    assert headers["content-type"] == "application/json"


def test_one_byte_more_is_osss_too_long_failure(server, callback_server):
    callback_server.body = json_of_size(LIMIT + 1)
    status, headers, body = upload(server, callback_server, "over.txt")
    assert status == 203
    doc = ET.fromstring(body)
    assert doc.findtext("Code") == "CallbackFailed"
    assert doc.findtext("Message").lower() == (
        "error status : 400.user server return too long content-length value.")
    assert doc.findtext("Message").endswith(   # these words as the OSS 203 page writes them
        "User server return too long content-length value.")
    assert headers["etag"] == '"%s"' % hashlib.md5(b"payload").hexdigest().upper()
    assert call(server, "GET", f"/{BUCKET}/over.txt")[2] == b"payload"


class _StallingAnswer(socketserver.ThreadingTCPServer):
    """A callback server that declares a 100 MB JSON answer, sends its first 3 MB + 1
    bytes and then holds the connection open (a server that never finishes its answer)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.done = threading.Event()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                length = 0
                while (line := self.rfile.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.rfile.read(length)
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n" % (100 * 1024 * 1024))
                self.wfile.write(b'{"a":"' + b"x" * (LIMIT - 5))
                self.wfile.flush()
                outer.done.wait(30)

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, args=(0.01,), daemon=True).start()

    def close(self) -> None:
        self.done.set()
        self.shutdown()
        self.server_close()


def test_an_answer_declared_over_3_mb_fails_without_waiting_for_its_end(server):
    # OSS reads no more than 3 MB of the answer: a server that declares 100 MB and stalls
    # after 3 MB + 1 bytes is the same too-long failure at once, not a callback timeout
    # (the server's callback_timeout here is 10 s; the answer never ends)
    stalling = _StallingAnswer()
    try:
        status, _, body = upload(server, stalling, "stalled.txt")
    finally:
        stalling.close()
    assert status == 203
    doc = ET.fromstring(body)
    assert doc.findtext("Code") == "CallbackFailed"
    assert doc.findtext("Message").lower() == (
        "error status : 400.user server return too long content-length value.")


def test_a_redirect_is_a_failed_callback_and_is_not_followed(server, callback_server):
    # no redirect is followed (an SSRF relay otherwise): a 302 is the callback server's
    # non-200 answer, 203 CallbackFailed "Error status : 302.", and the target of its
    # Location never hears of the upload
    import http.server

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(302)
            self.send_header("Location", callback_server.url + "/moved")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    redirecting = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=redirecting.serve_forever, args=(0.01,), daemon=True).start()
    try:
        redirecting.url = f"http://127.0.0.1:{redirecting.server_address[1]}"
        status, _, body = upload(server, redirecting, "redirected.txt")
    finally:
        redirecting.shutdown()
        redirecting.server_close()
    assert status == 203
    doc = ET.fromstring(body)
    assert doc.findtext("Code") == "CallbackFailed"
    assert doc.findtext("Message").lower() == "error status : 302."
    assert callback_server.requests == []
