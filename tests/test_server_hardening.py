"""``oss-img serve`` against hostile and broken input: every case gets an OSS-style 4xx
(XML with Code and RequestId), never a 500 or a traceback, and the server goes on.

Real server on loopback (port 0); no sleeps: slow clients are simulated by connections
that stop mid-request, and every wait is bounded by a generous timeout that only decides
failure.
"""
from __future__ import annotations

import logging
import os
import re
import resource
import socket
import xml.etree.ElementTree as ET
import zlib

import pytest
import requests

from core.errors import OssError
from core.oss.credentials import Credentials
from core.resolver import FolderResolver
from core.serve.config import TMP_PREFIX, ServiceConfig
from core.serve.service import OssService
from tests.helpers import encode, quadrants, running_server, solid

BUCKET = "bkt"
IMG = encode(quadrants(40, 30))
LOGO = solid(8, 6, (0, 0, 255))
CREDS = Credentials("LTAI5tHardeningKey01", "Hardening+Secret/01")


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    (r / BUCKET).mkdir(parents=True)
    (r / BUCKET / "img.png").write_bytes(IMG)
    (r / BUCKET / "logo.png").write_bytes(LOGO)
    return r


def running(root, acl="public-read-write", **kw):
    return running_server(root, acl, (CREDS,), **kw)


