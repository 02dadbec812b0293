"""``oss-img serve`` at the boundaries, over real HTTP (black box, so the tests outlive any
rewrite of the service's internals).

OSS GetObject (help doc "GetObject", Range and conditional headers): an invalid or
unsatisfiable Range gets the whole object with 200; If-Modified-Since answers 304 when the
object was *not* modified after the given time (so the exact Last-Modified second is 304);
If-Unmodified-Since answers 412 when it *was* modified after the time.
"""
from __future__ import annotations

import http.client
from email.utils import formatdate, parsedate_to_datetime

import pytest

from core.serve.runner import serve

BODY = bytes(range(100))


@pytest.fixture
def web(tmp_path):
    root = tmp_path / "root"
    (root / "bkt").mkdir(parents=True)
    (root / "bkt" / "r.bin").write_bytes(BODY)
    server = serve(root, "127.0.0.1", 0, "public-read")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def get(server, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# -- Range: both sides of "first byte past the end" ----------------------------------------

@pytest.mark.parametrize("spec,first,last", [
    ("bytes=99-150", 99, 99),      # last byte: satisfiable, clipped to the end
    ("bytes=0-0", 0, 0),
    ("bytes=98-99", 98, 99),
    ("bytes=-1", 99, 99),
    ("bytes=-100", 0, 99),
    ("bytes=-150", 0, 99),         # suffix longer than the object: the whole object, as 206
])
def test_satisfiable_ranges_are_partial(web, spec, first, last):
    status, headers, body = get(web, "/bkt/r.bin", {"Range": spec})
    assert status == 206
    assert body == BODY[first:last + 1]
    assert headers["content-range"] == f"bytes {first}-{last}/100"
    assert headers["content-length"] == str(last - first + 1)


@pytest.mark.parametrize("spec", ["bytes=100-150", "bytes=100-", "bytes=101-200", "bytes=-0"])
def test_ranges_starting_past_the_end_get_the_whole_object(web, spec):
    status, headers, body = get(web, "/bkt/r.bin", {"Range": spec})
    assert (status, body) == (200, BODY)
    assert "content-range" not in headers


# -- conditional GET at the exact second ---------------------------------------------------

def _last_modified(web) -> float:
    status, headers, _ = get(web, "/bkt/r.bin", method="HEAD")
    assert status == 200
    return parsedate_to_datetime(headers["last-modified"]).timestamp()


def _http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


@pytest.mark.parametrize("offset,expected", [(0, 304), (1, 304), (-1, 200)])
def test_if_modified_since_boundary(web, offset, expected):
    mtime = _last_modified(web)
    status, _, body = get(web, "/bkt/r.bin", {"If-Modified-Since": _http_date(mtime + offset)})
    assert status == expected
    assert body == (b"" if expected == 304 else BODY)


@pytest.mark.parametrize("offset,expected", [(0, 200), (1, 200), (-1, 412)])
def test_if_unmodified_since_boundary(web, offset, expected):
    mtime = _last_modified(web)
    status, _, body = get(web, "/bkt/r.bin", {"If-Unmodified-Since": _http_date(mtime + offset)})
    assert status == expected
    if expected == 412:
        assert b"<Code>PreconditionFailed</Code>" in body
