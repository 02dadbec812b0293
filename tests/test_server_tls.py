"""``oss-img serve`` over HTTPS (``--certfile``/``--keyfile``), on loopback with a
certificate made for the test.

What is checked: plain clients and the official SDK (alibabacloud-oss-v2 turns an
endpoint without a scheme into https) get the same answers as over HTTP; the
certificate is what the client verifies; ListBuckets advertises the endpoint the client
used (host:port, no scheme, as OSS's ``oss-cn-hangzhou.aliyuncs.com``); clients that
never finish a handshake or send a request slowly cost no request thread; over the
connection limit the answer is 503 SlowDown, spoken over TLS.
"""
from __future__ import annotations

import socket
import ssl
import xml.etree.ElementTree as ET

import pytest
import requests

import alibabacloud_oss_v2 as osv2

from core.errors import OssError
from core.oss.credentials import Credentials
from core.serve.tls import self_signed_cert
from tests.helpers import running_server

CREDS = Credentials("LTAI5tTlsServerKey01", "Tls+Server/Secret=01")
REGION = "cn-hangzhou"


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def root(tmp_path):
    (tmp_path / "bkt").mkdir()
    (tmp_path / "bkt" / "hello.txt").write_bytes(b"hello over tls")
    return tmp_path


def tls_client(cert_path, port: int) -> ssl.SSLSocket:
    ctx = ssl.create_default_context(cafile=str(cert_path))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def read_answer(sock: ssl.SSLSocket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_https_get_put_and_scheme(root, cert):
    cert_path, key_path = cert
    with running_server(root, certfile=cert_path, keyfile=key_path) as srv:
        assert srv.url.startswith("https://127.0.0.1:")
        with requests.Session() as s:
            r = s.get(srv.url + "/bkt/hello.txt", verify=str(cert_path))
            assert (r.status_code, r.content) == (200, b"hello over tls")
            body = bytes(range(256)) * 8192          # 2 MiB: many TLS records each way
            r = s.put(srv.url + "/bkt/big.bin", data=body, verify=str(cert_path))
            assert r.status_code == 200
            r = s.get(srv.url + "/bkt/big.bin", verify=str(cert_path))
            assert r.content == body
            r = s.get(srv.url + "/bkt/missing", verify=str(cert_path))
            assert r.status_code == 404
            assert ET.fromstring(r.content).findtext("Code") == "NoSuchKey"
        # a client that does not trust the certificate refuses the connection
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(srv.url + "/bkt/hello.txt", timeout=10)
        # plain HTTP to the HTTPS port gets no HTTP answer
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(srv.url.replace("https://", "http://") + "/bkt/hello.txt",
                         timeout=10)


def test_v2_sdk_default_scheme_is_https(root, cert, monkeypatch):
    """The SDK as its users call it: endpoint without a scheme (https by default), the
    CA given through REQUESTS_CA_BUNDLE; ListBuckets' ExtranetEndpoint is that
    endpoint, so a client made from it reaches the bucket (the SDK suite's clean-up)."""
    cert_path, key_path = cert
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_path))
    with running_server(root, "private", (CREDS,), certfile=cert_path,
                        keyfile=key_path, region=REGION) as srv:
        endpoint = srv.url.removeprefix("https://")
        cfg = osv2.config.load_default()
        cfg.credentials_provider = osv2.credentials.StaticCredentialsProvider(
            CREDS.access_key_id, CREDS.access_key_secret)
        cfg.region, cfg.endpoint = REGION, endpoint
        client = osv2.Client(cfg)
        client.put_object(osv2.PutObjectRequest(bucket="bkt", key="sdk.txt", body=b"v2"))
        got = client.get_object(osv2.GetObjectRequest(bucket="bkt", key="sdk.txt"))
        assert got.body.content == b"v2"
        buckets = client.list_buckets(osv2.ListBucketsRequest()).buckets
        assert [b.name for b in buckets] == ["bkt"]
        assert buckets[0].extranet_endpoint == endpoint
        assert buckets[0].intranet_endpoint == endpoint


def test_stalled_tls_clients_cost_no_thread(root, cert):
    """More connections than request threads that never handshake, and more that
    handshake and then send half a request: a new client is still answered."""
    cert_path, key_path = cert
    with running_server(root, certfile=cert_path, keyfile=key_path, threads=2) as srv:
        idle = [socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                for _ in range(8)]
        partial = []
        for _ in range(8):
            s = tls_client(cert_path, srv.port)
            s.sendall(b"GET /bkt/hello.txt HTTP/1.1\r\nHost: x\r\n")
            partial.append(s)
        try:
            r = requests.get(srv.url + "/bkt/hello.txt", verify=str(cert_path), timeout=10)
            assert (r.status_code, r.content) == (200, b"hello over tls")
            # the half-sent requests complete normally once their headers end
            partial[0].sendall(b"Connection: close\r\n\r\n")
            answer = read_answer(partial[0])
            assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"hello over tls")
        finally:
            for s in idle + partial:
                s.close()


def test_over_the_limit_is_503_slowdown_over_tls(root, cert):
    cert_path, key_path = cert
    with running_server(root, certfile=cert_path, keyfile=key_path,
                        max_connections=2) as srv:
        held = [tls_client(cert_path, srv.port) for _ in range(2)]
        try:
            for s in held:          # a request on each: both are waitress channels now
                s.sendall(b"HEAD /bkt/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                assert s.recv(65536).startswith(b"HTTP/1.1 200 ")
            extra = tls_client(cert_path, srv.port)
            with extra:
                extra.sendall(b"GET /bkt/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = read_answer(extra)
            assert answer.startswith(b"HTTP/1.1 503 ")
            body = answer.split(b"\r\n\r\n", 1)[1]
            assert ET.fromstring(body).findtext("Code") == "SlowDown"
        finally:
            for s in held:
                s.close()


def test_bad_certificate_arguments(root, tmp_path):
    from core.serve.runner import serve

    with pytest.raises(OssError) as e:
        serve(root, "127.0.0.1", 0, certfile=tmp_path / "nope.pem")
    assert e.value.code == "InvalidArgument" and "nope.pem" in e.value.message
    with pytest.raises(OssError) as e:
        serve(root, "127.0.0.1", 0, keyfile=tmp_path / "key.pem")
    assert e.value.code == "MissingArgument"


def test_cli_has_tls_flags():
    from core.cli.main import build_parser

    args = build_parser().parse_args(["serve", "ROOT", "--certfile", "c.pem",
                                      "--keyfile", "k.pem"])
    assert (args.certfile, args.keyfile) == ("c.pem", "k.pem")


def test_failed_handshakes_close_and_give_their_place_back(root, cert):
    """Plain HTTP (no ClientHello) to the HTTPS port: the handshake fails, the server
    closes the connection at once, and its place under the TLS connection limit (twice
    --max-connections: 4 here) is free again -- six such clients in a row leave room for a
    real one."""
    cert_path, key_path = cert
    with running_server(root, certfile=cert_path, keyfile=key_path,
                        max_connections=2) as srv:
        for _ in range(6):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw:
                raw.sendall(b"GET /bkt/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                data = b""
                while chunk := raw.recv(65536):  # until the server closes (10 s at most)
                    data += chunk
            assert b"HTTP/1." not in data
        with requests.Session() as s:
            r = s.get(srv.url + "/bkt/hello.txt", verify=str(cert_path))
            assert (r.status_code, r.content) == (200, b"hello over tls")
