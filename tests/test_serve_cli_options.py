"""``oss-img serve``'s command line reaches the running server.

Each option is given on the command line (``core.cli.main``), the server the command
builds is started, and the option's effect is checked from outside, as a client sees it:
a body one byte over ``--max-body-mb`` is EntityTooLarge (400), a second connection over
``--max-connections 1`` is 503 SlowDown, ``--region`` is the one V4 signatures must name
(oss2 as the client), ``--domain`` makes ``Host: <bucket>.<domain>`` virtual-hosted,
``--separators`` picks the style separators, ``--max-pixels`` refuses larger sources with
ImageTooLarge, ``--acl private`` with the key from ``OSS_ACCESS_KEY_ID`` /
``OSS_ACCESS_KEY_SECRET`` / ``OSS_SESSION_TOKEN`` refuses anonymous reads. Status codes are
OSS's (the error table of core.errors, as the OSS error docs publish them).

``serve_forever`` is replaced by a function that keeps the bound server and interrupts the
command at once (Ctrl-C, which the command answers with exit status 0); the test then
serves with ``start()`` in a thread and stops it.
"""
from __future__ import annotations

import http.client
import logging
import socket
from contextlib import contextmanager

import oss2
import oss2.credentials
import pytest
import requests

from core.cli.main import build_parser, main as cli_main
from core.serve import runner
from tests.helpers import encode, quadrants

KEY_ID, SECRET, TOKEN = "LTAI5tCliServeKey0001", "Cli+Serve/Secret=0001", "CAIS+cli/Token=01"
BUCKET = "cli-bucket"
IMG = encode(quadrants(40, 30), "PNG")


@pytest.fixture
def root(tmp_path):
    (tmp_path / BUCKET).mkdir()
    (tmp_path / BUCKET / "img.png").write_bytes(IMG)
    return tmp_path


@pytest.fixture
def no_env_keys(monkeypatch):
    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@contextmanager
def cli_server(monkeypatch, root, *options):
    """Run ``oss-img serve ROOT --port 0 --workers 0 OPTIONS``; yield the server it built,
    serving."""
    kept = []

    def interrupted(self):
        kept.append(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner.OssServer, "serve_forever", interrupted)
    status = cli_main(["serve", str(root), "--port", "0", "--workers", "0", *options])
    assert status == 0          # Ctrl-C ends `oss-img serve` normally
    (server,) = kept
    server.start()
    try:
        yield server
    finally:
        server.stop()


def error_code(resp) -> str:
    import xml.etree.ElementTree as ET
    return ET.fromstring(resp.content).findtext("Code")


def test_defaults_are_the_documented_ones():
    args = build_parser().parse_args(["serve", "ROOT"])
    assert (args.host, args.port, args.acl) == ("127.0.0.1", 9000, "public-read")
    assert (args.region, args.domain, args.separators) == ("cn-hangzhou", "localhost", "-_/!")
    assert args.max_body_mb * 1024 * 1024 == 20 * 1024 * 1024
    assert (args.process_timeout, args.threads, args.max_connections) == (30, 16, 1000)
    assert (args.worker_memory_mb, args.restore_seconds) == (2048, 60)
    assert args.allow_callback_hosts == "loopback"
    assert (args.callback_key, args.callback_pub_key_url) == (None, None)
    assert (args.certfile, args.keyfile, args.quiet) == (None, None, False)


def test_max_body_mb_is_the_largest_put_body(root, monkeypatch, no_env_keys):
    # 0.5 MB = 524,288 bytes: that many are stored, one more is EntityTooLarge (400)
    with cli_server(monkeypatch, root, "--acl", "public-read-write",
                    "--max-body-mb", "0.5") as server:
        ok = requests.put(f"{server.url}/{BUCKET}/fits.bin", data=b"a" * 524288)
        assert ok.status_code == 200
        over = requests.put(f"{server.url}/{BUCKET}/over.bin", data=b"a" * 524289)
        assert over.status_code == 400 and error_code(over) == "EntityTooLarge"
        assert requests.get(f"{server.url}/{BUCKET}/over.bin").status_code == 404
        assert len(requests.get(f"{server.url}/{BUCKET}/fits.bin").content) == 524288


