"""GetObject and CopyObject options from the OSS API pages, checked from a client.

- CopyObject's ``x-oss-copy-source-if-match`` / ``-if-unmodified-since``: the copy is
  made when they hold, else 412 PreconditionFailed (alibabacloud-oss-v2's
  CopyObjectRequest documents 412); ``-if-none-match`` / ``-if-modified-since`` that do
  not hold: no copy, an error (the Go SDK's TestCopyObject only expects an error).
- ``x-oss-forbid-overwrite: true``: PutObject and CopyObject onto an existing key are
  409 FileAlreadyExists and leave it alone.
- ``response-content-type`` & co. (GetObject's documented query parameters) set the
  answer's headers; a value with a control character is refused.
- ``Accept-Encoding: gzip`` (the OSS FAQ on GZIP downloads): objects of at least 1 KB of
  the listed text types come back gzip-encoded, without ETag and Content-Length; smaller
  objects and other types as they are.
- ``x-oss-metadata-directive`` other than COPY/REPLACE, and a copy source that is not
  ``/bucket/key``, are 400 InvalidArgument.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import xml.etree.ElementTree as ET

import pytest
import requests

from tests.helpers import running_server

B = "condbkt"
T = 1_700_000_000
T_HTTP = "Tue, 14 Nov 2023 22:13:20 GMT"
BEFORE = "Tue, 14 Nov 2023 22:13:19 GMT"
DATA = b"source bytes"
ETAG = hashlib.md5(DATA).hexdigest().upper()


@pytest.fixture
def srv(tmp_path):
    (tmp_path / B).mkdir()
    path = tmp_path / B / "src.bin"
    path.write_bytes(DATA)
    os.utime(path, (T, T))
    with running_server(tmp_path, "public-read-write") as server:
        server.root = tmp_path
        yield server


def code_of(resp) -> str:
    return ET.fromstring(resp.content).findtext("Code")


def copy(srv, dst: str, **headers):
    h = {"x-oss-copy-source": f"/{B}/src.bin"}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    return requests.put(f"{srv.url}/{B}/{dst}", headers=h)


@pytest.mark.parametrize("header, value", [
    ("x_oss_copy_source_if_match", f'"{ETAG}"'),
    ("x_oss_copy_source_if_match", ETAG.lower()),
    ("x_oss_copy_source_if_match", '"nope", "' + ETAG + '"'),
    ("x_oss_copy_source_if_none_match", '"0123"'),
    ("x_oss_copy_source_if_unmodified_since", T_HTTP),
    ("x_oss_copy_source_if_modified_since", BEFORE),
])
def test_copy_conditions_that_hold_copy(srv, header, value):
    r = copy(srv, "dst.bin", **{header: value})
    assert r.status_code == 200
    assert ET.fromstring(r.content).findtext("ETag") == f'"{ETAG}"'
    assert (srv.root / B / "dst.bin").read_bytes() == DATA


@pytest.mark.parametrize("header, value", [
    ("x_oss_copy_source_if_match", '"0123"'),
    ("x_oss_copy_source_if_unmodified_since", BEFORE),
])
def test_copy_conditions_that_fail_are_412(srv, header, value):
    r = copy(srv, "dst.bin", **{header: value})
    assert r.status_code == 412 and code_of(r) == "PreconditionFailed"
    assert not (srv.root / B / "dst.bin").exists()


@pytest.mark.parametrize("header, value", [
    ("x_oss_copy_source_if_none_match", f'"{ETAG}"'),
    ("x_oss_copy_source_if_none_match", "*"),
    ("x_oss_copy_source_if_modified_since", T_HTTP),
])
def test_copy_conditions_not_modified_make_no_copy(srv, header, value):
    r = copy(srv, "dst.bin", **{header: value})
    assert r.status_code in (304, 412)
    assert not (srv.root / B / "dst.bin").exists()


def test_copy_source_and_directive_are_checked(srv):
    for source in ("/onlybucket", f"/{B}/", "/"):
        r = requests.put(f"{srv.url}/{B}/d", headers={"x-oss-copy-source": source})
        assert r.status_code == 400 and code_of(r) == "InvalidArgument"
    r = copy(srv, "d", x_oss_metadata_directive="MOVE")
    assert r.status_code == 400 and code_of(r) == "InvalidArgument"
    assert copy(srv, "d", x_oss_metadata_directive="replace").status_code == 200
    r = requests.put(f"{srv.url}/{B}/d2", headers={"x-oss-copy-source": f"/{B}/none"})
    assert r.status_code == 404 and code_of(r) == "NoSuchKey"
    r = requests.put(f"{srv.url}/{B}/d2", headers={"x-oss-copy-source": "/nobucket/src.bin"})
    assert r.status_code == 404 and code_of(r) == "NoSuchBucket"
    # the source key is URL-encoded in the header
    (srv.root / B / "a b+c.bin").write_bytes(b"spaced")
    r = requests.put(f"{srv.url}/{B}/d3",
                     headers={"x-oss-copy-source": f"/{B}/a%20b%2Bc.bin"})
    assert r.status_code == 200 and (srv.root / B / "d3").read_bytes() == b"spaced"


def test_forbid_overwrite(srv):
    r = requests.put(f"{srv.url}/{B}/src.bin", data=b"new",
                     headers={"x-oss-forbid-overwrite": "true"})
    assert r.status_code == 409 and code_of(r) == "FileAlreadyExists"
    r = copy(srv, "src.bin", x_oss_forbid_overwrite="TRUE")
    assert r.status_code == 409
    assert (srv.root / B / "src.bin").read_bytes() == DATA
    r = requests.put(f"{srv.url}/{B}/src.bin", data=b"new",
                     headers={"x-oss-forbid-overwrite": "false"})
    assert r.status_code == 200 and (srv.root / B / "src.bin").read_bytes() == b"new"
    r = requests.put(f"{srv.url}/{B}/fresh.bin", data=b"f",
                     headers={"x-oss-forbid-overwrite": "true"})
    assert r.status_code == 200


def test_put_acl_header_is_checked(srv):
    r = requests.put(f"{srv.url}/{B}/acl.bin", data=b"x",
                     headers={"x-oss-object-acl": "everyone"})
    assert r.status_code == 400 and code_of(r) == "InvalidArgument"
    assert not (srv.root / B / "acl.bin").exists()
    for acl in ("default", "private", "public-read", "public-read-write"):
        assert requests.put(f"{srv.url}/{B}/acl-{acl}.bin", data=b"x",
                            headers={"x-oss-object-acl": acl}).status_code == 200
    # anonymous: a private object can no longer be read or overwritten, the others can
    assert requests.get(f"{srv.url}/{B}/acl-private.bin").status_code == 403
    assert requests.put(f"{srv.url}/{B}/acl-private.bin", data=b"y").status_code == 403
    assert requests.get(f"{srv.url}/{B}/acl-public-read.bin").content == b"x"
    assert requests.put(f"{srv.url}/{B}/acl-public-read.bin", data=b"y").status_code == 403
    assert requests.put(f"{srv.url}/{B}/acl-public-read-write.bin", data=b"y"
                        ).status_code == 200
    assert requests.put(f"{srv.url}/{B}/acl-default.bin", data=b"y").status_code == 200


def test_response_header_overrides(srv):
    query = ("response-content-type=text/x-own&response-content-language=fr"
             "&response-expires=Thu%2C%2001%20Dec%201994%2016%3A00%3A00%20GMT"
             "&response-cache-control=no-store"
             "&response-content-disposition=attachment%3B%20filename%3Dx.bin"
             "&response-content-encoding=identity")
    r = requests.get(f"{srv.url}/{B}/src.bin?{query}")
    assert r.status_code == 200 and r.content == DATA
    assert r.headers["Content-Type"] == "text/x-own"
    assert r.headers["Content-Language"] == "fr"
    assert r.headers["Expires"] == "Thu, 01 Dec 1994 16:00:00 GMT"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Disposition"] == "attachment; filename=x.bin"
    assert r.headers["Content-Encoding"] == "identity"
    h = requests.head(f"{srv.url}/{B}/src.bin?response-content-type=text/x-own")
    assert h.headers["Content-Type"] == "text/x-own"
    for bad in ("a%0Db", "a%0Ab", "a%7Fb", "a%00b"):
        r = requests.get(f"{srv.url}/{B}/src.bin?response-content-type={bad}")
        assert r.status_code == 400 and code_of(r) == "InvalidArgument"
    ok = requests.get(f"{srv.url}/{B}/src.bin?response-content-disposition=a%09b")
    assert ok.status_code == 400     # a tab is a control character in a query value


@pytest.mark.parametrize("name, size, ctype, zipped", [
    ("big.txt", 1024, None, True),          # exactly 1 KB: compressed
    ("small.txt", 1023, None, False),       # under 1 KB: as it is
    ("big.json", 4000, None, True),
    ("big.css", 4000, None, True),
    ("big.html", 4000, None, True),
    ("big.js", 4000, "application/javascript", True),
    ("big.xml", 4000, "text/xml", True),
    ("big.bin", 4000, None, False),         # application/octet-stream: not listed
    ("big.png", 4000, None, False),
])
def test_gzip_for_listed_types_of_at_least_1kb(srv, name, size, ctype, zipped):
    body = (b"abcdefghij" * 500)[:size]
    headers = {"Content-Type": ctype} if ctype else {}
    if ctype is None:
        (srv.root / B / name).write_bytes(body)
    else:
        assert requests.put(f"{srv.url}/{B}/{name}", data=body,
                            headers=headers).status_code == 200
    r = requests.get(f"{srv.url}/{B}/{name}", headers={"Accept-Encoding": "gzip"},
                     stream=True)
    raw = r.raw.read(decode_content=False)
    if zipped:
        assert r.headers["Content-Encoding"] == "gzip"
        assert "ETag" not in r.headers and "Content-Length" not in r.headers
        assert "Accept-Ranges" not in r.headers
        assert gzip.decompress(raw) == body
        h = requests.head(f"{srv.url}/{B}/{name}", headers={"Accept-Encoding": "gzip"})
        assert h.headers["Content-Encoding"] == "gzip" and "ETag" not in h.headers
    else:
        assert "Content-Encoding" not in r.headers and raw == body
        assert r.headers["Content-Length"] == str(size) and "ETag" in r.headers
    plain = requests.get(f"{srv.url}/{B}/{name}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.content == body


@pytest.mark.parametrize("size, zipped", [(64 * 1024 * 1024, True),
                                         (64 * 1024 * 1024 + 1, False)])
def test_gzip_up_to_64_mb_inclusive(srv, size, zipped):
    """docs/COMPATIBILITY.md: objects "of 1 KB to 64 MB" are gzipped (both ends included,
    as 1 KB is above); a bigger one is sent as stored, with its length. HEAD answers what
    GET would (a sparse file: no 64 MB is written or sent)."""
    with open(srv.root / B / "huge.txt", "wb") as f:
        f.truncate(size)
    h = requests.head(f"{srv.url}/{B}/huge.txt", headers={"Accept-Encoding": "gzip"})
    assert h.status_code == 200 and h.headers["Content-Type"].startswith("text/plain")
    if zipped:
        assert h.headers["Content-Encoding"] == "gzip" and "Content-Length" not in h.headers
    else:
        assert "Content-Encoding" not in h.headers
        assert h.headers["Content-Length"] == str(size)


def test_gzip_accepted_among_others_and_ranges_win(srv):
    body = b"x" * 2000
    (srv.root / B / "t.txt").write_bytes(body)
    r = requests.get(f"{srv.url}/{B}/t.txt", stream=True,
                     headers={"Accept-Encoding": "br;q=1.0, GZIP;q=0.5"})
    assert r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(r.raw.read(decode_content=False)) == body
    # what browsers and `curl --compressed` send: gzip first in a list
    for accept in ("gzip, deflate, br", "gzip,deflate"):
        r = requests.get(f"{srv.url}/{B}/t.txt", stream=True,
                         headers={"Accept-Encoding": accept})
        assert r.headers["Content-Encoding"] == "gzip", accept
    r = requests.get(f"{srv.url}/{B}/t.txt",
                     headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert r.status_code == 206 and r.content == b"x" * 10
    assert "Content-Encoding" not in r.headers
    # an object stored with its own Content-Encoding is sent as stored
    requests.put(f"{srv.url}/{B}/enc.txt", data=body,
                 headers={"Content-Type": "text/plain", "Content-Encoding": "identity"})
    r = requests.get(f"{srv.url}/{B}/enc.txt", headers={"Accept-Encoding": "gzip"},
                     stream=True)
    assert r.headers["Content-Encoding"] == "identity"
    assert r.raw.read(decode_content=False) == body


@pytest.mark.parametrize("value, status", [
    (f'W/"{ETAG}"', 304),                 # a weak validator of the same ETag matches
    (f'"nope", W/"{ETAG}"', 304),
    ('W/"0123"', 200),
], ids=["weak-same", "list-with-weak-same", "weak-other"])
def test_if_none_match_compares_weakly(srv, value, status):
    """If-None-Match uses the weak comparison (RFC 7232, 3.2): ``W/"x"`` matches ``"x"``,
    as a browser or CDN that holds a weak validator sends it."""
    r = requests.get(f"{srv.url}/{B}/src.bin", headers={"If-None-Match": value})
    assert r.status_code == status
    assert r.content == (b"" if status == 304 else DATA)
