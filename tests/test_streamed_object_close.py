"""A large object is streamed from its file (above ``objects.IN_MEMORY_LIMIT``, made small
here): the service's WSGI app closes that file when the response ends -- whole or a
byte range (RFC 9110 Range, 206) -- never leaving it to the garbage collector (which
would warn "unclosed file" and, on a busy server, hold descriptors open)."""
from __future__ import annotations

import gc
import warnings

import pytest
from werkzeug.test import Client

from core.serve import objects
from core.serve.config import ServiceConfig
from core.serve.service import OssService
from core.serve.wsgi import make_app

B = "strbkt"
DATA = bytes(range(256)) * 40          # 10,240 bytes


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setattr(objects, "IN_MEMORY_LIMIT", 1000)
    (tmp_path / B).mkdir()
    (tmp_path / B / "big.bin").write_bytes(DATA)
    service = OssService(ServiceConfig(tmp_path, acl="public-read-write"))
    try:
        yield Client(make_app(service))
    finally:
        service.close()


@pytest.mark.parametrize("headers, status, body", [
    ({}, 200, DATA),
    ({"Range": "bytes=100-2099"}, 206, DATA[100:2100]),
    ({"Range": "bytes=-10"}, 206, DATA[-10:]),
])
def test_a_streamed_object_file_is_closed_when_the_answer_ends(client, headers, status,
                                                               body):
    gc.collect()    # earlier tests' garbage: its warnings are not this answer's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        resp = client.get(f"/{B}/big.bin", headers={"Host": "127.0.0.1", **headers},
                          buffered=True)
        assert (resp.status_code, resp.data) == (status, body)
        assert resp.headers["Content-Length"] == str(len(body))
        resp.close()
        del resp
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
