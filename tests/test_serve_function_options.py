"""``core.serve.runner.serve()`` as a library call (its docstring): a bound server whose
options reach the service.

- An IPv6 host is served and named as URLs write it (RFC 3986: ``http://[::1]:port``),
  ``server_address`` as socketserver names it (host, port).
- ``credentials`` may be one Credentials or several; each key signs requests the server
  accepts (oss2 as the client), an unknown one is 403 InvalidAccessKeyId.
- ``clock`` is what signatures are checked against: a presigned URL whose Expires is past
  by the real clock and ahead by the given clock is served, and refused (403
  AccessDenied, "Request has expired.") once that clock passes it -- OSS's answer to an
  expired URL (oss2 as the signer).
- ``keyfile`` without ``certfile`` is MissingArgument naming ``certfile``.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import oss2
import pytest
import requests

from core.errors import OssError
from core.oss.credentials import Credentials
from core.serve.runner import serve

B = "fnbkt"
ONE = Credentials("LTAI5tServeFnKey0001", "Serve+Fn/Secret=0001")
TWO = Credentials("LTAI5tServeFnKey0002", "Serve+Fn/Secret=0002")
T0 = 1_500_000_000         # 2017-07-14: any signed URL of today is far "in the future"


@pytest.fixture
def root(tmp_path):
    (tmp_path / B).mkdir()
    (tmp_path / B / "a.txt").write_bytes(b"alpha")
    return tmp_path


def test_ipv6_loopback_is_served_with_a_bracketed_url(root):
    server = serve(root, "::1", 0, "public-read-write")
    server.start()
    try:
        assert server.server_address == ("::1", server.port)
        assert server.url == f"http://[::1]:{server.port}"
        r = requests.get(f"{server.url}/{B}/a.txt", timeout=10)
        assert (r.status_code, r.content) == (200, b"alpha")
    finally:
        server.stop()


@pytest.mark.parametrize("credentials", [ONE, (ONE, TWO)], ids=["one", "several"])
def test_credentials_one_or_several(root, credentials):
    server = serve(root, "127.0.0.1", 0, "private", credentials)
    server.start()
    try:
        for creds in ((ONE, TWO) if isinstance(credentials, tuple) else (ONE,)):
            bucket = oss2.Bucket(oss2.Auth(creds.access_key_id, creds.access_key_secret),
                                 server.url, B)
            assert bucket.get_object("a.txt").read() == b"alpha"
        if not isinstance(credentials, tuple):
            bucket = oss2.Bucket(oss2.Auth(TWO.access_key_id, TWO.access_key_secret),
                                 server.url, B)
            with pytest.raises(oss2.exceptions.OssError) as e:
                bucket.get_object("a.txt")
            assert (e.value.status, e.value.code) == (403, "InvalidAccessKeyId")
        r = requests.get(f"{server.url}/{B}/a.txt", timeout=10)
        assert r.status_code == 403
    finally:
        server.stop()


def test_signatures_are_checked_against_the_given_clock(root, monkeypatch):
    now = [float(T0)]
    server = serve(root, "127.0.0.1", 0, "private", (ONE,), clock=lambda: now[0])
    server.start()
    try:
        # oss2 signs Expires = its time.time() + 60: here T0 + 60
        monkeypatch.setattr(oss2.auth.time, "time", lambda: float(T0))
        url = oss2.Bucket(oss2.Auth(ONE.access_key_id, ONE.access_key_secret), server.url,
                          B).sign_url("GET", "a.txt", 60)
        monkeypatch.undo()
        r = requests.get(url, timeout=10)
        assert (r.status_code, r.content) == (200, b"alpha")
        now[0] = T0 + 61.0
        r = requests.get(url, timeout=10)
        assert r.status_code == 403
        doc = ET.fromstring(r.content)
        assert (doc.findtext("Code"), doc.findtext("Message")) == (
            "AccessDenied", "Request has expired.")
    finally:
        server.stop()


def test_a_key_file_needs_its_certificate(root, tmp_path):
    with pytest.raises(OssError) as e:
        serve(root, "127.0.0.1", 0, keyfile=tmp_path / "key.pem")
    assert (e.value.code, e.value.key) == ("MissingArgument", "certfile")


def test_create_app_needs_a_root_from_its_argument_or_the_environment(root, monkeypatch):
    from core.serve.wsgi import create_app

    for name in ("OSS_IMG_ROOT", "OSS_IMG_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(OssError) as e:
        create_app()
    assert (e.value.code, e.value.key) == ("MissingArgument", "root")
    monkeypatch.setenv("OSS_IMG_WORKERS", "0")
    app = create_app(str(root))                  # the argument, without the variable
    try:
        assert app.service.config.root == root.resolve()
    finally:
        app.service.close()


@pytest.mark.parametrize("entries", [1, 8])
def test_cache_entries_bounds_the_in_process_engines_cache(tmp_path, entries):
    """ServiceConfig.cache_entries is the in-process engine's cache size (workers=0), as
    it is each worker's: with one entry only the last source's result stays cached."""
    from core.serve.config import ServiceConfig
    from core.serve.service import OssService
    from tests.helpers import solid

    (tmp_path / B).mkdir()
    svc = OssService(ServiceConfig(tmp_path, acl="public-read-write", workers=0,
                                   cache_entries=entries))
    try:
        for i in range(3):                     # three different sources, 50-52 x 40
            svc.process(B, solid(50 + i, 40, (60 * i, 0, 0)), "image/resize,w_20")
        held = svc.images._engine.cache_bytes
        biggest_source = 52 * 40 * 4
        if entries == 1:
            assert 0 < held <= biggest_source
        else:
            assert held > 2 * biggest_source   # every source's decode is still cached
    finally:
        svc.close()