def test_max_connections_caps_open_connections(root, monkeypatch, no_env_keys):
    with cli_server(monkeypatch, root, "--max-connections", "1") as server:
        held = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            held.request("GET", f"/{BUCKET}/img.png")      # holds the only slot
            assert held.getresponse().read() == IMG
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.sendall(f"GET /{BUCKET}/img.png HTTP/1.1\r\nHost: a\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            assert data.startswith(b"HTTP/1.1 503") and b"<Code>SlowDown</Code>" in data
        finally:
            held.close()


def test_private_acl_uses_the_environment_key_and_the_region(root, monkeypatch, capsys):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.delenv("OSS_SESSION_TOKEN", raising=False)
    with cli_server(monkeypatch, root, "--acl", "private",
                    "--region", "cn-shanghai") as server:
        anonymous = requests.get(f"{server.url}/{BUCKET}/img.png")
        assert anonymous.status_code == 403 and error_code(anonymous) == "AccessDenied"

        def bucket(region, auth=None):
            auth = auth or oss2.ProviderAuthV4(
                oss2.credentials.StaticCredentialsProvider(KEY_ID, SECRET))
            return oss2.Bucket(auth, server.url, BUCKET, region=region)

        assert bucket("cn-shanghai").get_object("img.png").read() == IMG
        assert bucket(None, oss2.Auth(KEY_ID, SECRET)).get_object("img.png").read() == IMG
        with pytest.raises(oss2.exceptions.ServerError) as e:
            bucket("cn-hangzhou").get_object("img.png")
        assert e.value.status == 403 and e.value.code == "SignatureDoesNotMatch"
        with pytest.raises(oss2.exceptions.ServerError) as e:
            oss2.Bucket(oss2.Auth(KEY_ID, "wrong"), server.url, BUCKET).get_object("img.png")
        assert e.value.status == 403 and e.value.code == "SignatureDoesNotMatch"
        banner = capsys.readouterr().err
    assert server.url in banner and BUCKET in banner
    assert SECRET not in banner and KEY_ID not in banner      # the key id is masked


def test_session_token_from_the_environment_is_required(root, monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", "STS." + KEY_ID)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("OSS_SESSION_TOKEN", TOKEN)
    with cli_server(monkeypatch, root, "--acl", "private") as server:
        sts = oss2.Bucket(oss2.StsAuth("STS." + KEY_ID, SECRET, TOKEN), server.url, BUCKET)
        assert sts.get_object("img.png").read() == IMG
        without = oss2.Bucket(oss2.Auth("STS." + KEY_ID, SECRET), server.url, BUCKET)
        with pytest.raises(oss2.exceptions.ServerError) as e:
            without.get_object("img.png")
        assert e.value.status == 403


def test_public_read_without_credentials_reads_but_refuses_writes(root, monkeypatch,
                                                                 no_env_keys, capsys):
    with cli_server(monkeypatch, root) as server:
        assert requests.get(f"{server.url}/{BUCKET}/img.png").content == IMG
        put = requests.put(f"{server.url}/{BUCKET}/new.bin", data=b"x")
        assert put.status_code == 403 and error_code(put) == "AccessDenied"
    err = capsys.readouterr().err                          # how to add a key
    assert "OSS_ACCESS_KEY_ID" in err and "OSS_ACCESS_KEY_SECRET" in err


def test_port_is_the_one_listened_on(root, monkeypatch, no_env_keys):
    with socket.socket() as s:          # a port free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kept = []
    monkeypatch.setattr(runner.OssServer, "serve_forever",
                        lambda self: kept.append(self) or (_ for _ in ()).throw(
                            KeyboardInterrupt))
    assert cli_main(["serve", str(root), "--port", str(port), "--workers", "0"]) == 0
    (server,) = kept
    server.start()
    try:
        assert server.port == port and server.url == f"http://127.0.0.1:{port}"
        assert requests.get(f"http://127.0.0.1:{port}/{BUCKET}/img.png").content == IMG
    finally:
        server.stop()


def test_domain_makes_bucket_hosts_virtual_hosted(root, monkeypatch, no_env_keys):
    with cli_server(monkeypatch, root, "--domain", "Img.Example.Test") as server:
        virtual = requests.get(f"{server.url}/img.png",
                               headers={"Host": f"{BUCKET}.img.example.test"})
        assert virtual.status_code == 200 and virtual.content == IMG
        # the default domain is no longer virtual-hosted: the path names the bucket
        other = requests.get(f"{server.url}/{BUCKET}/img.png",
                             headers={"Host": f"{BUCKET}.localhost"})
        assert other.status_code == 200 and other.content == IMG


def test_separators_choose_the_style_separators(root, monkeypatch, no_env_keys):
    with cli_server(monkeypatch, root, "--acl", "public-read-write",
                    "--separators", "!") as server:
        put = requests.put(f"{server.url}/{BUCKET}?style&styleName=small",
                           data=b"<Style><Content>image/resize,w_20</Content></Style>")
        assert put.status_code == 200
        styled = requests.get(f"{server.url}/{BUCKET}/img.png!small")
        assert styled.status_code == 200
        from tests.helpers import decode
        assert decode(styled.content).size == (20, 15)
        dashed = requests.get(f"{server.url}/{BUCKET}/img.png-small")
        assert dashed.status_code == 404 and error_code(dashed) == "NoSuchKey"


def test_max_pixels_refuses_larger_sources(root, monkeypatch, no_env_keys):
    # the source is 40 x 30 = 1,200 pixels
    with cli_server(monkeypatch, root, "--max-pixels", "1199") as server:
        big = requests.get(f"{server.url}/{BUCKET}/img.png?x-oss-process=image/resize,w_20")
        assert big.status_code == 400 and error_code(big) == "ImageTooLarge"
    with cli_server(monkeypatch, root, "--max-pixels", "1200") as server:
        ok = requests.get(f"{server.url}/{BUCKET}/img.png?x-oss-process=image/resize,w_20")
        assert ok.status_code == 200


def test_every_option_reaches_the_service_config(root, monkeypatch, no_env_keys):
    levels = []
    monkeypatch.setattr(logging, "basicConfig", lambda **kw: levels.append(kw["level"]))
    with cli_server(monkeypatch, root, "--host", "127.0.0.1", "--threads", "6",
                    "--process-timeout", "7.5", "--worker-memory-mb", "512",
                    "--restore-seconds", "5", "--allow-callback-hosts",
                    " a.example, ,*.b.example", "-q") as server:
        cfg = server.service.config
        assert server.server_address[0] == "127.0.0.1"
        assert (cfg.threads, cfg.max_concurrent_processing) == (6, 2)
        # ... and the HTTP server runs that many request threads (waitress-0 .. -5)
        assert len(server._server.task_dispatcher.threads) == 6
        assert (cfg.process_timeout, cfg.worker_memory_mb, cfg.workers) == (7.5, 512, 0)
        assert cfg.restore_seconds == 5
        assert cfg.callback_hosts == ("a.example", "*.b.example")
        assert cfg.max_body_bytes == 20 * 1024 * 1024
    assert levels == [logging.WARNING]
    # --process-timeout 0 is no limit; fewer than 5 threads still process one image
    with cli_server(monkeypatch, root, "--process-timeout", "0", "--threads", "2") as server:
        cfg = server.service.config
        assert cfg.process_timeout is None and cfg.max_concurrent_processing == 1
    assert levels == [logging.WARNING, logging.INFO]


def test_the_start_up_banner_names_the_key_masked_and_marks_sts(root, monkeypatch, capsys):
    """The banner shows which key signs (masked as LTAI****1234) and that it is an STS
    one; neither the secret nor the token is ever printed."""
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", "STS.NKexampleTempKey9876")
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "tmp-Secret/Value+0001")
    monkeypatch.setenv("OSS_SESSION_TOKEN", "CAIS-session-token-value")
    with cli_server(monkeypatch, root, "--acl", "private"):
        pass
    out = capsys.readouterr().err                       # the banner goes to stderr
    assert ", key STS.****9876 (STS)\n" in out
    for secret in ("tmp-Secret/Value+0001", "CAIS-session-token-value",
                   "NKexampleTempKey"):
        assert secret not in out
