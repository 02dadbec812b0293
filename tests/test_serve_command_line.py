"""``oss-img serve`` as a command: ``--acl`` takes one of OSS's three bucket ACLs (a
usage error otherwise, argparse's exit status 2, before anything starts); and it keeps
waitress's own loggers quiet: ``waitress`` at WARNING (no
chatter about clients that disconnect) and ``waitress.queue`` at ERROR (its "task queue
depth" warnings are the expected state of a busy server, whose limits answer 503
SlowDown on their own). Its ``--help`` documents every option, states the defaults that
apply and names the credential variables the official SDKs read (OSS_ACCESS_KEY_ID,
OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN); every option reaches the server's
configuration; ``-q`` drops the log to WARNING; the banner goes to stderr only."""
from __future__ import annotations

import logging

import pytest

from core.cli import build_parser, main as cli_main
from core.serve import runner


@pytest.fixture
def waitress_levels(monkeypatch):
    loggers = [logging.getLogger(n) for n in ("waitress", "waitress.queue")]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.NOTSET)
    monkeypatch.setattr(logging, "basicConfig", lambda **kw: None)
    monkeypatch.setattr(runner.OssServer, "serve_forever", lambda self: self._close())
    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield loggers
    for lg, level in zip(loggers, saved):
        lg.setLevel(level)


def test_serve_sets_waitress_loggers_quiet(tmp_path, waitress_levels, capsys):
    assert cli_main(["serve", str(tmp_path), "--port", "0", "--workers", "0",
                     "--acl", "public-read-write"]) == 0
    main, queue = waitress_levels
    assert (main.level, queue.level) == (logging.WARNING, logging.ERROR)
    assert not queue.isEnabledFor(logging.WARNING) and queue.isEnabledFor(logging.ERROR)
    assert main.isEnabledFor(logging.WARNING) and not main.isEnabledFor(logging.INFO)
    assert "oss-img serve: " in capsys.readouterr().err


@pytest.mark.parametrize("acl", ["public", "Private", "public-read-write "])
def test_acl_outside_the_three_is_a_usage_error(tmp_path, acl, waitress_levels, capsys):
    assert cli_main(["serve", str(tmp_path), "--port", "0", "--acl", acl]) == 2
    err = capsys.readouterr().err
    assert "--acl: invalid choice" in err and "oss-img serve: " not in err
    for name in ("private", "public-read", "public-read-write"):
        assert f"'{name}'" in err
        assert build_parser().parse_args(["serve", str(tmp_path), "--acl", name]).acl == name


def test_help_names_the_credential_variables_the_sdks_read(capsys):
    # signed requests are checked against the credentials in the environment variables
    # the official SDKs' EnvironmentVariableCredentialsProvider reads (oss2, v2)
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["serve", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        assert name in text


def serve_parser():
    sub = next(a for a in build_parser()._actions if a.dest == "command" or a.choices)
    return sub.choices["serve"]


def test_help_documents_every_option_and_the_defaults_that_apply():
    actions = [a for a in serve_parser()._actions if a.dest != "help"]
    undocumented = [a.dest for a in actions if not (a.help or "").strip()]
    assert undocumented == []
    # the description's ROOT is the positional argument the usage line shows
    assert "ROOT" in serve_parser().description
    assert serve_parser().format_usage().rstrip().endswith(" ROOT")
    # an option's help that names its default names the one that applies
    args = vars(build_parser().parse_args(["serve", "ROOT"]))
    stated = {"host": "127.0.0.1", "port": "9000", "region": "cn-hangzhou",
              "domain": "localhost", "max_body_mb": "20", "process_timeout": "30",
              "threads": "16", "max_connections": "1000", "worker_memory_mb": "2048",
              "restore_seconds": "60", "acl": "public-read"}
    checked = []
    for action in actions:
        if action.dest in stated:
            value, default = stated[action.dest], args[action.dest]
            assert f"default {value}" in action.help, action.dest
            assert (f"{default:g}" if isinstance(default, float) else str(default)) == value
            checked.append(action.dest)
    assert sorted(checked) == sorted(stated)


def test_every_option_reaches_the_servers_configuration(tmp_path, waitress_levels, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = tmp_path / "cb.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
    built = []
    monkeypatch.setattr(runner.OssServer, "serve_forever",
                        lambda self: (built.append(self), self._close()))
    root = tmp_path / "root"
    root.mkdir()
    assert cli_main(["serve", str(root), "--port", "0", "--workers", "0",
                     "--acl", "public-read-write", "--region", "cn-shanghai",
                     "--domain", "Img.Example", "--separators", "!", "--max-body-mb", "0.5",
                     "--max-pixels", "1000000", "--process-timeout", "7.5",
                     "--worker-memory-mb", "256", "--threads", "9",
                     "--max-connections", "33", "--restore-seconds", "2.5",
                     "--allow-callback-hosts", " loopback, *.corp.example ,",
                     "--callback-key", str(pem),
                     "--callback-pub-key-url", "https://keys.example.com/k.pem"]) == 0
    cfg = built[0].service.config
    assert (cfg.root, cfg.acl, cfg.region, cfg.domain, cfg.separators) == (
        root, "public-read-write", "cn-shanghai", "img.example", "!")
    assert (cfg.max_body_bytes, cfg.max_source_pixels, cfg.process_timeout) == (
        524288, 1_000_000, 7.5)
    assert (cfg.workers, cfg.worker_memory_mb, cfg.threads, cfg.max_connections) == (
        0, 256, 9, 33)
    assert cfg.max_concurrent_processing == 5          # image requests: all threads but 4
    assert cfg.restore_seconds == 2.5
    assert cfg.callback_hosts == ("loopback", "*.corp.example")
    assert (str(cfg.callback_key), cfg.callback_pub_key_url) == (
        str(pem), "https://keys.example.com/k.pem")
    assert cfg.credentials == ()                      # none in the environment


@pytest.mark.parametrize("quiet, level", [([], logging.INFO), (["-q"], logging.WARNING),
                                          (["--quiet"], logging.WARNING)])
def test_quiet_drops_the_request_log_to_warnings(tmp_path, waitress_levels, monkeypatch,
                                                 quiet, level):
    # the request log is INFO on core.serve: -q/--quiet sets the root level to WARNING
    calls = []
    monkeypatch.setattr(logging, "basicConfig", lambda **kw: calls.append(kw))
    assert cli_main(["serve", str(tmp_path), "--port", "0", "--workers", "0",
                     "--acl", "public-read-write", *quiet]) == 0
    assert [kw["level"] for kw in calls] == [level]


@pytest.mark.parametrize("acl, hinted", [("public-read", True), ("public-read-write", False)])
def test_the_banner_is_on_stderr_and_says_when_only_anonymous_reads_work(
        tmp_path, waitress_levels, capsys, acl, hinted):
    # stdout stays clean (the command prints nothing there); without credentials a
    # public-read server can only be read, and the banner names the variables to set
    assert cli_main(["serve", str(tmp_path), "--port", "0", "--workers", "0",
                     "--acl", acl]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("oss-img serve: ")
    assert ("OSS_ACCESS_KEY_ID" in err and "OSS_ACCESS_KEY_SECRET" in err) is hinted
