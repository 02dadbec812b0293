"""What the embedded server (waitress, ``core/serve/runner.py``) answers to requests it
refuses before the service sees them, byte by byte as a client reads them.

docs/COMPATIBILITY.md ("WSGI on waitress") documents the mapping: a ``Content-Length``
that is not digits, longer than 18 digits, or sent with chunked encoding, a bad chunk, a
start line that is not HTTP, HTTP/0.9 -> 400 ``InvalidRequest``; a body over
``--max-body-mb`` -> ``EntityTooLarge`` with 400 (OSS's status for it, core.errors); oversized
headers -> 431; a transfer coding waitress does not have -> 501 ``NotImplemented`` (OSS's
code and status for an unimplemented feature, shared/spec/oss-img.md). Each answer is an
OSS error document (Code, Message, RequestId) whose RequestId is the ``x-oss-request-id``
header, with the status line's reason phrase of RFC 9110 (Python's ``http.HTTPStatus``),
``Content-Type: application/xml``, a ``Content-Length`` equal to the body, and the
connection closed after it (waitress cannot tell where the next request would start).

A GET or HEAD that declares a ``Content-Length`` (oss2 signs one it never sends a body
for, test_sign_v4_additional_headers) ends with its headers, as OSS answers it at once:
a request pipelined right behind it on the same connection is the next request, not
the first one's body.

Real server on loopback (port 0); no sleeps.
"""
from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from http import HTTPStatus

import pytest
from waitress import wasyncore

from core.serve import runner
from tests.helpers import running_server

B = "wbkt"
MAX_BODY = 100


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("waitress")
    (root / B).mkdir()
    (root / B / "a.txt").write_bytes(b"alpha")
    with running_server(root, "public-read-write", max_body_bytes=MAX_BODY) as srv:
        yield srv


def exchange(port: int, data: bytes, end_input: bool = True) -> bytes:
    """Send ``data``, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        if end_input:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def split_answer(answer: bytes) -> tuple[int, str, dict[str, str], bytes, bytes]:
    """(status, reason, headers by lower-case name, body, what follows the body)."""
    head, _, rest = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.fullmatch(r"HTTP/1\.[01] (\d{3}) (.+)", lines[0])
    assert m, lines[0]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        assert name.lower() not in headers, f"{name} twice"
        headers[name.lower()] = value.strip()
    length = int(headers["content-length"])
    return int(m[1]), m[2], headers, rest[:length], rest[length:]


PUT = b"PUT /wbkt/new.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
REFUSED = [
    # (request, status, code)
    (PUT + b"Content-Length: nope\r\n\r\n", 400, "InvalidRequest"),
    (PUT + b"Content-Length: 1234567890123456789\r\n\r\n", 400, "InvalidRequest"),
    (PUT + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
     400, "InvalidRequest"),
    (PUT + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "InvalidRequest"),
    (b"GARBAGE\r\n\r\n", 400, "InvalidRequest"),
    (b"GET /wbkt/a.txt\r\n\r\n", 400, "InvalidRequest"),                  # HTTP/0.9
    (PUT + b"Content-Length: 100000000\r\n\r\n", 400, "EntityTooLarge"),   # no body sent
    (b"GET /wbkt/a.txt HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n",
     431, None),
    (PUT + b"Transfer-Encoding: gzip\r\n\r\n", 501, "NotImplemented"),
]


@pytest.mark.parametrize("data, status, code", REFUSED,
                         ids=["letters", "19-digits", "with-chunked", "bad-chunk", "garbage",
                              "http-0.9", "huge-body", "huge-headers", "gzip-coding"])
def test_a_refused_request_gets_a_whole_oss_error_answer(server, data, status, code):
    answer = exchange(server.port, data)
    got_status, reason, headers, body, after = split_answer(answer)
    assert (got_status, reason) == (status, HTTPStatus(status).phrase)
    assert headers["content-type"] == "application/xml"
    assert headers["connection"] == "close"
    assert after == b""                                     # nothing after the answer
    doc = ET.fromstring(body)
    assert doc.tag == "Error"
    assert [child.tag for child in doc] == ["Code", "Message", "RequestId", "HostId"]
    if code is not None:
        assert doc.findtext("Code") == code
    assert doc.findtext("Message")
    rid = headers["x-oss-request-id"]
    assert doc.findtext("RequestId") == rid
    assert re.fullmatch(r"[0-9A-F]{24}", rid)
    assert not (server.service.config.root / B / "new.txt").exists()


def test_every_refusal_has_its_own_request_id(server):
    ids = {split_answer(exchange(server.port, b"GARBAGE\r\n\r\n"))[2]["x-oss-request-id"]
           for _ in range(3)}
    assert len(ids) == 3


def test_a_body_over_the_limit_is_refused_by_the_service_once_read(server):
    # Up to the limit's 64 KB slack, waitress reads the body and the service answers:
    # the same EntityTooLarge (400), the connection kept (HTTP/1.1 keep-alive).
    body = b"x" * (MAX_BODY + 1)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(PUT + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
                     + b"GET /wbkt/a.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status, _, headers, first, rest = split_answer(answer)
    assert status == 400 and ET.fromstring(first).findtext("Code") == "EntityTooLarge"
    assert "close" not in headers.get("connection", "")
    status, _, _, second, _ = split_answer(rest)
    assert (status, second) == (200, b"alpha")
    assert not (server.service.config.root / B / "new.txt").exists()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_declared_length_on_get_or_head_is_not_read_as_a_body(server, method):
    first = (f"{method} /wbkt/a.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
             ).encode()
    second = b"GET /wbkt/a.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    # the second request follows at once: were the first's declared 5 bytes read as its
    # body, the second would lose its first 5 bytes and be garbage
    answer = exchange(server.port, first + second, end_input=False)
    status, _, headers, body, rest = split_answer(answer)
    assert status == 200 and headers["content-length"] == "5"
    if method == "HEAD":                     # no body: the next answer follows at once
        rest = answer.partition(b"\r\n\r\n")[2]
    else:
        assert body == b"alpha"
    status, _, headers, body, after = split_answer(rest)
    assert (status, body, after) == (200, b"alpha", b"")


def test_an_expired_over_limit_connection_is_closed_and_no_longer_polled():
    """A connection refused over the limit lives at most LIFETIME seconds (a client that
    never ends its side): then it closes itself and must no longer ask to be read or
    written, in either of waitress's loops -- select() given a closed socket fails with
    EBADF, which would end the server's loop (the server uses the poll loop, which skips
    a closed descriptor, but the dispatcher is waitress's and must work in both)."""
    for poll in (wasyncore.poll, wasyncore.poll2):
        a, b = socket.socketpair()
        other_r, other_w = socket.socketpair()
        try:
            conns: dict = {}
            slow = runner._SlowDown(a, conns)
            seen = []

            class Reader(wasyncore.dispatcher):          # another connection, with input
                def handle_read(self):
                    seen.append(self.recv(10))

                def writable(self):
                    return False

            Reader(other_r, map=conns)
            other_w.sendall(b"x")
            poll(1.0, conns)                    # the 503 is sent, the other one is read
            assert b.recv(65536).startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
            assert seen == [b"x"] and slow.readable() and not slow.writable()
            slow._born -= slow.LIFETIME + 1     # as if LIFETIME seconds had passed
            other_w.sendall(b"y")
            poll(1.0, conns)                    # the expired one closes itself
            assert seen == [b"x", b"y"]
            assert slow not in conns.values()
            assert not slow.readable() and not slow.writable()
            assert b.recv(10) == b""            # the client sees the end
        finally:
            for s in (a, b, other_r, other_w):
                s.close()
