"""core.serve.store.ObjectStore.write called directly: its defaults and its streaming.

Expected values: a PUT replaces an existing object unless ``x-oss-forbid-overwrite: true``
asks otherwise (OSS "PutObject": the header's default is false), so the store's own default
is to replace; the ETag is the quoted upper-case MD5 of the bytes (OSS's ETag of a simple
upload); a body is streamed, read in bounded pieces, never all at once.
"""
from __future__ import annotations

import hashlib

import pytest

from core.errors import OssError
from core.serve.store import ObjectStore

B = "store-bucket"


@pytest.fixture
def store(tmp_path):
    (tmp_path / B).mkdir()
    return ObjectStore(tmp_path)


class ReadOnly:
    """A body with only ``read(n)`` (as a socket file or a WSGI input may be), which
    records the sizes asked for."""

    def __init__(self, data: bytes) -> None:
        self.data, self.asked = data, []

    def read(self, n: int = -1) -> bytes:
        self.asked.append(n)
        n = len(self.data) if n is None or n < 0 else n
        out, self.data = self.data[:n], self.data[n:]
        return out


def test_write_replaces_an_existing_object_by_default(store, tmp_path):
    store.write(B, "k.txt", [b"first"], limit=100)
    info = store.write(B, "k.txt", [b"second"], limit=100)
    assert (tmp_path / B / "k.txt").read_bytes() == b"second"
    assert info.size == 6 and info.etag == '"' + hashlib.md5(b"second").hexdigest().upper() + '"'
    with pytest.raises(OssError) as e:
        store.write(B, "k.txt", [b"third"], limit=100, forbid_overwrite=True)
    assert (e.value.code, e.value.status) == ("FileAlreadyExists", 409)
    assert (tmp_path / B / "k.txt").read_bytes() == b"second"


def test_write_streams_a_body_that_only_reads(store, tmp_path):
    data = bytes(range(256)) * 1024          # 256 KiB, no line structure to rely on
    body = ReadOnly(data)
    info = store.write(B, "big.bin", body, limit=len(data))
    assert (tmp_path / B / "big.bin").read_bytes() == data
    assert info.size == len(data) and info.md5_hex == hashlib.md5(data).hexdigest()
    assert len(body.asked) > 1 and all(0 < n <= 1 << 20 for n in body.asked)
