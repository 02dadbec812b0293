"""Request and response bodies at their limits.

- XML request bodies (PutStyle, DeleteMultipleObjects, PutBucket ...) may be up to 64 KiB
  (``MAX_XML_BODY``), sent with a Content-Length or chunked: exactly 65,536 bytes are read
  whole, one byte more is EntityTooLarge (400).
- Keys in a DeleteMultipleObjects body may carry control characters as raw bytes or as
  character references (oss2 and alibabacloud-oss-v2 send them so); any other character
  reference (``&#32;``, a space) is an ordinary XML reference.
- A large object is streamed from its file: the WSGI body stops after the requested
  number of bytes, and the file is closed.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import requests

from core.serve.wsgi import _limited
from tests.helpers import md5_b64, running_server

B = "bodybkt"


def padded_delete(key: str, size: int) -> bytes:
    head = f"<Delete><Quiet>false</Quiet><Object><Key>{key}</Key></Object>".encode()
    tail = b"</Delete>"
    return head + b" " * (size - len(head) - len(tail)) + tail


def test_xml_body_of_exactly_64_kib_is_read_whole(tmp_path):
    (tmp_path / B).mkdir()
    (tmp_path / B / "k").write_bytes(b"x")
    with running_server(tmp_path, "public-read-write") as srv:
        for chunked in (False, True):
            (tmp_path / B / "k").write_bytes(b"x")
            body = padded_delete("k", 65536)
            data = iter([body[:1000], body[1000:]]) if chunked else body
            r = requests.post(f"{srv.url}/{B}?delete", data=data,
                              headers={"Content-MD5": md5_b64(body)})
            assert r.status_code == 200, r.content
            assert ET.fromstring(r.content).findtext("Deleted/Key") == "k"
            assert not (tmp_path / B / "k").exists()
            over = padded_delete("k", 65537)
            data = iter([over[:1000], over[1000:]]) if chunked else over
            r = requests.post(f"{srv.url}/{B}?delete", data=data,
                              headers={"Content-MD5": md5_b64(over)})
            assert r.status_code == 400
            assert ET.fromstring(r.content).findtext("Code") == "EntityTooLarge"


def test_character_references_in_delete_keys(tmp_path):
    (tmp_path / B).mkdir()
    with running_server(tmp_path, "public-read-write") as srv:
        (tmp_path / B / "a b").write_bytes(b"x")
        (tmp_path / B / "c\x1fd").write_bytes(b"x")
        body = (b"<Delete><Quiet>false</Quiet><Object><Key>a&#32;b</Key></Object>"
                b"<Object><Key>c&#x1F;d</Key></Object></Delete>")
        r = requests.post(f"{srv.url}/{B}?delete&encoding-type=url", data=body,
                          headers={"Content-MD5": md5_b64(body)})
        assert r.status_code == 200
        keys = [d.findtext("Key") for d in ET.fromstring(r.content).findall("Deleted")]
        assert keys == ["a%20b", "c%1Fd"]
        assert not (tmp_path / B / "a b").exists()
        assert not (tmp_path / B / "c\x1fd").exists()


class Chunks:
    def __init__(self, chunks):
        self.chunks, self.closed = chunks, False

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        self.closed = True


def test_a_streamed_body_stops_at_its_length_and_closes_the_file():
    src = Chunks([b"abc", b"def", b"ghi"])
    assert list(_limited(src, 4)) == [b"abc", b"d"]
    assert src.closed
    src = Chunks([b"abc", b"def"])
    assert list(_limited(src, 6)) == [b"abc", b"def"]
    assert list(_limited(Chunks([b"abc"]), 3)) == [b"abc"]
    assert list(_limited(Chunks([b"abc", b"def"]), 3)) == [b"abc"]
    assert list(_limited(Chunks([b"abc"]), 0)) == []
    assert list(_limited(iter([b"abc", b"def"]), 5)) == [b"abc", b"de"]   # no close()