@pytest.fixture
def web(root):
    with running(root) as server:
        yield server


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` with Connection: close semantics and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def oss_error(answer: bytes) -> tuple[int, str]:
    """(status, Code) of a raw HTTP answer carrying an OSS error document."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0]
    assert re.match(rb"HTTP/1\.[01] \d{3} ", status_line), answer[:200]
    root = ET.fromstring(body)
    assert root.tag == "Error" and root.findtext("RequestId"), body
    return int(status_line.split()[1]), root.findtext("Code")


def request(method: str, target: str, headers: dict[str, str] | None = None,
            body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


BIG = "9" * 5000


@pytest.mark.parametrize("target, headers", [
    (f"/{BUCKET}/img.png?OSSAccessKeyId=a&Expires=%C2%B2&Signature=x", {}),
    (f"/{BUCKET}/img.png?OSSAccessKeyId=a&Expires=%D9%A3&Signature=x", {}),     # Arabic 3
    (f"/{BUCKET}/img.png?OSSAccessKeyId=a&Expires={BIG}&Signature=x", {}),
    (f"/{BUCKET}/img.png?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential="
     f"{CREDS.access_key_id}%2F20231114%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date="
     f"20231114T221320Z&x-oss-expires={BIG}&x-oss-signature=x", {}),
    (f"/{BUCKET}/img.png?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential="
     f"{CREDS.access_key_id}%2F20231114%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date="
     f"20231114T221320Z&x-oss-expires=%C2%B2&x-oss-signature=x", {}),
    (f"/{BUCKET}?max-keys={BIG}", {}),
    (f"/{BUCKET}?max-keys=%C2%B2", {}),
    (f"/{BUCKET}?list-type=2&max-keys=%D9%A3", {}),
    (f"/{BUCKET}/img.png?append&position={BIG}", {"Content-Length": "0"}),
])
def test_numbers_that_are_not_numbers_are_4xx(web, target, headers):
    method = "POST" if "append" in target else "GET"
    status, code = oss_error(exchange(web.port, request(method, target, headers)))
    assert 400 <= status < 500 and code in ("AccessDenied", "InvalidArgument"), (status, code)


def test_huge_range_is_the_whole_object(web):
    answer = exchange(web.port, request("GET", f"/{BUCKET}/img.png",
                                        {"Range": f"bytes={BIG}-"}))
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(IMG)


@pytest.mark.parametrize("headers, body", [
    ({"Content-Length": BIG}, b""),
    ({"Content-Length": "\u0663".encode().decode("latin-1")}, b""),    # Arabic-Indic 3
    ({"Content-Length": "-1"}, b""),
    ({"Content-Length": "3, 3"}, b"abc"),
    ("dup", b"abc"),
    ({"Content-Length": "3", "Transfer-Encoding": "chunked"}, b"3\r\nabc\r\n0\r\n\r\n"),
])
def test_bad_content_length_and_framing_are_400_at_once(web, root, headers, body):
    if headers == "dup":   # two Content-Length headers: refused, not "last one wins"
        data = (b"PUT /bkt/new.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                b"Content-Length: 3\r\n\r\n" + body)
    else:
        data = request("PUT", f"/{BUCKET}/new.txt", headers, body)
    status, code = oss_error(exchange(web.port, data))
    assert status == 400 and code in ("InvalidRequest", "EntityTooLarge")
    assert not (root / BUCKET / "new.txt").exists()
    assert requests.get(f"{web.url}/{BUCKET}/img.png", timeout=10).content == IMG


def test_http_0_9_gets_a_status_line(web):
    answer = exchange(web.port, b"GET /bkt/img.png\r\n\r\n")
    assert oss_error(answer)[0] == 400
    assert IMG not in answer


def test_oversized_headers_are_an_oss_error(web):
    answer = exchange(web.port, request("GET", f"/{BUCKET}/img.png", {"X-Big": "a" * 300_000}))
    status, _ = oss_error(answer)
    assert status in (400, 431)


def test_control_characters_never_reach_stored_xml(web):
    r = requests.put(f"{web.url}/{BUCKET}?style&styleName=c&category=%01%02",
                     data=b"<Style><Content>image/resize,w_10</Content></Style>", timeout=10)
    assert r.status_code == 400 and ET.fromstring(r.content).findtext("Code") == \
        "InvalidArgument"
    listed = requests.get(f"{web.url}/{BUCKET}?style", timeout=10)
    assert listed.status_code == 200 and ET.fromstring(listed.content).tag == "StyleList"
    # a metadata value with a control character is refused too (it could end a header)
    r = requests.put(f"{web.url}/{BUCKET}/m.txt", data=b"x", timeout=10,
                     headers={"x-oss-meta-a": "ok\x01no"})
    assert r.status_code == 400


def test_disconnects_are_logged_quietly(root, caplog):
    (root / BUCKET / "big.bin").write_bytes(os.urandom(8 * 1024 * 1024))
    with caplog.at_level(logging.DEBUG):
        with running(root) as server:
            # hang up mid-body, mid-headers and mid-answer
            for data in (b"PUT /bkt/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nab",
                         b"GET /bkt/img.png HTTP/1.1\r\nHo"):
                with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                    s.sendall(data)
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.sendall(b"GET /bkt/big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
                assert s.recv(100).startswith(b"HTTP/1.1 200")
            assert requests.get(f"{server.url}/{BUCKET}/img.png", timeout=10).content == IMG
        # stop() has joined every thread: everything that would be logged has been
    noisy = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert noisy == []


def test_temp_files_are_removed_at_start_and_never_visible(root):
    folder_of_leftovers = root / BUCKET / "photos"
    folder_of_leftovers.mkdir()
    (folder_of_leftovers / f"{TMP_PREFIX}abc").write_bytes(b"half a put")
    (root / BUCKET / f"{TMP_PREFIX}def").write_bytes(b"half a put")
    (root / BUCKET / f"{TMP_PREFIX}young").write_bytes(b"another host's PUT in flight")
    for stale in (folder_of_leftovers / f"{TMP_PREFIX}abc", root / BUCKET / f"{TMP_PREFIX}def"):
        os.utime(stale, (1_000_000_000, 1_000_000_000))   # untouched since 2001
    OssService(ServiceConfig(root, acl="public-read-write"))
    assert [p.name for p in root.rglob(f"{TMP_PREFIX}*")] == [f"{TMP_PREFIX}young"]
    with running(root) as server:
        # one that appears while serving (a PUT in flight) is not listed either
        (folder_of_leftovers / f"{TMP_PREFIX}ghi").write_bytes(b"in flight")
        listing = requests.get(f"{server.url}/{BUCKET}?prefix=photos", timeout=10)
        assert b"<Key>" not in listing.content
        # the folder of leftovers does not block a key of that name
        r = requests.put(f"{server.url}/{BUCKET}/photos", data=b"now a file", timeout=10)
        assert r.status_code == 200, r.content
        assert requests.get(f"{server.url}/{BUCKET}/photos", timeout=10).content == \
            b"now a file"
        # a bucket holding only leftovers is empty for DeleteBucket
        (root / "empty").mkdir()
        (root / "empty" / "sub").mkdir()
        (root / "empty" / "sub" / f"{TMP_PREFIX}x").write_bytes(b"x")
        assert requests.delete(f"{server.url}/empty", timeout=10).status_code == 204
        assert not (root / "empty").exists()


def test_a_fifo_is_never_opened(web, root, tmp_path):
    os.mkfifo(root / BUCKET / "pipe.png")
    r = requests.get(f"{web.url}/{BUCKET}/pipe.png", timeout=10)
    assert r.status_code == 404
    mark = "cGlwZS5wbmc"   # base64url("pipe.png")
    r = requests.get(f"{web.url}/{BUCKET}/img.png",
                     params={"x-oss-process": f"image/watermark,image_{mark}"}, timeout=10)
    assert r.status_code == 404 and ET.fromstring(r.content).findtext("Code") == "NoSuchKey"
    listing = requests.get(f"{web.url}/{BUCKET}", timeout=10)
    assert b"pipe.png" not in listing.content
    # the command line's --bucket-dir reads through the same rule
    with pytest.raises(OssError) as e:
        FolderResolver(root / BUCKET)("pipe.png")
    assert e.value.code == "NoSuchKey"


def test_an_oversized_watermark_file_is_refused_before_reading(root, tmp_path):
    big = root / BUCKET / "huge.png"
    with open(big, "wb") as f:
        f.truncate(21 * 1024 * 1024)   # sparse: the size is checked, nothing is read
    with pytest.raises(OssError) as e:
        FolderResolver(root / BUCKET)("huge.png")
    assert e.value.code == "ImageTooLarge"


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"needs {need} file descriptors, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def test_400_slow_clients_do_not_lock_out_a_new_one(web):
    _raise_fd_limit(2048)
    slow = []
    try:
        for _ in range(400):
            s = socket.create_connection(("127.0.0.1", web.port), timeout=10)
            s.sendall(b"GET /bkt/logo.png HTTP/1.1\r\nHost: x\r\n")   # ... and nothing more
            slow.append(s)
        for s in slow[::50]:
            s.sendall(b"X")   # one more byte now and then: still an unfinished request
        # a new client is answered while all 400 hold their connections (the timeout is
        # only a failure bound)
        r = requests.get(f"{web.url}/{BUCKET}/img.png", timeout=5)
        assert r.status_code == 200 and r.content == IMG
        # the slow ones were held, not dropped: finishing one gets its answer
        slow[0].sendall(b"-Y: 1\r\n\r\n")
        answer = slow[0].recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
    finally:
        for s in slow:
            s.close()


def test_png_bomb_is_refused_from_its_header(root):
    """~30 KB of PNG that declares 16000x15000 (240 MP, under the pixel limit, 1.2 GB
    decoded with its RGB copy): with 1 GB per worker (a 512 MB budget) it cannot fit, and
    is refused from the header, before any decode. (The default 2 GB admits it: OSS does.)"""
    w, h = 16000, 15000

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    raw = zlib.compress(b"\x00" * ((w // 8 + 1) * h), 9)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", w.to_bytes(4, "big") + h.to_bytes(4, "big")
                                        + bytes([1, 0, 0, 0, 0]))
           + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    assert len(png) < 40_000
    (root / BUCKET / "bomb.png").write_bytes(png)
    with running(root, worker_memory_mb=1024) as web:
        r = requests.get(f"{web.url}/{BUCKET}/bomb.png",
                         params={"x-oss-process": "image/resize,w_100"}, timeout=30)
    assert r.status_code == 400
    assert ET.fromstring(r.content).findtext("Code") == "ImageTooLarge"


def test_a_get_that_declares_a_body_it_never_sends_is_answered(web):
    """oss2 signs (and sends) Content-Length: 9 on a GET with no body; OSS answers it."""
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(b"GET /bkt/img.png HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n")
        answer = b""
        while not answer.endswith(IMG):
            chunk = sock.recv(65536)
            assert chunk, answer[:200]
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
