"""What ``oss-img serve`` tells its user on start (stderr): the facts needed to use the
server, each checked against the option or the environment it comes from -- the folder
and the URL served (http or, with ``--certfile``, https), the bucket ACL and the region
V4 signers must name, the access key id masked as the house style shows identifiers
(``LTAI****1234``, never the secret) and whether it is an STS key, the virtual-hosted URL
form ``<scheme>://<bucket>.<domain>:<port>/`` (OSS's virtual-hosted style), the style
separators, the image workers and threads, and the buckets found (sorted). Not the
wording around them.

``serve_forever`` is replaced by a function that ends the command at once (Ctrl-C, which
the command answers with exit status 0), as tests/test_serve_cli_options.py does.
"""
from __future__ import annotations

import logging

import pytest

from core.cli.main import main as cli_main
from core.serve import runner
from core.serve.tls import self_signed_cert

KEY_ID, SECRET, TOKEN = "LTAI5tBannerKey00042", "Banner+Secret/Value=42", "CAIS+banner/Tok=42"


@pytest.fixture
def env(monkeypatch):
    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    kept = []

    def interrupted(self):
        kept.append(self)
        self._close()
        raise KeyboardInterrupt

    monkeypatch.setattr(runner.OssServer, "serve_forever", interrupted)
    monkeypatch.setattr(logging, "basicConfig", lambda **kw: None)
    return kept


def banner(capsys, kept, root, *options) -> tuple[list[str], runner.OssServer]:
    assert cli_main(["serve", str(root), "--port", "0", *options]) == 0
    (server,) = kept
    kept.clear()
    return capsys.readouterr().err.splitlines(), server


def line_with(lines: list[str], word: str) -> str:
    (line,) = [x for x in lines if word in x]
    return line


def test_banner_states_what_the_options_and_environment_set(tmp_path, env, capsys,
                                                           monkeypatch):
    for name in ("zeta", "alpha", "mid-bkt"):
        (tmp_path / name).mkdir()
    (tmp_path / "Not_A_Bucket").mkdir()            # not a valid bucket name: not listed
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", "STS." + KEY_ID)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("OSS_SESSION_TOKEN", TOKEN)
    lines, server = banner(capsys, env, tmp_path, "--acl", "private", "--region",
                           "cn-shanghai", "--domain", "img.test", "--separators", "!",
                           "--workers", "3", "--threads", "7")
    port = server.port
    text = "\n".join(lines)
    assert SECRET not in text and TOKEN not in text and KEY_ID not in text
    first = lines[0]
    assert str(tmp_path) in first and first.endswith(f"http://127.0.0.1:{port}")
    access = line_with(lines, "cn-shanghai")
    assert "private" in access and "public" not in access
    assert "STS.****0042" in access and "STS" in access.split("STS.****0042")[1]
    hosts = line_with(lines, "<bucket>")
    assert f"http://<bucket>.img.test:{port}/" in hosts
    assert hosts.rstrip().endswith("!") and "-" not in hosts.split(f"{port}/")[1]
    numbers = line_with(lines, "workers").replace(",", " ").split()
    assert "3" in numbers and "7" in numbers and "in-process" not in numbers
    assert line_with(lines, "buckets").split(":", 1)[1].strip() == "alpha, mid-bkt, zeta"
    assert "OSS_ACCESS_KEY_ID" not in text      # a key is set: no hint how to set one


def test_banner_of_a_plain_key_and_defaults(tmp_path, env, capsys, monkeypatch):
    (tmp_path / "bkt").mkdir()
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", SECRET)
    lines, server = banner(capsys, env, tmp_path, "--workers", "0", "--separators", "")
    text = "\n".join(lines)
    access = line_with(lines, "cn-hangzhou")              # the default region
    assert "public-read" in access and "LTAI****0042" in access and "STS" not in access
    assert KEY_ID not in text
    assert f"http://<bucket>.localhost:{server.port}/" in line_with(lines, "<bucket>")
    numbers = line_with(lines, "threads").replace(",", " ").split()
    assert "16" in numbers and "0" not in numbers       # workers 0: in this process
    assert line_with(lines, "buckets").split(":", 1)[1].strip() == "bkt"
    assert "OSS_ACCESS_KEY_ID" not in text


def test_banner_without_a_key_says_how_to_add_one(tmp_path, env, capsys):
    lines, server = banner(capsys, env, tmp_path, "--workers", "0")
    text = "\n".join(lines)
    assert "OSS_ACCESS_KEY_ID" in text and "OSS_ACCESS_KEY_SECRET" in text
    assert "LTAI" not in text and "****" not in text
    assert line_with(lines, "region").split()[-1] == "none"      # the key: none
    # the empty root has no bucket to list
    assert "," not in line_with(lines, "buckets").split(":", 1)[1]
    # public-read-write needs no key for writes either: no hint then
    lines, _ = banner(capsys, env, tmp_path, "--workers", "0", "--acl", "public-read-write")
    assert "OSS_ACCESS_KEY_ID" not in "\n".join(lines)


def test_banner_of_an_https_server(tmp_path, env, capsys, tmp_path_factory):
    cert_path, key_path = self_signed_cert(tmp_path_factory.mktemp("tls"))
    lines, server = banner(capsys, env, tmp_path, "--workers", "0", "--certfile",
                           str(cert_path), "--keyfile", str(key_path))
    port = server.port
    assert lines[0].endswith(f"https://127.0.0.1:{port}")
    assert f"https://<bucket>.localhost:{port}/" in line_with(lines, "<bucket>")


def test_private_without_a_whole_key_names_what_is_missing_and_does_not_start(
        tmp_path, env, capsys, monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", KEY_ID)          # the secret is not set
    assert cli_main(["serve", str(tmp_path), "--port", "0", "--acl", "private"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("MissingArgument: ")
    assert "OSS_ACCESS_KEY_SECRET" in err and "OSS_ACCESS_KEY_ID" not in err
    assert KEY_ID not in err and env == []                   # no server was built
